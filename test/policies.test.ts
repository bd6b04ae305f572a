import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { approveByPolicy } from "@redflag/api/services/policies/approve-by-policy.ts";
import { type AgentId, newId, type PackageType, type PolicyId, type ScanItem } from "@redflag/contracts";
import {
  auditEvents,
  notificationDeliveries,
  notificationTargets,
  policies,
  schedulerJobs,
  updates,
} from "@redflag/db";
import { and, eq, inArray } from "drizzle-orm";
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

// Every enabled policy acts on every run: each test leaves none behind.
afterEach(async () => {
  await server.api.db.delete(policies);
  await server.api.db.delete(notificationTargets);
});

/** One run of the policy job at `now`; fails on the job's error. */
async function runPolicyJob() {
  await server.api.scheduler.requestRun("policies");
  expect(await server.api.scheduler.tick()).toContain("policies");
  const [job] = await server.api.db.select().from(schedulerJobs).where(eq(schedulerJobs.name, "policies"));
  expect(job?.lastError ?? null).toBeNull();
}

/** An agent with `tags` reporting `items` (per package type). */
async function hostWith(items: ScanItem[], options: { tags?: string[]; packageType?: PackageType } = {}) {
  const agent = await registerAgent(server, admin);
  if (options.tags)
    await admin.client.agents.configure.mutate({ agentId: agent.agentId, tags: options.tags });
  await agent.client.agent.reportScan.mutate(scanReport(items, options.packageType));
  return agent;
}

async function statusesOf(agentId: AgentId) {
  const rows = await server.api.db
    .select({ name: updates.packageName, status: updates.status, heldBy: updates.heldByPolicyId })
    .from(updates)
    .where(eq(updates.agentId, agentId))
    .orderBy(updates.packageName);
  return Object.fromEntries(rows.map((row) => [row.name, row.status]));
}

async function heldOf(agentId: AgentId) {
  const rows = await server.api.db
    .select({ name: updates.packageName, heldBy: updates.heldByPolicyId })
    .from(updates)
    .where(eq(updates.agentId, agentId))
    .orderBy(updates.packageName);
  return Object.fromEntries(rows.map((row) => [row.name, row.heldBy]));
}

async function previewNames(policy: Parameters<typeof admin.client.policies.preview.query>[0]["policy"]) {
  const preview = await admin.client.policies.preview.query({ policy });
  return preview.rows.map((row) => row.packageName).sort();
}

const unique = () => Math.random().toString(36).slice(2, 8);

