import { z } from "zod";
import { AgentError } from "../../errors.ts";
import { type PowerShellOutput, readScriptJson } from "./parse.ts";

/**
 * The PowerShell that plans, installs or uninstalls chosen updates through the Windows Update Agent
 * COM API. The updates to act on arrive in REDFLAG_WU_TARGETS (KB numbers and update ids, checked
 * before), the mode in REDFLAG_WU_MODE: the script itself never changes, and no name is ever pasted
 * into code. It prints one JSON line, like the scan script; installs are verified by a new search.
 */
export const windowsUpdateInstallScript = [
  "$ErrorActionPreference = 'Stop'",
  "$ProgressPreference = 'SilentlyContinue'",
  "[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false",
  "try {",
  "  $mode = [string]$env:REDFLAG_WU_MODE",
  "  $wanted = @(([string]$env:REDFLAG_WU_TARGETS).Split(',') | Where-Object { $_ -ne '' })",
  "  $session = New-Object -ComObject Microsoft.Update.Session",
  "  $session.ClientApplicationID = 'RedFlag agent'",
  "  $searcher = $session.CreateUpdateSearcher()",
  "  $installed = ($mode -eq 'uninstall')",
  "  $criteria = if ($installed) { 'IsInstalled=1' } else { 'IsInstalled=0 and IsHidden=0' }",
  "  $found = $searcher.Search($criteria).Updates",
  "  $chosen = New-Object -ComObject Microsoft.Update.UpdateColl",
  "  $matched = @()",
  "  foreach ($update in $found) {",
  "    $keys = @([string]$update.Identity.UpdateID) + @($update.KBArticleIDs | ForEach-Object { [string]$_ })",
  "    $key = $wanted | Where-Object { $keys -contains $_ } | Select-Object -First 1",
  "    if ($key) {",
  "      if (-not $installed -and -not $update.EulaAccepted) { $update.AcceptEula() }",
  "      [void]$chosen.Add($update)",
  "      $matched += [pscustomobject]@{ Target = [string]$key; UpdateId = [string]$update.Identity.UpdateID; Title = [string]$update.Title; Uninstallable = [bool]$update.IsUninstallable }",
  "    }",
  "  }",
  "  $resultCode = 2; $reboot = $false; $codes = @{}",
  "  if ($mode -ne 'plan' -and $chosen.Count -gt 0) {",
  "    if (-not $installed) {",
  "      $downloader = $session.CreateUpdateDownloader(); $downloader.Updates = $chosen; [void]$downloader.Download()",
  "    }",
  "    $installer = $session.CreateUpdateInstaller(); $installer.Updates = $chosen",
  "    $result = if ($installed) { $installer.Uninstall() } else { $installer.Install() }",
  "    $resultCode = [int]$result.ResultCode; $reboot = [bool]$result.RebootRequired",
  "    for ($i = 0; $i -lt $chosen.Count; $i++) { $codes[[string]$chosen.Item($i).Identity.UpdateID] = [int]$result.GetUpdateResult($i).ResultCode }",
  "  }",
  "  $now = @()",
  "  if ($mode -ne 'plan') { $now = @($searcher.Search('IsInstalled=1').Updates | ForEach-Object { [string]$_.Identity.UpdateID }) }",
  "  $updates = @($matched | ForEach-Object { [pscustomobject]@{ Target = $_.Target; UpdateId = $_.UpdateId; Title = $_.Title; Uninstallable = $_.Uninstallable; ResultCode = if ($codes.ContainsKey($_.UpdateId)) { $codes[$_.UpdateId] } else { 0 }; Installed = ($now -contains $_.UpdateId) } })",
  "  [pscustomobject]@{ ok = $true; mode = $mode; resultCode = $resultCode; rebootRequired = $reboot; updates = $updates } | ConvertTo-Json -Depth 5 -Compress",
  "} catch {",
  "  [pscustomobject]@{ ok = $false; error = [string]$_.Exception.Message; hresult = ('0x{0:X8}' -f $_.Exception.HResult) } | ConvertTo-Json -Compress",
  "  exit 1",
  "}",
].join("\n");

