/**
 * A contact's personal data (GDPR Art. 15 and 17), for admins: export everything Parley holds
 * about the person as one JSON document, and erase it.
 *
 * - Export: the contact's fields and properties, owner, lists and email consent with its
 *   history (the `email_consent_changed` events), their visitors (device, language, page,
 *   attributes, email / Messenger identities), their conversations with every message the person
 *   saw or wrote — internal comments are left out, they are the team's notes about the person,
 *   not data the person gave (counted, so the export says they exist) — ratings, tickets, and
 *   attachments' metadata (name, type, size, SHA-256; the bytes are downloaded from the inbox).
 * - Erase: one write. The contact row goes (with its search row, list memberships and consent);
 *   their conversations stay as shells so every report keeps its counts — status, times,
 *   assignments, labels and the events log are untouched — but every message's text in them
 *   becomes "(erased)" (the full-text index follows by its trigger), attachments and message
 *   payloads are deleted, the page URL, preview and the bot's collected answers are cleared,
 *   their tickets keep their status with the subject and notes erased. Their visitors stay as
 *   anonymous rows (device and language, which reports count) without attributes, user agent or
 *   page, and lose their email / Messenger identities. Events keep their rows; the personal
 *   values in them (an email, a consent text, a ticket subject, a page URL) are removed from
 *   their data (migration 31). Outgoing webhook deliveries about the person are deleted. A
 *   `contact_erased` event records who erased which contact id and how much, nothing personal.
 *   The write runs with `secure_delete` (SQLite's and FTS5's: `erasing` in database.ts) so the
 *   old bytes are zeroed, and the WAL is truncated after the COMMIT, so they leave the disk files.
 *
 * A conversation counts as the person's when it is linked to the contact, or has no contact and
 * belongs to one of the contact's visitors (an agent may have linked a visitor's other
 * conversation to someone else: that one is not theirs).
 */
import { Context, Effect, Layer, Schema as S } from "effect";
import * as wallClock from "./clock.js";
import { announceContactChange, deleteContactInWrite } from "./contact-merge.js";
import { readContact, type Contact } from "./contacts.js";
import { auditActorAs, recordAudit } from "./audit-log.js";
import { Database, erasing, type DatabaseShape } from "./database.js";
import { Forbidden, InvalidInput, NotFound } from "./errors.js";
import { decodeInput, invalid, type Actor, type Prepare } from "./inbox-access.js";
import { LiveEvents, type LiveEventsShape } from "./live-events.js";

/** The full-text indexes that hold a person's words (messages) and fields (contacts). */
const PERSONAL_SEARCH_INDEXES = ["messages_fts", "contacts_fts"] as const;

/** What erased text reads as in the inbox. */
export const ERASED_TEXT = "(erased)";

/** The erase form: the contact's name or email typed again. */
export const EraseInput = S.Struct({
  confirm: S.String.pipe(S.maxLength(300, { message: () => "type the contact's name or email" })),
});

export interface ExportedMessage {
  readonly id: number;
  readonly author: "visitor" | "bot" | "agent" | "system";
  readonly text: string;
  readonly createdAt: string;
  readonly attachments: ReadonlyArray<{ readonly id: string; readonly filename: string; readonly contentType: string; readonly size: number; readonly sha256: string }>;
}

/** The personal-data export of one contact (Art. 15). */
export interface ContactDataExport {
  readonly exportedAt: string;
  readonly format: "parley-contact-export/1";
  readonly notes: ReadonlyArray<string>;
  readonly contact: {
    readonly id: string;
    readonly email: string | null;
    readonly name: string | null;
    readonly phone: string | null;
    readonly properties: Readonly<Record<string, string>>;
    readonly owner: string | null;
    readonly createdAt: string;
    readonly updatedAt: string;
  };
  readonly lists: ReadonlyArray<{ readonly name: string; readonly addedAt: string; readonly source: string }>;
  readonly emailConsent: {
    readonly current: {
      readonly status: string;
      readonly subscribedAt: string | null;
      readonly unsubscribedAt: string | null;
      readonly consentText: string | null;
      readonly email: string | null;
    } | null;
    readonly history: ReadonlyArray<{ readonly at: string; readonly status: string; readonly via: string | null; readonly email: string | null; readonly consentText: string | null }>;
  };
  readonly visitors: ReadonlyArray<{
    readonly id: string;
    readonly channel: string;
    readonly device: string | null;
    readonly language: string | null;
    readonly userAgent: string | null;
    readonly lastPageUrl: string | null;
    readonly attributes: unknown;
    readonly firstSeenAt: string;
    readonly lastSeenAt: string;
    readonly identities: ReadonlyArray<string>;
  }>;
  readonly conversations: ReadonlyArray<{
    readonly id: string;
    readonly channel: string;
    readonly inbox: string;
    readonly status: string;
    readonly pageUrl: string | null;
    readonly createdAt: string;
    readonly closedAt: string | null;
    readonly rating: { readonly score: number; readonly comment: string | null; readonly ratedAt: string } | null;
    readonly messages: ReadonlyArray<ExportedMessage>;
    readonly internalCommentsLeftOut: number;
  }>;
  readonly tickets: ReadonlyArray<{
    readonly id: string;
    readonly subject: string;
    readonly description: string;
    readonly status: string;
    readonly priority: string;
    readonly createdAt: string;
    readonly updatedAt: string;
  }>;
}

