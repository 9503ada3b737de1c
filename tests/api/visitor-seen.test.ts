/**
 * POST /api/conversations/:id/seen in-process: the real handler (server/public-api.ts) on a
 * node:http server, the app's real runtime on a fresh SQLite file seeded like a first start.
 * Each bad input asserts its status, its error body and that visitor_reads did not change; the
 * live event is watched through the LiveEvents service (agents) and a real SSE stream (visitor).
 */
import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../../bench/http-harness.js";
import type { AppRuntime } from "../../runtime/services/app-layer.js";
import { Database } from "../../runtime/services/database.js";
import { Engine } from "../../runtime/services/engine.js";
import { LiveEvents, type LiveEvent } from "../../runtime/services/live-events.js";
import { createPublicApi, type PublicApi } from "../../server/public-api.js";
import { listenPublicApi, startPublicApiApp, type PublicApiApp } from "../support/public-api-server.js";

let app: PublicApiApp;
let runtime: AppRuntime;
let api: PublicApi;
let limitedApi: PublicApi;
let server: Server;
let limitedServer: Server;
let base: string;
let limitedBase: string;
let channelId: string;
let flowId: string;
let adminId: string;
let sqlite: import("better-sqlite3").Database;

beforeAll(async () => {
  app = await startPublicApiApp("seen", { heartbeatMs: 60_000, rateLimitEnabled: false });
  ({ runtime, api, server, base, sqlite, channelId, leadFlowId: flowId } = app);
  // Every route, this one too, passes the per-IP bucket first: two requests, then 429.
  limitedApi = createPublicApi(runtime, {
    rateLimitEnabled: true,
    rateLimits: { ip: { capacity: 2, perSecond: 0.01 }, visitor: { capacity: 100, perSecond: 100 }, visitorCreation: { capacity: 100, perSecond: 100 } },
  });
  ({ server: limitedServer, base: limitedBase } = await listenPublicApi(limitedApi));
  adminId = sqlite.prepare("SELECT id FROM users WHERE role = 'admin' LIMIT 1").pluck().get() as string;
});

afterAll(async () => {
  limitedApi?.close();
  await new Promise<void>((resolve) => (limitedServer ? limitedServer.close(() => resolve()) : resolve()));
  await app?.close();
});

const newVisitor = async (): Promise<string> => {
  const created = await call(base, "/api/visitors", { body: { channel: channelId } });
  expect(created.status).toBe(201);
  return created.body.visitorToken as string;
};

const startConversation = async (token: string) => {
  const started = await call(base, "/api/conversations", { token, body: { channel: channelId, chatflowId: flowId, pageUrl: "https://shop.example/" } });
  expect(started.status).toBe(201);
  return started.body as { conversation: { id: string }; messages: Array<{ id: string }> };
};

const seen = (token: string | undefined, conversationId: string, body: unknown, headers: Record<string, string> = {}, at = base) =>
  call(at, `/api/conversations/${encodeURIComponent(conversationId)}/seen`, { ...(token ? { token } : {}), body, headers });

const stored = (conversationId: string) =>
  sqlite.prepare("SELECT last_seen_message_id AS through, seen_at AS at FROM visitor_reads WHERE conversation_id = ?").get(conversationId) as
    | { through: number; at: number }
    | undefined;
const allReads = () => sqlite.prepare("SELECT * FROM visitor_reads ORDER BY conversation_id").all();

/** Runs `request` and asserts visitor_reads is exactly as it was. */
const changesNothing = async <T>(request: () => Promise<T>): Promise<T> => {
  const before = allReads();
  const result = await request();
  // A write is group-committed on a later turn; give a stray one the chance to land.
  await new Promise((r) => setTimeout(r, 20));
  expect(allReads()).toEqual(before);
  return result;
};

const agentReply = async (conversationId: string, text: string, clientMessageId: string) => {
  const engine = await runtime.runPromise(Engine);
  return runtime.runPromise(engine.replyAsAgent({ conversationId, userId: adminId, text, clientMessageId }));
};

