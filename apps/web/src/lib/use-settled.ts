"use client";

import { useEffect, useState } from "react";

/** `value` once it has stayed the same for `delayMs`: waits until typing pauses before asking the server again. */
export function useSettled<Value>(value: Value, delayMs: number): Value {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return settled;
}
