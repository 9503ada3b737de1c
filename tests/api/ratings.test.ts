/**
 * Ratings (migration 21, ratings.ts): a visitor rates a closed conversation a person took part
 * in; a later rating replaces the earlier one; the team report counts the latest per
 * conversation, for the agent it was with. Real parts: the app runtime on a fresh SQLite file.
 */
import { Effect, Either } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRuntime, AppServices } from "../../runtime/services/app-layer.js";
import type { Sqlite } from "../../runtime/services/database.js";
import { Engine } from "../../runtime/services/engine.js";
import { Inbox } from "../../runtime/services/inbox.js";
import { LiveEvents, type LiveEvent } from "../../runtime/services/live-events.js";
import { Ratings } from "../../runtime/services/ratings.js";
import { Reports } from "../../runtime/services/reports.js";
import { Visitors } from "../../runtime/services/visitors.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

let app: TestApp;
let runtime: AppRuntime;
let sqlite: Sqlite;
let admin: { id: string; role: string; name: string };
let chatChannelId: string;
let chatflowId: string;

const run = <A, E>(effect: Effect.Effect<A, E, AppServices>) => runtime.runPromise(effect);
const attempt = <A, E>(effect: Effect.Effect<A, E, AppServices>) => runtime.runPromise(Effect.either(effect));
let sent = 0;

/** A visitor's conversation on the seeded chatflow; with `reply`, an agent answered it; with `close`, it was closed. */
const conversation = async (options: { reply?: boolean; close?: boolean } = {}) => {
  const { conversationId, visitorId } = await run(
    Effect.gen(function* () {
      const { visitorId } = yield* Effect.flatMap(Visitors, (v) => v.create({ channelId: chatChannelId, pageUrl: "https://acme.test/" }));
      const view = yield* Effect.flatMap(Engine, (e) => e.startConversation({ visitorId, channelId: chatChannelId, chatflowId, pageUrl: "https://acme.test/" }));
      return { conversationId: view.conversation.id, visitorId };
    }),
  );
  if (options.reply) await run(Effect.flatMap(Inbox, (i) => i.reply({ conversationId, text: "Happy to help!", clientMessageId: `r-${++sent}` }, admin)));
  if (options.close) {
    const version = sqlite.prepare("SELECT version FROM conversations WHERE id = ?").pluck().get(conversationId) as number;
    await run(Effect.flatMap(Inbox, (i) => i.close(conversationId, version, admin)));
  }
  return { conversationId, visitorId };
};
const rate = (c: { conversationId: string; visitorId: string }, body: unknown) => attempt(Effect.flatMap(Ratings, (r) => r.rate({ ...c, body })));

beforeAll(async () => {
  app = await startTestApp("ratings");
  ({ runtime, sqlite } = app);
  admin = sqlite.prepare("SELECT id, role, COALESCE(NULLIF(display_name, ''), name) AS name FROM users WHERE role = 'admin' LIMIT 1").get() as typeof admin;
  const chat = sqlite
    .prepare("SELECT ch.id, f.id AS flow FROM channels ch JOIN chatflows f ON f.channel_id = ch.id WHERE ch.kind = 'chat' AND f.published_version_id IS NOT NULL AND f.enabled = 1 ORDER BY ch.created_at LIMIT 1")
    .get() as { id: string; flow: string };
  ({ id: chatChannelId, flow: chatflowId } = chat);
});

afterAll(async () => {
  await app?.dispose();
});

