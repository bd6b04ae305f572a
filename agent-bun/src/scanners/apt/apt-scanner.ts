import { existsSync } from "node:fs";
import type { ScanItem, Severity } from "@redflag/contracts";
import type { ConfigFile } from "../../config/config.ts";
import { tailOf } from "../../host/run.ts";
import type { Scanner } from "../registry.ts";
import { type AptSettings, runApt } from "./apt.ts";
import {
  isSecurityOrigin,
  isSecuritySuite,
  type Origin,
  parseSimulation,
  parseUpgradableList,
  type SimulatedAction,
} from "./parse.ts";

export function aptSettings(config: ConfigFile): AptSettings {
  return { configFile: config.apt.configFile, rebootRequiredFile: config.apt.rebootRequiredFile };
}

export function createAptScanner(config: ConfigFile): Scanner {
  const settings = aptSettings(config);
  return {
    packageType: "apt",
    isAvailable: async () => Bun.which("apt-get") !== null,
    scan: () => scanApt(settings),
    isRebootRequired: async () => existsSync(settings.rebootRequiredFile),
  };
}

/** The commands a scan runs, in order (the benchmark runs the same ones bare). */
export const aptScanCommands = {
  update: ["apt-get", "update", "-q", "-o", "APT::Update::Error-Mode=any"],
  list: ["apt", "list", "--upgradable"],
  simulate: ["apt-get", "-s", "-q", "dist-upgrade"],
};

export async function scanApt(settings: AptSettings): Promise<ScanItem[]> {
  const update = await runApt(settings, aptScanCommands.update);
  if (update.exitCode !== 0) {
    throw new Error(
      `apt-get update failed (exit ${update.exitCode}): ${tailOf(update.stderr || update.stdout)}`,
    );
  }
  const [list, simulation] = await Promise.all([
    runApt(settings, aptScanCommands.list),
    runApt(settings, aptScanCommands.simulate),
  ]);
  if (list.exitCode !== 0) {
    throw new Error(`apt list --upgradable failed (exit ${list.exitCode}): ${tailOf(list.stderr)}`);
  }
  if (simulation.exitCode !== 0) {
    throw new Error(
      `apt-get -s dist-upgrade failed (exit ${simulation.exitCode}): ${tailOf(simulation.stderr)}`,
    );
  }
  return mergeAptOutputs(list.stdout, simulation.stdout);
}

/**
 * `apt list --upgradable` names every upgradable package and the suites of its candidate;
 * the simulation adds each archive's label (`Debian-Security`) and what dist-upgrade would do.
 */
export function mergeAptOutputs(listOutput: string, simulationOutput: string): ScanItem[] {
  const list = parseUpgradableList(listOutput);
  if (list.problems.length > 0) {
    throw new Error(
      `Unexpected apt list output: ${list.problems
        .slice(0, 3)
        .map((problem) => `${problem.reason}: ${problem.line}`)
        .join("; ")}`,
    );
  }
  const simulated = new Map<string, Extract<SimulatedAction, { origins: Origin[] }>>();
  for (const action of parseSimulation(simulationOutput).actions) {
    if (action.action !== "remove") simulated.set(action.packageName, action);
  }
  return list.items.map((line) => {
    const simulation = simulated.get(line.packageName);
    const origins = simulation && simulation.newVersion === line.availableVersion ? simulation.origins : [];
    const security = line.suites.some(isSecuritySuite) || origins.some(isSecurityOrigin);
    const severity: Severity = security ? "important" : "low";
    const source =
      origins.length > 0 ? origins.map(describeOrigin).join(", ") : line.suites.join(",") || null;
    return {
      packageName: line.packageName,
      target: "",
      currentVersion: line.currentVersion,
      availableVersion: line.availableVersion,
      severity,
      security,
      cves: [],
      source: source ? source.slice(0, 256) : null,
      sizeBytes: null,
      metadata: {
        architecture: line.architecture,
        suites: line.suites,
        // Held back: dist-upgrade would not take it as things are (new dependencies, conflicts).
        heldBack: simulation === undefined,
      },
    };
  });
}

function describeOrigin(origin: Origin): string {
  return `${origin.label ? `${origin.label}:` : ""}${origin.release ? `${origin.release}/` : ""}${origin.suite}`;
}
