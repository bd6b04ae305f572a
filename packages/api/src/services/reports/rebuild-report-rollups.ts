import { type DatabaseOrTransaction, rowsOf } from "@redflag/db";
import { sql } from "drizzle-orm";

const slice = 500;

/**
 * Recomputes the report rollups from `updates` and `commands`. The triggers keep them in step with
 * every write, so this repairs only what went around them (a bulk load with triggers disabled, a
 * restore of one table). Agents go in slices, each its own statement, so writers wait on a few rows
 * at a time; the install outcomes are rebuilt under a table lock in one transaction.
 */
export async function rebuildReportRollups(db: DatabaseOrTransaction) {
  let after = "";
  let agents = 0;
  for (;;) {
    const [row] = rowsOf<{ last: string | null; count: number }>(
      await db.execute(sql`
        with chosen as (select id from agents where id > ${after} order by id limit ${slice}),
        refreshed as (select refresh_agent_update_rollups(array(select id from chosen)))
        select (select max(id) from chosen) as last, (select count(*)::int from chosen) as count
        from refreshed`),
    );
    if (!row?.last) break;
    after = row.last;
    agents += Number(row.count);
  }
  // Rows of agents that are gone (the refresh removes a row with no updates behind it).
  await db.execute(sql`
    select refresh_agent_update_rollups(array(
      select r.agent_id from agent_update_rollups r where not exists (select 1 from agents a where a.id = r.agent_id)
    ))`);
  await db.transaction(async (tx) => {
    await tx.execute(sql`lock table install_outcome_days in exclusive mode`);
    await tx.execute(sql`delete from install_outcome_days`);
    await tx.execute(sql`
      insert into install_outcome_days (agent_id, day, succeeded, failed, timed_out)
      select agent_id, (finished_at at time zone 'UTC')::date,
        count(*) filter (where status = 'succeeded'),
        count(*) filter (where status = 'failed'),
        count(*) filter (where status = 'timed_out')
      from commands
      where type = 'install' and status in ('succeeded', 'failed', 'timed_out') and finished_at is not null
      group by 1, 2`);
  });
  return { agents };
}