describe("POST /api/conversations/:id/seen", () => {
  it("stores the newest seen message and answers it with the time", async () => {
    const token = await newVisitor();
    const started = await startConversation(token);
    const id = started.conversation.id;
    const last = started.messages[started.messages.length - 1]!.id;
    const before = Date.now();
    const marked = await seen(token, id, { through: last }, { Origin: "https://any.example" });
    expect(marked.status).toBe(200);
    expect(marked.body).toEqual({ seen: { through: last, at: expect.any(String) } });
    expect(marked.headers.get("access-control-allow-origin")).toBe("https://any.example");
    const at = Date.parse(marked.body.seen.at);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(stored(id)).toEqual({ through: Number(last), at });
  });

  it("never moves back: an older or repeated mark is a 200 that answers the stored one", async () => {
    const token = await newVisitor();
    const started = await startConversation(token);
    const id = started.conversation.id;
    const first = started.messages[0]!.id;
    const reply = await agentReply(id, "Hi, Sam here", "seen-r1");
    const newest = await seen(token, id, { through: reply.id });
    expect(newest.status).toBe(200);
    expect(newest.body.seen.through).toBe(reply.id);
    const older = await changesNothing(() => seen(token, id, { through: first }));
    expect(older.status).toBe(200);
    expect(older.body).toEqual(newest.body);
    const again = await changesNothing(() => seen(token, id, { through: reply.id }));
    expect(again.body).toEqual(newest.body);
    expect(stored(id)?.through).toBe(Number(reply.id));
  });

  it("400 at `through` for a message that is not one of this conversation's (another's, an internal comment, none)", async () => {
    const token = await newVisitor();
    const mine = await startConversation(token);
    const other = await startConversation(await newVisitor());
    const engine = await runtime.runPromise(Engine);
    const comment = await runtime.runPromise(
      engine.replyAsAgent({ conversationId: mine.conversation.id, userId: adminId, text: "note", clientMessageId: "seen-n1", internal: true }),
    );
    for (const through of [other.messages[0]!.id, comment.id, "999999999"]) {
      const refused = await changesNothing(() => seen(token, mine.conversation.id, { through }));
      expect(refused.status, through).toBe(400);
      expect(refused.body.error).toMatchObject({ code: "invalid_input", path: "through", message: expect.stringContaining("not a message of this conversation") });
    }
  });

  it("403 for another visitor's conversation and 404 for an unknown one, as on the other conversation routes", async () => {
    const owner = await newVisitor();
    const started = await startConversation(owner);
    const id = started.conversation.id;
    const through = started.messages[0]!.id;
    const stranger = await newVisitor();
    const forbidden = await changesNothing(() => seen(stranger, id, { through }));
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toEqual({ error: { code: "forbidden", message: expect.any(String) } });
    // The same answer the conversation's other routes give that visitor.
    expect((await call(base, `/api/conversations/${id}`, { token: stranger })).status).toBe(403);
    const unknown = await changesNothing(() => seen(owner, "conv_doesnotexist", { through }));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("not_found");
    const anonymous = await changesNothing(() => seen(undefined, id, { through }));
    expect(anonymous.status).toBe(401);
  });

  it("400 with the field's path for a bad body, 415 for one not sent as JSON", async () => {
    const token = await newVisitor();
    const started = await startConversation(token);
    const id = started.conversation.id;
    for (const body of [{}, { through: 68 }, { through: "abc" }, { through: "" }, { through: null }, { through: "1".repeat(19) }]) {
      const refused = await changesNothing(() => seen(token, id, body));
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.error, JSON.stringify(body)).toMatchObject({ code: "invalid_input", path: "through" });
    }
    for (const [body, message] of [
      ["{not json", "not valid JSON"],
      ["", "empty"],
      ["[]", "not an array"],
    ] as const) {
      const refused = await changesNothing(() => seen(token, id, body));
      expect(refused.status, body).toBe(400);
      expect(refused.body.error.code).toBe("invalid_input");
      expect(refused.body.error.message).toContain(message);
      expect(refused.body.error.path).toBeUndefined();
    }
    // Digits the API accepts but past what the store counts exactly: still an answer at `through`.
    const huge = await changesNothing(() => seen(token, id, { through: "1".repeat(18) }));
    expect(huge.status).toBe(400);
    expect(huge.body.error.path).toBe("through");
    const plain = await changesNothing(() => seen(token, id, JSON.stringify({ through: started.messages[0]!.id }), { "Content-Type": "text/plain" }));
    expect(plain.status).toBe(415);
    expect(plain.body.error.code).toBe("unsupported_media_type");
  });

  it("405 with Allow: POST for any other method", async () => {
    const token = await newVisitor();
    const { conversation } = await startConversation(token);
    for (const method of ["GET", "PUT", "DELETE"]) {
      const wrong = await call(base, `/api/conversations/${conversation.id}/seen`, { method, token });
      expect(wrong.status, method).toBe(405);
      expect(wrong.headers.get("allow")).toBe("POST");
      expect(wrong.body.error.code).toBe("method_not_allowed");
    }
    // A trailing slash is the same route; a deeper path is none.
    const through = (await call(base, `/api/conversations/${conversation.id}`, { token })).body.messages[0].id as string;
    expect((await call(base, `/api/conversations/${conversation.id}/seen/`, { token, body: { through } })).status).toBe(200);
    expect((await call(base, `/api/conversations/${conversation.id}/seen/more`, { token, body: { through: "1" } })).status).toBe(404);
  });

  it("passes the per-IP rate limit like every route", async () => {
    const token = await newVisitor();
    const started = await startConversation(token);
    const through = started.messages[0]!.id;
    limitedApi.rateLimiter.reset();
    expect((await seen(token, started.conversation.id, { through }, {}, limitedBase)).status).toBe(200);
    expect((await seen(token, started.conversation.id, { through }, {}, limitedBase)).status).toBe(200);
    const refused = await seen(token, started.conversation.id, { through }, {}, limitedBase);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBeTruthy();
  });
});

