CREATE TABLE "snapshot_gates" (
	"install_command_id" text PRIMARY KEY NOT NULL,
	"snapshot_command_id" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "snapshot_gates" ADD CONSTRAINT "snapshot_gates_install_command_id_commands_id_fk" FOREIGN KEY ("install_command_id") REFERENCES "public"."commands"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "snapshot_gates" ADD CONSTRAINT "snapshot_gates_snapshot_command_id_commands_id_fk" FOREIGN KEY ("snapshot_command_id") REFERENCES "public"."commands"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "snapshot_gates_snapshot_idx" ON "snapshot_gates" USING btree ("snapshot_command_id");