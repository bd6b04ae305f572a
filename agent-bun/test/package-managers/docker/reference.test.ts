import { describe, expect, test } from "bun:test";
import { AgentError } from "../../../src/errors.ts";
import {
  compareWithRegistry,
  familiarName,
  formatImageReference,
  newerTagsOfSameShape,
  nextLink,
  normaliseRegistryKey,
  parseDockerConfig,
  parseDockerHost,
  parseImageReference,
  parseWwwAuthenticate,
  retryAfterMs,
} from "../../../src/package-managers/docker/index.ts";
import { caught } from "../fixtures.ts";

const digest = `sha256:${"a".repeat(64)}`;

describe("image references", () => {
  test("normalisation as in distribution/reference", () => {
    const cases: [string, string][] = [
      ["nginx", "docker.io/library/nginx:latest"],
      ["nginx:1.25", "docker.io/library/nginx:1.25"],
      ["library/nginx", "docker.io/library/nginx:latest"],
      ["user/app", "docker.io/user/app:latest"],
      ["index.docker.io/user/app:2", "docker.io/user/app:2"],
      ["docker.io/nginx", "docker.io/library/nginx:latest"],
      ["ghcr.io/owner/repo/sub:v1.2", "ghcr.io/owner/repo/sub:v1.2"],
      ["localhost/app", "localhost/app:latest"],
      ["localhost:5000/app:dev", "localhost:5000/app:dev"],
      ["127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000/team/app:1.0"],
      ["[::1]:5000/app:1", "[::1]:5000/app:1"],
      ["registry.example.com/a__b/c-d--e.f:tag_1.2-x", "registry.example.com/a__b/c-d--e.f:tag_1.2-x"],
      [`nginx@${digest}`, `docker.io/library/nginx@${digest}`],
      [`nginx:1.25@${digest}`, `docker.io/library/nginx:1.25@${digest}`],
      ["Registry.Example.com/app", "Registry.Example.com/app:latest"],
    ];
    for (const [input, expected] of cases) {
      expect([input, formatImageReference(parseImageReference(input))]).toEqual([input, expected]);
    }
    const nginx = parseImageReference("nginx:1.25");
    expect(nginx).toEqual({ domain: "docker.io", path: "library/nginx", tag: "1.25", digest: null });
    expect(familiarName(nginx)).toBe("nginx:1.25");
    expect(familiarName(parseImageReference("user/app"))).toBe("user/app:latest");
  });

  test("invalid references say why", () => {
    const cases: [string, string][] = [
      ["", "empty"],
      ["Nginx", "lower-case"],
      ["user/App:1", "lower-case"],
      ["nginx:", "not a tag"],
      ["nginx:-bad", "not a tag"],
      [`nginx:${"x".repeat(129)}`, "not a tag"],
      ["nginx@sha256:abc", "not a digest"],
      [`nginx@sha256:${"A".repeat(64)}`, "64 lower-case"],
      ["-nginx", "not a repository path"],
      ["app//x", "not a repository path"],
      ["app/", "not a repository path"],
      ["my_registry.com:5000/app", "not a registry host"],
      ["a..b/app", "not a registry host"],
      ["nginx;rm -rf /", "not a"],
      [`example.com/${"a".repeat(250)}`, "longer than 255"],
    ];
    for (const [input, reason] of cases) {
      const error = caught(() => parseImageReference(input));
      expect(error).toBeInstanceOf(AgentError);
      expect((error as AgentError).kind).toBe("invalid_input");
      expect([input, (error as AgentError).message]).toEqual([input, expect.stringContaining(reason)]);
    }
  });
});

