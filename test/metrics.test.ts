import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createMetricsHandler } from "@redflag/api";
import type { CommandId, UpdateId } from "@redflag/contracts";
import { auditEvents, settings } from "@redflag/db";
import { eq, like } from "drizzle-orm";
import parsePrometheusTextFormat, { type PrometheusFamily } from "parse-prometheus-text-format";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import { errorCodeOf, rawCall, type TestServer, useTestServer } from "./harness/server.ts";

let server: TestServer;
useTestServer((started) => {
  server = started;
});

const checkIn = { agentVersion: "0.1.0", metrics: {}, rebootRequired: false };

function scrape(token?: string) {
  const handler = createMetricsHandler(server.api);
  return handler(
    new Request("http://redflag.test/metrics", {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    }),
  );
}

/**
 * The scrape parsed. The parser folds a histogram's labelled series into one sample, so each
 * histogram's `_count` lines are parsed again as a family of their own (`<name>_count`).
 */
async function scrapeParsed(token: string): Promise<PrometheusFamily[]> {
  const response = await scrape(token);
  expect(response.status).toBe(200);
  const text = await response.text();
  const families = parsePrometheusTextFormat(text);
  const counts = families
    .filter((candidate) => candidate.type === "HISTOGRAM")
    .map((histogram) => {
      const lines = text.split("\n").filter((line) => line.startsWith(`${histogram.name}_count{`));
      return [`# TYPE ${histogram.name}_count untyped`, ...lines].join("\n");
    });
  return [...families, ...parsePrometheusTextFormat(`${counts.join("\n")}\n`)];
}

function family(families: PrometheusFamily[], name: string): PrometheusFamily {
  const found = families.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`metric ${name} missing`);
  return found;
}

/** The value of the sample of `name` whose labels include `labels`. */
function sampleOf(families: PrometheusFamily[], name: string, labels: Record<string, string> = {}): number {
  const sample = family(families, name).metrics.find((candidate) =>
    Object.entries(labels).every(([key, value]) => candidate.labels?.[key] === value),
  );
  if (!sample) throw new Error(`no sample of ${name} with ${JSON.stringify(labels)}`);
  if (!("value" in sample)) throw new Error(`${name} is not a counter or gauge`);
  return Number(sample.value);
}

async function newToken() {
  const admin = await signIn(server, "admin");
  return { admin, ...(await admin.client.metricsToken.create.mutate()) };
}

describe("the metrics token", () => {
  test("/metrics refuses a scrape without a token, with a wrong one, and before any token exists", async () => {
    const none = await scrape();
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    expect((await scrape("rf_met_guessed")).status).toBe(401);
    const { token } = await newToken();
    expect(token).toStartWith("rf_met_");
    expect((await scrape(`${token}x`)).status).toBe(401);
    expect((await scrape(token.slice(0, -1))).status).toBe(401);
    const accepted = await scrape(token);
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  });

  test("regenerating replaces the token, revoking refuses every scrape; both audited, the hash kept out of settings", async () => {
    const { admin, token: first } = await newToken();
    const second = await admin.client.metricsToken.create.mutate();
    expect((await scrape(first)).status).toBe(401);
    expect((await scrape(second.token)).status).toBe(200);
    expect(await admin.client.metricsToken.get.query()).toEqual({
      displayPrefix: second.displayPrefix,
      createdAt: second.createdAt,
    });
    // The settings the page shows never include it; the database holds only its hash.
    expect(Object.keys(await admin.client.settings.get.query())).not.toContain("internal.metricsToken");
    const [stored] = await server.api.db
      .select({ value: settings.value })
      .from(settings)
      .where(eq(settings.key, "internal.metricsToken"));
    expect(JSON.stringify(stored?.value)).not.toContain(second.token.slice(7));

    expect(await admin.client.metricsToken.revoke.mutate()).toEqual({ revoked: true });
    expect((await scrape(second.token)).status).toBe(401);
    expect(await admin.client.metricsToken.get.query()).toBeNull();
    const actions = (
      await server.api.db
        .select({ action: auditEvents.action })
        .from(auditEvents)
        .where(like(auditEvents.action, "metrics_token.%"))
    ).map((event) => event.action);
    expect(actions).toContain("metrics_token.create");
    expect(actions).toContain("metrics_token.regenerate");
    expect(actions).toContain("metrics_token.revoke");
  });

  test("only an admin may see, make or revoke it", async () => {
    const operator = await signIn(server, "operator");
    expect(await errorCodeOf(operator.client.metricsToken.get.query())).toBe("FORBIDDEN");
    expect(await errorCodeOf(operator.client.metricsToken.create.mutate())).toBe("FORBIDDEN");
    expect(await errorCodeOf(operator.client.metricsToken.revoke.mutate())).toBe("FORBIDDEN");
  });
});

