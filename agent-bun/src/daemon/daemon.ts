import { type LeasedCommand, rapidPollIntervalSeconds } from "@redflag/contracts";
import type { RegisteredConfig } from "../config/config.ts";
import { saveConfig } from "../config/config.ts";
import type { StateFiles } from "../config/paths.ts";
import { describeError, ExitError } from "../errors.ts";
import { createMetricsCollector } from "../host/facts.ts";
import { logger } from "../logging.ts";
import { createScanners } from "../package-managers/registry.ts";
import { type LastScan, runScan, saveLastScan, toScanReport } from "../scan.ts";
import { AgentConnection } from "../transport/client.ts";
import { Outbox } from "../transport/outbox.ts";
import { agentVersion } from "../version.ts";
import { executeCommand } from "./commands.ts";
import { acquireLock } from "./lock.ts";
import { type DaemonState, loadDaemonState, saveDaemonState } from "./state.ts";

const log = logger("daemon");

const firstBackoffMs = 1000;
/** A scan that failed for a passing reason (a lock, a timeout) is tried again after this, doubling. */
const firstScanRetryMs = 60_000;
const maxBackoffMs = 5 * 60_000;

/** Waits `ms`, or less if the signal fires. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

export type DaemonOptions = {
  config: RegisteredConfig;
  files: StateFiles;
  signal: AbortSignal;
  random?: () => number;
};

/**
 * The poll loop: scan when due, deliver the outbox, check in, run leased commands one at a time,
 * then wait for the next poll (server-set interval plus jitter, or 5 s in rapid mode). While the
 * server cannot be reached, retries back off exponentially with full jitter, never past 5 minutes.
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
    const deliver = async () => {
      const delivery = await outbox.deliver(connection, (entry) => {
        log.info("Delivered {kind} from the outbox", { kind: entry.kind });
        if (entry.kind === "reportScan") remember({ lastScanReportedAt: new Date() });
      });
      if (delivery.rejected > 0)
        log.error("{count} reports were rejected by the server and set aside", { count: delivery.rejected });
      if (delivery.error) throw delivery.error;
    };
    log.info("Agent {version} started as {agentId}, server {server}", {
      version: agentVersion,
      agentId: connection.agentId,
      server: connection.serverUrl,
    });

    let nextScanAt = 0;
    let scanRetryMs = 0;
    let backoffMs = 0;
    while (!signal.aborted) {
      let waitMs: number;
      try {
        if (Date.now() >= nextScanAt) {
          const scanIntervalMs = config.file.scanIntervalSeconds * 1000;
          const scan = await runScan(config.file);
          queueScan(scan);
          log.info("Scanned: {summary}", { summary: summarize(scan) });
          const passingFailure = scan.scanners.some(
            (scanner) => scanner.status === "error" && scanner.retryable,
          );
          scanRetryMs = passingFailure
            ? Math.min(scanIntervalMs, Math.max(firstScanRetryMs, scanRetryMs * 2))
            : 0;
          nextScanAt = Date.now() + (passingFailure ? scanRetryMs : scanIntervalMs);
          if (passingFailure) log.warn("Scanning again in {seconds} s", { seconds: scanRetryMs / 1000 });
        }
        await deliver();
        const rebootRequired = (
          await Promise.all(scanners.map((scanner) => scanner.isRebootRequired()))
        ).some(Boolean);
        const answer = await connection.call("the check-in", (agent) =>
          agent.checkIn.mutate({ agentVersion, metrics: metrics(), rebootRequired }),
        );
        remember({ lastCheckInAt: new Date(), lastError: null, rapidModeUntil: answer.rapidModeUntil });
        if (answer.pollIntervalSeconds !== config.file.pollIntervalSeconds && !answer.rapidModeUntil) {
          saveConfig(config, { ...config.file, pollIntervalSeconds: answer.pollIntervalSeconds });
        }
        await runPrograms(answer.commands);
        backoffMs = 0;
        const rapid = answer.rapidModeUntil !== null && answer.rapidModeUntil.getTime() > Date.now();
        waitMs = rapid
          ? Math.min(answer.pollIntervalSeconds, rapidPollIntervalSeconds) * 1000
          : answer.pollIntervalSeconds * 1000 + random() * config.file.pollJitterSeconds * 1000;
        if (answer.commands.length > 0) waitMs = 0;
      } catch (error) {
        if (!(error instanceof ExitError) || !error.retryable) throw error;
        backoffMs = Math.min(maxBackoffMs, Math.max(firstBackoffMs, backoffMs * 2));
        waitMs = random() * backoffMs;
        remember({ lastError: describeError(error) });
        log.warn("{error}; retrying in {seconds} s", {
          error: describeError(error),
          seconds: Math.round(waitMs / 100) / 10,
        });
      }
      await pause(waitMs, signal);
    }
    log.info("Stopping");

    async function runPrograms(commands: LeasedCommand[]) {
      for (const command of commands) {
        if (signal.aborted) return;
        const result = await executeCommand(command, { config: config.file, connection, onScan: queueScan });
        if (result) outbox.add({ kind: "reportResult", payload: result });
        await deliver();
      }
    }
  } finally {
    lock.release();
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
