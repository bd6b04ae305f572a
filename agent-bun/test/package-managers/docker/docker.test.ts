import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandTarget, ScanItem } from "@redflag/contracts";
import type { ConfigFile } from "../../../src/config/config.ts";
import { AgentError } from "../../../src/errors.ts";
import { EngineClient, parseDockerHost } from "../../../src/package-managers/docker/index.ts";
import { createDockerInstaller } from "../../../src/package-managers/docker/installer.ts";
import { createDockerScanner } from "../../../src/package-managers/docker/scanner.ts";
import { type DockerSettings, dockerSettings } from "../../../src/package-managers/docker/settings.ts";
import { agentConfig, recordProgress, statuses, targetFor } from "../../helpers/agent-config.ts";
import { caughtAsync } from "../fixtures.ts";
import {
  type DockerInspect,
  publishElsewhere,
  pushImage,
  type RunningEngine,
  type RunningRegistry,
  startEngine,
  startRegistry,
} from "./real-engine.ts";

// A real dockerd (own data root and socket, vfs, no iptables) and a real registry on 127.0.0.1;
// images are the static busybox imported with `docker import`. The registry is also the engine's
// Docker Hub mirror, and the agent's requests to Docker Hub are sent to it, so `busybox:1` is a
// Docker Hub image as far as both can tell.

let registry: RunningRegistry;
let engine: RunningEngine;
let config: ConfigFile;
let settings: DockerSettings;
let work = "";
const realFetch = globalThis.fetch;
// Generous: on a timeout bun kills every process the file started, the engine and registry too.
const slow = 180_000;

/** A service that stops at once on SIGTERM (a bare `sleep` as PID 1 ignores it). */
const service = ["/bin/sh", "-c", "trap 'exit 0' TERM; sleep 300 & wait"];
const sleeper = `CMD ${JSON.stringify(service)}`;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "redflag-docker-"));
  registry = await startRegistry();
  engine = await startEngine({ registryMirror: registry.url });
  const hub = "https://registry-1.docker.io/";
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    return realFetch(url.startsWith(hub) ? `${registry.url}/${url.slice(hub.length)}` : input, init);
  }) as typeof fetch;
  config = agentConfig({
    docker: {
      host: engine.host,
      configFile: join(work, "no-docker-config.json"),
      insecureRegistries: [registry.host],
      stopTimeoutSeconds: 1,
    },
  });
  // A short window keeps the tests quick (the agent's own is longer); the crash test has its own.
  settings = { ...dockerSettings(config), settleSeconds: 1 };
}, 120_000);

afterAll(async () => {
  globalThis.fetch = realFetch;
  try {
    await engine?.stop();
  } finally {
    await registry?.stop();
    if (work !== "") rmSync(work, { recursive: true, force: true });
  }
}, 60_000);

const scanner = () => createDockerScanner(config);
const installer = () => createDockerInstaller(config, settings);

async function scanFor(packageName: string): Promise<ScanItem | undefined> {
  return (await scanner().scan()).find((item) => item.packageName === packageName);
}

async function mustScanFor(packageName: string): Promise<ScanItem> {
  const item = await scanFor(packageName);
  if (item === undefined) throw new Error(`the scan did not report ${packageName}`);
  return item;
}

/** Imports, pushes and returns the digest of `repository:tag` on the test registry. */
async function publish(name: string, options: Parameters<RunningEngine["importImage"]>[1] = {}) {
  const reference = `${registry.host}/${name}`;
  await engine.importImage(reference, { changes: [sleeper], ...options });
  return pushImage(engine, reference);
}

async function imageId(reference: string): Promise<string> {
  return engine.docker("image", "inspect", "--format", "{{.Id}}", reference);
}

function containerNames(all: string): string[] {
  return all.split("\n").filter((line) => line !== "");
}

