import { QueryClient } from "@tanstack/react-query";
import { isClientError } from "./errors";

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        // 4xx answers (not logged in, forbidden, bad input) do not get better by asking again.
        retry: (failureCount, error) => !isClientError(error) && failureCount < 2,
      },
    },
  });
}
