/**
 * The Prometheus metrics card in real Chromium against the production build: the token it shows once
 * scrapes /metrics; regenerate and revoke each act only after their confirmation (Cancel changes
 * nothing), and the old token stops working. Needs `bun run build` and Debian's chromium.
 */
import { describe, expect, test } from "bun:test";
import type { Page } from "../../apps/web/src/testing/chromium.ts";
import type { NextServer } from "../e2e/next-server.ts";
import { expectNoSidewaysScroll, screenshot } from "./browser-page.ts";
import { useDashboardSession } from "./dashboard-session.ts";

const admin = { username: "admin", password: "admin password for the metrics card" };
const stepTimeout = 120_000;

let server: NextServer;
let page: Page;
const pageErrors: string[] = [];
useDashboardSession(
  { prefix: "redflag-metrics-card-", admin, width: 1280, pageErrors, timeoutMs: stepTimeout },
  (started) => {
    ({ server, page } = started);
  },
);

async function scrapeStatus(token: string) {
  return (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status;
}

/** The card itself: the API tokens card has a "Create token" button too. */
function card() {
  return page.getByRole("region", { name: "Prometheus metrics" });
}

async function confirm(button: string) {
  await card().getByRole("button", { name: button }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("button", { name: button }).click();
  await dialog.getByText("Done.").waitFor();
  await dialog.getByRole("button", { name: "Close" }).click();
}

describe("the Prometheus metrics card", () => {
  test(
    "makes a token that scrapes /metrics; regenerate and revoke only after confirming",
    async () => {
      await page.goto(`${server.url}/login`);
      await page.getByLabel("Username").fill(admin.username);
      await page.getByLabel("Password").fill(admin.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
      await page.goto(`${server.url}/settings`);
      await page.getByRole("heading", { level: 2, name: "Prometheus metrics" }).waitFor();
      await page.getByText("No metrics token").waitFor();

      await card().getByRole("button", { name: "Create token" }).click();
      const first = (await page.getByTestId("metrics-token").textContent()) ?? "";
      expect(first).toStartWith("rf_met_");
      expect(await scrapeStatus(first)).toBe(200);
      await page.getByTestId("metrics-token-state").getByText(first.slice(0, 12)).waitFor();

      // Cancel leaves the token as it was.
      await card().getByRole("button", { name: "Regenerate token" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
      expect(await scrapeStatus(first)).toBe(200);

      await confirm("Regenerate token");
      const second = (await page.getByTestId("metrics-token").textContent()) ?? "";
      expect(second).toStartWith("rf_met_");
      expect(second).not.toBe(first);
      expect(await scrapeStatus(first)).toBe(401);
      expect(await scrapeStatus(second)).toBe(200);

      // A phone's width: the token wraps instead of making the page scroll sideways.
      await page.setViewportSize({ width: 390, height: 844 });
      await expectNoSidewaysScroll(page, "settings with a metrics token at 390 px");
      await screenshot(page, "settings-metrics-token-390");
      await page.setViewportSize({ width: 1280, height: 900 });

      await confirm("Revoke token");
      await page.getByText("No metrics token").waitFor();
      expect(await scrapeStatus(second)).toBe(401);
      expect(pageErrors).toEqual([]);
    },
    stepTimeout,
  );
});
