/**
 * An email channel's settings, as pure functions: how they sit in `channels.config`, the admin
 * form's Schema (a message per field), and merging a save into what is stored (an empty
 * password field keeps the stored password, which is never shown again).
 */
import { Either, Schema as S } from "effect";
import { decodeWith, type DecodeIssue } from "../../flows/decode.js";
import { ContactEmail } from "./contacts.js";

export const emailSecurities = ["none", "starttls", "tls"] as const;
export type EmailSecurity = (typeof emailSecurities)[number];

/** The outgoing relay replies go through. */
export interface EmailRelay {
  readonly host: string;
  readonly port: number;
  readonly security: EmailSecurity;
  readonly user: string | null;
  readonly password: string | null;
}

/** An email channel's stored config (`channels.config`). The password is stored as given: sending needs it. */
export interface StoredEmailConfig {
  /** The team addresses this channel receives, lower-cased. */
  readonly addresses: ReadonlyArray<string>;
  readonly fromName: string | null;
  readonly fromAddress: string | null;
  readonly signature: string;
  readonly relay: EmailRelay | null;
}

/** Most team addresses one channel receives. */
export const MAX_ADDRESSES = 20;
export const MAX_SIGNATURE = 2000;

const text = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

const readRelay = (value: unknown): EmailRelay | null => {
  if (typeof value !== "object" || value === null) return null;
  const r = value as Record<string, unknown>;
  const host = text(r.host);
  const port = typeof r.port === "number" && Number.isInteger(r.port) && r.port > 0 && r.port < 65536 ? r.port : null;
  if (host === null || port === null) return null;
  const security = emailSecurities.includes(r.security as EmailSecurity) ? (r.security as EmailSecurity) : "starttls";
  return { host, port, security, user: text(r.user), password: text(r.password) };
};

/** The settings a stored config object holds; anything unreadable reads as not set. Pure. */
export const readStoredConfig = (stored: Record<string, unknown>): StoredEmailConfig => ({
  addresses: Array.isArray(stored.addresses)
    ? stored.addresses.filter((a): a is string => typeof a === "string" && a !== "").map((a) => a.toLowerCase())
    : [],
  fromName: text(stored.fromName),
  fromAddress: text(stored.fromAddress),
  signature: typeof stored.signature === "string" ? stored.signature : "",
  relay: readRelay(stored.relay),
});

const trimmed = S.transform(S.String, S.String, { strict: true, decode: (s) => s.trim(), encode: (s) => s });
// A header value: a line break in it would let a form inject headers into every reply.
const oneLine = (field: string, max: number) =>
  trimmed.pipe(
    S.filter((s) => !/[\r\n]/.test(s), { message: () => `the ${field} must be on one line` }),
    S.maxLength(max, { message: () => `the ${field} is at most ${max} characters` }),
  );
const HOST = /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$|^\d{1,3}(?:\.\d{1,3}){3}$/;

/** The admin form: every field a string (addresses one a line, or comma-separated). */
export const SettingsInput = S.Struct({
  addresses: S.String.pipe(S.maxLength(10_000, { message: () => "too many addresses" })),
  fromName: oneLine("send-as name", 100).pipe(S.minLength(1, { message: () => "enter the name replies are sent as, e.g. Acme Support" })),
  fromAddress: trimmed.pipe(
    S.minLength(1, { message: () => "enter the address replies are sent from, e.g. support@example.com" }),
    S.compose(ContactEmail),
  ),
  signature: S.String.pipe(S.maxLength(MAX_SIGNATURE, { message: () => `a signature is at most ${MAX_SIGNATURE} characters` })),
  smtpHost: trimmed.pipe(S.filter((s) => s === "" || HOST.test(s), { message: () => "expected a host name like smtp.example.com" })),
  smtpPort: trimmed.pipe(
    S.filter((s) => s === "" || (/^\d{1,5}$/.test(s) && Number(s) >= 1 && Number(s) <= 65535), { message: () => "a port is a number from 1 to 65535 (usually 587, or 465 for TLS)" }),
  ),
  smtpSecurity: S.String.pipe(
    S.filter((s): s is EmailSecurity => (emailSecurities as ReadonlyArray<string>).includes(s), { message: () => "choose none, STARTTLS or TLS" }),
  ),
  smtpUser: oneLine("user name", 200),
  smtpPassword: S.String.pipe(
    S.filter((s) => !/[\r\n]/.test(s), { message: () => "the password must be on one line" }),
    S.maxLength(500, { message: () => "a password is at most 500 characters" }),
  ),
});
export type SettingsInput = typeof SettingsInput.Type;
const decodeSettingsInput = decodeWith(SettingsInput);
const decodeAddress = decodeWith(ContactEmail);

