import type { ScanItem, Severity } from "@redflag/contracts";
import type { ConfigFile } from "../../config/config.ts";
import { AgentError } from "../../errors.ts";
import type { Scanner } from "../package-manager.ts";
import {
  isSecurityOrigin,
  isSecuritySuite,
  type Origin,
  parseSimulation,
  parseUpgradableList,
  type SimulatedAction,
} from "./parse.ts";
import { aptRebootStatus } from "./reboot-required.ts";
import { type AptSettings, aptFailure, aptSettings, runApt } from "./run.ts";

export function createAptScanner(config: ConfigFile): Scanner {
  const settings = aptSettings(config);
  return {
    packageType: "apt",
    isAvailable: async () => Bun.which("apt-get") !== null,
    scan: () => scanApt(settings),
    rebootStatus: async () => aptRebootStatus(settings.rebootRequiredFile),
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
  if (update.exitCode !== 0) throw aptFailure(update, "apt-get update");
  const [list, simulation] = await Promise.all([
    runApt(settings, aptScanCommands.list),
    runApt(settings, aptScanCommands.simulate),
  ]);
  if (list.exitCode !== 0) throw aptFailure(list, "apt list --upgradable");
  if (simulation.exitCode !== 0) throw aptFailure(simulation, "apt-get -s dist-upgrade");
  return mergeAptOutputs(list.stdout, simulation.stdout);
}

/**
 * `apt list --upgradable` names every upgradable package and the suites of its candidate;
 * the simulation adds each archive's label (`Debian-Security`) and what dist-upgrade would do.
 */
export function mergeAptOutputs(listOutput: string, simulationOutput: string): ScanItem[] {
  const list = parseUpgradableList(listOutput);
  if (list.problems.length > 0) {
    throw new AgentError(
      `unexpected output: ${list.problems
        .slice(0, 3)
        .map((problem) => `${problem.reason}: ${problem.line}`)
        .join("; ")}`,
      { source: "apt", kind: "unrecognized", operation: "apt list --upgradable" },
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
