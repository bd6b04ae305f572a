import { AgentError } from "../../errors.ts";
import { isRpmArchitecture, isRpmEvr, isRpmPackageName } from "./names.ts";
import { dnfFailure, isNoiseLine, type ToolOutput } from "./result.ts";

/** One package as `dnf check-update` lists it. */
export type DnfPackageLine = { name: string; arch: string; evr: string; repository: string };

export type AvailableUpdate = DnfPackageLine & {
  /** Installed packages this one replaces (from the "Obsoleting Packages" section). */
  obsoletes: DnfPackageLine[];
};

export type CheckUpdateResult = {
  updates: AvailableUpdate[];
};

const operation = "dnf check-update";

/**
 * Reads `dnf check-update` (dnf4 or dnf5). Exit 100 means updates follow, 0 means none; anything
 * else is an error — never "no updates". Lines dnf wraps (a long name pushes version and repository
 * to the next line) are joined; obsoleting packages are listed with what they replace.
 */
export function parseCheckUpdate(output: ToolOutput): CheckUpdateResult {
  if (output.exitCode !== 0 && output.exitCode !== 100) throw dnfFailure(operation, output);
  const updates: AvailableUpdate[] = [];
  const byKey = new Map<string, AvailableUpdate>();
  let section: "updates" | "obsoletes" = "updates";
  let pending: { tokens: string[]; indented: boolean; lineNumber: number } | null = null;
  let lastObsoleting: AvailableUpdate | null = null;

  const flush = () => {
    if (pending === null) return;
    const { tokens, indented, lineNumber } = pending;
    pending = null;
    const entry = toPackageLine(tokens, lineNumber);
    if (section === "obsoletes" && indented) {
      if (lastObsoleting === null)
        throw unrecognized(lineNumber, "an obsoleted package without its replacement");
      lastObsoleting.obsoletes.push(entry);
      return;
    }
    const key = `${entry.name}.${entry.arch}`;
    const existing = byKey.get(key);
    if (existing !== undefined) {
      lastObsoleting = existing;
      return;
    }
    const update: AvailableUpdate = { ...entry, obsoletes: [] };
    byKey.set(key, update);
    updates.push(update);
    lastObsoleting = update;
  };

  const lines = output.stdout.split("\n");
  for (const [index, rawLine] of lines.entries()) {
    const line = rawLine.replace(/\r$/, "").trimEnd();
    if (isNoiseLine(line)) continue;
    if (/^Obsoleting packages$/i.test(line.trim())) {
      flush();
      section = "obsoletes";
      continue;
    }
    const indented = /^\s/.test(line);
    const tokens = line.trim().split(/\s+/);
    // A continuation of a wrapped line: indented, and the line before had fewer than three fields.
    if (pending !== null && indented && pending.tokens.length < 3) {
      pending.tokens.push(...tokens);
    } else {
      flush();
      pending = { tokens, indented, lineNumber: index + 1 };
    }
    if (pending.tokens.length >= 3) flush();
  }
  if (pending !== null) {
    const { lineNumber } = pending as { lineNumber: number };
    throw unrecognized(lineNumber, "a package line that ends before its version and repository");
  }
  if (output.exitCode === 100 && updates.length === 0) {
    throw new AgentError("exit code 100 says updates are available, but none could be read", {
      source: "dnf",
      kind: "unrecognized",
      operation,
    });
  }
  if (output.exitCode === 0 && updates.length > 0) {
    throw new AgentError("exit code 0 says no updates, yet packages are listed", {
      source: "dnf",
      kind: "unrecognized",
      operation,
    });
  }
  return { updates };
}

function toPackageLine(tokens: string[], lineNumber: number): DnfPackageLine {
  if (tokens.length !== 3) throw unrecognized(lineNumber, `${tokens.length} fields where 3 were expected`);
  const [nameArch = "", evr = "", repository = ""] = tokens;
  const dot = nameArch.lastIndexOf(".");
  const name = nameArch.slice(0, dot);
  const arch = nameArch.slice(dot + 1);
  if (dot <= 0 || !isRpmPackageName(name) || !isRpmArchitecture(arch)) {
    throw unrecognized(lineNumber, `${JSON.stringify(nameArch)} is not name.arch`);
  }
  if (!isRpmEvr(evr)) throw unrecognized(lineNumber, `${JSON.stringify(evr)} is not a version-release`);
  return { name, arch, evr, repository };
}

function unrecognized(lineNumber: number, what: string): AgentError {
  return new AgentError(`line ${lineNumber}: ${what}`, {
    source: "dnf",
    kind: "unrecognized",
    operation,
  });
}
