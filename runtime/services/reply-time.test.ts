/**
 * The usual reply time (decision 050) through the real engine, inbox and report fold on a fresh
 * SQLite file: conversations handed from the bot to the Support inbox at known times, people
 * replying (and commenting) at known times, and the bucket ReplyTime reads from what the write
 * groups folded — the definition (first replies only, from the handoff, the inbox's own, the last
 * 14 days, at least 5), the cache, and the query plan.
 */
import { Effect, Layer, ManagedRuntime } from "effect";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Actor } from "./inbox-access.js";
import * as Chatflows from "./chatflows.js";
import { Database } from "./database.js";
import * as Engine from "./engine.js";
import { Inbox } from "./inbox.js";
import { handoffFlow, openKit, people, type Kit } from "./inbox-test-kit.js";
import { FIRST_RESPONSES_SQL, REPLY_TIME_CACHE_MS, ReplyTime, TEAM_FIRST_RESPONSES_SQL, layer as replyTimeLayer } from "./reply-time.js";

const MIN = 60_000;
const DAY = 86_400_000;
/** A Monday morning, UTC. */
const T0 = Date.UTC(2026, 2, 2, 9, 0);

let kit: Kit;
let replyTimes: ManagedRuntime.ManagedRuntime<ReplyTime, never>;
let t = T0;
let seq = 0;
const clock = (at: number) => {
  t = at;
  vi.setSystemTime(at);
};

/** A visitor on `channelId` answers the bot at `at`; the bot hands them to the channel's inbox then. */
const handedOver = async (at: number, channelId = "chan_web", chatflowId = `flow_${channelId}`): Promise<string> => {
  clock(at - 30_000);
  const visitorId = kit.visitor(channelId);
  const engine = await kit.run(Engine.Engine);
  const view = await kit.run(engine.startConversation({ visitorId, channelId, chatflowId, pageUrl: "https://shop.example/" }));
  clock(at);
  await kit.run(engine.handleVisitorMessage({ conversationId: view.conversation.id, visitorId, clientMessageId: `v${++seq}`, text: "Grace" }));
  return view.conversation.id;
};
const reply = async (conversationId: string, at: number, actor: Actor = people.alex) => {
  clock(at);
  await kit.run(Effect.flatMap(Inbox, (inbox) => inbox.reply({ conversationId, text: "Hello from the team", clientMessageId: `a${++seq}` }, actor)));
};
const comment = async (conversationId: string, at: number) => {
  clock(at);
  await kit.run(Effect.flatMap(Inbox, (inbox) => inbox.comment({ conversationId, text: "note to self", clientMessageId: `a${++seq}` }, people.alex)));
};
/** A conversation handed over at `at` whose first reply comes `minutes` later. */
const answered = async (at: number, minutes: number, channelId = "chan_web") => {
  const id = await handedOver(at, channelId);
  await reply(id, at + minutes * MIN, channelId === "chan_sales" ? people.sam : people.alex);
  return id;
};
const usual = (inboxId = "inbox_support") => replyTimes.runPromise(Effect.flatMap(ReplyTime, (r) => r.forInbox(inboxId)));
/** Past the cache: the next read is fresh. */
const later = (ms = REPLY_TIME_CACHE_MS + 1) => clock(t + ms);

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ["Date"] });
  clock(T0 - 20 * DAY);
  kit = await openKit();
  replyTimes = ManagedRuntime.make(replyTimeLayer.pipe(Layer.provide(Layer.succeed(Database, kit.db))));
  await kit.run(
    Effect.gen(function* () {
      const flows = yield* Chatflows.Chatflows;
      for (const channelId of ["chan_web", "chan_sales"]) {
        yield* flows.create({ id: `flow_${channelId}`, name: "Handoff bot", kind: "bot", document: handoffFlow, channelId });
        yield* flows.publish(`flow_${channelId}`);
        yield* flows.setEnabled(`flow_${channelId}`, true);
      }
    }),
  );
});

afterAll(async () => {
  await replyTimes?.dispose();
  await kit?.dispose();
  vi.useRealTimers();
});

