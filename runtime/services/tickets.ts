/**
 * Tickets: tracked requests created from a conversation (subject, a description prefilled with
 * an excerpt of the transcript, priority, status), listed with filters, and moved through
 * new → waiting on contact / waiting on us → closed. A ticket has an assignee (someone who may
 * work in its inbox), internal notes, and a timeline of what changed. Agents see the tickets of
 * their inboxes, admins all. Every creation and change is written to the events log with who did
 * it, and to the ticket's activity in the same transaction. Changes carry the version they were
 * made on: a stale one is a Conflict, as for conversations, so two agents never overwrite each
 * other unseen.
 */
import { Context, Effect, Layer, Schema as S } from "effect";
import * as wallClock from "./clock.js";
import { Database, type DatabaseShape, type WriteFailed } from "./database.js";
import { Conflict, Forbidden, InvalidInput, NotFound } from "./errors.js";
import { newId } from "./ids.js";
import {
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
  ListLimit,
  ListSearch,
  worksInInboxes,
  type Actor,
} from "./inbox-access.js";
import { userCanAccessInbox } from "./routing.js";

export const ticketStatuses = ["new", "waiting_on_contact", "waiting_on_us", "closed"] as const;
export type TicketStatus = (typeof ticketStatuses)[number];
export const ticketPriorities = ["low", "normal", "high", "urgent"] as const;
export type TicketPriority = (typeof ticketPriorities)[number];

const oneOf = <const T extends string>(values: ReadonlyArray<T>) =>
  S.String.pipe(
    S.filter((value): value is T => (values as ReadonlyArray<string>).includes(value), {
      message: () => `expected one of ${values.join(", ")}`,
    }),
  );

export const TicketStatusSchema = oneOf(ticketStatuses);
export const TicketPrioritySchema = oneOf(ticketPriorities);

export const MAX_SUBJECT = 200;
export const MAX_DESCRIPTION = 10_000;

/** A ticket to create from a conversation. */
export const NewTicket = S.Struct({
  subject: S.Trim.pipe(
    S.minLength(1, { message: () => "enter a subject" }),
    S.maxLength(MAX_SUBJECT, { message: () => `a subject is at most ${MAX_SUBJECT} characters` }),
  ),
  description: S.optionalWith(
    S.String.pipe(S.maxLength(MAX_DESCRIPTION, { message: () => `a description is at most ${MAX_DESCRIPTION.toLocaleString("en")} characters` })),
    { default: () => "" },
  ),
  priority: S.optionalWith(TicketPrioritySchema, { default: () => "normal" as const }),
  status: S.optionalWith(TicketStatusSchema, { default: () => "new" as const }),
});
export type NewTicket = typeof NewTicket.Type;

export const MAX_NOTE = 4_000;

/** The version a change was made on: a number, or its digits as a form sends them. */
const ExpectedVersion = S.Union(S.Number, S.NumberFromString).pipe(
  S.int({ message: () => "the ticket's version is a whole number from 1" }),
  S.greaterThanOrEqualTo(1, { message: () => "the ticket's version is a whole number from 1" }),
);

/** A change of status and/or priority, made on the ticket's `version`. */
export const TicketUpdate = S.Struct({
  status: S.optional(TicketStatusSchema),
  priority: S.optional(TicketPrioritySchema),
  version: ExpectedVersion,
});

/** A new assignee (a user id; null or "" unassigns), chosen on the ticket's `version`. */
export const TicketAssignment = S.Struct({
  assigneeId: S.NullOr(S.String.pipe(S.maxLength(100, { message: () => "no such user" }))),
  version: ExpectedVersion,
});

/** An internal note on a ticket. */
export const TicketNote = S.Struct({
  text: S.Trim.pipe(
    S.minLength(1, { message: () => "write a note first" }),
    S.maxLength(MAX_NOTE, { message: () => `a note is at most ${MAX_NOTE.toLocaleString("en")} characters` }),
  ),
});

