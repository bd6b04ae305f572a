import { createHash } from "node:crypto";
import {
  chmodSync,
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import {
  type LeasedCommand,
  type UpdateAgentParameters,
  updateAgentParametersSchema,
} from "@redflag/contracts";
import { z } from "zod";
import { describeError, tailOfOutput } from "../errors.ts";
import { runProgram } from "../host/run.ts";
import { logger } from "../logging.ts";
import { clearMarker, readMarker, writeMarker } from "./markers.ts";

/**
 * Self-update, and who puts the old binary back.
 *
 * 1. The running daemon downloads SHA256SUMS, its signature and the binary for its own target to a
 *    temporary file beside the installed binary (same directory, so the final rename is atomic),
 *    checks the signature and the hash, and runs `<new> --version`, which must print the version asked for.
 * 2. It swaps the files: the running binary is renamed to `<path>.kept`, the new one takes the
 *    installed path. Renames only, which Windows allows for a running .exe.
 * 3. Trial: the old process, still running and still holding the daemon's lock, runs the installed
 *    new binary once with `--update-trial <command id>`: it loads the config, authenticates and reports
 *    progress on this very command with its version, without taking the lock or any command.
 *    A binary that exits at once, cannot read the config or cannot reach the server fails here, so the
 *    old process, which is the only one sure to be running, puts `<path>.kept` back, deletes the new
 *    file and fails the command with the trial's exit code and output; `<path>.previous` is untouched.
 * 4. After a good trial `<path>.kept` replaces `<path>.previous` (so exactly one previous binary is
 *    ever kept), and the old process writes the marker and exits with `exitCodes.restartForUpdate`;
 *    the service manager (systemd Restart=always, the Windows service's restart on failure) starts the
 *    installed path, now the new binary. Its first check-in carries the new version, and
 *    `finishUpdate` reports the command succeeded.
 * 5. A new binary that passed the trial but then cannot stay up (the daemon fails at start) is caught
 *    at each start (`guardUpdateAtStart`): after `maxStartsBeforeRestore` starts without a check-in it
 *    restores the previous binary and exits for another restart; the old binary's check-in then fails
 *    the command with why. The count lives in the marker, and the marker is removed when the command
 *    is reported, so no loop outlives one update, and no attempt leaves more than one extra file.
 */

const log = logger("lifecycle");

const maxChecksumsBytes = 64 * 1024;
const maxSignatureBytes = 1024;
/** The binaries are ~100 MiB; anything far larger is not one of ours. */
const maxBinaryBytes = 512 * 1024 * 1024;
const smallDownloadTimeoutMs = 30_000;
const binaryDownloadTimeoutMs = 10 * 60_000;
const selfCheckTimeoutMs = 60_000;
/** Starts of the new binary that may fail before the previous one is put back. */
export const maxStartsBeforeRestore = 3;

export const updateMarkerSchema = z.object({
  commandId: z.string().regex(/^cmd_[0-9a-z]{26}$/),
  fromVersion: z.string().max(64),
  toVersion: z.string().max(64),
  startedAt: z.coerce.date(),
  deadline: z.coerce.date(),
  /** Starts of the new binary so far (guardUpdateAtStart); `restored` once the old one is back. */
  starts: z.number().int().nonnegative().default(0),
  restored: z.string().max(4000).nullable().default(null),
});
export type UpdateMarker = z.infer<typeof updateMarkerSchema>;

/**
 * The installed binary and the files beside it: `previous` (the one binary kept for a rollback),
 * `kept` (the running binary while a new one has its trial) and downloads under `temporary`.
 */
export function binaryPaths(binary: string) {
  return {
    binary,
    previous: `${binary}.previous`,
    kept: `${binary}.kept`,
    temporaryPrefix: `${basename(binary)}.new-`,
    temporary: (id: string) => join(dirname(binary), `${basename(binary)}.new-${id}`),
  };
}

/**
 * Tidies what an interrupted attempt left (a crash, a power loss): downloads are removed, and a
 * binary kept during a trial that never ended becomes the previous one (it ran before the installed one).
 */
export function removeLeftoverDownloads(binary: string): string[] {
  const paths = binaryPaths(binary);
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dirname(binary));
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(paths.temporaryPrefix)) continue;
    const path = join(dirname(binary), name);
    try {
      rmSync(path, { force: true });
      removed.push(path);
    } catch (error) {
      log.warn("Cannot remove {path}: {error}", { path, error: describeError(error) });
    }
  }
  if (existsSync(paths.kept) && existsSync(binary)) renameSync(paths.kept, paths.previous);
  return removed;
}

/**
 * Puts `candidate` at the binary's path for its trial; the running binary is kept beside it
 * (renamed, which Windows allows for a running .exe) and the previous one stays untouched until
 * the trial passed. On a failed second rename the first is undone.
 */
export function installCandidate(binary: string, candidate: string) {
  const { kept } = binaryPaths(binary);
  renameSync(binary, kept);
  try {
    renameSync(candidate, binary);
  } catch (error) {
    renameSync(kept, binary);
    throw error;
  }
}

/** After a good trial: the binary that was running becomes the one previous binary (the older one is replaced). */
export function keepAsPrevious(binary: string) {
  const paths = binaryPaths(binary);
  renameSync(paths.kept, paths.previous);
}

/**
 * Moves the failed new binary aside (Windows cannot delete a running .exe, but can rename it), puts
 * `source` back at the binary's path and deletes the failed one when it can; what is left is a
 * leftover, removed by the next update's `removeLeftoverDownloads`.
 */
