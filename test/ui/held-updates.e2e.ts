/**
 * Held updates on the updates page in real Chromium against the production build (its scheduler
 * ticking on its own): a package the host holds shows "Held on host", one a hold policy matches shows
 * "Held by policy <name>", and the Held filter lists both kinds (or neither); at 1440 and 390 px, with
 * screenshots, failing on any sideways scroll. Needs `bun run build` and Debian's chromium.
 */
import { describe, expect, test } from "bun:test";
import type { Page } from "../../apps/web/src/testing/chromium.ts";
import type { NextServer } from "../e2e/next-server.ts";
import { aptItem, hostFacts } from "../harness/fixtures.ts";
import { type ApiClient, apiClient } from "../harness/server.ts";
import { waitFor } from "../harness/wait-for.ts";
import { screenshot, signIn } from "./browser-page.ts";
import { useDashboardSession } from "./dashboard-session.ts";

const admin = { username: "admin", password: "admin password for the held updates" };
const stepTimeout = 180_000;

let server: NextServer;
let page: Page;
let api: ApiClient;
const pageErrors: string[] = [];
useDashboardSession(
  { prefix: "redflag-held-updates-", admin, width: 1440, pageErrors, timeoutMs: stepTimeout },
  (started) => {
    ({ server, page, api } = started);
  },
);

/** One host: a package it holds itself, a kernel a hold policy will match, and a free package. */
async function seedHost() {
  const { token } = await api.registrationTokens.create.mutate({ label: "held", seats: 1 });
  const registered = await apiClient(server.url).agent.register.mutate({
    registrationToken: token,
    host: hostFacts({ hostname: "db-01" }),
  });
  const agent = apiClient(server.url, { token: registered.accessToken });
  const now = new Date();
  await agent.agent.reportScan.mutate({
    scanners: [
      {
        packageType: "apt",
        status: "ok",
        items: [
          aptItem("postgresql-15", { held: true }),
          aptItem("linux-image-amd64", { currentVersion: "6.1.115-1", availableVersion: "6.1.119-1" }),
          aptItem("curl"),
        ],
      },
    ],
    startedAt: now,
    finishedAt: now,
  });
}

describe("held updates on the updates page", () => {
  test(
    "badges for a host's hold and a hold policy, and the Held filter",
    async () => {
      await seedHost();
      await api.policies.create.mutate({
        policy: { name: "Kernel freeze", action: "hold", packagePatterns: ["linux-image-*"] },
        enabled: true,
      });
      // The server's own scheduler runs the hold policy.
      await waitFor(
        "the hold policy applied",
        async () => {
          const list = await api.updates.list.query({ held: true });
          return list.items.some((update) => update.heldByPolicy?.name === "Kernel freeze")
            ? true
            : undefined;
        },
        60_000,
      );

      await page.goto(`${server.url}/login`);
      await signIn(page, admin);
      await page.goto(`${server.url}/updates`);
      await page.getByRole("heading", { level: 1, name: "Updates" }).waitFor();
      await page
        .getByRole("row", { name: /postgresql-15/ })
        .getByText("Held on host")
        .waitFor();
      await page
        .getByRole("row", { name: /linux-image-amd64/ })
        .getByText("Held by policy Kernel freeze")
        .waitFor();
      expect(await page.getByRole("row", { name: /curl/ }).getByText(/^Held/).count()).toBe(0);
      await screenshot(page, "updates-held");

      await page.getByLabel("Held").selectOption("true");
      await page.getByRole("row", { name: /curl/ }).waitFor({ state: "detached" });
      expect(new URL(page.url()).searchParams.get("held")).toBe("true");
      await page.getByRole("row", { name: /postgresql-15/ }).waitFor();
      await page.getByRole("row", { name: /linux-image-amd64/ }).waitFor();

      await page.getByLabel("Held").selectOption("false");
      await page.getByRole("row", { name: /curl/ }).waitFor();
      expect(await page.getByRole("row", { name: /postgresql-15|linux-image-amd64/ }).count()).toBe(0);

      await page.getByLabel("Held").selectOption("");
      await page.setViewportSize({ width: 390, height: 844 });
      const badge = page.getByRole("row", { name: /postgresql-15/ }).getByText("Held on host");
      await badge.waitFor();
      // Beside the package's name, so a phone shows it without scrolling the table sideways.
      const box = await badge.boundingBox();
      expect(box !== null && box.x + box.width <= 390).toBe(true);
      await screenshot(page, "phone-updates-held");
      expect(pageErrors).toEqual([]);
    },
    stepTimeout,
  );
});
