import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Images for registry-only tests: OCI layouts the tests write themselves, pushed with skopeo to a
// real registry (real-engine.ts starts it). Images to run are made by a real engine instead.

const environment = { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", HOME: tmpdir() };

export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

export type OciImage = { directory: string; manifestDigest: string; manifest: string; configDigest: string };

const ociManifestType = "application/vnd.oci.image.manifest.v1+json";

/** Writes a one-layer OCI image layout (oci-layout, index.json, blobs) with `content` in its one file. */
export async function writeOciLayout(
  parent: string,
  options: { tag: string; content: string; architecture?: string },
): Promise<OciImage> {
  const directory = mkdtempSync(join(parent, "oci-"));
  const blobs = join(directory, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  const writeBlob = (data: Uint8Array | string) => {
    const digest = sha256(data);
    writeFileSync(join(blobs, digest.slice("sha256:".length)), data);
    return { digest, size: typeof data === "string" ? Buffer.byteLength(data) : data.byteLength };
  };
  const layerTar = tarWithOneFile("app/version.txt", options.content);
  const layer = writeBlob(Bun.gzipSync(layerTar));
  const config = JSON.stringify({
    architecture: options.architecture ?? "amd64",
    os: "linux",
    config: { Cmd: ["/bin/true"] },
    rootfs: { type: "layers", diff_ids: [sha256(layerTar)] },
  });
  const configBlob = writeBlob(config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: ociManifestType,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...configBlob },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
  });
  const manifestBlob = writeBlob(manifest);
  writeFileSync(join(directory, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    join(directory, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: ociManifestType,
          ...manifestBlob,
          annotations: { "org.opencontainers.image.ref.name": options.tag },
        },
      ],
    }),
  );
  return { directory, manifestDigest: manifestBlob.digest, manifest, configDigest: configBlob.digest };
}

/** A POSIX tar archive with one regular file (enough for a registry, which never unpacks it). */
function tarWithOneFile(name: string, content: string): Uint8Array<ArrayBuffer> {
  const body = Buffer.from(content);
  const header = Buffer.alloc(512);
  header.write(name, 0, "utf8");
  header.write("0000644\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write(`${body.length.toString(8).padStart(11, "0")}\0`, 124);
  header.write("00000000000\0", 136);
  header.write("        ", 148);
  header.write("0", 156);
  header.write("ustar\0", 257);
  header.write("00", 263);
  let checksum = 0;
  for (const byte of header) checksum += byte;
  header.write(`${checksum.toString(8).padStart(6, "0")}\0 `, 148);
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512);
  return new Uint8Array(Buffer.concat([header, body, padding, Buffer.alloc(1024)]));
}

/** `skopeo copy oci:DIR:TAG docker://HOST/NAME:TAG` over plain HTTP. */
export async function pushWithSkopeo(
  image: OciImage,
  tag: string,
  destination: string,
  credentials?: { username: string; password: string },
): Promise<void> {
  const argv = [
    "skopeo",
    "--insecure-policy",
    "copy",
    "--quiet",
    "--dest-tls-verify=false",
    ...(credentials === undefined ? [] : ["--dest-creds", `${credentials.username}:${credentials.password}`]),
    `oci:${image.directory}:${tag}`,
    `docker://${destination}`,
  ];
  const child = Bun.spawn(argv, { env: environment, stdio: ["ignore", "pipe", "pipe"] });
  const [stderr, exitCode] = await Promise.all([new Response(child.stderr).text(), child.exited]);
  if (exitCode !== 0) throw new Error(`skopeo copy to ${destination} failed (${exitCode}): ${stderr}`);
}

/** Puts an OCI index over two pushed manifests, as `docker buildx` does for multi-arch images. */
export async function putIndex(
  registryUrl: string,
  name: string,
  tag: string,
  entries: { digest: string; size: number; architecture: string }[],
): Promise<string> {
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: entries.map((entry) => ({
      mediaType: ociManifestType,
      digest: entry.digest,
      size: entry.size,
      platform: { architecture: entry.architecture, os: "linux" },
    })),
  });
  const response = await fetch(`${registryUrl}/v2/${name}/manifests/${tag}`, {
    method: "PUT",
    headers: { "content-type": "application/vnd.oci.image.index.v1+json" },
    body: index,
  });
  if (response.status !== 201)
    throw new Error(`PUT index answered ${response.status}: ${await response.text()}`);
  return sha256(index);
}

export function removeDirectory(directory: string): void {
  rmSync(directory, { recursive: true, force: true });
}