/** The list's filters, as they come from a query string (every field optional). */
export const TicketFilter = S.Struct({
  status: S.optional(S.Union(TicketStatusSchema, S.Literal("open"))),
  priority: S.optional(TicketPrioritySchema),
  inboxId: S.optional(S.String),
  /** "me", "unassigned", or a user id. */
  assignee: S.optional(S.String.pipe(S.maxLength(100, { message: () => "an assignee is me, unassigned or a user id" }))),
  contactId: S.optional(S.String),
  search: S.optional(ListSearch),
  limit: S.optional(ListLimit),
  cursor: S.optional(S.String),
});
export type TicketFilter = typeof TicketFilter.Type;

export interface Ticket {
  readonly id: string;
  readonly inboxId: string;
  readonly inboxName: string;
  readonly conversationId: string | null;
  readonly contact: { readonly id: string; readonly name: string | null; readonly email: string | null } | null;
  readonly subject: string;
  readonly description: string;
  readonly priority: TicketPriority;
  readonly status: TicketStatus;
  readonly createdBy: { readonly id: string; readonly name: string } | null;
  readonly assignee: { readonly id: string; readonly name: string } | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Pass back with a change; it moves on with every change of status, priority or assignee. */
  readonly version: number;
}

export const ticketActivityKinds = ["created", "note", "status", "priority", "assignee"] as const;
export type TicketActivityKind = (typeof ticketActivityKinds)[number];

/** One entry of a ticket's timeline. */
export interface TicketActivity {
  /** 0 for a 'created' entry derived from the ticket (tickets the bot or a visitor's message made). */
  readonly id: number;
  readonly at: number;
  readonly kind: TicketActivityKind;
  /** Who did it; null for the bot or a visitor's message. */
  readonly user: { readonly id: string; readonly name: string } | null;
  /** A note's text; null for other kinds. */
  readonly text: string | null;
  /** The value before and after a change: a status, a priority, or an assignee (null = unassigned). */
  readonly from: ActivityValue | null;
  readonly to: ActivityValue | null;
}

/** A changed value; `name` is the person's name for an assignee, else the value itself. */
export interface ActivityValue {
  readonly value: string;
  readonly name: string;
}

export interface TicketTimeline {
  /** Oldest first, newest last. */
  readonly entries: ReadonlyArray<TicketActivity>;
  /** True when older entries were left out (more than `MAX_TIMELINE`). */
  readonly truncated: boolean;
}

export const MAX_TIMELINE = 500;

/** Someone a ticket can be assigned to. */
export interface TicketAssignee {
  readonly id: string;
  readonly name: string;
}

export interface TicketList {
  readonly tickets: ReadonlyArray<Ticket>;
  /** Pass as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
  /** Tickets per status among the actor's inboxes (ignoring the status filter). */
  readonly counts: Readonly<Record<TicketStatus, number>>;
}

export interface TicketsShape {
  /** A subject and description (an excerpt of the transcript) to prefill the form with. */
  readonly draftFromConversation: (
    actor: Actor,
    conversationId: string,
  ) => Effect.Effect<{ readonly subject: string; readonly description: string }, NotFound | Forbidden>;
  /** Creates a ticket from a conversation (decoded by `NewTicket`); it belongs to the conversation's inbox and contact. */
  readonly createFromConversation: (
    actor: Actor,
    conversationId: string,
    input: unknown,
  ) => Effect.Effect<Ticket, InvalidInput | NotFound | Forbidden>;
  /** The actor's tickets, newest first, filtered (decoded by `TicketFilter`). */
  readonly list: (actor: Actor, filter: unknown) => Effect.Effect<TicketList, InvalidInput | Forbidden>;
  /** One ticket the actor may see. */
  readonly get: (actor: Actor, ticketId: string) => Effect.Effect<Ticket, NotFound | Forbidden>;
  /** Changes status and/or priority (decoded by `TicketUpdate`), with an activity entry per change; Conflict when the version is stale. */
  readonly update: (
    actor: Actor,
    ticketId: string,
    input: unknown,
  ) => Effect.Effect<Ticket, InvalidInput | NotFound | Forbidden | Conflict>;
  /** Assigns or unassigns (decoded by `TicketAssignment`): only to someone enabled who may work in the ticket's inbox; Conflict when stale. */
  readonly assign: (
    actor: Actor,
    ticketId: string,
    input: unknown,
  ) => Effect.Effect<Ticket, InvalidInput | NotFound | Forbidden | Conflict>;
  /** Adds an internal note (decoded by `TicketNote`) to the ticket's timeline. */
  readonly addNote: (actor: Actor, ticketId: string, input: unknown) => Effect.Effect<TicketActivity, InvalidInput | NotFound | Forbidden>;
  /** The ticket's timeline, newest last; a ticket without a 'created' entry gets one derived from its creation. */
  readonly timeline: (actor: Actor, ticketId: string) => Effect.Effect<TicketTimeline, NotFound | Forbidden>;
  /** Who the ticket can be assigned to: enabled admins and the agents of its inbox, by name. */
  readonly assignees: (actor: Actor, ticketId: string) => Effect.Effect<ReadonlyArray<TicketAssignee>, NotFound | Forbidden>;
}

