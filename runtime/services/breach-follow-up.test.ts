/**
 * Following up missed response targets on a real SQLite file with the real Reports, InboxBulk,
 * Inbox, Labels and Snoozes: the selected answers' conversations assigned, labelled and commented
 * (each comment with its own figures, judged again, an @mention notifying), the closed, deleted
 * and out-of-reach ones skipped and counted, a re-post storing each comment once, and bad input
 * refused at its path with nothing changed.
 *
 * The answers that missed are the `report_replies` rows an agent's late reply leaves (the roll-up
 * the breaches list reads), written here for conversations the kit writes.
 */
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeBreachFollowUp, type BreachFollowUpShape } from "./breach-follow-up.js";
import type { InvalidInput } from "./errors.js";
import { makeInboxBulk } from "./inbox-bulk.js";
import { conversationState, openKit, people, type Kit } from "./inbox-test-kit.js";
import { Inbox } from "./inbox.js";
import { Labels } from "./labels.js";
import * as Reports from "./reports.js";
import { makeSnoozes } from "./snoozes.js";

let kit: Kit;
let followUp: BreachFollowUpShape;
const MIN = 60_000;
const now = Date.now();
let nextEvent = 1_000_000;

/** An answer that took `tookMin` minutes, as the roll-up records it; returns its event id. */
const answer = (conversationId: string, o: { kind: "first_response" | "next_reply"; tookMin: number; inboxId?: string; at?: number }): number => {
  const eventId = ++nextEvent;
  const ms = o.tookMin * MIN;
  kit.db.sqlite
    .prepare(
      `INSERT INTO report_replies (event_id, conversation_id, at, user_id, inbox_id, channel_id, team_id, wait_ms, is_first, first_response_ms)
       VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
    )
    .run(
      eventId,
      conversationId,
      o.at ?? now - 3_600_000,
      people.alex.id,
      o.inboxId ?? "inbox_support",
      o.inboxId === "inbox_sales" ? "chan_sales" : "chan_web",
      ms,
      o.kind === "first_response" ? 1 : 0,
      o.kind === "first_response" ? ms : null,
    );
  return eventId;
};

const apply = (input: unknown, actor: { id: string; role: string } = people.admin) => kit.run(followUp.apply(input, actor));
const failure = async (input: unknown, actor: { id: string; role: string } = people.admin) => kit.fail(followUp.apply(input, actor));
const comments = (id: string) =>
  (kit.db.sqlite.prepare("SELECT text, user_id FROM messages WHERE conversation_id = ? AND author = 'agent' AND is_internal = 1 ORDER BY id").all(id) as Array<{
    text: string;
    user_id: string;
  }>).map((m) => m.text);
const eventTypes = (id: string) =>
  (kit.db.sqlite.prepare("SELECT type FROM events WHERE conversation_id = ? ORDER BY id").all(id) as Array<{ type: string }>).map((e) => e.type);
const counts = () =>
  kit.db.sqlite.prepare("SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM messages) AS messages, (SELECT count(*) FROM conversation_labels) AS labels, (SELECT group_concat(id || ':' || version || ':' || COALESCE(assignee_id, '-')) FROM conversations) AS conversations").get();

beforeAll(async () => {
  kit = await openKit();
  const inbox = await kit.run(Inbox);
  const reports = await kit.run(Effect.provide(Reports.Reports, Reports.layer));
  const bulk = makeInboxBulk({ db: kit.db, inbox, snoozes: makeSnoozes(kit.db, kit.live) });
  followUp = makeBreachFollowUp({ db: kit.db, reports, bulk, inbox, labels: await kit.run(Labels) });
  const s = kit.db.sqlite;
  s.prepare("UPDATE inboxes SET response_targets = ? WHERE id IN ('inbox_support', 'inbox_sales')").run(
    JSON.stringify({ firstResponseMinutes: 10, nextReplyMinutes: 30, businessHours: false }),
  );
  s.prepare("INSERT INTO settings (key, value) VALUES ('timezone', 'UTC') ON CONFLICT(key) DO UPDATE SET value = excluded.value").run();
  s.exec("INSERT INTO labels (id, name, color, created_at) VALUES ('label_late', 'Late answer', 'orange', 0)");
});
afterAll(() => kit.dispose());

describe("following up the answers that missed their target", () => {
  it("assigns, labels and comments each conversation once, with its own figures; the @mention notifies", async () => {
    const one = kit.conversation();
    const two = kit.conversation({ status: "pending", waitingSince: null });
    const a1 = answer(one, { kind: "first_response", tookMin: 22 });
    const a2 = answer(two, { kind: "next_reply", tookMin: 95 });
    const a3 = answer(one, { kind: "next_reply", tookMin: 31, at: now - 1_800_000 });
    const outcome = await apply({ breaches: [a1, a2, a3], userId: people.bo.id, labelId: "label_late", comment: true, note: "@Bo Berg please call them back" });

    expect(outcome.skipped).toEqual([]);
    expect(outcome.followedUp.map(({ id, assigned, labelled, commentId }) => ({ id, assigned, labelled, commented: commentId !== null }))).toEqual([
      { id: one, assigned: true, labelled: true, commented: true },
      { id: two, assigned: true, labelled: true, commented: true },
    ]);
    for (const id of [one, two]) expect(conversationState(kit, id).assignee_id).toBe(people.bo.id);
    const day = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", day: "numeric", month: "short" }).format(now - 3_600_000);
    // One comment per conversation: both of one's answers in it, oldest first.
    expect(comments(one)).toEqual([
      `Missed the first-response target by 12 min on ${day} and the next-reply target by 1 min on ${new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", day: "numeric", month: "short" }).format(now - 1_800_000)} — @Bo Berg please call them back`,
    ]);
    expect(comments(two)).toEqual([`Missed the next-reply target by 1 h 5 min on ${day} — @Bo Berg please call them back`]);
    // The single actions' own events: assignment, label, comment, mention — nothing of its own.
    expect(eventTypes(one)).toEqual(["assigned", "label_added", "message_created", "mentioned"]);
  });

  it("skips, and counts by reason, a closed conversation, a deleted one, one outside the agent's inboxes and one with a bot; follows up the rest", async () => {
    const open = kit.conversation();
    const closed = kit.conversation({ status: "closed" });
    const gone = kit.conversation();
    const sales = kit.conversation({ inboxId: "inbox_sales" });
    const bot = kit.conversation({ status: "bot" });
    const ids = [open, closed, gone, sales, bot].map((id) =>
      answer(id, { kind: "first_response", tookMin: 15, ...(id === sales ? { inboxId: "inbox_sales" } : {}) }),
    );
    kit.db.sqlite.prepare("DELETE FROM conversations WHERE id = ?").run(gone);
    const before = [closed, sales, bot].map((id) => [conversationState(kit, id), eventTypes(id)]);
    // Alex works in Support only.
    const outcome = await apply({ breaches: ids, teamId: "team_support", comment: true }, people.alex);
    expect(outcome.followedUp.map((f) => [f.id, f.assigned])).toEqual([[open, true]]);
    expect(outcome.skipped.map(({ id, reason, message }) => ({ id, reason, message }))).toEqual([
      { id: closed, reason: "closed", message: "closed" },
      { id: gone, reason: "not_found", message: "no longer exists" },
      { id: sales, reason: "forbidden", message: "not in your inboxes" },
      { id: bot, reason: "bot", message: "with a bot" },
    ]);
    expect([closed, sales, bot].map((id) => [conversationState(kit, id), eventTypes(id)])).toEqual(before);
    expect(conversationState(kit, open).team_id).toBe("team_support");
    expect(comments(open)).toEqual([expect.stringMatching(/^Missed the first-response target by 5 min on .+ — please follow up$/)]);
  });

  it("a re-post of the same form stores each comment once; a conversation already with the person is still commented", async () => {
    const c = kit.conversation({ assigneeId: people.bo.id });
    const id = answer(c, { kind: "first_response", tookMin: 40 });
    const input = { breaches: [id], userId: people.bo.id, comment: true, requestId: "req_repost_1" };
    const first = await apply(input);
    expect(first.followedUp).toEqual([{ id: c, title: expect.any(String), assigned: false, labelled: false, commentId: expect.any(String) }]);
    const again = await apply(input);
    expect(again.followedUp[0]!.commentId).toBe(first.followedUp[0]!.commentId);
    expect(comments(c)).toHaveLength(1);
    // No assignment was written: the comment is all that happened.
    expect(eventTypes(c)).toEqual(["message_created"]);
  });
});

