/**
 * The reports page in real Chromium against the production build: a small fleet seeded over the API
 * (two tagged hosts, an install that succeeded and one that failed) shows its figures on the page and
 * on the overview; the CSV and JSON downloads arrive with the hosts in them; the threshold refuses a
 * bad value. At 1440 and 390 px, with screenshots, failing on any sideways scroll. Needs
 * `bun run build` and Debian's chromium.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { Page } from "../../apps/web/src/testing/chromium.ts";
import type { NextServer } from "../e2e/next-server.ts";
import { aptItem, hostFacts, scanReport } from "../harness/fixtures.ts";
import { type ApiClient, apiClient } from "../harness/server.ts";
import { navigate, screenshot, signIn } from "./browser-page.ts";
import { useDashboardSession } from "./dashboard-session.ts";

const admin = { username: "admin", password: "admin password for the reports page" };
const stepTimeout = 180_000;

let server: NextServer;
let page: Page;
let api: ApiClient;
const pageErrors: string[] = [];
useDashboardSession(
  { prefix: "redflag-reports-", admin, width: 1440, pageErrors, timeoutMs: stepTimeout },
  (started) => {
    ({ server, page, api } = started);
  },
);

async function seedHost(hostname: string, tags: string[]) {
  const { token } = await api.registrationTokens.create.mutate({ label: hostname, seats: 1 });
  const registered = await apiClient(server.url).agent.register.mutate({
    registrationToken: token,
    host: hostFacts({ hostname }),
  });
  await api.agents.configure.mutate({ agentId: registered.agentId, tags });
  return { agentId: registered.agentId, client: apiClient(server.url, { token: registered.accessToken }) };
}

/** One install of one update, fetched and reported by the agent with the given outcome. */
async function install(agent: Awaited<ReturnType<typeof seedHost>>, packageName: string, ok: boolean) {
  const { items } = await api.updates.list.query({ agentId: agent.agentId });
  const update = items.find((item) => item.packageName === packageName);
  if (!update) throw new Error(`no update for ${packageName}`);
  const [commandId] = (await api.updates.install.mutate({ updateIds: [update.id] })).commandIds;
  if (!commandId) throw new Error("no command queued");
  await agent.client.agent.checkIn.mutate({ agentVersion: "0.1.0", metrics: {}, rebootRequired: false });
  await agent.client.agent.reportResult.mutate({
    commandId,
    status: ok ? "succeeded" : "failed",
    exitCode: ok ? 0 : 100,
    output: "",
    startedAt: new Date(),
    finishedAt: new Date(),
    items: [
      {
        updateId: update.id,
        status: ok ? "installed" : "failed",
        installedVersion: ok ? update.availableVersion : null,
        message: ok ? "" : "fetch failed",
      },
    ],
  });
}

/** Clicks a download link and returns the file's name and text. */
async function download(name: string) {
  const [file] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name, exact: true }).click(),
  ]);
  const path = await file.path();
  if (!path) throw new Error(`${name}: the download has no file`);
  return { filename: file.suggestedFilename(), text: readFileSync(path, "utf8") };
}

function stat(label: string) {
  return page.getByRole("region", { name: "Fleet report" }).locator(".stat", { hasText: label });
}

