import { PlatformError } from "./errors.ts";

export type CommandResult = {
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Set when the process was stopped because it ran past `timeoutMs`. */
  timedOut: boolean;
};

export type RunCommandOptions = {
  /** The child's whole environment: nothing is inherited implicitly. */
  env: Record<string, string | undefined>;
  cwd?: string;
  /** Stop the child (SIGKILL) after this long; the result then has `timedOut`. */
  timeoutMs?: number;
  /** Largest stdout/stderr kept, per stream; the end is kept, since errors come last. */
  maxOutputBytes?: number;
  /** Called with each complete line of stdout as it arrives (progress of a long install). */
  onStdoutLine?: (line: string) => void;
};

/** Runs a program from an argv array, never through a shell, and collects its output and exit code. */
export async function runCommand(
  argv: readonly string[],
  options: RunCommandOptions,
): Promise<CommandResult> {
  const program = argv[0];
  if (program === undefined || program === "") {
    throw new PlatformError("no program given", {
      platform: "process",
      kind: "invalid-input",
      operation: "run",
    });
  }
  const operation = `run ${program}`;
  if (argv.some((argument) => argument.includes("\0"))) {
    throw new PlatformError("an argument contains a NUL character", {
      platform: "process",
      kind: "invalid-input",
      operation,
    });
  }
  const env = Object.fromEntries(
    Object.entries(options.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  let child: Bun.Subprocess<"ignore", "pipe", "pipe">;
  try {
    child = Bun.spawn([...argv], {
      env,
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    throw new PlatformError(`cannot start ${program}: ${(error as Error).message}`, {
      platform: "process",
      kind: "missing",
      operation,
      cause: error,
    });
  }
  let timedOut = false;
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          child.kill("SIGKILL");
        }, options.timeoutMs);
  try {
    const limit = options.maxOutputBytes ?? 8 * 1024 * 1024;
    const [stdout, stderr, exitCode] = await Promise.all([
      readBounded(child.stdout, limit, options.onStdoutLine),
      readBounded(child.stderr, limit),
      child.exited,
    ]);
    return { argv: [...argv], exitCode, stdout, stderr, timedOut };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
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

/** Raises the usual error when a command was stopped for running too long. */
export function assertFinished(
  result: CommandResult,
  platform: PlatformError["platform"],
  operation: string,
) {
  if (result.timedOut) {
    throw new PlatformError("did not finish in time and was stopped", {
      platform,
      kind: "unavailable",
      operation,
    });
  }
}
