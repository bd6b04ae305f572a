/**
 * The maintenance windows page in real Chromium against the production build: a window is written
 * with its schedule preview (the next openings in its zone and in UTC), saved disabled, enabled only
 * through its confirmation (Cancel changes nothing), the fleet-wide install limit is saved, and the
 * agent's page shows the window covering it and what it will do there; at 1440 and 390 px, with
 * screenshots, failing on any sideways scroll. Needs `bun run build` and Debian's chromium.
 */
import { describe, expect, test } from "bun:test";
import type { AgentId } from "@redflag/contracts";
import type { Page } from "../../apps/web/src/testing/chromium.ts";
import type { NextServer } from "../e2e/next-server.ts";
import { aptItem, hostFacts } from "../harness/fixtures.ts";
import { type ApiClient, apiClient } from "../harness/server.ts";
import { screenshot, signIn } from "./browser-page.ts";
import { useDashboardSession } from "./dashboard-session.ts";

const admin = { username: "admin", password: "admin password for the windows page" };
const stepTimeout = 180_000;

let server: NextServer;
let page: Page;
let api: ApiClient;
const pageErrors: string[] = [];
useDashboardSession(
  { prefix: "redflag-windows-page-", admin, width: 1440, pageErrors, timeoutMs: stepTimeout },
  (started) => {
    ({ server, page, api } = started);
  },
);

/** One host with openssl pending, approved by an admin. */
async function seedHost(): Promise<AgentId> {
  const { token } = await api.registrationTokens.create.mutate({ label: "windows", seats: 1 });
  const registered = await apiClient(server.url).agent.register.mutate({
    registrationToken: token,
    host: hostFacts({ hostname: "web-01" }),
  });
  const agent = apiClient(server.url, { token: registered.accessToken });
  const now = new Date();
  await agent.agent.reportScan.mutate({
    scanners: [{ packageType: "apt", status: "ok", items: [aptItem("openssl")] }],
    startedAt: now,
    finishedAt: now,
  });
  const { items } = await api.updates.list.query({ agentId: registered.agentId });
  await api.updates.approve.mutate({ updateIds: items.map((item) => item.id) });
  return registered.agentId;
}

describe("the maintenance windows page", () => {
  test(
    "a window with its schedule preview, enabled behind a confirmation, shown on its agent's page",
    async () => {
      const agentId = await seedHost();
      await page.goto(`${server.url}/login`);
      await signIn(page, admin);
      await page.goto(`${server.url}/windows`);
      await page.getByRole("heading", { level: 1, name: "Maintenance windows" }).waitFor();
      await page.getByText("No maintenance windows yet").waitFor();

      await page.getByRole("button", { name: "New window" }).click();
      const form = page.getByRole("form", { name: "Maintenance window" });
      await form.getByLabel("Name", { exact: true }).fill("Sunday nights");
      await form.getByLabel("Schedule (cron)").fill("0 3 * * 0");
      await form.getByLabel("Time zone").fill("Europe/Berlin");
      await form.getByLabel("Duration (minutes)").fill("120");
      await form.getByLabel("Agent ids").fill(agentId);
      const openings = page.getByTestId("window-openings").getByRole("listitem");
      await page.getByText("Opens every Sunday at 03:00.", { exact: true }).waitFor();
      await expect(openings.count()).resolves.toBe(3);
      for (const text of await openings.allTextContents())
        expect(text).toMatch(/^Sun \d{4}-\d{2}-\d{2} 03:00 .*UTC\)$/);
      // A schedule the server refuses says why, in the preview.
      await form.getByLabel("Schedule (cron)").fill("0 3 * *");
      await page
        .getByRole("alert")
        .getByText(/five fields/)
        .waitFor();
      await form.getByLabel("Schedule (cron)").fill("0 3 * * 0");
      await page.getByText("Opens every Sunday at 03:00.", { exact: true }).waitFor();
      await page.getByText(/must have five fields/).waitFor({ state: "detached" });
      await screenshot(page, "windows-form");

      await form.getByRole("button", { name: "Save window" }).click();
      const row = page.getByRole("row", { name: /Sunday nights/ });
      await row.getByText("Off", { exact: true }).waitFor();
      const [saved] = (await api.maintenanceWindows.list.query()).items;
      expect(saved).toMatchObject({
        enabled: false,
        schedule: "0 3 * * 0",
        timeZone: "Europe/Berlin",
        agentIds: [agentId],
      });

      // Cancel leaves it off.
      await row.getByRole("button", { name: "Enable" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByText("Enable this maintenance window?").waitFor();
      await dialog.getByRole("button", { name: "Cancel" }).click();
      expect((await api.maintenanceWindows.list.query()).items[0]?.enabled).toBe(false);

      await row.getByRole("button", { name: "Enable" }).click();
      await dialog.getByRole("button", { name: "Enable window" }).click();
      await dialog.getByText("Done.").waitFor();
      await dialog.getByRole("button", { name: "Close" }).click();
      await row.getByText("On", { exact: true }).waitFor();
      await row.getByText(/^next: Sun \d{4}-\d{2}-\d{2} 03:00/).waitFor();
      expect((await api.maintenanceWindows.list.query()).items[0]?.enabled).toBe(true);

      const limit = page.locator("section", {
        has: page.getByRole("heading", { name: "Fleet-wide install limit" }),
      });
      await limit.getByLabel("Installs at once").fill("3");
      await limit.getByRole("button", { name: "Save limit" }).click();
      await limit.getByText("Saved.").waitFor();
      expect((await api.settings.get.query()).maxConcurrentInstalls).toBe(3);
      await screenshot(page, "windows");

      await page.goto(`${server.url}/agents/${agentId}`);
      const card = page.locator("section", {
        has: page.getByRole("heading", { name: "Maintenance windows" }),
      });
      await card.getByText("Sunday nights").waitFor();
      await card.getByText(/scans, installs 1 approved update, reboots if required/).waitFor();
      await screenshot(page, "agent-windows");

      await page.setViewportSize({ width: 390, height: 844 });
      await card.getByText("Sunday nights").waitFor();
      await screenshot(page, "phone-agent-windows");
      await page.goto(`${server.url}/windows`);
      await page.getByRole("row", { name: /Sunday nights/ }).waitFor();
      await screenshot(page, "phone-windows");
      expect(pageErrors).toEqual([]);
    },
    stepTimeout,
  );
});
