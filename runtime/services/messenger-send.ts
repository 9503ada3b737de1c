/**
 * What Parley sends Messenger's Send API, as pure functions: a stored bot or agent message as
 * Send API bodies (text, quick replies, bubbles as text and a link), an agent's files as one
 * multipart upload each, the reply windows (24 hours for any reply, 7 days for an agent's with
 * the Human Agent tag), the key that marks one part of a long message (or one file) as sent, and
 * Graph's answers read as sent, worth a retry, or failed for good.
 */
import { createHash } from "node:crypto";

/** Messenger allows at most 13 quick replies on a message; more choices go as a numbered list. */
export const MAX_QUICK_REPLIES = 13;
/** A quick reply's title is at most 20 characters. */
export const MAX_QUICK_REPLY_TITLE = 20;
/** A Send API text is at most 2,000 characters; longer texts go as several messages. */
export const MAX_SEND_TEXT = 2000;
/** Messenger's standard messaging window: a page may answer within 24 h of the person's last message. */
export const REPLY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** The Human Agent tag's window: a person (never a bot) may answer within 7 days of the person's last message. */
export const HUMAN_AGENT_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

export const OUTSIDE_WINDOW_REASON = "outside Messenger's 24-hour reply window: the visitor's last message is older than 24 hours";

export interface QuickReply {
  readonly content_type: "text";
  readonly title: string;
  readonly payload: string;
}

/** The `message` object of one Send API request. */
export interface SendMessage {
  readonly text: string;
  readonly quick_replies?: ReadonlyArray<QuickReply>;
}

/** How a reply may be sent now: a plain response, with the Human Agent tag, or not at all (and why). */
export type ReplyMode =
  | { readonly kind: "response" }
  | { readonly kind: "humanAgent" }
  | { readonly kind: "closed"; readonly reason: string };

/** The JSON body of one Send API request. */
export type SendBody =
  | { readonly recipient: { readonly id: string }; readonly messaging_type: "RESPONSE"; readonly message: SendMessage }
  | { readonly recipient: { readonly id: string }; readonly messaging_type: "MESSAGE_TAG"; readonly tag: "HUMAN_AGENT"; readonly message: SendMessage };

/** The Send API body of one part, tagged HUMAN_AGENT in that mode (Meta's tag is for people's replies only). Pure. */
export const sendBodyFor = (psid: string, mode: "response" | "humanAgent", message: SendMessage): SendBody =>
  mode === "humanAgent"
    ? { recipient: { id: psid }, messaging_type: "MESSAGE_TAG", tag: "HUMAN_AGENT", message }
    : { recipient: { id: psid }, messaging_type: "RESPONSE", message };

const shorten = (text: string, max: number): string => (text.length <= max ? text : cutAt(text, max - 1).trimEnd() + "…");

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/** The first `at` UTF-16 units of `text`, one fewer when `at` would split a surrogate pair (an emoji). Pure. */
const cutAt = (text: string, at: number): string => text.slice(0, at > 0 && isHighSurrogate(text.charCodeAt(at - 1)) ? at - 1 : at);

/**
 * Where a piece may end, best first: at a blank line, a line break, a sentence's end, a space.
 * Each gives the index the piece ends at; the boundary's whitespace itself is dropped.
 */
