import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addToListInWrite, ContactLists } from "./contact-lists.js";
import { Contacts } from "./contacts.js";
import type { Forbidden, InvalidInput, NotFound } from "./errors.js";
import { openKit, people, type Kit } from "./inbox-test-kit.js";

let kit: Kit;
const mia = { id: "usr_mia", role: "marketer" } as const;

beforeAll(async () => {
  kit = await openKit();
  kit.db.sqlite
    .prepare("INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES ('usr_mia', 'mia@example.com', 'Mia Marketer', 'marketer', 'x', 0)")
    .run();
});
afterAll(async () => {
  await kit.dispose();
});

const lists = () => kit.run(ContactLists);
const count = (sql: string, ...args: unknown[]) => (kit.db.sqlite.prepare(`SELECT COUNT(*) AS n FROM ${sql}`).get(...args) as { n: number }).n;
const events = (type: string) =>
  kit.db.sqlite.prepare("SELECT data, user_id, conversation_id, node_id FROM events WHERE type = ? ORDER BY id").all(type) as Array<{
    data: string;
    user_id: string | null;
    conversation_id: string | null;
    node_id: string | null;
  }>;
let seq = 0;
const contact = () => {
  const id = `ct_l${++seq}`;
  kit.db.sqlite.prepare("INSERT INTO contacts (id, email, name, created_at, updated_at) VALUES (?, ?, ?, 0, 0)").run(id, `${id}@example.com`, `Person ${seq}`);
  return id;
};

