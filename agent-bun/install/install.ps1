# RedFlag agent installer for Windows, served by the RedFlag server as /install.ps1. In PowerShell
# run as Administrator (Windows PowerShell 5.1 or PowerShell 7):
#   & ([scriptblock]::Create((irm http://SERVER:8080/install.ps1))) -Token rf_reg_... [-Fingerprint SHA256:...]
#   & ([scriptblock]::Create((irm http://SERVER:8080/install.ps1))) -Uninstall [-Purge]
# With two servers on one database (docs/failover.md), add -AlsoServer URL,URL for the others: the
# agent fails over to them when this one is away, and comes back to it.
# It downloads the agent, checks its SHA-256 against the server's SHA256SUMS, and has the agent install
# itself as the Windows service RedFlagAgent (redflag-agent.exe --install-service): the exe in
# C:\Program Files\RedFlag, config and state in C:\ProgramData\RedFlag, started at boot and restarted
# after a failure. PowerShell cannot check the server's Ed25519 signature, so given -Fingerprint the
# agent checks it before it installs anything. Running it again upgrades the agent and keeps its
# registration.
[CmdletBinding()]
param(
  [string]$Token = '',
  [string]$Fingerprint = '',
  [string]$Server = '@REDFLAG_SERVER_URL@',
  [string[]]$AlsoServer = @(),
  [switch]$Uninstall,
  [switch]$Purge
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# Windows PowerShell 5.1 draws a progress bar per received block, which makes a large download crawl.
$ProgressPreference = 'SilentlyContinue'

$target = 'redflag-agent-windows-x64.exe'
$installDir = Join-Path $env:ProgramFiles 'RedFlag'
$installed = Join-Path $installDir 'redflag-agent.exe'

function Say([string]$Message) {
  Write-Host "redflag install: $Message"
}

# throw, not exit: run as a script block, exit would close the Administrator window with the message.
function Fail([string]$Message) {
  throw "redflag install: $Message"
}

# Runs the agent with its arguments; a non-zero exit code is a failure, with the agent's own message above it.
function Invoke-Agent([string]$Exe, [string[]]$Arguments) {
  & $Exe @Arguments
  if ($LASTEXITCODE -ne 0) {
    Fail "$([IO.Path]::GetFileName($Exe)) $($Arguments[0]) failed with exit code $LASTEXITCODE (its message is above)"
  }
}

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
  Fail 'this needs an Administrator: open PowerShell with "Run as administrator" and run it again'
}
if ($Purge -and -not $Uninstall) {
  Fail '-Purge goes with -Uninstall'
}

if ($Uninstall) {
  if (-not (Test-Path -LiteralPath $installed)) {
    Say "no agent at ${installed}: nothing to uninstall"
    return
  }
  # A copy runs the uninstall, so the installed exe is not in use and can be removed with the rest.
  $work = Join-Path ([IO.Path]::GetTempPath()) ('redflag-uninstall-' + [guid]::NewGuid().ToString('N'))
  New-Item -ItemType Directory -Path $work | Out-Null
  try {
    $copy = Join-Path $work 'redflag-agent.exe'
    Copy-Item -LiteralPath $installed -Destination $copy
    $arguments = @('--uninstall-service')
    if ($Purge) { $arguments += '--purge' }
    Invoke-Agent $copy $arguments
  } finally {
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
  }
  Say 'uninstalled'
  return
}

if ($Server -notmatch '^https?://[^\s/]+') {
  Fail 'the server URL must start with http:// or https:// (give -Server URL)'
}
$Server = $Server.TrimEnd('/')
foreach ($also in $AlsoServer) {
  if ($also -notmatch '^https?://[^\s/]+') {
    Fail "-AlsoServer ${also}: the server URL must start with http:// or https://"
  }
}
if ($Token -ne '' -and $Token -notmatch '^[\x21-\x7e]{10,200}$') {
  Fail '-Token looks wrong (10 to 200 printable characters): copy it from the dashboard''s Add agent page'
}
if ($Fingerprint -ne '' -and $Fingerprint -notmatch '^SHA256:[A-Za-z0-9+/]{43}=?$') {
  Fail '-Fingerprint must look like SHA256:... (as the dashboard shows it)'
}
if (-not [Environment]::Is64BitOperatingSystem) {
  Fail 'the agent is built for 64-bit Windows only'
}

# Windows PowerShell 5.1 may offer only TLS 1.0/1.1, which servers refuse: add TLS 1.2.
[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12

$work = Join-Path ([IO.Path]::GetTempPath()) ('redflag-install-' + [guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory -Path $work | Out-Null
try {
  $sums = Join-Path $work 'SHA256SUMS'
  $exe = Join-Path $work $target
  foreach ($download in @(@('downloads/SHA256SUMS', $sums), @("downloads/$target", $exe))) {
    $url = "$Server/$($download[0])"
    try {
      Invoke-WebRequest -UseBasicParsing -Uri $url -OutFile $download[1]
    } catch {
      Fail "cannot download ${url}: $($_.Exception.Message)"
    }
  }

  $expected = $null
  foreach ($line in Get-Content -LiteralPath $sums) {
    if ($line -match '^([0-9A-Fa-f]{64}) [ *](.+)$' -and $Matches[2] -eq $target) {
      $expected = $Matches[1].ToLowerInvariant()
    }
  }
  if ($null -eq $expected) {
    Fail "$target is not listed in the server's SHA256SUMS"
  }
  # Get-FileHash prints the hash in upper case; SHA256SUMS has it in lower case.
  $actual = (Get-FileHash -Algorithm SHA256 -LiteralPath $exe).Hash.ToLowerInvariant()
  if ($actual -ne $expected) {
    Fail "$target does not match SHA256SUMS (got $actual, expected $expected)"
  }
  Say 'SHA-256 matches SHA256SUMS'

  $arguments = @('--install-service', '--server', $Server)
  # The agent checks each URL (at most 8, none twice) and fails over between them in this order.
  foreach ($also in $AlsoServer) { $arguments += @('--server', $also.TrimEnd('/')) }
  if ($Token -ne '') { $arguments += @('--token', $Token) }
  if ($Fingerprint -ne '') {
    $arguments += @('--fingerprint', $Fingerprint)
    Say "PowerShell cannot check Ed25519 signatures: the agent checks SHA256SUMS's signature against $Fingerprint before it installs"
  } else {
    Say 'no -Fingerprint given: the server''s signature is not checked (copy the command from the dashboard''s Add agent page to check it)'
  }
  Invoke-Agent $exe $arguments
  Say "installed: the RedFlagAgent service runs $installed (Get-Service RedFlagAgent)"
} finally {
  Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}