describe("policy matching", () => {
  test("each criterion narrows what a policy matches: type, severity, security, patterns, exclusions, tags, agents", async () => {
    const tag = `crit-${unique()}`;
    const agent = await hostWith(
      [
        aptItem("openssl", { severity: "critical", security: true }),
        aptItem("curl", { severity: "important" }),
        aptItem("libzstd1", { severity: "low" }),
        aptItem("libzip4", { severity: "low" }),
      ],
      { tags: [tag] },
    );
    await agent.client.agent.reportScan.mutate({
      ...scanReport(
        [aptItem("library/nginx", { availableVersion: "sha256:2", currentVersion: "sha256:1" })],
        "docker",
      ),
    });
    const other = await hostWith([aptItem("openssl", { severity: "critical", security: true })], {
      tags: ["other-tag"],
    });
    const scope = { name: "criteria", action: "approve" as const, agentIds: [agent.agentId] };
    expect(await previewNames(scope)).toEqual(["curl", "library/nginx", "libzip4", "libzstd1", "openssl"]);
    expect(await previewNames({ ...scope, packageTypes: ["docker"] })).toEqual(["library/nginx"]);
    expect(await previewNames({ ...scope, severities: ["critical", "important"] })).toEqual([
      "curl",
      "openssl",
    ]);
    expect(await previewNames({ ...scope, securityOnly: true })).toEqual(["openssl"]);
    expect(await previewNames({ ...scope, packagePatterns: ["lib*"] })).toEqual([
      "library/nginx",
      "libzip4",
      "libzstd1",
    ]);
    expect(
      await previewNames({ ...scope, packagePatterns: ["lib*"], excludePatterns: ["libz*", "*/*"] }),
    ).toEqual([]);
    expect(await previewNames({ ...scope, excludePatterns: ["libz*"] })).toEqual([
      "curl",
      "library/nginx",
      "openssl",
    ]);
    // Tags and agent ids: either one puts an agent in scope.
    const byTag = await admin.client.policies.preview.query({
      policy: { name: "by tag", action: "approve", tags: [tag], securityOnly: true },
    });
    expect(byTag.rows.map((row) => row.agentId)).toEqual([agent.agentId]);
    const both = await admin.client.policies.preview.query({
      policy: { name: "both", action: "approve", tags: [tag], agentIds: [other.agentId], securityOnly: true },
    });
    expect(both).toMatchObject({ total: 2, hosts: 2 });
  });

  test("package patterns: globs with * and ?, and %, _, ., + taken as themselves, case-sensitive", async () => {
    const names = [
      "linux-image-6.1.0-13-amd64",
      "linux-image-amd64",
      "linux-headers-amd64",
      "Linux-Image-x",
      "lib",
      "libc",
      "libz",
      "libcc",
      "100%-pure",
      "1000-pure",
      "foo_bar",
      "fooxbar",
      "python3.11",
      "python3x11",
      "libstdc++6",
      "libstdc6",
      "back\\slash",
    ];
    const agent = await hostWith(names.map((name) => aptItem(name)));
    const matching = (pattern: string) =>
      previewNames({
        name: "glob",
        action: "approve",
        agentIds: [agent.agentId],
        packagePatterns: [pattern],
      });
    expect(await matching("linux-image-*")).toEqual(["linux-image-6.1.0-13-amd64", "linux-image-amd64"]);
    expect(await matching("*")).toEqual([...names].sort());
    expect(await matching("lib?")).toEqual(["libc", "libz"]);
    expect(await matching("100%-pure")).toEqual(["100%-pure"]);
    expect(await matching("*%*")).toEqual(["100%-pure"]);
    expect(await matching("foo_bar")).toEqual(["foo_bar"]);
    expect(await matching("python3.11")).toEqual(["python3.11"]);
    expect(await matching("libstdc++*")).toEqual(["libstdc++6"]);
    expect(await matching("*-amd64")).toEqual([
      "linux-headers-amd64",
      "linux-image-6.1.0-13-amd64",
      "linux-image-amd64",
    ]);
    expect(await matching("Linux-*")).toEqual(["Linux-Image-x"]);
    expect(await matching("???")).toEqual(["lib"]);
    // A backslash is refused as a pattern character, so `\` in a name is matched only by wildcards.
    expect(await matching("back?slash")).toEqual(["back\\slash"]);
  });

  test("soak: an update is approved only once it was first seen min-age hours ago", async () => {
    const agent = await hostWith([aptItem("soaked")]);
    await admin.client.policies.create.mutate({
      policy: { name: "soak", action: "approve", agentIds: [agent.agentId], minAgeHours: 2 },
      enabled: true,
    });
    const [row] = await server.api.db.select().from(updates).where(eq(updates.agentId, agent.agentId));
    const firstSeen = row?.firstSeenAt.getTime() ?? 0;
    now = new Date(firstSeen);
    await runPolicyJob();
    expect(await statusesOf(agent.agentId)).toEqual({ soaked: "available" });
    now = new Date(firstSeen + 2 * 3_600_000 - 1);
    await runPolicyJob();
    expect(await statusesOf(agent.agentId)).toEqual({ soaked: "available" });
    // (+1 ms: Postgres keeps microseconds the Date read back dropped.)
    now = new Date(firstSeen + 2 * 3_600_000 + 1);
    await runPolicyJob();
    expect(await statusesOf(agent.agentId)).toEqual({ soaked: "approved" });
  });
});

