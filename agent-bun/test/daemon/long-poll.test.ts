import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newId } from "@redflag/contracts";
import type { RegisteredConfig } from "../../src/config/config.ts";
import {
  type CheckInMode,
  checkInModeLine,
  chooseCheckInMode,
  cutsBeforeFallback,
  describeCheckInMode,
  freshHistory,
  historyAtStart,
  type LongPollHistory,
  type LongPollOutcome,
  type LongPollSettings,
  outcomeOfFailure,
  recordOutcome,
  retryLongPollAfterMs,
  serverLimitOf,
} from "../../src/daemon/long-poll.ts";
import { loadDaemonState, saveDaemonState } from "../../src/daemon/state.ts";
import { AgentConnection } from "../../src/transport/client.ts";
import { interruptionOf } from "../../src/transport/errors.ts";
import { agentConfig } from "../helpers/agent-config.ts";

const settings: LongPollSettings = { enabled: true, maxWaitSeconds: 50, pollIntervalSeconds: 300 };
const start = new Date("2026-12-01T04:00:00Z");
const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);

const answered = (waitSeconds: number, serverLimitSeconds: number | null = 55): LongPollOutcome => ({
  kind: "answered",
  waitSeconds,
  serverLimitSeconds,
});
/** A long poll cut after `afterSeconds`, `when` seconds after the start (or at that date). */
const cut = (when: number | Date, afterSeconds = 3): LongPollOutcome => ({
  kind: "cut",
  cut: { afterSeconds, by: "a gateway error (HTTP 504)" },
  at: typeof when === "number" ? at(when) : when,
});
const failed: LongPollOutcome = { kind: "failed" };

/** The history after these outcomes, from an agent's start. */
const after = (...outcomes: LongPollOutcome[]): LongPollHistory =>
  outcomes.reduce(recordOutcome, freshHistory);

