"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/react";
import { useCan } from "./session";
import { MutationStatus } from "./ui/basics";
import { QueryState } from "./ui/query-state";
import { NumberSetting } from "./ui/setting-fields";

/** The fleet-wide limit of installs the windows run at once. */
export function WindowFleetLimit() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const isAdmin = useCan("admin");
  const settings = useQuery(trpc.settings.get.queryOptions());
  const save = useMutation(
    trpc.settings.set.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.settings.get.queryKey() }),
    }),
  );
  return (
    <section className="card" aria-labelledby="fleet-limit-title">
      <h2 id="fleet-limit-title">Fleet-wide install limit</h2>
      <QueryState query={settings} what="settings">
        {(data) => (
          <>
            <NumberSetting
              label="Installs at once"
              saveLabel="Save limit"
              min={1}
              max={10_000}
              current={data.maxConcurrentInstalls}
              canChange={isAdmin}
              pending={save.isPending}
              onSave={(value) => save.mutate({ key: "maxConcurrentInstalls", value })}
            >
              At most this many installs queued by maintenance windows run at once across the fleet; the other
              hosts wait their turn while their window is open.
            </NumberSetting>
            <MutationStatus error={save.error} success={save.isSuccess} />
          </>
        )}
      </QueryState>
    </section>
  );
}
