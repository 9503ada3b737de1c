/**
 * `{{token}}` rendering for bot texts, URLs, headers and bodies.
 *
 * Tokens: `{{name}}` (a variable; `{{order.id}}` / `{{items.0}}` walk into object and array
 * variables), `{{contact.<property>}}` and `{{visitor.page_url|device|language|known_contact}}`.
 * Whitespace inside the braces is allowed. Unknown tokens render as "" — a visitor should never
 * see `{{name}}`. The result is plain text: nothing is HTML-escaped because the UI renders text
 * as text, and nothing here ever produces markup.
 */
import type { Json, VisitorInfo } from "./types.js";

export interface TemplateScope {
  readonly variables: Readonly<Record<string, Json>>;
  readonly contact: Readonly<Record<string, string>>;
  readonly visitor?: VisitorInfo;
}

export interface RenderOptions {
  /**
   * Applied to each token's rendered text (not to the literal parts), e.g. URL-encoding inside
   * a URL or JSON-escaping inside a JSON body. `raw` is the value the token resolved to.
   */
  readonly encode?: (text: string, raw: Json | undefined) => string;
}

type Part = string | { readonly path: ReadonlyArray<string>; readonly key: string };

const TOKEN = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}\}/g;

// Templates come from specs, so there are few distinct ones; parsing each once keeps rendering
// fast. The bound only protects against a process that renders unbounded distinct strings.
const cache = new Map<string, ReadonlyArray<Part>>();
const CACHE_LIMIT = 20_000;

const parse = (template: string): ReadonlyArray<Part> => {
  const cached = cache.get(template);
  if (cached !== undefined) return cached;
  const parts: Part[] = [];
  let last = 0;
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(template); match !== null; match = TOKEN.exec(template)) {
    if (match.index > last) parts.push(template.slice(last, match.index));
    const key = match[1];
    parts.push({ key, path: key.split(".") });
    last = match.index + match[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(template, parts);
  return parts;
};

const visitorField = (visitor: VisitorInfo | undefined, field: string): Json | undefined => {
  if (visitor === undefined) return undefined;
  switch (field) {
    case "page_url":
      return visitor.pageUrl;
    case "device":
      return visitor.device;
    case "language":
      return visitor.language;
    case "known_contact":
      return visitor.knownContact;
    default:
      return undefined;
  }
};

/** The value a token path names in `scope`, or undefined. Pure. */
export const resolveToken = (path: ReadonlyArray<string>, scope: TemplateScope): Json | undefined => {
  const head = path[0];
  if (path.length === 2 && head === "contact") {
    return Object.prototype.hasOwnProperty.call(scope.contact, path[1]) ? scope.contact[path[1]] : undefined;
  }
  if (path.length === 2 && head === "visitor") return visitorField(scope.visitor, path[1]);
  if (!Object.prototype.hasOwnProperty.call(scope.variables, head)) return undefined;
  let value: Json | undefined = scope.variables[head];
  for (let i = 1; i < path.length; i++) {
    if (value === null || typeof value !== "object") return undefined;
    const key = path[i];
    if (Array.isArray(value)) {
      value = /^\d+$/.test(key) ? (value as ReadonlyArray<Json>)[Number(key)] : undefined;
    } else {
      const record = value as { readonly [k: string]: Json };
      value = Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
    }
  }
  return value;
};

/**
 * Text form of a value: "" for nothing, numbers as-is, a list of plain values as "a, b",
 * anything else as JSON. Pure.
 */
export const formatValue = (value: Json | undefined): string => {
  if (value === undefined || value === null) return "";
  switch (typeof value) {
    case "string":
      return value;
    case "number":
      return Number.isFinite(value) ? String(value) : "";
    case "boolean":
      return value ? "true" : "false";
    default:
      if (Array.isArray(value) && value.every((item) => item === null || typeof item !== "object")) {
        return value.map((item) => formatValue(item)).join(", ");
      }
      try {
        return JSON.stringify(value) ?? "";
      } catch {
        return "";
      }
  }
};

/** Renders `template` against `scope` as plain text; unknown tokens become "". Pure. */
export const renderTemplate = (template: string, scope: TemplateScope, options?: RenderOptions): string => {
  if (typeof template !== "string") return "";
  if (!template.includes("{{")) return template;
  const parts = parse(template);
  let out = "";
  const encode = options?.encode;
  for (const part of parts) {
    if (typeof part === "string") {
      out += part;
    } else {
      const raw = resolveToken(part.path, scope);
      const text = formatValue(raw);
      out += encode === undefined ? text : encode(text, raw);
    }
  }
  return out;
};

/**
 * If the template is exactly one token (surrounding whitespace allowed), the value it names —
 * so `{{answers}}` copied into another variable keeps its list or number type. Pure.
 */
export const singleTokenValue = (template: string, scope: TemplateScope): { readonly value: Json | undefined } | null => {
  if (!template.includes("{{")) return null;
  const parts = parse(template.trim());
  if (parts.length !== 1 || typeof parts[0] === "string") return null;
  return { value: resolveToken(parts[0].path, scope) };
};

/** The distinct tokens a template uses, in order of appearance, e.g. `["name", "contact.email"]`. Pure. */
export const templateTokens = (template: string): ReadonlyArray<string> => {
  if (typeof template !== "string" || !template.includes("{{")) return [];
  const seen = new Set<string>();
  for (const part of parse(template)) {
    if (typeof part !== "string") seen.add(part.key);
  }
  return [...seen];
};
