/**
 * The public chat API in-process: the real handler (server/public-api.ts) on a node:http
 * server, the app's real runtime and services, a fresh SQLite file seeded like a first start.
 * Every bad input asserts its status, its error body, AND that nothing was stored.
 */
import { createHmac } from "node:crypto";
import type { Server } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AppRuntime } from "../../runtime/services/app-layer.js";
import { Database } from "../../runtime/services/database.js";
import { Effect } from "effect";
import { Chatflows } from "../../runtime/services/chatflows.js";
import { Reports } from "../../runtime/services/reports.js";
import { encodeTeamHours } from "../../runtime/services/team-hours.js";
import { Workspace } from "../../runtime/services/workspace.js";
import { Engine } from "../../runtime/services/engine.js";
import { defaultFlowDocument } from "../../runtime/services/messenger-settings.js";
import { signVisitorToken } from "../../runtime/services/visitors.js";
import { createPublicApi, type PublicApi } from "../../server/public-api.js";
import { answerFor, call, type Awaiting } from "../../bench/http-harness.js";
import { listenPublicApi, startPublicApiApp, type PublicApiApp } from "../support/public-api-server.js";

let app: PublicApiApp;
let runtime: AppRuntime;
let api: PublicApi;
let server: Server;
let base: string;
let channelId: string;
let flowId: string;
let sqlite: import("better-sqlite3").Database;

beforeAll(async () => {
  app = await startPublicApiApp("api", { heartbeatMs: 150, rateLimitEnabled: false });
  ({ runtime, api, server, base, sqlite, channelId, leadFlowId: flowId } = app);
});

afterAll(async () => {
  await app?.close();
});

