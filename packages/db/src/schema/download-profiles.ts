import type { AgentId, DownloadProfileId } from "@redflag/contracts";
import { integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/**
 * How the hosts in scope download updates: a limit (KiB/s) for apt and dnf, proxies for apt and dnf
 * (e.g. a regional apt-cacher-ng) and a Docker Hub registry mirror to configure on the engine.
 * The scope is a maintenance window's: any of `tags` or listed in `agentIds`, both empty: every host.
 * One profile applies per host: listed by id before by tag before every host, then by name.
 */
export const downloadProfiles = pgTable(
  "download_profiles",
  {
    id: text("id").$type<DownloadProfileId>().primaryKey(),
    name: text("name").notNull(),
    tags: jsonb("tags").$type<string[]>().notNull().default([]),
    agentIds: jsonb("agent_ids").$type<AgentId[]>().notNull().default([]),
    limitKibPerSecond: integer("limit_kib_per_second"),
    aptProxy: text("apt_proxy"),
    dnfProxy: text("dnf_proxy"),
    dockerRegistryMirror: text("docker_registry_mirror"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex("download_profiles_name_key").on(table.name)],
);
