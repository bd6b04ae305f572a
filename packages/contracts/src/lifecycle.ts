import { z } from "zod";
import { nameText } from "./primitives.ts";

/**
 * Parameters of the agent lifecycle commands (`reboot`, `update_agent`) and the reboot reasons an
 * agent reports at check-in: one definition for the server that queues them and the agent that runs them.
 */

/** A reboot may wait up to a day: longer belongs to a maintenance window, not a command. */
export const maxRebootDelaySeconds = 86_400;
/** Windows' `shutdown /c` takes 512 characters; a short line is all a logged-in user reads anyway. */
export const maxRebootMessageLength = 200;

export const rebootParametersSchema = z.strictObject({
  delaySeconds: z.number().int().min(0).max(maxRebootDelaySeconds).default(0),
  /** Shown to logged-in users; one line of printable text, passed to shutdown as one argument. */
  message: nameText(maxRebootMessageLength, { trim: true })
    .regex(/^[^\t"]*$/, { message: "may not contain tabs or double quotes" })
    .optional(),
});
export type RebootParameters = z.infer<typeof rebootParametersSchema>;

/** An agent version as builds name it (semver-like), so it can go into a file name and a comparison. */
export const agentVersionText = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[0-9A-Za-z][0-9A-Za-z.+_-]*$/, { message: "must be a version like 1.2.3 or 1.2.3-rc.1" });

/** Minutes the new binary has to check in with its version before the old one is put back. */
export const defaultUpdateDeadlineMinutes = 10;

export const updateAgentParametersSchema = z.strictObject({
  version: agentVersionText,
  deadlineMinutes: z.number().int().min(1).max(120).default(defaultUpdateDeadlineMinutes),
});
export type UpdateAgentParameters = z.infer<typeof updateAgentParametersSchema>;

/** Why a host wants a reboot, in short lines (packages, a kernel, Windows' flag): shown on the agent page. */
export const maxRebootReasons = 50;
export const rebootReasonsSchema = z.array(nameText(200)).max(maxRebootReasons);
