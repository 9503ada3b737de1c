import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Contacts } from "./contacts.js";
import type { InvalidInput } from "./errors.js";
import { Inbox, type InboxEvent } from "./inbox.js";
import { openKit, people, type Kit } from "./inbox-test-kit.js";

let kit: Kit;

beforeAll(async () => {
  kit = await openKit();
});
afterAll(async () => {
  await kit.dispose();
});

const contacts = () => kit.run(Contacts);
const contactCount = () => (kit.db.sqlite.prepare("SELECT COUNT(*) AS n FROM contacts").get() as { n: number }).n;

describe("creating a contact from a conversation", () => {
  it("validates email, name and phone, with the field's path", async () => {
    const id = kit.conversation();
    const c = await contacts();
    const bad = (await kit.fail(c.createFromConversation(people.alex, id, { email: "ann at example", phone: "030 1234" }))) as InvalidInput;
    expect(bad._tag).toBe("InvalidInput");
    expect(bad.issues.map((i) => i.path).sort()).toEqual(["email", "phone"]);
    expect(bad.issues.find((i) => i.path === "phone")?.message).toMatch(/country code/);
    const none = (await kit.fail(c.createFromConversation(people.alex, id, {}))) as InvalidInput;
    expect(none.issues[0]?.message).toMatch(/email, a name or a phone/);
    const invalidPlus = (await kit.fail(c.createFromConversation(people.alex, id, { phone: "+1 23" }))) as InvalidInput;
    expect(invalidPlus.issues[0]?.message).toBe("this is not a valid phone number");
  });

  it("creates, normalises (lower-case email, E.164 phone) and links the conversation and its visitor", async () => {
    const visitorId = kit.visitor();
    const id = kit.conversation({ visitorId });
    const earlier = kit.conversation({ visitorId, status: "closed" });
    const events: InboxEvent[] = [];
    const stop = await kit.run(Effect.flatMap(Inbox, (inbox) => inbox.watch(people.bo, (e) => events.push(e))));
    const result = await kit.run(
      Effect.flatMap(Contacts, (c) => c.createFromConversation(people.alex, id, { email: " Ann@Example.COM ", name: "Ann Example", phone: "+49 (0)30 1234567" })),
    );
    stop();
    expect(result.created).toBe(true);
    expect(result.contact).toMatchObject({ email: "ann@example.com", name: "Ann Example", phone: "+49301234567" });
    const row = (table: string, rowId: string) => kit.db.sqlite.prepare(`SELECT contact_id FROM ${table} WHERE id = ?`).get(rowId);
    expect(row("conversations", id)).toEqual({ contact_id: result.contact.id });
    expect(row("visitors", visitorId)).toEqual({ contact_id: result.contact.id });
    expect(row("conversations", earlier)).toEqual({ contact_id: result.contact.id });
    expect(events.some((e) => e.kind === "conversation" && (e.data as { change?: string }).change === "contact")).toBe(true);
  });

  it("links the existing contact instead of creating a duplicate email, filling blanks only", async () => {
    kit.db.sqlite
      .prepare("INSERT INTO contacts (id, email, name, phone, created_at, updated_at) VALUES ('ct_dup', 'dup@example.com', NULL, '+14155552671', 0, 0)")
      .run();
    const id = kit.conversation();
    const before = contactCount();
    const result = await kit.run(
      Effect.flatMap(Contacts, (c) => c.createFromConversation(people.alex, id, { email: "DUP@example.com", name: "Dee", phone: "+44 20 7946 0958" })),
    );
    expect(result.created).toBe(false);
    expect(result.message).toMatch(/already exists/);
    expect(contactCount()).toBe(before);
    expect(result.contact).toMatchObject({ id: "ct_dup", name: "Dee", phone: "+14155552671" });
  });

  it("is refused outside the agent's inboxes", async () => {
    const id = kit.conversation();
    const refused = await kit.fail(Effect.flatMap(Contacts, (c) => c.createFromConversation(people.sam, id, { name: "X" })));
    expect(refused._tag).toBe("Forbidden");
  });
});