describe("registry auth pieces", () => {
  test("WWW-Authenticate: Bearer with quoted commas, Basic, several challenges", () => {
    expect(
      parseWwwAuthenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull,push"',
      ),
    ).toEqual([
      {
        scheme: "bearer",
        parameters: {
          realm: "https://auth.docker.io/token",
          service: "registry.docker.io",
          scope: "repository:library/nginx:pull,push",
        },
      },
    ]);
    expect(parseWwwAuthenticate('Basic realm="redflag-test"')).toEqual([
      { scheme: "basic", parameters: { realm: "redflag-test" } },
    ]);
    expect(
      parseWwwAuthenticate('Basic realm="a \\"b\\"", Bearer realm=https://t/token, error=invalid_token'),
    ).toEqual([
      { scheme: "basic", parameters: { realm: 'a "b"' } },
      { scheme: "bearer", parameters: { realm: "https://t/token", error: "invalid_token" } },
    ]);
    expect(parseWwwAuthenticate("")).toEqual([]);
  });

  test("Docker config.json: auths by normalised host, user:password in base64, helpers noted", () => {
    const config = parseDockerConfig(
      JSON.stringify({
        auths: {
          "https://index.docker.io/v1/": { auth: Buffer.from("hubuser:hub:pass").toString("base64") },
          "127.0.0.1:5000": { auth: Buffer.from("alice:secret").toString("base64") },
          "https://ghcr.io": { identitytoken: "refresh-me" },
          "quay.io": {},
        },
        credHelpers: { "123456789.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login" },
        credsStore: "desktop",
      }),
    );
    expect(config.byRegistry.get("docker.io")).toEqual({ username: "hubuser", password: "hub:pass" });
    expect(config.byRegistry.get("127.0.0.1:5000")).toEqual({ username: "alice", password: "secret" });
    expect(config.byRegistry.get("ghcr.io")).toEqual({ identityToken: "refresh-me" });
    expect(config.byRegistry.has("quay.io")).toBe(false);
    expect(config.helperRegistries).toEqual(["123456789.dkr.ecr.eu-west-1.amazonaws.com"]);
    expect(config.credentialsStore).toBe("desktop");
    expect(normaliseRegistryKey("https://registry-1.docker.io/v2/")).toBe("docker.io");
  });

  test("Docker config.json: not JSON, wrong shape or a broken auth entry are errors", () => {
    expect((caught(() => parseDockerConfig("{")) as AgentError).kind).toBe("unrecognized");
    expect((caught(() => parseDockerConfig('{"auths": []}')) as AgentError).kind).toBe("unrecognized");
    const broken = JSON.stringify({ auths: { "r.io": { auth: Buffer.from("nocolon").toString("base64") } } });
    expect((caught(() => parseDockerConfig(broken)) as AgentError).message).toContain("user:password");
  });

  test("Retry-After as seconds or HTTP date; Link next pages stay on the same repository", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs("7", now)).toBe(7000);
    expect(retryAfterMs("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30_000);
    expect(retryAfterMs("soon", now)).toBeNull();
    expect(retryAfterMs(null, now)).toBeNull();
    expect(nextLink('</v2/app/tags/list?last=b&n=2>; rel="next"', "http://r:5000", "app")).toBe(
      "/v2/app/tags/list?last=b&n=2",
    );
    expect(
      nextLink('<https://evil.example/v2/app/tags/list?last=b>; rel="next"', "http://r:5000", "app"),
    ).toBeNull();
    expect(nextLink('</v2/other/tags/list?last=b>; rel="next"', "http://r:5000", "app")).toBeNull();
    expect(nextLink(null, "http://r:5000", "app")).toBeNull();
  });
});

describe("newer tags of the same shape", () => {
  const tags = [
    "latest",
    "1",
    "1.24",
    "1.25",
    "1.26",
    "1.27",
    "1.27-alpine",
    "1.25.3",
    "1.25.3-alpine",
    "1.25.4-alpine",
    "1.25.10-alpine",
    "1.26.0-alpine",
    "1.25.4-alpine3.19",
    "1.25.4-bookworm",
    "2",
    "v1.25",
    "v1.30",
    "1.28-rc1",
  ];
  test("same number of parts, same prefix and suffix, newest first", () => {
    expect(newerTagsOfSameShape("1.25", tags)).toEqual(["1.27", "1.26"]);
    expect(newerTagsOfSameShape("1.25.3-alpine", tags)).toEqual([
      "1.26.0-alpine",
      "1.25.10-alpine",
      "1.25.4-alpine",
    ]);
    expect(newerTagsOfSameShape("1", tags)).toEqual(["2"]);
    expect(newerTagsOfSameShape("v1.25", tags)).toEqual(["v1.30"]);
    expect(newerTagsOfSameShape("1.27", tags)).toEqual([]);
    expect(newerTagsOfSameShape("latest", tags)).toEqual([]);
  });
});

describe("digests and hosts", () => {
  test("only RepoDigests of the same repository count, never the image id", () => {
    const reference = parseImageReference("nginx:1.25");
    const other = `sha256:${"b".repeat(64)}`;
    expect(compareWithRegistry(reference, [`nginx@${digest}`], digest)).toEqual({
      status: "up-to-date",
      localDigest: digest,
    });
    expect(compareWithRegistry(reference, [`docker.io/library/nginx@${other}`], digest)).toEqual({
      status: "update-available",
      localDigest: other,
      registryDigest: digest,
    });
    expect(compareWithRegistry(reference, [`mirror.example.com/nginx@${digest}`], digest).status).toBe(
      "unknown",
    );
    expect(compareWithRegistry(reference, [], digest).status).toBe("unknown");
  });

  test("DOCKER_HOST: unix and tcp; other schemes are refused", () => {
    expect(parseDockerHost(undefined)).toEqual({ kind: "unix", socketPath: "/var/run/docker.sock" });
    expect(parseDockerHost("unix:///run/user/1000/docker.sock")).toEqual({
      kind: "unix",
      socketPath: "/run/user/1000/docker.sock",
    });
    expect(parseDockerHost("tcp://10.0.0.5:2375")).toEqual({ kind: "tcp", baseUrl: "http://10.0.0.5:2375" });
    expect((caught(() => parseDockerHost("ssh://me@host")) as AgentError).kind).toBe("invalid_input");
    expect((caught(() => parseDockerHost("unix://relative.sock")) as AgentError).kind).toBe("invalid_input");
  });
});
