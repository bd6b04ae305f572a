"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback } from "react";

/**
 * Page state kept in the URL (filters, sort, page), so a reload or a shared link shows the same view.
 * `set` replaces the given keys; empty values remove them.
 */
export function useUrlState() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const set = useCallback(
    (changes: Record<string, string | number | null | undefined>) => {
      const next = new URLSearchParams(params.toString());
      for (const [key, value] of Object.entries(changes)) {
        if (value === null || value === undefined || value === "") next.delete(key);
        else next.set(key, String(value));
      }
      const query = next.toString();
      router.replace(query ? `${pathname}?${query}` : pathname, { scroll: false });
    },
    [params, router, pathname],
  );
  return { params, set };
}

export function pageOf(params: URLSearchParams): number {
  const page = Number(params.get("page") ?? "1");
  return Number.isInteger(page) && page >= 1 ? page : 1;
}

/** A value from the URL if it is one of `allowed`, else `fallback`. */
export function oneOf<Value extends string>(
  value: string | null,
  allowed: readonly Value[],
  fallback: Value,
): Value;
export function oneOf<Value extends string>(
  value: string | null,
  allowed: readonly Value[],
  fallback?: undefined,
): Value | undefined;
export function oneOf<Value extends string>(
  value: string | null,
  allowed: readonly Value[],
  fallback?: Value,
): Value | undefined {
  return value !== null && (allowed as readonly string[]).includes(value) ? (value as Value) : fallback;
}