export class Tickets extends Context.Tag("Tickets")<Tickets, TicketsShape>() {}

// ---------------------------------------------------------------------------------------------

interface TicketRow {
  readonly id: string;
  readonly inbox_id: string;
  readonly inbox_name: string;
  readonly conversation_id: string | null;
  readonly contact_id: string | null;
  readonly contact_name: string | null;
  readonly contact_email: string | null;
  readonly subject: string;
  readonly description: string;
  readonly priority: TicketPriority;
  readonly status: TicketStatus;
  readonly created_by: string | null;
  readonly creator_name: string | null;
  readonly assignee_id: string | null;
  readonly assignee_name: string | null;
  readonly created_at: number;
  readonly updated_at: number;
  readonly version: number;
}

const TICKET_SELECT = `SELECT t.id, t.inbox_id, i.name AS inbox_name, t.conversation_id, t.contact_id, c.name AS contact_name,
  c.email AS contact_email, t.subject, t.description, t.priority, t.status, t.created_by,
  COALESCE(u.display_name, u.name) AS creator_name, t.assignee_id, COALESCE(a.display_name, a.name) AS assignee_name,
  t.created_at, t.updated_at, t.version
  FROM tickets t JOIN inboxes i ON i.id = t.inbox_id
  LEFT JOIN contacts c ON c.id = t.contact_id LEFT JOIN users u ON u.id = t.created_by
  LEFT JOIN users a ON a.id = t.assignee_id`;

const toTicket = (row: TicketRow): Ticket => ({
  id: row.id,
  inboxId: row.inbox_id,
  inboxName: row.inbox_name,
  conversationId: row.conversation_id,
  contact: row.contact_id === null ? null : { id: row.contact_id, name: row.contact_name, email: row.contact_email },
  subject: row.subject,
  description: row.description,
  priority: row.priority,
  status: row.status,
  createdBy: row.created_by === null ? null : { id: row.created_by, name: row.creator_name ?? "" },
  assignee: row.assignee_id === null ? null : { id: row.assignee_id, name: row.assignee_name ?? "" },
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  version: row.version,
});

interface ActivityRow {
  readonly id: number;
  readonly at: number;
  readonly kind: TicketActivityKind;
  readonly user_id: string | null;
  readonly user_name: string | null;
  readonly text: string | null;
  readonly from_value: string | null;
  readonly to_value: string | null;
  readonly from_name: string | null;
  readonly to_name: string | null;
}

const ACTIVITY_SELECT = `SELECT a.id, a.at, a.kind, a.user_id, COALESCE(u.display_name, u.name) AS user_name, a.text, a.from_value, a.to_value,
  COALESCE(fu.display_name, fu.name) AS from_name, COALESCE(tu.display_name, tu.name) AS to_name
  FROM ticket_activity a LEFT JOIN users u ON u.id = a.user_id
  LEFT JOIN users fu ON a.kind = 'assignee' AND fu.id = a.from_value
  LEFT JOIN users tu ON a.kind = 'assignee' AND tu.id = a.to_value`;

const activityValue = (value: string | null, name: string | null): ActivityValue | null =>
  value === null ? null : { value, name: name ?? value };

const toActivity = (row: ActivityRow): TicketActivity => ({
  id: row.id,
  at: row.at,
  kind: row.kind,
  user: row.user_id === null ? null : { id: row.user_id, name: row.user_name ?? "" },
  text: row.text,
  from: activityValue(row.from_value, row.from_name),
  to: activityValue(row.to_value, row.to_name),
});

