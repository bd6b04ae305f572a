/**
 * The notifications page in real Chromium against the production build: an ntfy target pointing at
 * an endpoint this test serves is added, its Send test arrives there (and a refused one says why),
 * the delivery log lists both, the saved token is never shown again, the digest time is saved, and
 * deleting asks first (Cancel keeps it); at 1440 and 390 px, with screenshots, failing on any
 * sideways scroll. Needs `bun run build` and Debian's chromium.
 */
import { afterAll, describe, expect, test } from "bun:test";
import type { Page } from "../../apps/web/src/testing/chromium.ts";
import type { NextServer } from "../e2e/next-server.ts";
import type { ApiClient } from "../harness/server.ts";
import { screenshot, signIn } from "./browser-page.ts";
import { useDashboardSession } from "./dashboard-session.ts";

const admin = { username: "admin", password: "admin password for the notifications page" };
const token = "tk_e2e-ntfy-access-token";
const stepTimeout = 180_000;

let server: NextServer;
let page: Page;
let api: ApiClient;
const pageErrors: string[] = [];

// The ntfy server the target points at: records what it is sent, answers as told.
const published: { path: string; authorization: string | null; body: Record<string, unknown> }[] = [];
let answer = () => new Response(JSON.stringify({ id: "msg1", event: "message" }), { status: 200 });
const ntfy = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    published.push({
      path: new URL(request.url).pathname,
      authorization: request.headers.get("authorization"),
      body: (await request.json()) as Record<string, unknown>,
    });
    return answer();
  },
});

useDashboardSession(
  { prefix: "redflag-notifications-page-", admin, width: 1440, pageErrors, timeoutMs: stepTimeout },
  (started) => {
    ({ server, page, api } = started);
  },
);

afterAll(async () => {
  await ntfy.stop(true);
});

describe("the notifications page", () => {
  test(
    "an ntfy target is added, Send test reaches it and is logged, its token is never shown, delete asks first",
    async () => {
      await page.goto(`${server.url}/login`);
      await signIn(page, admin);
      await page.goto(`${server.url}/notifications`);
      await page.getByRole("heading", { level: 1, name: "Notifications" }).waitFor();
      await page.getByText("No notification targets yet").waitFor();

      await page.getByRole("button", { name: "Add target" }).click();
      const form = page.getByRole("form", { name: "Notification target" });
      await form.getByLabel("Name", { exact: true }).fill("Ops phone");
      await form.getByLabel("Kind").selectOption("ntfy");
      await form.getByLabel("Server URL").fill(`http://127.0.0.1:${ntfy.port}`);
      await form.getByLabel("Topic").fill("redflag-e2e");
      await form.getByLabel("Access token (optional)").fill(token);
      await form.getByLabel("Install failed").check();
      await form.getByLabel("Agent offline").check();
      await form.getByLabel("Agent tags").fill("web, production");
      await screenshot(page, "notifications-form");
      await form.getByRole("button", { name: "Save target" }).click();

      const row = page.getByRole("row", { name: /Ops phone/ });
      await row.getByText("On", { exact: true }).waitFor();
      const [saved] = await api.notifications.targets.query();
      expect(saved).toMatchObject({
        kind: "ntfy",
        events: ["install_failed", "agent_offline"],
        tags: ["web", "production"],
        config: { serverUrl: `http://127.0.0.1:${ntfy.port}`, topic: "redflag-e2e", priority: 3 },
        secretsSet: ["accessToken"],
      });

      await row.getByRole("button", { name: "Send test" }).click();
      await row.getByText("Test sent (200).").waitFor();
      expect(published).toHaveLength(1);
      expect(published[0]).toMatchObject({
        path: "/",
        authorization: `Bearer ${token}`,
        body: { topic: "redflag-e2e", title: "RedFlag test notification for Ops phone" },
      });
      answer = () => new Response('{"code":40301,"error":"forbidden"}', { status: 403 });
      await row.getByRole("button", { name: "Send test" }).click();
      await row.getByText(/^Test failed: HTTP 403 Forbidden/).waitFor();

      const log = page.locator("section", { has: page.getByRole("heading", { name: "Delivery log" }) });
      await log
        .getByRole("row", { name: /Sent/ })
        .getByText("RedFlag test notification for Ops phone")
        .waitFor();
      await log
        .getByRole("row", { name: /Failed/ })
        .getByText(/HTTP 403 Forbidden/)
        .waitFor();
      await log.getByLabel("Status").selectOption("failed");
      await log.getByText("1–1 of 1 deliveries").waitFor();

      // Editing shows that a token is saved, never the token.
      await row.getByRole("button", { name: "Edit" }).click();
      const secret = form.getByLabel("Access token (optional)");
      expect(await secret.inputValue()).toBe("");
      expect(await secret.getAttribute("placeholder")).toBe("saved; leave empty to keep");
      await form.getByText("Saved; leave empty to keep it.").waitFor();
      expect(await page.content()).not.toContain(token);
      await form.getByRole("button", { name: "Cancel" }).click();

      const digest = page.getByRole("form", { name: "Daily digest time" });
      await digest.getByLabel("Time", { exact: true }).fill("07:15");
      await digest.getByLabel("Time zone").fill("Europe/Berlin");
      await digest.getByRole("button", { name: "Save digest time" }).click();
      await digest.getByText("Saved.").waitFor();
      expect(await api.settings.get.query()).toMatchObject({
        dailyDigestTime: "07:15",
        dailyDigestTimeZone: "Europe/Berlin",
      });
      await screenshot(page, "notifications");

      await page.setViewportSize({ width: 390, height: 844 });
      await row.getByText("On", { exact: true }).waitFor();
      await screenshot(page, "phone-notifications");

      // Delete asks first; Cancel keeps the target.
      await row.getByRole("button", { name: "Delete" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByText("Delete this notification target?").waitFor();
      await screenshot(page, "phone-notifications-delete");
      await dialog.getByRole("button", { name: "Cancel" }).click();
      expect(await api.notifications.targets.query()).toHaveLength(1);
      await row.getByRole("button", { name: "Delete" }).click();
      await dialog.getByRole("button", { name: "Delete target" }).click();
      await page.getByText("No notification targets yet").waitFor();
      expect(await api.notifications.targets.query()).toEqual([]);
      expect(pageErrors).toEqual([]);
    },
    stepTimeout,
  );
});