const TABLES = ["messages", "conversations", "events", "visitors", "contacts", "tickets"] as const;
const counts = () =>
  Object.fromEntries(TABLES.map((t) => [t, (sqlite.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));

/** Runs `request` and asserts it stored nothing at all. */
const storesNothing = async <T>(request: () => Promise<T>): Promise<T> => {
  const before = counts();
  const result = await request();
  // Writes are group-committed on the next turn; give a stray one the chance to land.
  await new Promise((r) => setTimeout(r, 20));
  expect(counts()).toEqual(before);
  return result;
};

const newVisitor = async (channel = channelId): Promise<string> => {
  const created = await call(base, "/api/visitors", { body: { channel } });
  expect(created.status).toBe(201);
  return created.body.visitorToken as string;
};

const startConversation = async (token: string) => {
  const started = await call(base, "/api/conversations", { token, body: { channel: channelId, chatflowId: flowId, pageUrl: "https://shop.example/" } });
  expect(started.status).toBe(201);
  return started.body as { conversation: { id: string; status: string }; messages: Array<{ id: string; author: string; text: string }>; awaiting: Awaiting | null };
};

describe("a conversation over the API", () => {
  it("runs the lead-qualification flow to its end, idempotent on clientMessageId", async () => {
    const token = await newVisitor();
    const started = await startConversation(token);
    expect(started.conversation.status).toBe("bot");
    expect(started.messages.length).toBeGreaterThan(0);
    expect(started.messages.every((m) => m.author === "bot")).toBe(true);
    expect(started.awaiting?.nodeId).toBe("ask_name");
    const id = started.conversation.id;

    // HTML is text: stored and returned exactly as typed.
    const name = "<b>Ann</b> <script>alert(1)</script>";
    const first = await call(base, `/api/conversations/${id}/messages`, { token, body: { clientMessageId: "m1", text: name } });
    expect(first.status).toBe(200);
    expect(first.body.messages[0]).toMatchObject({ author: "visitor", text: name });
    expect(first.body.awaiting.nodeId).toBe("ask_email");
    expect(sqlite.prepare("SELECT text FROM messages WHERE conversation_id = ? AND client_message_id = 'm1'").pluck().get(id)).toBe(name);

    // A retry with the same clientMessageId answers the same and stores nothing.
    const retry = await storesNothing(() => call(base, `/api/conversations/${id}/messages`, { token, body: { clientMessageId: "m1", text: name } }));
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    // Another text under that id is a client bug: refused, and nothing is stored.
    const reused = await storesNothing(() => call(base, `/api/conversations/${id}/messages`, { token, body: { clientMessageId: "m1", text: "Bob" } }));
    expect(reused.status).toBe(409);
    expect(reused.body).toEqual({ error: { code: "conflict", message: expect.stringContaining("clientMessageId") } });

    let awaiting: Awaiting | null = first.body.awaiting;
    let n = 2;
    while (awaiting) {
      const answered = await call(base, `/api/conversations/${id}/messages`, { token, body: { clientMessageId: `m${n++}`, ...answerFor(awaiting) } });
      expect(answered.status).toBe(200);
      awaiting = answered.body.awaiting;
    }
    const view = await call(base, `/api/conversations/${id}`, { token });
    expect(view.status).toBe(200);
    expect(view.body.awaiting).toBeNull();
    const all = view.body.messages as Array<{ id: string; createdAt: string }>;
    expect(all.length).toBeGreaterThan(started.messages.length);
    expect(all.every((m) => /^\d+$/.test(m.id) && !Number.isNaN(Date.parse(m.createdAt)))).toBe(true);
    const after = await call(base, `/api/conversations/${id}/messages?after=${all[1]!.id}`, { token });
    expect(after.status).toBe(200);
    expect(after.body.messages).toEqual(all.slice(2));
  });

  it("accepts a quick reply as a choice id (or a list of ids)", async () => {
    const token = await newVisitor();
    const { conversation } = await startConversation(token);
    await call(base, `/api/conversations/${conversation.id}/messages`, { token, body: { clientMessageId: "a", text: "Ann" } });
    const email = await call(base, `/api/conversations/${conversation.id}/messages`, { token, body: { clientMessageId: "b", text: "ann@example.com" } });
    const awaiting = email.body.awaiting as Awaiting;
    expect(awaiting.input).toBe("choice");
    const chosen = await call(base, `/api/conversations/${conversation.id}/messages`, { token, body: { clientMessageId: "c", choice: [awaiting.choices![0]!.id] } });
    expect(chosen.status).toBe(200);
    expect(chosen.body.messages[0]).toMatchObject({ author: "visitor", text: awaiting.choices![0]!.label });
  });
});

describe("bad input is refused, and nothing is stored", () => {
  let token: string;
  let otherToken: string;
  let conversationId: string;
  beforeAll(async () => {
    token = await newVisitor();
    otherToken = await newVisitor();
    conversationId = (await startConversation(token)).conversation.id;
  });

  /** Posts a message; `t: null` sends no Authorization header. */
  const send = (body: unknown, t: string | null = token, id = conversationId) =>
    storesNothing(() => call(base, `/api/conversations/${id}/messages`, { ...(t !== null ? { token: t } : {}), body }));

  it("401 without a token, with a malformed one, and with a forged one", async () => {
    const none = await send({ clientMessageId: "x", text: "hi" }, null);
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error: { code: "unauthenticated", message: expect.stringContaining("Bearer") } });
    const garbage = await send({ clientMessageId: "x", text: "hi" }, "garbage");
    expect(garbage.status).toBe(401);
    expect(garbage.body.error.code).toBe("unauthenticated");
    // Right shape, real visitor id, signed with another secret.
    const visitorId = token.split(".")[1]!;
    const forged = await send({ clientMessageId: "x", text: "hi" }, signVisitorToken("y".repeat(64), visitorId));
    expect(forged.status).toBe(401);
    const tampered = await send({ clientMessageId: "x", text: "hi" }, token.slice(0, -1) + (token.endsWith("A") ? "B" : "A"));
    expect(tampered.status).toBe(401);
    const get = await storesNothing(() => call(base, `/api/conversations/${conversationId}`, {}));
    expect(get.status).toBe(401);
  });

  it("403 for someone else's conversation, on every route", async () => {
    const post = await send({ clientMessageId: "x", text: "hi" }, otherToken);
    expect(post.status).toBe(403);
    expect(post.body).toEqual({ error: { code: "forbidden", message: expect.any(String) } });
    expect((await call(base, `/api/conversations/${conversationId}`, { token: otherToken })).status).toBe(403);
    expect((await call(base, `/api/conversations/${conversationId}/messages`, { token: otherToken })).status).toBe(403);
    expect((await call(base, `/api/conversations/${conversationId}/stream?token=${encodeURIComponent(otherToken)}`, {})).status).toBe(403);
  });

  it("404 for an unknown conversation id", async () => {
    const post = await send({ clientMessageId: "x", text: "hi" }, token, "conv_doesnotexist");
    expect(post.status).toBe(404);
    expect(post.body).toEqual({ error: { code: "not_found", message: expect.stringContaining("conv_doesnotexist") } });
    expect((await call(base, "/api/conversations/conv_doesnotexist", { token })).status).toBe(404);
  });

  it("415 for a body not sent as JSON, before the token or the body is looked at", async () => {
    // What fetch sends for a string body when no Content-Type is set.
    const plain = await storesNothing(() =>
      call(base, `/api/conversations/${conversationId}/messages`, {
        token,
        body: { clientMessageId: "x", text: "hi" },
        headers: { "Content-Type": "text/plain;charset=UTF-8" },
      }),
    );
    expect(plain.status).toBe(415);
    expect(plain.body).toEqual({ error: { code: "unsupported_media_type", message: expect.stringContaining("application/json") } });
    const form = await storesNothing(() => call(base, "/api/visitors", { body: `{"channel":"${channelId}"}`, headers: { "Content-Type": "application/x-www-form-urlencoded" } }));
    expect(form.status).toBe(415);
    const none = await storesNothing(() => fetch(`${base}/api/visitors`, { method: "POST", body: new Uint8Array(Buffer.from(`{"channel":"${channelId}"}`)) }));
    expect(none.headers.get("content-type")).toMatch(/^application\/json/);
    expect(none.status).toBe(415);
    // JSON with parameters is JSON.
    const ok = await call(base, "/api/visitors", { body: { channel: channelId }, headers: { "Content-Type": "application/json; charset=utf-8" } });
    expect(ok.status).toBe(201);
  });

  it("400 with one plain message for a body that is JSON but not an object", async () => {
    for (const [body, what] of [["[]", "an array"], ["null", "null"], ["5", "a number"], ['"hi"', "a string"]] as const) {
      const res = await send(body);
      expect(res.status, body).toBe(400);
      expect(res.body, body).toEqual({
        error: { code: "invalid_input", message: `the body must be a JSON object, not ${what}`, issues: [{ path: "", message: `the body must be a JSON object, not ${what}` }] },
      });
    }
  });

  it("401 names the Bearer scheme (WWW-Authenticate)", async () => {
    const none = await call(base, `/api/conversations/${conversationId}`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer /);
  });

  it("400 for malformed JSON and an empty body", async () => {
    const malformed = await send('{"clientMessageId": "x", "text": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatchObject({ code: "invalid_input", message: expect.stringContaining("not valid JSON") });
    const empty = await send("");
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe("invalid_input");
  });

  it("400 with the path for schema violations", async () => {
    const missing = await send({ text: "hi" });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: "invalid_input", path: "clientMessageId" });
    const wrongType = await send({ clientMessageId: "x", choice: 7 });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.path).toBe("choice");
    // One issue that says what a choice is, not one per branch of the union.
    for (const choice of [7, [], [""], ["a", 3], "", Array.from({ length: 51 }, (_, i) => `c${i}`)]) {
      const bad = await send({ clientMessageId: "x", choice });
      expect(bad.status).toBe(400);
      expect(bad.body.error.issues, JSON.stringify(choice)).toEqual([{ path: "choice", message: expect.stringMatching(/^a choice is a choice id, or a list/) }]);
    }
    const wrongText = await send({ clientMessageId: "x", text: 5 });
    expect(wrongText.body.error.issues).toEqual([{ path: "text", message: "Expected string, actual 5" }]);
    const both = await send({ clientMessageId: "x", text: "a", choice: "b" });
    expect(both.status).toBe(400);
    expect(both.body.error.message).toMatch(/either `text` or `choice`/);
    const blank = await send({ clientMessageId: "x", text: "   " });
    expect(blank.status).toBe(400);
    expect(blank.body.error.path).toBe("text");
    const badAfter = await storesNothing(() => call(base, `/api/conversations/${conversationId}/messages?after=abc`, { token }));
    expect(badAfter.status).toBe(400);
    expect(badAfter.body.error.path).toBe("after");
    const badStart = await storesNothing(() => call(base, "/api/conversations", { token, body: { channel: channelId, pageUrl: 5 } }));
    expect(badStart.status).toBe(400);
    expect(badStart.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["chatflowId", "pageUrl"]);
  });

  it("400 with path `text` for text over 4,000 characters (4,000 is fine)", async () => {
    const long = await send({ clientMessageId: "x", text: "a".repeat(4001) });
    expect(long.status).toBe(400);
    expect(long.body.error).toMatchObject({ code: "invalid_input", path: "text", message: expect.stringContaining("4,000") });
    // Exactly one issue: an `undefined` branch of the optional field used to add a second one
    // that repeated all 4,001 characters back.
    expect(long.body.error.issues).toEqual([{ path: "text", message: "a message is at most 4,000 characters" }]);
    expect(JSON.stringify(long.body).length).toBeLessThan(500);
    const exact = await call(base, `/api/conversations/${conversationId}/messages`, { token, body: { clientMessageId: "exact", text: "a".repeat(4000) } });
    expect(exact.status).toBe(200);
  });

  it("413 for a body over 16 KB", async () => {
    const big = await send({ clientMessageId: "x", text: "a", padding: "p".repeat(17 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body).toEqual({ error: { code: "payload_too_large", message: expect.stringContaining("16384") } });
  });

  it("404 for an unknown channel, 403 for a channel that is not the token's", async () => {
    const visitor = await storesNothing(() => call(base, "/api/visitors", { body: { channel: "ch_nope" } }));
    expect(visitor.status).toBe(404);
    expect(visitor.body.error.code).toBe("not_found");
    const config = await storesNothing(() => call(base, "/api/widget/config?channel=ch_nope&url=https%3A%2F%2Fx.example%2F"));
    expect(config.status).toBe(404);
    const noChannel = await call(base, "/api/widget/config");
    expect(noChannel.status).toBe(400);
    expect(noChannel.body.error.path).toBe("channel");
    const other = await storesNothing(() =>
      call(base, "/api/conversations", { token, body: { channel: "ch_nope", chatflowId: flowId, pageUrl: "https://x.example/" } }),
    );
    expect(other.status).toBe(403);
    const unknownFlow = await storesNothing(() =>
      call(base, "/api/conversations", { token, body: { channel: channelId, chatflowId: "cf_nope", pageUrl: "https://x.example/" } }),
    );
    expect(unknownFlow.status).toBe(404);
  });

  it("405 for a wrong method, a JSON 404 for any unknown /api path, and leaves the rest to Remix", async () => {
    const wrong = await call(base, "/api/visitors", { method: "GET" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    expect((await call(base, "/login")).status).toBe(418);
    expect((await call(base, "/apiary")).status).toBe(418);
    // The document promises `not_found` for an unknown /api path; these went to Remix's HTML page.
    for (const path of ["/api/some-remix-route", "/api", "/api/", "/api/conversations/c1/nope", "/api/visitors/nope/more"]) {
      const unknown = await storesNothing(() => call(base, path, { token: "x" }));
      expect(unknown.status, path).toBe(404);
      expect(unknown.body, path).toEqual({ error: { code: "not_found", message: expect.any(String) } });
    }
    const preflight = await fetch(`${base}/api/nope`, { method: "OPTIONS", headers: { Origin: "https://any.example", "Access-Control-Request-Method": "GET" } });
    expect(preflight.status).toBe(204);
    const malformed = await call(base, "/api/conversations/%E0%A4%A", { token });
    expect(malformed.status).toBe(404);
    expect(malformed.body.error.code).toBe("not_found");
  });
});

describe("rate limits", () => {
  let limited: { server: Server; base: string };
  let limitedApi: PublicApi;
  beforeAll(async () => {
    limitedApi = createPublicApi(runtime, {
      rateLimitEnabled: true,
      rateLimits: { ip: { capacity: 1000, perSecond: 1000 }, visitor: { capacity: 3, perSecond: 0.1 }, visitorCreation: { capacity: 2, perSecond: 0.01 } },
    });
    limited = await listenPublicApi(limitedApi);
  });
  afterAll(() => new Promise<void>((resolve) => limited.server.close(() => resolve())));
  beforeEach(() => limitedApi.rateLimiter.reset());

  it("429 with Retry-After per visitor token, storing nothing", async () => {
    const token = (await call(limited.base, "/api/visitors", { body: { channel: channelId } })).body.visitorToken as string;
    const started = await call(limited.base, "/api/conversations", { token, body: { channel: channelId, chatflowId: flowId, pageUrl: "https://x.example/" } });
    expect(started.status).toBe(201);
    const id = started.body.conversation.id as string;
    expect((await call(limited.base, `/api/conversations/${id}`, { token })).status).toBe(200);
    expect((await call(limited.base, `/api/conversations/${id}`, { token })).status).toBe(200);
    const refused = await storesNothing(() => call(limited.base, `/api/conversations/${id}/messages`, { token, body: { clientMessageId: "r", text: "Ann" } }));
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ error: { code: "rate_limited", message: expect.stringContaining("retry in") } });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Another visitor is not affected.
    const other = (await call(limited.base, "/api/visitors", { body: { channel: channelId } })).body.visitorToken as string;
    expect((await call(limited.base, `/api/conversations/${id}`, { token: other })).status).toBe(403);
  });

  it("429 for creating visitors too fast from one IP", async () => {
    expect((await call(limited.base, "/api/visitors", { body: { channel: channelId } })).status).toBe(201);
    expect((await call(limited.base, "/api/visitors", { body: { channel: channelId } })).status).toBe(201);
    const refused = await storesNothing(() => call(limited.base, "/api/visitors", { body: { channel: channelId } }));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBeTruthy();
  });
});

