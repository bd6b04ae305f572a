export * from "./admin.ts";
export * from "./agent.ts";
export * from "./enums.ts";
export * from "./ids.ts";
