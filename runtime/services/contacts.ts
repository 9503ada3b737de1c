/**
 * Contacts in the inbox: an agent records who a visitor is (email, name, phone — validated,
 * the phone normalised to E.164 with libphonenumber-js), links a conversation to an existing
 * contact, edits a contact's properties, and sees the contact's earlier conversations and
 * tickets.
 *
 * De-duplication is by email (unique, case-insensitive): creating a contact with an email that
 * already exists links that contact instead — its blanks are filled, nothing is overwritten —
 * and says so. Linking also gives the visitor (and its other conversations without a contact)
 * the contact, so the visitor's next conversation opens with its history in the sidebar.
 */
import { Context, Effect, Layer, ParseResult, Schema as S } from "effect";
import { parsePhoneNumberFromString } from "libphonenumber-js";
import * as wallClock from "./clock.js";
import { Database, type DatabaseShape } from "./database.js";
import { Conflict, Forbidden, InvalidInput, NotFound } from "./errors.js";
import { newId } from "./ids.js";
import {
  conversationFor,
  decodeInput,
  ftsQuery,
  invalid,
  isUniqueViolation,
  logConversationEvent,
  visibleInboxIds,
  worksInInboxes,
  type Actor,
  type ConversationAccessRow,
} from "./inbox-access.js";
import { LiveEvents, type LiveEventsShape } from "./live-events.js";

// ---------------------------------------------------------------------------------------------
// Schemas (form input: every field a string; an empty field means "not given")

