/**
 * The form channel's settings page as plain HTML form data: every row of the field list is a
 * group of inputs named `fields.<i>.<part>`, and the buttons that add, remove and move rows
 * post the whole draft with their intent, so the page works without JavaScript and nothing is
 * saved until "Save". Pure: the page's action reads a draft, edits or decodes it, and renders
 * the draft it gets back.
 */
import type { DecodeIssue } from "../../flows/decode.js";
import { MAX_FIELDS, type FormConfig } from "./form-settings.js";

/** One row of the field list as typed (every value a string; options one per line). */
export interface FormDraftField {
  readonly key: string;
  readonly label: string;
  readonly type: string;
  readonly required: boolean;
  readonly options: string;
}

/** The whole settings form as typed. */
export interface FormDraft {
  readonly fields: ReadonlyArray<FormDraftField>;
  readonly contact: { readonly email: string; readonly name: string; readonly phone: string };
  readonly subject: string;
  readonly priority: string;
  readonly successMessage: string;
  readonly redirectUrl: string;
  /** One origin per line. */
  readonly allowedOrigins: string;
}

/** What a button on the page asks for. */
export type FormDraftIntent =
  | { readonly kind: "save" }
  | { readonly kind: "add" }
  | { readonly kind: "remove"; readonly index: number }
  | { readonly kind: "up"; readonly index: number }
  | { readonly kind: "down"; readonly index: number };

/** The draft of a stored config. Pure. */
export const draftFromConfig = (config: FormConfig): FormDraft => ({
  fields: config.fields.map((f) => ({ key: f.key, label: f.label, type: f.type, required: f.required, options: f.options.join("\n") })),
  contact: { ...config.contact },
  subject: config.subject,
  priority: config.priority,
  successMessage: config.successMessage,
  redirectUrl: config.redirectUrl,
  allowedOrigins: config.allowedOrigins.join("\n"),
});

// Rows past this are not read at all: the schema refuses more than MAX_FIELDS anyway.
const MAX_ROWS_READ = MAX_FIELDS + 5;

/** The draft posted as form entries (a missing entry reads as empty; a checkbox is on when sent). Pure. */
export const draftFromEntries = (entries: Iterable<readonly [string, unknown]>): FormDraft => {
  const values = new Map<string, string>();
  for (const [name, value] of entries) if (typeof value === "string" && !values.has(name)) values.set(name, value);
  const text = (name: string) => values.get(name) ?? "";
  const indices = new Set<number>();
  for (const name of values.keys()) {
    const match = /^fields\.(\d{1,3})\./.exec(name);
    if (match && Number(match[1]) < MAX_ROWS_READ) indices.add(Number(match[1]));
  }
  const fields = [...indices]
    .sort((a, b) => a - b)
    .map((i) => ({
      key: text(`fields.${i}.key`),
      label: text(`fields.${i}.label`),
      type: text(`fields.${i}.type`),
      required: values.has(`fields.${i}.required`),
      options: text(`fields.${i}.options`),
    }));
  return {
    fields,
    contact: { email: text("contact.email"), name: text("contact.name"), phone: text("contact.phone") },
    subject: text("subject"),
    priority: text("priority"),
    successMessage: text("successMessage"),
    redirectUrl: text("redirectUrl"),
    allowedOrigins: text("allowedOrigins"),
  };
};

/** The intent a pressed button sent (`save`, `add`, `remove:2`, `up:1`, `down:0`), or null. Pure. */
export const parseIntent = (value: unknown): FormDraftIntent | null => {
  if (value === "save" || value === "add") return { kind: value };
  const match = typeof value === "string" ? /^(remove|up|down):(\d{1,3})$/.exec(value) : null;
  return match ? { kind: match[1] as "remove" | "up" | "down", index: Number(match[2]) } : null;
};

const blankField: FormDraftField = { key: "", label: "", type: "text", required: false, options: "" };

/** The draft after adding, removing or moving a row (a move past either end changes nothing). Pure. */
export const editDraft = (draft: FormDraft, intent: Exclude<FormDraftIntent, { kind: "save" }>): FormDraft => {
  const fields = [...draft.fields];
  switch (intent.kind) {
    case "add":
      if (fields.length < MAX_FIELDS) fields.push(blankField);
      break;
    case "remove":
      if (intent.index < fields.length) fields.splice(intent.index, 1);
      break;
    case "up":
    case "down": {
      const other = intent.kind === "up" ? intent.index - 1 : intent.index + 1;
      if (intent.index < fields.length && other >= 0 && other < fields.length) {
        [fields[intent.index], fields[other]] = [fields[other]!, fields[intent.index]!];
      }
      break;
    }
  }
  return { ...draft, fields };
};

const lines = (text: string): string[] =>
  text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");

/** The draft as the input FormSettingsInput decodes. Pure. */
export const inputFromDraft = (draft: FormDraft): Record<string, unknown> => ({
  fields: draft.fields.map((f) => ({ key: f.key, label: f.label, type: f.type, required: f.required, options: lines(f.options) })),
  contact: draft.contact,
  subject: draft.subject,
  priority: draft.priority,
  successMessage: draft.successMessage,
  redirectUrl: draft.redirectUrl,
  allowedOrigins: lines(draft.allowedOrigins),
});

/**
 * Issues keyed by the input they belong to: `fields[1].key`, `fields[2].options` (any one of its
 * lines), `allowedOrigins` (naming the line), `subject`…; the first issue per input wins. Pure.
 */
export const draftErrors = (issues: ReadonlyArray<DecodeIssue>, draft: FormDraft): Record<string, string> => {
  const errors: Record<string, string> = {};
  const origins = lines(draft.allowedOrigins);
  for (const issue of issues) {
    let key = issue.path === "" ? "form" : issue.path;
    let message = issue.message;
    const option = /^(fields\[\d+\]\.options)\[\d+\]$/.exec(key);
    if (option) key = option[1]!;
    const origin = /^allowedOrigins\[(\d+)\]$/.exec(key);
    if (origin) {
      key = "allowedOrigins";
      message = `${origins[Number(origin[1])] ?? "a line"}: ${message}`;
    }
    errors[key] ??= message;
  }
  return errors;
};
