/**
 * Rows of conversations and messages as the engine reads and writes them, and their API shape.
 * Visitor text is stored and returned as text: nothing here escapes, sanitises or renders HTML.
 */
import type { AwaitedInput } from "../core/types.js";
import type { Sqlite } from "./database.js";

export type ConversationStatus = "bot" | "open" | "pending" | "closed";
export type MessageAuthor = "visitor" | "bot" | "agent" | "system";

export type ApiBubble =
  | { readonly type: "image"; readonly url: string; readonly alt?: string }
  | { readonly type: "link"; readonly url: string; readonly label: string };

/** A message as the public API and the widget see it. */
export interface ApiMessage {
  readonly id: string;
  readonly author: MessageAuthor;
  readonly text: string;
  readonly choices?: ReadonlyArray<{ readonly id: string; readonly label: string }>;
  readonly bubble?: ApiBubble;
  readonly typingDelayMs?: number;
  /** The files stored with the message (the visitor downloads each at /api/conversations/:id/attachments/:id). */
  readonly attachments?: ReadonlyArray<ApiAttachment>;
  /** ISO 8601. */
  readonly createdAt: string;
}

/** A stored file as the public API lists it. */
export interface ApiAttachment {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly size: number;
}

export interface ConversationView {
  readonly conversation: { readonly id: string; readonly status: ConversationStatus };
  readonly messages: ReadonlyArray<ApiMessage>;
  readonly awaiting: AwaitedInput | null;
}

/** What `messages.payload` holds (JSON). */
export interface MessagePayload {
  readonly choices?: ReadonlyArray<{ readonly id: string; readonly label: string }>;
  readonly bubble?: ApiBubble;
  readonly typingDelayMs?: number;
  /** On the system message of a handoff: everything the bot collected. */
  readonly handoff?: Readonly<Record<string, unknown>>;
  /** On that message, when the handoff was made while the team was closed by its hours (decision 048): which team, when it opens (null: never), on which clock. */
  readonly handoffTeamClosed?: { readonly teamId: string; readonly opensAt: number | null; readonly timezone: string };
  /** The choice ids a visitor clicked (their labels are the message text). */
  readonly choiceIds?: ReadonlyArray<string>;
  /**
   * On an agent's reply, a chat visitor's file message or a visitor's Messenger message: the files
   * stored with it (table `attachments`). An email's list may also hold files not stored (no id).
   */
  readonly attachments?: ReadonlyArray<{ readonly id: string; readonly name: string; readonly type: string; readonly size: number }>;
}

export interface ConversationRow {
  readonly id: string;
  readonly channel_id: string;
  readonly inbox_id: string;
  readonly visitor_id: string | null;
  readonly contact_id: string | null;
  readonly chatflow_id: string | null;
  readonly chatflow_version_id: string | null;
  readonly status: ConversationStatus;
  readonly assignee_id: string | null;
  readonly team_id: string | null;
  readonly state: string | null;
  readonly page_url: string | null;
  readonly is_preview: number;
  readonly version: number;
  readonly created_at: number;
  readonly last_activity_at: number;
  readonly handed_off_at: number | null;
  readonly closed_at: number | null;
  readonly waiting_since: number | null;
}

export interface MessageRow {
  readonly id: number;
  readonly conversation_id: string;
  readonly author: MessageAuthor;
  readonly user_id: string | null;
  readonly text: string;
  readonly payload: string | null;
  readonly is_internal: number;
  readonly client_message_id: string | null;
  readonly created_at: number;
}

export const CONVERSATION_COLUMNS =
  "id, channel_id, inbox_id, visitor_id, contact_id, chatflow_id, chatflow_version_id, status, assignee_id, team_id, state, page_url, is_preview, version, created_at, last_activity_at, handed_off_at, closed_at, waiting_since";

export const MESSAGE_COLUMNS = "id, conversation_id, author, user_id, text, payload, is_internal, client_message_id, created_at";