/** The entries of the addresses field: one a line or comma-separated, blanks dropped. Pure. */
export const addressEntries = (field: string): string[] =>
  field
    .split(/[\n,;]/)
    .map((line) => line.trim())
    .filter((line) => line !== "");

/**
 * Decodes a save against what is stored, with every issue at once (paths are the form's field
 * names): the addresses (at least one, each valid, none twice, none another email channel
 * receives — `takenElsewhere`), the send-as name and address, the signature, and the relay
 * (a host needs a port; a user without a stored or typed password has none). Returns the
 * config to store: the password replaced when typed, kept when empty. Pure.
 */
export const checkSettings = (
  stored: Record<string, unknown>,
  input: unknown,
  takenElsewhere: (address: string) => boolean,
): Either.Either<Record<string, unknown>, ReadonlyArray<DecodeIssue>> => {
  const issues: DecodeIssue[] = [];
  const decoded = decodeSettingsInput(input);
  if (Either.isLeft(decoded)) issues.push(...decoded.left);
  const raw = typeof input === "object" && input !== null ? (input as Record<string, unknown>) : {};
  const addresses: string[] = [];
  if (typeof raw.addresses === "string") {
    const problems: string[] = [];
    const entries = addressEntries(raw.addresses);
    if (entries.length === 0) problems.push("enter the team address this channel receives, e.g. support@example.com");
    else if (entries.length > MAX_ADDRESSES) problems.push(`at most ${MAX_ADDRESSES} addresses`);
    for (const entry of entries.slice(0, MAX_ADDRESSES)) {
      const address = decodeAddress(entry);
      if (Either.isLeft(address)) problems.push(`“${entry.slice(0, 100)}”: ${address.left[0]?.message ?? "not an address"}`);
      else if (addresses.includes(address.right)) problems.push(`“${address.right}” is listed twice`);
      else if (takenElsewhere(address.right)) problems.push(`“${address.right}” is already received by another email channel`);
      else addresses.push(address.right);
    }
    // One message for the field, naming every bad entry, so the admin fixes them in one go.
    if (problems.length > 0) issues.push({ path: "addresses", message: problems.join("; ") });
  }
  const current = readStoredConfig(stored);
  if (Either.isRight(decoded)) {
    const form = decoded.right;
    if (form.smtpHost !== "" && form.smtpPort === "") issues.push({ path: "smtpPort", message: "enter the relay's port (usually 587, or 465 for TLS)" });
    if (form.smtpHost === "" && (form.smtpPort !== "" || form.smtpUser !== "" || form.smtpPassword !== "")) {
      issues.push({ path: "smtpHost", message: "enter the relay's host name, or clear its other fields" });
    }
    const password = form.smtpPassword !== "" ? form.smtpPassword : current.relay?.password ?? null;
    if (form.smtpHost !== "" && form.smtpUser !== "" && password === null) {
      issues.push({ path: "smtpPassword", message: "enter the relay password for this user" });
    }
    if (issues.length > 0) return Either.left(sortIssues(issues));
    const relay: EmailRelay | null =
      form.smtpHost === ""
        ? null
        : {
            host: form.smtpHost,
            port: Number(form.smtpPort),
            security: form.smtpSecurity,
            user: form.smtpUser === "" ? null : form.smtpUser,
            password: form.smtpUser === "" ? null : password,
          };
    return Either.right({
      ...stored,
      addresses,
      fromName: form.fromName,
      fromAddress: form.fromAddress,
      signature: form.signature.replace(/\r\n?/g, "\n").trimEnd(),
      relay,
    });
  }
  return Either.left(sortIssues(issues));
};

const ORDER = ["addresses", "fromName", "fromAddress", "signature", "smtpHost", "smtpPort", "smtpSecurity", "smtpUser", "smtpPassword"];
const sortIssues = (issues: DecodeIssue[]): DecodeIssue[] =>
  [...issues].sort((a, b) => (ORDER.indexOf(a.path) >>> 0) - (ORDER.indexOf(b.path) >>> 0));

/** The last four characters of a secret, to tell secrets apart without showing them. Pure. */
export const hintOf = (secret: string | null): string | null => (secret ? secret.slice(-4) : null);
