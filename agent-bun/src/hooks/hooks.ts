import { readdirSync, type Stats, statSync } from "node:fs";
import { join } from "node:path";
import type { CommandTarget, ItemOutcome, PackageType } from "@redflag/contracts";
import type { ConfigFile } from "../config/config.ts";
import { defaultPaths } from "../config/paths.ts";
import { type AgentEnvironment, childEnvironment, currentEnvironment } from "../environment.ts";
import { describeError } from "../errors.ts";
import { runProgram } from "../host/run.ts";

/**
 * Local hooks: programs the host's admin puts in the hooks directory, run around installs and before
 * a reboot. The server cannot name, send or change one: it only ever sees their exit codes and output
 * in a command's result (agent-bun/docs/hooks.md).
 */
export const hookNames = ["pre-install", "post-install", "pre-reboot"] as const;
export type HookName = (typeof hookNames)[number];

export type HookSettings = {
  directory: string;
  timeoutMs: number;
  platform: NodeJS.Platform;
  /** The agent's own user: besides root, the only owner a hook may have (null on Windows). */
  uid: number | null;
};

export function hookSettings(
  config: ConfigFile,
  environment: AgentEnvironment = currentEnvironment(),
): HookSettings {
  return {
    directory: config.hooks.directory ?? defaultPaths(environment).hooksDirectory,
    timeoutMs: config.hooks.timeoutSeconds * 1000,
    platform: environment.platform,
    uid: typeof process.getuid === "function" ? process.getuid() : null,
  };
}

/** What a hook reads as JSON on stdin (and in part from its environment). */
export type HookInput = {
  commandId: string;
  commandType: string;
  packageType: PackageType | null;
  targets: CommandTarget[];
  /** post-install only: how the install or rollback ended. */
  outcome?: { status: "succeeded" | "failed"; exitCode: number | null; items: ItemOutcome[] };
};

export type HookRun = {
  program: string;
  exitCode: number | null;
  timedOut: boolean;
  /** The hook's stdout and stderr, the end kept when long. */
  output: string;
  /** Why the hook was not run (unsafe permissions, not executable, could not start). */
  refused: string | null;
};

export type HooksResult = {
  hook: HookName;
  ok: boolean;
  runs: HookRun[];
  /** The first hook that failed or was refused. */
  failure: HookRun | null;
  /** Lines for the command's output: each hook, how it ended, and its output. */
  report: string;
};

/** A hook's output kept in a command's result; the end, where errors are. */
export const maxHookOutput = 4000;

/** run-parts' rule for names in a directory: editor backups, `.dpkg-old` files and READMEs are not run. */
const runnableName = /^[A-Za-z0-9_-]+$/;
const windowsRunnableName = /^[A-Za-z0-9_-]+\.exe$/i;

type Found = { programs: string[]; refused: HookRun | null };

function refusal(program: string, why: string): HookRun {
  return { program, exitCode: null, timedOut: false, output: "", refused: why };
}