/** A refusal decided inside a write (a stale version, a person who cannot be picked): the write rolls back. */
class Refused extends Error {
  constructor(readonly error: InvalidInput | Conflict) {
    super("refused");
  }
}

/** Runs a write whose function may throw `Refused`; that becomes the failure, anything else a defect. */
const refusable = <T>(write: Effect.Effect<T, WriteFailed>): Effect.Effect<T, InvalidInput | Conflict> =>
  Effect.catchTag(write, "WriteFailed", (failed) => (failed.cause instanceof Refused ? Effect.fail(failed.cause.error) : Effect.die(failed.cause)));

const staleMessage = "Someone else changed this ticket first. The page shows it as it is now: check it, then make your change again.";



/** One transcript line as the excerpt shows it. */
export interface ExcerptMessage {
  readonly author: "visitor" | "bot" | "agent" | "system";
  readonly authorName: string | null;
  readonly text: string;
}

const EXCERPT_MESSAGES = 12;
const EXCERPT_LINE = 300;

/**
 * The last messages of a transcript as plain lines ("Visitor: …", "Bot: …", "Alex: …"), each
 * cut at 300 characters, for a ticket's description. Pure.
 */
export const transcriptExcerpt = (messages: ReadonlyArray<ExcerptMessage>): string => {
  const recent = messages.slice(-EXCERPT_MESSAGES);
  const lines = recent.map((m) => {
    const who = m.author === "visitor" ? "Visitor" : m.author === "bot" ? "Bot" : m.author === "system" ? "Note" : (m.authorName ?? "Agent");
    const text = m.text.replace(/\s+/g, " ").trim();
    return `${who}: ${text.length > EXCERPT_LINE ? `${text.slice(0, EXCERPT_LINE - 1)}…` : text}`;
  });
  const omitted = messages.length - recent.length;
  return [omitted > 0 ? `(${omitted} earlier message${omitted === 1 ? "" : "s"} not shown)` : null, ...lines]
    .filter((l): l is string => l !== null)
    .join("\n");
};

/** A subject from the visitor's first words (at most 80 characters), or a generic one. Pure. */
export const subjectFrom = (firstVisitorText: string | undefined, who: string | null): string => {
  const text = firstVisitorText?.replace(/\s+/g, " ").trim() ?? "";
  if (text.length >= 8) return text.length > 80 ? `${text.slice(0, 79)}…` : text;
  return who ? `Request from ${who}` : "Request from a website visitor";
};

