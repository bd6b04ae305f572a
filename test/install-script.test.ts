import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { signingKeyFingerprint } from "@redflag/contracts/signing";
import { renderInstallScript } from "../apps/web/src/server/install-scripts.ts";

/**
 * agent-bun/install/install.sh as the server serves it, run by the real sh against a local HTTP
 * server that plays /downloads: the CPU it picks, the SHA-256 and the Ed25519 signature it checks
 * with the real openssl, and what it runs. The "binary" it downloads is a script that prints its
 * arguments; the real agent behind it is run by test/agent/systemd-service.e2e.ts.
 */
const repositoryRoot = resolve(import.meta.dir, "..");
const scriptPath = join(repositoryRoot, "agent-bun/install/install.sh");
const target = "redflag-agent-linux-x64";
const fakeAgent =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell script's variable
  '#!/bin/sh\necho "agent ran from $0: $*"\necho "agent ran: $*"\nexit "${FAKE_AGENT_EXIT:-0}"\n';

let directory: string;
let server: ReturnType<typeof Bun.serve>;
let files: Map<string, Uint8Array>;
let fingerprint: string;

function openssl(args: string[], input?: Uint8Array): Buffer {
  const result = Bun.spawnSync(["openssl", ...args], { stdin: input, stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`openssl ${args.join(" ")}: ${result.stderr.toString()}`);
  return result.stdout;
}

/** A server key as the server's signing key is: Ed25519, its public half as SPKI PEM. */
function newKey(name: string) {
  const privateKey = join(directory, `${name}.key`);
  openssl(["genpkey", "-algorithm", "ed25519", "-out", privateKey]);
  const publicPem = openssl(["pkey", "-in", privateKey, "-pubout"]);
  const raw = openssl(["pkey", "-in", privateKey, "-pubout", "-outform", "DER"]).subarray(-32);
  const sign = (data: Uint8Array) => {
    const input = join(directory, `${name}.input`);
    writeFileSync(input, data);
    return openssl(["pkeyutl", "-sign", "-inkey", privateKey, "-rawin", "-in", input]);
  };
  return { publicPem, sign, fingerprint: signingKeyFingerprint(new Uint8Array(raw)) };
}

/** Serves the downloads as they are now; a test changes `files` to play a tampered server. */
function publish(agent: string, key: ReturnType<typeof newKey>, options: { sumsSignedBy?: typeof key } = {}) {
  const binary = new TextEncoder().encode(agent);
  const sums = new TextEncoder().encode(
    `${createHash("sha256").update(binary).digest("hex")}  ${target}\n0000  redflag-agent-linux-arm64\n`,
  );
  files = new Map<string, Uint8Array>([
    [`/downloads/${target}`, binary],
    ["/downloads/SHA256SUMS", sums],
    ["/downloads/SHA256SUMS.sig", (options.sumsSignedBy ?? key).sign(sums)],
    ["/downloads/signing-key.pem", key.publicPem],
  ]);
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "redflag-install-sh-"));
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (path === "/install.sh") {
        const text = await renderInstallScript(
          repositoryRoot,
          "install.sh",
          `http://127.0.0.1:${server.port}`,
        );
        return new Response(text);
      }
      const body = files.get(path);
      return body === undefined
        ? new Response("not found\n", { status: 404 })
        : new Response(new Uint8Array(body));
    },
  });
  const key = newKey("server");
  fingerprint = key.fingerprint;
  publish(fakeAgent, key);
});
afterAll(() => {
  server.stop(true);
  rmSync(directory, { recursive: true, force: true });
});

type ScriptRun = { exitCode: number; stdout: string; stderr: string };

