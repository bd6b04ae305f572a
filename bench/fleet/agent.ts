import type { AppRouter } from "@redflag/api";
import type {
  HostFacts,
  ItemOutcome,
  LeasedCommand,
  ReportResultInput,
  ReportScanInput,
  ScanItem,
} from "@redflag/contracts";
import { createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";
import { classifyCallError, trpcCode } from "../../agent-bun/src/transport/errors.ts";
import { AgentCommandLedger, type ExecutionLedger } from "./ledger.ts";
import { classifyFailure, type Recorder } from "./recorder.ts";
import type { FleetSettings } from "./settings.ts";

/** What every simulated agent shares with the run. */
export type FleetContext = {
  url: string;
  settings: FleetSettings;
  recorder: Recorder;
  ledger: ExecutionLedger;
  /** Aborted when the run ends: waits and requests in flight stop. */
  stop: AbortSignal;
  /** Reports the server refused for good (not worth retrying): each one is a violation. */
  rejections: string[];
  /** Agents whose refresh token the server no longer accepts: each one is a violation. */
  lostCredentials: string[];
};

type OutboxEntry =
  | { kind: "reportScan"; payload: ReportScanInput }
  | { kind: "reportResult"; payload: ReportResultInput };

type Package = { name: string; currentVersion: string; availableVersion: string; installed: boolean };

function createClient(
  context: FleetContext,
  agentIndex: number,
  token: () => string | null,
  onRetryAfter: (ms: number) => void,
) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${context.url}/api/trpc`,
        transformer: superjson,
        headers: () => {
          const value = token();
          return value ? { authorization: `Bearer ${value}` } : {};
        },
        // Every request is recorded with its HTTP status, or how its connection failed.
        fetch: async (input, init) => {
          const procedure = new URL(String(input)).pathname.split("/").pop() ?? "unknown";
          const waitSeconds = procedure === "agent.checkIn" ? waitSecondsOf(init?.body) : 0;
          const startedAt = context.recorder.now();
          try {
            const response = await fetch(input, init as RequestInit);
            context.recorder.record({
              procedure,
              startedAt,
              outcome: response.status,
              waitSeconds,
              agentIndex,
            });
            const retryAfter = Number(response.headers.get("retry-after"));
            if (response.status >= 500 && Number.isFinite(retryAfter) && retryAfter > 0) {
              onRetryAfter(retryAfter * 1000);
            }
            return response;
          } catch (error) {
            // A request cut short by the run's end is the harness stopping, not the server failing.
            if (context.stop.aborted) throw error;
            context.recorder.record({
              procedure,
              startedAt,
              outcome: classifyFailure(error),
              waitSeconds,
              agentIndex,
            });
            throw error;
          }
        },
      }),
    ],
  });
}
type Client = ReturnType<typeof createClient>;
type AgentProcedures = Client["agent"];

function waitSecondsOf(body: unknown): number {
  if (typeof body !== "string") return 0;
  try {
    const parsed = JSON.parse(body) as { json?: { waitSeconds?: unknown } };
    return typeof parsed.json?.waitSeconds === "number" ? parsed.json.waitSeconds : 0;
  } catch {
    return 0;
  }
}

function random(min: number, max: number): number {
  return min + Math.random() * (max - min);
}

/** Sleeps, or returns early when the run stops. */
function pause(ms: number, stop: AbortSignal): Promise<void> {
  if (stop.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      stop.removeEventListener("abort", done);
      resolve();
    }
    stop.addEventListener("abort", done, { once: true });
  });
}

/**
 * One simulated agent speaking the real protocol over HTTP: it registers with a registration token,
 * checks in (long-polling when the server offers it), lists the commands it holds, runs leased
 * commands one at a time with progress and a per-item result, keeps undelivered reports in an outbox,
 * and renews its access token when the server says it expired.
 */
export class SimulatedAgent {
  agentId = "";
  private accessToken = "";
  private refreshToken = "";
  private readonly client: Client;
  private readonly commandLedger = new AgentCommandLedger();
  private readonly queue: LeasedCommand[] = [];
  private running: LeasedCommand | null = null;
  private working = false;
  readonly outbox: OutboxEntry[] = [];
  private delivering: Promise<void> | null = null;
  private renewing: Promise<void> | null = null;
  private readonly packages: Package[] = [];
  private longPollSeconds = 0;
  private retryAfterMs = 0;
  private failures = 0;
  renewals = 0;
  dead = false;

  constructor(
    readonly index: number,
    private readonly context: FleetContext,
  ) {
    this.client = createClient(
      context,
      index,
      () => this.accessToken || null,
      (ms) => {
        this.retryAfterMs = ms;
      },
    );
    this.release();
    this.release();
  }

  async register(registrationToken: string): Promise<void> {
    const host: HostFacts = {
      hostname: `fleet-${this.index}`,
      osType: "linux",
      osName: "Debian GNU/Linux",
      osVersion: "12",
      architecture: "x86_64",
      agentVersion: "0.1.0",
      machineId: `fleet-${this.index}-${crypto.randomUUID()}`,
    };
    const registered = await this.client.agent.register.mutate({ registrationToken, host });
    this.agentId = registered.agentId;
    this.accessToken = registered.accessToken;
    this.refreshToken = registered.refreshToken;
    this.outbox.push({ kind: "reportScan", payload: this.scanReport() });
  }

  /** Replaces the access token (the run hands some agents one that expires during the run). */
  useAccessToken(token: string) {
    this.accessToken = token;
  }

  heldCommandIds(): string[] {
    return [...(this.running ? [this.running.id] : []), ...this.queue.map((command) => command.id)].slice(
      0,
      50,
    );
  }

  /** The check-in loop, until the run stops. */
  async run(): Promise<void> {
    const { settings, stop } = this.context;
    await pause(random(0, settings.pollSeconds * 1000), stop);
    while (!stop.aborted && !this.dead) {
      const waitSeconds = this.longPollSeconds > 0 ? Math.min(this.longPollSeconds, settings.waitSeconds) : 0;
      const startedAt = this.context.recorder.now();
      let delayMs: number;
      try {
        const answer = await this.call((agent) =>
          agent.checkIn.mutate(
            {
              agentVersion: "0.1.0",
              metrics: {
                cpuPercent: Math.round(random(0, 40)),
                memoryUsedBytes: 2_000_000_000,
                memoryTotalBytes: 8_000_000_000,
                uptimeSeconds: 86_400 + this.index,
              },
              rebootRequired: false,
              runningCommandIds: this.heldCommandIds(),
              waitSeconds,
            },
            { signal: this.signal(waitSeconds * 1000 + 20_000) },
          ),
        );
        this.failures = 0;
        this.context.recorder.checkedIn(this.index, startedAt);
        this.longPollSeconds = answer.longPollSeconds ?? 0;
        for (const command of answer.commands) this.take(command);
        void this.deliver();
        // Long-polling: ask again at once (a little jitter); plain: the run's poll interval + up to 30 %.
        delayMs = this.longPollSeconds > 0 ? random(0, 300) : settings.pollSeconds * 1000 * random(1, 1.3);
      } catch {
        if (this.dead) return;
        this.failures++;
        // The next check-in is a plain one: the server that answers it may have restarted with other limits.
        this.longPollSeconds = 0;
        delayMs = Math.max(this.retryAfterMs, Math.min(5000, 250 * 2 ** this.failures) * random(0.5, 1));
        this.retryAfterMs = 0;
      }
      await pause(delayMs, stop);
    }
  }

  private signal(timeoutMs: number): AbortSignal {
    return AbortSignal.any([AbortSignal.timeout(timeoutMs), this.context.stop]);
  }

  /** Calls the server; on UNAUTHORIZED renews the access token once and calls again. */
  private async call<T>(run: (agent: AgentProcedures) => Promise<T>): Promise<T> {
    try {
      return await run(this.client.agent);
    } catch (error) {
      if (trpcCode(error) !== "UNAUTHORIZED") throw error;
    }
    await this.renew();
    return run(this.client.agent);
  }

  private renew(): Promise<void> {
    this.renewing ??= this.renewOnce().finally(() => {
      this.renewing = null;
    });
    return this.renewing;
  }

  private async renewOnce() {
    try {
      const renewed = await this.client.agent.renew.mutate(
        { agentId: this.agentId, refreshToken: this.refreshToken },
        { signal: this.signal(20_000) },
      );
      this.accessToken = renewed.accessToken;
      this.refreshToken = renewed.refreshToken;
      this.renewals++;
    } catch (error) {
      const code = trpcCode(error);
      if (code === "UNAUTHORIZED" || code === "FORBIDDEN" || code === "NOT_FOUND") {
        this.dead = true;
        this.context.lostCredentials.push(
          `agent ${this.index} (${this.agentId}): renewal refused (${code}): ${(error as Error).message}`,
        );
      }
      throw error;
    }
  }

  /** Queues a leased command, unless this agent already holds or ran it (daemon.ts takeCommand). */
  private take(command: LeasedCommand) {
    this.context.ledger.received.add(command.id);
    if (this.running?.id === command.id || this.queue.some((queued) => queued.id === command.id)) {
      this.context.ledger.secondOffers++;
      return;
    }
    const seen = this.commandLedger.status(command.id);
    if (seen) {
      // As the real agent does: not run again; a result saying so follows the real one in the outbox.
      this.context.ledger.secondOffers++;
      const now = new Date();
      this.outbox.push({
        kind: "reportResult",
        payload: {
          commandId: command.id,
          status: "failed",
          exitCode: null,
          output: "Not run: this agent already ran this command, and does not run one twice",
          startedAt: now,
          finishedAt: now,
          items: [],
          result: { notRun: "duplicate" },
        },
      });
      return;
    }
    this.queue.push(command);
    if (!this.working) void this.work();
  }

  private async work() {
    this.working = true;
    try {
      for (let command = this.queue.shift(); command; command = this.queue.shift()) {
        this.running = command;
        await this.execute(command);
        this.running = null;
      }
    } finally {
      this.working = false;
    }
  }

  private async progress(commandId: string, percent: number, message: string) {
    try {
      return await this.call((agent) =>
        agent.reportProgress.mutate({ commandId, percent, message }, { signal: this.signal(20_000) }),
      );
    } catch {
      return null; // progress is best effort, as in agent-bun's ProgressReporter
    }
  }

  private async execute(command: LeasedCommand) {
    const { stop, ledger } = this.context;
    const startedAt = new Date();
    this.commandLedger.start(command.id);
    const first = await this.progress(command.id, 0, `Started ${command.type}`);
    if (first?.cancelled) {
      this.commandLedger.finish(command.id);
      return;
    }
    ledger.record(
      {
        agentIndex: this.index,
        commandId: command.id,
        type: command.type,
        attempt: command.attempt,
        startedAt: this.context.recorder.now(),
      },
      command.type === "install" ? command.targets.map((target) => target.updateId) : [],
    );
    await pause(random(200, 800), stop);
    await this.progress(command.id, 50, "Halfway");
    await pause(random(200, 800), stop);
    const result = this.outcomeOf(command);
    this.outbox.push({
      kind: "reportResult",
      payload: { commandId: command.id, startedAt, finishedAt: new Date(), ...result },
    });
    // What changed on the host is reported by a fresh scan, after the result (as the real agent does).
    if (command.type === "install" || command.type === "scan") {
      this.outbox.push({ kind: "reportScan", payload: this.scanReport() });
    }
    this.commandLedger.finish(command.id);
    await this.deliver();
  }

  private outcomeOf(
    command: LeasedCommand,
  ): Omit<ReportResultInput, "commandId" | "startedAt" | "finishedAt"> {
    if (command.type === "install") {
      const items: ItemOutcome[] = command.targets.map((target) => {
        const found = this.packages.find(
          (candidate) =>
            candidate.name === target.packageName && candidate.availableVersion === target.availableVersion,
        );
        if (!found) {
          return {
            updateId: target.updateId,
            status: "failed",
            installedVersion: null,
            message: `${target.packageName} ${target.availableVersion} is not offered on this host`,
          };
        }
        found.installed = true;
        return {
          updateId: target.updateId,
          status: "installed",
          installedVersion: found.availableVersion,
          message: "",
          rollbackAvailable: true,
        };
      });
      const installed = items.filter((item) => item.status === "installed").length;
      const allInstalled = installed === items.length && items.length > 0;
      return {
        status: allInstalled ? "succeeded" : "failed",
        exitCode: allInstalled ? 0 : 100,
        output: `Setting up ${command.targets.map((target) => target.packageName).join(", ")}`,
        items,
        result: { installed, failed: items.length - installed, skipped: 0 },
      };
    }
    if (command.type === "scan") {
      this.release();
      const found = this.packages.filter((candidate) => !candidate.installed).length;
      return {
        status: "succeeded",
        exitCode: 0,
        output: `${found} updates found`,
        items: [],
        result: { updates: found },
      };
    }
    return { status: "succeeded", exitCode: 0, output: `${command.type} done`, items: [], result: {} };
  }

  /** A new package version appears on this host's repositories. */
  private release() {
    this.packages.push({
      name: `fleet-package-${this.packages.length}`,
      currentVersion: "1.0-1",
      availableVersion: "1.0-2",
      installed: false,
    });
  }

  private scanReport(): ReportScanInput {
    const now = new Date();
    const items: ScanItem[] = this.packages
      .filter((candidate) => !candidate.installed)
      .map((candidate) => ({
        packageName: candidate.name,
        target: "",
        currentVersion: candidate.currentVersion,
        availableVersion: candidate.availableVersion,
        severity: "unknown",
        security: false,
        cves: [],
        source: "Debian:12/bookworm",
        sizeBytes: 1000,
        metadata: {},
      }));
    return {
      scanners: [{ packageType: "apt", status: "ok", items }],
      startedAt: now,
      finishedAt: now,
      reportId: crypto.randomUUID(),
    };
  }

  /** Sends what waits in the outbox, oldest first; stops at the first failure worth retrying. */
  deliver(): Promise<void> {
    this.delivering ??= this.deliverOnce().finally(() => {
      this.delivering = null;
    });
    return this.delivering;
  }

  private async deliverOnce() {
    for (let entry = this.outbox[0]; entry; entry = this.outbox[0]) {
      try {
        if (entry.kind === "reportResult") {
          const payload = entry.payload;
          await this.call((agent) => agent.reportResult.mutate(payload, { signal: this.signal(20_000) }));
        } else {
          const payload = entry.payload;
          await this.call((agent) => agent.reportScan.mutate(payload, { signal: this.signal(20_000) }));
        }
      } catch (error) {
        if (this.dead || classifyCallError(error, entry.kind, this.context.url).retryable) return;
        this.context.rejections.push(
          `agent ${this.index}: ${entry.kind}${entry.kind === "reportResult" ? ` for ${entry.payload.commandId}` : ""} refused: ${(error as Error).message}`,
        );
      }
      this.outbox.shift();
    }
  }
}
