export * from "./client.ts";
export * from "./data-dir-lock.ts";
export { DurableNodeFS, durableStartParams, type LastShutdown, readLastShutdown } from "./durable-node-fs.ts";
export * from "./migrate.ts";
export * from "./query-timing.ts";
export * from "./rows.ts";
export * as schema from "./schema/index.ts";
export * from "./schema/index.ts";
