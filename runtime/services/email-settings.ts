/**
 * An email channel's settings, as pure functions: how they sit in `channels.config`, the admin
 * form's Schema (a message per field), and merging a save into what is stored (an empty
 * password field keeps the stored password, which is never shown again). That includes how
 * mail comes in: forwarded to Parley's SMTP server, or fetched from the team's mailbox by IMAP
 * (its own password, kept the same way).
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

/** How mail reaches an email channel: Parley's own SMTP server, or fetched from the team's mailbox by IMAP. */
export const emailIncomings = ["smtp", "imap"] as const;
export type EmailIncomingMode = (typeof emailIncomings)[number];

/** The team's mailbox an IMAP channel fetches from. Fetched mail is marked as read there, never deleted. */
export interface EmailImap {
  readonly host: string;
  readonly port: number;
  readonly security: EmailSecurity;
  readonly user: string;
  readonly password: string;
  readonly folder: string;
}

/** The IMAP port for a security choice when the form leaves it empty (993 TLS, 143 otherwise). Pure. */
export const imapDefaultPort = (security: EmailSecurity): number => (security === "tls" ? 993 : 143);
export const IMAP_DEFAULT_FOLDER = "INBOX";

/** An email channel's stored config (`channels.config`). The passwords are stored as given: sending and fetching need them. */
export interface StoredEmailConfig {
  /** The team addresses this channel receives, lower-cased. */
  readonly addresses: ReadonlyArray<string>;
  readonly fromName: string | null;
  readonly fromAddress: string | null;
  readonly signature: string;
  readonly relay: EmailRelay | null;
  /** Where its mail comes from; "imap" only counts while `imap` holds a complete mailbox. */
  readonly incoming: EmailIncomingMode;
  /** The mailbox's settings, kept while the channel receives by SMTP so switching back needs no password again. */
  readonly imap: EmailImap | null;
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

const readImap = (value: unknown): EmailImap | null => {
  if (typeof value !== "object" || value === null) return null;
  const r = value as Record<string, unknown>;
  const host = text(r.host);
  const user = text(r.user);
  const password = text(r.password);
  const port = typeof r.port === "number" && Number.isInteger(r.port) && r.port > 0 && r.port < 65536 ? r.port : null;
  if (host === null || user === null || password === null || port === null) return null;
  const security = emailSecurities.includes(r.security as EmailSecurity) ? (r.security as EmailSecurity) : "tls";
  return { host, port, security, user, password, folder: text(r.folder) ?? IMAP_DEFAULT_FOLDER };
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
  incoming: stored.incoming === "imap" ? "imap" : "smtp",
  imap: readImap(stored.imap),
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
  signature: S.String.pipe(S.maxLength(MAX_SIGNATURE, { message: () => `a signature is at most ${MAX_SIGNATURE.toLocaleString("en")} characters` })),
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

const securityField = S.String.pipe(
  S.filter((s): s is EmailSecurity => (emailSecurities as ReadonlyArray<string>).includes(s), { message: () => "choose TLS, STARTTLS or none" }),
);

/**
 * The form's "Incoming mail" part. Optional as a whole: a save without `incoming` (an API
 * caller or a page from before IMAP) leaves how mail comes in as it is.
 */
export const ImapInput = S.Struct({
  incoming: S.String.pipe(
    S.filter((s): s is EmailIncomingMode => (emailIncomings as ReadonlyArray<string>).includes(s), {
      message: () => "choose Parley’s SMTP server or fetching from a mailbox (IMAP)",
    }),
  ),
  imapHost: trimmed.pipe(S.filter((s) => s === "" || HOST.test(s), { message: () => "expected a host name like imap.example.com" })),
  imapPort: trimmed.pipe(
    S.filter((s) => s === "" || (/^\d{1,5}$/.test(s) && Number(s) >= 1 && Number(s) <= 65535), { message: () => "a port is a number from 1 to 65535 (usually 993 for TLS)" }),
  ),
  imapSecurity: securityField,
  imapUser: oneLine("mailbox user name", 200),
  imapPassword: S.String.pipe(
    S.filter((s) => !/[\r\n]/.test(s), { message: () => "the password must be on one line" }),
    S.maxLength(500, { message: () => "a password is at most 500 characters" }),
  ),
  imapFolder: oneLine("folder name", 200),
});
export type ImapInput = typeof ImapInput.Type;
const decodeImapInput = decodeWith(ImapInput);

/** The form's IMAP field names, in the order the page shows them. */
export const IMAP_FIELDS = ["incoming", "imapHost", "imapPort", "imapSecurity", "imapUser", "imapPassword", "imapFolder"] as const;

/**
 * Checks the "Incoming mail" part against what is stored, pushing its issues: fetching by IMAP
 * needs a host, a user and a password (typed, or the stored one — an empty field keeps it); an
 * empty port is the security's usual one and an empty folder INBOX. With SMTP chosen the IMAP
 * fields are not judged and the stored mailbox is kept. Returns what to store. Pure.
 */
const checkIncoming = (
  current: StoredEmailConfig,
  raw: Record<string, unknown>,
  issues: DecodeIssue[],
): { incoming: EmailIncomingMode; imap: EmailImap | null } | null => {
  const decoded = decodeImapInput(raw);
  // With SMTP chosen the IMAP fields are hidden from the mail flow: a stray value must not block the save.
  if (raw.incoming === "smtp") return { incoming: "smtp", imap: current.imap };
  const decodeIssues = Either.isLeft(decoded) ? decoded.left : [];
  issues.push(...decodeIssues);
  const flagged = new Set(decodeIssues.map((i) => i.path));
  if (flagged.has("incoming")) return null;
  // Every issue at once: what is missing is reported beside what is malformed.
  const before = issues.length;
  const typed = (name: string) => (typeof raw[name] === "string" ? (raw[name] as string).trim() : null);
  if (!flagged.has("imapHost") && typed("imapHost") === "") issues.push({ path: "imapHost", message: "enter the mailbox’s IMAP server, e.g. imap.gmail.com" });
  if (!flagged.has("imapUser") && typed("imapUser") === "") issues.push({ path: "imapUser", message: "enter the mailbox’s user name (usually its address)" });
  const password = typeof raw.imapPassword === "string" && raw.imapPassword !== "" ? raw.imapPassword : current.imap?.password ?? null;
  if (!flagged.has("imapPassword") && password === null) {
    issues.push({ path: "imapPassword", message: "enter the mailbox’s password (an app password at Google and Microsoft)" });
  }
  if (Either.isLeft(decoded) || issues.length > before || password === null) return null;
  const form = decoded.right;
  return {
    incoming: "imap",
    imap: {
      host: form.imapHost,
      port: form.imapPort === "" ? imapDefaultPort(form.imapSecurity) : Number(form.imapPort),
      security: form.imapSecurity,
      user: form.imapUser,
      password,
      folder: form.imapFolder === "" ? IMAP_DEFAULT_FOLDER : form.imapFolder,
    },
  };
};
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
 * (a host needs a port; a user without a stored or typed password has none), and, when the
 * form has it, the incoming-mail part (`checkIncoming`). Returns the config to store: the
 * passwords replaced when typed, kept when empty. Pure.
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
  const incoming = "incoming" in raw ? checkIncoming(current, raw, issues) : { incoming: current.incoming, imap: current.imap };
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
    if (issues.length > 0 || incoming === null) return Either.left(sortIssues(issues));
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
      incoming: incoming.incoming,
      imap: incoming.imap,
    });
  }
  return Either.left(sortIssues(issues));
};

const ORDER = ["addresses", "fromName", "fromAddress", "signature", ...IMAP_FIELDS, "smtpHost", "smtpPort", "smtpSecurity", "smtpUser", "smtpPassword"];
const sortIssues = (issues: DecodeIssue[]): DecodeIssue[] =>
  [...issues].sort((a, b) => (ORDER.indexOf(a.path) >>> 0) - (ORDER.indexOf(b.path) >>> 0));

/** The last four characters of a secret, to tell secrets apart without showing them. Pure. */
export const hintOf = (secret: string | null): string | null => (secret ? secret.slice(-4) : null);
