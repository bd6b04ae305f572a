export * from "./parse.ts";
export * from "./script.ts";
