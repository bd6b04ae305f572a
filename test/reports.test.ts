import { beforeAll, describe, expect, test } from "bun:test";
import { createReportExportHandler } from "@redflag/api";
import { rebuildReportRollups } from "@redflag/api/services/reports/rebuild-report-rollups.ts";
import type { AgentId, ScanItem, UpdateId } from "@redflag/contracts";
import { rowsOf } from "@redflag/db";
import { sql } from "drizzle-orm";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import { type TestServer, useTestServer } from "./harness/server.ts";

let server: TestServer;
useTestServer((started) => {
  server = started;
});

const day = 86_400;
type Admin = Awaited<ReturnType<typeof signIn>>;
type Agent = Awaited<ReturnType<typeof registerAgent>>;

async function execute<T>(query: ReturnType<typeof sql>) {
  return rowsOf<T>(await server.api.db.execute(query));
}

async function updateIdOf(admin: Admin, agent: Agent, packageName: string): Promise<UpdateId> {
  const { items } = await admin.client.updates.list.query({ agentId: agent.agentId });
  const found = items.find((item) => item.packageName === packageName);
  if (!found) throw new Error(`no update for ${packageName}`);
  return found.id;
}

/** Installs one update: queued by the admin, fetched and reported by the agent; returns the command id. */
async function install(admin: Admin, agent: Agent, updateId: UpdateId, outcome: "installed" | "failed") {
  const { commandIds } = await admin.client.updates.install.mutate({ updateIds: [updateId] });
  const [commandId] = commandIds;
  if (!commandId) throw new Error("no command queued");
  await agent.client.agent.checkIn.mutate({ agentVersion: "0.1.0", metrics: {}, rebootRequired: false });
  await agent.client.agent.reportResult.mutate({
    commandId,
    status: outcome === "installed" ? "succeeded" : "failed",
    exitCode: outcome === "installed" ? 0 : 100,
    output: "",
    startedAt: new Date(),
    finishedAt: new Date(),
    items: [
      {
        updateId,
        status: outcome,
        installedVersion: outcome === "installed" ? "1.0-2" : null,
        message: outcome === "installed" ? "" : "fetch failed",
      },
    ],
  });
  return commandId;
}

/** Moves a package's first sighting `seconds` before now, or before its install when installed. */
async function firstSeen(updateId: UpdateId, seconds: number, from: "now" | "installed") {
  const base = from === "now" ? sql`now()` : sql`status_changed_at`;
  await server.api.db.execute(
    sql`update updates set first_seen_at = ${base} - make_interval(secs => ${seconds}) where id = ${updateId}`,
  );
}

async function finishedDaysAgo(commandId: string, days: number) {
  await server.api.db.execute(
    sql`update commands set finished_at = now() - make_interval(days => ${days}) where id = ${commandId}`,
  );
}

