import type { CommandTarget, ItemOutcome } from "@redflag/contracts";
import type { ConfigFile } from "../../config/config.ts";
import type { Installer, InstallResult, Progress } from "../package-manager.ts";
import {
  parseWindowsUpdateInstallOutput,
  type WindowsUpdateMode,
  windowsUpdateInstallEnvironment,
  windowsUpdateInstallScript,
  windowsUpdateTargetKey,
} from "./index.ts";
import { runPowerShell, type WindowsUpdateSettings, windowsUpdateSettings } from "./run.ts";

export function createWindowsUpdateInstaller(config: ConfigFile): Installer {
  const settings = windowsUpdateSettings(config);
  return {
    packageType: "windows_update",
    dryRun: async (targets) => {
      const { output, text } = await runScript(settings, "plan", targets);
      return {
        changes: output.updates.map((update) => ({
          action: "install",
          packageName:
            targets.find((target) => windowsUpdateTargetKey(target.packageName) === update.Target)
              ?.packageName ?? update.Target,
          currentVersion: null,
          newVersion: update.Title.slice(0, 200),
        })),
        output: text,
      };
    },
    install: (targets, progress) => apply(settings, "install", targets, progress),
    // Windows can uninstall some updates (IsUninstallable); the script reports the others.
    rollback: (targets, progress) => apply(settings, "uninstall", targets, progress),
  };
}

async function runScript(settings: WindowsUpdateSettings, mode: WindowsUpdateMode, targets: CommandTarget[]) {
  const keys = targets.map((target) => windowsUpdateTargetKey(target.packageName));
  const operation = `Windows Update ${mode}`;
  const result = await runPowerShell(
    settings,
    windowsUpdateInstallScript,
    operation,
    windowsUpdateInstallEnvironment(mode, keys),
  );
  return { output: parseWindowsUpdateInstallOutput(result, operation), text: result.stdout };
}

async function apply(
  settings: WindowsUpdateSettings,
  mode: "install" | "uninstall",
  targets: CommandTarget[],
  progress: Progress,
): Promise<InstallResult> {
  progress(
    5,
    `${mode === "install" ? "Installing" : "Uninstalling"} ${targets.map((target) => target.packageName).join(", ")} through Windows Update`,
    true,
  );
  const { output, text } = await runScript(settings, mode, targets);
  const outcomes: ItemOutcome[] = targets.map((target) => {
    const update = output.updates.find(
      (entry) => entry.Target === windowsUpdateTargetKey(target.packageName),
    );
    if (update === undefined) {
      return {
        updateId: target.updateId,
        status: "failed",
        installedVersion: null,
        message: `Windows Update no longer offers ${target.packageName}`,
      };
    }
    const done = mode === "install" ? update.Installed : !update.Installed;
    if (done && (update.ResultCode === 2 || update.ResultCode === 3)) {
      return {
        updateId: target.updateId,
        status: "installed",
        installedVersion: mode === "install" ? target.availableVersion : (target.currentVersion ?? null),
        message: output.rebootRequired ? "a reboot completes it" : "",
      };
    }
    return {
      updateId: target.updateId,
      status: "failed",
      installedVersion: null,
      message: `${update.Title}: result code ${update.ResultCode}${mode === "uninstall" && !update.Uninstallable ? " (Windows does not allow uninstalling it)" : ""}`,
    };
  });
  progress(
    100,
    `${outcomes.filter((outcome) => outcome.status === "installed").length} of ${outcomes.length} verified${output.rebootRequired ? "; reboot required" : ""}`,
    true,
  );
  return {
    outcomes,
    output: text,
    exitCode: outcomes.every((outcome) => outcome.status === "installed") ? 0 : 1,
  };
}