/** What an erasure removed (counts only). */
export interface ErasureResult {
  readonly contactId: string;
  readonly conversations: number;
  readonly messages: number;
  readonly attachments: number;
  readonly tickets: number;
  readonly visitors: number;
}

export interface ContactPrivacyShape {
  /** Everything held about the contact, as one JSON-ready document (admins only). */
  readonly exportData: (actor: Actor, contactId: string) => Effect.Effect<ContactDataExport, NotFound | Forbidden>;
  /** Erases the contact and their personal data in one write, once their name or email is typed (admins only). */
  readonly erase: (actor: Actor, contactId: string, input: unknown) => Effect.Effect<ErasureResult, InvalidInput | NotFound | Forbidden>;
}

export class ContactPrivacy extends Context.Tag("ContactPrivacy")<ContactPrivacy, ContactPrivacyShape>() {}

/** What the person must type to erase `contact`: any of these, ignoring case and outer spaces. Pure. */
export const erasureConfirmations = (contact: Pick<Contact, "email" | "name" | "phone">): ReadonlyArray<string> => {
  const named = [contact.name, contact.email].filter((v): v is string => v !== null && v.trim() !== "");
  // A contact known only by a phone number is confirmed with it.
  const all = named.length > 0 ? named : contact.phone !== null ? [contact.phone] : [];
  return all.map((v) => v.trim().toLowerCase());
};

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const isoOf = (ms: number): string => new Date(ms).toISOString();

/** The person's conversations as SQL over the named parameter @c (the contact id); see the module's note. */
const CONVERSATIONS = `SELECT id FROM conversations WHERE contact_id = @c
  UNION ALL SELECT id FROM conversations WHERE contact_id IS NULL AND visitor_id IN (SELECT id FROM visitors WHERE contact_id = @c)`;
/** The person's tickets (a condition on tickets), over @c. */
const TICKETS = `(contact_id = @c OR conversation_id IN (${CONVERSATIONS}))`;

/** The ids of the contact's visitors and conversations (see the module's note; synchronous). */
const personScope = (prepare: Prepare, contactId: string) => {
  const visitors = (prepare("SELECT id FROM visitors WHERE contact_id = ?").all(contactId) as Array<{ id: string }>).map((v) => v.id);
  const conversations = prepare(`SELECT id, inbox_id FROM conversations WHERE id IN (${CONVERSATIONS}) ORDER BY created_at, id`).all({ c: contactId }) as Array<{
    id: string;
    inbox_id: string;
  }>;
  return { visitors, conversations };
};

/** Keys of event data that may hold a person's words or addresses; reports read none of them. */
const PERSONAL_EVENT_KEYS = ["$.email", "$.consentText", "$.subject", "$.pageUrl", "$.text", "$.comment", "$.message"];

