import { forEachOpenApiProcedure, getPathRegExp, normalizePath } from "trpc-to-openapi";
import { z } from "zod";
import { restRouter } from "./routes.ts";

export const restEndpoint = "/api/v1";

export type QueryValues = Record<string, unknown[]>;

export type RestRoute = {
  method: string;
  /** The OpenAPI path, `/agents/{agentId}`. */
  path: string;
  pathPattern: RegExp;
  /** The procedure it calls, `agents.get`. */
  procedure: string;
  hasBody: boolean;
  /**
   * The query string as the library reads it, with booleans and numbers already typed (the library's
   * own coercion works on its private copies of the schemas, see routes.ts); or why it cannot be.
   */
  queryOf: (parameters: URLSearchParams) => { ok: true; value: QueryValues } | { ok: false; message: string };
};

type QueryKind = "boolean" | "number";

/** The fields of an input that a query string must turn into booleans or numbers, however wrapped (optional, default). */
function typedFields(input: unknown): Map<string, QueryKind> {
  const fields = new Map<string, QueryKind>();
  if (!(input instanceof z.ZodObject)) return fields;
  for (const [key, schema] of Object.entries(input.shape as Record<string, z.ZodType>)) {
    let inner: z.ZodType = schema;
    while (
      inner instanceof z.ZodOptional ||
      inner instanceof z.ZodDefault ||
      inner instanceof z.ZodNullable
    ) {
      inner = inner.unwrap() as z.ZodType;
    }
    if (inner instanceof z.ZodBoolean) fields.set(key, "boolean");
    if (inner instanceof z.ZodNumber) fields.set(key, "number");
  }
  return fields;
}

function routeOf(procedure: string, method: string, path: string, input: unknown): RestRoute {
  const typed = typedFields(input);
  return {
    method,
    path: normalizePath(path),
    pathPattern: getPathRegExp(normalizePath(path)),
    procedure,
    hasBody: method !== "GET" && method !== "DELETE",
    queryOf(parameters) {
      const value: QueryValues = {};
      for (const [key, raw] of parameters) {
        let item: unknown = raw;
        const kind = typed.get(key);
        if (kind === "boolean") {
          if (raw !== "true" && raw !== "false") {
            return { ok: false, message: `Invalid input: ${key}: must be true or false, not "${raw}"` };
          }
          item = raw === "true";
        } else if (kind === "number" && /^-?\d+(\.\d+)?$/.test(raw)) {
          // Anything else stays a string, which the schema refuses by name.
          item = Number(raw);
        }
        value[key] = [...(value[key] ?? []), item];
      }
      return { ok: true, value };
    },
  };
}

/** Every route /api/v1 serves, from the procedures' `.meta({ openapi })`. */
export const restRoutes: readonly RestRoute[] = (() => {
  const routes: RestRoute[] = [];
  forEachOpenApiProcedure(restRouter._def.procedures, ({ path, type, procedure, meta }) => {
    if (type === "subscription") return;
    const inputs = (procedure._def as { inputs?: unknown[] }).inputs ?? [];
    routes.push(routeOf(path, meta.openapi.method, meta.openapi.path, inputs[0]));
  });
  return routes;
})();

export type RouteMatch =
  | { kind: "route"; route: RestRoute }
  | { kind: "wrong_method"; allowed: string[] }
  | { kind: "no_route" };

/** The route for a request to `pathname` (under /api/v1, or already without it); paths match case-insensitively, as the library's. */
export function matchRestRoute(method: string, pathname: string): RouteMatch {
  const path = normalizePath(
    pathname.startsWith(restEndpoint) ? pathname.slice(restEndpoint.length) : pathname,
  );
  const onPath = restRoutes.filter((route) => route.pathPattern.test(path));
  if (onPath.length === 0) return { kind: "no_route" };
  // The library tries routes in the order they were declared: the same order here.
  const route = onPath.find((candidate) => candidate.method === method.toUpperCase());
  if (route) return { kind: "route", route };
  return { kind: "wrong_method", allowed: [...new Set(onPath.map((candidate) => candidate.method))] };
}
