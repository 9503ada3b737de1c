/**
 * Bulk actions on a real SQLite file with the real Inbox, Routing, Snoozes and LiveEvents: each
 * action applied to several conversations (the single action's events and live updates, all in
 * one group commit), the skipped ones with their reasons (a version that moved, a bot
 * conversation, another inbox, an unknown id, an action that does not apply, a person who does
 * not work in the inbox), and bad input refused at its path with nothing changed.
 */
import { Effect } from "effect";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { InvalidInput } from "./errors.js";
import { makeInboxBulk, BULK_MAX, type InboxBulkShape } from "./inbox-bulk.js";
import { conversationState, openKit, people, type Kit } from "./inbox-test-kit.js";
import { Inbox } from "./inbox.js";
import type { LiveEvent } from "./live-events.js";
import { makeSnoozes } from "./snoozes.js";

let kit: Kit;
let bulk: InboxBulkShape;
const seen: LiveEvent[] = [];
const HOUR = 3_600_000;

const row = (id: string) => conversationState(kit, id);
const eventTypes = (id: string) =>
  (kit.db.sqlite.prepare("SELECT type FROM events WHERE conversation_id = ? ORDER BY id").all(id) as Array<{ type: string }>).map((e) => e.type);
const allEvents = () => (kit.db.sqlite.prepare("SELECT COUNT(*) AS n FROM events").get() as { n: number }).n;
const refs = (...ids: string[]) => ids.map((id) => ({ id, version: row(id).version }));
const apply = (input: unknown, actor: (typeof people)[keyof typeof people] = people.alex) => kit.run(bulk.apply(input, actor));

beforeAll(async () => {
  kit = await openKit();
  const inbox = await kit.run(Inbox);
  bulk = makeInboxBulk({ db: kit.db, inbox, snoozes: makeSnoozes(kit.db, kit.live) });
  kit.live.subscribeAll((event) => seen.push(event));
});
afterAll(() => kit.dispose());
beforeEach(() => {
  seen.length = 0;
});

