import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { AptSandbox } from "../../agent-bun/test/package-managers/apt/apt-sandbox.ts";
import { type RunningEngine, startEngine } from "../../agent-bun/test/package-managers/docker/real-engine.ts";
import { linuxOneLiner } from "../../apps/web/src/lib/install-commands.ts";
import { waitFor } from "../harness/wait-for.ts";
import { requireAgentBinary, startServerForAgent } from "./agent-process.ts";

/**
 * The one-line installer on a real systemd host: a Debian 12 container with systemd as PID 1
 * (scripts/build-systemd-image.sh builds its root once), on the host's network so that it reaches
 * the production server on 127.0.0.1, with a local APT repository bind-mounted as its only source.
 * Nothing is replayed: real curl | sh, real systemctl, the compiled agent, real apt inside.
 */
const systemdRoot = process.env.REDFLAG_SYSTEMD_ROOT_TAR ?? "/var/cache/redflag/debian-systemd-12-v2.tar";
const container = "redflag-systemd-host";
const unitPath = "/etc/systemd/system/redflag-agent.service";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 120_000);

type Exec = { exitCode: number; stdout: string; stderr: string };

function inHost(engine: RunningEngine, name = container) {
  const exec = (...argv: string[]): Promise<Exec> => engine.tryDocker(["exec", name, ...argv]);
  const sh = (script: string) => exec("sh", "-c", script);
  const must = async (...argv: string[]) => {
    const result = await exec(...argv);
    if (result.exitCode !== 0) {
      throw new Error(`${argv.join(" ")} exited with ${result.exitCode}:\n${result.stdout}${result.stderr}`);
    }
    return result.stdout.trim();
  };
  const property = async (name: string) =>
    must("systemctl", "show", "--property", name, "--value", "redflag-agent.service");
  /** Adds the agent's journal to a failed wait, so a failure says what the service did. */
  const explain = <T>(waiting: Promise<T>): Promise<T> =>
    waiting.catch(async (error: Error) => {
      const journal = await exec("journalctl", "-u", "redflag-agent.service", "--no-pager", "-n", "60");
      throw new Error(`${error.message}\nthe agent's journal:\n${journal.stdout}${journal.stderr}`);
    });
  return { exec, sh, must, property, explain };
}

let sandbox: AptSandbox;
let context: Awaited<ReturnType<typeof startServerForAgent>>;
let engine: RunningEngine;

beforeAll(async () => {
  requireAgentBinary();
  if (!existsSync(systemdRoot)) {
    throw new Error(
      `No systemd host root at ${systemdRoot}: run scripts/build-systemd-image.sh (CI's install step does)`,
    );
  }
  sandbox = new AptSandbox([{ name: "main", suite: "bookworm", label: "RedFlag Test", origin: "RedFlag" }]);
  cleanups.push(() => sandbox.remove());
  sandbox.addPackage("main", { name: "rf-hello", version: "1.0-1" });
  sandbox.publish("main");
  context = await startServerForAgent("systemd", cleanups);
  engine = await startEngine();
  cleanups.push(() => engine.stop());
  await engine.docker(
    "import",
    "--change",
    'CMD ["/lib/systemd/systemd"]',
    systemdRoot,
    "local/debian-systemd:12",
  );
}, 300_000);

