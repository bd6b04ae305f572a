import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { waitFor } from "../../../../test/harness/wait-for.ts";

// A real Docker engine (Debian's dockerd, started here on its own data root, exec root and socket)
// and a real registry (Debian's docker-registry) on 127.0.0.1, with images made from the static
// busybox by `docker import`: no internet, nothing of the machine's own Docker touched.

const environment = { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", HOME: tmpdir() };

/** A port nobody listens on right now. */
export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

/** Stops a child by its pid: SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
async function stopChild(child: Subprocess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const exited = await Promise.race([
    child.exited.then(() => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), graceMs)),
  ]);
  if (!exited) {
    child.kill("SIGKILL");
    await child.exited;
  }
}

export type RunningRegistry = {
  url: string;
  /** `127.0.0.1:PORT`, as image names spell it. */
  host: string;
  port: number;
  directory: string;
  stop: () => Promise<void>;
};

/** Starts `docker-registry serve` on 127.0.0.1 with storage in a temp dir; waits until /v2/ answers. */
export async function startRegistry(options: { htpasswd?: string } = {}): Promise<RunningRegistry> {
  requireProgram("docker-registry", "docker-registry");
  const directory = mkdtempSync(join(tmpdir(), "redflag-registry-"));
  const port = freePort();
  const auth =
    options.htpasswd === undefined
      ? ""
      : `auth:\n  htpasswd:\n    realm: redflag-test\n    path: ${join(directory, "htpasswd")}\n`;
  if (options.htpasswd !== undefined) writeFileSync(join(directory, "htpasswd"), options.htpasswd);
  writeFileSync(
    join(directory, "config.yml"),
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(directory, "data")}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`,
  );
  const child: Subprocess = Bun.spawn(["docker-registry", "serve", join(directory, "config.yml")], {
    env: environment,
    stdio: ["ignore", "ignore", "ignore"],
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(child, 10_000);
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    await waitFor("docker-registry to answer on /v2/", async () => {
      if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}`);
      const response = await fetch(`${url}/v2/`).catch(() => null);
      await response?.body?.cancel();
      // 200 without auth, 401 with htpasswd: either way it answers.
      return response !== null && (response.status === 200 || response.status === 401);
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, host: `127.0.0.1:${port}`, port, directory, stop };
}

export type CommandResult = { exitCode: number; stdout: string; stderr: string };

export type RunningEngine = {
  /** `unix:///…/docker.sock`, for DOCKER_HOST and the agent's `docker.host`. */
  host: string;
  socketPath: string;
  directory: string;
  /** Runs the docker CLI against this engine; fails with its output unless it exits 0. */
  docker: (...args: string[]) => Promise<string>;
  /** Runs the docker CLI and returns its exit code and output, whatever they are. */
  tryDocker: (args: string[], stdin?: Uint8Array) => Promise<CommandResult>;
  /** `docker inspect` of one container or image, parsed. */
  inspect: (name: string) => Promise<DockerInspect>;
  /** Imports a busybox image as `reference` (see `busyboxRoot`); returns its image id. */
  importImage: (reference: string, options?: ImageOptions) => Promise<string>;
  /** The daemon's log so far (for failure messages). */
  log: () => string;
  stop: () => Promise<void>;
};

export type DockerInspect = {
  Id: string;
  Name: string;
  Image: string;
  RestartCount: number;
  State: { Status: string; Running: boolean; Restarting: boolean; ExitCode: number; StartedAt: string };
  Config: {
    Hostname: string;
    Env: string[] | null;
    Cmd: string[] | null;
    Entrypoint: string[] | null;
    Image: string;
    WorkingDir: string;
    User: string;
    Labels: Record<string, string> | null;
    Volumes: Record<string, unknown> | null;
  };
  HostConfig: {
    Binds: string[] | null;
    NetworkMode: string;
    RestartPolicy: { Name: string; MaximumRetryCount: number };
  };
  Mounts: { Type: string; Name?: string; Source: string; Destination: string; RW: boolean }[];
  NetworkSettings: {
    Networks: Record<string, { Aliases: string[] | null; IPAMConfig: unknown; IPAddress: string }>;
  };
  RepoTags?: string[];
  RepoDigests?: string[];
};

