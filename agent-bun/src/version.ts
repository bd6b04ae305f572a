declare const REDFLAG_AGENT_VERSION: string | undefined;

/** Injected by the build (`define`); running from source says so. */
export const agentVersion: string =
  typeof REDFLAG_AGENT_VERSION === "string" ? REDFLAG_AGENT_VERSION : "0.0.0-source";
