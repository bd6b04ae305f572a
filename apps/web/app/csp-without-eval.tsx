"use client";

import { z } from "zod";

// Zod compiles its parsers with `new Function` unless told not to: the policy (proxy.ts) allows no
// eval, and its probe for it would be reported as a violation on every page that parses.
z.config({ jitless: true });

/** Rendered once in the root layout, so the setting above is made before any page parses. */
export function CspWithoutEval() {
  return null;
}
