import {
  type LeasedCommand,
  type ProxmoxGuestType,
  snapshotNamePrefix,
  snapshotParametersSchema,
  snapshotRollbackParametersSchema,
  toPrintableText,
} from "@redflag/contracts";
import { AgentError } from "../errors.ts";
import { runProgram } from "../host/run.ts";

/** How the node's Proxmox tools are run: their environment (PATH finds pct and qm) and time limit. */
export type SnapshotTools = {
  env: Record<string, string | undefined>;
  timeoutMs: number;
};

/** What a snapshot or rollback command reports: its status, exit code, output and result. */
export type SnapshotOutcome = {
  status: "succeeded" | "failed";
  exitCode: number | null;
  output: string;
  result: Record<string, unknown>;
};

/** One snapshot of `pct listsnapshot` / `qm listsnapshot`, in the order the tree lists it. */
export type ListedSnapshot = { name: string; time: string | null; description: string };

const toolOf = (guestType: ProxmoxGuestType) => (guestType === "lxc" ? "pct" : "qm");

/**
 * Reads the tree `pct listsnapshot` and `qm listsnapshot` print (pve-guest-common's
 * print_snapshot_tree: "`-> name   YYYY-MM-DD HH:MM:SS   description", one leading space more per
 * level, a last "current" entry that is not a snapshot). Tolerant: lines without the `->` marker or a
 * valid name are skipped, a missing time is null, a description may be anything.
 */
export function parseSnapshotList(text: string): ListedSnapshot[] {
  const snapshots: ListedSnapshot[] = [];
  for (const line of text.split("\n")) {
    const match =
      /^[\s|`]*->\s+([A-Za-z][A-Za-z0-9_-]*)(?:\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d))?(?:\s+(.*))?$/.exec(
        line.replace(/\r$/, ""),
      );
    const name = match?.[1];
    if (!match || name === undefined || name === "current") continue;
    snapshots.push({ name, time: match[2] ?? null, description: (match[3] ?? "").trim() });
  }
  return snapshots;
}

/**
 * RedFlag's own snapshots beyond the newest `keep`, to delete: only names with the `redflag-` prefix,
 * ranked by time, ties (and missing times) by the order the tree lists them; oldest first.
 */
export function snapshotsToPrune(snapshots: ListedSnapshot[], keep: number): string[] {
  const ours = snapshots
    .map((snapshot, order) => ({ ...snapshot, order }))
    .filter((snapshot) => snapshot.name.startsWith(snapshotNamePrefix));
  ours.sort((a, b) => (b.time ?? "").localeCompare(a.time ?? "") || b.order - a.order);
  // Oldest first: a prune cut short leaves the newest of the extra ones.
  return ours
    .slice(keep)
    .reverse()
    .map((snapshot) => snapshot.name);
}

async function runTool(argv: string[], tools: SnapshotTools) {
  const result = await runProgram(argv, {
    source: "process",
    env: tools.env,
    timeoutMs: tools.timeoutMs,
    maxOutputBytes: 1024 * 1024,
  });
  if (result.timedOut || result.exitCode !== 0) {
    throw new AgentError(
      result.timedOut
        ? "did not finish in time and was stopped"
        : `exited with ${result.exitCode}: ${toPrintableText(result.stderr, 1000).trim()}`,
      {
        source: "process",
        kind: result.timedOut ? "timed_out" : "failed",
        operation: argv.slice(0, 3).join(" "),
      },
    );
  }
  return result;
}

/**
 * A `snapshot` command on a Proxmox node: snapshots the guest (`pct snapshot` / `qm snapshot`), then
 * deletes RedFlag's snapshots of it beyond the newest `keep`. A failed prune leaves the command
 * succeeded (the snapshot exists) with the failure in its output.
 */
export async function takeSnapshot(command: LeasedCommand, tools: SnapshotTools): Promise<SnapshotOutcome> {
  const parameters = snapshotParametersSchema.parse(command.parameters);
  const tool = toolOf(parameters.guestType);
  const vmid = String(parameters.vmid);
  const description = `RedFlag: before install ${parameters.snapshotName.slice(snapshotNamePrefix.length)}`;
  await runTool([tool, "snapshot", vmid, parameters.snapshotName, "--description", description], tools);
  const output = [`${tool} snapshot ${vmid} ${parameters.snapshotName}: done`];
  const pruned: string[] = [];
  try {
    const listed = parseSnapshotList((await runTool([tool, "listsnapshot", vmid], tools)).stdout);
    if (!listed.some((snapshot) => snapshot.name === parameters.snapshotName)) {
      output.push(`${tool} listsnapshot ${vmid} does not list ${parameters.snapshotName}: nothing pruned`);
    } else {
      for (const name of snapshotsToPrune(listed, parameters.keep)) {
        await runTool([tool, "delsnapshot", vmid, name], tools);
        pruned.push(name);
      }
      output.push(`kept the newest ${parameters.keep} RedFlag snapshots; deleted ${pruned.length}`);
    }
  } catch (error) {
    output.push(`pruning old snapshots failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    status: "succeeded",
    exitCode: 0,
    output: output.join("\n"),
    result: {
      vmid: parameters.vmid,
      guestType: parameters.guestType,
      snapshotName: parameters.snapshotName,
      pruned,
    },
  };
}

/** A `snapshot_rollback` command: `pct rollback` / `qm rollback` to one of RedFlag's snapshots. */
export async function rollbackSnapshot(
  command: LeasedCommand,
  tools: SnapshotTools,
): Promise<SnapshotOutcome> {
  const parameters = snapshotRollbackParametersSchema.parse(command.parameters);
  const tool = toolOf(parameters.guestType);
  const vmid = String(parameters.vmid);
  await runTool([tool, "rollback", vmid, parameters.snapshotName], tools);
  return {
    status: "succeeded",
    exitCode: 0,
    output: `${tool} rollback ${vmid} ${parameters.snapshotName}: done`,
    result: { vmid: parameters.vmid, guestType: parameters.guestType, snapshotName: parameters.snapshotName },
  };
}
