/**
 * The container image's runtime stage, reproduced on this machine without a Docker engine: a root
 * filesystem holding exactly what the Dockerfile's runtime stage COPYs (read from the Dockerfile,
 * with its production-dependencies stage re-run as written: the workspace manifests and a frozen
 * --production install), then the Dockerfile's CMD run there with the image's ENV and WORKDIR as
 * its non-root USER (setpriv), and its HEALTHCHECK command run beside it. On the embedded database
 * in the image's VOLUME, or on REDFLAG_TEST_POSTGRES_URL (scripts/with-postgres.sh).
 * Needs `bun run build` and `bun run build:agents` first (the build stage's outputs).
 */
import { afterAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { dirname, join, posix } from "node:path";
import { type Subprocess, spawn } from "bun";
import {
  copiesOf,
  type DockerStage,
  environmentOf,
  execForm,
  finalStage,
  instructionsOf,
  readDockerfile,
  repositoryRoot,
  stageNamed,
  workingDirectoryOf,
} from "../harness/dockerfile.ts";
import { testEnvironment } from "../harness/environment.ts";
import { collectOutput } from "../harness/process-output.ts";
import { apiClient, rawCall } from "../harness/server.ts";
import { freePort, serverDatabaseEnvironment, temporaryDirectory } from "./next-server.ts";

const postgresUrl = testEnvironment.postgresUrl;
const cleanups: (() => Promise<void> | void)[] = [];
let server: Subprocess | null = null;

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill("SIGKILL");
    await server.exited;
  }
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 30_000);

const dockerfile = readDockerfile();
const runtime = finalStage(dockerfile);

/**
 * A COPY's effect: a directory's contents go into the destination, a file to it (into it when the
 * destination ends in "/"). Files are hard-linked when they can be (the agent binaries are large).
 */
function copyInto(source: string, destination: string, skip: (path: string) => boolean) {
  const stats = lstatSync(source);
  if (stats.isDirectory()) {
    mkdirSync(destination, { recursive: true });
    for (const entry of readdirSync(source)) {
      const path = join(source, entry);
      if (!skip(path)) copyInto(path, join(destination, entry), skip);
    }
    return;
  }
  mkdirSync(dirname(destination), { recursive: true });
  if (stats.isSymbolicLink()) {
    symlinkSync(readlinkSync(source), destination);
    return;
  }
  try {
    linkSync(source, destination);
  } catch {
    copyFileSync(source, destination);
  }
}

function copyDestination(workingDirectory: string, source: string, destination: string): string {
  const target = posix.resolve(workingDirectory, destination);
  return destination.endsWith("/") && !statSync(source).isDirectory()
    ? posix.join(target, posix.basename(source))
    : target;
}

/** `path` inside the image, as a path under `root` on this machine. */
function under(root: string, path: string, inside = "/"): string {
  const rest = posix.relative(inside, path);
  if (rest.startsWith("..")) throw new Error(`${path} is outside ${inside}`);
  return join(root, rest);
}

/**
 * Runs the production-dependencies stage as written into `directory` (its WORKDIR): its COPYs from
 * the build context, and its one RUN, which must be the frozen --production install.
 */
