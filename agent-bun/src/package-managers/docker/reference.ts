import { AgentError } from "../../errors.ts";

/** An image reference split and normalised the way distribution/reference does it. */
export type ImageReference = {
  /** Registry host (and port): `docker.io` for Docker Hub. */
  domain: string;
  /** Repository path inside the registry: `library/nginx` for `nginx` on Docker Hub. */
  path: string;
  /** The tag: `latest` when neither a tag nor a digest was given. */
  tag: string | null;
  digest: string | null;
};

export const dockerHubDomain = "docker.io";
const legacyDockerHubDomain = "index.docker.io";
/** Docker Hub's API lives elsewhere than its name. */
export const dockerHubRegistryHost = "registry-1.docker.io";
const officialPrefix = "library/";
/** distribution/reference limits the repository path (not the domain) to 255 characters. */
const maxPathLength = 255;

// The grammar of github.com/distribution/reference (regexp.go).
const alphanumeric = "[a-z0-9]+";
const separator = "(?:[._]|__|[-]+)";
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = "\\[(?:[a-fA-F0-9:]+)\\]";
const domainPattern = new RegExp(`^(?:${domainName}|${ipv6})(?::[0-9]+)?$`);
const pathPattern = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const tagPattern = /^[\w][\w.-]{0,127}$/;
const digestPattern = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const sha256Pattern = /^sha256:[0-9a-f]{64}$/;
/** The algorithms Docker's go-digest knows, by the number of hex digits each takes. */
const digestHexLengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
/** A bare image id: Docker refuses it as a name rather than guess which one is meant. */
const imageIdPattern = /^[a-f0-9]{64}$/;

function invalid(reference: string, reason: string): AgentError {
  return new AgentError(`${JSON.stringify(reference.slice(0, 300))} is not an image reference: ${reason}`, {
    source: "docker",
    kind: "invalid_input",
    operation: "parse image reference",
  });
}

/**
 * Parses `[domain/]path[:tag][@digest]` and normalises it: `nginx` → `docker.io/library/nginx:latest`.
 * The first component is a domain when it holds `.` or `:` or is `localhost`, as in Docker.
 */
export function parseImageReference(reference: string): ImageReference {
  if (reference === "") throw invalid(reference, "it is empty");
  if (reference.length > 1024) throw invalid(reference, "it is too long");
  if (imageIdPattern.test(reference)) {
    throw invalid(reference, "64 hex digits are an image id, not a repository name");
  }
  let rest = reference;
  let digest: string | null = null;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestPattern.test(digest)) throw invalid(reference, `${JSON.stringify(digest)} is not a digest`);
    const [algorithm = "", hex = ""] = digest.split(":");
    const hexLength = digestHexLengths[algorithm];
    if (hexLength === undefined) {
      throw invalid(reference, `${JSON.stringify(algorithm)} is not a digest algorithm Docker knows`);
    }
    if (hex.length !== hexLength || !/^[0-9a-f]+$/.test(hex)) {
      throw invalid(reference, `a ${algorithm} digest has ${hexLength} lower-case hex digits`);
    }
  }
  let tag: string | null = null;
  const lastSlash = rest.lastIndexOf("/");
  const lastColon = rest.lastIndexOf(":");
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!tagPattern.test(tag)) throw invalid(reference, `${JSON.stringify(tag)} is not a tag`);
  }
  if (rest === "") throw invalid(reference, "the repository name is empty");
  let domain = dockerHubDomain;
  let path = rest;
  const firstSlash = rest.indexOf("/");
  if (firstSlash >= 0) {
    const first = rest.slice(0, firstSlash);
    if (
      first.includes(".") ||
      first.includes(":") ||
      first === "localhost" ||
      first !== first.toLowerCase()
    ) {
      domain = first;
      path = rest.slice(firstSlash + 1);
    }
  }
  if (!domainPattern.test(domain))
    throw invalid(reference, `${JSON.stringify(domain)} is not a registry host`);
  if (domain === legacyDockerHubDomain) domain = dockerHubDomain;
  if (path !== path.toLowerCase()) throw invalid(reference, "repository names must be lower-case");
  if (!pathPattern.test(path)) {
    throw invalid(
      reference,
      `${JSON.stringify(path)} is not a repository path (a-z, 0-9, separators . _ __ -)`,
    );
  }
  if (domain === dockerHubDomain && !path.includes("/")) path = `${officialPrefix}${path}`;
  if (path.length > maxPathLength) {
    throw invalid(reference, `the repository path is longer than ${maxPathLength} characters`);
  }
  if (tag === null && digest === null) tag = "latest";
  return { domain, path, tag, digest };
}

/** `domain/path`: the repository as RepoDigests and registries know it after normalisation. */
export function repositoryName(reference: ImageReference): string {
  return `${reference.domain}/${reference.path}`;
}

/** The full normalised form: `docker.io/library/nginx:latest`, `host:5000/app@sha256:…`. */
export function formatImageReference(reference: ImageReference): string {
  return `${repositoryName(reference)}${reference.tag === null ? "" : `:${reference.tag}`}${
    reference.digest === null ? "" : `@${reference.digest}`
  }`;
}

/**
 * The short form Docker shows: `nginx:1.25`, `user/app:1`, `ghcr.io/o/app:2`. Only a one-component
 * official image loses `library/`: `docker.io/library/foo/bar` stays `library/foo/bar`.
 */
export function familiarName(reference: ImageReference): string {
  let name = repositoryName(reference);
  if (reference.domain === dockerHubDomain) {
    const official = reference.path.startsWith(officialPrefix)
      ? reference.path.slice(officialPrefix.length)
      : null;
    name = official === null || official.includes("/") ? reference.path : official;
  }
  return `${name}${reference.tag === null ? "" : `:${reference.tag}`}`;
}

/** The host to send registry API calls to. */
export function registryApiHost(domain: string): string {
  return domain === dockerHubDomain ? dockerHubRegistryHost : domain;
}

export function isSha256Digest(text: string): boolean {
  return sha256Pattern.test(text);
}
