import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeContactPrivacy, type ContactPrivacyShape } from "./contact-privacy.js";
import type { Forbidden, InvalidInput, NotFound } from "./errors.js";
import { openKit, people, type Kit } from "./inbox-test-kit.js";

let kit: Kit;
let privacy: ContactPrivacyShape;

const EMAIL = "erin.quist@example.org";
const NAME = "Erin Quist";
const PHONE = "+4915112345678";
/** What must not be anywhere after erasing: the email, the family name, the phone's digits. */
const NEEDLES = [EMAIL, "Quist", "15112345678"];

const sql = (text: string, ...args: unknown[]) => kit.db.sqlite.prepare(text).run(...args);
const one = <T>(text: string, ...args: unknown[]) => kit.db.sqlite.prepare(text).get(...args) as T;
const count = (text: string, ...args: unknown[]) => one<{ n: number }>(`SELECT count(*) AS n FROM ${text}`, ...args).n;
/** An event written the way the services write them (in a write group, so the report fold runs). */
const event = (type: string, conversationId: string | null, data: unknown, userId: string | null = null) =>
  kit.db.write((s) =>
    s
      .prepare("INSERT INTO events (type, at, conversation_id, user_id, inbox_id, channel_id, data) VALUES (?, ?, ?, ?, 'inbox_support', 'chan_web', ?)")
      .run(type, Date.now(), conversationId, userId, JSON.stringify(data)),
  );

