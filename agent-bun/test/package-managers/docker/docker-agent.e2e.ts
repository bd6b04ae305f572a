import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { runAgent, startDaemon, startServerForAgent } from "../../../../test/agent/agent-process.ts";
import { waitFor } from "../../../../test/harness/wait-for.ts";
import { AptSandbox } from "../apt/apt-sandbox.ts";
import { publishElsewhere, pushImage, startEngine, startRegistry } from "./real-engine.ts";

/**
 * No mocks: the production server (embedded PGlite), the compiled linux-x64 agent, a real dockerd
 * started here and a real registry on 127.0.0.1. Run after `bun run build` and `bun run build:agents`.
 */
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      console.error(error);
    }
  }
}, 120_000);

const service = 'CMD ["/bin/sh", "-c", "trap \'exit 0\' TERM; sleep 600 & wait"]';

describe("the compiled agent with a real Docker engine against the production server", () => {
  test("the daemon reports a re-pushed image, an admin installs it, the container is recreated on it and the update is installed", async () => {
    const registry = await startRegistry();
    cleanups.push(() => registry.stop());
    const engine = await startEngine();
    cleanups.push(() => engine.stop());
    const image = `${registry.host}/shop/web:1`;
    await engine.importImage(image, { changes: [service], files: { "/version": "1\n" } });
    const oldDigest = await pushImage(engine, image);
    await engine.docker(
      "run",
      "-d",
      "--name",
      "shop-web-1",
      "--network",
      "none",
      "--restart",
      "unless-stopped",
      "-e",
      "SHOP_MODE=production",
      "-v",
      "shop_data:/data",
      "--label",
      "com.docker.compose.project=shop",
      "--label",
      "com.docker.compose.service=web",
      image,
    );
    const before = await engine.inspect("shop-web-1");
    // A new build of the same tag, pushed from elsewhere.
    const newDigest = await publishElsewhere(engine, image, {
      changes: [service],
      files: { "/version": "2\n" },
    });

    // apt is on this Debian host, dnf too: an empty isolated apt and dnf switched off keep them out.
    const apt = new AptSandbox([]);
    cleanups.push(() => apt.remove());
    const { server, admin, data, configPath, env } = await startServerForAgent("docker", cleanups);
    await Bun.write(
      configPath,
      JSON.stringify({
        pollJitterSeconds: 0,
        apt: { configFile: apt.configFile },
        dnf: { enabled: false },
        docker: {
          host: engine.host,
          configFile: join(data.path, "agent", "no-docker-config.json"),
          insecureRegistries: [registry.host],
          stopTimeoutSeconds: 5,
        },
      }),
    );
    const registration = await admin.registrationTokens.create.mutate({ label: "docker e2e", seats: 1 });
    const registered = await runAgent(
      ["--register", "--server", server.url, "--token", registration.token],
      env,
    );
    expect(registered.exitCode).toBe(0);
    const agentId = /Registered as (agt_\w+)/.exec(registered.stdout)?.[1] ?? "";

    const scan = await runAgent(["--scan", "--export", "json"], env);
    expect(scan.stderr).toBe("");
    expect(scan.exitCode).toBe(0);
    const scanned = JSON.parse(scan.stdout) as {
      scanners: { packageType: string; status: string }[];
      updates: unknown[];
    };
    expect(scanned.scanners.find((scanner) => scanner.packageType === "docker")?.status).toBe("ok");
    expect(scanned.updates).toEqual([
      expect.objectContaining({
        packageType: "docker",
        packageName: `${registry.host}/shop/web`,
        currentVersion: oldDigest,
        availableVersion: newDigest,
        source: registry.host,
      }),
    ]);

    await admin.agents.configure.mutate({ agentId, rapidModeMinutes: 30 });
    const daemon = startDaemon(env);
    cleanups.push(() => daemon.stop());
    const [update] = await waitFor("the docker update on the server", async () => {
      const list = await admin.updates.list.query({ agentId, packageTypes: ["docker"] });
      return list.items.length === 1 ? list.items : undefined;
    });
    expect(update).toMatchObject({
      packageType: "docker",
      packageName: `${registry.host}/shop/web`,
      target: "1",
      currentVersion: oldDigest,
      availableVersion: newDigest,
      security: false,
    });
    const updateId = update?.id ?? "";

    await admin.updates.approve.mutate({ updateIds: [updateId] });
    const { commandIds } = await admin.updates.install.mutate({ updateIds: [updateId] });
    await waitFor(
      "the docker update installed on the server",
      async () => {
        const list = await admin.updates.list.query({ agentId, packageTypes: ["docker"] });
        return list.items.every((item) => item.status === "installed") ? true : undefined;
      },
      180_000,
    );
    const command = await admin.commands.get.query({ commandId: commandIds[0] ?? "" });
    expect(command.status).toBe("succeeded");
    expect(command.itemOutcomes?.map((outcome) => outcome.installedVersion)).toEqual([newDigest]);

    // The container was recreated on the new image with its configuration.
    const after = await engine.inspect("shop-web-1");
    expect(after.Id).not.toBe(before.Id);
    expect(after.Image).toBe(await engine.docker("image", "inspect", "--format", "{{.Id}}", image));
    expect(after.State.Running).toBe(true);
    expect(after.Config.Env).toEqual(before.Config.Env);
    expect(after.Config.Labels).toEqual(before.Config.Labels);
    expect(after.HostConfig.Binds).toEqual(before.HostConfig.Binds);
    expect(after.HostConfig.RestartPolicy).toEqual(before.HostConfig.RestartPolicy);
    expect(await engine.docker("exec", "shop-web-1", "cat", "/version")).toBe("2");
    expect(await daemon.stop()).toBe(0);
  }, 400_000);
});
