/**
 * The inbox's Overdue and Due soon views and the escalation pass, on a real SQLite file with the
 * real Inbox: the views list exactly the waits past (or near) their inbox's response target, most
 * overdue first, within the actor's inboxes and the workspace's business hours, page by page
 * without gaps or repeats; bad views and cursors are refused at their path. The pass records each
 * overdue wait once (an event and a live notice), again for a new wait, never without a target,
 * for a bot conversation, or after a reply.
 */
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUSINESS_HOURS_SETTING, TIMEZONE_SETTING } from "./business-hours.js";
import { Inbox } from "./inbox.js";
import { openKit, people, type Kit } from "./inbox-test-kit.js";
import type { Actor } from "./inbox-access.js";
import type { LiveEvent } from "./live-events.js";
import { DUE_SCAN_LIMIT, scanDue } from "./response-due-scan.js";
import { makeResponseOverdue } from "./response-overdue.js";

let kit: Kit;
const MIN = 60_000;
const H = 60 * MIN;
const now = Date.now();
const ids: Record<string, string> = {};

const setTargets = (inboxId: string, targets: unknown) =>
  kit.db.sqlite.prepare("UPDATE inboxes SET response_targets = ? WHERE id = ?").run(targets === null ? null : JSON.stringify(targets), inboxId);
const setting = (key: string, value: string) =>
  kit.db.sqlite.prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value);
/** A conversation as the engine would have begun it: with its `conversation_created` event, so the report roll-ups know it. */
const waiting = (inboxId: string, waitingSince: number | null, extra: { status?: "open" | "pending" | "bot" | "closed"; assigneeId?: string } = {}) => {
  const id = kit.conversation({ inboxId, waitingSince, messages: [{ author: "visitor", text: "Hello?" }], ...extra });
  const channel = inboxId === "inbox_sales" ? "chan_sales" : inboxId === "inbox_other" ? "chan_other" : "chan_web";
  kit.db.sqlite
    .prepare("INSERT INTO events (type, at, conversation_id, inbox_id, channel_id, is_preview) VALUES ('conversation_created', ?, ?, ?, ?, 0)")
    .run(waitingSince ?? now, id, inboxId, channel);
  return id;
};
/** Answered by a person (the report's first reply), then waiting again since `since`. */
const answeredWaiting = async (since: number) => {
  const id = waiting("inbox_support", now - 10 * H);
  await kit.run(Effect.flatMap(Inbox, (i) => i.reply({ conversationId: id, text: "Hi", clientMessageId: `r-${id}` }, people.alex)));
  kit.db.sqlite.prepare("UPDATE conversations SET waiting_since = ? WHERE id = ?").run(since, id);
  return id;
};
const list = (filter: Record<string, unknown>, actor: Actor = people.admin) => kit.run(Effect.flatMap(Inbox, (i) => i.listConversations(filter, actor)));
const listed = async (view: string, actor: Actor = people.admin, extra: Record<string, unknown> = {}) =>
  (await list({ view, ...extra }, actor)).conversations.map((c) => c.id);