function putBack(binary: string, source: string) {
  const aside = binaryPaths(binary).temporary(`failed-${crypto.randomUUID()}`);
  renameSync(binary, aside);
  renameSync(source, binary);
  try {
    rmSync(aside, { force: true });
  } catch (error) {
    log.warn("Cannot remove the failed binary {path} yet: {error}", {
      path: aside,
      error: describeError(error),
    });
  }
}

/** After a failed trial: the binary that was running goes back; the previous one was never touched. */
export function restoreKept(binary: string) {
  const { kept } = binaryPaths(binary);
  if (!existsSync(kept)) throw new Error(`no kept binary at ${kept}`);
  putBack(binary, kept);
}

/** A new binary that passed its trial but cannot stay up: the previous one (the old version) goes back. */
export function restorePrevious(binary: string) {
  const { previous } = binaryPaths(binary);
  if (!existsSync(previous)) throw new Error(`no previous binary at ${previous}`);
  putBack(binary, previous);
}

async function* chunksOf(response: Response): AsyncGenerator<Uint8Array> {
  const reader = response.body?.getReader();
  if (!reader) return;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** Reads a response body up to `limit` bytes, failing (not cutting) beyond it. */
async function readLimited(response: Response, limit: number, what: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit)
    throw new Error(`${what} is ${declared} bytes, over ${limit}`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunksOf(response)) {
    size += chunk.length;
    if (size > limit) throw new Error(`${what} is over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function download(url: string, timeoutMs: number): Promise<Response> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "error" });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`GET ${url} answered ${response.status}`);
  }
  return response;
}

/** Streams the binary into `path` (created exclusively) and returns its SHA-256. */
async function downloadToFile(url: string, path: string): Promise<string> {
  const response = await download(url, binaryDownloadTimeoutMs);
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBinaryBytes) {
    await response.body?.cancel();
    throw new Error(`${url} is ${declared} bytes, over ${maxBinaryBytes}`);
  }
  const hash = createHash("sha256");
  const fd = openSync(path, "wx", 0o700);
  let size = 0;
  try {
    for await (const chunk of chunksOf(response)) {
      size += chunk.length;
      if (size > maxBinaryBytes) throw new Error(`${url} is over ${maxBinaryBytes} bytes`);
      hash.update(chunk);
      writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

export type VerifyChecksums = (sums: Uint8Array, signature: Uint8Array) => Map<string, string>;

export type PrepareOptions = {
  serverUrl: string;
  /** The binary's file name under /downloads (`agentTarget`). */
  target: string;
  /** The installed binary this process runs from. */
  binary: string;
  version: string;
  verifyChecksums: VerifyChecksums;
  env?: Record<string, string | undefined>;
};

/**
 * Steps 1: a verified, self-checked new binary in a temporary file beside `binary`.
 * Any failure removes the file before throwing.
 */
export async function prepareCandidate(options: PrepareOptions): Promise<string> {
  const base = `${options.serverUrl}/downloads`;
  const [sums, signature] = await Promise.all([
    download(`${base}/SHA256SUMS`, smallDownloadTimeoutMs).then((response) =>
      readLimited(response, maxChecksumsBytes, "SHA256SUMS"),
    ),
    download(`${base}/SHA256SUMS.sig`, smallDownloadTimeoutMs).then((response) =>
      readLimited(response, maxSignatureBytes, "SHA256SUMS.sig"),
    ),
  ]);
  const checksums = options.verifyChecksums(sums, signature);
  const expected = checksums.get(options.target);
  if (!expected) throw new Error(`The server's SHA256SUMS lists no ${options.target}`);
  const candidate = binaryPaths(options.binary).temporary(crypto.randomUUID());
  try {
    const actual = await downloadToFile(`${base}/${encodeURIComponent(options.target)}`, candidate);
    if (actual !== expected)
      throw new Error(`${options.target} has SHA-256 ${actual}, but the signed SHA256SUMS says ${expected}`);
    chmodSync(candidate, 0o755);
    const check = await runProgram([candidate, "--version"], {
      source: "process",
      env: options.env ?? process.env,
      timeoutMs: selfCheckTimeoutMs,
      maxOutputBytes: 64 * 1024,
    });
    const printed = check.stdout.trim();
    if (check.exitCode !== 0 || printed !== options.version) {
      throw new Error(
        `The downloaded binary's self-check failed: \`--version\` exited with ${check.exitCode} and printed "${printed.slice(0, 100)}", expected "${options.version}"${
          check.stderr.trim() ? `: ${tailOfOutput(check.stderr, 5, 500)}` : ""
        }`,
      );
    }
    return candidate;
  } catch (error) {
    rmSync(candidate, { force: true });
    throw error;
  }
}

export function parseUpdateParameters(command: LeasedCommand): UpdateAgentParameters {
  const parsed = updateAgentParametersSchema.safeParse(command.parameters);
  if (!parsed.success)
    throw new Error(
      `Invalid update_agent parameters: ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`,
    );
  return parsed.data;
}

/** The marker as the update leaves it before the restart. */
export function writeUpdateMarker(path: string, marker: UpdateMarker) {
  writeMarker(path, marker);
}

export function readUpdateMarker(path: string): UpdateMarker | null {
  return readMarker(path, updateMarkerSchema);
}

export { clearMarker as clearUpdateMarker };
