export * from "./install.ts";
export * from "./parse.ts";
export * from "./script.ts";
