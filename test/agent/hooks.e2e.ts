import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AptSandbox } from "../../agent-bun/test/package-managers/apt/apt-sandbox.ts";
import { waitFor } from "../harness/wait-for.ts";
import {
  type Daemon,
  requireAgentBinary,
  runAgent,
  startDaemon,
  startServerForAgent,
} from "./agent-process.ts";

/**
 * The compiled agent with a host's own hooks, against the production server (embedded PGlite), on
 * real apt and dpkg in an isolated root: a failing pre-install hook stops an install the dashboard
 * asked for, nothing is installed, and the hook's words reach the command's log; a package held
 * with `apt-mark hold` reaches the updates list as held.
 */
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 60_000);

function script(path: string, body: string) {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

describe("local hooks with the compiled agent and the production server", () => {
  test("a failing pre-install hook fails the install with its output in the command's log; the package stays as it was", async () => {
    requireAgentBinary();
    const sandbox = new AptSandbox([
      { name: "main", suite: "bookworm", label: "RedFlag Test", origin: "RedFlag" },
    ]);
    cleanups.push(() => sandbox.remove());
    for (const name of ["rf-hooked", "rf-held"]) {
      sandbox.seed(sandbox.addPackage("main", { name, version: "1.0-1" }));
      sandbox.addPackage("main", { name, version: "1.1-1" });
    }
    sandbox.publish("main");
    sandbox.apt(["apt-mark", "hold", "rf-held"]);

    const { server, admin, data, configPath, env } = await startServerForAgent("hooks", cleanups);
    const hooks = join(data.path, "hooks.d");
    mkdirSync(hooks, { mode: 0o755 });
    chmodSync(data.path, 0o755);
    script(
      join(hooks, "pre-install"),
      [
        `cat > ${join(data.path, "pre-install-input.json")}`,
        'echo "change freeze until Friday: $REDFLAG_PACKAGES not installed"',
        'echo "ticket CHG-1234" >&2',
        "exit 4",
      ].join("\n"),
    );
    script(join(hooks, "post-install"), `touch ${join(data.path, "post-install-ran")}`);
    await Bun.write(
      configPath,
      JSON.stringify({
        pollJitterSeconds: 0,
        apt: {
          configFile: sandbox.configFile,
          rebootRequiredFile: join(sandbox.fakeRoot, "run/reboot-required"),
        },
        hooks: { directory: hooks, timeoutSeconds: 60 },
      }),
    );
    const registration = await admin.registrationTokens.create.mutate({ label: "hooks e2e", seats: 1 });
    const { activeFingerprint } = await admin.signingKeys.current.query();
    const registered = await runAgent(
      [
        "--register",
        "--server",
        server.url,
        "--token",
        registration.token,
        "--fingerprint",
        activeFingerprint,
      ],
      env,
    );
    expect(registered.exitCode).toBe(0);
    const agentId = /Registered as (agt_\w+)/.exec(registered.stdout)?.[1] ?? "";

    await admin.agents.configure.mutate({ agentId, rapidModeMinutes: 30 });
    const daemon: Daemon = startDaemon(env);
    cleanups.push(() => daemon.stop());
    const reported = await waitFor("both updates on the server", async () => {
      const list = await admin.updates.list.query({ agentId });
      return list.items.length === 2 ? list.items : undefined;
    });
    expect(reported.map((update) => [update.packageName, update.hostHeld, update.heldByPolicy])).toEqual([
      ["rf-held", true, null],
      ["rf-hooked", false, null],
    ]);
    expect(
      (await admin.updates.list.query({ agentId, held: true })).items.map((update) => update.packageName),
    ).toEqual(["rf-held"]);

    const hooked = reported.find((update) => update.packageName === "rf-hooked");
    if (!hooked) throw new Error("rf-hooked was not reported");
    const { commandIds } = await admin.updates.install.mutate({ updateIds: [hooked.id] });
    const commandId = commandIds[0] ?? "";
    const command = await waitFor(
      "the install's result",
      async () => {
        const detail = await admin.commands.get.query({ commandId });
        return detail.finishedAt ? detail : undefined;
      },
      90_000,
    );
    const hook = join(hooks, "pre-install");
    expect(command.status).toBe("failed");
    expect(command.exitCode).toBe(4);
    expect(command.output).toBe(
      `pre-install hook ${hook} exited with 4\nchange freeze until Friday: rf-hooked not installed\nticket CHG-1234`,
    );
    expect(command.itemOutcomes).toEqual([
      {
        updateId: hooked.id,
        status: "failed",
        installedVersion: null,
        message: `Not installed: the pre-install hook ${hook} exited with 4: change freeze until Friday: rf-hooked not installed\nticket CHG-1234`,
      },
    ]);
    expect(
      command.logs.some(
        (log) =>
          log.kind === "progress" &&
          log.message.includes("change freeze until Friday: rf-hooked not installed"),
      ),
    ).toBe(true);
    expect(sandbox.installedVersion("rf-hooked")).toBe("1.0-1");
    expect(existsSync(join(data.path, "post-install-ran"))).toBe(false);
    const input = JSON.parse(await Bun.file(join(data.path, "pre-install-input.json")).text());
    expect(input).toMatchObject({
      hook: "pre-install",
      commandId,
      commandType: "install",
      packageType: "apt",
      targets: [{ packageName: "rf-hooked", currentVersion: "1.0-1", availableVersion: "1.1-1" }],
    });
    const [after] = (await admin.updates.list.query({ agentId, search: "rf-hooked" })).items;
    expect(after?.status).toBe("failed");
    expect(await daemon.stop()).toBe(0);
  }, 300_000);
});
