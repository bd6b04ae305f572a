import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { CommandId } from "@redflag/contracts";
import { agentTargets, compile } from "../../agent-bun/build.ts";
import { temporaryDirectory } from "../e2e/next-server.ts";
import { waitFor } from "../harness/wait-for.ts";
import { startServerForAgent } from "./agent-process.ts";
import { superviseAgent } from "./supervisor.ts";

// The compiled agent updating itself from the production server: two real builds with different
// injected versions, then a build that passes `--version` but exits at once otherwise. Needs the
// production server (`bun run build`) and the linux-x64 runtime in tools/ (no dist/agents needed).
const oldVersion = "0.9.0-e2e.1";
const newVersion = "0.9.1-e2e.2";
const brokenVersion = "0.9.2-e2e.3";
const target = agentTargets.find((candidate) => candidate.file === "redflag-agent-linux-x64");
const testTimeout = 600_000;

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 60_000);

const sha256 = (path: string) => new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");

describe("agent self-update with the compiled agent", () => {
  test(
    "updates to the server's build and checks in with it; a broken build is rolled back and the command says why; one previous binary",
    async () => {
      if (!target) throw new Error("no linux-x64 target in agent-bun/build.ts");
      const work = temporaryDirectory("redflag-self-update-builds-");
      cleanups.push(work.remove);
      const builds = join(work.path, "builds");
      mkdirSync(builds);
      const entrypoint = resolve(import.meta.dir, "../../agent-bun/src/index.ts");
      const brokenEntrypoint = join(work.path, "broken-agent.ts");
      writeFileSync(
        brokenEntrypoint,
        [
          "declare const REDFLAG_AGENT_VERSION: string;",
          'if (process.argv[2] === "--version") console.log(REDFLAG_AGENT_VERSION);',
          'else { console.error("broken build: exits at once"); process.exit(70); }',
          "",
        ].join("\n"),
      );
      const oldBinary = join(builds, "old");
      const newBinary = join(builds, "new");
      const brokenBinary = join(builds, "broken");
      await compile({ entrypoint, target, outfile: oldBinary, version: oldVersion });
      await compile({ entrypoint, target, outfile: newBinary, version: newVersion });
      await compile({ entrypoint: brokenEntrypoint, target, outfile: brokenBinary, version: brokenVersion });

      // What the server hands out: one binary, its manifest (SHA256SUMS and its signature are the server's).
      const downloads = join(work.path, "downloads");
      mkdirSync(downloads);
      const publish = (binary: string, version: string) => {
        copyFileSync(binary, join(downloads, target.file));
        writeFileSync(
          join(downloads, "manifest.json"),
          JSON.stringify({
            version,
            files: [
              {
                file: target.file,
                os: "linux",
                arch: "x64",
                libc: "glibc",
                sha256: sha256(binary),
                size: readFileSync(binary).length,
              },
            ],
          }),
        );
      };
      publish(newBinary, newVersion);
      const { server, admin, env, configPath } = await startServerForAgent("self-update", cleanups, {
        REDFLAG_AGENTS_DIR: downloads,
      });

      // Installed as a service would install it; no package manager to scan (an empty PATH).
      const installDirectory = join(work.path, "install");
      mkdirSync(installDirectory);
      const installed = join(installDirectory, "redflag-agent");
      copyFileSync(oldBinary, installed);
      const emptyPath = join(work.path, "empty-path");
      mkdirSync(emptyPath);
      const agentEnv = { ...env, PATH: emptyPath, HOME: work.path };
      mkdirSync(join(configPath, ".."), { recursive: true });
      writeFileSync(
        configPath,
        JSON.stringify({ pollJitterSeconds: 0, dnf: { enabled: false }, docker: { enabled: false } }),
      );
      const registration = await admin.registrationTokens.create.mutate({ label: "self-update", seats: 1 });
      const { activeFingerprint } = await admin.signingKeys.current.query();
      const register = Bun.spawnSync({
        cmd: [
          installed,
          "--register",
          "--server",
          server.url,
          "--token",
          registration.token,
          "--fingerprint",
          activeFingerprint,
        ],
        env: agentEnv,
      });
      expect(register.stderr.toString()).toBe("");
      expect(register.exitCode).toBe(0);
      const agentId = /Registered as (agt_\w+)/.exec(register.stdout.toString())?.[1] ?? "";
      expect(agentId).toStartWith("agt_");
      await admin.agents.configure.mutate({ agentId: agentId as `agt_${string}`, pollIntervalSeconds: 5 });

      const service = superviseAgent(installed, agentEnv);
      cleanups.push(() => service.stop());
      await service.waitForOutput(new RegExp(`Agent ${oldVersion.replaceAll(".", "\\.")} started`));
      const agentOf = () => admin.agents.get.query({ agentId: agentId as `agt_${string}` });
      expect((await agentOf()).serverAgentVersion).toBe(newVersion);
      const finished = (commandId: CommandId) =>
        waitFor(
          `command ${commandId} to finish`,
          async () => {
            const command = await admin.commands.get.query({ commandId });
            return ["succeeded", "failed", "timed_out"].includes(command.status) ? command : undefined;
          },
          180_000,
        );

      // 1. The update: the new binary's trial, the restart by the supervisor, its check-in with the new version.
      const update = await admin.agents.requestCommand.mutate({
        agentId: agentId as `agt_${string}`,
        type: "update_agent",
      });
      expect(update.parameters).toMatchObject({ version: newVersion });
      const updated = await finished(update.id);
      expect({ status: updated.status, output: updated.output }).toEqual({
        status: "succeeded",
        output: `Agent updated from ${oldVersion} to ${newVersion}`,
      });
      expect(
        updated.logs.some((log) =>
          log.message?.includes(`The new agent ${newVersion} started and reached the server`),
        ),
      ).toBe(true);
      expect((await agentOf()).agentVersion).toBe(newVersion);
      expect(service.exits()).toEqual([12]);
      expect(readdirSync(installDirectory).sort()).toEqual(["redflag-agent", "redflag-agent.previous"]);
      expect(sha256(installed)).toBe(sha256(newBinary));
      expect(sha256(`${installed}.previous`)).toBe(sha256(oldBinary));
      expect((await agentOf()).serverAgentVersion).toBe(newVersion);

      // 2. A broken build (it answers --version, then exits at once): its trial fails, the running
      // binary stays, the previous one is untouched, and the command says why.
      publish(brokenBinary, brokenVersion);
      const broken = await admin.agents.requestCommand.mutate({
        agentId: agentId as `agt_${string}`,
        type: "update_agent",
      });
      const rolledBack = await finished(broken.id);
      expect(rolledBack.status).toBe("failed");
      expect(rolledBack.exitCode).toBe(70);
      expect(rolledBack.output).toContain(
        `The new agent ${brokenVersion} failed its trial run and agent ${newVersion} was put back`,
      );
      expect(rolledBack.output).toContain("exited with 70");
      expect(rolledBack.output).toContain("broken build: exits at once");
      expect(service.exits()).toEqual([12]);
      expect(readdirSync(installDirectory).sort()).toEqual(["redflag-agent", "redflag-agent.previous"]);
      expect(sha256(installed)).toBe(sha256(newBinary));
      expect(sha256(`${installed}.previous`)).toBe(sha256(oldBinary));
      // Still the new version checking in.
      const checkedInBefore = (await agentOf()).lastCheckInAt?.getTime() ?? 0;
      const after = await waitFor("another check-in", async () => {
        const agent = await agentOf();
        return (agent.lastCheckInAt?.getTime() ?? 0) > checkedInBefore ? agent : undefined;
      });
      expect(after.agentVersion).toBe(newVersion);

      expect(await service.stop()).toBe(0);
      expect(service.exits()).toEqual([12, 0]);
    },
    testTimeout,
  );
});
