import { AgentError, tailOfOutput } from "../../errors.ts";
import { isRpmArchitecture, isRpmEvr, isRpmPackageName } from "./names.ts";
import { dnfFailure, type ToolOutput } from "./result.ts";

export type TransactionAction = "install" | "upgrade" | "downgrade" | "reinstall" | "remove";

/** One package of a resolved transaction, as `dnf upgrade --assumeno` lists it. */
export type TransactionPackage = {
  action: TransactionAction;
  name: string;
  arch: string;
  evr: string;
  repository: string;
};

/** Section headings of dnf4 ("Upgrading:") and dnf5 ("Upgrading:", "Installing dependencies:"). */
function sectionAction(heading: string): TransactionAction | null | "other" {
  const text = heading.trim().replace(/:$/, "").toLowerCase();
  if (/^upgrading/.test(text)) return "upgrade";
  if (/^downgrading/.test(text)) return "downgrade";
  if (/^reinstalling/.test(text)) return "reinstall";
  if (/^(installing|installed)/.test(text)) return "install";
  if (/^(removing|erasing)/.test(text)) return "remove";
  return "other";
}

/**
 * Reads the transaction table `dnf upgrade|downgrade --assumeno` prints (dnf4 and dnf5). dnf4 exits
 * 1 with "Operation aborted." after the table, dnf5 with "Operation aborted by the user."; "Nothing
 * to do." with exit 0 is an empty plan. Anything else is an error, never an empty plan.
 */
export function parseTransaction(output: ToolOutput, operation: string): TransactionPackage[] {
  const text = `${output.stdout}\n${output.stderr}`;
  const aborted = /Operation aborted/i.test(text);
  const nothing = /^Nothing to do\.?$/im.test(text);
  if (!(aborted || (output.exitCode === 0 && nothing))) {
    throw output.exitCode === 0
      ? new AgentError(`neither a transaction nor "Nothing to do": ${tailOfOutput(text) || "no output"}`, {
          source: "dnf",
          kind: "unrecognized",
          operation,
        })
      : dnfFailure(operation, output);
  }
  const packages: TransactionPackage[] = [];
  let section: TransactionAction | null | "other" = null;
  for (const rawLine of output.stdout.split("\n")) {
    const line = rawLine.replace(/\r$/, "").trimEnd();
    if (line.trim() === "" || /^=+$/.test(line.trim())) continue;
    if (/^\S.*:$/.test(line)) {
      section = sectionAction(line);
      continue;
    }
    if (/^Transaction Summary/i.test(line)) {
      section = null;
      continue;
    }
    if (section === null || section === "other" || !/^\s/.test(line)) continue;
    const tokens = line.trim().split(/\s+/);
    // dnf5 lists what an upgrade replaces below it: "replacing rf-normal noarch 1.0-1 @System 5 KiB".
    if (tokens[0] === "replacing") continue;
    const [name = "", arch = "", evr = "", repository = ""] = tokens;
    if (!isRpmPackageName(name) || !isRpmArchitecture(arch) || !isRpmEvr(evr)) {
      throw new AgentError(`unexpected transaction line ${JSON.stringify(line.slice(0, 200))}`, {
        source: "dnf",
        kind: "unrecognized",
        operation,
      });
    }
    packages.push({ action: section, name, arch, evr, repository });
  }
  if (aborted && packages.length === 0) {
    throw new AgentError(`dnf aborted without a transaction we could read: ${tailOfOutput(text)}`, {
      source: "dnf",
      kind: "unrecognized",
      operation,
    });
  }
  return packages;
}

/** Progress lines of a running transaction: "  Upgrading        : rf-normal-1.1-1.noarch   1/2". */
export function parseTransactionProgress(
  line: string,
): { step: number; total: number; message: string } | null {
  const match = /^\s+(\S[^:]*?)\s*:\s*(\S*)\s+(\d+)\/(\d+)\s*$/.exec(line);
  if (match === null) return null;
  const step = Number(match[3]);
  const total = Number(match[4]);
  if (!(total > 0) || step > total) return null;
  return { step, total, message: `${match[1]} ${match[2]}`.trim() };
}
