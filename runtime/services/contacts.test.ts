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