/** `curl -fsSL …/install.sh | sh -s -- ARGS`, as the Add agent page shows it. */
async function oneLiner(
  args: string[],
  options: { env?: Record<string, string>; user?: number } = {},
): Promise<ScriptRun> {
  const quoted = args.map((arg) => `'${arg}'`).join(" ");
  const line = `curl -fsSL http://127.0.0.1:${server.port}/install.sh | sh -s -- ${quoted}`;
  const prefix =
    options.user === undefined
      ? []
      : ["setpriv", `--reuid=${options.user}`, `--regid=${options.user}`, "--clear-groups"];
  // Not spawnSync: the server answering curl runs in this process.
  const child = Bun.spawn([...prefix, "sh", "-c", line], {
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: directory, ...options.env },
    cwd: directory,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { exitCode, stdout, stderr };
}

describe("install.sh", () => {
  test("is clean under shellcheck (POSIX sh)", () => {
    if (Bun.which("shellcheck") === null) {
      throw new Error("shellcheck is not installed: apt-get install shellcheck (.ci/run installs it)");
    }
    const result = Bun.spawnSync(["shellcheck", "--shell=sh", "--severity=style", scriptPath], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(result.stdout.toString() + result.stderr.toString()).toBe("");
    expect(result.exitCode).toBe(0);
    // shellcheck would see a mistake: it is the checker, not a formality.
    const broken = join(directory, "broken.sh");
    writeFileSync(broken, `${readFileSync(scriptPath, "utf8")}\necho $undefined_variable_here\n`);
    expect(Bun.spawnSync(["shellcheck", "--shell=sh", broken]).exitCode).not.toBe(0);
  });

  test("is served with the server's URL in it", async () => {
    const text = await (await fetch(`http://127.0.0.1:${server.port}/install.sh`)).text();
    expect(text).toContain(`server='http://127.0.0.1:${server.port}'`);
    expect(text).not.toContain("@REDFLAG_SERVER_URL@");
  });

  test("as root: picks the x64 glibc build, checks its SHA-256, and runs it to install the service", async () => {
    const result = await oneLiner(["--token", "rf_reg_0123456789abcdef"]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`chose ${target} (x86_64, glibc)`);
    expect(result.stdout).toContain("SHA-256 matches SHA256SUMS");
    expect(result.stdout).toContain("no --fingerprint given: the server's signature is not checked");
    expect(result.stdout).toContain(
      `agent ran: --install-service --server http://127.0.0.1:${server.port} --token rf_reg_0123456789abcdef\n`,
    );
    // It ran from beside /usr/local/bin/redflag-agent (/tmp may be noexec), and nothing is left there.
    expect(result.stdout).toMatch(/^agent ran from \/usr\/local\/bin\/\.redflag-agent\.install-\d+:/m);
    expect(readdirSync("/usr/local/bin").filter((name) => name.startsWith(".redflag-agent"))).toEqual([]);
  });

  test("on a musl host without libstdc++ (and no apk to add it): says what to install and installs nothing", async () => {
    // A host whose C library does not answer as glibc, with musl's loader (.ci/run installs musl).
    const bin = join(directory, "musl-host-bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "getconf"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    const result = await oneLiner(["--token", "rf_reg_0123456789abcdef"], {
      env: { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin` },
    });
    expect(result.stdout).toContain(`chose ${target}-musl (x86_64, musl)`);
    expect(result.stderr).toContain("the musl agent needs libstdc++.so.6 and libgcc_s");
    expect(result.exitCode).toBe(1);
    expect(result.stdout).not.toContain("agent ran");
  });

  test("with the server's fingerprint: checks the key and the signature over SHA256SUMS, and passes the fingerprint on", async () => {
    const result = await oneLiner(["--token", "rf_reg_0123456789abcdef", "--fingerprint", fingerprint]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`SHA256SUMS is signed by ${fingerprint}`);
    expect(result.stdout).toContain(`--token rf_reg_0123456789abcdef --fingerprint ${fingerprint}\n`);
  });

  test("refuses a binary that does not match SHA256SUMS, and runs nothing", async () => {
    const good = files.get(`/downloads/${target}`);
    files.set(`/downloads/${target}`, new TextEncoder().encode(`${fakeAgent}# tampered\n`));
    try {
      const result = await oneLiner(["--token", "rf_reg_0123456789abcdef"]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(`${target} does not match SHA256SUMS`);
      expect(result.stdout).not.toContain("agent ran");
    } finally {
      if (good) files.set(`/downloads/${target}`, good);
    }
  });

  test("refuses a server whose key is not the fingerprint given", async () => {
    const other = newKey("other");
    const result = await oneLiner(["--token", "rf_reg_0123456789abcdef", "--fingerprint", other.fingerprint]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `the server's signing key is ${fingerprint}, not the ${other.fingerprint} you gave`,
    );
    expect(result.stdout).not.toContain("agent ran");
  });

  test("refuses SHA256SUMS signed by another key than the one it names", async () => {
    const key = newKey("served");
    publish(fakeAgent, key, { sumsSignedBy: newKey("intruder") });
    try {
      const result = await oneLiner(["--token", "rf_reg_0123456789abcdef", "--fingerprint", key.fingerprint]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(`SHA256SUMS is not signed by the server's key ${key.fingerprint}`);
      expect(result.stdout).not.toContain("agent ran");
    } finally {
      const original = newKey("server-again");
      fingerprint = original.fingerprint;
      publish(fakeAgent, original);
    }
  });

  test("says what to do when it is not root and there is no sudo, before downloading anything", async () => {
    chmodSync(directory, 0o755);
    const result = await oneLiner(["--token", "rf_reg_0123456789abcdef"], { user: 65534 });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      "this needs root and sudo is not installed: run it in a root shell (su -), without sudo",
    );
    expect(result.stdout).not.toContain("chose");
  });

  test("passes on the agent's 'no systemd' exit code after saying so", async () => {
    const result = await oneLiner(["--token", "rf_reg_0123456789abcdef"], { env: { FAKE_AGENT_EXIT: "10" } });
    expect(result.exitCode).toBe(10);
    expect(result.stdout).toContain("installed without a service: see above for how to start it");
  });

  test("refuses unknown arguments, --purge without --uninstall and a malformed fingerprint", async () => {
    expect((await oneLiner(["--tokne", "x"])).stderr).toContain("unknown argument: --tokne");
    expect((await oneLiner(["--purge"])).stderr).toContain("--purge goes with --uninstall");
    expect((await oneLiner(["--token", "t", "--fingerprint", "md5:abc"])).stderr).toContain(
      "--fingerprint must look like SHA256:",
    );
    expect((await oneLiner(["--token"])).stderr).toContain("--token needs a value");
  });

  test("--also-server passes each other server of the deployment on to the agent, after this one", async () => {
    const result = await oneLiner([
      "--token",
      "rf_reg_0123456789abcdef",
      "--also-server",
      "https://redflag-b.example/",
      "--also-server=http://10.0.0.3:8080",
    ]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain(
      `agent ran: --install-service --server http://127.0.0.1:${server.port} --server https://redflag-b.example --server http://10.0.0.3:8080 --token rf_reg_0123456789abcdef\n`,
    );
    expect((await oneLiner(["--token", "t", "--also-server", "redflag-b.example"])).stderr).toContain(
      "--also-server redflag-b.example: the server URL must start with http:// or https://",
    );
  });

  test("--uninstall with no agent installed says there is nothing to do", async () => {
    const result = await oneLiner(["--uninstall", "--purge"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("no agent at /usr/local/bin/redflag-agent: nothing to uninstall");
  });
});
