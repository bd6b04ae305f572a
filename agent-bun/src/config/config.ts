import { maxLongPollSeconds } from "@redflag/contracts";
import { z } from "zod";
import type { AgentEnvironment } from "../environment.ts";
import { ExitError, exitCodes } from "../errors.ts";
import { agentIdPattern } from "../limits.ts";
import { serverKeySchema } from "../trust/keys.ts";
import { readFileIfExists, writeFileAtomically } from "./files.ts";
import { defaultPaths } from "./paths.ts";

export const serverUrlSchema = z
  .string()
  .max(2048)
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (url.protocol === "http:" || url.protocol === "https:") && !url.username && !url.password;
      } catch {
        return false;
      }
    },
    { message: "must be an http:// or https:// URL without credentials" },
  )
  .transform((value) => value.replace(/\/+$/, ""));

const tokenSchema = z.string().min(20).max(512);
const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((value) => value.startsWith("/") || /^[A-Za-z]:[\\/]/.test(value), {
    message: "must be an absolute path",
  });

export const registrationSchema = z.object({
  agentId: z.string().regex(agentIdPattern, { message: "must be an agent id (agt_…)" }),
  accessToken: tokenSchema,
  accessTokenExpiresAt: z.coerce.date(),
  refreshToken: tokenSchema,
  refreshTokenExpiresAt: z.coerce.date(),
  registeredAt: z.coerce.date(),
});
export type Registration = z.infer<typeof registrationSchema>;

/** At most this many server URLs (docs/failover.md). */
export const maxServerUrls = 8;

/** Several server URLs of one deployment, first the preferred one: valid, distinct, 1 to 8. */
export const serverUrlListSchema = z
  .array(serverUrlSchema)
  .min(1)
  .max(maxServerUrls)
  .refine((urls) => new Set(urls).size === urls.length, { message: "must not name a server twice" });

/** The config file: settings an operator may write by hand, and the registration the agent writes. */
const configFileObjectSchema = z.strictObject({
  /** The server, or with `serverUrls` the first of them (kept so older agents read the file). */
  serverUrl: serverUrlSchema.optional(),
  /**
   * Servers of one deployment (same database, same keys), the preferred first: the agent moves to
   * the next when one cannot be reached, and back to the first once it answers (transport/failover.ts).
   */
  serverUrls: serverUrlListSchema.optional(),
  /** While on another server, how often the agent asks whether the first answers again. */
  serverProbeSeconds: z.number().int().min(5).max(86_400).default(120),
  registration: registrationSchema.optional(),
  /**
   * The server's signing keys pinned at registration: commands and agent binaries must be signed by
   * one of them (or by a key they announced since, kept in the state directory).
   */
  serverKeys: z.array(serverKeySchema).max(10).optional(),
  /** Server-set, remembered so a restart keeps the pace. */
  pollIntervalSeconds: z.number().int().min(5).max(86_400).default(300),
  /** Upper bound of the random delay added to each poll (spreads a fleet's check-ins). */
  pollJitterSeconds: z.number().min(0).max(30).default(30),
  /** Long polls when the server holds them (daemon/long-poll.ts); false polls plainly, as older agents. */
  longPoll: z.boolean().default(true),
  /** The longest the agent asks the server to hold a check-in; keep it under any proxy's read timeout. */
  longPollMaxSeconds: z.number().int().min(1).max(maxLongPollSeconds).default(50),
  /** How often the daemon scans on its own, besides scans the server asks for. */
  scanIntervalSeconds: z
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(6 * 3600),
  stateDirectory: absolutePath.optional(),
  apt: z
    .strictObject({
      /** Passed to apt as APT_CONFIG: points the scanner and installer at another apt configuration. */
      configFile: absolutePath.optional(),
      rebootRequiredFile: absolutePath.default("/run/reboot-required"),
      /** How long apt waits for another apt or dpkg to let go of its locks before the step fails. */
      lockTimeoutSeconds: z.number().int().min(0).max(3600).default(300),
    })
    .default({ rebootRequiredFile: "/run/reboot-required", lockTimeoutSeconds: 300 }),
  /** DNF: on by default on RPM-based hosts with dnf; the paths point it at an isolated root. */
  dnf: z
    .strictObject({
      /** true or false overrides the detection (tests force it on; hosts may turn it off). */
      enabled: z.boolean().optional(),
      program: z.string().min(1).max(4096).optional(),
      configFile: absolutePath.optional(),
      installRoot: absolutePath.optional(),
      releaseVersion: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,64}$/)
        .optional(),
      reposDir: absolutePath.optional(),
      disablePlugins: z
        .array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/))
        .max(20)
        .optional(),
    })
    .default({}),
  /** Docker images: on when the engine answers on DOCKER_HOST (or the default socket). */
  docker: z
    .strictObject({
      enabled: z.boolean().optional(),
      /** Overrides DOCKER_HOST: `unix:///path` or `tcp://host:port`. */
      host: z.string().min(1).max(4096).optional(),
      /** The Docker CLI's config.json with registry credentials (default: DOCKER_CONFIG or ~/.docker). */
      configFile: absolutePath.optional(),
      /** Registries spoken to over plain HTTP, as Docker's "insecure-registries". */
      insecureRegistries: z.array(z.string().min(1).max(300)).max(100).optional(),
      /** Seconds a container gets to stop before it is replaced. */
      stopTimeoutSeconds: z.number().int().min(0).max(600).optional(),
    })
    .default({}),
  /**
   * Local hooks (agent-bun/docs/hooks.md): programs the host's admin puts in the hooks directory, run
   * before and after installs and before a reboot. Only this file names where they are.
   */
  hooks: z
    .strictObject({
      /** Default /etc/aggregator/hooks.d (%ProgramData%\\RedFlag\\hooks.d on Windows). */
      directory: absolutePath.optional(),
      /** A hook still running after this long is stopped and counts as failed. */
      timeoutSeconds: z.number().int().min(1).max(86_400).default(600),
    })
    .default({ timeoutSeconds: 600 }),
  /** Windows Update: on when running on Windows. */
  windowsUpdate: z
    .strictObject({
      enabled: z.boolean().optional(),
      /** The PowerShell to run (default powershell.exe from PATH). */
      powershell: z.string().min(1).max(4096).optional(),
    })
    .default({}),
  /** winget: on when running on Windows. */
  winget: z
    .strictObject({
      enabled: z.boolean().optional(),
      /** The winget to run (default winget from PATH; a service account may need the full path). */
      program: z.string().min(1).max(4096).optional(),
    })
    .default({}),
});
export const configFileSchema = configFileObjectSchema.refine(
  (file) => !file.serverUrls || !file.serverUrl || file.serverUrl === file.serverUrls[0],
  { message: "serverUrl, when serverUrls is given too, must be its first URL", path: ["serverUrl"] },
);
export type ConfigFile = z.infer<typeof configFileSchema>;

