import type { CommandTarget, ItemOutcome } from "@redflag/contracts";
import type { ConfigFile } from "../../config/config.ts";
import { describeError } from "../../errors.ts";
import type {
  DownloadOutcome,
  DownloadResult,
  Installer,
  InstallPlan,
  InstallResult,
  PlannedChange,
  Progress,
} from "../package-manager.ts";
import {
  configuredImage,
  type EngineClient,
  familiarName,
  type ImageReference,
  parseImageReference,
  repoDigestsOf,
  repositoryName,
} from "./index.ts";
import { recreate } from "./recreate.ts";
import { type DockerSettings, dockerSettings, engineClient, registryAuthFor } from "./settings.ts";

export function createDockerInstaller(
  config: ConfigFile,
  settings: DockerSettings = dockerSettings(config),
): Installer {
  return {
    packageType: "docker",
    dryRun: (targets) => dryRun(settings, targets),
    download: (targets) => downloadImages(settings, targets),
    install: (targets, progress) => run(settings, targets, progress, "install"),
    rollback: (targets, progress) => run(settings, targets, progress, "rollback"),
  };
}

type Wanted = { image: ImageReference; tag: string; digest: string };

/** The image an update moves to (`sha256:…` on the same tag, or `tag@sha256:…`), by the reference grammar. */
function wantedImage(target: CommandTarget): Wanted {
  const version = target.availableVersion;
  const tag = version.startsWith("sha256:") ? target.target : version.slice(0, version.indexOf("@"));
  const digest = version.startsWith("sha256:") ? version : version.slice(version.indexOf("@") + 1);
  const image = parseImageReference(`${target.packageName}:${tag}@${digest}`);
  return { image, tag, digest };
}

/** The image a rollback returns to: the digest that was running before, on the update's own tag. */
function previousImage(target: CommandTarget): Wanted {
  if (target.currentVersion === null) throw new Error("no previous image digest is known");
  const image = parseImageReference(`${target.packageName}:${target.target}@${target.currentVersion}`);
  return { image, tag: target.target, digest: target.currentVersion };
}

/**
 * After an install: the previous image is still on this host, so a rollback can put it back without
 * the registry. Not on the host: unknown (the registry may or may not still have it), so nothing is said.
 */
async function previousImageKept(
  engine: EngineClient,
  target: CommandTarget,
): Promise<{ rollbackAvailable?: boolean }> {
  if (target.currentVersion === null) return { rollbackAvailable: false };
  try {
    const previous = previousImage(target);
    await engine.inspectImage(`${repositoryName(previous.image)}@${previous.digest}`);
    return { rollbackAvailable: true };
  } catch {
    return {};
  }
}

/** Containers created from `repository:tag` (any of the tags given), by the name they were created with. */
async function containersOf(engine: EngineClient, reference: ImageReference, tags: string[]) {
  const repository = repositoryName(reference);
  const users = [];
  for (const container of await engine.listContainers({ all: true })) {
    let used: ImageReference;
    try {
      used = parseImageReference(await configuredImage(engine, container));
    } catch {
      continue;
    }
    if (repositoryName(used) === repository && used.tag !== null && tags.includes(used.tag))
      users.push(container);
  }
  return users;
}

async function dryRun(settings: DockerSettings, targets: CommandTarget[]): Promise<InstallPlan> {
  const engine = engineClient(settings);
  const changes: PlannedChange[] = [];
  for (const target of targets) {
    const wanted = wantedImage(target);
    const users = await containersOf(engine, wanted.image, [target.target]);
    if (users.length === 0) {
      throw new Error(`No container uses ${target.packageName}:${target.target} any more`);
    }
    for (const container of users) {
      changes.push({
        action: "upgrade",
        packageName: `container ${(container.Names[0] ?? container.Id).replace(/^\//, "")}`,
        currentVersion: `${target.target}@${target.currentVersion ?? "?"}`,
        newVersion: `${wanted.tag}@${wanted.digest}`,
      });
    }
  }
  return {
    changes,
    output: changes.map((change) => `recreate ${change.packageName} on ${change.newVersion}`).join("\n"),
  };
}

/**
 * Pulls each update's new image by the digest the update names (`repository@sha256:…`), through the
 * engine with the install's credentials, and touches no tag and no container: the window's install
 * then pulls a tag whose image the engine already has, so no layer is fetched again. A target
 * counts as downloaded when the engine has `repository@digest` afterwards.
 */
