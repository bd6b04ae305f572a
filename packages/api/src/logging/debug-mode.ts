import { type Database, settings } from "@redflag/db";
import { eq } from "drizzle-orm";
import { settingSchemas } from "../services/settings/settings-schema.ts";
import { requestDebugLogging, serverLogger } from "./logger.ts";

const log = serverLogger("debug-mode");

/** How often a server reads the stored setting, so one saved on another instance applies here too. */
export const debugModeRefreshMs = 10_000;

/**
 * The debug mode of one server: on while the `debugMode` setting is on or REDFLAG_DEBUG=true. While
 * on, the process logs at debug (SQL statements with their duration, request bodies with secrets
 * redacted) and check-ins tell agents to log at debug too. The instance where it is saved switches
 * at once (`apply`); the others read the setting every `debugModeRefreshMs` (`start`).
 */
export class DebugMode {
  private stored = false;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly db: Database,
    /** REDFLAG_DEBUG=true: on whatever the setting says. */
    private readonly forced: boolean,
  ) {
    if (forced) requestDebugLogging(this, true);
  }

  get on(): boolean {
    return this.forced || this.stored;
  }

  /** The setting as just saved on this instance. */
  apply(stored: boolean): void {
    if (stored === this.stored) return;
    this.stored = stored;
    requestDebugLogging(this, this.on);
    log.info("Debug mode is {state}", {
      state: this.on ? "on" : "off",
      setting: stored,
      forced: this.forced,
    });
  }

  /** Reads the stored setting (one indexed row) and applies it. */
  async refresh(): Promise<boolean> {
    const [row] = await this.db
      .select({ value: settings.value })
      .from(settings)
      .where(eq(settings.key, "debugMode"));
    const parsed = settingSchemas.debugMode.safeParse(row?.value);
    this.apply(parsed.success ? parsed.data : false);
    return this.on;
  }

  /** Reads the setting now and then every `intervalMs` (0: only now). */
  async start(intervalMs = debugModeRefreshMs): Promise<void> {
    await this.refresh();
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => {
        log.warn("Reading the debug mode setting failed: {message}", {
          message: error instanceof Error ? error.message : String(error),
        });
      });
    }, intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    requestDebugLogging(this, false);
  }
}
