/**
 * The REST API reference in real Chromium against the production build: reached from Settings → API
 * tokens, it lists the /api/v1 routes by tag with their role, parameters and shapes, raises no
 * Content-Security-Policy violation, and reads at 1440 and 390 px without sideways scrolling.
 * Needs `bun run build` and Debian's chromium.
 */
import { describe, expect, test } from "bun:test";
import { type Page, watchCspViolations } from "../../apps/web/src/testing/chromium.ts";
import type { NextServer } from "../e2e/next-server.ts";
import { navigate, screenshot, signIn } from "./browser-page.ts";
import { useDashboardSession } from "./dashboard-session.ts";

const admin = { username: "admin", password: "admin password for the api reference" };
const stepTimeout = 180_000;

let server: NextServer;
let page: Page;
const pageErrors: string[] = [];
useDashboardSession(
  { prefix: "redflag-api-reference-", admin, width: 1440, pageErrors, timeoutMs: stepTimeout },
  (started) => {
    ({ server, page } = started);
  },
);

describe("the REST API reference page", () => {
  test(
    "reached from the API tokens card, lists the routes with their access and shapes, at 1440 and 390 px",
    async () => {
      const violations: string[] = [];
      await watchCspViolations(page.context(), page, violations);
      await page.goto(`${server.url}/login`);
      await signIn(page, admin);
      await navigate(page, "Settings");
      await page.getByRole("link", { name: "API reference" }).click();
      await page.getByRole("heading", { level: 1, name: "REST API reference" }).waitFor();

      for (const tag of ["agents", "updates", "commands", "agent protocol"]) {
        await page.getByRole("heading", { level: 2, name: tag }).waitFor();
      }
      const install = page.locator("article", { hasText: "/api/v1/updates/{updateId}/install" });
      await install.getByText("operator role or higher").waitFor();
      const register = page.locator("article", { hasText: "/api/v1/agents/register" });
      await register.getByText("public (no credential)").waitFor();
      await register.getByText("Request body (JSON)").click();
      await register.getByText("registrationToken: string").waitFor();
      const agentUpdates = page.locator("article", { hasText: "/api/v1/agents/{agentId}/updates" });
      await agentUpdates.getByText("(path, required)").waitFor();
      await page.getByRole("link", { name: "/api/v1/openapi.json" }).waitFor();
      await page.waitForLoadState("networkidle");
      await screenshot(page, "api-reference");

      await page.setViewportSize({ width: 390, height: 844 });
      await register.getByText("registrationToken: string").waitFor();
      await screenshot(page, "phone-api-reference");
      expect(violations).toEqual([]);
      expect(pageErrors).toEqual([]);
    },
    stepTimeout,
  );
});
