import { type AgentId, type CommandId, type Metrics, rapidPollIntervalSeconds } from "@redflag/contracts";
import { type DatabaseOrTransaction, rowsOf } from "@redflag/db";
import { sql } from "drizzle-orm";
import { leaseExpiryFrom } from "../../config.ts";
import { AppError } from "../../errors.ts";
import { isDebugLogging, serverLogger } from "../../logging/logger.ts";
import { expireLeases } from "../commands/expire-leases.ts";
import { leaseCommands } from "../commands/lease-commands.ts";
import { settingDefaults, settingSchemas } from "../settings/settings-schema.ts";
import type { KeyRing } from "../signing/key-ring.ts";
import { readAgentBuilds } from "./agent-builds.ts";
import { keepAgentAtServerVersion } from "./agent-update.ts";
import type { CommandWakeups } from "./command-wakeups.ts";
import type { HeartbeatWriter } from "./heartbeats.ts";

const log = serverLogger("check-in");

type CheckInRow = {
  poll_interval_seconds: number | null;
  rapid_mode_until: Date | string | null;
  has_work: boolean;
  default_poll_interval: unknown;
  keep_at_server_version: unknown;
  reboot_required: boolean;
  agent_version: string;
};

export type CheckInOptions = {
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
  /** Long poll: hold the answer up to this long (already capped by the server's limit) for a command. */
  waitSeconds?: number;
  /** The server's own long-poll limit, told to the agent; 0: long polls are off. */
  longPollSeconds?: number;
  heartbeats: HeartbeatWriter;
  wakeups: CommandWakeups;
  /** The request's; a client gone away ends its wait, so nothing is leased into a dead answer. */
  signal?: AbortSignal | null;
  /** The server's debug mode: the agent is told to log at debug while it is on. */
  debugLogging?: boolean;
};

/**
 * Records an agent's heartbeat and hands it its pending commands and its next poll interval; a long
 * poll waits, when there is nothing to hand out, until a command is queued or its time is up.
 *
 * The heartbeat goes through the group-committing writer (heartbeats.ts); a long poll skips it while
 * the agent's last one is younger than its poll interval, so holding requests open adds no writes.
 * The read beside it is the token check: it matches no row when the agent is gone or its token
 * generation was raised since the token was issued (a revoked family). Only when the agent has pending
 * commands or overdue leases does it take the transaction that expires and leases them.
 */
export async function checkInAgent(db: DatabaseOrTransaction, options: CheckInOptions) {
  const started = new Date();
  if (options.runningCommandIds && options.runningCommandIds.length > 0) {
    await extendHeldLeases(db, { ...options, runningCommandIds: options.runningCommandIds, now: started });
  }
  const waitMs = Math.max(0, options.waitSeconds ?? 0) * 1000;
  // Before the look for work, so a command queued between the look and the wait still wakes it.
  const wait =
    waitMs > 0
      ? options.wakeups.prepare(options.agentId, { timeoutMs: waitMs, signal: options.signal })
      : null;
  try {
    let state = await readCheckIn(db, options, started);
    let commands = await leaseIfWork(db, options, state, started);
    if (wait && commands.length === 0) {
      // Never held past the agent's poll interval: its presence counts check-ins within a few of them.
      wait.shorten(state.pollIntervalSeconds * 1000);
      const reason = await wait.woken;
      if (reason === "queued") {
        const now = new Date();
        state = await readCheckIn(db, options, now, { heartbeat: false });
        commands = await leaseIfWork(db, options, state, now);
      }
    }
    return answer(state, commands, options);
  } finally {
    wait?.cancel();
  }
}

type CheckInState = { row: CheckInRow; pollIntervalSeconds: number; rapid: Date | null; now: Date };

/** The agent's settings and whether it has work, beside its heartbeat; UNAUTHORIZED for a stale token. */
async function readCheckIn(
  db: DatabaseOrTransaction,
  options: CheckInOptions,
  now: Date,
  { heartbeat = true } = {},
): Promise<CheckInState> {
  const at = now.toISOString();
  const [row] = rowsOf<CheckInRow>(
    await db.execute(sql`
    select agent.poll_interval_seconds, agent.rapid_mode_until, agent.reboot_required, agent.agent_version,
      exists (
        select 1 from commands
        where agent_id = ${options.agentId}
          and (status = 'pending' or (status in ('sent', 'running') and lease_expires_at < ${at}::timestamptz))
      ) as has_work,
      (select value from settings where key = 'defaultPollIntervalSeconds') as default_poll_interval,
      (select value from settings where key = 'keepAgentsAtServerVersion') as keep_at_server_version
    from agents agent
    where agent.id = ${options.agentId} and agent.token_generation = ${options.tokenGeneration}`),
  );
  if (!row) {
    options.heartbeats.forget(options.agentId);
    throw new AppError(
      "UNAUTHORIZED",
      "This access token was revoked, or the agent is no longer registered: renew the token",
    );
  }
  const rapidModeUntil = row.rapid_mode_until ? new Date(row.rapid_mode_until) : null;
  const rapid = rapidModeUntil && rapidModeUntil > now ? rapidModeUntil : null;
  const parsedDefault = settingSchemas.defaultPollIntervalSeconds.safeParse(row.default_poll_interval);
  const defaultPoll = parsedDefault.success ? parsedDefault.data : settingDefaults.defaultPollIntervalSeconds;
  const pollIntervalSeconds = rapid ? rapidPollIntervalSeconds : (row.poll_interval_seconds ?? defaultPoll);
  // Written once the token is known good; group-committed with the other check-ins of the moment.
  if (heartbeat && heartbeatDue(options, now, pollIntervalSeconds, row)) await writeHeartbeat(options, now);
  return { row, pollIntervalSeconds, rapid, now };
}

