import { type Severity, severityFromWord } from "@redflag/contracts";
import { AgentError } from "../../errors.ts";
import { type Nevra, parseNevra } from "./names.ts";
import { dnfFailure, isNoiseLine, type ToolOutput } from "./result.ts";

export type AdvisoryType = "security" | "bugfix" | "enhancement" | "newpackage" | "unspecified";

/** One (advisory, package) line of `dnf updateinfo list`. */
export type AdvisoryPackage = {
  advisoryId: string;
  type: AdvisoryType;
  severity: Severity;
  package: Nevra;
};

/** One advisory as `dnf updateinfo info` describes it. */
export type AdvisoryDetails = {
  advisoryId: string;
  title: string;
  type: AdvisoryType;
  severity: Severity;
  cves: string[];
};

const advisoryIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const cvePattern = /\bCVE-\d{4}-\d{4,}\b/g;

function advisoryType(text: string): AdvisoryType | null {
  const lower = text.toLowerCase();
  if (lower === "security" || lower === "sec.") return "security";
  if (lower === "bugfix" || lower === "enhancement" || lower === "newpackage" || lower === "unspecified") {
    return lower;
  }
  return null;
}

/**
 * Reads `dnf updateinfo list [--security]`. dnf4 prints `ID  Important/Sec.  NEVRA` (or `bugfix`,
 * `enhancement`, `newpackage`); dnf5 (`advisory list`) prints a header and
 * `ID  security  Important  NEVRA  date time`. An empty list is fine when dnf exited 0.
 */
export function parseUpdateinfoList(output: ToolOutput): AdvisoryPackage[] {
  const operation = "dnf updateinfo list";
  if (output.exitCode !== 0) throw dnfFailure(operation, output);
  const result: AdvisoryPackage[] = [];
  for (const [index, rawLine] of output.stdout.split("\n").entries()) {
    const line = rawLine.replace(/\r$/, "").trim();
    if (isNoiseLine(line)) continue;
    const tokens = line.split(/\s+/);
    // dnf5's table header.
    if (tokens[0] === "Name" && tokens[1] === "Type" && tokens[2] === "Severity") continue;
    const parsed = parseDnf4ListLine(tokens) ?? parseDnf5ListLine(tokens);
    if (parsed === null) {
      throw new AgentError(`line ${index + 1}: not an advisory line: ${JSON.stringify(line.slice(0, 200))}`, {
        source: "dnf",
        kind: "unrecognized",
        operation,
      });
    }
    result.push(parsed);
  }
  return result;
}

function parseDnf4ListLine(tokens: string[]): AdvisoryPackage | null {
  if (tokens.length !== 3) return null;
  const [advisoryId = "", label = "", nevraText = ""] = tokens;
  const nevra = parseNevra(nevraText);
  if (nevra === null || !advisoryIdPattern.test(advisoryId)) return null;
  const securityLabel = /^(?:(\w+)\/)?Sec\.$/.exec(label);
  if (securityLabel !== null) {
    return { advisoryId, type: "security", severity: severityFromWord(securityLabel[1]), package: nevra };
  }
  const type = advisoryType(label);
  if (type === null) return null;
  return { advisoryId, type, severity: "unknown", package: nevra };
}

function parseDnf5ListLine(tokens: string[]): AdvisoryPackage | null {
  if (tokens.length < 4) return null;
  const [advisoryId = "", typeText = "", severityText = "", nevraText = ""] = tokens;
  const type = advisoryType(typeText);
  const nevra = parseNevra(nevraText);
  if (type === null || nevra === null || !advisoryIdPattern.test(advisoryId)) return null;
  return { advisoryId, type, severity: severityFromWord(severityText), package: nevra };
}

/**
 * Reads `dnf updateinfo info`: dnf4 blocks (`Update ID:`, `Type:`, `Severity:`, `CVEs:` with
 * continuation lines `: CVE-…`) and dnf5 blocks (`Name :`, `Type :`, `Severity :`, references).
 */
export function parseUpdateinfoInfo(output: ToolOutput): AdvisoryDetails[] {
  const operation = "dnf updateinfo info";
  if (output.exitCode !== 0) throw dnfFailure(operation, output);
  const advisories: AdvisoryDetails[] = [];
  let current: AdvisoryDetails | null = null;
  let pendingTitle = "";
  let inReferences = false;
  let lastKey = "";
  const lines = output.stdout.split("\n").map((line) => line.replace(/\r$/, ""));
  const isRule = (line: string | undefined) => line !== undefined && /^=+$/.test(line.trim());
  for (const [index, line] of lines.entries()) {
    const trimmed = line.trim();
    if (isRule(line)) continue;
    if (isRule(lines[index - 1]) && isRule(lines[index + 1])) {
      // dnf4: the title sits between two rules, before its "Update ID".
      pendingTitle = trimmed;
      continue;
    }
    const field = /^\s*([A-Za-z][A-Za-z ]*?)?\s*:\s?(.*)$/.exec(line);
    const ownKey = field?.[1]?.trim() ?? "";
    // dnf4 continues a field on lines that start with ": ".
    const key = field !== null && ownKey === "" ? lastKey : ownKey;
    lastKey = key;
    const value = field?.[2]?.trim() ?? "";
    if (key === "Update ID" || (key === "Name" && !inReferences && /^\S/.test(line))) {
      current = {
        advisoryId: value,
        title: pendingTitle,
        type: "unspecified",
        severity: "unknown",
        cves: [],
      };
      pendingTitle = "";
      inReferences = false;
      advisories.push(current);
      continue;
    }
    if (current === null) continue;
    if (/^References$/.test(key) || /^Collections$/.test(key)) {
      inReferences = key === "References";
      continue;
    }
    if (
      /^\S/.test(line) &&
      key !== "" &&
      key !== "Title" &&
      key !== "Id" &&
      key !== "Type" &&
      key !== "Url"
    ) {
      inReferences = false;
    }
    if (key === "Type" && !inReferences) current.type = advisoryType(value) ?? "unspecified";
    else if (key === "Severity") current.severity = severityFromWord(value);
    else if (key === "Title" && !inReferences && current.title === "") current.title = value;
    for (const cve of trimmed.match(cvePattern) ?? []) {
      if (!current.cves.includes(cve) && (key === "CVEs" || key === "Bugs" || inReferences)) {
        current.cves.push(cve);
      }
    }
  }
  for (const advisory of advisories) {
    if (!advisoryIdPattern.test(advisory.advisoryId)) {
      throw new AgentError(`${JSON.stringify(advisory.advisoryId)} is not an advisory id`, {
        source: "dnf",
        kind: "unrecognized",
        operation,
      });
    }
  }
  return advisories;
}
