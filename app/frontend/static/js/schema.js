// Field limits and choices from the server's OpenAPI schema, so the forms never drift from the API.

import * as api from "./api.js";

let documentPromise = null;

export function openapi() {
  documentPromise ??= api.get("/openapi.json").catch((error) => {
    documentPromise = null; // try again next time
    throw error;
  });
  return documentPromise;
}

/** One property of a JSON schema, flattened: {type, nullable, enum, min, max, exclusiveMin, exclusiveMax, default}. */
export function fieldSpec(name, property) {
  const variants = property.anyOf ?? [property];
  const main = variants.find((variant) => variant.type !== "null") ?? {};
  return {
    name,
    title: property.title ?? name,
    description: property.description ?? main.description ?? null,
    type: main.enum ? "enum" : main.type ?? "string",
    nullable: variants.some((variant) => variant.type === "null"),
    enum: main.enum ?? null,
    min: main.minimum ?? null,
    max: main.maximum ?? null,
    exclusiveMin: main.exclusiveMinimum ?? null,
    exclusiveMax: main.exclusiveMaximum ?? null,
    default: "default" in property ? property.default : null,
  };
}

/** The fields of a component schema (e.g. "JobRequest") as a Map name -> spec, in the schema's order. */
export function componentFields(document, schemaName) {
  const schema = document.components?.schemas?.[schemaName];
  if (!schema) throw new Error(`the server's API schema has no ${schemaName}`);
  return new Map(Object.entries(schema.properties ?? {}).map(([name, property]) => [name, fieldSpec(name, property)]));
}

/** The form fields of an operation's multipart body (e.g. POST /v1/datasets). */
export function multipartFields(document, path, method = "post") {
  const schema = document.paths?.[path]?.[method]?.requestBody?.content?.["multipart/form-data"]?.schema;
  return new Map(Object.entries(schema?.properties ?? {}).map(([name, property]) => [name, fieldSpec(name, property)]));
}

/** A sentence on the allowed values: "1 to 512", "above 0, at most 0.1", "at least 100". */
export function limitsText(spec) {
  const low = spec.min !== null ? `at least ${spec.min}` : spec.exclusiveMin !== null ? `above ${spec.exclusiveMin}` : null;
  const high = spec.max !== null ? `at most ${spec.max}` : spec.exclusiveMax !== null ? `below ${spec.exclusiveMax}` : null;
  if (spec.min !== null && spec.max !== null) return `${spec.min} to ${spec.max}`;
  return [low, high].filter(Boolean).join(", ");
}

/** The value to send for what the user typed; undefined leaves the field out (the server's default). */
export function parseValue(spec, raw) {
  if (spec.type === "boolean") return Boolean(raw);
  const text = String(raw ?? "").trim();
  if (text === "") return spec.nullable ? null : undefined;
  if (spec.type === "integer" || spec.type === "number") {
    const value = Number(text);
    return Number.isFinite(value) ? value : text; // not a number: sent as typed, the API explains the error
  }
  return text;
}
