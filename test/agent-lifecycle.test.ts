import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import { errorCodeOf, type TestServer, useTestServer } from "./harness/server.ts";

const agentsDirectory = mkdtempSync(join(tmpdir(), "redflag-agent-builds-"));
const manifest = join(agentsDirectory, "manifest.json");
writeFileSync(
  manifest,
  JSON.stringify({
    version: "2.0.0",
    files: [
      {
        file: "redflag-agent-linux-x64",
        os: "linux",
        arch: "x64",
        libc: "glibc",
        sha256: "0".repeat(64),
        size: 1,
      },
      {
        file: "redflag-agent-windows-x64.exe",
        os: "windows",
        arch: "x64",
        libc: null,
        sha256: "1".repeat(64),
        size: 1,
      },
    ],
  }),
);
afterAll(() => rmSync(agentsDirectory, { recursive: true, force: true }));

let server: TestServer;
useTestServer(
  (started) => {
    server = started;
  },
  { agentsDirectory },
);

const checkIn = (agentVersion: string) => ({ agentVersion, metrics: {}, rebootRequired: false });

/** The error message of a call that must fail. */
async function messageOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the call succeeded");
}

describe("update_agent", () => {
  test("queued with the server's build version; refused without a build for the host, at that version, or twice", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin, { agentVersion: "1.0.0" });
    const command = await admin.client.agents.requestCommand.mutate({
      agentId: agent.agentId,
      type: "update_agent",
    });
    expect(command.parameters).toEqual({ version: "2.0.0", deadlineMinutes: 10 });
    expect(
      await messageOf(
        admin.client.agents.requestCommand.mutate({ agentId: agent.agentId, type: "update_agent" }),
      ),
    ).toBe(
      `An agent update (${command.id}) is already pending for ${(await admin.client.agents.get.query({ agentId: agent.agentId })).hostname}`,
    );
    expect((await admin.client.agents.get.query({ agentId: agent.agentId })).serverAgentVersion).toBe(
      "2.0.0",
    );

    const arm = await registerAgent(server, admin, { architecture: "aarch64", agentVersion: "1.0.0" });
    expect(
      await messageOf(
        admin.client.agents.requestCommand.mutate({ agentId: arm.agentId, type: "update_agent" }),
      ),
    ).toBe("This server has no agent build for linux on aarch64 (agent 2.0.0)");
    expect((await admin.client.agents.get.query({ agentId: arm.agentId })).serverAgentVersion).toBeNull();

    const current = await registerAgent(server, admin, { agentVersion: "2.0.0" });
    expect(
      await errorCodeOf(
        admin.client.agents.requestCommand.mutate({ agentId: current.agentId, type: "update_agent" }),
      ),
    ).toBe("CONFLICT");

    renameSync(manifest, `${manifest}.away`);
    try {
      expect(
        await messageOf(
          admin.client.agents.requestCommand.mutate({ agentId: arm.agentId, type: "update_agent" }),
        ),
      ).toContain("No agent binaries are built on this server");
    } finally {
      renameSync(`${manifest}.away`, manifest);
    }
    const viewer = await signIn(server, "viewer");
    expect(
      await errorCodeOf(
        viewer.client.agents.requestCommand.mutate({ agentId: agent.agentId, type: "update_agent" }),
      ),
    ).toBe("FORBIDDEN");
  });

  test("keep agents at the server's version: one update for an older agent, none while open, none again after it failed", async () => {
    const admin = await signIn(server, "admin");
    const agent = await registerAgent(server, admin, { agentVersion: "1.0.0" });
    expect((await agent.client.agent.checkIn.mutate(checkIn("1.0.0"))).commands).toEqual([]);

    await admin.client.settings.set.mutate({ key: "keepAgentsAtServerVersion", value: true });
    try {
      const first = await agent.client.agent.checkIn.mutate(checkIn("1.0.0"));
      expect(first.commands.map((command) => [command.type, command.parameters])).toEqual([
        ["update_agent", { version: "2.0.0", deadlineMinutes: 10 }],
      ]);
      const [update] = first.commands;
      if (!update) throw new Error("no update leased");
      expect((await agent.client.agent.checkIn.mutate(checkIn("1.0.0"))).commands).toEqual([]);
      await agent.client.agent.reportResult.mutate({
        commandId: update.id,
        status: "failed",
        exitCode: 3,
        output: "The new agent 2.0.0 failed its trial run and agent 1.0.0 was put back",
        startedAt: new Date(),
        finishedAt: new Date(),
      });
      for (let round = 0; round < 3; round++)
        expect((await agent.client.agent.checkIn.mutate(checkIn("1.0.0"))).commands).toEqual([]);
      const updates = await admin.client.commands.list.query({
        agentId: agent.agentId,
        types: ["update_agent"],
      });
      expect(updates.items.map((command) => command.status)).toEqual(["failed"]);

      // Agents at the server's version or newer, or without a build for their platform, are left alone.
      for (const [host, version] of [
        [{ agentVersion: "2.0.0" }, "2.0.0"],
        [{ agentVersion: "2.1.0" }, "2.1.0"],
        [{ agentVersion: "1.0.0", architecture: "aarch64" }, "1.0.0"],
      ] as const) {
        const other = await registerAgent(server, admin, host);
        expect((await other.client.agent.checkIn.mutate(checkIn(version))).commands).toEqual([]);
      }
      // An older prerelease is older.
      const rc = await registerAgent(server, admin, { agentVersion: "2.0.0-rc.1" });
      expect(
        (await rc.client.agent.checkIn.mutate(checkIn("2.0.0-rc.1"))).commands.map((command) => command.type),
      ).toEqual(["update_agent"]);
    } finally {
      await admin.client.settings.set.mutate({ key: "keepAgentsAtServerVersion", value: false });
    }
  });
});

