import { describe, expect, test } from "bun:test";
import { type PackageType, packageTypes } from "@redflag/contracts";
import { configFileSchema } from "../../src/config/config.ts";
import type { PackageManager } from "../../src/package-managers/package-manager.ts";
import { createScanners, installerFor, packageManagers } from "../../src/package-managers/registry.ts";

describe("the package manager registry", () => {
  test("lists every package type of the contracts, each making a scanner and installer of its own type", () => {
    const config = configFileSchema.parse({});
    expect(Object.keys(packageManagers).sort()).toEqual([...packageTypes].sort());
    const scannerTypes: string[] = createScanners(config).map((scanner) => scanner.packageType);
    expect(scannerTypes).toEqual(Object.keys(packageManagers));
    for (const packageType of packageTypes) {
      expect(installerFor(packageType, config).packageType).toBe(packageType);
    }
  });

  test("a package type left out of a registry of this shape fails the type check", () => {
    const { winget: _left, ...withoutWinget } = packageManagers;
    // @ts-expect-error winget is missing: `satisfies Record<PackageType, PackageManager>` refuses it.
    const incomplete = withoutWinget satisfies Record<PackageType, PackageManager>;
    expect(Object.keys(incomplete)).not.toContain("winget");
  });
});
