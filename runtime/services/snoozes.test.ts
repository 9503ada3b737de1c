/**
 * Snoozes on a real SQLite file with the real Engine, Inbox and LiveEvents: snooze, unsnooze,
 * waking by time (and at start), waking by a visitor's message, an agent's reply that leaves
 * the snooze alone, closing that clears it, the working views it leaves, version conflicts and
 * bad inputs (nothing stored), the team report's waits around a snooze, and the timer that wakes
 * a snooze at its time (where it points; cleared at shutdown).
 */
import { Effect } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { teamTimeline, type EventRow } from "../core/metrics.js";
import { makeAppRuntime } from "./app-layer.js";
import { loadConfig } from "./config.js";
import { Database } from "./database.js";
import { Engine } from "./engine.js";
import type { Conflict, InvalidInput } from "./errors.js";
import { Inbox } from "./inbox.js";
import { openKit, people, type Kit } from "./inbox-test-kit.js";
import * as OutsideConversations from "./outside-conversations.js";
import type { LiveEvent } from "./live-events.js";
import { seed } from "./seed.js";
import { MAX_TIMER_MS, makeSnoozes, SNOOZE_MAX_AHEAD_MS, Snoozes, snoozeTimeText, wakeDelay, type SnoozesShape } from "./snoozes.js";

let kit: Kit;
let snoozes: SnoozesShape;
const seen: LiveEvent[] = [];

const HOUR = 3_600_000;
const row = (id: string) =>
  kit.db.sqlite.prepare("SELECT status, version, snoozed_until, snoozed_by, waiting_since FROM conversations WHERE id = ?").get(id) as {
    status: string;
    version: number;
    snoozed_until: number | null;
    snoozed_by: string | null;
    waiting_since: number | null;
  };
const lines = (id: string) =>
  (kit.db.sqlite.prepare("SELECT text FROM messages WHERE conversation_id = ? AND author = 'system' ORDER BY id").all(id) as Array<{ text: string }>).map(
    (m) => m.text,
  );
const eventTypes = (id: string) =>
  (kit.db.sqlite.prepare("SELECT type FROM events WHERE conversation_id = ? ORDER BY id").all(id) as Array<{ type: string }>).map((e) => e.type);
/** Moves a snooze's end into the past, as time passing would. */
const makeDue = (id: string) => kit.db.sqlite.prepare("UPDATE conversations SET snoozed_until = ? WHERE id = ?").run(Date.now() - 1000, id);
const list = (view: string, actor = people.alex) => kit.run(Effect.flatMap(Inbox, (i) => i.listConversations({ view }, actor)));
const idsOf = async (view: string, actor = people.alex) => (await list(view, actor)).conversations.map((c) => c.id);

beforeAll(async () => {
  kit = await openKit();
  snoozes = makeSnoozes(kit.db, kit.live);
  kit.live.subscribeAll((event) => seen.push(event));
});
afterAll(() => kit.dispose());
beforeEach(() => {
  seen.length = 0;
});