/** Every page of a view, `limit` at a time. */
const allPages = async (view: string, limit: number, actor: Actor = people.admin) => {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await list({ view, limit, ...(cursor ? { cursor } : {}) }, actor);
    pages.push(page.conversations.map((c) => c.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && pages.length < 20);
  return pages;
};

beforeAll(async () => {
  kit = await openKit();
  const s = kit.db.sqlite;
  s.prepare("INSERT INTO inboxes (id, name, created_at) VALUES ('inbox_other', 'Other', ?)").run(now);
  s.prepare("INSERT INTO channels (id, inbox_id, kind, name, created_at) VALUES ('chan_other', 'inbox_other', 'chat', 'Other chat', ?)").run(now);
  setTargets("inbox_support", { firstResponseMinutes: 60, nextReplyMinutes: 240, businessHours: false });
  setTargets("inbox_sales", { firstResponseMinutes: 30, nextReplyMinutes: null, businessHours: true });
  // Answered ones first: their replies come before the fold knows the rest.
  ids.answeredNotYet = await answeredWaiting(now - 3 * H); // next reply due in 1 h
  ids.answeredLate = await answeredWaiting(now - 5 * H); // next reply overdue 1 h
  ids.late2h = waiting("inbox_support", now - 3 * H, { assigneeId: people.alex.id }); // first response overdue 2 h
  ids.late30m = waiting("inbox_support", now - 90 * MIN); // overdue 30 min
  ids.soon = waiting("inbox_support", now - 55 * MIN); // due in 5 min: under a fifth of the hour left
  ids.fresh = waiting("inbox_support", now - 10 * MIN); // due in 50 min
  ids.sales = waiting("inbox_sales", now - 45 * MIN); // overdue 15 min (no business hours set: around the clock)
  ids.snoozed = waiting("inbox_support", now - 4 * H);
  s.prepare("UPDATE conversations SET snoozed_until = ? WHERE id = ?").run(now + H, ids.snoozed);
  ids.closed = waiting("inbox_support", null, { status: "closed" });
  ids.bot = waiting("inbox_support", null, { status: "bot" });
  ids.noTargets = waiting("inbox_other", now - 10 * H);
});
afterAll(() => kit.dispose());

describe("the Overdue and Due soon views", () => {
  it("list exactly the waits past their target, most overdue first, each with its due tag", async () => {
    const page = await list({ view: "overdue" });
    expect(page.conversations.map((c) => c.id)).toEqual([ids.late2h, ids.answeredLate, ids.late30m, ids.sales]);
    expect(page.conversations.map((c) => c.responseDue)).toEqual([
      { kind: "first_response", targetMs: H, dueAt: now - 2 * H },
      { kind: "next_reply", targetMs: 4 * H, dueAt: now - H },
      { kind: "first_response", targetMs: H, dueAt: now - 30 * MIN },
      { kind: "first_response", targetMs: 30 * MIN, dueAt: now - 15 * MIN },
    ]);
    expect(page.nextCursor).toBeNull();
    expect(page.dueScanCap).toBeNull();
    expect(await listed("due_soon")).toEqual([ids.soon]);
    expect(page.counts).toMatchObject({ overdue: 4, due_soon: 1 });
  });

  it("keep to the inboxes the actor may open, counts too, and to the list's filters", async () => {
    expect(await listed("overdue", people.alex)).toEqual([ids.late2h, ids.answeredLate, ids.late30m]);
    expect(await listed("overdue", people.sam)).toEqual([ids.sales]);
    expect((await list({ view: "mine" }, people.alex)).counts).toMatchObject({ overdue: 3, due_soon: 1 });
    expect((await list({ view: "all_open" }, people.sam)).counts).toMatchObject({ overdue: 1, due_soon: 0 });
    expect(await listed("overdue", people.admin, { inboxId: "inbox_sales" })).toEqual([ids.sales]);
    // Alex answered the next-reply one (which took it), and holds the first.
    expect(await listed("overdue", people.admin, { assigneeId: people.alex.id })).toEqual([ids.late2h, ids.answeredLate]);
    expect(await listed("overdue", people.admin, { assigneeId: "none" })).toEqual([ids.late30m, ids.sales]);
    // An agent who asks for another inbox is refused, as in every view.
    expect((await kit.fail(Effect.flatMap(Inbox, (i) => i.listConversations({ view: "overdue", inboxId: "inbox_sales" }, people.alex))))._tag).toBe(
      "Forbidden",
    );
  });

  it("count business hours where the targets say so", async () => {
    // One minute a week: the sales wait is nowhere near due in business time.
    setting(TIMEZONE_SETTING, "Europe/Berlin");
    setting(BUSINESS_HOURS_SETTING, JSON.stringify([{ day: "sun", from: "00:00", to: "00:01" }]));
    try {
      expect(await listed("overdue")).toEqual([ids.late2h, ids.answeredLate, ids.late30m]);
      expect(await listed("due_soon")).toEqual([ids.soon]);
    } finally {
      kit.db.sqlite.prepare("DELETE FROM settings WHERE key IN (?, ?)").run(TIMEZONE_SETTING, BUSINESS_HOURS_SETTING);
    }
  });

  it("page through the whole set without a short page, a gap or a repeat", async () => {
    expect(await allPages("overdue", 1)).toEqual([[ids.late2h], [ids.answeredLate], [ids.late30m], [ids.sales]]);
    expect(await allPages("overdue", 3)).toEqual([[ids.late2h, ids.answeredLate, ids.late30m], [ids.sales]]);
    expect(await allPages("overdue", 4)).toEqual([[ids.late2h, ids.answeredLate, ids.late30m, ids.sales]]);
  });

  it("refuse an unknown view and a cursor the list did not give out, at their paths", async () => {
    for (const [filter, path] of [
      [{ view: "late" }, "view"],
      [{ view: "overdue", cursor: "not-a-cursor" }, "cursor"],
      [{ view: "overdue", cursor: Buffer.from(JSON.stringify(["soon", "conv_1"])).toString("base64url") }, "cursor"],
      [{ view: "overdue", limit: "0" }, "limit"],
    ] as const) {
      const error = await kit.fail(Effect.flatMap(Inbox, (i) => i.listConversations(filter, people.admin)));
      expect(error).toMatchObject({ _tag: "InvalidInput", issues: [expect.objectContaining({ path })] });
    }
    const error = await kit.fail(Effect.flatMap(Inbox, (i) => i.listConversations({ view: "late" }, people.admin)));
    expect(JSON.stringify(error)).toContain("expected one of unassigned, mine, all_open, overdue, due_soon");
  });
});

describe("escalation when a wait falls overdue", () => {
  const recorded = () =>
    (
      kit.db.sqlite.prepare("SELECT conversation_id, data FROM events WHERE type = 'response_overdue' ORDER BY id").all() as Array<{
        conversation_id: string;
        data: string;
      }>
    ).map((e) => ({ id: e.conversation_id, ...(JSON.parse(e.data) as { kind: string; dueAt: number; waitingSince: number }) }));

  it("records each overdue wait once, tells the inbox's live feed, and never a conversation without a target", async () => {
    const heard: LiveEvent[] = [];
    const stop = kit.live.subscribeAll((e) => heard.push(e));
    const pass = makeResponseOverdue(kit.db, kit.live);
    try {
      expect(await Effect.runPromise(pass.runDue())).toBe(4);
      expect(recorded()).toEqual([
        expect.objectContaining({ id: ids.late2h, kind: "first_response", dueAt: now - 2 * H, waitingSince: now - 3 * H }),
        expect.objectContaining({ id: ids.answeredLate, kind: "next_reply", dueAt: now - H }),
        expect.objectContaining({ id: ids.late30m, kind: "first_response" }),
        expect.objectContaining({ id: ids.sales, kind: "first_response" }),
      ]);
      expect(heard.map((e) => [e.conversationId, e.kind, e.internal, (e.data as { change: string }).change])).toEqual(
        [ids.late2h, ids.answeredLate, ids.late30m, ids.sales].map((id) => [id, "conversation", true, "overdue"]),
      );
      expect(heard[0]!.data).toMatchObject({ assigneeId: people.alex.id, kind: "first_response" });
      // The next pass, and a pass after a restart, find them recorded.
      expect(await Effect.runPromise(pass.runDue())).toBe(0);
      expect(await Effect.runPromise(makeResponseOverdue(kit.db, kit.live).runDue())).toBe(0);
      expect(recorded()).toHaveLength(4);
    } finally {
      stop();
    }
  });

  it("records a new wait of the same conversation again, and nothing for a wait answered in time", async () => {
    const pass = makeResponseOverdue(kit.db, kit.live);
    // Answered: nobody waits, nothing to record.
    await kit.run(Effect.flatMap(Inbox, (i) => i.reply({ conversationId: ids.late30m, text: "Here", clientMessageId: "late30m-1" }, people.alex)));
    const answered = waiting("inbox_support", now - 2 * H);
    await kit.run(Effect.flatMap(Inbox, (i) => i.reply({ conversationId: answered, text: "Sorry", clientMessageId: "answered-1" }, people.bo)));
    expect(await Effect.runPromise(pass.runDue())).toBe(0);
    expect(await listed("overdue")).not.toContain(ids.late30m);

    // The visitor writes again and this wait, too, outlasts its (next reply) target.
    kit.db.sqlite.prepare("UPDATE conversations SET waiting_since = ? WHERE id = ?").run(now - 5 * H, ids.late30m);
    expect(await Effect.runPromise(pass.runDue())).toBe(1);
    expect(recorded().filter((r) => r.id === ids.late30m).map((r) => r.kind)).toEqual(["first_response", "next_reply"]);
    expect(await Effect.runPromise(pass.runDue())).toBe(0);
    expect(recorded().map((r) => r.id)).not.toContain(answered);
    expect(recorded().map((r) => r.id)).not.toContain(ids.noTargets);
    expect(recorded().map((r) => r.id)).not.toContain(ids.bot);
  });

  it("leaves a snoozed wait alone until it wakes, and an inbox's waits once its targets are gone", async () => {
    const pass = makeResponseOverdue(kit.db, kit.live);
    kit.db.sqlite.prepare("UPDATE conversations SET snoozed_until = NULL WHERE id = ?").run(ids.snoozed);
    setTargets("inbox_sales", null);
    const salesLate = waiting("inbox_sales", now - 5 * H);
    expect(await Effect.runPromise(pass.runDue())).toBe(1);
    expect(recorded().at(-1)).toMatchObject({ id: ids.snoozed, kind: "first_response" });
    expect(recorded().map((r) => r.id)).not.toContain(salesLate);
  });
});

describe("the scan's bound", () => {
  it("stops at DUE_SCAN_LIMIT waits and says so, on the page and in the counts", async () => {
    const s = kit.db.sqlite;
    s.transaction(() => {
      for (let i = 0; i < DUE_SCAN_LIMIT; i++) kit.conversation({ inboxId: "inbox_support", waitingSince: now - 20 * H - i * MIN });
    })();
    const page = await list({ view: "overdue", limit: 10 });
    expect(page.dueScanCap).toBe(DUE_SCAN_LIMIT);
    expect(page.counts.overdue).toBe(DUE_SCAN_LIMIT);
    // The longest past due come first: the scan reads in that order.
    expect(page.conversations[0]!.waitingSince).toBe(now - 20 * H - (DUE_SCAN_LIMIT - 1) * MIN);
    const direct = scanDue(kit.db.prepare, { where: "1", args: {}, now, soon: false, hours: () => ({ hours: { timezone: "UTC", hours: [] }, team: null }), limit: 5 });
    expect(direct).toMatchObject({ truncated: true });
    expect(direct.waits).toHaveLength(5);
  });
});