async function reproduceProductionDependencies(stage: DockerStage, directory: string) {
  const workingDirectory = workingDirectoryOf(stage);
  const pinnedBun = (
    JSON.parse(readFileSync(join(repositoryRoot, "tools/package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    }
  ).dependencies.bun;
  expect(Bun.version).toBe(pinnedBun ?? "");
  for (const instruction of stage.instructions) {
    if (instruction.keyword === "WORKDIR") continue;
    if (instruction.keyword === "COPY") {
      const [copy] = copiesOf({ ...stage, instructions: [instruction] });
      if (!copy) throw new Error(`COPY on line ${instruction.line}`);
      if (copy.from !== null) {
        // The pinned Bun itself, outside the stage's WORKDIR: here, the Bun running this test.
        expect(copy.destination.startsWith(workingDirectory)).toBe(false);
        continue;
      }
      for (const source of copy.sources) {
        const from = join(repositoryRoot, source);
        copyInto(
          from,
          under(directory, copyDestination(workingDirectory, from, copy.destination), workingDirectory),
          () => false,
        );
      }
      continue;
    }
    if (
      instruction.keyword === "RUN" &&
      instruction.content === "bun install --frozen-lockfile --production"
    ) {
      const install = Bun.spawnSync([process.execPath, "install", "--frozen-lockfile", "--production"], {
        cwd: directory,
        env: { ...process.env, NO_COLOR: "1" },
        stdout: "pipe",
        stderr: "pipe",
      });
      if (install.exitCode !== 0) {
        throw new Error(`bun install --production failed:\n${install.stdout}${install.stderr}`);
      }
      continue;
    }
    throw new Error(
      `The test does not know how to reproduce ${instruction.keyword} (line ${instruction.line}) of the production-dependencies stage`,
    );
  }
}

/** What the build stage deletes after building (its `rm -rf` paths), which its copies then lack. */
function removedByBuild(stage: DockerStage): string[] {
  const workingDirectory = workingDirectoryOf(stage);
  return instructionsOf(stage, "RUN").flatMap((run) =>
    [...run.content.matchAll(/rm -rf ((?:[^\s&;|]+\s*)+)/g)].flatMap((match) =>
      (match[1] ?? "")
        .trim()
        .split(/\s+/)
        .map((path) => posix.resolve(workingDirectory, path)),
    ),
  );
}

/** The image's filesystem: what the runtime stage COPYs, from the other stages' reproductions. */
async function buildRootFilesystem(root: string, productionDependencies: string) {
  const build = stageNamed(dockerfile, "build");
  const buildDirectory = workingDirectoryOf(build);
  // The build stage's WORKDIR is the checkout (COPY . .), built by `bun run build` and `build:agents`.
  expect(
    copiesOf(build).some(
      (copy) => copy.from === null && copy.sources.join() === "." && copy.destination === ".",
    ),
  ).toBe(true);
  const removed = removedByBuild(build).map((path) => under(repositoryRoot, path, buildDirectory));
  const dependencies = stageNamed(dockerfile, "production-dependencies");
  const stageDirectories: Record<string, { inside: string; here: string }> = {
    build: { inside: buildDirectory, here: repositoryRoot },
    "production-dependencies": { inside: workingDirectoryOf(dependencies), here: productionDependencies },
  };
  for (const copy of copiesOf(runtime)) {
    const stage = copy.from === null ? undefined : stageDirectories[copy.from];
    if (!stage)
      throw new Error(
        `The runtime stage copies from "${copy.from}" (line ${copy.line}), unknown to this test`,
      );
    for (const source of copy.sources) {
      const from = under(stage.here, source, stage.inside);
      if (!existsSync(from)) throw new Error(`${source} (COPY, line ${copy.line}) is missing here: ${from}`);
      const destination = under(root, copyDestination("/", from, copy.destination));
      copyInto(from, destination, (path) => removed.includes(path));
    }
  }
}

/** The runtime stage's instruction of that kind that takes effect (the last one). */
function lastOf(keyword: string) {
  const instruction = instructionsOf(runtime, keyword).at(-1);
  if (!instruction) throw new Error(`The runtime stage has no ${keyword}`);
  return instruction;
}

function userIds(): { uid: number; gid: number } {
  const user = lastOf("USER").content;
  const [uid, gid = uid] = user.split(":");
  if (!/^\d+$/.test(uid ?? "") || !/^\d+$/.test(gid ?? "")) throw new Error(`USER ${user} is not numeric`);
  return { uid: Number(uid), gid: Number(gid) };
}

/** argv run as the image's USER when this test can switch users (as root), else as this user. */
function asImageUser(argv: string[]): string[] {
  if (process.getuid?.() !== 0) return argv;
  const { uid, gid } = userIds();
  return ["setpriv", `--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--", ...argv];
}

async function waitForHealth(url: string, child: Subprocess, output: () => string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The CMD exited with ${child.exitCode}:\n${output()}`);
    const response = await fetch(`${url}/api/health`).catch(() => null);
    if (response?.status === 200) return response;
    if (Date.now() > deadline) throw new Error(`/api/health did not answer 200 within 60 s:\n${output()}`);
    await Bun.sleep(100);
  }
}

describe(`the image's runtime stage on this machine (${postgresUrl ? "Postgres" : "embedded PGlite"})`, () => {
  test("its CMD serves /api/health as the non-root USER from only what the stage copies; its HEALTHCHECK passes, then fails once the server is stopped", async () => {
    if (!existsSync(join(repositoryRoot, "apps/web/.next/BUILD_ID"))) {
      throw new Error("No production build: run `bun run build` first");
    }
    if (!existsSync(join(repositoryRoot, "dist/agents/SHA256SUMS"))) {
      throw new Error("No agent binaries: run `bun run build:agents` first");
    }
    // The Node that runs the CMD here is of the image's major (node:<major>-…).
    const imageNodeMajor = runtime.image.match(/^node:(\d+)/)?.[1];
    const nodeVersion = Bun.spawnSync(["node", "--version"]).stdout.toString().trim();
    expect(nodeVersion.startsWith(`v${imageNodeMajor}.`)).toBe(true);
    const work = temporaryDirectory("redflag-container-");
    cleanups.push(work.remove);
    // The image's user must be able to reach the root filesystem under the temporary directory.
    chmodSync(work.path, 0o755);
    const root = join(work.path, "rootfs");
    const productionDependencies = join(work.path, "production-dependencies");
    await reproduceProductionDependencies(
      stageNamed(dockerfile, "production-dependencies"),
      productionDependencies,
    );
    await buildRootFilesystem(root, productionDependencies);

    // The runtime RUN's effect: the VOLUME exists and belongs to the USER (checked against the RUN
    // line itself in test/container-image.test.ts).
    const volumes = JSON.parse(lastOf("VOLUME").content) as string[];
    const { uid, gid } = userIds();
    for (const volume of volumes) {
      mkdirSync(under(root, volume), { recursive: true });
      if (process.getuid?.() === 0) chownSync(under(root, volume), uid, gid);
    }

    // Only production dependencies: none of the root's development tools is installed.
    const rootManifest = JSON.parse(readFileSync(join(repositoryRoot, "package.json"), "utf8")) as {
      devDependencies: Record<string, string>;
    };
    const installedTools = Object.keys(rootManifest.devDependencies).filter((name) =>
      existsSync(under(root, `/app/node_modules/${name}`)),
    );
    expect(installedTools).toEqual([]);

    // The image's ENV, its VOLUME paths mapped into the root filesystem, on a free port (EXPOSE is
    // the image's; here ports are shared); PATH only to find node, HOME as the image user's.
    const port = await freePort();
    const imageEnvironment = Object.fromEntries(
      Object.entries(environmentOf(runtime)).map(([name, value]) => [
        name,
        volumes.includes(value) ? under(root, value) : value,
      ]),
    );
    const environment: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: "/nonexistent",
      ...imageEnvironment,
      PORT: String(port),
      ...(postgresUrl ? await serverDatabaseEnvironment(postgresUrl, cleanups, "redflag_container_") : {}),
      REDFLAG_ADMIN_USER: "admin",
      REDFLAG_ADMIN_PASSWORD: "container admin password",
    };
    const workingDirectory = under(root, workingDirectoryOf(runtime));
    const command = execForm(lastOf("CMD"));
    const healthcheck = execForm(lastOf("HEALTHCHECK"));

    let output = "";
    const started = Date.now();
    const child = spawn({
      cmd: asImageUser(command),
      cwd: workingDirectory,
      env: environment,
      stdout: "pipe",
      stderr: "pipe",
    });
    server = child;
    collectOutput(child, (text) => {
      output += text;
    });
    const url = `http://127.0.0.1:${port}`;
    const health = await waitForHealth(url, child, () => output);
    console.log(`the image's CMD answered /api/health after ${Date.now() - started} ms`);
    expect(await health.json()).toEqual({ status: "ok" });

    // The server runs as the image's user and keeps its data where the image says.
    const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    if (process.getuid?.() === 0) expect(status).toMatch(new RegExp(`^Uid:\\s+${uid}\\s`, "m"));
    const dataDirectory = imageEnvironment.REDFLAG_DATA_DIR ?? "";
    if (postgresUrl) {
      expect(output).toContain("database: Postgres at");
    } else {
      expect(output).toContain(`database: embedded PGlite in ${dataDirectory}`);
      expect(existsSync(join(dataDirectory, "PG_VERSION"))).toBe(true);
      if (process.getuid?.() === 0) expect(statSync(join(dataDirectory, "PG_VERSION")).uid).toBe(uid);
    }

    // Native and wasm packages load from the production install: Argon2 (login), the database
    // driver and the migrations (health), the agent binaries and install script from the image.
    const login = await rawCall(url, "auth.login", {
      type: "mutation",
      input: { username: "admin", password: "container admin password" },
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get("set-cookie")?.split(";")[0] ?? "";
    const details = await apiClient(url, { cookie }).health.get.query();
    expect(details.database).toMatchObject({ driver: postgresUrl ? "postgres" : "pglite", reachable: true });
    expect(details.migrations?.applied).toBe(details.migrations?.available);
    const sums = await fetch(`${url}/downloads/SHA256SUMS`);
    expect(sums.status).toBe(200);
    expect(await sums.text()).toBe(readFileSync(under(root, "/app/dist/agents/SHA256SUMS"), "utf8"));
    const installScript = await fetch(`${url}/install.sh`);
    expect(installScript.status).toBe(200);
    expect((await installScript.text()).startsWith("#!/bin/sh")).toBe(true);

    // Pages render, with their scripts from the image's .next/static.
    const page = await fetch(`${url}/agents`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    const script = html.match(/<script src="(\/_next\/static\/[^"]+\.js)"/)?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`${url}${script}`)).status).toBe(200);
    // Nothing the image's user may not write was written to.
    expect(output).not.toMatch(/EACCES|EPERM|EROFS|permission denied/i);

    const runHealthcheck = () =>
      Bun.spawnSync(asImageUser(healthcheck), {
        cwd: workingDirectory,
        env: environment,
        stdout: "pipe",
        stderr: "pipe",
      });
    expect(runHealthcheck().exitCode).toBe(0);

    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    expect(output).toContain("the database was closed cleanly");
    expect(runHealthcheck().exitCode).toBe(1);
  });
});
