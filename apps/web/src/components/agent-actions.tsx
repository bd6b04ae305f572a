"use client";

import type { UpdateFilter } from "@redflag/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { humanize } from "~/lib/format";
import { useTRPC, useTRPCClient } from "~/trpc/react";
import type { AgentDetail } from "./agent-facts";
import { AgentLifecycleActions } from "./agent-lifecycle-actions";
import { AgentSettingsForms } from "./agent-settings-forms";
import { type InstallChoice, InstallDialog } from "./install-dialog";
import { useCan } from "./session";
import { MutationStatus } from "./ui/basics";
import { ConfirmDialog } from "./ui/confirm-dialog";
import { Untrusted } from "./ui/text";

/** What an operator can do to this host; each action that changes it asks first. */
export function AgentActions({ agent }: { agent: AgentDetail }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const router = useRouter();
  const canRemove = useCan("admin");
  const agentId = agent.id;
  const [confirmRemove, setConfirmRemove] = useState(false);
  const [installing, setInstalling] = useState<InstallChoice | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.pathKey() });
  const scan = useMutation(trpc.agents.requestCommand.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(
    trpc.agents.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.agents.list.queryKey() });
        router.replace("/agents");
      },
    }),
  );
  const prepareInstall = useMutation({
    mutationFn: async (filter: UpdateFilter) => {
      const matching = await client.updates.matching.query({ filter });
      setInstalling({ updates: matching.items, matching: { filter, expectedTotal: matching.total } });
    },
  });
  const waiting = (agent.updateCounts.available ?? 0) + (agent.updateCounts.approved ?? 0);
  const statuses = ["available" as const, "approved" as const];
  const security = useQuery(
    trpc.updates.list.queryOptions({ agentId, statuses, security: true, pageSize: 1 }),
  ).data?.total;

  return (
    <section className="card actions-card" aria-label="Actions">
      <div className="action-row">
        <button
          type="button"
          className="button"
          disabled={scan.isPending}
          onClick={() => scan.mutate({ agentId, type: "scan" })}
        >
          Scan now
        </button>
        {waiting > 0 ? (
          <button
            type="button"
            className="button primary"
            disabled={prepareInstall.isPending}
            onClick={() => prepareInstall.mutate({ agentId, statuses })}
          >
            Install all updates ({waiting})
          </button>
        ) : null}
        {security ? (
          <button
            type="button"
            className="button"
            disabled={prepareInstall.isPending}
            onClick={() => prepareInstall.mutate({ agentId, statuses, security: true })}
          >
            Install security updates ({security})
          </button>
        ) : null}
        <AgentLifecycleActions agent={agent} onQueued={() => void refresh()} />
        {canRemove ? (
          <button type="button" className="button danger-outline" onClick={() => setConfirmRemove(true)}>
            Remove…
          </button>
        ) : null}
      </div>
      <AgentSettingsForms agent={agent} onSaved={refresh} />
      <MutationStatus
        error={scan.error ?? prepareInstall.error}
        success={scan.isSuccess}
        successText={`${humanize(scan.data?.type ?? "scan")} queued: the agent takes it within seconds when it long-polls, else at its next check-in.`}
      />
      {confirmRemove ? (
        <ConfirmDialog
          title={
            <>
              Remove <Untrusted text={agent.hostname} />?
            </>
          }
          confirmLabel="Remove agent"
          tone="danger"
          pending={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate({ agentId })}
          onCancel={() => setConfirmRemove(false)}
        >
          <p>
            The server forgets <Untrusted text={agent.hostname} />: its updates and command history go too,
            and the agent on the machine can no longer check in. Nothing is changed on the machine itself.
          </p>
        </ConfirmDialog>
      ) : null}
      {installing ? (
        <InstallDialog
          choice={installing}
          onClose={() => setInstalling(null)}
          onInstalled={() => void refresh()}
        />
      ) : null}
    </section>
  );
}
