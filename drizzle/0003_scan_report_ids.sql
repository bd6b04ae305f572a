ALTER TABLE "scans" ADD COLUMN "unchanged" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "scans" ADD COLUMN "report_id" text;--> statement-breakpoint
CREATE UNIQUE INDEX "scans_agent_report_uq" ON "scans" USING btree ("agent_id","report_id");