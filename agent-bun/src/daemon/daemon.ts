import { type LeasedCommand, type ReportResultInput, rapidPollIntervalSeconds } from "@redflag/contracts";
import type { RegisteredConfig } from "../config/config.ts";
import { saveConfig } from "../config/config.ts";
import type { StateFiles } from "../config/paths.ts";
import { describeError, ExitError } from "../errors.ts";
import { createMetricsCollector } from "../host/facts.ts";
import { finishPendingLifecycle, heldLifecycleCommandIds } from "../lifecycle/index.ts";
import { collectRebootStatus } from "../lifecycle/reboot-status.ts";
import { followServerDebug, logger, withLogContext } from "../logging.ts";
import { createScanners } from "../package-managers/registry.ts";
import { type LastScan, runScan, saveLastScan, toScanReport } from "../scan.ts";
import { AgentConnection } from "../transport/client.ts";
import { interruptionOf } from "../transport/errors.ts";
import { Outbox } from "../transport/outbox.ts";
import { checkLeasedCommand, learnServerKeys, refusedResult } from "../trust/command-trust.ts";
import { agentVersion } from "../version.ts";
import { executeCommand } from "./commands.ts";
import { JobQueue } from "./jobs.ts";
import { CommandLedger } from "./ledger.ts";
import { acquireLock } from "./lock.ts";
import {
  type CheckInMode,
  chooseCheckInMode,
  describeCheckInMode,
  historyAtStart,
  isSameMode,
  type LongPollOutcome,
  longPollFloorMs,
  longPollMarginMs,
  outcomeOfFailure,
  recordOutcome,
  serverLimitOf,
} from "./long-poll.ts";
import { type DaemonState, loadDaemonState, saveDaemonState } from "./state.ts";

const log = logger("daemon");

const firstBackoffMs = 1000;
/** A scan that failed for a passing reason (a lock, a timeout) is tried again after this, doubling. */
const firstScanRetryMs = 60_000;
const maxBackoffMs = 5 * 60_000;

/** A wait the daemon can cut short: on stop (the signal) or when a job finished (`wake`). */
class Pause {
  private cut: (() => void) | null = null;

  wait(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.cut = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      this.cut = done;
    });
  }

  wake() {
    this.cut?.();
  }
}

/** While the agent holds commands it checks in at least this often, well within their 15-minute lease. */
const holdingCheckInMs = 5 * 60_000;
/**
 * After commands arrive, the next check-in (which names them: the server's acknowledgement of
 * delivery) goes out this soon, well within the server's acknowledgement window.
 */
const acknowledgeAfterMs = 1_000;

export type DaemonOptions = {
  config: RegisteredConfig;
  files: StateFiles;
  signal: AbortSignal;
  random?: () => number;
};

/**
 * The poll loop: deliver the outbox, check in (naming the commands the agent holds, which extends
 * their leases and acknowledges their delivery), queue leased commands and due scans, then wait for
 * the next poll (server-set interval plus jitter, or 5 s in rapid mode). Where the server holds long
 * polls, the check-in itself is the wait: the server answers when a command is queued or the wait is
 * up, and the next one follows at once (long-poll.ts decides, and falls back to plain polling when
 * something in between cuts them). Scans and commands run one at a time in a job queue beside the
 * loop, so a long install never makes the agent look offline. While the server cannot be reached,
 * retries back off exponentially with full jitter, never past 5 minutes.
 */
