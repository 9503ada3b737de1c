/**
 * What the inbox list and thread say a waiting visitor is owed under the inbox's response
 * targets, on a real SQLite file with the real Inbox: a first response until a person has
 * replied (the report roll-up's first reply), the next reply after; nothing without a target,
 * for a conversation nobody waits in, or in another inbox; business hours from the workspace.
 */
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addBusinessMs } from "../core/response-targets.js";
import { BUSINESS_HOURS_SETTING, TIMEZONE_SETTING } from "./business-hours.js";
import { Inbox } from "./inbox.js";
import { openKit, people, type Kit } from "./inbox-test-kit.js";

let kit: Kit;
const MIN = 60_000;
const H = 60 * MIN;

const setTargets = (inboxId: string, targets: unknown) =>
  kit.db.sqlite.prepare("UPDATE inboxes SET response_targets = ? WHERE id = ?").run(JSON.stringify(targets), inboxId);
const setting = (key: string, value: string) =>
  kit.db.sqlite.prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value);
/** A conversation as the engine would have begun it: with its `conversation_created` event, so the report roll-ups know it. */
const waiting = (inboxId: string, waitingSince: number) => {
  const id = kit.conversation({ inboxId, waitingSince, messages: [{ author: "visitor", text: "Hello?" }] });
  kit.db.sqlite
    .prepare("INSERT INTO events (type, at, conversation_id, inbox_id, channel_id, is_preview) VALUES ('conversation_created', ?, ?, ?, ?, 0)")
    .run(waitingSince, id, inboxId, inboxId === "inbox_sales" ? "chan_sales" : "chan_web");
  return id;
};
const dueOf = async (id: string) => {
  const list = await kit.run(Effect.flatMap(Inbox, (i) => i.listConversations({ view: "all_open" }, people.admin)));
  const listed = list.conversations.find((c) => c.id === id);
  const thread = await kit.run(Effect.flatMap(Inbox, (i) => i.getThread(id, people.admin)));
  expect(thread.conversation.responseDue, "the thread says what the list says").toEqual(listed?.responseDue);
  return listed?.responseDue;
};

beforeAll(async () => {
  kit = await openKit();
});
afterAll(() => kit.dispose());

describe("response due in the inbox", () => {
  it("owes nothing while the inbox has no targets", async () => {
    const id = waiting("inbox_support", Date.now() - 30 * MIN);
    expect(await dueOf(id)).toBeNull();
  });

  it("owes a first response until a person replies, then the next reply from the visitor's next wait", async () => {
    setTargets("inbox_support", { firstResponseMinutes: 60, nextReplyMinutes: 240, businessHours: false });
    const since = Date.now() - 30 * MIN;
    const id = waiting("inbox_support", since);
    expect(await dueOf(id)).toEqual({ kind: "first_response", targetMs: H, dueAt: since + H });

    // An internal comment is no reply: still the first response.
    await kit.run(Effect.flatMap(Inbox, (i) => i.comment({ conversationId: id, text: "looking", clientMessageId: "c1" }, people.alex)));
    expect((await dueOf(id))?.kind).toBe("first_response");

    await kit.run(Effect.flatMap(Inbox, (i) => i.reply({ conversationId: id, text: "On it", clientMessageId: "r1" }, people.alex)));
    // Answered: nobody waits, nothing is due.
    expect(await dueOf(id)).toBeNull();
    // The visitor writes again (as the engine would mark it).
    const again = Date.now() - 5 * MIN;
    kit.db.sqlite.prepare("UPDATE conversations SET waiting_since = ? WHERE id = ?").run(again, id);
    expect(await dueOf(id)).toEqual({ kind: "next_reply", targetMs: 4 * H, dueAt: again + 4 * H });
  });

  it("owes nothing in an inbox without a target of that kind", async () => {
    setTargets("inbox_sales", { firstResponseMinutes: null, nextReplyMinutes: 30, businessHours: false });
    expect(await dueOf(waiting("inbox_sales", Date.now() - MIN))).toBeNull();
  });

  it("counts the workspace's business hours when the targets say so", async () => {
    // One minute a week: an hour's target lies over a year ahead.
    const hours = [{ day: "sun", from: "00:00", to: "00:01" }] as const;
    setting(TIMEZONE_SETTING, "Europe/Berlin");
    setting(BUSINESS_HOURS_SETTING, JSON.stringify(hours));
    setTargets("inbox_support", { firstResponseMinutes: 60, nextReplyMinutes: null, businessHours: true });
    const since = Date.now() - MIN;
    const due = await dueOf(waiting("inbox_support", since));
    expect(due).toEqual({ kind: "first_response", targetMs: H, dueAt: addBusinessMs({ timezone: "Europe/Berlin", hours: [...hours] }, since, H) });
    expect(due!.dueAt - since).toBeGreaterThan(365 * 24 * H);
  });
});