async function downloadImages(settings: DockerSettings, targets: CommandTarget[]): Promise<DownloadResult> {
  const engine = engineClient(settings);
  const outcomes: DownloadOutcome[] = [];
  const log: string[] = [];
  for (const target of targets) {
    try {
      const wanted = wantedImage(target);
      const repository = repositoryName(wanted.image);
      const reference = `${repository}@${wanted.digest}`;
      log.push(`pull ${reference}`);
      await engine.pullImage(
        repository,
        wanted.digest,
        undefined,
        registryAuthFor(settings, wanted.image.domain),
      );
      const image = await engine.inspectImage(reference);
      outcomes.push({
        updateId: target.updateId,
        downloaded: true,
        message: `the engine has ${reference} (image ${image.Id})`,
      });
    } catch (error) {
      outcomes.push({ updateId: target.updateId, downloaded: false, message: describeError(error) });
      log.push(`failed: ${describeError(error)}`);
    }
  }
  return {
    outcomes,
    output: log.join("\n"),
    exitCode: outcomes.every((outcome) => outcome.downloaded) ? 0 : 1,
  };
}

async function run(
  settings: DockerSettings,
  targets: CommandTarget[],
  progress: Progress,
  mode: "install" | "rollback",
): Promise<InstallResult> {
  const engine = engineClient(settings);
  const outcomes: ItemOutcome[] = [];
  const log: string[] = [];
  for (const [index, target] of targets.entries()) {
    const step = (fraction: number, message: string, milestone = false) =>
      progress(((index + fraction) / targets.length) * 100, message, milestone);
    try {
      const wanted = mode === "install" ? wantedImage(target) : previousImage(target);
      const repository = repositoryName(wanted.image);
      // A rollback finds the containers on the tag they were moved to.
      const tags =
        mode === "install" ? [target.target] : [...new Set([target.target, wantedImage(target).tag])];
      const users = await containersOf(engine, wanted.image, tags);
      if (users.length === 0) throw new Error(`No container uses ${target.packageName}:${target.target}`);
      step(0.05, `Pulling ${repository}@${wanted.digest}`, true);
      log.push(`pull ${repository}:${mode === "install" ? wanted.tag : wanted.digest}`);
      await engine.pullImage(
        repository,
        mode === "install" ? wanted.tag : wanted.digest,
        (status) => step(0.2, status.slice(0, 200)),
        registryAuthFor(settings, wanted.image.domain),
      );
      if (mode === "rollback") {
        // The previous image gets its tag back, so the container runs `repo:tag` as before.
        await engine.tagImage(`${repository}@${wanted.digest}`, repository, wanted.tag);
        log.push(`tag ${repository}@${wanted.digest} as ${repository}:${wanted.tag}`);
      }
      const pulled = await engine.inspectImage(`${repository}:${wanted.tag}`);
      if (!repoDigestsOf(wanted.image, pulled.RepoDigests ?? []).includes(wanted.digest)) {
        throw new Error(
          `${repository}:${wanted.tag} is now ${(pulled.RepoDigests ?? []).join(", ") || "without a digest"}, not the offered ${wanted.digest}: scan again`,
        );
      }
      // As Docker spells it (`nginx:1.27`), the way a container created by hand names it.
      const imageName = familiarName({ ...wanted.image, tag: wanted.tag, digest: null });
      for (const container of users) {
        const name = (container.Names[0] ?? container.Id).replace(/^\//, "");
        step(0.5, `Recreating ${name} on ${repository}:${wanted.tag}`, true);
        await recreate(engine, settings, container.Id, { name: imageName, id: pulled.Id }, log);
      }
      outcomes.push({
        updateId: target.updateId,
        status: "installed",
        installedVersion: mode === "install" ? target.availableVersion : wanted.digest,
        message: "",
        ...(mode === "install" ? await previousImageKept(engine, target) : {}),
      });
      step(1, `${users.length} container(s) verified on ${repository}:${wanted.tag}`, true);
    } catch (error) {
      outcomes.push({
        updateId: target.updateId,
        status: "failed",
        installedVersion: null,
        message: describeError(error),
      });
      log.push(`failed: ${describeError(error)}`);
    }
  }
  progress(
    100,
    `${outcomes.filter((outcome) => outcome.status === "installed").length} of ${outcomes.length} images verified`,
    true,
  );
  return {
    outcomes,
    output: log.join("\n"),
    exitCode: outcomes.every((outcome) => outcome.status === "installed") ? 0 : 1,
  };
}
