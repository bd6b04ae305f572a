import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newId } from "@redflag/contracts";
import {
  auditEvents,
  createDatabase,
  DataDirectoryLockedError,
  dataDirectoryLockFileName,
  locateMigrationsFolder,
  migrate,
} from "@redflag/db";
import { asc } from "drizzle-orm";
import { backUpDataDirectory, restoreDataDirectory } from "../scripts/embedded-backup.ts";

const workspace = mkdtempSync(join(tmpdir(), "redflag-backup-"));
afterAll(() => rmSync(workspace, { recursive: true, force: true }), 60_000);
const migrationsFolder = locateMigrationsFolder(import.meta.dir);

async function allAuditEvents(dataDir: string) {
  const handle = await createDatabase({ driver: "pglite", dataDir });
  try {
    return await handle.db.select().from(auditEvents).orderBy(asc(auditEvents.id));
  } finally {
    await handle.close();
  }
}

describe("backup and restore of the embedded database", () => {
  test("a restored backup holds the same data; a backup beside a running server is refused", async () => {
    const original = join(workspace, "original");
    const handle = await createDatabase({ driver: "pglite", dataDir: original });
    await migrate(handle.db, migrationsFolder);
    await handle.db.insert(auditEvents).values(
      Array.from({ length: 300 }, (_, index) => ({
        id: newId("auditEvent"),
        actorType: "system" as const,
        action: "backup.test",
        entityType: "row",
        entityId: String(index),
        after: { index, text: "é ✓ 日本" },
      })),
    );
    const file = join(workspace, "redflag.tgz");
    // The server (here: this handle) holds the directory: no backup beside it.
    await expect(backUpDataDirectory(original, file)).rejects.toBeInstanceOf(DataDirectoryLockedError);
    await handle.close();

    expect(await backUpDataDirectory(original, file)).toBeGreaterThan(0);
    const restored = join(workspace, "restored");
    await restoreDataDirectory(file, restored);
    expect(existsSync(join(restored, dataDirectoryLockFileName))).toBe(false);
    const before = await allAuditEvents(original);
    expect(before.length).toBe(300);
    expect(await allAuditEvents(restored)).toEqual(before);
    // Never over an existing database.
    await expect(restoreDataDirectory(file, original)).rejects.toThrow(/is not empty/);
  }, 300_000);
});
