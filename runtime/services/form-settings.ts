/**
 * A form channel's settings, as stored in `channels.config` and as an admin sends them: the
 * fields (key, label, type, required, a select's options), which fields name the contact, the
 * ticket's subject template and priority, the success message, the redirect after a plain HTML
 * post, and the site origins allowed to submit with JavaScript. Pure: schemas and functions.
 *
 * Stored configs are read leniently (`readFormConfig`): a hand-edited or older row still opens
 * in the settings and still takes submissions; only what an admin sends is judged strictly.
 */
import { Either, ParseResult, Schema as S } from "effect";
import { decodeWith, type DecodeIssue } from "../../flows/decode.js";
import { MAX_ALLOWED_ORIGINS, parseOrigin } from "./channels.js";

export const formFieldTypes = ["text", "email", "phone", "textarea", "select"] as const;
export type FormFieldType = (typeof formFieldTypes)[number];

export const formPriorities = ["low", "normal", "high", "urgent"] as const;
export type FormPriority = (typeof formPriorities)[number];

/** Most fields one form has. */
export const MAX_FIELDS = 30;
/** Most options one select offers. */
export const MAX_OPTIONS = 50;
/** The hidden field a person never fills in and a bot usually does. */
export const HONEYPOT_KEY = "_hp";
export const DEFAULT_SUCCESS_MESSAGE = "Thank you! We received your message and will get back to you soon.";

export interface FormField {
  readonly key: string;
  readonly label: string;
  readonly type: FormFieldType;
  readonly required: boolean;
  /** A select's choices; empty for every other type. */
  readonly options: ReadonlyArray<string>;
}

/** Which field's value fills the contact's email, name and phone ("" for none). */
export interface FormContactFields {
  readonly email: string;
  readonly name: string;
  readonly phone: string;
}

export interface FormConfig {
  readonly fields: ReadonlyArray<FormField>;
  readonly contact: FormContactFields;
  /** The ticket's subject with `{field_key}` placeholders; "" means "Form: <channel name>". */
  readonly subject: string;
  readonly priority: FormPriority;
  readonly successMessage: string;
  /** Where a plain HTML post goes after success ("" shows a thank-you page). */
  readonly redirectUrl: string;
  readonly allowedOrigins: ReadonlyArray<string>;
}

const KEY_PATTERN = /^[A-Za-z0-9_]{1,40}$/;

