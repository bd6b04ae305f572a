import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandTarget } from "@redflag/contracts";
import type { ConfigFile } from "../../../src/config/config.ts";
import { createDockerInstaller } from "../../../src/package-managers/docker/installer.ts";
import { createDockerScanner } from "../../../src/package-managers/docker/scanner.ts";
import { type DockerSettings, dockerSettings } from "../../../src/package-managers/docker/settings.ts";
import { agentConfig, statuses, targetFor } from "../../helpers/agent-config.ts";
import {
  publishElsewhere,
  pushImage,
  type RunningEngine,
  type RunningRegistry,
  startEngine,
  startRegistry,
} from "./real-engine.ts";

// A pre-download on a real dockerd, pulling from a real registry through a pass-through here that
// records each request: the download fetches the new image's blobs and leaves the container and its
// tag as they were; the window's install then fetches no blob again.

let registry: RunningRegistry;
let engine: RunningEngine;
let frontDoor: ReturnType<typeof Bun.serve>;
let config: ConfigFile;
let settings: DockerSettings;
let work = "";
const requests: string[] = [];
const slow = 180_000;

const service = ["/bin/sh", "-c", "trap 'exit 0' TERM; sleep 300 & wait"];
const sleeper = `CMD ${JSON.stringify(service)}`;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "redflag-docker-download-"));
  registry = await startRegistry();
  // The engine pulls from 127.0.0.1 (an insecure registry by default) through this front door.
  frontDoor = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      requests.push(`${request.method} ${url.pathname}`);
      const headers = new Headers(request.headers);
      headers.delete("host");
      const answer = await fetch(`${registry.url}${url.pathname}${url.search}`, {
        method: request.method,
        headers,
        redirect: "manual",
      });
      return new Response(request.method === "HEAD" ? null : answer.body, {
        status: answer.status,
        headers: answer.headers,
      });
    },
  });
  engine = await startEngine();
  config = agentConfig({
    docker: {
      host: engine.host,
      configFile: join(work, "no-docker-config.json"),
      insecureRegistries: [registry.host, `127.0.0.1:${frontDoor.port}`],
      stopTimeoutSeconds: 1,
    },
  });
  settings = { ...dockerSettings(config), settleSeconds: 1 };
}, 120_000);

afterAll(async () => {
  frontDoor?.stop(true);
  try {
    await engine?.stop();
  } finally {
    await registry?.stop();
    if (work !== "") rmSync(work, { recursive: true, force: true });
  }
}, 60_000);

/** Blob fetches of `repository` (layers and configs) the front door has relayed so far. */
const blobGets = (repository: string) =>
  requests.filter((line) => line.startsWith(`GET /v2/${repository}/blobs/`)).length;

describe("Docker pre-download on a real engine", () => {
  test(
    "the new image is pulled by its digest, no container or tag changes; the install then fetches no blob again",
    async () => {
      const pushed = `${registry.host}/predl/app:1`;
      const served = `127.0.0.1:${frontDoor.port}/predl/app`;
      await engine.importImage(pushed, { changes: [sleeper], files: { "/version": "1\n" } });
      const oldDigest = await pushImage(engine, pushed);
      await engine.docker("pull", `${served}:1`);
      await engine.docker("run", "-d", "--name", "app", "--network", "none", `${served}:1`);
      const newDigest = await publishElsewhere(engine, pushed, {
        changes: [sleeper],
        files: { "/version": "2\n" },
      });
      const item = (await createDockerScanner(config).scan()).find(
        (scanned) => scanned.packageName === served,
      );
      expect(item).toMatchObject({ target: "1", currentVersion: oldDigest, availableVersion: newDigest });
      if (item === undefined) throw new Error("the scan did not report the new image");
      const target = targetFor("docker", item);
      const before = await engine.inspect("app");
      const oldImageId = (await engine.inspect(`${served}:1`)).Id;
      expect((await engine.tryDocker(["image", "inspect", `${served}@${newDigest}`])).exitCode).not.toBe(0);
      const blobsBefore = blobGets("predl/app");

      const installer = createDockerInstaller(config, settings);
      const downloaded = await installer.download?.([target]);
      const newImageId = (await engine.inspect(`${served}@${newDigest}`)).Id;
      expect(downloaded).toEqual({
        outcomes: [
          {
            updateId: target.updateId,
            downloaded: true,
            message: `the engine has ${served}@${newDigest} (image ${newImageId})`,
          },
        ],
        output: `pull ${served}@${newDigest}`,
        exitCode: 0,
      });
      // The layer and the config came from the registry; nothing else changed.
      expect(blobGets("predl/app") - blobsBefore).toBe(2);
      expect(newImageId).not.toBe(oldImageId);
      const during = await engine.inspect("app");
      expect([during.Id, during.Image, during.State.StartedAt, during.State.Running]).toEqual([
        before.Id,
        before.Image,
        before.State.StartedAt,
        true,
      ]);
      expect((await engine.inspect(`${served}:1`)).Id).toBe(oldImageId);
      expect(await engine.docker("exec", "app", "cat", "/version")).toBe("1");

      // The window's install: the tag's image is already here, so only manifests are asked for.
      const blobsAfterDownload = blobGets("predl/app");
      const result = await installer.install([target], () => {});
      expect(statuses(result.outcomes)).toEqual([`installed ${newDigest}`]);
      expect(blobGets("predl/app")).toBe(blobsAfterDownload);
      expect((await engine.inspect("app")).Image).toBe(newImageId);
      expect(await engine.docker("exec", "app", "cat", "/version")).toBe("2");
      await engine.docker("rm", "-f", "app");
    },
    slow,
  );

  test(
    "a digest the registry does not have is not downloaded, with the engine's reason",
    async () => {
      const missing: CommandTarget = {
        updateId: "upd_0000000000000000000missing",
        packageType: "docker",
        packageName: `127.0.0.1:${frontDoor.port}/predl/app`,
        target: "1",
        currentVersion: null,
        availableVersion: `sha256:${"0".repeat(64)}`,
      };
      const downloaded = await createDockerInstaller(config, settings).download?.([missing]);
      expect(downloaded?.exitCode).toBe(1);
      expect(downloaded?.outcomes.map((outcome) => outcome.downloaded)).toEqual([false]);
      expect(downloaded?.outcomes[0]?.message).toContain("not found");
    },
    slow,
  );
});
