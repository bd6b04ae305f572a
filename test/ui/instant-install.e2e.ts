/**
 * An install starts within seconds of the click, with the default 5-minute poll interval: the
 * compiled agent's daemon waits in a long-poll check-in and the server answers it as soon as a
 * command is queued. No mocks: the production server (embedded PGlite), the compiled linux-x64 agent
 * on real apt and dpkg in an isolated root with a repository built here, and Debian's Chromium, in
 * which an operator approves the update, confirms the install after its dry-run preview, and sees it
 * succeed. Needs `bun run build`, `bun run build:agents`, Debian's chromium, dpkg-dev and apt-utils.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type CommandId, idSchema } from "@redflag/contracts";
import { AptSandbox } from "../../agent-bun/test/package-managers/apt/apt-sandbox.ts";
import { type Locator, launchChromium, watchCspViolations } from "../../apps/web/src/testing/chromium.ts";
import { requireAgentBinary, runAgent, startDaemon, startServerForAgent } from "../agent/agent-process.ts";
import { waitFor } from "../harness/wait-for.ts";
import { navigate, screenshotsDirectory, shoot, signIn, viewport } from "./browser-page.ts";

/** The agent's own default, left as it is: a command that waited for the next check-in would wait this long. */
const defaultPollIntervalSeconds = 300;
/** How long the page may take to show the result: far below a poll interval, generous for a slow machine. */
const resultBoundMs = 60_000;
/** A command handed out later than this after it was queued came with a later check-in, not a waiting one. */
const longPollDeliveryBoundMs = 30_000;

const operator = { username: "operator1", password: "operator password for the instant install" };

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 60_000);

type Timings = { createdAt: Date; sentAt: Date | null; startedAt: Date | null; finishedAt: Date | null };

/** Queued → sent → started → finished, in ms from the moment it was queued. */
function describeTimings(name: string, command: Timings): string {
  const since = (at: Date | null) => (at ? `${at.getTime() - command.createdAt.getTime()} ms` : "never");
  return `${name}: queued → sent ${since(command.sentAt)}, → started ${since(command.startedAt)}, → finished ${since(command.finishedAt)}`;
}

function sentWithin(command: Timings): number {
  if (!command.sentAt) throw new Error("the command was never handed out");
  return command.sentAt.getTime() - command.createdAt.getTime();
}

/** When the daemon's log says it started a command (its lines begin with a local timestamp and offset). */
function startLoggedAt(output: string, commandId: CommandId): Date {
  const line = output.split("\n").find((entry) => entry.includes(`command ${commandId} (`));
  const stamp = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3}) ([+-]\d\d:\d\d)/.exec(line ?? "");
  if (!stamp) throw new Error(`the daemon's log does not say it started ${commandId}:\n${output}`);
  return new Date(`${stamp[1]}T${stamp[2]}${stamp[3]}`);
}

/** Waits for what the agent's answer shows; if it does not come, says why it matters and how the daemon checked in. */
async function withinResultBound(what: string, locator: Locator, daemonOutput: () => string) {
  try {
    await locator.waitFor({ timeout: resultBoundMs });
  } catch (error) {
    const modes = daemonOutput()
      .split("\n")
      .filter((line) => line.includes("Check-ins: ") || line.includes("long poll"));
    throw new Error(
      `${what} did not show within ${resultBoundMs / 1000} s: the command did not reach the agent while its check-in waited (a plain check-in comes every ${defaultPollIntervalSeconds} s). The daemon's check-ins:\n${modes.join("\n")}`,
      { cause: error },
    );
  }
}

