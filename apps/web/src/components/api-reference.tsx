import type { RestOpenApiDocument as OpenAPIObject } from "@redflag/api";
import type { ReactNode } from "react";
import { describeSchema, type JsonSchema } from "./api-schema";

type Parameter = { name: string; in: string; required?: boolean; schema?: JsonSchema; description?: string };
type Operation = {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: JsonSchema }> }>;
  "x-redflag-access"?: string;
};
type Listed = { method: string; path: string; operation: Operation };

const methods = ["get", "post", "put", "patch", "delete"] as const;

/** The operations of the document, grouped by their first tag in the document's tag order. */
function byTag(document: OpenAPIObject): Array<[string, Listed[]]> {
  const groups = new Map<string, Listed[]>((document.tags ?? []).map((tag) => [tag.name, []]));
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of methods) {
      const operation = (item as Record<string, Operation | undefined>)[method];
      if (!operation) continue;
      const tag = operation.tags?.[0] ?? "other";
      groups.set(tag, [...(groups.get(tag) ?? []), { method: method.toUpperCase(), path, operation }]);
    }
  }
  return [...groups].filter(([, operations]) => operations.length > 0);
}

/** The OpenAPI document of /api/v1 as a page: each route's method, path, who may call it, and its shapes. */
export function ApiReference({ document }: { document: OpenAPIObject }) {
  const definitions = (document.components?.schemas ?? {}) as Record<string, JsonSchema>;
  const server = document.servers?.[0]?.url ?? "";
  return (
    <div className="api-reference">
      <p className="muted">
        <WithCode text={document.info.description ?? ""} />
      </p>
      <p>
        Version {document.info.version}. Machine-readable:{" "}
        <a href={`${server}/openapi.json`} className="mono">
          {server}/openapi.json
        </a>{" "}
        (OpenAPI 3.1).
      </p>
      {byTag(document).map(([tag, operations]) => (
        <section key={tag} className="card" aria-labelledby={`api-tag-${tag.replace(/\W/g, "-")}`}>
          <h2 id={`api-tag-${tag.replace(/\W/g, "-")}`}>{tag}</h2>
          {operations.map((listed) => (
            <ApiOperation
              key={`${listed.method} ${listed.path}`}
              listed={listed}
              server={server}
              definitions={definitions}
            />
          ))}
        </section>
      ))}
    </div>
  );
}

function ApiOperation({
  listed: { method, path, operation },
  server,
  definitions,
}: {
  listed: Listed;
  server: string;
  definitions: Record<string, JsonSchema>;
}) {
  const body = operation.requestBody?.content?.["application/json"]?.schema;
  const success = operation.responses?.["200"]?.content?.["application/json"]?.schema;
  const access = operation["x-redflag-access"];
  return (
    <article className="api-operation" id={operation.operationId}>
      <h3 className="mono api-operation-title">
        <span className="badge">{method}</span> {server}
        {path}
      </h3>
      <p className="api-operation-line">{operation.summary}</p>
      <p className="small-text api-operation-line">
        Access: {access === "public" ? "public (no credential)" : `${access ?? "?"} role or higher`}
      </p>
      {operation.parameters && operation.parameters.length > 0 ? (
        <ul className="plain-list small-text">
          {operation.parameters.map((parameter) => (
            <li key={`${parameter.in} ${parameter.name}`}>
              <code>{parameter.name}</code> ({parameter.in}
              {parameter.required ? ", required" : ""}):{" "}
              <code>{describeSchema(parameter.schema, definitions)}</code>
            </li>
          ))}
        </ul>
      ) : null}
      {body ? <SchemaBlock title="Request body (JSON)" schema={describeSchema(body, definitions)} /> : null}
      <SchemaBlock title="Response 200 (JSON)" schema={describeSchema(success, definitions)} />
    </article>
  );
}

function SchemaBlock({ title, schema }: { title: string; schema: string }) {
  return (
    <details className="api-schema">
      <summary>{title}</summary>
      <pre className="mono api-schema-text">{schema}</pre>
    </details>
  );
}

/** Text whose `backticked` parts are code, as the document's descriptions write them. */
function WithCode({ text }: { text: string }) {
  const parts: ReactNode[] = [];
  let offset = 0;
  let inCode = false;
  for (const part of text.split("`")) {
    parts.push(inCode ? <code key={offset}>{part}</code> : <span key={offset}>{part}</span>);
    offset += part.length + 1;
    inCode = !inCode;
  }
  return parts;
}
