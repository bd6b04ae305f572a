import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appRouter } from "@redflag/api";
import type { Role } from "@redflag/contracts";
import fc from "fast-check";
import superjson from "superjson";
import { z } from "zod";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import { apiClient, serverStartTimeout, startTestServer, type TestServer } from "./harness/server.ts";

/**
 * No input answers 5xx, and no answer carries database text: every procedure of the API is called by
 * the caller its tier admits, with inputs generated from its own input schema, where any value may be
 * swapped for a hostile one (NUL, bidi overrides, lone surrogates, huge numbers, dates Postgres cannot
 * store, deep or odd JSON, wrong types, overlong strings), and with raw bodies no client would send.
 * The seed is fixed so CI runs the same inputs each time; change it to explore.
 */
const seed = 20_261_130;
const runsPerProcedure = 8;

type Procedure = {
  _def: { type: "query" | "mutation" | "subscription"; meta?: { access?: string }; inputs: z.ZodType[] };
};

const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, Procedure>).map(
  ([path, procedure]) => ({
    path,
    type: procedure._def.type === "query" ? ("query" as const) : ("mutation" as const),
    access: procedure._def.meta?.access ?? "public",
    input: procedure._def.inputs[0] ?? null,
  }),
);

/** What must never reach a client: SQL, driver and database names, stack frames, source paths. */
const databaseText = [
  /\bselect\b[\s\S]*\bfrom\b/i,
  /\binsert\s+into\b/i,
  /\bupdate\b[\s\S]*\bset\b/i,
  /\bviolates\b/i,
  /syntax error/i,
  /postgres/i,
  /pglite/i,
  /failed query/i,
  /\bparams:/i,
  /\bSQLSTATE\b/i,
  /\n\s+at\s/,
  /\.(ts|js):\d+/,
  /node_modules/,
];

type Answer = { status: number; text: string; headers: Headers };

function assertSafe(answer: Answer, what: string): void {
  if (answer.status >= 500)
    throw new Error(`${what} answered ${answer.status}: ${answer.text.slice(0, 500)}`);
  if (answer.status < 400) return;
  const leak = databaseText.find((pattern) => pattern.test(answer.text));
  if (leak) throw new Error(`${what} answered ${answer.status} with ${leak}: ${answer.text.slice(0, 500)}`);
}

let server: TestServer;
const cookies: Record<Role, string> = { viewer: "", operator: "", admin: "" };
let shared: Awaited<ReturnType<typeof dataFixture>>;

/** Procedures that end what they are given (a refresh token's family, an agent, a session) get their own. */
const endsItsInput = new Set(["agent.renew", "agents.delete", "auth.logout"]);

