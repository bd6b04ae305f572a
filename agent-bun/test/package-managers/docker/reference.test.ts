import { describe, expect, test } from "bun:test";
import { AgentError } from "../../../src/errors.ts";
import {
  compareWithRegistry,
  familiarName,
  formatImageReference,
  type ImageReference,
  newerTagsOfSameShape,
  nextLink,
  normaliseRegistryKey,
  parseDockerConfig,
  parseDockerHost,
  parseImageReference,
  parseWwwAuthenticate,
  repositoryName,
  retryAfterMs,
} from "../../../src/package-managers/docker/index.ts";
import { caught } from "../fixtures.ts";

const digest = `sha256:${"a".repeat(64)}`;

// The vectors of github.com/distribution/reference's own tests (normalize_test.go, reference_test.go):
// the grammar and normalisation Docker applies to the names it reads.
const ffDigest = `sha256:${"f".repeat(64)}`;
const hexName = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";

/** TestValidateReferenceName and TestValidateRemoteName. */
const validNames = [
  "docker/docker",
  "library/debian",
  "debian",
  "localhost/library/debian",
  "localhost/debian",
  "LOCALDOMAIN/library/debian",
  "LOCALDOMAIN/debian",
  "docker.io/docker/docker",
  "docker.io/library/debian",
  "docker.io/debian",
  "index.docker.io/docker/docker",
  "index.docker.io/library/debian",
  "index.docker.io/debian",
  "127.0.0.1:5000/docker/docker",
  "127.0.0.1:5000/library/debian",
  "127.0.0.1:5000/debian",
  "192.168.0.1",
  "192.168.0.1:80",
  "192.168.0.1:8/debian",
  "192.168.0.2:25000/debian",
  "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
  "[fc00::1]:5000/docker",
  "[fc00::1]:5000/docker/docker",
  "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
  `docker.io/${hexName}`,
  "Docker/docker",
  "DOCKER/docker",
  "docker-rules/docker",
  "docker---rules/docker",
  "doc/docker",
  "d/docker",
  "jess/t",
  "dock__er/docker",
];
const invalidNames = [
  "https://github.com/docker/docker",
  "docker/Docker",
  "-docker",
  "-docker/docker",
  "-docker.io/docker/docker",
  "docker///docker",
  "docker.io/docker/Docker",
  "docker.io/docker///docker",
  "[fc00::1]",
  "[fc00::1]:5000",
  "fc00::1:5000/debian",
  "[fe80::1%eth0]:5000/debian",
  "[2001:db8:3:4::192.0.2.33]:5000/debian",
  hexName,
  "docker-/docker",
  "-docker-/docker",
  "____/____",
  "_docker/_docker",
  "dock..er/docker",
  "dock_.er/docker",
  "dock-.er/docker",
  "docker/",
  `${Array(4).fill("this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255").join("_")}/docker`,
];

