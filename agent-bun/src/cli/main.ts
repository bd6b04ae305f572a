import { hostname } from "node:os";
import { Command, CommanderError, Option } from "commander";
import { type LoadedConfig, loadConfig, serverUrlsOf } from "../config/config.ts";
import { defaultPaths, stateFiles } from "../config/paths.ts";
import { checkInModeLine } from "../daemon/long-poll.ts";
import type { AgentEnvironment } from "../environment.ts";
import { ExitError, exitCodeFor, exitCodes, requireRoot } from "../errors.ts";
import {
  describeScanFailures,
  exportCsv,
  exportJson,
  renderUpdatesTable,
  updateRows,
} from "../output/updates.ts";
import { runScan, saveLastScan } from "../scan.ts";
import { loadScanCache, type ScanCache } from "../scan-cache.ts";
import { agentVersion } from "../version.ts";

// Each mode loads what only it needs when it runs (the daemon, registration's tRPC client, service
// installation, the outbox): `--scan` starts without them, and so finishes sooner.

export type CliIo = {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The terminal's width in columns; when not given, see `terminalWidth`. */
  columns?: number;
};

/** The width tables fit: the terminal's, else COLUMNS (when stdout is a pipe), else 80. */
export function terminalWidth(stdoutColumns: number | undefined, columnsVariable: number | null): number {
  if (stdoutColumns !== undefined && stdoutColumns > 0) return stdoutColumns;
  return columnsVariable ?? 80;
}

/** Help never wider than this, however wide the terminal. */
const maxHelpWidth = 80;
const seeHelp = "(see redflag-agent --help)";

type Options = {
  register?: boolean;
  server?: string[];
  token?: string;
  fingerprint?: string;
  scan?: boolean;
  status?: boolean;
  listUpdates?: boolean;
  export?: "json" | "csv";
  daemon?: boolean;
  installService?: boolean;
  uninstallService?: boolean;
  purge?: boolean;
};

/** The parser; it prints help and the version, while its errors are printed by `main` like the agent's own. */
function buildProgram(environment: AgentEnvironment, io: CliIo, width: number) {
  const paths = defaultPaths(environment);
  const helpWidth = () => Math.min(width, maxHelpWidth);
  return new Command()
    .name("redflag-agent")
    .description(
      "RedFlag agent: finds pending updates on this machine, reports them to the RedFlag server and installs the ones an admin approves. Without options, a registered agent runs as a daemon.",
    )
    .version(agentVersion, "-v, --version", "print the agent version")
    .helpOption("-h, --help", "show this help")
    .option("--register", "register this machine with a server (needs --server and --token)")
    .option(
      "--server <url>",
      "server URL for --register; repeat it (or give a comma list) for servers of one deployment to fail over between, the preferred first (default: REDFLAG_SERVER_URL)",
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option("--token <token>", "registration token for --register")
    .option(
      "--fingerprint <SHA256:...>",
      "with --register or --install-service: the server's signing key fingerprint (Add agent page); a server with another key is refused",
    )
    .option("--scan", "scan for updates now, print them and cache the result")
    .option("--status", "show registration, server, last check-in and last scan")
    .option("--list-updates", "print the updates found by the last scan")
    .addOption(
      new Option("--export <format>", "write the last scan's updates to stdout as json or csv").choices([
        "json",
        "csv",
      ]),
    )
    .option("--daemon", "run the poll loop (the default when registered)")
    .option(
      "--install-service",
      "install this binary as a service (systemd; on Windows the RedFlagAgent service) and start it; registers first (--server, --token) unless already registered with that server",
    )
    .option("--uninstall-service", "stop and remove the service and the installed binary")
    .option("--purge", "with --uninstall-service: remove the config and state too")
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      outputError: () => {},
      getOutHelpWidth: helpWidth,
      getErrHelpWidth: helpWidth,
    })
    .addHelpText(
      "after",
      `
When a scanner fails, its last good result is kept and shown marked stale;
why goes to stderr, and the exit code is 7.

Config file:      ${paths.config} (or AGENT_CONFIG_PATH)
State directory:  ${paths.stateDirectory} (or REDFLAG_STATE_DIR),
                  with the scan cache, the outbox and the lock
Exit codes:
  0 ok               1 internal error   2 usage
  3 not registered   4 needs root       5 server unreachable
  6 token refused    7 scan failed      8 another agent is running
  9 server rejected the request
  10 installed, but systemd is not running: start --daemon by other means
  11 the server's signing key is not the expected one`,
    );
}

