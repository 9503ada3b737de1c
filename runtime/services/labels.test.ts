import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Conflict, Forbidden, InvalidInput, NotFound } from "./errors.js";
import { Inbox, labelTerms } from "./inbox.js";
import { openKit, people, type Kit } from "./inbox-test-kit.js";
import { addLabelsInWrite, Labels } from "./labels.js";
import type { LiveEvent } from "./live-events.js";

let kit: Kit;

beforeAll(async () => {
  kit = await openKit();
});
afterAll(async () => {
  await kit.dispose();
});

const labels = () => kit.run(Labels);
const inbox = () => kit.run(Inbox);
const count = (sql: string, ...args: unknown[]) => (kit.db.sqlite.prepare(`SELECT COUNT(*) AS n FROM ${sql}`).get(...args) as { n: number }).n;
const events = (type: string, conversationId: string) =>
  (
    kit.db.sqlite.prepare("SELECT data, user_id FROM events WHERE type = ? AND conversation_id = ? ORDER BY id").all(type, conversationId) as Array<{
      data: string;
      user_id: string | null;
    }>
  ).map((e) => ({ ...JSON.parse(e.data), userId: e.user_id }));

describe("labels", () => {
  it("are created, edited and deleted by admins, with names and colours checked", async () => {
    const l = await labels();
    const billing = await kit.run(l.create(people.admin, { name: "  Billing ", color: "blue", description: "" }));
    expect(billing).toMatchObject({ name: "Billing", color: "blue", description: null, conversationCount: 0, openCount: 0 });

    const taken = (await kit.fail(l.create(people.admin, { name: "BILLING", color: "red" }))) as Conflict;
    expect(taken).toMatchObject({ _tag: "Conflict", message: "A label named “BILLING” already exists." });
    const blank = (await kit.fail(l.create(people.admin, { name: "   ", color: "red" }))) as InvalidInput;
    expect(blank.issues).toEqual([{ path: "name", message: "enter a name for the label" }]);
    const long = (await kit.fail(l.create(people.admin, { name: "x".repeat(41), color: "red" }))) as InvalidInput;
    expect(long.issues[0]).toMatchObject({ path: "name", message: "a label's name is at most 40 characters" });
    const colour = (await kit.fail(l.create(people.admin, { name: "Bug", color: "pink" }))) as InvalidInput;
    expect(colour.issues[0]).toMatchObject({ path: "color", message: expect.stringContaining("pick a colour") });
    const missing = (await kit.fail(l.create(people.admin, { name: "Bug" }))) as InvalidInput;
    expect(missing.issues[0]?.path).toBe("color");
    const description = (await kit.fail(l.create(people.admin, { name: "Bug", color: "red", description: "d".repeat(201) }))) as InvalidInput;
    expect(description.issues[0]?.path).toBe("description");
    expect(((await kit.fail(l.create(people.alex, { name: "Mine", color: "red" }))) as Forbidden)._tag).toBe("Forbidden");
    expect(count("labels")).toBe(1);

    const bug = await kit.run(l.create(people.admin, { name: "Bug", color: "red", description: " Something is broken " }));
    expect(bug.description).toBe("Something is broken");
    // A rename to another's name (any case) is a conflict and changes nothing.
    expect(((await kit.fail(l.update(people.admin, bug.id, { name: "billing", color: "red" }))) as Conflict)._tag).toBe("Conflict");
    expect(await kit.run(l.update(people.admin, bug.id, { name: "Bugs", color: "orange" }))).toMatchObject({ name: "Bugs", color: "orange", description: null });
    expect(((await kit.fail(l.update(people.admin, "label_nope", { name: "X", color: "red" }))) as NotFound)._tag).toBe("NotFound");
    expect(((await kit.fail(l.update(people.alex, bug.id, { name: "X", color: "red" }))) as Forbidden)._tag).toBe("Forbidden");

    expect((await kit.run(l.list(people.alex))).map((x) => x.name)).toEqual(["Billing", "Bugs"]);
    expect(((await kit.fail(l.list(people.ana))) as Forbidden)._tag).toBe("Forbidden");
    expect(((await kit.fail(l.remove(people.alex, bug.id))) as Forbidden)._tag).toBe("Forbidden");
    expect(((await kit.fail(l.remove(people.admin, "label_nope"))) as NotFound)._tag).toBe("NotFound");
    await kit.run(l.remove(people.admin, bug.id));
    expect((await kit.run(l.list(people.admin))).map((x) => x.name)).toEqual(["Billing"]);
  });

  it("are one label whatever their case in any script: a Unicode-case twin is a conflict, and the search finds either spelling", async () => {
    const l = await labels();
    const i = await inbox();
    const transfer = await kit.run(l.create(people.admin, { name: "Überweisung", color: "teal" }));
    for (const twin of ["überweisung", "ÜBERWEISUNG", "U\u0308berweisung"]) {
      expect(await kit.fail(l.create(people.admin, { name: twin, color: "red" })), twin).toMatchObject({ _tag: "Conflict", message: `A label named “${twin}” already exists.` });
    }
    const street = await kit.run(l.create(people.admin, { name: "Straße", color: "gray" }));
    expect(await kit.fail(l.update(people.admin, street.id, { name: "überweisung", color: "gray" }))).toMatchObject({ _tag: "Conflict" });
    expect(await kit.fail(l.create(people.admin, { name: "STRASSE", color: "gray" }))).toMatchObject({ _tag: "Conflict" });
    // A rename of a label to another case of its own name is fine.
    expect(await kit.run(l.update(people.admin, transfer.id, { name: "überweisung", color: "teal" }))).toMatchObject({ name: "überweisung" });
    expect(count("labels WHERE name_key = ?", "überweisung")).toBe(1);

    const conv = kit.conversation();
    await kit.run(l.addToConversation(people.admin, conv, { labelId: transfer.id }));
    expect((await kit.run(i.listConversations({ search: "label:ÜBERWEISUNG" }, people.alex))).conversations.map((c) => c.id)).toEqual([conv]);
    await kit.run(l.remove(people.admin, transfer.id));
    await kit.run(l.remove(people.admin, street.id));
  });

  it("go on and off conversations once each, with events and a live update, for whoever works in the inbox", async () => {
    const l = await labels();
    const vip = await kit.run(l.create(people.admin, { name: "VIP", color: "purple" }));
    const conv = kit.conversation({ messages: [{ author: "visitor", text: "hello" }] });
    const heard: LiveEvent[] = [];
    const stop = kit.live.subscribeAll((e) => heard.push(e));

    const added = await kit.run(l.addToConversation(people.alex, conv, { labelId: vip.id }));
    expect(added).toEqual({ changed: true, labels: [{ id: vip.id, name: "VIP", color: "purple" }] });
    // Again: nothing changes, no second event, no second live update.
    expect(await kit.run(l.addToConversation(people.bo, conv, { labelId: vip.id }))).toMatchObject({ changed: false });
    expect(events("label_added", conv)).toEqual([{ labelId: vip.id, name: "VIP", by: "user", userId: people.alex.id }]);
    expect(heard.filter((e) => e.conversationId === conv)).toEqual([
      { conversationId: conv, inboxId: "inbox_support", kind: "conversation", internal: true, data: { change: "labels", labelId: vip.id, added: true } },
    ]);
    expect(count("conversation_labels WHERE conversation_id = ? AND added_by = ?", conv, people.alex.id)).toBe(1);

    // Who may not: another inbox's agent (403), an analyst (403); unknown ids are 404; a bad body 400.
    expect(((await kit.fail(l.addToConversation(people.sam, conv, { labelId: vip.id }))) as Forbidden)._tag).toBe("Forbidden");
    expect(((await kit.fail(l.addToConversation(people.ana, conv, { labelId: vip.id }))) as Forbidden)._tag).toBe("Forbidden");
    expect(await kit.fail(l.addToConversation(people.alex, "conv_nope", { labelId: vip.id }))).toMatchObject({ _tag: "NotFound", entity: "conversation" });
    expect(await kit.fail(l.addToConversation(people.alex, conv, { labelId: "label_nope" }))).toMatchObject({ _tag: "NotFound", entity: "label" });
    const bad = (await kit.fail(l.addToConversation(people.alex, conv, {}))) as InvalidInput;
    expect(bad.issues[0]?.path).toBe("labelId");
    const empty = (await kit.fail(l.removeFromConversation(people.alex, conv, { labelId: "" }))) as InvalidInput;
    expect(empty.issues[0]).toEqual({ path: "labelId", message: "pick a label" });

    const removed = await kit.run(l.removeFromConversation(people.bo, conv, { labelId: vip.id }));
    expect(removed).toEqual({ changed: true, labels: [] });
    expect(await kit.run(l.removeFromConversation(people.bo, conv, { labelId: vip.id }))).toMatchObject({ changed: false });
    expect(events("label_removed", conv)).toEqual([{ labelId: vip.id, name: "VIP", userId: people.bo.id }]);
    expect(heard.filter((e) => e.conversationId === conv)).toHaveLength(2);
    stop();
    // The conversation and its messages are untouched.
    expect(count("messages WHERE conversation_id = ?", conv)).toBe(1);
  });

  it("show on the inbox's rows and thread, filter the list, and count in the settings", async () => {
    const l = await labels();
    const i = await inbox();
    const refund = await kit.run(l.create(people.admin, { name: "Refund", color: "green" }));
    const urgent = await kit.run(l.create(people.admin, { name: "Sales lead", color: "yellow" }));
    const [a, b, closed] = [kit.conversation(), kit.conversation(), kit.conversation({ status: "closed" })];
    kit.conversation();
    for (const c of [a, b, closed]) await kit.run(l.addToConversation(people.admin, c, { labelId: refund.id }));
    await kit.run(l.addToConversation(people.admin, a, { labelId: urgent.id }));

    const list = await kit.run(i.listConversations({ label: refund.id }, people.alex));
    expect(list.conversations.map((c) => c.id).sort()).toEqual([a, b].sort());
    expect(list.counts.all_open).toBe(2);
    expect(list.conversations.find((c) => c.id === a)?.labels.map((x) => x.name)).toEqual(["Refund", "Sales lead"]);
    expect((await kit.run(i.listConversations({ label: refund.id, view: "closed" }, people.alex))).conversations.map((c) => c.id)).toEqual([closed]);
    // Combined with a view and another filter; an unknown label lists nothing.
    expect((await kit.run(i.listConversations({ label: refund.id, view: "unassigned", inboxId: "inbox_support" }, people.alex))).conversations).toHaveLength(2);
    expect((await kit.run(i.listConversations({ label: "label_nope" }, people.alex))).conversations).toEqual([]);
    const tooLong = (await kit.fail(i.listConversations({ label: "x".repeat(101) }, people.alex))) as InvalidInput;
    expect(tooLong.issues[0]?.path).toBe("label");
    // `label:` in the search, by name in any case, quoted when it has a space.
    expect((await kit.run(i.listConversations({ search: 'label:"sales LEAD"' }, people.alex))).conversations.map((c) => c.id)).toEqual([a]);
    expect((await kit.run(i.listConversations({ search: "label:refund" }, people.alex))).conversations).toHaveLength(2);
    expect((await kit.run(i.listConversations({ search: "label:nothing" }, people.alex))).conversations).toEqual([]);

    expect((await kit.run(i.getThread(a, people.alex))).conversation.labels.map((x) => x.id)).toEqual([refund.id, urgent.id]);
    expect((await kit.run(i.options(people.alex))).labels.map((x) => x.name)).toEqual(expect.arrayContaining(["Refund", "Sales lead"]));
    expect((await kit.run(l.list(people.admin))).find((x) => x.id === refund.id)).toMatchObject({ conversationCount: 3, openCount: 2 });
    // A snoozed one is not in the All open view the settings page links to: it does not count as open there either.
    kit.db.sqlite.prepare("UPDATE conversations SET snoozed_until = ? WHERE id = ?").run(Date.now() + 3_600_000, b);
    expect((await kit.run(i.listConversations({ label: refund.id, view: "all_open" }, people.admin))).conversations.map((c) => c.id)).toEqual([a]);
    expect((await kit.run(l.list(people.admin))).find((x) => x.id === refund.id)).toMatchObject({ conversationCount: 3, openCount: 1 });
    kit.db.sqlite.prepare("UPDATE conversations SET snoozed_until = NULL WHERE id = ?").run(b);

    // Renaming or deleting it tells each inbox that has a conversation carrying it, once, so open pages re-read.
    const heard: LiveEvent[] = [];
    const stop = kit.live.subscribeAll((e) => heard.push(e));
    await kit.run(l.update(people.admin, refund.id, { name: "Refunds", color: "green" }));
    expect(heard).toEqual([
      expect.objectContaining({ kind: "conversation", inboxId: "inbox_support", internal: true, data: { change: "labels", labelId: refund.id, edited: true } }),
    ]);
    expect([a, b, closed]).toContain(heard[0]!.conversationId);
    heard.length = 0;

    // Deleting a label takes it off its conversations and nothing else.
    const before = count("conversations") + count("messages") + count("events");
    expect(await kit.run(l.remove(people.admin, refund.id))).toBe(3);
    expect(heard).toEqual([expect.objectContaining({ kind: "conversation", inboxId: "inbox_support", data: { change: "labels", labelId: refund.id, deleted: true } })]);
    stop();
    expect(count("conversation_labels WHERE label_id = ?", refund.id)).toBe(0);
    expect(count("conversation_labels WHERE label_id = ?", urgent.id)).toBe(1);
    expect(count("conversations") + count("messages") + count("events")).toBe(before);
    expect((await kit.run(i.getThread(a, people.alex))).conversation.labels.map((x) => x.name)).toEqual(["Sales lead"]);
  });

  it("are added for the bot in a write, skipping deleted ones", async () => {
    const l = await labels();
    const lead = await kit.run(l.create(people.admin, { name: "Lead", color: "teal" }));
    const conv = kit.conversation({ status: "bot" });
    const row = kit.db.sqlite.prepare("SELECT id, inbox_id, channel_id, chatflow_id, chatflow_version_id, is_preview FROM conversations WHERE id = ?").get(conv) as {
      id: string;
      inbox_id: string;
      channel_id: string;
      chatflow_id: string | null;
      chatflow_version_id: string | null;
      is_preview: number;
    };
    const missing = await kit.run(kit.db.writeEffect(() => addLabelsInWrite(kit.db.prepare, row, [lead.id, "label_gone", lead.id], 1_000)).pipe(Effect.orDie));
    expect(missing).toEqual(["label_gone"]);
    expect(kit.db.sqlite.prepare("SELECT added_by, added_at FROM conversation_labels WHERE conversation_id = ?").all(conv)).toEqual([{ added_by: null, added_at: 1_000 }]);
    expect(events("label_added", conv)).toEqual([{ labelId: lead.id, name: "Lead", by: "bot", userId: null }]);
  });
});

describe("labelTerms", () => {
  it("takes label: terms out of a search", () => {
    expect(labelTerms('refund label:VIP label:"Sales lead" please')).toEqual({ names: ["VIP", "Sales lead"], rest: "refund   please" });
    expect(labelTerms("no labels here")).toEqual({ names: [], rest: "no labels here" });
    expect(labelTerms("xlabel:VIP")).toEqual({ names: [], rest: "xlabel:VIP" });
  });
});
