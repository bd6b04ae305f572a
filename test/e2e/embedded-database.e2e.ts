import { afterAll, describe, expect, test } from "bun:test";
import { createDatabase, readLastShutdown, registrationTokens } from "@redflag/db";
import { apiClient, rawCall } from "../harness/server.ts";
import { type NextServer, startNextServer, temporaryDirectory } from "./next-server.ts";

/** The production server on the embedded database: one server per data directory, and a clean stop on SIGTERM. */
const running: NextServer[] = [];
const cleanups: (() => void)[] = [];
afterAll(async () => {
  for (const server of running) if (server.process.exitCode === null) server.process.kill("SIGKILL");
  for (const cleanup of cleanups) cleanup();
}, 60_000);

const admin = { REDFLAG_ADMIN_USER: "admin", REDFLAG_ADMIN_PASSWORD: "embedded e2e password" };

function dataDirectory(): string {
  const directory = temporaryDirectory("redflag-embedded-e2e-");
  cleanups.push(directory.remove);
  return directory.path;
}

async function signedInClient(url: string) {
  const login = await rawCall(url, "auth.login", {
    type: "mutation",
    input: { username: admin.REDFLAG_ADMIN_USER, password: admin.REDFLAG_ADMIN_PASSWORD },
  });
  expect(login.status).toBe(200);
  return apiClient(url, { cookie: login.headers.get("set-cookie")?.split(";")[0] ?? "" });
}

describe("the production server on embedded PGlite", () => {
  test("a second server on the same data directory is refused and names the first", async () => {
    const dataDir = dataDirectory();
    const first = await startNextServer({ ...admin, REDFLAG_DATA_DIR: dataDir });
    running.push(first);
    const second = await startNextServer({ ...admin, REDFLAG_DATA_DIR: dataDir }).catch(
      (error: unknown) => error,
    );
    expect(second).toBeInstanceOf(Error);
    const message = (second as Error).message;
    expect(message).toContain("next start exited with 1");
    expect(message).toContain(`is in use by another RedFlag server (pid ${first.process.pid}`);
    // The first is untouched and still serves.
    expect((await fetch(`${first.url}/api/health`)).status).toBe(200);
    first.process.kill("SIGTERM");
    expect(await first.process.exited).toBe(0);
  }, 240_000);

  test("SIGTERM under load: in-flight writes finish, the database closes cleanly, the next start needs no recovery", async () => {
    const dataDir = dataDirectory();
    const server = await startNextServer({ ...admin, REDFLAG_DATA_DIR: dataDir });
    running.push(server);
    const client = await signedInClient(server.url);

    // Four writers create registration tokens until the server stops answering; each label that was
    // acknowledged must be in the database afterwards.
    const acknowledged: string[] = [];
    let refusedWhileStopping = 0;
    let stopped = false;
    const writer = async (writerIndex: number) => {
      for (let index = 0; !stopped; index++) {
        const label = `load-${writerIndex}-${index}`;
        try {
          await client.registrationTokens.create.mutate({ label, seats: 1 });
          acknowledged.push(label);
        } catch (error) {
          if (String(error).includes("shutting down")) refusedWhileStopping++;
          // Refused (503) or the connection was closed: the server is going away.
          if (server.process.exitCode !== null) return;
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    while (acknowledged.length < 40) await Bun.sleep(10);

    const signalledAt = Date.now();
    server.process.kill("SIGTERM");
    const exitCode = await server.process.exited;
    const stopMs = Date.now() - signalledAt;
    stopped = true;
    await Promise.all(writers);
    console.log(
      `stopped in ${stopMs} ms; ${acknowledged.length} writes acknowledged, ${refusedWhileStopping} refused while stopping`,
    );

    expect(exitCode).toBe(0);
    expect(stopMs).toBeLessThan(15_000);
    expect(server.output()).toContain("the database was closed cleanly");
    // PostgreSQL's own control file says it was shut down, not left "in production".
    expect(readLastShutdown(dataDir)).toBe("clean");

    // PostgreSQL's log at the next start (PGlite debug level 1): a clean start, no WAL replay.
    const log: string[] = [];
    const handle = await createDatabase({
      driver: "pglite",
      dataDir,
      debug: { level: 1, onLog: (line) => log.push(line) },
    });
    try {
      expect(handle.lastShutdown).toBe("clean");
      expect(log.some((line) => /database system was shut down at/.test(line))).toBe(true);
      expect(
        log.filter((line) => /not properly shut down|automatic recovery|redo starts/.test(line)),
      ).toEqual([]);
      const stored = new Set(
        (await handle.db.select({ label: registrationTokens.label }).from(registrationTokens)).map(
          (row) => row.label,
        ),
      );
      expect(acknowledged.filter((label) => !stored.has(label))).toEqual([]);
    } finally {
      await handle.close();
    }
  }, 240_000);
});
