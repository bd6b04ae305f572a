import { join } from "node:path";

/** The one place the agent reads its environment; read once, at start. */
export type AgentEnvironment = {
  /** Overrides the config file's location (AGENT_CONFIG_PATH). */
  configPath: string | null;
  /** Server URL used by `--register` when `--server` is not given (REDFLAG_SERVER_URL). */
  serverUrl: string | null;
  /** Overrides the state directory: scan cache, outbox, lock (REDFLAG_STATE_DIR). */
  stateDirectory: string | null;
  platform: NodeJS.Platform;
  /** Where Windows keeps machine-wide program data. */
  programData: string;
  /** Where Windows installs programs (the service's exe goes in its RedFlag folder). */
  programFiles: string;
  /** The Docker engine to ask (DOCKER_HOST); null means the platform's default socket. */
  dockerHost: string | null;
  /** Where the Docker CLI keeps config.json (DOCKER_CONFIG, else ~/.docker). */
  dockerConfigDirectory: string | null;
  /** The terminal's width as COLUMNS gives it (tables fit it when stdout is a pipe); null when unset. */
  columns: number | null;
};

function nonEmpty(value: string | undefined): string | null {
  return value && value.trim() !== "" ? value : null;
}

export function readEnvironment(source: Record<string, string | undefined> = process.env): AgentEnvironment {
  return {
    configPath: nonEmpty(source.AGENT_CONFIG_PATH),
    serverUrl: nonEmpty(source.REDFLAG_SERVER_URL),
    stateDirectory: nonEmpty(source.REDFLAG_STATE_DIR),
    platform: process.platform,
    programData: nonEmpty(source.ProgramData) ?? nonEmpty(source.PROGRAMDATA) ?? "C:\\ProgramData",
    programFiles: nonEmpty(source.ProgramFiles) ?? nonEmpty(source.PROGRAMFILES) ?? "C:\\Program Files",
    dockerHost: nonEmpty(source.DOCKER_HOST),
    dockerConfigDirectory:
      nonEmpty(source.DOCKER_CONFIG) ??
      ((home) => (home === null ? null : join(home, ".docker")))(
        nonEmpty(source.HOME) ?? nonEmpty(source.USERPROFILE),
      ),
    columns: ((columns) => (Number.isInteger(columns) && columns > 0 ? columns : null))(
      Number(source.COLUMNS),
    ),
  };
}

let current: AgentEnvironment | null = null;

/**
 * The environment as read at start, for code that is handed only the config (scanners and
 * installers are built from the config file by their registries).
 */
export function currentEnvironment(): AgentEnvironment {
  current ??= readEnvironment();
  return current;
}

/** The environment for a child process: ours, with `overrides` on top (undefined removes a variable). */
export function childEnvironment(overrides: Record<string, string | undefined>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, ...overrides })) {
    if (value !== undefined) result[key] = value;
  }
  return result;
}