describe("the reports page", () => {
  test(
    "shows the fleet, tag and host figures, downloads CSV and JSON, at 1440 and 390 px",
    async () => {
      const web = await seedHost("web-01", ["prod", "web"]);
      const db = await seedHost("db-01", ["prod"]);
      await web.client.agent.reportScan.mutate(
        scanReport([
          aptItem("openssl", { severity: "critical", security: true }),
          aptItem("curl", { severity: "moderate" }),
          aptItem("zlib1g", { severity: "low" }),
        ]),
      );
      await db.client.agent.reportScan.mutate(
        scanReport([aptItem("postgresql-15", { severity: "important", security: true }), aptItem("vim")]),
      );
      await install(web, "curl", true);
      await install(web, "zlib1g", false);

      await page.goto(`${server.url}/login`);
      await signIn(page, admin);
      // The overview carries the reports' fleet line.
      const patching = page.getByRole("region", { name: "Patching" });
      await patching.getByText("Hosts out of compliance").waitFor();
      await patching.locator(".stat", { hasText: "Install success, 30 days" }).getByText("50%").waitFor();

      await navigate(page, "Reports");
      await stat("Hosts out of compliance")
        .getByText("of 2: a security update waiting over 14 days")
        .waitFor();
      expect(await stat("Security updates waiting").locator(".stat-value").textContent()).toBe("2");
      expect(await stat("Security updates waiting").locator(".stat-note").textContent()).toBe(
        "of 3 pending updates",
      );
      expect(await stat("Install success, 7 days").locator(".stat-value").textContent()).toBe("50%");
      expect(await stat("Install success, 7 days").locator(".stat-note").textContent()).toBe(
        "1 succeeded, 1 failed",
      );
      expect(await stat("Mean time to patch").locator(".stat-note").textContent()).toContain(
        "over 1 installed update",
      );
      const tagRows = page.getByRole("table", { name: "Reports by tag" }).locator("tbody tr");
      await expect(tagRows.count()).resolves.toBe(2);
      expect(await tagRows.nth(0).locator("td").nth(0).textContent()).toBe("prod");
      expect(await tagRows.nth(0).locator("td").nth(1).textContent()).toBe("2");
      const hostRows = page.getByRole("table", { name: "Reports by host" }).locator("tbody tr");
      await expect(hostRows.count()).resolves.toBe(2);
      await hostRows.filter({ hasText: "web-01" }).getByText("In compliance").waitFor();
      await screenshot(page, "reports-1440");

      const csv = await download("Hosts CSV");
      expect(csv.filename).toMatch(/^redflag-hosts-report-\d{4}-\d{2}-\d{2}\.csv$/);
      const [header, ...lines] = csv.text.trim().split("\n");
      expect(header).toStartWith("agent_id,hostname,tags,out_of_compliance");
      expect(lines.map((line) => line.split(",")[1]).sort()).toEqual(["db-01", "web-01"]);
      const json = await download("Tags JSON");
      expect(json.filename).toMatch(/\.json$/);
      const document = JSON.parse(json.text) as { rows: { tag: string | null; hosts: number }[] };
      expect(document.rows.map((row) => [row.tag, row.hosts])).toEqual([
        ["prod", 2],
        ["web", 1],
      ]);

      // A threshold out of range is refused on the page; a valid one is sent with the downloads.
      const threshold = page.getByLabel("Compliance threshold (days)");
      await threshold.fill("0");
      await page.getByRole("alert").getByText("whole number of days from 1 to 365").waitFor();
      await threshold.fill("30");
      await stat("Hosts out of compliance").getByText("over 30 days").waitFor();
      expect(await page.getByRole("link", { name: "Hosts CSV" }).getAttribute("href")).toContain(
        "complianceDays=30",
      );

      // Only the hosts out of compliance: none at this threshold.
      await page.getByRole("combobox", { name: "Hosts" }).selectOption({ label: "Out of compliance only" });
      await page.getByText("0–0 of 0 hosts").waitFor();
      await page.getByRole("combobox", { name: "Hosts" }).selectOption({ label: "All hosts" });
      await page.getByText("1–2 of 2 hosts").waitFor();

      await page.setViewportSize({ width: 390, height: 844 });
      await hostRows.filter({ hasText: "db-01" }).scrollIntoViewIfNeeded();
      expect(await hostRows.filter({ hasText: "db-01" }).isVisible()).toBe(true);
      await screenshot(page, "phone-reports-390");
      await page.goto(`${server.url}/`);
      await page.getByRole("region", { name: "Patching" }).waitFor();
      await screenshot(page, "phone-overview-patching-390");
      expect(pageErrors).toEqual([]);
    },
    stepTimeout,
  );
});
