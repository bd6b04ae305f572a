import { signAccessToken } from "@redflag/api/auth/tokens.ts";
import { type AgentId, newId } from "@redflag/contracts";
import { agents, createDatabase, locateMigrationsFolder, migrate } from "@redflag/db";
import postgres from "postgres";

/** The server secret benchmarks start the server with, so the tokens signed here are its own. */
export const benchSecret = "benchmark-secret-benchmark-secret-0123456789";

/**
 * A fresh, migrated database on the PostgreSQL at `postgresUrl` holding `count` agents, each with an
 * access token signed by `benchSecret` for an hour, without going through registration.
 */
export async function seedBenchAgents(postgresUrl: string, count: number) {
  const name = `redflag_bench_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(postgresUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  const handle = await createDatabase({ driver: "postgres", url: url.toString() });
  await migrate(handle.db, locateMigrationsFolder(import.meta.dir));
  const expiresAt = new Date(Date.now() + 3600_000);
  const fleet: { id: AgentId; token: string }[] = [];
  for (let start = 0; start < count; start += 1000) {
    const rows = Array.from({ length: Math.min(1000, count - start) }, (_, index) => ({
      id: newId("agent"),
      hostname: `bench-${start + index}`,
      osType: "linux" as const,
      osName: "Debian GNU/Linux",
      osVersion: "12",
      architecture: "x86_64",
      agentVersion: "0.1.0",
      machineId: `bench-${start + index}`,
    }));
    await handle.db.insert(agents).values(rows);
    fleet.push(
      ...rows.map((row) => ({
        id: row.id,
        token: signAccessToken(benchSecret, { agentId: row.id, generation: 0, expiresAt }),
      })),
    );
  }
  await handle.close();
  return {
    databaseUrl: url.toString(),
    fleet,
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
