import { createDatabase, type DatabaseHandle, type DatabaseOptions, migrate } from "@redflag/db";
import { systemActor } from "./actor.ts";
import { createAdminSessions } from "./auth/admin-sessions.ts";
import type { ServerConfig } from "./config.ts";
import { DebugMode } from "./logging/debug-mode.ts";
import { configureServerLogging, errorProperties, serverLogger } from "./logging/logger.ts";
import { logRequest } from "./logging/request-log.ts";
import { ServerMetrics } from "./metrics/server-metrics.ts";
import { appRouter } from "./root.ts";
import { scheduledJobs } from "./scheduler/jobs.ts";
import { Scheduler } from "./scheduler/scheduler.ts";
import { CommandWakeups } from "./services/agents/command-wakeups.ts";
import { HeartbeatWriter } from "./services/agents/heartbeats.ts";
import { expireLeases } from "./services/commands/expire-leases.ts";
import { deleteExpiredRateLimits } from "./services/rate-limits/delete-expired-rate-limits.ts";
import { sweepRetention } from "./services/retention/sweep-retention.ts";
import { ensureServerSecret } from "./services/settings/ensure-server-secret.ts";
import { SigningKeys } from "./services/signing/signing-keys.ts";
import { createUser } from "./services/users/create-user.ts";
import { hasAnyAdmin } from "./services/users/set-up-first-admin.ts";
import type { ApiDependencies } from "./trpc.ts";

export type StartOptions = {
  database: DatabaseOptions | DatabaseHandle;
  config: Omit<ServerConfig, "secret"> & { secret: string | null };
  /** Creates this admin at start when no admin exists yet (REDFLAG_ADMIN_USER / REDFLAG_ADMIN_PASSWORD). */
  initialAdmin?: { username: string; password: string } | null;
  /** How often leases that ran out are taken back and expired rate limit counters deleted, in ms; 0 turns the sweep off. */
  leaseSweepIntervalMs?: number;
  /** How often the scheduler looks for due jobs, in ms; 0: never on its own (tests call `scheduler.tick()`). */
  schedulerIntervalMs?: number;
  /** How often the stored debug mode setting is read (another instance may have saved it), in ms; 0: at start only. */
  debugModeRefreshMs?: number;
  /** The time scheduled jobs see; tests move it. */
  clock?: () => Date;
};

export type ApiServer = ApiDependencies & { handle: DatabaseHandle; stop: () => Promise<void> };

const log = serverLogger("server");

function logFailure(what: string) {
  return (error: unknown) => {
    log.error(`${what} failed: {message}`, {
      message: error instanceof Error ? error.message : String(error),
      error: errorProperties(error),
    });
  };
}

/** Opens the database, applies migrations and builds everything requests share. */
export async function startApiServer(options: StartOptions): Promise<ApiServer> {
  // A handle passed in belongs to the caller, who closes it; one opened here is closed by `stop`.
  configureServerLogging();
  const ownsHandle = !("db" in options.database);
  const handle = "db" in options.database ? options.database : await createDatabase(options.database);
  let secret: string;
  let signingKeys: SigningKeys;
  let wakeups: CommandWakeups;
  try {
    await migrate(handle.db, options.config.migrationsFolder);
    secret = options.config.secret ?? (await ensureServerSecret(handle.db));
    signingKeys = await SigningKeys.start(handle.db, options.config.signingKey);
    if (options.initialAdmin && !(await hasAnyAdmin(handle.db))) {
      await createUser(handle.db, { actor: systemActor, ...options.initialAdmin, role: "admin" });
    }
    wakeups = await CommandWakeups.start(handle);
  } catch (error) {
    // Leave nothing open (PGlite allows one opener of a data directory), so a retry can start cleanly.
    if (ownsHandle) await handle.close().catch(() => {});
    throw error;
  }
  const sessions = {
    secure: createAdminSessions(handle.db, { secure: true }),
    plain: createAdminSessions(handle.db, { secure: false }),
  };
  const sweepMs = options.leaseSweepIntervalMs ?? 30_000;
  const sweeper =
    sweepMs > 0
      ? setInterval(() => {
          handle.db
            .transaction((tx) => expireLeases(tx, {}))
            .catch(logFailure("Taking back expired command leases"));
          void sweepRetention(handle.db);
          deleteExpiredRateLimits(handle.db).catch(logFailure("Deleting expired rate limit counters"));
          sessions.plain.deleteExpired().catch(logFailure("Deleting expired admin sessions"));
        }, sweepMs)
      : null;
  sweeper?.unref?.();
  const config = { ...options.config, secret };
  const scheduler = new Scheduler({
    db: handle.db,
    config,
    jobs: scheduledJobs,
    clock: options.clock,
    onError: (job, error) => logFailure(`Scheduled job ${job}`)(error),
  });
  scheduler.start(options.schedulerIntervalMs ?? 5_000);
  const metrics = new ServerMetrics({
    ...handle,
    version: config.version,
    procedures: Object.keys(appRouter._def.procedures),
  });
  const debugMode = new DebugMode(handle.db, config.debug);
  await debugMode.start(options.debugModeRefreshMs);
  return {
    handle,
    db: handle.db,
    driver: handle.driver,
    ping: handle.ping,
    config,
    scheduler,
    sessions,
    signingKeys,
    wakeups,
    heartbeats: new HeartbeatWriter(handle.db),
    metrics,
    debugMode,
    requestObservers: [logRequest, metrics.observeRequest],
    startedAt: new Date(),
    async stop() {
      if (sweeper) clearInterval(sweeper);
      debugMode.stop();
      await scheduler.stop();
      await wakeups.stop();
      if (ownsHandle) await handle.close();
    },
  };
}
