CREATE TABLE "proxmox_guests" (
	"node_agent_id" text NOT NULL,
	"vmid" integer NOT NULL,
	"type" text NOT NULL,
	"name" text,
	"status" text,
	"os" text,
	"machine_id" text,
	"smbios_uuid" text,
	CONSTRAINT "proxmox_guests_node_agent_id_vmid_pk" PRIMARY KEY("node_agent_id","vmid")
);
--> statement-breakpoint
CREATE TABLE "proxmox_nodes" (
	"agent_id" text PRIMARY KEY NOT NULL,
	"cluster" text,
	"node" text NOT NULL,
	"version" text NOT NULL,
	"reported_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "virtual_guests" (
	"agent_id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"technology" text NOT NULL,
	"machine_id" text,
	"product_uuid" text,
	"reported_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "proxmox_guests" ADD CONSTRAINT "proxmox_guests_node_agent_id_proxmox_nodes_agent_id_fk" FOREIGN KEY ("node_agent_id") REFERENCES "public"."proxmox_nodes"("agent_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "proxmox_nodes" ADD CONSTRAINT "proxmox_nodes_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "virtual_guests" ADD CONSTRAINT "virtual_guests_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "proxmox_guests_machine_id_idx" ON "proxmox_guests" USING btree ("machine_id");--> statement-breakpoint
CREATE INDEX "proxmox_guests_smbios_uuid_idx" ON "proxmox_guests" USING btree ("smbios_uuid");--> statement-breakpoint
CREATE INDEX "virtual_guests_machine_id_idx" ON "virtual_guests" USING btree ("machine_id");--> statement-breakpoint
CREATE INDEX "virtual_guests_product_uuid_idx" ON "virtual_guests" USING btree ("product_uuid");