export async function runDaemon(options: DaemonOptions): Promise<void> {
  const { config, files, signal } = options;
  const random = options.random ?? Math.random;
  const lock = acquireLock(files.lock);
  try {
    const connection = new AgentConnection(config);
    const outbox = new Outbox(files.outbox);
    const metrics = createMetricsCollector();
    const scanners = createScanners(config.file);
    const ledger = new CommandLedger(files.commandLedger);
    const pause = new Pause();
    let state: DaemonState = loadDaemonState(files.daemonState);
    const remember = (patch: Partial<DaemonState>) => {
      state = { ...state, ...patch };
      saveDaemonState(files.daemonState, state);
    };
    const queueScan = (scan: LastScan) => {
      saveLastScan(files.lastScan, scan);
      const report = toScanReport(scan);
      // The id travels with the queued report, so a redelivery after a lost answer is recorded once.
      if (report) outbox.add({ kind: "reportScan", payload: { ...report, reportId: crypto.randomUUID() } });
    };
    // One delivery at a time (the loop and finished jobs both deliver): each waits for the one before,
    // then sends whatever still waits, so no report goes out twice at once.
    let deliveries: Promise<unknown> = Promise.resolve();
    const deliver = (): Promise<void> => {
      const next = deliveries.then(deliverOnce);
      deliveries = next.catch(() => {});
      return next;
    };
    const deliverOnce = async () => {
      const delivery = await outbox.deliver(connection, (entry, requestId) => {
        if (entry.kind === "reportResult") {
          log.info("Result of command {commandId} sent: {status}", {
            commandId: entry.payload.commandId,
            status: entry.payload.status,
            agentId: connection.agentId,
            requestId,
          });
        } else log.info("Delivered {kind} from the outbox", { kind: entry.kind, requestId });
        if (entry.kind === "reportScan") remember({ lastScanReportedAt: new Date() });
      });
      if (delivery.rejected > 0)
        log.error("{count} reports were rejected by the server and set aside", { count: delivery.rejected });
      if (delivery.error) throw delivery.error;
    };
    /** Delivers now if it can; what is not delivered waits in the outbox for the next check-in. */
    const deliverSoon = () =>
      deliver().catch((error: unknown) => {
        log.warn("Reports wait in the outbox: {error}", { error: describeError(error) });
      });
    log.info("Agent {version} started as {agentId}, server {server}", {
      version: agentVersion,
      agentId: connection.agentId,
      server: connection.serverUrl,
    });
    if (ledger.damaged) log.error("{problem}", { problem: ledger.damaged });
    reportInterrupted(ledger, outbox);

    let nextScanAt = 0;
    let scanRetryMs = 0;
    const scan = async () => {
      const scanIntervalMs = config.file.scanIntervalSeconds * 1000;
      const result = await runScan(config.file);
      queueScan(result);
      log.info("Scanned: {summary}", { summary: summarize(result) });
      const passingFailure = result.scanners.some(
        (scanner) => scanner.status === "error" && scanner.retryable,
      );
      scanRetryMs = passingFailure
        ? Math.min(scanIntervalMs, Math.max(firstScanRetryMs, scanRetryMs * 2))
        : 0;
      nextScanAt = Date.now() + (passingFailure ? scanRetryMs : scanIntervalMs);
      if (passingFailure) log.warn("Scanning again in {seconds} s", { seconds: scanRetryMs / 1000 });
      await deliverSoon();
    };
    const runCommand = (command: LeasedCommand, fetchedBy: string | undefined) =>
      // Every line about the command, the calls it makes included, names it and this agent.
      withLogContext({ commandId: command.id, agentId: connection.agentId }, () =>
        runCommandTraced(command, fetchedBy),
      );
    const runCommandTraced = async (command: LeasedCommand, fetchedBy: string | undefined) => {
      log.info("Command {commandId} ({type}) started; it was handed out under request {fetchedBy}", {
        commandId: command.id,
        type: command.type,
        fetchedBy: fetchedBy ?? "(unknown)",
      });
      ledger.start(command);
      const result = await executeCommand(command, {
        config: config.file,
        connection,
        onScan: queueScan,
        files,
        configPath: config.path,
        isInstallRunning,
        // Checked when it arrived (`takeCommand`): its signature's 10 minutes may pass while it waits.
        verified: true,
      });
      if (result) outbox.add({ kind: "reportResult", payload: result });
      ledger.finish(command.id);
      await deliverSoon();
    };
    /** Whether an install or rollback runs now (a reboot refuses meanwhile). */
    const isInstallRunning = () => {
      const running = jobs.running();
      return running?.kind === "command" && ["install", "rollback"].includes(running.command.type);
    };
    let ranCommand = false;
    // Asked again after any job (an install may change it), else once per poll interval: with long
    // polls a check-in goes out every minute or so, and asking dnf or Windows each time costs.
    let rebootStatus: { at: number; status: Awaited<ReturnType<typeof collectRebootStatus>> } | null = null;
    const jobs = new JobQueue(
      async (job) => {
        if (job.kind === "scan") return scan();
        ranCommand = true;
        return runCommand(job.command, job.fetchedBy);
      },
      // After commands, check in at once: more may be waiting (a dry run, then its install).
      () => {
        rebootStatus = null;
        if (ranCommand) pause.wake();
        ranCommand = false;
      },
    );
    const currentRebootStatus = async () => {
      if (!rebootStatus || Date.now() - rebootStatus.at >= config.file.pollIntervalSeconds * 1000)
        rebootStatus = { at: Date.now(), status: await collectRebootStatus(scanners) };
      return rebootStatus.status;
    };

    let longPoll = historyAtStart(state.checkInMode, new Date());
    let mode: CheckInMode | null = null;
    /** Takes what a check-in showed about long polls; logs and saves the mode when it changes. */
    const learn = (outcome: LongPollOutcome) => {
      longPoll = recordOutcome(longPoll, outcome);
      const next = chooseCheckInMode(longPoll, longPollSettings(config), new Date());
      if (isSameMode(mode, next)) return next;
      const line = describeCheckInMode(next, config.file.pollIntervalSeconds);
      if (next.kind === "fallen-back") log.warn("Check-ins: {mode}", { mode: line });
      else log.info("Check-ins: {mode}", { mode: line });
      mode = next;
      remember({ checkInMode: next });
      return next;
    };

    let backoffMs = 0;
    while (!signal.aborted) {
      let waitMs: number;
      const current = chooseCheckInMode(longPoll, longPollSettings(config), new Date());
      const waitSeconds = current.kind === "long-poll" ? current.waitSeconds : 0;
      let sentAt = 0;
      try {
        if (Date.now() >= nextScanAt && !jobs.hasScan()) {
          // Not due again until this one finishes and says when.
          nextScanAt = Number.POSITIVE_INFINITY;
          jobs.add({ kind: "scan" });
        }
        await deliver();
        const reboot = await currentRebootStatus();
        const { value: answer, requestId: checkInRequestId } = await connection.callTraced(
          waitSeconds > 0 ? "the check-in (long poll)" : "the check-in",
          (agent) => {
            sentAt = Date.now();
            return agent.checkIn.mutate(
              {
                agentVersion,
                metrics: metrics(),
                ...reboot,
                // Queued or running here, or a reboot or update waiting to finish across a restart.
                runningCommandIds: [
                  ...new Set([...jobs.heldCommandIds(), ...heldLifecycleCommandIds(files)]),
                ],
                // Only to a server that said it holds long polls: older ones are sent what they know.
                ...(waitSeconds > 0 ? { waitSeconds } : {}),
              },
              // A stop ends a long poll at once instead of after its wait.
              { signal },
            );
          },
          waitSeconds > 0 ? { timeoutMs: waitSeconds * 1000 + longPollMarginMs, signal } : { signal },
        );
        remember({
          lastCheckInAt: new Date(),
          lastError: null,
          rapidModeUntil: answer.rapidModeUntil,
          server: connection.serverStatus(),
        });
        // Absent from older servers: their agents log at their own level.
        if (followServerDebug(answer.debugLogging === true)) {
          log.info("The server's debug mode is {state}: this agent logs at {level}", {
            state: answer.debugLogging ? "on" : "off",
            level: answer.debugLogging ? "debug" : "its own level",
            requestId: checkInRequestId,
          });
        }
        // A reboot or agent update that finished across a restart reports once the server is reached.
        for (const result of await finishPendingLifecycle({ config, files, connection, agentVersion })) {
          outbox.add({ kind: "reportResult", payload: result });
          await deliverSoon();
        }
        if (answer.pollIntervalSeconds !== config.file.pollIntervalSeconds && !answer.rapidModeUntil) {
          saveConfig(config, { ...config.file, pollIntervalSeconds: answer.pollIntervalSeconds });
        }
        // After the poll interval is saved: a long poll's wait never exceeds it.
        const next = learn({
          kind: "answered",
          waitSeconds,
          serverLimitSeconds: serverLimitOf(answer.longPollSeconds),
        });
        // A key rotation's statements, taken only when signed by a key this agent already trusts.
        learnServerKeys({ config: config.file, files }, answer.keyStatements);
        const tookCommands =
          answer.commands.filter((command) => takeCommand(command, checkInRequestId)).length > 0;
        backoffMs = 0;
        const rapid = answer.rapidModeUntil !== null && answer.rapidModeUntil.getTime() > Date.now();
        waitMs = rapid
          ? Math.min(answer.pollIntervalSeconds, rapidPollIntervalSeconds) * 1000
          : answer.pollIntervalSeconds * 1000 + random() * config.file.pollJitterSeconds * 1000;
        if (jobs.heldCommandIds().length > 0) waitMs = Math.min(waitMs, holdingCheckInMs);
        if (tookCommands) waitMs = Math.min(waitMs, acknowledgeAfterMs);
        // The next long poll is the wait.
        if (next.kind === "long-poll") waitMs = longPollFloorMs;
      } catch (error) {
        if (signal.aborted) break;
        if (!(error instanceof ExitError) || !error.retryable) throw error;
        const outcome = outcomeOfFailure({
          waitSeconds,
          heldMs: sentAt > 0 ? Date.now() - sentAt : 0,
          interruption: interruptionOf(error),
          at: new Date(),
        });
        if (outcome.kind === "cut")
          log.warn("A long poll was cut after {seconds} s by {by}", {
            seconds: outcome.cut.afterSeconds,
            by: outcome.cut.by,
          });
        learn(outcome);
        backoffMs = Math.min(maxBackoffMs, Math.max(firstBackoffMs, backoffMs * 2));
        waitMs = random() * backoffMs;
        remember({ lastError: describeError(error), server: connection.serverStatus() });
        log.warn("{error}; retrying in {seconds} s", {
          error: describeError(error),
          seconds: Math.round(waitMs / 100) / 10,
        });
      }
      await pause.wait(waitMs, signal);
    }
    log.info("Stopping");
    await stopJobs();

    /**
     * Queues a leased command, unless this agent already holds or ran it (a command offered again
     * because its acknowledgement was lost). True when it is new here, queued or refused.
     */
    function takeCommand(command: LeasedCommand, fetchedBy: string): boolean {
      if (jobs.holds(command.id)) return false;
      log.info("Command {commandId} ({type}) received", {
        commandId: command.id,
        type: command.type,
        agentId: connection.agentId,
        requestId: fetchedBy,
      });
      const seen = ledger.status(command.id);
      if (seen) {
        log.warn("Command {id} was handed out again after it {seen} here: not run twice", {
          id: command.id,
          seen: seen === "running" ? "started" : "ran",
        });
        outbox.add({
          kind: "reportResult",
          payload: notRun(
            command.id,
            `Not run: this agent already ${seen === "running" ? "started" : "ran"} this command, and does not run one twice`,
            "duplicate",
          ),
        });
        return false;
      }
      // Checked on arrival, before it waits its turn: a command that is not the server's, word for
      // word, is refused and never queued.
      const verification = checkLeasedCommand(command, {
        config: config.file,
        files,
        agentId: connection.agentId,
      });
      if (!verification.ok) {
        outbox.add({ kind: "reportResult", payload: refusedResult(command, verification, new Date()) });
        void deliverSoon();
        return true;
      }
      jobs.add({ kind: "command", command, fetchedBy });
      return true;
    }

    /**
     * On stop, the running job is let finish (stopping a package manager half-way is worse than a slow
     * stop); commands that have not started are handed back as failed with nothing changed.
     */
    async function stopJobs() {
      for (const job of jobs.takeWaiting()) {
        if (job.kind !== "command") continue;
        outbox.add({
          kind: "reportResult",
          payload: notRun(
            job.command.id,
            "Not started: the agent was stopped before this command's turn came. Nothing was changed; retry it.",
            "stopped",
          ),
        });
      }
      const running = jobs.running();
      if (running)
        log.info("Waiting for the running {kind} to finish before stopping", { kind: running.kind });
      await jobs.idle();
      await deliverSoon();
    }
  } finally {
    lock.release();
  }
}

