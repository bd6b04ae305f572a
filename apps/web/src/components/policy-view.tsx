"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "~/trpc/react";
import { formOf } from "./policy-draft";
import { PolicyForm } from "./policy-form";
import { type PolicySummary, PolicyTable } from "./policy-table";
import { RolloutTable } from "./rollout-table";
import { useCan } from "./session";
import { PageHeader } from "./ui/basics";
import { QueryState } from "./ui/query-state";

/** The policies page: the list, the form (new or edit) with its live preview, and the staged rollouts. */
export function PolicyView() {
  const trpc = useTRPC();
  const canChange = useCan("admin");
  const policies = useQuery({ ...trpc.policies.list.queryOptions(), refetchInterval: 15_000 });
  const [editing, setEditing] = useState<PolicySummary | "new" | null>(null);
  return (
    <>
      <PageHeader
        title="Policies"
        description="Approve the updates a policy matches (at once or host group by host group), or hold them from ever being approved automatically."
        actions={
          canChange && editing === null ? (
            <button type="button" className="button primary" onClick={() => setEditing("new")}>
              New policy
            </button>
          ) : null
        }
      />
      {editing !== null ? (
        <PolicyForm
          key={editing === "new" ? "new" : editing.id}
          policyId={editing === "new" ? undefined : editing.id}
          enabled={editing !== "new" && editing.enabled}
          initial={editing === "new" ? undefined : formOf(editing)}
          onDone={() => setEditing(null)}
        />
      ) : null}
      <section className="card" aria-labelledby="policies-title">
        <h2 id="policies-title">Policies</h2>
        <QueryState query={policies} what="policies">
          {(rows) => <PolicyTable policies={rows} onEdit={(policy) => setEditing(policy)} />}
        </QueryState>
      </section>
      <RolloutTable />
    </>
  );
}
