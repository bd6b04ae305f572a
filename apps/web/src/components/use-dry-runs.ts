"use client";

import type { AgentId, CommandId } from "@redflag/contracts";
import { useQueries } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { messageOf } from "~/trpc/errors";
import { useTRPC, useTRPCClient } from "~/trpc/react";
import { isActive } from "./commands-table";
import type { SelectedUpdate } from "./update-selection";

export type HostGroup = { agentId: AgentId; hostname: string; updates: SelectedUpdate[] };
type DryRun = { agentId: AgentId; commandId: CommandId | null; error: string | null };

/** A preview this recent is still what the install would do: reopening the dialog reuses it. */
const previewKeptMs = 10 * 60_000;
/** Dry runs asked for, by host and updates, in this tab. */
const recentDryRuns = new Map<string, { commandId: CommandId; at: number }>();
const keyOf = (group: HostGroup) =>
  `${group.agentId}:${group.updates
    .map((update) => update.id)
    .sort()
    .join(",")}`;

export function groupByHost(updates: SelectedUpdate[]): HostGroup[] {
  const groups = new Map<AgentId, HostGroup>();
  for (const update of updates) {
    const group = groups.get(update.agentId) ?? {
      agentId: update.agentId,
      hostname: update.hostname,
      updates: [],
    };
    group.updates.push(update);
    groups.set(update.agentId, group);
  }
  return [...groups.values()];
}

/**
 * One dry run per host, asked for when the dialog opens — or the one asked for the same updates in the
 * last 10 minutes — and its answer as it arrives. `withdraw` cancels those no agent has taken yet.
 */
export function useDryRuns(groups: HostGroup[]) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const [dryRuns, setDryRuns] = useState<DryRun[]>([]);
  const groupKey = groups.map(keyOf).join(";");
  // biome-ignore lint/correctness/useExhaustiveDependencies: groupKey stands for the groups
  useEffect(() => {
    let cancelled = false;
    void Promise.all(
      groups.map(async (group): Promise<DryRun> => {
        const recent = recentDryRuns.get(keyOf(group));
        if (recent && Date.now() - recent.at < previewKeptMs) {
          return { agentId: group.agentId, commandId: recent.commandId, error: null };
        }
        try {
          const command = await client.agents.requestCommand.mutate({
            agentId: group.agentId,
            type: "dry_run",
            updateIds: group.updates.map((update) => update.id),
          });
          recentDryRuns.set(keyOf(group), { commandId: command.id, at: Date.now() });
          return { agentId: group.agentId, commandId: command.id, error: null };
        } catch (error) {
          return { agentId: group.agentId, commandId: null, error: messageOf(error) };
        }
      }),
    ).then((results) => {
      if (!cancelled) setDryRuns(results);
    });
    return () => {
      cancelled = true;
    };
  }, [groupKey, client]);

  const previews = useQueries({
    queries: dryRuns.map((dryRun) => ({
      ...trpc.commands.get.queryOptions({ commandId: dryRun.commandId ?? "" }),
      enabled: dryRun.commandId !== null,
      refetchInterval: (query: { state: { data?: { status: string } } }) =>
        query.state.data && !isActive(query.state.data.status) ? false : 1500,
    })),
  });

  return {
    of(agentId: AgentId) {
      const index = dryRuns.findIndex((dryRun) => dryRun.agentId === agentId);
      return { dryRun: dryRuns[index], preview: index >= 0 ? previews[index]?.data : undefined };
    },
    waiting: previews.some((preview) => !preview.data || isActive(preview.data.status)),
    withdraw() {
      for (const [index, dryRun] of dryRuns.entries()) {
        const status = previews[index]?.data?.status;
        if (dryRun.commandId && (status === "pending" || status === "sent")) {
          for (const [key, recent] of recentDryRuns)
            if (recent.commandId === dryRun.commandId) recentDryRuns.delete(key);
          client.commands.cancel.mutate({ commandId: dryRun.commandId }).catch(() => {});
        }
      }
    },
  };
}
