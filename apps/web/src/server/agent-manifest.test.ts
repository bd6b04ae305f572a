import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentManifestFile, readAgentManifest } from "./agent-manifest.ts";

const directory = mkdtempSync(join(tmpdir(), "redflag-manifest-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const musl: AgentManifestFile = {
  file: "redflag-agent-linux-x64-musl",
  os: "linux",
  arch: "x64",
  libc: "musl",
  sha256: "a".repeat(64),
  size: 103_200_280,
};
const windows: AgentManifestFile = {
  ...musl,
  file: "redflag-agent-windows-x64.exe",
  os: "windows",
  libc: null,
};

function write(content: unknown) {
  writeFileSync(
    join(directory, "manifest.json"),
    typeof content === "string" ? content : JSON.stringify(content),
  );
}

describe("the build manifest the Add-agent page reads", () => {
  test("a manifest as build:agents writes it is read whole", () => {
    write({ version: "0.1.0", files: [musl, windows] });
    expect(readAgentManifest(directory)).toEqual({ manifest: { version: "0.1.0", files: [musl, windows] } });
  });

  test("no build: says how to make one", () => {
    expect(readAgentManifest(null)).toEqual({
      problem: "No agent binaries have been built on this server (bun run build:agents).",
    });
    const empty = mkdtempSync(join(tmpdir(), "redflag-manifest-empty-"));
    expect(readAgentManifest(empty)).toHaveProperty(
      "problem",
      expect.stringContaining("bun run build:agents"),
    );
    rmSync(empty, { recursive: true });
  });

  test("anything else is refused whole, naming the rule", () => {
    write("{ not json");
    expect(readAgentManifest(directory)).toHaveProperty("problem", expect.stringContaining("is not JSON"));
    write({ version: "0.1.0", files: [{ ...musl, sha256: "not-a-hash" }] });
    expect(readAgentManifest(directory)).toHaveProperty(
      "problem",
      expect.stringContaining("a SHA-256 is 64 lowercase hex digits"),
    );
    write({ version: "0.1.0", files: [{ ...musl, file: "../../etc/passwd" }] });
    expect(readAgentManifest(directory)).toHaveProperty(
      "problem",
      expect.stringContaining("is not a build manifest"),
    );
    write({ version: "0.1.0", files: [{ ...musl, libc: "uclibc" }] });
    expect(readAgentManifest(directory)).toHaveProperty("problem", expect.stringContaining("libc"));
  });
});
