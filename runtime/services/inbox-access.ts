/**
 * Who may see what in the inbox, as synchronous reads shared by the Inbox, Contacts and
 * Tickets services: admins see every inbox, agents the inboxes they are members of, every
 * other role none. A conversation or ticket outside the actor's inboxes is Forbidden (403),
 * an unknown id NotFound (404) — the permission matrix tells the two apart.
 */
import { Effect, Either, Schema as S } from "effect";
import { decodeWith, type DecodeIssue } from "../../flows/decode.js";
import type { Statement } from "./database.js";
import { Forbidden, InvalidInput, NotFound } from "./errors.js";

/** The part of a signed-in user that access decisions need. */
export interface Actor {
  readonly id: string;
  readonly role: string;
}

export type Prepare = (sql: string) => Statement;

/**
 * The system actor automation rules act as (docs/decisions/035-automation-rules.md): a users row
 * named "Automation", disabled (it never signs in, routing never picks it, user lists leave it
 * out), with the admin role so the inbox's own actions accept it in every inbox. Its id is what
 * events, labels' `added_by`, comments and snoozes record as who did it.
 */
export const AUTOMATION_ACTOR: Actor = { id: "user_automation", role: "admin" };

/** Writes the Automation user when it is missing (inside a write). */
export const ensureAutomationUser = (prepare: Prepare, at: number): void => {
  prepare(
    `INSERT OR IGNORE INTO users (id, email, name, role, password_hash, created_at, disabled_at)
     VALUES (?, 'automation@parley.invalid', 'Automation', 'admin', '!', ?, ?)`,
  ).run(AUTOMATION_ACTOR.id, at, at);
};

/** True when the actor's role works in inboxes at all. Pure. */
export const worksInInboxes = (actor: Actor): boolean => actor.role === "admin" || actor.role === "agent";

/** The inbox ids the actor may open ("all" for admins). */
export const visibleInboxIds = (prepare: Prepare, actor: Actor): ReadonlyArray<string> | "all" => {
  if (actor.role === "admin") return "all";
  if (actor.role !== "agent") return [];
  return (prepare("SELECT inbox_id FROM inbox_members WHERE user_id = ? ORDER BY inbox_id").all(actor.id) as Array<{ inbox_id: string }>).map(
    (r) => r.inbox_id,
  );
};

/** True when the actor may open the inbox. */
export const canOpenInbox = (prepare: Prepare, actor: Actor, inboxId: string): boolean => {
  if (actor.role === "admin") return true;
  if (actor.role !== "agent") return false;
  return prepare("SELECT 1 FROM inbox_members WHERE inbox_id = ? AND user_id = ?").get(inboxId, actor.id) !== undefined;
};

/** A list filtered by an inbox the actor may not open. */
export const NOT_YOUR_INBOX = "You are not a member of this inbox.";

/** Succeeds when the actor may open the inbox; Forbidden otherwise, saying `message` (about a conversation, unless given). */
export const requireInbox = (
  prepare: Prepare,
  actor: Actor,
  inboxId: string,
  message = "You are not a member of this conversation's inbox.",
): Effect.Effect<void, Forbidden> =>
  Effect.suspend(() => (canOpenInbox(prepare, actor, inboxId) ? Effect.void : Effect.fail(new Forbidden({ message }))));

/** The columns every inbox service reads of a conversation. */
export interface ConversationAccessRow {
  readonly id: string;
  readonly inbox_id: string;
  readonly channel_id: string;
  readonly visitor_id: string | null;
  readonly contact_id: string | null;
  readonly chatflow_id: string | null;
  readonly chatflow_version_id: string | null;
  readonly status: "bot" | "open" | "pending" | "closed";
  readonly assignee_id: string | null;
  readonly team_id: string | null;
  readonly version: number;
  readonly is_preview: number;
}

const ACCESS_COLUMNS =
  "id, inbox_id, channel_id, visitor_id, contact_id, chatflow_id, chatflow_version_id, status, assignee_id, team_id, version, is_preview";

/** The conversation when the actor may open it: NotFound for unknown ids, Forbidden outside their inboxes. */
export const conversationFor = (
  prepare: Prepare,
  actor: Actor,
  conversationId: string,
): Effect.Effect<ConversationAccessRow, NotFound | Forbidden> =>
  Effect.suspend((): Effect.Effect<ConversationAccessRow, NotFound | Forbidden> => {
    const row = prepare(`SELECT ${ACCESS_COLUMNS} FROM conversations WHERE id = ?`).get(conversationId) as ConversationAccessRow | undefined;
    if (!row) return Effect.fail(new NotFound({ entity: "conversation", id: conversationId }));
    return Effect.as(requireInbox(prepare, actor, row.inbox_id), row);
  });

