-- Substring search through trigram indexes; pg_trgm is a trusted contrib extension (PostgreSQL 13+),
-- and createDatabase loads it into embedded PGlite.
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE INDEX "agents_hostname_trgm_idx" ON "agents" USING gin ("hostname" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "agents_os_name_trgm_idx" ON "agents" USING gin ("os_name" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "updates_package_name_idx" ON "updates" USING btree ("package_name","id");--> statement-breakpoint
CREATE INDEX "updates_first_seen_idx" ON "updates" USING btree ("first_seen_at","id");--> statement-breakpoint
CREATE INDEX "updates_severity_rank_idx" ON "updates" USING btree ((case "severity" when 'critical' then 0 when 'important' then 1 when 'moderate' then 2 when 'low' then 3 else 4 end),"id");--> statement-breakpoint
CREATE INDEX "updates_package_name_trgm_idx" ON "updates" USING gin ("package_name" gin_trgm_ops);