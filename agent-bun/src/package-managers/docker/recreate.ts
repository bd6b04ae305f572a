import { describeError } from "../../errors.ts";
import type { ContainerInspect, EngineClient, ImageInspect } from "./engine-client.ts";

/** Compose compares this label with the image id to decide whether `up` must recreate a service. */
const composeImageLabel = "com.docker.compose.image";

type Mount = NonNullable<ContainerInspect["Mounts"]>[number];
type HostMount = { Type?: string; Source?: string; Target?: string } & Record<string, unknown>;

function sameValue(left: unknown, right: unknown): boolean {
  return JSON.stringify(left ?? null) === JSON.stringify(right ?? null);
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === "string") : [];
}

/**
 * The container's own settings: its configuration less what it only inherited from its image, so
 * the new image's defaults (Env, Cmd, Entrypoint, labels, working dir, user, health check…) apply,
 * as on `docker run` with the same options.
 */
function ownConfig(config: Record<string, unknown>, image: Record<string, unknown>) {
  const own: Record<string, unknown> = { ...config };
  for (const key of ["WorkingDir", "User", "StopSignal", "Shell", "Healthcheck"]) {
    if (key in own && sameValue(own[key], image[key])) delete own[key];
  }
  if (sameValue(own.Entrypoint, image.Entrypoint)) {
    delete own.Entrypoint;
    if (sameValue(own.Cmd, image.Cmd)) delete own.Cmd;
  }
  delete own.OnBuild;
  const imageEnv = new Set(strings(image.Env));
  if (Array.isArray(own.Env)) own.Env = strings(own.Env).filter((entry) => !imageEnv.has(entry));
  const imageLabels = record(image.Labels);
  if (own.Labels !== null && typeof own.Labels === "object") {
    own.Labels = Object.fromEntries(
      Object.entries(record(own.Labels)).filter(([key, value]) => imageLabels[key] !== value),
    );
  }
  const imageVolumes = record(image.Volumes);
  if (own.Volumes !== null && typeof own.Volumes === "object") {
    own.Volumes = Object.fromEntries(
      Object.entries(record(own.Volumes)).filter(([path]) => !(path in imageVolumes)),
    );
  }
  const imagePorts = record(image.ExposedPorts);
  return { own, imagePorts };
}

/**
 * Volumes the engine made for the old container without a name (the image's VOLUME, `-v /path`,
 * `--mount` without source) are handed to the new one by name: a new container would get empty ones.
 */
function keepAnonymousVolumes(hostConfig: Record<string, unknown>, mounts: Mount[]) {
  const binds = strings(hostConfig.Binds);
  const hostMounts = Array.isArray(hostConfig.Mounts) ? (hostConfig.Mounts as HostMount[]) : [];
  const volumeAt = new Map(
    mounts
      .filter((mount) => mount.Type === "volume" && mount.Name !== undefined)
      .map((mount) => [mount.Destination, mount]),
  );
  const keptMounts = hostMounts.map((mount) => {
    const volume = mount.Target === undefined ? undefined : volumeAt.get(mount.Target);
    return mount.Type === "volume" && !mount.Source && volume?.Name
      ? { ...mount, Source: volume.Name }
      : mount;
  });
  const covered = new Set([
    ...binds.map((bind) => bind.split(":")[1]),
    ...keptMounts.map((mount) => mount.Target),
  ]);
  const anonymous = [...volumeAt.values()]
    .filter((mount) => !covered.has(mount.Destination))
    .map((mount) => `${mount.Name}:${mount.Destination}${mount.RW === false ? ":ro" : ""}`);
  return {
    ...hostConfig,
    ...(binds.length + anonymous.length > 0 || hostConfig.Binds !== undefined
      ? { Binds: [...binds, ...anonymous] }
      : {}),
    ...(hostConfig.Mounts === undefined ? {} : { Mounts: keptMounts }),
  };
}

/**
 * The create body that gives a new container the old one's configuration on another image: its
 * own settings (not those it inherited from the old image), host config, volumes (anonymous ones
 * included) and networks. `oldImage` is the image the old container runs; `newImageId` the new one.
 */