/** Whether Windows waits for a reboot (the agent's check-in reports it). */
export const windowsRebootRequiredScript = [
  "$ErrorActionPreference = 'Stop'",
  "try { [pscustomobject]@{ ok = $true; rebootRequired = [bool](New-Object -ComObject Microsoft.Update.SystemInfo).RebootRequired } | ConvertTo-Json -Compress }",
  "catch { [pscustomobject]@{ ok = $false; error = [string]$_.Exception.Message } | ConvertTo-Json -Compress; exit 1 }",
].join("\n");

export type WindowsUpdateMode = "plan" | "install" | "uninstall";

/** `powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command <script>`. */
export function powerShellArgv(script: string, program = "powershell.exe"): string[] {
  return [program, "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", script];
}

const kbPattern = /^KB(\d{4,8})$/i;
const updateIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A scan item's name (`KB5034441` or an update id) as the script matches it; anything else is refused. */
export function windowsUpdateTargetKey(packageName: string): string {
  const kb = kbPattern.exec(packageName);
  if (kb?.[1] !== undefined) return kb[1];
  if (updateIdPattern.test(packageName)) return packageName.toLowerCase();
  throw new AgentError(`${JSON.stringify(packageName.slice(0, 80))} is neither a KB id nor an update id`, {
    source: "windows_update",
    kind: "invalid_input",
    operation: "validate Windows update",
  });
}

/** The environment the install script reads its targets and mode from. */
export function windowsUpdateInstallEnvironment(mode: WindowsUpdateMode, keys: readonly string[]) {
  return { REDFLAG_WU_MODE: mode, REDFLAG_WU_TARGETS: keys.join(",") };
}

const installOutputSchema = z.discriminatedUnion("ok", [
  z.object({
    ok: z.literal(true),
    mode: z.enum(["plan", "install", "uninstall"]),
    resultCode: z.number().int(),
    rebootRequired: z.boolean(),
    updates: z.array(
      z.object({
        Target: z.string(),
        UpdateId: z.string(),
        Title: z.string(),
        Uninstallable: z.boolean(),
        ResultCode: z.number().int(),
        Installed: z.boolean(),
      }),
    ),
  }),
  z.object({ ok: z.literal(false), error: z.string(), hresult: z.string().optional() }),
]);
export type WindowsUpdateInstallOutput = Extract<z.infer<typeof installOutputSchema>, { ok: true }>;

/** Reads the install script's JSON line; empty output, other text or `ok:false` are errors. */
export function parseWindowsUpdateInstallOutput(
  output: PowerShellOutput,
  operation: string,
): WindowsUpdateInstallOutput {
  return parseJsonLine(output, operation, installOutputSchema) as WindowsUpdateInstallOutput;
}

const rebootOutputSchema = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), rebootRequired: z.boolean() }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);

export function parseRebootRequiredOutput(output: PowerShellOutput): boolean {
  const parsed = parseJsonLine(output, "Windows reboot check", rebootOutputSchema);
  return (parsed as { rebootRequired: boolean }).rebootRequired;
}

function parseJsonLine<T>(output: PowerShellOutput, operation: string, schema: z.ZodType<T>): T {
  const json = readScriptJson(output, operation);
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new AgentError(`unexpected JSON: ${parsed.error.issues[0]?.message ?? "invalid"}`, {
      source: "windows_update",
      kind: "unrecognized",
      operation,
      cause: parsed.error,
    });
  }
  const value = parsed.data as { ok: boolean; error?: string; hresult?: string };
  if (!value.ok) {
    throw new AgentError(`${(value.error ?? "").trim()}${value.hresult ? ` (${value.hresult})` : ""}`, {
      source: "windows_update",
      kind: value.hresult === "0x80070005" ? "unauthorized" : "failed",
      operation,
    });
  }
  if (output.exitCode !== 0) {
    throw new AgentError(`the script reported success but PowerShell exited with ${output.exitCode}`, {
      source: "windows_update",
      kind: "unrecognized",
      operation,
    });
  }
  return parsed.data;
}
