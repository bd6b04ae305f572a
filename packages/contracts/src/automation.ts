import { z } from "zod";

/** What a policy does with the updates it matches: approve them, or hold them (never approved automatically). */
export const policyActions = ["approve", "hold"] as const;
export const policyActionSchema = z.enum(policyActions);
export type PolicyAction = z.infer<typeof policyActionSchema>;

/** When a maintenance window reboots its hosts: never, only when one is required, or after every install run. */
export const rebootPolicies = ["never", "if_required", "always"] as const;
export const rebootPolicySchema = z.enum(rebootPolicies);
export type RebootPolicy = z.infer<typeof rebootPolicySchema>;

/**
 * One host in one occurrence of a maintenance window: `waiting` for the window (or the host) to be
 * there; `installing` its work was queued; `done`; `missed` the host was away through the window and
 * its grace period, so the work moves to its next window (never silently dropped); `skipped` nothing to do.
 */
export const windowRunStatuses = [
  "waiting",
  "installing",
  "rebooting",
  "done",
  "missed",
  "skipped",
  "failed",
] as const;
export const windowRunStatusSchema = z.enum(windowRunStatuses);
export type WindowRunStatus = z.infer<typeof windowRunStatusSchema>;

/** One package version moving through a policy's stages; `cancelled` by an admin, nothing more approved. */
export const rolloutStatuses = ["running", "stopped", "completed", "cancelled"] as const;
export const rolloutStatusSchema = z.enum(rolloutStatuses);
export type RolloutStatus = z.infer<typeof rolloutStatusSchema>;

export const notificationKinds = ["ntfy", "gotify", "discord", "slack", "webhook", "email"] as const;
export const notificationKindSchema = z.enum(notificationKinds);
export type NotificationKind = z.infer<typeof notificationKindSchema>;

export const notificationEvents = [
  "security_updates_found",
  "install_succeeded",
  "install_failed",
  "agent_offline",
  "agent_back",
  "reboot_required",
  "reboot_done",
  "automation_summary",
  "rollout_stopped",
  "daily_digest",
  "test",
] as const;
export const notificationEventSchema = z.enum(notificationEvents);
export type NotificationEvent = z.infer<typeof notificationEventSchema>;

export const notificationDeliveryStatuses = ["pending", "sent", "failed"] as const;
export const notificationDeliveryStatusSchema = z.enum(notificationDeliveryStatuses);
export type NotificationDeliveryStatus = z.infer<typeof notificationDeliveryStatusSchema>;
