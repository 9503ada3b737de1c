/**
 * Judging one submission against its form, and the text it becomes in the inbox. Pure.
 *
 * Every value is text (trimmed; empty means "not given"). The rules: every key names a field
 * of the form, required fields are given, an email is an email address (lower-cased), a phone
 * is a valid international number (stored as E.164), a select's value is one of its options,
 * text-like values are at most 1,000 characters and a textarea's at most 10,000. HTML in a
 * value stays text: nothing here or downstream renders it as markup.
 */
import { Either } from "effect";
import { decodeWith, type DecodeIssue } from "../../flows/decode.js";
import { ContactEmail, Phone } from "./contacts.js";
import { HONEYPOT_KEY, type FormConfig, type FormField } from "./form-settings.js";

export const MAX_TEXT_LENGTH = 1_000;
export const MAX_TEXTAREA_LENGTH = 10_000;

/** A submission's values, in the form's field order. */
export interface CheckedValue {
  readonly key: string;
  readonly label: string;
  readonly value: string;
}

export type SubmissionCheck =
  | { readonly kind: "valid"; readonly values: ReadonlyArray<CheckedValue> }
  /** The honeypot was filled: answered like a success, stored nowhere. */
  | { readonly kind: "spam" };

const decodeEmail = decodeWith(ContactEmail);
const decodePhone = decodeWith(Phone);
const firstMessage = (issues: ReadonlyArray<DecodeIssue>): string => issues[0]?.message ?? "not valid";

const checkValue = (field: FormField, value: string): Either.Either<string, string> => {
  const limit = field.type === "textarea" ? MAX_TEXTAREA_LENGTH : MAX_TEXT_LENGTH;
  if (value.length > limit) return Either.left(`at most ${limit.toLocaleString("en")} characters (this is ${value.length.toLocaleString("en")})`);
  switch (field.type) {
    case "email":
      return Either.mapLeft(decodeEmail(value), firstMessage);
    case "phone":
      return Either.mapLeft(decodePhone(value), firstMessage);
    case "select":
      return field.options.includes(value) ? Either.right(value) : Either.left(`choose one of: ${field.options.join(", ")}`);
    case "text":
      // One line: a pasted line break would split the "Label: value" lines of the message.
      return Either.right(value.replace(/\s*[\r\n]+\s*/g, " "));
    case "textarea":
      return Either.right(value.replace(/\r\n?/g, "\n"));
  }
};

/**
 * Checks `fields` (key → value, as sent) against the form: the values in field order, or every
 * issue with its path (`fields.<key>`). A filled honeypot (`_hp`) wins over every other rule. Pure.
 */
export const checkSubmission = (
  config: FormConfig,
  fields: Readonly<Record<string, unknown>>,
): Either.Either<SubmissionCheck, ReadonlyArray<DecodeIssue>> => {
  const trap = fields[HONEYPOT_KEY];
  if (typeof trap === "string" ? trap.trim() !== "" : trap !== undefined && trap !== null) return Either.right({ kind: "spam" });
  const issues: DecodeIssue[] = [];
  const known = new Set(config.fields.map((f) => f.key));
  for (const key of Object.keys(fields)) {
    if (key !== HONEYPOT_KEY && !known.has(key)) issues.push({ path: `fields.${key}`, message: `this form has no field “${key}”` });
  }
  const values: CheckedValue[] = [];
  for (const field of config.fields) {
    const raw = Object.prototype.hasOwnProperty.call(fields, field.key) ? fields[field.key] : undefined;
    const path = `fields.${field.key}`;
    if (raw !== undefined && raw !== null && typeof raw !== "string") {
      issues.push({ path, message: `expected text, not ${Array.isArray(raw) ? "a list" : `a ${typeof raw}`}` });
      continue;
    }
    const text = (raw ?? "").trim();
    if (text === "") {
      if (field.required) issues.push({ path, message: `${field.label} is required` });
      continue;
    }
    const checked = checkValue(field, text);
    if (Either.isLeft(checked)) issues.push({ path, message: checked.left });
    else values.push({ key: field.key, label: field.label, value: checked.right });
  }
  return issues.length > 0 ? Either.left(issues) : Either.right({ kind: "valid", values });
};

/** The submission as the inbox shows it: one "Label: value" line per given field. Pure. */
export const submissionText = (values: ReadonlyArray<CheckedValue>): string => values.map((v) => `${v.label}: ${v.value}`).join("\n");

/** The contact's email, name and phone a submission gives, by the form's contact fields. Pure. */
export const contactFrom = (
  config: FormConfig,
  values: ReadonlyArray<CheckedValue>,
): { readonly email: string | null; readonly name: string | null; readonly phone: string | null } => {
  const of = (key: string) => (key === "" ? null : (values.find((v) => v.key === key)?.value ?? null));
  const name = of(config.contact.name);
  return { email: of(config.contact.email), name: name === null ? null : name.slice(0, 200), phone: of(config.contact.phone) };
};