/** The Tickets service over an open database (exported for tests). */
export const makeTickets = (deps: { readonly db: DatabaseShape }): TicketsShape => {
  const { db } = deps;
  const prepare = db.prepare;

  const readTicket = (id: string) => prepare(`${TICKET_SELECT} WHERE t.id = ?`).get(id) as TicketRow | undefined;

  /** Appends one timeline entry (inside a write). */
  const addActivity = (
    ticketId: string,
    at: number,
    userId: string | null,
    kind: TicketActivityKind,
    text: string | null,
    from: string | null,
    to: string | null,
  ): number =>
    Number(
      prepare("INSERT INTO ticket_activity (ticket_id, at, user_id, kind, text, from_value, to_value) VALUES (?, ?, ?, ?, ?, ?, ?)").run(
        ticketId,
        at,
        userId,
        kind,
        text,
        from,
        to,
      ).lastInsertRowid,
    );

  /** Writes a change to the events log: on the ticket's conversation when it has one, else on its inbox (inside a write). */
  const logTicketEvent = (ticket: Ticket, userId: string, at: number, data: unknown) => {
    const conversation =
      ticket.conversationId === null
        ? undefined
        : (prepare("SELECT id, inbox_id, channel_id, chatflow_id, chatflow_version_id, is_preview FROM conversations WHERE id = ?").get(
            ticket.conversationId,
          ) as Parameters<typeof logConversationEvent>[2] | undefined);
    if (conversation) logConversationEvent(prepare, "ticket_updated", conversation, at, { userId, data });
    else {
      prepare("INSERT INTO events (type, at, user_id, inbox_id, data) VALUES ('ticket_updated', ?, ?, ?, ?)").run(
        at,
        userId,
        ticket.inboxId,
        JSON.stringify(data),
      );
    }
  };

  const draftFromConversation: TicketsShape["draftFromConversation"] = Effect.fn("Tickets.draftFromConversation")(
    function* (actor, conversationId) {
      const row = yield* conversationFor(prepare, actor, conversationId);
      const messages = (
        prepare(
          `SELECT * FROM (SELECT m.id, m.author, m.text, COALESCE(u.display_name, u.name) AS author_name FROM messages m
             LEFT JOIN users u ON u.id = m.user_id
           WHERE m.conversation_id = ? AND m.is_internal = 0 ORDER BY m.id DESC LIMIT 200) ORDER BY id`,
        ).all(row.id) as Array<{ author: ExcerptMessage["author"]; text: string; author_name: string | null }>
      ).map((m) => ({ author: m.author, text: m.text, authorName: m.author_name }));
      // What the visitor wrote in their own words: a clicked quick reply ("Talk to a person") says little.
      const firstVisitor = prepare(
        `SELECT text FROM messages WHERE conversation_id = ? AND author = 'visitor' AND is_internal = 0
         ORDER BY (payload IS NOT NULL AND json_extract(payload, '$.choiceIds') IS NOT NULL), id LIMIT 1`,
      ).get(row.id) as { text: string } | undefined;
      const contact =
        row.contact_id === null
          ? undefined
          : (prepare("SELECT name, email FROM contacts WHERE id = ?").get(row.contact_id) as { name: string | null; email: string | null } | undefined);
      return {
        subject: subjectFrom(firstVisitor?.text, contact?.name ?? contact?.email ?? null),
        description: transcriptExcerpt(messages),
      };
    },
  );

  const createFromConversation: TicketsShape["createFromConversation"] = Effect.fn("Tickets.createFromConversation")(
    function* (actor, conversationId, input) {
      const row = yield* conversationFor(prepare, actor, conversationId);
      const ticket = yield* decodeInput(NewTicket, input);
      const id = newId("tkt");
      const now = wallClock.now();
      yield* Effect.orDie(
        db.writeEffect(() => {
          prepare(
            `INSERT INTO tickets (id, inbox_id, conversation_id, contact_id, subject, description, priority, status, created_by, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          ).run(id, row.inbox_id, row.id, row.contact_id, ticket.subject, ticket.description, ticket.priority, ticket.status, actor.id, now, now);
          addActivity(id, now, actor.id, "created", null, null, null);
          logConversationEvent(prepare, "ticket_created", row, now, {
            userId: actor.id,
            data: { ticketId: id, subject: ticket.subject, priority: ticket.priority, status: ticket.status, via: "agent" },
          });
        }),
      );
      return toTicket(readTicket(id)!);
    },
  );

  const list: TicketsShape["list"] = Effect.fn("Tickets.list")(function* (actor, input) {
    if (!worksInInboxes(actor)) return yield* Effect.fail(new Forbidden({ message: "Your role cannot open tickets." }));
    const filter = yield* decodeInput(TicketFilter, input);
    const visible = visibleInboxIds(prepare, actor);
    const limit = filter.limit ?? 50;
    const where: string[] = [];
    const args: unknown[] = [];
    if (visible !== "all") {
      if (visible.length === 0) return { tickets: [], nextCursor: null, counts: { new: 0, waiting_on_contact: 0, waiting_on_us: 0, closed: 0 } };
      where.push(`t.inbox_id IN (${visible.map(() => "?").join(", ")})`);
      args.push(...visible);
    }
    if (filter.inboxId !== undefined && filter.inboxId !== "") {
      yield* requireInbox(prepare, actor, filter.inboxId, NOT_YOUR_INBOX);
      where.push("t.inbox_id = ?");
      args.push(filter.inboxId);
    }
    if (filter.assignee === "me") {
      where.push("t.assignee_id = ?");
      args.push(actor.id);
    } else if (filter.assignee === "unassigned") where.push("t.assignee_id IS NULL");
    else if (filter.assignee !== undefined && filter.assignee !== "") {
      where.push("t.assignee_id = ?");
      args.push(filter.assignee);
    }
    if (filter.contactId !== undefined && filter.contactId !== "") {
      where.push("t.contact_id = ?");
      args.push(filter.contactId);
    }
    if (filter.priority !== undefined) {
      where.push("t.priority = ?");
      args.push(filter.priority);
    }
    const search = filter.search === undefined ? undefined : ftsQuery(filter.search);
    if (search !== undefined) {
      // Subject words, or the contact's name / email / phone.
      where.push(
        `(t.subject LIKE ? ESCAPE '\\' OR t.contact_id IN (SELECT contact_id FROM contacts_fts WHERE contacts_fts MATCH ?))`,
      );
      args.push(`%${filter.search!.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`, search);
    }
    const countWhere = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
    const countRows = prepare(`SELECT t.status, COUNT(*) AS n FROM tickets t ${countWhere} GROUP BY t.status`).all(...args) as Array<{
      status: TicketStatus;
      n: number;
    }>;
    const counts = { new: 0, waiting_on_contact: 0, waiting_on_us: 0, closed: 0 };
    for (const r of countRows) counts[r.status] = r.n;

    if (filter.status === "open") where.push("t.status <> 'closed'");
    else if (filter.status !== undefined) {
      where.push("t.status = ?");
      args.push(filter.status);
    }
    if (filter.cursor !== undefined && filter.cursor !== "") {
      const cursor = decodeCursor(filter.cursor);
      if (!cursor || typeof cursor.key !== "number") return yield* Effect.fail(invalid("cursor", "this cursor is not one the list gave out"));
      where.push("(t.created_at < ? OR (t.created_at = ? AND t.id < ?))");
      args.push(cursor.key, cursor.key, cursor.id);
    }
    const rows = prepare(
      `${TICKET_SELECT} ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY t.created_at DESC, t.id DESC LIMIT ?`,
    ).all(...args, limit + 1) as TicketRow[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      tickets: page.map(toTicket),
      nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
      counts,
    };
  });

  const get: TicketsShape["get"] = Effect.fn("Tickets.get")(function* (actor, ticketId) {
    const row = readTicket(ticketId);
    if (!row) return yield* Effect.fail(new NotFound({ entity: "ticket", id: ticketId }));
    yield* Effect.mapError(requireInbox(prepare, actor, row.inbox_id), () => new Forbidden({ message: "This ticket belongs to an inbox you are not a member of." }));
    return toTicket(row);
  });

  const update: TicketsShape["update"] = Effect.fn("Tickets.update")(function* (actor, ticketId, input) {
    // Who may touch it is decided before what they sent: a stranger gets 403, not a lesson in versions.
    yield* get(actor, ticketId);
    const change = yield* decodeInput(TicketUpdate, input);
    yield* refusable(
      db.writeEffect(() => {
        const before = toTicket(readTicket(ticketId)!);
        const status = change.status ?? before.status;
        const priority = change.priority ?? before.priority;
        // Asking for what already is (a double click, or two people agreeing) is no conflict.
        if (status === before.status && priority === before.priority) return;
        if (before.version !== change.version) {
          throw new Refused(new Conflict({ message: staleMessage, current: { version: before.version, status: before.status, priority: before.priority } }));
        }
        const now = wallClock.now();
        prepare("UPDATE tickets SET status = ?, priority = ?, updated_at = ?, version = version + 1 WHERE id = ?").run(status, priority, now, ticketId);
        if (status !== before.status) addActivity(ticketId, now, actor.id, "status", null, before.status, status);
        if (priority !== before.priority) addActivity(ticketId, now, actor.id, "priority", null, before.priority, priority);
        logTicketEvent(before, actor.id, now, { ticketId, from: { status: before.status, priority: before.priority }, to: { status, priority } });
      }),
    );
    return toTicket(readTicket(ticketId)!);
  });

  /** Why `userId` cannot own a ticket of the inbox, or undefined when they can (synchronous; inside a write). */
  const cannotOwn = (userId: string, inboxId: string, inboxName: string): string | undefined => {
    const person = prepare("SELECT COALESCE(display_name, name) AS name, disabled_at FROM users WHERE id = ?").get(userId) as
      | { name: string; disabled_at: number | null }
      | undefined;
    if (!person) return "no such user";
    if (person.disabled_at !== null) return `${person.name}'s account is disabled: pick someone who can work on this ticket`;
    // The same rule as conversations (routing.ts): admins work every inbox, agents their own.
    if (!userCanAccessInbox(prepare, userId, inboxId)) return `${person.name} cannot work in the ${inboxName} inbox: pick one of its members or an admin`;
    return undefined;
  };

  const assign: TicketsShape["assign"] = Effect.fn("Tickets.assign")(function* (actor, ticketId, input) {
    yield* get(actor, ticketId);
    const change = yield* decodeInput(TicketAssignment, input);
    const to = change.assigneeId === null || change.assigneeId === "" ? null : change.assigneeId;
    yield* refusable(
      db.writeEffect(() => {
        const before = toTicket(readTicket(ticketId)!);
        const from = before.assignee?.id ?? null;
        if (to === from) return;
        if (before.version !== change.version) {
          throw new Refused(new Conflict({ message: staleMessage, current: { version: before.version, assigneeId: from } }));
        }
        // Checked in the write itself: someone disabled or removed from the inbox a moment ago cannot slip in.
        const reason = to === null ? undefined : cannotOwn(to, before.inboxId, before.inboxName);
        if (reason !== undefined) throw new Refused(invalid("assigneeId", reason));
        const now = wallClock.now();
        prepare("UPDATE tickets SET assignee_id = ?, updated_at = ?, version = version + 1 WHERE id = ?").run(to, now, ticketId);
        addActivity(ticketId, now, actor.id, "assignee", null, from, to);
        logTicketEvent(before, actor.id, now, { ticketId, from: { assigneeId: from }, to: { assigneeId: to } });
      }),
    );
    return toTicket(readTicket(ticketId)!);
  });

  const readActivity = (id: number) => toActivity(prepare(`${ACTIVITY_SELECT} WHERE a.id = ?`).get(id) as ActivityRow);

  const addNote: TicketsShape["addNote"] = Effect.fn("Tickets.addNote")(function* (actor, ticketId, input) {
    yield* get(actor, ticketId);
    const note = yield* decodeInput(TicketNote, input);
    // A note changes no field, so it needs no version: it never conflicts with someone's edit.
    const id = yield* Effect.orDie(
      db.writeEffect(() => {
        const now = wallClock.now();
        prepare("UPDATE tickets SET updated_at = ? WHERE id = ?").run(now, ticketId);
        return addActivity(ticketId, now, actor.id, "note", note.text, null, null);
      }),
    );
    return readActivity(id);
  });

  const timeline: TicketsShape["timeline"] = Effect.fn("Tickets.timeline")(function* (actor, ticketId) {
    const ticket = yield* get(actor, ticketId);
    const rows = prepare(`${ACTIVITY_SELECT} WHERE a.ticket_id = ? ORDER BY a.at DESC, a.id DESC LIMIT ?`).all(ticketId, MAX_TIMELINE + 1) as ActivityRow[];
    const truncated = rows.length > MAX_TIMELINE;
    const entries = rows.slice(0, MAX_TIMELINE).reverse().map(toActivity);
    // The engine and the away-message form insert tickets themselves, without an entry: derive it.
    // (A truncated timeline has lost its oldest entries, the creation among them.)
    if (truncated || entries.some((e) => e.kind === "created")) return { entries, truncated };
    const created: TicketActivity = { id: 0, at: ticket.createdAt, kind: "created", user: ticket.createdBy, text: null, from: null, to: null };
    return { entries: [created, ...entries], truncated };
  });

  const assignees: TicketsShape["assignees"] = Effect.fn("Tickets.assignees")(function* (actor, ticketId) {
    const ticket = yield* get(actor, ticketId);
    // The rows `cannotOwn` accepts (userCanAccessInbox), listed.
    return prepare(
      `SELECT u.id, COALESCE(u.display_name, u.name) AS name FROM users u
       WHERE u.disabled_at IS NULL
         AND (u.role = 'admin' OR (u.role = 'agent' AND EXISTS (SELECT 1 FROM inbox_members m WHERE m.inbox_id = ? AND m.user_id = u.id)))
       ORDER BY name COLLATE NOCASE, u.id`,
    ).all(ticket.inboxId) as TicketAssignee[];
  });

  return { draftFromConversation, createFromConversation, list, get, update, assign, addNote, timeline, assignees };
};

/** The Tickets service over the app's Database. */
export const layer: Layer.Layer<Tickets, never, Database> = Layer.effect(
  Tickets,
  Effect.map(Database, (db) => makeTickets({ db })),
);
