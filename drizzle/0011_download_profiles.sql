CREATE TABLE "download_profiles" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"agent_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"limit_kib_per_second" integer,
	"apt_proxy" text,
	"dnf_proxy" text,
	"docker_registry_mirror" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "download_profiles_name_key" ON "download_profiles" USING btree ("name");