/**
 * Email's rules as pure functions: what of an incoming mail is stored (the new text, not the
 * quoted history), which mail is machine-sent (never opens a conversation), how a thread's
 * Message-IDs are read and written, and how a reply is addressed and how a relay's answer
 * is judged (retry or give up).
 */

import { createHash } from "node:crypto";

/** The longest text stored for one email (the rest is cut with a note). */
export const MAX_TEXT = 20_000;
/** Most Message-IDs written into a reply's References (the thread's first and its latest). */
export const MAX_REFERENCES = 20;

/** A Message-ID in its `<id>` form, or null when the value is not one. Pure. */
export const normalizeMessageId = (value: string | undefined | null): string | null => {
  if (typeof value !== "string") return null;
  const inner = value.trim().replace(/^<+/, "").replace(/>+$/, "").trim();
  if (inner === "" || inner.length > 500 || /[\s<>]/.test(inner)) return null;
  return `<${inner}>`;
};

/** Every Message-ID in a header value ("<a@x> <b@y>"), in order. Pure. */
export const messageIdsIn = (value: string | ReadonlyArray<string> | undefined): string[] => {
  if (value === undefined) return [];
  const joined = typeof value === "string" ? value : value.join(" ");
  const bracketed = joined.match(/<[^<>\s]+>/g);
  const parts = bracketed ?? joined.split(/[\s,]+/);
  return parts.map(normalizeMessageId).filter((id): id is string => id !== null);
};

/**
 * The Message-IDs a mail answers, oldest first and each once: References, then In-Reply-To
 * (the one it answers directly, so the newest). Pure.
 */
export const threadIds = (inReplyTo: string | undefined, references: string | ReadonlyArray<string> | undefined): string[] => {
  const ids: string[] = [];
  for (const id of [...messageIdsIn(references), ...messageIdsIn(inReplyTo)]) {
    const at = ids.indexOf(id);
    if (at !== -1) ids.splice(at, 1);
    ids.push(id);
  }
  return ids;
};

// "On Tue, 3 Mar 2026 at 10:00, Ada <ada@example.com> wrote:" — mail programs may wrap it over two lines.
const ATTRIBUTION = /^(On|Am|Le|El|Op|Il|Em)\s.{1,400}(wrote|schrieb|a écrit|escribió|schreef|ha scritto|escreveu)\s*:\s*$/i;
const OUTLOOK_SEPARATOR = /^\s*(-{2,}\s*Original Message\s*-{2,}|_{10,})\s*$/i;
const OUTLOOK_HEADER = /^\s*(From|Von|De):\s.+/i;

/**
 * The new text of a reply: cut at the quoted history ("On … wrote:" and the lines after it,
 * Outlook's "-----Original Message-----" block) and without ">" lines; the whole text when
 * stripping would leave nothing (a mail that is only a quote, or a forward). Trimmed and
 * capped at MAX_TEXT. Pure.
 */
export const newText = (text: string): string => {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const twoLines = i + 1 < lines.length ? `${line} ${lines[i + 1]!.trim()}` : line;
    if (ATTRIBUTION.test(line.trim()) || (/^(On|Am|Le|El|Op|Il|Em)\s/i.test(line.trim()) && ATTRIBUTION.test(twoLines.trim()))) break;
    if (OUTLOOK_SEPARATOR.test(line)) break;
    if (line.trim() === "" && i + 1 < lines.length && OUTLOOK_HEADER.test(lines[i + 1]!) && /^\s*(Sent|Gesendet|Envoyé|Date):/i.test(lines[i + 2] ?? "")) break;
    if (/^\s*>/.test(line)) continue;
    kept.push(line);
  }
  const stripped = kept.join("\n").replace(/\n{3,}/g, "\n\n").trim();
  return cap(stripped !== "" ? stripped : text.replace(/\r\n?/g, "\n").trim());
};

