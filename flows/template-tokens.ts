/**
 * The `{{token}}` syntax of templates, shared by the compiler's checks and (later) the
 * interpreter's renderer, so both agree on what a token is. Whitespace inside the braces is
 * ignored: `{{ contact.email }}` is the token `contact.email`.
 */

export type TemplatePart =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "token"; readonly name: string };

/**
 * What a token refers to. A variable token may walk into an object or list variable
 * (`{{order.id}}`, `{{items.0}}`); `name` is the variable, `path` the whole walk.
 * `invalid` covers anything the renderer would not treat as a token (`{{ 1x }}`, `{{}}`).
 */
export type TokenRef =
  | { readonly type: "variable"; readonly name: string; readonly path: ReadonlyArray<string> }
  | { readonly type: "contact"; readonly property: string }
  | { readonly type: "visitor"; readonly field: string }
  | { readonly type: "invalid"; readonly name: string };

const TOKEN = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The trimmed names of every `{{…}}` token, in order of appearance. Pure. */
export const templateTokens = (template: string): string[] => {
  if (!template.includes("{{")) return [];
  const out: string[] = [];
  for (const match of template.matchAll(TOKEN)) out.push(match[1]!);
  return out;
};

/** Splits a template into literal text and tokens, for rendering. Pure. */
export const parseTemplate = (template: string): ReadonlyArray<TemplatePart> => {
  if (!template.includes("{{")) return template === "" ? [] : [{ type: "text", text: template }];
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of template.matchAll(TOKEN)) {
    const start = match.index!;
    if (start > last) parts.push({ type: "text", text: template.slice(last, start) });
    parts.push({ type: "token", name: match[1]! });
    last = start + match[0].length;
  }
  if (last < template.length) parts.push({ type: "text", text: template.slice(last) });
  return parts;
};

// The same token grammar as the interpreter's renderer (runtime/core/template.ts).
const TOKEN_NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*$/;

/**
 * Classifies a token name: `contact.p` a contact property, `visitor.f` visitor info, any
 * other dotted name a variable (and a walk into it). Pure.
 */
export const classifyToken = (name: string): TokenRef => {
  if (!TOKEN_NAME.test(name)) return { type: "invalid", name };
  const path = name.split(".");
  if (path.length === 2 && path[0] === "contact") return { type: "contact", property: path[1]! };
  if (path.length === 2 && path[0] === "visitor") return { type: "visitor", field: path[1]! };
  return { type: "variable", name: path[0]!, path };
};

/** Contact properties every contact has, whatever the workspace defines. */
export const STANDARD_CONTACT_PROPERTIES: ReadonlyArray<string> = [
  "email",
  "name",
  "firstname",
  "lastname",
  "phone",
  "company",
];

/** Visitor fields a template may name as `{{visitor.<field>}}`. */
export const VISITOR_TEMPLATE_FIELDS: ReadonlyArray<string> = ["page_url", "device", "language", "known_contact"];