/** Every text cell of every table holding `needle` (FTS5's own segment tables are checked by MATCH instead). */
const cellsHolding = (needle: string) => {
  const tables = (
    kit.db.sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%fts_data' AND name NOT LIKE '%fts_idx'").all() as Array<{
      name: string;
    }>
  ).map((t) => t.name);
  const found: string[] = [];
  for (const table of tables) {
    const columns = (kit.db.sqlite.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name);
    for (const column of columns) {
      const n = one<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE CAST("${column}" AS TEXT) LIKE ?`, `%${needle}%`).n;
      if (n > 0) found.push(`${table}.${column}`);
    }
  }
  return found;
};
const reportRows = () =>
  Object.fromEntries(
    ["report_conversations", "report_replies", "report_bot_sessions"].map((t) => [t, kit.db.sqlite.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()]),
  );

let contactId: string;
let conversation: string;
let other: string;
let otherPerson: string;

beforeAll(async () => {
  kit = await openKit();
  privacy = makeContactPrivacy({ db: kit.db, live: kit.live });
  contactId = "ct_erin";
  sql(
    "INSERT INTO contacts (id, email, name, phone, properties, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1000, 2000)",
    contactId,
    EMAIL,
    NAME,
    PHONE,
    JSON.stringify({ company: "Quist GmbH", city: "Bonn" }),
    people.alex.id,
  );
  const visitor = kit.visitor("chan_web", { attributes: { nickname: "equist" } });
  sql("UPDATE visitors SET contact_id = ? WHERE id = ?", contactId, visitor);
  sql("INSERT INTO channel_identities (channel_id, external_id, visitor_id, created_at) VALUES ('chan_web', ?, ?, 0)", EMAIL, visitor);
  sql("INSERT INTO contact_lists (id, name, created_at) VALUES ('list_news', 'Newsletter', 0)");
  sql("INSERT INTO contact_list_members (list_id, contact_id, added_at, source) VALUES ('list_news', ?, 3000, 'bot')", contactId);
  sql("INSERT INTO contact_list_waiting (list_id, visitor_id, added_at) VALUES ('list_news', ?, 0)", visitor);
  sql(
    "INSERT INTO contact_email_consent (contact_id, status, subscribed_at, consent_text, email) VALUES (?, 'subscribed', 4000, 'Yes, Erin Quist wants news', ?)",
    contactId,
    EMAIL,
  );
  conversation = kit.conversation({
    visitorId: visitor,
    contactId,
    assigneeId: people.alex.id,
    messages: [
      { author: "visitor", text: `Hi, I am ${NAME}, mail me at ${EMAIL} or call ${PHONE}` },
      { author: "bot", text: "Thanks Erin Quist!" },
      { author: "agent", text: "Hello Erin Quist, we will call 015112345678", userId: people.alex.id },
      { author: "agent", text: "Quist is a VIP, be nice", internal: true, userId: people.alex.id },
    ],
  });
  // A second conversation of the same visitor that nobody linked: it is theirs too.
  const unlinked = kit.conversation({ visitorId: visitor, messages: [{ author: "visitor", text: "Quist again" }] });
  sql("UPDATE conversations SET state = ? WHERE id = ?", JSON.stringify({ phase: "awaiting_input", nodeId: "ask", variables: { name: NAME }, contact: { email: EMAIL }, lastAnswer: NAME }), unlinked);
  const firstMessage = one<{ id: number }>("SELECT min(id) AS id FROM messages WHERE conversation_id = ?", conversation).id;
  sql(
    `INSERT INTO attachments (id, conversation_id, message_id, filename, content_type, size, sha256, data, created_at)
     VALUES ('att_erin', ?, ?, 'quist-passport.png', 'image/png', 5, ?, X'5155495354', 0)`,
    conversation,
    firstMessage,
    "a".repeat(64),
  );
  sql("INSERT INTO tickets (id, inbox_id, conversation_id, contact_id, subject, description, created_at, updated_at) VALUES ('tk_erin', 'inbox_support', ?, ?, ?, ?, 0, 0)", conversation, contactId, `Refund for ${NAME}`, `Card of ${EMAIL}`);
  sql("INSERT INTO ticket_activity (ticket_id, at, kind, text) VALUES ('tk_erin', 1, 'note', 'Erin Quist phoned')");
  sql("INSERT INTO conversation_ratings (conversation_id, score, comment, rated_at) VALUES (?, 5, 'Quist says thanks', 1)", conversation);
  sql("INSERT INTO follow_up_emails (conversation_id, from_message_id, through_message_id, status, recipient, created_at) VALUES (?, 1, 1, 'sent', ?, 1)", conversation, EMAIL);
  // A transcript still queued for the person: erased, it never goes out (migration 44).
  sql("INSERT INTO transcript_emails (conversation_id, through_message_id, recipient, requested_by, next_attempt_at, created_at) VALUES (?, 1, ?, 'visitor', 0, 1)", conversation, EMAIL);
  // The events a person's conversation leaves: the reports count them, some carry personal values.
  await event("conversation_created", conversation, { pageUrl: `https://shop.example/?email=${EMAIL}` });
  await event("message_created", conversation, { author: "visitor", internal: false, messageId: String(firstMessage) });
  await event("message_created", conversation, { author: "agent", internal: false, messageId: String(firstMessage + 2) }, people.alex.id);
  await event("ticket_created", conversation, { ticketId: "tk_erin", subject: `Refund for ${NAME}` });
  await event("email_consent_changed", null, { contactId, status: "subscribed", via: "bot", email: EMAIL, consentText: "Yes, Erin Quist wants news" });
  await event("flow_error", unlinked, { message: `the webhook refused ${EMAIL}` });
  await event("status_changed", conversation, { from: "open", to: "closed", by: people.alex.id }, people.alex.id);
  sql(
    "INSERT INTO webhook_subscriptions (id, url, secret, event_types, starts_after_event_id, starts_after_contact_rowid, created_at, updated_at) VALUES ('wh_1', 'https://hooks.example/x', 's', '[]', 0, 0, 0, 0)",
  );
  sql("INSERT INTO webhook_deliveries (id, subscription_id, contact_id, event_type, payload, created_at, updated_at) VALUES ('wd_1', 'wh_1', ?, 'contact.created', ?, 0, 0)", contactId, JSON.stringify({ email: EMAIL }));

  // Someone else, whose data must survive the erasure untouched.
  otherPerson = "ct_other";
  sql("INSERT INTO contacts (id, email, name, created_at, updated_at) VALUES (?, 'olga@example.com', 'Olga Other', 0, 0)", otherPerson);
  other = kit.conversation({ contactId: otherPerson, messages: [{ author: "visitor", text: "Olga here, about the Quist order" }] });
});
afterAll(async () => {
  await kit.dispose();
});

