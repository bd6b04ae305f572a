/**
 * Builds the agent's one-file binaries into dist/agents/ (`bun run build:agents`).
 * Cross-compiling normally downloads the target's Bun runtime; here every runtime comes from the
 * pinned npm packages in tools/ (same version as the Bun that builds), so the build needs no network.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
const tools = join(root, "tools", "node_modules");

export type AgentTarget = {
  /** The file name in dist/agents and under /downloads; the binary knows it as `agentTarget`. */
  file: string;
  target:
    | "bun-linux-x64-baseline"
    | "bun-linux-x64-baseline-musl"
    | "bun-linux-arm64"
    | "bun-linux-arm64-musl"
    | "bun-windows-x64-baseline";
  os: "linux" | "windows";
  arch: "x64" | "arm64";
  libc: "glibc" | "musl" | null;
  /** The Bun runtime the binary is made of. */
  executablePath: string;
};

const runtime = (name: string, binary = "bun") => join(tools, "@oven", name, "bin", binary);

// Every x64 binary uses Bun's baseline runtime (no AVX2), so it runs on the Atom and Celeron CPUs of
// NAS boxes and mini PCs; the agent mostly waits on package managers, so AVX2 would buy nothing.
export const agentTargets: AgentTarget[] = [
  {
    file: "redflag-agent-linux-x64",
    target: "bun-linux-x64-baseline",
    os: "linux",
    arch: "x64",
    libc: "glibc",
    executablePath: runtime("bun-linux-x64-baseline"),
  },
  {
    file: "redflag-agent-linux-x64-musl",
    target: "bun-linux-x64-baseline-musl",
    os: "linux",
    arch: "x64",
    libc: "musl",
    executablePath: runtime("bun-linux-x64-musl-baseline"),
  },
  {
    file: "redflag-agent-linux-arm64",
    target: "bun-linux-arm64",
    os: "linux",
    arch: "arm64",
    libc: "glibc",
    executablePath: runtime("bun-linux-aarch64"),
  },
  {
    file: "redflag-agent-linux-arm64-musl",
    target: "bun-linux-arm64-musl",
    os: "linux",
    arch: "arm64",
    libc: "musl",
    executablePath: runtime("bun-linux-aarch64-musl"),
  },
  {
    file: "redflag-agent-windows-x64.exe",
    target: "bun-windows-x64-baseline",
    os: "windows",
    arch: "x64",
    libc: null,
    executablePath: runtime("bun-windows-x64-baseline", "bun.exe"),
  },
];

export const agentsDirectory = join(root, "dist", "agents");

function pinnedBunVersion(): string {
  const manifest = JSON.parse(readFileSync(join(root, "tools", "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  const version = manifest.dependencies.bun;
  if (!version) throw new Error("tools/package.json pins no bun version");
  return version;
}

/** Compiles one entry point for one target, exactly as the agent is built (the benchmark's baseline uses it too). */
export async function compile(options: {
  entrypoint: string;
  target: AgentTarget;
  outfile: string;
  version: string;
}) {
  const { target } = options;
  if (!existsSync(target.executablePath)) {
    throw new Error(
      `The ${target.target} runtime is missing at ${target.executablePath}: run \`npm ci\` in tools/ (it installs @oven/bun-* ${pinnedBunVersion()})`,
    );
  }
  const result = await Bun.build({
    entrypoints: [options.entrypoint],
    compile: {
      target: target.target,
      executablePath: target.executablePath,
      outfile: options.outfile,
      // The agent reads its settings from its config file and environment only: a .env or
      // bunfig.toml in whatever directory it is started from must not change what it does.
      autoloadDotenv: false,
      autoloadBunfig: false,
      // JavaScriptCore's tier-up thresholds ×10: code that runs a few times (start-up, one scan, one
      // check-in) stays in the interpreter instead of being compiled by the optimizing JITs, whose
      // code and working memory the daemon would otherwise hold while it waits (~2 MiB of its idle RSS).
      jitPolicy: 10,
    },
    minify: true,
    sourcemap: "none",
    // Each module's top-level code ships compiled: every start (a `--scan`, the daemon) skips
    // parsing it (about 45 ms of CPU per start, measured by bench:agent's figures). Nested functions
    // are compiled when first called, which keeps the binary ~0.6 MiB larger instead of ~3.3 MiB.
    bytecode: true,
    bytecodeDepth: 0,
    format: "esm",
    define: {
      REDFLAG_AGENT_VERSION: JSON.stringify(options.version),
      REDFLAG_AGENT_TARGET: JSON.stringify(target.file),
    },
  });
  if (!result.success) {
    throw new Error(`Building ${target.file} failed:\n${result.logs.map(String).join("\n")}`);
  }
}

export function agentVersionForBuild(): string {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: string };
  return manifest.version ?? "0.0.0";
}

/** dist/agents/manifest.json: what was built, for the server (self-update, the Add-agent page). */
export type AgentManifest = {
  version: string;
  files: {
    file: string;
    os: AgentTarget["os"];
    arch: AgentTarget["arch"];
    libc: AgentTarget["libc"];
    sha256: string;
    size: number;
  }[];
};

async function buildAll() {
  if (Bun.version !== pinnedBunVersion()) {
    throw new Error(`Build with the pinned Bun ${pinnedBunVersion()} (tools/), not ${Bun.version}`);
  }
  const version = agentVersionForBuild();
  mkdirSync(agentsDirectory, { recursive: true });
  const manifest: AgentManifest = { version, files: [] };
  const startedAll = performance.now();
  for (const target of agentTargets) {
    const started = performance.now();
    const outfile = join(agentsDirectory, target.file);
    await compile({ entrypoint: join(import.meta.dir, "src", "index.ts"), target, outfile, version });
    const bytes = readFileSync(outfile);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const { file, os, arch, libc } = target;
    manifest.files.push({ file, os, arch, libc, sha256, size: bytes.length });
    // Served to clients that accept gzip (apps/web/src/server/compressed-downloads.ts): about half the bytes.
    writeFileSync(`${outfile}.gz`, Bun.gzipSync(bytes, { level: 6 }));
    console.log(
      `${target.file}  ${(bytes.length / 1024 / 1024).toFixed(1)} MiB  sha256 ${sha256}  (${Math.round(performance.now() - started)} ms)`,
    );
  }
  const sums = manifest.files.map((entry) => `${entry.sha256}  ${entry.file}\n`).join("");
  writeFileSync(join(agentsDirectory, "SHA256SUMS"), sums);
  writeFileSync(join(agentsDirectory, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(
    `agent ${version} built into ${agentsDirectory} (${Math.round(performance.now() - startedAll)} ms)`,
  );
}

if (import.meta.main) await buildAll();
