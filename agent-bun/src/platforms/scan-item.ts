import { type ScanItem, scanItemSchema } from "@redflag/contracts";
import { type Platform, PlatformError } from "./errors.ts";

/** Validates one item against the contract; a tool's odd value becomes an `unrecognized` error. */
export function toScanItem(platform: Platform, value: unknown): ScanItem {
  const parsed = scanItemSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PlatformError(
      `item does not fit the scan contract (${issue?.path.join(".") ?? "?"}: ${issue?.message ?? "invalid"})`,
      { platform, kind: "unrecognized", operation: `map ${platform} updates`, cause: parsed.error },
    );
  }
  return parsed.data;
}
