/**
 * What Facebook sends a Messenger channel's webhook, as pure functions: the verification
 * handshake, the `X-Hub-Signature-256` check, the body's Schema, and the visitor messages a
 * body carries once echoes, receipts and other pages' events are set aside.
 *
 * Nothing here does IO; messenger-channel.ts stores what these functions return.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { Either, Schema as S } from "effect";
import type { DecodeIssue } from "../../flows/decode.js";

// ---------------------------------------------------------------------------------------------
// Handshake and signature

/**
 * Compares two strings in time that depends only on their lengths (a verify token, a
 * signature), so an attacker cannot learn a secret one character at a time. Pure.
 */
export const constantTimeEqual = (a: string, b: string): boolean => {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  // timingSafeEqual needs equal lengths; compare against itself so the time stays the same.
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
};

export type HandshakeOutcome =
  | { readonly ok: true; readonly challenge: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Facebook's subscription check (`hub.mode=subscribe`, `hub.verify_token`, `hub.challenge`):
 * the challenge to echo when the token is the channel's, else why not. Pure.
 */
export const checkHandshake = (query: URLSearchParams, verifyToken: string | null): HandshakeOutcome => {
  const mode = query.get("hub.mode");
  const token = query.get("hub.verify_token");
  const challenge = query.get("hub.challenge");
  if (mode !== "subscribe") return { ok: false, reason: "hub.mode must be subscribe" };
  if (challenge === null || challenge === "") return { ok: false, reason: "hub.challenge is missing" };
  if (verifyToken === null || verifyToken === "") return { ok: false, reason: "this channel has no verify token yet; save its settings first" };
  if (token === null || !constantTimeEqual(token, verifyToken)) return { ok: false, reason: "the verify token does not match this channel's" };
  return { ok: true, challenge };
};

export type SignatureOutcome = "valid" | "missing" | "invalid";

/**
 * Checks `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(appSecret, raw body)>` in constant
 * time. `missing` when there is no header (or no secret to check it with). Pure.
 */
export const checkSignature = (rawBody: Buffer, header: string | undefined, appSecret: string | null): SignatureOutcome => {
  if (header === undefined || header.trim() === "" || appSecret === null || appSecret === "") return "missing";
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match) return "invalid";
  const expected = createHmac("sha256", appSecret).update(rawBody).digest("hex");
  return constantTimeEqual(match[1]!.toLowerCase(), expected) ? "valid" : "invalid";
};

/** The header value Facebook would send for `rawBody` (tests and tools). Pure. */
export const signBody = (rawBody: Buffer | string, appSecret: string): string =>
  `sha256=${createHmac("sha256", appSecret).update(rawBody).digest("hex")}`;

// ---------------------------------------------------------------------------------------------
// The body

const Id = S.String.pipe(S.minLength(1, { message: () => "an id is a non-empty string" }), S.maxLength(200));

const Attachment = S.Struct({
  type: S.String.pipe(S.maxLength(50)),
  payload: S.optional(S.Unknown),
});

const Message = S.Struct({
  mid: Id,
  text: S.optional(S.String),
  quick_reply: S.optionalWith(S.Struct({ payload: S.String }), { exact: true }),
  is_echo: S.optional(S.Boolean),
  attachments: S.optionalWith(S.Array(Attachment), { exact: true }),
});

/** One messaging event; delivery and read receipts, reactions etc. carry neither `message` nor `postback`. */
const Messaging = S.Struct({
  sender: S.Struct({ id: Id }),
  recipient: S.Struct({ id: Id }),
  timestamp: S.optional(S.Number),
  message: S.optionalWith(Message, { exact: true }),
  postback: S.optionalWith(S.Struct({ title: S.optional(S.String), payload: S.optional(S.String), mid: S.optional(S.String) }), { exact: true }),
});

