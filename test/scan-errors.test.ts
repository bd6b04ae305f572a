import { describe, expect, test } from "bun:test";
import { aptItem, registerAgent, signIn } from "./harness/fixtures.ts";
import { type TestServer, useTestServer } from "./harness/server.ts";

let server: TestServer;
useTestServer((started) => {
  server = started;
});

describe("a failing scanner's kind reaches the server", () => {
  test("the kind and whether the agent retries are kept per scanner and shown on agent and health pages", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    await agent.client.agent.reportScan.mutate({
      scanners: [
        {
          packageType: "apt",
          status: "error",
          error: "apt-get update: locked by another process, will retry (waited 300 s)",
          kind: "locked",
          retryable: true,
        },
        { packageType: "docker", status: "ok", items: [aptItem("nginx", { target: "web" })] },
      ],
      startedAt: new Date(),
      finishedAt: new Date(),
    });
    const detail = await admin.client.agents.get.query({ agentId: agent.agentId });
    expect(detail.latestScans[0]?.scanners).toEqual([
      {
        packageType: "apt",
        status: "error",
        error: "apt-get update: locked by another process, will retry (waited 300 s)",
        errorKind: "locked",
        retryable: true,
        itemCount: 0,
      },
      { packageType: "docker", status: "ok", error: null, errorKind: null, retryable: false, itemCount: 1 },
    ]);
    const activity = await admin.client.dashboard.activity.query();
    expect(activity.recentErrors.map((error) => error.message)).toContain(
      "apt scan failed (locked, will retry): apt-get update: locked by another process, will retry (waited 300 s)",
    );
  });

  test("a report from an agent that sends no kind is taken as a plain failure", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    await agent.client.agent.reportScan.mutate({
      scanners: [{ packageType: "apt", status: "error", error: "apt-get update failed" }],
      startedAt: new Date(),
      finishedAt: new Date(),
    });
    const detail = await admin.client.agents.get.query({ agentId: agent.agentId });
    expect(detail.latestScans[0]?.scanners[0]).toMatchObject({ errorKind: "failed", retryable: false });
  });

  test("an unknown kind is refused and records nothing", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    const refused = await agent.client.agent.reportScan
      .mutate({
        scanners: [
          // @ts-expect-error not a kind the contract knows
          { packageType: "apt", status: "error", error: "x", kind: "exploded", retryable: true },
        ],
        startedAt: new Date(),
        finishedAt: new Date(),
      })
      .catch((error: unknown) => error);
    expect(String(refused)).toContain("scanners.0.kind");
    const detail = await admin.client.agents.get.query({ agentId: agent.agentId });
    expect(detail.latestScans).toEqual([]);
  });
});
