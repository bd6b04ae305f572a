/** A JSON Schema as the OpenAPI document gives it (the parts a reader needs). */
export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  default?: unknown;
  format?: string;
};

const indentUnit = "  ";

/**
 * A schema written the way a TypeScript reader expects (`{ id: string; tags: string[]; at?: string | null }`),
 * `$ref`s resolved against `definitions`, nested objects indented.
 */
export function describeSchema(
  schema: JsonSchema | undefined,
  definitions: Record<string, JsonSchema> = {},
  depth = 0,
): string {
  if (!schema) return "unknown";
  if (schema.$ref) {
    const name = schema.$ref.split("/").at(-1) ?? "";
    const target = definitions[name];
    return target && depth < 8 ? describeSchema(target, definitions, depth) : name;
  }
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return union.map((part) => describeSchema(part, definitions, depth)).join(" | ");
  if (schema.allOf) return schema.allOf.map((part) => describeSchema(part, definitions, depth)).join(" & ");
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length > 1) {
    return types.map((type) => describeSchema({ ...schema, type }, definitions, depth)).join(" | ");
  }
  switch (types[0]) {
    case "array":
      return `${wrapUnion(describeSchema(schema.items, definitions, depth))}[]`;
    case "object":
      return describeObject(schema, definitions, depth);
    case "integer":
      return "integer";
    case undefined:
      return "unknown";
    default:
      return types[0];
  }
}

function wrapUnion(text: string): string {
  return text.includes(" | ") && !text.startsWith("{") ? `(${text})` : text;
}

function describeObject(schema: JsonSchema, definitions: Record<string, JsonSchema>, depth: number): string {
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) {
    const values = schema.additionalProperties;
    if (values && typeof values === "object") {
      return `Record<string, ${describeSchema(values, definitions, depth)}>`;
    }
    return values === false ? "{}" : "Record<string, unknown>";
  }
  const required = new Set(schema.required ?? []);
  const inner = indentUnit.repeat(depth + 1);
  const lines = properties.map(([name, property]) => {
    const optional = required.has(name) ? "" : "?";
    const fallback = property.default !== undefined ? ` (default ${JSON.stringify(property.default)})` : "";
    return `${inner}${name}${optional}: ${describeSchema(property, definitions, depth + 1)}${fallback}`;
  });
  return `{\n${lines.join("\n")}\n${indentUnit.repeat(depth)}}`;
}