/** The webhook body for a page subscription (`object: "page"`). */
export const WebhookBody = S.Struct({
  object: S.Literal("page").annotations({ message: () => `expected "page": this webhook only takes page events` }),
  entry: S.Array(
    S.Struct({
      id: Id,
      time: S.Number,
      // Plain optional: with a default, a bad event also reported a confusing "expected undefined" here.
      messaging: S.optionalWith(S.Array(Messaging), { exact: true }),
    }),
  ),
});
export type WebhookBody = typeof WebhookBody.Type;

// ---------------------------------------------------------------------------------------------
// The visitor messages in a body

/** Longest text stored from one Messenger message (the engine's limit for a visitor message). */
export const MAX_INBOUND_TEXT = 4000;

/** A visitor's message to the page, ready to store. */
export interface InboundMessage {
  /** The visitor's page-scoped id (PSID). */
  readonly psid: string;
  readonly mid: string;
  /** What the transcript shows (never empty). */
  readonly text: string;
  /** A tapped quick reply's payload (the choice id), when the message is one. */
  readonly quickReplyPayload: string | null;
  /** Facebook's timestamp (epoch ms), or null. */
  readonly timestamp: number | null;
  /** The files the message came with (images, videos, audio, files, stickers), in order: fetched and stored by messenger-files.ts. */
  readonly files: ReadonlyArray<MessengerInboundFile>;
}

/** The kinds of attachment that are a file on Meta's CDN (`payload.url`), which Parley fetches and stores. */
export type MessengerFileKind = "image" | "video" | "audio" | "file" | "sticker";

/** One file of a visitor's message: its kind and the URL Messenger gave for it (null when the event carried none). */
export interface MessengerInboundFile {
  readonly kind: MessengerFileKind;
  readonly url: string | null;
}

/**
 * The visitor messages of a webhook body addressed to `pageId`, in the order sent: messages,
 * and postbacks (a tapped button such as "Get Started", read as its title). Skipped: echoes of
 * the page's own messages, delivery and read receipts and other events, events for another
 * page, and messages with neither text nor attachments. A message of attachments only reads as
 * their kinds (`[image] [file]`, `[sticker]`, `[location]`); its files are listed in `files`. Pure.
 */
export const visitorMessages = (body: WebhookBody, pageId: string): InboundMessage[] => {
  const out: InboundMessage[] = [];
  for (const entry of body.entry) {
    for (const event of entry.messaging ?? []) {
      if (event.recipient.id !== pageId || entry.id !== pageId) continue;
      // A visitor writing to the page is the sender; an event "from" the page itself is an echo.
      if (event.sender.id === pageId) continue;
      const timestamp = typeof event.timestamp === "number" && Number.isFinite(event.timestamp) ? event.timestamp : null;
      const message = event.message;
      if (message) {
        if (message.is_echo === true) continue;
        const text = messageText(message);
        if (text === null) continue;
        out.push({
          psid: event.sender.id,
          mid: message.mid,
          text,
          quickReplyPayload: message.quick_reply?.payload ?? null,
          timestamp,
          files: filesOf(message),
        });
        continue;
      }
      const postback = event.postback;
      if (postback) {
        // A button tap (e.g. "Get Started"): its title is what the visitor saw, its payload a choice id
        // when it is one. Without a mid, the sender and time identify it (Facebook resends both as they were).
        const mid = postback.mid ?? (timestamp !== null ? `postback:${event.sender.id}:${timestamp}` : null);
        const text = (postback.title ?? "").trim() || (postback.payload ?? "").trim();
        if (mid === null || text === "") continue;
        out.push({ psid: event.sender.id, mid, text: text.slice(0, MAX_INBOUND_TEXT), quickReplyPayload: postback.payload ?? null, timestamp, files: [] });
      }
    }
  }
  return out;
};

const messageText = (message: typeof Message.Type): string | null => {
  const text = message.text?.trim() ?? "";
  if (text !== "") return text.length > MAX_INBOUND_TEXT ? text.slice(0, MAX_INBOUND_TEXT - 1) + "…" : text;
  const kinds = (message.attachments ?? []).map(attachmentKind);
  if (kinds.length === 0) return null;
  return kinds.map((kind) => `[${kind}]`).join(" ").slice(0, MAX_INBOUND_TEXT);
};

