import {
  type CommandType,
  commandStatuses,
  commandTypes,
  notificationDeliveryStatuses,
  notificationEvents,
  osTypes,
  packageTypes,
  severities,
} from "@redflag/contracts";
import type { DatabaseHandle } from "@redflag/db";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { RequestRecord } from "../observability/requests.ts";
import { type Fleet, readFleet } from "./read-fleet.ts";

export type ServerMetricsOptions = Pick<DatabaseHandle, "db" | "driver" | "ping"> & {
  version: string;
  /** Every procedure of the API: the only values the `procedure` label takes (anything else is "other"). */
  procedures: readonly string[];
};

/** Long polls hold a check-in up to a minute, so the buckets go past prom-client's 10 s. */
const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Answers to a check-in, as an operator reads them: taken, refused (credentials, rate limit) or failed. */
function checkInOutcome(status: number): "ok" | "refused" | "failed" {
  if (status < 400) return "ok";
  if (status === 401 || status === 403 || status === 429) return "refused";
  return "failed";
}

/**
 * This server's Prometheus metrics, scraped at /metrics (metrics-handler.ts). One registry per
 * instance (two servers may share a test process). Counters count what this instance saw since it
 * started (Prometheus sums instances); gauges of the fleet are read from the database at each scrape.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly procedures: ReadonlySet<string>;
  private scraping: Promise<string> | null = null;

  private readonly requestDuration = new Histogram({
    name: "redflag_api_request_duration_seconds",
    help: "Time to answer an API request, by procedure (a batch counts once for each procedure in it), transport and HTTP status.",
    labelNames: ["procedure", "transport", "code"] as const,
    buckets: durationBuckets,
    registers: [this.registry],
  });

  private readonly checkIns = new Counter({
    name: "redflag_agent_check_ins_total",
    help: "Agent check-ins answered by this instance, by outcome (ok, refused, failed).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  private readonly installResults = new Counter({
    name: "redflag_install_results_total",
    help: "Install results reported by agents and recorded by this instance, by status (succeeded, failed).",
    labelNames: ["status"] as const,
    registers: [this.registry],
  });

  private readonly agents = new Gauge({
    name: "redflag_agents",
    help: "Registered agents by presence (online, offline, never checked in) and OS type.",
    labelNames: ["presence", "os_type"] as const,
    registers: [this.registry],
  });

  private readonly pendingUpdates = new Gauge({
    name: "redflag_updates_pending",
    help: "Updates waiting to be dealt with (available or approved), by package type, severity and security.",
    labelNames: ["package_type", "severity", "security"] as const,
    registers: [this.registry],
  });

  private readonly commands = new Gauge({
    name: "redflag_commands",
    help: "Commands in the database by type and status.",
    labelNames: ["type", "status"] as const,
    registers: [this.registry],
  });

  private readonly deliveries = new Gauge({
    name: "redflag_notification_deliveries",
    help: "Notification deliveries in the database by status (pending, sent, failed) and event.",
    labelNames: ["status", "event"] as const,
    registers: [this.registry],
  });

  private readonly databaseUp = new Gauge({
    name: "redflag_database_up",
    help: "1 when the database answered this scrape's ping and queries, 0 when it did not.",
    registers: [this.registry],
  });

  private readonly databasePing = new Gauge({
    name: "redflag_database_ping_seconds",
    help: "Round trip of a `select 1` to the database at this scrape.",
    registers: [this.registry],
  });

  private readonly fleetRead = new Gauge({
    name: "redflag_metrics_database_read_seconds",
    help: "Time this scrape took to read the fleet gauges from the database.",
    registers: [this.registry],
  });

  constructor(private readonly options: ServerMetricsOptions) {
    this.procedures = new Set(options.procedures);
    collectDefaultMetrics({ register: this.registry });
    // Counters start at 0 for every outcome, so rate() sees the first increment.
    for (const status of ["succeeded", "failed"]) this.installResults.inc({ status }, 0);
    for (const outcome of ["ok", "refused", "failed"]) this.checkIns.inc({ outcome }, 0);
    new Gauge({
      name: "redflag_build_info",
      help: "Always 1; the labels say which server version and database driver answer.",
      labelNames: ["version", "driver"] as const,
      registers: [this.registry],
    }).set({ version: options.version, driver: options.driver }, 1);
  }

  /** Called once per answered API request (http.ts). */
  readonly observeRequest = (record: RequestRecord): void => {
    const seconds = record.durationMs / 1000;
    const named = record.procedure ? record.procedure.split(",") : ["other"];
    for (const name of named) {
      const procedure = this.procedures.has(name) ? name : "other";
      this.requestDuration.observe(
        { procedure, transport: record.transport, code: String(record.status) },
        seconds,
      );
      if (procedure === "agent.checkIn") this.checkIns.inc({ outcome: checkInOutcome(record.status) });
    }
  };

  /** Called once a command's result is recorded (services/commands/report-result.ts). */
  readonly observeResult = (result: { commandType: CommandType; status: "succeeded" | "failed" }) => {
    if (result.commandType === "install") this.installResults.inc({ status: result.status });
  };

  /** The exposition text (Prometheus 0.0.4); scrapes that overlap share one database read. */
  scrape(): Promise<string> {
    this.scraping ??= this.collect().finally(() => {
      this.scraping = null;
    });
    return this.scraping;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async collect(): Promise<string> {
    const fleetGauges = [this.agents, this.pendingUpdates, this.commands, this.deliveries];
    for (const gauge of fleetGauges) gauge.reset();
    try {
      this.databasePing.set((await this.options.ping()) / 1000);
      const started = performance.now();
      const fleet = await readFleet(this.options.db, new Date());
      this.fleetRead.set((performance.now() - started) / 1000);
      this.setFleet(fleet);
      this.databaseUp.set(1);
    } catch {
      // The scrape still answers (process and request metrics); the gauges read from the database are
      // left out, and redflag_database_up says why.
      this.databaseUp.set(0);
      for (const gauge of fleetGauges) gauge.reset();
    }
    return this.registry.metrics();
  }

  /** Every known label combination is written, 0 included, so a count that falls to 0 shows 0 rather than vanishing. */
  private setFleet(fleet: Fleet) {
    for (const presence of ["online", "offline", "never"] as const) {
      for (const osType of osTypes) this.agents.set({ presence, os_type: osType }, 0);
    }
    for (const row of fleet.agentRows) {
      this.agents.set({ presence: row.presence, os_type: row.osType }, row.count);
    }
    for (const packageType of packageTypes) {
      for (const severity of severities) {
        for (const security of ["true", "false"]) {
          this.pendingUpdates.set({ package_type: packageType, severity, security }, 0);
        }
      }
    }
    for (const row of fleet.updateRows) {
      this.pendingUpdates.set(
        { package_type: row.packageType, severity: row.severity, security: String(row.security) },
        row.count,
      );
    }
    for (const type of commandTypes) {
      for (const status of commandStatuses) this.commands.set({ type, status }, 0);
    }
    for (const row of fleet.commandRows) this.commands.set({ type: row.type, status: row.status }, row.count);
    for (const status of notificationDeliveryStatuses) {
      for (const event of notificationEvents) this.deliveries.set({ status, event }, 0);
    }
    for (const row of fleet.deliveryRows) {
      this.deliveries.set({ status: row.status, event: row.event }, row.count);
    }
  }
}