/**
 * A plain check-in always records its heartbeat; a long poll only when this process has not written
 * one for the agent within its poll interval, so presence (an agent silent for three intervals is
 * offline) stays right while requests held open add no writes — or when what the host says differs
 * from what is stored (it needs a reboot after an install, it runs another agent version), which a
 * maintenance window acts on at once.
 */
function heartbeatDue(
  options: CheckInOptions,
  now: Date,
  pollIntervalSeconds: number,
  row: CheckInRow,
): boolean {
  if (!options.waitSeconds) return true;
  if (row.reboot_required !== options.rebootRequired || row.agent_version !== options.agentVersion)
    return true;
  const last = options.heartbeats.lastWritten(options.agentId);
  return last === null || now.getTime() - last >= pollIntervalSeconds * 1000;
}

function writeHeartbeat(options: CheckInOptions, now: Date): Promise<void> {
  return options.heartbeats.write({
    agentId: options.agentId,
    tokenGeneration: options.tokenGeneration,
    at: now,
    agentVersion: options.agentVersion,
    metrics: options.metrics,
    rebootRequired: options.rebootRequired,
    rebootReasons: options.rebootReasons ?? [],
  });
}

async function leaseIfWork(
  db: DatabaseOrTransaction,
  options: CheckInOptions,
  state: CheckInState,
  now: Date,
) {
  const { row } = state;
  const builds = row.keep_at_server_version === true ? readAgentBuilds(options.agentsDirectory) : null;
  // One comparison on the common path; only an agent at another version costs a query.
  const queuedUpdate =
    builds !== null && builds.version !== options.agentVersion
      ? await keepAgentAtServerVersion(db, {
          agentId: options.agentId,
          agentVersion: options.agentVersion,
          builds,
        })
      : false;
  if (!row.has_work && !queuedUpdate) return [];
  // A client that went away gets nothing leased into its lost answer.
  if (options.signal?.aborted) return [];
  const leased = await db.transaction(async (tx) => {
    await expireLeases(tx, { agentId: options.agentId, now });
    return leaseCommands(tx, { agentId: options.agentId, now, keys: options.keys });
  });
  for (const command of leased) {
    log.info("Command {commandId} ({type}) handed out to agent {agentId}", {
      commandId: command.id,
      type: command.type,
      agentId: options.agentId,
    });
  }
  return leased;
}

function answer(
  state: CheckInState,
  commands: Awaited<ReturnType<typeof leaseIfWork>>,
  options: CheckInOptions,
) {
  const keyStatements = options.keys.statements.length > 0 ? options.keys.statements : undefined;
  return {
    commands,
    pollIntervalSeconds: state.pollIntervalSeconds,
    rapidModeUntil: state.rapid,
    serverTime: state.now,
    keyStatements,
    longPollSeconds: options.longPollSeconds ?? 0,
    // This process logs at debug while its debug mode is on (logging/debug-mode.ts).
    debugLogging: options.debugLogging ?? isDebugLogging(),
  };
}

/**
 * Extends the leases of the commands the agent says it holds (queued behind another, or running):
 * an agent that keeps checking in never loses a command to lease expiry, however long it runs. The
 * first such mention acknowledges the delivery (lease-commands.ts), turning its short lease long.
 * Only its own commands, only while leased, and only while its token generation is current.
 */
async function extendHeldLeases(
  db: DatabaseOrTransaction,
  options: { agentId: AgentId; tokenGeneration: number; runningCommandIds: CommandId[]; now: Date },
) {
  log.debug("Agent {agentId} holds commands {commandIds}", {
    agentId: options.agentId,
    commandIds: options.runningCommandIds,
  });
  const leaseExpiresAt = leaseExpiryFrom(options.now).toISOString();
  await db.execute(sql`
    update commands set lease_expires_at = ${leaseExpiresAt}::timestamptz,
      acknowledged_at = coalesce(acknowledged_at, ${options.now.toISOString()}::timestamptz)
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
