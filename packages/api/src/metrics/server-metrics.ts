import type { Database } from "@redflag/db";
import type { RequestRecord } from "../observability/requests.ts";

/** This server's Prometheus metrics, scraped at /metrics. */
export class ServerMetrics {
  constructor(readonly db: Database) {}

  readonly observeRequest = (_record: RequestRecord): void => {};
}
