import { describe, expect, test } from "bun:test";
import { AgentError } from "../../src/errors.ts";
import { assertFinished, runProgram } from "../../src/host/run.ts";

describe("the one process runner", () => {
  test("a hung child is killed at its timeout and reported as a retryable `timed_out` error", async () => {
    const started = performance.now();
    const result = await runProgram(["sleep", "600"], { source: "apt", env: {}, timeoutMs: 300 });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).not.toBe(0);
    expect(performance.now() - started).toBeLessThan(60_000);
    let error: unknown;
    try {
      assertFinished(result, "apt", "apt-get update");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AgentError);
    expect(error).toMatchObject({ source: "apt", kind: "timed_out", retryable: true });
    expect((error as AgentError).message).toMatch(/^apt-get update: did not finish in 0 s and was stopped$/);
  });

  test("a child that finishes in time is not marked, and its output and exit code come back", async () => {
    const result = await runProgram(["sh", "-c", "echo out; echo err >&2; exit 3"], {
      source: "process",
      env: { PATH: "/usr/bin:/bin" },
      timeoutMs: 60_000,
    });
    expect(result).toMatchObject({ exitCode: 3, stdout: "out\n", stderr: "err\n", timedOut: false });
    expect(() => assertFinished(result, "process", "sh")).not.toThrow();
  });

  test("only the environment passed in reaches the child", async () => {
    const result = await runProgram(["/usr/bin/env"], {
      source: "process",
      env: { ONLY_THIS: "1", UNSET: undefined },
      timeoutMs: 60_000,
    });
    expect(result.stdout.trim().split("\n")).toEqual(["ONLY_THIS=1"]);
  });

  test("output is bounded: the end is kept", async () => {
    const result = await runProgram(["sh", "-c", "seq 1 100000"], {
      source: "process",
      env: { PATH: "/usr/bin:/bin" },
      timeoutMs: 60_000,
      maxOutputBytes: 1000,
    });
    expect(result.stdout.length).toBeLessThanOrEqual(1000);
    expect(result.stdout.endsWith("99999\n100000\n")).toBe(true);
  });

  test("a program that cannot start is a `missing` error; a NUL in an argument is refused", async () => {
    const missing = await runProgram(["/nonexistent/tool"], {
      source: "dnf",
      env: {},
      timeoutMs: 1000,
    }).catch((caught: unknown) => caught);
    expect(missing).toMatchObject({ source: "dnf", kind: "missing", retryable: false });
    const nul = await runProgram(["echo", "a\0b"], { source: "apt", env: {}, timeoutMs: 1000 }).catch(
      (caught: unknown) => caught,
    );
    expect(nul).toMatchObject({ kind: "invalid_input", retryable: false });
  });
});