export type ImageOptions = {
  /** Files to add, by path inside the image: a different content makes a different image. */
  files?: Record<string, string>;
  /** `docker import --change` lines: `CMD […]`, `ENV K=V`, `LABEL k=v`, `VOLUME /x`, `WORKDIR /x`. */
  changes?: string[];
};

function requireProgram(name: string, debianPackage: string): void {
  const found = Bun.which(name, { PATH: environment.PATH });
  if (found === null) {
    throw new Error(`${name} is not installed: apt-get install ${debianPackage} (.ci/run installs it)`);
  }
}

/**
 * Starts Debian's dockerd as TESTING.md describes: its own data root, exec root, pid file and unix
 * socket, vfs storage, no iptables and no default bridge. Waits until `/_ping` answers. Fails (never
 * skips) when it cannot: the Docker tests need root and the docker.io package.
 */
export async function startEngine(options: { registryMirror?: string } = {}): Promise<RunningEngine> {
  if (process.getuid?.() !== 0) {
    throw new Error(
      "the Docker tests start their own dockerd, which needs root: run them as root (CI does); they are never skipped",
    );
  }
  requireProgram("dockerd", "docker.io");
  requireProgram("docker", "docker.io");
  if (!isStaticExecutable("/bin/busybox")) {
    throw new Error("no static /bin/busybox (the images have no libc): apt-get install busybox-static");
  }
  // Short: the exec root holds unix sockets, whose paths may not exceed 107 bytes.
  const directory = mkdtempSync(join(tmpdir(), "rf-dockerd-"));
  const socketPath = join(directory, "docker.sock");
  const host = `unix://${socketPath}`;
  const logPath = join(directory, "dockerd.log");
  const logFile = openSync(logPath, "a");
  const child: Subprocess = Bun.spawn(
    [
      "dockerd",
      "--data-root",
      join(directory, "root"),
      "--exec-root",
      join(directory, "exec"),
      "--pidfile",
      join(directory, "docker.pid"),
      "-H",
      host,
      "--storage-driver",
      "vfs",
      "--iptables=false",
      "--ip6tables=false",
      "--bridge=none",
      ...(options.registryMirror === undefined ? [] : ["--registry-mirror", options.registryMirror]),
    ],
    { env: environment, stdio: ["ignore", logFile, logFile] },
  );
  const log = () => (existsSync(logPath) ? readFileSync(logPath, "utf8") : "");
  const tryDocker = async (args: string[], stdin?: Uint8Array): Promise<CommandResult> => {
    const process = Bun.spawn(["docker", ...args], {
      env: { ...environment, DOCKER_HOST: host, DOCKER_CONFIG: join(directory, "cli") },
      stdin: stdin === undefined ? "ignore" : stdin,
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, exitCode] = await Promise.all([
      new Response(process.stdout).text(),
      new Response(process.stderr).text(),
      process.exited,
    ]);
    return { exitCode, stdout, stderr };
  };
  const docker = async (...args: string[]) => {
    const result = await tryDocker(args);
    if (result.exitCode !== 0) {
      throw new Error(
        `docker ${args.join(" ")} exited with ${result.exitCode}: ${result.stderr}${result.stdout}`,
      );
    }
    return result.stdout.trim();
  };
  let imports = 0;
  const engine: RunningEngine = {
    host,
    socketPath,
    directory,
    docker,
    tryDocker,
    log,
    inspect: async (name) => {
      const [value] = JSON.parse(await docker("inspect", name)) as DockerInspect[];
      if (value === undefined) throw new Error(`docker inspect ${name} returned nothing`);
      return value;
    },
    importImage: async (reference, imageOptions = {}) => {
      const root = busyboxRoot(join(directory, `image-${++imports}`), imageOptions.files ?? {});
      const tar = Bun.spawnSync(["tar", "-C", root, "-c", "."], { stdout: "pipe", stderr: "pipe" });
      if (tar.exitCode !== 0) throw new Error(`tar failed: ${tar.stderr.toString()}`);
      rmSync(root, { recursive: true, force: true });
      const changes = (imageOptions.changes ?? []).flatMap((change) => ["--change", change]);
      const result = await tryDocker(["import", ...changes, "-", reference], tar.stdout);
      if (result.exitCode !== 0) throw new Error(`docker import ${reference} failed: ${result.stderr}`);
      return result.stdout.trim();
    },
    stop: async () => {
      // User networks are bridges on the host: remove them before the daemon goes.
      if (child.exitCode === null && existsSync(socketPath)) {
        const containers = await tryDocker(["ps", "-aq"]);
        const ids = containers.stdout.split("\n").filter((id) => id !== "");
        if (ids.length > 0) await tryDocker(["rm", "-f", ...ids]);
        await tryDocker(["network", "prune", "-f"]);
      }
      await stopChild(child, 30_000);
      unmountUnder(directory);
      rmSync(directory, { recursive: true, force: true });
    },
  };
  try {
    await waitFor(
      "dockerd to answer on its socket",
      async () => {
        if (child.exitCode !== null) throw new Error(`dockerd exited with ${child.exitCode}:\n${log()}`);
        const response = await fetch("http://docker/_ping", { unix: socketPath }).catch(() => null);
        return response !== null && (await response.text()) === "OK";
      },
      60_000,
    );
  } catch (error) {
    await engine.stop();
    throw new Error(`${(error as Error).message}\n${log().slice(-3000)}`, { cause: error });
  }
  return engine;
}

/** An ELF executable without a program interpreter (PT_INTERP), so it runs in an empty root. */
function isStaticExecutable(path: string): boolean {
  if (!existsSync(path)) return false;
  const elf = readFileSync(path);
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false;
  const programHeaders = Number(elf.readBigUInt64LE(0x20));
  const entrySize = elf.readUInt16LE(0x36);
  const entries = elf.readUInt16LE(0x38);
  for (let index = 0; index < entries; index++) {
    if (elf.readUInt32LE(programHeaders + index * entrySize) === 3) return false;
  }
  return true;
}

/** dockerd can leave its network namespace files mounted in the exec root when it exits. */
function unmountUnder(directory: string): void {
  const mountPoints = readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[1] ?? "")
    .filter((mountPoint) => mountPoint === directory || mountPoint.startsWith(`${directory}/`))
    .sort((left, right) => right.length - left.length);
  for (const mountPoint of mountPoints) Bun.spawnSync(["umount", "-l", mountPoint]);
}

