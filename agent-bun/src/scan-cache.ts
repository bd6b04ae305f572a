import { scannerReportSchema } from "@redflag/contracts";
import { z } from "zod";
import { readFileIfExists } from "./config/files.ts";
import type { LastScan } from "./scan.ts";

/** The cache is read back only by the CLI, so only the CLI loads these schemas. */
const lastScanSchema = z.object({
  schemaVersion: z.literal(1),
  startedAt: z.coerce.date(),
  finishedAt: z.coerce.date(),
  scanners: z.array(scannerReportSchema),
});

/** The cached scan, or null when there is none or it cannot be trusted (then scan again). */
export function loadLastScan(path: string): LastScan | null {
  const text = readFileIfExists(path);
  if (text === null) return null;
  try {
    const parsed = lastScanSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
