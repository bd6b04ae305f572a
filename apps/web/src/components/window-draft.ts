import type { listWindowsOutput, RebootPolicy, WindowDraft } from "@redflag/contracts";
import type { z } from "zod";

export type WindowSummary = z.infer<typeof listWindowsOutput>["items"][number];

/** The window form as typed: lists and numbers as text until they are sent. */
export type WindowFormState = {
  name: string;
  schedule: string;
  timeZone: string;
  durationMinutes: string;
  tags: string;
  agentIds: string;
  installApproved: boolean;
  scan: boolean;
  reboot: RebootPolicy;
  maxConcurrentReboots: string;
  catchUpGraceMinutes: string;
  preDownloadMinutes: string;
};

export function emptyWindowForm(): WindowFormState {
  return {
    name: "",
    schedule: "0 3 * * 0",
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
    durationMinutes: "120",
    tags: "",
    agentIds: "",
    installApproved: true,
    scan: true,
    reboot: "if_required",
    maxConcurrentReboots: "1",
    catchUpGraceMinutes: "0",
    preDownloadMinutes: "60",
  };
}

function wordsOf(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

function numberOf(text: string): number {
  const value = Number(text.trim());
  return text.trim() !== "" && Number.isFinite(value) ? value : Number.NaN;
}

/** What the server validates (and answers with a message naming the field when it refuses). */
export function draftOf(form: WindowFormState, enabled: boolean): WindowDraft {
  return {
    name: form.name,
    enabled,
    schedule: form.schedule,
    timeZone: form.timeZone.trim(),
    durationMinutes: numberOf(form.durationMinutes),
    tags: wordsOf(form.tags),
    agentIds: wordsOf(form.agentIds) as WindowDraft["agentIds"],
    installApproved: form.installApproved,
    scan: form.scan,
    reboot: form.reboot,
    maxConcurrentReboots: numberOf(form.maxConcurrentReboots),
    catchUpGraceMinutes: numberOf(form.catchUpGraceMinutes),
    preDownloadMinutes: numberOf(form.preDownloadMinutes),
  };
}

export function formOf(window: WindowSummary): WindowFormState {
  return {
    name: window.name,
    schedule: window.schedule,
    timeZone: window.timeZone,
    durationMinutes: String(window.durationMinutes),
    tags: window.tags.join(", "),
    agentIds: window.agentIds.join(", "),
    installApproved: window.installApproved,
    scan: window.scan,
    reboot: window.reboot,
    maxConcurrentReboots: String(window.maxConcurrentReboots),
    catchUpGraceMinutes: String(window.catchUpGraceMinutes),
    preDownloadMinutes: String(window.preDownloadMinutes),
  };
}

export const rebootLabels: Record<RebootPolicy, string> = {
  never: "never reboots",
  if_required: "reboots if required",
  always: "reboots after installing",
};

/** "scans, installs approved updates, reboots if required (2 at a time)". */
export function actionSummary(
  window: Pick<WindowSummary, "scan" | "installApproved" | "reboot" | "maxConcurrentReboots">,
) {
  const steps: string[] = [];
  if (window.scan) steps.push("scans");
  if (window.installApproved) steps.push("installs approved updates");
  steps.push(
    window.reboot === "never"
      ? rebootLabels.never
      : `${rebootLabels[window.reboot]} (${window.maxConcurrentReboots} at a time)`,
  );
  return steps.join(", ");
}

export function scopeSummary(window: Pick<WindowSummary, "tags" | "agentIds">) {
  if (window.tags.length === 0 && window.agentIds.length === 0) return "every agent";
  const parts: string[] = [];
  if (window.tags.length > 0) parts.push(`tags ${window.tags.join(", ")}`);
  if (window.agentIds.length > 0)
    parts.push(`${window.agentIds.length} listed agent${window.agentIds.length === 1 ? "" : "s"}`);
  return parts.join(" or ");
}