describe("choosing between long polls and plain polling", () => {
  test("the first check-in is plain; the server's limit, capped by the config, sets the wait", () => {
    expect(chooseCheckInMode(freshHistory, settings, start)).toEqual({
      kind: "plain",
      reason: "first-check-in",
    });
    expect(chooseCheckInMode(after(answered(0, 55)), settings, start)).toEqual({
      kind: "long-poll",
      waitSeconds: 50,
      serverLimitSeconds: 55,
      retryingAfter: null,
    });
    expect(chooseCheckInMode(after(answered(0, 25)), settings, start)).toMatchObject({
      kind: "long-poll",
      waitSeconds: 25,
    });
    expect(
      chooseCheckInMode(after(answered(0, 55)), { ...settings, maxWaitSeconds: 10 }, start),
    ).toMatchObject({
      kind: "long-poll",
      waitSeconds: 10,
    });
    // Never longer than the poll interval: the server counts three silent intervals as offline.
    expect(
      chooseCheckInMode(after(answered(0, 55)), { ...settings, pollIntervalSeconds: 5 }, start),
    ).toMatchObject({ kind: "long-poll", waitSeconds: 5 });
  });

  test("polls plainly when the server has no long polls, turned them off, or the config did", () => {
    expect(chooseCheckInMode(after(answered(0, null)), settings, start)).toEqual({
      kind: "plain",
      reason: "server-without-long-polls",
    });
    expect(chooseCheckInMode(after(answered(0, 0)), settings, start)).toEqual({
      kind: "plain",
      reason: "turned-off-on-server",
    });
    expect(chooseCheckInMode(after(answered(0, 55)), { ...settings, enabled: false }, start)).toEqual({
      kind: "plain",
      reason: "turned-off-here",
    });
    // A server that turns long polls off stops them at the next check-in.
    expect(chooseCheckInMode(after(answered(0, 55), answered(50, 0)), settings, start)).toMatchObject({
      kind: "plain",
      reason: "turned-off-on-server",
    });
  });

  test("two long polls cut in a row fall back to plain polling for an hour, saying why", () => {
    const once = after(answered(0), cut(10));
    expect(chooseCheckInMode(once, settings, at(11)).kind).toBe("long-poll");
    const twice = recordOutcome(once, cut(20, 4));
    const mode = chooseCheckInMode(twice, settings, at(21));
    expect(mode).toEqual({
      kind: "fallen-back",
      cut: { afterSeconds: 4, by: "a gateway error (HTTP 504)" },
      retryAt: new Date(at(20).getTime() + retryLongPollAfterMs),
    });
    expect(describeCheckInMode(mode, 300)).toBe(
      "long polls are cut after ~4 s by something between the agent and the server (a proxy's read timeout?), ended by a gateway error (HTTP 504); plain polling every 300 s, trying a long poll again at 2026-12-01T05:00:20.000Z",
    );
    // Plain check-ins answered meanwhile prove nothing about long polls.
    expect(chooseCheckInMode(recordOutcome(twice, answered(0)), settings, at(600)).kind).toBe("fallen-back");
  });

  test("only cuts in a row count: a long poll that worked in between clears the count", () => {
    expect(chooseCheckInMode(after(answered(0), cut(10), answered(50), cut(70)), settings, at(71)).kind).toBe(
      "long-poll",
    );
    // A failure that says nothing about a proxy (the server down) neither counts nor clears.
    expect(chooseCheckInMode(after(answered(0), cut(10), failed, cut(20)), settings, at(21)).kind).toBe(
      "fallen-back",
    );
    expect(after(answered(0), cut(10), failed).consecutiveCuts).toBe(1);
  });

  test("an hour later a long poll is tried again: one cut falls back again, one that works clears it all", () => {
    const fallen = after(answered(0), cut(10), cut(20));
    const retryAt = at(20).getTime() + retryLongPollAfterMs;
    const retry = chooseCheckInMode(fallen, settings, new Date(retryAt));
    expect(retry).toEqual({
      kind: "long-poll",
      waitSeconds: 50,
      serverLimitSeconds: 55,
      retryingAfter: { afterSeconds: 3, by: "a gateway error (HTTP 504)" },
    });
    expect(describeCheckInMode(retry, 300)).toContain("tried again after they were cut after ~3 s");

    const cutAgain = recordOutcome(fallen, cut(new Date(retryAt + 3000)));
    expect(chooseCheckInMode(cutAgain, settings, new Date(retryAt + 4000))).toMatchObject({
      kind: "fallen-back",
      retryAt: new Date(retryAt + 3000 + retryLongPollAfterMs),
    });

    const worked = recordOutcome(fallen, answered(50));
    expect(worked).toEqual({ ...freshHistory, serverLimitSeconds: 55 });
    expect(chooseCheckInMode(worked, settings, new Date(retryAt + 60_000))).toMatchObject({
      kind: "long-poll",
      retryingAfter: null,
    });
    // From there, it takes two cuts in a row again.
    expect(chooseCheckInMode(recordOutcome(worked, cut(0)), settings, new Date(retryAt)).kind).toBe(
      "long-poll",
    );
  });

  test("any history of outcomes: fallen back exactly when the last cuts, since a long poll worked, are enough", () => {
    const kinds = ["answered-long", "answered-plain", "cut", "failed"] as const;
    // Every sequence of up to 6 outcomes, each 10 s apart; checked right after the last one.
    const sequences: (typeof kinds)[number][][] = [[]];
    for (let length = 1; length <= 6; length++) {
      for (const sequence of sequences.filter((candidate) => candidate.length === length - 1))
        for (const kind of kinds) sequences.push([...sequence, kind]);
    }
    for (const sequence of sequences) {
      const outcomes = sequence.map((kind, index) =>
        kind === "answered-long"
          ? answered(50)
          : kind === "answered-plain"
            ? answered(0)
            : kind === "cut"
              ? cut(index * 10)
              : failed,
      );
      const mode = chooseCheckInMode(after(answered(0), ...outcomes), settings, at(sequence.length * 10));
      const sinceWorked = sequence.slice(sequence.lastIndexOf("answered-long") + 1);
      const cuts = sinceWorked.filter((kind) => kind === "cut").length;
      expect({ sequence, mode: mode.kind }).toEqual({
        sequence,
        mode: cuts >= cutsBeforeFallback ? "fallen-back" : "long-poll",
      });
    }
  });
});

