/**
 * Inbox: what agents work with all day — the conversation list (views, filters, full-text
 * search, unread markers, counts), the thread (the whole transcript: bot part, handoff marker
 * with what the bot collected, internal comments; the visitor's page, device, language, first
 * seen), replies and comments (@mentions notify the mentioned person), close / reopen / mark
 * pending / mark open with the conversation's version, read state, typing, and the live feed of one agent's inboxes.
 *
 * Replies and comments go through `Engine.replyAsAgent` (one write, idempotent per
 * clientMessageId, published after commit). Assignments go through `Routing.assign`. Every
 * read is limited to the inboxes the actor may open (inbox-access.ts).
 *
 * In email and Messenger conversations a reply leaves through the outbox (deliveries.ts): the
 * thread shows each outgoing message's delivery state, an agent can retry a failed one, and a
 * reply wakes the outbox at once instead of waiting for its next tick. An email's headers
 * (from, to, cc, subject, attachments) come from the message's payload, read leniently: a
 * payload of another shape or broken JSON shows the message without them, never an error.
 */
import { Context, Effect, Layer, Schema as S } from "effect";
import { nameKey } from "../sql/name-key.js";
import { actingRule, ruleLine, ruleLineInWrite, ruleNamedIn, withRule, type ActingRule } from "./acting-rule.js";
import { attachmentReplyLimitsFor, attachmentReplyRefusal, attachmentReplyRows, type AttachmentRow, type AttachmentSource } from "./attachments.js";
import { CONVERSATION_TITLE_COLUMNS, CONVERSATION_TITLE_JOINS, conversationTitle, type ApiBubble } from "./conversation-rows.js";
import { parseProperties, readContact, type Contact } from "./contacts.js";
import * as wallClock from "./clock.js";
import { queueTeamsAt, type TeamClosed } from "./team-hours.js";
import { Database, type DatabaseShape } from "./database.js";
import { hasTargets, storedResponseTargets, type Owed } from "../core/response-targets.js";
import { owedInHours, targetHoursReader, type TargetHoursOf } from "./target-hours.js";
import { Deliveries, type DeliveriesShape, type DeliveryState } from "./deliveries.js";
import { Engine, type EngineShape } from "./engine.js";
import { Conflict, Forbidden, InvalidInput, NotFound } from "./errors.js";
import {
  canOpenInbox,
  conversationFor,
  decodeInput,
  decodeCursor,
  encodeCursor,
  ftsQuery,
  invalid,
  logConversationEvent,
  NOT_YOUR_INBOX,
  requireInbox,
  visibleInboxIds,
  worksInInboxes,
  type Actor,
  type ConversationAccessRow,
} from "./inbox-access.js";
import { allLabelChips, chipsOfJson, LABELS_JSON_COLUMN, type LabelChip } from "./labels.js";
import { LiveEvents, type LiveEvent, type LiveEventsShape } from "./live-events.js";
import { earliest, languageWaitsAt, Routing, type LanguageWaitShown, type RoutingShape } from "./routing.js";
import { DUE_SCAN_LIMIT, scanDue } from "./response-due-scan.js";
import { unassignedSinceAfter } from "../sql/unassigned-since.js";

// ---------------------------------------------------------------------------------------------
// Views and filters

// A snoozed conversation (snoozes.ts) is only in "snoozed" until it wakes: out of the working views, "all_open" too.
// "overdue" and "due_soon" hold the waits past (or near) their inbox's response target (response-due-scan.ts).
export const inboxViews = ["unassigned", "mine", "all_open", "overdue", "due_soon", "pending", "snoozed", "bot", "closed"] as const;
export type InboxView = (typeof inboxViews)[number];

const View = S.String.pipe(
  S.filter((v): v is InboxView => (inboxViews as ReadonlyArray<string>).includes(v), {
    message: () => `expected one of ${inboxViews.join(", ")}`,
  }),
);
const OptionalId = S.optional(S.String.pipe(S.maxLength(100, { message: () => "an id is at most 100 characters" })));
const LIMIT_MESSAGE = "a limit is a whole number between 1 and 200";
// The override: `limit=abc` reads as the same sentence, not Schema's "Unable to decode…" twice.
const Limit = S.Union(S.Number, S.NumberFromString)
  .annotations({ message: () => ({ message: LIMIT_MESSAGE, override: true }) })
  .pipe(S.filter((n) => Number.isInteger(n) && n >= 1 && n <= 200, { message: () => LIMIT_MESSAGE }));

/** The list's filter, as a query string gives it (empty strings mean "not set"). */
export const ConversationFilter = S.Struct({
  view: S.optionalWith(View, { default: () => "all_open" as const }),
  inboxId: OptionalId,
  channelId: OptionalId,
  teamId: OptionalId,
  assigneeId: OptionalId,
  /** A label's id: only conversations carrying it (labels.ts). */
  label: OptionalId,
  search: S.optional(S.String.pipe(S.maxLength(200, { message: () => "a search is at most 200 characters" }))),
  limit: S.optional(Limit),
  cursor: S.optional(S.String.pipe(S.maxLength(500))),
});
export type ConversationFilter = typeof ConversationFilter.Type;

/** The list's filter of outside input (a query string's `filterFromSearchParams`), or InvalidInput naming the key. */
export const decodeConversationFilter = (input: unknown): Effect.Effect<ConversationFilter, InvalidInput> => decodeInput(ConversationFilter, input);

export const DEFAULT_PAGE = 50;

// ---------------------------------------------------------------------------------------------
// Shapes

export type ConversationStatus = "bot" | "open" | "pending" | "closed";

export interface Named {
  readonly id: string;
  readonly name: string;
}

export interface ConversationSummary {
  readonly id: string;
  readonly status: ConversationStatus;
  readonly version: number;
  readonly inbox: Named;
  readonly channel: Named & { readonly kind: string };
  /**
   * Where a reply goes: the chat widget, Messenger, or email — an email conversation's, and a
   * form's or away message's, which are answered by email through the inbox's team email.
   */
  readonly replyVia: "chat" | "email" | "messenger";
  /** Who the conversation is with: the contact's name or email, a name the bot collected, else "Visitor …". */
  readonly title: string;
  readonly contactId: string | null;
  /** The language the visitor's browser said (`de-AT`), for routing by language (decision 055); null when none. */
  readonly visitorLanguage: string | null;
  readonly assignee: Named | null;
  readonly team: Named | null;
  readonly preview: string | null;
  readonly lastMessageAt: number | null;
  readonly lastActivityAt: number;
  /** Since when the visitor waits for a person (null: nobody waits). */
  readonly waitingSince: number | null;
  readonly queued: boolean;
  readonly createdAt: number;
  readonly closedAt: number | null;
  /** True when a message arrived after the actor last read this conversation. */
  readonly unread: boolean;
  /** Set aside until `until` by `by` (snoozes.ts); null when not snoozed. */
  readonly snooze: { readonly until: number; readonly by: Named | null } | null;
  /** Its labels, by name (labels.ts). */
  readonly labels: ReadonlyArray<LabelChip>;
  /** The answer the waiting visitor is owed under the inbox's response targets, and when it is due; null without one. */
  readonly responseDue: Owed | null;
}

export interface ConversationList {
  readonly view: InboxView;
  readonly conversations: ReadonlyArray<ConversationSummary>;
  /** Pass as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
  /** Conversations per view under the same inbox/channel/team/assignee filters (closed is not counted: it only grows). */
  readonly counts: Readonly<Record<Exclude<InboxView, "closed">, number>>;
  /** Unread conversations per open view. */
  readonly unread: Readonly<Record<"unassigned" | "mine" | "all_open", number>>;
  /**
   * Null when the overdue and due-soon scan saw every wait; else the number of waits it stopped at
   * (DUE_SCAN_LIMIT: those past their wall-time due longest), and those views and their counts
   * hold only what those waits hold.
   */
  readonly dueScanCap: number | null;
  /** The teams of the page's queued conversations that their hours have closed now, by team id (decision 048): when each opens, on its clock. */
  readonly closedTeams: Readonly<Record<string, TeamClosed>>;
  /** The page's queued conversations held for an agent who speaks their visitor's language, by conversation id: the language and until when. */
  readonly languageWaits: Readonly<Record<string, LanguageWaitShown>>;
  /** When one of those teams (closed or open) next opens or closes by its hours, or a wait for a speaker runs out; the page re-reads then. Null: none will. */
  readonly queueChangesAt: number | null;
}

/** Where an outgoing message in an email or Messenger conversation stands in the outbox. */
export interface ThreadDelivery {
  readonly status: DeliveryState;
  /** Tries made so far. */
  readonly attempts: number;
  /** Why the last try failed (kept while a retry waits; null once sent). */
  readonly lastError: string | null;
  readonly sentAt: number | null;
  /** When the next try is due (pending only). */
  readonly nextAttemptAt: number | null;
}

export interface EmailAddress {
  readonly address: string;
  readonly name: string | null;
}

export interface EmailAttachment {
  readonly name: string | null;
  readonly type: string | null;
  /** Bytes; null when unknown. */
  readonly size: number | null;
  /** The stored file's id (downloadable at /inbox/attachments/<id>); absent when it was not stored. */
  readonly id?: string;
  /** Why the file was not stored (too large, too many), when the payload says. */
  readonly skipped?: string;
}

