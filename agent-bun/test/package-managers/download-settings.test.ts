import { describe, expect, test } from "bun:test";
import type { DownloadSettings } from "@redflag/contracts";
import { configFileSchema } from "../../src/config/config.ts";
import { AgentError } from "../../src/errors.ts";
import { upgradeArgv } from "../../src/package-managers/dnf/argv.ts";
import { dnfSettings } from "../../src/package-managers/dnf/run.ts";
import {
  aptDownloadOptions,
  dnfDownloadOptions,
  downloadSettingsOf,
} from "../../src/package-managers/download-settings.ts";

const profile: DownloadSettings = {
  profileId: "dlp_0000000000000000000000000a",
  profileName: "Branch office",
  limitKibPerSecond: 512,
  aptProxy: "http://cache.branch.example:3142",
  dnfProxy: "http://proxy.branch.example:3128",
  dockerRegistryMirror: "https://mirror.branch.example",
};

describe("a command's download profile", () => {
  test("absent: no options for any manager", () => {
    expect(downloadSettingsOf({}, "apt")).toBeNull();
    expect(downloadSettingsOf({ download: null }, "apt")).toBeNull();
    expect(aptDownloadOptions(null)).toEqual([]);
    expect(dnfDownloadOptions(null)).toEqual([]);
  });

  test("apt gets Dl-Limit and Proxy as -o options", () => {
    const settings = downloadSettingsOf({ download: profile }, "apt");
    expect(aptDownloadOptions(settings)).toEqual([
      "-o",
      "Acquire::http::Dl-Limit=512",
      "-o",
      "Acquire::https::Dl-Limit=512",
      "-o",
      "Acquire::http::Proxy=http://cache.branch.example:3142",
    ]);
  });

  test("dnf gets throttle (KiB/s) and proxy as --setopt options, before the subcommand", () => {
    const settings = downloadSettingsOf({ download: profile }, "dnf");
    expect(dnfDownloadOptions(settings)).toEqual([
      "--setopt=throttle=512k",
      "--setopt=proxy=http://proxy.branch.example:3128",
    ]);
    const argv = upgradeArgv(["rf-pkg"], dnfSettings(configFileSchema.parse({}), settings).dnf);
    const subcommand = argv.indexOf("upgrade");
    expect(argv.indexOf("--setopt=throttle=512k")).toBeGreaterThan(0);
    expect(argv.indexOf("--setopt=throttle=512k")).toBeLessThan(subcommand);
    expect(argv).toContain("--setopt=proxy=http://proxy.branch.example:3128");
  });

  test("only the knobs the profile sets", () => {
    const limitOnly = { ...profile, aptProxy: null, dnfProxy: null };
    expect(aptDownloadOptions(limitOnly)).toEqual([
      "-o",
      "Acquire::http::Dl-Limit=512",
      "-o",
      "Acquire::https::Dl-Limit=512",
    ]);
    expect(dnfDownloadOptions({ ...profile, limitKibPerSecond: null })).toEqual([
      "--setopt=proxy=http://proxy.branch.example:3128",
    ]);
  });

  test.each([
    ["a proxy with credentials", { aptProxy: "http://user:secret@cache:3142" }],
    ["a proxy that is not http", { dnfProxy: "ftp://cache:21" }],
    ["a proxy with a path or options", { aptProxy: "http://cache:3142/x -o Foo=1" }],
    ["a limit of zero", { limitKibPerSecond: 0 }],
    ["a fractional limit", { limitKibPerSecond: 1.5 }],
  ])("refuses the command for %s, and never says the secret", (_, change) => {
    let error: unknown;
    try {
      downloadSettingsOf({ download: { ...profile, ...change } }, "apt");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AgentError);
    expect((error as Error).message).toContain("refusing the command's download profile");
    expect((error as Error).message).not.toContain("secret");
  });
});
