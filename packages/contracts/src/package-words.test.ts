import { describe, expect, test } from "bun:test";
import { shortDigest, updateWords } from "./package-words.ts";

// One module names updates for both the agent's CLI table and the dashboard.

const digest = (seed: string) => `sha256:${seed.repeat(64).slice(0, 64)}`;

describe("each package type in its own words", () => {
  test("DNF: name.arch, with the NEVRA and advisory ids", () => {
    const words = updateWords({
      packageType: "dnf",
      packageName: "openssl-libs",
      target: "x86_64",
      currentVersion: "1:3.0.7-24.el9",
      availableVersion: "1:3.0.7-25.el9",
      metadata: {
        advisories: [{ id: "RHSA-2024:1234", type: "security", severity: "important" }],
      },
    });
    expect(words).toEqual({
      name: "openssl-libs.x86_64",
      detail: "openssl-libs-1:3.0.7-25.el9.x86_64 · RHSA-2024:1234",
      currentVersion: "1:3.0.7-24.el9",
      availableVersion: "1:3.0.7-25.el9",
    });
  });

  test("Docker: image:tag with short digests and the newer tags", () => {
    const words = updateWords({
      packageType: "docker",
      packageName: "nginx",
      target: "1.25",
      currentVersion: digest("a1"),
      availableVersion: `1.27@${digest("b2")}`,
      metadata: { newerTags: ["1.27", "1.26"], containers: ["web"] },
    });
    expect(words).toEqual({
      name: "nginx:1.25",
      detail: "newer tags: 1.27, 1.26 · containers: web",
      currentVersion: "sha256:a1a1a1a1a1a1",
      availableVersion: "1.27@sha256:b2b2b2b2b2b2",
    });
  });

  test("Windows Update: the KB id and the title; winget: the id and the display name", () => {
    expect(
      updateWords({
        packageType: "windows_update",
        packageName: "KB5034441",
        target: "",
        currentVersion: null,
        availableVersion: "revision 200",
        metadata: { title: "2024-01 Security Update for Windows 10 (KB5034441)" },
      }),
    ).toMatchObject({
      name: "KB5034441",
      detail: "2024-01 Security Update for Windows 10 (KB5034441)",
      currentVersion: null,
    });
    expect(
      updateWords({
        packageType: "winget",
        packageName: "Mozilla.Firefox",
        target: "",
        currentVersion: "120.0",
        availableVersion: "121.0",
        metadata: { name: "Mozilla Firefox (x64 de)" },
      }),
    ).toMatchObject({ name: "Mozilla.Firefox", detail: "Mozilla Firefox (x64 de)" });
  });

  test("metadata of an unexpected shape is ignored, never shown raw; the NEVRA comes from the update itself", () => {
    const words = updateWords({
      packageType: "dnf",
      packageName: "bash",
      target: "",
      currentVersion: "5.1-1",
      availableVersion: "5.1-2",
      metadata: { nevra: 42, advisories: "RHSA-1" },
    });
    expect(words).toEqual({
      name: "bash",
      detail: "bash-5.1-2",
      currentVersion: "5.1-1",
      availableVersion: "5.1-2",
    });
    expect(
      updateWords({
        packageType: "winget",
        packageName: "Git.Git",
        target: "",
        currentVersion: "2.43.0",
        availableVersion: "2.44.0",
        metadata: { name: { raw: "object" } },
      }).detail,
    ).toBeNull();
    expect(shortDigest("not a digest")).toBe("not a digest");
  });
});
