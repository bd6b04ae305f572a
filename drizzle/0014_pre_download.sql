ALTER TABLE "maintenance_windows" ADD COLUMN "pre_download_minutes" integer DEFAULT 60 NOT NULL;--> statement-breakpoint
ALTER TABLE "updates" ADD COLUMN "downloaded_version" text;--> statement-breakpoint
ALTER TABLE "updates" ADD COLUMN "downloaded_at" timestamp with time zone;