/** The rollup tables as they stand, and the same figures counted from scratch from `updates` and `commands`. */
async function rollupsAndRecount() {
  const rollups = await execute<Record<string, unknown>>(sql`
    select agent_id, pending_critical, pending_important, pending_moderate, pending_low, pending_unknown,
      pending_apt, pending_dnf, pending_docker, pending_windows_update, pending_winget, pending_security,
      approved, (extract(epoch from oldest_security_pending_since) * 1000)::float8 as oldest_ms,
      installed, patch_seconds::float8 as patch_seconds
    from agent_update_rollups order by agent_id`);
  const updates = await execute<{
    agent_id: string;
    status: string;
    severity: string;
    package_type: string;
    security: boolean;
    first_ms: number;
    patch_seconds: number;
  }>(sql`
    select agent_id, status, severity, package_type, security,
      (extract(epoch from first_seen_at) * 1000)::float8 as first_ms,
      extract(epoch from status_changed_at - first_seen_at)::float8 as patch_seconds
    from updates`);
  const recount = new Map<string, Record<string, unknown>>();
  for (const update of updates) {
    let row = recount.get(update.agent_id);
    if (!row) {
      row = {
        agent_id: update.agent_id,
        pending_critical: 0,
        pending_important: 0,
        pending_moderate: 0,
        pending_low: 0,
        pending_unknown: 0,
        pending_apt: 0,
        pending_dnf: 0,
        pending_docker: 0,
        pending_windows_update: 0,
        pending_winget: 0,
        pending_security: 0,
        approved: 0,
        oldest_ms: null,
        installed: 0,
        patch_seconds: 0,
      };
      recount.set(update.agent_id, row);
    }
    const add = (key: string, by = 1) => {
      (row as Record<string, number>)[key] = Number(row?.[key]) + by;
    };
    if (update.status === "available" || update.status === "approved") {
      add(`pending_${update.severity}`);
      add(`pending_${update.package_type}`);
      if (update.security) {
        add("pending_security");
        const oldest = row.oldest_ms as number | null;
        row.oldest_ms = oldest === null ? update.first_ms : Math.min(oldest, update.first_ms);
      }
    }
    if (update.status === "approved") add("approved");
    if (update.status === "installed") {
      add("installed");
      add("patch_seconds", Math.max(0, update.patch_seconds));
    }
  }
  const outcomes = await execute<Record<string, unknown>>(sql`
    select agent_id, to_char(day, 'YYYY-MM-DD') as day, succeeded, failed, timed_out
    from install_outcome_days order by agent_id, day`);
  const recountedOutcomes = await execute<Record<string, unknown>>(sql`
    select agent_id, to_char((finished_at at time zone 'UTC')::date, 'YYYY-MM-DD') as day,
      (count(*) filter (where status = 'succeeded'))::int as succeeded,
      (count(*) filter (where status = 'failed'))::int as failed,
      (count(*) filter (where status = 'timed_out'))::int as timed_out
    from commands
    where type = 'install' and finished_at is not null and status in ('succeeded', 'failed', 'timed_out')
    group by 1, 2 order by 1, 2`);
  const normalize = (rows: Record<string, unknown>[]) =>
    rows.map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([key, value]) => [
          key,
          typeof value === "string" && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value,
        ]),
      ),
    );
  return {
    rollups: normalize(rollups),
    recount: normalize(
      [...recount.values()].sort((a, b) => String(a.agent_id).localeCompare(String(b.agent_id))),
    ),
    outcomes: normalize(outcomes),
    recountedOutcomes: normalize(recountedOutcomes),
  };
}

async function expectRollupsMatchRecount() {
  const { rollups, recount, outcomes, recountedOutcomes } = await rollupsAndRecount();
  expect(rollups.length).toBe(recount.length);
  for (const [index, expected] of recount.entries()) {
    const actual = rollups[index] ?? {};
    for (const [key, value] of Object.entries(expected)) {
      if (typeof value === "number" && key !== "oldest_ms")
        expect([key, Number(actual[key])]).toEqual([key, expect.closeTo(value, 3)]);
      else if (key === "oldest_ms")
        expect<unknown[]>([key, actual[key] === null ? null : Number(actual[key])]).toEqual([key, value]);
      else expect([key, actual[key]]).toEqual([key, value]);
    }
  }
  expect(outcomes).toEqual(recountedOutcomes);
}