describe("a visitor rates a conversation", () => {
  it("once it is closed and a person took part; a later rating replaces the earlier one, and agents hear it", async () => {
    const c = await conversation({ reply: true, close: true });
    expect(await run(Effect.flatMap(Ratings, (r) => r.stateFor(c)))).toEqual({ rateable: true, rating: null });
    const heard: LiveEvent[] = [];
    const stop = await run(Effect.map(LiveEvents, (live) => live.subscribeConversation(c.conversationId, (e) => heard.push(e), { includeInternal: true })));
    const first = await rate(c, { score: 2, comment: "  Took a while  " });
    expect(Either.getOrThrow(first)).toMatchObject({ score: 2, comment: "Took a while" });
    const second = await rate(c, { score: 5 });
    expect(Either.getOrThrow(second)).toMatchObject({ score: 5, comment: null });
    stop();
    expect(heard.map((e) => [e.kind, e.internal, (e.data as { change: string }).change])).toEqual([
      ["conversation", true, "rating"],
      ["conversation", true, "rating"],
    ]);
    expect(await run(Effect.flatMap(Ratings, (r) => r.forConversation(c.conversationId)))).toMatchObject({ score: 5, comment: null });
    // Both are in the event log, credited to the agent who answered.
    const events = sqlite.prepare("SELECT user_id, data FROM events WHERE type = 'conversation_rated' AND conversation_id = ? ORDER BY id").all(c.conversationId);
    expect(events).toEqual([
      { user_id: admin.id, data: '{"score":2,"commented":true}' },
      { user_id: admin.id, data: '{"score":5,"commented":false}' },
    ]);
  });

  it("is refused, with nothing stored, while open, without a person, for another visitor, or when the body is bad", async () => {
    const open = await conversation({ reply: true });
    const botOnly = await conversation({ close: true });
    const closed = await conversation({ reply: true, close: true });
    const refusal = async (c: { conversationId: string; visitorId: string }, body: unknown) => {
      const result = await rate(c, body);
      if (Either.isRight(result)) throw new Error("a rating was accepted");
      return result.left;
    };
    expect(await refusal(open, { score: 4 })).toMatchObject({ _tag: "Conflict", message: "a conversation can be rated once it is closed" });
    expect(await refusal(botOnly, { score: 4 })).toMatchObject({ _tag: "Conflict", message: "only a conversation with someone from the team can be rated" });
    expect(await refusal({ conversationId: closed.conversationId, visitorId: open.visitorId }, { score: 4 })).toMatchObject({ _tag: "Forbidden" });
    expect(await refusal({ conversationId: "conv_nope", visitorId: open.visitorId }, { score: 4 })).toMatchObject({ _tag: "NotFound" });
    for (const [body, path] of [
      [{ score: 0 }, "score"],
      [{ score: 6 }, "score"],
      [{ score: 4.5 }, "score"],
      [{ score: "5" }, "score"],
      [{}, "score"],
      [{ score: 5, comment: "x".repeat(1001) }, "comment"],
      [{ score: 5, comment: 7 }, "comment"],
    ] as const) {
      const error = await refusal(closed, body);
      expect(error._tag).toBe("InvalidInput");
      expect(error._tag === "InvalidInput" && error.issues.map((i) => i.path)).toEqual([path]);
    }
    expect(await run(Effect.flatMap(Ratings, (r) => r.stateFor(open)))).toEqual({ rateable: false, rating: null });
    expect(sqlite.prepare("SELECT count(*) FROM conversation_ratings WHERE conversation_id IN (?, ?, ?)").pluck().get(open.conversationId, botOnly.conversationId, closed.conversationId)).toBe(0);
  });

  it("counts in the team report: the latest rating per conversation, for the agent it was with", async () => {
    const before = await run(
      Effect.flatMap(Reports, (r) => Effect.flatMap(r.parseQuery({ range: "7d" }), (q) => r.team(q))),
    );
    const a = await conversation({ reply: true, close: true });
    const b = await conversation({ reply: true, close: true });
    await rate(a, { score: 1 });
    await rate(a, { score: 4 });
    await rate(b, { score: 3 });
    const after = await run(
      Effect.flatMap(Reports, (r) => Effect.flatMap(r.parseQuery({ range: "7d" }), (q) => r.team(q))),
    );
    expect(after.satisfaction.ratings - before.satisfaction.ratings).toBe(2);
    expect(after.satisfaction.satisfied - before.satisfaction.satisfied).toBe(1);
    const agent = after.agents.find((row) => row.userId === admin.id)!;
    const agentBefore = before.agents.find((row) => row.userId === admin.id)?.satisfaction ?? { ratings: 0, average: null, satisfied: 0 };
    expect(agent.satisfaction.ratings - agentBefore.ratings).toBe(2);
    // Every rating in this file so far: 5 (the first test), then 4 and 3.
    expect(after.satisfaction).toEqual({ ratings: 3, average: 4, satisfied: 2 });
  });
});
