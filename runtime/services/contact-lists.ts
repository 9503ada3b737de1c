/**
 * Contact lists and email consent. A list groups contacts (a newsletter, a beta programme):
 * admins and marketers create, rename and delete lists; admins, marketers and agents add and
 * remove contacts; a bot's `add_to_list` step adds the conversation's contact in its own turn's
 * write (`addToListInWrite`). A visitor the bot adds before they are a contact waits on the list
 * (contact_list_waiting) and becomes a member when the visitor gets a contact
 * (`applyWaitingInWrite`, called where a visitor is linked to a contact).
 *
 * Email consent is the contact's latest state — subscribed or unsubscribed — with when, in
 * which conversation, and the exact text the visitor agreed to. Every change of membership or
 * consent is also an event in `events` (the audit trail).
 */
import { Context, Effect, Layer, Schema as S } from "effect";
import * as wallClock from "./clock.js";
import { Database, type DatabaseShape } from "./database.js";
import { Forbidden, InvalidInput, NotFound } from "./errors.js";
import { newId } from "./ids.js";
import { decodeInput, invalid, isUniqueViolation, type Actor, type Prepare } from "./inbox-access.js";

// ---------------------------------------------------------------------------------------------
// Schemas

export const MAX_LIST_NAME = 100;

export const ListName = S.Trim.pipe(
  S.minLength(1, { message: () => "enter a name for the list" }),
  S.maxLength(MAX_LIST_NAME, { message: () => `a list name is at most ${MAX_LIST_NAME} characters` }),
);

/** A new list, or a rename. */
export const ListInput = S.Struct({ name: ListName });

/** A contact to add to a list, or remove from it (form fields). */
export const MembershipInput = S.Struct({
  listId: S.String.pipe(S.minLength(1, { message: () => "pick a list" }), S.maxLength(100, { message: () => "a list is a list id" })),
});

// ---------------------------------------------------------------------------------------------
// Shapes

export interface ContactListSummary {
  readonly id: string;
  readonly name: string;
  readonly memberCount: number;
  readonly createdAt: number;
}

/** A list a contact is on: how and when they were added. */
export interface ContactMembership {
  readonly listId: string;
  readonly name: string;
  readonly addedAt: number;
  readonly source: "bot" | "agent" | "import";
  readonly conversationId: string | null;
}

/** A contact's email consent: its latest state and the record of what they agreed to. */
export interface EmailConsent {
  readonly status: "subscribed" | "unsubscribed";
  readonly subscribedAt: number | null;
  readonly unsubscribedAt: number | null;
  /** The exact text the visitor agreed to. */
  readonly consentText: string | null;
  /** The conversation in which they agreed. */
  readonly conversationId: string | null;
  /** The address they agreed for. */
  readonly email: string | null;
}

export interface ContactListsShape {
  /** Every list by name, with its member count (anyone who works with contacts or flows). */
  readonly all: (actor: Actor) => Effect.Effect<ReadonlyArray<ContactListSummary>, Forbidden>;
  /** A new list (admins and marketers); a name already taken (any case) is refused under `name`. */
  readonly create: (actor: Actor, input: unknown) => Effect.Effect<ContactListSummary, InvalidInput | Forbidden>;
  readonly rename: (actor: Actor, listId: string, input: unknown) => Effect.Effect<ContactListSummary, InvalidInput | Forbidden | NotFound>;
  /** Deletes a list and its memberships (the contacts stay). */
  readonly remove: (actor: Actor, listId: string) => Effect.Effect<void, Forbidden | NotFound>;
  /** Adds a contact to a list (input `{ listId }`); adding a member again changes nothing. */
  readonly addContact: (actor: Actor, contactId: string, input: unknown) => Effect.Effect<void, InvalidInput | Forbidden | NotFound>;
  /** Takes a contact off a list (input `{ listId }`). */
  readonly removeContact: (actor: Actor, contactId: string, input: unknown) => Effect.Effect<void, InvalidInput | Forbidden | NotFound>;
  /** The lists a contact is on, by name. */
  readonly of: (contactId: string) => Effect.Effect<ReadonlyArray<ContactMembership>>;
  /** The contact's email consent, or null when they never said. */
  readonly consentOf: (contactId: string) => Effect.Effect<EmailConsent | null>;
  /** Records that the contact asked to receive no more email (an agent, e.g. after a reply asking so). */
  readonly unsubscribe: (actor: Actor, contactId: string) => Effect.Effect<EmailConsent, Forbidden | NotFound>;
}