describe("ReplyTime.forInbox", () => {
  it("says nothing until there are 5 first replies in the last 14 days, then the bucket of their median", async () => {
    // 15 days ago: a quick reply that has left the window by now.
    await answered(T0 - 15 * DAY, 1);
    // Another inbox's quick replies never count for Support.
    for (let i = 0; i < 5; i++) await answered(T0 - DAY + i * 10 * MIN, 2, "chan_sales");

    const a = await answered(T0, 20);
    // The visitor waited in the bot for a minute before the handoff: not counted (from the handoff on).
    const b = await handedOver(T0 + 61 * MIN);
    // A comment first is not a reply: the first response is the reply at 50 minutes.
    await comment(b, T0 + 62 * MIN);
    await reply(b, T0 + 111 * MIN);
    // Later replies in the same conversation are not first responses.
    await reply(a, T0 + 200 * MIN);
    await reply(b, T0 + 201 * MIN);
    await answered(T0 + 210 * MIN, 40);
    await answered(T0 + 260 * MIN, 45);
    later();
    expect(await usual(), "four first replies in the window").toBeNull();
    expect(await usual("inbox_sales")).toBe("few_minutes");

    await answered(T0 + 320 * MIN, 30);
    later();
    // 20, 30, 40, 45, 50 minutes: the median is 40 minutes.
    expect(await usual()).toBe("under_an_hour");

    const stored = kit.db.sqlite
      .prepare("SELECT first_response_ms FROM report_replies WHERE inbox_id = 'inbox_support' AND is_first = 1 ORDER BY first_response_ms")
      .pluck()
      .all();
    expect(stored, "the figures read are the report's first responses").toEqual([1, 20, 30, 40, 45, 50].map((m) => m * MIN));
  });

  it("keeps an inbox's figure for the cache's time, then reads it again", async () => {
    // Six visitors are handed over a minute apart; the figure is read (and kept) before anyone answers them.
    const start = t + 10 * MIN;
    const waiting: string[] = [];
    for (let i = 0; i < 6; i++) waiting.push(await handedOver(start + i * MIN));
    clock(start + 6 * MIN);
    expect(await usual()).toBe("under_an_hour");
    // Each is answered within the next minute: 2 to 6.2 minutes after their handoffs, and with
    // 20, 30, 40, 45, 50 the median is 6.2 minutes — but within the cache's time the answer stays.
    for (const [i, id] of waiting.entries()) await reply(id, start + 6 * MIN + (i + 1) * 10_000);
    clock(start + 6 * MIN + REPLY_TIME_CACHE_MS - 1);
    expect(await usual()).toBe("under_an_hour");
    later(1);
    expect(await usual()).toBe("under_15_minutes");
  });

  it("says nothing when the median is over a day, and for an inbox with no replies", async () => {
    clock(t + 20 * DAY);
    for (let i = 0; i < 5; i++) await answered(t + MIN, 25 * 60);
    later();
    expect(await usual()).toBeNull();
    expect(await usual("inbox_nowhere")).toBeNull();
  });

  it("reads one inbox's window from the covering index, never the table", () => {
    const plan = kit.db.sqlite
      .prepare(`EXPLAIN QUERY PLAN ${FIRST_RESPONSES_SQL}`)
      .all("inbox_support", 0)
      .map((row) => (row as { detail: string }).detail);
    expect(plan).toEqual(["SEARCH report_replies USING COVERING INDEX report_replies_inbox (inbox_id=? AND at>?)"]);
  });
});