/** The headers of an email message, from its payload. */
export interface ThreadEmail {
  readonly subject: string | null;
  readonly from: EmailAddress | null;
  readonly to: ReadonlyArray<EmailAddress>;
  readonly cc: ReadonlyArray<EmailAddress>;
  readonly attachments: ReadonlyArray<EmailAttachment>;
  /** Files past the listed ones: neither listed nor stored, only counted. */
  readonly attachmentsNotListed: number;
}

export interface ThreadMessage {
  readonly id: string;
  readonly author: "visitor" | "bot" | "agent" | "system";
  /** The agent's display name for agent messages. */
  readonly authorName: string | null;
  readonly userId: string | null;
  readonly text: string;
  /** An internal comment (or the handoff note): never shown to the visitor. */
  readonly internal: boolean;
  readonly createdAt: number;
  readonly choices?: ReadonlyArray<{ readonly id: string; readonly label: string }>;
  readonly bubble?: ApiBubble;
  /** On the handoff marker: everything the bot collected. */
  readonly handoff?: Readonly<Record<string, unknown>>;
  /**
   * On the handoff marker of a handoff made while its team was closed by its hours (decision 048):
   * the team (its name now; null when it is gone or not read), when it opened (null: never), on its clock.
   */
  readonly handoffTeamClosed?: { readonly teamId: string; readonly team: string | null; readonly opensAt: number | null; readonly timezone: string };
  /** On what an automation rule wrote (its comment, reply, or the line of a change it made): which rule (decision 044). */
  readonly rule?: ActingRule;
  /** On a message that has an outbox row (a bot's or agent's message in an email or Messenger conversation). */
  readonly delivery?: ThreadDelivery;
  /** On a message that arrived by email: its headers and attachments. */
  readonly email?: ThreadEmail;
  /** On a message that is not an email but lists files (an agent's reply by email, a visitor's Messenger message): each stored one downloadable at /inbox/attachments/<id>. */
  readonly attachments?: ReadonlyArray<EmailAttachment>;
}

