import type { ScanItem } from "@redflag/contracts";
import type { ConfigFile } from "../../config/config.ts";
import { notRequired, type Scanner } from "../package-manager.ts";
import {
  compareWithRegistry,
  configuredImage,
  dockerImageScanItem,
  type ImageReference,
  newerTagsOfSameShape,
  parseImageReference,
  parseTagShape,
  repoDigestsOf,
} from "./index.ts";
import {
  type DockerSettings,
  dockerSettings,
  engineClient,
  isDockerAvailable,
  registryClient,
} from "./settings.ts";

export function createDockerScanner(config: ConfigFile): Scanner {
  const settings = dockerSettings(config);
  return {
    packageType: "docker",
    isAvailable: () => isDockerAvailable(settings),
    scan: () => scanDocker(settings),
    rebootStatus: async () => notRequired,
  };
}

/** An image name as a checkable reference: by tag; null for an image id or a digest pin. */
function checkableReference(image: string): ImageReference | null {
  if (/^(sha256:)?[0-9a-f]{12,64}$/.test(image)) return null;
  let reference: ImageReference;
  try {
    reference = parseImageReference(image);
  } catch {
    return null;
  }
  return reference.tag === null || reference.digest !== null ? null : reference;
}

/**
 * Running containers' images against their registries: an image whose tag now points at another
 * digest (RepoDigests, never the image id), and images whose tag is a version with newer versions
 * of the same shape (`1.25` → `1.27`). A registry that cannot answer fails the scan: a partial list
 * would close the updates of the images it left out.
 */
export async function scanDocker(settings: DockerSettings): Promise<ScanItem[]> {
  const engine = engineClient(settings);
  const registry = registryClient(settings);
  const containers = await engine.listContainers();
  const groups = new Map<string, { reference: ImageReference; imageId: string; names: string[] }>();
  for (const container of containers) {
    const reference = checkableReference(await configuredImage(engine, container));
    if (reference === null) continue;
    const key = `${reference.domain}/${reference.path}:${reference.tag}\n${container.ImageID}`;
    const group = groups.get(key) ?? { reference, imageId: container.ImageID, names: [] };
    group.names.push(...container.Names.map((name) => name.replace(/^\//, "")));
    groups.set(key, group);
  }
  const items: ScanItem[] = [];
  const seen = new Set<string>();
  for (const { reference, imageId, names } of groups.values()) {
    const image = await engine.inspectImage(imageId);
    // Built here or pulled by another name: no RepoDigest of this repository to compare with.
    if (repoDigestsOf(reference, image.RepoDigests ?? []).length === 0) continue;
    const head = await registry.headManifest(reference);
    const status = compareWithRegistry(reference, image.RepoDigests ?? [], head.digest);
    if (status.status === "unknown") continue;
    const tag = reference.tag ?? "";
    const newerTags =
      parseTagShape(tag) === null ? [] : newerTagsOfSameShape(tag, await registry.listTags(reference));
    const key = `${reference.domain}/${reference.path}:${tag}`;
    if (seen.has(key)) continue;
    if (status.status === "update-available") {
      seen.add(key);
      items.push(
        dockerImageScanItem({
          reference,
          localDigest: status.localDigest,
          registryDigest: status.registryDigest,
          containers: names,
          newerTags,
          sizeBytes: head.sizeBytes,
        }),
      );
      continue;
    }
    const newest = newerTags[0];
    if (newest === undefined) continue;
    // The tag has not moved, but a newer version has: offered as `tag@digest`, which the installer pulls.
    const newestHead = await registry.headManifest({ ...reference, tag: newest });
    seen.add(key);
    const item = dockerImageScanItem({
      reference,
      localDigest: status.localDigest,
      registryDigest: newestHead.digest,
      containers: names,
      newerTags,
      sizeBytes: newestHead.sizeBytes,
    });
    items.push({
      ...item,
      availableVersion: `${newest}@${newestHead.digest}`,
      metadata: { ...item.metadata, availableTag: newest },
    });
  }
  return items;
}
