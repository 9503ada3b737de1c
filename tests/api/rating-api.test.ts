/**
 * GET and POST /api/conversations/:id/rating in-process: the real handler (server/public-api.ts)
 * on a node:http server, the app's real runtime on a fresh SQLite file seeded like a first start.
 * Conversations are started and rated by visitors over HTTP; an agent's reply and the close go
 * through the Inbox service as the inbox would send them. Every refusal asserts its status, its
 * error body and that conversation_ratings (and the rating events) did not change.
 */
import { Effect } from "effect";
import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../../bench/http-harness.js";
import type { AppRuntime, AppServices } from "../../runtime/services/app-layer.js";
import type { Sqlite } from "../../runtime/services/database.js";
import { Inbox } from "../../runtime/services/inbox.js";
import { LiveEvents, type LiveEvent } from "../../runtime/services/live-events.js";
import { createPublicApi, type PublicApi } from "../../server/public-api.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { listenPublicApi } from "../support/public-api-server.js";

let app: TestApp;
let runtime: AppRuntime;
let sqlite: Sqlite;
let api: PublicApi;
let limitedApi: PublicApi;
let server: Server;
let limitedServer: Server;
let base: string;
let limitedBase: string;
let channelId: string;
let flowId: string;
let admin: { id: string; role: string; name: string };

const run = <A, E>(effect: Effect.Effect<A, E, AppServices>) => runtime.runPromise(effect);

beforeAll(async () => {
  app = await startTestApp("rating-api");
  ({ runtime, sqlite } = app);
  api = createPublicApi(runtime, { heartbeatMs: 60_000, rateLimitEnabled: false });
  ({ server, base } = await listenPublicApi(api));
  // Every route, these too, passes the per-IP bucket first: two requests, then 429.
  limitedApi = createPublicApi(runtime, {
    rateLimitEnabled: true,
    rateLimits: { ip: { capacity: 2, perSecond: 0.01 }, visitor: { capacity: 100, perSecond: 100 }, visitorCreation: { capacity: 100, perSecond: 100 } },
  });
  ({ server: limitedServer, base: limitedBase } = await listenPublicApi(limitedApi));
  channelId = sqlite.prepare("SELECT id FROM channels WHERE kind = 'chat' ORDER BY created_at LIMIT 1").pluck().get() as string;
  flowId = sqlite
    .prepare(
      "SELECT c.id FROM chatflows c JOIN chatflow_versions v ON v.id = c.published_version_id WHERE json_extract(v.spec, '$.id') = 'lead_qualification'",
    )
    .pluck()
    .get() as string;
  admin = sqlite.prepare("SELECT id, role, COALESCE(NULLIF(display_name, ''), name) AS name FROM users WHERE role = 'admin' LIMIT 1").get() as typeof admin;
});

afterAll(async () => {
  api?.close();
  limitedApi?.close();
  await Promise.all([server, limitedServer].map((s) => new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()))));
  await app?.dispose();
});

const newVisitor = async (): Promise<string> => {
  const created = await call(base, "/api/visitors", { body: { channel: channelId } });
  expect(created.status).toBe(201);
  return created.body.visitorToken as string;
};

let replies = 0;
const version = (id: string) => sqlite.prepare("SELECT version FROM conversations WHERE id = ?").pluck().get(id) as number;
const agentReplies = (id: string) => run(Effect.flatMap(Inbox, (i) => i.reply({ conversationId: id, text: "Happy to help!", clientMessageId: `rating-api-${++replies}` }, admin)));
const closeIt = (id: string) => run(Effect.flatMap(Inbox, (i) => i.close(id, version(id), admin)));
const reopen = (id: string) => run(Effect.flatMap(Inbox, (i) => i.reopen(id, version(id), admin)));