// ---------------------------------------------------------------------------------------------

interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

/** Opens an SSE stream and collects its events until aborted. */
const openStream = async (path: string) => {
  const controller = new AbortController();
  const res = await fetch(base + path, { signal: controller.signal });
  const events: SseEvent[] = [];
  let raw = "";
  const done = (async () => {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const text = decoder.decode(value, { stream: true });
        raw += text;
        buffer += text;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = {};
          for (const line of block.split("\n")) {
            const colon = line.indexOf(":");
            const field = line.slice(0, colon);
            if (field === "id" || field === "event" || field === "data") event[field] = line.slice(colon + 1).replace(/^ /, "");
          }
          events.push(event);
        }
      }
    } catch {
      // aborted
    }
  })();
  const waitFor = async (predicate: () => boolean, timeoutMs = 3000) => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out; events so far: ${JSON.stringify(events)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { res, events, raw: () => raw, waitFor, done, abort: () => controller.abort() };
};

describe("who hears of a seen mark", () => {
  it("agents get a conversation event after the commit; the visitor's stream carries nothing of it", async () => {
    const token = await newVisitor();
    const started = await startConversation(token);
    const id = started.conversation.id;
    const reply = await agentReply(id, "Anything else?", "seen-live-1");

    const live = await runtime.runPromise(LiveEvents);
    const agents: Array<{ event: LiveEvent; stored: number | undefined }> = [];
    const off = live.subscribeConversation(id, (event) => agents.push({ event, stored: stored(id)?.through }), { includeInternal: true });
    const stream = await openStream(`/api/conversations/${id}/stream?token=${encodeURIComponent(token)}&lastEventId=${reply.id}`);
    expect(stream.res.status).toBe(200);

    const marked = await seen(token, id, { through: reply.id });
    expect(marked.status).toBe(200);
    const inbox = sqlite.prepare("SELECT inbox_id FROM conversations WHERE id = ?").pluck().get(id) as string;
    const seenEvents = () => agents.filter((a) => a.event.kind === "conversation" && (a.event.data as { change?: unknown }).change === "seen");
    expect(seenEvents()).toEqual([
      {
        event: {
          conversationId: id,
          inboxId: inbox,
          kind: "conversation",
          internal: true,
          data: { change: "seen", through: reply.id, at: Date.parse(marked.body.seen.at) },
        },
        // Published after the commit: a listener already reads the stored mark.
        stored: Number(reply.id),
      },
    ]);

    // A mark that changes nothing is not news.
    expect((await seen(token, id, { through: reply.id })).status).toBe(200);
    expect(seenEvents()).toHaveLength(1);

    // Events reach listeners in publish order: once the later reply is on the stream, the seen
    // event would have been written before it, had the stream carried it.
    const next = await agentReply(id, "Still there?", "seen-live-2");
    await stream.waitFor(() => stream.events.some((e) => e.event === "message" && e.id === next.id));
    expect(stream.events.filter((e) => e.event !== undefined).map((e) => e.event)).toEqual(["message"]);
    expect(stream.raw()).not.toContain("seen");
    off();
    stream.abort();
    await stream.done;
  });
});
