export * from "./argv.ts";
export * from "./check-update.ts";
export * from "./names.ts";
export * from "./needs-restarting.ts";
export * from "./result.ts";
export * from "./rpm-query.ts";
export * from "./scan-items.ts";
export * from "./updateinfo.ts";
