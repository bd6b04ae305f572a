import type { RequestRecord } from "../observability/requests.ts";

/** The request log: one structured line per answered request. */
export function logRequest(_record: RequestRecord): void {}
