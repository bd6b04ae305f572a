import { generateOpenApiDocument, type OpenAPIObject } from "trpc-to-openapi";
import { sessionCookieName } from "../auth/admin-sessions.ts";
import type { Access } from "../trpc.ts";
import { restEndpoint, restRoutes } from "./route-table.ts";
import { restOpenApiRouter, restRouter } from "./routes.ts";

const description = [
  "The REST face of the RedFlag API: the same procedures, schemas, authentication and errors as /api/trpc.",
  "Admin routes take an API token (`Authorization: Bearer rf_pat_…`, created in Settings → API tokens) or",
  "the dashboard's session cookie (changes then also need the dashboard's Origin). An agent registers and",
  "renews here without a token; its check-in and reports stay on /api/trpc. Times are ISO 8601 strings in UTC.",
  "Every answer carries `x-request-id`, also found in an error's `data.requestId`.",
].join(" ");

/** The OpenAPI 3.1 document of /api/v1 (openapi3-ts types). */
export type RestOpenApiDocument = OpenAPIObject;

const documents = new Map<string, OpenAPIObject>();

/** The OpenAPI 3.1 document of /api/v1, generated once per server version from the procedures' `.meta({ openapi })`. */
export function restOpenApiDocument(version: string): OpenAPIObject {
  let document = documents.get(version);
  if (!document) {
    document = generateOpenApiDocument(restOpenApiRouter, {
      title: "RedFlag API",
      description,
      version,
      baseUrl: restEndpoint,
      tags: ["agents", "updates", "commands", "agent protocol"],
      securitySchemes: {
        apiToken: {
          type: "http",
          scheme: "bearer",
          description: "An API token from Settings → API tokens (rf_pat_…); it acts with its role.",
        },
        session: {
          type: "apiKey",
          in: "cookie",
          name: sessionCookieName,
          description: "The dashboard's login session; a change also needs the dashboard's Origin header.",
        },
      },
    });
    describeAccess(document);
    documents.set(version, document);
  }
  return document;
}

type Procedures = Record<string, { _def: { meta?: { access?: Access } } }>;

/** Each operation says who may call it: `x-redflag-access` (public or the least role) and a sentence. */
function describeAccess(document: OpenAPIObject) {
  const procedures = restRouter._def.procedures as unknown as Procedures;
  for (const route of restRoutes) {
    const operation = document.paths?.[route.path]?.[route.method.toLowerCase() as "get"];
    const access = procedures[route.procedure]?._def.meta?.access;
    if (!operation || !access) continue;
    operation["x-redflag-access"] = access;
    const who =
      access === "public"
        ? "No credential needed."
        : `Needs an API token or a dashboard session with the ${access} role or higher.`;
    operation.description = [operation.description, who].filter(Boolean).join(" ");
  }
}