describe("snooze and unsnooze", () => {
  it("snoozes an open conversation: the time, who, a version, a thread line, an event and a live event (internal)", async () => {
    const id = kit.conversation({ assigneeId: people.alex.id });
    const soon = Date.now() + 2 * HOUR;
    const outcome = await kit.run(snoozes.snooze(id, { until: soon, timeZone: "Europe/Berlin" }, 1, people.alex));
    expect(outcome).toEqual({ until: soon, version: 2, changed: true });
    expect(row(id)).toMatchObject({ status: "open", version: 2, snoozed_until: soon, snoozed_by: people.alex.id });
    expect(lines(id)).toEqual([`Snoozed by Alex Agent until ${snoozeTimeText(soon, "Europe/Berlin")}`]);
    expect(eventTypes(id)).toEqual(["conversation_snoozed"]);
    expect(seen).toEqual([expect.objectContaining({ conversationId: id, kind: "conversation", internal: true, data: { change: "snooze", snoozedUntil: soon } })]);
    // The line names the zone's wall clock.
    expect(snoozeTimeText(Date.UTC(2026, 10, 27, 8, 0), "Europe/Berlin")).toBe("Fri 27 Nov, 09:00 CET");
  });

  it("a double click is no conflict; a stale version is, and changes nothing", async () => {
    const id = kit.conversation();
    const until = Date.now() + HOUR;
    await kit.run(snoozes.snooze(id, { until, timeZone: "UTC" }, 1, people.alex));
    expect(await kit.run(snoozes.snooze(id, { until, timeZone: "UTC" }, 1, people.alex))).toEqual({ until, version: 2, changed: false });
    const stale = (await kit.fail(snoozes.snooze(id, { until: until + HOUR, timeZone: "UTC" }, 1, people.bo))) as Conflict;
    expect(stale._tag).toBe("Conflict");
    expect(stale.message).toMatch(/Someone else changed this conversation first/);
    expect(row(id)).toMatchObject({ version: 2, snoozed_until: until });
    expect(lines(id)).toHaveLength(1);
    // Snoozing again, at the current version, moves the time.
    await kit.run(snoozes.snooze(id, { until: until + HOUR, timeZone: "UTC" }, 2, people.bo));
    expect(row(id)).toMatchObject({ version: 3, snoozed_until: until + HOUR, snoozed_by: people.bo.id });
  });

  it("unsnoozes at the version seen; the status stays; a second unsnooze is no conflict", async () => {
    const id = kit.conversation({ status: "pending", waitingSince: null });
    await kit.run(snoozes.snooze(id, { until: Date.now() + HOUR, timeZone: "UTC" }, 1, people.alex));
    expect((await kit.fail(snoozes.unsnooze(id, 1, people.alex)))._tag).toBe("Conflict");
    expect(row(id).snoozed_until).not.toBeNull();
    expect(await kit.run(snoozes.unsnooze(id, 2, people.bo))).toEqual({ until: null, version: 3, changed: true });
    expect(row(id)).toMatchObject({ status: "pending", snoozed_until: null });
    expect(lines(id)).toEqual([expect.stringMatching(/^Snoozed by Alex Agent until /), "Unsnoozed by Bo Berg"]);
    expect(eventTypes(id)).toEqual(["conversation_snoozed", "conversation_unsnoozed"]);
    expect(await kit.run(snoozes.unsnooze(id, 2, people.bo))).toEqual({ until: null, version: 3, changed: false });
  });

  it("refuses bad inputs with their field and message, and stores nothing", async () => {
    const id = kit.conversation();
    const now = Date.now();
    const cases: Array<[Effect.Effect<unknown, unknown>, string, string]> = [
      [snoozes.snooze(id, { until: now - 60_000, timeZone: "UTC" }, 1, people.alex), "until", "the snooze must end in the future"],
      [snoozes.snooze(id, { until: now + SNOOZE_MAX_AHEAD_MS + 60_000, timeZone: "UTC" }, 1, people.alex), "until", "a snooze ends at most a year from now"],
      [snoozes.snooze(id, { until: Number.NaN, timeZone: "UTC" }, 1, people.alex), "until", "the snooze's end is a time (epoch milliseconds)"],
      [snoozes.snooze(id, { until: now + HOUR, timeZone: "Mars/Olympus" }, 1, people.alex), "timeZone", "expected a time zone like Europe/Berlin"],
      [snoozes.snooze(id, { until: now + HOUR, timeZone: "UTC" }, 0, people.alex), "version", "the conversation's version is a whole number from 1"],
      [snoozes.unsnooze(id, 1.5, people.alex), "version", "the conversation's version is a whole number from 1"],
    ];
    for (const [effect, path, message] of cases) {
      const error = (await kit.fail(effect as Effect.Effect<unknown, unknown, never>)) as InvalidInput;
      expect(error._tag).toBe("InvalidInput");
      expect(error.issues).toEqual([{ path, message }]);
    }
    expect(row(id)).toMatchObject({ version: 1, snoozed_until: null });
    expect(lines(id)).toEqual([]);
    expect(eventTypes(id)).toEqual([]);
  });

  it("refuses closed and bot conversations (409), unknown ids (404) and other inboxes (403)", async () => {
    const closed = kit.conversation({ status: "closed" });
    const bot = kit.conversation({ status: "bot" });
    const sales = kit.conversation({ inboxId: "inbox_sales" });
    const until = Date.now() + HOUR;
    const closedError = (await kit.fail(snoozes.snooze(closed, { until, timeZone: "UTC" }, 1, people.alex))) as Conflict;
    expect(closedError.message).toBe("This conversation is closed; only an open or pending conversation can be snoozed.");
    const botError = (await kit.fail(snoozes.snooze(bot, { until, timeZone: "UTC" }, 1, people.alex))) as Conflict;
    expect(botError.message).toBe("This conversation is with a bot; only an open or pending conversation can be snoozed.");
    expect((await kit.fail(snoozes.snooze("conv_nope", { until, timeZone: "UTC" }, 1, people.alex)))._tag).toBe("NotFound");
    expect((await kit.fail(snoozes.snooze(sales, { until, timeZone: "UTC" }, 1, people.alex)))._tag).toBe("Forbidden");
    for (const id of [closed, bot, sales]) expect(row(id).snoozed_until).toBeNull();
  });
});