/** A visitor's conversation on the lead bot; with `reply`, an agent answered it; with `close`, it was closed. */
const conversation = async (options: { reply?: boolean; close?: boolean } = {}) => {
  const token = await newVisitor();
  const started = await call(base, "/api/conversations", { token, body: { channel: channelId, chatflowId: flowId, pageUrl: "https://shop.example/" } });
  expect(started.status).toBe(201);
  const id = started.body.conversation.id as string;
  if (options.reply) await agentReplies(id);
  if (options.close) await closeIt(id);
  return { token, id };
};

const path = (id: string) => `/api/conversations/${encodeURIComponent(id)}/rating`;
const getRating = (token: string | undefined, id: string, at = base) => call(at, path(id), token ? { token } : {});
const postRating = (token: string | undefined, id: string, body: unknown, headers: Record<string, string> = {}, at = base) =>
  call(at, path(id), { ...(token ? { token } : {}), body, headers });

const allRatings = () => sqlite.prepare("SELECT * FROM conversation_ratings ORDER BY conversation_id").all();
const ratingEvents = () => sqlite.prepare("SELECT count(*) FROM events WHERE type = 'conversation_rated'").pluck().get() as number;

/** Runs `request` and asserts no rating was stored or replaced, and no rating event written. */
const changesNothing = async <T>(request: () => Promise<T>): Promise<T> => {
  const before = allRatings();
  const events = ratingEvents();
  const result = await request();
  // A write is group-committed on a later turn; give a stray one the chance to land.
  await new Promise((r) => setTimeout(r, 20));
  expect(allRatings()).toEqual(before);
  expect(ratingEvents()).toBe(events);
  return result;
};

describe("GET /api/conversations/:id/rating", () => {
  it("is not rateable while open, rateable once closed, and answers the rating given with an ISO time", async () => {
    const c = await conversation({ reply: true });
    const open = await getRating(c.token, c.id);
    expect(open.status).toBe(200);
    expect(open.body).toEqual({ rateable: false, rating: null });

    await closeIt(c.id);
    const closed = await getRating(c.token, c.id);
    expect(closed.body).toEqual({ rateable: true, rating: null });

    const before = Date.now();
    const rated = await postRating(c.token, c.id, { score: 4, comment: "Quick and kind" });
    expect(rated.status).toBe(200);
    const after = await getRating(c.token, c.id);
    expect(after.status).toBe(200);
    expect(after.body).toEqual({ rateable: true, rating: { score: 4, comment: "Quick and kind", at: rated.body.rating.at } });
    expect(after.body.rating.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(after.body.rating.at)).toBeGreaterThanOrEqual(before - 1000);

    // Reopened, it cannot be rated now, but the rating given stays (the widget hides its card).
    await reopen(c.id);
    expect((await getRating(c.token, c.id)).body).toEqual({ rateable: false, rating: after.body.rating });
  });

  it("a bot-only conversation is never rateable, closed or not", async () => {
    const c = await conversation({ close: true });
    expect((await getRating(c.token, c.id)).body).toEqual({ rateable: false, rating: null });
  });

  it("401 without a token, 403 for another visitor's conversation, 404 for an unknown one", async () => {
    const c = await conversation({ reply: true, close: true });
    const anonymous = await getRating(undefined, c.id);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe("unauthenticated");
    const stranger = await getRating(await newVisitor(), c.id);
    expect(stranger.status).toBe(403);
    expect(stranger.body).toEqual({ error: { code: "forbidden", message: expect.any(String) } });
    const unknown = await getRating(c.token, "conv_doesnotexist");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toEqual({ code: "not_found", message: "conversation conv_doesnotexist was not found" });
  });
});