describe("rate limits behind a reverse proxy (TRUST_PROXY=1)", () => {
  let proxied: { server: Server; base: string };
  let proxiedApi: PublicApi;
  beforeAll(async () => {
    proxiedApi = createPublicApi(runtime, {
      rateLimitEnabled: true,
      trustedProxies: 1,
      rateLimits: { ip: { capacity: 1000, perSecond: 1000 }, visitor: { capacity: 100, perSecond: 100 }, visitorCreation: { capacity: 1, perSecond: 0.01 } },
    });
    proxied = await listenPublicApi(proxiedApi);
  });
  afterAll(() => new Promise<void>((resolve) => proxied.server.close(() => resolve())));

  it("limits each visitor behind the proxy by the address the proxy forwarded, not the proxy's own, and ignores forged entries", async () => {
    const from = (forwarded: string) => call(proxied.base, "/api/visitors", { body: { channel: channelId }, headers: { "X-Forwarded-For": forwarded } });
    expect((await from("203.0.113.7")).status).toBe(201);
    // Another visitor behind the same proxy still gets in: the proxy's address is not the key.
    expect((await from("198.51.100.4")).status).toBe(201);
    // The first visitor again, with a forged entry before the one the proxy appended: refused.
    const refused = await storesNothing(() => from("6.6.6.6, 203.0.113.7"));
    expect(refused.status).toBe(429);
  });
});