export interface VisitorFacts {
  readonly id: string;
  /** The page the visitor is on now (their last page view). */
  readonly currentPage: string | null;
  readonly device: string | null;
  readonly language: string | null;
  readonly userAgent: string | null;
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface Thread {
  readonly conversation: ConversationSummary & {
    readonly handedOffAt: number | null;
    /** The page the conversation started on. */
    readonly pageUrl: string | null;
    readonly chatflow: Named | null;
    /**
     * While the conversation waits in the queue for a team its hours have closed (decision 048):
     * when the team opens again (null: its hours never open) and the zone they are read in.
     */
    readonly teamClosed: TeamClosed | null;
    /** While held in the queue for an agent who speaks the visitor's language: that language and until when; else null. */
    readonly languageWait: LanguageWaitShown | null;
    /** While queued for a team with hours or for a speaker: when the hours next open or close it, or the wait runs out (the page re-reads then); else null. */
    readonly queueChangesAt: number | null;
  };
  /** Oldest first. */
  readonly messages: ReadonlyArray<ThreadMessage>;
  /** True when older messages than the first one here exist. */
  readonly truncated: boolean;
  readonly visitor: VisitorFacts | null;
  readonly contact: Contact | null;
  /** The actor's read mark before this read (0: never read). */
  readonly lastReadMessageId: number;
}

export interface Person extends Named {
  readonly role: string;
  readonly availability: "available" | "away";
  /** Inboxes this person works in; "all" for admins. */
  readonly inboxIds: ReadonlyArray<string> | "all";
}

export interface InboxOptions {
  readonly inboxes: ReadonlyArray<Named>;
  readonly channels: ReadonlyArray<Named & { readonly kind: string; readonly inboxId: string }>;
  readonly teams: ReadonlyArray<Named>;
  /** Everyone who can hold conversations in at least one of the actor's inboxes. */
  readonly people: ReadonlyArray<Person>;
  /** Every label, by name (the list's filter and the thread's picker). */
  readonly labels: ReadonlyArray<LabelChip>;
}

/** A comment's outcome: the stored message and whom it notified. */
export interface CommentResult {
  readonly message: ThreadMessage;
  readonly mentioned: ReadonlyArray<Named>;
}

/** What the live feed hands an agent's page: a LiveEvent of an inbox they may open. */
export interface InboxEvent {
  readonly kind: LiveEvent["kind"];
  readonly conversationId: string;
  readonly inboxId: string;
  readonly id?: string;
  readonly internal?: boolean;
  /** A message of a conversation the bot still holds (LiveEvent's `bot`): only the Bot view and its thread show it. */
  readonly bot?: boolean;
  readonly data: unknown;
}

/**
 * From how many agents watching a feed the inbox's members are read once per event rather than
 * one membership per agent: below it a point read each is cheaper than reading the member list.
 */
const MEMBERS_READ_FROM = 8;

const frames = new WeakMap<InboxEvent, string>();

/** The server-sent event of an inbox event (`event: <kind>`, the event as JSON), built once per event however many feeds send it. */
export const inboxEventFrame = (event: InboxEvent): string => {
  let frame = frames.get(event);
  if (frame === undefined) {
    frame = `event: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`;
    frames.set(event, frame);
  }
  return frame;
};

export interface InboxShape {
  /** Succeeds when the actor may open the conversation: NotFound for an unknown id, Forbidden outside their inboxes. */
  readonly checkAccess: (conversationId: string, actor: Actor) => Effect.Effect<void, NotFound | Forbidden>;
  /** One page of a view (decoded by `ConversationFilter`), with counts and unread markers for the actor. */
  readonly listConversations: (filter: unknown, actor: Actor) => Effect.Effect<ConversationList, InvalidInput | Forbidden>;
  /** The whole thread of a conversation the actor may open (the latest 2,000 messages). */
  readonly getThread: (conversationId: string, actor: Actor) => Effect.Effect<Thread, NotFound | Forbidden>;
  /**
   * A reply to the visitor; stores one message per clientMessageId however often it is sent.
   * `files` go with a reply whichever way it goes (chat, email or Messenger), within
   * attachmentReplyLimitsFor that way out, stored in the message's own write; otherwise
   * InvalidInput at `files` / `files[i]`, nothing stored. A comment takes none (Engine.replyAsAgent).
   */
  readonly reply: (
    input: {
      readonly conversationId: string;
      readonly text: string;
      readonly clientMessageId: string;
      readonly files?: ReadonlyArray<AttachmentSource>;
    },
    actor: Actor,
  ) => Effect.Effect<ThreadMessage, NotFound | Forbidden | Conflict | InvalidInput>;
  /** An internal comment; every @mentioned member of the inbox is notified (once per comment). */
  readonly comment: (
    input: { readonly conversationId: string; readonly text: string; readonly clientMessageId: string },
    actor: Actor,
  ) => Effect.Effect<CommentResult, NotFound | Forbidden | Conflict | InvalidInput>;
  /** Closes an open conversation at `expectedVersion`; Conflict when someone changed it first. */
  readonly close: (conversationId: string, expectedVersion: number, actor: Actor) => Effect.Effect<ConversationSummary, NotFound | Forbidden | Conflict | InvalidInput>;
  /** Reopens a closed conversation at `expectedVersion`; Conflict when someone changed it first. */
  readonly reopen: (conversationId: string, expectedVersion: number, actor: Actor) => Effect.Effect<ConversationSummary, NotFound | Forbidden | Conflict | InvalidInput>;
  /** Sets an open conversation pending (the team waits on the visitor; nobody owes an answer) at `expectedVersion`; Conflict otherwise. */
  readonly markPending: (conversationId: string, expectedVersion: number, actor: Actor) => Effect.Effect<ConversationSummary, NotFound | Forbidden | Conflict | InvalidInput>;
  /** Sets a pending conversation open again at `expectedVersion`; Conflict for any other status or a stale version. */
  readonly markOpen: (conversationId: string, expectedVersion: number, actor: Actor) => Effect.Effect<ConversationSummary, NotFound | Forbidden | Conflict | InvalidInput>;
  /** Assigns to a person and/or team (`Routing.assign`: undefined keeps, null clears); Conflict when stale. */
  readonly assign: (
    conversationId: string,
    change: { readonly userId?: string | null; readonly teamId?: string | null },
    expectedVersion: number,
    actor: Actor,
  ) => Effect.Effect<ConversationSummary, NotFound | Forbidden | Conflict | InvalidInput>;
  /** Marks the conversation read up to `messageId` (its newest message when absent); never moves the mark back. */
  readonly markRead: (conversationId: string, actor: Actor, messageId?: number) => Effect.Effect<void, NotFound | Forbidden>;
  /** Tells the visitor (a reply being written) or colleagues (a comment) that the actor is typing. */
  readonly setTyping: (conversationId: string, typing: boolean, internal: boolean, actor: Actor) => Effect.Effect<void, NotFound | Forbidden>;
  /** The filter choices: the actor's inboxes, their channels, teams, and the people who can be assigned. */
  readonly options: (actor: Actor) => Effect.Effect<InboxOptions, Forbidden>;
  /**
   * Sends a failed outgoing message again (the outbox tries it now). NotFound when the conversation
   * has no such message; Conflict when the message is not a failed one (sent, still being sent,
   * or never sent through the outbox); InvalidInput for an id that is not a message id.
   */
  readonly retryDelivery: (conversationId: string, messageId: string, actor: Actor) => Effect.Effect<void, NotFound | Forbidden | Conflict | InvalidInput>;
  /**
   * Listens to every event of the inboxes the actor may open (checked per event); returns the
   * unsubscribe function. Every listener of one event gets the same InboxEvent object. With
   * `hearBot`, a message of a conversation the bot still holds (`bot`) is heard only when
   * `hearBot(conversationId)` says so: most of a busy bot's events, which only the Bot view and
   * the conversation's own thread show.
   */
  readonly watch: (
    actor: Actor,
    listener: (event: InboxEvent) => void,
    options?: { readonly hearBot?: (conversationId: string) => boolean },
  ) => Effect.Effect<() => void, Forbidden>;
}

export class Inbox extends Context.Tag("Inbox")<Inbox, InboxShape>() {}

// ---------------------------------------------------------------------------------------------
// Mentions (pure)

export interface Mentionable {
  readonly id: string;
  readonly name: string;
  readonly displayName?: string | null;
  readonly email: string;
}

/** The handles a person answers to: full and display name, email local part, first name. Pure. */
export const mentionHandles = (person: Mentionable): ReadonlyArray<string> => {
  const handles = new Set<string>();
  const add = (value: string | null | undefined) => {
    const v = value?.trim().toLowerCase();
    if (v) handles.add(v);
  };
  add(person.name);
  add(person.displayName);
  add(person.name.replace(/\s+/g, ""));
  add(person.email.split("@")[0]);
  add(person.name.split(/\s+/)[0]);
  add(person.displayName?.split(/\s+/)[0]);
  return [...handles];
};

const WORD = /[\p{L}\p{N}_]/u;

/**
 * The people `text` @mentions, each once, in order of first mention. A mention is "@" (at the
 * start or after a non-word character) followed by one of a person's handles and then a
 * non-word character or the end; the longest handle wins ("@Alex Agent" over "@Alex"), and a
 * handle two people share mentions nobody. Pure.
 */
export const parseMentions = <P extends Mentionable>(text: string, people: ReadonlyArray<P>): ReadonlyArray<P> => {
  const owners = new Map<string, Set<P>>();
  for (const person of people) {
    for (const handle of mentionHandles(person)) {
      let set = owners.get(handle);
      if (!set) owners.set(handle, (set = new Set()));
      set.add(person);
    }
  }
  const handles = [...owners.entries()]
    .filter(([, set]) => set.size === 1)
    .map(([handle, set]) => ({ handle, person: [...set][0]! }))
    .sort((a, b) => b.handle.length - a.handle.length);
  const lower = text.toLowerCase();
  const found: P[] = [];
  for (let at = lower.indexOf("@"); at !== -1; at = lower.indexOf("@", at + 1)) {
    if (at > 0 && WORD.test(lower[at - 1]!)) continue; // an email address, not a mention
    const rest = lower.slice(at + 1);
    const hit = handles.find(({ handle }) => rest.startsWith(handle) && (rest.length === handle.length || !WORD.test(rest[handle.length]!)));
    if (hit && !found.includes(hit.person)) found.push(hit.person);
  }
  return found;
};

// ---------------------------------------------------------------------------------------------
// Rows

interface SummaryRow {
  readonly id: string;
  readonly status: ConversationStatus;
  readonly version: number;
  readonly inbox_id: string;
  readonly inbox_name: string;
  readonly channel_id: string;
  readonly channel_name: string;
  readonly channel_kind: string;
  readonly reply_by_email: number;
  readonly contact_id: string | null;
  readonly contact_name: string | null;
  readonly contact_email: string | null;
  readonly visitor_id: string | null;
  readonly collected_name: string | null;
  readonly collected_email: string | null;
  readonly assignee_id: string | null;
  readonly assignee_name: string | null;
  readonly team_id: string | null;
  readonly team_name: string | null;
  readonly visitor_language: string | null;
  /** The team's stored hours (`teams.hours`), read with the row so a queued row's team costs no statement of its own. */
  readonly team_hours: string | null;
  readonly last_message_preview: string | null;
  readonly last_message_at: number | null;
  readonly last_activity_at: number;
  readonly waiting_since: number | null;
  readonly queued_at: number | null;
  readonly created_at: number;
  readonly closed_at: number | null;
  readonly handed_off_at: number | null;
  readonly page_url: string | null;
  readonly chatflow_id: string | null;
  readonly chatflow_name: string | null;
  readonly last_message_id: number | null;
  readonly last_read_message_id: number | null;
  readonly snoozed_until: number | null;
  readonly snoozed_by: string | null;
  readonly snoozed_by_name: string | null;
  readonly labels_json: string | null;
  readonly response_targets: string | null;
  readonly first_reply_at: number | null;
}

// `@me` is the actor's id (for the read mark).
const SUMMARY_SELECT = `SELECT c.id, c.status, c.version, c.inbox_id, i.name AS inbox_name, c.channel_id, ch.name AS channel_name,
  ch.kind AS channel_kind, c.reply_by_email, c.contact_id, ${CONVERSATION_TITLE_COLUMNS}, v.language AS visitor_language,
  c.assignee_id, COALESCE(u.display_name, u.name) AS assignee_name, c.team_id, t.name AS team_name, t.hours AS team_hours,
  c.last_message_preview, c.last_message_at, c.last_activity_at, c.waiting_since, c.queued_at, c.created_at, c.closed_at,
  c.handed_off_at, c.page_url, c.chatflow_id, cf.name AS chatflow_name,
  c.last_message_id, c.snoozed_until, c.snoozed_by,
  (SELECT COALESCE(s.display_name, s.name) FROM users s WHERE s.id = c.snoozed_by) AS snoozed_by_name,
  (SELECT r.last_read_message_id FROM conversation_reads r WHERE r.user_id = @me AND r.conversation_id = c.id) AS last_read_message_id,
  ${LABELS_JSON_COLUMN},
  i.response_targets, (SELECT rc.first_reply_at FROM report_conversations rc WHERE rc.conversation_id = c.id) AS first_reply_at
  FROM conversations c
  JOIN inboxes i ON i.id = c.inbox_id
  JOIN channels ch ON ch.id = c.channel_id
  ${CONVERSATION_TITLE_JOINS}
  LEFT JOIN users u ON u.id = c.assignee_id
  LEFT JOIN teams t ON t.id = c.team_id
  LEFT JOIN chatflows cf ON cf.id = c.chatflow_id`;

/**
 * What a waiting visitor is owed under the inbox's response targets (runtime/core/response-targets.ts):
 * a first response until a person has replied (the report's first reply), the next reply after;
 * business hours in the conversation's team's calendar (decision 048).
 */
const owedOf = (row: SummaryRow, hoursOf: TargetHoursOf): Owed | null => {
  if (row.waiting_since === null || row.status === "closed" || row.response_targets === null) return null;
  const targets = storedResponseTargets(row.response_targets);
  if (!hasTargets(targets)) return null;
  return owedInHours(targets, { waitingSince: row.waiting_since, answered: row.first_reply_at !== null, teamId: row.team_id }, hoursOf);
};

/**
 * The thread's messages with the names of the teams their handoff markers say were closed: one
 * read of those teams, only when a marker says so (most threads read nothing more).
 */
const withClosedTeamNames = (prepare: DatabaseShape["prepare"], messages: ThreadMessage[]): ThreadMessage[] => {
  const ids = [...new Set(messages.flatMap((m) => (m.handoffTeamClosed ? [m.handoffTeamClosed.teamId] : [])))];
  if (ids.length === 0) return messages;
  const rows = prepare("SELECT id, name FROM teams WHERE id IN (SELECT value FROM json_each(?))").all(JSON.stringify(ids)) as Array<{ id: string; name: string }>;
  const names = new Map(rows.map((r) => [r.id, r.name]));
  return messages.map((m) => (m.handoffTeamClosed ? { ...m, handoffTeamClosed: { ...m.handoffTeamClosed, team: names.get(m.handoffTeamClosed.teamId) ?? null } } : m));
};

/** A summary row as routing's language wait reads it (languageWaitsAt). Pure. */
const waitingRow = (row: SummaryRow) => ({
  id: row.id,
  inboxId: row.inbox_id,
  teamId: row.team_id,
  queuedAt: row.queued_at,
  visitorLanguage: row.visitor_language,
});

/** The list's shape of a row; `hoursOf` gives the calendars response targets count in (read only when a target counts business hours). */
const toSummary = (row: SummaryRow, hoursOf: TargetHoursOf): ConversationSummary => ({
  id: row.id,
  status: row.status,
  version: row.version,
  inbox: { id: row.inbox_id, name: row.inbox_name },
  channel: { id: row.channel_id, name: row.channel_name, kind: row.channel_kind },
  replyVia: row.channel_kind === "messenger" ? "messenger" : row.channel_kind === "email" || row.reply_by_email === 1 ? "email" : "chat",
  title: conversationTitle(row),
  contactId: row.contact_id,
  visitorLanguage: row.visitor_language,
  assignee: row.assignee_id === null ? null : { id: row.assignee_id, name: row.assignee_name ?? "" },
  team: row.team_id === null ? null : { id: row.team_id, name: row.team_name ?? "" },
  preview: row.last_message_preview,
  lastMessageAt: row.last_message_at,
  lastActivityAt: row.last_activity_at,
  waitingSince: row.waiting_since,
  queued: row.queued_at !== null,
  createdAt: row.created_at,
  closedAt: row.closed_at,
  unread: (row.last_message_id ?? 0) > (row.last_read_message_id ?? 0),
  snooze:
    row.snoozed_until === null
      ? null
      : { until: row.snoozed_until, by: row.snoozed_by === null ? null : { id: row.snoozed_by, name: row.snoozed_by_name ?? "" } },
  labels: chipsOfJson(row.labels_json),
  responseDue: owedOf(row, hoursOf),
});

const readSummaryRow = (prepare: DatabaseShape["prepare"], actorId: string, conversationId: string): SummaryRow | undefined =>
  prepare(`${SUMMARY_SELECT} WHERE c.id = @conversationId`).get({ me: actorId, conversationId }) as SummaryRow | undefined;

/** A conversation as the list shows it to `actorId` (undefined for an unknown id); no access check: the caller has made it. */
export const readConversationSummary = (prepare: DatabaseShape["prepare"], actorId: string, conversationId: string): ConversationSummary | undefined => {
  const row = readSummaryRow(prepare, actorId, conversationId);
  return row === undefined ? undefined : toSummary(row, targetHoursReader(prepare));
};

interface ThreadMessageRow {
  readonly id: number;
  readonly author: ThreadMessage["author"];
  readonly user_id: string | null;
  readonly author_name: string | null;
  readonly text: string;
  readonly payload: string | null;
  readonly is_internal: number;
  readonly created_at: number;
  /** The outbox row's columns (all null without one). */
  readonly delivery_status: DeliveryState | null;
  readonly delivery_attempts: number | null;
  readonly delivery_last_error: string | null;
  readonly delivery_sent_at: number | null;
  readonly delivery_next_attempt_at: number | null;
}

type Json = Readonly<Record<string, unknown>>;

const isRecord = (value: unknown): value is Json => value !== null && typeof value === "object" && !Array.isArray(value);

/** A stored payload as an object; {} for none, broken JSON or a non-object. Pure. */
const parsePayload = (text: string | null): Json => {
  if (text === null) return {};
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : {};
  } catch {
    return {};
  }
};