export function recreateBody(
  old: ContainerInspect,
  oldImage: ImageInspect | null,
  image: string,
  newImageId: string,
): { body: Record<string, unknown>; extraNetworks: [string, unknown][] } {
  const networkMode = old.HostConfig.NetworkMode ?? "default";
  const { own, imagePorts } = ownConfig(old.Config, record(oldImage?.Config));
  const config: Record<string, unknown> = { ...own, Image: image };
  // Docker names a container's host after its short id unless told otherwise: let the new one have
  // its own. A container sharing another's network has that one's host name.
  if (config.Hostname === old.Id.slice(0, 12) || networkMode.startsWith("container:")) delete config.Hostname;
  const portBindings = record(old.HostConfig.PortBindings);
  if (config.ExposedPorts !== null && typeof config.ExposedPorts === "object") {
    config.ExposedPorts = Object.fromEntries(
      Object.entries(record(config.ExposedPorts)).filter(
        ([port]) => !(port in imagePorts) || port in portBindings,
      ),
    );
  }
  const labels = record(config.Labels);
  if (composeImageLabel in labels) config.Labels = { ...labels, [composeImageLabel]: newImageId };
  const networks = Object.entries(old.NetworkSettings.Networks ?? {}).map(
    ([name, endpoint]): [string, unknown] => [name, endpointConfig(endpoint, old.Id)],
  );
  const ownNetworks = !/^(host|none|container:)/.test(networkMode);
  // The network named by the mode comes first: the create call takes one network, the others are connected.
  networks.sort(([left], [right]) => Number(right === networkMode) - Number(left === networkMode));
  const [first, ...rest] = ownNetworks ? networks : [];
  return {
    body: {
      ...config,
      HostConfig: keepAnonymousVolumes(old.HostConfig, old.Mounts ?? []),
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

export type RecreateOptions = {
  stopTimeoutSeconds: number;
  /** How long the new container must keep running, without a restart, to count. */
  settleSeconds: number;
};

/**
 * Replaces a container by one with the same configuration on `image`: stop and rename the old
 * one, create and start the new one, verify it keeps running on that image, then remove the old
 * one. Any failure puts the old container back as it was (its image was never removed). A
 * container that was not running is recreated without being started.
 */
export async function recreate(
  engine: EngineClient,
  options: RecreateOptions,
  containerId: string,
  image: { name: string; id: string },
  log: string[],
): Promise<void> {
  const old = await engine.inspectContainer(containerId);
  const oldImage = await engine.inspectImage(old.Image);
  const name = old.Name.replace(/^\//, "");
  const keptName = `${name}-redflag-previous`;
  const { body, extraNetworks } = recreateBody(old, oldImage, image.name, image.id);
  const wasRunning = old.State.Running;
  if (wasRunning) await engine.stopContainer(old.Id, options.stopTimeoutSeconds);
  await engine.renameContainer(old.Id, keptName);
  log.push(`stop ${name}; rename to ${keptName}`);
  let createdId: string | null = null;
  try {
    createdId = await engine.createContainer(name, body);
    for (const [network, endpoint] of extraNetworks)
      await engine.connectNetwork(network, createdId, endpoint);
    if (wasRunning) {
      await engine.startContainer(createdId);
      log.push(`create ${name} on ${image.name}; start`);
    } else {
      log.push(`create ${name} on ${image.name} (not started: the previous one was not running)`);
    }
    const created = wasRunning
      ? await waitUntilSettled(engine, createdId, options.settleSeconds * 1000)
      : await engine.inspectContainer(createdId);
    if (wasRunning) assertRunning(created, name, image.name);
    if (created.Image !== image.id) throw new Error(`${name} runs ${created.Image}, not ${image.id}`);
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

function assertRunning(state: ContainerInspect, name: string, image: string): void {
  const restarts = state.RestartCount ?? 0;
  if (!state.State.Running || state.State.Restarting === true || restarts > 0) {
    throw new Error(
      `${name} does not stay running on ${image} (exit code ${state.State.ExitCode ?? "?"}${
        restarts > 0 ? `, restarted ${restarts} times` : ""
      })`,
    );
  }
  if (state.State.Health?.Status === "unhealthy") throw new Error(`${name} is unhealthy on ${image}`);
  if (state.State.Health?.Status === "starting") {
    throw new Error(`${name} is still starting on ${image} after its health check's time`);
  }
}

/**
 * Watches a started container for `settleMs`: it fails as soon as it stops or restarts; one with a
 * health check is judged once the check has decided (bounded wait).
 */
async function waitUntilSettled(
  engine: EngineClient,
  id: string,
  settleMs: number,
): Promise<ContainerInspect> {
  const started = Date.now();
  const healthDeadline = started + 120_000;
  for (;;) {
    const state = await engine.inspectContainer(id);
    const health = state.State.Health?.Status;
    const failed =
      !state.State.Running ||
      state.State.Restarting === true ||
      (state.RestartCount ?? 0) > 0 ||
      health === "unhealthy";
    if (failed) return state;
    const now = Date.now();
    if ((now - started >= settleMs && health !== "starting") || now > healthDeadline) return state;
    await Bun.sleep(250);
  }
}