describe("CORS", () => {
  let shopChannel: string;
  beforeAll(() => {
    const inbox = (sqlite.prepare("SELECT inbox_id FROM channels WHERE id = ?").get(channelId) as { inbox_id: string }).inbox_id;
    shopChannel = "ch_shop_only";
    sqlite
      .prepare("INSERT INTO channels (id, inbox_id, kind, name, config, created_at) VALUES (?, ?, 'chat', 'Shop', ?, ?)")
      .run(shopChannel, inbox, JSON.stringify({ allowedOrigins: ["https://shop.example"] }), Date.now());
  });

  it("echoes an allowed origin (the demo channel lists `*`) and answers preflights", async () => {
    const res = await call(base, `/api/widget/config?channel=${channelId}&url=${encodeURIComponent("https://any.example/")}`, {
      headers: { Origin: "https://any.example" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://any.example");
    expect(res.headers.get("vary")).toContain("Origin");
    const preflight = await fetch(`${base}/api/conversations`, {
      method: "OPTIONS",
      headers: { Origin: "https://any.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://any.example");
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    expect(preflight.headers.get("access-control-allow-methods")).toMatch(/POST/);
  });

  it("allows only the listed origins of a restricted channel", async () => {
    const good = await call(base, "/api/visitors", { body: { channel: shopChannel }, headers: { Origin: "https://shop.example" } });
    expect(good.status).toBe(201);
    expect(good.headers.get("access-control-allow-origin")).toBe("https://shop.example");
    const token = good.body.visitorToken as string;
    const evil = await call(base, "/api/visitors/attributes", { token, body: { attributes: { a: 1 } }, headers: { Origin: "https://evil.example" } });
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    const shop = await call(base, "/api/visitors/attributes", { token, body: { attributes: { a: 1 } }, headers: { Origin: "https://shop.example" } });
    expect(shop.headers.get("access-control-allow-origin")).toBe("https://shop.example");
  });
});

describe("widget config", () => {
  it("answers the contract's shape, taking the device from User-Agent", async () => {
    const res = await call(base, `/api/widget/config?channel=${channelId}&url=${encodeURIComponent("https://shop.example/products")}`, {
      headers: { "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148", "Accept-Language": "en-GB,en;q=0.8" },
    });
    expect(res.status).toBe(200);
    const chatflow = res.body.chatflow;
    expect(chatflow).not.toBeNull();
    expect(chatflow).toMatchObject({
      id: expect.any(String),
      kind: expect.stringMatching(/^(bot|live_chat)$/),
      versionId: expect.any(String),
      language: expect.any(String),
      display: {
        welcomeMessage: expect.any(String),
        popOpen: { mode: expect.any(String) },
        heading: { name: expect.any(String), avatars: expect.any(Array) },
        accentColor: expect.stringMatching(/^#[0-9a-fA-F]{6}$/),
        launcherPosition: expect.stringMatching(/^bottom_(left|right)$/),
      },
      available: expect.any(Boolean),
      opensAt: null,
      closedFor: null,
      closesAt: null,
      specialDay: null,
      awayMessage: expect.any(String),
      awayBehaviour: expect.stringMatching(/^(hide|away_message|collect_email)$/),
      branding: { showPoweredBy: expect.any(Boolean) },
    });
  });

  it("is away on a flow's closed date, and open again when the date is not closed", async () => {
    const page = `https://shop.example/holiday-${Date.now()}`;
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const everyDay = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => ({ day: d, from: "00:00", to: "24:00" }));
    const settings = (closedDates: unknown) => ({
      priority: 0,
      targeting: { show: [{ type: "url", operator: "is", value: page }] },
      availability: { mode: "business_hours", timezone: "UTC", hours: everyDay, closedDates, awayMessage: "Closed for the holiday." },
    });
    const adminId = (sqlite.prepare("SELECT id FROM users WHERE role = 'admin' ORDER BY created_at LIMIT 1").get() as { id: string }).id;
    const publishWith = (closedDates: unknown, id?: string) =>
      runtime.runPromise(
        Effect.gen(function* () {
          const flows = yield* Chatflows;
          const document = { ...defaultFlowDocument("holiday", "Holiday"), settings: settings(closedDates) };
          const flow = id ?? (yield* flows.create({ name: "Holiday", kind: "bot", document, channelId, createdBy: adminId })).id;
          if (id !== undefined) {
            const draft = yield* flows.getDraft(id);
            yield* flows.saveDraft(id, { ...(draft.document as object), settings: settings(closedDates) }, draft.revision);
          }
          yield* flows.publish(flow, adminId);
          yield* flows.setEnabled(flow, true);
          return flow;
        }),
      );
    const config = async () => (await call(base, `/api/widget/config?channel=${channelId}&url=${encodeURIComponent(page)}`)).body.chatflow;
    // Only this flow is on, as in the targeting test below.
    const others = sqlite.prepare("SELECT id, enabled FROM chatflows").all() as Array<{ id: string; enabled: number }>;
    sqlite.prepare("UPDATE chatflows SET enabled = 0").run();
    // Closed yesterday, today and tomorrow (UTC): whatever the clock says during the test, today is closed.
    const flow = await publishWith([day(-1), day(0), day(1)].map((date) => ({ date, name: "Holiday" })));
    try {
      // Back at midnight after the last closed day.
      expect(await config()).toMatchObject({ id: flow, available: false, awayMessage: "Closed for the holiday.", opensAt: `${day(2)}T00:00:00.000Z`, closedFor: "Holiday" });
      await publishWith([{ date: day(-30) }], flow);
      expect(await config()).toMatchObject({ id: flow, available: true, opensAt: null, closedFor: null });
    } finally {
      await runtime.runPromise(Effect.flatMap(Chatflows, (flows) => flows.setEnabled(flow, false)));
      for (const o of others) sqlite.prepare("UPDATE chatflows SET enabled = ? WHERE id = ?").run(o.enabled, o.id);
    }
  });

  it("is away on the workspace's closed dates when the flow follows them, and only then", async () => {
    const page = `https://shop.example/workspace-holiday-${Date.now()}`;
    const today = new Date().toISOString().slice(0, 10);
    const everyDay = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => ({ day: d, from: "00:00", to: "24:00" }));
    const adminId = (sqlite.prepare("SELECT id FROM users WHERE role = 'admin' ORDER BY created_at LIMIT 1").get() as { id: string }).id;
    const publishWith = (workspaceClosedDates: boolean, id?: string) =>
      runtime.runPromise(
        Effect.gen(function* () {
          const flows = yield* Chatflows;
          const settings = {
            targeting: { show: [{ type: "url", operator: "is", value: page }] },
            availability: { mode: "business_hours", timezone: "UTC", hours: everyDay, workspaceClosedDates },
          };
          const flow = id ?? (yield* flows.create({ name: "Workspace holiday", kind: "bot", document: { ...defaultFlowDocument("ws_holiday", "Workspace holiday"), settings }, channelId, createdBy: adminId })).id;
          if (id !== undefined) {
            const draft = yield* flows.getDraft(id);
            yield* flows.saveDraft(id, { ...(draft.document as object), settings }, draft.revision);
          }
          yield* flows.publish(flow, adminId);
          yield* flows.setEnabled(flow, true);
          return flow;
        }),
      );
    const config = async () => (await call(base, `/api/widget/config?channel=${channelId}&url=${encodeURIComponent(page)}`)).body.chatflow;
    // Yesterday, today and tomorrow closed for the workspace (UTC), however long the test takes.
    const days = [-1, 0, 1].map((d) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10));
    await runtime.runPromise(Effect.flatMap(Reports, (r) => Effect.forEach(days, (date) => r.addClosedDate({ date, ...(date === today ? { name: "Team day" } : {}) }))));
    const others = sqlite.prepare("SELECT id, enabled FROM chatflows").all() as Array<{ id: string; enabled: number }>;
    sqlite.prepare("UPDATE chatflows SET enabled = 0").run();
    const flow = await publishWith(true);
    try {
      expect(await config()).toMatchObject({ id: flow, available: false, opensAt: expect.stringMatching(/T00:00:00\.000Z$/) });
      await publishWith(false, flow);
      expect(await config()).toMatchObject({ id: flow, available: true, opensAt: null });
    } finally {
      await runtime.runPromise(Effect.flatMap(Chatflows, (flows) => flows.setEnabled(flow, false)));
      await runtime.runPromise(Effect.flatMap(Reports, (r) => Effect.forEach(days, (date) => r.removeClosedDate(date))));
      for (const o of others) sqlite.prepare("UPDATE chatflows SET enabled = ? WHERE id = ?").run(o.enabled, o.id);
    }
  });

  it("is away while the team a flow follows is closed, with the team's opensAt and closed date, open when the team keeps no hours, and says until when its special hours keep it open today", async () => {
    const stamp = Date.now();
    const page = `https://shop.example/team-hours-${stamp}`;
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const everyDay = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => ({ day: d as "mon", from: "00:00", to: "24:00" }));
    const adminId = (sqlite.prepare("SELECT id FROM users WHERE role = 'admin' ORDER BY created_at LIMIT 1").get() as { id: string }).id;
    const team = await runtime.runPromise(Effect.flatMap(Workspace, (w) => w.createTeam({ name: `Night desk ${stamp}` })));
    // The team's own calendar (written as the admin pages will): open all day, every day, but
    // closed yesterday, today and tomorrow (UTC), whatever the clock says during the test.
    const closedTeam = encodeTeamHours({ source: "own", timezone: "UTC", hours: everyDay, closedDates: [-1, 0, 1].map((d) => ({ date: day(d), name: "Team day", yearly: false })), workspaceClosedDates: false });
    sqlite.prepare("UPDATE teams SET hours = ? WHERE id = ?").run(closedTeam, team.id);
    const flow = await runtime.runPromise(
      Effect.gen(function* () {
        const flows = yield* Chatflows;
        // The flow's own hours would keep it open: following the team, they are not read.
        const settings = {
          priority: 0,
          targeting: { show: [{ type: "url", operator: "is", value: page }] },
          availability: { mode: "team", teamId: team.id, timezone: "UTC", hours: everyDay, awayMessage: "The night desk is off today.", awayBehaviour: "collect_email" },
        };
        const created = yield* flows.create({ name: `Follows a team ${stamp}`, kind: "bot", document: { ...defaultFlowDocument(`team_${stamp}`, "Follows a team"), settings }, channelId, createdBy: adminId });
        yield* flows.publish(created.id, adminId);
        yield* flows.setEnabled(created.id, true);
        return created.id;
      }),
    );
    const config = async () => (await call(base, `/api/widget/config?channel=${channelId}&url=${encodeURIComponent(page)}`)).body.chatflow;
    const others = sqlite.prepare("SELECT id, enabled FROM chatflows WHERE id != ?").all(flow) as Array<{ id: string; enabled: number }>;
    sqlite.prepare("UPDATE chatflows SET enabled = 0 WHERE id != ?").run(flow);
    try {
      expect(await config()).toMatchObject({
        id: flow,
        available: false,
        opensAt: `${day(2)}T00:00:00.000Z`,
        closedFor: "Team day",
        awayMessage: "The night desk is off today.",
        awayBehaviour: "collect_email",
      });
      // The team's hours changed, the flow not published again: the widget follows at once.
      sqlite.prepare("UPDATE teams SET hours = ? WHERE id = ?").run(encodeTeamHours({ source: "none" }), team.id);
      expect(await config()).toMatchObject({ id: flow, available: true, opensAt: null, closedFor: null, closesAt: null, specialDay: null });
      // Special hours on those days until 23:59 (decision 053): open, and until when today, on the team's clock.
      const shortDays = [-1, 0, 1].map((d) => ({ date: day(d), name: "Christmas Eve", yearly: false, hours: [{ from: "00:00", to: "23:59" }] }));
      sqlite.prepare("UPDATE teams SET hours = ? WHERE id = ?").run(encodeTeamHours({ source: "own", timezone: "UTC", hours: everyDay, closedDates: shortDays, workspaceClosedDates: false }), team.id);
      expect(await config()).toMatchObject({ id: flow, available: true, opensAt: null, closedFor: null, closesAt: expect.stringMatching(/T23:59:00\.000Z$/), specialDay: "Christmas Eve" });
      // Its weekly hours only: nothing closes today.
      sqlite.prepare("UPDATE teams SET hours = ? WHERE id = ?").run(encodeTeamHours({ source: "own", timezone: "UTC", hours: everyDay, closedDates: [], workspaceClosedDates: false }), team.id);
      expect(await config()).toMatchObject({ id: flow, available: true, closesAt: null, specialDay: null });
    } finally {
      await runtime.runPromise(Effect.flatMap(Chatflows, (flows) => flows.setEnabled(flow, false)));
      for (const o of others) sqlite.prepare("UPDATE chatflows SET enabled = ? WHERE id = ?").run(o.enabled, o.id);
    }
  });

  it("follows targeting: no chatflow on a page every flow hides", async () => {
    // Disable every flow but lead qualification, whose hide rule covers /pricing.
    const others = sqlite.prepare("SELECT id, enabled FROM chatflows WHERE id != ?").all(flowId) as Array<{ id: string; enabled: number }>;
    sqlite.prepare("UPDATE chatflows SET enabled = 0 WHERE id != ?").run(flowId);
    try {
      const shown = await call(base, `/api/widget/config?channel=${channelId}&url=${encodeURIComponent("https://shop.example/")}`);
      expect(shown.body.chatflow?.id).toBe(flowId);
      expect(shown.body.chatflow.display.heading.name).toBe("Parley Sales");
      const hidden = await call(base, `/api/widget/config?channel=${channelId}&url=${encodeURIComponent("https://shop.example/pricing")}`);
      expect(hidden.body).toEqual({ chatflow: null });
    } finally {
      for (const o of others) sqlite.prepare("UPDATE chatflows SET enabled = ? WHERE id = ?").run(o.enabled, o.id);
    }
  });
});

describe("visitors: identify, attributes, away messages", () => {
  it("identify verifies the HMAC and only then links a contact", async () => {
    const token = await newVisitor();
    const secret = sqlite.prepare("SELECT identity_secret FROM channels WHERE id = ?").pluck().get(channelId) as string | null;
    const wrong = await storesNothing(() => call(base, "/api/visitors/identify", { token, body: { email: "zoe@example.com", hash: "0".repeat(64) } }));
    expect(wrong.status).toBe(200);
    expect(wrong.body).toEqual({ verified: false, reason: expect.any(String) });
    const bad = await storesNothing(() => call(base, "/api/visitors/identify", { token, body: { email: "not-an-email", hash: "x" } }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.path).toBe("email");
    if (secret) {
      const hash = createHmac("sha256", secret).update("zoe@example.com").digest("hex");
      const ok = await call(base, "/api/visitors/identify", { token, body: { email: "zoe@example.com", name: "Zoe", hash } });
      expect(ok.body).toEqual({ verified: true });
      expect(sqlite.prepare("SELECT count(*) FROM contacts WHERE email = 'zoe@example.com'").pluck().get()).toBe(1);
    }
  });

  it("attributes are validated with their path", async () => {
    const token = await newVisitor();
    const ok = await call(base, "/api/visitors/attributes", { token, body: { attributes: { plan: "pro", seats: 3, trial: false } } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ ok: true });
    const bad = await storesNothing(() => call(base, "/api/visitors/attributes", { token, body: { attributes: { plan: { nested: true } } } }));
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ path: "attributes.plan", message: expect.stringContaining("string, a finite number or a boolean") });
    // A name outside the documented pattern is refused with its path; it was dropped silently
    // (with `{"ok":true}`) while the good names beside it were stored.
    const attributesOf = () => sqlite.prepare("SELECT attributes FROM visitors WHERE id = ?").pluck().get(token.split(".")[1]!);
    const stored = attributesOf();
    const badName = await storesNothing(() => call(base, "/api/visitors/attributes", { token, body: { attributes: { "9lives": 1, "has space": 2, fine: 3 } } }));
    expect(badName.status).toBe(400);
    expect(badName.body.error).toMatchObject({ code: "invalid_input", path: "attributes.9lives", message: expect.stringContaining("attribute name") });
    expect(badName.body.error.issues.map((i: { path: string }) => i.path)).toEqual(["attributes.9lives", "attributes.has space"]);
    expect(attributesOf()).toBe(stored);
    const notObject = await storesNothing(() => call(base, "/api/visitors/attributes", { token, body: { attributes: [] } }));
    expect(notObject.body.error).toMatchObject({ path: "attributes", message: "attributes: expected a JSON object of name → value" });
    const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]));
    const over = await storesNothing(() => call(base, "/api/visitors/attributes", { token, body: { attributes: tooMany } }));
    expect(over.status).toBe(400);
  });

  it("an away message opens a conversation and a ticket", async () => {
    const token = await newVisitor();
    const before = counts();
    const res = await call(base, "/api/away-messages", {
      token,
      body: { channel: channelId, chatflowId: flowId, email: "max@example.com", text: "Call me back", pageUrl: "https://shop.example/" },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ conversation: { id: expect.any(String), status: "open" } });
    const after = counts();
    expect(after.conversations).toBe(before.conversations + 1);
    expect(after.tickets).toBe(before.tickets + 1);
    const bad = await storesNothing(() =>
      call(base, "/api/away-messages", { token, body: { channel: channelId, chatflowId: flowId, email: "max@example.com", text: "x".repeat(4001), pageUrl: "" } }),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.path).toBe("text");
  });
});