describe("a returning contact", () => {
  it("has the earlier conversations and tickets in its history, limited to inboxes the agent sees", async () => {
    kit.db.sqlite.prepare("INSERT INTO contacts (id, email, name, created_at, updated_at) VALUES ('ct_ret', 'ret@example.com', 'Ret', 0, 0)").run();
    const first = kit.conversation({ status: "closed", contactId: "ct_ret", messages: [{ author: "visitor", text: "first visit" }] });
    const salesOne = kit.conversation({ inboxId: "inbox_sales", contactId: "ct_ret" });
    kit.db.sqlite
      .prepare(
        "INSERT INTO tickets (id, inbox_id, conversation_id, contact_id, subject, created_at, updated_at) VALUES ('tkt_r', 'inbox_support', ?, 'ct_ret', 'Broken', 1, 1)",
      )
      .run(first);
    const second = kit.conversation();
    await kit.run(Effect.flatMap(Contacts, (c) => c.linkToConversation(people.alex, second, "ct_ret")));
    const history = await kit.run(Effect.flatMap(Contacts, (c) => c.history(people.alex, "ct_ret")));
    expect(history.conversations.map((c) => c.id)).toEqual(expect.arrayContaining([first, second]));
    expect(history.conversations.map((c) => c.id)).not.toContain(salesOne);
    expect(history.conversations.find((c) => c.id === first)?.preview).toBe("first visit");
    expect(history.tickets.map((t) => t.subject)).toEqual(["Broken"]);
    const admin = await kit.run(Effect.flatMap(Contacts, (c) => c.history(people.admin, "ct_ret")));
    expect(admin.conversations.map((c) => c.id)).toContain(salesOne);
    const missing = await kit.fail(Effect.flatMap(Contacts, (c) => c.linkToConversation(people.alex, second, "ct_nope")));
    expect(missing._tag).toBe("NotFound");
  });
});

describe("editing a contact", () => {
  it("sets and removes properties, clears fields with null, and refuses an email another contact has", async () => {
    const id = kit.conversation();
    const c = await contacts();
    const noContact = await kit.fail(c.updateForConversation(people.alex, id, { name: "X" }));
    expect(noContact._tag).toBe("InvalidInput");
    await kit.run(c.createFromConversation(people.alex, id, { email: "edit@example.com", name: "Ed" }));
    const updated = await kit.run(c.updateForConversation(people.alex, id, { phone: "+1 415 555 2671", properties: { plan: "pro", seats: "12" } }));
    expect(updated).toMatchObject({ phone: "+14155552671", properties: { plan: "pro", seats: "12" } });
    const removed = await kit.run(c.updateForConversation(people.alex, id, { name: null, properties: { seats: "" } }));
    expect(removed.name).toBeNull();
    expect(removed.properties).toEqual({ plan: "pro" });
    const badKey = (await kit.fail(c.updateForConversation(people.alex, id, { properties: { "Bad Key": "x" } }))) as InvalidInput;
    expect(badKey.issues.map((i) => i.path)).toEqual(["properties.Bad Key"]);
    kit.db.sqlite.prepare("INSERT INTO contacts (id, email, created_at, updated_at) VALUES ('ct_taken', 'taken@example.com', 0, 0)").run();
    const taken = await kit.fail(c.updateForConversation(people.alex, id, { email: "Taken@example.com" }));
    expect(taken._tag).toBe("Conflict");
  });

  it("finds contacts by name, email or phone words", async () => {
    kit.db.sqlite.prepare("INSERT INTO contacts (id, email, name, created_at, updated_at) VALUES ('ct_find', 'zora@find.example', 'Zora Zed', 0, 0)").run();
    const c = await contacts();
    expect((await kit.run(c.search(people.alex, "zora"))).map((x) => x.id)).toEqual(["ct_find"]);
    expect((await kit.run(c.search(people.alex, "find.example"))).map((x) => x.id)).toEqual(["ct_find"]);
    expect(await kit.run(c.search(people.alex, '"'))).toEqual([]);
    expect((await kit.fail(c.search(people.ana, "zora")))._tag).toBe("Forbidden");
  });
});