const isHttpUrl = (text: string): boolean => {
  if (!/^https?:\/\//i.test(text)) return false;
  try {
    return new URL(text).hostname !== "";
  } catch {
    return false;
  }
};

const AllowedOrigin = S.transformOrFail(S.String, S.String, {
  strict: true,
  decode: (input, _options, ast) =>
    Either.match(parseOrigin(input), {
      onLeft: (message) => Either.left(new ParseResult.Type(ast, input, message)),
      onRight: Either.right,
    }),
  encode: Either.right,
});

/** One of `values`, with one clear message for anything else (a Literal union's would list each member). */
const oneOf = <T extends string>(values: ReadonlyArray<T>, message: string) =>
  S.String.pipe(S.filter((value): value is T => (values as ReadonlyArray<string>).includes(value), { message: () => message }));

const FieldKey = S.Trim.pipe(
  S.minLength(1, { message: () => "a field needs a key" }),
  S.filter((key) => key.length > 40 || KEY_PATTERN.test(key) || "a key is letters, digits and _ (no spaces)", {}),
  S.maxLength(40, { message: () => "a key is at most 40 characters" }),
  S.filter((key) => key !== HONEYPOT_KEY || `${HONEYPOT_KEY} is the hidden spam trap; choose another key`),
);

const FieldInput = S.Struct({
  key: FieldKey,
  label: S.Trim.pipe(
    S.minLength(1, { message: () => "a field needs a label" }),
    S.maxLength(100, { message: () => "a label is at most 100 characters" }),
  ),
  type: oneOf(formFieldTypes, `choose a type: ${formFieldTypes.join(", ")}`),
  required: S.Boolean,
  options: S.optionalWith(
    S.Array(
      S.Trim.pipe(
        S.minLength(1, { message: () => "an option cannot be empty" }),
        S.maxLength(100, { message: () => "an option is at most 100 characters" }),
      ),
    ).pipe(S.maxItems(MAX_OPTIONS, { message: () => `a select offers at most ${MAX_OPTIONS} options` })),
    { default: () => [] },
  ),
}).pipe(
  S.filter((field) => {
    if (field.type === "select" && field.options.length === 0) return { path: ["options"], message: "a select needs at least one option" };
    const seen = new Set<string>();
    for (const [i, option] of field.options.entries()) {
      if (seen.has(option)) return { path: ["options", i], message: `the option “${option}” is listed twice` };
      seen.add(option);
    }
    return undefined;
  }),
);

/** What an admin sends to change a form channel: everything at once. */
export const FormSettingsInput = S.Struct({
  fields: S.Array(FieldInput).pipe(
    S.minItems(1, { message: () => "a form needs at least one field" }),
    S.maxItems(MAX_FIELDS, { message: () => `a form has at most ${MAX_FIELDS} fields` }),
  ),
  contact: S.Struct({ email: S.String, name: S.String, phone: S.String }),
  subject: S.Trim.pipe(S.maxLength(200, { message: () => "a subject is at most 200 characters" })),
  priority: oneOf(formPriorities, `choose a priority: ${formPriorities.join(", ")}`),
  successMessage: S.Trim.pipe(
    S.minLength(1, { message: () => "enter the message people see after sending" }),
    S.maxLength(500, { message: () => "a success message is at most 500 characters" }),
  ),
  redirectUrl: S.Trim.pipe(
    S.maxLength(2000, { message: () => "a redirect URL is at most 2,000 characters" }),
    S.filter((text) => text === "" || isHttpUrl(text) || "expected an http(s) URL like https://example.com/thanks"),
  ),
  allowedOrigins: S.Array(AllowedOrigin).pipe(S.maxItems(MAX_ALLOWED_ORIGINS, { message: () => `at most ${MAX_ALLOWED_ORIGINS} origins` })),
});
export type FormSettingsInput = typeof FormSettingsInput.Type;

const decodeInput = decodeWith(FormSettingsInput);

/** The `{key}` placeholders a subject template names, in order. Pure. */
export const placeholdersOf = (template: string): string[] => [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!);

/**
 * The rules across fields: unique keys, contact fields that exist with the right type, a
 * subject naming only existing fields. Every issue with its path. Pure.
 */
const crossCheck = (input: FormSettingsInput): DecodeIssue[] => {
  const issues: DecodeIssue[] = [];
  const byKey = new Map<string, FormField>();
  input.fields.forEach((field, i) => {
    if (byKey.has(field.key)) issues.push({ path: `fields[${i}].key`, message: `the key “${field.key}” is used by another field` });
    else byKey.set(field.key, field);
  });
  const wants: Record<keyof FormContactFields, ReadonlyArray<FormFieldType>> = { email: ["email"], name: ["text"], phone: ["phone"] };
  for (const role of ["email", "name", "phone"] as const) {
    const key = input.contact[role];
    if (key === "") continue;
    const field = byKey.get(key);
    if (!field) issues.push({ path: `contact.${role}`, message: `no field has the key “${key}”` });
    else if (!wants[role].includes(field.type)) issues.push({ path: `contact.${role}`, message: `the contact’s ${role} comes from a ${wants[role].join(" or ")} field; “${key}” is ${field.type}` });
  }
  for (const name of placeholdersOf(input.subject)) {
    if (!byKey.has(name)) {
      issues.push({ path: "subject", message: `{${name}} names no field; use one of ${[...byKey.keys()].map((k) => `{${k}}`).join(", ")}` });
      break;
    }
  }
  return issues;
};

/** An admin's settings decoded and checked, or every issue with its path (`fields[1].key`…). Pure. */
export const decodeFormSettings = (input: unknown): Either.Either<FormConfig, ReadonlyArray<DecodeIssue>> => {
  const decoded = decodeInput(input);
  if (Either.isLeft(decoded)) return decoded;
  const issues = crossCheck(decoded.right);
  if (issues.length > 0) return Either.left(issues);
  const value = decoded.right;
  return Either.right({
    fields: value.fields.map((f) => ({ key: f.key, label: f.label, type: f.type, required: f.required, options: f.type === "select" ? f.options : [] })),
    contact: value.contact,
    subject: value.subject,
    priority: value.priority,
    successMessage: value.successMessage,
    redirectUrl: value.redirectUrl,
    allowedOrigins: [...new Set(value.allowedOrigins)],
  });
};

/** A new form's fields: name, email and message, which most contact forms ask. */
export const defaultFields: ReadonlyArray<FormField> = [
  { key: "name", label: "Name", type: "text", required: true, options: [] },
  { key: "email", label: "Email", type: "email", required: true, options: [] },
  { key: "message", label: "Message", type: "textarea", required: true, options: [] },
];

// Lenient reading of what is stored: anything malformed falls back to a default.
const StoredField = S.Struct({
  key: S.String.pipe(S.pattern(KEY_PATTERN)),
  label: S.String,
  type: S.Literal(...formFieldTypes),
  required: S.optionalWith(S.Boolean, { default: () => false }),
  options: S.optionalWith(S.Array(S.String), { default: () => [] }),
});
const decodeStoredField = S.decodeUnknownEither(StoredField);

const textOr = (value: unknown, fallback: string): string => (typeof value === "string" ? value : fallback);

/**
 * The form config a stored `channels.config` object holds; a config never saved has the
 * default fields. The contact's fields default by type: the first email field, the first phone
 * field, and a text field keyed `name`. Pure.
 */
export const readFormConfig = (stored: Record<string, unknown>): FormConfig => {
  const rawFields = Array.isArray(stored.fields) ? stored.fields : undefined;
  const seen = new Set<string>();
  const fields: FormField[] = [];
  for (const raw of rawFields ?? []) {
    const field = decodeStoredField(raw);
    if (Either.isLeft(field) || seen.has(field.right.key) || field.right.key === HONEYPOT_KEY) continue;
    seen.add(field.right.key);
    fields.push({ ...field.right, options: field.right.type === "select" ? field.right.options : [] });
  }
  const usable = rawFields === undefined ? [...defaultFields] : fields;
  const storedContact = (typeof stored.contact === "object" && stored.contact !== null ? stored.contact : {}) as Record<string, unknown>;
  const pick = (role: keyof FormContactFields, type: FormFieldType, fallback: () => string): string => {
    const chosen = storedContact[role];
    if (typeof chosen === "string") return usable.some((f) => f.key === chosen && f.type === type) ? chosen : "";
    return fallback();
  };
  const priority = (formPriorities as ReadonlyArray<unknown>).includes(stored.priority) ? (stored.priority as FormPriority) : "normal";
  const redirect = textOr(stored.redirectUrl, "");
  return {
    fields: usable,
    contact: {
      email: pick("email", "email", () => usable.find((f) => f.type === "email")?.key ?? ""),
      name: pick("name", "text", () => usable.find((f) => f.type === "text" && f.key === "name")?.key ?? ""),
      phone: pick("phone", "phone", () => usable.find((f) => f.type === "phone")?.key ?? ""),
    },
    subject: textOr(stored.subject, ""),
    priority,
    successMessage: textOr(stored.successMessage, "").trim() || DEFAULT_SUCCESS_MESSAGE,
    redirectUrl: isHttpUrl(redirect) ? redirect : "",
    allowedOrigins: Array.isArray(stored.allowedOrigins)
      ? stored.allowedOrigins.flatMap((o) => (typeof o === "string" && Either.isRight(parseOrigin(o)) ? [Either.getOrThrow(parseOrigin(o))] : []))
      : [],
  };
};

/** The stored config object after a save: the form's keys replaced, every other key kept. Pure. */
export const mergeFormConfig = (stored: Record<string, unknown>, config: FormConfig): Record<string, unknown> => ({
  ...stored,
  fields: config.fields.map((f) => (f.type === "select" ? { ...f } : { key: f.key, label: f.label, type: f.type, required: f.required })),
  contact: config.contact,
  subject: config.subject,
  priority: config.priority,
  successMessage: config.successMessage,
  redirectUrl: config.redirectUrl,
  allowedOrigins: config.allowedOrigins,
});

/** The ticket subject for a submission: placeholders filled (on one line), or the default. Pure. */
export const renderSubject = (template: string, values: Readonly<Record<string, string>>, channelName: string): string => {
  const filled = template
    .replace(/\{([^{}]*)\}/g, (_all, key: string) => values[key] ?? "")
    .replace(/\s+/g, " ")
    .trim();
  const subject = filled === "" ? `Form: ${channelName}` : filled;
  return subject.length > 200 ? `${subject.slice(0, 199)}…` : subject;
};
