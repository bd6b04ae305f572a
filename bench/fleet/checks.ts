import type { FleetAdmin } from "./admin.ts";
import type { FleetContext, SimulatedAgent } from "./agent.ts";
import type { InjectedFault } from "./faults.ts";
import type { Observer } from "./postgres.ts";
import type { Recorder } from "./recorder.ts";
import type { FleetSettings } from "./settings.ts";

function sample<T>(items: T[], count = 5): string {
  const shown = items.slice(0, count).map((item) => (typeof item === "string" ? item : JSON.stringify(item)));
  return `${shown.join(", ")}${items.length > count ? `, … (${items.length} in all)` : ""}`;
}

/**
 * The run's verdict, from the database and the execution ledger: each string is one violation.
 * `stuck` holds the commands the sampler saw `sent`, unheld, past the acknowledgement window.
 */
export async function checkRun(options: {
  settings: FleetSettings;
  context: FleetContext;
  agents: SimulatedAgent[];
  admin: FleetAdmin;
  observer: Observer;
  recorder: Recorder;
  faults: InjectedFault[];
  stuck: Map<string, string>;
  runStart: number;
  problems: string[];
}): Promise<string[]> {
  const { settings, context, observer, recorder } = options;
  const violations = [...options.problems];

  const unfinished = await observer.unfinishedCommands();
  if (unfinished.length > 0) {
    const byStatus = new Map<string, number>();
    for (const row of unfinished) byStatus.set(row.status, (byStatus.get(row.status) ?? 0) + 1);
    violations.push(
      `${unfinished.length} commands did not end in a terminal state (${[...byStatus].map(([status, count]) => `${count} ${status}`).join(", ")}): ${sample(unfinished.map((row) => `${row.id} ${row.type} ${row.status} attempt ${row.attempt}`))}`,
    );
  }

  const doubles = context.ledger.doubles();
  if (doubles.commands.length > 0) {
    violations.push(
      `${doubles.commands.length} commands executed more than once: ${sample(doubles.commands.map(([id, runs]) => `${id} ×${runs.length} (attempts ${runs.map((run) => run.attempt).join("/")})`))}`,
    );
  }
  if (doubles.updates.length > 0) {
    violations.push(
      `${doubles.updates.length} updates installed by more than one execution: ${sample(doubles.updates.map(([id, runs]) => `${id} by ${runs.map((run) => run.commandId).join(" and ")}`))}`,
    );
  }

  // An update the admin approved must end installed; one still `available` never had its approval committed.
  const updates = await observer.updateStatuses([...options.admin.approved]);
  const notInstalled = updates.filter((row) => row.status !== "installed" && row.status !== "available");
  if (notInstalled.length > 0) {
    violations.push(
      `${notInstalled.length} of ${updates.length} approved updates are not installed: ${sample(notInstalled.map((row) => `${row.id} ${row.status} (command ${row.last_command_id})`))}`,
    );
  }

  const commands = await observer.commandStatuses();
  const statusById = new Map(commands.map((row) => [row.id, row]));
  const executedNotSucceeded = [...context.ledger.byCommand.keys()].filter(
    (id) => statusById.get(id)?.status !== "succeeded",
  );
  if (executedNotSucceeded.length > 0) {
    violations.push(
      `${executedNotSucceeded.length} commands ran to success on their agent but the server records otherwise: ${sample(executedNotSucceeded.map((id) => `${id} ${statusById.get(id)?.status ?? "missing"}`))}`,
    );
  }
  const succeededNotRun = commands.filter(
    (row) => row.status === "succeeded" && !context.ledger.byCommand.has(row.id),
  );
  if (succeededNotRun.length > 0) {
    violations.push(
      `${succeededNotRun.length} commands are recorded succeeded though no agent ran them: ${sample(succeededNotRun.map((row) => row.id))}`,
    );
  }

  const stuckAtEnd = await observer.sentLongerThan(settings.stuckAfterSeconds);
  for (const row of stuckAtEnd)
    options.stuck.set(row.id, `${row.id} (agent ${row.agent_id}, attempt ${row.attempt})`);
  if (options.stuck.size > 0) {
    violations.push(
      `${options.stuck.size} commands stayed \`sent\` longer than ${settings.stuckAfterSeconds} s (the ${settings.acknowledgementSeconds} s acknowledgement window, a check-in's wait and 10 s) without their agent holding them: ${sample([...options.stuck.values()])}`,
    );
  }

  const graceMs = settings.graceSeconds * 1000;
  const serverErrors = recorder.requests.filter(
    (request) =>
      request.startedAt >= options.runStart &&
      typeof request.outcome === "number" &&
      request.outcome >= 500 &&
      !recorder.answeredWhileDown(request, graceMs),
  );
  if (serverErrors.length > 0) {
    violations.push(
      `${serverErrors.length} 5xx answers later than ${settings.graceSeconds} s after the server or database was back: ${sample(serverErrors.map((request) => `${request.procedure}${request.waitSeconds > 0 ? ` (long poll, ${request.waitSeconds} s)` : ""} ${request.outcome} asked at ${((request.startedAt - options.runStart) / 1000).toFixed(1)} s, answered at ${((request.endedAt - options.runStart) / 1000).toFixed(1)} s into the run`))}`,
    );
  }

  for (const fault of options.faults) {
    const { window } = fault;
    if (window.roundAt === null || window.roundAt - window.startedAt > settings.recoverySeconds * 1000) {
      violations.push(
        `${window.name}: the agents that met the fault did not all check in again within ${settings.recoverySeconds} s (${window.roundAt === null ? "never" : `${((window.roundAt - window.startedAt) / 1000).toFixed(1)} s`})`,
      );
    }
  }

  if (context.rejections.length > 0) {
    violations.push(
      `${context.rejections.length} reports refused by the server: ${sample(context.rejections)}`,
    );
  }
  if (context.lostCredentials.length > 0) {
    violations.push(
      `${context.lostCredentials.length} agents lost their registration: ${sample(context.lostCredentials)}`,
    );
  }
  const waiting = options.agents.filter((agent) => agent.outbox.length > 0);
  if (waiting.length > 0) {
    violations.push(
      `${waiting.length} agents still hold undelivered reports at the end: ${sample(waiting.map((agent) => `agent ${agent.index}: ${agent.outbox.length}`))}`,
    );
  }
  return violations;
}