describe("the Docker scanner on a real engine", () => {
  test(
    "a tag re-pushed elsewhere is reported by its manifest digest; local builds and current images are not",
    async () => {
      const oldDigest = await publish("scan/app:1");
      await publish("scan/current:2");
      await engine.importImage("scan/local:dev", { changes: [sleeper] });
      for (const [name, image] of [
        ["scan-app", `${registry.host}/scan/app:1`],
        ["scan-app-2", `${registry.host}/scan/app:1`],
        ["scan-current", `${registry.host}/scan/current:2`],
        ["scan-local", "scan/local:dev"],
      ] as const) {
        await engine.docker("run", "-d", "--name", name, "--network", "none", image);
      }
      // (No scan before the re-push: the agent keeps a tag's digest for five minutes.)
      const newDigest = await publishElsewhere(engine, `${registry.host}/scan/app:1`, {
        changes: [sleeper],
        files: { "/version": "2\n" },
      });
      const items = (await scanner().scan()).filter((item) => item.packageName.includes("/scan/"));
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({
        packageName: `${registry.host}/scan/app`,
        target: "1",
        currentVersion: oldDigest,
        availableVersion: newDigest,
        source: registry.host,
        metadata: { reference: `${registry.host}/scan/app:1` },
      });
      expect((items[0]?.metadata as { containers: string[] } | undefined)?.containers.sort()).toEqual([
        "scan-app",
        "scan-app-2",
      ]);
      // The image id is the config's digest: never what a registry reports for a tag.
      expect(await imageId(`${registry.host}/scan/app:1`)).not.toBe(oldDigest);
      await engine.docker("rm", "-f", "scan-app", "scan-app-2", "scan-current", "scan-local");
    },
    slow,
  );

  test(
    "after a `docker pull` without recreating, the container still runs the old image and is reported",
    async () => {
      const oldDigest = await publish("pulled/app:1");
      await engine.docker(
        "run",
        "-d",
        "--name",
        "pulled",
        "--network",
        "none",
        `${registry.host}/pulled/app:1`,
      );
      const newDigest = await publishElsewhere(engine, `${registry.host}/pulled/app:1`, {
        changes: [sleeper],
        files: { "/version": "2\n" },
      });
      await engine.docker("pull", `${registry.host}/pulled/app:1`);
      // The engine now lists the container by its image id: the tag has moved on.
      expect(
        await engine.docker("ps", "--no-trunc", "--filter", "name=^pulled$", "--format", "{{.Image}}"),
      ).toStartWith("sha256:");
      const item = await mustScanFor(`${registry.host}/pulled/app`);
      expect(item).toMatchObject({ target: "1", currentVersion: oldDigest, availableVersion: newDigest });
      const result = await installer().install([targetFor("docker", item)], () => {});
      expect(statuses(result.outcomes)).toEqual([`installed ${newDigest}`]);
      expect((await engine.inspect("pulled")).Image).toBe(await imageId(`${registry.host}/pulled/app:1`));
      await engine.docker("rm", "-f", "pulled");
    },
    slow,
  );
});