describe("what /metrics shows", () => {
  test("an install moves the success counter and drops the pending gauge; requests are timed by procedure", async () => {
    const { token } = await newToken();
    const operator = await signIn(server, "operator");
    const agent = await registerAgent(server, operator, { osType: "linux" });
    await agent.client.agent.checkIn.mutate(checkIn);
    await agent.client.agent.reportScan.mutate(
      scanReport([aptItem("openssl", { security: true, severity: "important" }), aptItem("curl")]),
    );
    const pendingOpenssl = { package_type: "apt", severity: "important", security: "true" };
    const before = await scrapeParsed(token);
    const pendingBefore = sampleOf(before, "redflag_updates_pending", pendingOpenssl);
    expect(pendingBefore).toBeGreaterThanOrEqual(1);
    const succeededBefore = sampleOf(before, "redflag_install_results_total", { status: "succeeded" });
    expect(
      sampleOf(before, "redflag_agents", { presence: "online", os_type: "linux" }),
    ).toBeGreaterThanOrEqual(1);

    const listed = (await operator.client.updates.list.query({ agentId: agent.agentId })).items;
    const openssl = listed.find((update) => update.packageName === "openssl");
    if (!openssl) throw new Error("openssl update missing");
    const { commandIds } = await operator.client.updates.install.mutate({ updateIds: [openssl.id] });
    const commandId = commandIds[0] as CommandId;
    const leased = await agent.client.agent.checkIn.mutate(checkIn);
    expect(leased.commands.map((command) => command.id)).toEqual([commandId]);
    await agent.client.agent.reportResult.mutate(result(commandId, openssl.id, "succeeded"));

    const after = await scrapeParsed(token);
    expect(sampleOf(after, "redflag_install_results_total", { status: "succeeded" })).toBe(
      succeededBefore + 1,
    );
    expect(sampleOf(after, "redflag_updates_pending", pendingOpenssl)).toBe(pendingBefore - 1);
    expect(
      sampleOf(after, "redflag_commands", { type: "install", status: "succeeded" }),
    ).toBeGreaterThanOrEqual(1);
    // A reported result is timed under its procedure; check-ins are counted by outcome.
    expect(
      sampleOf(after, "redflag_api_request_duration_seconds_count", {
        procedure: "agent.reportResult",
        code: "200",
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(family(after, "redflag_api_request_duration_seconds").type).toBe("HISTOGRAM");
    expect(sampleOf(after, "redflag_agent_check_ins_total", { outcome: "ok" })).toBeGreaterThanOrEqual(2);
    expect(sampleOf(after, "redflag_database_up")).toBe(1);
  });

  test("a failed install counts as a failure; check-ins refused and unknown procedures are bounded labels", async () => {
    const { token } = await newToken();
    const operator = await signIn(server, "operator");
    const agent = await registerAgent(server, operator);
    await agent.client.agent.reportScan.mutate(scanReport([aptItem("tar")]));
    const [update] = (await operator.client.updates.list.query({ agentId: agent.agentId })).items;
    if (!update) throw new Error("update missing");
    const before = await scrapeParsed(token);
    const failedBefore = sampleOf(before, "redflag_install_results_total", { status: "failed" });
    const refusedBefore = sampleOf(before, "redflag_agent_check_ins_total", { outcome: "refused" });
    const { commandIds } = await operator.client.updates.install.mutate({ updateIds: [update.id] });
    await agent.client.agent.checkIn.mutate(checkIn);
    await agent.client.agent.reportResult.mutate(result(commandIds[0] as CommandId, update.id, "failed"));
    // The same result again is a duplicate: counted once.
    await agent.client.agent.reportResult.mutate(result(commandIds[0] as CommandId, update.id, "failed"));
    await rawCall(server.url, "agent.checkIn", {
      type: "mutation",
      input: checkIn,
      headers: { authorization: "Bearer rf_at_forged" },
    });
    await rawCall(server.url, "no.suchProcedure", { type: "query" });

    const after = await scrapeParsed(token);
    expect(sampleOf(after, "redflag_install_results_total", { status: "failed" })).toBe(failedBefore + 1);
    expect(sampleOf(after, "redflag_agent_check_ins_total", { outcome: "refused" })).toBe(refusedBefore + 1);
    const procedures = new Set(
      family(after, "redflag_api_request_duration_seconds_count").metrics.map(
        (sample) => sample.labels?.procedure,
      ),
    );
    expect(procedures).toContain("other");
    expect(procedures).not.toContain("no.suchProcedure");
    // Process metrics come from the same registry.
    expect(family(after, "process_cpu_user_seconds_total").type).toBe("COUNTER");
    expect(sampleOf(after, "redflag_build_info", { version: "0.0.0-test" })).toBe(1);
  });
});

function result(commandId: CommandId, updateId: UpdateId, status: "succeeded" | "failed") {
  return {
    commandId,
    status,
    exitCode: status === "succeeded" ? 0 : 100,
    output: "",
    startedAt: new Date(),
    finishedAt: new Date(),
    items: [
      status === "succeeded"
        ? { updateId, status: "installed" as const, installedVersion: "1.0-2", message: "" }
        : { updateId, status: "failed" as const, installedVersion: null, message: "dpkg was interrupted" },
    ],
  };
}

describe("the documentation", () => {
  const docs = resolve(import.meta.dir, "../docs");

  test("the sample Grafana dashboard is JSON and queries only metrics /metrics serves", async () => {
    const { token } = await newToken();
    const served = new Set((await scrapeParsed(token)).map((candidate) => candidate.name));
    const dashboard = JSON.parse(readFileSync(resolve(docs, "grafana-dashboard.json"), "utf8")) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const expressions = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
    expect(expressions.length).toBeGreaterThan(10);
    const named = new Set(
      expressions.flatMap((expr) => expr.match(/\b(?:redflag|process|nodejs)_[a-z_]+/g) ?? []),
    );
    for (const name of named) {
      // A histogram's series are <name>_bucket, _sum and _count.
      const family = name.replace(/_(bucket|sum)$/, "");
      expect(served.has(family) || served.has(name) ? name : `${name} (not served)`).toBe(name);
    }
  });

  test("docs/metrics.md describes every redflag_ metric /metrics serves", async () => {
    const { token } = await newToken();
    const text = readFileSync(resolve(docs, "metrics.md"), "utf8");
    const served = (await scrapeParsed(token))
      .map((candidate) => candidate.name)
      .filter((name) => name.startsWith("redflag_") && !name.endsWith("_count"));
    expect(served.length).toBeGreaterThan(8);
    for (const name of served)
      expect(text.includes(`\`${name}\``) ? name : `${name} (undocumented)`).toBe(name);
  });
});