export class ContactLists extends Context.Tag("ContactLists")<ContactLists, ContactListsShape>() {}

// ---------------------------------------------------------------------------------------------
// In-write helpers (shared with the engine and Contacts; synchronous, inside `write`)

/** Where a bot's change happened: the conversation's columns the events log records. */
export interface ConversationRef {
  readonly id: string;
  readonly inbox_id: string | null;
  readonly channel_id: string | null;
  readonly chatflow_id: string | null;
  readonly chatflow_version_id: string | null;
  readonly is_preview: number;
}

const logEvent = (
  prepare: Prepare,
  type: string,
  at: number,
  fields: { readonly userId?: string | null; readonly conversation?: ConversationRef | null; readonly nodeId?: string | null; readonly data: unknown },
) => {
  const c = fields.conversation ?? null;
  prepare(
    `INSERT INTO events (type, at, conversation_id, chatflow_id, chatflow_version_id, node_id, user_id, inbox_id, channel_id, is_preview, data)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    type,
    at,
    c?.id ?? null,
    c?.chatflow_id ?? null,
    c?.chatflow_version_id ?? null,
    fields.nodeId ?? null,
    fields.userId ?? null,
    c?.inbox_id ?? null,
    c?.channel_id ?? null,
    c?.is_preview ?? 0,
    JSON.stringify(fields.data),
  );
};

/** True when the list exists (synchronous). */
export const listExists = (prepare: Prepare, listId: string): boolean => prepare("SELECT 1 FROM contact_lists WHERE id = ?").get(listId) !== undefined;

/**
 * A bot's `add_to_list`: adds the conversation's contact to the list, or — when the visitor is
 * not a contact yet — remembers the visitor on the list until they get one. Returns what it
 * did; "no_list" when the list was deleted since publishing (nothing is written). Inside a write.
 */
export const addToListInWrite = (
  prepare: Prepare,
  args: {
    readonly listId: string;
    readonly contactId: string | null;
    readonly visitorId: string | null;
    readonly conversation: ConversationRef;
    readonly nodeId: string;
    readonly now: number;
  },
): "added" | "already" | "waiting" | "no_list" | "no_visitor" => {
  if (!listExists(prepare, args.listId)) return "no_list";
  if (args.contactId !== null) {
    const changes = prepare(
      `INSERT INTO contact_list_members (list_id, contact_id, added_at, source, conversation_id) VALUES (?, ?, ?, 'bot', ?)
       ON CONFLICT DO NOTHING`,
    ).run(args.listId, args.contactId, args.now, args.conversation.id).changes;
    if (changes === 0) return "already";
    logEvent(prepare, "contact_list_added", args.now, {
      conversation: args.conversation,
      nodeId: args.nodeId,
      data: { listId: args.listId, contactId: args.contactId, source: "bot" },
    });
    return "added";
  }
  if (args.visitorId === null) return "no_visitor";
  prepare(
    `INSERT INTO contact_list_waiting (list_id, visitor_id, added_at, conversation_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  ).run(args.listId, args.visitorId, args.now, args.conversation.id);
  logEvent(prepare, "contact_list_waiting", args.now, {
    conversation: args.conversation,
    nodeId: args.nodeId,
    data: { listId: args.listId, visitorId: args.visitorId },
  });
  return "waiting";
};

/** Makes the visitor's waiting memberships the contact's (inside a write, where a visitor gets a contact). */
export const applyWaitingInWrite = (prepare: Prepare, visitorId: string, contactId: string, now: number): void => {
  const waiting = prepare("SELECT list_id, added_at, conversation_id FROM contact_list_waiting WHERE visitor_id = ?").all(visitorId) as Array<{
    list_id: string;
    added_at: number;
    conversation_id: string | null;
  }>;
  if (waiting.length === 0) return;
  for (const w of waiting) {
    const changes = prepare(
      `INSERT INTO contact_list_members (list_id, contact_id, added_at, source, conversation_id) VALUES (?, ?, ?, 'bot', ?)
       ON CONFLICT DO NOTHING`,
    ).run(w.list_id, contactId, w.added_at, w.conversation_id).changes;
    if (changes > 0) {
      logEvent(prepare, "contact_list_added", now, { data: { listId: w.list_id, contactId, source: "bot", visitorId, conversationId: w.conversation_id } });
    }
  }
  prepare("DELETE FROM contact_list_waiting WHERE visitor_id = ?").run(visitorId);
};

/**
 * A bot's `subscribe` on yes: records the contact's consent — when, in which conversation, the
 * exact text agreed to, for which address — replacing an earlier state, and logs it. Inside a write.
 */
export const recordConsentInWrite = (
  prepare: Prepare,
  args: {
    readonly contactId: string;
    readonly email: string;
    readonly consentText: string;
    readonly conversation: ConversationRef;
    readonly nodeId: string;
    readonly now: number;
  },
): void => {
  prepare(
    `INSERT INTO contact_email_consent (contact_id, status, subscribed_at, unsubscribed_at, consent_text, conversation_id, email, changed_by)
     VALUES (?, 'subscribed', ?, NULL, ?, ?, ?, NULL)
     ON CONFLICT (contact_id) DO UPDATE SET status = 'subscribed', subscribed_at = excluded.subscribed_at, unsubscribed_at = NULL,
       consent_text = excluded.consent_text, conversation_id = excluded.conversation_id, email = excluded.email, changed_by = NULL`,
  ).run(args.contactId, args.now, args.consentText, args.conversation.id, args.email);
  logEvent(prepare, "email_consent_changed", args.now, {
    conversation: args.conversation,
    nodeId: args.nodeId,
    data: { contactId: args.contactId, status: "subscribed", via: "bot", email: args.email, consentText: args.consentText },
  });
};

// ---------------------------------------------------------------------------------------------
// The service

const manages = (actor: Actor) => actor.role === "admin" || actor.role === "marketer";
const works = (actor: Actor) => actor.role === "admin" || actor.role === "marketer" || actor.role === "agent";

interface ConsentRow {
  status: "subscribed" | "unsubscribed";
  subscribed_at: number | null;
  unsubscribed_at: number | null;
  consent_text: string | null;
  conversation_id: string | null;
  email: string | null;
}

const toConsent = (row: ConsentRow): EmailConsent => ({
  status: row.status,
  subscribedAt: row.subscribed_at,
  unsubscribedAt: row.unsubscribed_at,
  consentText: row.consent_text,
  conversationId: row.conversation_id,
  email: row.email,
});

/** The ContactLists service over an open database (exported for tests). */
export const makeContactLists = (db: DatabaseShape): ContactListsShape => {
  const prepare = db.prepare;
  const refuse = (message: string) => Effect.fail(new Forbidden({ message }));

  const summary = (listId: string) =>
    prepare(
      `SELECT l.id, l.name, l.created_at AS createdAt, (SELECT COUNT(*) FROM contact_list_members m WHERE m.list_id = l.id) AS memberCount
       FROM contact_lists l WHERE l.id = ?`,
    ).get(listId) as ContactListSummary | undefined;

  /** A write's expected refusal as the failure it is; anything else is a defect. */
  const expected = <A>(effect: Effect.Effect<A, { readonly _tag: "WriteFailed"; readonly cause: unknown }>) =>
    effect.pipe(
      Effect.catchTag("WriteFailed", (failed) =>
        failed.cause instanceof InvalidInput || failed.cause instanceof NotFound ? Effect.fail(failed.cause) : Effect.die(failed.cause),
      ),
    );

  const nameTaken = (name: string) => invalid("name", `a list named “${name}” already exists`);

  const all: ContactListsShape["all"] = (actor) =>
    works(actor)
      ? Effect.sync(
          () =>
            prepare(
              `SELECT l.id, l.name, l.created_at AS createdAt, COUNT(m.contact_id) AS memberCount
               FROM contact_lists l LEFT JOIN contact_list_members m ON m.list_id = l.id
               GROUP BY l.id ORDER BY l.name COLLATE NOCASE, l.id`,
            ).all() as ContactListSummary[],
        )
      : refuse("Your role does not work with contact lists.");

  const create: ContactListsShape["create"] = Effect.fn("ContactLists.create")(function* (actor, input) {
    if (!manages(actor)) return yield* refuse("Only admins and marketers create lists.");
    const { name } = yield* decodeInput(ListInput, input);
    const id = newId("list");
    yield* expected(
      db.writeEffect(() => {
        const now = wallClock.now();
        try {
          prepare("INSERT INTO contact_lists (id, name, created_at, created_by) VALUES (?, ?, ?, ?)").run(id, name, now, actor.id);
        } catch (error) {
          if (isUniqueViolation(error)) throw nameTaken(name);
          throw error;
        }
        logEvent(prepare, "contact_list_created", now, { userId: actor.id, data: { listId: id, name } });
      }),
    ).pipe(Effect.catchTag("NotFound", Effect.die));
    return summary(id)!;
  });

  const rename: ContactListsShape["rename"] = Effect.fn("ContactLists.rename")(function* (actor, listId, input) {
    if (!manages(actor)) return yield* refuse("Only admins and marketers rename lists.");
    const { name } = yield* decodeInput(ListInput, input);
    yield* expected(
      db.writeEffect(() => {
        const current = prepare("SELECT name FROM contact_lists WHERE id = ?").get(listId) as { name: string } | undefined;
        if (!current) throw new NotFound({ entity: "list", id: listId });
        if (current.name === name) return;
        const now = wallClock.now();
        try {
          prepare("UPDATE contact_lists SET name = ? WHERE id = ?").run(name, listId);
        } catch (error) {
          if (isUniqueViolation(error)) throw nameTaken(name);
          throw error;
        }
        logEvent(prepare, "contact_list_renamed", now, { userId: actor.id, data: { listId, from: current.name, to: name } });
      }),
    );
    return summary(listId)!;
  });

  const remove: ContactListsShape["remove"] = Effect.fn("ContactLists.remove")(function* (actor, listId) {
    if (!manages(actor)) return yield* refuse("Only admins and marketers delete lists.");
    yield* expected(
      db.writeEffect(() => {
        const current = summary(listId);
        if (!current) throw new NotFound({ entity: "list", id: listId });
        // Memberships and waiting visitors go with the list (ON DELETE CASCADE); the events keep the record.
        prepare("DELETE FROM contact_lists WHERE id = ?").run(listId);
        logEvent(prepare, "contact_list_deleted", wallClock.now(), {
          userId: actor.id,
          data: { listId, name: current.name, memberCount: current.memberCount },
        });
      }),
    ).pipe(Effect.catchTag("InvalidInput", Effect.die));
  });

  const membership = (actor: Actor, contactId: string, input: unknown, what: string) =>
    Effect.gen(function* () {
      if (!works(actor)) return yield* refuse(`Your role cannot ${what}.`);
      const { listId } = yield* decodeInput(MembershipInput, input);
      if (prepare("SELECT 1 FROM contacts WHERE id = ?").get(contactId) === undefined) {
        return yield* Effect.fail(new NotFound({ entity: "contact", id: contactId }));
      }
      return listId;
    });

  const addContact: ContactListsShape["addContact"] = Effect.fn("ContactLists.addContact")(function* (actor, contactId, input) {
    const listId = yield* membership(actor, contactId, input, "add contacts to lists");
    yield* expected(
      db.writeEffect(() => {
        if (!listExists(prepare, listId)) throw invalid("listId", "this list does not exist (any more)");
        const now = wallClock.now();
        const changes = prepare(
          `INSERT INTO contact_list_members (list_id, contact_id, added_at, source, added_by) VALUES (?, ?, ?, 'agent', ?) ON CONFLICT DO NOTHING`,
        ).run(listId, contactId, now, actor.id).changes;
        if (changes > 0) logEvent(prepare, "contact_list_added", now, { userId: actor.id, data: { listId, contactId, source: "agent" } });
      }),
    );
  });

  const removeContact: ContactListsShape["removeContact"] = Effect.fn("ContactLists.removeContact")(function* (actor, contactId, input) {
    const listId = yield* membership(actor, contactId, input, "take contacts off lists");
    yield* expected(
      db.writeEffect(() => {
        const now = wallClock.now();
        const changes = prepare("DELETE FROM contact_list_members WHERE list_id = ? AND contact_id = ?").run(listId, contactId).changes;
        if (changes > 0) logEvent(prepare, "contact_list_removed", now, { userId: actor.id, data: { listId, contactId } });
      }),
    );
  });

  const of: ContactListsShape["of"] = (contactId) =>
    Effect.sync(
      () =>
        prepare(
          `SELECT m.list_id AS listId, l.name, m.added_at AS addedAt, m.source, m.conversation_id AS conversationId
           FROM contact_list_members m JOIN contact_lists l ON l.id = m.list_id
           WHERE m.contact_id = ? ORDER BY l.name COLLATE NOCASE`,
        ).all(contactId) as ContactMembership[],
    );

  const readConsent = (contactId: string) => prepare("SELECT * FROM contact_email_consent WHERE contact_id = ?").get(contactId) as ConsentRow | undefined;

  const consentOf: ContactListsShape["consentOf"] = (contactId) =>
    Effect.sync(() => {
      const row = readConsent(contactId);
      return row ? toConsent(row) : null;
    });

  const unsubscribe: ContactListsShape["unsubscribe"] = Effect.fn("ContactLists.unsubscribe")(function* (actor, contactId) {
    if (!works(actor)) return yield* refuse("Your role cannot change a contact's email consent.");
    const row = yield* expected(
      db.writeEffect(() => {
        const contact = prepare("SELECT email FROM contacts WHERE id = ?").get(contactId) as { email: string | null } | undefined;
        if (!contact) throw new NotFound({ entity: "contact", id: contactId });
        const now = wallClock.now();
        // The record of what they once agreed to stays beside the unsubscription.
        prepare(
          `INSERT INTO contact_email_consent (contact_id, status, unsubscribed_at, email, changed_by) VALUES (?, 'unsubscribed', ?, ?, ?)
           ON CONFLICT (contact_id) DO UPDATE SET status = 'unsubscribed', unsubscribed_at = excluded.unsubscribed_at, changed_by = excluded.changed_by`,
        ).run(contactId, now, contact.email, actor.id);
        logEvent(prepare, "email_consent_changed", now, { userId: actor.id, data: { contactId, status: "unsubscribed", via: "agent" } });
        return readConsent(contactId)!;
      }),
    ).pipe(Effect.catchTag("InvalidInput", Effect.die));
    return toConsent(row);
  });

  return { all, create, rename, remove, addContact, removeContact, of, consentOf, unsubscribe };
};

export const layer: Layer.Layer<ContactLists, never, Database> = Layer.effect(ContactLists, Effect.map(Database, makeContactLists));
