import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The text of a recorded fixture next to a platform's tests. */
export function readFixture(platform: string, name: string): string {
  return readFileSync(join(import.meta.dir, platform, "fixtures", name), "utf8");
}

/** Runs `action` and returns what it threw, failing the test when it did not throw. */
export function caught(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error, but none was thrown");
}

export async function caughtAsync(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error, but none was thrown");
}
