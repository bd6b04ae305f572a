import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentError } from "../../../src/errors.ts";
import { EngineClient, parseDockerHost } from "../../../src/package-managers/docker/index.ts";
import { createDockerScanner } from "../../../src/package-managers/docker/scanner.ts";
import { agentConfig } from "../../helpers/agent-config.ts";
import { caughtAsync } from "../fixtures.ts";
import { ReplayedEngine } from "./replayed-engine.ts";

// Faults a real engine cannot be made to produce on demand: truncated or odd answers, an internal
// error. What a real engine does is tested on one in docker.test.ts.

let work = "";
let engine: ReplayedEngine;
let client: EngineClient;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "redflag-engine-faults-"));
  engine = new ReplayedEngine(join(work, "docker.sock")).start();
  client = new EngineClient({ host: parseDockerHost(engine.host) });
});

afterAll(() => {
  engine?.stop();
  if (work !== "") rmSync(work, { recursive: true, force: true });
});

async function failure(action: () => Promise<unknown>): Promise<AgentError> {
  const error = await caughtAsync(action);
  expect(error).toBeInstanceOf(AgentError);
  return error as AgentError;
}

describe("engine answers a real engine does not give on demand", () => {
  test("a truncated container list fails the Docker scan with a clear, non-retryable error", async () => {
    engine.answer("GET", "/_ping", "OK").answer("GET", "/containers/json", '[{"Id": "abc", "Names": ');
    const scanner = createDockerScanner(agentConfig({ docker: { host: engine.host } }));
    expect(await scanner.isAvailable()).toBe(true);
    const error = await failure(() => scanner.scan());
    expect(error.message).toBe("list containers: the engine's answer is not JSON");
    expect([error.source, error.kind, error.retryable]).toEqual(["docker", "unrecognized", false]);
  });

  test("an answer of another shape, or a ping that is not OK, is unrecognized", async () => {
    engine.answer("GET", "/containers/json", [{ Id: 1, Names: ["/x"] }]);
    const shape = await failure(() => client.listContainers());
    expect(shape.message).toContain("the engine's answer has an unexpected shape (0.Id:");
    expect(shape.kind).toBe("unrecognized");
    engine.answer("GET", "/_ping", "Not quite");
    expect((await failure(() => client.ping())).kind).toBe("unrecognized");
    expect(await createDockerScanner(agentConfig({ docker: { host: engine.host } })).isAvailable()).toBe(
      false,
    );
  });

  test("a pull stream: an error line after 200, no status at all, or a line that is not JSON", async () => {
    engine.answer(
      "POST",
      "/images/create",
      `${JSON.stringify({ status: "Pulling from shop/web", id: "1" })}\r\n${JSON.stringify({
        errorDetail: { message: "unexpected EOF" },
        error: "unexpected EOF",
      })}\r\n`,
    );
    const broken = await failure(() => client.pullImage("127.0.0.1:5000/shop/web", "1"));
    expect(broken.message).toBe("pull 127.0.0.1:5000/shop/web:1: unexpected EOF");
    expect([broken.kind, broken.retryable]).toEqual(["failed", true]);
    engine.answer("POST", "/images/create", "\r\n");
    expect((await failure(() => client.pullImage("127.0.0.1:5000/shop/web", "1"))).kind).toBe("unrecognized");
    engine.answer("POST", "/images/create", "<html>proxy error</html>\n");
    const html = await failure(() => client.pullImage("127.0.0.1:5000/shop/web", "1"));
    expect(html.message).toContain("the engine's pull progress is not JSON");
  });

  test("an internal error of the engine is retryable; a refused request is not", async () => {
    engine.answer("GET", "/containers/json", { message: "containerd: connection refused" }, 500);
    const internal = await failure(() => client.listContainers());
    expect(internal.message).toBe(
      'list containers: the engine answered 500: {"message":"containerd: connection refused"}',
    );
    expect([internal.kind, internal.retryable]).toEqual(["unavailable", true]);
    engine.answer("POST", "/containers/web/start", { message: "conflict" }, 409);
    const refused = await failure(() => client.startContainer("web"));
    expect([refused.kind, refused.retryable]).toEqual(["failed", false]);
    expect(engine.calls.at(-1)).toEqual({ method: "POST", path: "/containers/web/start" });
  });
});
