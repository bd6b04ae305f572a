import { describe, expect, test } from "bun:test";
import {
  linuxManualSteps,
  linuxOneLiner,
  powerShellWord,
  shellWord,
  windowsManualSteps,
  windowsOneLiner,
} from "./install-commands.ts";

const inputs = {
  server: "http://redflag.lan:8080/",
  token: "rf_reg_AbC123-xyz",
  fingerprint: "SHA256:q2Gm+Zt/5bWc0pLk7bJ8dJtK3N1nP9o4yXv6RrHsE0Q",
};

/** What a real POSIX shell makes of a command's words: each argument ends in a NUL. */
function shellArguments(command: string): string[] {
  const result = Bun.spawnSync({ cmd: ["sh", "-c", `printf '%s\\0' ${command}`], stdout: "pipe" });
  expect(result.exitCode).toBe(0);
  return result.stdout.toString().split("\0").slice(0, -1);
}

describe("install commands", () => {
  test("the Linux one-liner pipes this server's install.sh into sh with the token and fingerprint", () => {
    expect(linuxOneLiner(inputs)).toBe(
      "curl -fsSL http://redflag.lan:8080/install.sh | sh -s -- --token rf_reg_AbC123-xyz --fingerprint SHA256:q2Gm+Zt/5bWc0pLk7bJ8dJtK3N1nP9o4yXv6RrHsE0Q",
    );
  });

  test("the Windows one-liner runs install.ps1 as a script block with -Token and -Fingerprint", () => {
    expect(windowsOneLiner(inputs)).toBe(
      "& ([scriptblock]::Create((irm http://redflag.lan:8080/install.ps1))) -Token rf_reg_AbC123-xyz -Fingerprint 'SHA256:q2Gm+Zt/5bWc0pLk7bJ8dJtK3N1nP9o4yXv6RrHsE0Q'",
    );
  });

  test("without a known fingerprint no command names one", () => {
    const unknown = { ...inputs, fingerprint: null };
    for (const command of [
      linuxOneLiner(unknown),
      windowsOneLiner(unknown),
      linuxManualSteps(unknown, "redflag-agent-linux-x64-musl"),
      windowsManualSteps(unknown, "redflag-agent-windows-x64.exe"),
    ]) {
      expect(command.toLowerCase()).not.toContain("fingerprint");
    }
  });

  test("a shell word with anything a shell would expand reaches the program exactly as written", () => {
    const hostile = ["it's $(reboot)", "`id`", "a b", "*", "x;y", "$HOME", "-n", ""];
    const quoted = hostile.map(shellWord).join(" ");
    expect(shellArguments(`${quoted}`)).toEqual(hostile);
  });

  test("PowerShell words: single quotes around anything not plain, '' for a quote", () => {
    expect(powerShellWord("rf_reg_abc")).toBe("rf_reg_abc");
    expect(powerShellWord("it's $(x)")).toBe("'it''s $(x)'");
    expect(powerShellWord("-Token")).toBe("'-Token'");
    expect(powerShellWord("@splat")).toBe("'@splat'");
  });

  test("the manual Linux steps download, check, register with the fingerprint and install the service", () => {
    const steps = linuxManualSteps(inputs, "redflag-agent-linux-arm64-musl").split("\n");
    expect(steps).toEqual([
      "curl -fsSLO http://redflag.lan:8080/downloads/redflag-agent-linux-arm64-musl",
      "curl -fsSL http://redflag.lan:8080/downloads/redflag-agent-linux-arm64-musl.sha256 | sha256sum -c -",
      "chmod +x ./redflag-agent-linux-arm64-musl",
      "sudo ./redflag-agent-linux-arm64-musl --register --server http://redflag.lan:8080 --token rf_reg_AbC123-xyz --fingerprint SHA256:q2Gm+Zt/5bWc0pLk7bJ8dJtK3N1nP9o4yXv6RrHsE0Q",
      "sudo ./redflag-agent-linux-arm64-musl --install-service --server http://redflag.lan:8080",
    ]);
    // Every line parses in a real shell into the words the agent expects.
    expect(shellArguments(steps[3]?.replace(/^sudo /, "") ?? "")).toEqual([
      "./redflag-agent-linux-arm64-musl",
      "--register",
      "--server",
      "http://redflag.lan:8080",
      "--token",
      inputs.token,
      "--fingerprint",
      inputs.fingerprint,
    ]);
  });

  test("the manual Windows steps name the exe, its hash and the same registration", () => {
    const steps = windowsManualSteps(inputs, "redflag-agent-windows-x64.exe");
    expect(steps).toContain(
      "-Uri http://redflag.lan:8080/downloads/redflag-agent-windows-x64.exe -OutFile redflag-agent-windows-x64.exe",
    );
    expect(steps).toContain("Get-FileHash redflag-agent-windows-x64.exe -Algorithm SHA256");
    expect(steps).toContain(
      "& '.\\redflag-agent-windows-x64.exe' --register --server http://redflag.lan:8080 --token rf_reg_AbC123-xyz --fingerprint 'SHA256:",
    );
  });
});
