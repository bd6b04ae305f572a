/**
 * The container image's files, checked without a Docker engine: the Dockerfile linted by
 * dockerfile-utils (the validator of the VS Code Docker language server) and read for what the
 * image must be (non-root, health check, exec-form CMD, data volume, no secret); compose.yaml read
 * for its shape and its server environment run through the server's own environment parser.
 * test/e2e/container-entrypoint.e2e.ts runs the runtime stage's layout and CMD.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { validate } from "dockerfile-utils";
import { parseServerEnv } from "../apps/web/src/env.ts";
import {
  copiesOf,
  environmentOf,
  execForm,
  finalStage,
  instructionsOf,
  readDockerfile,
  repositoryRoot,
  stageNamed,
} from "./harness/dockerfile.ts";

const dockerfile = readDockerfile();
const runtime = finalStage(dockerfile);
const runtimeEnvironment = environmentOf(runtime);

function imageVariable(name: string): string {
  const value = runtimeEnvironment[name];
  if (value === undefined) throw new Error(`The runtime stage sets no ENV ${name}`);
  return value;
}

function single(keyword: string) {
  const found = instructionsOf(runtime, keyword);
  expect(found.map((instruction) => instruction.keyword)).toEqual([keyword]);
  const [instruction] = found;
  if (!instruction) throw new Error(`no ${keyword}`);
  return instruction;
}

/** RUN lines with their continuations and spacing flattened. */
function runsOf(stageName: string): string[] {
  return instructionsOf(stageNamed(dockerfile, stageName), "RUN").map((run) =>
    run.content.replace(/\s+/g, " "),
  );
}

