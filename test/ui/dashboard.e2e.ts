/**
 * The admin's whole workflow in real Chromium against the production build on a fresh embedded
 * database: first-run setup → login → registration token → an agent (the protocol through the typed
 * client) registers and reports → filter → bulk approve → install with a dry-run preview → the command
 * history shows the result → a setting persists across a reload → a viewer cannot approve → logout,
 * at 1440 × 900 and (REDFLAG_UI_WIDTH=390) again at 390 × 844, failing on any sideways scroll.
 * Screenshots of every page go to artifacts/screenshots/. Needs `bun run build` and Debian's chromium.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type CommandId, idSchema } from "@redflag/contracts";
import { powerShellWord } from "../../apps/web/src/lib/install-commands.ts";
import {
  type Browser,
  launchChromium,
  type Page,
  watchCspViolations,
} from "../../apps/web/src/testing/chromium.ts";
import { type NextServer, startNextServer, temporaryDirectory } from "../e2e/next-server.ts";
import { aptItem, hostFacts } from "../harness/fixtures.ts";
import { type ApiClient, apiClient } from "../harness/server.ts";
import {
  type Credentials,
  navigate as navigateInPage,
  openMenuIfFolded as openMenuInPage,
  screenshotsDirectory as screenshots,
  shoot as shootPage,
  signIn as signInPage,
  viewport,
} from "./browser-page.ts";

const admin = { username: "admin", password: "admin password for e2e" };
const viewer = { username: "viewer1", password: "viewer password for e2e" };
const stepTimeout = 120_000;

let server: NextServer;
let browser: Browser;
let page: Page;
let dataDirectory: ReturnType<typeof temporaryDirectory>;
let agent: ApiClient;
let agentId = "";
let installCommandId: CommandId;
const pageErrors: string[] = [];

// The whole workflow runs at a desktop size, and again (REDFLAG_UI_WIDTH=390, as .ci/run does) on a
// phone: the menu instead of the sidebar, every step the same (browser-page.ts).
const shoot = (name: string) => shootPage(page, name);
const openMenuIfFolded = () => openMenuInPage(page);
const navigate = (link: string, heading?: string) => navigateInPage(page, link, heading);
const signIn = (credentials: Credentials) => signInPage(page, credentials);

async function signOut() {
  await openMenuIfFolded();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
}

/** What the Add-agent page built (dist/agents/manifest.json), when the agents have been built. */
function builtAgents(): { files: { file: string; sha256: string }[] } | null {
  const path = resolve(import.meta.dir, "../../dist/agents/manifest.json");
  return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : null;
}

/**
 * The one-liners first, each only when this server serves its script; the manual steps behind a
 * disclosure (open by itself when there is no Linux one-liner), for the binary the admin picks.
 */
async function expectInstallCommands(token: string) {
  const serves = async (path: string) => (await fetch(`${server.url}${path}`)).ok;
  // The server's signing key, as the signed-in admin's API answers it, is in every command.
  const keys = await page.evaluate(async () => (await fetch("/api/trpc/signingKeys.current")).json());
  const expected: string = keys.result.data.json.activeFingerprint;
  expect(expected).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  expect(await page.getByTestId("server-fingerprint").textContent()).toBe(expected);
  const fingerprint = ` --fingerprint ${expected}`;
  const disclosure = page.locator("details", { hasText: "Install by hand" });
  if (await serves("/install.sh")) {
    const linux = page.getByTestId("linux-install");
    await linux.waitFor();
    expect(await linux.textContent()).toBe(
      `curl -fsSL ${server.url}/install.sh | sh -s -- --token ${token}${fingerprint}`,
    );
    expect(await disclosure.getAttribute("open")).toBeNull();
    await disclosure.getByText("Install by hand").click();
  } else {
    await page.locator("details[open]", { hasText: "Install by hand" }).waitFor();
    expect(await page.getByTestId("linux-install").count()).toBe(0);
  }
  if (await serves("/install.ps1")) {
    const windows = page.getByTestId("windows-install");
    await windows.waitFor();
    expect(await windows.textContent()).toBe(
      `& ([scriptblock]::Create((irm ${server.url}/install.ps1))) -Token ${token} -Fingerprint ${powerShellWord(expected)}`,
    );
    // Never wrapped inside a word: one line that scrolls inside its box.
    expect(await windows.evaluate((element) => getComputedStyle(element).whiteSpace)).toBe("pre");
  } else {
    expect(await page.getByTestId("windows-install").count()).toBe(0);
  }

  const steps = page.getByTestId("manual-install");
  const built = builtAgents();
  if (!built) {
    await disclosure.getByText("No agent binaries have been built").waitFor();
    return;
  }
  await disclosure.getByLabel("Binary").selectOption({ label: "Linux x64 (musl: Alpine)" });
  const musl = built.files.find((file) => file.file === "redflag-agent-linux-x64-musl");
  await disclosure.getByText(musl?.sha256 ?? "no musl build").waitFor();
  const manual = (await steps.textContent()) ?? "";
  expect(manual).toContain(`curl -fsSLO ${server.url}/downloads/redflag-agent-linux-x64-musl\n`);
  expect(manual).toContain("| sha256sum -c -");
  expect(manual).toContain(
    `sudo ./redflag-agent-linux-x64-musl --register --server ${server.url} --token ${token}${fingerprint}\n`,
  );
  expect(manual).toContain(`sudo ./redflag-agent-linux-x64-musl --install-service --server ${server.url}`);
  // The downloads table lists every binary built, with its checksum.
  for (const file of built.files) {
    await page.getByRole("row").filter({ hasText: file.file }).filter({ hasText: file.sha256 }).waitFor();
  }
}

