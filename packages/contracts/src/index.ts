export * from "./admin.ts";
export * from "./agent.ts";
export * from "./enums.ts";
export * from "./ids.ts";
export * from "./package-metadata.ts";
export * from "./package-words.ts";
export * from "./primitives.ts";
export * from "./update-selection.ts";