const stringOr = (value: unknown): string | null => (typeof value === "string" && value.trim() !== "" ? value.trim() : null);

const addressOf = (value: unknown): EmailAddress | null => {
  if (!isRecord(value)) return null;
  const address = stringOr(value.address);
  return address === null ? null : { address, name: stringOr(value.name) };
};

const addressesOf = (value: unknown): ReadonlyArray<EmailAddress> =>
  Array.isArray(value) ? value.map(addressOf).filter((a): a is EmailAddress => a !== null) : [];

const attachmentOf = (value: unknown): EmailAttachment | null => {
  if (!isRecord(value)) return null;
  const size = typeof value.size === "number" && Number.isFinite(value.size) && value.size >= 0 ? value.size : null;
  const id = stringOr(value.id);
  const skipped = id === null ? stringOr(value.skipped) : null;
  return { name: stringOr(value.name), type: stringOr(value.type), size, ...(id !== null ? { id } : {}), ...(skipped !== null ? { skipped } : {}) };
};

/**
 * The email headers a message payload holds (email-channel.ts writes subject, from, to, cc,
 * messageId, attachments), or undefined when it is not an email's payload (no From address).
 * Fields of the wrong type are left out, never thrown on. Pure.
 */
export const emailOfPayload = (payload: unknown): ThreadEmail | undefined => {
  if (!isRecord(payload)) return undefined;
  const from = addressOf(payload.from);
  if (from === null) return undefined;
  return {
    subject: typeof payload.subject === "string" ? payload.subject : null,
    from,
    to: addressesOf(payload.to),
    cc: addressesOf(payload.cc),
    attachments: Array.isArray(payload.attachments)
      ? payload.attachments.map(attachmentOf).filter((a): a is EmailAttachment => a !== null)
      : [],
    attachmentsNotListed:
      typeof payload.attachmentsNotListed === "number" && Number.isSafeInteger(payload.attachmentsNotListed) && payload.attachmentsNotListed > 0
        ? payload.attachmentsNotListed
        : 0,
  };
};

/** The parts of a payload the thread shows (quick replies, a bubble, the handoff), each only when well formed. Pure. */
const chatPartsOf = (payload: Json): Pick<ThreadMessage, "choices" | "bubble" | "handoff" | "handoffTeamClosed"> => {
  const choices = Array.isArray(payload.choices)
    ? payload.choices.filter((c): c is { id: string; label: string } => isRecord(c) && typeof c.id === "string" && typeof c.label === "string")
    : [];
  const b = payload.bubble;
  const bubble: ApiBubble | undefined = !isRecord(b) || typeof b.url !== "string"
    ? undefined
    : b.type === "image"
      ? { type: "image", url: b.url, ...(typeof b.alt === "string" ? { alt: b.alt } : {}) }
      : b.type === "link" && typeof b.label === "string"
        ? { type: "link", url: b.url, label: b.label }
        : undefined;
  return {
    ...(choices.length > 0 ? { choices: choices.map((c) => ({ id: c.id, label: c.label })) } : {}),
    ...(bubble !== undefined ? { bubble } : {}),
    ...(isRecord(payload.handoff) ? { handoff: payload.handoff } : {}),
    ...handoffTeamClosedOf(payload.handoffTeamClosed),
  };
};

/** A handoff marker's closed team as stored (engine.ts `noteTeamClosed`), only when well formed; its name is filled in by the thread. Pure. */
const handoffTeamClosedOf = (value: unknown): Pick<ThreadMessage, "handoffTeamClosed"> =>
  isRecord(value) &&
  typeof value.teamId === "string" &&
  typeof value.timezone === "string" &&
  (value.opensAt === null || (typeof value.opensAt === "number" && Number.isFinite(value.opensAt)))
    ? { handoffTeamClosed: { teamId: value.teamId, team: null, opensAt: value.opensAt, timezone: value.timezone } }
    : {};

/** A status change in words, for the thread's line when a rule made it: "Closed", "Reopened". Pure. */
export const statusChangeWords = (from: string, to: string): string =>
  to === "closed" ? "Closed" : to === "pending" ? "Marked pending" : from === "closed" ? "Reopened" : "Marked open";

/** The rule a message's payload names (a rule's comment, reply or thread line), when well formed. Pure. */
const ruleOfPayload = (payload: Json): ActingRule | undefined => ruleNamedIn(payload) ?? undefined;

/** A thread message from its row (payload parsed leniently, the outbox row joined in). Pure. */
export const toThreadMessage = (row: ThreadMessageRow): ThreadMessage => {
  const payload = parsePayload(row.payload);
  const email = emailOfPayload(payload);
  const rule = ruleOfPayload(payload);
  // An agent's reply by email lists the files it carried (Engine.replyAsAgent), a visitor's Messenger
  // message the files it came with (messenger-channel.ts); an email's are in `email`.
  const attached =
    email === undefined && Array.isArray(payload.attachments)
      ? payload.attachments.map(attachmentOf).filter((a): a is EmailAttachment => a !== null)
      : [];
  return {
    id: String(row.id),
    author: row.author,
    authorName: row.author_name,
    userId: row.user_id,
    text: row.text,
    internal: row.is_internal === 1,
    createdAt: row.created_at,
    ...chatPartsOf(payload),
    ...(rule !== undefined ? { rule } : {}),
    ...(row.delivery_status !== null
      ? {
          delivery: {
            status: row.delivery_status,
            attempts: row.delivery_attempts ?? 0,
            lastError: row.delivery_last_error,
            sentAt: row.delivery_sent_at,
            nextAttemptAt: row.delivery_status === "pending" ? row.delivery_next_attempt_at : null,
          },
        }
      : {}),
    ...(email !== undefined ? { email } : {}),
    ...(attached.length > 0 ? { attachments: attached } : {}),
  };
};

// The outbox row rides along in the same query (deliveries' key is the message id): no query per message.
const THREAD_MESSAGE_SELECT = `SELECT m.id, m.author, m.user_id, COALESCE(u.display_name, u.name) AS author_name, m.text, m.payload,
  m.is_internal, m.created_at, d.status AS delivery_status, d.attempts AS delivery_attempts, d.last_error AS delivery_last_error,
  d.sent_at AS delivery_sent_at, d.next_attempt_at AS delivery_next_attempt_at
  FROM messages m LEFT JOIN users u ON u.id = m.user_id LEFT JOIN deliveries d ON d.message_id = m.id`;

export const MAX_THREAD_MESSAGES = 2000;