const events = (type: string) =>
  (kit.db.sqlite.prepare("SELECT conversation_id, user_id, data FROM events WHERE type = ? ORDER BY id").all(type) as Array<{
    conversation_id: string | null;
    user_id: string | null;
    data: string;
  }>).map((e) => ({ ...e, data: JSON.parse(e.data) as Record<string, unknown> }));

describe("contact owners", () => {
  it("makes the agent who creates a contact from a conversation its owner, with an event", async () => {
    const id = kit.conversation();
    const c = await contacts();
    const { contact } = await kit.run(c.createFromConversation(people.bo, id, { name: "Owned by Bo" }));
    expect(contact.owner).toEqual({ id: people.bo.id, name: people.bo.name, disabled: false });
    expect(events("contact_owner_changed").filter((e) => e.data.contactId === contact.id)).toEqual([
      { conversation_id: id, user_id: people.bo.id, data: { contactId: contact.id, from: null, to: people.bo.id } },
    ]);
  });

  it("sets, changes and clears the owner, logging each change once", async () => {
    kit.db.sqlite.prepare("INSERT INTO contacts (id, name, created_at, updated_at) VALUES ('ct_own', 'Olga', 0, 0)").run();
    const c = await contacts();
    expect((await kit.run(c.get("ct_own"))).owner).toBeNull();
    expect((await kit.run(c.setOwner(people.alex, "ct_own", { ownerId: people.sam.id }))).owner?.id).toBe(people.sam.id);
    // Asking for what already is changes nothing and logs nothing.
    await kit.run(c.setOwner(people.alex, "ct_own", { ownerId: people.sam.id }));
    expect((await kit.run(c.setOwner(people.alex, "ct_own", { ownerId: "" }))).owner).toBeNull();
    const logged = events("contact_owner_changed").filter((e) => e.data.contactId === "ct_own");
    expect(logged.map((e) => [e.conversation_id, e.user_id, e.data.from, e.data.to])).toEqual([
      [null, people.alex.id, null, people.sam.id],
      [null, people.alex.id, people.sam.id, null],
    ]);
  });

  it("refuses an unknown user, a disabled one, a role outside the inbox, an unknown contact and a bad body", async () => {
    kit.db.sqlite.prepare("INSERT INTO contacts (id, name, owner_id, created_at, updated_at) VALUES ('ct_keep', 'Kept', 'usr_bo', 0, 0)").run();
    kit.db.sqlite
      .prepare("INSERT INTO users (id, email, name, role, password_hash, created_at, disabled_at) VALUES ('usr_gone', 'gone@example.com', 'Gone', 'agent', 'x', 0, 1)")
      .run();
    const c = await contacts();
    const issue = async (input: unknown) => {
      const error = (await kit.fail(c.setOwner(people.alex, "ct_keep", input))) as InvalidInput;
      expect(error._tag).toBe("InvalidInput");
      return error.issues[0];
    };
    expect(await issue({ ownerId: "usr_nobody" })).toEqual({ path: "ownerId", message: "no such user" });
    expect((await issue({ ownerId: "usr_gone" }))?.message).toMatch(/disabled/);
    expect((await issue({ ownerId: people.ana.id }))?.message).toMatch(/agent or an admin/);
    expect((await issue({ owner: "usr_bo" }))?.path).toBe("ownerId");
    expect((await issue({ ownerId: 42 }))?.path).toBe("ownerId");
    expect((await kit.fail(c.setOwner(people.alex, "ct_none", { ownerId: people.bo.id })))._tag).toBe("NotFound");
    expect((await kit.fail(c.setOwner(people.ana, "ct_keep", { ownerId: people.bo.id })))._tag).toBe("Forbidden");
    // Nothing stored changed.
    expect((await kit.run(c.get("ct_keep"))).owner?.id).toBe(people.bo.id);
  });

  it("keeps a disabled owner recorded, marked disabled, and leaves them out of the owners to pick", async () => {
    kit.db.sqlite
      .prepare("INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES ('usr_leaver', 'leaver@example.com', 'Lea Leaver', 'agent', 'x', 0)")
      .run();
    kit.db.sqlite.prepare("INSERT INTO contacts (id, name, owner_id, created_at, updated_at) VALUES ('ct_left', 'Left', 'usr_leaver', 0, 0)").run();
    kit.db.sqlite.prepare("UPDATE users SET disabled_at = 1 WHERE id = 'usr_leaver'").run();
    const c = await contacts();
    expect((await kit.run(c.get("ct_left"))).owner).toEqual({ id: "usr_leaver", name: "Lea Leaver", disabled: true });
    const owners = (await kit.run(c.owners(people.alex))).map((o) => o.id);
    expect(owners).toEqual(expect.arrayContaining([people.admin.id, people.alex.id, people.bo.id, people.sam.id]));
    expect(owners).not.toContain("usr_leaver");
    expect(owners).not.toContain(people.ana.id);
  });

  it("changes the owner from a conversation, naming it in the event", async () => {
    const id = kit.conversation();
    const c = await contacts();
    expect((await kit.fail(c.setOwnerForConversation(people.alex, id, { ownerId: people.bo.id })))._tag).toBe("InvalidInput");
    const { contact } = await kit.run(c.createFromConversation(people.alex, id, { name: "Panel" }));
    const saved = await kit.run(c.setOwnerForConversation(people.alex, id, { ownerId: people.bo.id }));
    expect(saved.owner?.id).toBe(people.bo.id);
    expect(events("contact_owner_changed").filter((e) => e.data.contactId === contact.id).map((e) => e.conversation_id)).toEqual([id, id]);
    expect((await kit.fail(c.setOwnerForConversation(people.sam, id, { ownerId: people.sam.id })))._tag).toBe("Forbidden");
  });
});

