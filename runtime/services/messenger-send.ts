/**
 * What Parley sends Messenger's Send API, as pure functions: a stored bot or agent message as
 * Send API bodies (text, quick replies, bubbles as text and a link), the 24-hour reply window,
 * and Graph's answers read as sent, worth a retry, or failed for good.
 */

/** Messenger allows at most 13 quick replies on a message; more choices are cut to the first 13. */
export const MAX_QUICK_REPLIES = 13;
/** A quick reply's title is at most 20 characters. */
export const MAX_QUICK_REPLY_TITLE = 20;
/** A Send API text is at most 2,000 characters; longer texts go as several messages. */
export const MAX_SEND_TEXT = 2000;
/** Messenger's standard messaging window: a page may answer within 24 h of the person's last message. */
export const REPLY_WINDOW_MS = 24 * 60 * 60 * 1000;

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

/** The JSON body of one Send API request. */
export interface SendBody {
  readonly recipient: { readonly id: string };
  readonly messaging_type: "RESPONSE";
  readonly message: SendMessage;
}

const shorten = (text: string, max: number): string => (text.length <= max ? text : text.slice(0, max - 1) + "…");

/** Cuts a text into pieces of at most `max` characters, at a line break or space when one is near. Pure. */
export const splitText = (text: string, max = MAX_SEND_TEXT): string[] => {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const window = rest.slice(0, max);
    const breakAt = Math.max(window.lastIndexOf("\n"), window.lastIndexOf(" "));
    const cut = breakAt > max / 2 ? breakAt : max;
    pieces.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
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

/**
 * The Send API `message` objects for one stored message, sent in order: its text (split at
 * 2,000 characters), a bubble as "label: URL", and its choices as quick replies (the first 13,
 * titles cut to 20 characters, each choice's id as the payload) on the last one. Pure.
 */
export const sendMessagesFor = (text: string, payload: PayloadShape | null): SendMessage[] => {
  const parts = [text.trim(), bubbleLine(payload)].filter((part): part is string => part !== null && part !== "");
  const body = parts.join("\n");
  const choices = choicesOf(payload).slice(0, MAX_QUICK_REPLIES);
  // Messenger refuses an empty text; a message that is only choices needs words to hang them on.
  const pieces = splitText(body !== "" ? body : choices.length > 0 ? "Choose one:" : "…");
  return pieces.map((piece, i) =>
    i === pieces.length - 1 && choices.length > 0
      ? {
          text: piece,
          quick_replies: choices.map((c) => ({ content_type: "text" as const, title: shorten(c.label.trim() || c.id, MAX_QUICK_REPLY_TITLE), payload: c.id })),
        }
      : { text: piece },
  );
};

/** Whether a reply at `now` is inside the window opened by the visitor's last message at `lastVisitorAt`. Pure. */
export const insideReplyWindow = (lastVisitorAt: number | null, now: number): boolean =>
  lastVisitorAt !== null && now - lastVisitorAt <= REPLY_WINDOW_MS;

// ---------------------------------------------------------------------------------------------
// Graph's answers

/** Graph error codes that mean "try again later": unknown/temporary errors and rate limits. */
const TRANSIENT_CODES: ReadonlySet<number> = new Set([1, 2, 4, 17, 32, 613]);

export type GraphOutcome =
  | { readonly kind: "sent"; readonly messageId: string | null }
  | { readonly kind: "retry"; readonly reason: string }
  | { readonly kind: "failed"; readonly reason: string };

/**
 * Reads one Send API answer: 2xx is sent (with its `message_id`); HTTP 429 or 5xx, and Graph's
 * rate-limit and temporary codes (1, 2, 4, 17, 32, 613) are worth another try; any other
 * answer fails for good with Graph's own message as the reason. Pure.
 */
export const readGraphAnswer = (status: number, bodyText: string): GraphOutcome => {
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
  const reason = `Messenger answered ${status}${code !== null ? ` (code ${code})` : ""}: ${message ?? (bodyText.trim().slice(0, 200) || "no details")}`;
  if (status === 429 || status >= 500 || (code !== null && TRANSIENT_CODES.has(code))) return { kind: "retry", reason };
  return { kind: "failed", reason };
};
