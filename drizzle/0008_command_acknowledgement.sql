ALTER TABLE "commands" ADD COLUMN "acknowledged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "commands" ADD COLUMN "unacknowledged_offers" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Long-poll wake-ups: every command that becomes pending (queued, retried, its lease taken back) is
-- announced on this channel with its agent's id, on PostgreSQL to every server instance listening
-- and on the embedded database to this process. Sent at commit, once per agent per transaction.
CREATE FUNCTION "redflag_notify_command_queued"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('redflag_command_queued', NEW.agent_id);
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "commands_queued_on_insert" AFTER INSERT ON "commands"
  FOR EACH ROW WHEN (NEW.status = 'pending') EXECUTE FUNCTION "redflag_notify_command_queued"();--> statement-breakpoint
CREATE TRIGGER "commands_queued_on_update" AFTER UPDATE OF "status" ON "commands"
  FOR EACH ROW WHEN (NEW.status = 'pending' AND OLD.status <> 'pending') EXECUTE FUNCTION "redflag_notify_command_queued"();