describe("applying one action to many conversations", () => {
  it("closes three in one group commit, with each one's status event and live updates", async () => {
    const ids = [kit.conversation(), kit.conversation({ status: "pending", waitingSince: null }), kit.conversation()];
    const commits = kit.db.stats().commits;
    const outcome = await apply({ action: "close", conversations: refs(...ids) });
    expect(kit.db.stats().commits - commits).toBe(1);
    expect(outcome).toEqual({ action: "close", applied: ids.map((id) => ({ id, title: expect.stringMatching(/^Visitor /) })), skipped: [] });
    for (const id of ids) {
      expect(row(id)).toMatchObject({ status: "closed", version: 2 });
      expect(eventTypes(id)).toEqual(["status_changed"]);
      expect(seen.filter((e) => e.conversationId === id).map((e) => e.kind)).toEqual(["status", "conversation"]);
    }
  });

  it("skips, with their reasons, a moved version, a bot conversation, another inbox, an unknown id and one already closed; applies the rest", async () => {
    const fine = kit.conversation();
    const moved = kit.conversation();
    const bot = kit.conversation({ status: "bot" });
    const sales = kit.conversation({ inboxId: "inbox_sales" });
    const closed = kit.conversation({ status: "closed" });
    // The version moved under the agent: Bo took it after Alex loaded the list.
    await kit.run(Effect.flatMap(Inbox, (inbox) => inbox.assign(moved, { userId: people.bo.id }, 1, people.bo)));
    const before = [moved, bot, sales, closed].map(row);
    const outcome = await apply({
      action: "close",
      conversations: [
        { id: fine, version: 1 },
        { id: moved, version: 1 },
        { id: bot, version: 1 },
        { id: sales, version: 1 },
        { id: "conv_nope", version: 1 },
        { id: closed, version: 1 },
      ],
    });
    expect(outcome.applied.map((a) => a.id)).toEqual([fine]);
    expect(outcome.skipped.map(({ id, reason, message, title }) => ({ id, reason, message, titled: title !== null }))).toEqual([
      { id: moved, reason: "changed", message: "changed by someone else", titled: true },
      { id: bot, reason: "bot", message: "with a bot", titled: true },
      { id: sales, reason: "forbidden", message: "not in your inboxes", titled: false },
      { id: "conv_nope", reason: "not_found", message: "no longer exists", titled: false },
      { id: closed, reason: "not_applicable", message: "already closed", titled: true },
    ]);
    expect(row(fine).status).toBe("closed");
    expect([moved, bot, sales, closed].map(row)).toEqual(before);
  });

  it("a version conflict: a conversation changed by someone else since the agent saw it is left alone, the rest applied", async () => {
    const a = kit.conversation();
    const b = kit.conversation();
    const seenVersions = refs(a, b);
    // Bo assigns b to himself after Alex loaded the list.
    await kit.run(Effect.flatMap(Inbox, (inbox) => inbox.assign(b, { userId: people.bo.id }, 1, people.bo)));
    const outcome = await apply({ action: "mark-pending", conversations: seenVersions });
    expect(outcome.applied.map((x) => x.id)).toEqual([a]);
    expect(outcome.skipped).toEqual([{ id: b, title: expect.any(String), reason: "changed", message: "changed by someone else" }]);
    expect(row(a)).toMatchObject({ status: "pending", version: 2 });
    expect(row(b)).toMatchObject({ status: "open", version: 2, assignee_id: people.bo.id });
    expect(eventTypes(b)).toEqual(["assigned"]);
  });

  it("reopens closed ones and skips an open one (not closed)", async () => {
    const closed = [kit.conversation({ status: "closed" }), kit.conversation({ status: "closed" })];
    const open = kit.conversation();
    const outcome = await apply({ action: "reopen", conversations: refs(...closed, open) });
    expect(outcome.applied.map((x) => x.id)).toEqual(closed);
    expect(outcome.skipped).toEqual([{ id: open, title: expect.any(String), reason: "not_applicable", message: "open, not closed" }]);
    for (const id of closed) expect(row(id)).toMatchObject({ status: "open", version: 2 });
  });

  it("assigns to a person, to a team, and unassigns; an `assigned` event and a live update for each; skips one already so and one outside the person's inboxes", async () => {
    const ids = [kit.conversation(), kit.conversation()];
    const already = kit.conversation({ assigneeId: people.bo.id });
    const toBo = await apply({ action: "assign", userId: people.bo.id, conversations: refs(...ids, already) });
    expect(toBo.applied.map((x) => x.id)).toEqual(ids);
    expect(toBo.skipped).toEqual([{ id: already, title: expect.any(String), reason: "not_applicable", message: "already with Bo Berg" }]);
    for (const id of ids) {
      expect(row(id)).toMatchObject({ assignee_id: people.bo.id, version: 2 });
      expect(eventTypes(id)).toEqual(["assigned"]);
      expect(seen.filter((e) => e.conversationId === id).map((e) => e.kind)).toEqual(["assignment"]);
    }

    const toTeam = await apply({ action: "assign", teamId: "team_support", conversations: refs(...ids) });
    expect(toTeam.applied).toHaveLength(2);
    for (const id of ids) expect(row(id)).toMatchObject({ assignee_id: people.bo.id, team_id: "team_support", version: 3 });

    const nobody = await apply({ action: "assign", userId: null, conversations: refs(...ids, kit.conversation()) });
    expect(nobody.applied).toHaveLength(2);
    expect(nobody.skipped.map((s) => s.message)).toEqual(["already unassigned"]);
    for (const id of ids) expect(row(id).assignee_id).toBeNull();

    // The admin may work everywhere, but Sam does not work in Support.
    const sales = kit.conversation({ inboxId: "inbox_sales" });
    const support = kit.conversation();
    const toSam = await apply({ action: "assign", userId: people.sam.id, conversations: refs(sales, support) }, people.admin);
    expect(toSam.applied.map((x) => x.id)).toEqual([sales]);
    expect(toSam.skipped).toEqual([{ id: support, title: expect.any(String), reason: "not_allowed", message: "the person chosen does not work in Support" }]);
    expect(row(support).assignee_id).toBeNull();
  });

  it("snoozes open and pending ones until a time; skips a closed one", async () => {
    const ids = [kit.conversation(), kit.conversation({ status: "pending", waitingSince: null })];
    const closed = kit.conversation({ status: "closed" });
    const until = Date.now() + 2 * HOUR;
    const outcome = await apply({ action: "snooze", until, timeZone: "Europe/Berlin", conversations: refs(...ids, closed) });
    expect(outcome.applied.map((x) => x.id)).toEqual(ids);
    expect(outcome.skipped).toEqual([{ id: closed, title: expect.any(String), reason: "not_applicable", message: "closed" }]);
    for (const id of ids) {
      expect(row(id)).toMatchObject({ snoozed_until: until, version: 2 });
      expect(eventTypes(id)).toEqual(["conversation_snoozed"]);
    }
  });

  it("marks open ones pending and skips pending ones (already pending)", async () => {
    const open = kit.conversation();
    const pending = kit.conversation({ status: "pending", waitingSince: null });
    const outcome = await apply({ action: "mark-pending", conversations: refs(open, pending, open) });
    // The same id twice is one conversation.
    expect(outcome.applied.map((x) => x.id)).toEqual([open]);
    expect(outcome.skipped.map((s) => s.message)).toEqual(["already pending"]);
    expect(row(open)).toMatchObject({ status: "pending", version: 2 });
  });
});

