import { maintenanceWindowsJobName } from "@redflag/api/services/maintenance-windows/jobs.ts";
import type { AgentId, CommandId, LeasedCommand, WindowDraft } from "@redflag/contracts";
import { agents, auditEvents, commands, maintenanceWindows, schedulerJobs, windowRuns } from "@redflag/db";
import { and, asc, eq, inArray } from "drizzle-orm";
import { aptItem, registerAgent, scanReport, type signIn } from "./fixtures.ts";
import type { TestServer } from "./server.ts";

type Admin = Awaited<ReturnType<typeof signIn>>;
export type TestAgent = Awaited<ReturnType<typeof registerAgent>>;

/** A clock tests move by hand; the server's scheduler reads it. */
export function testClock(start: string) {
  let current = new Date(start);
  return {
    now: () => current,
    set(at: string | Date) {
      current = new Date(at);
    },
  };
}

/** Moves the clock and runs the window job once at that time; fails if the job recorded an error. */
export async function windowTickAt(
  server: TestServer,
  clock: ReturnType<typeof testClock>,
  at: string | Date,
) {
  clock.set(at);
  await server.api.scheduler.requestRun(maintenanceWindowsJobName);
  const ran = await server.api.scheduler.tick();
  if (!ran.includes(maintenanceWindowsJobName))
    throw new Error(`the window job did not run: ${ran.join(", ")}`);
  const [job] = await server.api.db
    .select({ lastError: schedulerJobs.lastError })
    .from(schedulerJobs)
    .where(eq(schedulerJobs.name, maintenanceWindowsJobName));
  if (job?.lastError) throw new Error(`the window job failed: ${job.lastError}`);
}

/** Sets when the agent last checked in, as its heartbeat at the test clock's time would. */
export async function lastSeenAt(server: TestServer, agentId: AgentId, at: Date | null) {
  await server.api.db.update(agents).set({ lastCheckInAt: at }).where(eq(agents.id, agentId));
}

export const windowDefaults: WindowDraft = {
  name: "nightly",
  enabled: true,
  schedule: "0 3 * * *",
  timeZone: "UTC",
  durationMinutes: 60,
  tags: [],
  agentIds: [],
  installApproved: true,
  scan: false,
  reboot: "never",
  maxConcurrentReboots: 1,
  catchUpGraceMinutes: 0,
  preDownloadMinutes: 0,
};

export const checkIn = { agentVersion: "0.1.0", metrics: {}, rebootRequired: false };

/** An agent that checked in, with `packages` pending and approved by an admin. */
export async function agentWithApprovedUpdates(server: TestServer, admin: Admin, packages: string[]) {
  const agent = await registerAgent(server, admin);
  await agent.client.agent.checkIn.mutate(checkIn);
  await agent.client.agent.reportScan.mutate(scanReport(packages.map((name) => aptItem(name))));
  const { items } = await admin.client.updates.list.query({ agentId: agent.agentId });
  await admin.client.updates.approve.mutate({ updateIds: items.map((item) => item.id) });
  return agent;
}

/** The agent's check-in: what it is handed. */
export async function takeCommands(agent: TestAgent, options: { rebootRequired?: boolean } = {}) {
  const answer = await agent.client.agent.checkIn.mutate({ ...checkIn, ...options });
  return answer.commands;
}

/** The agent reports a command done: an install installs every target. */
export async function finishCommand(
  agent: TestAgent,
  command: Pick<LeasedCommand, "id" | "type" | "targets">,
  status: "succeeded" | "failed" = "succeeded",
) {
  await agent.client.agent.reportResult.mutate({
    commandId: command.id,
    status,
    exitCode: status === "succeeded" ? 0 : 1,
    output: "",
    startedAt: new Date(),
    finishedAt: new Date(),
    items:
      command.type === "install"
        ? command.targets.map((target) => ({
            updateId: target.updateId,
            status: status === "succeeded" ? ("installed" as const) : ("failed" as const),
            installedVersion: status === "succeeded" ? target.availableVersion : null,
            message: "",
          }))
        : [],
  });
}

/** Every command of these agents, oldest first. */
export async function commandsOf(server: TestServer, agentIds: AgentId[]) {
  return server.api.db
    .select()
    .from(commands)
    .where(inArray(commands.agentId, agentIds))
    .orderBy(asc(commands.createdAt), asc(commands.id));
}

export async function runsOf(server: TestServer, agentId: AgentId) {
  return server.api.db
    .select()
    .from(windowRuns)
    .where(eq(windowRuns.agentId, agentId))
    .orderBy(asc(windowRuns.opensAt));
}

/** Who created a command, as its audit event records. */
export async function creatorOf(server: TestServer, commandId: CommandId) {
  const [event] = await server.api.db
    .select({ actorType: auditEvents.actorType, actorId: auditEvents.actorId })
    .from(auditEvents)
    .where(and(eq(auditEvents.entityId, commandId), eq(auditEvents.action, "command.create")));
  return event;
}

/** Windows of one test do not act in the next. */
export async function deleteAllWindows(server: TestServer) {
  await server.api.db.delete(maintenanceWindows);
}