// ---------------------------------------------------------------------------------------------
// Server-sent events

interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Opens an SSE stream and collects parsed events until closed. */
const openStream = async (path: string, headers: Record<string, string> = {}) => {
  const controller = new AbortController();
  const res = await fetch(base + path, { headers, signal: controller.signal });
  const events: SseEvent[] = [];
  let ended = false;
  const done = (async () => {
    if (!res.body) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = {};
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) event.comment = line.slice(1).trim();
            else {
              const colon = line.indexOf(":");
              const field = line.slice(0, colon);
              const value = line.slice(colon + 1).replace(/^ /, "");
              if (field === "id" || field === "event" || field === "data") event[field] = value;
            }
          }
          events.push(event);
        }
      }
    } catch {
      // aborted
    }
    ended = true;
  })();
  const waitFor = async (predicate: (events: SseEvent[]) => boolean, timeoutMs = 3000) => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(events)) {
      if (Date.now() > deadline) throw new Error(`timed out; events so far: ${JSON.stringify(events)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { res, events, waitFor, done, ended: () => ended, abort: () => controller.abort() };
};

describe("the SSE stream", () => {
  it("delivers agent replies and status changes live, never internal comments", async () => {
    const token = await newVisitor();
    const started = await startConversation(token);
    const id = started.conversation.id;
    const lastId = started.messages[started.messages.length - 1]!.id;
    const stream = await openStream(`/api/conversations/${id}/stream?token=${encodeURIComponent(token)}&lastEventId=${lastId}`, {
      Origin: "https://any.example",
    });
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(stream.res.headers.get("access-control-allow-origin")).toBe("https://any.example");

    const admin = sqlite.prepare("SELECT id FROM users WHERE role = 'admin' LIMIT 1").pluck().get() as string;
    const engine = await runtime.runPromise(Engine);
    await runtime.runPromise(engine.replyAsAgent({ conversationId: id, userId: admin, text: "secret note", clientMessageId: "n1", internal: true }));
    const reply = await runtime.runPromise(engine.replyAsAgent({ conversationId: id, userId: admin, text: "Hi, Sam here", clientMessageId: "r1" }));
    await stream.waitFor((events) => events.some((e) => e.event === "message" && e.id === reply.id));
    const messages = stream.events.filter((e) => e.event === "message");
    expect(messages.map((e) => JSON.parse(e.data!).text)).toEqual(["Hi, Sam here"]);
    const data = JSON.parse(messages[0]!.data!);
    expect(Object.keys(data).sort()).toEqual(["author", "createdAt", "id", "text"]);
    expect(data.author).toBe("agent");
    // The agent took the conversation over: a status event follows.
    await stream.waitFor((events) => events.some((e) => e.event === "status"));
    expect(JSON.parse(stream.events.find((e) => e.event === "status")!.data!)).toEqual({ status: expect.any(String) });
    // Heartbeats are comments (150 ms in this test; 15 s by default).
    await stream.waitFor((events) => events.some((e) => e.comment === "heartbeat"));
    expect(stream.events.some((e) => e.data?.includes("secret note"))).toBe(false);
    stream.abort();
    await stream.done;
  });

  it("resumes after Last-Event-ID with the stored messages, each once, then live ones", async () => {
    const token = await newVisitor();
    const started = await startConversation(token);
    const id = started.conversation.id;
    const firstId = started.messages[0]!.id;
    await call(base, `/api/conversations/${id}/messages`, { token, body: { clientMessageId: "x1", text: "Ann" } });
    const stored = (await call(base, `/api/conversations/${id}/messages?after=${firstId}`, { token })).body.messages as Array<{ id: string }>;
    expect(stored.length).toBeGreaterThan(1);

    const stream = await openStream(`/api/conversations/${id}/stream`, { Authorization: `Bearer ${token}`, "Last-Event-ID": firstId });
    expect(stream.res.status).toBe(200);
    await stream.waitFor((events) => events.filter((e) => e.event === "message").length >= stored.length);
    // A live message arrives after the backlog, and nothing is sent twice.
    const live = await call(base, `/api/conversations/${id}/messages`, { token, body: { clientMessageId: "x2", text: "ann@example.com" } });
    const liveIds = (live.body.messages as Array<{ id: string }>).map((m) => m.id);
    await stream.waitFor((events) => liveIds.every((lid) => events.some((e) => e.id === lid)));
    const ids = stream.events.filter((e) => e.event === "message").map((e) => e.id!);
    expect(ids).toEqual([...stored.map((m) => m.id), ...liveIds]);
    expect(new Set(ids).size).toBe(ids.length);

    // close() ends every stream (graceful shutdown).
    expect(api.streamCount()).toBeGreaterThanOrEqual(1);
    api.close();
    await stream.done;
    expect(stream.ended()).toBe(true);
    expect(api.streamCount()).toBe(0);
  });

  it("400 for a lastEventId that is not a message id; 401 without a token", async () => {
    const token = await newVisitor();
    const { conversation } = await startConversation(token);
    const bad = await call(base, `/api/conversations/${conversation.id}/stream?token=${encodeURIComponent(token)}&lastEventId=x`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.path).toBe("lastEventId");
    // The header is named as sent, so a developer knows which of the two to fix.
    const badHeader = await call(base, `/api/conversations/${conversation.id}/stream`, { token, headers: { "Last-Event-ID": "abc" } });
    expect(badHeader.status).toBe(400);
    expect(badHeader.body.error.path).toBe("Last-Event-ID");
    expect((await call(base, `/api/conversations/${conversation.id}/stream`)).status).toBe(401);
  });
});

describe("durability", () => {
  it("the server's connection runs with synchronous=FULL and WAL", () => {
    expect(sqlite.pragma("synchronous", { simple: true })).toBe(2);
    expect(sqlite.pragma("journal_mode", { simple: true })).toBe("wal");
  });
});
