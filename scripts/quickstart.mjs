#!/usr/bin/env node
// `npm start` and `npm test` on a fresh clone with only Node.js and npm: fetch the pinned Bun
// (tools/package.json), install the workspace, then build and serve the web app, or run the CI suite.
// Plain Node ESM with node: builtins only, because nothing else is installed yet when it runs.

import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { constants } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const toolsDirectory = join(root, "tools");
const webDirectory = join(root, "apps", "web");
const isWindows = process.platform === "win32";
// The npm package's real binary; `.bin/bun` is only a link to it (a .cmd shim on Windows).
const bunBinary = join(toolsDirectory, "node_modules", "bun", "bin", "bun.exe");
const bunLink = join(toolsDirectory, "node_modules", ".bin", isWindows ? "bun.cmd" : "bun");
const nextBinary = join(webDirectory, "node_modules", "next", "dist", "bin", "next");

/** A failure already explained to the user: print the message, exit with the code. */
class ExitError extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

const childEnvironment = {
  ...process.env,
  NEXT_TELEMETRY_DISABLED: "1",
  // Scripts run by bun (and .ci/run) find the pinned bun and the workspace tools first.
  PATH: [join(toolsDirectory, "node_modules", ".bin"), join(root, "node_modules", ".bin"), process.env.PATH]
    .filter(Boolean)
    .join(delimiter),
};

async function main(command) {
  if (command !== "start" && command !== "test") {
    throw new ExitError("Usage: node scripts/quickstart.mjs start|test", 2);
  }
  await ensureBun();
  await run(bunBinary, ["install", "--frozen-lockfile"], {
    cwd: root,
    what: "bun install --frozen-lockfile",
  });
  if (command === "test") return runChild("bash", [".ci/run"], { cwd: root });

  if (isBuildCurrent()) {
    console.log("[quickstart] The web app build is up to date; skipping `bun run build`.");
  } else {
    await run(bunBinary, ["run", "build"], { cwd: root, what: "bun run build" });
  }
  const port = process.env.PORT || "8080";
  if (!/^\d+$/.test(port)) throw new ExitError(`PORT must be a number, got "${port}"`);
  if (!existsSync(nextBinary)) throw new ExitError(`Next.js is not installed at ${nextBinary}`);
  await ensurePortFree(Number(port));
  return runChild(process.execPath, [nextBinary, "start", "-p", port], {
    cwd: webDirectory,
    env: { ...childEnvironment, PORT: port },
  });
}

/** Says in words that the port is taken, and how to pick another, instead of the server's raw EADDRINUSE. */
function ensurePortFree(port) {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error) => {
      if (error.code === "EADDRINUSE" || error.code === "EACCES") {
        const why =
          error.code === "EADDRINUSE" ? "is already in use by another program" : "needs more privileges";
        reject(
          new ExitError(
            `[quickstart] Port ${port} ${why}. Stop that program, or start RedFlag on another port: PORT=${port === 8081 ? 8082 : 8081} npm start`,
          ),
        );
      } else {
        reject(new ExitError(`[quickstart] Cannot listen on port ${port}: ${error.message}`));
      }
    });
    probe.once("listening", () => probe.close(() => resolve()));
    probe.listen(port);
  });
}

async function ensureBun() {
  if (existsSync(bunLink) && existsSync(bunBinary)) return;
  console.log("[quickstart] Installing the pinned Bun into tools/ with npm…");
  const [npmCommand, npmArguments] = npmInvocation();
  await run(npmCommand, [...npmArguments, "install", "--no-audit", "--no-fund"], {
    cwd: toolsDirectory,
    what: "npm install in tools/",
  });
  if (!existsSync(bunBinary)) {
    throw new ExitError(
      `npm install finished but ${bunBinary} is missing; is this platform supported by Bun?`,
    );
  }
}

/** npm through the Node running us when npm started us (works on Windows without a shell). */
function npmInvocation() {
  const npmCli = process.env.npm_execpath;
  if (npmCli && /npm-cli\.c?js$/.test(npmCli)) return [process.execPath, [npmCli]];
  if (isWindows) {
    const bundled = join(dirname(process.execPath), "node_modules", "npm", "bin", "npm-cli.js");
    if (existsSync(bundled)) return [process.execPath, [bundled]];
  }
  return ["npm", []];
}

/** True when .next/BUILD_ID is newer than every source the build reads. */
function isBuildCurrent() {
  const buildIdFile = join(webDirectory, ".next", "BUILD_ID");
  if (!existsSync(buildIdFile)) return false;
  const builtAt = statSync(buildIdFile).mtimeMs;
  const packagesDirectory = join(root, "packages");
  const sources = [
    join(webDirectory, "app"),
    join(webDirectory, "src"),
    join(webDirectory, "next.config.ts"),
    join(webDirectory, "instrumentation.ts"),
    join(webDirectory, "package.json"),
    join(root, "bun.lock"),
    ...readdirSync(packagesDirectory, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(packagesDirectory, entry.name, "src")),
  ];
  return sources.every((source) => newestChange(source) < builtAt);
}

/** The latest mtime of a file, or of a folder and everything in it (folders too: deletions count). */
function newestChange(path) {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === ".next") continue;
    newest = Math.max(newest, newestChange(join(path, entry.name)));
  }
  return newest;
}

/** Runs a step that must succeed. */
async function run(command, args, { cwd, what }) {
  const code = await runChild(command, args, { cwd });
  if (code !== 0) throw new ExitError(`[quickstart] ${what} failed (exit code ${code}).`, code);
}

/** Runs a child with our terminal, passing on Ctrl-C and SIGTERM; resolves with its exit code. */
function runChild(command, args, { cwd, env = childEnvironment }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: "inherit" });
    const forward = (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    const signals = ["SIGINT", "SIGTERM"];
    for (const signal of signals) process.on(signal, forward);
    // `npm start` signals only its `sh -c`, which dies without passing it on: when our parent is
    // gone, stop the child too rather than leave a server running with nobody to stop it.
    const parentAtStart = process.ppid;
    const orphanWatch = setInterval(() => {
      if (process.ppid !== parentAtStart) forward("SIGTERM");
    }, 1000);
    const stopForwarding = () => {
      clearInterval(orphanWatch);
      for (const signal of signals) process.off(signal, forward);
    };
    child.on("error", (error) => {
      stopForwarding();
      reject(new ExitError(`[quickstart] Could not run ${command}: ${error.message}`, 127));
    });
    child.on("exit", (code, signal) => {
      stopForwarding();
      resolve(code ?? 128 + (constants.signals[signal] ?? 0));
    });
  });
}

try {
  process.exitCode = await main(process.argv[2]);
} catch (error) {
  if (error instanceof ExitError) {
    console.error(error.message);
    process.exitCode = error.exitCode;
  } else {
    console.error("[quickstart] Unexpected error:", error);
    process.exitCode = 1;
  }
}
