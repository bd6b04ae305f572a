import { dirname, join } from "node:path";
import { spawn } from "bun";
import postgres from "postgres";

/** A fresh database for one run on the throwaway cluster of scripts/with-postgres.sh, dropped at the end. */
export async function createRunDatabase(clusterUrl: string) {
  const name = `redflag_fleet_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(clusterUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(clusterUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const again = postgres(clusterUrl, { max: 1, onnotice: () => {} });
      try {
        await again.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await again.end();
      }
    },
  };
}

/**
 * `pg_ctl -m immediate restart`: every backend is killed without a checkpoint, as in a crash, and the
 * cluster recovers from its WAL. As the cluster's owner (postgres) when this runs as root.
 */
export async function restartPostgresImmediately(options: { data: string; bin: string }): Promise<void> {
  const pgCtl = [
    join(options.bin, "pg_ctl"),
    "-D",
    options.data,
    "-l",
    join(dirname(options.data), "log"),
    "-m",
    "immediate",
    "-w",
    "restart",
  ];
  const argv = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...pgCtl] : pgCtl;
  const child = spawn({ cmd: argv, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`pg_ctl restart exited with ${code}:\n${stdout}${stderr}`);
}

/** The harness's own view of the database: what the checks read (never what the agents see). */
export type Observer = ReturnType<typeof observeDatabase>;

export function observeDatabase(url: string) {
  const sql = postgres(url, { max: 2, onnotice: () => {}, connect_timeout: 5, idle_timeout: 5 });
  return {
    sql,
    /** How many of these commands have left `pending` (been leased at least once). */
    async leasedCount(commandIds: string[]): Promise<number> {
      if (commandIds.length === 0) return 0;
      const [row] = await sql<{ count: number }[]>`
        select count(*)::int as count from commands where id in ${sql(commandIds)} and status <> 'pending'`;
      return row?.count ?? 0;
    },
    /** Commands `sent` for longer than the acknowledgement window (and the grace on top). */
    async sentLongerThan(seconds: number) {
      return sql<{ id: string; agent_id: string; sent_at: Date; attempt: number }[]>`
        select id, agent_id, sent_at, attempt from commands
        where status = 'sent' and sent_at < now() - make_interval(secs => ${seconds})`;
    },
    async unfinishedCommands() {
      return sql<{ id: string; agent_id: string; type: string; status: string; attempt: number }[]>`
        select id, agent_id, type, status, attempt from commands
        where status not in ('succeeded', 'failed', 'cancelled', 'timed_out')`;
    },
    async commandStatuses() {
      return sql<{ id: string; type: string; status: string; attempt: number }[]>`
        select id, type, status, attempt from commands`;
    },
    async updateStatuses(updateIds: string[]) {
      const rows: { id: string; status: string; last_command_id: string | null }[] = [];
      for (let start = 0; start < updateIds.length; start += 5000) {
        const chunk = updateIds.slice(start, start + 5000);
        rows.push(
          ...(await sql<{ id: string; status: string; last_command_id: string | null }[]>`
            select id, status, last_command_id from updates where id in ${sql(chunk)}`),
        );
      }
      return rows;
    },
    async tokenGenerations(agentIds: string[]) {
      const rows = await sql<{ id: string; token_generation: number }[]>`
        select id, token_generation from agents where id in ${sql(agentIds)}`;
      return new Map(rows.map((row) => [row.id, row.token_generation]));
    },
    end: () => sql.end({ timeout: 5 }),
  };
}