// Waiting conversations first, the longest wait on top; then open ones nobody waits in; pending
// ones (the team waits on the visitor) last — each of those two latest activity first. 4e15 ms
// is far beyond any epoch time, so the three parts fit one ascending key (below 2^53).
const WAIT_KEY = `(CASE WHEN c.waiting_since IS NOT NULL THEN c.waiting_since
  WHEN c.status = 'pending' THEN 8000000000000000 - c.last_activity_at ELSE 4000000000000000 - c.last_activity_at END)`;


/** The `label:name` / `label:"two words"` terms of a search (at most 5) and the text left to search. Pure. */
export const labelTerms = (search: string): { readonly names: ReadonlyArray<string>; readonly rest: string } => {
  const names: string[] = [];
  const rest = search.replace(/(^|\s)label:(?:"([^"]*)"|(\S+))/gi, (_, space: string, quoted: string | undefined, bare: string | undefined) => {
    const name = (quoted ?? bare ?? "").trim();
    if (name !== "" && names.length < 5) names.push(name);
    return space;
  });
  return { names, rest };
};

/** The filter object of a query string: known keys, empty values dropped. Pure. */
export const filterFromSearchParams = (params: URLSearchParams): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const key of ["view", "inboxId", "channelId", "teamId", "assigneeId", "label", "search", "limit", "cursor"]) {
    const value = params.get(key);
    if (value !== null && value.trim() !== "") out[key] = value;
  }
  return out;
};

/** The status changes an agent makes, each with where it goes and the statuses it starts from. */
const STATUS_MOVES = {
  close: { to: "closed", from: ["bot", "open", "pending"] },
  reopen: { to: "open", from: ["closed"] },
  markOpen: { to: "open", from: ["pending"] },
  markPending: { to: "pending", from: ["open"] },
} as const satisfies Record<string, { to: ConversationStatus; from: ReadonlyArray<ConversationStatus> }>;
export type StatusMove = keyof typeof STATUS_MOVES;

/** The move that takes a conversation in status `from` to `to` (open from closed is a reopen). Pure. */
export const statusMoveTo = (to: "open" | "pending" | "closed", from: string): StatusMove =>
  to === "closed" ? "close" : to === "pending" ? "markPending" : from === "closed" ? "reopen" : "markOpen";

/** Why `move` cannot start from `status` (null: it can). Pure. */
export const statusRefusal = (move: StatusMove, status: ConversationStatus): string | null => {
  if ((STATUS_MOVES[move].from as ReadonlyArray<ConversationStatus>).includes(status)) return null;
  switch (move) {
    case "close":
      return `This conversation is ${status} already.`;
    case "reopen":
      return `This conversation is ${status}; only a closed conversation can be reopened.`;
    case "markOpen":
      return `This conversation is ${status}; only a pending conversation can be marked open${status === "closed" ? " (reopen a closed one)" : ""}.`;
    case "markPending":
      return `This conversation is ${status}; only an open conversation can be marked pending.`;
  }
};

class StaleVersion extends Error {
  constructor(readonly current: { readonly version: number; readonly status: string }) {
    super("stale conversation version");
  }
}

const validVersion = (version: number): Effect.Effect<void, InvalidInput> =>
  Number.isInteger(version) && version >= 1 ? Effect.void : Effect.fail(invalid("version", "the conversation's version is a whole number from 1"));

// ---------------------------------------------------------------------------------------------
// The service