/** A tiny RFC 4180 reader: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") {
      row.push(field);
      field = "";
    } else if (char === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else if (char !== "\r") field += char;
  }
  if (field !== "" || row.length > 0) rows.push([...row, field]);
  return rows;
}

describe("update reports on a known fleet", () => {
  let admin: Admin;
  let web: Agent; // tags web, prod: a critical security update waiting 20 days; one install each way
  let api: Agent; // tag web: an important security update waiting 3 days; one install 60 days ago
  let lone: Agent; // no tag: one low update
  let opensslSeen: Date;

  beforeAll(async () => {
    admin = await signIn(server, "operator");
    web = await registerAgent(server, admin, { hostname: "web-1" });
    api = await registerAgent(server, admin, { hostname: "api-1" });
    lone = await registerAgent(server, admin, { hostname: "lone-1" });
    await admin.client.agents.configure.mutate({ agentId: web.agentId, tags: ["web", "prod"] });
    await admin.client.agents.configure.mutate({ agentId: api.agentId, tags: ["web"] });
    await web.client.agent.reportScan.mutate(
      scanReport([
        aptItem("openssl", { severity: "critical", security: true }),
        aptItem("curl", { severity: "moderate" }),
        aptItem("zlib", { severity: "low" }),
      ]),
    );
    await api.client.agent.reportScan.mutate(
      scanReport([aptItem("bash", { severity: "important", security: true }), aptItem("vim")]),
    );
    await lone.client.agent.reportScan.mutate(scanReport([aptItem("tzdata", { severity: "low" })]));

    const openssl = await updateIdOf(admin, web, "openssl");
    await firstSeen(openssl, 20 * day, "now");
    await firstSeen(await updateIdOf(admin, api, "bash"), 3 * day, "now");
    const curl = await updateIdOf(admin, web, "curl");
    await install(admin, web, curl, "installed");
    await firstSeen(curl, 10 * day, "installed");
    const zlibCommand = await install(admin, web, await updateIdOf(admin, web, "zlib"), "failed");
    await finishedDaysAgo(zlibCommand, 20);
    const vim = await updateIdOf(admin, api, "vim");
    const vimCommand = await install(admin, api, vim, "installed");
    await firstSeen(vim, 2 * day, "installed");
    await finishedDaysAgo(vimCommand, 60);
    const [row] = await execute<{ at: Date | string }>(
      sql`select first_seen_at as at from updates where id = ${openssl}`,
    );
    opensslSeen = new Date(row?.at ?? 0);
  });

  test("the fleet and each tag: pending by severity, mean time to patch, success rates, compliance", async () => {
    const summary = await admin.client.reports.summary.query({});
    expect(summary.complianceDays).toBe(14);
    expect(summary.fleet).toEqual({
      hosts: 3,
      hostsOutOfCompliance: 1,
      pending: { critical: 1, important: 1, moderate: 0, low: 1, unknown: 0, total: 3, security: 2 },
      patched: 2,
      meanTimeToPatchSeconds: expect.closeTo(6 * day, 3),
      installs: {
        days7: { succeeded: 1, failed: 0, rate: 1 },
        days30: { succeeded: 1, failed: 1, rate: 0.5 },
        days90: { succeeded: 2, failed: 1, rate: expect.closeTo(2 / 3, 6) },
      },
    });
    expect(summary.tags.map((row) => [row.tag, row.hosts, row.hostsOutOfCompliance])).toEqual([
      ["prod", 1, 1],
      ["web", 2, 1],
      [null, 1, 0],
    ]);
    const [prod, webTag, untagged] = summary.tags;
    expect(prod?.pending).toEqual({
      critical: 1,
      important: 0,
      moderate: 0,
      low: 0,
      unknown: 0,
      total: 1,
      security: 1,
    });
    expect(prod?.meanTimeToPatchSeconds).toBeCloseTo(10 * day, 3);
    expect(prod?.installs.days30).toEqual({ succeeded: 1, failed: 1, rate: 0.5 });
    expect(prod?.installs.days90).toEqual({ succeeded: 1, failed: 1, rate: 0.5 });
    expect(webTag?.pending).toEqual({
      critical: 1,
      important: 1,
      moderate: 0,
      low: 0,
      unknown: 0,
      total: 2,
      security: 2,
    });
    expect(webTag?.patched).toBe(2);
    expect(webTag?.meanTimeToPatchSeconds).toBeCloseTo(6 * day, 3);
    expect(webTag?.installs.days90.rate).toBeCloseTo(2 / 3, 6);
    expect(untagged?.pending.low).toBe(1);
    expect(untagged?.meanTimeToPatchSeconds).toBeNull();
    expect(untagged?.installs.days7.rate).toBeNull();

    // A threshold of 2 days puts the host whose security update waits 3 days out too.
    const strict = await admin.client.reports.summary.query({ complianceDays: 2 });
    expect(strict.fleet.hostsOutOfCompliance).toBe(2);
    expect(strict.tags.find((row) => row.tag === "web")?.hostsOutOfCompliance).toBe(2);
  });

  test("per host, worst first; filtered by tag and by compliance", async () => {
    const hosts = await admin.client.reports.hosts.query({});
    expect(hosts.total).toBe(3);
    expect(hosts.items.map((row) => [row.hostname, row.outOfCompliance])).toEqual([
      ["web-1", true],
      ["api-1", false],
      ["lone-1", false],
    ]);
    const [webRow, apiRow, loneRow] = hosts.items;
    expect(webRow).toMatchObject({
      agentId: web.agentId,
      tags: ["prod", "web"],
      patched: 1,
      meanTimeToPatchSeconds: expect.closeTo(10 * day, 3),
      installs: {
        days7: { succeeded: 1, failed: 0, rate: 1 },
        days30: { succeeded: 1, failed: 1, rate: 0.5 },
        days90: { succeeded: 1, failed: 1, rate: 0.5 },
      },
    });
    expect(webRow?.oldestSecurityPendingSince?.getTime()).toBe(opensslSeen.getTime());
    expect(apiRow).toMatchObject({
      meanTimeToPatchSeconds: expect.closeTo(2 * day, 3),
      installs: {
        days7: { succeeded: 0, failed: 0, rate: null },
        days30: { succeeded: 0, failed: 0, rate: null },
        days90: { succeeded: 1, failed: 0, rate: 1 },
      },
    });
    expect(loneRow).toMatchObject({ tags: [], patched: 0, meanTimeToPatchSeconds: null });
    expect(loneRow?.oldestSecurityPendingSince).toBeNull();

    const tagged = await admin.client.reports.hosts.query({ tag: "web" });
    expect(tagged.items.map((row) => row.hostname)).toEqual(["web-1", "api-1"]);
    const failing = await admin.client.reports.hosts.query({ outOfCompliance: true });
    expect(failing.items.map((row) => row.hostname)).toEqual(["web-1"]);
    expect(failing.total).toBe(1);
  });

  test("the overview carries the fleet's compliance, mean time to patch and success rate", async () => {
    const overview = await admin.client.dashboard.overview.query({ days: 7 });
    expect(overview.reports).toMatchObject({
      complianceDays: 14,
      hosts: 3,
      hostsOutOfCompliance: 1,
      meanTimeToPatchSeconds: expect.closeTo(6 * day, 3),
      installs: { days30: { succeeded: 1, failed: 1, rate: 0.5 } },
    });
    expect(overview.pending).toMatchObject({ total: 3, security: 2 });
    expect(overview.agents.upToDate).toBe(0);
  });

  test("CSV and JSON exports parse and match the reports; refused without a session", async () => {
    const handler = createReportExportHandler(server.api);
    const get = (query: string, headers: Record<string, string> = { cookie: admin.cookie }) =>
      handler(new Request(`http://redflag.test/api/reports/export?${query}`, { headers }));

    const hostsCsv = await get("report=hosts&format=csv");
    expect(hostsCsv.status).toBe(200);
    expect(hostsCsv.headers.get("content-type")).toStartWith("text/csv");
    expect(hostsCsv.headers.get("content-disposition")).toMatch(
      /^attachment; filename="redflag-hosts-report-/,
    );
    const [header, ...lines] = parseCsv(await hostsCsv.text());
    const records = lines.map((line) => Object.fromEntries((header ?? []).map((name, i) => [name, line[i]])));
    expect(records.map((record) => [record.hostname, record.out_of_compliance, record.tags])).toEqual([
      ["web-1", "yes", "prod web"],
      ["api-1", "no", "web"],
      ["lone-1", "no", ""],
    ]);
    expect(records[0]).toMatchObject({
      agent_id: web.agentId,
      pending_critical: "1",
      pending_security: "1",
      patched: "1",
      mean_time_to_patch_hours: "240.00",
      install_success_rate_7d: "1.0000",
      install_success_rate_30d: "0.5000",
      oldest_security_pending_since: opensslSeen.toISOString(),
    });
    expect(records[2]?.mean_time_to_patch_hours).toBe("");

    const tagsCsv = parseCsv(await (await get("report=tags&format=csv&complianceDays=2")).text());
    expect(tagsCsv.map((line) => line.slice(0, 3))).toEqual([
      ["tag", "hosts", "hosts_out_of_compliance"],
      ["prod", "1", "1"],
      ["web", "2", "2"],
      ["", "1", "0"],
    ]);

    const hostsJson = await get("report=hosts&format=json");
    expect(hostsJson.headers.get("content-type")).toStartWith("application/json");
    const document = (await hostsJson.json()) as { report: string; complianceDays: number; rows: unknown[] };
    const listed = await admin.client.reports.hosts.query({});
    expect(document.report).toBe("hosts");
    expect(document.complianceDays).toBe(14);
    expect(document.rows).toEqual(JSON.parse(JSON.stringify(listed.items)));
    const tagsJson = (await (await get("report=tags&format=json")).json()) as { rows: unknown[] };
    const summary = await admin.client.reports.summary.query({});
    expect(tagsJson.rows).toEqual(JSON.parse(JSON.stringify(summary.tags)));

    // An API token authenticates like a session; nothing at all does not; a bad query is a 400.
    const { token } = await admin.client.apiTokens.create.mutate({ name: "reports", role: "viewer" });
    expect((await get("format=json", { authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await get("format=csv", {})).status).toBe(401);
    expect((await get("format=xml")).status).toBe(400);
    expect((await get("complianceDays=0")).status).toBe(400);

    // A hostname is the agent's word: one a spreadsheet would run as a formula arrives as text.
    const hostile = await registerAgent(server, admin, { hostname: '=HYPERLINK("http://x","y")' });
    const exported = parseCsv(await (await get("report=hosts&format=csv")).text());
    const row = exported.find((line) => line[0] === hostile.agentId);
    expect(row?.[1]).toBe('\'=HYPERLINK("http://x","y")');
    await (await signIn(server, "admin")).client.agents.delete.mutate({ agentId: hostile.agentId });
  });
});

describe("rollups stay equal to a from-scratch count", () => {
  test("after scans, approvals, rejections, installs, failures, time-outs and agent deletions", async () => {
    const admin = await signIn(server, "admin");
    const agents: Agent[] = [];
    for (let index = 0; index < 4; index++) agents.push(await registerAgent(server, admin));
    const items = (prefix: string): ScanItem[] => [
      aptItem(`${prefix}-a`, { severity: "critical", security: true }),
      aptItem(`${prefix}-b`, { severity: "important" }),
      aptItem(`${prefix}-c`, { severity: "low", security: true }),
      aptItem(`${prefix}-d`),
    ];
    for (const agent of agents) await agent.client.agent.reportScan.mutate(scanReport(items("pkg")));
    const [first, second, third, fourth] = agents as [Agent, Agent, Agent, Agent];
    await second.client.agent.reportScan.mutate(
      scanReport([aptItem("nginx", { severity: "moderate" }), aptItem("redis", { security: true })], "dnf"),
    );
    await expectRollupsMatchRecount();

    await admin.client.updates.approve.mutate({ updateIds: [await updateIdOf(admin, first, "pkg-a")] });
    await admin.client.updates.reject.mutate({ updateIds: [await updateIdOf(admin, first, "pkg-b")] });
    await install(admin, second, await updateIdOf(admin, second, "pkg-a"), "installed");
    await install(admin, second, await updateIdOf(admin, second, "pkg-c"), "failed");
    await expectRollupsMatchRecount();

    // A later scan that no longer lists packages resolves them; a new one appears.
    await third.client.agent.reportScan.mutate(
      scanReport([aptItem("pkg-a", { severity: "critical" }), aptItem("new")]),
    );
    // A command that times out, and one whose finish moves to another day.
    const timedOut = await install(admin, fourth, await updateIdOf(admin, fourth, "pkg-d"), "installed");
    await server.api.db.execute(sql`update commands set status = 'timed_out' where id = ${timedOut}`);
    await finishedDaysAgo(timedOut, 40);
    await expectRollupsMatchRecount();

    const before = await admin.client.reports.summary.query({});
    await admin.client.agents.delete.mutate({ agentId: first.agentId });
    await admin.client.agents.delete.mutate({ agentId: second.agentId });
    await expectRollupsMatchRecount();
    const after = await admin.client.reports.summary.query({});
    expect(after.fleet.hosts).toBe(before.fleet.hosts - 2);
    const gone = await execute<{ count: number }>(
      sql`select count(*)::int as count from agent_update_rollups where agent_id in (${first.agentId}, ${second.agentId})`,
    );
    expect(Number(gone[0]?.count)).toBe(0);
  });

  test("a rollup that drifted (written around the triggers) is repaired by the rebuild", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    await agent.client.agent.reportScan.mutate(scanReport([aptItem("drift", { severity: "critical" })]));
    await install(admin, agent, await updateIdOf(admin, agent, "drift"), "installed");
    await server.api.db.execute(sql`update agent_update_rollups set pending_low = 99, installed = 7`);
    await server.api.db.execute(sql`delete from install_outcome_days`);
    await server.api.db.execute(
      sql`insert into agent_update_rollups (agent_id, pending_low) values (${"agt_00000000000000000000000000" as AgentId}, 5)`,
    );
    const drifted = await rollupsAndRecount();
    expect(drifted.rollups).not.toEqual(drifted.recount);
    await rebuildReportRollups(server.api.db);
    await expectRollupsMatchRecount();
  });
});
