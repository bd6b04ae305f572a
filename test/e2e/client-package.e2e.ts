import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { testEnvironment } from "../harness/environment.ts";
import { aptItem, hostFacts, scanReport } from "../harness/fixtures.ts";
import { type ApiClient, apiClient, rawCall } from "../harness/server.ts";
import {
  type NextServer,
  serverDatabaseEnvironment,
  startNextServer,
  temporaryDirectory,
} from "./next-server.ts";

/**
 * @redflag/client as a user gets it: built, packed with `npm pack`, installed with npm from the tarball
 * into an empty project (its dependencies from the npm registry), its README's examples run with Node
 * against the production server, and a TypeScript consumer type-checked against the packed declarations.
 * Needs `bun run build` (the production server) first.
 */
const postgresUrl = testEnvironment.postgresUrl;
const repositoryRoot = resolve(import.meta.dir, "../..");
const clientDirectory = join(repositoryRoot, "packages/client");
const tsc = join(repositoryRoot, "node_modules/.bin/tsc");

const cleanups: (() => Promise<void> | void)[] = [];
let server: NextServer | null = null;
let admin: ApiClient;
let project: string;
let tarballFiles: string[] = [];
let operatorToken = "";
let viewerToken = "";
/** The agents the examples act on, by name: web-1 and web-2 carry the tag `web`, db-1 does not. */
const agents = new Map<string, { id: string; client: ApiClient }>();

type Run = { exitCode: number; stdout: string; stderr: string };