describe("ReplyTime.forTeams (decision 053)", () => {
  const usualOf = (teamIds: ReadonlyArray<string>, inboxId = "inbox_support") =>
    replyTimes.runPromise(Effect.flatMap(ReplyTime, (r) => r.forTeams(inboxId, teamIds)));

  it("counts only the first replies recorded with the teams, in the inbox, over the same window and minimum", async () => {
    // A second bot on the same channel hands off to Sales (Alex is in both teams).
    kit.db.sqlite.prepare("INSERT INTO teams (id, name, created_at) VALUES ('team_sales', 'Sales', 0)").run();
    kit.db.sqlite.prepare("INSERT INTO team_members (team_id, user_id) VALUES ('team_sales', ?)").run(people.alex.id);
    const toSales = JSON.parse(JSON.stringify(handoffFlow).replace('"teamId":"team_support"', '"teamId":"team_sales"'));
    await kit.run(
      Effect.gen(function* () {
        const flows = yield* Chatflows.Chatflows;
        yield* flows.create({ id: "flow_to_sales", name: "Sales bot", kind: "bot", document: toSales, channelId: "chan_web" });
        yield* flows.publish("flow_to_sales");
        yield* flows.setEnabled("flow_to_sales", true);
      }),
    );
    // A fresh window, well after the other cases' replies.
    clock(t + 30 * DAY);
    const base = t;
    // Five conversations handed to Sales, answered within 2 minutes.
    for (let i = 0; i < 5; i++) {
      const id = await handedOver(base + i * 10 * MIN, "chan_web", "flow_to_sales");
      await reply(id, base + i * 10 * MIN + 2 * MIN);
    }
    // Six handed to Support, answered after 40 minutes.
    for (let i = 0; i < 6; i++) await answered(base + 60 * MIN + i * 10 * MIN, 40);
    later();
    const recorded = kit.db.sqlite
      .prepare("SELECT team_id, count(*) AS n FROM report_replies WHERE inbox_id = 'inbox_support' AND is_first = 1 AND at >= ? GROUP BY team_id ORDER BY team_id")
      .all(base);
    expect(recorded, "the replies are recorded with the conversation's team at the reply").toEqual([
      { team_id: "team_sales", n: 5 },
      { team_id: "team_support", n: 6 },
    ]);
    expect(await usualOf(["team_sales"])).toBe("few_minutes");
    expect(await usualOf(["team_support"])).toBe("under_an_hour");
    // Several teams (a heading showing two): their replies together, in any order.
    expect(await usualOf(["team_support", "team_sales"])).toBe("under_an_hour");
    // No teams: the inbox's figure; a team with no replies in the inbox says nothing (not the inbox's).
    expect(await usualOf([])).toBe(await usual());
    expect(await usualOf(["team_nobody"])).toBeNull();
    // Another inbox's replies with the same team do not count.
    expect(await usualOf(["team_sales"], "inbox_sales")).toBeNull();
  });

  it("keeps a team's figure for the cache's time, then reads it again", async () => {
    const start = t + 10 * MIN;
    // Six more for Sales, answered three hours after their handoffs — just after the figure was read and kept.
    const waiting: string[] = [];
    for (let i = 0; i < 6; i++) waiting.push(await handedOver(start + i * MIN, "chan_web", "flow_to_sales"));
    clock(start + 3 * 60 * MIN);
    expect(await usualOf(["team_sales"])).toBe("few_minutes");
    for (const [i, id] of waiting.entries()) await reply(id, start + 3 * 60 * MIN + (i + 1) * 10_000);
    clock(start + 3 * 60 * MIN + REPLY_TIME_CACHE_MS - 1);
    expect(await usualOf(["team_sales"]), "kept").toBe("few_minutes");
    later(1);
    // Five of 2 minutes and six of about 3 hours: the median is about 3 hours.
    expect(await usualOf(["team_sales"])).toBe("few_hours");
  });

  it("reads the teams' replies from the inbox's covering index range", () => {
    const plan = kit.db.sqlite
      .prepare(`EXPLAIN QUERY PLAN ${TEAM_FIRST_RESPONSES_SQL}`)
      .all("inbox_support", 0, '["team_sales"]')
      .map((row) => (row as { detail: string }).detail);
    expect(plan[0]).toBe("SEARCH report_replies USING COVERING INDEX report_replies_inbox (inbox_id=? AND at>?)");
    expect(plan.filter((line) => /SCAN report_replies|USING INDEX (?!report_replies_inbox)/.test(line))).toEqual([]);
  });
});
