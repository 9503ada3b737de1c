import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mailboxKey, makeContactMerge, mergedConsent, type ContactMergeShape } from "./contact-merge.js";
import type { Forbidden, InvalidInput, NotFound } from "./errors.js";
import { openKit, people, type Kit } from "./inbox-test-kit.js";

let kit: Kit;
let merge: ContactMergeShape;

beforeAll(async () => {
  kit = await openKit();
  merge = makeContactMerge({ db: kit.db, live: kit.live });
  kit.db.sqlite.prepare("INSERT INTO contact_lists (id, name, created_at) VALUES ('list_news', 'Newsletter', 0), ('list_beta', 'Beta', 0)").run();
});
afterAll(async () => {
  await kit.dispose();
});

const sql = (text: string, ...args: unknown[]) => kit.db.sqlite.prepare(text).run(...args);
const one = <T>(text: string, ...args: unknown[]) => kit.db.sqlite.prepare(text).get(...args) as T;
const count = (text: string, ...args: unknown[]) => one<{ n: number }>(`SELECT count(*) AS n FROM ${text}`, ...args).n;
let seq = 0;
const contact = (fields: { email?: string; name?: string; phone?: string; properties?: Record<string, string>; owner?: string; at?: number } = {}) => {
  const id = `ct_m${++seq}`;
  sql(
    "INSERT INTO contacts (id, email, name, phone, properties, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    id,
    fields.email ?? null,
    fields.name ?? null,
    fields.phone ?? null,
    JSON.stringify(fields.properties ?? {}),
    fields.owner ?? null,
    fields.at ?? seq,
    fields.at ?? seq,
  );
  return id;
};
const consent = (contactId: string, status: "subscribed" | "unsubscribed", at: number) =>
  sql(
    `INSERT INTO contact_email_consent (contact_id, status, subscribed_at, unsubscribed_at, consent_text, email) VALUES (?, ?, ?, ?, 'Yes, send me news', 'x@example.com')`,
    contactId,
    status,
    status === "subscribed" ? at : null,
    status === "unsubscribed" ? at : null,
  );
/** Every table with a contact_id column, read from the schema itself, so a table added later is checked too. */
const tablesReferencingContacts = () =>
  (kit.db.sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>)
    .map((t) => t.name)
    .filter((name) => (kit.db.sqlite.prepare(`PRAGMA table_info(${name})`).all() as Array<{ name: string }>).some((c) => c.name === "contact_id"));