describe("the policy job", () => {
  test("approves what the preview showed, each update audited as the policy, and sends one summary", async () => {
    const tag = `fleet-${unique()}`;
    const first = await hostWith([aptItem("bash"), aptItem("curl"), aptItem("vim")], { tags: [tag] });
    const second = await hostWith([aptItem("bash"), aptItem("zsh")], { tags: [tag] });
    const untagged = await hostWith([aptItem("bash")]);
    const draft = { name: `Fleet ${tag}`, action: "approve" as const, tags: [tag], excludePatterns: ["vim"] };
    const preview = await admin.client.policies.preview.query({ policy: draft });
    expect(preview).toMatchObject({ action: "approve", total: 4, hosts: 2, firstStage: null });

    const targetId = newId("notificationTarget");
    await server.api.db.insert(notificationTargets).values({
      id: targetId,
      name: "summaries",
      kind: "webhook",
      config: { url: "http://127.0.0.1:9/hook" },
      events: ["automation_summary"],
    });
    const policy = await admin.client.policies.create.mutate({ policy: draft, enabled: true });
    await runPolicyJob();

    const approvedEvents = await server.api.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.actorId, policy.id), eq(auditEvents.action, "update.approved")));
    expect(approvedEvents.map((event) => event.entityId).sort()).toEqual(
      preview.rows.map((row) => row.updateId).sort(),
    );
    expect(approvedEvents.every((event) => event.actorType === "automation")).toBe(true);
    expect(await statusesOf(first.agentId)).toEqual({ bash: "approved", curl: "approved", vim: "available" });
    expect(await statusesOf(second.agentId)).toEqual({ bash: "approved", zsh: "approved" });
    expect(await statusesOf(untagged.agentId)).toEqual({ bash: "available" });

    // The update's own history names the policy as who approved it.
    const [bashUpdate] = preview.rows;
    const history = await admin.client.audit.list.query({
      entityType: "update",
      entityId: bashUpdate?.updateId,
    });
    expect(history.items.find((event) => event.action === "update.approved")).toMatchObject({
      actorType: "automation",
      actorId: policy.id,
    });

    const deliveries = await server.api.db
      .select()
      .from(notificationDeliveries)
      .where(eq(notificationDeliveries.targetId, targetId));
    expect(deliveries.map((delivery) => [delivery.event, delivery.title])).toEqual([
      ["automation_summary", `Policy Fleet ${tag} approved 4 updates on 2 hosts`],
    ]);
    // Nothing left to approve: the next run approves nothing and tells nobody.
    await runPolicyJob();
    expect(
      await server.api.db
        .select()
        .from(notificationDeliveries)
        .where(eq(notificationDeliveries.targetId, targetId)),
    ).toHaveLength(1);
    const listed = (await admin.client.policies.list.query()).find((row) => row.id === policy.id);
    expect(listed?.approvedRecently).toBe(4);
    expect(listed?.lastRunAt).not.toBeNull();
  });

  test("a disabled policy does nothing; failed and rejected updates are never approved by a policy", async () => {
    const agent = await hostWith([aptItem("keep"), aptItem("refused"), aptItem("broken")]);
    const listed = (await admin.client.updates.list.query({ agentId: agent.agentId })).items;
    const idOf = (name: string) => listed.find((update) => update.packageName === name)?.id ?? "";
    await admin.client.updates.reject.mutate({ updateIds: [idOf("refused") as never] });
    await server.api.db
      .update(updates)
      .set({ status: "failed" })
      .where(eq(updates.id, idOf("broken") as never));
    const policy = await admin.client.policies.create.mutate({
      policy: { name: "all of it", action: "approve", agentIds: [agent.agentId] },
      enabled: false,
    });
    await runPolicyJob();
    expect(await statusesOf(agent.agentId)).toEqual({
      broken: "failed",
      keep: "available",
      refused: "rejected",
    });
    await admin.client.policies.setEnabled.mutate({ policyId: policy.id, enabled: true });
    await runPolicyJob();
    expect(await statusesOf(agent.agentId)).toEqual({
      broken: "failed",
      keep: "approved",
      refused: "rejected",
    });
  });

  test("hold policies mark what they match, block approval, and let go when changed, disabled or deleted", async () => {
    const agent = await hostWith([
      aptItem("postgresql-15"),
      aptItem("postgresql-client-15"),
      aptItem("nginx"),
    ]);
    const hold = await admin.client.policies.create.mutate({
      policy: {
        name: "hold postgres",
        action: "hold",
        agentIds: [agent.agentId],
        packagePatterns: ["postgresql-*"],
      },
      enabled: true,
    });
    expect((await admin.client.policies.preview.query({ policy: { ...hold, action: "hold" } })).total).toBe(
      2,
    );
    await admin.client.policies.create.mutate({
      policy: { name: "approve everything", action: "approve", agentIds: [agent.agentId] },
      enabled: true,
    });
    await runPolicyJob();
    expect(await heldOf(agent.agentId)).toEqual({
      nginx: null,
      "postgresql-15": hold.id,
      "postgresql-client-15": hold.id,
    });
    expect(await statusesOf(agent.agentId)).toEqual({
      nginx: "approved",
      "postgresql-15": "available",
      "postgresql-client-15": "available",
    });
    const held = await server.api.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.actorId, hold.id), eq(auditEvents.action, "update.held")));
    expect(held).toHaveLength(2);
    expect(held.every((event) => event.actorType === "automation")).toBe(true);
    expect((await admin.client.policies.list.query()).find((row) => row.id === hold.id)?.heldCount).toBe(2);

    // Narrowed: the client is no longer matched, so it is released (and the approve policy takes it).
    await admin.client.policies.update.mutate({
      policyId: hold.id,
      policy: {
        name: "hold postgres",
        action: "hold",
        agentIds: [agent.agentId],
        packagePatterns: ["postgresql-1?"],
      },
    });
    await runPolicyJob();
    expect(await heldOf(agent.agentId)).toEqual({
      nginx: null,
      "postgresql-15": hold.id,
      "postgresql-client-15": null,
    });
    expect(await statusesOf(agent.agentId)).toMatchObject({ "postgresql-client-15": "approved" });

    await admin.client.policies.setEnabled.mutate({ policyId: hold.id, enabled: false });
    expect(await heldOf(agent.agentId)).toEqual({
      nginx: null,
      "postgresql-15": null,
      "postgresql-client-15": null,
    });
    await admin.client.policies.setEnabled.mutate({ policyId: hold.id, enabled: true });
    // Re-held by the run before the approve policy could reach it.
    await runPolicyJob();
    expect(await heldOf(agent.agentId)).toMatchObject({ "postgresql-15": hold.id });
    expect(await statusesOf(agent.agentId)).toMatchObject({ "postgresql-15": "available" });
    await admin.client.policies.delete.mutate({ policyId: hold.id });
    expect(await heldOf(agent.agentId)).toMatchObject({ "postgresql-15": null });
    const released = await server.api.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.entityType, "update"), eq(auditEvents.action, "update.released")));
    expect(
      released.filter((event) => (event.before as { heldByPolicyId?: string }).heldByPolicyId === hold.id),
    ).toHaveLength(3);
  });

  test("an update a hold policy matches is never approved, even before a run marks it held", async () => {
    const agent = await hostWith([aptItem("linux-image-amd64"), aptItem("vim")]);
    const hold = await admin.client.policies.create.mutate({
      policy: { name: "no kernels", action: "hold", packagePatterns: ["linux-image-*"] },
      enabled: true,
    });
    const draft = { name: "everything", action: "approve" as const, agentIds: [agent.agentId] };
    expect(await previewNames(draft)).toEqual(["vim"]);
    // The moment between a scan and the run that marks the new update held: nothing is marked yet.
    expect(Object.values(await heldOf(agent.agentId))).toEqual([null, null]);
    const approve = await admin.client.policies.create.mutate({ policy: draft, enabled: true });
    const [holdRow] = await server.api.db.select().from(policies).where(eq(policies.id, hold.id));
    const [approveRow] = await server.api.db.select().from(policies).where(eq(policies.id, approve.id));
    if (!holdRow || !approveRow) throw new Error("policies missing");
    const result = await approveByPolicy(server.api.db, { policy: approveRow, now, holdPolicies: [holdRow] });
    expect(result).toEqual({ approved: 1, hosts: 1 });
    expect(await statusesOf(agent.agentId)).toEqual({ "linux-image-amd64": "available", vim: "approved" });
  });

  test("an update its host holds back is never approved by a policy", async () => {
    const agent = await hostWith([aptItem("pinned"), aptItem("free")]);
    await server.api.db
      .update(updates)
      .set({ hostHeld: true })
      .where(and(eq(updates.agentId, agent.agentId), eq(updates.packageName, "pinned")));
    const draft = { name: "host holds", action: "approve" as const, agentIds: [agent.agentId] };
    expect(await previewNames(draft)).toEqual(["free"]);
    await admin.client.policies.create.mutate({ policy: draft, enabled: true });
    await runPolicyJob();
    expect(await statusesOf(agent.agentId)).toEqual({ free: "approved", pinned: "available" });
  });
});