describe("bad input changes nothing", () => {
  const issues = async (input: unknown) => {
    const error = (await failure(input)) as InvalidInput;
    expect(error._tag).toBe("InvalidInput");
    return error.issues.map(({ path, message }) => [path, message]);
  };

  it("refuses an unknown person, an unknown label, no answers, nothing to do and a note without the comment, at their paths", async () => {
    const c = kit.conversation();
    const id = answer(c, { kind: "first_response", tookMin: 20 });
    const before = counts();
    expect(await issues({ breaches: [id], userId: "usr_nobody", comment: true })).toEqual([["userId", "no such user"]]);
    expect(await issues({ breaches: [id], userId: people.ana.id })).toEqual([["userId", "this user does not work in inboxes"]]);
    expect(await issues({ breaches: [id], teamId: "team_nope" })).toEqual([["teamId", "no such team"]]);
    expect(await issues({ breaches: [id], labelId: "label_nope", comment: true })).toEqual([["labelId", "no such label"]]);
    expect(await issues({ breaches: [], comment: true })).toEqual([["breaches", "select at least one answer"]]);
    expect(await issues({ breaches: [id] })).toEqual([["action", "choose what to do: assign, add a label or leave a comment"]]);
    expect(await issues({ breaches: [id], labelId: "label_late", note: "call back" })).toEqual([["comment", "tick “Leave an internal comment” to post your note"]]);
    expect(await issues({ breaches: [id, 1.5], comment: true })).toEqual([["breaches[1]", "an answer of the list (a whole number)"]]);
    expect(await issues({ breaches: Array.from({ length: 101 }, () => id), comment: true })).toEqual([["breaches", "at most 100 answers at once"]]);
    expect(counts()).toEqual(before);
  });

  it("refuses an answer that is not a breach (met its target, or no answer at all) at its place", async () => {
    const c = kit.conversation();
    const late = answer(c, { kind: "first_response", tookMin: 20 });
    const met = answer(c, { kind: "next_reply", tookMin: 3 });
    const before = counts();
    expect(await issues({ breaches: [late, met, 424242], userId: people.bo.id })).toEqual([
      ["breaches[1]", "not an answer that missed its target now: reload the list"],
      ["breaches[2]", "not an answer that missed its target now: reload the list"],
    ]);
    expect(counts()).toEqual(before);
  });

  it("lists every problem at once", async () => {
    expect(await issues({ breaches: [424243], userId: "usr_nobody", labelId: "label_nope" })).toEqual([
      ["userId", "no such user"],
      ["labelId", "no such label"],
      ["breaches[0]", "not an answer that missed its target now: reload the list"],
    ]);
  });

  it("is Forbidden for a role that does not work in inboxes", async () => {
    const c = kit.conversation();
    const id = answer(c, { kind: "first_response", tookMin: 20 });
    expect((await failure({ breaches: [id], comment: true }, people.ana))._tag).toBe("Forbidden");
    expect(comments(c)).toEqual([]);
  });
});

