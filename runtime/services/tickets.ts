/**
 * Tickets: tracked requests created from a conversation (subject, a description prefilled with
 * an excerpt of the transcript, priority, status), listed with filters, and moved through
 * new → waiting on contact / waiting on us → closed. Agents see the tickets of their inboxes,
 * admins all. Every creation and change is written to the events log with who did it.
 */
import { Context, Effect, Layer, Schema as S } from "effect";
import * as wallClock from "./clock.js";
import { Database, type DatabaseShape } from "./database.js";
import { Forbidden, InvalidInput, NotFound } from "./errors.js";
import { newId } from "./ids.js";
import {
  conversationFor,
  decodeInput,
  decodeCursor,
  encodeCursor,
  ftsQuery,
  invalid,
  logConversationEvent,
  requireInbox,
  visibleInboxIds,
  worksInInboxes,
  type Actor,
} from "./inbox-access.js";

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

/** A change of status and/or priority. */
export const TicketUpdate = S.Struct({
  status: S.optional(TicketStatusSchema),
  priority: S.optional(TicketPrioritySchema),
});

const Limit = S.NumberFromString.pipe(
  S.int({ message: () => "a limit is a whole number" }),
  S.between(1, 200, { message: () => "a limit is between 1 and 200" }),
);

/** The list's filters, as they come from a query string (every field optional). */
export const TicketFilter = S.Struct({
  status: S.optional(S.Union(TicketStatusSchema, S.Literal("open"))),
  priority: S.optional(TicketPrioritySchema),
  inboxId: S.optional(S.String),
  contactId: S.optional(S.String),
  search: S.optional(S.String.pipe(S.maxLength(200, { message: () => "a search is at most 200 characters" }))),
  limit: S.optional(Limit),
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
  readonly createdAt: number;
  readonly updatedAt: number;
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
  /** Changes status and/or priority (decoded by `TicketUpdate`). */
  readonly update: (actor: Actor, ticketId: string, input: unknown) => Effect.Effect<Ticket, InvalidInput | NotFound | Forbidden>;
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
  readonly created_at: number;
  readonly updated_at: number;
}

const TICKET_SELECT = `SELECT t.id, t.inbox_id, i.name AS inbox_name, t.conversation_id, t.contact_id, c.name AS contact_name,
  c.email AS contact_email, t.subject, t.description, t.priority, t.status, t.created_by,
  COALESCE(u.display_name, u.name) AS creator_name, t.created_at, t.updated_at
  FROM tickets t JOIN inboxes i ON i.id = t.inbox_id
  LEFT JOIN contacts c ON c.id = t.contact_id LEFT JOIN users u ON u.id = t.created_by`;

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
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});


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
      yield* requireInbox(prepare, actor, filter.inboxId);
      where.push("t.inbox_id = ?");
      args.push(filter.inboxId);
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
    const before = yield* get(actor, ticketId);
    const change = yield* decodeInput(TicketUpdate, input);
    const status = change.status ?? before.status;
    const priority = change.priority ?? before.priority;
    if (status === before.status && priority === before.priority) return before;
    const now = wallClock.now();
    yield* Effect.orDie(
      db.writeEffect(() => {
        prepare("UPDATE tickets SET status = ?, priority = ?, updated_at = ? WHERE id = ?").run(status, priority, now, ticketId);
        const conversation =
          before.conversationId === null
            ? undefined
            : (prepare("SELECT id, inbox_id, channel_id, chatflow_id, chatflow_version_id, is_preview FROM conversations WHERE id = ?").get(
                before.conversationId,
              ) as Parameters<typeof logConversationEvent>[2] | undefined);
        const data = { ticketId, from: { status: before.status, priority: before.priority }, to: { status, priority } };
        if (conversation) logConversationEvent(prepare, "ticket_updated", conversation, now, { userId: actor.id, data });
        else {
          prepare("INSERT INTO events (type, at, user_id, inbox_id, data) VALUES ('ticket_updated', ?, ?, ?, ?)").run(
            now,
            actor.id,
            before.inboxId,
            JSON.stringify(data),
          );
        }
      }),
    );
    return toTicket(readTicket(ticketId)!);
  });

  return { draftFromConversation, createFromConversation, list, get, update };
};

/** The Tickets service over the app's Database. */
export const layer: Layer.Layer<Tickets, never, Database> = Layer.effect(
  Tickets,
  Effect.map(Database, (db) => makeTickets({ db })),
);