/** Runs the CLI; returns the exit code. The only place that turns errors into exit codes. */
export async function main(argv: string[], environment: AgentEnvironment, io: CliIo): Promise<number> {
  const width = io.columns ?? terminalWidth(process.stdout.columns, environment.columns);
  try {
    const options = parseArguments(argv, environment, io, width);
    return options ? await dispatch(options, environment, io, width) : exitCodes.ok;
  } catch (error) {
    return exitCodeFor(error, io.stderr);
  }
}

/** The options, or null when commander answered them itself (--help, --version). */
function parseArguments(argv: string[], environment: AgentEnvironment, io: CliIo, width: number) {
  const program = buildProgram(environment, io, width);
  try {
    program.parse(argv, { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.exitCode === 0) return null;
    // "error: unknown option '--sacn'\n(Did you mean --scan?)" → one line in the agent's words.
    const message = error.message.replace(/^error: /, "").replace(/\s*\n\s*/g, " ");
    throw new ExitError(`${message} ${seeHelp}`, { exitCode: exitCodes.usage, cause: error });
  }
  return program.opts<Options>();
}

function usage(message: string): never {
  throw new ExitError(`${message} ${seeHelp}`, { exitCode: exitCodes.usage });
}

async function dispatch(
  options: Options,
  environment: AgentEnvironment,
  io: CliIo,
  width: number,
): Promise<number> {
  const modes = [
    options.register,
    options.scan,
    options.status,
    options.listUpdates,
    options.daemon,
    options.installService,
    options.uninstallService,
  ].filter(Boolean).length;
  if (modes > 1)
    usage(
      "Choose one of --register, --scan, --status, --list-updates, --daemon, --install-service, --uninstall-service",
    );
  if ((options.server || options.token) && !options.register && !options.installService)
    usage("--server and --token go with --register or --install-service");
  if (options.purge && !options.uninstallService) usage("--purge goes with --uninstall-service");
  if (
    options.export &&
    (options.register ||
      options.status ||
      options.daemon ||
      options.installService ||
      options.uninstallService)
  ) {
    usage("--export goes alone, or with --scan or --list-updates");
  }
  const config = loadConfig(environment);
  const files = stateFiles(config.stateDirectory);

  if (options.register) return register(options, config, environment, io);
  if (options.installService || options.uninstallService) {
    const request = {
      install: options.installService === true,
      server: options.server,
      token: options.token,
      fingerprint: options.fingerprint,
      purge: options.purge === true,
    };
    const { runServiceMode } = await import("./service-mode.ts");
    return runServiceMode(request, config, environment, io, usage);
  }
  if (options.status) return await status(config, environment, io);
  if (options.scan) {
    requireRoot("Scanning (apt-get update)", environment.platform);
    const scan = await runScan(config.file);
    return showUpdates(saveLastScan(files.lastScan, scan), options.export, width, io);
  }
  if (options.listUpdates || options.export) {
    const scan = loadScanCache(files.lastScan);
    if (!scan) {
      throw new ExitError(`No scan yet (${files.lastScan} is missing): run --scan first`, {
        exitCode: exitCodes.scanFailed,
      });
    }
    return showUpdates(scan, options.export, width, io);
  }
  const { runDaemonMode } = await import("../daemon/start.ts");
  return runDaemonMode(environment, io.stderr);
}

/**
 * Updates to stdout (a table or an export); failed scanners, and how old the updates kept from
 * before they failed are, to stderr and the exit code, so a script never takes them for current.
 */
function showUpdates(scan: ScanCache, format: Options["export"], width: number, io: CliIo): number {
  if (format === "json") io.stdout(exportJson(scan, hostname()));
  else if (format === "csv") io.stdout(exportCsv(scan));
  else io.stdout(`${renderUpdatesTable(scan, width)}\n`);
  const failures = describeScanFailures(scan);
  for (const failure of failures) io.stderr(`redflag-agent: ${failure}\n`);
  return failures.length > 0 ? exitCodes.scanFailed : exitCodes.ok;
}

async function register(options: Options, config: LoadedConfig, environment: AgentEnvironment, io: CliIo) {
  const serverTexts =
    options.server ?? (environment.serverUrl ? [environment.serverUrl] : serverUrlsOf(config.file));
  if (serverTexts.length === 0) usage("--register needs --server URL (or REDFLAG_SERVER_URL)");
  const { fingerprintProblem, parseServerUrls, registerAndSave, registrationTokenPattern } = await import(
    "./registration.ts"
  );
  if (!options.token) usage("--register needs --token TOKEN");
  const servers = parseServerUrls(serverTexts);
  if ("problem" in servers) usage(servers.problem);
  if (!registrationTokenPattern.test(options.token))
    usage("The registration token looks wrong (10–200 printable characters)");
  const problem = fingerprintProblem(options.fingerprint);
  if (problem) usage(problem);
  const registration = await registerAndSave(
    servers.urls,
    options.token,
    options.fingerprint,
    config,
    io.stderr,
  );
  io.stdout(
    `Registered as ${registration.agentId} with ${servers.urls.join(", ")}\nConfig written to ${config.path}\n`,
  );
  return exitCodes.ok;
}

async function status(config: LoadedConfig, environment: AgentEnvironment, io: CliIo): Promise<number> {
  const [{ loadDaemonState }, { Outbox }, { describeHooks }, { describeServer }] = await Promise.all([
    import("../daemon/state.ts"),
    import("../transport/outbox.ts"),
    import("../hooks/hooks.ts"),
    import("../transport/failover.ts"),
  ]);
  const files = stateFiles(config.stateDirectory);
  const registration = config.file.registration;
  const state = loadDaemonState(files.daemonState);
  const scan = loadScanCache(files.lastScan);
  const failed = scan?.scanners.filter((scanner) => scanner.status === "error") ?? [];
  const pending = new Outbox(files.outbox).pending().length;
  const lines = [
    `Agent version:   ${agentVersion}`,
    `Config:          ${config.path}${config.exists ? "" : " (missing)"}`,
    `Registered:      ${registration ? `yes, as ${registration.agentId} since ${registration.registeredAt.toISOString()}` : "no"}`,
    `Server:          ${describeServer(state.server, serverUrlsOf(config.file))}`,
    `Poll interval:   ${config.file.pollIntervalSeconds} s`,
    `Check-ins:       ${checkInModeLine(state.checkInMode, config.file)}`,
    `Last check-in:   ${state.lastCheckInAt?.toISOString() ?? "never"}`,
    `Last scan:       ${
      scan
        ? `${scan.finishedAt.toISOString()}, ${updateRows(scan).length} updates${failed.length > 0 ? ` (failed: ${failed.map((scanner) => scanner.packageType).join(", ")}; see --list-updates)` : ""}`
        : "never"
    }`,
    `Last report:     ${state.lastScanReportedAt?.toISOString() ?? "never"}`,
    `Outbox:          ${pending} waiting`,
    `Hooks:           ${describeHooks(config.file, environment)}`,
    ...(state.lastError ? [`Last error:      ${state.lastError}`] : []),
  ];
  io.stdout(`${lines.join("\n")}\n`);
  return registration ? exitCodes.ok : exitCodes.notRegistered;
}