describe("POST /api/conversations/:id/rating", () => {
  it("stores the rating (comment trimmed) and a later one replaces it; agents hear each, listeners of visible events (the visitor's stream) nothing", async () => {
    const c = await conversation({ reply: true, close: true });
    const live = await run(LiveEvents);
    const heard: LiveEvent[] = [];
    const off = live.subscribeConversation(c.id, (event) => heard.push(event), { includeInternal: true });
    const visitorHeard: LiveEvent[] = [];
    const offVisitor = live.subscribeConversation(c.id, (event) => visitorHeard.push(event));

    const first = await postRating(c.token, c.id, { score: 2, comment: "  Took a while  " }, { Origin: "https://any.example" });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ rating: { score: 2, comment: "Took a while", at: expect.any(String) } });
    expect(first.headers.get("access-control-allow-origin")).toBe("https://any.example");
    const stored = () => sqlite.prepare("SELECT score, comment, user_id, rated_at FROM conversation_ratings WHERE conversation_id = ?").get(c.id);
    expect(stored()).toEqual({ score: 2, comment: "Took a while", user_id: admin.id, rated_at: Date.parse(first.body.rating.at) });

    // Second thoughts: the later rating replaces the earlier one; a blank comment is none.
    const second = await postRating(c.token, c.id, { score: 5, comment: "   " });
    expect(second.status).toBe(200);
    expect(second.body.rating).toMatchObject({ score: 5, comment: null });
    expect(stored()).toMatchObject({ score: 5, comment: null });
    expect(sqlite.prepare("SELECT count(*) FROM conversation_ratings WHERE conversation_id = ?").pluck().get(c.id)).toBe(1);
    expect(sqlite.prepare("SELECT data FROM events WHERE type = 'conversation_rated' AND conversation_id = ? ORDER BY id").pluck().all(c.id)).toEqual([
      '{"score":2,"commented":true}',
      '{"score":5,"commented":false}',
    ]);
    off();
    offVisitor();
    expect(heard.filter((e) => e.kind === "conversation").map((e) => e.data)).toEqual([
      { change: "rating", score: 2 },
      { change: "rating", score: 5 },
    ]);
    expect(visitorHeard).toEqual([]);
  });

  it("409 while the conversation is open and for a bot-only one, with the reason", async () => {
    const open = await conversation({ reply: true });
    const refused = await changesNothing(() => postRating(open.token, open.id, { score: 4 }));
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ error: { code: "conflict", message: "a conversation can be rated once it is closed" } });

    const botOnly = await conversation({ close: true });
    const noPerson = await changesNothing(() => postRating(botOnly.token, botOnly.id, { score: 4 }));
    expect(noPerson.status).toBe(409);
    expect(noPerson.body).toEqual({ error: { code: "conflict", message: "only a conversation with someone from the team can be rated" } });

    // Rated, then reopened: no new rating until it is closed again, and the first one stays.
    const reopened = await conversation({ reply: true, close: true });
    expect((await postRating(reopened.token, reopened.id, { score: 3 })).status).toBe(200);
    await reopen(reopened.id);
    expect((await changesNothing(() => postRating(reopened.token, reopened.id, { score: 1 }))).status).toBe(409);
    expect(sqlite.prepare("SELECT score FROM conversation_ratings WHERE conversation_id = ?").pluck().get(reopened.id)).toBe(3);
  });

  it("401 without a token, 403 for another visitor's conversation, 404 for an unknown one", async () => {
    const c = await conversation({ reply: true, close: true });
    expect((await changesNothing(() => postRating(undefined, c.id, { score: 5 }))).status).toBe(401);
    const stranger = await newVisitor();
    const forbidden = await changesNothing(() => postRating(stranger, c.id, { score: 5 }));
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toEqual({ error: { code: "forbidden", message: expect.any(String) } });
    const unknown = await changesNothing(() => postRating(c.token, "conv_doesnotexist", { score: 5 }));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("not_found");
  });

  it("400 with the field's path for a bad score or comment, and for a body that is no JSON object", async () => {
    const c = await conversation({ reply: true, close: true });
    for (const [body, field, message] of [
      [{}, "score", "is missing"],
      [{ score: 0 }, "score", "a score is a whole number from 1 (bad) to 5 (great)"],
      [{ score: 6 }, "score", "a score is a whole number from 1 (bad) to 5 (great)"],
      [{ score: 4.5 }, "score", "a score is a whole number from 1 (bad) to 5 (great)"],
      [{ score: "5" }, "score", "Expected number"],
      [{ score: null }, "score", "Expected number"],
      [{ score: 5, comment: "x".repeat(1001) }, "comment", "a comment is at most 1,000 characters"],
      [{ score: 5, comment: 7 }, "comment", "Expected string"],
      [{ score: 5, comment: null }, "comment", "Expected string"],
    ] as const) {
      const refused = await changesNothing(() => postRating(c.token, c.id, body));
      const label = JSON.stringify(body).slice(0, 60);
      expect(refused.status, label).toBe(400);
      expect(refused.body.error, label).toMatchObject({ code: "invalid_input", path: field, message: expect.stringContaining(message) });
      expect(refused.body.error.message, label).toMatch(new RegExp(`^${field}: `));
    }
    // Exactly 1,000 characters is a comment.
    const longest = await postRating(c.token, c.id, { score: 5, comment: "y".repeat(1000) });
    expect(longest.status).toBe(200);
    expect(longest.body.rating.comment).toHaveLength(1000);

    for (const [body, message] of [
      ["{not json", "not valid JSON"],
      ["", "empty"],
      ["[]", "not an array"],
      ["5", "not a number"],
    ] as const) {
      const refused = await changesNothing(() => postRating(c.token, c.id, body));
      expect(refused.status, body).toBe(400);
      expect(refused.body.error.code).toBe("invalid_input");
      expect(refused.body.error.message).toContain(message);
      expect(refused.body.error.path).toBeUndefined();
    }
  });

  it("a bad body is refused before the conversation is looked at: 400 even for someone else's", async () => {
    const c = await conversation({ reply: true, close: true });
    const stranger = await newVisitor();
    const refused = await changesNothing(() => postRating(stranger, c.id, { score: 9 }));
    expect(refused.status).toBe(400);
    expect(refused.body.error.path).toBe("score");
  });

  it("415 for a body not sent as JSON, before anything is read", async () => {
    const c = await conversation({ reply: true, close: true });
    const plain = await changesNothing(() => postRating(c.token, c.id, JSON.stringify({ score: 5 }), { "Content-Type": "text/plain" }));
    expect(plain.status).toBe(415);
    expect(plain.body.error.code).toBe("unsupported_media_type");
    expect(plain.headers.get("accept-post")).toBe("application/json");
    const form = await changesNothing(() => postRating(c.token, c.id, "score=5", { "Content-Type": "application/x-www-form-urlencoded" }));
    expect(form.status).toBe(415);
  });
});

