import { describe, expect, test } from "bun:test";
import { reportScanRateLimit } from "@redflag/api/services/scans/report-scan.ts";
import { maxItemsPerScanner } from "@redflag/contracts";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import { errorCodeOf, type TestServer, useTestServer } from "./harness/server.ts";

let server: TestServer;
useTestServer((started) => {
  server = started;
});

async function setUp() {
  const admin = await signIn(server, "operator");
  const agent = await registerAgent(server, admin);
  const list = async () =>
    (
      await admin.client.updates.list.query({ agentId: agent.agentId, sort: "packageName", pageSize: 200 })
    ).items.map((item) => `${item.packageType}:${item.packageName}@${item.availableVersion}=${item.status}`);
  return { admin, agent, list };
}

describe("scan reports are the full truth for the scanners they name", () => {
  test("a package missing from the next report is resolved; the same report twice changes nothing", async () => {
    const { agent, list, admin } = await setUp();
    const report = scanReport([aptItem("bash"), aptItem("curl"), aptItem("vim")]);
    expect(await agent.client.agent.reportScan.mutate(report)).toMatchObject({
      opened: 3,
      changed: 0,
      closed: 0,
    });
    const auditBefore = (await admin.client.audit.list.query({ entityType: "update", pageSize: 200 })).total;

    expect(await agent.client.agent.reportScan.mutate(report)).toMatchObject({
      opened: 0,
      changed: 0,
      closed: 0,
      unchanged: 3,
    });
    expect((await admin.client.audit.list.query({ entityType: "update", pageSize: 200 })).total).toBe(
      auditBefore,
    );

    expect(
      await agent.client.agent.reportScan.mutate(scanReport([aptItem("bash"), aptItem("vim")])),
    ).toMatchObject({
      opened: 0,
      closed: 1,
      unchanged: 2,
    });
    expect(await list()).toEqual([
      "apt:bash@1.0-2=available",
      "apt:curl@1.0-2=resolved",
      "apt:vim@1.0-2=available",
    ]);
  });

  test("a failed scanner leaves its updates alone, and other scanners are reconciled", async () => {
    const { agent, list } = await setUp();
    await agent.client.agent.reportScan.mutate({
      scanners: [
        { packageType: "apt", status: "ok", items: [aptItem("bash")] },
        {
          packageType: "docker",
          status: "ok",
          items: [aptItem("nginx", { target: "web", availableVersion: "sha256:abc" })],
        },
      ],
      startedAt: new Date(),
      finishedAt: new Date(),
    });
    const result = await agent.client.agent.reportScan.mutate({
      scanners: [
        { packageType: "apt", status: "error", error: "apt-get update failed: could not resolve host" },
        { packageType: "docker", status: "ok", items: [] },
      ],
      startedAt: new Date(),
      finishedAt: new Date(),
    });
    expect(result).toMatchObject({ closed: 1 });
    expect(await list()).toEqual(["apt:bash@1.0-2=available", "docker:nginx@sha256:abc=resolved"]);
  });

  test("a new version reopens an installed update and resets an approval", async () => {
    const { agent, admin, list } = await setUp();
    await agent.client.agent.reportScan.mutate(scanReport([aptItem("bash"), aptItem("curl")]));
    const items = (await admin.client.updates.list.query({ agentId: agent.agentId, sort: "packageName" }))
      .items;
    const [bash, curl] = items;
    if (!bash || !curl) throw new Error("missing updates");
    await admin.client.updates.approve.mutate({ updateIds: [bash.id, curl.id] });
    await admin.client.updates.reject.mutate({ updateIds: [curl.id] });
    await agent.client.agent.reportScan.mutate(
      scanReport([aptItem("bash", { availableVersion: "1.0-3" }), aptItem("curl")]),
    );
    expect(await list()).toEqual(["apt:bash@1.0-3=available", "apt:curl@1.0-2=rejected"]);
    const resolvedAgain = await agent.client.agent.reportScan.mutate(
      scanReport([aptItem("bash", { availableVersion: "1.0-3" })]),
    );
    expect(resolvedAgain.closed).toBe(1);
    const reopened = await agent.client.agent.reportScan.mutate(
      scanReport([
        aptItem("bash", { availableVersion: "1.0-3" }),
        aptItem("curl", { availableVersion: "1.0-4" }),
      ]),
    );
    expect(reopened).toMatchObject({ opened: 1, closed: 0 });
    expect(await list()).toEqual(["apt:bash@1.0-3=available", "apt:curl@1.0-4=available"]);
  });

  test("the same package twice in one report is refused and nothing is written", async () => {
    const { agent, list } = await setUp();
    const error = await agent.client.agent.reportScan
      .mutate(scanReport([aptItem("bash"), aptItem("bash")]))
      .catch((cause) => cause);
    expect(String(error.message)).toContain("lists bash twice");
    expect(await list()).toEqual([]);
  });

  test("updates that are installing are not closed by a report that no longer lists them", async () => {
    const { agent, admin, list } = await setUp();
    await agent.client.agent.reportScan.mutate(scanReport([aptItem("bash")]));
    const [bash] = (await admin.client.updates.list.query({ agentId: agent.agentId })).items;
    if (!bash) throw new Error("missing update");
    await admin.client.updates.install.mutate({ updateIds: [bash.id] });
    await agent.client.agent.reportScan.mutate(scanReport([]));
    expect(await list()).toEqual(["apt:bash@1.0-2=installing"]);
  });
});

