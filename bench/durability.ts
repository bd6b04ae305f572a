/**
 * What durable commits cost on the embedded database: the same work on PGlite with commits synced to
 * disk (the default, REDFLAG_DURABLE_COMMITS=true) and without (PGlite's own default, fsync off).
 * Run with `bun run bench:durability`; options as environment: BENCH_COMMITS (300 single-row
 * commits), BENCH_BATCHES (20 transactions of) BENCH_BATCH_ROWS (500 rows), BENCH_DIR (where the
 * data directories go; put it on the disk the server uses, default the system temp dir).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newId } from "@redflag/contracts";
import { auditEvents, createDatabase, locateMigrationsFolder, migrate } from "@redflag/db";

const settings = {
  commits: Number(process.env.BENCH_COMMITS ?? 300),
  batches: Number(process.env.BENCH_BATCHES ?? 20),
  batchRows: Number(process.env.BENCH_BATCH_ROWS ?? 500),
  directory: process.env.BENCH_DIR ?? tmpdir(),
};
const migrationsFolder = locateMigrationsFolder(import.meta.dir);

type Result = {
  label: string;
  p50: number;
  p95: number;
  perCommit: number;
  rowsPerSecond: number;
  closeMs: number;
};

function auditRow(index: number) {
  return {
    id: newId("auditEvent"),
    actorType: "system" as const,
    action: "bench.write",
    entityType: "bench",
    entityId: String(index),
    after: { index, note: "a row about the size of a real audit event" },
  };
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

async function measure(durableCommits: boolean): Promise<Result> {
  const dataDir = mkdtempSync(join(settings.directory, "redflag-bench-durability-"));
  try {
    const handle = await createDatabase({ driver: "pglite", dataDir, durableCommits });
    await migrate(handle.db, migrationsFolder);
    // Single-row commits: what a check-in or an admin's click costs.
    const latencies: number[] = [];
    const started = performance.now();
    for (let index = 0; index < settings.commits; index++) {
      const before = performance.now();
      await handle.db.insert(auditEvents).values(auditRow(index));
      latencies.push(performance.now() - before);
    }
    const perCommit = (performance.now() - started) / settings.commits;
    latencies.sort((a, b) => a - b);
    // Ingest: many rows per transaction, as a scan report writes them.
    const ingestStarted = performance.now();
    for (let batch = 0; batch < settings.batches; batch++) {
      await handle.db.transaction(async (tx) => {
        const rows = Array.from({ length: settings.batchRows }, (_, index) =>
          auditRow(batch * 10_000 + index),
        );
        for (let start = 0; start < rows.length; start += 250) {
          await tx.insert(auditEvents).values(rows.slice(start, start + 250));
        }
      });
    }
    const rowsPerSecond =
      (settings.batches * settings.batchRows) / ((performance.now() - ingestStarted) / 1000);
    const closeStarted = performance.now();
    await handle.close();
    return {
      label: durableCommits ? "durable (fsync per commit)" : "not durable (fsync off)",
      p50: percentile(latencies, 0.5),
      p95: percentile(latencies, 0.95),
      perCommit,
      rowsPerSecond,
      closeMs: performance.now() - closeStarted,
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(
  `Embedded PGlite in ${settings.directory}: ${settings.commits} single-row commits, then ${settings.batches} transactions of ${settings.batchRows} rows`,
);
const results = [await measure(false), await measure(true)];
for (const result of results) {
  console.log(
    `${result.label.padEnd(28)} commit p50 ${result.p50.toFixed(2)} ms, p95 ${result.p95.toFixed(2)} ms, mean ${result.perCommit.toFixed(2)} ms; ingest ${Math.round(result.rowsPerSecond)} rows/s; close ${Math.round(result.closeMs)} ms`,
  );
}
const [fast, durable] = results as [Result, Result];
// Medians: on a shared machine the means and the tails mostly measure the neighbours.
console.log(
  `Cost of durability: median single-row commit ${fast.p50.toFixed(2)} → ${durable.p50.toFixed(2)} ms (+${(durable.p50 - fast.p50).toFixed(2)} ms); ingest ${Math.round(fast.rowsPerSecond)} → ${Math.round(durable.rowsPerSecond)} rows/s (×${(durable.rowsPerSecond / fast.rowsPerSecond).toFixed(2)})`,
);
