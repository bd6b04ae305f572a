CREATE INDEX "agents_reboot_required_idx" ON "agents" USING btree ("hostname","id") WHERE "agents"."reboot_required";--> statement-breakpoint
CREATE INDEX "commands_finished_idx" ON "commands" USING btree ("finished_at");--> statement-breakpoint
CREATE INDEX "scans_received_idx" ON "scans" USING btree ("received_at");