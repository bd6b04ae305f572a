import { AgentError, type ErrorSource } from "../errors.ts";

/** Every child process of the agent runs through `runProgram`; this is what it gives back. */
export type RunResult = {
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** Set when the child ran past `timeoutMs` and was killed. */
  timedOut: boolean;
};

export type RunOptions = {
  /** Which package manager (or "process") an error is reported for. */
  source: ErrorSource;
  /** The child's whole environment: nothing is inherited implicitly. */
  env: Record<string, string | undefined>;
  /** Stop the child after this long (SIGTERM, then SIGKILL 5 s later); the result then has `timedOut`. */
  timeoutMs: number;
  cwd?: string;
  /** Written to the child's stdin, which is then closed; without it the child reads nothing. */
  stdin?: string;
  /** Largest stdout/stderr kept, per stream; the end is kept, since errors come last. */
  maxOutputBytes?: number;
  /** Called with each complete line of stdout as it arrives (progress of a long install). */
  onStdoutLine?: (line: string) => void;
  /** Called with each line the child writes to file descriptor 3 (apt's APT::Status-Fd=3). */
  onStatusLine?: (line: string) => void;
};

const killGraceMs = 5000;

/** Runs a program from an argv array, never through a shell, and collects its output and exit code. */
export async function runProgram(argv: readonly string[], options: RunOptions): Promise<RunResult> {
  const program = argv[0];
  if (program === undefined || program === "") {
    throw new AgentError("no program given", {
      source: options.source,
      kind: "invalid_input",
      operation: "run",
    });
  }
  const operation = `run ${program}`;
  if (argv.some((argument) => argument.includes("\0"))) {
    throw new AgentError("an argument contains a NUL character", {
      source: options.source,
      kind: "invalid_input",
      operation,
    });
  }
  const env = Object.fromEntries(
    Object.entries(options.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const started = performance.now();
  const withStatus = options.onStatusLine !== undefined;
  let child: ReturnType<typeof Bun.spawn>;
  try {
    child = Bun.spawn([...argv], {
      env,
      cwd: options.cwd,
      stdio: [
        options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
        "pipe",
        "pipe",
        ...(withStatus ? (["pipe"] as const) : []),
      ],
    });
  } catch (error) {
    throw new AgentError(`cannot start ${program}: ${(error as Error).message}`, {
      source: options.source,
      kind: "missing",
      operation,
      cause: error,
    });
  }
  let timedOut = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGTERM");
    killTimer = setTimeout(() => child.kill("SIGKILL"), killGraceMs);
  }, options.timeoutMs);
  try {
    const limit = options.maxOutputBytes ?? 8 * 1024 * 1024;
    const statusDone =
      withStatus && typeof child.stdio[3] === "number"
        ? readLines(child.stdio[3], options.onStatusLine ?? (() => {}))
        : Promise.resolve();
    const [stdout, stderr, exitCode] = await Promise.all([
      readBounded(child.stdout as ReadableStream<Uint8Array>, limit, options.onStdoutLine),
      readBounded(child.stderr as ReadableStream<Uint8Array>, limit),
      child.exited,
    ]);
    await statusDone;
    return { argv: [...argv], exitCode, stdout, stderr, durationMs: performance.now() - started, timedOut };
  } finally {
    clearTimeout(timer);
    if (killTimer !== undefined) clearTimeout(killTimer);
  }
}

async function readBounded(
  stream: ReadableStream<Uint8Array>,
  limit: number,
  onLine?: (line: string) => void,
): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  let pendingLine = "";
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = decoder.decode(value, { stream: true });
    text += chunk;
    if (text.length > limit * 2) text = text.slice(-limit);
    if (onLine !== undefined) {
      const lines = (pendingLine + chunk).split(/\r?\n|\r/);
      pendingLine = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    }
  }
  const rest = decoder.decode();
  text += rest;
  if (onLine !== undefined && pendingLine + rest !== "") onLine(pendingLine + rest);
  return text.length > limit ? text.slice(-limit) : text;
}

async function readLines(fd: number, onLine: (line: string) => void) {
  let pending = "";
  // Bun.file over the descriptor copes with the pipe being non-blocking (fs streams get EAGAIN).
  const reader = Bun.file(fd).stream().getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pending += decoder.decode(value, { stream: true });
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      onLine(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
    }
  }
  if (pending !== "") onLine(pending);
}

/** Raises the usual error when a child was stopped for running too long: worth retrying later. */
export function assertFinished(result: RunResult, source: ErrorSource, operation: string) {
  if (result.timedOut) {
    throw new AgentError(`did not finish in ${formatDuration(result.durationMs)} and was stopped`, {
      source,
      kind: "timed_out",
      operation,
    });
  }
}

function formatDuration(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}