describe("install.sh on a real systemd host", () => {
  test("the one-liner installs a running service that registers, checks in, installs an update, survives a kill and a reboot, re-runs cleanly and uninstalls without a trace", async () => {
    const { server, admin } = context;
    await engine.docker(
      "run",
      "-d",
      "--name",
      container,
      "--network",
      "host",
      "--restart",
      "always",
      "--cap-add",
      "SYS_ADMIN",
      "-e",
      "container=docker",
      "-v",
      "/sys/fs/cgroup:/sys/fs/cgroup:rw",
      "--tmpfs",
      "/run",
      "--tmpfs",
      "/run/lock",
      "--tmpfs",
      "/tmp",
      "-v",
      `${sandbox.repositoryPath("main")}:/srv/redflag-repo:ro`,
      "local/debian-systemd:12",
    );
    const host = inHost(engine);
    const systemRunning = () =>
      waitFor(
        "systemd in the container to finish booting",
        async () => {
          const state = (await host.exec("systemctl", "is-system-running")).stdout.trim();
          return state === "running" || state === "degraded" ? state : undefined;
        },
        120_000,
      ).catch(async (error: Error) => {
        const jobs = await host.exec("systemctl", "list-jobs", "--no-pager");
        throw new Error(`${error.message}; jobs still waiting:\n${jobs.stdout}${jobs.stderr}`);
      });
    expect(await systemRunning()).toBe("running");

    // The host's own apt sees only the test's repository; rf-hello 1.0 is installed.
    await host.must("sh", "-c", "echo 'deb [trusted=yes] file:/srv/redflag-repo ./' > /etc/apt/sources.list");
    await host.must("apt-get", "-o", "APT::Update::Error-Mode=any", "update");
    await host.must("apt-get", "install", "-y", "rf-hello=1.0-1");
    // No random delay on each poll, so rapid mode's 5 s pace is what the test waits for.
    await host.must(
      "sh",
      "-c",
      "mkdir -p /etc/aggregator && echo '{\"pollJitterSeconds\": 0}' > /etc/aggregator/config.json",
    );

    // As a homelabber would: a root shell on a host without sudo (put back for the second run), the
    // line from the page.
    await host.must("mv", "/usr/bin/sudo", "/usr/bin/sudo.away");
    expect((await host.exec("sh", "-c", "command -v sudo")).exitCode).not.toBe(0);
    const registration = await admin.registrationTokens.create.mutate({ label: "systemd e2e", seats: 1 });
    const { activeFingerprint } = await admin.signingKeys.current.query();
    // Exactly the line the Add agent page shows.
    const oneLiner = linuxOneLiner({
      server: server.url,
      token: registration.token,
      fingerprint: activeFingerprint,
    });
    const installed = await host.sh(oneLiner);
    expect(installed).toMatchObject({ exitCode: 0, stderr: "" });
    await host.must("mv", "/usr/bin/sudo.away", "/usr/bin/sudo");
    expect(installed.stdout).toContain("chose redflag-agent-linux-x64 (x86_64, glibc)");
    expect(installed.stdout).toContain("SHA-256 matches SHA256SUMS");
    expect(installed.stdout).toContain(`SHA256SUMS is signed by ${activeFingerprint}`);
    expect(installed.stdout).toContain(
      `This binary is the redflag-agent-linux-x64 signed by ${activeFingerprint}`,
    );
    expect(installed.stdout).toContain("Installed: /usr/local/bin/redflag-agent");
    const agentId = /Registered as (agt_\w+)/.exec(installed.stdout)?.[1] ?? "";
    expect(agentId).toStartWith("agt_");
    expect(await host.must("systemctl", "is-enabled", "redflag-agent.service")).toBe("enabled");
    expect(await host.must("systemctl", "is-active", "redflag-agent.service")).toBe("active");
    const unit = await host.must("cat", unitPath);
    expect(unit).toContain("Restart=always");
    const verify = await host.exec("systemd-analyze", "verify", unitPath);
    expect(`${verify.stdout}${verify.stderr}`).toBe("");
    expect(verify.exitCode).toBe(0);

    // It checks in from inside the host, reports rf-hello 1.1 once published, and installs it for real.
    await host.explain(
      waitFor("the agent's first check-in", async () =>
        (await admin.agents.get.query({ agentId })).lastCheckInAt !== null ? true : undefined,
      ),
    );
    await admin.agents.configure.mutate({ agentId, rapidModeMinutes: 30 });

    // Restart=always: a killed agent comes back as a new process, which checks in at once and so
    // learns of rapid mode (a 5 s pace) without waiting out the 300 s poll interval.
    const killedAt = new Date();
    const firstPid = await host.property("MainPID");
    await host.must("kill", "-9", firstPid);
    const secondPid = await waitFor("the service to restart the killed agent", async () => {
      const pid = await host.property("MainPID");
      const active = (await host.exec("systemctl", "is-active", "redflag-agent.service")).stdout.trim();
      return active === "active" && pid !== "0" && pid !== firstPid ? pid : undefined;
    });
    expect(Number(await host.property("NRestarts"))).toBeGreaterThanOrEqual(1);

    await host.explain(
      waitFor("a check-in from the restarted agent", async () => {
        const agent = await admin.agents.get.query({ agentId });
        return agent.lastCheckInAt !== null && agent.lastCheckInAt > killedAt ? true : undefined;
      }),
    );

    sandbox.addPackage("main", { name: "rf-hello", version: "1.1-1" });
    sandbox.publish("main");
    // The daemon scans on its own schedule; ask for a scan now.
    await admin.agents.requestCommand.mutate({ agentId, type: "scan" });
    const update = await host.explain(
      waitFor(
        "rf-hello 1.1-1 reported by the service",
        async () =>
          (await admin.updates.list.query({ agentId })).items.find((item) => item.packageName === "rf-hello"),
        120_000,
      ),
    );
    expect(update.availableVersion).toBe("1.1-1");
    await admin.updates.approve.mutate({ updateIds: [update.id] });
    await admin.updates.install.mutate({ updateIds: [update.id] });
    await host.explain(
      waitFor(
        "rf-hello installed by the service",
        async () => {
          const list = await admin.updates.list.query({ agentId });
          return list.items.find((item) => item.id === update.id)?.status === "installed" ? true : undefined;
        },
        120_000,
      ),
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's format, not a template
    expect(await host.must("dpkg-query", "-W", "-f", "${Version}", "rf-hello")).toBe("1.1-1");

    // The same line again, by a user who has sudo: an upgrade in place. The token's one seat is used
    // up, so registering again would fail; the registration is kept, the service restarted on the
    // new binary.
    // The config is made to look like one registered before commands were signed (no key pinned):
    // the line's fingerprint pins the server's key once the binary was checked against it.
    const config = JSON.parse(await host.must("cat", "/etc/aggregator/config.json"));
    const pinnedKeys = config.serverKeys;
    expect(pinnedKeys).toHaveLength(1);
    delete config.serverKeys;
    const unpinned = Buffer.from(JSON.stringify(config)).toString("base64");
    await host.must("sh", "-c", `echo ${unpinned} | base64 -d > /etc/aggregator/config.json`);
    await host.must("useradd", "--create-home", "homelab");
    await host.must("sh", "-c", "echo 'homelab ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/homelab");
    const again = await host.exec("su", "homelab", "-c", oneLiner);
    expect(again).toMatchObject({ exitCode: 0 });
    expect(again.stderr).not.toContain("redflag");
    expect(again.stdout).toContain("Upgraded: /usr/local/bin/redflag-agent");
    expect(again.stdout).toContain(`Kept the registration as ${agentId}`);
    expect(again.stdout).toContain("Pinned the server's signing key");
    expect(JSON.parse(await host.must("cat", "/etc/aggregator/config.json")).serverKeys).toEqual(pinnedKeys);
    expect((await admin.agents.list.query({})).total).toBe(1);
    expect(await host.must("systemctl", "is-active", "redflag-agent.service")).toBe("active");
    expect(await host.property("MainPID")).not.toBe(secondPid);

    // A reboot queued from the server: the agent runs shutdown -r, systemd stops the container and
    // its restart policy brings it back; systemd's own start time moves (a container keeps the
    // kernel's boot id), and the agent, started by the enabled unit, reports the reboot done.
    const bootedAt = await host.must("systemctl", "show", "--property", "UserspaceTimestamp", "--value");
    const beforeReboot = new Date();
    const reboot = await admin.agents.requestCommand.mutate({ agentId, type: "reboot" });
    await waitFor(
      "the container to come back with a new systemd",
      async () => {
        const now = await host.exec("systemctl", "show", "--property", "UserspaceTimestamp", "--value");
        return now.exitCode === 0 && now.stdout.trim() !== "" && now.stdout.trim() !== bootedAt
          ? true
          : undefined;
      },
      180_000,
    );
    await systemRunning();
    expect(await host.must("systemctl", "is-active", "redflag-agent.service")).toBe("active");
    const rebooted = await host.explain(
      waitFor(
        "the reboot reported done",
        async () => {
          const command = await admin.commands.get.query({ commandId: reboot.id });
          return command.status === "succeeded" || command.status === "failed" ? command : undefined;
        },
        180_000,
      ),
    );
    expect(rebooted.status).toBe("succeeded");
    await host.explain(
      waitFor(
        "a check-in after the reboot",
        async () => {
          const agent = await admin.agents.get.query({ agentId });
          return agent.lastCheckInAt !== null && agent.lastCheckInAt > beforeReboot ? true : undefined;
        },
        120_000,
      ),
    );

    // --uninstall --purge: no unit, no binary, no config, no state, no process.
    const removed = await host.sh(`curl -fsSL ${server.url}/install.sh | sh -s -- --uninstall --purge`);
    expect(removed).toMatchObject({ exitCode: 0, stderr: "" });
    for (const path of [unitPath, "/usr/local/bin/redflag-agent", "/etc/aggregator", "/var/lib/aggregator"]) {
      expect((await host.exec("test", "-e", path)).exitCode).toBe(1);
    }
    expect(await host.must("systemctl", "list-units", "--all", "--no-legend", "redflag-agent*")).toBe("");
    // (list-unit-files exits 1 when nothing matches.)
    expect(
      (await host.exec("systemctl", "list-unit-files", "--no-legend", "redflag-agent*")).stdout.trim(),
    ).toBe("");
    expect((await host.exec("pgrep", "-f", "redflag-agent")).exitCode).toBe(1);
    // And once more: nothing left to remove is not an error.
    const twice = await host.sh(`curl -fsSL ${server.url}/install.sh | sh -s -- --uninstall --purge`);
    expect(twice.exitCode).toBe(0);
    expect(twice.stdout).toContain("nothing to uninstall");
  }, 900_000);

  test("in a container without systemd as init, the one-liner installs and registers, says there is no service and what to run instead", async () => {
    const { server, admin } = context;
    const name = "redflag-no-systemd";
    await engine.docker(
      "run",
      "-d",
      "--name",
      name,
      "--network",
      "host",
      "local/debian-systemd:12",
      "sleep",
      "infinity",
    );
    const plain = inHost(engine, name);
    const registration = await admin.registrationTokens.create.mutate({ label: "no systemd e2e", seats: 1 });
    const { activeFingerprint } = await admin.signingKeys.current.query();
    const result = await plain.sh(
      linuxOneLiner({ server: server.url, token: registration.token, fingerprint: activeFingerprint }),
    );
    expect(result).toMatchObject({ exitCode: 10 });
    expect(result.stdout).toContain("Installed: /usr/local/bin/redflag-agent");
    expect(result.stdout).toMatch(/Registered as agt_\w+/);
    expect(result.stdout).toContain("installed without a service: see above for how to start it");
    expect(result.stderr).toContain("systemd is not running on this machine (no /run/systemd/system)");
    expect(result.stderr).toContain("/usr/local/bin/redflag-agent --daemon");
    expect((await plain.exec("test", "-e", unitPath)).exitCode).toBe(1);
    // What it says to run works: the agent started that way checks in.
    await plain.exec("sh", "-c", "/usr/local/bin/redflag-agent --daemon >/var/log/redflag-agent.log 2>&1 &");
    const agentId = /Registered as (agt_\w+)/.exec(result.stdout)?.[1] ?? "";
    await waitFor("a check-in from the agent run by hand", async () =>
      (await admin.agents.get.query({ agentId })).lastCheckInAt !== null ? true : undefined,
    );
    await engine.docker("rm", "-f", name);
  }, 300_000);
});