describe("reboot", () => {
  test("queued with its delay and message; refused while an install is open, or another reboot", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    await agent.client.agent.reportScan.mutate(scanReport([aptItem("linux-image-amd64")]));
    const [update] = (await admin.client.updates.list.query({ agentId: agent.agentId })).items;
    if (!update) throw new Error("update missing");
    const {
      commandIds: [install],
    } = await admin.client.updates.install.mutate({ updateIds: [update.id] });
    const hostname = (await admin.client.agents.get.query({ agentId: agent.agentId })).hostname;
    expect(
      await messageOf(admin.client.agents.requestCommand.mutate({ agentId: agent.agentId, type: "reboot" })),
    ).toBe(
      `${hostname} is not rebooted while an install (${install}) is pending: wait for it to finish or cancel it`,
    );
    // Still refused once the agent has taken the install.
    await agent.client.agent.checkIn.mutate(checkIn("0.1.0"));
    expect(
      await errorCodeOf(
        admin.client.agents.requestCommand.mutate({ agentId: agent.agentId, type: "reboot" }),
      ),
    ).toBe("CONFLICT");
    await agent.client.agent.reportResult.mutate({
      commandId: install as `cmd_${string}`,
      status: "succeeded",
      exitCode: 0,
      output: "",
      startedAt: new Date(),
      finishedAt: new Date(),
      items: [{ updateId: update.id, status: "installed", installedVersion: "1.0-2", message: "" }],
    });

    const reboot = await admin.client.agents.requestCommand.mutate({
      agentId: agent.agentId,
      type: "reboot",
      reboot: { delaySeconds: 300, message: "Kernel update: back in five minutes" },
    });
    expect(reboot.parameters).toEqual({ delaySeconds: 300, message: "Kernel update: back in five minutes" });
    expect(
      await messageOf(admin.client.agents.requestCommand.mutate({ agentId: agent.agentId, type: "reboot" })),
    ).toContain(`while a reboot (${reboot.id}) is pending`);
  });

  test("parameters are checked before anything is queued", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    for (const reboot of [
      { delaySeconds: -1 },
      { delaySeconds: 86_401 },
      { delaySeconds: 0.5 },
      { delaySeconds: 0, message: "two\nlines" },
      { delaySeconds: 0, message: 'a "quoted" word' },
      { delaySeconds: 0, message: "evil\u202etxt" },
      { delaySeconds: 0, message: "x".repeat(201) },
    ]) {
      expect(
        await errorCodeOf(
          admin.client.agents.requestCommand.mutate({ agentId: agent.agentId, type: "reboot", reboot }),
        ),
      ).toBe("BAD_REQUEST");
    }
    const commands = await admin.client.commands.list.query({ agentId: agent.agentId });
    expect(commands.total).toBe(0);
    const plain = await admin.client.agents.requestCommand.mutate({ agentId: agent.agentId, type: "reboot" });
    expect(plain.parameters).toEqual({ delaySeconds: 0 });
  });

  test("the reasons a reboot is required are kept from the check-in and cleared with the flag", async () => {
    const admin = await signIn(server, "viewer");
    const operator = await signIn(server, "operator");
    const agent = await registerAgent(server, operator);
    const reasons = [
      "linux-image-6.1.0-28-amd64 (/run/reboot-required.pkgs)",
      "libc6 (/run/reboot-required.pkgs)",
    ];
    await agent.client.agent.checkIn.mutate({
      ...checkIn("0.1.0"),
      rebootRequired: true,
      rebootReasons: reasons,
    });
    const detail = await admin.client.agents.get.query({ agentId: agent.agentId });
    expect(detail.rebootRequired).toBe(true);
    expect(detail.rebootReasons).toEqual(reasons);
    await agent.client.agent.checkIn.mutate({ ...checkIn("0.1.0"), rebootReasons: reasons });
    expect((await admin.client.agents.get.query({ agentId: agent.agentId })).rebootReasons).toEqual([]);
    expect(
      await errorCodeOf(
        agent.client.agent.checkIn.mutate({
          ...checkIn("0.1.0"),
          rebootRequired: true,
          rebootReasons: Array.from({ length: 51 }, (_, index) => `package-${index}`),
        }),
      ),
    ).toBe("BAD_REQUEST");
  });
});
