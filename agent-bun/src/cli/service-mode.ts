import { type LoadedConfig, saveConfig, serverUrlSchema } from "../config/config.ts";
import { stateFiles } from "../config/paths.ts";
import type { AgentEnvironment } from "../environment.ts";
import { ExitError, exitCodes, requireRoot } from "../errors.ts";
import { collectHostFacts } from "../host/facts.ts";
import {
  defaultInstallPath,
  installService,
  type ServiceOptions,
  uninstallService,
} from "../service/index.ts";
import { registerAgent } from "../transport/client.ts";
import { agentVersion } from "../version.ts";

/** What a registration token may look like; the server decides whether it is valid. */
export const registrationTokenPattern = /^[\x21-\x7e]{10,200}$/;

export type ServiceRequest = {
  install: boolean;
  server: string | undefined;
  token: string | undefined;
  purge: boolean;
};

/**
 * `--install-service` and `--uninstall-service`: every argument is checked before anything on the
 * machine changes; the work itself is in service/.
 */
export async function runServiceMode(
  request: ServiceRequest,
  config: LoadedConfig,
  environment: AgentEnvironment,
  io: { stdout: (text: string) => void; stderr: (text: string) => void },
  usage: (message: string) => never,
): Promise<number> {
  requireRoot(request.install ? "Installing the service" : "Removing the service", environment.platform);
  const base = {
    installPath: defaultInstallPath(environment.platform),
    currentBinaryPath: process.execPath,
    configPath: config.path,
    stateDirectory: config.stateDirectory,
    purge: request.purge,
  };
  if (!request.install) {
    await uninstallService(
      { ...base, serverUrl: "", registrationToken: null, fingerprint: null, ensureRegistered },
      io,
    );
    return exitCodes.ok;
  }
  if (agentVersion === "0.0.0-source") {
    throw new ExitError("--install-service installs the compiled agent binary, not a run from source", {
      exitCode: exitCodes.usage,
    });
  }
  const serverText = request.server ?? environment.serverUrl ?? config.file.serverUrl;
  if (!serverText) usage("--install-service needs --server URL (or REDFLAG_SERVER_URL)");
  const server = serverUrlSchema.safeParse(serverText);
  if (!server.success) usage(`Invalid server URL ${JSON.stringify(serverText)}: must be http:// or https://`);
  const registered = config.file.registration;
  const keep = registered !== undefined && config.file.serverUrl === server.data;
  const token = request.token;
  if (token !== undefined && !registrationTokenPattern.test(token))
    usage("The registration token looks wrong (10–200 printable characters)");
  if (!keep && token === undefined) {
    usage(`--install-service needs --token TOKEN: this machine is not registered with ${server.data}`);
  }
  const options: ServiceOptions = {
    ...base,
    serverUrl: server.data,
    registrationToken: token ?? null,
    fingerprint: null,
    ensureRegistered: async () => {
      if (keep) return { kind: "kept", agentId: registered.agentId };
      const host = collectHostFacts(stateFiles(config.stateDirectory).machineId);
      const result = await registerAgent(server.data, token as string, host);
      saveConfig(config, {
        ...config.file,
        serverUrl: server.data,
        registration: result.registration,
        pollIntervalSeconds: result.pollIntervalSeconds,
      });
      return { kind: "registered", agentId: result.registration.agentId };
    },
  };
  const result = await installService(options, io);
  return result.kind === "noServiceManager" ? exitCodes.noServiceManager : exitCodes.ok;
}

async function ensureRegistered(): Promise<never> {
  throw new Error("uninstalling never registers");
}