/** The ContactPrivacy service over an open database (exported for tests). */
export const makeContactPrivacy = (deps: { readonly db: DatabaseShape; readonly live: LiveEventsShape }): ContactPrivacyShape => {
  const { db, live } = deps;
  const prepare = db.prepare;
  const adminOnly = (actor: Actor, what: string) =>
    actor.role === "admin" ? Effect.void : Effect.fail(new Forbidden({ message: `Only admins may ${what} a contact's personal data.` }));

  const exportData: ContactPrivacyShape["exportData"] = Effect.fn("ContactPrivacy.exportData")(function* (actor, contactId) {
    yield* adminOnly(actor, "export");
    const contact = readContact(prepare, contactId);
    if (!contact) return yield* Effect.fail(new NotFound({ entity: "contact", id: contactId }));
    const scope = personScope(prepare, contactId);
    const lists = prepare(
      `SELECT l.name, m.added_at, m.source FROM contact_list_members m JOIN contact_lists l ON l.id = m.list_id
       WHERE m.contact_id = ? ORDER BY l.name COLLATE NOCASE`,
    ).all(contactId) as Array<{ name: string; added_at: number; source: string }>;
    const consent = prepare("SELECT * FROM contact_email_consent WHERE contact_id = ?").get(contactId) as
      | { status: string; subscribed_at: number | null; unsubscribed_at: number | null; consent_text: string | null; email: string | null }
      | undefined;
    const consentHistory = prepare(
      `SELECT at, json_extract(data, '$.status') AS status, json_extract(data, '$.via') AS via, json_extract(data, '$.email') AS email,
         json_extract(data, '$.consentText') AS consent_text
       FROM events WHERE type = 'email_consent_changed' AND json_extract(data, '$.contactId') = ? ORDER BY id`,
    ).all(contactId) as Array<{ at: number; status: string; via: string | null; email: string | null; consent_text: string | null }>;
    const visitors = scope.visitors.map((id) => {
      const v = prepare(
        `SELECT v.*, ch.name AS channel_name FROM visitors v JOIN channels ch ON ch.id = v.channel_id WHERE v.id = ?`,
      ).get(id) as {
        id: string;
        channel_name: string;
        device: string | null;
        language: string | null;
        user_agent: string | null;
        last_page_url: string | null;
        attributes: string;
        first_seen_at: number;
        last_seen_at: number;
      };
      const identities = prepare("SELECT external_id FROM channel_identities WHERE visitor_id = ? ORDER BY created_at").all(id) as Array<{ external_id: string }>;
      let attributes: unknown = {};
      try {
        attributes = JSON.parse(v.attributes);
      } catch {
        attributes = v.attributes;
      }
      return {
        id: v.id,
        channel: v.channel_name,
        device: v.device,
        language: v.language,
        userAgent: v.user_agent,
        lastPageUrl: v.last_page_url,
        attributes,
        firstSeenAt: isoOf(v.first_seen_at),
        lastSeenAt: isoOf(v.last_seen_at),
        identities: identities.map((i) => i.external_id),
      };
    });
    const conversations = scope.conversations.flatMap(({ id }) => {
      const c = prepare(
        `SELECT x.id, x.status, x.page_url, x.created_at, x.closed_at, x.is_preview, ch.name AS channel_name, i.name AS inbox_name
         FROM conversations x JOIN channels ch ON ch.id = x.channel_id JOIN inboxes i ON i.id = x.inbox_id WHERE x.id = ?`,
      ).get(id) as { id: string; status: string; page_url: string | null; created_at: number; closed_at: number | null; is_preview: number; channel_name: string; inbox_name: string };
      if (c.is_preview === 1) return [];
      const messages = prepare("SELECT id, author, text, is_internal, created_at FROM messages WHERE conversation_id = ? ORDER BY id").all(id) as Array<{
        id: number;
        author: ExportedMessage["author"];
        text: string;
        is_internal: number;
        created_at: number;
      }>;
      const files = prepare("SELECT id, message_id, filename, content_type, size, sha256 FROM attachments WHERE conversation_id = ? ORDER BY created_at, id").all(id) as Array<{
        id: string;
        message_id: number;
        filename: string;
        content_type: string;
        size: number;
        sha256: string;
      }>;
      const rating = prepare("SELECT score, comment, rated_at FROM conversation_ratings WHERE conversation_id = ?").get(id) as
        | { score: number; comment: string | null; rated_at: number }
        | undefined;
      const shown = messages.filter((m) => m.is_internal === 0);
      return [
        {
          id: c.id,
          channel: c.channel_name,
          inbox: c.inbox_name,
          status: c.status,
          pageUrl: c.page_url,
          createdAt: isoOf(c.created_at),
          closedAt: iso(c.closed_at),
          rating: rating ? { score: rating.score, comment: rating.comment, ratedAt: isoOf(rating.rated_at) } : null,
          messages: shown.map((m) => ({
            id: m.id,
            author: m.author,
            text: m.text,
            createdAt: isoOf(m.created_at),
            attachments: files
              .filter((f) => f.message_id === m.id)
              .map((f) => ({ id: f.id, filename: f.filename, contentType: f.content_type, size: f.size, sha256: f.sha256 })),
          })),
          internalCommentsLeftOut: messages.length - shown.length,
        },
      ];
    });
    const tickets = prepare(
      `SELECT id, subject, description, status, priority, created_at, updated_at FROM tickets
       WHERE ${TICKETS} ORDER BY created_at, id`,
    ).all({ c: contactId }) as Array<{ id: string; subject: string; description: string; status: string; priority: string; created_at: number; updated_at: number }>;
    const now = wallClock.now();
    const audit = yield* auditActorAs(actor.id);
    yield* Effect.orDie(
      db.writeEffect((sqlite) => {
        prepare("INSERT INTO events (type, at, user_id, data) VALUES ('contact_data_exported', ?, ?, ?)").run(now, actor.id, JSON.stringify({ contactId }));
        // Ids only, never a name or an address: the line outlives an erasure of the person.
        recordAudit(sqlite, now, audit, { action: "contact.data_exported", target: { type: "contact", id: contactId }, data: { contactId } });
      }),
    );
    return {
      exportedAt: isoOf(now),
      format: "parley-contact-export/1" as const,
      notes: [
        "Internal comments (the team's notes in a conversation) are not included; each conversation counts those left out.",
        "Attachments are listed by name, type, size and SHA-256; the files themselves are in the conversation.",
        "Agents are named by role only: their names are the team's data, not the contact's.",
      ],
      contact: {
        id: contact.id,
        email: contact.email,
        name: contact.name,
        phone: contact.phone,
        properties: contact.properties,
        owner: contact.owner?.name ?? null,
        createdAt: isoOf(contact.createdAt),
        updatedAt: isoOf(contact.updatedAt),
      },
      lists: lists.map((l) => ({ name: l.name, addedAt: isoOf(l.added_at), source: l.source })),
      emailConsent: {
        current: consent
          ? {
              status: consent.status,
              subscribedAt: iso(consent.subscribed_at),
              unsubscribedAt: iso(consent.unsubscribed_at),
              consentText: consent.consent_text,
              email: consent.email,
            }
          : null,
        history: consentHistory.map((h) => ({ at: isoOf(h.at), status: h.status, via: h.via, email: h.email, consentText: h.consent_text })),
      },
      visitors,
      conversations,
      tickets: tickets.map((t) => ({
        id: t.id,
        subject: t.subject,
        description: t.description,
        status: t.status,
        priority: t.priority,
        createdAt: isoOf(t.created_at),
        updatedAt: isoOf(t.updated_at),
      })),
    };
  });

  const erase: ContactPrivacyShape["erase"] = Effect.fn("ContactPrivacy.erase")(function* (actor, contactId, input) {
    yield* adminOnly(actor, "erase");
    const { confirm } = yield* decodeInput(EraseInput, input);
    const audit = yield* auditActorAs(actor.id);
    const outcome = yield* db
      .writeEffect((sqlite) => {
        const contact = readContact(prepare, contactId);
        if (!contact) throw new NotFound({ entity: "contact", id: contactId });
        if (!erasureConfirmations(contact).includes(confirm.trim().toLowerCase())) {
          throw invalid("confirm", "type the contact's name or email exactly as shown to confirm: nothing was erased");
        }
        // Zeroed as it goes: no freed page, overflow page or index segment keeps the person's bytes.
        return erasing(sqlite, PERSONAL_SEARCH_INDEXES, () => {
          const scope = personScope(prepare, contactId);
          const c = { c: contactId, erased: ERASED_TEXT };
          // Every statement names the person's rows by the same subqueries (static SQL, cached once),
          // in an order that keeps them true: the links to the contact are cut last.
          const tickets = (prepare(`SELECT count(*) AS n FROM tickets WHERE ${TICKETS}`).get({ c: contactId }) as { n: number }).n;
          // Events first, while their conversations and tickets still say whose they are.
          prepare("UPDATE event_redaction SET active = 1").run();
          prepare(
            `UPDATE events SET data = json_remove(data, ${PERSONAL_EVENT_KEYS.map((k) => `'${k}'`).join(", ")})
             WHERE (conversation_id IN (${CONVERSATIONS}) OR json_extract(data, '$.contactId') = @c
                    OR json_extract(data, '$.ticketId') IN (SELECT id FROM tickets WHERE ${TICKETS}))
               AND json_valid(data) AND (${PERSONAL_EVENT_KEYS.map((k) => `json_type(data, '${k}') IS NOT NULL`).join(" OR ")})`,
          ).run({ c: contactId });
          prepare("UPDATE event_redaction SET active = 0").run();
          // Webhook bodies already built about the person (sent or pending) go; nothing more is sent about them.
          prepare(
            `DELETE FROM webhook_deliveries WHERE contact_id = @c
               OR event_id IN (SELECT id FROM events WHERE json_extract(data, '$.contactId') = @c OR conversation_id IN (${CONVERSATIONS}))`,
          ).run({ c: contactId });
          const attachments = prepare(`DELETE FROM attachments WHERE conversation_id IN (${CONVERSATIONS})`).run({ c: contactId }).changes;
          // The FTS trigger on messages takes the old text out of the index and puts "(erased)" in.
          const messages = prepare(`UPDATE messages SET text = @erased, payload = NULL WHERE conversation_id IN (${CONVERSATIONS})`).run(c).changes;
          prepare(`DELETE FROM external_messages WHERE conversation_id IN (${CONVERSATIONS})`).run({ c: contactId });
          prepare(`UPDATE deliveries SET last_error = NULL WHERE conversation_id IN (${CONVERSATIONS})`).run({ c: contactId });
          prepare(`UPDATE follow_up_emails SET recipient = NULL, reason = NULL WHERE conversation_id IN (${CONVERSATIONS})`).run({ c: contactId });
          // Transcripts by email (migration 44): their address is the person's, and a queued one must not go out after this.
          prepare(`DELETE FROM transcript_emails WHERE conversation_id IN (${CONVERSATIONS})`).run({ c: contactId });
          prepare(`UPDATE conversation_ratings SET comment = NULL WHERE conversation_id IN (${CONVERSATIONS})`).run({ c: contactId });
          prepare(`UPDATE ticket_activity SET text = @erased WHERE kind = 'note' AND ticket_id IN (SELECT id FROM tickets WHERE ${TICKETS})`).run(c);
          prepare(`UPDATE tickets SET subject = @erased, description = '', contact_id = NULL WHERE ${TICKETS}`).run(c);
          // The bot's state keeps its place (a conversation still with the bot goes on) without the answers;
          // the version moves, so a turn that read the old state before this write starts again.
          prepare(
            `UPDATE conversations SET contact_id = NULL, page_url = NULL, version = version + 1,
               last_message_preview = CASE WHEN last_message_preview IS NULL THEN NULL ELSE @erased END,
               state = CASE WHEN state IS NULL OR NOT json_valid(state) THEN NULL
                 ELSE json_set(state, '$.variables', json('{}'), '$.contact', json('{}'), '$.lastAnswer', json('null')) END
             WHERE id IN (${CONVERSATIONS})`,
          ).run(c);
          prepare("DELETE FROM channel_identities WHERE visitor_id IN (SELECT id FROM visitors WHERE contact_id = ?)").run(contactId);
          prepare("DELETE FROM contact_list_waiting WHERE visitor_id IN (SELECT id FROM visitors WHERE contact_id = ?)").run(contactId);
          prepare("UPDATE visitors SET contact_id = NULL, attributes = '{}', user_agent = NULL, last_page_url = NULL WHERE contact_id = ?").run(contactId);
          // Conversations linked to the contact outside the person's scope cannot exist (scope takes them all); tickets likewise.
          deleteContactInWrite(prepare, contactId);
          const result: ErasureResult = {
            contactId,
            conversations: scope.conversations.length,
            messages,
            attachments,
            tickets,
            visitors: scope.visitors.length,
          };
          const at = wallClock.now();
          prepare("INSERT INTO events (type, at, user_id, data) VALUES ('contact_erased', ?, ?, ?)").run(at, actor.id, JSON.stringify(result));
          recordAudit(sqlite, at, audit, { action: "contact.erased", target: { type: "contact", id: contactId }, data: { ...result } });
          return { result, conversations: scope.conversations };
        });
      })
      .pipe(
        Effect.catchTag("WriteFailed", (failed) =>
          failed.cause instanceof NotFound || failed.cause instanceof InvalidInput ? Effect.fail(failed.cause) : Effect.die(failed.cause),
        ),
      );
    // After the COMMIT, outside any transaction: the WAL still holds the pages as they were before
    // the erasure; the checkpoint copies the zeroed pages into the database file and empties it.
    if (!db.truncateWal()) {
      yield* Effect.logWarning("ContactPrivacy.erase: the WAL could not be truncated (a reader in another process?): old page images stay in it until a later checkpoint");
    }
    yield* announceContactChange(live, outcome.conversations, null);
    return outcome.result;
  });

  return { exportData, erase };
};

export const layer: Layer.Layer<ContactPrivacy, never, Database | LiveEvents> = Layer.effect(
  ContactPrivacy,
  Effect.gen(function* () {
    return makeContactPrivacy({ db: yield* Database, live: yield* LiveEvents });
  }),
);