const cap = (text: string): string => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}\n[… the rest of this email was cut]` : text);

/** A size for people: 900 B, 12 KB, 3.4 MB. Pure. */
export const humanSize = (bytes: number): string =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} KB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

/**
 * The line under a mail's text that names its attachments — the inbox shows the text first,
 * and a reader of the transcript alone (a search hit, an export) still learns the customer
 * sent files — with the reason beside each file that was not stored; "" without any. The
 * files themselves hang off the message (attachments.ts). `unlisted` counts files past the
 * payload's list. Pure.
 */
export const attachmentNote = (
  attachments: ReadonlyArray<{ readonly name: string | null; readonly size: number; readonly skipped?: string | undefined }>,
  unlisted = 0,
): string => {
  if (attachments.length === 0 && unlisted === 0) return "";
  const names = attachments
    .slice(0, 10)
    .map((a) => `${a.name ?? "unnamed"} (${humanSize(a.size)}${a.skipped === undefined ? "" : `, not stored: ${a.skipped}`})`);
  const rest = Math.max(0, attachments.length - 10) + unlisted;
  const more = rest > 0 ? ` and ${rest} more` : "";
  const skipped = attachments.slice(10).filter((a) => a.skipped !== undefined).length + unlisted;
  const notStored = rest > 0 && skipped > 0 ? ` (${skipped} of them not stored)` : "";
  const listed = names.length > 0 ? `${names.join(", ")}${more}` : `${rest} files`;
  return `[Attachments: ${listed}${notStored}]`;
};

/** What decides whether a mail was sent by a machine. */
export interface MailOrigin {
  /** The SMTP envelope's sender (MAIL FROM); "" or null for `<>`, a bounce's. */
  readonly envelopeFrom: string | null;
  readonly from: string | null;
  readonly autoSubmitted?: string | undefined;
  readonly precedence?: string | undefined;
  /** Microsoft's X-Auto-Response-Suppress / auto-reply markers are not trusted alone; these two are. */
  readonly returnPath?: string | undefined;
}

/**
 * Why a mail is an auto-reply or a bounce (and so never opens a conversation, which would
 * answer it and start a mail loop), or null for a person's mail. Pure.
 */
export const machineMailReason = (origin: MailOrigin): string | null => {
  const auto = origin.autoSubmitted?.trim().toLowerCase();
  if (auto !== undefined && auto !== "" && !auto.startsWith("no")) return `Auto-Submitted: ${auto}`;
  const precedence = origin.precedence?.trim().toLowerCase();
  if (precedence === "bulk" || precedence === "auto_reply" || precedence === "junk") return `Precedence: ${precedence}`;
  if (origin.envelopeFrom === null || origin.envelopeFrom.trim() === "") return "an empty return path (a bounce)";
  if (origin.returnPath !== undefined && /^\s*<?\s*>?\s*$/.test(origin.returnPath)) return "an empty return path (a bounce)";
  const local = (origin.from ?? "").split("@")[0]?.toLowerCase() ?? "";
  if (local === "mailer-daemon" || local === "postmaster") return `a delivery report from ${origin.from}`;
  return null;
};

/** "Re: <subject>" for a reply (once, whatever the thread's language of "Re"). Pure. */
export const replySubject = (subject: string | null): string => {
  const base = (subject ?? "").replace(/[\r\n]+/g, " ").trim();
  if (base === "") return "Re: your message";
  return /^(re|aw|sv|antw)\s*:/i.test(base) ? base : `Re: ${base}`;
};

/** The From name of a reply: "<agent> (<send-as name>)", or the send-as name alone for the bot. Pure. */
export const fromName = (sendAsName: string, agentName: string | null): string => {
  const agent = agentName?.replace(/[\r\n()"]+/g, " ").trim();
  return agent ? `${agent} (${sendAsName})` : sendAsName;
};

/** The reply's body: the message, then the signature after the standard "-- " line when there is one. Pure. */
export const replyBody = (text: string, signature: string): string =>
  signature.trim() === "" ? text : `${text}\n\n-- \n${signature}`;

/** The domain of an address ("example.com" of "support@example.com"). Pure. */
export const domainOf = (address: string): string => address.slice(address.lastIndexOf("@") + 1).toLowerCase();

/**
 * The Message-ID of one outgoing mail, the same at every try: a hash of the conversation (its
 * id is 128 random bits, so no other install or conversation shares it) and what is sent (`key`:
 * the stored message, or the follow-up or transcript through a message). A retry after a crash
 * between the relay's acceptance and the record of it sends the mail again under the same id,
 * which the receiving systems and mail clients that collapse a repeated Message-ID show once, and
 * the customer's answer threads back whichever copy they answer. Pure.
 */
export const outgoingMessageId = (conversationId: string, key: string, domain: string): string =>
  `<${createHash("sha256").update(`${conversationId}\n${key}`).digest("hex").slice(0, 32)}.parley@${domain}>`;

/** In-Reply-To and References of a reply, from the thread's Message-IDs oldest first. Pure. */
export const replyThreadHeaders = (thread: ReadonlyArray<string>): { inReplyTo: string | null; references: string[] } => {
  if (thread.length === 0) return { inReplyTo: null, references: [] };
  const references = thread.length <= MAX_REFERENCES ? [...thread] : [thread[0]!, ...thread.slice(-(MAX_REFERENCES - 1))];
  return { inReplyTo: thread[thread.length - 1]!, references };
};

/** How a relay's refusal counts: give up now (5xx, bad settings) or try again later (4xx, no connection). */
export interface RelayVerdict {
  readonly permanent: boolean;
  readonly reason: string;
}

/**
 * Judges a nodemailer error: a 5xx answer (or a login the relay refused) is permanent; a 4xx
 * answer, a timeout or no connection is tried again. Pure.
 */
export const judgeRelayError = (error: unknown): RelayVerdict => {
  const e = (typeof error === "object" && error !== null ? error : {}) as {
    responseCode?: unknown;
    code?: unknown;
    command?: unknown;
    response?: unknown;
    message?: unknown;
  };
  const code = typeof e.responseCode === "number" ? e.responseCode : null;
  const answer = typeof e.response === "string" && e.response !== "" ? e.response : typeof e.message === "string" ? e.message : String(error);
  // The channel asks for STARTTLS and the relay does not offer it: a setting to fix, not a moment to wait out.
  if (e.code === "ETLS" || e.command === "STARTTLS") {
    return { permanent: true, reason: `the mail relay does not offer the channel's security (check STARTTLS/TLS in its settings): ${answer}` };
  }
  if (e.code === "EAUTH" && (code === null || code >= 500)) return { permanent: true, reason: `the mail relay refused the login: ${answer}` };
  if (code !== null && code >= 500) return { permanent: true, reason: `the mail relay refused the reply: ${answer}` };
  if (code !== null && code >= 400) return { permanent: false, reason: `the mail relay asked to try again later: ${answer}` };
  return { permanent: false, reason: `could not reach the mail relay: ${answer}` };
};
