import { type AgentId, type CommandId, type Metrics, rapidPollIntervalSeconds } from "@redflag/contracts";
import { type DatabaseOrTransaction, rowsOf } from "@redflag/db";
import { sql } from "drizzle-orm";
import { leaseExpiryFrom } from "../../config.ts";
import { AppError } from "../../errors.ts";
import { expireLeases } from "../commands/expire-leases.ts";
import { leaseCommands } from "../commands/lease-commands.ts";
import { settingDefaults, settingSchemas } from "../settings/settings-schema.ts";
import type { KeyRing } from "../signing/key-ring.ts";
import { readAgentBuilds } from "./agent-builds.ts";
import { keepAgentAtServerVersion } from "./agent-update.ts";

type HeartbeatRow = {
  poll_interval_seconds: number | null;
  rapid_mode_until: Date | string | null;
  has_work: boolean;
  default_poll_interval: unknown;
  keep_at_server_version: unknown;
};

/**
 * Records an agent's heartbeat and hands it its pending commands and its next poll interval.
 * The statement that records the heartbeat is also the token check: it matches no row when the agent
 * is gone or its token generation was raised since the token was issued (a revoked family).
 * The common case (nothing to hand out) is one statement; only when the agent has pending commands or
 * overdue leases does it take the transaction that expires and leases them.
 */
export async function checkInAgent(
  db: DatabaseOrTransaction,
  options: {
    agentId: AgentId;
    /** The generation signed into the caller's access token. */
    tokenGeneration: number;
    agentVersion: string;
    metrics: Metrics;
    rebootRequired: boolean;
    rebootReasons?: string[];
    /** dist/agents, for "keep agents at the server's version" (agent-update.ts). */
    agentsDirectory?: string | null;
    runningCommandIds?: CommandId[];
    /** Signs the leased commands; its key statements go out while a rotation is under way. */
    keys: KeyRing;
  },
) {
  const now = new Date();
  const at = now.toISOString();
  if (options.runningCommandIds && options.runningCommandIds.length > 0) {
    await extendHeldLeases(db, { ...options, runningCommandIds: options.runningCommandIds, now });
  }
  const [heartbeat] = rowsOf<HeartbeatRow>(
    await db.execute(sql`
      with agent as (
        update agents set last_check_in_at = ${at}::timestamptz, agent_version = ${options.agentVersion},
          metrics = ${JSON.stringify(options.metrics)}::jsonb, reboot_required = ${options.rebootRequired},
          reboot_reasons = ${JSON.stringify(options.rebootRequired ? (options.rebootReasons ?? []) : [])}::jsonb
        where id = ${options.agentId} and token_generation = ${options.tokenGeneration}
        returning poll_interval_seconds, rapid_mode_until
      )
      select agent.poll_interval_seconds, agent.rapid_mode_until,
        exists (
          select 1 from commands
          where agent_id = ${options.agentId}
            and (status = 'pending' or (status in ('sent', 'running') and lease_expires_at < ${at}::timestamptz))
        ) as has_work,
        (select value from settings where key = 'defaultPollIntervalSeconds') as default_poll_interval,
        (select value from settings where key = 'keepAgentsAtServerVersion') as keep_at_server_version
      from agent`),
  );
  if (!heartbeat) {
    throw new AppError(
      "UNAUTHORIZED",
      "This access token was revoked, or the agent is no longer registered: renew the token",
    );
  }
  const builds = heartbeat.keep_at_server_version === true ? readAgentBuilds(options.agentsDirectory) : null;
  // One comparison on the common path; only an agent at another version costs a query.
  const queuedUpdate =
    builds !== null && builds.version !== options.agentVersion
      ? await keepAgentAtServerVersion(db, {
          agentId: options.agentId,
          agentVersion: options.agentVersion,
          builds,
        })
      : false;
  const commands =
    heartbeat.has_work || queuedUpdate
      ? await db.transaction(async (tx) => {
          await expireLeases(tx, { agentId: options.agentId, now });
          return leaseCommands(tx, { agentId: options.agentId, now, keys: options.keys });
        })
      : [];
  const rapidModeUntil = heartbeat.rapid_mode_until ? new Date(heartbeat.rapid_mode_until) : null;
  const rapid = rapidModeUntil && rapidModeUntil > now ? rapidModeUntil : null;
  const parsedDefault = settingSchemas.defaultPollIntervalSeconds.safeParse(heartbeat.default_poll_interval);
  const defaultPoll = parsedDefault.success ? parsedDefault.data : settingDefaults.defaultPollIntervalSeconds;
  const pollIntervalSeconds = rapid
    ? rapidPollIntervalSeconds
    : (heartbeat.poll_interval_seconds ?? defaultPoll);
  const keyStatements = options.keys.statements.length > 0 ? options.keys.statements : undefined;
  return { commands, pollIntervalSeconds, rapidModeUntil: rapid, serverTime: now, keyStatements };
}

/**
 * Extends the leases of the commands the agent says it holds (queued behind another, or running):
 * an agent that keeps checking in never loses a command to lease expiry, however long it runs.
 * Only its own commands, only while leased, and only while its token generation is current.
 */
async function extendHeldLeases(
  db: DatabaseOrTransaction,
  options: { agentId: AgentId; tokenGeneration: number; runningCommandIds: CommandId[]; now: Date },
) {
  const leaseExpiresAt = leaseExpiryFrom(options.now).toISOString();
  await db.execute(sql`
    update commands set lease_expires_at = ${leaseExpiresAt}::timestamptz
    where agent_id = ${options.agentId}
      and id in (${sql.join(
        options.runningCommandIds.map((id) => sql`${id}`),
        sql`, `,
      )})
      and status in ('sent', 'running')
      and exists (
        select 1 from agents where id = ${options.agentId} and token_generation = ${options.tokenGeneration}
      )`);
}
