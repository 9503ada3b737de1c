/**
 * Merging duplicate contacts: the same person arrived twice (the widget, a bot, email,
 * Messenger, a form, an import). The kept contact takes the other's conversations, tickets,
 * visitors (and with them their email / Messenger / phone identities and the lists they wait
 * on), list memberships and email consent, its owner when the kept one has none, and the
 * fields and properties it lacks — the kept contact's own values win. The other contact is then
 * deleted, all in one write, with a `contacts_merged` event naming both ids (and what moved) for
 * the audit trail and for the deleted contact's page, which sends people on to the kept one.
 *
 * Consent: one row per contact holds its latest decision. The merged row is the most recent
 * decision, except that an unsubscription on either side is never turned into a subscription
 * (the person said no to email once; a yes on their other record does not undo it).
 *
 * Also the contact page's "Possible duplicates": other contacts with the same mailbox (an
 * address is unique ignoring case, so the same email is the same address written another way —
 * a +tag, Gmail's dots — or kept in a property, see `mailboxKey`), the same phone (stored in
 * E.164), or the same name with the same company or email domain.
 */
import { Context, Effect, Layer, Schema as S } from "effect";
import * as wallClock from "./clock.js";
import { cannotOwn, EMAIL_PATTERN, MAX_PROPERTIES, parseProperties, readContact, type Contact } from "./contacts.js";
import { auditActorAs, recordAudit } from "./audit-log.js";
import { Database, type DatabaseShape } from "./database.js";
import { Forbidden, InvalidInput, NotFound } from "./errors.js";
import { decodeInput, invalid, worksInInboxes, type Actor, type Prepare } from "./inbox-access.js";
import { LiveEvents, type LiveEventsShape } from "./live-events.js";

/** The merge form: which contact goes into the page's contact. */
export const MergeInput = S.Struct({
  otherId: S.String.pipe(S.minLength(1, { message: () => "pick the contact to merge into this one" }), S.maxLength(100, { message: () => "a contact id is at most 100 characters" })),
});

/** Domains whose mailboxes ignore dots in the name; googlemail.com is gmail.com's other name. */
const GMAIL_DOMAINS: ReadonlySet<string> = new Set(["gmail.com", "googlemail.com"]);

/**
 * The mailbox an address reaches, as a key: lower case, without a +tag (`ann+news@` is `ann@`:
 * Gmail, Outlook, iCloud, Fastmail and most others deliver both to one mailbox), and at Gmail
 * without dots in the name and with googlemail.com read as gmail.com. Null when `address` is not
 * an email address. Pure.
 */
export const mailboxKey = (address: string): string | null => {
  const email = address.trim().toLowerCase();
  if (!EMAIL_PATTERN.test(email)) return null;
  const at = email.indexOf("@");
  let name = email.slice(0, at);
  let domain = email.slice(at + 1);
  const plus = name.indexOf("+");
  if (plus > 0) name = name.slice(0, plus);
  if (GMAIL_DOMAINS.has(domain)) {
    domain = "gmail.com";
    name = name.replaceAll(".", "");
  }
  return `${name}@${domain}`;
};

/** The domains whose addresses may reach the mailbox `key` (both of Gmail's). Pure. */
const domainsOf = (key: string): ReadonlyArray<string> => {
  const domain = key.slice(key.indexOf("@") + 1);
  return GMAIL_DOMAINS.has(domain) ? [...GMAIL_DOMAINS] : [domain];
};

/** The mailboxes in a contact's properties (an address kept as `work_email`, say). Pure. */
const propertyMailboxes = (properties: Readonly<Record<string, string>>): ReadonlyArray<string> =>
  Object.values(properties).flatMap((value) => {
    const key = typeof value === "string" ? mailboxKey(value) : null;
    return key === null ? [] : [key];
  });

/** Why two contacts look like the same person. */
export type DuplicateReason = "email" | "phone" | "name_company" | "name_domain";

export interface PossibleDuplicate {
  readonly contact: Contact;
  readonly reasons: ReadonlyArray<DuplicateReason>;
}

/** A field the kept contact lacks and takes from the other, or one where both differ and the kept value stays. */
export interface FieldOutcome {
  readonly field: string;
  readonly kept: string | null;
  readonly other: string;
}