/** An InvalidInput with one issue. Pure. */
export const invalid = (path: string, message: string): InvalidInput => new InvalidInput({ issues: [{ path, message }] });

/**
 * Inside a write: a quiet line in the thread (an internal system message: the widget and the
 * public API never list it; the thread shows it as an event line), e.g. a snooze's or the line
 * of a change an automation rule made.
 */
export const systemLine = (prepare: Prepare, conversationId: string, text: string, payload: unknown, at: number): void => {
  prepare("INSERT INTO messages (conversation_id, author, text, payload, is_internal, created_at) VALUES (?, 'system', ?, ?, 1, ?)").run(
    conversationId,
    text,
    JSON.stringify(payload),
    at,
  );
};

/** Inserts one row into the append-only `events` log for a conversation (inside a write). */
export const logConversationEvent = (
  prepare: Prepare,
  type: string,
  row: Pick<ConversationAccessRow, "id" | "inbox_id" | "channel_id" | "chatflow_id" | "chatflow_version_id" | "is_preview">,
  at: number,
  fields: { readonly userId?: string | null; readonly teamId?: string | null; readonly data?: unknown } = {},
): void => {
  prepare(
    `INSERT INTO events (type, at, conversation_id, chatflow_id, chatflow_version_id, user_id, inbox_id, channel_id, team_id, is_preview, data)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    type,
    at,
    row.id,
    row.chatflow_id,
    row.chatflow_version_id,
    fields.userId ?? null,
    row.inbox_id,
    row.channel_id,
    fields.teamId ?? null,
    row.is_preview,
    fields.data === undefined ? null : JSON.stringify(fields.data),
  );
};

/** True for SQLite's unique-constraint error. Pure. */
export const isUniqueViolation = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { code?: unknown }).code === "SQLITE_CONSTRAINT_UNIQUE";

/** A list's page size in a query string: 1–200. */
export const ListLimit = S.NumberFromString.annotations({ message: () => ({ message: "a limit is a whole number", override: true }) }).pipe(
  S.int({ message: () => "a limit is a whole number" }),
  S.between(1, 200, { message: () => "a limit is between 1 and 200" }),
);

/** What a person typed into a list's search box (at most 200 characters). */
export const ListSearch = S.String.pipe(S.maxLength(200, { message: () => "a search is at most 200 characters" }));

/** An opaque keyset cursor for `(key, id)`: base64url JSON. Pure. */
export const encodeCursor = (key: number | string | null, id: string): string =>
  Buffer.from(JSON.stringify([key, id]), "utf8").toString("base64url");

/** The `(key, id)` of a cursor made by `encodeCursor`; undefined when it is not one. Pure. */
export const decodeCursor = (cursor: string): { readonly key: number | string | null; readonly id: string } | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (!Array.isArray(value) || value.length !== 2 || typeof value[1] !== "string") return undefined;
    const key: unknown = value[0];
    if (key !== null && typeof key !== "number" && typeof key !== "string") return undefined;
    return { key, id: value[1] };
  } catch {
    return undefined;
  }
};

/**
 * An FTS5 MATCH expression for what a person typed: every word must occur, each as a quoted
 * prefix phrase, so operators and quotes in the input are plain text. Undefined when nothing
 * searchable remains. Pure.
 */
export const ftsQuery = (input: string): string | undefined => {
  const words = input
    .split(/\s+/)
    .map((w) => w.replace(/"/g, "").trim())
    // A word without a letter or digit yields no FTS token, and a phrase of none matches nothing.
    .filter((w) => /[\p{L}\p{N}]/u.test(w))
    .slice(0, 8);
  if (words.length === 0) return undefined;
  return words.map((w) => `"${w}"*`).join(" ");
};

/**
 * The issues worth showing: a field that failed its own check also fails the "or absent" /
 * "or null" side of its optional union ("Expected undefined, actual …"), which says nothing
 * new; such echoes are dropped when the same path (or one inside it) has a real message. Pure.
 */
export const meaningfulIssues = (issues: ReadonlyArray<DecodeIssue>): ReadonlyArray<DecodeIssue> => {
  const echo = (i: DecodeIssue) => /^Expected (undefined|null), actual /.test(i.message);
  const real = issues.filter((i) => !echo(i)).map((i) => i.path);
  const covered = (path: string) => real.some((r) => r === path || r.startsWith(`${path}.`) || r.startsWith(`${path}[`));
  return issues.filter((i) => !(echo(i) && covered(i.path)));
};

/** Decodes outside input with every meaningful issue collected, as InvalidInput. */
export const decodeInput = <A, I>(schema: S.Schema<A, I, never>, input: unknown): Effect.Effect<A, InvalidInput> =>
  Either.match(decodeWith(schema)(input), {
    onLeft: (issues) => Effect.fail(new InvalidInput({ issues: meaningfulIssues(issues) })),
    onRight: Effect.succeed,
  });
