/** The agent is built in its own change; the package exists so the workspace layout is complete. */
export const agentPackage = "@redflag/agent";