describe("merging contacts", () => {
  it("moves everything that references the other contact, keeps the kept contact's values, and deletes the other", async () => {
    const kept = contact({ email: "ann@example.com", name: "Ann Lee", properties: { plan: "pro" } });
    const other = contact({ email: "ann.lee@work.example", name: "Annie", phone: "+4930123456", properties: { plan: "free", company: "Acme" }, owner: people.bo.id });
    const visitor = kit.visitor();
    sql("UPDATE visitors SET contact_id = ? WHERE id = ?", other, visitor);
    sql("INSERT INTO channel_identities (channel_id, external_id, visitor_id, created_at) VALUES ('chan_web', 'ann.lee@work.example', ?, 0)", visitor);
    const conversation = kit.conversation({ visitorId: visitor, contactId: other, messages: [{ author: "visitor", text: "Hello" }] });
    sql("INSERT INTO tickets (id, inbox_id, conversation_id, contact_id, subject, created_at, updated_at) VALUES ('tk_m1', 'inbox_support', ?, ?, 'Refund', 0, 0)", conversation, other);
    sql("INSERT INTO contact_list_members (list_id, contact_id, added_at, source) VALUES ('list_news', ?, 5, 'agent'), ('list_news', ?, 9, 'bot'), ('list_beta', ?, 9, 'import')", kept, other, other);
    consent(kept, "unsubscribed", 100);
    consent(other, "subscribed", 200);
    const referencing = tablesReferencingContacts();
    // The schema's own list: a new table pointing at contacts must be handled by the merge (and this test).
    // (The search rows follow the contact by trigger; webhook_deliveries is the log of what was sent, kept as sent.)
    expect(referencing.sort()).toEqual([
      "contact_email_consent",
      "contact_list_members",
      "contact_search_rows",
      "contacts_fts",
      "conversations",
      "tickets",
      "visitors",
      "webhook_deliveries",
    ]);

    const heard: unknown[] = [];
    const stop = kit.live.subscribeAll((e) => heard.push(e));
    const preview = await kit.run(merge.preview(people.alex, kept, { otherId: other }));
    expect(preview).toMatchObject({
      conversations: 1,
      tickets: 1,
      visitors: 1,
      identities: 1,
      lists: ["Beta"],
      consent: { status: "unsubscribed", fromOther: false },
      ownerTaken: "Bo Berg",
      dropped: [],
    });
    expect(preview.taken.map((t) => t.field)).toEqual(["phone", "properties.company"]);
    expect(preview.keptOver).toEqual([
      { field: "email", kept: "ann@example.com", other: "ann.lee@work.example" },
      { field: "name", kept: "Ann Lee", other: "Annie" },
      { field: "properties.plan", kept: "pro", other: "free" },
    ]);
    expect(count("contacts WHERE id = ?", other)).toBe(1);

    const done = await kit.run(merge.merge(people.alex, kept, { otherId: other }));
    stop();
    expect(done.kept).toMatchObject({
      email: "ann@example.com",
      name: "Ann Lee",
      phone: "+4930123456",
      properties: { plan: "pro", company: "Acme" },
      owner: { id: people.bo.id },
    });
    for (const table of referencing) expect(count(`${table} WHERE contact_id = ?`, other), table).toBe(0);
    // The version moved: a bot turn that read the conversation before the merge starts again.
    expect(one("SELECT contact_id, version FROM conversations WHERE id = ?", conversation)).toEqual({ contact_id: kept, version: 2 });
    expect(one<{ contact_id: string }>("SELECT contact_id FROM tickets WHERE id = 'tk_m1'").contact_id).toBe(kept);
    expect(one<{ contact_id: string }>("SELECT contact_id FROM visitors WHERE id = ?", visitor).contact_id).toBe(kept);
    expect(count("channel_identities WHERE visitor_id = ?", visitor)).toBe(1);
    // On a list both were on, the kept contact's membership stays; the other's other list moves.
    expect(kit.db.sqlite.prepare("SELECT list_id, added_at, source FROM contact_list_members WHERE contact_id = ? ORDER BY list_id").all(kept)).toEqual([
      { list_id: "list_beta", added_at: 9, source: "import" },
      { list_id: "list_news", added_at: 5, source: "agent" },
    ]);
    // An unsubscription is never turned into a subscription, even by a later one on the other record.
    expect(one<{ status: string }>("SELECT status FROM contact_email_consent WHERE contact_id = ?", kept).status).toBe("unsubscribed");
    expect(count("contacts WHERE id = ?", other)).toBe(0);
    expect(count("contact_search_rows WHERE contact_id = ?", other)).toBe(0);
    expect(count("contacts_fts WHERE contacts_fts MATCH '\"work\"'")).toBe(0);
    const merged = kit.db.sqlite.prepare("SELECT user_id, data FROM events WHERE type = 'contacts_merged'").all() as Array<{ user_id: string; data: string }>;
    expect(merged).toHaveLength(1);
    expect(merged[0]!.user_id).toBe(people.alex.id);
    expect(JSON.parse(merged[0]!.data)).toMatchObject({ contactId: kept, mergedId: other, conversations: 1, tickets: 1, visitors: 1 });
    expect(heard).toContainEqual(expect.objectContaining({ conversationId: conversation, internal: true, data: { change: "contact", contactId: kept } }));
    expect(await kit.run(merge.mergedInto(other))).toBe(kept);
    expect(await kit.run(merge.mergedInto(kept))).toBeNull();
  });

  it("follows a chain of merges to the contact that still exists", async () => {
    const [a, b, c] = [contact({ name: "A" }), contact({ name: "B" }), contact({ name: "C" })];
    await kit.run(merge.merge(people.admin, b, { otherId: a }));
    await kit.run(merge.merge(people.admin, c, { otherId: b }));
    expect(await kit.run(merge.mergedInto(a))).toBe(c);
  });

  it("takes the other's subscription when the kept contact never decided, and the latest of two of the same kind", () => {
    const row = (status: "subscribed" | "unsubscribed", at: number) => ({
      contact_id: "x",
      status,
      subscribed_at: status === "subscribed" ? at : null,
      unsubscribed_at: status === "unsubscribed" ? at : null,
    });
    expect(mergedConsent(undefined, row("subscribed", 1))).toBe("other");
    expect(mergedConsent(row("subscribed", 1), undefined)).toBe("kept");
    expect(mergedConsent(undefined, undefined)).toBeUndefined();
    expect(mergedConsent(row("subscribed", 1), row("subscribed", 2))).toBe("other");
    expect(mergedConsent(row("subscribed", 3), row("subscribed", 2))).toBe("kept");
    expect(mergedConsent(row("subscribed", 3), row("unsubscribed", 1))).toBe("other");
    expect(mergedConsent(row("unsubscribed", 1), row("subscribed", 3))).toBe("kept");
    expect(mergedConsent(row("unsubscribed", 1), row("unsubscribed", 3))).toBe("other");
  });

  it("moves the other's subscription to a kept contact without one", async () => {
    const [kept, other] = [contact({ name: "Kim" }), contact({ name: "Kim K" })];
    consent(other, "subscribed", 50);
    await kit.run(merge.merge(people.alex, kept, { otherId: other }));
    expect(one<{ status: string; subscribed_at: number }>("SELECT status, subscribed_at FROM contact_email_consent WHERE contact_id = ?", kept)).toEqual({
      status: "subscribed",
      subscribed_at: 50,
    });
  });

  it("refuses itself, a vanished or unknown contact, a bad form and the wrong role, changing nothing", async () => {
    const [kept, other] = [contact({ name: "Lou", email: "lou@example.com" }), contact({ name: "Lou", email: "lou@example.net" })];
    const before = kit.db.sqlite.prepare("SELECT * FROM contacts ORDER BY id").all();
    const eventsBefore = count("events");
    const self = (await kit.fail(merge.merge(people.alex, kept, { otherId: kept }))) as InvalidInput;
    expect(self.issues).toEqual([{ path: "otherId", message: "a contact cannot be merged into itself: pick another contact" }]);
    const gone = (await kit.fail(merge.merge(people.alex, kept, { otherId: "ct_gone" }))) as InvalidInput;
    expect(gone.issues).toEqual([{ path: "otherId", message: "that contact no longer exists: it was deleted or merged meanwhile" }]);
    const unknown = (await kit.fail(merge.merge(people.alex, "ct_nope", { otherId: other }))) as NotFound;
    expect(unknown).toMatchObject({ _tag: "NotFound", entity: "contact", id: "ct_nope" });
    const blank = (await kit.fail(merge.merge(people.alex, kept, { otherId: "" }))) as InvalidInput;
    expect(blank.issues[0]).toMatchObject({ path: "otherId", message: "pick the contact to merge into this one" });
    const missing = (await kit.fail(merge.merge(people.alex, kept, {}))) as InvalidInput;
    expect(missing.issues[0]?.path).toBe("otherId");
    expect(((await kit.fail(merge.merge(people.ana, kept, { otherId: other }))) as Forbidden)._tag).toBe("Forbidden");
    expect(((await kit.fail(merge.preview(people.ana, kept, { otherId: other }))) as Forbidden)._tag).toBe("Forbidden");
    expect(kit.db.sqlite.prepare("SELECT * FROM contacts ORDER BY id").all()).toEqual(before);
    expect(count("events")).toBe(eventsBefore);
  });

  it("does not take an owner who may no longer own contacts", async () => {
    sql("UPDATE users SET disabled_at = 1 WHERE id = ?", people.sam.id);
    const [kept, other] = [contact({ name: "Max" }), contact({ name: "Max", owner: people.sam.id })];
    const done = await kit.run(merge.merge(people.alex, kept, { otherId: other }));
    expect(done.kept.owner).toBeNull();
    expect(done.ownerTaken).toBeNull();
    sql("UPDATE users SET disabled_at = NULL WHERE id = ?", people.sam.id);
  });

  it("moves the webhook fan-out's contact cursor back when the newest contact is merged away, so the next new contact is announced", async () => {
    const kept = contact({ name: "Old" });
    const newest = contact({ name: "Newest" });
    const newestRowid = one<{ r: number }>("SELECT rowid AS r FROM contacts WHERE id = ?", newest).r;
    sql("UPDATE webhook_cursor SET after_contact_rowid = ?", newestRowid);
    await kit.run(merge.merge(people.alex, kept, { otherId: newest }));
    const next = contact({ name: "Next" });
    const nextRowid = one<{ r: number }>("SELECT rowid AS r FROM contacts WHERE id = ?", next).r;
    expect(one<{ a: number }>("SELECT after_contact_rowid AS a FROM webhook_cursor").a).toBeLessThan(nextRowid);
  });

  it("hints at possible duplicates: same phone, same name and company, same name and email domain", async () => {
    const me = contact({ name: "Jo Park", email: "jo@acme.example", phone: "+4989123456", properties: { company: "Acme" } });
    const phone = contact({ name: "J. P.", phone: "+4989123456" });
    const company = contact({ name: "jo park", properties: { company: " ACME " } });
    const domain = contact({ name: "Jo Park", email: "jo.park@ACME.example" });
    contact({ name: "Jo Park", email: "jo@other.example" });
    contact({ name: "Someone", email: "x@acme.example" });
    const found = await kit.run(merge.duplicates(people.alex, me));
    expect(found.map((d) => [d.contact.id, d.reasons])).toEqual([
      [phone, ["phone"]],
      [company, ["name_company"]],
      [domain, ["name_domain"]],
    ]);
    expect(await kit.run(merge.duplicates(people.alex, "ct_nope"))).toEqual([]);
    expect(((await kit.fail(merge.duplicates(people.ana, me))) as Forbidden)._tag).toBe("Forbidden");
  });

  // Emails are unique ignoring case, so "the same email" can only be the same mailbox written another way.
  it("hints at the same mailbox written another way: a +tag, Gmail's dots and googlemail.com, or the address kept in a property", async () => {
    const me = contact({ name: "Robin", email: "robin.hale+shop@gmail.com", properties: { work_email: "R.Hale@hale-works.example" } });
    const bare = contact({ name: "R", email: "robinhale@gmail.com" });
    const googlemail = contact({ email: "robin.hale@googlemail.com" });
    const inProperty = contact({ name: "Robin H", properties: { other_email: " Robin.Hale@Gmail.com " } });
    const myProperty = contact({ email: "r.hale+crm@hale-works.example" });
    // Outside Gmail a dot is part of the mailbox, and another mailbox at the same domain is someone else.
    contact({ email: "rhale@hale-works.example" });
    contact({ email: "robin.hale@yahoo.example" });
    contact({ properties: { note: "robinhale at gmail.com" } });
    const found = await kit.run(merge.duplicates(people.alex, me));
    expect(found.map((d) => [d.contact.id, d.reasons])).toEqual([
      [bare, ["email"]],
      [googlemail, ["email"]],
      [inProperty, ["email"]],
      [myProperty, ["email"]],
    ]);
    // Both ways: the contact holding the address in a property lists the one whose email it is.
    expect((await kit.run(merge.duplicates(people.alex, myProperty))).map((d) => d.contact.id)).toEqual([me]);
  });

  it("reads a mailbox's key: case, +tags, Gmail's dots and googlemail.com; not an address gives null", () => {
    expect(mailboxKey(" Ann.Lee+News@GMail.com ")).toBe("annlee@gmail.com");
    expect(mailboxKey("ann.lee@googlemail.com")).toBe("annlee@gmail.com");
    expect(mailboxKey("ann.lee+x@acme.example")).toBe("ann.lee@acme.example");
    expect(mailboxKey("+only@acme.example")).toBe("+only@acme.example");
    expect(mailboxKey("no address")).toBeNull();
    expect(mailboxKey("two@at@acme.example")).toBeNull();
  });
});
