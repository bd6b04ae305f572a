"use client";

import { type AgentId, maxSubtreeUpdates } from "@redflag/contracts";
import { useState } from "react";
import { plural } from "~/lib/format";
import { messageOf } from "~/trpc/errors";
import { useTRPCClient } from "~/trpc/react";
import type { SelectedUpdate } from "./update-selection";

/**
 * Installing a subtree: its hosts' pending updates are read when asked (not when the tree was drawn),
 * then confirmed and installed by the install dialog like any other choice of updates.
 */
export function useSubtreeInstall(open: (updates: SelectedUpdate[]) => void) {
  const client = useTRPCClient();
  const [loading, setLoading] = useState<string | null>(null);
  const [message, setMessage] = useState<{ text: string; failed: boolean } | null>(null);
  async function start(label: string, agentIds: AgentId[]) {
    setLoading(label);
    setMessage(null);
    try {
      const found = await client.proxmox.subtreeUpdates.query({ agentIds });
      if (found.total === 0) {
        setMessage({
          text: `Nothing to install on ${label}: no update is pending there now.`,
          failed: false,
        });
      } else if (found.total > maxSubtreeUpdates) {
        setMessage({
          text: `${label} has ${plural(found.total, "pending update")}, more than one install takes (${maxSubtreeUpdates}); install them from the updates page by host.`,
          failed: true,
        });
      } else {
        open(found.items);
      }
    } catch (error) {
      setMessage({ text: messageOf(error), failed: true });
    } finally {
      setLoading(null);
    }
  }
  return { start, loading, message: message?.text ?? null, failed: message?.failed ?? false };
}
