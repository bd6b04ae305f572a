export type { Actor } from "./actor.ts";
export { createServerCaller } from "./caller.ts";
export * from "./config.ts";
export { AppError, retryAfterSeconds, unavailableCause } from "./errors.ts";
export { createTrpcHandler, trpcEndpoint, trpcErrorResponse } from "./http.ts";
export {
  configureServerLogging,
  errorProperties,
  type LogFormat,
  serverLogger,
  withLogContext,
} from "./logging/logger.ts";
export { createMetricsHandler } from "./metrics/metrics-handler.ts";
export { type FetchHandler, serveNodeRequest, writeNodeResponse } from "./node-http.ts";
export { createRestHandler } from "./rest/handler.ts";
export { type RestOpenApiDocument, restOpenApiDocument } from "./rest/openapi-document.ts";
export { matchRestRoute, type RestRoute, restEndpoint, restRoutes } from "./rest/route-table.ts";
export { restRouter } from "./rest/routes.ts";
export { type AppRouter, appRouter } from "./root.ts";
export { every, type JobContext, type ScheduledJob, Scheduler } from "./scheduler/scheduler.ts";
export { type ApiServer, type StartOptions, startApiServer } from "./server.ts";
export { createReportExportHandler } from "./services/reports/export-handler.ts";