async function run(command: string[], options: { cwd: string; env?: Record<string, string> }): Promise<Run> {
  const child = Bun.spawn({
    cmd: command,
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
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

async function mustRun(command: string[], options: { cwd: string; env?: Record<string, string> }) {
  const result = await run(command, options);
  if (result.exitCode !== 0) {
    throw new Error(`${command.join(" ")} exited ${result.exitCode}:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** The client package built and packed, installed into an empty npm project. */
async function installPackedClient() {
  await mustRun([process.execPath, "run", "build"], { cwd: clientDirectory });
  const packDirectory = temporaryDirectory("redflag-client-pack-");
  cleanups.push(packDirectory.remove);
  const packed = await mustRun(["npm", "pack", "--json", "--pack-destination", packDirectory.path], {
    cwd: clientDirectory,
  });
  const [manifest] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  if (!manifest) throw new Error(`npm pack printed no manifest:\n${packed.stdout}`);
  tarballFiles = manifest.files.map((file) => file.path).sort();

  const consumer = temporaryDirectory("redflag-client-consumer-");
  cleanups.push(consumer.remove);
  project = consumer.path;
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "redflag-scripts", private: true, type: "module" }, null, 2),
  );
  await mustRun(
    [
      "npm",
      "install",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      join(packDirectory.path, manifest.filename),
    ],
    { cwd: project },
  );
  // A user copies the examples out of the package (or the README) into their own project.
  const examples = join(project, "node_modules/@redflag/client/examples");
  for (const file of readdirSync(examples)) copyFileSync(join(examples, file), join(project, file));
}

async function startServerWithFleet() {
  server = await startNextServer({
    ...(await serverDatabaseEnvironment(postgresUrl, cleanups, "redflag-client-e2e-")),
    REDFLAG_ADMIN_USER: "admin",
    REDFLAG_ADMIN_PASSWORD: "client e2e admin password",
  });
  const login = await rawCall(server.url, "auth.login", {
    type: "mutation",
    input: { username: "admin", password: "client e2e admin password" },
  });
  expect(login.status).toBe(200);
  admin = apiClient(server.url, { cookie: login.headers.get("set-cookie")?.split(";")[0] ?? "" });
  operatorToken = (
    await admin.apiTokens.create.mutate({ name: "scripts", role: "operator", expiresInDays: 1 })
  ).token;
  viewerToken = (await admin.apiTokens.create.mutate({ name: "reports", role: "viewer", expiresInDays: 1 }))
    .token;

  const fleet = [
    { hostname: "web-1", tags: ["web"] },
    { hostname: "web-2", tags: ["web", "eu"] },
    { hostname: "db-1", tags: ["db"] },
  ];
  for (const { hostname, tags } of fleet) {
    const registration = await admin.registrationTokens.create.mutate({ label: hostname, seats: 1 });
    const registered = await apiClient(server.url).agent.register.mutate({
      registrationToken: registration.token,
      host: hostFacts({ hostname }),
    });
    const agent = apiClient(server.url, { token: registered.accessToken });
    await agent.agent.checkIn.mutate({ agentVersion: "0.1.0", metrics: {}, rebootRequired: false });
    await agent.agent.reportScan.mutate(
      scanReport([
        aptItem("openssl", {
          security: true,
          severity: "important",
          cves: ["CVE-2026-0001", "CVE-2026-0002"],
        }),
        aptItem("libc6", { security: true, severity: "critical" }),
        aptItem("curl"),
        aptItem("vim", { currentVersion: "2:9.0.1378-2", availableVersion: "2:9.0.1378-2+deb12u1" }),
      ]),
    );
    await admin.agents.configure.mutate({ agentId: registered.agentId, tags });
    agents.set(hostname, { id: registered.agentId, client: agent });
  }
  // Not pending any more, so not in the export: db-1's vim update rejected.
  const [vim] = (await admin.updates.list.query({ agentId: agentId("db-1"), search: "vim" })).items;
  if (!vim) throw new Error("db-1 has no vim update");
  await admin.updates.reject.mutate({ updateIds: [vim.id] });
}

function agentId(hostname: string): `agt_${string}` {
  const agent = agents.get(hostname);
  if (!agent) throw new Error(`no agent ${hostname}`);
  return agent.id as `agt_${string}`;
}

beforeAll(async () => {
  await installPackedClient();
  await startServerWithFleet();
}, 300_000);

afterAll(async () => {
  await server?.stop();
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 30_000);

function example(runtime: "node" | "bun", file: string, args: string[], token = operatorToken) {
  return run([runtime === "node" ? "node" : process.execPath, file, ...args], {
    cwd: project,
    env: { REDFLAG_URL: server?.url ?? "", REDFLAG_TOKEN: token },
  });
}

/** RFC 4180, strictly: quoted fields may hold commas, quotes (doubled) and line breaks; rows end in CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let index = 0;
  while (index < text.length) {
    let field = "";
    if (text[index] === '"') {
      index++;
      for (;;) {
        const quote = text.indexOf('"', index);
        if (quote < 0) throw new Error("unterminated quoted field");
        field += text.slice(index, quote);
        index = quote + 1;
        if (text[index] !== '"') break;
        field += '"';
        index++;
      }
    } else {
      const end = text.slice(index).search(/[,\r\n]/);
      field = end < 0 ? text.slice(index) : text.slice(index, index + end);
      if (field.includes('"')) throw new Error(`stray quote in ${JSON.stringify(field)}`);
      index += field.length;
    }
    row.push(field);
    if (text[index] === ",") {
      index++;
    } else if (text.startsWith("\r\n", index)) {
      rows.push(row);
      row = [];
      index += 2;
    } else {
      throw new Error(
        `expected , or CRLF at ${index}, found ${JSON.stringify(text.slice(index, index + 10))}`,
      );
    }
  }
  if (row.length > 0) throw new Error("the last row does not end in CRLF");
  return rows;
}

describe(`@redflag/client packed and installed with npm, against the production server (${postgresUrl ? "Postgres" : "embedded PGlite"})`, () => {
  test("the tarball holds the built client, its declarations and its examples; it depends on npm packages only", () => {
    expect(tarballFiles).toEqual([
      "README.md",
      "dist/index.d.ts",
      "dist/index.js",
      "examples/approve-security-updates.mjs",
      "examples/export-pending-updates.mjs",
      "package.json",
    ]);
    const installed = JSON.parse(
      readFileSync(join(project, "node_modules/@redflag/client/package.json"), "utf8"),
    ) as { dependencies: Record<string, string> };
    const repositoryVersions = JSON.parse(readFileSync(join(repositoryRoot, "package.json"), "utf8")) as {
      devDependencies: Record<string, string>;
    };
    expect(Object.keys(installed.dependencies).sort()).toEqual(["@trpc/client", "@trpc/server", "superjson"]);
    for (const [name, version] of Object.entries(installed.dependencies)) {
      expect(version).toMatch(/^\d+\.\d+\.\d+$/);
      if (repositoryVersions.devDependencies[name])
        expect(version).toBe(repositoryVersions.devDependencies[name]);
    }
    // Nothing of the server came along: the only @redflag package installed is the client.
    expect(readdirSync(join(project, "node_modules/@redflag"))).toEqual(["client"]);
    const declarations = readFileSync(join(project, "node_modules/@redflag/client/dist/index.d.ts"), "utf8");
    expect(declarations).not.toContain("@redflag/");
    expect(declarations).toContain("export type AppRouter =");
  });

  test("a TypeScript consumer type-checks against the packed declarations, and a wrong call does not", async () => {
    const compilerOptions = {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      // @trpc/server's declarations use Disposable (TypeScript's esnext.disposable lib); the README says so.
      lib: ["ES2022", "DOM", "ESNext.Disposable"],
      types: [],
      strict: true,
      noEmit: true,
      skipLibCheck: false,
    };
    writeFileSync(
      join(project, "consumer.ts"),
      `import { createRedflagClient, type RedflagClient, requestIdOf, TRPCClientError } from "@redflag/client";

const client: RedflagClient = createRedflagClient({ url: "https://redflag.example.com", token: "rf_pat_example" });

export async function pendingSecurity(tag: string): Promise<string[]> {
  const { items } = await client.agents.list.query({ tag, pageSize: 200 });
  const lines: string[] = [];
  for (const agent of items) {
    const updates = await client.updates.list.query({ agentId: agent.id, security: true, statuses: ["available"] });
    for (const update of updates.items) {
      const firstSeen: Date = update.firstSeenAt;
      lines.push(\`\${agent.hostname} \${update.packageName} \${update.availableVersion} \${firstSeen.toISOString()}\`);
    }
  }
  return lines;
}

export async function approve(updateIds: \`upd_\${string}\`[]): Promise<number> {
  try {
    return (await client.updates.approve.mutate({ updateIds })).changed;
  } catch (error) {
    if (error instanceof TRPCClientError) console.error(error.message, requestIdOf(error));
    throw error;
  }
}
`,
    );
    writeFileSync(
      join(project, "wrong.ts"),
      `import { createRedflagClient } from "@redflag/client";

const client = createRedflagClient({ url: "https://redflag.example.com", token: "rf_pat_example" });
await client.updates.approve.mutate({ updateIds: "upd_1" });
await client.updates.list.query({ statuses: ["pending"] });
const hostname: number = (await client.agents.list.query({})).items[0]?.hostname ?? 0;
await client.updates.remove.mutate({ updateIds: [] });
export { hostname };
`,
    );
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({ compilerOptions, files: ["consumer.ts"] }),
    );
    writeFileSync(
      join(project, "tsconfig.wrong.json"),
      JSON.stringify({ compilerOptions, files: ["wrong.ts"] }),
    );

    const good = await run([tsc, "-p", "tsconfig.json"], { cwd: project });
    expect(`${good.stdout}${good.stderr}`).toBe("");
    expect(good.exitCode).toBe(0);

    const wrong = await run([tsc, "-p", "tsconfig.wrong.json"], { cwd: project });
    expect(wrong.exitCode).not.toBe(0);
    const errorLines = [...wrong.stdout.matchAll(/^wrong\.ts\((\d+),\d+\): error/gm)].map((match) =>
      Number(match[1]),
    );
    // Each wrong line, and only those: a string for an id list, a status that does not exist, a
    // hostname taken for a number, a procedure the server does not have.
    expect([...new Set(errorLines)]).toEqual([4, 5, 6, 7]);
  }, 120_000);

  test("example: approve every security update of the agents tagged `web` (Node)", async () => {
    const result = await example("node", "approve-security-updates.mjs", ["web"]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("approved 4 security update(s) on 2 agent(s) tagged web");

    for (const hostname of ["web-1", "web-2", "db-1"]) {
      const { items } = await admin.updates.list.query({ agentId: agentId(hostname), pageSize: 200 });
      const statuses = Object.fromEntries(items.map((update) => [update.packageName, update.status]));
      const tagged = hostname.startsWith("web");
      expect(statuses).toEqual({
        openssl: tagged ? "approved" : "available",
        libc6: tagged ? "approved" : "available",
        curl: "available",
        vim: hostname === "db-1" ? "rejected" : "available",
      });
    }
    // Run again: nothing is left to approve, and nothing else changes.
    const again = await example("node", "approve-security-updates.mjs", ["web"]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain("approved 0 security update(s) on 2 agent(s) tagged web");
  }, 60_000);

  test("example: export the pending updates as CSV (Node, and the same from Bun)", async () => {
    const result = await example("node", "export-pending-updates.mjs", ["pending.csv"]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain("wrote 11 pending update(s) to pending.csv");
    const csv = readFileSync(join(project, "pending.csv"), "utf8");
    const [header, ...rows] = parseCsv(csv);
    expect(header).toEqual([
      "hostname",
      "agentId",
      "packageType",
      "packageName",
      "currentVersion",
      "availableVersion",
      "severity",
      "security",
      "cves",
      "status",
      "firstSeenAt",
    ]);
    const records = rows.map((row) =>
      Object.fromEntries((header ?? []).map((name, index) => [name, row[index]])),
    );
    // Every update still to be installed (available or approved), and not db-1's rejected vim update.
    const pending = (
      await admin.updates.list.query({ statuses: ["available", "approved"], pageSize: 200 })
    ).items.map((update) => `${update.hostname} ${update.packageName} ${update.status}`);
    expect(
      records.map((record) => `${record.hostname} ${record.packageName} ${record.status}`).sort(),
    ).toEqual(pending.sort());
    expect(records).toHaveLength(11);
    expect(records.find((record) => record.hostname === "web-1" && record.packageName === "openssl")).toEqual(
      {
        hostname: "web-1",
        agentId: agentId("web-1"),
        packageType: "apt",
        packageName: "openssl",
        currentVersion: "1.0-1",
        availableVersion: "1.0-2",
        severity: "important",
        security: "true",
        cves: "CVE-2026-0001 CVE-2026-0002",
        status: "approved",
        firstSeenAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      },
    );
    expect(
      records.find((record) => record.hostname === "web-2" && record.packageName === "vim"),
    ).toMatchObject({
      currentVersion: "2:9.0.1378-2",
      availableVersion: "2:9.0.1378-2+deb12u1",
      security: "false",
      status: "available",
    });

    const fromBun = await example("bun", "export-pending-updates.mjs", []);
    expect(fromBun.exitCode).toBe(0);
    expect(fromBun.stdout).toBe(csv);
  }, 60_000);

  test("errors are clear: a bad URL or token at creation; a refusal with the server's message and request id", async () => {
    writeFileSync(
      join(project, "errors.mjs"),
      `import { createRedflagClient, requestIdOf } from "@redflag/client";
const attempts = {
  noUrl: { token: "rf_pat_x" },
  badUrl: { url: "redflag.example.com", token: "rf_pat_x" },
  ftpUrl: { url: "ftp://redflag.example.com", token: "rf_pat_x" },
  noToken: { url: "https://redflag.example.com" },
  agentToken: { url: "https://redflag.example.com", token: "rf_at_abc.def" },
};
const messages = {};
for (const [name, options] of Object.entries(attempts)) {
  try {
    createRedflagClient(options);
    messages[name] = null;
  } catch (error) {
    messages[name] = error.message;
  }
}
const client = createRedflagClient({ url: process.env.REDFLAG_URL, token: process.env.REDFLAG_TOKEN });
try {
  await client.updates.approve.mutate({ updateIds: ["upd_00000000000000000000000000"] });
} catch (error) {
  messages.refused = { message: error.message, code: error.data?.code, requestId: requestIdOf(error) };
}
const unreachable = createRedflagClient({ url: "http://127.0.0.1:1", token: "rf_pat_x" });
try {
  await unreachable.health.get.query();
} catch (error) {
  messages.unreachable = error.message;
}
const notTheServer = createRedflagClient({ url: process.env.REDFLAG_URL + "/login", token: "rf_pat_x" });
try {
  await notTheServer.health.get.query();
} catch (error) {
  messages.notTheServer = error.message;
}
console.log(JSON.stringify(messages));
`,
    );
    const result = await example("node", "errors.mjs", [], viewerToken);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    const messages = JSON.parse(result.stdout);
    expect(messages.noUrl).toContain("`url` is required");
    expect(messages.badUrl).toContain("`url` is not a valid URL");
    expect(messages.ftpUrl).toContain("must be http:// or https://");
    expect(messages.noToken).toContain("`token` is required");
    expect(messages.agentToken).toContain("not an API token");
    expect(messages.refused).toEqual({
      message: expect.stringMatching(
        /^This needs the operator role; you are viewer \(updates\.approve, request \S+\)$/,
      ),
      code: "FORBIDDEN",
      requestId: expect.any(String),
    });
    expect(messages.refused.message).toContain(messages.refused.requestId);
    expect(messages.unreachable).toStartWith("Cannot reach the RedFlag server at http://127.0.0.1:1:");
    expect(messages.notTheServer).toMatch(/answered HTTP \d+ .* instead of an API answer/);
  }, 60_000);
});
