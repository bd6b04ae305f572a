import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newId } from "@redflag/contracts";
import { CommandLedger } from "../../src/daemon/ledger.ts";

const directory = mkdtempSync(join(tmpdir(), "redflag-ledger-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let count = 0;
const nextPath = () => join(directory, `commands-${++count}.json`);

describe("the command ledger", () => {
  test("a command started and never finished is interrupted for the next run of the agent, once", () => {
    const path = nextPath();
    const install = newId("command");
    const scan = newId("command");
    const before = new CommandLedger(path);
    before.start({ id: scan, type: "scan" });
    before.finish(scan);
    before.start({ id: install, type: "install" }, new Date("2026-12-01T01:00:00Z"));
    // The agent is killed here; the next run reads the file.
    const after = new CommandLedger(path);
    expect(after.status(install)).toBe("running");
    expect(after.status(scan)).toBe("finished");
    expect(after.takeInterrupted()).toEqual([
      { id: install, type: "install", startedAt: new Date("2026-12-01T01:00:00Z") },
    ]);
    expect(after.status(install)).toBe("finished");
    expect(new CommandLedger(path).takeInterrupted()).toEqual([]);
    expect(new CommandLedger(path).status(install)).toBe("finished");
  });

  test("an unknown command is neither running nor finished", () => {
    expect(new CommandLedger(nextPath()).status(newId("command"))).toBeNull();
  });

  test("finished ids are forgotten after a week and never pile up past 1,000", () => {
    const path = nextPath();
    const ledger = new CommandLedger(path);
    const old = newId("command");
    ledger.start({ id: old, type: "scan" }, new Date("2026-11-01T00:00:00Z"));
    ledger.finish(old, new Date("2026-11-01T00:00:00Z"));
    const now = new Date("2026-12-01T00:00:00Z");
    const ids = Array.from({ length: 1100 }, () => newId("command"));
    for (const id of ids) {
      ledger.start({ id, type: "scan" }, now);
      ledger.finish(id, now);
    }
    const reread = new CommandLedger(path);
    expect(reread.status(old)).toBeNull();
    expect(reread.status(ids[0] as (typeof ids)[number])).toBeNull();
    expect(reread.status(ids[1099] as (typeof ids)[number])).toBe("finished");
    expect(JSON.parse(readFileSync(path, "utf8")).finished).toHaveLength(1000);
  });

  test("a damaged file is kept aside and the agent goes on with a new ledger", () => {
    const path = nextPath();
    writeFileSync(path, '{"running": [{"id": "not an id"}]}');
    const ledger = new CommandLedger(path);
    expect(ledger.damaged).toContain("could not be read");
    expect(readFileSync(`${path}.damaged`, "utf8")).toContain("not an id");
    expect(ledger.takeInterrupted()).toEqual([]);
  });
});