describe("exporting a contact's data", () => {
  it("holds their fields, lists, consent and its history, visitors, conversations without internal comments, tickets and attachments' metadata", async () => {
    const data = await kit.run(privacy.exportData(people.admin, contactId));
    expect(data.contact).toMatchObject({ id: contactId, email: EMAIL, name: NAME, phone: PHONE, properties: { company: "Quist GmbH", city: "Bonn" }, owner: "Alex Agent" });
    expect(data.lists).toEqual([{ name: "Newsletter", addedAt: new Date(3000).toISOString(), source: "bot" }]);
    expect(data.emailConsent.current).toMatchObject({ status: "subscribed", consentText: "Yes, Erin Quist wants news", email: EMAIL });
    expect(data.emailConsent.history).toEqual([expect.objectContaining({ status: "subscribed", via: "bot", email: EMAIL })]);
    expect(data.visitors).toEqual([expect.objectContaining({ identities: [EMAIL], attributes: { nickname: "equist" }, userAgent: "Mozilla/5.0 (iPhone)" })]);
    expect(data.conversations.map((c) => c.id)).toContain(conversation);
    expect(data.conversations.map((c) => c.id)).not.toContain(other);
    const main = data.conversations.find((c) => c.id === conversation)!;
    expect(main.messages.map((m) => m.author)).toEqual(["visitor", "bot", "agent"]);
    expect(main.messages.map((m) => m.text).join(" ")).not.toContain("VIP");
    expect(main.internalCommentsLeftOut).toBe(1);
    expect(main.messages[0]!.attachments).toEqual([{ id: "att_erin", filename: "quist-passport.png", contentType: "image/png", size: 5, sha256: "a".repeat(64) }]);
    expect(main.rating).toMatchObject({ score: 5, comment: "Quist says thanks" });
    expect(data.tickets).toEqual([expect.objectContaining({ id: "tk_erin", subject: `Refund for ${NAME}`, description: `Card of ${EMAIL}` })]);
    // JSON all the way: what the download route writes.
    expect(JSON.parse(JSON.stringify(data))).toEqual(data);
    expect(count("events WHERE type = 'contact_data_exported' AND user_id = ?", people.admin.id)).toBe(1);
  });

  it("is for admins only, and answers NotFound for an unknown contact", async () => {
    expect(((await kit.fail(privacy.exportData(people.alex, contactId))) as Forbidden)._tag).toBe("Forbidden");
    expect(((await kit.fail(privacy.exportData(people.admin, "ct_nope"))) as NotFound)).toMatchObject({ _tag: "NotFound", id: "ct_nope" });
  });
});