/** Refused unless owned by root or the agent's user and writable by nobody else (Linux, macOS). */
function unsafe(path: string, stats: Stats, settings: HookSettings): string | null {
  if (settings.platform === "win32" || settings.uid === null) return null;
  if (stats.uid !== 0 && stats.uid !== settings.uid) {
    return `${path} is owned by uid ${stats.uid}, not by root or the agent's user: not run`;
  }
  if ((stats.mode & 0o022) !== 0) {
    return `${path} is writable by group or others (mode ${(stats.mode & 0o7777).toString(8).padStart(4, "0")}): not run`;
  }
  return null;
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/**
 * The programs of one hook, in the order they run: the file `<name>` (`<name>.exe` on Windows), or
 * every runnable file of the directory `<name>/` in name order. Every directory on the way and every
 * program must be safe; one that is not refuses the whole hook.
 */
export function findHookPrograms(name: HookName, settings: HookSettings): Found {
  const windows = settings.platform === "win32";
  try {
    const root = statOrNull(settings.directory);
    if (root === null) return { programs: [], refused: null };
    const rootProblem = unsafe(settings.directory, root, settings);
    if (rootProblem) return { programs: [], refused: refusal(settings.directory, rootProblem) };
    const directory = join(settings.directory, name);
    const file = windows ? `${directory}.exe` : directory;
    const stats = statOrNull(directory) ?? (windows ? statOrNull(file) : null);
    if (stats === null) return { programs: [], refused: null };
    const path = stats.isDirectory() ? directory : file;
    const problem = unsafe(path, stats, settings);
    if (problem) return { programs: [], refused: refusal(path, problem) };
    const candidates = stats.isDirectory()
      ? readdirSync(directory)
          .filter((entry) => (windows ? windowsRunnableName : runnableName).test(entry))
          .sort()
          .map((entry) => join(directory, entry))
      : [path];
    const programs: string[] = [];
    for (const candidate of candidates) {
      const candidateStats = statSync(candidate);
      if (stats.isDirectory() && !candidateStats.isFile()) continue;
      if (!candidateStats.isFile())
        return { programs: [], refused: refusal(candidate, `${candidate} is not a file`) };
      const candidateProblem = unsafe(candidate, candidateStats, settings);
      if (candidateProblem) return { programs: [], refused: refusal(candidate, candidateProblem) };
      if (!windows && (candidateStats.mode & 0o100) === 0) {
        return {
          programs: [],
          refused: refusal(candidate, `${candidate} is not executable (chmod 0755 it): not run`),
        };
      }
      programs.push(candidate);
    }
    return { programs, refused: null };
  } catch (error) {
    return {
      programs: [],
      refused: refusal(
        settings.directory,
        `cannot read the hooks in ${settings.directory}: ${describeError(error)}`,
      ),
    };
  }
}

function capped(text: string): string {
  const clean = text.replaceAll("\u0000", "").trim();
  return clean.length > maxHookOutput ? `…${clean.slice(-(maxHookOutput - 1))}` : clean;
}

async function runOne(
  program: string,
  name: HookName,
  input: HookInput,
  settings: HookSettings,
): Promise<HookRun> {
  try {
    const result = await runProgram([program], {
      source: "process",
      env: childEnvironment({
        REDFLAG_HOOK: name,
        REDFLAG_COMMAND_ID: input.commandId,
        REDFLAG_COMMAND_TYPE: input.commandType,
        REDFLAG_PACKAGE_TYPE: input.packageType ?? undefined,
        REDFLAG_PACKAGES: input.targets.map((target) => target.packageName).join(" "),
        REDFLAG_OUTCOME: input.outcome?.status,
      }),
      stdin: `${JSON.stringify({ hook: name, ...input })}\n`,
      timeoutMs: settings.timeoutMs,
      maxOutputBytes: 64 * 1024,
    });
    return {
      program,
      exitCode: result.exitCode,
      timedOut: result.timedOut,
      output: capped(
        [result.stdout, result.stderr]
          .map((text) => text.trimEnd())
          .filter((text) => text !== "")
          .join("\n"),
      ),
      refused: null,
    };
  } catch (error) {
    return refusal(program, `${program} could not be started: ${describeError(error)}`);
  }
}

function succeeded(run: HookRun): boolean {
  return run.refused === null && !run.timedOut && run.exitCode === 0;
}

function describeRun(name: HookName, run: HookRun, settings: HookSettings): string {
  const how =
    run.refused !== null
      ? `refused: ${run.refused}`
      : run.timedOut
        ? `did not finish in ${Math.round(settings.timeoutMs / 1000)} s and was stopped`
        : `exited with ${run.exitCode}`;
  return [`${name} hook ${run.program} ${how}`, ...(run.output ? [run.output] : [])].join("\n");
}

/**
 * Runs one hook's programs in order. A pre- hook stops at the first failure (the caller then does not
 * go ahead); post-install runs them all, since what it follows has happened anyway.
 */
export async function runHooks(
  name: HookName,
  input: HookInput,
  settings: HookSettings,
): Promise<HooksResult> {
  const found = findHookPrograms(name, settings);
  const runs: HookRun[] = found.refused ? [found.refused] : [];
  for (const program of found.programs) {
    const run = await runOne(program, name, input, settings);
    runs.push(run);
    if (!succeeded(run) && name !== "post-install") break;
  }
  const failure = runs.find((run) => !succeeded(run)) ?? null;
  return {
    hook: name,
    ok: failure === null,
    runs,
    failure,
    report: runs.map((run) => describeRun(name, run, settings)).join("\n"),
  };
}

/** One line for `--status`: where the hooks are, and which would run (or be refused, and why). */
export function describeHooks(config: ConfigFile, environment: AgentEnvironment): string {
  const settings = hookSettings(config, environment);
  const found = hookNames.flatMap((name) => {
    const { programs, refused } = findHookPrograms(name, settings);
    if (refused) return [`${name} refused (${refused.refused})`];
    return programs.length === 0 ? [] : [`${name} (${programs.length})`];
  });
  return `${settings.directory}: ${found.length === 0 ? "none" : found.join(", ")}`;
}
