import type { ContainerSummary, EngineClient } from "./engine-client.ts";

/**
 * The image name a container was created from. Once its tag has moved on (a `docker pull`, or an
 * update that was put back) the engine lists the container by image id instead, so the name is read
 * from the container's own configuration then.
 */
export async function configuredImage(engine: EngineClient, container: ContainerSummary): Promise<string> {
  if (!isImageId(container.Image, container.ImageID)) return container.Image;
  return (await engine.inspectContainer(container.Id)).Config.Image;
}

/** `sha256:<64 hex>`, or a prefix of the image id as `docker ps` may show it. */
export function isImageId(text: string, imageId: string): boolean {
  if (/^sha256:[0-9a-f]{64}$/.test(text)) return true;
  return /^[0-9a-f]{12,64}$/.test(text) && imageId.replace(/^sha256:/, "").startsWith(text);
}
