/**
 * The Command signing card in real Chromium against the production build: the active fingerprint is
 * the server's, and a whole key rotation is done from it, each step only after its confirmation
 * (Cancel changes nothing). Needs `bun run build` and Debian's chromium.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Page } from "../../apps/web/src/testing/chromium.ts";
import type { NextServer } from "../e2e/next-server.ts";
import type { ApiClient } from "../harness/server.ts";
import { useDashboardSession } from "./dashboard-session.ts";

const screenshots = resolve(import.meta.dir, "../../artifacts/screenshots");
const admin = { username: "admin", password: "admin password for the signing card" };
const stepTimeout = 120_000;

let server: NextServer;
let page: Page;
let api: ApiClient;
const pageErrors: string[] = [];
useDashboardSession(
  { prefix: "redflag-signing-card-", admin, width: 1280, pageErrors, timeoutMs: stepTimeout },
  (started) => {
    ({ server, page, api } = started);
  },
);

/** Clicks a rotation step's button, confirms it in the dialog, and closes the dialog once done. */
async function confirmStep(button: string) {
  await page.getByRole("button", { name: button }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("button", { name: button }).click();
  await dialog.getByText("Done.").waitFor();
  await dialog.getByRole("button", { name: "Close" }).click();
}

describe("the Command signing card", () => {
  test(
    "shows the server's fingerprint and takes a key through rotate, promote and retire",
    async () => {
      await page.goto(`${server.url}/login`);
      await page.getByLabel("Username").fill(admin.username);
      await page.getByLabel("Password").fill(admin.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
      await page.goto(`${server.url}/settings`);
      await page.getByRole("heading", { level: 2, name: "Command signing" }).waitFor();
      const first = await api.signingKeys.current.query();
      await page.getByTestId("signing-fingerprint").getByText(first.activeFingerprint).waitFor();

      // Cancel leaves everything as it was.
      await page.getByRole("button", { name: "Start a key rotation" }).click();
      await page.getByRole("dialog").getByText("Make a new signing key?").waitFor();
      await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
      expect((await api.signingKeys.current.query()).rotation).toBe("none");

      await confirmStep("Start a key rotation");
      await page.getByText("Rotation started").waitFor();
      const announced = await api.signingKeys.current.query();
      expect(announced.rotation).toBe("announced");
      mkdirSync(screenshots, { recursive: true });
      await page.screenshot({ path: join(screenshots, "settings-signing-rotation.png"), fullPage: true });

      await confirmStep("Sign with the new key");
      await page.getByText("Overlap: agents still accept the old key").waitFor();
      const promoted = await api.signingKeys.current.query();
      expect(promoted.activeFingerprint).not.toBe(first.activeFingerprint);
      await page.getByTestId("signing-fingerprint").getByText(promoted.activeFingerprint).waitFor();

      await confirmStep("Retire the old key");
      await page.getByRole("button", { name: "Start a key rotation" }).waitFor();
      expect(await api.signingKeys.current.query()).toMatchObject({
        activeFingerprint: promoted.activeFingerprint,
        rotation: "none",
      });
      const audit = await api.audit.list.query({ entityType: "signing_key" });
      expect(audit.items.map((event) => event.action).reverse()).toEqual([
        "signing_key.rotate",
        "signing_key.promote",
        "signing_key.retire",
      ]);
      // A phone's width: the fingerprints wrap instead of making the page scroll sideways.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.getByTestId("signing-fingerprint").scrollIntoViewIfNeeded();
      const width = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      expect(width[0]).toBeLessThanOrEqual(width[1] ?? 0);
      await page.screenshot({ path: join(screenshots, "settings-signing-390.png"), fullPage: true });
      expect(pageErrors).toEqual([]);
    },
    stepTimeout,
  );
});