describe("Dockerfile", () => {
  test("passes dockerfile-utils' validator without a diagnostic", () => {
    expect(validate(dockerfile.text)).toEqual([]);
  });

  test("the validator does report a broken instruction (so a clean result means something)", () => {
    const broken = dockerfile.text
      .replace("--interval=30s", "--interval=30x")
      .replace("EXPOSE 8080", "EXPOSE http");
    const messages = validate(broken).map((diagnostic) => diagnostic.message);
    expect(messages.length).toBe(2);
  });

  test("Bun comes from tools/ with npm (all of it), the build runs both builds from the frozen lockfile", () => {
    const bun = stageNamed(dockerfile, "bun");
    expect(copiesOf(bun).map(({ from, sources }) => ({ from, sources }))).toEqual([
      { from: null, sources: ["tools/package.json", "tools/package-lock.json"] },
    ]);
    expect(runsOf("bun")).toEqual(["npm ci --no-audit --no-fund --loglevel=error"]);
    const buildRuns = runsOf("build");
    expect(buildRuns[0]).toBe("bun install --frozen-lockfile");
    expect(buildRuns.some((run) => run.startsWith("bun run build &&") || run === "bun run build")).toBe(true);
    expect(buildRuns).toContain("bun run build:agents");
  });

  test("production dependencies: every workspace's manifest, then a frozen --production install", () => {
    const stage = stageNamed(dockerfile, "production-dependencies");
    expect(runsOf("production-dependencies")).toEqual(["bun install --frozen-lockfile --production"]);
    const copied = copiesOf(stage)
      .filter((copy) => copy.from === null)
      .flatMap((copy) => copy.sources);
    const manifest = JSON.parse(readFileSync(join(repositoryRoot, "package.json"), "utf8")) as {
      workspaces: string[];
    };
    const workspaceManifests = manifest.workspaces.flatMap((pattern) => {
      if (!pattern.endsWith("/*")) return [`${pattern}/package.json`];
      const parent = pattern.slice(0, -2);
      return readdirSync(join(repositoryRoot, parent), { withFileTypes: true })
        .filter(
          (entry) =>
            entry.isDirectory() && existsSync(join(repositoryRoot, parent, entry.name, "package.json")),
        )
        .map((entry) => `${parent}/${entry.name}/package.json`);
    });
    expect(copied.sort()).toEqual(["bun.lock", "package.json", ...workspaceManifests].sort());
  });

  test("the runtime: a slim Node image of the major the README supports, production env, telemetry off", () => {
    const readme = readFileSync(join(repositoryRoot, "README.md"), "utf8");
    const supportedMajor = readme.match(/Node\.js \((\d+) or newer\)/)?.[1];
    expect(supportedMajor).toBeDefined();
    expect(runtime.image).toMatch(new RegExp(`^node:${supportedMajor}(\\.[\\d.]+)?-[a-z]+-slim$`));
    expect(runtimeEnvironment).toMatchObject({ NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" });
    // Copies come only from the other stages: nothing of the host's checkout ends up in the image.
    expect(
      copiesOf(runtime).every((copy) => copy.from === "production-dependencies" || copy.from === "build"),
    ).toBe(true);
  });

  test("runs as a non-root user that the image creates, with a fixed id", () => {
    const user = single("USER").content;
    const [uid, gid] = user.split(":");
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
    const setup = instructionsOf(runtime, "RUN")
      .map((run) => run.content.replace(/\s+/g, " "))
      .join(" ");
    expect(setup).toContain(`useradd --system --uid ${uid} --gid redflag`);
    expect(setup).toContain(`groupadd --system --gid ${gid} redflag`);
    // The user owns the data directory and nothing else the image holds.
    expect(setup).toContain(`chown redflag:redflag ${imageVariable("REDFLAG_DATA_DIR")}`);
    const lastInstruction = runtime.instructions.at(-1);
    const userLine = instructionsOf(runtime, "USER")[0]?.line ?? Number.POSITIVE_INFINITY;
    expect(
      instructionsOf(runtime, "RUN").every((run) => run.line < userLine) &&
        (lastInstruction?.line ?? 0) > userLine,
    ).toBe(true);
  });

  test("the embedded database's data directory is a VOLUME, and the server's port is EXPOSEd", () => {
    const volumes = JSON.parse(single("VOLUME").content) as string[];
    expect(volumes).toEqual([imageVariable("REDFLAG_DATA_DIR")]);
    expect(single("EXPOSE").content).toBe(imageVariable("PORT"));
  });

  test("HEALTHCHECK: exec form, Node's own fetch of /api/health on PORT, no curl", () => {
    const healthcheck = single("HEALTHCHECK");
    const argv = execForm(healthcheck);
    expect(argv.slice(0, 2)).toEqual(["node", "-e"]);
    expect(argv[2]).toContain("fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/api/health')");
    expect(argv.join(" ")).not.toMatch(/curl|wget/);
    expect([...healthcheck.flags.keys()].sort()).toEqual(["interval", "retries", "start-period", "timeout"]);
  });

  test("CMD: exec form, the start command of the web app (next start on PORT) from its directory", () => {
    expect(execForm(single("CMD"))).toEqual(["node", "node_modules/next/dist/bin/next", "start"]);
    expect(single("WORKDIR").content).toBe("/app/apps/web");
    // `bun run serve` / apps/web's start script: next start on PORT, 8080 by default, telemetry off.
    const web = JSON.parse(readFileSync(join(repositoryRoot, "apps/web/package.json"), "utf8")) as {
      scripts: { start: string };
    };
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's ${PORT:-8080}, not a template
    expect(web.scripts.start).toBe("NEXT_TELEMETRY_DISABLED=1 next start -p ${PORT:-8080}");
    expect(runtimeEnvironment.PORT).toBe("8080");
    expect(instructionsOf(runtime, "ENTRYPOINT")).toEqual([]);
  });

  test("no secret is baked in: no ENV or ARG names one, and .dockerignore keeps .env and local data out", () => {
    const secretName = /SECRET|PASSWORD|TOKEN|SIGNING_KEY|DATABASE_URL|ADMIN_USER/;
    const names = [
      ...dockerfile.globalArgs.keys(),
      ...dockerfile.stages.flatMap((stage) => [
        ...Object.keys(environmentOf(stage)),
        ...instructionsOf(stage, "ARG").map((arg) => arg.content.split("=")[0] ?? ""),
      ]),
    ];
    expect(names.filter((name) => secretName.test(name))).toEqual([]);
    const ignored = readFileSync(join(repositoryRoot, ".dockerignore"), "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith("#"));
    for (const pattern of [".git", "**/.env", "**/.env.*", "**/node_modules", "**/.next", "dist", "data"]) {
      expect(ignored).toContain(pattern);
    }
  });

  test(".dockerignore leaves in the build context every file the stages copy from it", () => {
    const patterns = readFileSync(join(repositoryRoot, ".dockerignore"), "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith("#"))
      .map(
        (pattern) =>
          new RegExp(
            `^${pattern
              .replace(/[.+^$()|[\]\\]/g, "\\$&")
              .replace(/\*\*\//g, "\0")
              .replace(/\*/g, "[^/]*")
              .replace(/\0/g, "(.*/)?")}(/.*)?$`,
          ),
      );
    const isIgnored = (path: string) => patterns.some((pattern) => pattern.test(path));
    expect(isIgnored(".env")).toBe(true);
    expect(isIgnored("apps/web/.env.local")).toBe(true);
    expect(isIgnored("apps/web/node_modules/next/package.json")).toBe(true);
    // Taken from the context by COPY, and by the runtime stage from the build stage's checkout
    // (all but what the builds write there: the Next.js build and the agent binaries).
    const fromContext = dockerfile.stages.flatMap((stage) =>
      copiesOf(stage)
        .filter((copy) => copy.from === null && copy.sources.join() !== ".")
        .flatMap((copy) => copy.sources),
    );
    const built = ["/app/apps/web/.next", "/app/dist/agents"];
    const fromCheckout = copiesOf(runtime)
      .filter((copy) => copy.from === "build")
      .flatMap((copy) => copy.sources)
      .filter((source) => !built.includes(source))
      .map((source) => source.replace(/^\/app\//, ""));
    expect(fromCheckout.length).toBeGreaterThan(0);
    for (const path of [...fromContext, ...fromCheckout]) {
      expect({ path, ignored: isIgnored(path), exists: existsSync(join(repositoryRoot, path)) }).toEqual({
        path,
        ignored: false,
        exists: true,
      });
    }
  });
});

type ComposeService = {
  image?: string;
  build?: string;
  depends_on?: Record<string, { condition?: string }>;
  environment?: Record<string, string>;
  healthcheck?: { test?: string[] };
  volumes?: string[];
  ports?: string[];
};
type Compose = { services: Record<string, ComposeService>; volumes?: Record<string, unknown> };

const compose = Bun.YAML.parse(readFileSync(join(repositoryRoot, "compose.yaml"), "utf8")) as Compose;

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`compose.yaml has no service ${name}`);
  return found;
}

/**
 * Compose's variable interpolation (`${NAME}`, `${NAME:-default}`, `${NAME:?error}`, `$$`) over
 * the values of a `.env`: a required variable that is missing throws, as `docker compose` refuses.
 */
function interpolate(value: string, variables: Record<string, string>): string {
  return value.replace(
    /\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}/g,
    (whole, name?: string, operator?: string, word?: string) => {
      if (whole === "$$") return "$";
      const key = name ?? "";
      const given = variables[key];
      const isSet = operator?.startsWith(":") ? Boolean(given) : given !== undefined;
      if (isSet) return given ?? "";
      if (operator?.endsWith("?")) throw new Error(`required variable ${key} is missing: ${word}`);
      if (operator?.endsWith("-")) return word ?? "";
      return "";
    },
  );
}

describe("compose.yaml", () => {
  const db = service("db");
  const server = service("server");
  const serverEnvironment = server.environment ?? {};

  test("PostgreSQL 15 or newer, with a health check and a named volume for its data", () => {
    const major = Number(db.image?.match(/^postgres:(\d+)/)?.[1]);
    expect(major).toBeGreaterThanOrEqual(15);
    expect(db.healthcheck?.test?.slice(0, 2)).toEqual(["CMD", "pg_isready"]);
    expect(db.volumes).toEqual(["db-data:/var/lib/postgresql/data"]);
  });

  test("the server is built from this Dockerfile and starts once the database is healthy", () => {
    expect(server.build).toBe(".");
    expect(server.depends_on).toEqual({ db: { condition: "service_healthy" } });
    expect(server.volumes).toEqual([`server-data:${imageVariable("REDFLAG_DATA_DIR")}`]);
    expect(server.ports).toEqual([`\${REDFLAG_HTTP_PORT:-8080}:${imageVariable("PORT")}`]);
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual(["db-data", "server-data"]);
  });

  test("secrets come from .env at `docker compose up`, required, never written in the file", () => {
    expect(serverEnvironment.REDFLAG_SECRET).toMatch(/^\$\{REDFLAG_SECRET:\?[^}]+\}$/);
    expect(serverEnvironment.DATABASE_URL).toContain("${POSTGRES_PASSWORD:?");
    expect(db.environment?.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?[^}]+\}$/);
    expect(() => interpolate(serverEnvironment.REDFLAG_SECRET ?? "", {})).toThrow(
      /REDFLAG_SECRET is missing/,
    );
  });

  test("every server setting of the README can be set from .env; the rest belong to the image", () => {
    const readme = readFileSync(join(repositoryRoot, "README.md"), "utf8");
    const table = readme.slice(
      readme.indexOf("## Configuration"),
      readme.indexOf("## The embedded database"),
    );
    // The variables of the table's first column (a row may name two).
    const documented = table
      .split("\n")
      .filter((line) => line.startsWith("| `"))
      .flatMap((line) =>
        [...(line.split("|")[1] ?? "").matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((match) => match[1] ?? ""),
      );
    expect(documented.length).toBeGreaterThan(10);
    // Set by the image (PORT, the data volume) or only for the embedded database.
    const fromTheImage = ["PORT", "REDFLAG_DATA_DIR", "REDFLAG_DURABLE_COMMITS"];
    const missing = documented.filter((name) => !(name in serverEnvironment) && !fromTheImage.includes(name));
    expect(missing).toEqual([]);
    for (const name of fromTheImage.slice(0, 2)) expect(imageVariable(name)).not.toBe("");
  });

  test("the server's environment, given a .env, is accepted by the server's own parser", () => {
    const dotEnv = {
      POSTGRES_PASSWORD: "0123456789abcdef0123456789abcdef",
      REDFLAG_SECRET: "fedcba9876543210fedcba9876543210fedcba9876543210",
    };
    const environment = Object.fromEntries(
      Object.entries({ ...runtimeEnvironment, ...serverEnvironment }).map(([name, value]) => [
        name,
        interpolate(String(value), dotEnv),
      ]),
    );
    const parsed = parseServerEnv(environment, { workingDirectory: repositoryRoot });
    expect(parsed.database).toEqual({
      driver: "postgres",
      url: `postgres://redflag:${dotEnv.POSTGRES_PASSWORD}@db:5432/redflag`,
    });
    expect(db.environment).toMatchObject({ POSTGRES_USER: "redflag", POSTGRES_DB: "redflag" });
    expect(parsed.config.secret).toBe(dotEnv.REDFLAG_SECRET);
    expect(parsed.port).toBe(8080);
    expect(parsed.initialAdmin).toBeNull();
  });
});