/** TestParseRepositoryInfo: each of the familiar, full and ambiguous spellings reads the same. */
const repositoryInfo: {
  path: string;
  familiar: string;
  full: string;
  ambiguous: string | null;
  domain: string;
}[] = [
  {
    path: "fooo",
    familiar: "localhost/fooo",
    full: "localhost/fooo",
    ambiguous: "localhost/fooo",
    domain: "localhost",
  },
  {
    path: "fooo/bar",
    familiar: "localhost/fooo/bar",
    full: "localhost/fooo/bar",
    ambiguous: "localhost/fooo/bar",
    domain: "localhost",
  },
  {
    path: "fooo",
    familiar: "LOCALDOMAIN/fooo",
    full: "LOCALDOMAIN/fooo",
    ambiguous: "LOCALDOMAIN/fooo",
    domain: "LOCALDOMAIN",
  },
  {
    path: "fooo/bar",
    familiar: "LOCALDOMAIN/fooo/bar",
    full: "LOCALDOMAIN/fooo/bar",
    ambiguous: "LOCALDOMAIN/fooo/bar",
    domain: "LOCALDOMAIN",
  },
  {
    path: "fooo/bar",
    familiar: "fooo/bar",
    full: "docker.io/fooo/bar",
    ambiguous: "index.docker.io/fooo/bar",
    domain: "docker.io",
  },
  {
    path: "library/ubuntu",
    familiar: "ubuntu",
    full: "docker.io/library/ubuntu",
    ambiguous: "library/ubuntu",
    domain: "docker.io",
  },
  {
    path: "nonlibrary/ubuntu",
    familiar: "nonlibrary/ubuntu",
    full: "docker.io/nonlibrary/ubuntu",
    ambiguous: null,
    domain: "docker.io",
  },
  {
    path: "other/library",
    familiar: "other/library",
    full: "docker.io/other/library",
    ambiguous: null,
    domain: "docker.io",
  },
  {
    path: "private/moonbase",
    familiar: "127.0.0.1:8000/private/moonbase",
    full: "127.0.0.1:8000/private/moonbase",
    ambiguous: null,
    domain: "127.0.0.1:8000",
  },
  {
    path: "privatebase",
    familiar: "127.0.0.1:8000/privatebase",
    full: "127.0.0.1:8000/privatebase",
    ambiguous: null,
    domain: "127.0.0.1:8000",
  },
  {
    path: "private/moonbase",
    familiar: "example.com/private/moonbase",
    full: "example.com/private/moonbase",
    ambiguous: null,
    domain: "example.com",
  },
  {
    path: "privatebase",
    familiar: "example.com/privatebase",
    full: "example.com/privatebase",
    ambiguous: null,
    domain: "example.com",
  },
  {
    path: "private/moonbase",
    familiar: "example.com:8000/private/moonbase",
    full: "example.com:8000/private/moonbase",
    ambiguous: null,
    domain: "example.com:8000",
  },
  {
    path: "privatebasee",
    familiar: "example.com:8000/privatebasee",
    full: "example.com:8000/privatebasee",
    ambiguous: null,
    domain: "example.com:8000",
  },
  {
    path: "library/ubuntu-12.04-base",
    familiar: "ubuntu-12.04-base",
    full: "docker.io/library/ubuntu-12.04-base",
    ambiguous: "index.docker.io/library/ubuntu-12.04-base",
    domain: "docker.io",
  },
  {
    path: "library/foo",
    familiar: "foo",
    full: "docker.io/library/foo",
    ambiguous: "docker.io/foo",
    domain: "docker.io",
  },
  {
    path: "library/foo/bar",
    familiar: "library/foo/bar",
    full: "docker.io/library/foo/bar",
    ambiguous: null,
    domain: "docker.io",
  },
  {
    path: "store/foo/bar",
    familiar: "store/foo/bar",
    full: "docker.io/store/foo/bar",
    ambiguous: null,
    domain: "docker.io",
  },
  { path: "bar", familiar: "Foo/bar", full: "Foo/bar", ambiguous: null, domain: "Foo" },
  { path: "bar", familiar: "FOO/bar", full: "FOO/bar", ambiguous: null, domain: "FOO" },
];

/** TestNormalizedSplitHostname: [input, domain, path]. */
const domainSplits: [string, string, string][] = [
  ["test.com/foo", "test.com", "foo"],
  ["test_com/foo", "docker.io", "test_com/foo"],
  ["docker/migrator", "docker.io", "docker/migrator"],
  ["test.com:8080/foo", "test.com:8080", "foo"],
  ["test-com:8080/foo", "test-com:8080", "foo"],
  ["foo", "docker.io", "library/foo"],
  ["xn--n3h.com/foo", "xn--n3h.com", "foo"],
  ["xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"],
  ["docker.io/foo", "docker.io", "library/foo"],
  ["docker.io/library/foo", "docker.io", "library/foo"],
  ["docker.io/library/foo/bar", "docker.io", "library/foo/bar"],
];

/**
 * TestParseAnyReference (its named references; a bare 64-hex id is refused as a name above) and
 * TestParseDockerRef: [input, the reference Docker uses]. With both a tag and a digest Docker pulls
 * by the digest alone; our parser keeps the tag too (the installer re-tags by it), so that case is
 * compared with the tag dropped.
 */
