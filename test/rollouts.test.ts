import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { type AgentId, newId, type UpdateId } from "@redflag/contracts";
import {
  auditEvents,
  notificationDeliveries,
  notificationTargets,
  policies,
  schedulerJobs,
  updates,
} from "@redflag/db";
import { and, eq } from "drizzle-orm";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import { errorCodeOf, type TestServer, useTestServer } from "./harness/server.ts";

// The time the policy job sees: tests set it (soak times pass by moving it), never the wall clock.
let now = new Date();
let server: TestServer;
useTestServer(
  (started) => {
    server = started;
  },
  { clock: () => now },
);

let admin: Awaited<ReturnType<typeof signIn>>;
beforeAll(async () => {
  admin = await signIn(server, "admin");
});
afterEach(async () => {
  await server.api.db.delete(policies);
  await server.api.db.delete(notificationTargets);
});

const checkIn = { agentVersion: "0.1.0", metrics: {}, rebootRequired: false };
const unique = () => Math.random().toString(36).slice(2, 8);

async function runPolicyJob() {
  await server.api.scheduler.requestRun("policies");
  expect(await server.api.scheduler.tick()).toContain("policies");
  const [job] = await server.api.db.select().from(schedulerJobs).where(eq(schedulerJobs.name, "policies"));
  expect(job?.lastError ?? null).toBeNull();
}

type Host = Awaited<ReturnType<typeof registerAgent>> & { hostname: string };

/** A host with `tags` offering `packageName` 1.0-1 → 1.0-2. */
async function host(name: string, tags: string[], packageName: string): Promise<Host> {
  const hostname = `${name}-${unique()}`;
  const agent = await registerAgent(server, admin, { hostname });
  if (tags.length > 0) await admin.client.agents.configure.mutate({ agentId: agent.agentId, tags });
  await agent.client.agent.reportScan.mutate(scanReport([aptItem(packageName)]));
  return { ...agent, hostname };
}

async function updateOf(agentId: AgentId) {
  const [row] = await server.api.db.select().from(updates).where(eq(updates.agentId, agentId));
  if (!row) throw new Error(`no update on ${agentId}`);
  return row;
}

async function statuses(hosts: Host[]) {
  return Promise.all(hosts.map(async (one) => (await updateOf(one.agentId)).status));
}

/**
 * What an admin (or a maintenance window) and the agent do with an approved update: queue the install,
 * the agent takes it at check-in and reports how it went.
 */
async function install(one: Host, outcome: "installed" | "failed") {
  const update = await updateOf(one.agentId);
  const { commandIds } = await admin.client.updates.install.mutate({ updateIds: [update.id] });
  const [commandId] = commandIds;
  if (!commandId) throw new Error("no install queued");
  const leased = await one.client.agent.checkIn.mutate(checkIn);
  expect(leased.commands.map((command) => command.id)).toEqual([commandId]);
  await one.client.agent.reportResult.mutate({
    commandId,
    status: outcome === "installed" ? "succeeded" : "failed",
    exitCode: outcome === "installed" ? 0 : 100,
    output: "",
    startedAt: new Date(),
    finishedAt: new Date(),
    items: [
      {
        updateId: update.id as UpdateId,
        status: outcome,
        installedVersion: outcome === "installed" ? "1.0-2" : null,
        message: outcome === "installed" ? "" : "dpkg: error processing package",
      },
    ],
  });
  return commandId;
}

async function rolloutOf(policyId: string) {
  const listed = await admin.client.policies.rollouts.query({ policyId: policyId as never });
  expect(listed).toHaveLength(1);
  return listed[0] as NonNullable<(typeof listed)[number]>;
}

/** canary → web → everything else, for one package of its own. */
async function stagedFleet(packageName: string) {
  const suffix = unique();
  const canaryTag = `canary-${suffix}`;
  const webTag = `web-${suffix}`;
  const canary = await host("canary", [canaryTag], packageName);
  const web = [await host("web", [webTag], packageName), await host("web", [webTag, "eu"], packageName)];
  const rest = await host("db", [], packageName);
  const policy = await admin.client.policies.create.mutate({
    policy: {
      name: `Staged ${packageName}`,
      action: "approve",
      packagePatterns: [packageName],
      stages: [
        { tags: [canaryTag], soakMinutes: 30 },
        { tags: [webTag], soakMinutes: 60 },
        { tags: [], soakMinutes: 0 },
      ],
    },
    enabled: true,
  });
  return { canary, web, rest, policy, all: [canary, ...web, rest] };
}

