export type RunResult = {
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
};

export type RunOptions = {
  env: Record<string, string>;
  /** Called with each line a child writes to file descriptor 3 (apt's APT::Status-Fd=3). */
  onStatusLine?: (line: string) => void;
  /** Largest stdout/stderr kept in memory, per stream; the end is kept. */
  maxOutputBytes?: number;
};

/** Runs a program with an argv array, never through a shell, and collects its output. */
export async function runProgram(argv: string[], options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const withStatus = options.onStatusLine !== undefined;
  let child: ReturnType<typeof Bun.spawn>;
  try {
    child = Bun.spawn(argv, {
      env: options.env,
      stdio: withStatus ? ["ignore", "pipe", "pipe", "pipe"] : ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    throw new Error(`Cannot run ${argv[0]}: ${(error as Error).message}`, { cause: error });
  }
  const limit = options.maxOutputBytes ?? 4 * 1024 * 1024;
  const statusDone =
    withStatus && typeof child.stdio[3] === "number"
      ? readLines(child.stdio[3], options.onStatusLine ?? (() => {}))
      : Promise.resolve();
  const [stdout, stderr, exitCode] = await Promise.all([
    readBounded(child.stdout as ReadableStream<Uint8Array>, limit),
    readBounded(child.stderr as ReadableStream<Uint8Array>, limit),
    child.exited,
  ]);
  await statusDone;
  return { argv, exitCode, stdout, stderr, durationMs: performance.now() - started };
}

async function readBounded(stream: ReadableStream<Uint8Array>, limit: number): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (text.length > limit * 2) text = text.slice(-limit);
  }
  text += decoder.decode();
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

/** The last lines of a program's error output, for a message a person reads. */
export function tailOf(text: string, lines = 12): string {
  return text.trim().split("\n").slice(-lines).join("\n");
}
