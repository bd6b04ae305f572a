import { type ScanItem, severityFromWord } from "@redflag/contracts";
import { z } from "zod";
import { AgentError, tailOfOutput } from "../../errors.ts";
import { toScanItem } from "../package-manager.ts";

const updateSchema = z.object({
  Title: z.string().min(1),
  UpdateId: z.string().regex(/^[0-9a-fA-F-]{36}$/, { message: "must be a GUID" }),
  RevisionNumber: z.number().int().nonnegative(),
  KBArticleIDs: z.array(z.string().regex(/^\d{4,8}$/, { message: "must be a KB number" })),
  MsrcSeverity: z.string(),
  Categories: z.array(z.string()),
  /** Category GUIDs: unlike the names, they are the same in every Windows language. */
  CategoryIds: z.array(z.string()).default([]),
  CveIDs: z.array(z.string()),
  RebootRequired: z.boolean(),
  RebootBehavior: z.number().int().min(0).max(2),
  MaxDownloadSize: z.number().nonnegative(),
  IsDownloaded: z.boolean(),
  LastDeploymentChangeTime: z.string().optional(),
});
export type WindowsUpdate = z.infer<typeof updateSchema>;

const outputSchema = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), resultCode: z.number().int(), updates: z.array(updateSchema) }),
  z.object({ ok: z.literal(false), error: z.string(), hresult: z.string() }),
]);

const operation = "Windows Update search";

/** HRESULTs that pass: no network, server busy, service starting. Others need a person. */
const transientHresults = new Set([
  "0x8024402C", // WU_E_PT_WINHTTP_NAME_NOT_RESOLVED
  "0x8024401C", // WU_E_PT_HTTP_STATUS_REQUEST_TIMEOUT
  "0x80244022", // WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL
  "0x8024402F", // WU_E_PT_ECP_SUCCEEDED_WITH_ERRORS
  "0x80072EE2", // WININET_E_TIMEOUT
  "0x80072EFD", // WININET_E_CANNOT_CONNECT
  "0x80072EE7", // WININET_E_NAME_NOT_RESOLVED
  "0x8024001E", // WU_E_SERVICE_STOP
  "0x80240016", // WU_E_INSTALL_NOT_ALLOWED (another installation is running)
  "0x8024A000", // WU_E_AU_NOSERVICE
]);

export type PowerShellOutput = { exitCode: number; stdout: string; stderr: string };

/**
 * Reads what the scan script printed. Empty output (a stub PowerShell, as under Wine), anything but
 * the script's JSON, or a JSON error are all errors: only `{"ok":true,…}` is a list of updates.
 */
export function parseWindowsUpdateOutput(output: PowerShellOutput): WindowsUpdate[] {
  if (
    output.exitCode === 127 ||
    /is not recognized as|No such file or directory|command not found/i.test(output.stderr)
  ) {
    throw new AgentError(`PowerShell is not available: ${tailOfOutput(output.stderr)}`, {
      source: "windows_update",
      kind: "missing",
      operation,
    });
  }
  const json = readScriptJson(output, operation);
  const parsed = outputSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AgentError(
      `unexpected JSON (${issue?.path.join(".") ?? "?"}: ${issue?.message ?? "invalid"})`,
      {
        source: "windows_update",
        kind: "unrecognized",
        operation,
        cause: parsed.error,
      },
    );
  }
  if (!parsed.data.ok) {
    const hresult = parsed.data.hresult.toUpperCase().replace(/^0X/, "0x");
    throw new AgentError(`${parsed.data.error.trim()} (${hresult})`, {
      source: "windows_update",
      kind: hresult === "0x80070005" ? "unauthorized" : "failed",
      operation,
      retryable: transientHresults.has(hresult),
    });
  }
  if (output.exitCode !== 0) {
    throw new AgentError(`the script reported success but PowerShell exited with ${output.exitCode}`, {
      source: "windows_update",
      kind: "unrecognized",
      operation,
    });
  }
  // ResultCode 2 is orcSucceeded; 3 (succeeded with errors) and the rest may be an incomplete list.
  if (parsed.data.resultCode !== 2) {
    throw new AgentError(
      `the search finished with result code ${parsed.data.resultCode}, not a complete list`,
      {
        source: "windows_update",
        kind: "failed",
        operation,
        retryable: true,
      },
    );
  }
  return parsed.data.updates;
}

const cvePattern = /^CVE-\d{4}-\d{4,}$/;
/** The "Security Updates" classification. */
const securityUpdatesCategoryId = "0fa1201d-4330-4fa8-8ae9-b877473b6441";

/**
 * One scan item per update. The name is the KB article (stable across revisions; the title is not),
 * or the update id when there is none (drivers). A version in the title — Defender's
 * "(Version 1.403.3053.0)" — is the offered version; otherwise the revision number is.
 */
export function windowsUpdateScanItems(updates: readonly WindowsUpdate[]): ScanItem[] {
  return updates.map((update) => {
    const kb = update.KBArticleIDs[0];
    const titleVersion = /\(Version ([0-9][0-9.]*)\)/i.exec(update.Title)?.[1];
    const security =
      update.CategoryIds.some((id) => id.toLowerCase() === securityUpdatesCategoryId) ||
      update.Categories.some((category) => /^Security Updates$/i.test(category)) ||
      update.CveIDs.length > 0 ||
      update.MsrcSeverity.trim() !== "";
    return toScanItem("windows_update", {
      packageName: kb === undefined ? update.UpdateId.toLowerCase() : `KB${kb}`,
      target: "",
      currentVersion: null,
      availableVersion: titleVersion ?? `revision ${update.RevisionNumber}`,
      severity: severityFromWord(update.MsrcSeverity),
      security,
      cves: [...new Set(update.CveIDs.filter((cve) => cvePattern.test(cve)))].sort(),
      source: "Windows Update",
      sizeBytes: Math.round(update.MaxDownloadSize),
      metadata: {
        title: update.Title.slice(0, 1000),
        updateId: update.UpdateId.toLowerCase(),
        revisionNumber: update.RevisionNumber,
        kbArticleIds: update.KBArticleIDs,
        categories: update.Categories,
        msrcSeverity: update.MsrcSeverity,
        rebootRequired: update.RebootRequired,
        rebootBehavior: (["never", "always", "can-request"] as const)[update.RebootBehavior] ?? "never",
        downloaded: update.IsDownloaded,
      },
    });
  });
}

/**
 * The JSON line a RedFlag PowerShell script printed (the last line starting with `{`: PowerShell may
 * print warnings before it). Empty output is an error: Wine's stub PowerShell prints nothing.
 */
export function readScriptJson(output: PowerShellOutput, operation: string): unknown {
  const text = output.stdout.replace(/^\uFEFF/, "").trim();
  if (text === "") {
    throw new AgentError(
      `PowerShell printed nothing (exit ${output.exitCode})${output.stderr.trim() === "" ? "" : `: ${tailOfOutput(output.stderr)}`}`,
      { source: "windows_update", kind: "unrecognized", operation },
    );
  }
  const jsonLine = text
    .split(/\r?\n/)
    .reverse()
    .find((line) => line.trim().startsWith("{"));
  try {
    return JSON.parse(jsonLine ?? "");
  } catch (error) {
    throw new AgentError(`the output is not the script's JSON: ${JSON.stringify(text.slice(0, 300))}`, {
      source: "windows_update",
      kind: "unrecognized",
      operation,
      cause: error,
    });
  }
}