describe("the contacts list", () => {
  it("searches name, email and phone, filters by owner, sorts by last activity and pages", async () => {
    const s = kit.db.sqlite;
    const insert = s.prepare("INSERT INTO contacts (id, email, name, phone, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?)");
    s.prepare("UPDATE conversations SET contact_id = NULL").run();
    s.prepare("UPDATE visitors SET contact_id = NULL").run();
    s.prepare("UPDATE tickets SET contact_id = NULL").run();
    s.prepare("DELETE FROM contacts").run();
    insert.run("ct_l1", "lina@list.example", "Lina List", "+4930123456", people.alex.id, 1_000);
    insert.run("ct_l2", "mo@list.example", "Mo List", null, people.bo.id, 3_000);
    insert.run("ct_l3", null, "Nia Nobody", "+14155552671", null, 2_000);
    // Lina's conversation is the newest activity of all.
    kit.conversation({ contactId: "ct_l1", lastActivityAt: 9_000 });
    const c = await contacts();
    const ids = async (filter: Record<string, string>) => (await kit.run(c.list(people.alex, filter))).contacts.map((x) => x.id);
    expect(await ids({})).toEqual(["ct_l1", "ct_l2", "ct_l3"]);
    expect((await kit.run(c.list(people.alex, {}))).contacts[0]?.lastActivityAt).toBe(9_000);
    expect(await ids({ search: "list" })).toEqual(["ct_l1", "ct_l2"]);
    expect(await ids({ search: "mo@list" })).toEqual(["ct_l2"]);
    expect(await ids({ search: "+1 415 555" })).toEqual(["ct_l3"]);
    expect(await ids({ search: "030 123456" })).toEqual(["ct_l1"]);
    expect(await ids({ owner: "me" })).toEqual(["ct_l1"]);
    expect(await ids({ owner: "none" })).toEqual(["ct_l3"]);
    expect(await ids({ owner: people.bo.id })).toEqual(["ct_l2"]);
    expect(await ids({ owner: "me", search: "mo" })).toEqual([]);
    const first = await kit.run(c.list(people.alex, { limit: "2" }));
    expect(first.contacts.map((x) => x.id)).toEqual(["ct_l1", "ct_l2"]);
    expect(await ids({ limit: "2", cursor: first.nextCursor! })).toEqual(["ct_l3"]);
    expect((await kit.run(c.list(people.alex, { limit: "2", cursor: first.nextCursor! }))).nextCursor).toBeNull();
  });

  it("refuses bad filters with their path, and roles outside the inbox", async () => {
    const c = await contacts();
    const path = async (filter: unknown) => ((await kit.fail(c.list(people.alex, filter))) as InvalidInput).issues[0]?.path;
    expect(await path({ limit: "0" })).toBe("limit");
    expect(await path({ limit: "many" })).toBe("limit");
    expect(await path({ cursor: "not-a-cursor" })).toBe("cursor");
    expect(await path({ search: "x".repeat(201) })).toBe("search");
    expect((await kit.fail(c.list(people.ana, {})))._tag).toBe("Forbidden");
  });
});

