import type { ScanItem } from "@redflag/contracts";
import { AgentError, tailOfOutput } from "../../errors.ts";
import { toScanItem } from "../package-manager.ts";
import {
  isExplicitTargetingLine,
  isRuleLine,
  readTable,
  type TableRow,
  upgradeCountOf,
  visibleLines,
} from "./table.ts";

export type WingetOutput = { exitCode: number; stdout: string; stderr: string };

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

/** A winget package id as sources publish it: `Publisher.Package`, store ids like `9NBLGGH4NNS1`. */
export function isWingetId(id: string): boolean {
  return idPattern.test(id) && !id.includes("..");
}

export function assertWingetId(id: string): string {
  if (!isWingetId(id)) {
    throw new AgentError(`${JSON.stringify(id.slice(0, 130))} is not a winget package id`, {
      source: "winget",
      kind: "invalid_input",
      operation: "validate winget id",
    });
  }
  return id;
}

/** `winget upgrade --id ID --exact --silent --accept-package-agreements --accept-source-agreements`. */
export function wingetUpgradeArgv(id: string, program = "winget"): string[] {
  return [
    program,
    "upgrade",
    "--id",
    assertWingetId(id),
    "--exact",
    "--silent",
    "--accept-package-agreements",
    "--accept-source-agreements",
  ];
}

/** `winget upgrade` without a package: the table of available upgrades. */
export function wingetListUpgradesArgv(program = "winget"): string[] {
  return [program, "upgrade", "--accept-source-agreements"];
}

/** `winget list --id ID --exact`: the installed version, to verify an upgrade. */
export function wingetListArgv(id: string, program = "winget"): string[] {
  return [program, "list", "--id", assertWingetId(id), "--exact", "--accept-source-agreements"];
}

export type WingetUpgrade = {
  name: string;
  id: string;
  version: string;
  available: string;
  source: string | null;
  /** winget cut the name short with `…`. */
  nameTruncated: boolean;
  /** Listed under "require explicit targeting": `winget upgrade --all` skips it. */
  requiresExplicitTargeting: boolean;
};

export type WingetUpgradeList = {
  upgrades: WingetUpgrade[];
  /** Rows whose id (or versions) winget truncated: they cannot be acted on by id. */
  unresolved: { row: TableRow; reason: string }[];
};

/** "No installed package found matching input criteria." and the other "nothing" messages, translated. */
const nothingFoundPatterns = [
  /^No installed package found matching input criteria\.?$/i,
  /^No available upgrade found\.?$/i,
  /^No applicable upgrade found\.?$/i,
  /^No newer package versions are available from the configured sources\.?$/i,
  /^Es wurde kein installiertes Paket gefunden, das den Eingabekriterien entspricht\.?$/i,
  /^Kein verfügbares Upgrade gefunden\.?$/i,
  /^Aucun package installé ne correspond aux critères d[’']entrée\.?$/i,
  /^Aucune mise à niveau disponible n'a été trouvée\.?$/i,
  /^Aucune mise à niveau disponible trouvée\.?$/i,
  /^No se encontró ningún paquete instalado que coincida con los criterios de entrada\.?$/i,
];

function isNothingFound(lines: readonly string[]): boolean {
  return lines.some((line) => nothingFoundPatterns.some((pattern) => pattern.test(line.trim())));
}

/** winget's HRESULT-style exit codes, printed as winget's documentation lists them. */
export function wingetExitCodeHex(exitCode: number): string {
  return `0x${(exitCode >>> 0).toString(16).toUpperCase().padStart(8, "0")}`;
}

/** APPINSTALLER_CLI_ERROR_NO_APPLICATIONS_FOUND: `list --id` found nothing. */
export const wingetNoApplicationsFound = 0x8a150014;
/** APPINSTALLER_CLI_ERROR_UPDATE_NOT_APPLICABLE: no applicable upgrade. */
export const wingetUpdateNotApplicable = 0x8a15002b;

function failure(operation: string, output: WingetOutput): AgentError {
  const detail =
    tailOfOutput(visibleLines(output.stdout).join("\n")) || tailOfOutput(output.stderr) || "no output";
  const missing =
    output.exitCode === 127 || /is not recognized as|No such file or directory/.test(output.stderr);
  return new AgentError(
    `${missing ? "winget is not available" : `exited with ${wingetExitCodeHex(output.exitCode)}`}: ${detail}`,
    {
      source: "winget",
      kind: missing ? "missing" : "failed",
      operation,
      retryable: !missing && /source|network|0x8a15000f|InternetOpenUrl|download/i.test(detail),
    },
  );
}

/**
 * Reads `winget upgrade`'s table by the columns its header line sets (in English, German, French…),
 * after skipping spinner and progress garbage. Zero upgrades must be said in words; output with
 * neither a table nor such a message is an error.
 */
export function parseWingetUpgrades(output: WingetOutput): WingetUpgradeList {
  const operation = "winget upgrade";
  const lines = visibleLines(output.stdout);
  if (output.exitCode !== 0 && output.exitCode >>> 0 !== wingetUpdateNotApplicable)
    throw failure(operation, output);
  const upgrades: WingetUpgrade[] = [];
  const unresolved: WingetUpgradeList["unresolved"] = [];
  let explicitTargeting = false;
  let tables = 0;
  let announced: number | null = null;
  let firstTableRows = 0;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? "";
    if (isExplicitTargetingLine(line)) {
      explicitTargeting = true;
      continue;
    }
    const count = upgradeCountOf(line);
    if (count !== null && tables === 1) announced = count;
    if (!isRuleLine(lines[index + 1])) continue;
    const table = readTable(lines, index, operation);
    tables++;
    if (tables === 1) firstTableRows = table.rows.length;
    for (const row of table.rows) {
      const id = row.id ?? "";
      const version = row.version ?? "";
      const available = row.available ?? "";
      const truncated = [id, version, available].some((cell) => cell.endsWith("…"));
      if (truncated) {
        unresolved.push({ row, reason: "winget truncated the id or a version (…)" });
        continue;
      }
      if (!isWingetId(id) || version === "" || available === "") {
        throw new AgentError(
          `row ${JSON.stringify(lines[upgrades.length + index + 2] ?? "")} has no valid id and versions`,
          {
            source: "winget",
            kind: "unrecognized",
            operation,
          },
        );
      }
      upgrades.push({
        name: row.name ?? id,
        id,
        version,
        available,
        source: row.source === undefined || row.source === "" ? null : row.source,
        nameTruncated: (row.name ?? "").endsWith("…"),
        requiresExplicitTargeting: explicitTargeting,
      });
    }
    index = table.endLine - 1;
  }
  if (tables === 0) {
    if (isNothingFound(lines)) return { upgrades: [], unresolved: [] };
    throw new AgentError(
      `no upgrade table and no "nothing found" message: ${JSON.stringify(tailOfOutput(lines.join("\n"), 4, 300))}`,
      {
        source: "winget",
        kind: "unrecognized",
        operation,
      },
    );
  }
  if (announced !== null && announced !== firstTableRows) {
    throw new AgentError(`winget announced ${announced} upgrades but its table has ${firstTableRows} rows`, {
      source: "winget",
      kind: "unrecognized",
      operation,
    });
  }
  return { upgrades, unresolved };
}

