import { join } from "node:path";
import type { AgentEnvironment } from "../environment.ts";

/** Where the agent keeps its files: defaults per OS, overridable for tests and odd layouts. */
export type AgentPaths = {
  config: string;
  stateDirectory: string;
  /** Local hooks the host's admin puts there (agent-bun/docs/hooks.md); the server never writes them. */
  hooksDirectory: string;
};

export function defaultPaths(environment: AgentEnvironment): AgentPaths {
  if (environment.platform === "win32") {
    const base = join(environment.programData, "RedFlag");
    return { config: join(base, "config.json"), stateDirectory: base, hooksDirectory: join(base, "hooks.d") };
  }
  return {
    config: "/etc/aggregator/config.json",
    stateDirectory: "/var/lib/aggregator",
    hooksDirectory: "/etc/aggregator/hooks.d",
  };
}

/** Files inside the state directory. */
export function stateFiles(stateDirectory: string) {
  return {
    lastScan: join(stateDirectory, "last_scan.json"),
    daemonState: join(stateDirectory, "daemon_state.json"),
    outbox: join(stateDirectory, "outbox"),
    lock: join(stateDirectory, "agent.lock"),
    /** Which commands were started and finished here (daemon/ledger.ts). */
    commandLedger: join(stateDirectory, "commands.json"),
    machineId: join(stateDirectory, "machine_id"),
    /** Nonces of accepted commands, kept until each expires (trust/nonce-store.ts). */
    nonces: join(stateDirectory, "command_nonces.json"),
    /** Server keys learned or retired through signed key statements since registration. */
    trustedKeys: join(stateDirectory, "trusted_keys.json"),
    /** A reboot or agent update that finishes across a restart (agent-bun/src/lifecycle/). */
    rebootMarker: join(stateDirectory, "reboot_pending.json"),
    updateMarker: join(stateDirectory, "update_pending.json"),
  };
}
export type StateFiles = ReturnType<typeof stateFiles>;