const EMAIL_PATTERN = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[^\s@<>()[\],;:"]+$/;

/** An email address, trimmed and lower-cased. */
export const ContactEmail = S.compose(S.Trim, S.Lowercase).pipe(
  S.maxLength(254, { message: () => "an email address is at most 254 characters" }),
  S.pattern(EMAIL_PATTERN, { message: () => "expected an email address like name@example.com" }),
);

export const ContactName = S.Trim.pipe(
  S.minLength(1, { message: () => "enter a name" }),
  S.maxLength(200, { message: () => "a name is at most 200 characters" }),
);

/** A phone number in international format, normalised to E.164 (`+4930123456`). */
export const Phone = S.transformOrFail(S.String, S.String, {
  strict: true,
  decode: (input, _options, ast) => {
    const text = input.trim();
    const parsed = text.length <= 40 ? parsePhoneNumberFromString(text) : undefined;
    return parsed?.isValid()
      ? ParseResult.succeed(parsed.number)
      : ParseResult.fail(
          new ParseResult.Type(
            ast,
            input,
            text.startsWith("+")
              ? "this is not a valid phone number"
              : "enter the phone number with its country code, like +49 30 1234567",
          ),
        );
  },
  encode: ParseResult.succeed,
});

const PROPERTY_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const RESERVED = new Set(["email", "name", "phone"]);
export const MAX_PROPERTIES = 50;
export const MAX_PROPERTY_VALUE = 500;

const PROPERTY_NAME_RULE = "a property name is lower-case letters, digits and _ (start with a letter), and not email, name or phone";
const PropertyValue = S.String.pipe(
  S.maxLength(MAX_PROPERTY_VALUE, { message: () => `a property value is at most ${MAX_PROPERTY_VALUE} characters` }),
);

/** A new contact: at least one of email, name, phone. */
export const NewContact = S.Struct({
  email: S.optional(ContactEmail),
  name: S.optional(ContactName),
  phone: S.optional(Phone),
}).pipe(
  S.filter((c) => (c.email === undefined && c.name === undefined && c.phone === undefined ? "enter an email, a name or a phone number" : undefined)),
);
export type NewContact = typeof NewContact.Type;

/** An edit: a field left out keeps its value, null clears it; a property set to "" is removed. */
export const ContactUpdate = S.Struct({
  email: S.optional(S.NullOr(ContactEmail)),
  name: S.optional(S.NullOr(ContactName)),
  phone: S.optional(S.NullOr(Phone)),
  // Keys are checked here rather than by a key schema, which would drop bad keys silently.
  properties: S.optional(
    S.Record({ key: S.String, value: PropertyValue }).pipe(
      S.filter((record) =>
        Object.keys(record)
          .filter((key) => !PROPERTY_NAME.test(key) || RESERVED.has(key))
          .map((key) => ({ path: [key], message: PROPERTY_NAME_RULE })),
      ),
    ),
  ),
});
export type ContactUpdate = typeof ContactUpdate.Type;

// ---------------------------------------------------------------------------------------------
// Shapes

export interface Contact {
  readonly id: string;
  readonly email: string | null;
  readonly name: string | null;
  readonly phone: string | null;
  readonly properties: Readonly<Record<string, string>>;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface ContactConversation {
  readonly id: string;
  readonly status: "bot" | "open" | "pending" | "closed";
  readonly inboxName: string;
  readonly channelName: string;
  readonly createdAt: number;
  readonly lastMessageAt: number | null;
  readonly preview: string | null;
}

export interface ContactTicket {
  readonly id: string;
  readonly subject: string;
  readonly status: "new" | "waiting_on_contact" | "waiting_on_us" | "closed";
  readonly priority: "low" | "normal" | "high" | "urgent";
  readonly createdAt: number;
}

export interface ContactHistory {
  /** The contact's conversations in inboxes the actor may open, newest first. */
  readonly conversations: ReadonlyArray<ContactConversation>;
  readonly tickets: ReadonlyArray<ContactTicket>;
}

/** What creating a contact did: created it, or linked the one that already had the email. */
export interface ContactCreated {
  readonly contact: Contact;
  readonly created: boolean;
  /** For the agent, e.g. "A contact with ann@example.com already exists: this conversation is now linked to it." */
  readonly message: string;
}

export interface ContactsShape {
  /** Creates a contact from the conversation's visitor and links it; an existing email links that contact instead. */
  readonly createFromConversation: (
    actor: Actor,
    conversationId: string,
    input: unknown,
  ) => Effect.Effect<ContactCreated, InvalidInput | NotFound | Forbidden>;
  /** Links the conversation (and its visitor, when it has no contact) to an existing contact. */
  readonly linkToConversation: (actor: Actor, conversationId: string, contactId: string) => Effect.Effect<Contact, NotFound | Forbidden>;
  /** Edits the contact of a conversation the actor may open (decoded by `ContactUpdate`); Conflict for a taken email. */
  readonly updateForConversation: (
    actor: Actor,
    conversationId: string,
    input: unknown,
  ) => Effect.Effect<Contact, InvalidInput | NotFound | Forbidden | Conflict>;
  /** One contact. */
  readonly get: (contactId: string) => Effect.Effect<Contact, NotFound>;
  /** Contacts whose name, email or phone match every word of `query` (at most `limit`, ≤ 50). */
  readonly search: (actor: Actor, query: string, limit?: number) => Effect.Effect<ReadonlyArray<Contact>, Forbidden>;
  /** The contact's conversations and tickets the actor may see, newest first (at most 50 of each). */
  readonly history: (actor: Actor, contactId: string) => Effect.Effect<ContactHistory>;
}

export class Contacts extends Context.Tag("Contacts")<Contacts, ContactsShape>() {}

// ---------------------------------------------------------------------------------------------
// Rows

interface ContactRow {
  readonly id: string;
  readonly email: string | null;
  readonly name: string | null;
  readonly phone: string | null;
  readonly properties: string;
  readonly created_at: number;
  readonly updated_at: number;
}

const CONTACT_COLUMNS = "id, email, name, phone, properties, created_at, updated_at";

/** A contact's stored properties as strings (numbers and booleans written by others become text). Pure. */
export const parseProperties = (text: string): Record<string, string> => {
  const out: Record<string, string> = {};
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) return out;
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === "string") out[key] = v;
      else if (typeof v === "number" || typeof v === "boolean") out[key] = String(v);
    }
  } catch {
    // Unreadable properties show as none rather than failing the page.
  }
  return out;
};

const toContact = (row: ContactRow): Contact => ({
  id: row.id,
  email: row.email,
  name: row.name,
  phone: row.phone,
  properties: parseProperties(row.properties),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});


/** Thrown inside a write when an email is taken by another contact. */
class EmailTaken extends Error {
  constructor(readonly email: string) {
    super(`the email ${email} belongs to another contact`);
  }
}