const FILE_KINDS: ReadonlySet<string> = new Set(["image", "video", "audio", "file"]);

const payloadRecord = (payload: unknown): Record<string, unknown> =>
  typeof payload === "object" && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {};

/**
 * What an attachment is, as the transcript names it: its type, but "sticker" for an image that
 * carries a `sticker_id` (Messenger's thumbs-up is one), and "file" for a blank type. Pure.
 */
const attachmentKind = (attachment: typeof Attachment.Type): string => {
  const type = attachment.type.trim().toLowerCase() || "file";
  return type === "image" && payloadRecord(attachment.payload).sticker_id !== undefined ? "sticker" : type;
};

/**
 * The files of a message: its image, video, audio, file and sticker attachments with their
 * `payload.url`. A sticker is stored like an image: it is what the visitor said (a thumbs-up
 * answers a question), and it is a few kilobytes. Location, fallback (a shared link) and template
 * attachments are no files and are left out. Pure.
 */
const filesOf = (message: typeof Message.Type): ReadonlyArray<MessengerInboundFile> => {
  const files: MessengerInboundFile[] = [];
  for (const attachment of message.attachments ?? []) {
    const kind = attachmentKind(attachment);
    if (kind !== "sticker" && !FILE_KINDS.has(kind)) continue;
    const url = payloadRecord(attachment.payload).url;
    files.push({ kind: kind as MessengerFileKind, url: typeof url === "string" && url.trim() !== "" ? url.trim() : null });
  }
  return files;
};

// ---------------------------------------------------------------------------------------------
// The first message of a new conversation

/**
 * Whether a visitor's opening message answers the question the flow just asked, and how: a
 * quick reply whose payload is one of the offered choices (as that choice), or a text that is
 * exactly one choice's label, case and surrounding spaces aside (as the text, so the
 * transcript keeps the visitor's words; the engine matches it to the choice). Anything else —
 * "hi", a question in the visitor's own words — is not taken as an answer: it is stored in
 * the transcript and the flow waits for the visitor's next message. Free-text questions never
 * take the opening message, since it is almost never the answer to the bot's first question (a
 * name, an email). Pure.
 */
export const openingAnswer = (
  message: Pick<InboundMessage, "text" | "quickReplyPayload">,
  awaiting: { readonly choices?: ReadonlyArray<{ readonly id: string; readonly label: string }> } | null,
): { readonly choiceIds: readonly [string] } | { readonly text: string } | null => {
  const choices = awaiting?.choices ?? [];
  if (choices.length === 0) return null;
  if (message.quickReplyPayload !== null) {
    const picked = choices.find((c) => c.id === message.quickReplyPayload);
    if (picked) return { choiceIds: [picked.id] };
  }
  const text = message.text.trim().toLowerCase();
  return choices.some((c) => c.label.trim().toLowerCase() === text) ? { text: message.text } : null;
};

/**
 * The engine's client message id for a mid: the mid itself when it fits the engine's 100
 * characters, else a stable digest of it (so a redelivery maps to the same id). Pure.
 */
export const clientMessageIdFor = (mid: string): string =>
  mid.length <= 100 ? mid : `mid:${createHmac("sha256", "parley-messenger-mid").update(mid).digest("base64url")}`;

/** Formats decode issues as one line each (logs). Pure. */
export const issueLines = (issues: ReadonlyArray<DecodeIssue>): string => issues.map((i) => `${i.path || "(body)"}: ${i.message}`).join("; ");

/** Parses the raw body as JSON; an empty or malformed body is a root issue. Pure. */
export const parseWebhookJson = (raw: Buffer): Either.Either<unknown, DecodeIssue> => {
  const text = raw.toString("utf8");
  if (text.trim() === "") return Either.left({ path: "", message: "the body must be a JSON object; it is empty" });
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return Either.left({ path: "", message: "the body must be a JSON object" });
    }
    return Either.right(value);
  } catch (error) {
    return Either.left({ path: "", message: `the body is not valid JSON (${error instanceof Error ? error.message : String(error)})` });
  }
};
