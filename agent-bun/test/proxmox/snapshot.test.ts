import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LeasedCommand, newId } from "@redflag/contracts";
import type { ConfigFile } from "../../src/config/config.ts";
import { executeCommand } from "../../src/daemon/commands.ts";
import { parseSnapshotList, type SnapshotTools, snapshotsToPrune } from "../../src/proxmox/snapshots.ts";
import type { AgentConnection } from "../../src/transport/client.ts";
import { recordedCalls, standInProbes } from "./stand-ins.ts";

/*
 * The agent's own command code (daemon/commands.ts → proxmox/snapshots.ts) runs `snapshot` and
 * `snapshot_rollback` commands against the stand-in pct and qm (bin/), which keep each guest's
 * snapshots in a state file and print `listsnapshot` in Proxmox VE's format (fixtures/snapshots/README.md).
 */

let sandbox: string;
let tools: SnapshotTools;
beforeEach(() => {
  sandbox = mkdtempSync(join(tmpdir(), "redflag-snapshot-"));
  tools = standInProbes(sandbox);
});
afterEach(() => rmSync(sandbox, { recursive: true, force: true }));

const agentId = newId("agent");

/** A connection that takes progress reports and says nothing was cancelled. */
const connection = {
  agentId,
  call: async (_what: string, run: (agent: unknown) => Promise<unknown>) =>
    run({ reportProgress: { mutate: async () => ({ cancelled: false }) } }),
} as unknown as AgentConnection;

function leased(type: "snapshot" | "snapshot_rollback", parameters: Record<string, unknown>): LeasedCommand {
  const now = new Date();
  return {
    id: newId("command"),
    agentId,
    type,
    attempt: 1,
    leaseExpiresAt: new Date(now.getTime() + 60_000),
    targets: [],
    parameters,
    issuedAt: now,
    expiresAt: new Date(now.getTime() + 600_000),
    nonce: "n".repeat(22),
    keyId: `SHA256:${"a".repeat(43)}`,
    signature: `${"A".repeat(85)}A==`,
  };
}

/** Runs one command as the daemon does (already verified: signatures are tested in trust/). */
async function execute(command: LeasedCommand, env: Record<string, string> = {}) {
  const result = await executeCommand(command, {
    config: {} as ConfigFile,
    connection,
    onScan: () => {},
    verified: true,
    proxmoxTools: { ...tools, env: { ...tools.env, ...env } },
  });
  if (!result) throw new Error("no result");
  return result;
}

/** Snapshots taken on the node before the test, through the stand-in itself. */
function existing(tool: "pct" | "qm", vmid: number, names: string[]) {
  for (const name of names) {
    const child = Bun.spawnSync([tool, "snapshot", String(vmid), name], {
      env: tools.env as Record<string, string>,
    });
    if (child.exitCode !== 0) throw new Error(child.stderr.toString());
  }
}

function listed(tool: "pct" | "qm", vmid: number): string[] {
  const child = Bun.spawnSync([tool, "listsnapshot", String(vmid)], {
    env: tools.env as Record<string, string>,
  });
  return parseSnapshotList(child.stdout.toString()).map((snapshot) => snapshot.name);
}

/** The calls the command made, after those of the test's own set-up. */
function callsSince(count: number) {
  return recordedCalls(sandbox).slice(count);
}

const ours = (suffix: string) => `redflag-cmd_${suffix.padEnd(26, "0")}`;