describe("lists", () => {
  it("are created, renamed and deleted by admins and marketers, with their names checked", async () => {
    const l = await lists();
    const made = await kit.run(l.create(mia, { name: "  Newsletter " }));
    expect(made).toMatchObject({ name: "Newsletter", memberCount: 0 });
    const taken = (await kit.fail(l.create(people.admin, { name: "NEWSLETTER" }))) as InvalidInput;
    expect(taken.issues).toEqual([{ path: "name", message: "a list named “NEWSLETTER” already exists" }]);
    const blank = (await kit.fail(l.create(mia, { name: "  " }))) as InvalidInput;
    expect(blank.issues[0]).toMatchObject({ path: "name", message: "enter a name for the list" });
    const long = (await kit.fail(l.create(mia, { name: "x".repeat(101) }))) as InvalidInput;
    expect(long.issues[0]?.path).toBe("name");
    const missing = (await kit.fail(l.create(mia, {}))) as InvalidInput;
    expect(missing.issues[0]?.path).toBe("name");
    expect(((await kit.fail(l.create(people.alex, { name: "Agents' list" }))) as Forbidden)._tag).toBe("Forbidden");
    expect(count("contact_lists")).toBe(1);

    const other = await kit.run(l.create(people.admin, { name: "Beta" }));
    const clash = (await kit.fail(l.rename(mia, other.id, { name: "newsletter" }))) as InvalidInput;
    expect(clash.issues[0]?.path).toBe("name");
    expect(await kit.run(l.rename(mia, other.id, { name: "Beta testers" }))).toMatchObject({ name: "Beta testers" });
    expect(((await kit.fail(l.rename(mia, "list_nope", { name: "X" }))) as NotFound)._tag).toBe("NotFound");
    expect(events("contact_list_renamed").map((e) => JSON.parse(e.data))).toEqual([{ listId: other.id, from: "Beta", to: "Beta testers" }]);

    const c = contact();
    await kit.run(l.addContact(people.alex, c, { listId: other.id }));
    expect(((await kit.fail(l.remove(people.alex, other.id))) as Forbidden)._tag).toBe("Forbidden");
    await kit.run(l.remove(mia, other.id));
    expect(count("contact_list_members WHERE list_id = ?", other.id)).toBe(0);
    expect(count("contacts WHERE id = ?", c)).toBe(1);
    expect(JSON.parse(events("contact_list_deleted")[0]!.data)).toMatchObject({ name: "Beta testers", memberCount: 1 });
    expect((await kit.run(l.all(people.alex))).map((x) => x.name)).toEqual(["Newsletter"]);
    expect(((await kit.fail(l.all(people.ana))) as Forbidden)._tag).toBe("Forbidden");
  });

  it("take contacts in and out (agents too), once each, with events, and filter the contacts list", async () => {
    const l = await lists();
    const list = await kit.run(l.create(mia, { name: "VIP" }));
    const [a, b] = [contact(), contact()];
    await kit.run(l.addContact(people.alex, a, { listId: list.id }));
    await kit.run(l.addContact(people.alex, a, { listId: list.id }));
    await kit.run(l.addContact(mia, b, { listId: list.id }));
    expect((await kit.run(l.all(mia))).find((x) => x.id === list.id)?.memberCount).toBe(2);
    expect(await kit.run(l.of(a))).toEqual([expect.objectContaining({ listId: list.id, name: "VIP", source: "agent", conversationId: null })]);
    expect(events("contact_list_added").filter((e) => JSON.parse(e.data).contactId === a)).toHaveLength(1);

    const filtered = await kit.run(Effect.flatMap(Contacts, (c) => c.list(people.alex, { list: list.id })));
    expect(filtered.contacts.map((c) => c.id).sort()).toEqual([a, b].sort());

    const bad = (await kit.fail(l.addContact(people.alex, a, { listId: "" }))) as InvalidInput;
    expect(bad.issues[0]).toMatchObject({ path: "listId", message: "pick a list" });
    const gone = (await kit.fail(l.addContact(people.alex, a, { listId: "list_gone" }))) as InvalidInput;
    expect(gone.issues[0]?.path).toBe("listId");
    expect(((await kit.fail(l.addContact(people.alex, "ct_nobody", { listId: list.id }))) as NotFound)._tag).toBe("NotFound");
    expect(((await kit.fail(l.addContact(people.ana, a, { listId: list.id }))) as Forbidden)._tag).toBe("Forbidden");

    await kit.run(l.removeContact(people.alex, a, { listId: list.id }));
    expect(await kit.run(l.of(a))).toEqual([]);
    expect(events("contact_list_removed").map((e) => JSON.parse(e.data))).toEqual([{ listId: list.id, contactId: a }]);
  });

  it("keep a bot's visitor waiting until they become a contact, then make them a member", async () => {
    const l = await lists();
    const list = await kit.run(l.create(mia, { name: "Waiting room" }));
    const visitorId = kit.visitor();
    const conversationId = kit.conversation({ visitorId });
    const ref = { id: conversationId, inbox_id: "inbox_support", channel_id: "chan_web", chatflow_id: null, chatflow_version_id: null, is_preview: 0 };
    const outcome = await kit.db.write((s) =>
      addToListInWrite((sql) => s.prepare(sql), { listId: list.id, contactId: null, visitorId, conversation: ref, nodeId: "n1", now: 5 }),
    );
    expect(outcome).toBe("waiting");
    expect(
      await kit.db.write((s) =>
        addToListInWrite((sql) => s.prepare(sql), { listId: "list_gone", contactId: null, visitorId, conversation: ref, nodeId: "n1", now: 5 }),
      ),
    ).toBe("no_list");
    const created = await kit.run(Effect.flatMap(Contacts, (c) => c.createFromConversation(people.alex, conversationId, { email: "wait@example.com" })));
    expect(await kit.run(l.of(created.contact.id))).toEqual([
      expect.objectContaining({ listId: list.id, source: "bot", conversationId, addedAt: 5 }),
    ]);
    expect(count("contact_list_waiting WHERE visitor_id = ?", visitorId)).toBe(0);
  });
});

describe("email consent", () => {
  it("keeps the record of what was agreed when the contact unsubscribes", async () => {
    const l = await lists();
    const c = contact();
    expect(await kit.run(l.consentOf(c))).toBeNull();
    kit.db.sqlite
      .prepare(
        "INSERT INTO contact_email_consent (contact_id, status, subscribed_at, consent_text, conversation_id, email) VALUES (?, 'subscribed', 7, 'Yes, send me news', 'conv_x', ?)",
      )
      .run(c, `${c}@example.com`);
    const after = await kit.run(l.unsubscribe(people.alex, c));
    expect(after).toMatchObject({ status: "unsubscribed", subscribedAt: 7, consentText: "Yes, send me news", conversationId: "conv_x" });
    expect(after.unsubscribedAt).toBeGreaterThan(7);
    expect(events("email_consent_changed").map((e) => JSON.parse(e.data))).toEqual([{ contactId: c, status: "unsubscribed", via: "agent" }]);
    expect(((await kit.fail(l.unsubscribe(people.alex, "ct_nobody"))) as NotFound)._tag).toBe("NotFound");
  });
});
