import {
  chmodSync,
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";

/**
 * A root that holds musl and nothing of glibc, for running the musl agent binaries as on Alpine.
 * Bun's musl runtime needs musl's loader (Debian's `musl` package) and a libstdc++.so.6 built for
 * musl (Alpine's `libstdc++`). Debian has no libstdc++ for musl, so one is linked here from GCC 12's
 * static libstdc++ and libgcc against musl, holding exactly what the binary imports.
 */

export type Run = { exitCode: number; stdout: string; stderr: string };

export function run(cmd: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Run {
  const result = Bun.spawnSync({
    cmd,
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdout: "pipe",
    stderr: "pipe",
  });
  return { exitCode: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

function mustRun(cmd: string[], options: { cwd?: string } = {}): string {
  const result = run(cmd, options);
  if (result.exitCode !== 0) {
    throw new Error(`${cmd.join(" ")} exited ${result.exitCode}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

export type MuslArchitecture = {
  /** musl's name: /lib/ld-musl-<name>.so.1 */
  name: "x86_64" | "aarch64";
  /** The C compiler for this architecture and GCC 12's library directory (libstdc++.a, crtbeginS.o). */
  compiler: string;
  gccLibraries: string;
};

export const muslX64: MuslArchitecture = {
  name: "x86_64",
  compiler: "gcc-12",
  gccLibraries: "/usr/lib/gcc/x86_64-linux-gnu/12",
};

export const muslArm64: MuslArchitecture = {
  name: "aarch64",
  compiler: "aarch64-linux-gnu-gcc-12",
  gccLibraries: "/usr/lib/gcc-cross/aarch64-linux-gnu/12",
};

type DynamicSymbol = { name: string; defined: boolean; weak: boolean };

/** The dynamic symbols of an ELF file of any architecture (readelf reads them all). */
function dynamicSymbols(path: string): DynamicSymbol[] {
  const symbols: DynamicSymbol[] = [];
  for (const line of mustRun(["readelf", "--dyn-syms", "--wide", path]).split("\n")) {
    // Num: Value Size Type Bind Vis Ndx Name
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8 || !fields[0]?.endsWith(":")) continue;
    const name = fields[7]?.replace(/@.*$/, "") ?? "";
    if (!name) continue;
    symbols.push({ name, defined: fields[6] !== "UND", weak: fields[4] === "WEAK" });
  }
  return symbols;
}

/** Symbols the binary imports (or copies at load time) that musl's libc does not define: the C++ runtime's. */
export function cxxRuntimeImports(binary: string, muslLoader: string): string[] {
  const musl = new Set(
    dynamicSymbols(muslLoader)
      .filter((symbol) => symbol.defined)
      .map((symbol) => symbol.name),
  );
  const imported = dynamicSymbols(binary)
    .filter((symbol) => !symbol.defined && !symbol.weak)
    .map((symbol) => symbol.name);
  const copied = mustRun(["readelf", "-r", "--wide", binary])
    .split("\n")
    .filter((line) => /_COPY\b/.test(line))
    .map((line) => line.trim().split(/\s+/)[4]?.replace(/@.*$/, "") ?? "");
  return [...new Set([...imported, ...copied])].filter((name) => name && !musl.has(name)).sort();
}

/** Links libstdc++.so.6 for musl from GCC's static libraries, keeping only `symbols` and what they need. */
export function linkLibstdcxx(options: {
  architecture: MuslArchitecture;
  muslLoader: string;
  symbols: string[];
  work: string;
}): string {
  const { architecture, work } = options;
  const gcc = architecture.gccLibraries;
  const linkDirectory = join(work, "link");
  mkdirSync(linkDirectory, { recursive: true });
  // musl's loader is its libc; "libc.so" is a name the loader answers for itself.
  symlinkSync(options.muslLoader, join(linkDirectory, "libc.so"));
  const compat = join(work, "glibc-only.o");
  mustRun([
    architecture.compiler,
    "-c",
    "-fPIC",
    "-O2",
    "-o",
    compat,
    join(import.meta.dir, "musl", "glibc-only.c"),
  ]);
  const output = join(work, "libstdc++.so.6");
  mustRun([
    architecture.compiler,
    "-shared",
    "-nostdlib",
    "-o",
    output,
    "-Wl,-soname,libstdc++.so.6",
    // Every symbol resolved now: musl's loader binds all at start and refuses a missing one.
    "-Wl,-z,defs",
    ...options.symbols.map((symbol) => `-Wl,-u,${symbol}`),
    join(gcc, "crtbeginS.o"),
    compat,
    join(gcc, "libstdc++.a"),
    join(gcc, "libgcc_eh.a"),
    join(gcc, "libgcc.a"),
    `-L${linkDirectory}`,
    "-lc",
    join(gcc, "crtendS.o"),
  ]);
  return output;
}

/** A root holding musl's loader, the libstdc++.so.6 above, `binary` as /redflag-agent and an empty /state. */
export function muslRoot(options: {
  architecture: MuslArchitecture;
  muslLoader: string;
  binary: string;
  work: string;
  extraFiles?: string[];
}): string {
  const root = join(options.work, "root");
  mkdirSync(join(root, "lib"), { recursive: true });
  mkdirSync(join(root, "state"), { recursive: true });
  mkdirSync(join(options.work, "build"), { recursive: true });
  const libstdcxx = linkLibstdcxx({
    architecture: options.architecture,
    muslLoader: options.muslLoader,
    symbols: cxxRuntimeImports(options.binary, options.muslLoader),
    work: join(options.work, "build"),
  });
  copyFileSync(options.muslLoader, join(root, "lib", `ld-musl-${options.architecture.name}.so.1`));
  copyFileSync(libstdcxx, join(root, "lib", "libstdc++.so.6"));
  copyFileSync(options.binary, join(root, "redflag-agent"));
  chmodSync(join(root, "redflag-agent"), 0o755);
  for (const file of options.extraFiles ?? []) {
    const target = join(root, file.split("/").pop() ?? file);
    copyFileSync(file, target);
    chmodSync(target, 0o755);
  }
  return root;
}

/**
 * Every file in the root with what it loads: its ELF interpreter and needed libraries. The caller
 * checks that none of it is glibc's.
 */
export function rootContents(root: string): { path: string; interpreter: string | null; needed: string[] }[] {
  const files: { path: string; interpreter: string | null; needed: string[] }[] = [];
  const walk = (directory: string) => {
    for (const entry of readdirSync(directory)) {
      const path = join(directory, entry);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const isElf = startsWithElfMagic(path);
      if (!isElf) {
        files.push({ path: `/${relative(root, path)}`, interpreter: null, needed: [] });
        continue;
      }
      const program = mustRun(["readelf", "-l", "--wide", path]);
      const interpreter = /Requesting program interpreter: ([^\]]+)\]/.exec(program)?.[1] ?? null;
      const needed = [
        ...mustRun(["readelf", "-d", "--wide", path]).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g),
      ].map((match) => match[1] ?? "");
      files.push({ path: `/${relative(root, path)}`, interpreter, needed });
    }
  };
  walk(root);
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

function startsWithElfMagic(path: string): boolean {
  const magic = Buffer.alloc(4);
  const descriptor = openSync(path, "r");
  try {
    readSync(descriptor, magic, 0, 4, 0);
  } finally {
    closeSync(descriptor);
  }
  return magic.toString("latin1") === "\x7fELF";
}

/**
 * musl's arm64 loader from Debian's musl:arm64 package, fetched with an apt of its own (arm64 lists
 * in `work`, the machine's sources) and unpacked without installing it: an amd64 host cannot
 * install it without multiarch, and needs only the one file.
 */
export function downloadArm64MuslLoader(work: string): string {
  const directories = [
    "lists/partial",
    "cache/archives/partial",
    "parts",
    "preferences",
    "download",
    "unpacked",
  ];
  for (const directory of directories) mkdirSync(join(work, directory), { recursive: true });
  const config = join(work, "apt.conf");
  writeFileSync(
    config,
    [
      'APT::Architecture "arm64";',
      'APT::Architectures { "arm64"; };',
      `Dir::State::Lists "${join(work, "lists")}";`,
      'Dir::State::status "/dev/null";',
      `Dir::Cache "${join(work, "cache")}";`,
      `Dir::Etc::Parts "${join(work, "parts")}";`,
      `Dir::Etc::PreferencesParts "${join(work, "preferences")}";`,
      `Dir::Log "${work}";`,
      "",
    ].join("\n"),
  );
  const env = { APT_CONFIG: config };
  const update = run(["apt-get", "-q", "update", "-o", "APT::Update::Error-Mode=any"], { env });
  if (update.exitCode !== 0) throw new Error(`apt-get update (arm64) failed:\n${update.stderr}`);
  const download = run(["apt-get", "-q", "download", "musl:arm64"], { env, cwd: join(work, "download") });
  if (download.exitCode !== 0) throw new Error(`apt-get download musl:arm64 failed:\n${download.stderr}`);
  const deb = readdirSync(join(work, "download")).find((name) => name.endsWith("_arm64.deb"));
  if (!deb) throw new Error("apt-get download musl:arm64 wrote no .deb");
  mustRun(["dpkg-deb", "-x", join(work, "download", deb), join(work, "unpacked")]);
  return join(work, "unpacked", "lib", "ld-musl-aarch64.so.1");
}