describe("what counts as a cut", () => {
  const failure = (heldMs: number, interruption: string | null = "a connection reset", waitSeconds = 50) =>
    outcomeOfFailure({ waitSeconds, heldMs, interruption, at: start }).kind;

  test("a long poll held a while and ended early by a gateway error, a reset or an invalid answer", () => {
    expect(failure(3000)).toBe("cut");
    expect(failure(3000, "a gateway error (HTTP 504)")).toBe("cut");
    expect(
      outcomeOfFailure({ waitSeconds: 50, heldMs: 3400, interruption: "an invalid answer", at: start }),
    ).toEqual({ kind: "cut", cut: { afterSeconds: 3, by: "an invalid answer" }, at: start });
  });

  test("not a cut: failing at once (a refusal, a server down), at the end of its wait, a plain check-in, or another error", () => {
    expect(failure(200)).toBe("failed");
    expect(failure(49_500)).toBe("failed");
    expect(failure(3000, null)).toBe("failed");
    expect(failure(3000, "a connection reset", 0)).toBe("failed");
  });

  test("the server's limit is taken only when it is a whole number of seconds in range", () => {
    expect(serverLimitOf(55)).toBe(55);
    expect(serverLimitOf(0)).toBe(0);
    for (const wrong of [undefined, null, -1, 2.5, 121, "55", Number.NaN])
      expect(serverLimitOf(wrong)).toBeNull();
  });
});

describe("the mode across restarts and in --status", () => {
  const directory = mkdtempSync(join(tmpdir(), "redflag-long-poll-"));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  test("a fallback not yet due for a retry survives a restart; one past it, or unreadable, is forgotten", async () => {
    const path = join(directory, "daemon.json");
    const fallen = chooseCheckInMode(after(answered(0), cut(10), cut(20)), settings, at(21));
    saveDaemonState(path, { ...loadDaemonState(path), checkInMode: fallen });
    const saved = loadDaemonState(path).checkInMode;
    expect(saved).toEqual(fallen);

    const restarted = historyAtStart(saved, at(30));
    // The first check-in is plain, as always; once it learns the limit, the fallback still holds.
    expect(chooseCheckInMode(restarted, settings, at(30)).kind).toBe("plain");
    expect(chooseCheckInMode(recordOutcome(restarted, answered(0)), settings, at(31))).toEqual(fallen);
    // One more cut after the retry falls back again at once.
    expect(restarted.consecutiveCuts).toBe(cutsBeforeFallback);

    expect(historyAtStart(saved, new Date(at(20).getTime() + retryLongPollAfterMs))).toEqual(freshHistory);
    // A retry time further than an hour away (a clock set back, a file edited) is brought within an hour.
    const far = { ...(fallen as Extract<CheckInMode, { kind: "fallen-back" }>), retryAt: at(86_400) };
    expect(historyAtStart(far, start).fallback?.retryAt).toEqual(
      new Date(start.getTime() + retryLongPollAfterMs),
    );

    await Bun.write(path, JSON.stringify({ lastError: "x", checkInMode: { kind: "fallen-back", cut: "?" } }));
    expect(loadDaemonState(path)).toMatchObject({ lastError: "x", checkInMode: null });
  });

  test("--status says which mode and why", () => {
    const config = { pollIntervalSeconds: 300, longPoll: true };
    expect(checkInModeLine(null, config)).toBe(
      "not known until the daemon checks in (long polls where the server holds them)",
    );
    expect(checkInModeLine(null, { ...config, longPoll: false })).toBe(
      "plain polling every 300 s (long polls are turned off in this agent's config)",
    );
    expect(checkInModeLine({ kind: "plain", reason: "server-without-long-polls" }, config)).toBe(
      "plain polling every 300 s (the server does not hold long polls)",
    );
    expect(
      checkInModeLine(
        { kind: "long-poll", waitSeconds: 50, serverLimitSeconds: 55, retryingAfter: null },
        config,
      ),
    ).toBe("long polls: each check-in waits up to 50 s for a command (the server holds them up to 55 s)");
  });
});

