/**
 * The PowerShell the agent runs to list Windows updates through the Windows Update Agent COM API.
 * It prints exactly one line of JSON: `{"ok":true,"updates":[…]}` or `{"ok":false,"error":…}` (exit 1),
 * so empty output can never pass for "no updates". It uses single quotes only: the text travels as
 * one argv element, and Windows' command-line quoting of double quotes is a trap.
 */
export const windowsUpdateSearchCriteria = "IsInstalled=0 and IsHidden=0";

export const windowsUpdateScanScript = [
  "$ErrorActionPreference = 'Stop'",
  "$ProgressPreference = 'SilentlyContinue'",
  "[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false",
  "try {",
  "  $session = New-Object -ComObject Microsoft.Update.Session",
  "  $session.ClientApplicationID = 'RedFlag agent'",
  "  $searcher = $session.CreateUpdateSearcher()",
  `  $result = $searcher.Search('${windowsUpdateSearchCriteria}')`,
  "  $updates = @()",
  "  foreach ($update in $result.Updates) {",
  "    $updates += [pscustomobject]@{",
  "      Title = [string]$update.Title",
  "      UpdateId = [string]$update.Identity.UpdateID",
  "      RevisionNumber = [int]$update.Identity.RevisionNumber",
  "      KBArticleIDs = @($update.KBArticleIDs | ForEach-Object { [string]$_ })",
  "      MsrcSeverity = [string]$update.MsrcSeverity",
  "      Categories = @($update.Categories | ForEach-Object { [string]$_.Name })",
  "      CategoryIds = @($update.Categories | ForEach-Object { [string]$_.CategoryID })",
  "      CveIDs = @($update.CveIDs | ForEach-Object { [string]$_ })",
  "      RebootRequired = [bool]$update.RebootRequired",
  "      RebootBehavior = [int]$update.InstallationBehavior.RebootBehavior",
  "      MaxDownloadSize = [decimal]$update.MaxDownloadSize",
  "      IsDownloaded = [bool]$update.IsDownloaded",
  "      LastDeploymentChangeTime = $update.LastDeploymentChangeTime.ToUniversalTime().ToString('o')",
  "    }",
  "  }",
  "  [pscustomobject]@{ ok = $true; resultCode = [int]$result.ResultCode; updates = @($updates) } | ConvertTo-Json -Depth 5 -Compress",
  "} catch {",
  "  [pscustomobject]@{ ok = $false; error = [string]$_.Exception.Message; hresult = ('0x{0:X8}' -f $_.Exception.HResult) } | ConvertTo-Json -Compress",
  "  exit 1",
  "}",
].join("\n");

/** `powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command <script>`. */
export function windowsUpdateScanArgv(program = "powershell.exe"): string[] {
  return [
    program,
    "-NoProfile",
    "-NonInteractive",
    "-ExecutionPolicy",
    "Bypass",
    "-Command",
    windowsUpdateScanScript,
  ];
}
