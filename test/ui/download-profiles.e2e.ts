/**
 * The download profiles card in real Chromium against the production build: an admin adds a profile
 * only after confirming (Cancel saves nothing), a refused proxy address says why, the profile edited
 * and deleted after confirming; what Docker cannot do is said on the card; no sideways scroll at
 * 390 px. Needs `bun run build` and Debian's chromium.
 */
import { describe, expect, test } from "bun:test";
import type { Page } from "../../apps/web/src/testing/chromium.ts";
import type { NextServer } from "../e2e/next-server.ts";
import type { ApiClient } from "../harness/server.ts";
import { expectNoSidewaysScroll, screenshot } from "./browser-page.ts";
import { useDashboardSession } from "./dashboard-session.ts";

const admin = { username: "admin", password: "admin password for download profiles" };
const stepTimeout = 120_000;

let server: NextServer;
let page: Page;
let api: ApiClient;
const pageErrors: string[] = [];
useDashboardSession(
  { prefix: "redflag-download-profiles-", admin, width: 1280, pageErrors, timeoutMs: stepTimeout },
  (started) => {
    ({ server, page, api } = started);
  },
);

function card() {
  return page.getByRole("region", { name: "Download profiles" });
}

async function confirmIn(button: string) {
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("button", { name: button }).click();
  await dialog.getByText(/Saved\.|Deleted\./).waitFor();
  await dialog.getByRole("button", { name: "Close" }).click();
}

describe("the download profiles card", () => {
  test(
    "adds, edits and deletes a profile only after confirming; says what Docker cannot do",
    async () => {
      await page.goto(`${server.url}/login`);
      await page.getByLabel("Username").fill(admin.username);
      await page.getByLabel("Password").fill(admin.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
      await page.goto(`${server.url}/settings`);
      await page.getByRole("heading", { level: 2, name: "Download profiles" }).waitFor();
      await card().getByText("docker pull has no download limit.").waitFor();
      await card().getByText("No download profiles").waitFor();

      await card().getByLabel("Name").fill("Branch office");
      await card().getByLabel("Agent tags").fill("branch, eu");
      await card().getByLabel("Download limit (KiB/s)").fill("2048");
      await card().getByLabel("apt proxy").fill("http://user:pw@apt-cache.branch:3142");

      // Cancel saves nothing.
      await card().getByRole("button", { name: "Add profile…" }).click();
      await page.getByRole("dialog").getByText("tags branch, eu").waitFor();
      await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
      expect(await api.downloadProfiles.list.query()).toEqual([]);

      // An address with a password is refused, and the dialog says why.
      await card().getByRole("button", { name: "Add profile…" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Save profile" }).click();
      await page
        .getByRole("dialog")
        .getByText("must not carry a user name or password", { exact: false })
        .waitFor();
      await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
      expect(await api.downloadProfiles.list.query()).toEqual([]);

      await card().getByLabel("apt proxy").fill("http://apt-cache.branch:3142");
      await card().getByRole("button", { name: "Add profile…" }).click();
      await confirmIn("Save profile");
      await card().getByRole("cell", { name: "2048 KiB/s, apt via http://apt-cache.branch:3142" }).waitFor();
      expect(await api.downloadProfiles.list.query()).toMatchObject([
        {
          name: "Branch office",
          tags: ["branch", "eu"],
          limitKibPerSecond: 2048,
          aptProxy: "http://apt-cache.branch:3142",
        },
      ]);

      await card().getByRole("button", { name: "Edit" }).click();
      await card().getByLabel("Download limit (KiB/s)").fill("");
      await card().getByLabel("dnf proxy").fill("http://squid.branch:3128");
      await card().getByRole("button", { name: "Save profile…" }).click();
      await confirmIn("Save profile");
      await card()
        .getByRole("cell", {
          name: "no limit, apt via http://apt-cache.branch:3142, dnf via http://squid.branch:3128",
        })
        .waitFor();

      await page.setViewportSize({ width: 390, height: 844 });
      await expectNoSidewaysScroll(page, "settings with a download profile at 390 px");
      await screenshot(page, "settings-download-profiles-390");
      await page.setViewportSize({ width: 1280, height: 900 });

      await card().getByRole("button", { name: "Delete…" }).click();
      await confirmIn("Delete profile");
      await card().getByText("No download profiles").waitFor();
      expect(await api.downloadProfiles.list.query()).toEqual([]);
      expect(pageErrors).toEqual([]);
    },
    stepTimeout,
  );
});
