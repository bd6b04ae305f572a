/**
 * The dashboard works under its Content-Security-Policy: Chromium opens the main pages (setup, login,
 * overview, agents, add agent, updates, settings) of the production build, and any CSP violation
 * (a `securitypolicyviolation` event, or a console error about the policy) fails the test.
 * Needs `bun run build` and Debian's chromium.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  type Browser,
  launchChromium,
  type Page,
  watchCspViolations,
} from "../../apps/web/src/testing/chromium.ts";
import { type NextServer, startNextServer, temporaryDirectory } from "../e2e/next-server.ts";
import { aptItem, hostFacts, scanReport } from "../harness/fixtures.ts";
import { apiClient } from "../harness/server.ts";

const admin = { username: "admin", password: "admin password for the csp test" };
const stepTimeout = 120_000;

let server: NextServer;
let browser: Browser;
let page: Page;
let dataDirectory: ReturnType<typeof temporaryDirectory>;
const violations: string[] = [];

beforeAll(async () => {
  dataDirectory = temporaryDirectory("redflag-csp-");
  server = await startNextServer({ REDFLAG_DATA_DIR: dataDirectory.path });
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(30_000);
  await watchCspViolations(context, page, violations);
  page.on("pageerror", (error) => violations.push(`page error: ${error.message}`));
}, stepTimeout);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  dataDirectory?.remove();
}, 30_000);

/** Opens a page by its address and waits until it has rendered and hydrated (its heading shows). */
async function open(path: string, heading: string | RegExp) {
  await page.goto(`${server.url}${path}`);
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
  // Hydration and the first queries run after the heading: let the network settle.
  await page.waitForLoadState("networkidle");
}

function expectNoViolations(where: string) {
  expect({ where, violations }).toEqual({ where, violations: [] });
}

describe("the dashboard under its Content-Security-Policy", () => {
  test(
    "setup, login, overview, agents, add agent, updates and settings raise no violation",
    async () => {
      const setup = await page.goto(`${server.url}/setup`);
      const policy = setup?.headers()["content-security-policy"] ?? "";
      expect(policy).toContain("'nonce-");
      expect(policy).toContain("frame-ancestors 'none'");
      await page.getByRole("heading", { name: "Create the first admin" }).waitFor();
      await page.waitForLoadState("networkidle");
      expectNoViolations("setup");
      await page.getByLabel("Username").fill(admin.username);
      await page.getByLabel(/^Password/).fill(admin.password);
      await page.getByLabel("Confirm password").fill(admin.password);
      await page.getByRole("button", { name: "Create admin and sign in" }).click();
      await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();

      // An agent with updates, so that the pages show rows, counts and bars.
      await open("/agents/add", "Add agent");
      await page.getByLabel("Label").fill("csp");
      await page.getByLabel("Seats (machines)").fill("1");
      await page.getByRole("button", { name: "Create token" }).click();
      const token = (await page.getByTestId("registration-token").textContent()) ?? "";
      expectNoViolations("add agent");
      const registered = await apiClient(server.url).agent.register.mutate({
        registrationToken: token,
        host: hostFacts({ hostname: "csp-host" }),
      });
      const agent = apiClient(server.url, { token: registered.accessToken });
      await agent.agent.checkIn.mutate({ agentVersion: "0.1.0", metrics: {}, rebootRequired: false });
      await agent.agent.reportScan.mutate(
        scanReport([aptItem("openssl", { security: true, severity: "critical" }), aptItem("curl")]),
      );

      await open("/", "Overview");
      expectNoViolations("overview");
      await open("/agents", "Agents");
      await page.getByRole("link", { name: "csp-host" }).first().click();
      await page.getByRole("heading", { level: 1, name: "csp-host" }).waitFor();
      await page.waitForLoadState("networkidle");
      expectNoViolations("agent detail");
      await open("/updates", "Updates");
      await page.getByText("openssl").first().waitFor();
      expectNoViolations("updates");
      await open("/settings", "Settings");
      expectNoViolations("settings");

      await page.context().clearCookies();
      await open("/login", /Sign in/);
      await page.getByLabel("Username").fill(admin.username);
      await page.getByLabel("Password").fill(admin.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
      await page.waitForLoadState("networkidle");
      expectNoViolations("login");
    },
    stepTimeout * 2,
  );

  test("an injected inline script is blocked and reported (the check itself works)", async () => {
    await open("/login", /Sign in|Overview/);
    violations.length = 0;
    // An inline event handler, as injected markup would carry: it has no nonce to show.
    await page.evaluate(() => {
      const button = document.createElement("button");
      button.id = "probe";
      button.setAttribute("onclick", "window.handlerRan = true");
      button.textContent = "injected";
      document.body.append(button);
    });
    await page.locator("#probe").click();
    // The report arrives through the binding a moment later: wait for it, up to 10 s.
    const deadline = Date.now() + 10_000;
    while (violations.length === 0 && Date.now() < deadline) await page.waitForTimeout(50);
    expect(violations.join("\n")).toContain("script-src");
    expect(
      await page.evaluate(() => (window as unknown as { handlerRan?: boolean }).handlerRan),
    ).toBeUndefined();
    violations.length = 0;
  });
});