/** What merging `other` into `kept` would do (and, once done, did). */
export interface MergePlan {
  readonly kept: Contact;
  readonly other: Contact;
  readonly conversations: number;
  readonly tickets: number;
  readonly visitors: number;
  /** Email / Messenger / phone links of the other's visitors. */
  readonly identities: number;
  /** Lists the other is on that the kept contact is not. */
  readonly lists: ReadonlyArray<string>;
  /** The consent state after the merge, and whether it comes from the other contact. */
  readonly consent: { readonly status: "subscribed" | "unsubscribed" | null; readonly fromOther: boolean };
  /** The other's owner, when the kept contact has none and takes it. */
  readonly ownerTaken: string | null;
  /** Fields and properties the kept contact lacks and takes. */
  readonly taken: ReadonlyArray<FieldOutcome>;
  /** Fields and properties both have with different values: the kept contact's value stays. */
  readonly keptOver: ReadonlyArray<FieldOutcome>;
  /** Properties of the other that do not fit (a contact has at most MAX_PROPERTIES). */
  readonly dropped: ReadonlyArray<string>;
}

export interface ContactMergeShape {
  /** Contacts that look like the same person as `contactId` (at most 10). */
  readonly duplicates: (actor: Actor, contactId: string) => Effect.Effect<ReadonlyArray<PossibleDuplicate>, Forbidden>;
  /** What merging `otherId` into `keptId` would move (nothing is written). */
  readonly preview: (actor: Actor, keptId: string, input: unknown) => Effect.Effect<MergePlan, InvalidInput | NotFound | Forbidden>;
  /** Merges the other contact into `keptId` in one write and deletes it; the plan as done. */
  readonly merge: (actor: Actor, keptId: string, input: unknown) => Effect.Effect<MergePlan, InvalidInput | NotFound | Forbidden>;
  /** The contact a deleted contact was merged into (following later merges), or null. */
  readonly mergedInto: (contactId: string) => Effect.Effect<string | null>;
}

export class ContactMerge extends Context.Tag("ContactMerge")<ContactMerge, ContactMergeShape>() {}

interface ConsentRow {
  readonly contact_id: string;
  readonly status: "subscribed" | "unsubscribed";
  readonly subscribed_at: number | null;
  readonly unsubscribed_at: number | null;
}

const decidedAt = (row: ConsentRow): number => Math.max(row.subscribed_at ?? 0, row.unsubscribed_at ?? 0);

/**
 * The consent row a merge keeps: the most recent decision, except that an unsubscription on
 * either side wins over any subscription. Which of the two rows, or undefined for none. Pure.
 */
export const mergedConsent = (kept: ConsentRow | undefined, other: ConsentRow | undefined): "kept" | "other" | undefined => {
  if (!kept) return other ? "other" : undefined;
  if (!other) return "kept";
  if (kept.status !== other.status) return kept.status === "unsubscribed" ? "kept" : "other";
  return decidedAt(other) > decidedAt(kept) ? "other" : "kept";
};

/**
 * The kept contact's fields after the merge: its own values win, its blanks are filled from the
 * other, properties it lacks are taken up to MAX_PROPERTIES (in name order). Pure.
 */
export const mergedFields = (kept: Contact, other: Contact) => {
  const taken: FieldOutcome[] = [];
  const keptOver: FieldOutcome[] = [];
  const dropped: string[] = [];
  const pick = (field: string, mine: string | null, theirs: string | null): string | null => {
    if (theirs === null || theirs === "") return mine;
    if (mine === null || mine === "") {
      taken.push({ field, kept: null, other: theirs });
      return theirs;
    }
    if (mine !== theirs) keptOver.push({ field, kept: mine, other: theirs });
    return mine;
  };
  const email = pick("email", kept.email, other.email);
  const name = pick("name", kept.name, other.name);
  const phone = pick("phone", kept.phone, other.phone);
  const properties: Record<string, string> = { ...kept.properties };
  let count = Object.keys(properties).length;
  for (const key of Object.keys(other.properties).sort()) {
    const theirs = other.properties[key]!;
    if (key in properties) {
      pick(`properties.${key}`, properties[key]!, theirs);
    } else if (count < MAX_PROPERTIES) {
      properties[key] = pick(`properties.${key}`, null, theirs)!;
      count++;
    } else dropped.push(key);
  }
  return { email, name, phone, properties, taken, keptOver, dropped };
};

/**
 * Deletes a contact row whose references are already gone (inside a write), and moves the
 * webhook fan-out's contact cursors back when the row was the newest: SQLite gives the next
 * contact the freed rowid, which a cursor past it would never announce.
 */
