/**
 * The policies page in real Chromium against the production build (its scheduler ticking on its own):
 * a staged approve policy is written with its live preview, saved disabled, enabled only through its
 * confirmation (Cancel changes nothing), and the server's policy run starts a rollout that the page
 * then lists; at 1440 and 390 px, with screenshots, failing on any sideways scroll. Needs
 * `bun run build` and Debian's chromium.
 */
import { describe, expect, test } from "bun:test";
import type { Page } from "../../apps/web/src/testing/chromium.ts";
import type { NextServer } from "../e2e/next-server.ts";
import { aptItem, hostFacts } from "../harness/fixtures.ts";
import { type ApiClient, apiClient } from "../harness/server.ts";
import { screenshot, signIn } from "./browser-page.ts";
import { useDashboardSession } from "./dashboard-session.ts";

const admin = { username: "admin", password: "admin password for the policies page" };
const stepTimeout = 180_000;

let server: NextServer;
let page: Page;
let api: ApiClient;
const pageErrors: string[] = [];
useDashboardSession(
  { prefix: "redflag-policies-page-", admin, width: 1440, pageErrors, timeoutMs: stepTimeout },
  (started) => {
    ({ server, page, api } = started);
  },
);

/** Three hosts offering openssl (and curl): one canary, two others. */
async function seedFleet() {
  const { token } = await api.registrationTokens.create.mutate({ label: "policies", seats: 3 });
  const anonymous = apiClient(server.url);
  for (const [hostname, tags] of [
    ["canary-01", ["canary"]],
    ["web-01", ["web"]],
    ["db-01", []],
  ] as const) {
    const registered = await anonymous.agent.register.mutate({
      registrationToken: token,
      host: hostFacts({ hostname }),
    });
    if (tags.length > 0) await api.agents.configure.mutate({ agentId: registered.agentId, tags: [...tags] });
    const agent = apiClient(server.url, { token: registered.accessToken });
    const now = new Date();
    await agent.agent.reportScan.mutate({
      scanners: [
        {
          packageType: "apt",
          status: "ok",
          items: [
            aptItem("openssl", {
              currentVersion: "3.0.14-1~deb12u2",
              availableVersion: "3.0.15-1~deb12u1",
              severity: "important",
              security: true,
            }),
            aptItem("curl"),
          ],
        },
      ],
      startedAt: now,
      finishedAt: now,
    });
  }
}

describe("the policies page", () => {
  test(
    "a staged policy with its live preview, enabled behind a confirmation, starts a rollout the page lists",
    async () => {
      await seedFleet();
      await page.goto(`${server.url}/login`);
      await signIn(page, admin);
      await page.goto(`${server.url}/policies`);
      await page.getByRole("heading", { level: 1, name: "Policies" }).waitFor();
      await page.getByText("No policies yet").waitFor();

      await page.getByRole("button", { name: "New policy" }).click();
      const form = page.getByRole("form", { name: "Policy" });
      await form.getByLabel("Name", { exact: true }).fill("Security, canary first");
      const preview = page.getByTestId("policy-preview-count");
      // Everything pending on every host, before any criterion is set.
      await preview.getByText("Would approve 6 updates on 3 hosts now.").waitFor();
      await form.getByLabel("Package names").fill("openssl");
      await preview.getByText("Would approve 3 updates on 3 hosts now.").waitFor();
      await form.getByRole("button", { name: "Add stage" }).click();
      await form.getByLabel("Stage 1 tags").fill("canary");
      await form.getByRole("button", { name: "Add stage" }).click();
      await form.getByLabel("Soak (minutes)").last().fill("0");
      await preview
        .getByText("Would approve 3 updates on 3 hosts now, 1 of them in the first stage.")
        .waitFor();
      await page.getByRole("cell", { name: "canary-01" }).waitFor();
      await screenshot(page, "policies-form");

      await form.getByRole("button", { name: "Save policy" }).click();
      const row = page.getByRole("row", { name: /Security, canary first/ });
      await row.getByText("Off", { exact: true }).waitFor();
      const [saved] = await api.policies.list.query();
      expect(saved).toMatchObject({
        enabled: false,
        packagePatterns: ["openssl"],
        stages: [{ tags: ["canary"] }, { tags: [] }],
      });

      // Cancel leaves it off.
      await row.getByRole("button", { name: "Enable" }).click();
      await page.getByRole("dialog").getByText("Enable this approve policy?").waitFor();
      await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
      expect((await api.policies.list.query())[0]?.enabled).toBe(false);

      await row.getByRole("button", { name: "Enable" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByRole("button", { name: "Enable policy" }).click();
      await dialog.getByText("Done.").waitFor();
      await dialog.getByRole("button", { name: "Close" }).click();
      await row.getByText("On", { exact: true }).waitFor();

      // The server's own scheduler runs the policy (made due by the save); the rollouts list refreshes.
      const rollouts = page.locator("section", {
        has: page.getByRole("heading", { name: "Staged rollouts" }),
      });
      const rollout = rollouts.getByRole("row", { name: /openssl/ });
      await rollout.getByText("1 of 2").waitFor({ timeout: 60_000 });
      await rollout.getByText("running").waitFor();
      const approved = await api.updates.list.query({ statuses: ["approved"] });
      expect(approved.items.map((update) => [update.hostname, update.packageName])).toEqual([
        ["canary-01", "openssl"],
      ]);
      await row.getByText("1 approved (7 days)").waitFor({ timeout: 60_000 });
      await screenshot(page, "policies");

      await page.setViewportSize({ width: 390, height: 844 });
      await rollout.getByText("1 of 2").waitFor();
      await screenshot(page, "phone-policies");
      await page.getByRole("button", { name: "Edit" }).click();
      await preview
        .getByText("Would approve 3 updates on 3 hosts now, 1 of them in the first stage.")
        .waitFor();
      await screenshot(page, "phone-policies-form");

      // Changing an enabled approve policy asks first; Cancel keeps it as it was.
      await form.getByLabel("Package names").fill("openssl, curl");
      await form.getByRole("button", { name: "Save changes" }).click();
      const confirm = page.getByRole("dialog");
      await confirm.getByText("Save this enabled approve policy?").waitFor();
      await confirm.getByRole("button", { name: "Cancel" }).click();
      expect((await api.policies.list.query())[0]?.packagePatterns).toEqual(["openssl"]);
      await form.getByRole("button", { name: "Save changes" }).click();
      await confirm.getByRole("button", { name: "Save changes" }).click();
      await row.getByText("openssl, curl", { exact: false }).waitFor();
      expect((await api.policies.list.query())[0]?.packagePatterns).toEqual(["openssl", "curl"]);
      expect(pageErrors).toEqual([]);
    },
    stepTimeout,
  );
});
