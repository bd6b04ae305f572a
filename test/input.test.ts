import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTrpcHandler } from "@redflag/api";
import { scans, updates } from "@redflag/db";
import { count } from "drizzle-orm";
import superjson from "superjson";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import { rawCall, serverStartTimeout, startTestServer, type TestServer } from "./harness/server.ts";

let server: TestServer;
let agent: Awaited<ReturnType<typeof registerAgent>>;
beforeAll(async () => {
  server = await startTestServer({ maxBodyBytes: 5 * 1024 * 1024 });
  agent = await registerAgent(server, await signIn(server, "operator"));
}, serverStartTimeout);
afterAll(async () => {
  await server.stop();
});

const agentHeaders = () => ({ authorization: `Bearer ${agent.accessToken}` });

async function rowCounts() {
  const [updateCount] = await server.api.db.select({ total: count() }).from(updates);
  const [scanCount] = await server.api.db.select({ total: count() }).from(scans);
  return { updates: updateCount?.total, scans: scanCount?.total };
}

type ErrorBody = {
  error: { json: { message: string; data: { code: string; fields: { path: string }[] | null } } };
};

describe("bad input is refused with the field that is wrong, and changes nothing", () => {
  test("a wrong type names the field", async () => {
    const before = await rowCounts();
    const report = scanReport([aptItem("bash"), aptItem("curl", { availableVersion: "" })]);
    const response = await rawCall(server.url, "agent.reportScan", {
      type: "mutation",
      input: report,
      headers: agentHeaders(),
    });
    expect(response.status).toBe(400);
    const body = response.body as ErrorBody;
    expect(body.error.json.data.code).toBe("BAD_REQUEST");
    expect(body.error.json.data.fields?.map((field) => field.path)).toEqual([
      "scanners.0.items.1.availableVersion",
    ]);
    expect(body.error.json.message).toContain("scanners.0.items.1.availableVersion");
    expect(await rowCounts()).toEqual(before);
  });

  test("malformed JSON, control characters, NUL bytes and bad CVE ids are refused", async () => {
    const before = await rowCounts();
    const broken = await rawCall(server.url, "agent.reportScan", {
      type: "mutation",
      body: "{not json",
      headers: agentHeaders(),
    });
    expect(broken.status).toBe(400);
    for (const item of [
      aptItem("bad\u0007name"),
      aptItem("bash", { metadata: { note: "nul\u0000byte" } }),
      aptItem("bash", { cves: ["CVE-bad"] }),
      aptItem("x".repeat(300)),
    ]) {
      const response = await rawCall(server.url, "agent.reportScan", {
        type: "mutation",
        input: scanReport([item]),
        headers: agentHeaders(),
      });
      expect(response.status).toBe(400);
    }
    const output = await rawCall(server.url, "agent.reportResult", {
      type: "mutation",
      input: {
        commandId: "cmd_00000000000000000000000000",
        status: "succeeded",
        exitCode: 0,
        output: "a\u0000b",
        startedAt: new Date(),
        finishedAt: new Date(),
      },
      headers: agentHeaders(),
    });
    expect(output.status).toBe(400);
    expect(await rowCounts()).toEqual(before);
  });

  test("an id of the wrong kind is refused", async () => {
    const admin = await signIn(server, "operator");
    const error = await admin.client.updates.approve
      .mutate({ updateIds: [agent.agentId] })
      .catch((cause) => cause);
    expect(error.data.code).toBe("BAD_REQUEST");
    expect(error.message).toContain("updateIds.0");
  });

  test("a body over the limit answers 413 and nothing is written", async () => {
    const before = await rowCounts();
    const big = Array.from({ length: 9000 }, (_, index) =>
      aptItem(`package-${index}`, { metadata: { padding: "p".repeat(600) } }),
    );
    const body = JSON.stringify(superjson.serialize(scanReport(big)));
    expect(body.length).toBeGreaterThan(5 * 1024 * 1024);
    const response = await fetch(`${server.url}/api/trpc/agent.reportScan`, {
      method: "POST",
      headers: { "content-type": "application/json", ...agentHeaders() },
      body,
    });
    expect(response.status).toBe(413);
    const parsed = superjson.deserialize<{ message: string; data: { code: string } }>(
      ((await response.json()) as { error: Parameters<typeof superjson.deserialize>[0] }).error,
    );
    expect(parsed.data.code).toBe("PAYLOAD_TOO_LARGE");
    expect(await rowCounts()).toEqual(before);
  });

  test("a body streamed without a length is cut off at the limit too", async () => {
    const before = await rowCounts();
    const chunk = new TextEncoder().encode("x".repeat(1024 * 1024));
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Endless: only the limit can stop the reading.
        pulled++;
        controller.enqueue(chunk);
      },
    });
    const handler = createTrpcHandler(server.api);
    const response = await handler(
      new Request(`${server.url}/api/trpc/agent.reportScan`, {
        method: "POST",
        headers: { "content-type": "application/json", ...agentHeaders() },
        body: stream,
      }),
    );
    expect(response.status).toBe(413);
    expect(pulled).toBeLessThan(10);
    expect(await rowCounts()).toEqual(before);
  });

  test("a report just under the limit is accepted", async () => {
    const items = Array.from({ length: 2000 }, (_, index) => aptItem(`package-${index}`));
    const response = await rawCall(server.url, "agent.reportScan", {
      type: "mutation",
      input: scanReport(items),
      headers: agentHeaders(),
    });
    expect(response.status).toBe(200);
    expect((await rowCounts()).updates).toBe(2000);
  });
});