/**
 * A tiny root: the static busybox with the applets the tests run (`sleep`, `sh`, `false`, `cat`),
 * and `files` (path → content; a content starting with `#!` is made executable).
 */
export function busyboxRoot(directory: string, files: Record<string, string>): string {
  mkdirSync(join(directory, "bin"), { recursive: true });
  writeFileSync(join(directory, "bin", "busybox"), readFileSync("/bin/busybox"), { mode: 0o755 });
  for (const applet of ["sleep", "sh", "false", "cat"])
    symlinkSync("busybox", join(directory, "bin", applet));
  for (const [path, content] of Object.entries(files)) {
    const target = join(directory, path);
    mkdirSync(join(target, ".."), { recursive: true });
    rmSync(target, { force: true });
    writeFileSync(target, content, { mode: content.startsWith("#!") ? 0o755 : 0o644 });
  }
  return directory;
}

/**
 * Publishes a new build of `reference` to its registry as another machine would: the image is
 * imported under a scratch name, pushed, and removed again, so this engine's own `reference` (and
 * the containers on it) stay as they were. Returns the registry's new manifest digest.
 */
export async function publishElsewhere(
  engine: RunningEngine,
  reference: string,
  options: ImageOptions = {},
): Promise<string> {
  const scratch = `redflag-scratch/build:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const previous = await engine.tryDocker(["image", "inspect", "--format", "{{.Id}}", reference]);
  const id = await engine.importImage(scratch, options);
  await engine.docker("tag", id, reference);
  const digest = await pushImage(engine, reference);
  await engine.docker("rmi", "-f", scratch);
  if (previous.exitCode === 0) await engine.docker("tag", previous.stdout.trim(), reference);
  // Forget the new build locally, so the engine has to pull it.
  await engine.tryDocker(["rmi", "-f", id]);
  return digest;
}

/** `docker push`, returning the manifest digest it printed. */
export async function pushImage(engine: RunningEngine, reference: string): Promise<string> {
  const output = await engine.docker("push", reference);
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1];
  if (digest === undefined) throw new Error(`docker push ${reference} printed no digest:\n${output}`);
  return digest;
}
