export * from "./auth.ts";
export * from "./compare.ts";
export * from "./containers.ts";
export * from "./engine-client.ts";
export * from "./reference.ts";
export * from "./registry-client.ts";
export * from "./tags.ts";
