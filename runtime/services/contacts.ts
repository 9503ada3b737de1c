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
 *
 * Contacts also have a place of their own (/contacts): listed by last activity, searched,
 * filtered by owner or by list (runtime/services/contact-lists.ts), created and edited by id. A contact's owner is a person on the team (an
 * enabled admin or agent when set); an agent who creates a contact owns it. Every change of
 * owner is a `contact_owner_changed` event. Users are disabled, never deleted: a disabled
 * owner stays recorded (shown as disabled) and a handoff to the contact's owner passes them by.
 */
import { Context, Effect, Layer, ParseResult, Schema as S } from "effect";
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js";
import * as wallClock from "./clock.js";
import { applyWaitingInWrite } from "./contact-lists.js";
import { Database, type DatabaseShape } from "./database.js";
import { Conflict, Forbidden, InvalidInput, NotFound } from "./errors.js";
import { newId } from "./ids.js";
import {
  conversationFor,
  decodeCursor,
  decodeInput,
  encodeCursor,
  ftsQuery,
  invalid,
  isUniqueViolation,
  ListLimit,
  ListSearch,
  logConversationEvent,
  visibleInboxIds,
  worksInInboxes,
  type Actor,
  type ConversationAccessRow,
  type Prepare,
} from "./inbox-access.js";
import { LiveEvents, type LiveEventsShape } from "./live-events.js";

// ---------------------------------------------------------------------------------------------
// Schemas (form input: every field a string; an empty field means "not given")

