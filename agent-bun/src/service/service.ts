/**
 * What installing the agent as a service needs, on every platform: `service/index.ts` hands the same
 * options to the systemd installer (`systemd.ts`) and to the Windows one (`windows/index.ts`).
 */
export type ServiceOptions = {
  /** The server the agent reports to, already validated (http/https, no trailing slash). */
  serverUrl: string;
  /** The registration token; null when the config is expected to hold a registration already. */
  registrationToken: string | null;
  /** The server's signing-key fingerprint (`SHA256:…`) to pin at registration; null when not given. */
  fingerprint: string | null;
  /** Uninstall only: also remove the config and the state directory. */
  purge: boolean;
  /** Where the binary is installed (/usr/local/bin/redflag-agent, …\RedFlag\redflag-agent.exe). */
  installPath: string;
  /** The running binary (process.execPath); copied to `installPath` unless it already is that file. */
  currentBinaryPath: string;
  /** The config file (/etc/aggregator/config.json unless AGENT_CONFIG_PATH says otherwise). */
  configPath: string;
  /** The state directory (/var/lib/aggregator unless REDFLAG_STATE_DIR or the config say otherwise). */
  stateDirectory: string;
  /**
   * Registers with `serverUrl` unless the config already holds a registration for that same server
   * (a re-run is an upgrade and keeps it). Given by the CLI, so the installers need no transport.
   */
  ensureRegistered: () => Promise<RegistrationOutcome>;
};

export type RegistrationOutcome = { kind: "registered" | "kept"; agentId: string };

export type ServiceIo = {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
};

/** What an install did; the CLI turns `noServiceManager` into its own exit code. */
export type ServiceInstallResult = { kind: "installed" | "upgraded" } | { kind: "noServiceManager" };

/** How a platform put the binary in place: copied there, replacing another, or it already was it. */
export type BinaryPlacement = "installed" | "replaced" | "same";

/**
 * The steps every installer takes the same way, saying each: the binary into place (by the
 * platform's own `installBinary`), then the registration kept or made.
 */
export async function placeBinaryAndRegister(
  options: ServiceOptions,
  io: ServiceIo,
  installBinary: (source: string, target: string) => BinaryPlacement,
): Promise<void> {
  const binary = installBinary(options.currentBinaryPath, options.installPath);
  io.stdout(
    `${binary === "same" ? "Already in place" : binary === "replaced" ? "Upgraded" : "Installed"}: ${options.installPath}\n`,
  );
  const registration = await options.ensureRegistered();
  io.stdout(
    registration.kind === "kept"
      ? `Kept the registration as ${registration.agentId} with ${options.serverUrl}\n`
      : `Registered as ${registration.agentId} with ${options.serverUrl}\n`,
  );
}
