import type { FleetAdmin } from "./admin.ts";
import type { ExecutionLedger } from "./ledger.ts";
import { type Observer, restartPostgresImmediately } from "./postgres.ts";
import type { FaultWindow, Recorder } from "./recorder.ts";
import type { FleetServer } from "./server.ts";
import type { FleetSettings, PlannedFault } from "./settings.ts";

export type FaultTools = {
  settings: FleetSettings;
  server: FleetServer;
  admin: FleetAdmin;
  observer: Observer;
  recorder: Recorder;
  ledger: ExecutionLedger;
  /** Problems with the fault itself (a kill that could not be timed): violations too. */
  problems: string[];
};

export type InjectedFault = {
  window: FaultWindow;
  /** Commands leased in the database when the server died, whose answer no agent received. */
  lostAnswers?: string[];
};

/** Injects one fault and brings the failed part back; the window stays open until the agents recover. */
export async function injectFault(fault: PlannedFault, tools: FaultTools): Promise<InjectedFault> {
  switch (fault.kind) {
    case "server-kill-during-handout":
      return killDuringHandout(tools);
    case "server-kill": {
      const window = tools.recorder.openWindow("server kill -9");
      await tools.server.kill();
      await tools.server.start();
      window.backAt = tools.recorder.now();
      return { window };
    }
    case "postgres-restart": {
      const window = tools.recorder.openWindow("Postgres immediate restart");
      await restartPostgresImmediately({
        data: tools.settings.postgresData,
        bin: tools.settings.postgresBin,
      });
      window.backAt = tools.recorder.now();
      return { window };
    }
  }
}

/**
 * Queues a batch of installs (the updates that piled up while the driver held back), waits until a
 * fifth of them are leased in the database, and kills the server then, in the middle of the hand-out:
 * check-ins in flight at that moment may have committed their lease and never carried the answer back.
 */
async function killDuringHandout(tools: FaultTools): Promise<InjectedFault> {
  const { recorder, observer, server } = tools;
  // Read back from the database: an install whose answer timed out under load still queued its commands.
  const [clock] = await observer.sql<{ now: Date }[]>`select now() as now`;
  await tools.admin.approveAndInstall(1000);
  const batch = (
    await observer.sql<{ id: string }[]>`
      select id from commands where type = 'install' and created_at >= ${clock?.now ?? new Date()}`
  ).map((row) => row.id);
  const deadline = performance.now() + 30_000;
  let leased = 0;
  const enough = Math.max(1, Math.floor(batch.length / 5));
  while (batch.length > 0 && performance.now() < deadline) {
    leased = await observer.leasedCount(batch).catch(() => 0);
    if (leased >= enough) break;
    await Bun.sleep(5);
  }
  const window = recorder.openWindow("server kill -9 while handing out commands");
  await server.kill();
  window.batchSize = batch.length;
  if (batch.length === 0 || leased === 0) {
    tools.problems.push(
      `The kill during hand-out was not timed: ${batch.length} install commands queued, ${leased} leased before the kill`,
    );
  }
  // Read with the server down: what the database holds as handed out, against what agents received.
  const leasedIds = await observer.sql<{ id: string }[]>`
    select id from commands where id in ${observer.sql(batch.length > 0 ? batch : [""])} and status <> 'pending'`;
  window.leasedAtKill = leasedIds.length;
  await server.start();
  window.backAt = recorder.now();
  // Answers already on their way when the server died have arrived by now (the restart takes seconds).
  const lostAnswers = leasedIds.map((row) => row.id).filter((id) => !tools.ledger.received.has(id));
  return { window, lostAnswers };
}