export const deleteContactInWrite = (prepare: Prepare, contactId: string): void => {
  prepare("DELETE FROM contact_list_members WHERE contact_id = ?").run(contactId);
  prepare("DELETE FROM contact_email_consent WHERE contact_id = ?").run(contactId);
  prepare("DELETE FROM contacts WHERE id = ?").run(contactId);
  const { top } = prepare("SELECT COALESCE(max(rowid), 0) AS top FROM contacts").get() as { top: number };
  prepare("UPDATE webhook_cursor SET after_contact_rowid = ? WHERE after_contact_rowid > ?").run(top, top);
  prepare("UPDATE webhook_subscriptions SET starts_after_contact_rowid = ? WHERE starts_after_contact_rowid > ?").run(top, top);
};

/** Conversations of a contact with the inbox each is in, for live updates (synchronous). */
export const contactConversations = (prepare: Prepare, contactId: string) =>
  prepare("SELECT id, inbox_id FROM conversations WHERE contact_id = ?").all(contactId) as Array<{ id: string; inbox_id: string }>;

/** Tells agents' views that these conversations' contact changed. */
export const announceContactChange = (live: LiveEventsShape, conversations: ReadonlyArray<{ id: string; inbox_id: string }>, contactId: string | null) =>
  Effect.forEach(
    conversations,
    (c) => live.publish({ conversationId: c.id, inboxId: c.inbox_id, kind: "conversation", internal: true, data: { change: "contact", contactId } }),
    { discard: true },
  );