/** The Inbox service over its dependencies (exported for tests). */
export const makeInbox = (deps: {
  readonly db: DatabaseShape;
  readonly live: LiveEventsShape;
  readonly engine: EngineShape;
  readonly routing: RoutingShape;
  readonly deliveries: DeliveriesShape;
}): InboxShape => {
  const { db, live, engine, routing, deliveries } = deps;
  const prepare = db.prepare;
  // Comments whose mentions were already sent: a retried comment (same clientMessageId) notifies once.
  const notified = new Set<string>();

  const requireWorker = (actor: Actor): Effect.Effect<void, Forbidden> =>
    worksInInboxes(actor) ? Effect.void : Effect.fail(new Forbidden({ message: `Your role (${actor.role}) cannot open the inbox.` }));

  const summaryOf = (actorId: string, conversationId: string): SummaryRow | undefined => readSummaryRow(prepare, actorId, conversationId);

  const listConversations: InboxShape["listConversations"] = Effect.fn("Inbox.listConversations")(function* (input, actor) {
    yield* requireWorker(actor);
    const filter = yield* decodeConversationFilter(input);
    const visible = visibleInboxIds(prepare, actor);
    const limit = filter.limit ?? DEFAULT_PAGE;
    const emptyCounts = { unassigned: 0, mine: 0, all_open: 0, overdue: 0, due_soon: 0, pending: 0, snoozed: 0, bot: 0 };
    const empty: ConversationList = {
      view: filter.view,
      conversations: [],
      nextCursor: null,
      counts: emptyCounts,
      unread: { unassigned: 0, mine: 0, all_open: 0 },
      dueScanCap: null,
      closedTeams: {},
      languageWaits: {},
      queueChangesAt: null,
    };
    // A cursor is checked before anything is read: a bad one is refused even where the list is empty.
    const givenCursor = filter.cursor !== undefined && filter.cursor !== "" ? decodeCursor(filter.cursor) : undefined;
    if (filter.cursor !== undefined && filter.cursor !== "" && (givenCursor === undefined || typeof givenCursor.key !== "number")) {
      return yield* Effect.fail(invalid("cursor", "this cursor is not one the list gave out"));
    }
    const cursor = givenCursor as { readonly key: number; readonly id: string } | undefined;
    const present = (v: string | undefined): v is string => v !== undefined && v !== "";
    // Asking for an inbox one may not see is refused (403) even when one sees no inbox at all.
    if (present(filter.inboxId)) yield* requireInbox(prepare, actor, filter.inboxId, NOT_YOUR_INBOX);
    if (visible !== "all" && visible.length === 0) return empty;

    // Scope: the actor's inboxes and the filters every view shares.
    const scope: string[] = ["c.is_preview = 0"];
    const args: Record<string, unknown> = { me: actor.id };
    if (visible !== "all") {
      scope.push(`c.inbox_id IN (${visible.map((_, i) => `@inbox${i}`).join(", ")})`);
      visible.forEach((id, i) => (args[`inbox${i}`] = id));
    }
    if (present(filter.inboxId)) {
      scope.push("c.inbox_id = @inboxId");
      args.inboxId = filter.inboxId;
    }
    if (present(filter.channelId)) {
      scope.push("c.channel_id = @channelId");
      args.channelId = filter.channelId;
    }
    if (present(filter.teamId)) {
      scope.push("c.team_id = @teamId");
      args.teamId = filter.teamId;
    }
    if (present(filter.assigneeId)) {
      if (filter.assigneeId === "none") scope.push("c.assignee_id IS NULL");
      else {
        scope.push("c.assignee_id = @assigneeId");
        args.assigneeId = filter.assigneeId === "me" ? actor.id : filter.assigneeId;
      }
    }
    if (present(filter.label)) {
      // Through the label's index: the conversations carrying it, however many there are.
      scope.push("c.id IN (SELECT cl.conversation_id FROM conversation_labels cl WHERE cl.label_id = @label)");
      args.label = filter.label;
    }
    const scopeSql = scope.join(" AND ");

    const countsRow = prepare(
      `SELECT
         COALESCE(SUM(c.working AND c.assignee_id IS NULL), 0) AS unassigned,
         COALESCE(SUM(c.working AND c.assignee_id = @me), 0) AS mine,
         COALESCE(SUM(c.working), 0) AS all_open,
         COALESCE(SUM(c.working AND c.status = 'pending'), 0) AS pending,
         COALESCE(SUM(c.snoozed), 0) AS snoozed,
         COALESCE(SUM(c.status = 'bot'), 0) AS bot,
         COALESCE(SUM(c.working AND c.assignee_id IS NULL AND unread), 0) AS unread_unassigned,
         COALESCE(SUM(c.working AND c.assignee_id = @me AND unread), 0) AS unread_mine,
         COALESCE(SUM(c.working AND unread), 0) AS unread_all_open
       FROM (SELECT c.status, c.assignee_id,
               c.status IN ('open','pending') AND c.snoozed_until IS NULL AS working, c.snoozed_until IS NOT NULL AS snoozed,
               CASE WHEN c.status = 'bot' THEN 0 ELSE
                 COALESCE(c.last_message_id, 0) >
                 COALESCE((SELECT r.last_read_message_id FROM conversation_reads r WHERE r.user_id = @me AND r.conversation_id = c.id), 0)
               END AS unread
             FROM conversations c WHERE ${scopeSql} AND c.status IN ('bot', 'open', 'pending')) c`,
    ).get(args) as Record<string, number>;
    const now = wallClock.now();
    // Each calendar read once for the page, and only when a conversation's targets count business hours.
    const pageHours = targetHoursReader(prepare);
    // The overdue and due-soon counts: one bounded scan of the waits past their wall-time due (decision 039).
    const dueCounted = scanDue(prepare, { where: scopeSql, args, now, soon: true, hours: pageHours });

    const where = [scopeSql];
    const dueView = filter.view === "overdue" || filter.view === "due_soon";
    switch (filter.view) {
      case "overdue":
      case "due_soon":
        // Found by the scan below, not by SQL over a stored due time.
        break;
      case "unassigned":
        where.push("c.status IN ('open','pending') AND c.snoozed_until IS NULL AND c.assignee_id IS NULL");
        break;
      case "mine":
        where.push("c.status IN ('open','pending') AND c.snoozed_until IS NULL AND c.assignee_id = @me");
        break;
      case "all_open":
        where.push("c.status IN ('open','pending') AND c.snoozed_until IS NULL");
        break;
      case "pending":
        where.push("c.status = 'pending' AND c.snoozed_until IS NULL");
        break;
      case "snoozed":
        where.push("c.snoozed_until IS NOT NULL");
        break;
      case "bot":
        where.push("c.status = 'bot'");
        break;
      case "closed":
        where.push("c.status = 'closed'");
        break;
    }
    const byWait = filter.view !== "bot" && filter.view !== "closed" && !dueView;
    // The snoozed view lists the next to wake first (its order key replaces the wait's).
    const waitKey = filter.view === "snoozed" ? "c.snoozed_until" : WAIT_KEY;
    // `label:Billing` or `label:"Sales lead"` in the search asks for a label by name (any case, by its key); the rest is searched as text.
    const { names: labelNames, rest: searchText } = labelTerms(filter.search ?? "");
    labelNames.forEach((name, i) => {
      where.push(`c.id IN (SELECT cl.conversation_id FROM conversation_labels cl JOIN labels l ON l.id = cl.label_id WHERE l.name_key = @labelKey${i})`);
      args[`labelKey${i}`] = nameKey(name);
    });
    const search = ftsQuery(searchText);
    if (search !== undefined) {
      where.push(
        `(c.id IN (SELECT m.conversation_id FROM messages_fts f JOIN messages m ON m.id = f.rowid WHERE messages_fts MATCH @search)
          OR c.contact_id IN (SELECT s.contact_id FROM contacts_fts s WHERE contacts_fts MATCH @search))`,
      );
      args.search = search;
    }
    if (cursor !== undefined && !dueView) {
      where.push(byWait ? `(${waitKey}, c.id) > (@cursorKey, @cursorId)` : "(c.last_activity_at, c.id) < (@cursorKey, @cursorId)");
      args.cursorKey = cursor.key;
      args.cursorId = cursor.id;
    }
    const order = byWait ? `${waitKey}, c.id` : "c.last_activity_at DESC, c.id DESC";
    // Bot and closed conversations pile up (most of the table): walk them newest first along
    // (status, last_activity_at) and stop at the page's end, instead of sorting them all. The
    // planner, left alone, may pick another index and sort 100k rows.
    const from = byWait ? "conversations c" : "conversations c INDEXED BY conversations_status_activity";
    let dueScan = dueCounted;
    let keys: Array<{ id: string; k: number }>;
    if (dueView) {
      // The whole (bounded) set, most overdue first; a page is the part after the cursor's (due, id).
      // A search or a label term narrows the scan itself; otherwise the counts' scan serves.
      if (where.length > 1) dueScan = scanDue(prepare, { where: where.join(" AND "), args, now, soon: true, hours: pageHours });
      const level = filter.view === "overdue" ? "overdue" : "soon";
      keys = dueScan.waits
        .filter((w) => w.level === level)
        .map((w) => ({ id: w.id, k: w.owed.dueAt }))
        .filter((w) => cursor === undefined || w.k > cursor.key || (w.k === cursor.key && w.id > cursor.id))
        .slice(0, limit + 1);
    } else {
      keys = prepare(
        `SELECT c.id, ${byWait ? waitKey : "c.last_activity_at"} AS k FROM ${from} WHERE ${where.join(" AND ")} ORDER BY ${order} LIMIT @limit`,
      ).all({ ...args, limit: limit + 1 }) as Array<{ id: string; k: number }>;
    }
    const page = keys.slice(0, limit);
    const rows = page.length === 0
      ? []
      : (prepare(`${SUMMARY_SELECT} WHERE c.id IN (${page.map((_, i) => `@id${i}`).join(", ")})`).all({
          me: actor.id,
          ...Object.fromEntries(page.map((k, i) => [`id${i}`, k.id])),
        }) as SummaryRow[]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const last = page[page.length - 1];
    const dueCount = (level: "overdue" | "soon") => dueCounted.waits.filter((w) => w.level === level).length;
    // The page's queued conversations' teams, by the hours read with the rows (the workspace's calendar at most once, for a team that follows it).
    const queueTeams = queueTeamsAt(
      prepare,
      rows.flatMap((r) => (r.queued_at !== null && r.team_id !== null ? [{ id: r.team_id, hours: r.team_hours }] : [])),
      now,
    );
    const held = languageWaitsAt(prepare, rows.map(waitingRow), now);
    return {
      view: filter.view,
      conversations: page.map((k) => byId.get(k.id)).filter((r): r is SummaryRow => r !== undefined).map((r) => toSummary(r, pageHours)),
      closedTeams: queueTeams.closed,
      languageWaits: held.waits,
      queueChangesAt: earliest(queueTeams.changesAt, held.changesAt),
      nextCursor: keys.length > limit && last ? encodeCursor(last.k, last.id) : null,
      counts: {
        unassigned: countsRow.unassigned!,
        mine: countsRow.mine!,
        all_open: countsRow.all_open!,
        overdue: dueCount("overdue"),
        due_soon: dueCount("soon"),
        pending: countsRow.pending!,
        snoozed: countsRow.snoozed!,
        bot: countsRow.bot!,
      },
      unread: { unassigned: countsRow.unread_unassigned!, mine: countsRow.unread_mine!, all_open: countsRow.unread_all_open! },
      dueScanCap: (dueView ? dueScan.truncated : dueCounted.truncated) ? DUE_SCAN_LIMIT : null,
    };
  });

  const getThread: InboxShape["getThread"] = Effect.fn("Inbox.getThread")(function* (conversationId, actor) {
    yield* conversationFor(prepare, actor, conversationId);
    const row = summaryOf(actor.id, conversationId)!;
    const messages = prepare(
      `SELECT * FROM (${THREAD_MESSAGE_SELECT} WHERE m.conversation_id = ? ORDER BY m.id DESC LIMIT ?) ORDER BY id`,
    ).all(conversationId, MAX_THREAD_MESSAGES + 1) as ThreadMessageRow[];
    const truncated = messages.length > MAX_THREAD_MESSAGES;
    const visitorRow =
      row.visitor_id === null
        ? undefined
        : (prepare(
            "SELECT id, last_page_url, device, language, user_agent, first_seen_at, last_seen_at, attributes FROM visitors WHERE id = ?",
          ).get(row.visitor_id) as
            | {
                id: string;
                last_page_url: string | null;
                device: string | null;
                language: string | null;
                user_agent: string | null;
                first_seen_at: number;
                last_seen_at: number;
                attributes: string;
              }
            | undefined);
    const contact = row.contact_id === null ? null : (readContact(prepare, row.contact_id) ?? null);
    // Queued for a team: its hours came with the row; only a team that follows the workspace's reads that calendar.
    const now = wallClock.now();
    const queueTeams = row.queued_at !== null && row.team_id !== null ? queueTeamsAt(prepare, [{ id: row.team_id, hours: row.team_hours }], now) : undefined;
    const held = row.queued_at !== null ? languageWaitsAt(prepare, [waitingRow(row)], now) : undefined;
    return {
      conversation: {
        ...toSummary(row, targetHoursReader(prepare)),
        handedOffAt: row.handed_off_at,
        pageUrl: row.page_url,
        chatflow: row.chatflow_id === null ? null : { id: row.chatflow_id, name: row.chatflow_name ?? "" },
        teamClosed: queueTeams?.closed[row.team_id!] ?? null,
        languageWait: held?.waits[row.id] ?? null,
        queueChangesAt: earliest(queueTeams?.changesAt ?? null, held?.changesAt ?? null),
      },
      messages: withClosedTeamNames(prepare, (truncated ? messages.slice(1) : messages).map(toThreadMessage)),
      truncated,
      visitor: visitorRow
        ? {
            id: visitorRow.id,
            currentPage: visitorRow.last_page_url,
            device: visitorRow.device,
            language: visitorRow.language,
            userAgent: visitorRow.user_agent,
            firstSeenAt: visitorRow.first_seen_at,
            lastSeenAt: visitorRow.last_seen_at,
            attributes: parseProperties(visitorRow.attributes),
          }
        : null,
      contact,
      lastReadMessageId: row.last_read_message_id ?? 0,
    };
  });

  const readMessage = (id: string): ThreadMessage =>
    toThreadMessage(prepare(`${THREAD_MESSAGE_SELECT} WHERE m.id = ?`).get(Number(id)) as ThreadMessageRow);

  const markReadNow = (conversationId: string, userId: string, messageId: number) =>
    db.writeEffect(() =>
      prepare(
        `INSERT INTO conversation_reads (user_id, conversation_id, last_read_message_id, read_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (user_id, conversation_id) DO UPDATE SET
           last_read_message_id = MAX(last_read_message_id, excluded.last_read_message_id), read_at = excluded.read_at`,
      ).run(userId, conversationId, messageId, wallClock.now()),
    );

  const reply: InboxShape["reply"] = Effect.fn("Inbox.reply")(function* (input, actor) {
    yield* conversationFor(prepare, actor, input.conversationId);
    const files = input.files ?? [];
    let attachments: ReadonlyArray<AttachmentRow> = [];
    if (files.length > 0) {
      // Every way out carries files now (the widget lists a chat reply's and the visitor downloads them
      // with their token); each is held to its own limits (Messenger's Send API caps each file).
      const row = prepare(
        `SELECT ch.kind, c.reply_by_email FROM conversations c JOIN channels ch ON ch.id = c.channel_id WHERE c.id = ?`,
      ).get(input.conversationId) as { kind: string; reply_by_email: number } | undefined;
      // The summary's replyVia rule: a Messenger channel answers on Messenger, an email channel or a reply_by_email conversation by email.
      const via = row?.kind === "messenger" ? "messenger" : row?.kind === "email" || row?.reply_by_email === 1 ? "email" : "chat";
      const limits = attachmentReplyLimitsFor(via);
      if (limits === null) return yield* Effect.fail(invalid("files", "files cannot be attached to a reply that goes this way"));
      const refusal = attachmentReplyRefusal(
        files.map((f) => ({ name: f.filename ?? "", size: f.content.length })),
        limits,
      );
      if (refusal !== null) return yield* Effect.fail(invalid(refusal.path, refusal.message));
      attachments = attachmentReplyRows(files).rows;
    }
    const rule = yield* actingRule;
    const sent = yield* engine.replyAsAgent({
      conversationId: input.conversationId,
      userId: actor.id,
      text: input.text,
      clientMessageId: input.clientMessageId,
      ...(attachments.length > 0 ? { attachments } : {}),
      ...(rule !== null ? { rule } : {}),
    });
    // In an email or Messenger conversation the reply waits in the outbox (written with it):
    // send it now rather than at the loop's next tick. A chat reply has no row; the pass finds nothing.
    deliveries.wake();
    // Whoever answers has read what they answered.
    yield* Effect.orDie(markReadNow(input.conversationId, actor.id, Number(sent.id)));
    return readMessage(sent.id);
  });

  const retryDelivery: InboxShape["retryDelivery"] = Effect.fn("Inbox.retryDelivery")(function* (conversationId, messageId, actor) {
    yield* conversationFor(prepare, actor, conversationId);
    const id = /^[1-9][0-9]{0,15}$/.test(messageId) ? Number(messageId) : NaN;
    if (!Number.isSafeInteger(id)) return yield* Effect.fail(invalid("messageId", "a message id is a whole number from 1"));
    const row = prepare(
      `SELECT m.id, m.author, m.is_internal, d.status FROM messages m LEFT JOIN deliveries d ON d.message_id = m.id
        WHERE m.id = ? AND m.conversation_id = ?`,
    ).get(id, conversationId) as { id: number; author: string; is_internal: number; status: DeliveryState | null } | undefined;
    if (row === undefined) return yield* Effect.fail(new NotFound({ entity: "message", id: messageId }));
    if (row.status !== "failed") {
      return yield* Effect.fail(
        new Conflict({
          message:
            row.status === "sent"
              ? "This message was sent already; there is nothing to retry."
              : row.status === "pending"
                ? "This message is still being sent; it can be retried only if it fails."
                : "Only a reply that could not be delivered can be retried; this message was not sent through an outside channel.",
        }),
      );
    }
    // Deliveries.retry queues it again only while it is still failed (one retry when two agents click), and wakes the outbox.
    yield* deliveries.retry(conversationId, id).pipe(
      Effect.catchTag("NotFound", () => Effect.fail(new Conflict({ message: "Someone retried this message a moment ago; it is being sent." }))),
    );
  });

  const mentionablesOf = (inboxId: string) =>
    (
      prepare(
        `SELECT u.id, u.name, u.display_name, u.email FROM users u
         WHERE u.disabled_at IS NULL AND (u.role = 'admin'
           OR (u.role = 'agent' AND EXISTS (SELECT 1 FROM inbox_members m WHERE m.inbox_id = ? AND m.user_id = u.id)))
         ORDER BY u.name COLLATE NOCASE`,
      ).all(inboxId) as Array<{ id: string; name: string; display_name: string | null; email: string }>
    ).map((u) => ({ id: u.id, name: u.name, displayName: u.display_name, email: u.email }));

  const comment: InboxShape["comment"] = Effect.fn("Inbox.comment")(function* (input, actor) {
    const row = yield* conversationFor(prepare, actor, input.conversationId);
    const rule = yield* actingRule;
    const sent = yield* engine.replyAsAgent({
      conversationId: input.conversationId,
      userId: actor.id,
      text: input.text,
      clientMessageId: input.clientMessageId,
      internal: true,
      ...(rule !== null ? { rule } : {}),
    });
    const message = readMessage(sent.id);
    const mentioned = parseMentions(input.text, mentionablesOf(row.inbox_id)).filter((p) => p.id !== actor.id);
    yield* Effect.orDie(markReadNow(input.conversationId, actor.id, Number(sent.id)));
    if (mentioned.length > 0 && !notified.has(sent.id)) {
      notified.add(sent.id);
      if (notified.size > 5000) notified.delete(notified.values().next().value as string);
      const now = wallClock.now();
      yield* Effect.orDie(
        db.writeEffect(() => {
          for (const person of mentioned) {
            logConversationEvent(prepare, "mentioned", row, now, { userId: person.id, data: { by: actor.id, messageId: Number(sent.id) } });
          }
        }),
      );
      yield* live.publish({
        conversationId: row.id,
        inboxId: row.inbox_id,
        kind: "conversation",
        internal: true,
        data: {
          change: "mention",
          userIds: mentioned.map((p) => p.id),
          by: { id: actor.id, name: message.authorName ?? "" },
          messageId: sent.id,
          text: message.text.slice(0, 200),
        },
      });
    }
    return { message, mentioned: mentioned.map((p) => ({ id: p.id, name: p.displayName ?? p.name })) };
  });

  /**
   * Writes a status change at `expectedVersion`; a request for what already is (a double click)
   * is no conflict. `move` names the change: reopen (closed → open), markOpen (pending → open),
   * markPending (open → pending) or close (from any other status).
   */
  const changeStatus = (conversationId: string, expectedVersion: number, actor: Actor, move: StatusMove) =>
    Effect.gen(function* () {
      const { to } = STATUS_MOVES[move];
      // Who may touch it is decided before what they sent: a stranger gets 403, not a lesson in versions.
      const before = yield* conversationFor(prepare, actor, conversationId);
      yield* validVersion(expectedVersion);
      if (before.status === to) return { changed: false, row: before };
      const refusal = statusRefusal(move, before.status as ConversationStatus);
      if (refusal !== null) return yield* Effect.fail(new Conflict({ message: refusal }));
      const now = wallClock.now();
      const rule = yield* actingRule;
      const outcome = yield* db
        .writeEffect(() => {
          const current = prepare("SELECT status, version FROM conversations WHERE id = ?").get(conversationId) as { status: string; version: number };
          if (current.status === to) return { changed: false };
          if (current.version !== expectedVersion) throw new StaleVersion(current);
          if (to === "closed") {
            prepare(
              `UPDATE conversations SET status = 'closed', closed_at = ?, waiting_since = NULL, unassigned_since = NULL, updated_at = ?, last_activity_at = ?,
                 version = version + 1 WHERE id = ?`,
            ).run(now, now, now, conversationId);
          } else if (to === "pending") {
            // The team has done its part: nobody owes the visitor an answer until they write again.
            // `pending_since` starts the pending spell a time-based automation rule watches (migration 39).
            prepare(
              `UPDATE conversations SET status = 'pending', pending_since = ?, waiting_since = NULL, updated_at = ?, last_activity_at = ?, version = version + 1,
                 unassigned_since = ${unassignedSinceAfter("'pending'", "assignee_id", "?")}
                WHERE id = ?`,
            ).run(now, now, now, now, conversationId);
          } else {
            prepare(
              `UPDATE conversations SET status = 'open', closed_at = NULL, updated_at = ?, last_activity_at = ?, version = version + 1,
                 unassigned_since = ${unassignedSinceAfter("'open'", "assignee_id", "?")} WHERE id = ?`,
            ).run(now, now, now, conversationId);
          }
          logConversationEvent(prepare, "status_changed", before, now, { userId: actor.id, data: withRule({ from: current.status, to, by: actor.id }, rule) });
          // Nobody on the team saw a rule do it: the thread says which rule (decision 044).
          if (rule !== null) ruleLineInWrite(prepare, conversationId, ruleLine(statusChangeWords(current.status, to), rule), rule, now);
          return { changed: true, from: current.status };
        })
        .pipe(
          Effect.catchTag("WriteFailed", (failed) =>
            failed.cause instanceof StaleVersion
              ? Effect.fail(
                  new Conflict({
                    message: "Someone else changed this conversation first. It has been reloaded: check it and try again.",
                    current: failed.cause.current,
                  }),
                )
              : Effect.die(failed.cause),
          ),
        );
      if (outcome.changed) {
        const data = { status: to, from: outcome.from, by: actor.id };
        yield* live.publish({ conversationId, inboxId: before.inbox_id, kind: "status", data });
        yield* live.publish({ conversationId, inboxId: before.inbox_id, kind: "conversation", data: { ...data, created: false } });
        // Closing frees the assignee, maybe for a conversation waiting in the queue.
        if (to === "closed" && before.assignee_id !== null) yield* routing.drainQueue(before.inbox_id);
      }
      return { changed: outcome.changed, row: before };
    });

  const summaryAfter = (conversationId: string, actor: Actor) => toSummary(summaryOf(actor.id, conversationId)!, targetHoursReader(prepare));

  const close: InboxShape["close"] = Effect.fn("Inbox.close")(function* (conversationId, expectedVersion, actor) {
    yield* changeStatus(conversationId, expectedVersion, actor, "close");
    return summaryAfter(conversationId, actor);
  });

  const reopen: InboxShape["reopen"] = Effect.fn("Inbox.reopen")(function* (conversationId, expectedVersion, actor) {
    yield* changeStatus(conversationId, expectedVersion, actor, "reopen");
    return summaryAfter(conversationId, actor);
  });

  const markPending: InboxShape["markPending"] = Effect.fn("Inbox.markPending")(function* (conversationId, expectedVersion, actor) {
    yield* changeStatus(conversationId, expectedVersion, actor, "markPending");
    return summaryAfter(conversationId, actor);
  });

  const markOpen: InboxShape["markOpen"] = Effect.fn("Inbox.markOpen")(function* (conversationId, expectedVersion, actor) {
    yield* changeStatus(conversationId, expectedVersion, actor, "markOpen");
    return summaryAfter(conversationId, actor);
  });

  const assign: InboxShape["assign"] = Effect.fn("Inbox.assign")(function* (conversationId, change, expectedVersion, actor) {
    yield* conversationFor(prepare, actor, conversationId);
    yield* validVersion(expectedVersion);
    yield* routing.assign(conversationId, change, actor.id, expectedVersion);
    return summaryAfter(conversationId, actor);
  });

  const markRead: InboxShape["markRead"] = Effect.fn("Inbox.markRead")(function* (conversationId, actor, messageId) {
    yield* conversationFor(prepare, actor, conversationId);
    const newest = (prepare("SELECT MAX(id) AS id FROM messages WHERE conversation_id = ?").get(conversationId) as { id: number | null }).id ?? 0;
    const upTo = messageId === undefined ? newest : Math.min(messageId, newest);
    if (upTo <= 0) return;
    const current = prepare("SELECT last_read_message_id FROM conversation_reads WHERE user_id = ? AND conversation_id = ?").get(
      actor.id,
      conversationId,
    ) as { last_read_message_id: number } | undefined;
    // Opening a thread reads it on every live update; a write only when the mark moves.
    if (current && current.last_read_message_id >= upTo) return;
    yield* Effect.orDie(markReadNow(conversationId, actor.id, upTo));
  });

  const setTyping: InboxShape["setTyping"] = Effect.fn("Inbox.setTyping")(function* (conversationId, typing, internal, actor) {
    const row = yield* conversationFor(prepare, actor, conversationId);
    const user = prepare("SELECT COALESCE(display_name, name) AS name FROM users WHERE id = ?").get(actor.id) as { name: string } | undefined;
    yield* live.publish({
      conversationId,
      inboxId: row.inbox_id,
      kind: "typing",
      // A comment being written is the team's business only.
      internal,
      data: { typing, author: "agent", userId: actor.id, name: user?.name ?? "", internal },
    });
  });

  const options: InboxShape["options"] = Effect.fn("Inbox.options")(function* (actor) {
    yield* requireWorker(actor);
    const visible = visibleInboxIds(prepare, actor);
    const inboxes = (prepare("SELECT id, name FROM inboxes ORDER BY name COLLATE NOCASE").all() as Named[]).filter(
      (i) => visible === "all" || visible.includes(i.id),
    );
    const ids = new Set(inboxes.map((i) => i.id));
    const channels = (
      prepare("SELECT id, name, kind, inbox_id FROM channels ORDER BY name COLLATE NOCASE").all() as Array<{
        id: string;
        name: string;
        kind: string;
        inbox_id: string;
      }>
    )
      .filter((c) => ids.has(c.inbox_id))
      .map((c) => ({ id: c.id, name: c.name, kind: c.kind, inboxId: c.inbox_id }));
    const teams = prepare("SELECT id, name FROM teams ORDER BY name COLLATE NOCASE").all() as Named[];
    // Each person's inboxes, grouped once: a filter of every membership per person was quadratic
    // (3,000 agents in one inbox: ~9 million comparisons per inbox page).
    const inboxIdsOf = new Map<string, string[]>();
    for (const m of prepare("SELECT inbox_id, user_id FROM inbox_members").all() as Array<{ inbox_id: string; user_id: string }>) {
      const list = inboxIdsOf.get(m.user_id);
      if (list === undefined) inboxIdsOf.set(m.user_id, [m.inbox_id]);
      else list.push(m.inbox_id);
    }
    const people = (
      prepare(
        `SELECT id, COALESCE(display_name, name) AS name, role, availability FROM users
         WHERE disabled_at IS NULL AND role IN ('admin', 'agent') ORDER BY name COLLATE NOCASE`,
      ).all() as Array<{ id: string; name: string; role: string; availability: "available" | "away" }>
    )
      .map((u) => ({
        ...u,
        inboxIds: u.role === "admin" ? ("all" as const) : (inboxIdsOf.get(u.id) ?? []),
      }))
      .filter((u) => u.inboxIds === "all" || u.inboxIds.some((id) => ids.has(id)));
    return { inboxes, channels, teams, people, labels: allLabelChips(prepare) };
  });

  // Every feed hears every event a bot turn publishes (~4 per visitor message), so what a feed
  // pays per event is paid once per watching agent: the view of an event is built once for all
  // of them (and `inboxEventFrame` frames it once), and with many agents watching, the inbox's
  // members are read once per event instead of one membership read per agent.
  const views = new WeakMap<LiveEvent, InboxEvent>();
  const viewOf = (event: LiveEvent): InboxEvent => {
    let view = views.get(event);
    if (view === undefined) {
      view = {
        kind: event.kind,
        conversationId: event.conversationId,
        inboxId: event.inboxId,
        ...(event.id !== undefined ? { id: event.id } : {}),
        ...(event.internal !== undefined ? { internal: event.internal } : {}),
        ...(event.bot === true ? { bot: true } : {}),
        data: event.data,
      };
      views.set(event, view);
    }
    return view;
  };
  let agentsWatching = 0;
  let membersOfEvent: { readonly event: LiveEvent; readonly members: ReadonlySet<string> } | undefined;
  const mayHear = (actor: Actor, event: LiveEvent): boolean => {
    if (actor.role !== "agent" || agentsWatching < MEMBERS_READ_FROM) return canOpenInbox(prepare, actor, event.inboxId);
    if (membersOfEvent?.event !== event) {
      const members = prepare("SELECT user_id FROM inbox_members WHERE inbox_id = ?").pluck().all(event.inboxId) as string[];
      membersOfEvent = { event, members: new Set(members) };
    }
    return membersOfEvent.members.has(actor.id);
  };

  const watch: InboxShape["watch"] = (actor, listener, options) =>
    Effect.map(requireWorker(actor), () => {
      const agent = actor.role === "agent";
      const hearBot = options?.hearBot;
      if (agent) agentsWatching++;
      const unsubscribe = live.subscribeAll((event) => {
        if (event.bot === true && hearBot !== undefined && !hearBot(event.conversationId)) return;
        if (mayHear(actor, event)) listener(viewOf(event));
      });
      let stopped = false;
      return () => {
        if (stopped) return;
        stopped = true;
        if (agent) agentsWatching--;
        unsubscribe();
      };
    });

  const checkAccess: InboxShape["checkAccess"] = (conversationId, actor) => Effect.asVoid(conversationFor(prepare, actor, conversationId));

  return {
    checkAccess,
    listConversations,
    getThread,
    reply,
    comment,
    close,
    reopen,
    markPending,
    markOpen,
    assign,
    markRead,
    setTyping,
    options,
    retryDelivery,
    watch,
  };
};

/**
 * The Inbox service over the app's Database, LiveEvents, Engine, Routing and outbox (Deliveries):
 * the caller provides the one outbox whose loop runs and whose senders the channels registered,
 * so a reply's `wake()` reaches that loop.
 */
export const layer: Layer.Layer<Inbox, never, Database | LiveEvents | Engine | Routing | Deliveries> = Layer.effect(
  Inbox,
  Effect.gen(function* () {
    return makeInbox({
      db: yield* Database,
      live: yield* LiveEvents,
      engine: yield* Engine,
      routing: yield* Routing,
      deliveries: yield* Deliveries,
    });
  }),
);

/** The access row type, re-exported for routes that only need to know a conversation exists. */
export type { ConversationAccessRow };
