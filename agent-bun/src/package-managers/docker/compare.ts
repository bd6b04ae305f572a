import type { ScanItem } from "@redflag/contracts";
import { toScanItem } from "../package-manager.ts";
import {
  familiarName,
  formatImageReference,
  type ImageReference,
  parseImageReference,
  repositoryName,
} from "./reference.ts";

export type ImageUpdateStatus =
  | { status: "up-to-date"; localDigest: string }
  | { status: "update-available"; localDigest: string; registryDigest: string }
  /** Built locally or pulled by another name: no RepoDigest for this repository to compare with. */
  | { status: "unknown"; reason: string };

/**
 * Compares a local image with the digest the registry has for its tag. Only RepoDigests count: the
 * image id is the digest of the config, which never equals a manifest or index digest.
 */
export function compareWithRegistry(
  reference: ImageReference,
  repoDigests: readonly string[],
  registryDigest: string,
): ImageUpdateStatus {
  const wanted = repositoryName(reference);
  const localDigests = repoDigestsOf(reference, repoDigests);
  if (localDigests.length === 0) {
    return { status: "unknown", reason: `the local image has no RepoDigest for ${wanted}` };
  }
  if (localDigests.includes(registryDigest)) {
    return { status: "up-to-date", localDigest: registryDigest };
  }
  return { status: "update-available", localDigest: localDigests[0] ?? "", registryDigest };
}

/**
 * The digests an image's RepoDigests hold for the reference's repository. The engine writes them in
 * Docker's short form (`nginx@sha256:…` for `docker.io/library/nginx`), so they are parsed, not
 * compared as text.
 */
export function repoDigestsOf(reference: ImageReference, repoDigests: readonly string[]): string[] {
  const wanted = repositoryName(reference);
  const digests: string[] = [];
  for (const entry of repoDigests) {
    let parsed: ImageReference;
    try {
      parsed = parseImageReference(entry);
    } catch {
      continue;
    }
    if (parsed.digest !== null && repositoryName(parsed) === wanted) digests.push(parsed.digest);
  }
  return digests;
}

/** A scan item for an image whose tag moved: the image as name, digests as versions. */
export function dockerImageScanItem(options: {
  reference: ImageReference;
  localDigest: string;
  registryDigest: string;
  containers?: readonly string[];
  newerTags?: readonly string[];
  sizeBytes?: number | null;
}): ScanItem {
  return toScanItem("docker", {
    packageName: familiarName({ ...options.reference, tag: null }),
    target: options.reference.tag ?? "",
    currentVersion: options.localDigest,
    availableVersion: options.registryDigest,
    severity: "unknown",
    security: false,
    cves: [],
    source: options.reference.domain,
    sizeBytes: options.sizeBytes ?? null,
    metadata: {
      reference: formatImageReference({ ...options.reference, digest: null }),
      containers: [...(options.containers ?? [])],
      ...(options.newerTags !== undefined && options.newerTags.length > 0
        ? { newerTags: [...options.newerTags] }
        : {}),
    },
  });
}