/** The ContactMerge service over an open database (exported for tests). */
export const makeContactMerge = (deps: { readonly db: DatabaseShape; readonly live: LiveEventsShape }): ContactMergeShape => {
  const { db, live } = deps;
  const prepare = db.prepare;
  const mayWork = (actor: Actor) => (worksInInboxes(actor) ? Effect.void : Effect.fail(new Forbidden({ message: "Your role cannot merge contacts." })));
  const count = (sql: string, ...args: unknown[]) => (prepare(`SELECT count(*) AS n FROM ${sql}`).get(...args) as { n: number }).n;
  const consentOf = (id: string) => prepare("SELECT * FROM contact_email_consent WHERE contact_id = ?").get(id) as ConsentRow | undefined;

  /** The plan for two existing contacts (synchronous; inside or outside a write). */
  const plan = (kept: Contact, other: Contact): MergePlan => {
    const fields = mergedFields(kept, other);
    const keptConsent = consentOf(kept.id);
    const otherConsent = consentOf(other.id);
    const consentFrom = mergedConsent(keptConsent, otherConsent);
    const lists = prepare(
      `SELECT l.name FROM contact_list_members m JOIN contact_lists l ON l.id = m.list_id
       WHERE m.contact_id = ? AND m.list_id NOT IN (SELECT list_id FROM contact_list_members WHERE contact_id = ?) ORDER BY l.name COLLATE NOCASE`,
    ).all(other.id, kept.id) as Array<{ name: string }>;
    return {
      kept,
      other,
      conversations: count("conversations WHERE contact_id = ?", other.id),
      tickets: count("tickets WHERE contact_id = ?", other.id),
      visitors: count("visitors WHERE contact_id = ?", other.id),
      identities: count("channel_identities WHERE visitor_id IN (SELECT id FROM visitors WHERE contact_id = ?)", other.id),
      lists: lists.map((l) => l.name),
      consent: {
        status: consentFrom === "kept" ? keptConsent!.status : consentFrom === "other" ? otherConsent!.status : null,
        fromOther: consentFrom === "other",
      },
      ownerTaken: kept.owner === null && other.owner !== null ? other.owner.name : null,
      taken: fields.taken,
      keptOver: fields.keptOver,
      dropped: fields.dropped,
    };
  };

  /** The two contacts, or why not (synchronous, so a write can call it too). */
  const pair = (keptId: string, otherId: string): { kept: Contact; other: Contact } | NotFound | InvalidInput => {
    const kept = readContact(prepare, keptId);
    if (!kept) return new NotFound({ entity: "contact", id: keptId });
    if (otherId === keptId) return invalid("otherId", "a contact cannot be merged into itself: pick another contact");
    const other = readContact(prepare, otherId);
    if (!other) return invalid("otherId", "that contact no longer exists: it was deleted or merged meanwhile");
    return { kept, other };
  };

  const preview: ContactMergeShape["preview"] = Effect.fn("ContactMerge.preview")(function* (actor, keptId, input) {
    yield* mayWork(actor);
    const { otherId } = yield* decodeInput(MergeInput, input);
    const found = pair(keptId, otherId.trim());
    if (found instanceof NotFound || found instanceof InvalidInput) return yield* Effect.fail(found);
    return plan(found.kept, found.other);
  });

  const merge: ContactMergeShape["merge"] = Effect.fn("ContactMerge.merge")(function* (actor, keptId, input) {
    yield* mayWork(actor);
    const otherId = (yield* decodeInput(MergeInput, input)).otherId.trim();
    const audit = yield* auditActorAs(actor.id);
    const done = yield* db
      .writeEffect((sqlite) => {
        // Read again inside the write: either contact may have been merged or erased meanwhile.
        const found = pair(keptId, otherId);
        if (found instanceof NotFound || found instanceof InvalidInput) throw found;
        const { kept, other } = found;
        const made = plan(kept, other);
        const fields = mergedFields(kept, other);
        const moved = contactConversations(prepare, other.id);
        const now = wallClock.now();
        // The version moves too, so a bot turn that read the conversation before this write starts again from it.
        prepare("UPDATE conversations SET contact_id = ?, version = version + 1 WHERE contact_id = ?").run(kept.id, other.id);
        prepare("UPDATE tickets SET contact_id = ?, updated_at = ? WHERE contact_id = ?").run(kept.id, now, other.id);
        prepare("UPDATE visitors SET contact_id = ? WHERE contact_id = ?").run(kept.id, other.id);
        // Memberships the kept contact lacks move; on a list both are on, the kept one's stays.
        prepare(
          `INSERT OR IGNORE INTO contact_list_members (list_id, contact_id, added_at, source, conversation_id, added_by)
           SELECT list_id, ?, added_at, source, conversation_id, added_by FROM contact_list_members WHERE contact_id = ?`,
        ).run(kept.id, other.id);
        const consentFrom = mergedConsent(consentOf(kept.id), consentOf(other.id));
        if (consentFrom === "other") {
          prepare("DELETE FROM contact_email_consent WHERE contact_id = ?").run(kept.id);
          prepare("UPDATE contact_email_consent SET contact_id = ? WHERE contact_id = ?").run(kept.id, other.id);
        }
        deleteContactInWrite(prepare, other.id);
        // The owner is taken only if they may still own a contact (the rule Contacts applies).
        const ownerId = kept.owner === null && other.owner !== null && cannotOwn(prepare, other.owner.id) === undefined ? other.owner.id : kept.owner?.id ?? null;
        // After the delete: the other's email is free for the kept contact now.
        prepare("UPDATE contacts SET email = ?, name = ?, phone = ?, properties = ?, owner_id = ?, updated_at = ? WHERE id = ?").run(
          fields.email,
          fields.name,
          fields.phone,
          JSON.stringify(fields.properties),
          ownerId,
          now,
          kept.id,
        );
        const log = (type: string, data: unknown) =>
          prepare("INSERT INTO events (type, at, user_id, data) VALUES (?, ?, ?, ?)").run(type, now, actor.id, JSON.stringify(data));
        log("contacts_merged", {
          contactId: kept.id,
          mergedId: other.id,
          conversations: made.conversations,
          tickets: made.tickets,
          visitors: made.visitors,
          lists: made.lists.length,
          consentFromMerged: made.consent.fromOther,
          fields: made.taken.map((t) => t.field),
        });
        if (ownerId !== (kept.owner?.id ?? null)) log("contact_owner_changed", { contactId: kept.id, from: null, to: ownerId, via: "merge" });
        recordAudit(sqlite, now, audit, {
          action: "contacts.merged",
          target: { type: "contact", id: kept.id },
          data: { contactId: kept.id, mergedId: other.id, conversations: made.conversations, tickets: made.tickets },
        });
        return { plan: { ...made, ownerTaken: ownerId !== (kept.owner?.id ?? null) ? made.ownerTaken : null, kept: readContact(prepare, kept.id)! }, moved };
      })
      .pipe(
        Effect.catchTag("WriteFailed", (failed) =>
          failed.cause instanceof NotFound || failed.cause instanceof InvalidInput ? Effect.fail(failed.cause) : Effect.die(failed.cause),
        ),
      );
    yield* announceContactChange(live, done.moved, keptId);
    return done.plan;
  });

  /**
   * Other contacts that reach one of `c`'s mailboxes: an email with the same key as `c`'s email or
   * an address in `c`'s properties, or a property holding `c`'s email. (Two emails cannot be equal:
   * they are unique ignoring case.) Only contacts at the same domains are read and compared.
   */
  const sameMailboxIds = (c: Contact): ReadonlyArray<string> => {
    const own = c.email === null ? null : mailboxKey(c.email);
    const keys = new Set([...(own === null ? [] : [own]), ...propertyMailboxes(c.properties)]);
    if (keys.size === 0) return [];
    const ids = new Set<string>();
    const byEmail = prepare(
      `SELECT id, email FROM contacts
        WHERE id <> ? AND email IS NOT NULL AND lower(substr(email, instr(email, '@') + 1)) IN (SELECT value FROM json_each(?))`,
    ).all(c.id, JSON.stringify([...new Set([...keys].flatMap(domainsOf))])) as Array<{ id: string; email: string }>;
    for (const row of byEmail) if (keys.has(mailboxKey(row.email) ?? "")) ids.add(row.id);
    if (own !== null) {
      // Properties are not indexed: the text is searched for the domain first, then read.
      const holders = prepare(
        `SELECT id, properties FROM contacts WHERE id <> ? AND EXISTS (SELECT 1 FROM json_each(?) d WHERE instr(lower(properties), '@' || d.value) > 0)`,
      ).all(c.id, JSON.stringify(domainsOf(own))) as Array<{ id: string; properties: string }>;
      for (const row of holders) {
        const properties = parseProperties(row.properties);
        if (propertyMailboxes(properties).includes(own)) ids.add(row.id);
      }
    }
    return [...ids];
  };

  const duplicates: ContactMergeShape["duplicates"] = Effect.fn("ContactMerge.duplicates")(function* (actor, contactId) {
    yield* mayWork(actor);
    const c = readContact(prepare, contactId);
    if (!c) return [];
    const domain = c.email === null ? null : c.email.slice(c.email.lastIndexOf("@") + 1).toLowerCase();
    const company = c.properties.company?.trim().toLowerCase() || null;
    const sameMailbox = sameMailboxIds(c);
    // Phones are stored in E.164 and not indexed; a scan of the contacts on a page view, not on a bot's turn.
    const rows = prepare(
      `SELECT id,
         (id IN (SELECT value FROM json_each(?))) AS same_email,
         (? IS NOT NULL AND phone = ?) AS same_phone,
         (? IS NOT NULL AND name = ? COLLATE NOCASE AND ? IS NOT NULL AND lower(trim(json_extract(properties, '$.company'))) = ?) AS same_company,
         (? IS NOT NULL AND name = ? COLLATE NOCASE AND ? IS NOT NULL AND lower(substr(email, instr(email, '@') + 1)) = ?) AS same_domain
       FROM contacts WHERE id <> ? AND (same_email OR same_phone OR same_company OR same_domain)
       ORDER BY created_at, id LIMIT 10`,
    ).all(JSON.stringify(sameMailbox), c.phone, c.phone, c.name, c.name, company, company, c.name, c.name, domain, domain, c.id) as Array<{
      id: string;
      same_email: number;
      same_phone: number;
      same_company: number;
      same_domain: number;
    }>;
    return rows.flatMap((r) => {
      const contact = readContact(prepare, r.id);
      if (!contact) return [];
      const reasons: DuplicateReason[] = [];
      if (r.same_email) reasons.push("email");
      if (r.same_phone) reasons.push("phone");
      if (r.same_company) reasons.push("name_company");
      if (r.same_domain) reasons.push("name_domain");
      return [{ contact, reasons }];
    });
  });

  const mergedInto: ContactMergeShape["mergedInto"] = (contactId) =>
    Effect.sync(() => {
      let id = contactId;
      // A chain of merges (A into B, later B into C) ends at the contact that still exists.
      for (let hop = 0; hop < 20; hop++) {
        const next = prepare(
          "SELECT json_extract(data, '$.contactId') AS id FROM events WHERE type = 'contacts_merged' AND json_extract(data, '$.mergedId') = ? ORDER BY id DESC LIMIT 1",
        ).get(id) as { id: string } | undefined;
        if (!next) return null;
        if (readContact(prepare, next.id)) return next.id;
        id = next.id;
      }
      return null;
    });

  return { duplicates, preview, merge, mergedInto };
};

export const layer: Layer.Layer<ContactMerge, never, Database | LiveEvents> = Layer.effect(
  ContactMerge,
  Effect.gen(function* () {
    return makeContactMerge({ db: yield* Database, live: yield* LiveEvents });
  }),
);