const BOUNDARIES: ReadonlyArray<{ readonly pattern: RegExp; readonly minShare: number; readonly endOf: (m: RegExpExecArray) => number }> = [
  { pattern: /\n[^\S\n]*\n/g, minShare: 0.5, endOf: (m) => m.index },
  { pattern: /\n/g, minShare: 0.5, endOf: (m) => m.index },
  // The punctuation (and a closing quote or bracket after it) stays with its sentence.
  { pattern: /[.!?…。！？]["'”’»)\]]*\s/g, minShare: 0.5, endOf: (m) => m.index + m[0].length - 1 },
  { pattern: /\s/g, minShare: 0, endOf: (m) => m.index },
];

/** Where the first piece of `text` ends: the best boundary within `max` (not too early), else the hard limit. Pure. */
const pieceEnd = (text: string, max: number): number => {
  // A boundary right after the limit still lets the piece be exactly `max` long.
  const window = text.slice(0, max + 1);
  for (const { pattern, minShare, endOf } of BOUNDARIES) {
    let best = -1;
    for (const match of window.matchAll(pattern)) {
      const end = endOf(match as RegExpExecArray);
      if (end <= max && window.slice(0, end).trimEnd().length > 0) best = end;
    }
    if (best > 0 && best >= max * minShare) return best;
  }
  return cutAt(text, max).length;
};

/**
 * Cuts a text into pieces of at most `max` UTF-16 units: at a paragraph break, else a line
 * break, else a sentence's end (each only when the piece stays at least half full), else a
 * space; a word longer than `max` is cut at the limit, never inside a surrogate pair. The
 * whitespace at a cut is dropped. Pure.
 */
export const splitText = (text: string, max = MAX_SEND_TEXT): string[] => {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const end = pieceEnd(rest, max);
    pieces.push(rest.slice(0, end).trimEnd());
    rest = rest.slice(end).trimStart();
  }
  if (rest.length > 0 || pieces.length === 0) pieces.push(rest);
  return pieces;
};

interface PayloadShape {
  readonly choices?: unknown;
  readonly bubble?: unknown;
}

const choicesOf = (payload: PayloadShape | null): Array<{ id: string; label: string }> => {
  if (!payload || !Array.isArray(payload.choices)) return [];
  return payload.choices.filter(
    (c): c is { id: string; label: string } =>
      typeof c === "object" && c !== null && typeof (c as { id?: unknown }).id === "string" && typeof (c as { label?: unknown }).label === "string",
  );
};

/** A bubble (image or link) as the text line Messenger shows: its label or alt text and its URL. Pure. */
const bubbleLine = (payload: PayloadShape | null): string | null => {
  const bubble = payload?.bubble;
  if (typeof bubble !== "object" || bubble === null) return null;
  const b = bubble as { type?: unknown; url?: unknown; label?: unknown; alt?: unknown };
  if (typeof b.url !== "string" || b.url === "") return null;
  const caption = typeof b.label === "string" && b.label.trim() !== "" ? b.label : typeof b.alt === "string" && b.alt.trim() !== "" ? b.alt : null;
  return caption ? `${caption}: ${b.url}` : b.url;
};

const quickRepliesFor = (choices: ReadonlyArray<{ id: string; label: string }>): QuickReply[] | null => {
  if (choices.length > MAX_QUICK_REPLIES) return null;
  const replies = choices.map((c) => ({ content_type: "text" as const, title: shorten(c.label.trim() || c.id, MAX_QUICK_REPLY_TITLE), payload: c.id }));
  // Two labels cut to the same title could not be told apart on the visitor's screen.
  return new Set(replies.map((r) => r.title)).size === replies.length ? replies : null;
};

/** The choices as a numbered list ("1. Small"): the bot takes a typed number as that choice. Pure. */
const numberedList = (choices: ReadonlyArray<{ id: string; label: string }>): string =>
  choices.map((c, i) => `${i + 1}. ${c.label.trim() || c.id}`).join("\n");

/**
 * The Send API `message` objects for one stored message, sent in order: its text (split at
 * 2,000 characters), a bubble as "label: URL", and its choices as quick replies on the last
 * one (titles cut to 20 characters, each choice's id as the payload). More than 13 choices, or
 * labels that would be cut to the same title, go as a numbered list in the text instead, so
 * no choice is hidden: the bot takes a typed number as the choice. Pure.
 */
export const sendMessagesFor = (text: string, payload: PayloadShape | null): SendMessage[] => {
  const choices = choicesOf(payload);
  const replies = choices.length > 0 ? quickRepliesFor(choices) : null;
  const list = choices.length > 0 && replies === null ? numberedList(choices) : null;
  const body = [text.trim(), bubbleLine(payload)].filter((part): part is string => part !== null && part !== "").join("\n");
  // Messenger refuses an empty text; a message that is only choices needs words to hang them on.
  const full = [body, list].filter((part): part is string => part !== null && part !== "").join("\n\n");
  const pieces = splitText(full !== "" ? full : choices.length > 0 ? "Choose one:" : "…");
  return pieces.map((piece, i) => (i === pieces.length - 1 && replies !== null ? { text: piece, quick_replies: replies } : { text: piece }));
};

/** Whether a reply at `now` is inside the window opened by the visitor's last message at `lastVisitorAt`. Pure. */
export const insideReplyWindow = (lastVisitorAt: number | null, now: number): boolean =>
  lastVisitorAt !== null && now - lastVisitorAt <= REPLY_WINDOW_MS;

const TURN_TAG_ON = "an admin can turn on “Use the Human Agent tag” in the channel's settings to let agents reply for up to 7 days";

/**
 * How a message by `author` may go out at `now`: a response within 24 hours of the visitor's
 * last message; after that an agent's (never a bot's) with the Human Agent tag when the
 * channel uses it, up to 7 days; else not at all, with a reason that names the window that
 * closed and, when the tag is off and it would help, that it can be turned on. Pure.
 */
export const replyMode = (lastVisitorAt: number | null, now: number, author: "bot" | "agent", humanAgentTag: boolean): ReplyMode => {
  if (lastVisitorAt === null) return { kind: "closed", reason: "the visitor has not written on Messenger: a page may only answer a person who wrote to it" };
  const age = now - lastVisitorAt;
  if (age <= REPLY_WINDOW_MS) return { kind: "response" };
  if (author === "bot") {
    return { kind: "closed", reason: `${OUTSIDE_WINDOW_REASON}; the Human Agent tag is for a person's replies, so a bot's message is not sent` };
  }
  if (age > HUMAN_AGENT_WINDOW_MS) {
    return {
      kind: "closed",
      reason: humanAgentTag
        ? "outside Messenger's 7-day Human Agent window: the visitor's last message is older than 7 days"
        : `${OUTSIDE_WINDOW_REASON} (and older than 7 days, so the Human Agent tag would not help either)`,
    };
  }
  if (!humanAgentTag) return { kind: "closed", reason: `${OUTSIDE_WINDOW_REASON}; ${TURN_TAG_ON}` };
  return { kind: "humanAgent" };
};

// ---------------------------------------------------------------------------------------------
// Files

/** The attachment types the Send API takes for an upload. */
export type SendAttachmentType = "image" | "video" | "audio" | "file";

/** One stored file of a reply, as the sender uploads it. */
export interface SendFile {
  readonly filename: string;
  readonly contentType: string;
  readonly data: Buffer;
}

/**
 * The Send API attachment type of a file: image/*, video/* and audio/* as themselves (Messenger
 * shows a picture, a player), anything else as a file to download. Pure.
 */
export const attachmentTypeFor = (contentType: string): SendAttachmentType => {
  const top = contentType.split("/")[0]!.trim().toLowerCase();
  return top === "image" || top === "video" || top === "audio" ? top : "file";
};

/**
 * The text fields of one file's upload, in the order Meta's examples send them: the recipient,
 * the messaging type (and the HUMAN_AGENT tag in that mode) and the `message` naming the
 * attachment's type; the bytes follow as `filedata`. Not reusable: each reply's file is its own. Pure.
 */
export const sendFileFields = (psid: string, mode: "response" | "humanAgent", file: SendFile): ReadonlyArray<readonly [string, string]> => [
  ["recipient", JSON.stringify({ id: psid })],
  ...(mode === "humanAgent" ? ([["messaging_type", "MESSAGE_TAG"], ["tag", "HUMAN_AGENT"]] as const) : ([["messaging_type", "RESPONSE"]] as const)),
  ["message", JSON.stringify({ attachment: { type: attachmentTypeFor(file.contentType), payload: { is_reusable: false } } })],
];

/** The multipart/form-data body of one file's upload to the Send API (the fields, then `filedata` with its name and type). Pure. */
export const sendFileForm = (psid: string, mode: "response" | "humanAgent", file: SendFile): FormData => {
  const form = new FormData();
  for (const [name, value] of sendFileFields(psid, mode, file)) form.append(name, value);
  form.append("filedata", new Blob([new Uint8Array(file.data)], { type: file.contentType }), file.filename);
  return form;
};

/** One part of a reply as sent: a Send API message (text and quick replies), or one file uploaded on its own. */
export type SendPart = { readonly kind: "message"; readonly message: SendMessage } | { readonly kind: "file"; readonly file: SendFile };

/** A message's parts in the order they go: its text's parts, then each file (Messenger takes one attachment per message). Pure. */
export const sendPartsFor = (messages: ReadonlyArray<SendMessage>, files: ReadonlyArray<SendFile>): ReadonlyArray<SendPart> => [
  ...messages.map((message) => ({ kind: "message" as const, message })),
  ...files.map((file) => ({ kind: "file" as const, file })),
];

/** What a part's key hashes: a message as it is sent; a file by its name, type and a hash of its bytes (not the bytes). Pure. */
const fingerprint = (part: SendMessage | SendFile): string =>
  "data" in part
    ? JSON.stringify({ file: part.filename, type: part.contentType, sha256: createHash("sha256").update(part.data).digest("hex") })
    : JSON.stringify(part);

/**
 * The `external_messages` key that marks part `index` (0-based) of `count` of stored message
 * `messageId` as sent: the message, the part's place and a hash of what the part says or which
 * file it uploads (so a changed split is never taken for what was sent). The Graph message id
 * follows it. Pure.
 */
export const partKey = (messageId: number, index: number, count: number, part: SendMessage | SendFile): string =>
  `messenger-part:${messageId}:${index + 1}/${count}:${createHash("sha256").update(fingerprint(part)).digest("hex").slice(0, 16)}:`;

/**
 * Which part a failure is about, for the agent: nothing for a message of one part, else its
 * place ("part 2 of 3"), the file it uploads, and that the parts before it reached the visitor. Pure.
 */
export const partFailureLabel = (index: number, count: number, part: SendPart): string | null => {
  if (count <= 1) return null;
  const file = part.kind === "file" ? `, the file “${part.file.filename}”` : "";
  return `part ${index + 1} of ${count}${file}${index > 0 ? " (the parts before it were sent)" : ""}`;
};

/** The external id recorded for a sent part: its key and Graph's message id (empty when Graph gave none). Pure. */
export const partRecord = (key: string, graphMessageId: string | null): string => key + (graphMessageId ?? "");

/** The Graph message id in a recorded part's external id, or null. Pure. */
export const graphIdOfPart = (key: string, record: string): string | null => (record.length > key.length ? record.slice(key.length) : null);

// ---------------------------------------------------------------------------------------------
// Graph's answers

/** Graph error codes that mean "try again later": unknown/temporary errors and rate limits. */
const TRANSIENT_CODES: ReadonlySet<number> = new Set([1, 2, 4, 17, 32, 613]);
/**
 * Graph's permission errors (Messenger Platform error codes): code 10 (e.g. subcode 2018278
 * "This message is sent outside of allowed window", 2018065 a permission the app lacks) and
 * code 200. Answering a tagged send, they mean the app may not use the tag.
 */
const PERMISSION_CODES: ReadonlySet<number> = new Set([10, 200]);
/** Code 10's subcodes for "sent outside of allowed window". */
const OUTSIDE_WINDOW_SUBCODES: ReadonlySet<number> = new Set([2018278, 2018065]);

export type GraphOutcome =
  | { readonly kind: "sent"; readonly messageId: string | null }
  | { readonly kind: "retry"; readonly reason: string }
  | { readonly kind: "failed"; readonly reason: string };

/**
 * Reads one Send API answer: 2xx is sent (with its `message_id`); HTTP 429 or 5xx, and Graph's
 * rate-limit and temporary codes (1, 2, 4, 17, 32, 613) are worth another try; any other
 * answer fails for good with Graph's own message in the reason. A permission error (code 10 or
 * 200) to a send with the Human Agent tag says the app lacks Meta's Human Agent permission and
 * how to stop using the tag; code 10's "outside of allowed window" to a plain response says
 * Messenger closed the 24-hour window. Pure.
 */
export const readGraphAnswer = (status: number, bodyText: string, tagged = false): GraphOutcome => {
  let body: unknown = null;
  try {
    body = JSON.parse(bodyText);
  } catch {
    // Not JSON (a proxy's error page): the status decides.
  }
  if (status >= 200 && status < 300) {
    const id = typeof body === "object" && body !== null ? (body as { message_id?: unknown }).message_id : undefined;
    return { kind: "sent", messageId: typeof id === "string" && id !== "" ? id : null };
  }
  const error = typeof body === "object" && body !== null ? (body as { error?: unknown }).error : undefined;
  const e = typeof error === "object" && error !== null ? (error as { message?: unknown; code?: unknown; error_subcode?: unknown }) : {};
  const message = typeof e.message === "string" && e.message.trim() !== "" ? e.message.trim() : null;
  const code = typeof e.code === "number" ? e.code : null;
  const subcode = typeof e.error_subcode === "number" ? e.error_subcode : null;
  const codes = code === null ? "" : subcode === null ? ` (code ${code})` : ` (code ${code}, subcode ${subcode})`;
  const reason = `Messenger answered ${status}${codes}: ${message ?? (bodyText.trim().slice(0, 200) || "no details")}`;
  if (status === 429 || status >= 500 || (code !== null && TRANSIENT_CODES.has(code))) return { kind: "retry", reason };
  if (tagged && code !== null && PERMISSION_CODES.has(code)) {
    return {
      kind: "failed",
      reason:
        `Messenger refused the reply with the Human Agent tag, which this app may not use: ${reason}. ` +
        "Request the Human Agent permission for the Meta app in App Review, or turn “Use the Human Agent tag” off in the channel's settings",
    };
  }
  if (!tagged && code === 10 && subcode !== null && OUTSIDE_WINDOW_SUBCODES.has(subcode)) {
    return { kind: "failed", reason: `Messenger says its 24-hour reply window for this person has closed: ${reason}` };
  }
  return { kind: "failed", reason };
};
