import type { CommandTarget, ItemOutcome } from "@redflag/contracts";
import type { ConfigFile } from "../../config/config.ts";
import { describeError } from "../../errors.ts";
import type { Installer, InstallPlan, InstallResult, PlannedChange, Progress } from "../package-manager.ts";
import {
  type ContainerInspect,
  type EngineClient,
  type ImageReference,
  parseImageReference,
  repositoryName,
} from "./index.ts";
import { type DockerSettings, dockerSettings, engineClient } from "./settings.ts";

export function createDockerInstaller(config: ConfigFile): Installer {
  const settings = dockerSettings(config);
  return {
    packageType: "docker",
    dryRun: (targets) => dryRun(settings, targets),
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

/** Containers created from `repository:tag` (any of the tags given). */
async function containersOf(engine: EngineClient, reference: ImageReference, tags: string[]) {
  const repository = repositoryName(reference);
  const containers = await engine.listContainers({ all: true });
  return containers.filter((container) => {
    try {
      const used = parseImageReference(container.Image);
      return repositoryName(used) === repository && used.tag !== null && tags.includes(used.tag);
    } catch {
      return false;
    }
  });
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
      await engine.pullImage(repository, mode === "install" ? wanted.tag : wanted.digest, (status) =>
        step(0.2, status.slice(0, 200)),
      );
      if (mode === "rollback") {
        // The previous image gets its tag back, so the container runs `repo:tag` as before.
        await engine.tagImage(`${repository}@${wanted.digest}`, repository, wanted.tag);
        log.push(`tag ${repository}@${wanted.digest} as ${repository}:${wanted.tag}`);
      }
      const pulled = await engine.inspectImage(`${repository}:${wanted.tag}`);
      if (!(pulled.RepoDigests ?? []).includes(`${repository}@${wanted.digest}`)) {
        throw new Error(
          `${repository}:${wanted.tag} is now ${(pulled.RepoDigests ?? []).join(", ") || "without a digest"}, not the offered ${wanted.digest}: scan again`,
        );
      }
      for (const container of users) {
        const name = (container.Names[0] ?? container.Id).replace(/^\//, "");
        step(0.5, `Recreating ${name} on ${repository}:${wanted.tag}`, true);
        await recreate(engine, settings, container.Id, `${repository}:${wanted.tag}`, pulled.Id, log);
      }
      outcomes.push({
        updateId: target.updateId,
        status: "installed",
        installedVersion: mode === "install" ? target.availableVersion : wanted.digest,
        message: "",
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

/** The create body that gives a new container the old one's configuration on another image. */
export function recreateBody(
  old: ContainerInspect,
  image: string,
): { body: Record<string, unknown>; extraNetworks: [string, unknown][] } {
  const config: Record<string, unknown> = { ...old.Config, Image: image };
  // Docker names a container's host after its short id unless told otherwise: let the new one have its own.
  if (config.Hostname === old.Id.slice(0, 12)) delete config.Hostname;
  const networkMode = old.HostConfig.NetworkMode ?? "default";
  const networks = Object.entries(old.NetworkSettings.Networks ?? {}).map(
    ([name, endpoint]): [string, unknown] => [name, endpointConfig(endpoint, old.Id)],
  );
  const ownNetworks = !/^(host|none|container:)/.test(networkMode);
  const [first, ...rest] = ownNetworks ? networks : [];
  return {
    body: {
      ...config,
      HostConfig: old.HostConfig,
      ...(first === undefined ? {} : { NetworkingConfig: { EndpointsConfig: { [first[0]]: first[1] } } }),
    },
    extraNetworks: rest,
  };
}

/** What a network endpoint was configured with (addresses the engine assigned are left to it). */
function endpointConfig(endpoint: Record<string, unknown>, oldId: string): Record<string, unknown> {
  const aliases = Array.isArray(endpoint.Aliases)
    ? endpoint.Aliases.filter((alias) => alias !== oldId.slice(0, 12))
    : endpoint.Aliases;
  return {
    ...(endpoint.IPAMConfig ? { IPAMConfig: endpoint.IPAMConfig } : {}),
    ...(endpoint.Links ? { Links: endpoint.Links } : {}),
    ...(aliases ? { Aliases: aliases } : {}),
    ...(endpoint.DriverOpts ? { DriverOpts: endpoint.DriverOpts } : {}),
  };
}

/**
 * Replaces a container by one with the same configuration on `image`: stop and rename the old
 * one, create and start the new one, verify it runs on that image, then remove the old one. Any
 * failure puts the old container back as it was (its image was never removed).
 */
async function recreate(
  engine: EngineClient,
  settings: DockerSettings,
  containerId: string,
  image: string,
  imageId: string,
  log: string[],
) {
  const old = await engine.inspectContainer(containerId);
  const name = old.Name.replace(/^\//, "");
  const keptName = `${name}-redflag-previous`;
  const { body, extraNetworks } = recreateBody(old, image);
  const wasRunning = old.State.Running;
  if (wasRunning) await engine.stopContainer(old.Id, settings.stopTimeoutSeconds);
  await engine.renameContainer(old.Id, keptName);
  log.push(`stop ${name}; rename to ${keptName}`);
  let createdId: string | null = null;
  try {
    createdId = await engine.createContainer(name, body);
    for (const [network, endpoint] of extraNetworks)
      await engine.connectNetwork(network, createdId, endpoint);
    await engine.startContainer(createdId);
    log.push(`create ${name} on ${image}; start`);
    const started = await waitUntilSettled(engine, createdId);
    if (!started.State.Running || started.State.Restarting === true) {
      throw new Error(
        `${name} does not stay running on ${image} (exit code ${started.State.ExitCode ?? "?"})`,
      );
    }
    if (started.State.Health?.Status === "unhealthy") throw new Error(`${name} is unhealthy on ${image}`);
    if (started.Image !== imageId) throw new Error(`${name} runs ${started.Image}, not ${imageId}`);
  } catch (error) {
    log.push(`verification failed, restoring ${name} on its previous image: ${describeError(error)}`);
    if (createdId !== null) await engine.removeContainer(createdId).catch(() => {});
    await engine.renameContainer(old.Id, name);
    if (wasRunning) await engine.startContainer(old.Id);
    throw new Error(`${describeError(error)}; ${name} was put back on its previous image`, { cause: error });
  }
  await engine.removeContainer(old.Id);
  log.push(`remove the previous ${name} container (its image stays)`);
}

/** A container with a health check is judged once the check has decided (bounded wait). */
async function waitUntilSettled(engine: EngineClient, id: string): Promise<ContainerInspect> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const state = await engine.inspectContainer(id);
    if (state.State.Health?.Status !== "starting" || Date.now() > deadline) return state;
    await Bun.sleep(1000);
  }
}