describe("snapshot commands on a Proxmox node", () => {
  test("an LXC: pct snapshot with the command's name and a description, then RedFlag's own pruned to the newest N", async () => {
    existing("pct", 101, ["before-upgrade", ours("a"), "weekly", ours("b"), ours("c"), "redflag_manual"]);
    const before = recordedCalls(sandbox).length;
    const name = ours("d");
    const result = await execute(
      leased("snapshot", { vmid: 101, guestType: "lxc", snapshotName: name, keep: 2 }),
    );
    expect(result.status).toBe("succeeded");
    expect(callsSince(before)).toEqual([
      `pct snapshot 101 ${name} --description 'RedFlag: before install cmd_d0000000000000000000000000'`,
      "pct listsnapshot 101",
      `pct delsnapshot 101 ${ours("a")}`,
      `pct delsnapshot 101 ${ours("b")}`,
    ]);
    expect(result.result).toMatchObject({ pruned: [ours("a"), ours("b")] });
    // The others are untouched: a manual one, a weekly one, a name that only looks like ours.
    expect(listed("pct", 101)).toEqual(["before-upgrade", "weekly", ours("c"), "redflag_manual", name]);
  });

  test("a VM: qm snapshot, keep 1 deletes every older RedFlag snapshot and nothing else", async () => {
    existing("qm", 200, [ours("a"), "pre-kernel", ours("b")]);
    const before = recordedCalls(sandbox).length;
    const name = ours("c");
    const result = await execute(
      leased("snapshot", { vmid: 200, guestType: "qemu", snapshotName: name, keep: 1 }),
    );
    expect(result.status).toBe("succeeded");
    expect(callsSince(before)).toEqual([
      `qm snapshot 200 ${name} --description 'RedFlag: before install cmd_c0000000000000000000000000'`,
      "qm listsnapshot 200",
      `qm delsnapshot 200 ${ours("a")}`,
      `qm delsnapshot 200 ${ours("b")}`,
    ]);
    expect(listed("qm", 200)).toEqual(["pre-kernel", name]);
  });

  test("nothing is pruned while RedFlag has no more than N", async () => {
    existing("pct", 101, [ours("a")]);
    const before = recordedCalls(sandbox).length;
    const result = await execute(
      leased("snapshot", { vmid: 101, guestType: "lxc", snapshotName: ours("b"), keep: 3 }),
    );
    expect(result.status).toBe("succeeded");
    expect(callsSince(before).filter((call) => call.includes("delsnapshot"))).toEqual([]);
  });

  test("a failing pct snapshot fails the command with Proxmox's message, and nothing is listed or deleted", async () => {
    existing("pct", 101, [ours("a"), ours("b")]);
    const before = recordedCalls(sandbox).length;
    const result = await execute(
      leased("snapshot", { vmid: 101, guestType: "lxc", snapshotName: ours("c"), keep: 1 }),
      { PROXMOX_FAIL: "snapshot" },
    );
    expect(result.status).toBe("failed");
    expect(result.output).toContain("snapshot feature is not available");
    expect(callsSince(before)).toEqual([
      `pct snapshot 101 ${ours("c")} --description 'RedFlag: before install cmd_c0000000000000000000000000'`,
    ]);
    expect(listed("pct", 101)).toEqual([ours("a"), ours("b")]);
  });

  test("parameters that are not a RedFlag snapshot name are refused before anything runs", async () => {
    const result = await execute(
      leased("snapshot", { vmid: 101, guestType: "lxc", snapshotName: "before-upgrade; rm -rf /", keep: 1 }),
    );
    expect(result.status).toBe("failed");
    expect(recordedCalls(sandbox)).toEqual([]);
  });

  test("snapshot_rollback runs pct rollback / qm rollback to the named snapshot", async () => {
    existing("pct", 101, [ours("a"), ours("b")]);
    existing("qm", 200, [ours("c")]);
    const before = recordedCalls(sandbox).length;
    const lxc = await execute(
      leased("snapshot_rollback", { vmid: 101, guestType: "lxc", snapshotName: ours("a") }),
    );
    const vm = await execute(
      leased("snapshot_rollback", { vmid: 200, guestType: "qemu", snapshotName: ours("c") }),
    );
    expect([lxc.status, vm.status]).toEqual(["succeeded", "succeeded"]);
    expect(callsSince(before)).toEqual([`pct rollback 101 ${ours("a")}`, `qm rollback 200 ${ours("c")}`]);
    // The stand-in's state: the container now descends from the snapshot rolled back to.
    expect(readFileSync(join(sandbox, "pct-101.parent"), "utf8").trim()).toBe(ours("a"));

    const missing = await execute(
      leased("snapshot_rollback", { vmid: 101, guestType: "lxc", snapshotName: ours("z") }),
    );
    expect(missing.status).toBe("failed");
    expect(missing.output).toContain(`snapshot '${ours("z")}' does not exist`);
  });
});

describe("reading listsnapshot", () => {
  const tree = readFileSync(join(import.meta.dir, "fixtures", "snapshots", "listsnapshot-tree.txt"), "utf8");

  test("every snapshot of the tree, with its time and description; current is not one", () => {
    expect(parseSnapshotList(tree)).toEqual([
      { name: "before-upgrade", time: "2024-05-30 21:14:09", description: "manual, before the dist-upgrade" },
      {
        name: "redflag-cmd_01hzx6d1y0a7r3k9m2q4v8t6bn",
        time: "2024-06-01 03:00:12",
        description: "RedFlag: before install cmd_01hzx6d1y0a7r3k9m2q4v8t6bn",
      },
      {
        name: "redflag-cmd_01hzz0b5c4d3e2f1g0h9j8k7mn",
        time: "2024-06-02 03:00:09",
        description: "RedFlag: before install cmd_01hzz0b5c4d3e2f1g0h9j8k7mn",
      },
      { name: "weekly", time: "2024-06-02 12:00:00", description: "no-description" },
      {
        name: "redflag-cmd_01j00a1b2c3d4e5f6g7h8j9k0m",
        time: "2024-06-03 03:00:05",
        description: "RedFlag: before install cmd_01j00a1b2c3d4e5f6g7h8j9k0m",
      },
      { name: "imported", time: null, description: "no-description" },
    ]);
  });

  test("pruning picks RedFlag's oldest by time, whatever the tree's order", () => {
    const snapshots = parseSnapshotList(tree);
    expect(snapshotsToPrune(snapshots, 1)).toEqual([
      "redflag-cmd_01hzx6d1y0a7r3k9m2q4v8t6bn",
      "redflag-cmd_01hzz0b5c4d3e2f1g0h9j8k7mn",
    ]);
    expect(snapshotsToPrune([...snapshots].reverse(), 2)).toEqual(["redflag-cmd_01hzx6d1y0a7r3k9m2q4v8t6bn"]);
    expect(snapshotsToPrune(snapshots, 3)).toEqual([]);
  });

  test("output that is not a tree gives no snapshots", () => {
    expect(parseSnapshotList("")).toEqual([]);
    expect(parseSnapshotList("Configuration file 'nodes/pve1/lxc/101.conf' does not exist\n")).toEqual([]);
  });
});