describe("bad input", () => {
  it("is refused at its path with its message, and changes nothing", async () => {
    const id = kit.conversation();
    const events = allEvents();
    const many = Array.from({ length: BULK_MAX + 1 }, (_, i) => ({ id: `conv_${i}`, version: 1 }));
    const cases: Array<[unknown, string, string]> = [
      [{ action: "close", conversations: [] }, "conversations", "select at least one conversation"],
      [{ action: "close", conversations: many }, "conversations", `at most ${BULK_MAX} conversations at once`],
      [{ action: "delete", conversations: [{ id, version: 1 }] }, "action", "choose an action: assign, close, reopen, mark-pending, snooze"],
      [{ action: "close", conversations: [{ id, version: 0 }] }, "conversations[0].version", "the conversation's version is a whole number from 1"],
      [{ action: "assign", userId: "usr_nobody", conversations: [{ id, version: 1 }] }, "userId", "no such user"],
      [{ action: "assign", userId: people.ana.id, conversations: [{ id, version: 1 }] }, "userId", "this user does not work in inboxes"],
      [{ action: "assign", teamId: "team_nope", conversations: [{ id, version: 1 }] }, "teamId", "no such team"],
      [{ action: "assign", conversations: [{ id, version: 1 }] }, "userId", "pick a person, a team, or nobody"],
      [{ action: "snooze", until: Date.now() - 60_000, conversations: [{ id, version: 1 }] }, "until", "the snooze must end in the future"],
      [{ action: "snooze", conversations: [{ id, version: 1 }] }, "until", "pick a time to snooze until"],
      [{ action: "snooze", until: Date.now() + HOUR, timeZone: "Mars/Olympus", conversations: [{ id, version: 1 }] }, "timeZone", "expected a time zone like Europe/Berlin"],
    ];
    for (const [input, path, message] of cases) {
      const error = (await kit.fail(bulk.apply(input, people.alex))) as InvalidInput;
      expect(error._tag, JSON.stringify(input).slice(0, 80)).toBe("InvalidInput");
      expect(error.issues).toEqual([{ path, message }]);
    }
    expect(row(id)).toMatchObject({ status: "open", version: 1, assignee_id: null, snoozed_until: null });
    expect(allEvents()).toBe(events);
    expect(seen).toEqual([]);
  });

  it("refuses a role that does not work in inboxes", async () => {
    const id = kit.conversation();
    const error = await kit.fail(bulk.apply({ action: "close", conversations: [{ id, version: 1 }] }, people.ana));
    expect((error as { _tag: string })._tag).toBe("Forbidden");
    expect(row(id).status).toBe("open");
  });
});