describe("erasing a contact", () => {
  it("refuses a wrong confirmation, another role and an unknown contact, changing nothing", async () => {
    const before = kit.db.sqlite.prepare("SELECT id, text FROM messages ORDER BY id").all();
    const wrong = (await kit.fail(privacy.erase(people.admin, contactId, { confirm: "Erin" }))) as InvalidInput;
    expect(wrong.issues).toEqual([{ path: "confirm", message: "type the contact's name or email exactly as shown to confirm: nothing was erased" }]);
    const missing = (await kit.fail(privacy.erase(people.admin, contactId, {}))) as InvalidInput;
    expect(missing.issues[0]?.path).toBe("confirm");
    expect(((await kit.fail(privacy.erase(people.alex, contactId, { confirm: NAME }))) as Forbidden)._tag).toBe("Forbidden");
    expect(((await kit.fail(privacy.erase(people.admin, "ct_nope", { confirm: NAME }))) as NotFound)._tag).toBe("NotFound");
    expect(count("contacts WHERE id = ?", contactId)).toBe(1);
    expect(kit.db.sqlite.prepare("SELECT id, text FROM messages ORDER BY id").all()).toEqual(before);
    expect(count("events WHERE type = 'contact_erased'")).toBe(0);
  });

  it("leaves nothing of the person in any table or search index, keeps the reports' figures, and records the erasure", async () => {
    const reportsBefore = reportRows();
    expect(reportsBefore.report_conversations).not.toEqual([]);
    const eventsBefore = count("events");
    for (const needle of NEEDLES) expect(cellsHolding(needle), needle).not.toEqual([]);
    expect(count("messages_fts WHERE messages_fts MATCH 'quist'")).toBeGreaterThan(0);

    const heard: unknown[] = [];
    const stop = kit.live.subscribeAll((e) => heard.push(e));
    // The email typed in another case, with spaces, confirms too.
    const result = await kit.run(privacy.erase(people.admin, contactId, { confirm: `  ${EMAIL.toUpperCase()} ` }));
    stop();
    expect(result).toEqual({ contactId, conversations: 2, messages: 5, attachments: 1, tickets: 1, visitors: 1 });

    // Nothing of the person in any table: text cells, events' data, the contacts search index…
    for (const needle of NEEDLES) expect(cellsHolding(needle), needle).toEqual(
      // …but for the other person's own message, which mentions the order by name and is theirs.
      needle === "Quist" ? ["conversations.last_message_preview", "messages.text", "messages_fts.text"] : [],
    );
    expect(one<{ text: string }>("SELECT text FROM messages WHERE conversation_id = ?", other).text).toContain("Olga");
    // The search index no longer finds the erased words in the erased conversations.
    const hits = kit.db.sqlite.prepare("SELECT m.conversation_id FROM messages_fts f JOIN messages m ON m.id = f.rowid WHERE messages_fts MATCH 'quist'").all();
    expect(hits).toEqual([{ conversation_id: other }]);
    expect(count("contacts_fts WHERE contacts_fts MATCH 'erin'")).toBe(0);
    expect(count("attachments")).toBe(0);
    expect(count("contacts WHERE id = ?", contactId)).toBe(0);
    expect(count("contact_list_members WHERE contact_id = ?", contactId)).toBe(0);
    expect(count("contact_email_consent WHERE contact_id = ?", contactId)).toBe(0);
    expect(count("channel_identities")).toBe(0);
    expect(count("contact_list_waiting")).toBe(0);
    expect(count("webhook_deliveries")).toBe(0);
    // The conversations stay as shells: status, assignee and message rows (the reports' counts) as they were.
    expect(one("SELECT status, assignee_id, contact_id, page_url, version FROM conversations WHERE id = ?", conversation)).toEqual({
      version: 2,
      status: "open",
      assignee_id: people.alex.id,
      contact_id: null,
      page_url: null,
    });
    expect(kit.db.sqlite.prepare("SELECT author, text FROM messages WHERE conversation_id = ? ORDER BY id").all(conversation)).toEqual([
      { author: "visitor", text: "(erased)" },
      { author: "bot", text: "(erased)" },
      { author: "agent", text: "(erased)" },
      { author: "agent", text: "(erased)" },
    ]);
    expect(count("events")).toBe(eventsBefore + 1);
    expect(reportRows()).toEqual(reportsBefore);
    // Events keep what reports read.
    expect(JSON.parse(one<{ data: string }>("SELECT data FROM events WHERE type = 'status_changed'").data)).toEqual({ from: "open", to: "closed", by: people.alex.id });
    expect(JSON.parse(one<{ data: string }>("SELECT data FROM events WHERE type = 'email_consent_changed'").data)).toEqual({ contactId, status: "subscribed", via: "bot" });
    const erased = one<{ user_id: string; data: string }>("SELECT user_id, data FROM events WHERE type = 'contact_erased'");
    expect(erased.user_id).toBe(people.admin.id);
    expect(JSON.parse(erased.data)).toEqual(result);
    expect(heard).toContainEqual(expect.objectContaining({ conversationId: conversation, data: { change: "contact", contactId: null } }));
    // The bot conversation keeps its place without the answers.
    const state = JSON.parse(one<{ state: string }>("SELECT state FROM conversations WHERE state IS NOT NULL").state);
    expect(state).toMatchObject({ phase: "awaiting_input", nodeId: "ask", variables: {}, contact: {}, lastAnswer: null });
    // The other person is untouched.
    expect(one("SELECT name, email FROM contacts WHERE id = ?", otherPerson)).toEqual({ name: "Olga Other", email: "olga@example.com" });
  });

  it("leaves none of the person's bytes in the database file or its WAL: no free page, old index segment or old page image", async () => {
    // A word no one else wrote. FTS5 keeps terms prefix-compressed (a term shares its start with the
    // one before it), so the files are searched for its end, lower-cased as the index holds it.
    const MARKER = "Kwartelkoning";
    const needle = Buffer.from("artelkoning");
    const files = () => [kit.db.sqlite.name, `${kit.db.sqlite.name}-wal`];
    const holding = () => files().filter((file) => existsSync(file) && readFileSync(file).includes(needle));
    const person = "ct_vesna";
    sql(
      "INSERT INTO contacts (id, email, name, properties, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 0)",
      person,
      `vesna.${MARKER.toLowerCase()}@example.net`,
      `Vesna ${MARKER}`,
      JSON.stringify({ note: `${MARKER} family` }),
    );
    const long = `${MARKER} `.repeat(800); // past a page: an overflow chain to free
    const theirs = kit.conversation({
      contactId: person,
      messages: [
        { author: "visitor", text: `I am Vesna ${MARKER}, ${long}` },
        { author: "agent", text: `Hello Ms ${MARKER}`, userId: people.alex.id },
      ],
    });
    sql("INSERT INTO tickets (id, inbox_id, conversation_id, contact_id, subject, created_at, updated_at) VALUES ('tk_vesna', 'inbox_support', ?, ?, ?, 0, 0)", theirs, person, `Refund for ${MARKER}`);
    await event("ticket_created", theirs, { ticketId: "tk_vesna", subject: `Refund for ${MARKER}` });
    // Some of it copied into the database file, the rest (and the copied pages' images) in the WAL.
    kit.db.sqlite.pragma("wal_checkpoint(PASSIVE)");
    await event("conversation_created", theirs, { pageUrl: `https://shop.example/?who=${MARKER}` });
    expect(count("messages_fts WHERE messages_fts MATCH ?", MARKER.toLowerCase())).toBe(2);
    expect(holding()).toContain(kit.db.sqlite.name);
    expect(holding()).toContain(`${kit.db.sqlite.name}-wal`);

    await kit.run(privacy.erase(people.admin, person, { confirm: `Vesna ${MARKER}` }));
    expect(holding()).toEqual([]);
    // Both switches are off again, and the search indexes still work (and still find the others).
    expect(kit.db.sqlite.pragma("secure_delete", { simple: true })).toBe(0);
    expect(count("messages_fts WHERE messages_fts MATCH 'olga'")).toBe(1);
    expect(count("contacts_fts WHERE contacts_fts MATCH 'olga'")).toBe(1);
    for (const table of ["messages_fts", "contacts_fts"]) {
      expect(one<{ v: number } | undefined>(`SELECT v FROM ${table}_config WHERE k = 'secure-delete'`)?.v ?? 0, table).toBe(0);
      expect(() => sql(`INSERT INTO ${table} (${table}) VALUES ('integrity-check')`), table).not.toThrow();
    }
    // Writing goes on as before.
    await event("status_changed", theirs, { from: "open", to: "closed" });
  });

  it("keeps the events log append-only outside an erasure", () => {
    expect(() => sql("UPDATE events SET data = '{}' WHERE id = 1")).toThrow(/append-only/);
    expect(() => sql("UPDATE events SET type = 'x' WHERE id = 1")).toThrow(/append-only/);
    expect(() => sql("DELETE FROM events WHERE id = 1")).toThrow(/append-only/);
  });
});
