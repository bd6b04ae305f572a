import { z } from "zod";

export const packageTypes = ["apt", "dnf", "docker", "windows_update", "winget"] as const;
export const packageTypeSchema = z.enum(packageTypes);
export type PackageType = z.infer<typeof packageTypeSchema>;

/**
 * Why an agent could not scan or install, coarse enough to decide on (retry later, or tell a person):
 * `missing` the tool is not installed or cannot start; `failed` it ran and reported an error;
 * `unrecognized` its output is not what we can read (never read as "nothing"); `invalid_input` a name
 * or reference we were given is not acceptable; `unavailable` a service did not answer or asked us to
 * slow down; `unauthorized` credentials missing or refused; `locked` another process holds the package
 * manager's lock; `timed_out` the tool ran past its time and was stopped.
 */
export const agentErrorKinds = [
  "missing",
  "failed",
  "unrecognized",
  "invalid_input",
  "unavailable",
  "unauthorized",
  "locked",
  "timed_out",
] as const;
export const agentErrorKindSchema = z.enum(agentErrorKinds);
export type AgentErrorKind = z.infer<typeof agentErrorKindSchema>;

/** How often an agent polls in rapid mode (server and agent agree on it). */
export const rapidPollIntervalSeconds = 5;

export const severities = ["critical", "important", "moderate", "low", "unknown"] as const;
export const severitySchema = z.enum(severities);
export type Severity = z.infer<typeof severitySchema>;

/**
 * A vendor's severity word as ours: Red Hat/Fedora advisories (dnf) and MSRC (Windows Update) both say
 * Critical, Important, Moderate or Low; "None", empty or anything else is unknown.
 */
export function severityFromWord(word: string | undefined): Severity {
  const lower = (word ?? "").trim().toLowerCase();
  return severities.find((severity) => severity === lower) ?? "unknown";
}

export const updateStatuses = [
  "available",
  "approved",
  "installing",
  "installed",
  "failed",
  "rejected",
  "resolved",
] as const;
export const updateStatusSchema = z.enum(updateStatuses);
export type UpdateStatus = z.infer<typeof updateStatusSchema>;

/** Statuses in which an update is still open: it is reported by the agent and not yet dealt with. */
export const openUpdateStatuses = [
  "available",
  "approved",
  "failed",
  "rejected",
] as const satisfies readonly UpdateStatus[];

export const commandTypes = [
  "scan",
  "dry_run",
  "install",
  "rollback",
  "reboot",
  "rapid_mode",
  "update_agent",
  "snapshot",
  "snapshot_rollback",
  "download",
] as const;
export const commandTypeSchema = z.enum(commandTypes);
export type CommandType = z.infer<typeof commandTypeSchema>;

/**
 * Commands that change a machine: handed to an agent once, never again. Their lease running out
 * times them out instead of queueing them again, since the agent may have started one before it went
 * silent; running one twice (a second install after a restart) is worse than asking an admin to retry.
 */
export const onceOnlyCommandTypes = [
  "install",
  "rollback",
  "reboot",
  "update_agent",
  "snapshot",
  "snapshot_rollback",
] as const satisfies readonly CommandType[];

export function isOnceOnlyCommand(type: CommandType): boolean {
  return (onceOnlyCommandTypes as readonly CommandType[]).includes(type);
}

export const commandStatuses = [
  "pending",
  "sent",
  "running",
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
] as const;
export const commandStatusSchema = z.enum(commandStatuses);
export type CommandStatus = z.infer<typeof commandStatusSchema>;

export const finishedCommandStatuses = [
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
] as const satisfies readonly CommandStatus[];

export const roles = ["viewer", "operator", "admin"] as const;
export const roleSchema = z.enum(roles);
export type Role = z.infer<typeof roleSchema>;

/** Whether a caller with `held` may do what needs `needed`. */
export function hasRole(held: Role, needed: Role): boolean {
  return roles.indexOf(held) >= roles.indexOf(needed);
}

export const osTypes = ["linux", "windows", "macos", "other"] as const;
export const osTypeSchema = z.enum(osTypes);
export type OsType = z.infer<typeof osTypeSchema>;
