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
  file: string;
  target: "bun-linux-x64" | "bun-linux-arm64" | "bun-windows-x64";
  /** The Bun runtime the binary is made of. */
  executablePath: string;
};

export const agentTargets: AgentTarget[] = [
  {
    file: "redflag-agent-linux-x64",
    target: "bun-linux-x64",
    // The bun package's postinstall moves its platform binary here.
    executablePath: join(tools, "bun", "bin", "bun.exe"),
  },
  {
    file: "redflag-agent-linux-arm64",
    target: "bun-linux-arm64",
    executablePath: join(tools, "@oven", "bun-linux-aarch64", "bin", "bun"),
  },
  {
    file: "redflag-agent-windows-x64.exe",
    target: "bun-windows-x64",
    executablePath: join(tools, "@oven", "bun-windows-x64", "bin", "bun.exe"),
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
    compile: { target: target.target, executablePath: target.executablePath, outfile: options.outfile },
    minify: true,
    sourcemap: "none",
    define: { REDFLAG_AGENT_VERSION: JSON.stringify(options.version) },
  });
  if (!result.success) {
    throw new Error(`Building ${target.file} failed:\n${result.logs.map(String).join("\n")}`);
  }
}

export function agentVersionForBuild(): string {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: string };
  return manifest.version ?? "0.0.0";
}

async function buildAll() {
  if (Bun.version !== pinnedBunVersion()) {
    throw new Error(`Build with the pinned Bun ${pinnedBunVersion()} (tools/), not ${Bun.version}`);
  }
  const version = agentVersionForBuild();
  mkdirSync(agentsDirectory, { recursive: true });
  const sums: string[] = [];
  for (const target of agentTargets) {
    const started = performance.now();
    const outfile = join(agentsDirectory, target.file);
    await compile({ entrypoint: join(import.meta.dir, "src", "index.ts"), target, outfile, version });
    const bytes = readFileSync(outfile);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    sums.push(`${sha256}  ${target.file}`);
    // Served to clients that accept gzip (apps/web/src/server/compressed-downloads.ts): about half the bytes.
    writeFileSync(`${outfile}.gz`, Bun.gzipSync(bytes, { level: 6 }));
    console.log(
      `${target.file}  ${(bytes.length / 1024 / 1024).toFixed(1)} MiB  sha256 ${sha256}  (${Math.round(performance.now() - started)} ms)`,
    );
  }
  writeFileSync(join(agentsDirectory, "SHA256SUMS"), `${sums.join("\n")}\n`);
  console.log(`agent ${version} built into ${agentsDirectory}`);
}

if (import.meta.main) await buildAll();
