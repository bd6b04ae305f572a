import { ExitError, exitCodes } from "../errors.ts";

export const unitName = "redflag-agent.service";

export type UnitOptions = {
  /** The installed binary the service runs. */
  binaryPath: string;
  /** Set in the unit's environment when not the default, so the service reads what the installer wrote. */
  configPath: string | null;
  stateDirectory: string | null;
};

/**
 * Paths go into the unit as they are: one made of plain characters cannot break out of its line
 * or be read by systemd as a specifier (%), an escape (\), a quote or a second word.
 */
const plainPath = /^\/[A-Za-z0-9._+\-/]{0,4094}$/;

export function assertPlainPath(what: string, path: string): void {
  if (!plainPath.test(path)) {
    throw new ExitError(
      `${what} ${JSON.stringify(path)} cannot go into a systemd unit: use an absolute path of letters, digits and . _ + - /`,
      { exitCode: exitCodes.usage },
    );
  }
}

/**
 * The agent's systemd unit. The agent installs packages, so it keeps root's full powers: hardening
 * that would break a package manager is left out on purpose —
 * - NoNewPrivileges and RestrictSUIDSGID: maintainer scripts run setuid tools and dpkg installs them;
 * - ProtectSystem and ProtectHome: apt and dnf write /usr, /etc, /boot, and postinsts make homes;
 * - ProtectKernelModules and ProtectKernelTunables: kernel upgrades run depmod, postinsts run sysctl;
 * - PrivateTmp, PrivateDevices, ProtectClock: maintainer scripts share /tmp with the system and
 *   bootloader updates need block devices; each also needs namespaces an unprivileged LXC may lack;
 * - MemoryDenyWriteExecute: the agent's JavaScript engine compiles code at run time.
 * What is kept costs a package manager nothing. KillMode=process lets a dpkg run the agent started
 * finish when the service stops or restarts (as Debian's apt-daily-upgrade.service does), rather
 * than leaving half-configured packages. Restart=always brings the agent back after a crash and
 * after a self-update, which exits so that the new binary starts; no start limit, so it never gives up.
 */
export function renderUnit(options: UnitOptions): string {
  assertPlainPath("The agent's path", options.binaryPath);
  const environment: string[] = [];
  if (options.configPath !== null) {
    assertPlainPath("The config path", options.configPath);
    environment.push(`Environment=AGENT_CONFIG_PATH=${options.configPath}`);
  }
  if (options.stateDirectory !== null) {
    assertPlainPath("The state directory", options.stateDirectory);
    environment.push(`Environment=REDFLAG_STATE_DIR=${options.stateDirectory}`);
  }
  return `# Written by redflag-agent --install-service; removed by --uninstall-service.
[Unit]
Description=RedFlag agent (reports pending updates, installs approved ones)
Wants=network-online.target
After=network-online.target
StartLimitIntervalSec=0

[Service]
Type=simple
ExecStart=${options.binaryPath} --daemon
${environment.map((line) => `${line}\n`).join("")}Restart=always
RestartSec=5
KillMode=process
TimeoutStopSec=30
LockPersonality=yes
RestrictRealtime=yes

[Install]
WantedBy=multi-user.target
`;
}
