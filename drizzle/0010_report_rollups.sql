CREATE TABLE "agent_update_rollups" (
	"agent_id" text PRIMARY KEY NOT NULL,
	"pending_critical" integer DEFAULT 0 NOT NULL,
	"pending_important" integer DEFAULT 0 NOT NULL,
	"pending_moderate" integer DEFAULT 0 NOT NULL,
	"pending_low" integer DEFAULT 0 NOT NULL,
	"pending_unknown" integer DEFAULT 0 NOT NULL,
	"pending_apt" integer DEFAULT 0 NOT NULL,
	"pending_dnf" integer DEFAULT 0 NOT NULL,
	"pending_docker" integer DEFAULT 0 NOT NULL,
	"pending_windows_update" integer DEFAULT 0 NOT NULL,
	"pending_winget" integer DEFAULT 0 NOT NULL,
	"pending_security" integer DEFAULT 0 NOT NULL,
	"approved" integer DEFAULT 0 NOT NULL,
	"oldest_security_pending_since" timestamp with time zone,
	"installed" integer DEFAULT 0 NOT NULL,
	"patch_seconds" double precision DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "install_outcome_days" (
	"agent_id" text NOT NULL,
	"day" date NOT NULL,
	"succeeded" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"timed_out" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "install_outcome_days_agent_id_day_pk" PRIMARY KEY("agent_id","day")
);
--> statement-breakpoint
CREATE INDEX "install_outcome_days_day_idx" ON "install_outcome_days" USING btree ("day");--> statement-breakpoint
-- Recomputes the rollup rows of the given agents from their updates. The rows are locked first (in id
-- order, so two writers never deadlock here), and the counts are read by a later statement, so under
-- READ COMMITTED they include whatever a concurrent writer of the same agent committed meanwhile.
CREATE FUNCTION "refresh_agent_update_rollups"(agent_ids text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO agent_update_rollups (agent_id)
    SELECT DISTINCT id FROM unnest(agent_ids) AS id ORDER BY id
    ON CONFLICT (agent_id) DO NOTHING;
  PERFORM 1 FROM agent_update_rollups WHERE agent_id = ANY(agent_ids) ORDER BY agent_id FOR UPDATE;
  UPDATE agent_update_rollups AS r SET
    pending_critical = coalesce(c.pending_critical, 0),
    pending_important = coalesce(c.pending_important, 0),
    pending_moderate = coalesce(c.pending_moderate, 0),
    pending_low = coalesce(c.pending_low, 0),
    pending_unknown = coalesce(c.pending_unknown, 0),
    pending_apt = coalesce(c.pending_apt, 0),
    pending_dnf = coalesce(c.pending_dnf, 0),
    pending_docker = coalesce(c.pending_docker, 0),
    pending_windows_update = coalesce(c.pending_windows_update, 0),
    pending_winget = coalesce(c.pending_winget, 0),
    pending_security = coalesce(c.pending_security, 0),
    approved = coalesce(c.approved, 0),
    oldest_security_pending_since = c.oldest_security_pending_since,
    installed = coalesce(c.installed, 0),
    patch_seconds = coalesce(c.patch_seconds, 0)
  FROM (SELECT DISTINCT id FROM unnest(agent_ids) AS id) AS touched
  LEFT JOIN (
    SELECT
      u.agent_id,
      count(*) FILTER (WHERE u.status IN ('available', 'approved') AND u.severity = 'critical')::int AS pending_critical,
      count(*) FILTER (WHERE u.status IN ('available', 'approved') AND u.severity = 'important')::int AS pending_important,
      count(*) FILTER (WHERE u.status IN ('available', 'approved') AND u.severity = 'moderate')::int AS pending_moderate,
      count(*) FILTER (WHERE u.status IN ('available', 'approved') AND u.severity = 'low')::int AS pending_low,
      count(*) FILTER (WHERE u.status IN ('available', 'approved') AND u.severity NOT IN ('critical', 'important', 'moderate', 'low'))::int AS pending_unknown,
      count(*) FILTER (WHERE u.status IN ('available', 'approved') AND u.package_type = 'apt')::int AS pending_apt,
      count(*) FILTER (WHERE u.status IN ('available', 'approved') AND u.package_type = 'dnf')::int AS pending_dnf,
      count(*) FILTER (WHERE u.status IN ('available', 'approved') AND u.package_type = 'docker')::int AS pending_docker,
      count(*) FILTER (WHERE u.status IN ('available', 'approved') AND u.package_type = 'windows_update')::int AS pending_windows_update,
      count(*) FILTER (WHERE u.status IN ('available', 'approved') AND u.package_type = 'winget')::int AS pending_winget,
      count(*) FILTER (WHERE u.status IN ('available', 'approved') AND u.security)::int AS pending_security,
      count(*) FILTER (WHERE u.status = 'approved')::int AS approved,
      min(u.first_seen_at) FILTER (WHERE u.status IN ('available', 'approved') AND u.security) AS oldest_security_pending_since,
      count(*) FILTER (WHERE u.status = 'installed')::int AS installed,
      coalesce(sum(greatest(0, extract(epoch FROM u.status_changed_at - u.first_seen_at))) FILTER (WHERE u.status = 'installed'), 0)::double precision AS patch_seconds
    FROM updates AS u
    WHERE u.agent_id = ANY(agent_ids)
    GROUP BY u.agent_id
  ) AS c ON c.agent_id = touched.id
  WHERE r.agent_id = touched.id;
  DELETE FROM agent_update_rollups AS r
    WHERE r.agent_id = ANY(agent_ids)
      AND NOT EXISTS (SELECT 1 FROM updates AS u WHERE u.agent_id = r.agent_id);
END $$;
--> statement-breakpoint
CREATE FUNCTION "updates_rollup_after_insert"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM refresh_agent_update_rollups(ARRAY(SELECT DISTINCT agent_id FROM new_rows));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "updates_rollup_after_update"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM refresh_agent_update_rollups(ARRAY(
    SELECT agent_id FROM new_rows UNION SELECT agent_id FROM old_rows
  ));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "updates_rollup_after_delete"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM refresh_agent_update_rollups(ARRAY(SELECT DISTINCT agent_id FROM old_rows));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "updates_rollup_insert" AFTER INSERT ON "updates" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION updates_rollup_after_insert();
--> statement-breakpoint
CREATE TRIGGER "updates_rollup_update" AFTER UPDATE ON "updates" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION updates_rollup_after_update();
--> statement-breakpoint
CREATE TRIGGER "updates_rollup_delete" AFTER DELETE ON "updates" REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION updates_rollup_after_delete();
--> statement-breakpoint
-- Adds (sign 1) or takes away (sign -1) finished install commands; counts are commutative, so
-- concurrent writers need no lock beyond the row's own.
CREATE FUNCTION "count_install_outcomes"(changed jsonb, direction integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF changed IS NULL OR jsonb_array_length(changed) = 0 THEN
    RETURN;
  END IF;
  INSERT INTO install_outcome_days AS o (agent_id, day, succeeded, failed, timed_out)
    SELECT
      c.agent_id,
      (c.finished_at AT TIME ZONE 'UTC')::date,
      direction * count(*) FILTER (WHERE c.status = 'succeeded'),
      direction * count(*) FILTER (WHERE c.status = 'failed'),
      direction * count(*) FILTER (WHERE c.status = 'timed_out')
    FROM jsonb_to_recordset(changed) AS c(agent_id text, status text, finished_at timestamptz)
    GROUP BY 1, 2
    ORDER BY 1, 2
    ON CONFLICT (agent_id, day) DO UPDATE SET
      succeeded = o.succeeded + excluded.succeeded,
      failed = o.failed + excluded.failed,
      timed_out = o.timed_out + excluded.timed_out;
  DELETE FROM install_outcome_days AS o
    WHERE o.succeeded = 0 AND o.failed = 0 AND o.timed_out = 0
      AND (o.agent_id, o.day) IN (
        SELECT c.agent_id, (c.finished_at AT TIME ZONE 'UTC')::date
        FROM jsonb_to_recordset(changed) AS c(agent_id text, finished_at timestamptz)
      );
END $$;
--> statement-breakpoint
CREATE FUNCTION "commands_outcome_after_change"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  before_rows jsonb;
  after_rows jsonb;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT jsonb_agg(jsonb_build_object('agent_id', agent_id, 'status', status, 'finished_at', finished_at))
      INTO before_rows FROM old_rows
      WHERE type = 'install' AND status IN ('succeeded', 'failed', 'timed_out') AND finished_at IS NOT NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    SELECT jsonb_agg(jsonb_build_object('agent_id', agent_id, 'status', status, 'finished_at', finished_at))
      INTO after_rows FROM new_rows
      WHERE type = 'install' AND status IN ('succeeded', 'failed', 'timed_out') AND finished_at IS NOT NULL;
  END IF;
  PERFORM count_install_outcomes(after_rows, 1);
  PERFORM count_install_outcomes(before_rows, -1);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "commands_outcome_insert" AFTER INSERT ON "commands" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION commands_outcome_after_change();
--> statement-breakpoint
CREATE TRIGGER "commands_outcome_update" AFTER UPDATE ON "commands" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION commands_outcome_after_change();
--> statement-breakpoint
CREATE TRIGGER "commands_outcome_delete" AFTER DELETE ON "commands" REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION commands_outcome_after_change();
--> statement-breakpoint
SELECT refresh_agent_update_rollups(ARRAY(SELECT DISTINCT agent_id FROM updates));
--> statement-breakpoint
INSERT INTO install_outcome_days (agent_id, day, succeeded, failed, timed_out)
  SELECT agent_id, (finished_at AT TIME ZONE 'UTC')::date,
    count(*) FILTER (WHERE status = 'succeeded'),
    count(*) FILTER (WHERE status = 'failed'),
    count(*) FILTER (WHERE status = 'timed_out')
  FROM commands
  WHERE type = 'install' AND status IN ('succeeded', 'failed', 'timed_out') AND finished_at IS NOT NULL
  GROUP BY 1, 2;