describe("a scan report delivered twice", () => {
  test("with the same report id is recorded once and answered as a duplicate", async () => {
    const { agent, admin } = await setUp();
    const report = { ...scanReport([aptItem("bash"), aptItem("curl")]), reportId: crypto.randomUUID() };
    const first = await agent.client.agent.reportScan.mutate(report);
    expect(first).toMatchObject({ duplicate: false, opened: 2 });
    // Meanwhile curl was dealt with; the redelivered old report must not reopen or change anything.
    await agent.client.agent.reportScan.mutate(scanReport([aptItem("bash")]));
    const again = await agent.client.agent.reportScan.mutate(report);
    expect(again).toEqual({ ...first, duplicate: true });
    const detail = await admin.client.agents.get.query({ agentId: agent.agentId });
    expect(detail.latestScans).toHaveLength(2);
    expect(detail.updateCounts).toEqual({ available: 1, resolved: 1 });
  });

  test("concurrent deliveries of one report are recorded once", async () => {
    const { agent, admin } = await setUp();
    const report = { ...scanReport([aptItem("bash")]), reportId: crypto.randomUUID() };
    const answers = await Promise.all([1, 2, 3].map(() => agent.client.agent.reportScan.mutate(report)));
    expect(answers.filter((answer) => !answer.duplicate)).toHaveLength(1);
    expect(new Set(answers.map((answer) => answer.scanId)).size).toBe(1);
    expect((await admin.client.agents.get.query({ agentId: agent.agentId })).latestScans).toHaveLength(1);
  });

  test("a report id that is not a UUID is refused", async () => {
    const { agent } = await setUp();
    const error = await agent.client.agent.reportScan
      .mutate({ ...scanReport([aptItem("bash")]), reportId: "../../etc" })
      .catch((cause) => cause);
    expect(error.data.code).toBe("BAD_REQUEST");
  });
});

describe("a scan report's changes in the audit log", () => {
  test("are one event on the agent with counts and ids; each update's history still shows its part", async () => {
    const { agent, admin } = await setUp();
    const updateEventsBefore = (await admin.client.audit.list.query({ entityType: "update" })).total;
    const first = await agent.client.agent.reportScan.mutate(
      scanReport([aptItem("bash"), aptItem("curl"), aptItem("vim")]),
    );
    await agent.client.agent.reportScan.mutate(
      scanReport([aptItem("bash", { availableVersion: "1.0-3" }), aptItem("vim", { severity: "important" })]),
    );
    // Nothing changes: no event.
    await agent.client.agent.reportScan.mutate(
      scanReport([aptItem("bash", { availableVersion: "1.0-3" }), aptItem("vim", { severity: "important" })]),
    );
    expect((await admin.client.audit.list.query({ entityType: "update" })).total).toBe(updateEventsBefore);
    const events = (
      await admin.client.audit.list.query({ entityType: "agent", entityId: agent.agentId })
    ).items.filter((event) => event.action === "scan.reconciled");
    expect(events).toHaveLength(2);
    const [second, firstEvent] = events;
    const updates = (await admin.client.updates.list.query({ agentId: agent.agentId })).items;
    const idOf = (name: string) => {
      const update = updates.find((candidate) => candidate.packageName === name);
      if (!update) throw new Error(`missing update ${name}`);
      return update.id;
    };
    const ids = { bash: idOf("bash"), curl: idOf("curl"), vim: idOf("vim") };
    expect(firstEvent?.actorType).toBe("agent");
    expect(firstEvent?.after).toMatchObject({
      scanId: first.scanId,
      opened: 3,
      changed: 0,
      closed: 0,
      unchanged: 0,
      updates: { "update.available": [ids.bash, ids.curl, ids.vim].sort() },
    });
    expect(second?.after).toMatchObject({
      opened: 0,
      changed: 2,
      closed: 1,
      unchanged: 0,
      updates: { "update.changed": [ids.bash, ids.vim].sort(), "update.resolved": [ids.curl] },
    });

    const history = await admin.client.audit.list.query({ entityType: "update", entityId: ids.curl });
    expect(history.total).toBe(2);
    expect(history.items.map((event) => [event.action, event.entityId, event.actorType])).toEqual([
      ["update.resolved", ids.curl, "agent"],
      ["update.available", ids.curl, "agent"],
    ]);
  });
});

describe("limits on scan reports", () => {
  test("a scanner may report at most maxItemsPerScanner items", async () => {
    const { agent, list } = await setUp();
    const items = Array.from({ length: maxItemsPerScanner + 1 }, (_, index) => aptItem(`package-${index}`));
    expect(await errorCodeOf(agent.client.agent.reportScan.mutate(scanReport(items)))).toBe("BAD_REQUEST");
    expect(await list()).toEqual([]);
  });

  test("an agent sending reports faster than the limit is refused for a while; others are not", async () => {
    const { agent, admin } = await setUp();
    const other = await registerAgent(server, admin);
    for (let count = 0; count < reportScanRateLimit.limit; count++) {
      await agent.client.agent.reportScan.mutate(scanReport([aptItem("bash")]));
    }
    expect(await errorCodeOf(agent.client.agent.reportScan.mutate(scanReport([aptItem("bash")])))).toBe(
      "TOO_MANY_REQUESTS",
    );
    expect(await other.client.agent.reportScan.mutate(scanReport([aptItem("bash")]))).toMatchObject({
      opened: 1,
    });
  });
});
