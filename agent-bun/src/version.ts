declare const REDFLAG_AGENT_VERSION: string | undefined;
declare const REDFLAG_AGENT_TARGET: string | undefined;

/** Injected by the build (`define`); running from source says so. */
export const agentVersion: string =
  typeof REDFLAG_AGENT_VERSION === "string" ? REDFLAG_AGENT_VERSION : "0.0.0-source";

/** The binary's file name under /downloads (agent-bun/build.ts), e.g. redflag-agent-linux-x64-musl. */
export const agentTarget: string = typeof REDFLAG_AGENT_TARGET === "string" ? REDFLAG_AGENT_TARGET : "source";