export type WingetInstalled = {
  name: string;
  id: string;
  version: string;
  available: string | null;
  source: string | null;
};

/**
 * Reads `winget list --id ID --exact`: the installed package, or null when winget found none
 * (exit 0x8A150014 or the "No installed package found" message).
 */
export function parseWingetList(output: WingetOutput, id: string): WingetInstalled | null {
  const operation = `winget list --id ${id}`;
  const lines = visibleLines(output.stdout);
  if (output.exitCode >>> 0 === wingetNoApplicationsFound) return null;
  if (output.exitCode !== 0) throw failure(operation, output);
  const headerIndex = lines.findIndex((_, index) => isRuleLine(lines[index + 1]));
  if (headerIndex < 0) {
    if (isNothingFound(lines)) return null;
    throw new AgentError('no table and no "nothing found" message', {
      source: "winget",
      kind: "unrecognized",
      operation,
    });
  }
  const table = readTable(lines, headerIndex, operation);
  const row = table.rows.find((candidate) => (candidate.id ?? "").toLowerCase() === id.toLowerCase());
  if (row === undefined) {
    throw new AgentError(`the table does not list ${id} (${table.rows.length} other rows)`, {
      source: "winget",
      kind: "unrecognized",
      operation,
    });
  }
  return {
    name: row.name ?? id,
    id: row.id ?? id,
    version: row.version ?? "",
    available: row.available === undefined || row.available === "" ? null : row.available,
    source: row.source === undefined || row.source === "" ? null : row.source,
  };
}

/** One scan item per upgrade: the id as name (what `--id` takes), versions as winget shows them. */
export function wingetScanItems(list: WingetUpgradeList): ScanItem[] {
  return list.upgrades.map((upgrade) =>
    toScanItem("winget", {
      packageName: upgrade.id,
      target: "",
      currentVersion: upgrade.version === "Unknown" ? null : upgrade.version,
      availableVersion: upgrade.available,
      severity: "unknown",
      security: false,
      cves: [],
      source: upgrade.source,
      sizeBytes: null,
      metadata: {
        name: upgrade.name,
        ...(upgrade.nameTruncated ? { nameTruncated: true } : {}),
        ...(upgrade.requiresExplicitTargeting ? { requiresExplicitTargeting: true } : {}),
      },
    }),
  );
}

const versionPattern = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

/** `winget install --id ID --exact --version V --force --silent …`: back to a version a source still has. */
export function wingetInstallVersionArgv(id: string, version: string, program = "winget"): string[] {
  if (!versionPattern.test(version)) {
    throw new AgentError(`${JSON.stringify(version.slice(0, 70))} is not a winget version`, {
      source: "winget",
      kind: "invalid_input",
      operation: "validate winget version",
    });
  }
  return [
    program,
    "install",
    "--id",
    assertWingetId(id),
    "--exact",
    "--version",
    version,
    "--force",
    "--silent",
    "--accept-package-agreements",
    "--accept-source-agreements",
  ];
}