const checkIn = () =>
  agent.agent.checkIn.mutate({
    agentVersion: "0.1.0",
    metrics: {
      cpuPercent: 12.5,
      memoryUsedBytes: 3_221_225_472,
      memoryTotalBytes: 8_589_934_592,
      diskUsedBytes: 21_474_836_480,
      diskTotalBytes: 64_424_509_440,
      uptimeSeconds: 86_400 * 3 + 3600,
      loadAverage: [0.42, 0.35, 0.3],
    },
    rebootRequired: true,
    rebootReasons: ["linux-image-6.1.0-28-amd64 (/run/reboot-required.pkgs)"],
  });

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  dataDirectory = temporaryDirectory("redflag-ui-");
  server = await startNextServer({ REDFLAG_DATA_DIR: dataDirectory.path });
  browser = await launchChromium();
  const context = await browser.newContext({ viewport, colorScheme: "light" });
  page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on("pageerror", (error) => pageErrors.push(error.message));
  // A page the Content-Security-Policy broke fails the whole workflow, like an uncaught error.
  await watchCspViolations(context, page, pageErrors);
}, stepTimeout);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  dataDirectory?.remove();
}, 30_000);

describe("the dashboard in Chromium", () => {
  test(
    "first-run setup creates the admin, who signs out and in again",
    async () => {
      await page.goto(`${server.url}/`);
      await page.getByRole("heading", { name: "Create the first admin" }).waitFor();
      await shoot("01-setup");
      await page.getByLabel("Username").fill(admin.username);
      await page.getByLabel(/^Password/).fill(admin.password);
      await page.getByLabel("Confirm password").fill(admin.password);
      await page.getByRole("button", { name: "Create admin and sign in" }).click();
      await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
      await page.getByText("No agents yet").waitFor();
      await shoot("02-overview-empty");
      await signOut();
      await shoot("03-login");
      await signIn(admin);
    },
    stepTimeout,
  );

  test(
    "a registration token gives ready-to-paste install commands, and an agent registers with it",
    async () => {
      await navigate("Add agent");
      await page.getByLabel("Label").fill("web servers");
      await page.getByLabel("Seats (machines)").fill("2");
      await page.getByRole("button", { name: "Create token" }).click();
      const token = (await page.getByTestId("registration-token").textContent()) ?? "";
      expect(token.length).toBeGreaterThan(10);
      await expectInstallCommands(token);
      await page.getByRole("cell", { name: "web servers" }).waitFor();
      await shoot("04-add-agent");

      const anonymous = apiClient(server.url);
      const registered = await anonymous.agent.register.mutate({
        registrationToken: token,
        host: hostFacts({ hostname: "web-01", osName: "Debian GNU/Linux", osVersion: "12 (bookworm)" }),
      });
      agentId = registered.agentId;
      agent = apiClient(server.url, { token: registered.accessToken });
      await checkIn();
      const security = "Debian-Security:12/bookworm-security";
      await agent.agent.reportScan.mutate({
        scanners: [
          {
            packageType: "apt",
            status: "ok",
            items: [
              aptItem("openssl", {
                currentVersion: "3.0.14-1~deb12u2",
                availableVersion: "3.0.15-1~deb12u1",
                severity: "critical",
                security: true,
                cves: ["CVE-2024-5535", "CVE-2024-9143"],
                source: security,
              }),
              aptItem("libssl3", {
                currentVersion: "3.0.14-1~deb12u2",
                availableVersion: "3.0.15-1~deb12u1",
                severity: "important",
                security: true,
                source: security,
              }),
              aptItem("curl", { currentVersion: "7.88.1-10+deb12u7", availableVersion: "7.88.1-10+deb12u8" }),
              aptItem("tzdata", { currentVersion: "2024a-0+deb12u1", availableVersion: "2024b-0+deb12u1" }),
            ],
          },
          {
            packageType: "docker",
            status: "ok",
            items: [
              aptItem("nginx", {
                target: "web-proxy",
                currentVersion: "sha256:3b25b682ea82",
                availableVersion: "sha256:9c1e4f0d2a77",
                source: "docker.io/library/nginx:1.27",
              }),
            ],
          },
        ],
        startedAt: new Date(),
        finishedAt: new Date(),
      });
      // A second machine on the same token, so lists hold more than one host.
      const second = await anonymous.agent.register.mutate({
        registrationToken: token,
        host: hostFacts({ hostname: "db-01", osName: "Rocky Linux", osVersion: "9.4" }),
      });
      const db = apiClient(server.url, { token: second.accessToken });
      await db.agent.checkIn.mutate({
        agentVersion: "0.1.0",
        metrics: { cpuPercent: 3 },
        rebootRequired: false,
      });
      await db.agent.reportScan.mutate({
        scanners: [
          {
            packageType: "dnf",
            status: "ok",
            items: [
              aptItem("kernel", {
                currentVersion: "5.14.0-427",
                availableVersion: "5.14.0-503",
                severity: "moderate",
              }),
              // More than a page of updates, to select every one matching a filter, not only the page.
              ...Array.from({ length: 55 }, (_, index) =>
                aptItem(`zz-lib-${String(index).padStart(2, "0")}`, { severity: "low" }),
              ),
            ],
          },
        ],
        startedAt: new Date(),
        finishedAt: new Date(),
      });
    },
    stepTimeout,
  );

  test(
    "the agents list and the agent's page show what it reported",
    async () => {
      await navigate("Agents");
      const row = page.getByRole("row").filter({ hasText: "web-01" });
      await row.getByText("Online").waitFor();
      // 5 waiting updates, 2 of them security fixes.
      await row.getByRole("link", { name: "5", exact: true }).waitFor();
      await row.getByRole("cell", { name: "2", exact: true }).waitFor();
      await page.getByRole("row").filter({ hasText: "db-01" }).waitFor();
      await shoot("05-agents");
      await row.getByRole("link", { name: "web-01" }).click();
      await page.getByRole("heading", { name: "Latest metrics" }).waitFor();
      await page.getByText("Reboot required").first().waitFor();
      await page.getByRole("button", { name: "Scan now" }).waitFor();
      // Why the reboot is required, as the agent said.
      await page.getByText("linux-image-6.1.0-28-amd64 (/run/reboot-required.pkgs)").waitFor();
      await shoot("06-agent-detail");

      // Rebooting asks first, naming the host, with an optional delay and message.
      await page.getByRole("button", { name: "Reboot…" }).click();
      const reboot = page.getByRole("dialog");
      await reboot.getByRole("heading", { name: "Reboot web-01?" }).waitFor();
      await reboot.getByLabel("Delay (minutes)").fill("5");
      await reboot.getByRole("button", { name: "Reboot in 5 min" }).waitFor();
      await shoot("06a-confirm-reboot");
      await reboot.getByRole("button", { name: "Cancel" }).click();
      await reboot.waitFor({ state: "detached" });

      // Removing a machine asks first, naming it and what goes.
      await page.getByRole("button", { name: "Remove…" }).click();
      const confirm = page.getByRole("dialog");
      await confirm.getByRole("heading", { name: "Remove web-01?" }).waitFor();
      await confirm.getByText("its updates and command history go too").waitFor();
      await shoot("06b-confirm-remove");
      await confirm.getByRole("button", { name: "Cancel" }).click();
      await confirm.waitFor({ state: "detached" });

      // Tags are edited here and filter the agents list.
      await page.getByLabel("Tags, separated by commas").fill("web, production");
      await page.getByRole("button", { name: "Save tags" }).click();
      await page.getByRole("definition").filter({ hasText: "production, web" }).waitFor();
      await navigate("Agents");
      await page.getByRole("searchbox", { name: "Tag" }).fill("production");
      await page.getByRole("row").filter({ hasText: "db-01" }).waitFor({ state: "detached" });
      await page.getByRole("row").filter({ hasText: "web-01" }).waitFor();
      await page.getByRole("searchbox", { name: "Tag" }).fill("not a tag!");
      await page.getByText("Tag may contain only letters, digits and . _ : -").waitFor();
    },
    stepTimeout,
  );

  test(
    "filter, bulk approve, then install after a dry-run preview",
    async () => {
      await navigate("Updates");
      await page.getByRole("row").filter({ hasText: "curl" }).waitFor();
      await page.getByRole("combobox", { name: /^Security/ }).selectOption("true");
      await page.getByRole("row").filter({ hasText: "curl" }).waitFor({ state: "detached" });
      await page.getByRole("row").filter({ hasText: "openssl" }).waitFor();
      await page.getByRole("row").filter({ hasText: "libssl3" }).waitFor();
      expect(await page.getByRole("row").count()).toBe(3);

      await page.getByLabel("Select every update on this page").check();
      const bulk = page.getByRole("region", { name: "Selected updates" });
      await bulk.getByText("2 selected").waitFor();
      await shoot("07-updates-selected");
      await bulk.getByRole("button", { name: "Approve" }).click();
      await page.getByText("Approved 2 updates.").waitFor();
      await page.getByRole("row").filter({ hasText: "openssl" }).getByText("Approved").waitFor();
      await page.getByRole("row").filter({ hasText: "libssl3" }).getByText("Approved").waitFor();

      await page.getByLabel("Select every update on this page").check();
      await bulk.getByRole("button", { name: "Install…" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByText("Waiting for web-01 to run the dry run…").waitFor();
      await shoot("08-install-waiting-for-preview");

      const { commands } = await checkIn();
      const dryRun = commands.find((command) => command.type === "dry_run");
      if (!dryRun) throw new Error(`no dry run leased: ${JSON.stringify(commands)}`);
      expect(dryRun.targets.map((target) => target.packageName).sort()).toEqual(["libssl3", "openssl"]);
      await agent.agent.reportResult.mutate({
        commandId: dryRun.id,
        status: "succeeded",
        exitCode: 0,
        output:
          "Inst openssl-provider-legacy (3.0.15-1~deb12u1 Debian-Security:12/bookworm-security [amd64])",
        startedAt: new Date(),
        finishedAt: new Date(),
        // What the agent's dry run reports (agent-bun/src/daemon/commands.ts): changes per package type.
        result: {
          plans: {
            apt: {
              changes: [
                {
                  action: "upgrade",
                  packageName: "openssl",
                  currentVersion: "3.0.14-1~deb12u2",
                  newVersion: "3.0.15-1~deb12u1",
                },
                {
                  action: "upgrade",
                  packageName: "libssl3",
                  currentVersion: "3.0.14-1~deb12u2",
                  newVersion: "3.0.15-1~deb12u1",
                },
                {
                  action: "install",
                  packageName: "openssl-provider-legacy",
                  currentVersion: null,
                  newVersion: "3.0.15-1~deb12u1",
                },
              ],
            },
          },
        },
      });
      await dialog.getByText("openssl-provider-legacy").waitFor();
      await shoot("09-install-preview");
      // Closing and reopening the dialog for the same updates keeps the preview: no second dry run.
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await dialog.waitFor({ state: "detached" });
      await bulk.getByRole("button", { name: "Install…" }).click();
      await dialog.getByText("openssl-provider-legacy").waitFor();
      expect(await dialog.getByText("Waiting for web-01 to run the dry run…").count()).toBe(0);
      await dialog.getByRole("button", { name: "Confirm install" }).click();
      await dialog.getByText("Install queued").waitFor();
      installCommandId = idSchema("command").parse(
        (await dialog.getByRole("link").first().textContent())?.trim(),
      );
      await dialog.getByRole("button", { name: "Close" }).click();
      await page.getByRole("row").filter({ hasText: "openssl" }).waitFor({ state: "detached" });

      // "Select all" can take every update the filter matches, not only the 50 on this page.
      await page.goto(`${server.url}/updates?packageType=dnf`);
      await page.getByRole("row").filter({ hasText: "zz-lib-00" }).waitFor();
      await page.getByLabel("Select every update on this page").check();
      await bulk.getByText("50 selected").waitFor();
      await bulk.getByRole("button", { name: "Select all 56 matching" }).click();
      await bulk.getByText("All 56 matching updates selected").waitFor();
      await shoot("09b-updates-all-matching");
      await bulk.getByRole("button", { name: "Approve" }).click();
      await page.getByText("Approved 56 updates.").waitFor();

      // A refused input is told in words, not in the validator's.
      await page.getByLabel("Search").fill("x".repeat(201));
      await page.getByText("Search is too long (at most 200 characters)").waitFor();
      await shoot("09c-updates-validation");
    },
    stepTimeout,
  );

  test(
    "the command history shows the install's progress, then its result and output",
    async () => {
      const { commands } = await checkIn();
      expect(commands.map((command) => command.id)).toEqual([installCommandId]);
      const updateIds = new Map(commands[0]?.targets.map((target) => [target.packageName, target.updateId]));
      const updateIdOf = (packageName: string) => {
        const id = updateIds.get(packageName);
        if (!id) throw new Error(`the install does not target ${packageName}`);
        return id;
      };
      await agent.agent.reportProgress.mutate({
        commandId: installCommandId,
        percent: 40,
        message: "Unpacking openssl (3.0.15-1~deb12u1)",
      });
      await navigate("Commands");
      const row = page.getByRole("row").filter({ hasText: installCommandId });
      await row.getByText("Running").waitFor();
      await row.getByRole("progressbar").waitFor();
      await row.getByText("Unpacking openssl").waitFor();
      await shoot("10-commands-running");

      await agent.agent.reportResult.mutate({
        commandId: installCommandId,
        status: "succeeded",
        exitCode: 0,
        // As dpkg writes it: its database counter redrawn with carriage returns, then the steps.
        output: [
          "(Reading database ... \r(Reading database ... 5%\r(Reading database ... 50%\r(Reading database ... 100%\r(Reading database ... 7421 files and directories currently installed.)",
          "Preparing to unpack .../openssl_3.0.15-1~deb12u1_amd64.deb ...",
          "Progress: [ 40%] [##########................]",
          "Setting up libssl3:amd64 (3.0.15-1~deb12u1) ...",
          "Setting up openssl (3.0.15-1~deb12u1) ...",
          "",
        ].join("\n"),
        startedAt: new Date(),
        finishedAt: new Date(),
        items: [
          // The installer says openssl's previous version can still be installed, libssl3's not.
          {
            updateId: updateIdOf("openssl"),
            status: "installed",
            installedVersion: "3.0.15-1~deb12u1",
            message: "",
            rollbackAvailable: true,
          },
          {
            updateId: updateIdOf("libssl3"),
            status: "installed",
            installedVersion: "3.0.15-1~deb12u1",
            message: "",
            rollbackAvailable: false,
          },
        ],
      });
      await row.getByText("Succeeded").waitFor();
      await row.getByRole("link", { name: "Install" }).click();
      await page.getByText("Setting up openssl (3.0.15-1~deb12u1)").waitFor();
      // The Output box leaves out dpkg's counters, and keeps its steps.
      await page.getByText("Preparing to unpack .../openssl_3.0.15-1~deb12u1_amd64.deb").waitFor();
      expect(await page.getByText("Reading database").count()).toBe(0);
      expect(await page.getByText("Progress: [").count()).toBe(0);
      await page.getByRole("heading", { name: "Attempt 1" }).waitFor();
      await page.getByRole("button", { name: "Roll back" }).click();
      const confirm = page.getByRole("dialog");
      // Only what can be put back is offered.
      await confirm.getByRole("heading", { name: "Roll back 1 update on web-01?" }).waitFor();
      await confirm.getByText("the others' previous versions can no longer be installed").waitFor();
      await confirm.getByRole("button", { name: "Cancel" }).click();
      await confirm.waitFor({ state: "detached" });
      await shoot("11-command-detail");

      await navigate("Updates");
      await page.getByRole("combobox", { name: /^Status/ }).selectOption("installed");
      await page.getByRole("row").filter({ hasText: "openssl" }).getByText("Installed").waitFor();
      await page.getByRole("row").filter({ hasText: "libssl3" }).getByText("Installed").waitFor();
    },
    stepTimeout,
  );

  test(
    "a settings toggle persists across a reload, and the admin adds a viewer",
    async () => {
      await navigate("Settings");
      const debug = page.getByRole("switch", { name: /^Debug mode/ });
      expect(await debug.isChecked()).toBe(false);
      await debug.click();
      await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
      await page.reload();
      await page.getByRole("heading", { level: 1, name: "Settings" }).waitFor();
      expect(await page.getByRole("switch", { name: /^Debug mode/ }).isChecked()).toBe(true);

      const form = page.getByRole("form", { name: "New user" });
      await form.getByLabel("Username").fill(viewer.username);
      await form.getByLabel("Password").fill(viewer.password);
      await form.getByRole("combobox", { name: /^Role/ }).selectOption("viewer");
      await form.getByRole("button", { name: "Add user" }).click();
      await page.getByText(`Added ${viewer.username}.`).waitFor();
      await page.getByRole("cell", { name: viewer.username, exact: true }).waitFor();
      await shoot("12-settings");

      // The same name again: the server's refusal shows. A next try the browser blocks (no password)
      // never reaches the server, and the old refusal must not stay as if it were about this one.
      await form.getByLabel("Username").fill(viewer.username);
      await form.getByLabel("Password").fill(viewer.password);
      await form.getByRole("button", { name: "Add user" }).click();
      const refusal = page.getByRole("alert").filter({ hasText: `The username ${viewer.username} is taken` });
      await refusal.waitFor();
      await form.getByLabel("Password").fill("");
      await form.getByRole("button", { name: "Add user" }).click();
      await refusal.waitFor({ state: "detached" });

      // A command that fails says why (its error, not its last progress line), and the health page is
      // not "healthy" while a command failed in the last hour.
      const queued = await page.evaluate(async (id) => {
        const response = await fetch("/api/trpc/agents.requestCommand", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ json: { agentId: id, type: "scan" } }),
        });
        return (await response.json()).result.data.json.id as string;
      }, agentId);
      const scan = idSchema("command").parse(queued);
      expect((await checkIn()).commands.map((command) => command.id)).toEqual([scan]);
      await agent.agent.reportProgress.mutate({
        commandId: scan,
        percent: 90,
        message: "Reading package lists",
      });
      await agent.agent.reportResult.mutate({
        commandId: scan,
        status: "failed",
        exitCode: 100,
        output: "Reading package lists...\nE: Could not get lock /var/lib/apt/lists/lock\n",
        startedAt: new Date(),
        finishedAt: new Date(),
      });
      const reason = "scan failed (exit code 100): E: Could not get lock /var/lib/apt/lists/lock";
      await navigate("Server health");
      await page.getByText("Check-ins per minute").waitFor();
      await page.getByText("PGlite").waitFor();
      await page
        .getByRole("list", { name: "Warnings" })
        .getByText("1 command failed in the last hour")
        .waitFor();
      await page.getByRole("cell", { name: reason }).waitFor();
      expect(await page.getByText("Everything looks healthy.").count()).toBe(0);
      await shoot("13-health");
      await navigate("Overview");
      await page.locator("figcaption").getByText("1 succeeded").waitFor();
      await page.getByText(reason).waitFor();
      await shoot("14-overview");

      // An unknown address or id: a real not-found page, inside the dashboard's frame.
      await page.goto(`${server.url}/no-such-page`);
      await page.getByRole("heading", { level: 1, name: "This page does not exist" }).waitFor();
      await page.getByRole("navigation", { name: "Main" }).waitFor();
      await page.goto(`${server.url}/agents/agt_00000000000000000000000000`);
      await page.getByRole("heading", { level: 1, name: "This agent does not exist" }).waitFor();
      await shoot("14b-not-found");
    },
    stepTimeout,
  );

  test(
    "every page works 390 px wide: a menu instead of the sidebar, stacked cards, no sideways scrolling",
    async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${server.url}/`);
      await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
      await shoot("m01-overview");
      await openMenuIfFolded();
      await shoot("m02-menu");
      const pages: [string, string, string][] = [
        ["Agents", "Agents", "m03-agents"],
        ["Updates", "Updates", "m05-updates"],
        ["Commands", "Commands", "m06-commands"],
        ["Add agent", "Add agent", "m08-add-agent"],
        ["Settings", "Settings", "m09-settings"],
        ["Server health", "Server health", "m10-health"],
      ];
      for (const [link, heading, name] of pages) {
        await navigate(link, heading);
        await page.waitForFunction(() => !document.body.innerText.includes("Loading"));
        await shoot(name);
      }
      // The install commands and the manual steps fit too: long commands scroll inside their box.
      await navigate("Add agent");
      await page.getByLabel("Label").fill("narrow screen");
      await page.getByRole("button", { name: "Create token" }).click();
      const narrowToken = (await page.getByTestId("registration-token").textContent()) ?? "";
      await expectInstallCommands(narrowToken);
      await shoot("m08b-add-agent-commands");
      await page.goto(`${server.url}/agents/${agentId}`);
      await page.getByRole("heading", { name: "Latest metrics" }).waitFor();
      await page.waitForFunction(() => !document.body.innerText.includes("Loading"));
      await shoot("m04-agent-detail");
      await page.goto(`${server.url}/commands/${installCommandId}`);
      await page.getByRole("heading", { name: "Attempt 1" }).waitFor();
      await shoot("m07-command-detail");
      await page.goto(`${server.url}/updates?status=all`);
      await page.getByLabel("Select every update on this page").check();
      await page.getByRole("region", { name: "Selected updates" }).waitFor();
      await shoot("m05b-updates-selected");
      await page.setViewportSize(viewport);
    },
    stepTimeout,
  );

  test(
    "a viewer sees everything, has no buttons to change anything, and the server refuses",
    async () => {
      await signOut();
      await signIn(viewer);
      await navigate("Updates");
      await page.getByRole("row").filter({ hasText: "curl" }).waitFor();
      expect(await page.getByLabel("Select every update on this page").count()).toBe(0);
      expect(await page.getByRole("button", { name: "Approve" }).count()).toBe(0);
      await shoot("15-viewer-updates");

      const refused = await page.evaluate(async () => {
        const input = encodeURIComponent(JSON.stringify({ json: { statuses: ["available"] } }));
        const listed = await fetch(`/api/trpc/updates.list?input=${input}`).then((response) =>
          response.json(),
        );
        const updateId = listed.result.data.json.items[0].id as string;
        const response = await fetch("/api/trpc/updates.approve", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ json: { updateIds: [updateId] } }),
        });
        return { status: response.status, body: await response.text() };
      });
      expect(refused.status).toBe(403);
      expect(refused.body).toContain("This needs the operator role; you are viewer");

      // A scanner that failed for a passing reason is shown in words, with the agent's own message.
      await agent.agent.reportScan.mutate({
        scanners: [
          {
            packageType: "docker",
            status: "error",
            error: "GET /_ping: the Docker engine did not answer",
            kind: "unavailable",
            retryable: true,
          },
        ],
        startedAt: new Date(),
        finishedAt: new Date(),
      });
      await page.goto(`${server.url}/agents/${agentId}`);
      await page.getByRole("heading", { name: "Latest metrics" }).waitFor();
      await page
        .getByText("a service did not answer, will retry: GET /_ping: the Docker engine did not answer")
        .waitFor();
      expect(await page.getByRole("button", { name: "Scan now" }).count()).toBe(0);
      await navigate("Settings");
      expect(await page.getByRole("switch", { name: /^Debug mode/ }).isDisabled()).toBe(true);
      expect(await page.getByRole("form", { name: "New user" }).count()).toBe(0);
      await shoot("16-viewer-settings");
      await signOut();
      expect(new URL(page.url()).pathname).toBe("/login");
      expect(pageErrors).toEqual([]);
    },
    stepTimeout,
  );
});
