/**
 * The commands the Add-agent page shows, as text to paste. Every value the server does not control
 * (its own address as the browser sees it, a token, a fingerprint) is quoted for the shell it lands
 * in, so a pasted command never runs anything but the install.
 */

export type InstallInputs = { server: string; token: string; fingerprint: string | null };

/** Words a POSIX shell reads literally: left bare, as people type them. */
const plainShellWord = /^[A-Za-z0-9_./:=@%+-]+$/;
/** The same for PowerShell, narrower: `@`, `+` and `=` can mean something at a word's start. */
const plainPowerShellWord = /^[A-Za-z0-9_./:][A-Za-z0-9_./:-]*$/;

/** A POSIX shell word: single quotes expand nothing; a ' inside is closed, escaped and reopened. */
export function shellWord(text: string): string {
  return plainShellWord.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** A PowerShell argument: single-quoted strings expand nothing; '' stands for one '. */
export function powerShellWord(text: string): string {
  return plainPowerShellWord.test(text) ? text : `'${text.replaceAll("'", "''")}'`;
}

const trimmed = (server: string) => server.replace(/\/+$/, "");

/**
 * `curl … /install.sh | sh -s -- --token … --fingerprint …`. The script runs as root or asks sudo
 * itself (agent-bun/install/install.sh), so one command serves both.
 */
export function linuxOneLiner(inputs: InstallInputs): string {
  const words = ["curl -fsSL", shellWord(`${trimmed(inputs.server)}/install.sh`), "| sh -s --"];
  words.push("--token", shellWord(inputs.token));
  if (inputs.fingerprint) words.push("--fingerprint", shellWord(inputs.fingerprint));
  return words.join(" ");
}

/** PowerShell as Administrator: install.ps1 run as a script block, so its parameters can be passed. */
export function windowsOneLiner(inputs: InstallInputs): string {
  const words = [
    `& ([scriptblock]::Create((irm ${powerShellWord(`${trimmed(inputs.server)}/install.ps1`)})))`,
    "-Token",
    powerShellWord(inputs.token),
  ];
  if (inputs.fingerprint) words.push("-Fingerprint", powerShellWord(inputs.fingerprint));
  return words.join(" ");
}

/** Download, check, register and install the service by hand, for one Linux binary. */
export function linuxManualSteps(inputs: InstallInputs, file: string): string {
  const server = trimmed(inputs.server);
  const binary = shellWord(`./${file}`);
  const register = [
    `sudo ${binary} --register --server`,
    shellWord(server),
    "--token",
    shellWord(inputs.token),
  ];
  if (inputs.fingerprint) register.push("--fingerprint", shellWord(inputs.fingerprint));
  return [
    `curl -fsSLO ${shellWord(`${server}/downloads/${file}`)}`,
    `curl -fsSL ${shellWord(`${server}/downloads/${file}.sha256`)} | sha256sum -c -`,
    `chmod +x ${binary}`,
    register.join(" "),
    `sudo ${binary} --install-service --server ${shellWord(server)}`,
  ].join("\n");
}

/** The same by hand on Windows, in PowerShell as Administrator. */
export function windowsManualSteps(inputs: InstallInputs, file: string): string {
  const server = trimmed(inputs.server);
  const exe = powerShellWord(`.\\${file}`);
  const register = [
    `& ${exe} --register --server`,
    powerShellWord(server),
    "--token",
    powerShellWord(inputs.token),
  ];
  if (inputs.fingerprint) register.push("--fingerprint", powerShellWord(inputs.fingerprint));
  return [
    `Invoke-WebRequest -UseBasicParsing -Uri ${powerShellWord(`${server}/downloads/${file}`)} -OutFile ${powerShellWord(file)}`,
    `(Get-FileHash ${powerShellWord(file)} -Algorithm SHA256).Hash.ToLower()   # the SHA-256 in the table`,
    register.join(" "),
    `& ${exe} --install-service --server ${powerShellWord(server)}`,
  ].join("\n");
}