describe("following up every answer in the list", () => {
  const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);
  /** The list's query for the one (UTC) day of `at`: the page's own parser, with a page's cursor-less size. */
  const listOf = (at: number, extra: Record<string, string> = {}) =>
    kit.run(Effect.flatMap(Reports.Reports, (r) => r.parseBreachQuery({ range: "custom", from: dayOf(at), to: dayOf(at), ...extra })).pipe(Effect.provide(Reports.layer)));
  const applyToList = (query: Reports.BreachQuery, input: unknown) => kit.run(followUp.applyToList(query, input, people.admin));
  const listFailure = async (query: Reports.BreachQuery, input: unknown) => (await kit.fail(followUp.applyToList(query, input, people.admin))) as InvalidInput;

  it("follows up every answer the filters give, past one page and past the bulk limit, never the answers the client names", async () => {
    const day = now - 20 * 24 * 3_600_000;
    const conversations = Array.from({ length: 120 }, () => kit.conversation());
    for (const c of conversations) answer(c, { kind: "first_response", tookMin: 25, at: day });
    const closed = kit.conversation({ status: "closed" });
    answer(closed, { kind: "first_response", tookMin: 25, at: day });
    // Another day's answer, sent by the client as if selected: not in the list, so not followed up.
    const elsewhere = kit.conversation();
    const stray = answer(elsewhere, { kind: "first_response", tookMin: 25, at: day - 3 * 24 * 3_600_000 });
    // The page's size and order ride along; the whole list is taken.
    const query = await listOf(day, { limit: "10" });
    const outcome = await applyToList(query, { breaches: [stray], userId: people.bo.id, labelId: "label_late" });
    expect(outcome.followedUp).toHaveLength(120);
    expect(new Set(outcome.followedUp.map((f) => f.id))).toEqual(new Set(conversations));
    expect(outcome.followedUp.every((f) => f.assigned && f.labelled)).toBe(true);
    expect(outcome.skipped.map(({ id, reason }) => [id, reason])).toEqual([[closed, "closed"]]);
    for (const c of conversations) expect(conversationState(kit, c).assignee_id).toBe(people.bo.id);
    expect(eventTypes(elsewhere)).toEqual([]);
  });

  it("refuses a list past the cap, an empty one and nothing to do at their paths, changing nothing", async () => {
    const day = now - 30 * 24 * 3_600_000;
    for (let i = 0; i < 501; i++) answer(kit.conversation(), { kind: "next_reply", tookMin: 45, at: day });
    const before = counts();
    expect((await listFailure(await listOf(day), { comment: true })).issues).toEqual([
      { path: "all", message: "this list holds 501 answers; at most 500 at once: narrow the filters (a shorter range, an inbox, an agent)" },
    ]);
    const empty = await listOf(now - 40 * 24 * 3_600_000);
    expect((await listFailure(empty, { comment: true })).issues).toEqual([{ path: "all", message: "this list holds no answers now: reload it" }]);
    expect((await listFailure(empty, {})).issues.map((i) => i.path)).toEqual(["action", "all"]);
    expect(counts()).toEqual(before);
    // An analyst does not work in inboxes.
    expect((await kit.fail(followUp.applyToList(empty, { comment: true }, people.ana)))._tag).toBe("Forbidden");
  });
});