/**
 * How real failed calls are read: the agent's own client against sockets that end requests the way
 * proxies do (the real nginx is in test/agent/long-poll-proxy.e2e.ts).
 */
describe("reading how a call ended", () => {
  const servers: Server[] = [];
  afterAll(() => {
    for (const server of servers) server.close();
  });

  /** A server that answers every request's first bytes with `act`. */
  async function serve(act: (socket: Socket) => void): Promise<string> {
    const server = createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => act(socket));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  }

  function connectionTo(serverUrl: string) {
    const far = new Date(Date.now() + 86_400_000);
    const file = agentConfig({
      serverUrl,
      registration: {
        agentId: newId("agent"),
        accessToken: "a".repeat(40),
        accessTokenExpiresAt: far,
        refreshToken: "r".repeat(40),
        refreshTokenExpiresAt: far,
        registeredAt: new Date(),
      },
    });
    return new AgentConnection({
      path: "/nonexistent",
      exists: false,
      file,
      stateDirectory: "/nonexistent",
    } as RegisteredConfig);
  }

  async function endingOf(serverUrl: string): Promise<string | null> {
    const error = await connectionTo(serverUrl)
      .call("the check-in", (agent) => agent.checkIn.mutate({ agentVersion: "1.0.0", waitSeconds: 50 }))
      .then(
        () => new Error("the call succeeded"),
        (caught: unknown) => caught,
      );
    return interruptionOf(error);
  }

  const answer = (status: string, headers: string, body: string) =>
    `HTTP/1.1 ${status}\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

  test("a proxy's gateway error page, a reset connection, an empty answer, an answer that is not tRPC's", async () => {
    const gateway = await serve((socket) =>
      socket.end(answer("504 Gateway Time-out", "Content-Type: text/html\r\n", "<html>504</html>")),
    );
    expect(await endingOf(gateway)).toBe("a gateway error (HTTP 504)");
    const badGateway = await serve((socket) =>
      socket.end(answer("502 Bad Gateway", "Content-Type: text/html\r\n", "<html>502</html>")),
    );
    expect(await endingOf(badGateway)).toBe("a gateway error (HTTP 502)");
    const reset = await serve((socket) => socket.resetAndDestroy());
    expect(await endingOf(reset)).toBe("a connection reset");
    const closed = await serve((socket) => socket.destroy());
    expect(await endingOf(closed)).toBe("a connection reset");
    const empty = await serve((socket) => socket.end(answer("200 OK", "", "")));
    expect(await endingOf(empty)).toBe("an answer that is not the server's (HTTP 200)");
    const notTrpc = await serve((socket) =>
      socket.end(answer("200 OK", "Content-Type: application/json\r\n", "{}")),
    );
    expect(await endingOf(notTrpc)).toBe("an invalid answer");
  });

  test("not a proxy: a refused connection, or the server's own error", async () => {
    const refused = await serve(() => {});
    const closing = servers.pop();
    await new Promise((resolve) => closing?.close(resolve));
    expect(await endingOf(refused)).toBeNull();
    const serverError = await serve((socket) =>
      socket.end(
        answer(
          "503 Service Unavailable",
          "Content-Type: application/json\r\n",
          JSON.stringify({
            error: {
              json: { message: "busy", code: -32603, data: { code: "SERVICE_UNAVAILABLE", httpStatus: 503 } },
            },
          }),
        ),
      ),
    );
    expect(await endingOf(serverError)).toBeNull();
  });
});