describe("contacts created and edited on their own", () => {
  it("creates a contact owned by its creator, normalised, and refuses a taken email without storing anything", async () => {
    const c = await contacts();
    const created = await kit.run(c.create(people.alex, { name: " Pia Page ", email: "Pia@Page.example", phone: "+44 20 7946 0958" }));
    expect(created).toMatchObject({ name: "Pia Page", email: "pia@page.example", phone: "+442079460958", owner: { id: people.alex.id } });
    const before = contactCount();
    const clash = await kit.fail(c.create(people.bo, { name: "Other Pia", email: "PIA@page.example" }));
    expect(clash._tag).toBe("Conflict");
    expect((clash as { message: string }).message).toMatch(/already has the email pia@page.example/);
    const bad = (await kit.fail(c.create(people.bo, { email: "nope", phone: "12" }))) as InvalidInput;
    expect(bad.issues.map((i) => i.path).sort()).toEqual(["email", "phone"]);
    expect((await kit.fail(c.create(people.bo, {})))._tag).toBe("InvalidInput");
    expect((await kit.fail(c.create(people.ana, { name: "X" })))._tag).toBe("Forbidden");
    expect(contactCount()).toBe(before);
  });

  it("edits by id with the panel's rules: a taken email is a conflict and the contact keeps what it had", async () => {
    const c = await contacts();
    const one = await kit.run(c.create(people.alex, { name: "Quin", email: "quin@edit.example" }));
    await kit.run(c.create(people.alex, { name: "Ray", email: "ray@edit.example" }));
    const saved = await kit.run(c.update(people.bo, one.id, { phone: "+1 415 555 2671", properties: { plan: "pro" } }));
    expect(saved).toMatchObject({ phone: "+14155552671", properties: { plan: "pro" }, owner: { id: people.alex.id } });
    expect((await kit.fail(c.update(people.bo, one.id, { email: "Ray@edit.example", name: "Changed" })))._tag).toBe("Conflict");
    expect(await kit.run(c.get(one.id))).toMatchObject({ name: "Quin", email: "quin@edit.example" });
    const badKey = (await kit.fail(c.update(people.bo, one.id, { properties: { "Bad Key": "x" } }))) as InvalidInput;
    expect(badKey.issues.map((i) => i.path)).toEqual(["properties.Bad Key"]);
    expect((await kit.fail(c.update(people.bo, "ct_missing", { name: "X" })))._tag).toBe("NotFound");
    expect((await kit.fail(c.update(people.ana, one.id, { name: "X" })))._tag).toBe("Forbidden");
    expect(events("contact_updated").filter((e) => e.data.contactId === one.id).map((e) => e.data.fields)).toEqual([["phone", "properties"]]);
  });
});