describe("the rating route", () => {
  it("405 with Allow: GET, POST for any other method; a trailing slash is the same route, a deeper path none", async () => {
    const c = await conversation({ reply: true, close: true });
    for (const method of ["PUT", "DELETE", "PATCH"]) {
      const wrong = await changesNothing(() => call(base, path(c.id), { method, token: c.token }));
      expect(wrong.status, method).toBe(405);
      expect(wrong.headers.get("allow")).toBe("GET, POST");
      expect(wrong.body.error.code).toBe("method_not_allowed");
    }
    expect((await call(base, `${path(c.id)}/`, { token: c.token })).status).toBe(200);
    expect((await call(base, `${path(c.id)}/`, { token: c.token, body: { score: 3 } })).status).toBe(200);
    expect((await call(base, `${path(c.id)}/more`, { token: c.token })).status).toBe(404);
  });

  it("passes the per-IP rate limit like every route", async () => {
    const c = await conversation({ reply: true, close: true });
    limitedApi.rateLimiter.reset();
    expect((await getRating(c.token, c.id, limitedBase)).status).toBe(200);
    expect((await postRating(c.token, c.id, { score: 4 }, {}, limitedBase)).status).toBe(200);
    const refused = await changesNothing(() => postRating(c.token, c.id, { score: 1 }, {}, limitedBase));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBeTruthy();
    expect((await getRating(c.token, c.id, limitedBase)).status).toBe(429);
  });
});