/** The conversation row, or undefined. */
export const readConversation = (prepare: (sql: string) => ReturnType<Sqlite["prepare"]>, id: string): ConversationRow | undefined =>
  prepare(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE id = ?`).get(id) as ConversationRow | undefined;

const parsePayload = (payload: string | null): MessagePayload => {
  if (payload === null) return {};
  try {
    const value: unknown = JSON.parse(payload);
    return value !== null && typeof value === "object" ? (value as MessagePayload) : {};
  } catch {
    return {};
  }
};

/** The API shape of a stored message. Pure. */
export const toApiMessage = (row: MessageRow): ApiMessage =>
  apiMessageOf(row.id, row.author, row.text, parsePayload(row.payload), new Date(row.created_at).toISOString());

/**
 * The API shape of a message from its parts, for a writer that still holds the payload it
 * stored (no JSON round trip) and one `createdAt` text for all the messages of a turn. Pure.
 */
export const apiMessageOf = (
  id: number,
  author: MessageAuthor,
  text: string,
  payload: MessagePayload | null,
  createdAt: string,
): ApiMessage => {
  const sid = String(id);
  if (payload === null) return { id: sid, author, text, createdAt };
  return {
    id: sid,
    author,
    text,
    ...(payload.choices !== undefined && payload.choices.length > 0 ? { choices: payload.choices } : {}),
    ...(payload.bubble !== undefined ? { bubble: payload.bubble } : {}),
    ...(payload.typingDelayMs !== undefined ? { typingDelayMs: payload.typingDelayMs } : {}),
    ...(payload.attachments !== undefined ? withAttachments(payload.attachments) : {}),
    createdAt,
  };
};

/**
 * The stored files of a payload's list, in the API shape: entries without an id (an email's file
 * that was not stored) or of the wrong shape are left out, and nothing else of an entry is
 * passed on. Pure.
 */
const withAttachments = (entries: unknown): { readonly attachments?: ReadonlyArray<ApiAttachment> } => {
  if (!Array.isArray(entries)) return {};
  const out: ApiAttachment[] = [];
  for (const e of entries as Array<Record<string, unknown> | null>) {
    if (e === null || typeof e !== "object" || typeof e.id !== "string" || typeof e.name !== "string") continue;
    out.push({
      id: e.id,
      name: e.name,
      type: typeof e.type === "string" ? e.type : "application/octet-stream",
      size: typeof e.size === "number" && Number.isSafeInteger(e.size) && e.size >= 0 ? e.size : 0,
    });
  }
  return out.length > 0 ? { attachments: out } : {};
};

/** At most this many characters of the last message are kept for the inbox list. */
export const PREVIEW_LENGTH = 140;

/** The inbox list's one-line preview of a message text. Pure. */
export const previewOf = (text: string): string => {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > PREVIEW_LENGTH ? `${line.slice(0, PREVIEW_LENGTH - 1)}…` : line;
};

/** A message's preview: its text, or for a file sent without a caption, the file's name ("File: error.png"). Pure. */
export const messagePreviewOf = (m: { readonly text: string; readonly payload: MessagePayload | null }): string => {
  const files = m.payload?.attachments ?? [];
  return m.text.trim() === "" && files.length > 0 ? previewOf(`File: ${files.map((f) => f.name).join(", ")}`) : previewOf(m.text);
};

const asText = (value: unknown): string | null => (typeof value === "string" && value.trim() !== "" ? value.trim() : null);

/**
 * The columns `conversationTitle` reads, over `conversations c` joined to `contacts ct` and
 * `visitors v` (CONVERSATION_TITLE_JOINS): the inbox's list and the reports' breaches name a
 * conversation from the same columns.
 */
export const CONVERSATION_TITLE_COLUMNS = `ct.name AS contact_name, ct.email AS contact_email, c.visitor_id,
  json_extract(v.attributes, '$."contact.name"') AS collected_name, json_extract(v.attributes, '$."contact.email"') AS collected_email`;
/** The joins CONVERSATION_TITLE_COLUMNS needs, after `FROM conversations c`. */
export const CONVERSATION_TITLE_JOINS = "LEFT JOIN contacts ct ON ct.id = c.contact_id LEFT JOIN visitors v ON v.id = c.visitor_id";

/** Who a conversation is with, for lists and headings: the contact's name or email, a name the bot collected, else "Visitor …". Pure. */
export const conversationTitle = (row: {
  readonly contact_name: string | null;
  readonly contact_email: string | null;
  readonly collected_name: unknown;
  readonly collected_email: unknown;
  readonly visitor_id: string | null;
  readonly id: string;
}): string =>
  asText(row.contact_name) ??
  asText(row.contact_email) ??
  asText(row.collected_name) ??
  asText(row.collected_email) ??
  `Visitor ${(row.visitor_id ?? row.id).replace(/^[a-z]+_/, "").slice(0, 6)}`;