describe("staged rollouts", () => {
  test("canary → web → everything: each stage after the last one's installs succeeded and soaked", async () => {
    const packageName = `roll-${unique()}`;
    const { canary, web, rest, policy, all } = await stagedFleet(packageName);
    const preview = await admin.client.policies.preview.query({ policy });
    expect(preview).toMatchObject({ total: 4, hosts: 4, firstStage: 1 });

    now = new Date();
    await runPolicyJob();
    expect(await statuses(all)).toEqual(["approved", "available", "available", "available"]);
    expect(await rolloutOf(policy.id)).toMatchObject({
      packageName,
      availableVersion: "1.0-2",
      stage: 0,
      stageCount: 3,
      status: "running",
      policyName: policy.name,
    });
    // Approved but not installed: the next stage waits, however long.
    now = new Date(now.getTime() + 3 * 3_600_000);
    await runPolicyJob();
    expect(await statuses(all)).toEqual(["approved", "available", "available", "available"]);

    await install(canary, "installed");
    const canaryDone = (await updateOf(canary.agentId)).statusChangedAt.getTime();
    now = new Date(canaryDone + 30 * 60_000 - 1);
    await runPolicyJob();
    expect((await rolloutOf(policy.id)).stage).toBe(0);
    expect(await statuses(all)).toEqual(["installed", "available", "available", "available"]);
    now = new Date(canaryDone + 30 * 60_000);
    await runPolicyJob();
    expect((await rolloutOf(policy.id)).stage).toBe(1);
    expect(await statuses(all)).toEqual(["installed", "approved", "approved", "available"]);

    const [firstWeb, secondWeb] = web as [Host, Host];
    await install(firstWeb, "installed");
    now = new Date(Date.now() + 24 * 3_600_000);
    await runPolicyJob();
    // One web host still to install: the stage is not done.
    expect(await statuses(all)).toEqual(["installed", "installed", "approved", "available"]);
    await install(secondWeb, "installed");
    // The soak counts from the last install of the stage.
    const webDone = (await updateOf(secondWeb.agentId)).statusChangedAt.getTime();
    now = new Date(webDone + 60 * 60_000 - 1);
    await runPolicyJob();
    expect((await rolloutOf(policy.id)).stage).toBe(1);
    now = new Date(webDone + 60 * 60_000);
    await runPolicyJob();
    expect(await rolloutOf(policy.id)).toMatchObject({ stage: 2, status: "running" });
    expect(await statuses(all)).toEqual(["installed", "installed", "installed", "approved"]);

    await install(rest, "installed");
    await runPolicyJob();
    expect(await rolloutOf(policy.id)).toMatchObject({ stage: 2, status: "completed" });
    const trail = await server.api.db
      .select({ action: auditEvents.action, actorType: auditEvents.actorType, actorId: auditEvents.actorId })
      .from(auditEvents)
      .where(
        and(eq(auditEvents.entityType, "rollout"), eq(auditEvents.entityId, (await rolloutOf(policy.id)).id)),
      )
      .orderBy(auditEvents.createdAt, auditEvents.id);
    expect(trail.map((event) => event.action)).toEqual([
      "rollout.started",
      "rollout.advanced",
      "rollout.advanced",
      "rollout.completed",
    ]);
    expect(trail.every((event) => event.actorType === "automation" && event.actorId === policy.id)).toBe(
      true,
    );
  });

  test("a failing canary stops the rollout: nothing is approved in later stages, admins are told; resume goes on", async () => {
    const packageName = `fail-${unique()}`;
    const targetId = newId("notificationTarget");
    await server.api.db.insert(notificationTargets).values({
      id: targetId,
      name: "rollouts",
      kind: "webhook",
      config: { url: "http://127.0.0.1:9/hook" },
      events: ["rollout_stopped"],
    });
    const { canary, policy, all } = await stagedFleet(packageName);
    now = new Date();
    await runPolicyJob();
    const commandId = await install(canary, "failed");
    await runPolicyJob();
    const stopped = await rolloutOf(policy.id);
    expect(stopped.status).toBe("stopped");
    expect(stopped.stoppedReason).toBe(
      `The install of ${packageName} 1.0-2 failed on ${canary.hostname} (command ${commandId})`,
    );
    now = new Date(now.getTime() + 24 * 3_600_000);
    await runPolicyJob();
    expect(await statuses(all)).toEqual(["failed", "available", "available", "available"]);
    const deliveries = await server.api.db
      .select()
      .from(notificationDeliveries)
      .where(eq(notificationDeliveries.targetId, targetId));
    expect(deliveries.map((delivery) => [delivery.event, delivery.title])).toEqual([
      ["rollout_stopped", `Rollout of ${packageName} 1.0-2 stopped`],
    ]);
    expect(deliveries[0]?.body).toContain(canary.hostname);

    // A viewer cannot resume; an operator can, and the failure so far is accepted.
    const viewer = await signIn(server, "viewer");
    expect(await errorCodeOf(viewer.client.policies.resumeRollout.mutate({ rolloutId: stopped.id }))).toBe(
      "FORBIDDEN",
    );
    const operator = await signIn(server, "operator");
    expect(await operator.client.policies.resumeRollout.mutate({ rolloutId: stopped.id })).toMatchObject({
      status: "running",
    });
    expect(await errorCodeOf(operator.client.policies.resumeRollout.mutate({ rolloutId: stopped.id }))).toBe(
      "CONFLICT",
    );
    await runPolicyJob();
    expect(await rolloutOf(policy.id)).toMatchObject({ stage: 1, status: "running", stoppedReason: null });
    expect(await statuses(all)).toEqual(["failed", "approved", "approved", "available"]);
    const resumed = await server.api.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.entityId, stopped.id), eq(auditEvents.action, "rollout.resumed")));
    expect(resumed.map((event) => event.actorType)).toEqual(["user"]);
  });

  test("a cancelled rollout approves nothing more", async () => {
    const packageName = `cancel-${unique()}`;
    const { canary, policy, all } = await stagedFleet(packageName);
    now = new Date();
    await runPolicyJob();
    const rollout = await rolloutOf(policy.id);
    await admin.client.policies.cancelRollout.mutate({ rolloutId: rollout.id });
    await install(canary, "installed");
    now = new Date(Date.now() + 24 * 3_600_000);
    await runPolicyJob();
    expect(await rolloutOf(policy.id)).toMatchObject({ stage: 0, status: "cancelled" });
    expect(await statuses(all)).toEqual(["installed", "available", "available", "available"]);
  });
});
