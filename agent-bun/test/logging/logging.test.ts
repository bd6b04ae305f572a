import { afterAll, beforeEach, expect, test } from "bun:test";
import { followServerDebug, logger, setUpLogging, withLogContext } from "../../src/logging.ts";
import { fetchLogged, requestIdOfCall, traceCall } from "../../src/transport/request-ids.ts";

const lines: string[] = [];
const log = logger("test");
/** A line without its time, level and category. */
const messages = () => lines.map((line) => line.replace(/^.*?redflag·test: /, ""));

beforeEach(() => {
  lines.length = 0;
  setUpLogging("info", (text) => lines.push(text));
});

afterAll(() => {
  setUpLogging("info");
});

test("the server's debug mode turns debug lines on, and off again", () => {
  log.debug("hidden before");
  expect(lines).toEqual([]);
  expect(followServerDebug(true)).toBe(true);
  expect(followServerDebug(true)).toBe(false);
  log.debug("shown while on");
  expect(messages()).toEqual(["shown while on\n"]);
  expect(followServerDebug(false)).toBe(true);
  log.debug("hidden after");
  log.info("info still shown");
  expect(messages()).toEqual(["shown while on\n", "info still shown\n"]);
});

test("a line carries the command, agent and request ids of its context", () => {
  withLogContext({ commandId: "cmd_1", agentId: "agt_1" }, () => {
    log.info("Running {what}", { what: "install" });
    withLogContext({ requestId: "req-1" }, () => log.info("Calling"));
  });
  log.info("Outside");
  expect(messages()).toEqual([
    "Running install [commandId=cmd_1 agentId=agt_1]\n",
    "Calling [commandId=cmd_1 agentId=agt_1 requestId=req-1]\n",
    "Outside\n",
  ]);
});

test("a traced call sends its request id as x-request-id and every line meanwhile names it", async () => {
  const received: (string | null)[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      received.push(request.headers.get("x-request-id"));
      return Response.json({});
    },
  });
  try {
    followServerDebug(true);
    const traced = await traceCall(async () => {
      const requestId = requestIdOfCall();
      log.info("Inside");
      await fetchLogged(`http://127.0.0.1:${server.port}/api/trpc/agent.checkIn`, {
        method: "POST",
        headers: { "x-request-id": requestId },
      });
      return requestId;
    });
    expect(traced.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(traced.value).toBe(traced.requestId);
    expect(received).toEqual([traced.requestId]);
    expect(messages()[0]).toBe(`Inside [requestId=${traced.requestId}]\n`);
    expect(
      lines.slice(1).every((line) => line.includes("agent.checkIn") && line.includes(traced.requestId)),
    ).toBe(true);
    expect(lines).toHaveLength(3);
    // Outside a traced call, each request gets an id of its own.
    expect(requestIdOfCall()).not.toBe(requestIdOfCall());
  } finally {
    followServerDebug(false);
    await server.stop(true);
  }
});