const dockerReferences: [string, string][] = [
  ["redis", "docker.io/library/redis:latest"],
  ["redis:latest", "docker.io/library/redis:latest"],
  ["docker.io/library/redis:latest", "docker.io/library/redis:latest"],
  [
    "redis@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c",
    "docker.io/library/redis@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c",
  ],
  [
    "docker.io/library/redis@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c",
    "docker.io/library/redis@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c",
  ],
  ["dmcgowan/myapp", "docker.io/dmcgowan/myapp:latest"],
  ["dmcgowan/myapp:latest", "docker.io/dmcgowan/myapp:latest"],
  ["docker.io/mcgowan/myapp:latest", "docker.io/mcgowan/myapp:latest"],
  [
    "dmcgowan/myapp@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c",
    "docker.io/dmcgowan/myapp@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c",
  ],
  [
    "docker.io/dmcgowan/myapp@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c",
    "docker.io/dmcgowan/myapp@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c",
  ],
  [
    "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9",
    "docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9:latest",
  ],
  ["dbcc1", "docker.io/library/dbcc1:latest"],
  ["busybox", "docker.io/library/busybox:latest"],
  ["busybox:latest", "docker.io/library/busybox:latest"],
  [
    "busybox@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582",
    "docker.io/library/busybox@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582",
  ],
  ["library/busybox", "docker.io/library/busybox:latest"],
  ["docker.io/busybox", "docker.io/library/busybox:latest"],
  ["docker.io/library/busybox", "docker.io/library/busybox:latest"],
  ["docker.io/busybox:latest", "docker.io/library/busybox:latest"],
  ["library/busybox:latest", "docker.io/library/busybox:latest"],
  ["docker.io/library/busybox:latest", "docker.io/library/busybox:latest"],
  ["gcr.io/library/busybox", "gcr.io/library/busybox:latest"],
  [
    "gcr.io/library/busybox:latest@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582",
    "gcr.io/library/busybox@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582",
  ],
];

/**
 * TestReferenceParse: [input, repository as Docker shows it, tag, digest], or [input, null] when it
 * is refused. Its domains are those of the un-normalised Parse and are left out (the splits above
 * are Docker's). `validname@sha512:…` is refused there only because that test binary does not link
 * sha512; the Docker engine does, and accepts it.
 */
const parseCases: [string, string | null, string | null, string | null][] = [
  ["test_com", "test_com", null, null],
  ["test.com:tag", "test.com", "tag", null],
  ["test.com:5000", "test.com", "5000", null],
  ["test.com/repo:tag", "test.com/repo", "tag", null],
  ["test:5000/repo", "test:5000/repo", null, null],
  ["test:5000/repo:tag", "test:5000/repo", "tag", null],
  [`test:5000/repo@${ffDigest}`, "test:5000/repo", null, ffDigest],
  [`test:5000/repo:tag@${ffDigest}`, "test:5000/repo", "tag", ffDigest],
  ["", null, null, null],
  [":justtag", null, null, null],
  [`@${ffDigest}`, null, null, null],
  [`repo@sha256:${"f".repeat(34)}`, null, null, null],
  [`validname@invaliddigest:${"f".repeat(64)}`, null, null, null],
  [`validname@sha512:${"f".repeat(128)}`, "validname", null, `sha512:${"f".repeat(128)}`],
  ["Uppercase:tag", null, null, null],
  ["Uppercase/lowercase:tag", "Uppercase/lowercase", "tag", null],
  ["test:5000/Uppercase/lowercase:tag", null, null, null],
  ["lowercase:Uppercase", "lowercase", "Uppercase", null],
  [`domain/${"a".repeat(256)}:tag`, null, null, null],
  [`${"a/".repeat(127)}a:tag-puts-this-over-max`, `${"a/".repeat(127)}a`, "tag-puts-this-over-max", null],
  ["aa/asdf$$^/aa", null, null, null],
  ["sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com/bar/baz/quux", null, null],
  ["sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com/bar/baz/quux", "some-long-tag", null],
  [
    "b.gcr.io/test.example.com/my-app:test.example.com",
    "b.gcr.io/test.example.com/my-app",
    "test.example.com",
    null,
  ],
  ["xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage", "xn--n3h.com", null],
  [`xn--7o8h.com/myimage:xn--7o8h.com@${ffDigest}`, "xn--7o8h.com/myimage", "xn--7o8h.com", ffDigest],
  ["foo_bar.com:8080", "foo_bar.com", "8080", null],
  ["foo/foo_bar.com:8080", "foo/foo_bar.com", "8080", null],
  ["192.168.1.1", "192.168.1.1", null, null],
  ["192.168.1.1:tag", "192.168.1.1", "tag", null],
  ["192.168.1.1:5000", "192.168.1.1", "5000", null],
  ["192.168.1.1/repo", "192.168.1.1/repo", null, null],
  ["192.168.1.1:5000/repo", "192.168.1.1:5000/repo", null, null],
  ["192.168.1.1:5000/repo:5050", "192.168.1.1:5000/repo", "5050", null],
  ["[2001:db8::1]", null, null, null],
  ["[2001:db8::1]:5000", null, null, null],
  ["[2001:db8::1]:tag", null, null, null],
  ["[2001:db8::1]/repo", "[2001:db8::1]/repo", null, null],
  ["[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]/repo", "tag", null],
  ["[2001:db8::1]:5000/repo", "[2001:db8::1]:5000/repo", null, null],
  ["[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000/repo", "tag", null],
  [`[2001:db8::1]:5000/repo@${ffDigest}`, "[2001:db8::1]:5000/repo", null, ffDigest],
  [`[2001:db8::1]:5000/repo:tag@${ffDigest}`, "[2001:db8::1]:5000/repo", "tag", ffDigest],
  ["[2001:db8::]:5000/repo", "[2001:db8::]:5000/repo", null, null],
  ["[::1]:5000/repo", "[::1]:5000/repo", null, null],
  ["[fe80::1%eth0]:5000/repo", null, null, null],
  ["[fe80::1%@invalidzone]:5000/repo", null, null, null],
  [`example.com/${"a".repeat(255)}:tag`, `example.com/${"a".repeat(255)}`, "tag", null],
];