describe("waking", () => {
  it("wakes by time: the snooze ends, a pending conversation opens, a line, events, live events", async () => {
    const pending = kit.conversation({ status: "pending", waitingSince: null, assigneeId: people.bo.id });
    const open = kit.conversation();
    const later = kit.conversation();
    for (const id of [pending, open, later]) await kit.run(snoozes.snooze(id, { until: Date.now() + HOUR, timeZone: "UTC" }, 1, people.alex));
    makeDue(pending);
    makeDue(open);
    seen.length = 0;
    expect(await Effect.runPromise(snoozes.runDue())).toBe(2);
    expect(row(pending)).toMatchObject({ status: "open", snoozed_until: null, version: 3 });
    expect(row(open)).toMatchObject({ status: "open", snoozed_until: null, version: 3 });
    expect(row(later).snoozed_until).not.toBeNull();
    expect(lines(pending).at(-1)).toBe("Snooze ended");
    expect(eventTypes(pending)).toEqual(["conversation_snoozed", "snooze_ended", "status_changed"]);
    expect(eventTypes(open)).toEqual(["conversation_snoozed", "snooze_ended"]);
    const wake = seen.find((e) => e.conversationId === pending && e.kind === "conversation");
    expect(wake).toMatchObject({ internal: true, data: { change: "snooze", ended: "time", assigneeId: people.bo.id, snoozedBy: people.alex.id, from: "pending", status: "open" } });
    expect(seen.find((e) => e.conversationId === pending && e.kind === "status")?.data).toEqual({ status: "open", from: "pending", by: "snooze" });
    // Nothing is due any more: a pass does nothing.
    expect(await Effect.runPromise(snoozes.runDue())).toBe(0);
  });

  it("wakes overdue snoozes at once when the loop starts", async () => {
    const id = kit.conversation();
    await kit.run(snoozes.snooze(id, { until: Date.now() + HOUR, timeZone: "UTC" }, 1, people.alex));
    makeDue(id);
    const stop = snoozes.start(60_000);
    try {
      await expect.poll(() => row(id).snoozed_until, { timeout: 2000 }).toBeNull();
    } finally {
      stop();
    }
  });

  it("arms its timer for the earliest snooze: moved by a snooze or unsnooze, and by each pass", async () => {
    // This test owns the file's snoozes: the ones earlier tests left would be earliest.
    kit.db.sqlite.prepare("UPDATE conversations SET snoozed_until = NULL").run();
    const own = makeSnoozes(kit.db, kit.live);
    expect(own.nextWakeAt()).toBeNull();
    const [a, b] = [kit.conversation(), kit.conversation()];
    const aUntil = Date.now() + 2 * HOUR;
    // Not started: nothing armed (tests and tools call runDue themselves).
    await kit.run(own.snooze(a, { until: aUntil, timeZone: "UTC" }, 1, people.alex));
    expect(own.nextWakeAt()).toBeNull();
    // A backstop of an hour: whatever wakes below in this test, the timer woke.
    const stop = own.start(HOUR);
    try {
      expect(own.nextWakeAt()).toBe(aUntil);
      const bUntil = Date.now() + HOUR;
      await kit.run(own.snooze(b, { until: bUntil, timeZone: "UTC" }, 1, people.alex));
      expect(own.nextWakeAt()).toBe(bUntil);
      await kit.run(own.unsnooze(b, 2, people.alex));
      expect(own.nextWakeAt()).toBe(aUntil);
      // A snooze ending in a moment wakes at its time, and the timer moves on to the next one.
      const c = kit.conversation({ status: "pending", waitingSince: null });
      const cUntil = Date.now() + 300;
      await kit.run(own.snooze(c, { until: cUntil, timeZone: "UTC" }, 1, people.alex));
      expect(own.nextWakeAt()).toBe(cUntil);
      await expect.poll(() => row(c).snoozed_until, { timeout: 5000 }).toBeNull();
      expect(row(c).status).toBe("open");
      await expect.poll(() => own.nextWakeAt(), { timeout: 5000 }).toBe(aUntil);
      // A snooze a year ahead is armed too (setTimeout's limit is about 24.8 days: the delay is capped, see wakeDelay).
      const yearUntil = Date.now() + SNOOZE_MAX_AHEAD_MS - 60_000;
      kit.db.sqlite.prepare("UPDATE conversations SET snoozed_until = NULL WHERE id = ?").run(a);
      await kit.run(own.snooze(b, { until: yearUntil, timeZone: "UTC" }, 3, people.alex));
      expect(own.nextWakeAt()).toBe(yearUntil);
      expect(row(b).snoozed_until).toBe(yearUntil);
    } finally {
      stop();
    }
    expect(own.nextWakeAt()).toBeNull();
  });

  it("waits no longer than the snooze and no longer than setTimeout allows", () => {
    const now = Date.UTC(2026, 10, 26, 12, 0);
    expect(wakeDelay(now + 1500, now)).toBe(1500);
    expect(wakeDelay(now - 1500, now)).toBe(0);
    expect(wakeDelay(now + SNOOZE_MAX_AHEAD_MS, now)).toBe(MAX_TIMER_MS);
    expect(MAX_TIMER_MS).toBe(2_147_483_647);
  });

  it("clears its timer when the app's runtime is disposed (shutdown), before the database closes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "parley-snooze-shutdown-"));
    try {
      const runtime = makeAppRuntime(loadConfig({ DATABASE_PATH: join(dir, "parley.sqlite"), SESSION_SECRET: "x".repeat(64), ADMIN_PASSWORD: "admin-password-1", PORT: "0" }));
      const service = await runtime.runPromise(Snoozes);
      const sqlite = (await runtime.runPromise(Database)).sqlite;
      await runtime.runPromise(seed({ print: () => undefined }));
      sqlite.prepare("UPDATE conversations SET snoozed_until = ? WHERE id = (SELECT id FROM conversations WHERE status = 'open' LIMIT 1)").run(Date.now() + HOUR);
      service.start(HOUR);
      expect(service.nextWakeAt()).not.toBeNull();
      await runtime.dispose();
      expect(service.nextWakeAt()).toBeNull();
      expect(sqlite.open).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("wakes when the visitor writes (a pending one opens and waits); an agent's reply leaves the snooze alone", async () => {
    const visitorId = kit.visitor();
    const id = kit.conversation({ status: "pending", waitingSince: null, visitorId, assigneeId: people.alex.id });
    await kit.run(snoozes.snooze(id, { until: Date.now() + HOUR, timeZone: "UTC" }, 1, people.alex));
    await kit.run(Effect.flatMap(Inbox, (i) => i.reply({ conversationId: id, text: "I'll check tomorrow", clientMessageId: "r1" }, people.alex)));
    expect(row(id).snoozed_until).not.toBeNull();
    seen.length = 0;
    const answer = await kit.run(Effect.flatMap(Engine, (e) => e.handleVisitorMessage({ conversationId: id, visitorId, clientMessageId: "v1", text: "Any news?" })));
    expect(answer.status).toBe("open");
    expect(row(id)).toMatchObject({ status: "open", snoozed_until: null });
    expect(row(id).waiting_since).not.toBeNull();
    expect(lines(id).at(-1)).toBe("Snooze ended: the visitor wrote");
    expect(eventTypes(id).slice(-3)).toEqual(["message_created", "status_changed", "snooze_ended"]);
    expect(seen.find((e) => e.kind === "conversation" && (e.data as { change?: string }).change === "snooze")?.data).toMatchObject({ ended: "visitor" });
    // The visitor's API never lists the line.
    const view = await kit.run(Effect.flatMap(Engine, (e) => e.getConversation({ conversationId: id, visitorId })));
    expect(view.conversation.status).toBe("open");
    expect(view.messages.map((m) => m.author)).not.toContain("system");
  });

  it("wakes when the visitor answers by email (or Messenger): the outside channels' write ends it too", async () => {
    const id = kit.conversation({ status: "pending", waitingSince: null });
    await kit.run(snoozes.snooze(id, { until: Date.now() + HOUR, timeZone: "UTC" }, 1, people.alex));
    seen.length = 0;
    const append = Effect.flatMap(OutsideConversations.OutsideConversations, (o) => o.append({ conversationId: id, text: "Here is the screenshot" }));
    await kit.run(append.pipe(Effect.provide(OutsideConversations.layer)));
    expect(row(id)).toMatchObject({ status: "open", snoozed_until: null });
    expect(lines(id).at(-1)).toBe("Snooze ended: the visitor wrote");
    expect(eventTypes(id).slice(-3)).toEqual(["message_created", "status_changed", "snooze_ended"]);
    expect(seen.some((e) => e.kind === "conversation" && (e.data as { ended?: string }).ended === "visitor")).toBe(true);
  });

  it("a bot turn never runs the wake: a bot conversation's visitor message leaves snooze columns untouched", async () => {
    // An impossible state on purpose (a bot conversation cannot be snoozed): it shows the bot path has no snooze work.
    const visitorId = kit.visitor();
    const id = kit.conversation({ status: "bot", visitorId });
    kit.db.sqlite.prepare("UPDATE conversations SET snoozed_until = ? WHERE id = ?").run(Date.now() + HOUR, id);
    await kit.run(Effect.flatMap(Engine, (e) => e.handleVisitorMessage({ conversationId: id, visitorId, clientMessageId: "b1", text: "hello" })));
    expect(row(id).snoozed_until).not.toBeNull();
    expect(eventTypes(id)).not.toContain("snooze_ended");
  });

  it("closing clears the snooze (whoever closes: the trigger), and a closed one is not woken", async () => {
    const id = kit.conversation();
    await kit.run(snoozes.snooze(id, { until: Date.now() + HOUR, timeZone: "UTC" }, 1, people.alex));
    await kit.run(Effect.flatMap(Inbox, (i) => i.close(id, 2, people.alex)));
    expect(row(id)).toMatchObject({ status: "closed", snoozed_until: null });
    expect(await Effect.runPromise(snoozes.runDue())).toBe(0);
    // Reopened, it is not snoozed.
    await kit.run(Effect.flatMap(Inbox, (i) => i.reopen(id, 3, people.alex)));
    expect(row(id)).toMatchObject({ status: "open", snoozed_until: null });
  });
});

describe("the inbox's views", () => {
  it("a snoozed conversation leaves the working views (All open too) and is listed in Snoozed by wake time until it wakes", async () => {
    // Its own inbox filter keeps earlier tests' conversations out of the way.
    kit.db.sqlite.prepare("INSERT INTO inboxes (id, name, created_at) VALUES ('inbox_views', 'Views', ?)").run(Date.now());
    kit.db.sqlite.prepare("INSERT INTO channels (id, inbox_id, kind, name, created_at) VALUES ('chan_views', 'inbox_views', 'chat', 'Views chat', ?)").run(Date.now());
    const a = kit.conversation({ channelId: "chan_views", inboxId: "inbox_views" });
    const b = kit.conversation({ channelId: "chan_views", inboxId: "inbox_views", status: "pending", waitingSince: null, assigneeId: people.admin.id });
    const c = kit.conversation({ channelId: "chan_views", inboxId: "inbox_views", assigneeId: people.admin.id });
    await kit.run(snoozes.snooze(a, { until: Date.now() + 3 * HOUR, timeZone: "UTC" }, 1, people.admin));
    await kit.run(snoozes.snooze(b, { until: Date.now() + HOUR, timeZone: "UTC" }, 1, people.admin));
    const scoped = (view: string) =>
      kit.run(Effect.flatMap(Inbox, (i) => i.listConversations({ view, inboxId: "inbox_views" }, people.admin)));
    const snoozedList = await scoped("snoozed");
    expect(snoozedList.conversations.map((x) => x.id)).toEqual([b, a]);
    expect(snoozedList.conversations[0]!.snooze).toMatchObject({ by: { id: people.admin.id, name: "Ada Admin" } });
    expect(snoozedList.counts).toMatchObject({ snoozed: 2, all_open: 1, mine: 1, unassigned: 0, pending: 0 });
    for (const view of ["all_open", "mine", "unassigned", "pending"]) {
      const ids = (await scoped(view)).conversations.map((x) => x.id);
      expect(ids).not.toContain(a);
      expect(ids).not.toContain(b);
    }
    expect((await scoped("all_open")).conversations.map((x) => x.id)).toEqual([c]);
    // A page of one: the cursor walks on in wake order.
    const first = await kit.run(Effect.flatMap(Inbox, (i) => i.listConversations({ view: "snoozed", inboxId: "inbox_views", limit: 1 }, people.admin)));
    const second = await kit.run(
      Effect.flatMap(Inbox, (i) => i.listConversations({ view: "snoozed", inboxId: "inbox_views", limit: 1, cursor: first.nextCursor! }, people.admin)),
    );
    expect([first.conversations[0]!.id, second.conversations[0]!.id]).toEqual([b, a]);
    makeDue(b);
    await Effect.runPromise(snoozes.runDue());
    expect((await scoped("snoozed")).conversations.map((x) => x.id)).toEqual([a]);
    expect((await scoped("all_open")).conversations.map((x) => x.id)).toContain(b);
    const thread = await kit.run(Effect.flatMap(Inbox, (i) => i.getThread(a, people.admin)));
    expect(thread.conversation.snooze?.until).toBeGreaterThan(Date.now());
  });

  it("the partial index serves the due query and the timer's next-snooze query", () => {
    const plan = kit.db.sqlite
      .prepare("EXPLAIN QUERY PLAN SELECT id FROM conversations WHERE snoozed_until IS NOT NULL AND snoozed_until <= ? ORDER BY snoozed_until LIMIT ?")
      .all(Date.now(), 200) as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join(" ")).toMatch(/conversations_snoozed/);
    const next = kit.db.sqlite
      .prepare("EXPLAIN QUERY PLAN SELECT MIN(snoozed_until) AS at FROM conversations WHERE snoozed_until IS NOT NULL")
      .all() as Array<{ detail: string }>;
    expect(next.map((p) => p.detail).join(" ")).toMatch(/conversations_snoozed/);
  });
});

describe("the team report around a snooze", () => {
  const timeline = () => teamTimeline(kit.db.sqlite.prepare("SELECT * FROM events ORDER BY id").all() as EventRow[]);
  const created = (id: string, at: number) =>
    kit.db.sqlite
      .prepare("INSERT INTO events (type, at, conversation_id, inbox_id, channel_id, is_preview) VALUES ('conversation_created', ?, ?, 'inbox_support', 'chan_web', 0)")
      .run(at, id);

  it("a snooze while the visitor waits does not stop the clock; snoozing a pending one starts no wait; nothing negative, nothing twice", async () => {
    const visitorId = kit.visitor();
    const id = kit.conversation({ visitorId, waitingSince: null, assigneeId: people.alex.id });
    created(id, Date.now() - 10);
    await kit.run(Effect.flatMap(Engine, (e) => e.handleVisitorMessage({ conversationId: id, visitorId, clientMessageId: "w1", text: "Help?" })));
    const askedAt = (kit.db.sqlite.prepare("SELECT MAX(created_at) AS at FROM messages WHERE conversation_id = ? AND author = 'visitor'").get(id) as { at: number }).at;
    await kit.run(snoozes.snooze(id, { until: Date.now() + HOUR, timeZone: "UTC" }, row(id).version, people.alex));
    makeDue(id);
    await Effect.runPromise(snoozes.runDue());
    const reply = await kit.run(Effect.flatMap(Inbox, (i) => i.reply({ conversationId: id, text: "Here you go", clientMessageId: "w2" }, people.alex)));
    // Pending, snoozed, woken by time: the team brought it back, the visitor is not waiting.
    await kit.run(Effect.flatMap(Inbox, (i) => i.markPending(id, row(id).version, people.alex)));
    await kit.run(snoozes.snooze(id, { until: Date.now() + HOUR, timeZone: "UTC" }, row(id).version, people.alex));
    makeDue(id);
    await Effect.runPromise(snoozes.runDue());
    await kit.run(Effect.flatMap(Inbox, (i) => i.reply({ conversationId: id, text: "Anything else?", clientMessageId: "w3" }, people.alex)));

    const replies = timeline().replies.filter((r) => r.conversationId === id);
    expect(replies).toHaveLength(2);
    expect(replies[0]!.waitMs).toBe(reply.createdAt - askedAt);
    expect(replies[0]!.waitMs).toBeGreaterThanOrEqual(0);
    expect(replies[1]!.waitMs).toBeNull();
    for (const r of replies) if (r.firstResponseMs !== null) expect(r.firstResponseMs).toBeGreaterThanOrEqual(0);
  });
});
