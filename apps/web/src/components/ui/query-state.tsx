"use client";

import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Loading, QueryError } from "./basics";

/** A query's three states in one place: loading, failed (with "Try again"), or its data. */
export function QueryState<Data>({
  query,
  what,
  children,
}: {
  query: UseQueryResult<Data, unknown>;
  what: string;
  children: (data: Data) => ReactNode;
}) {
  if (query.isPending) return <Loading what={what} />;
  if (query.isError) return <QueryError error={query.error} retry={() => query.refetch()} />;
  return <>{children(query.data)}</>;
}
