import { type LoadedConfig, saveConfig, serverUrlFields, serverUrlsOf } from "../config/config.ts";
import type { AgentEnvironment } from "../environment.ts";
import { ExitError, exitCodes, requireRoot } from "../errors.ts";
import {
  defaultInstallPath,
  installService,
  type ServiceOptions,
  uninstallService,
} from "../service/index.ts";
import { type DownloadedTrust, verifyOwnBinary } from "../service/verify-self.ts";
import { signatureBytes } from "../trust/checksums.ts";
import { toServerKey } from "../trust/keys.ts";
import { agentTarget, agentVersion } from "../version.ts";
import {
  fingerprintProblem,
  parseServerUrls,
  registerAndSave,
  registrationTokenPattern,
} from "./registration.ts";

export type ServiceRequest = {
  install: boolean;
  /** --server, each as given (a URL or a comma list). */
  server: string[] | undefined;
  token: string | undefined;
  fingerprint: string | undefined;
  purge: boolean;
};

type Io = { stdout: (text: string) => void; stderr: (text: string) => void };

/**
 * `--install-service` and `--uninstall-service`: every argument is checked, and with --fingerprint
 * this binary is checked against the server's signed SHA256SUMS, before anything on the machine
 * changes; the work itself is in service/.
 */
export async function runServiceMode(
  request: ServiceRequest,
  config: LoadedConfig,
  environment: AgentEnvironment,
  io: Io,
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
    const ensureRegistered = () => Promise.reject(new Error("uninstalling never registers"));
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
  const serverTexts =
    request.server ?? (environment.serverUrl ? [environment.serverUrl] : serverUrlsOf(config.file));
  if (serverTexts.length === 0) usage("--install-service needs --server URL (or REDFLAG_SERVER_URL)");
  const servers = parseServerUrls(serverTexts);
  if ("problem" in servers) usage(servers.problem);
  // The first server: the service is installed from it, and a registration with it is kept.
  const server = { data: servers.urls[0] as string };
  const registered = config.file.registration;
  const keep = registered !== undefined && serverUrlsOf(config.file)[0] === server.data;
  const token = request.token;
  if (token !== undefined && !registrationTokenPattern.test(token))
    usage("The registration token looks wrong (10–200 printable characters)");
  const problem = fingerprintProblem(request.fingerprint);
  if (problem) usage(problem);
  if (!keep && token === undefined) {
    usage(`--install-service needs --token TOKEN: this machine is not registered with ${server.data}`);
  }
  const pinned = config.file.serverKeys?.map((key) => key.fingerprint) ?? [];
  // A registration made before commands were signed trusts no key yet: the fingerprint given now
  // pins the server's key, once this binary has been checked against it (below).
  const pinKept = keep && request.fingerprint !== undefined && pinned.length === 0;
  if (keep && request.fingerprint !== undefined && !pinKept) {
    if (!pinned.includes(request.fingerprint)) {
      throw new ExitError(
        `This agent is registered with ${server.data} trusting ${pinned.join(", ") || "no key"}, not ${request.fingerprint}: nothing was changed`,
        { exitCode: exitCodes.untrusted },
      );
    }
  }
  if (request.fingerprint !== undefined) {
    const downloaded = await downloadTrust(server.data);
    const key = verifyOwnBinary({
      binaryPath: process.execPath,
      target: agentTarget,
      fingerprint: request.fingerprint,
      downloaded,
    });
    io.stdout(`This binary is the ${agentTarget} signed by ${request.fingerprint}\n`);
    if (pinKept) {
      saveConfig(config, { ...config.file, serverKeys: [toServerKey(key)] });
      io.stdout(`Pinned the server's signing key ${request.fingerprint} for the existing registration\n`);
    }
  }
  const options: ServiceOptions = {
    ...base,
    serverUrl: server.data,
    registrationToken: token ?? null,
    fingerprint: request.fingerprint ?? null,
    ensureRegistered: async () => {
      if (keep) {
        // The same deployment: the servers given now are the ones to fail over between.
        saveConfig(config, { ...config.file, ...serverUrlFields(servers.urls) });
        return { kind: "kept", agentId: registered.agentId };
      }
      if (token === undefined) throw new Error("a token is checked for above");
      const registration = await registerAndSave(servers.urls, token, request.fingerprint, config, io.stderr);
      return { kind: "registered", agentId: registration.agentId };
    },
  };
  const result = await installService(options, io);
  return result.kind === "noServiceManager" ? exitCodes.noServiceManager : exitCodes.ok;
}

/** SHA256SUMS, its signature and the server's key, as /downloads serves them (small files only). */
async function downloadTrust(serverUrl: string): Promise<DownloadedTrust> {
  const fetchSmall = async (file: string): Promise<Uint8Array> => {
    const url = `${serverUrl}/downloads/${file}`;
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      throw new ExitError(`Cannot download ${url}: ${(error as Error).message}`, {
        exitCode: exitCodes.serverUnreachable,
        cause: error,
      });
    }
    const body = new Uint8Array(await response.arrayBuffer());
    if (!response.ok || body.length > 64 * 1024) {
      throw new ExitError(`Cannot download ${url}: ${response.status} ${response.statusText}`, {
        exitCode: exitCodes.serverRejected,
      });
    }
    return body;
  };
  const [sums, signatureBody, key] = await Promise.all([
    fetchSmall("SHA256SUMS"),
    fetchSmall("SHA256SUMS.sig"),
    fetchSmall("signing-key.pem"),
  ]);
  const signature = signatureBytes(signatureBody);
  if (signature === null) {
    throw new ExitError("The server's SHA256SUMS.sig is not an Ed25519 signature", {
      exitCode: exitCodes.untrusted,
    });
  }
  return { sums, signature, keyPem: new TextDecoder().decode(key) };
}
