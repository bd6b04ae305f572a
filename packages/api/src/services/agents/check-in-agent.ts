import type { Metrics } from "@redflag/contracts";
import { agents, type DatabaseOrTransaction } from "@redflag/db";
import { eq } from "drizzle-orm";
import { rapidPollIntervalSeconds } from "../../config.ts";
import { AppError } from "../../errors.ts";
import { expireLeases } from "../commands/expire-leases.ts";
import { leaseCommands } from "../commands/lease-commands.ts";
import { getSettings } from "../settings/get-settings.ts";

/** Records an agent's heartbeat and hands it its pending commands and its next poll interval. */
export async function checkInAgent(
  db: DatabaseOrTransaction,
  options: { agentId: string; agentVersion: string; metrics: Metrics; rebootRequired: boolean },
) {
  const now = new Date();
  return db.transaction(async (tx) => {
    const [agent] = await tx
      .update(agents)
      .set({
        lastCheckInAt: now,
        agentVersion: options.agentVersion,
        metrics: options.metrics,
        rebootRequired: options.rebootRequired,
      })
      .where(eq(agents.id, options.agentId))
      .returning({ pollIntervalSeconds: agents.pollIntervalSeconds, rapidModeUntil: agents.rapidModeUntil });
    if (!agent) throw new AppError("UNAUTHORIZED", "This agent is no longer registered");
    await expireLeases(tx, { agentId: options.agentId, now });
    const commands = await leaseCommands(tx, { agentId: options.agentId, now });
    const rapid = agent.rapidModeUntil && agent.rapidModeUntil > now ? agent.rapidModeUntil : null;
    const pollIntervalSeconds = rapid
      ? rapidPollIntervalSeconds
      : (agent.pollIntervalSeconds ?? (await getSettings(tx)).defaultPollIntervalSeconds);
    return { commands, pollIntervalSeconds, rapidModeUntil: rapid, serverTime: now };
  });
}