describe("policy input and access", () => {
  test("a bad pattern, tag or stage is refused with a clear message and nothing is saved or changed", async () => {
    const before = await admin.client.policies.list.query();
    const refusals: [string, unknown][] = [
      ["linux-image-[0-9]*", "packagePatterns"],
      ["{a,b}", "packagePatterns"],
      ["back\\slash", "excludePatterns"],
    ];
    for (const [pattern, field] of refusals) {
      const error = await admin.client.policies.create
        .mutate({ policy: { name: "bad", action: "approve", [field as string]: [pattern] }, enabled: true })
        .catch((caught: Error) => caught);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain("may use only * and ? as wildcards");
    }
    expect(
      await errorCodeOf(
        admin.client.policies.create.mutate({
          policy: { name: "bad", action: "approve", tags: ["no spaces"] },
        }),
      ),
    ).toBe("BAD_REQUEST");
    expect(
      await errorCodeOf(
        admin.client.policies.create.mutate({
          policy: {
            name: "bad",
            action: "approve",
            stages: [
              { tags: [], soakMinutes: 0 },
              { tags: ["web"], soakMinutes: 0 },
            ],
          },
        }),
      ),
    ).toBe("BAD_REQUEST");
    expect(
      await errorCodeOf(
        admin.client.policies.create.mutate({
          policy: { name: "bad", action: "hold", stages: [{ tags: ["web"], soakMinutes: 0 }] },
        }),
      ),
    ).toBe("BAD_REQUEST");
    expect(await admin.client.policies.list.query()).toEqual(before);

    const saved = await admin.client.policies.create.mutate({ policy: { name: "good", action: "hold" } });
    expect(
      await errorCodeOf(
        admin.client.policies.update.mutate({
          policyId: saved.id,
          policy: { name: "good", action: "hold", packagePatterns: ["[x]"] },
        }),
      ),
    ).toBe("BAD_REQUEST");
    const [after] = await server.api.db.select().from(policies).where(eq(policies.id, saved.id));
    expect(after?.packagePatterns).toEqual([]);
    expect(
      await errorCodeOf(
        admin.client.policies.setEnabled.mutate({ policyId: newId("policy"), enabled: true }),
      ),
    ).toBe("NOT_FOUND");
  });

  test("viewers and operators see policies and previews; only admins change them", async () => {
    const viewer = await signIn(server, "viewer");
    const operator = await signIn(server, "operator");
    const saved = await admin.client.policies.create.mutate({
      policy: { name: "admins only", action: "hold" },
    });
    for (const user of [viewer, operator]) {
      expect((await user.client.policies.list.query()).map((row) => row.id)).toContain(saved.id);
      expect(
        (await user.client.policies.preview.query({ policy: { name: "p", action: "hold" } })).action,
      ).toBe("hold");
      expect(
        await errorCodeOf(user.client.policies.create.mutate({ policy: { name: "x", action: "hold" } })),
      ).toBe("FORBIDDEN");
      expect(
        await errorCodeOf(user.client.policies.setEnabled.mutate({ policyId: saved.id, enabled: false })),
      ).toBe("FORBIDDEN");
      expect(await errorCodeOf(user.client.policies.delete.mutate({ policyId: saved.id }))).toBe("FORBIDDEN");
    }
    expect(
      await errorCodeOf(viewer.client.policies.resumeRollout.mutate({ rolloutId: newId("rollout") })),
    ).toBe("FORBIDDEN");
    expect(
      await errorCodeOf(operator.client.policies.resumeRollout.mutate({ rolloutId: newId("rollout") })),
    ).toBe("NOT_FOUND");
    const audit = await server.api.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.entityId, saved.id), inArray(auditEvents.action, ["policy.created"])));
    expect(audit).toHaveLength(1);
    expect((audit[0]?.after as { id?: PolicyId })?.id).toBe(saved.id);
  });
});