async function send(
  path: string,
  options: { type: "query" | "mutation"; headers: Record<string, string>; body?: string; input?: unknown },
): Promise<Answer> {
  const body = options.body ?? serialized(options.input);
  const response =
    options.type === "query"
      ? await fetch(`${server.url}/api/trpc/${path}?input=${encodeURIComponent(body)}`, {
          headers: options.headers,
        })
      : await fetch(`${server.url}/api/trpc/${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", ...options.headers },
          body,
        });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** The input as superjson sends it, or as plain JSON where superjson refuses (a `__proto__` key). */
function serialized(input: unknown): string {
  try {
    return JSON.stringify(superjson.serialize(input));
  } catch {
    // superjson refuses some inputs (a "__proto__" key): sent as plain JSON, BigInts as their digits.
    return JSON.stringify({ json: input }, (_key, value) =>
      typeof value === "bigint" ? value.toString() : value,
    );
  }
}

/** The caller each tier admits: nobody, the agent's access token, or a session of the role. */
function callerHeaders(access: string, agentToken: string): Record<string, string> {
  if (access === "public") return {};
  if (access === "agent") return { authorization: `Bearer ${agentToken}` };
  // A change made with a session cookie must name our own origin, as browsers do.
  return { cookie: cookies[access as Role], origin: server.url };
}

/** A registered agent with a scan reported, an install queued and leased: ids that reach real rows. */
async function dataFixture() {
  const operator = { client: apiClient(server.url, { cookie: cookies.operator }) };
  const agent = await registerAgent(server, operator);
  await agent.client.agent.reportScan.mutate(scanReport([aptItem("bash"), aptItem("curl")]));
  const updates = (await operator.client.updates.list.query({ agentId: agent.agentId })).items;
  const [first] = updates;
  if (!first) throw new Error("the fixture's scan made no updates");
  const { commandIds } = await operator.client.updates.install.mutate({ updateIds: [first.id] });
  await agent.client.agent.checkIn.mutate({ agentVersion: "1", metrics: {}, rebootRequired: false });
  const registration = await operator.client.registrationTokens.create.mutate({ label: "fuzz", seats: 5 });
  const admin = apiClient(server.url, { cookie: cookies.admin });
  const victim = await admin.users.create.mutate({
    username: `victim-${Math.random().toString(36).slice(2, 10)}`,
    password: "correct horse battery staple",
    role: "viewer",
  });
  const token = await admin.apiTokens.create.mutate({ name: "fuzz", role: "viewer" });
  return {
    agentToken: agent.accessToken,
    /** Strings that pass the id and token checks, so generated inputs also reach the database. */
    knownStrings: [
      agent.agentId,
      agent.refreshToken,
      ...updates.map((update) => update.id),
      ...commandIds,
      registration.id,
      registration.token,
      victim.id,
      token.id,
    ],
  };
}

// ---- generated values ------------------------------------------------------------------------

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  format?: string;
  pattern?: string;
};

function yearDate(year: number): Date {
  const date = new Date(Date.UTC(2000, 0, 1));
  date.setUTCFullYear(year);
  return date;
}

function nested(depth: number): unknown {
  let value: unknown = "bottom";
  for (let level = 0; level < depth; level++) value = level % 2 ? [value] : { deeper: value };
  return value;
}

/** Values that have broken servers: each is tried in place of any part of an input. */
const hostileValues: unknown[] = [
  "\u0000",
  "a\u0000b",
  "\u202Eexe.txt",
  "host\u200Bname",
  "\uFEFFbom",
  "\u2066isolate\u2069",
  "c1\u0085control",
  "lone \uD800 surrogate",
  "\uDC00",
  "line\nbreak\r\n",
  "%_\\",
  "' or 1=1 --",
  "x".repeat(20_000),
  "🙂".repeat(300),
  "",
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53,
  -(2 ** 63),
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  -0,
  0.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  2n ** 70n,
  yearDate(0),
  yearDate(-1),
  yearDate(10_000),
  yearDate(275_760),
  new Date(-8.64e15),
  new Date(Number.NaN),
  nested(40),
  nested(2_000),
  Array.from({ length: 5_000 }, (_, index) => index),
  JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}'),
  { "\u0000key": 1 },
  new Map([["a", 1]]),
  new Set([1]),
  /regex/,
  undefined,
  null,
  true,
  [],
  {},
];

const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...hostileValues) },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 3, withBigInt: true, withDate: true, withMap: true }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
);

const dateBoundaries = [yearDate(1), new Date("9999-12-31T23:59:59.999Z"), new Date(0), new Date()];

/**
 * Values of `schema` (an input's JSON Schema), each part of which may be swapped for a hostile value:
 * a field often, a whole object or list seldom, so most inputs get past their shape to the database.
 */
function arbitraryOf(schema: JsonSchema, knownStrings: string[]): fc.Arbitrary<unknown> {
  const isContainer = schema.properties !== undefined || schema.items !== undefined;
  return fc.oneof(
    { weight: isContainer ? 30 : 5, arbitrary: validOf(schema, knownStrings) },
    { weight: 1, arbitrary: hostile },
  );
}

function validOf(schema: JsonSchema, knownStrings: string[]): fc.Arbitrary<unknown> {
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return fc.oneof(...options.map((option) => arbitraryOf(option, knownStrings)));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if ("const" in schema) return fc.constant(schema.const);
  if (schema.format === "date-object") {
    return fc.oneof(fc.constantFrom(...dateBoundaries), fc.date({ noInvalidDate: true }));
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "string":
      return stringOf(schema, knownStrings);
    case "integer":
    case "number": {
      const min =
        schema.minimum ?? (schema.exclusiveMinimum === undefined ? undefined : schema.exclusiveMinimum + 1);
      const max = schema.maximum;
      const boundaries = [min, max].filter((value): value is number => value !== undefined);
      const inRange =
        type === "integer"
          ? fc.integer({
              min: Math.max(min ?? -(2 ** 31), -(2 ** 31)),
              max: Math.min(max ?? 2 ** 31 - 1, 2 ** 31 - 1),
            })
          : fc.double({ min: min ?? -1e9, max: max ?? 1e9, noNaN: true, noDefaultInfinity: true });
      return boundaries.length > 0 ? fc.oneof(inRange, fc.constantFrom(...boundaries)) : inRange;
    }
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array":
      return fc.array(schema.items ? arbitraryOf(schema.items, knownStrings) : fc.jsonValue(), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)),
      });
    case "object": {
      if (schema.properties) {
        const fields: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [key, field] of Object.entries(schema.properties))
          fields[key] = arbitraryOf(field, knownStrings);
        return fc.record(fields, { requiredKeys: schema.required ?? [] });
      }
      return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 });
    }
    default:
      return fc.jsonValue({ maxDepth: 3 });
  }
}

function stringOf(schema: JsonSchema, knownStrings: string[]): fc.Arbitrary<string> {
  if (schema.format === "uuid") return fc.uuid();
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.min(schema.maxLength ?? 64, 64);
  const longest = schema.maxLength ?? 1000;
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...knownStrings) },
    {
      weight: 3,
      arbitrary: fc.string({ unit: "grapheme", minLength, maxLength: Math.max(minLength, maxLength) }),
    },
    { weight: 1, arbitrary: fc.constantFrom("é".repeat(longest), "a".repeat(longest), "עברית العربية", "%") },
  );
}

function jsonSchemaOf(input: z.ZodType): JsonSchema {
  return z.toJSONSchema(input, {
    io: "input",
    unrepresentable: "any",
    override: (context) => {
      if ((context.zodSchema as { _zod: { def: { type: string } } })._zod.def.type === "date") {
        context.jsonSchema.format = "date-object";
      }
    },
  }) as JsonSchema;
}

function inputArbitrary(input: z.ZodType | null, knownStrings: string[]): fc.Arbitrary<unknown> {
  if (!input) return fc.oneof(fc.constant(undefined), hostile);
  return arbitraryOf(jsonSchemaOf(input), knownStrings);
}

// ---- every field of a valid input, one hostile value at a time --------------------------------

type Path = (string | number)[];

/** One value of `schema` with every optional field present and one item in every list. */
function exampleOf(schema: JsonSchema): unknown {
  const options = (schema.anyOf ?? schema.oneOf)?.filter((option) => option.type !== "null");
  if (options?.[0]) return exampleOf(options[0]);
  if (schema.enum) return schema.enum[0];
  if ("const" in schema) return schema.const;
  if (schema.format === "date-object") return new Date();
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === "string") {
    if (schema.format === "uuid") return crypto.randomUUID();
    if (schema.pattern)
      return fc.sample(fc.stringMatching(new RegExp(schema.pattern)), { seed, numRuns: 1 })[0];
    return "x".repeat(Math.max(schema.minLength ?? 0, 3));
  }
  if (type === "integer" || type === "number") return schema.minimum ?? 1;
  if (type === "boolean") return false;
  if (type === "array") {
    const count = Math.max(schema.minItems ?? 0, schema.maxItems === 0 ? 0 : 1);
    return Array.from({ length: count }, () => (schema.items ? exampleOf(schema.items) : "x"));
  }
  if (type === "object" && schema.properties) {
    return Object.fromEntries(
      Object.entries(schema.properties).map(([key, value]) => [key, exampleOf(value)]),
    );
  }
  return {};
}

function leafPaths(value: unknown, path: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => leafPaths(item, [...path, index]));
  if (value && typeof value === "object" && !(value instanceof Date)) {
    const entries = Object.entries(value);
    return entries.length === 0 ? [path] : entries.flatMap(([key, item]) => leafPaths(item, [...path, key]));
  }
  return [path];
}

function valueAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], value);
}

function withValueAt(value: unknown, path: Path, replacement: unknown): unknown {
  const [key, ...rest] = path;
  if (key === undefined) return replacement;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<
    string | number,
    unknown
  >;
  copy[key] = withValueAt(copy[key], rest, replacement);
  return copy;
}

/** The example with each id or token field set to a known string the schema accepts there. */
function withKnownStrings(input: z.ZodType, example: unknown, knownStrings: string[]): unknown {
  let fitted = example;
  for (const path of leafPaths(example)) {
    if (typeof valueAt(fitted, path) !== "string") continue;
    const refusesPath = (candidate: unknown) =>
      input.safeParse(candidate).error?.issues.some((issue) => issue.path.join(".") === path.join(".")) ??
      false;
    if (!refusesPath(fitted)) continue;
    const known = knownStrings.find((candidate) => !refusesPath(withValueAt(fitted, path, candidate)));
    if (known !== undefined) fitted = withValueAt(fitted, path, known);
  }
  return fitted;
}

/** What each kind of field is swept with: the values that reached Postgres before the primitives. */
function sweepValuesFor(value: unknown): unknown[] {
  if (typeof value === "string") return ["a\u0000b", "lone \uD800", "\u202Eexe.txt"];
  if (typeof value === "number") return [2 ** 31, 2 ** 53, -(2 ** 63)];
  if (value instanceof Date) return [yearDate(0), yearDate(10_000)];
  if (value && typeof value === "object") return [{ "\u0000": "\u0000" }, nested(40)];
  return [];
}

/** Bodies no client library sends: broken JSON, superjson envelopes with odd type notes, batches. */
const rawBodies: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "{not json",
    "",
    "null",
    "[]",
    '"\\u0000"',
    '{"json":{"a":1},"meta":{"values":{"a":["bigint"]}}}',
    '{"json":{"a":"not a number"},"meta":{"values":{"a":["bigint"]}}}',
    '{"json":{"a":"+300000-01-01T00:00:00.000Z"},"meta":{"values":{"a":["Date"]}}}',
    '{"json":{"a":"x"},"meta":{"values":{"a":["custom","nope"]}}}',
    '{"json":{"a":"x"},"meta":{"values":{"a":["class","Nope"]}}}',
    '{"json":{"a":[1]},"meta":{"values":{"a":["map"]}}}',
    '{"json":{"a":{}},"meta":{"referentialEqualities":{"a":["__proto__.polluted"]}}}',
    '{"json":{"__proto__":{"polluted":1}},"meta":{"values":{"__proto__":["set"]}}}',
    `{"json":${"[".repeat(5_000)}${"]".repeat(5_000)}}`,
  ),
  fc.json({ maxDepth: 4 }),
  fc.string({ unit: "binary", maxLength: 200 }),
);

// ---- the suite -------------------------------------------------------------------------------

beforeAll(async () => {
  server = await startTestServer({
    // The fixtures register an agent per procedure; the limits themselves are tested elsewhere.
    rateLimits: { registerPerAddress: { limit: 100_000, windowSeconds: 60 } },
  });
  for (const role of ["viewer", "operator", "admin"] as const) {
    cookies[role] = (await signIn(server, role)).cookie;
  }
  shared = await dataFixture();
}, serverStartTimeout);
afterAll(async () => {
  await server.stop();
});

async function expectHealthy(): Promise<void> {
  await server.api.ping();
  const health = await send("health.get", {
    type: "query",
    headers: { cookie: cookies.admin },
    input: undefined,
  });
  expect(health.status).toBe(200);
}

describe("no input answers 5xx or shows database text", () => {
  test("every procedure is walked", () => {
    expect(procedures.length).toBeGreaterThan(30);
    expect(new Set(procedures.map((procedure) => procedure.access))).toEqual(
      new Set(["public", "agent", "viewer", "operator", "admin"]),
    );
  });

  for (const procedure of procedures) {
    test(`${procedure.path} (${procedure.access})`, async () => {
      const fixture = endsItsInput.has(procedure.path) ? await dataFixture() : shared;
      let headers = callerHeaders(procedure.access, fixture.agentToken);
      if (procedure.path === "auth.logout") {
        headers = { cookie: (await signIn(server, "viewer")).cookie, origin: server.url };
      }
      const call = fc.oneof(
        {
          weight: 4,
          arbitrary: inputArbitrary(procedure.input, fixture.knownStrings).map((input) => ({ input })),
        },
        { weight: 1, arbitrary: rawBodies.map((body) => ({ body })) },
      );
      await fc.assert(
        fc.asyncProperty(call, async (request) => {
          const answer = await send(procedure.path, { type: procedure.type, headers, ...request });
          assertSafe(answer, procedure.path);
        }),
        { seed, numRuns: runsPerProcedure, endOnFailure: true },
      );
      if (procedure.input) {
        const example = withKnownStrings(
          procedure.input,
          exampleOf(jsonSchemaOf(procedure.input)),
          fixture.knownStrings,
        );
        for (const path of leafPaths(example)) {
          for (const replacement of sweepValuesFor(valueAt(example, path))) {
            const answer = await send(procedure.path, {
              type: procedure.type,
              headers,
              input: withValueAt(example, path, replacement),
            });
            assertSafe(
              answer,
              `${procedure.path} with ${path.join(".") || "(input)"} = ${String(replacement).slice(0, 20)}`,
            );
          }
        }
      }
      await expectHealthy();
    }, 60_000);
  }
});

// ---- the inputs that answered 500 before the contracts' primitives and the error formatter ----

function yearText(year: number): string {
  return year < 0 || year > 9999
    ? `${year < 0 ? "-" : "+"}${String(Math.abs(year)).padStart(6, "0")}-01-01T00:00:00.000Z`
    : `${String(year).padStart(4, "0")}-01-01T00:00:00.000Z`;
}

/** A superjson body with dates written as text, so years no JavaScript date holds can be sent too. */
function withDates(json: Record<string, unknown>, dates: Record<string, string>): string {
  return JSON.stringify({
    json: { ...json, ...dates },
    meta: { values: Object.fromEntries(Object.keys(dates).map((key) => [key, ["Date"]])) },
  });
}

const emptyScan = { scanners: [{ packageType: "apt", status: "ok", items: [] }] };
const finishedResult = {
  commandId: "cmd_00000000000000000000000000",
  status: "failed",
  exitCode: 1,
  output: "",
};
const now = new Date().toISOString();

type KnownCase = {
  name: string;
  path: string;
  type: "query" | "mutation";
  access: string;
  input?: unknown;
  body?: string;
  /** The field the answer names, when the contract refuses it (not the login, whose input is not a contract). */
  field?: string;
};

const knownCases: KnownCase[] = [
  {
    name: "1. auth.login: NUL in the username",
    path: "auth.login",
    type: "mutation",
    access: "public",
    input: { username: "admin\u0000", password: "whatever-password" },
  },
  {
    name: "2. agents.list: NUL in the search text",
    path: "agents.list",
    type: "query",
    access: "viewer",
    input: { search: "a\u0000b" },
    field: "search",
  },
  {
    name: "3. updates.list: NUL in the search text",
    path: "updates.list",
    type: "query",
    access: "viewer",
    input: { search: "a\u0000b" },
    field: "search",
  },
  {
    name: "4. registrationTokens.create: NUL in the label",
    path: "registrationTokens.create",
    type: "mutation",
    access: "operator",
    input: { label: "lab\u0000el" },
    field: "label",
  },
  {
    name: "5. apiTokens.create: NUL in the name",
    path: "apiTokens.create",
    type: "mutation",
    access: "viewer",
    input: { name: "na\u0000me", role: "viewer" },
    field: "name",
  },
  {
    name: "6. audit.list: NUL in the entity type filter",
    path: "audit.list",
    type: "query",
    access: "viewer",
    input: { entityType: "agent\u0000" },
    field: "entityType",
  },
  {
    name: "7. audit.list: NUL in the entity id filter",
    path: "audit.list",
    type: "query",
    access: "viewer",
    input: { entityId: "agt\u0000" },
    field: "entityId",
  },
  {
    // 2^31 … 2^32 − 1 are Windows statuses, kept as signed 32-bit integers (primitives.ts exitCode).
    name: "8. agent.reportResult: an exit code beyond a 32-bit integer",
    path: "agent.reportResult",
    type: "mutation",
    access: "agent",
    input: { ...finishedResult, exitCode: 2 ** 32, startedAt: new Date(), finishedAt: new Date() },
    field: "exitCode",
  },
  {
    name: "9. agent.reportScan: a start in year 0",
    path: "agent.reportScan",
    type: "mutation",
    access: "agent",
    body: withDates(emptyScan, { startedAt: yearText(0), finishedAt: now }),
    field: "startedAt",
  },
  {
    name: "10. agent.reportScan: a finish in year 300000",
    path: "agent.reportScan",
    type: "mutation",
    access: "agent",
    body: withDates(emptyScan, { startedAt: now, finishedAt: yearText(300_000) }),
    field: "finishedAt",
  },
  {
    name: "11. agent.reportResult: a start in year 0 and a finish in year 10000",
    path: "agent.reportResult",
    type: "mutation",
    access: "agent",
    body: withDates(finishedResult, { startedAt: yearText(0), finishedAt: yearText(10_000) }),
    field: "startedAt",
  },
  {
    name: "12. agent.reportScan: item metadata holding a lone surrogate (jsonb refuses it)",
    path: "agent.reportScan",
    type: "mutation",
    access: "agent",
    input: scanReport([aptItem("bash", { metadata: { note: "\uD800" } })]),
    field: "scanners.0.items.0.metadata",
  },
];

describe("the inputs that answered 500 answer 400 and name the field", () => {
  let agentToken = "";
  beforeAll(async () => {
    agentToken = (await dataFixture()).agentToken;
  }, serverStartTimeout);

  for (const known of knownCases) {
    test(known.name, async () => {
      const answer = await send(known.path, {
        type: known.type,
        headers: callerHeaders(known.access, agentToken),
        input: known.input,
        body: known.body,
      });
      assertSafe(answer, known.path);
      expect(answer.status).toBe(400);
      if (known.field) expect(answer.text).toContain(`"path":"${known.field}"`);
      await expectHealthy();
    });
  }

  test("names, labels and package names refuse bidi overrides, zero-width characters and C1 controls", async () => {
    const operator = callerHeaders("operator", agentToken);
    for (const spoof of ["\u202E", "\u200B", "\u2066", "\uFEFF", "\u0085"]) {
      const label = await send("registrationTokens.create", {
        type: "mutation",
        headers: operator,
        input: { label: `fle${spoof}et` },
      });
      expect(label.status).toBe(400);
      expect(label.text).toMatch(/invisible or direction-changing|control characters/);
      const scan = await send("agent.reportScan", {
        type: "mutation",
        headers: callerHeaders("agent", agentToken),
        input: scanReport([aptItem(`bash${spoof}`)]),
      });
      expect(scan.status).toBe(400);
      expect(scan.text).toContain('"path":"scanners.0.items.0.packageName"');
    }
  });
});