function nameOf(reference: ImageReference): string {
  return familiarName({ ...reference, tag: null });
}

describe("image references as distribution/reference reads them", () => {
  test.each(validNames)("valid name %p", (name) => {
    expect(() => parseImageReference(name)).not.toThrow();
  });

  test.each(invalidNames)("invalid name %p", (name) => {
    const error = caught(() => parseImageReference(name));
    expect(error).toBeInstanceOf(AgentError);
    expect((error as AgentError).kind).toBe("invalid_input");
  });

  test.each(
    repositoryInfo.flatMap((info) =>
      [info.familiar, info.full, info.ambiguous]
        .filter((spelling) => spelling !== null)
        .map((spelling) => ({ spelling, ...info })),
    ),
  )("repository $spelling: familiar $familiar, full $full", (info) => {
    const reference = parseImageReference(info.spelling);
    expect({
      familiar: nameOf(reference),
      full: repositoryName(reference),
      domain: reference.domain,
      path: reference.path,
    }).toEqual({ familiar: info.familiar, full: info.full, domain: info.domain, path: info.path });
  });

  test.each(domainSplits)("%p splits into domain %p and path %p", (input, domain, path) => {
    expect(parseImageReference(input)).toMatchObject({ domain, path });
  });

  test.each(dockerReferences)("%p is %p", (input, expected) => {
    const reference = parseImageReference(input);
    expect(formatImageReference(reference.digest === null ? reference : { ...reference, tag: null })).toBe(
      expected,
    );
  });

  test("a tag and a digest together (TestParseReferenceWithTagAndDigest)", () => {
    const short = "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
    const reference = parseImageReference(short);
    expect(formatImageReference(reference)).toBe(`docker.io/library/${short}`);
    expect(`${familiarName(reference)}@${reference.digest}`).toBe(short);
  });

  test.each(parseCases)("parse %p", (input, repository, tag, digest) => {
    if (repository === null) {
      const error = caught(() => parseImageReference(input));
      expect(error).toBeInstanceOf(AgentError);
      expect((error as AgentError).kind).toBe("invalid_input");
      return;
    }
    const reference = parseImageReference(input);
    expect({ name: nameOf(reference), tag: reference.tag, digest: reference.digest }).toEqual({
      name: repository,
      tag: tag ?? (digest === null ? "latest" : null),
      digest,
    });
  });
});

describe("image references: our own cases", () => {
  test("normalisation", () => {
    const cases: [string, string][] = [
      ["nginx", "docker.io/library/nginx:latest"],
      ["nginx:1.25", "docker.io/library/nginx:1.25"],
      ["index.docker.io/user/app:2", "docker.io/user/app:2"],
      ["ghcr.io/owner/repo/sub:v1.2", "ghcr.io/owner/repo/sub:v1.2"],
      ["localhost:5000/app:dev", "localhost:5000/app:dev"],
      ["registry.example.com/a__b/c-d--e.f:tag_1.2-x", "registry.example.com/a__b/c-d--e.f:tag_1.2-x"],
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
    expect(familiarName(parseImageReference("docker.io/library/foo/bar:1"))).toBe("library/foo/bar:1");
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
      [`nginx@md5:${"a".repeat(32)}`, "not a digest algorithm Docker knows"],
      [hexName, "image id"],
      ["-nginx", "not a repository path"],
      ["app//x", "not a repository path"],
      ["app/", "not a repository path"],
      ["my_registry.com:5000/app", "not a registry host"],
      ["a..b/app", "not a registry host"],
      ["nginx;rm -rf /", "not a"],
      [`example.com/${"a".repeat(256)}`, "longer than 255"],
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