function longPollSettings(config: RegisteredConfig) {
  return {
    enabled: config.file.longPoll,
    maxWaitSeconds: config.file.longPollMaxSeconds,
    pollIntervalSeconds: config.file.pollIntervalSeconds,
  };
}

/** A failed result for a command that was not run (nothing on the host changed). */
function notRun(commandId: LeasedCommand["id"], output: string, reason: string): ReportResultInput {
  const now = new Date();
  return {
    commandId,
    status: "failed",
    exitCode: null,
    output,
    startedAt: now,
    finishedAt: now,
    items: [],
    result: { notRun: reason },
  };
}

/** Commands that change their host across a restart finish by their own records (lifecycle). */
const finishAcrossRestart = new Set(["reboot", "update_agent"]);

/**
 * Commands a previous run left running were interrupted: each is reported failed, never run again.
 * What they did is unknown, so the report says to check the host.
 */
function reportInterrupted(ledger: CommandLedger, outbox: Outbox) {
  for (const entry of ledger.takeInterrupted()) {
    if (finishAcrossRestart.has(entry.type)) continue;
    log.warn(
      "Command {id} ({type}) was interrupted when the agent stopped: reporting it, not running it again",
      {
        id: entry.id,
        type: entry.type,
      },
    );
    outbox.add({
      kind: "reportResult",
      payload: {
        ...notRun(
          entry.id,
          `Interrupted: the agent stopped while this ${entry.type} ran (started ${entry.startedAt.toISOString()}). It was not run again; check the host, then retry.`,
          "interrupted",
        ),
        startedAt: entry.startedAt,
      },
    });
  }
}

function summarize(scan: LastScan): string {
  return (
    scan.scanners
      .map((scanner) =>
        scanner.status === "ok"
          ? `${scanner.packageType}: ${scanner.items.length} updates (${scanner.items.filter((item) => item.security).length} security)`
          : `${scanner.packageType}: failed: ${scanner.error}`,
      )
      .join("; ") || "no package manager found"
  );
}