/** What an email address looks like (one @, a dot in the domain, no spaces or brackets). */
export const EMAIL_PATTERN = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[^\s@<>()[\],;:"]+$/;

/** An email address, trimmed and lower-cased. */
export const ContactEmail = S.compose(S.Trim, S.Lowercase).pipe(
  S.maxLength(254, { message: () => "an email address is at most 254 characters" }),
  S.pattern(EMAIL_PATTERN, { message: () => "expected an email address like name@example.com" }),
);

export const ContactName = S.Trim.pipe(
  S.minLength(1, { message: () => "enter a name" }),
  S.maxLength(200, { message: () => "a name is at most 200 characters" }),
);

/**
 * A phone number normalised to E.164 (`+4930123456`): in international format, or — with a
 * `defaultCountry` (an import's) — also in that country's national format (`030 123456`).
 */
export const phoneIn = (defaultCountry?: CountryCode) =>
  S.transformOrFail(S.String, S.String, {
    strict: true,
    decode: (input, _options, ast) => {
      const text = input.trim();
      const parsed = text.length <= 40 ? parsePhoneNumberFromString(text, defaultCountry) : undefined;
      return parsed?.isValid()
        ? ParseResult.succeed(parsed.number)
        : ParseResult.fail(
            new ParseResult.Type(
              ast,
              input,
              text.startsWith("+") || defaultCountry !== undefined
                ? "this is not a valid phone number"
                : "enter the phone number with its country code, like +49 30 1234567",
            ),
          );
    },
    encode: ParseResult.succeed,
  });

/** A phone number in international format, normalised to E.164 (`+4930123456`). */
export const Phone = phoneIn();

/** A contact property's name: lower-case letters, digits and _, starting with a letter. */
export const PROPERTY_NAME = /^[a-z][a-z0-9_]{0,63}$/;
/** Names that are columns of their own, never properties. */
export const RESERVED_PROPERTY_NAMES: ReadonlySet<string> = new Set(["email", "name", "phone"]);
const RESERVED = RESERVED_PROPERTY_NAMES;
export const MAX_PROPERTIES = 50;
export const MAX_PROPERTY_VALUE = 500;

const PROPERTY_NAME_RULE = "a property name is lower-case letters, digits and _ (start with a letter), and not email, name or phone";
export const PropertyValue = S.String.pipe(
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

/** A change of owner: a user id, or null / "" for none. */
export const ContactOwnerChange = S.Struct({
  ownerId: S.NullOr(S.String.pipe(S.maxLength(100, { message: () => "an owner is a user id" }))),
});

/** The contacts list's filters, as they come from a query string (every field optional). */
export const ContactFilter = S.Struct({
  search: S.optional(ListSearch),
  /** "me", "none", or a user id. */
  owner: S.optional(S.String.pipe(S.maxLength(100, { message: () => "an owner is me, none or a user id" }))),
  /** A list id: only the list's members. */
  list: S.optional(S.String.pipe(S.maxLength(100, { message: () => "a list is a list id" }))),
  limit: S.optional(ListLimit),
  cursor: S.optional(S.String),
});
export type ContactFilter = typeof ContactFilter.Type;

// ---------------------------------------------------------------------------------------------
// Shapes

/** Who owns a contact; `disabled` when their account was disabled since (they stay recorded). */
export interface ContactOwner {
  readonly id: string;
  readonly name: string;
  readonly disabled: boolean;
}

export interface Contact {
  readonly id: string;
  readonly email: string | null;
  readonly name: string | null;
  readonly phone: string | null;
  readonly properties: Readonly<Record<string, string>>;
  readonly owner: ContactOwner | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A row of the contacts list. */
export interface ContactListItem extends Contact {
  /** The latest of the contact's own change and their conversations' activity. */
  readonly lastActivityAt: number;
}

export interface ContactList {
  readonly contacts: ReadonlyArray<ContactListItem>;
  /** Pass as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

/** Someone who may own a contact: an enabled admin or agent. */
export interface OwnerOption {
  readonly id: string;
  readonly name: string;
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
  /** Contacts by last activity, newest first, filtered (decoded by `ContactFilter`). */
  readonly list: (actor: Actor, filter: unknown) => Effect.Effect<ContactList, InvalidInput | Forbidden>;
  /** A new contact (decoded by `NewContact`) owned by the actor; Conflict when its email is taken. */
  readonly create: (actor: Actor, input: unknown) => Effect.Effect<Contact, InvalidInput | Forbidden | Conflict>;
  /** Edits a contact by id (decoded by `ContactUpdate`); Conflict for a taken email. */
  readonly update: (actor: Actor, contactId: string, input: unknown) => Effect.Effect<Contact, InvalidInput | NotFound | Forbidden | Conflict>;
  /** Sets or clears a contact's owner (decoded by `ContactOwnerChange`): only an enabled admin or agent. */
  readonly setOwner: (actor: Actor, contactId: string, input: unknown) => Effect.Effect<Contact, InvalidInput | NotFound | Forbidden>;
  /** The same for the contact of a conversation the actor may open (the event names the conversation). */
  readonly setOwnerForConversation: (
    actor: Actor,
    conversationId: string,
    input: unknown,
  ) => Effect.Effect<Contact, InvalidInput | NotFound | Forbidden>;
  /** Who may own a contact: enabled admins and agents, by name. */
  readonly owners: (actor: Actor) => Effect.Effect<ReadonlyArray<OwnerOption>, Forbidden>;
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
  readonly owner_id: string | null;
  readonly owner_name: string | null;
  readonly owner_disabled_at: number | null;
}

/** A contact with its owner's name, as `c` (contacts) joined to `u` (users). */
const CONTACT_SELECT = `SELECT c.id, c.email, c.name, c.phone, c.properties, c.created_at, c.updated_at,
    c.owner_id, COALESCE(u.display_name, u.name) AS owner_name, u.disabled_at AS owner_disabled_at
  FROM contacts c LEFT JOIN users u ON u.id = c.owner_id`;

/** One contact with its owner, or undefined (synchronous; inside or outside a write). */
const readContactRow = (prepare: Prepare, id: string) => prepare(`${CONTACT_SELECT} WHERE c.id = ?`).get(id) as ContactRow | undefined;

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
  owner: row.owner_id === null ? null : { id: row.owner_id, name: row.owner_name ?? row.owner_id, disabled: row.owner_disabled_at !== null },
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** One contact with its owner, or undefined (for the inbox's thread, which reads its own rows). */
export const readContact = (prepare: Prepare, id: string): Contact | undefined => {
  const row = readContactRow(prepare, id);
  return row ? toContact(row) : undefined;
};

/** Why `userId` cannot own a contact, or undefined when they can (synchronous). */
export const cannotOwn = (prepare: Prepare, userId: string): string | undefined => {
  const user = prepare("SELECT COALESCE(display_name, name) AS name, role, disabled_at FROM users WHERE id = ?").get(userId) as
    | { name: string; role: string; disabled_at: number | null }
    | undefined;
  if (!user) return "no such user";
  if (user.disabled_at !== null) return `${user.name}'s account is disabled: pick someone who works here`;
  if (user.role !== "admin" && user.role !== "agent") return `${user.name} does not work in the inbox: pick an agent or an admin`;
  return undefined;
};

/** A phone-like search ("+49 30 12", "030-12") as its digits, to match stored E.164 numbers; else undefined. Pure. */
const phoneDigits = (search: string): string | undefined => {
  if (!/^[\d\s+()./-]+$/.test(search.trim())) return undefined;
  const digits = search.replace(/\D/g, "");
  return digits.length >= 3 ? digits.replace(/^0+/, "") || undefined : undefined;
};

/**
 * A contact's last activity, as the list sorts by it and the export writes it (SQL over `c`):
 * its own last change or its latest conversation's, whichever is later. Read, not stored: a
 * column kept up to date would cost every bot turn a write.
 */
export const CONTACT_ACTIVITY =
  "MAX(c.updated_at, COALESCE((SELECT MAX(x.last_activity_at) FROM conversations x WHERE x.contact_id = c.id AND x.is_preview = 0), 0))";

/**
 * The conditions on `contacts c` of the list's filters (owner, list, search), with their
 * arguments: one rule for the /contacts page and its CSV export. Pure.
 */
export const contactFilterClauses = (actor: Actor, filter: ContactFilter): { readonly where: string[]; readonly args: unknown[] } => {
  const where: string[] = [];
  const args: unknown[] = [];
  const owner = filter.owner?.trim() ?? "";
  if (owner === "me") {
    where.push("c.owner_id = ?");
    args.push(actor.id);
  } else if (owner === "none") where.push("c.owner_id IS NULL");
  else if (owner !== "") {
    where.push("c.owner_id = ?");
    args.push(owner);
  }
  const listId = filter.list?.trim() ?? "";
  if (listId !== "") {
    where.push("c.id IN (SELECT contact_id FROM contact_list_members WHERE list_id = ?)");
    args.push(listId);
  }
  const search = filter.search === undefined ? undefined : ftsQuery(filter.search);
  if (search !== undefined) {
    // Words of the name, email or phone; a phone typed with spaces or a leading 0 by its digits.
    const digits = phoneDigits(filter.search!);
    where.push(`(c.id IN (SELECT contact_id FROM contacts_fts WHERE contacts_fts MATCH ?)${digits !== undefined ? " OR c.phone LIKE ?" : ""})`);
    args.push(search, ...(digits !== undefined ? [`%${digits}%`] : []));
  }
  return { where, args };
};

/** The settings key of the contact properties the workspace declared (a JSON array of names). */
export const CONTACT_PROPERTIES_SETTING = "contact_properties";

/**
 * The contact properties the workspace knows: those declared in settings and those recorded on
 * the 1,000 most recently changed contacts (a bounded scan), sorted (synchronous).
 */
export const knownContactProperties = (prepare: Prepare): string[] => {
  const properties = new Set<string>();
  const setting = prepare("SELECT value FROM settings WHERE key = ?").get(CONTACT_PROPERTIES_SETTING) as { value: string } | undefined;
  if (setting) {
    try {
      const parsed: unknown = JSON.parse(setting.value);
      if (Array.isArray(parsed)) for (const p of parsed) if (typeof p === "string") properties.add(p);
    } catch {
      // A hand-edited, broken setting must not stop every compile; the properties stay unknown.
    }
  }
  const recent = prepare(
    "SELECT DISTINCT j.key AS key FROM (SELECT properties FROM contacts ORDER BY updated_at DESC LIMIT 1000) c, json_each(c.properties) j",
  ).all() as Array<{ key: string }>;
  for (const r of recent) properties.add(r.key);
  return [...properties].sort();
};

/** Thrown inside a write when an email is taken by another contact. */
class EmailTaken extends Error {
  constructor(readonly email: string) {
    super(`the email ${email} belongs to another contact`);
  }
}

/** A write's expected refusal as the failure it is; anything else is a defect. */
const refused = (failed: { readonly cause: unknown }): Effect.Effect<never, NotFound | InvalidInput | Conflict> => {
  const cause = failed.cause;
  if (cause instanceof NotFound || cause instanceof InvalidInput) return Effect.fail(cause);
  if (cause instanceof EmailTaken) {
    return Effect.fail(new Conflict({ message: `Another contact already has the email ${cause.email}.` }));
  }
  return Effect.die(cause);
};

/** The Contacts service over an open database and the LiveEvents hub (exported for tests). */
export const makeContacts = (deps: { readonly db: DatabaseShape; readonly live: LiveEventsShape }): ContactsShape => {
  const { db, live } = deps;
  const prepare = db.prepare;

  const readContact = (id: string) => readContactRow(prepare, id);
  const mayWork = (actor: Actor, what: string) =>
    worksInInboxes(actor) ? Effect.void : Effect.fail(new Forbidden({ message: `Your role cannot ${what}.` }));

  /** A contact event outside any conversation (the contacts page), in the `events` log. */
  const logContactEvent = (type: string, at: number, userId: string, data: unknown) =>
    prepare("INSERT INTO events (type, at, user_id, data) VALUES (?, ?, ?, ?)").run(type, at, userId, JSON.stringify(data));

  /** Gives the conversation, its visitor (when it has none) and the visitor's contact-less conversations the contact. */
  const linkInWrite = (row: ConversationAccessRow, contactId: string, actor: Actor, now: number, created: boolean) => {
    prepare("UPDATE conversations SET contact_id = ?, updated_at = ? WHERE id = ?").run(contactId, now, row.id);
    if (row.visitor_id !== null) {
      // A contact the site verified (identify) stays the visitor's; the agent's link is for this conversation.
      const changed = prepare("UPDATE visitors SET contact_id = ? WHERE id = ? AND contact_id IS NULL").run(contactId, row.visitor_id).changes;
      if (changed > 0) {
        prepare("UPDATE conversations SET contact_id = ? WHERE visitor_id = ? AND contact_id IS NULL").run(contactId, row.visitor_id);
        // Lists a bot put the visitor on before they were a contact become the contact's.
        applyWaitingInWrite(prepare, row.visitor_id, contactId, now);
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
              ? (prepare(`${CONTACT_SELECT} WHERE c.email = ?`).get(contact.email) as ContactRow | undefined)
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
            // The agent who records the visitor looks after them until someone says otherwise.
            const ownerId = cannotOwn(prepare, actor.id) === undefined ? actor.id : null;
            prepare("INSERT INTO contacts (id, email, name, phone, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)").run(
              id,
              contact.email ?? null,
              contact.name ?? null,
              contact.phone ?? null,
              ownerId,
              now,
              now,
            );
            if (ownerId !== null) {
              logConversationEvent(prepare, "contact_owner_changed", row, now, { userId: actor.id, data: { contactId: id, from: null, to: ownerId } });
            }
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

  /**
   * Applies an edit to a contact in one write; `log` records it (with the columns changed).
   * Fails with NotFound, InvalidInput (too many properties) or Conflict (a taken email).
   */
  const applyUpdate = (contactId: string, update: ContactUpdate, log: (now: number, fields: ReadonlyArray<string>) => void) =>
    db
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
        const now = wallClock.now();
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
        log(now, columns.map(([c]) => c));
        return readContact(contactId)!;
      })
      .pipe(Effect.catchTag("WriteFailed", refused), Effect.map(toContact));

  const updateForConversation: ContactsShape["updateForConversation"] = Effect.fn("Contacts.updateForConversation")(
    function* (actor, conversationId, input) {
      const row = yield* conversationFor(prepare, actor, conversationId);
      if (row.contact_id === null) {
        return yield* Effect.fail(invalid("contact", "this conversation has no contact yet: create or link one first"));
      }
      const contactId = row.contact_id;
      const update = yield* decodeInput(ContactUpdate, input);
      const saved = yield* applyUpdate(contactId, update, (now, fields) =>
        logConversationEvent(prepare, "contact_updated", row, now, { userId: actor.id, data: { contactId, fields } }),
      );
      yield* announce(row, contactId);
      return saved;
    },
  );

  const update: ContactsShape["update"] = Effect.fn("Contacts.update")(function* (actor, contactId, input) {
    yield* mayWork(actor, "edit contacts");
    if (!readContact(contactId)) return yield* Effect.fail(new NotFound({ entity: "contact", id: contactId }));
    const change = yield* decodeInput(ContactUpdate, input);
    return yield* applyUpdate(contactId, change, (now, fields) => logContactEvent("contact_updated", now, actor.id, { contactId, fields }));
  });

  const create: ContactsShape["create"] = Effect.fn("Contacts.create")(function* (actor, input) {
    yield* mayWork(actor, "create contacts");
    const contact = yield* decodeInput(NewContact, input);
    const id = newId("contact");
    const saved = yield* db
      .writeEffect(() => {
        const now = wallClock.now();
        try {
          prepare("INSERT INTO contacts (id, email, name, phone, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)").run(
            id,
            contact.email ?? null,
            contact.name ?? null,
            contact.phone ?? null,
            actor.id,
            now,
            now,
          );
        } catch (error) {
          if (isUniqueViolation(error) && contact.email !== undefined) throw new EmailTaken(contact.email);
          throw error;
        }
        logContactEvent("contact_created", now, actor.id, { contactId: id });
        logContactEvent("contact_owner_changed", now, actor.id, { contactId: id, from: null, to: actor.id });
        return readContact(id)!;
      })
      .pipe(Effect.catchTag("WriteFailed", refused), Effect.catchTag("NotFound", Effect.die));
    return toContact(saved);
  });

  /** Sets the owner in one write; `log` records the change (from, to). Nothing changes (and nothing is logged) when it already is. */
  const applyOwner = (contactId: string, ownerId: string | null, log: (now: number, from: string | null) => void) =>
    db
      .writeEffect(() => {
        const current = readContact(contactId);
        if (!current) throw new NotFound({ entity: "contact", id: contactId });
        if (current.owner_id === ownerId) return current;
        // Checked in the write itself: someone disabled a moment ago cannot slip in.
        const reason = ownerId === null ? undefined : cannotOwn(prepare, ownerId);
        if (reason !== undefined) throw invalid("ownerId", reason);
        const now = wallClock.now();
        prepare("UPDATE contacts SET owner_id = ?, updated_at = ? WHERE id = ?").run(ownerId, now, contactId);
        log(now, current.owner_id);
        return readContact(contactId)!;
      })
      .pipe(Effect.catchTag("WriteFailed", refused), Effect.catchTag("Conflict", Effect.die), Effect.map(toContact));

  const ownerOf = (input: unknown) =>
    Effect.map(decodeInput(ContactOwnerChange, input), (change) => (change.ownerId === null || change.ownerId.trim() === "" ? null : change.ownerId.trim()));

  const setOwner: ContactsShape["setOwner"] = Effect.fn("Contacts.setOwner")(function* (actor, contactId, input) {
    yield* mayWork(actor, "change contact owners");
    if (!readContact(contactId)) return yield* Effect.fail(new NotFound({ entity: "contact", id: contactId }));
    const ownerId = yield* ownerOf(input);
    return yield* applyOwner(contactId, ownerId, (now, from) =>
      logContactEvent("contact_owner_changed", now, actor.id, { contactId, from, to: ownerId }),
    );
  });

  const setOwnerForConversation: ContactsShape["setOwnerForConversation"] = Effect.fn("Contacts.setOwnerForConversation")(
    function* (actor, conversationId, input) {
      const row = yield* conversationFor(prepare, actor, conversationId);
      if (row.contact_id === null) {
        return yield* Effect.fail(invalid("contact", "this conversation has no contact yet: create or link one first"));
      }
      const contactId = row.contact_id;
      const ownerId = yield* ownerOf(input);
      const saved = yield* applyOwner(contactId, ownerId, (now, from) =>
        logConversationEvent(prepare, "contact_owner_changed", row, now, { userId: actor.id, data: { contactId, from, to: ownerId } }),
      );
      yield* announce(row, contactId);
      return saved;
    },
  );

  const owners: ContactsShape["owners"] = Effect.fn("Contacts.owners")(function* (actor) {
    yield* mayWork(actor, "see contact owners");
    // The users `cannotOwn` accepts, listed.
    return prepare(
      `SELECT id, COALESCE(display_name, name) AS name FROM users
       WHERE disabled_at IS NULL AND role IN ('admin', 'agent') ORDER BY name COLLATE NOCASE, id`,
    ).all() as OwnerOption[];
  });

  const list: ContactsShape["list"] = Effect.fn("Contacts.list")(function* (actor, input) {
    yield* mayWork(actor, "see contacts");
    const filter = yield* decodeInput(ContactFilter, input);
    const limit = filter.limit ?? 50;
    const { where, args } = contactFilterClauses(actor, filter);
    const outer: string[] = [];
    const outerArgs: unknown[] = [];
    if (filter.cursor !== undefined && filter.cursor !== "") {
      const cursor = decodeCursor(filter.cursor);
      if (!cursor || typeof cursor.key !== "number") return yield* Effect.fail(invalid("cursor", "this cursor is not one the list gave out"));
      outer.push("(l.activity < ? OR (l.activity = ? AND l.id < ?))");
      outerArgs.push(cursor.key, cursor.key, cursor.id);
    }
    // Last activity is read, not stored: a column kept up to date would cost every bot turn a write.
    const rows = prepare(
      `WITH l AS (
         SELECT c.id, ${CONTACT_ACTIVITY} AS activity
         FROM contacts c ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
       )
       SELECT r.*, l.activity FROM l JOIN (${CONTACT_SELECT}) r ON r.id = l.id
       ${outer.length > 0 ? `WHERE ${outer.join(" AND ")}` : ""}
       ORDER BY l.activity DESC, l.id DESC LIMIT ?`,
    ).all(...args, ...outerArgs, limit + 1) as Array<ContactRow & { activity: number }>;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      contacts: page.map((r) => ({ ...toContact(r), lastActivityAt: r.activity })),
      nextCursor: rows.length > limit && last ? encodeCursor(last.activity, last.id) : null,
    };
  });

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
      `${CONTACT_SELECT.replace("FROM contacts c", "FROM contacts_fts f JOIN contacts c ON c.id = f.contact_id")}
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

  return {
    createFromConversation,
    linkToConversation,
    updateForConversation,
    get,
    search,
    history,
    list,
    create,
    update,
    setOwner,
    setOwnerForConversation,
    owners,
  };
};

/** The Contacts service over the app's Database and LiveEvents. */
export const layer: Layer.Layer<Contacts, never, Database | LiveEvents> = Layer.effect(
  Contacts,
  Effect.gen(function* () {
    return makeContacts({ db: yield* Database, live: yield* LiveEvents });
  }),
);