/** The servers the config names, the preferred first: `serverUrls`, else the one `serverUrl`. */
export function serverUrlsOf(file: Pick<ConfigFile, "serverUrl" | "serverUrls">): string[] {
  if (file.serverUrls) return file.serverUrls;
  return file.serverUrl ? [file.serverUrl] : [];
}

/**
 * The server fields to write for `urls`: one URL keeps the old shape (`serverUrl` only), several
 * write both, so an agent of an older version still finds its first server.
 */
export function serverUrlFields(urls: string[]): Pick<ConfigFile, "serverUrl" | "serverUrls"> {
  const [first] = urls;
  if (first === undefined) throw new Error("a registration always names a server");
  return urls.length === 1
    ? { serverUrl: first, serverUrls: undefined }
    : { serverUrl: first, serverUrls: urls };
}

export type LoadedConfig = {
  path: string;
  exists: boolean;
  file: ConfigFile;
  stateDirectory: string;
};

export function configPath(environment: AgentEnvironment): string {
  return environment.configPath ?? defaultPaths(environment).config;
}

/** Reads and validates the config file; a missing file is an empty config (not registered). */
export function loadConfig(environment: AgentEnvironment): LoadedConfig {
  const path = configPath(environment);
  let text: string | null;
  try {
    text = readFileIfExists(path);
  } catch (error) {
    throw new ExitError(`Cannot read the config file ${path}: ${(error as Error).message}`, {
      exitCode: (error as NodeJS.ErrnoException).code === "EACCES" ? exitCodes.notRoot : exitCodes.internal,
      cause: error,
    });
  }
  let raw: unknown = {};
  if (text !== null) {
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new ExitError(`The config file ${path} is not valid JSON: ${(error as Error).message}`, {
        exitCode: exitCodes.usage,
        cause: error,
      });
    }
  }
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join(".") || "(file)"}: ${issue.message}`)
      .join("; ");
    throw new ExitError(`The config file ${path} is invalid: ${problems}`, {
      exitCode: exitCodes.usage,
      cause: parsed.error,
    });
  }
  const file = parsed.data;
  return {
    path,
    exists: text !== null,
    file,
    stateDirectory: stateDirectoryOf(environment, file),
  };
}

/** The state directory: REDFLAG_STATE_DIR, else the config file's, else the platform's default. */
export function stateDirectoryOf(environment: AgentEnvironment, file: ConfigFile): string {
  return environment.stateDirectory ?? file.stateDirectory ?? defaultPaths(environment).stateDirectory;
}

export function saveConfig(config: LoadedConfig, file: ConfigFile) {
  try {
    writeFileAtomically(config.path, `${JSON.stringify(file, null, 2)}\n`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ExitError(
      `Cannot write the config file ${config.path}: ${(error as Error).message}${
        code === "EACCES" || code === "EPERM" ? " (run as root / Administrator)" : ""
      }`,
      {
        exitCode: code === "EACCES" || code === "EPERM" ? exitCodes.notRoot : exitCodes.internal,
        cause: error,
      },
    );
  }
  config.file = file;
}

export type RegisteredConfig = LoadedConfig & {
  file: ConfigFile & { registration: Registration };
};

export function requireRegistration(config: LoadedConfig): RegisteredConfig {
  if (!config.file.registration || serverUrlsOf(config.file).length === 0) {
    throw new ExitError(
      `This agent is not registered (no registration in ${config.path}). Run: redflag-agent --register --server URL --token TOKEN`,
      { exitCode: exitCodes.notRegistered },
    );
  }
  return config as RegisteredConfig;
}
