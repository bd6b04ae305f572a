export * from "./parse.ts";
export * from "./table.ts";