describe("the Docker installer on a real engine", () => {
  let webTarget: CommandTarget;
  let before: DockerInspect;
  let oldImageId = "";
  const repository = () => `${registry.host}/shop/web`;

  test(
    "install pulls the new image and recreates the container with its configuration",
    async () => {
      const oldDigest = await publish("shop/web:1", {
        files: { "/version": "1\n" },
        changes: [sleeper, "ENV APP_VERSION=1", "LABEL org.opencontainers.image.version=1", "VOLUME /cache"],
      });
      oldImageId = await imageId(`${repository()}:1`);
      const bind = join(work, "web-config");
      mkdirSync(bind);
      writeFileSync(join(bind, "app.conf"), "listen=8080\n");
      await engine.docker(
        "run",
        "-d",
        "--name",
        "web",
        "--network",
        "none",
        "--restart",
        "unless-stopped",
        "-e",
        "DATABASE_URL=postgres://db/shop",
        "-v",
        `${bind}:/etc/app:ro`,
        "-v",
        "shop_data:/data",
        "--label",
        "com.docker.compose.project=shop",
        "--label",
        "com.docker.compose.service=web",
        "--label",
        "com.docker.compose.container-number=1",
        "--label",
        "com.docker.compose.config-hash=5b7c0ffee",
        "--label",
        `com.docker.compose.image=${oldImageId}`,
        "--label",
        "com.docker.compose.project.working_dir=/srv/shop",
        `${repository()}:1`,
      );
      await engine.docker("exec", "web", "sh", "-c", "echo kept > /data/state && echo cached > /cache/entry");
      before = await engine.inspect("web");
      const anonymousVolume = before.Mounts.find((mount) => mount.Destination === "/cache")?.Name;
      expect(anonymousVolume).toMatch(/^[0-9a-f]{64}$/);

      const newDigest = await publishElsewhere(engine, `${repository()}:1`, {
        files: { "/version": "2\n" },
        changes: [sleeper, "ENV APP_VERSION=2", "LABEL org.opencontainers.image.version=2", "VOLUME /cache"],
      });
      const item = await mustScanFor(repository());
      expect(item).toMatchObject({ target: "1", currentVersion: oldDigest, availableVersion: newDigest });
      webTarget = targetFor("docker", item);

      const plan = await installer().dryRun([webTarget]);
      expect(plan.changes).toEqual([
        {
          action: "upgrade",
          packageName: "container web",
          currentVersion: `1@${oldDigest}`,
          newVersion: `1@${newDigest}`,
        },
      ]);

      const { progress, reports } = recordProgress();
      const result = await installer().install([webTarget], progress);
      expect(result.output).not.toContain("failed");
      expect(statuses(result.outcomes)).toEqual([`installed ${newDigest}`]);
      // The previous image is still on the host: the install says a rollback can work.
      expect(result.outcomes.map((outcome) => outcome.rollbackAvailable)).toEqual([true]);
      expect(reports.at(-1)).toEqual({ percent: 100, message: "1 of 1 images verified" });

      const after = await engine.inspect("web");
      const newImageId = await imageId(`${repository()}:1`);
      expect(after.Id).not.toBe(before.Id);
      expect(after.Image).toBe(newImageId);
      expect(after.State).toMatchObject({ Running: true, Restarting: false });
      expect(after.Config.Image).toBe(`${repository()}:1`);
      // The new image's own defaults apply; what was set on the container stays.
      expect(after.Config.Env).toContain("DATABASE_URL=postgres://db/shop");
      expect(after.Config.Env).toContain("APP_VERSION=2");
      expect(after.Config.Env).not.toContain("APP_VERSION=1");
      expect(after.Config.Cmd).toEqual(service);
      expect(after.Config.Labels).toEqual({
        ...before.Config.Labels,
        "org.opencontainers.image.version": "2",
        // Compose compares this label with the image id: it names the new image, so `up` leaves it be.
        "com.docker.compose.image": newImageId,
      });
      // The image's anonymous volume is handed over by name, so its content stays.
      expect(after.HostConfig.Binds).toEqual([
        ...(before.HostConfig.Binds ?? []),
        `${anonymousVolume}:/cache`,
      ]);
      expect(after.HostConfig.NetworkMode).toBe("none");
      expect(after.HostConfig.RestartPolicy).toEqual({ Name: "unless-stopped", MaximumRetryCount: 0 });
      expect(
        after.Mounts.map(({ Type, Name, Source, Destination, RW }) => ({
          Type,
          Name,
          Source,
          Destination,
          RW,
        })),
      ).toEqual(
        expect.arrayContaining(
          before.Mounts.map(({ Type, Name, Source, Destination, RW }) => ({
            Type,
            Name,
            Source,
            Destination,
            RW,
          })),
        ),
      );
      expect(after.Mounts).toHaveLength(before.Mounts.length);
      expect(await engine.docker("exec", "web", "cat", "/version", "/data/state", "/cache/entry")).toBe(
        "2\nkept\ncached",
      );
      expect(containerNames(await engine.docker("ps", "-a", "--format", "{{.Names}}"))).not.toContain(
        "web-redflag-previous",
      );
      // The previous image stays for a rollback; the scan has nothing more to offer.
      expect(await imageId(oldImageId)).toBe(oldImageId);
      expect(await scanFor(repository())).toBeUndefined();
    },
    slow,
  );

  test(
    "rollback gives the previous image its tag back and recreates the container on it",
    async () => {
      const result = await installer().rollback([webTarget], () => {});
      expect(statuses(result.outcomes)).toEqual([`installed ${webTarget.currentVersion}`]);
      const after = await engine.inspect("web");
      expect(after.Image).toBe(oldImageId);
      expect(await imageId(`${repository()}:1`)).toBe(oldImageId);
      expect(after.State.Running).toBe(true);
      expect(after.Config.Env).toEqual(before.Config.Env);
      expect(after.Config.Labels).toEqual(before.Config.Labels);
      expect(after.Mounts.map((mount) => mount.Name ?? mount.Source).sort()).toEqual(
        before.Mounts.map((mount) => mount.Name ?? mount.Source).sort(),
      );
      expect(after.HostConfig.RestartPolicy).toEqual(before.HostConfig.RestartPolicy);
      expect(await engine.docker("exec", "web", "cat", "/version", "/data/state")).toBe("1\nkept");
      // Back on the old digest, the scan offers the update again.
      expect(await scanFor(repository())).toMatchObject({ availableVersion: webTarget.availableVersion });
      await engine.docker("rm", "-f", "web");
    },
    slow,
  );

  test(
    "a new image whose command exits at once: the old container is put back and runs",
    async () => {
      await publish("shop/worker:1", { files: { "/version": "1\n" } });
      await engine.docker(
        "run",
        "-d",
        "--name",
        "worker",
        "--network",
        "none",
        "--restart",
        "always",
        "-e",
        "QUEUE=orders",
        `${registry.host}/shop/worker:1`,
      );
      const previous = await engine.inspect("worker");
      // The new build's default command fails straight away (the container kept the image's default).
      await publishElsewhere(engine, `${registry.host}/shop/worker:1`, {
        files: { "/version": "2\n" },
        changes: ['CMD ["/bin/false"]'],
      });
      const item = await mustScanFor(`${registry.host}/shop/worker`);
      const watchful = createDockerInstaller(config, { ...settings, settleSeconds: 3 });
      const result = await watchful.install([targetFor("docker", item)], () => {});
      expect(result.outcomes[0]?.status).toBe("failed");
      expect(result.outcomes[0]?.message).toContain("worker does not stay running");
      expect(result.outcomes[0]?.message).toContain("worker was put back on its previous image");
      const after = await engine.inspect("worker");
      expect(after.Id).toBe(previous.Id);
      expect(after.Name).toBe("/worker");
      expect(after.Image).toBe(previous.Image);
      expect(after.State).toMatchObject({ Running: true, Restarting: false });
      expect(containerNames(await engine.docker("ps", "-a", "--format", "{{.Names}}"))).toEqual(
        expect.not.arrayContaining([expect.stringContaining("worker-")]),
      );
      expect(
        containerNames(await engine.docker("ps", "-a", "--filter", "name=worker", "--format", "{{.ID}}")),
      ).toHaveLength(1);
      // The update is still offered: the container runs the old digest.
      expect(await scanFor(`${registry.host}/shop/worker`)).toMatchObject({
        currentVersion: item.currentVersion,
        availableVersion: item.availableVersion,
      });
      await engine.docker("rm", "-f", "worker");
    },
    slow,
  );

  test(
    "host networking and the container's hostname are kept",
    async () => {
      await publish("shop/agent:1", { files: { "/version": "1\n" } });
      await engine.docker(
        "run",
        "-d",
        "--name",
        "host-agent",
        "--network",
        "host",
        "--restart",
        "on-failure:3",
        `${registry.host}/shop/agent:1`,
      );
      const previous = await engine.inspect("host-agent");
      await publishElsewhere(engine, `${registry.host}/shop/agent:1`, {
        files: { "/version": "2\n" },
        changes: [sleeper],
      });
      const item = await mustScanFor(`${registry.host}/shop/agent`);
      const result = await installer().install([targetFor("docker", item)], () => {});
      expect(statuses(result.outcomes)).toEqual([`installed ${item.availableVersion}`]);
      const after = await engine.inspect("host-agent");
      expect(after.HostConfig.NetworkMode).toBe("host");
      expect(after.Config.Hostname).toBe(previous.Config.Hostname);
      expect(after.HostConfig.RestartPolicy).toEqual({ Name: "on-failure", MaximumRetryCount: 3 });
      expect(await engine.docker("exec", "host-agent", "cat", "/version")).toBe("2");
      await engine.docker("rm", "-f", "host-agent");
    },
    slow,
  );

  test(
    "a compose service on two networks keeps its aliases and fixed address",
    async () => {
      await engine.docker("network", "create", "--subnet", "172.31.250.0/24", "redflag_front");
      await engine.docker("network", "create", "--subnet", "172.31.251.0/24", "redflag_back");
      await publish("shop/api:1", { files: { "/version": "1\n" } });
      await engine.docker(
        "run",
        "-d",
        "--name",
        "shop-api-1",
        "--network",
        "redflag_front",
        "--network-alias",
        "api",
        "--label",
        "com.docker.compose.project=shop",
        "--label",
        "com.docker.compose.service=api",
        `${registry.host}/shop/api:1`,
      );
      await engine.docker(
        "network",
        "connect",
        "--ip",
        "172.31.251.20",
        "--alias",
        "api-internal",
        "redflag_back",
        "shop-api-1",
      );
      await publishElsewhere(engine, `${registry.host}/shop/api:1`, {
        files: { "/version": "2\n" },
        changes: [sleeper],
      });
      const item = await mustScanFor(`${registry.host}/shop/api`);
      const result = await installer().install([targetFor("docker", item)], () => {});
      expect(statuses(result.outcomes)).toEqual([`installed ${item.availableVersion}`]);
      const after = await engine.inspect("shop-api-1");
      expect(after.HostConfig.NetworkMode).toBe("redflag_front");
      const networks = after.NetworkSettings.Networks;
      expect(Object.keys(networks).sort()).toEqual(["redflag_back", "redflag_front"]);
      expect(networks.redflag_front?.Aliases).toContain("api");
      expect(networks.redflag_back?.Aliases).toContain("api-internal");
      expect(networks.redflag_back?.IPAddress).toBe("172.31.251.20");
      expect(after.Config.Hostname).toBe(after.Id.slice(0, 12));
      await engine.docker("rm", "-f", "shop-api-1");
      await engine.docker("network", "rm", "redflag_front", "redflag_back");
    },
    slow,
  );

  test(
    "a newer version tag is offered as tag@digest and the container moves to that tag",
    async () => {
      await publish("shop/cache:1.25", { files: { "/version": "1.25\n" } });
      await engine.docker(
        "run",
        "-d",
        "--name",
        "cache",
        "--network",
        "none",
        `${registry.host}/shop/cache:1.25`,
      );
      await publishElsewhere(engine, `${registry.host}/shop/cache:1.26`, {
        files: { "/version": "1.26\n" },
        changes: [sleeper],
      });
      const newest = await publishElsewhere(engine, `${registry.host}/shop/cache:1.27`, {
        files: { "/version": "1.27\n" },
        changes: [sleeper],
      });
      await publishElsewhere(engine, `${registry.host}/shop/cache:1.27-alpine`, { changes: [sleeper] });
      const item = await mustScanFor(`${registry.host}/shop/cache`);
      expect(item).toMatchObject({
        target: "1.25",
        availableVersion: `1.27@${newest}`,
        metadata: { newerTags: ["1.27", "1.26"], availableTag: "1.27" },
      });
      const result = await installer().install([targetFor("docker", item)], () => {});
      expect(statuses(result.outcomes)).toEqual([`installed 1.27@${newest}`]);
      const after = await engine.inspect("cache");
      expect(after.Config.Image).toBe(`${registry.host}/shop/cache:1.27`);
      expect(await engine.docker("exec", "cache", "cat", "/version")).toBe("1.27");
      await engine.docker("rm", "-f", "cache");
    },
    slow,
  );

  test(
    "a Docker Hub image (RepoDigests in Docker's short form) is found and updated",
    async () => {
      // Published from elsewhere: the engine gets it from its mirror as Docker Hub's `busybox:1`.
      await publishElsewhere(engine, `${registry.host}/library/busybox:1`, {
        files: { "/version": "1\n" },
        changes: [sleeper],
      });
      await engine.docker("pull", "busybox:1");
      expect((await engine.inspect("busybox:1")).RepoDigests).toEqual([
        expect.stringMatching(/^busybox@sha256:/),
      ]);
      await engine.docker("run", "-d", "--name", "hub", "--network", "none", "busybox:1");
      const newDigest = await publishElsewhere(engine, `${registry.host}/library/busybox:1`, {
        files: { "/version": "2\n" },
        changes: [sleeper],
      });
      const item = await mustScanFor("busybox");
      expect(item).toMatchObject({ target: "1", availableVersion: newDigest, source: "docker.io" });
      const result = await installer().install([targetFor("docker", item)], () => {});
      expect(statuses(result.outcomes)).toEqual([`installed ${newDigest}`]);
      const after = await engine.inspect("hub");
      expect(after.Config.Image).toBe("busybox:1");
      expect(await engine.docker("exec", "hub", "cat", "/version")).toBe("2");
      await engine.docker("rm", "-f", "hub");
    },
    slow,
  );

  test(
    "a new image whose command does not exist cannot start: the old container is put back",
    async () => {
      await publish("shop/mailer:1", { files: { "/version": "1\n" } });
      await engine.docker(
        "run",
        "-d",
        "--name",
        "mailer",
        "--network",
        "none",
        `${registry.host}/shop/mailer:1`,
      );
      const previous = await engine.inspect("mailer");
      await publishElsewhere(engine, `${registry.host}/shop/mailer:1`, { changes: ['CMD ["/bin/mailer"]'] });
      const item = await mustScanFor(`${registry.host}/shop/mailer`);
      const result = await installer().install([targetFor("docker", item)], () => {});
      expect(result.outcomes[0]?.status).toBe("failed");
      expect(result.outcomes[0]?.message).toContain("start container");
      expect(result.outcomes[0]?.message).toContain("mailer was put back on its previous image");
      const after = await engine.inspect("mailer");
      expect([after.Id, after.Image, after.State.Running]).toEqual([previous.Id, previous.Image, true]);
      expect(containerNames(await engine.docker("ps", "-aq", "--filter", "name=mailer"))).toHaveLength(1);
      await engine.docker("rm", "-f", "mailer");
    },
    slow,
  );

  test(
    "a pull that breaks half-way (a layer gone from the registry) fails and leaves the container alone",
    async () => {
      await publish("shop/broken:1", { files: { "/version": "1\n" } });
      await engine.docker(
        "run",
        "-d",
        "--name",
        "broken",
        "--network",
        "none",
        `${registry.host}/shop/broken:1`,
      );
      const previous = await engine.inspect("broken");
      const newDigest = await publishElsewhere(engine, `${registry.host}/shop/broken:1`, {
        files: { "/version": "2\n" },
        changes: [sleeper],
      });
      const manifest = (await (
        await realFetch(`${registry.url}/v2/shop/broken/manifests/${newDigest}`, {
          headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
        })
      ).json()) as { layers: { digest: string }[] };
      const layer = manifest.layers[0]?.digest.slice("sha256:".length) ?? "";
      rmSync(join(registry.directory, "data/docker/registry/v2/blobs/sha256", layer.slice(0, 2), layer), {
        recursive: true,
      });
      const item = await mustScanFor(`${registry.host}/shop/broken`);
      const result = await installer().install([targetFor("docker", item)], () => {});
      expect(result.outcomes[0]?.status).toBe("failed");
      expect(result.outcomes[0]?.message).toContain(`pull ${registry.host}/shop/broken:1`);
      const after = await engine.inspect("broken");
      expect([after.Id, after.State.StartedAt, after.State.Running]).toEqual([
        previous.Id,
        previous.State.StartedAt,
        true,
      ]);
      await engine.docker("rm", "-f", "broken");
    },
    slow,
  );

  test(
    "a private registry: the scan and the engine's pull use the credentials of Docker's config.json",
    async () => {
      const password = "deploy s3cret";
      const hash = await Bun.password.hash(password, { algorithm: "bcrypt", cost: 4 });
      const privateRegistry = await startRegistry({ htpasswd: `deploy:${hash}\n` });
      try {
        const login = await engine.tryDocker(
          ["login", "--username", "deploy", "--password-stdin", privateRegistry.host],
          new TextEncoder().encode(password),
        );
        expect(login.exitCode).toBe(0);
        const reference = `${privateRegistry.host}/team/app:1`;
        await engine.importImage(reference, { changes: [sleeper], files: { "/version": "1\n" } });
        await pushImage(engine, reference);
        await engine.docker("run", "-d", "--name", "private-app", "--network", "none", reference);
        const newDigest = await publishElsewhere(engine, reference, {
          files: { "/version": "2\n" },
          changes: [sleeper],
        });
        // The agent reads the Docker CLI's own config.json, where `docker login` put the credentials.
        const privateConfig = agentConfig({
          docker: {
            host: engine.host,
            configFile: join(engine.directory, "cli", "config.json"),
            insecureRegistries: [privateRegistry.host],
            stopTimeoutSeconds: 1,
          },
        });
        const item = (await createDockerScanner(privateConfig).scan()).find(
          (found) => found.packageName === `${privateRegistry.host}/team/app`,
        );
        if (item === undefined) throw new Error("the scan did not report the private image");
        expect(item.availableVersion).toBe(newDigest);
        const result = await createDockerInstaller(privateConfig, {
          ...dockerSettings(privateConfig),
          settleSeconds: 1,
        }).install([targetFor("docker", item)], () => {});
        expect(statuses(result.outcomes)).toEqual([`installed ${newDigest}`]);
        expect(await engine.docker("exec", "private-app", "cat", "/version")).toBe("2");
        await engine.docker("rm", "-f", "private-app");
      } finally {
        await privateRegistry.stop();
      }
    },
    slow,
  );

  test(
    "an update whose name is not an image reference fails before any container is touched",
    async () => {
      await publish("shop/guard:1");
      await engine.docker(
        "run",
        "-d",
        "--name",
        "guard",
        "--network",
        "none",
        `${registry.host}/shop/guard:1`,
      );
      const previous = await engine.inspect("guard");
      const result = await installer().install(
        [
          {
            updateId: "upd_00000000000000000000000000",
            packageType: "docker",
            packageName: `${registry.host}/Shop/Guard`,
            target: "1",
            currentVersion: `sha256:${"a".repeat(64)}`,
            availableVersion: `sha256:${"b".repeat(64)}`,
          },
        ],
        () => {},
      );
      expect(result.outcomes[0]?.message).toContain("is not an image reference");
      const after = await engine.inspect("guard");
      expect([after.Id, after.State.StartedAt]).toEqual([previous.Id, previous.State.StartedAt]);
      await engine.docker("rm", "-f", "guard");
    },
    slow,
  );
});

describe("the engine client on a real engine", () => {
  test(
    "ping, a missing socket, an unknown image and a name that is not one are typed errors",
    async () => {
      const client = new EngineClient({ host: parseDockerHost(engine.host) });
      expect(await client.ping()).toBe(true);
      const absent = new EngineClient({ host: parseDockerHost(`unix://${join(work, "absent.sock")}`) });
      const missing = (await caughtAsync(() => absent.ping())) as AgentError;
      expect(missing).toBeInstanceOf(AgentError);
      expect([missing.kind, missing.retryable]).toEqual(["missing", false]);
      const unknown = (await caughtAsync(() =>
        client.inspectImage(`sha256:${"d".repeat(64)}`),
      )) as AgentError;
      expect(unknown.message).toContain("No such image");
      expect([unknown.kind, unknown.retryable]).toEqual(["failed", false]);
      expect(((await caughtAsync(() => client.inspectImage("../../etc"))) as AgentError).kind).toBe(
        "invalid_input",
      );
      const pull = (await caughtAsync(() => client.pullImage(`${registry.host}/no/such`, "1"))) as AgentError;
      expect(pull.message).toContain("no/such");
    },
    slow,
  );
});
