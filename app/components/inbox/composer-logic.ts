/**
 * The composer's decisions, apart from React: which saved replies a "/shortcut" asks for, a
 * fresh client message id per send, and which replies may carry files within which limits.
 * Pure unless said otherwise; safe on the client.
 */

export interface ReplyChoice {
  readonly shortcut: string;
  readonly title: string;
}

/** The shortcut a composer text asks for ("" for a lone "/"), or null when the text is not "/" plus a shortcut. Pure. */
export const shortcutQuery = (text: string): string | null => {
  const m = /^\/([\w-]*)$/.exec(text.trim());
  return m ? m[1]!.toLowerCase() : null;
};

/**
 * The saved replies a composer text asks for: when the whole text is "/" plus the start of a
 * shortcut, the exact shortcut first, then shortcuts starting with it, then titles containing
 * it (at most 8). Nothing for any other text. Pure.
 */
export const matchSavedReplies = <R extends ReplyChoice>(text: string, replies: ReadonlyArray<R>): ReadonlyArray<R> => {
  const typed = shortcutQuery(text);
  if (typed === null) return [];
  const exact = replies.filter((r) => r.shortcut === typed);
  const prefix = replies.filter((r) => r.shortcut !== typed && r.shortcut.startsWith(typed));
  const byTitle = replies.filter((r) => !r.shortcut.startsWith(typed) && typed !== "" && r.title.toLowerCase().includes(typed));
  return [...exact, ...prefix, ...byTitle].slice(0, 8);
};

/** A random id for one send (kept until the server confirmed it, so a retry stores nothing twice). Not pure. */
export const newClientMessageId = (): string => {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === "function") return c.randomUUID();
  // randomUUID exists only in secure contexts (https, localhost); plain http on a LAN has only this.
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
};

/**
 * What Enter does in the composer: pick the highlighted saved reply, send, (with Shift) a new
 * line, or nothing while a "/shortcut" matches no saved reply — Enter there meant "pick", and
 * sending the bare "/shortcut" to the visitor is never what the agent wanted. Pure.
 */
export const enterAction = (
  key: { readonly shiftKey: boolean; readonly isComposing: boolean },
  suggestions: number,
  unmatchedShortcut = false,
): "pick" | "send" | "newline" | "ignore" => {
  if (key.isComposing || key.shiftKey) return "newline";
  if (suggestions > 0) return "pick";
  return unmatchedShortcut ? "ignore" : "send";
};

/** The limits of a reply's files, as the server holds them. */
export interface FileLimits {
  readonly maxFiles: number;
  readonly maxFileBytes: number;
  readonly maxMailBytes: number;
}

/**
 * Largest file Meta's Send API takes in one upload (bytes): the client's copy of the runtime's
 * ATTACHMENT_MESSENGER_MAX_FILE_BYTES (attachments.ts cannot reach the browser; a test holds the two equal).
 */
export const MESSENGER_MAX_FILE_BYTES = 25 * 1024 * 1024;

/**
 * The limits the composer checks a reply's files against before the upload, or null when the
 * reply offers no files: an email reply within the server's limits, a Messenger reply within them
 * and the Send API's per-file cap (as Inbox.reply holds it), a chat reply none (the widget shows
 * text only). Without limits from the server, none. Pure.
 */
export const replyFileLimits = (via: "chat" | "email" | "messenger", limits: FileLimits | null): FileLimits | null => {
  if (limits === null) return null;
  return via === "messenger" ? { ...limits, maxFileBytes: Math.min(limits.maxFileBytes, MESSENGER_MAX_FILE_BYTES) } : limits;
};

/** Where the files of a reply go, said beside "Attach files". Pure. */
export const replyFilesWhere = (via: "chat" | "email" | "messenger"): string =>
  via === "email" ? "Sent with the email" : via === "messenger" ? "Sent on Messenger after the text, one message per file" : "Shown in the chat; the visitor downloads them";