/** The Contacts service over an open database and the LiveEvents hub (exported for tests). */
export const makeContacts = (deps: { readonly db: DatabaseShape; readonly live: LiveEventsShape }): ContactsShape => {
  const { db, live } = deps;
  const prepare = db.prepare;

  const readContact = (id: string) => prepare(`SELECT ${CONTACT_COLUMNS} FROM contacts WHERE id = ?`).get(id) as ContactRow | undefined;

  /** Gives the conversation, its visitor (when it has none) and the visitor's contact-less conversations the contact. */
  const linkInWrite = (row: ConversationAccessRow, contactId: string, actor: Actor, now: number, created: boolean) => {
    prepare("UPDATE conversations SET contact_id = ?, updated_at = ? WHERE id = ?").run(contactId, now, row.id);
    if (row.visitor_id !== null) {
      // A contact the site verified (identify) stays the visitor's; the agent's link is for this conversation.
      const changed = prepare("UPDATE visitors SET contact_id = ? WHERE id = ? AND contact_id IS NULL").run(contactId, row.visitor_id).changes;
      if (changed > 0) {
        prepare("UPDATE conversations SET contact_id = ? WHERE visitor_id = ? AND contact_id IS NULL").run(contactId, row.visitor_id);
      }
    }
    logConversationEvent(prepare, "contact_linked", row, now, { userId: actor.id, data: { contactId, via: "agent", created } });
  };

  const announce = (row: ConversationAccessRow, contactId: string) =>
    live.publish({
      conversationId: row.id,
      inboxId: row.inbox_id,
      kind: "conversation",
      // Agents' views only: the visitor's stream has no use for who the team thinks they are.
      internal: true,
      data: { change: "contact", contactId },
    });

  const createFromConversation: ContactsShape["createFromConversation"] = Effect.fn("Contacts.createFromConversation")(
    function* (actor, conversationId, input) {
      const row = yield* conversationFor(prepare, actor, conversationId);
      const contact = yield* decodeInput(NewContact, input);
      const now = wallClock.now();
      const outcome = yield* Effect.orDie(
        db.writeEffect(() => {
          const existing =
            contact.email !== undefined
              ? (prepare(`SELECT ${CONTACT_COLUMNS} FROM contacts WHERE email = ?`).get(contact.email) as ContactRow | undefined)
              : undefined;
          let id: string;
          if (existing) {
            id = existing.id;
            // Blanks are filled, never overwritten: typing someone's email must not rewrite their record.
            prepare(
              `UPDATE contacts SET name = COALESCE(name, ?), phone = COALESCE(phone, ?), updated_at = ?
               WHERE id = ? AND (name IS NULL OR phone IS NULL)`,
            ).run(contact.name ?? null, contact.phone ?? null, now, id);
          } else {
            id = newId("contact");
            prepare("INSERT INTO contacts (id, email, name, phone, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)").run(
              id,
              contact.email ?? null,
              contact.name ?? null,
              contact.phone ?? null,
              now,
              now,
            );
          }
          linkInWrite(row, id, actor, now, !existing);
          return { row: readContact(id)!, created: !existing };
        }),
      );
      yield* announce(row, outcome.row.id);
      const saved = toContact(outcome.row);
      return {
        contact: saved,
        created: outcome.created,
        message: outcome.created
          ? `Created the contact ${saved.name ?? saved.email ?? saved.phone} and linked this conversation to it.`
          : `A contact with ${saved.email} already exists: this conversation is now linked to ${saved.name ?? "it"} instead of creating a duplicate.`,
      };
    },
  );

  const linkToConversation: ContactsShape["linkToConversation"] = Effect.fn("Contacts.linkToConversation")(
    function* (actor, conversationId, contactId) {
      const row = yield* conversationFor(prepare, actor, conversationId);
      if (!readContact(contactId)) return yield* Effect.fail(new NotFound({ entity: "contact", id: contactId }));
      yield* Effect.orDie(db.writeEffect(() => linkInWrite(row, contactId, actor, wallClock.now(), false)));
      yield* announce(row, contactId);
      return toContact(readContact(contactId)!);
    },
  );

  const updateForConversation: ContactsShape["updateForConversation"] = Effect.fn("Contacts.updateForConversation")(
    function* (actor, conversationId, input) {
      const row = yield* conversationFor(prepare, actor, conversationId);
      if (row.contact_id === null) {
        return yield* Effect.fail(invalid("contact", "this conversation has no contact yet: create or link one first"));
      }
      const contactId = row.contact_id;
      const update = yield* decodeInput(ContactUpdate, input);
      const now = wallClock.now();
      const saved = yield* db
        .writeEffect(() => {
          const current = readContact(contactId);
          if (!current) throw new NotFound({ entity: "contact", id: contactId });
          const columns: Array<[string, string | null]> = [];
          if (update.email !== undefined) columns.push(["email", update.email]);
          if (update.name !== undefined) columns.push(["name", update.name]);
          if (update.phone !== undefined) columns.push(["phone", update.phone]);
          if (update.properties !== undefined) {
            const properties = parseProperties(current.properties);
            for (const [key, value] of Object.entries(update.properties)) {
              if (value.trim() === "") delete properties[key];
              else properties[key] = value.trim();
            }
            if (Object.keys(properties).length > MAX_PROPERTIES) {
              throw new InvalidInput({ issues: [{ path: "properties", message: `a contact has at most ${MAX_PROPERTIES} properties` }] });
            }
            columns.push(["properties", JSON.stringify(properties)]);
          }
          if (columns.length === 0) return current;
          try {
            prepare(`UPDATE contacts SET ${columns.map(([c]) => `${c} = ?`).join(", ")}, updated_at = ? WHERE id = ?`).run(
              ...columns.map(([, v]) => v),
              now,
              contactId,
            );
          } catch (error) {
            if (isUniqueViolation(error) && update.email) throw new EmailTaken(update.email);
            throw error;
          }
          logConversationEvent(prepare, "contact_updated", row, now, { userId: actor.id, data: { contactId, fields: columns.map(([c]) => c) } });
          return readContact(contactId)!;
        })
        .pipe(
          Effect.catchTag("WriteFailed", (failed): Effect.Effect<never, NotFound | InvalidInput | Conflict> => {
            const cause = failed.cause;
            if (cause instanceof NotFound || cause instanceof InvalidInput) return Effect.fail(cause);
            if (cause instanceof EmailTaken) {
              return Effect.fail(new Conflict({ message: `Another contact already has the email ${cause.email}. Link that contact instead.` }));
            }
            return Effect.die(cause);
          }),
        );
      yield* announce(row, contactId);
      return toContact(saved);
    },
  );

  const get: ContactsShape["get"] = (contactId) =>
    Effect.suspend(() => {
      const row = readContact(contactId);
      return row ? Effect.succeed(toContact(row)) : Effect.fail(new NotFound({ entity: "contact", id: contactId }));
    });

  const search: ContactsShape["search"] = Effect.fn("Contacts.search")(function* (actor, query, limit = 10) {
    if (!worksInInboxes(actor)) return yield* Effect.fail(new Forbidden({ message: "Your role does not work with contacts." }));
    const match = ftsQuery(query);
    if (match === undefined) return [];
    const rows = prepare(
      `SELECT ${CONTACT_COLUMNS.split(", ").map((c) => `c.${c}`).join(", ")}
       FROM contacts_fts f JOIN contacts c ON c.id = f.contact_id
       WHERE contacts_fts MATCH ? ORDER BY rank LIMIT ?`,
    ).all(match, Math.max(1, Math.min(50, Math.floor(limit)))) as ContactRow[];
    return rows.map(toContact);
  });

  const history: ContactsShape["history"] = (actor, contactId) =>
    Effect.sync(() => {
      const visible = visibleInboxIds(prepare, actor);
      if (visible !== "all" && visible.length === 0) return { conversations: [], tickets: [] };
      const inboxFilter = visible === "all" ? "" : `AND x.inbox_id IN (${visible.map(() => "?").join(", ")})`;
      const inboxArgs = visible === "all" ? [] : visible;
      const conversations = prepare(
        `SELECT x.id, x.status, i.name AS inbox_name, ch.name AS channel_name, x.created_at, x.last_message_at, x.last_message_preview
         FROM conversations x JOIN inboxes i ON i.id = x.inbox_id JOIN channels ch ON ch.id = x.channel_id
         WHERE x.contact_id = ? AND x.is_preview = 0 ${inboxFilter}
         ORDER BY x.created_at DESC, x.id DESC LIMIT 50`,
      ).all(contactId, ...inboxArgs) as Array<{
        id: string;
        status: ContactConversation["status"];
        inbox_name: string;
        channel_name: string;
        created_at: number;
        last_message_at: number | null;
        last_message_preview: string | null;
      }>;
      const tickets = prepare(
        `SELECT x.id, x.subject, x.status, x.priority, x.created_at FROM tickets x
         WHERE x.contact_id = ? ${inboxFilter} ORDER BY x.created_at DESC, x.id DESC LIMIT 50`,
      ).all(contactId, ...inboxArgs) as Array<{
        id: string;
        subject: string;
        status: ContactTicket["status"];
        priority: ContactTicket["priority"];
        created_at: number;
      }>;
      return {
        conversations: conversations.map((c) => ({
          id: c.id,
          status: c.status,
          inboxName: c.inbox_name,
          channelName: c.channel_name,
          createdAt: c.created_at,
          lastMessageAt: c.last_message_at,
          preview: c.last_message_preview,
        })),
        tickets: tickets.map((t) => ({ id: t.id, subject: t.subject, status: t.status, priority: t.priority, createdAt: t.created_at })),
      };
    });

  return { createFromConversation, linkToConversation, updateForConversation, get, search, history };
};

/** The Contacts service over the app's Database and LiveEvents. */
export const layer: Layer.Layer<Contacts, never, Database | LiveEvents> = Layer.effect(
  Contacts,
  Effect.gen(function* () {
    return makeContacts({ db: yield* Database, live: yield* LiveEvents });
  }),
);