describe("an install from the dashboard reaches a long-polling agent at once", () => {
  test("approve → install in Chromium: the agent with a 5-minute poll interval installs within seconds", async () => {
    requireAgentBinary();
    mkdirSync(screenshotsDirectory, { recursive: true });
    const sandbox = new AptSandbox([
      { name: "main", suite: "bookworm", label: "RedFlag Test", origin: "RedFlag" },
    ]);
    cleanups.push(() => sandbox.remove());
    const installed = sandbox.addPackage("main", { name: "rf-instant", version: "1.0-1" });
    sandbox.addPackage("main", { name: "rf-instant", version: "1.1-1" });
    sandbox.publish("main");
    sandbox.seed(installed);

    const { server, admin, configPath, env } = await startServerForAgent("instant-install", cleanups);
    await admin.users.create.mutate({ ...operator, role: "operator" });
    // Only where apt looks: the poll interval, its jitter and the long-poll settings are the defaults.
    await Bun.write(
      configPath,
      JSON.stringify({
        apt: {
          configFile: sandbox.configFile,
          rebootRequiredFile: join(sandbox.fakeRoot, "run/reboot-required"),
        },
      }),
    );
    const registration = await admin.registrationTokens.create.mutate({ label: "instant install", seats: 1 });
    const { activeFingerprint } = await admin.signingKeys.current.query();
    const registered = await runAgent(
      [
        "--register",
        "--server",
        server.url,
        "--token",
        registration.token,
        "--fingerprint",
        activeFingerprint,
      ],
      env,
    );
    expect(registered.stderr).toBe("");
    expect(registered.exitCode).toBe(0);
    const agentId = idSchema("agent").parse(/Registered as (agt_\w+)/.exec(registered.stdout)?.[1]);
    const agentRecord = await admin.agents.get.query({ agentId });
    expect(agentRecord.effectivePollIntervalSeconds).toBe(defaultPollIntervalSeconds);
    expect(agentRecord.rapidModeUntil).toBeNull();

    const daemon = startDaemon(env);
    cleanups.push(() => daemon.stop());
    // The first check-in learns that the server holds long polls; every one after it waits in one.
    await daemon.waitForOutput(/Check-ins: long polls: each check-in waits up to \d+ s for a command/);
    const update = await waitFor("the upgradable test package on the server", async () => {
      const list = await admin.updates.list.query({ agentId });
      return list.items.find((item) => item.packageName === "rf-instant");
    });
    expect(update).toMatchObject({ currentVersion: "1.0-1", availableVersion: "1.1-1", status: "available" });

    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const context = await browser.newContext({ viewport, colorScheme: "light" });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await watchCspViolations(context, page, pageErrors);

    await page.goto(`${server.url}/`);
    await signIn(page, operator);
    await navigate(page, "Updates");
    const row = page.getByRole("row").filter({ hasText: "rf-instant" });
    await row.getByRole("cell", { name: "1.0-1 → 1.1-1" }).waitFor();
    await row.getByRole("checkbox").check();
    const bulk = page.getByRole("region", { name: "Selected updates" });
    await bulk.getByText("1 selected").waitFor();
    await bulk.getByRole("button", { name: "Approve" }).click();
    await page.getByText("Approved 1 update.").waitFor();
    await row.getByText("Approved").waitFor();

    // Install asks first, with what the agent's dry run says the install would change — the dry run
    // is itself a command the waiting agent takes at once.
    await row.getByRole("checkbox").check();
    await bulk.getByRole("button", { name: "Install…" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("heading", { name: /^Install 1 update on / }).waitFor();
    await withinResultBound(
      "the dry run's preview",
      dialog.getByRole("listitem").filter({ hasText: "rf-instant" }).getByText("1.0-1 → 1.1-1"),
      daemon.output,
    );
    await shoot(page, "instant-install-preview");
    const clickedAt = new Date();
    await dialog.getByRole("button", { name: "Confirm install" }).click();
    await dialog.getByText("Install queued").waitFor();
    const installId = idSchema("command").parse(
      (await dialog.getByRole("link").first().textContent())?.trim(),
    );
    await dialog.getByRole("link", { name: installId }).click();

    // The command's page shows the result as the agent reports it, long before a poll interval.
    await page.getByRole("heading", { level: 1, name: /^Install/ }).waitFor();
    await withinResultBound(
      "the install's result",
      page.getByRole("heading", { level: 1 }).getByText("Succeeded"),
      daemon.output,
    );
    const shownAt = new Date();
    await page
      .getByRole("row")
      .filter({ hasText: "rf-instant" })
      .getByRole("cell", { name: "Installed 1.1-1" })
      .waitFor();
    await shoot(page, "instant-install-succeeded");

    const install = await admin.commands.get.query({ commandId: installId });
    expect(install.status).toBe("succeeded");
    expect(install.exitCode).toBe(0);
    expect(install.itemOutcomes?.map((outcome) => [outcome.status, outcome.installedVersion])).toEqual([
      ["installed", "1.1-1"],
    ]);
    expect(sandbox.installedVersion("rf-instant")).toBe("1.1-1");
    const dryRuns = await admin.commands.list.query({ agentId, types: ["dry_run"] });
    expect(dryRuns.items.map((command) => command.status)).toEqual(["succeeded"]);
    const [dryRun] = dryRuns.items;
    if (!dryRun) throw new Error("no dry run");

    // Each command was handed out within seconds of being queued: to a check-in that was waiting for
    // it, not to the next one a poll interval later. The daemon never left long polls to get it.
    const output = daemon.output();
    const receivedAt = startLoggedAt(output, installId);
    console.log(describeTimings("dry run", dryRun));
    console.log(describeTimings("install", install));
    console.log(
      `install: click → queued ${install.createdAt.getTime() - clickedAt.getTime()} ms, queued → the agent's log says it started ${receivedAt.getTime() - install.createdAt.getTime()} ms, click → the page shows Succeeded ${shownAt.getTime() - clickedAt.getTime()} ms`,
    );
    expect(sentWithin(dryRun)).toBeLessThan(longPollDeliveryBoundMs);
    expect(sentWithin(install)).toBeLessThan(longPollDeliveryBoundMs);
    expect(receivedAt.getTime() - install.createdAt.getTime()).toBeLessThan(longPollDeliveryBoundMs);
    const modes = output.split("\n").filter((line) => line.includes("Check-ins: "));
    expect(modes.at(-1)).toContain("Check-ins: long polls:");
    expect(output).not.toContain("A long poll was cut");
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
