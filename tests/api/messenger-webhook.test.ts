/**
 * A Messenger channel end to end, in-process: the real webhook handler (server/channel-routes.ts
 * → server/messenger-webhook.ts) on node:http, the app's real runtime on a fresh SQLite file,
 * and a local node:http server standing in for the Graph API's Send endpoint (MESSENGER_GRAPH_URL
 * points at it), which records every request (and what it answered) and fails on demand; it also
 * serves the files visitors send, standing in for Meta's CDN (GET /files/<name>), and a second
 * local server on another origin records whether anything was fetched from it. Bad input asserts
 * its status, its error body AND that nothing was stored.
 */
import { Effect, Either } from "effect";
import { setTimeout as sleep } from "node:timers/promises";
import { rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AppRuntime } from "../../runtime/services/app-layer.js";
import { Channels } from "../../runtime/services/channels.js";
import type { Sqlite } from "../../runtime/services/database.js";
import { Deliveries } from "../../runtime/services/deliveries.js";
import { Chatflows } from "../../runtime/services/chatflows.js";
import { Engine } from "../../runtime/services/engine.js";
import { InvalidInput } from "../../runtime/services/errors.js";
import { MessengerChannel } from "../../runtime/services/messenger-channel.js";
import { signBody } from "../../runtime/services/messenger-events.js";
import { defaultFlowDocument } from "../../runtime/services/messenger-settings.js";
import { action as settingsAction, loader as settingsLoader } from "../../app/routes/settings.channels.messenger.$id.js";
import { sessionCookieHeader } from "../../app/session.server.js";
import { Accounts } from "../../runtime/services/accounts.js";
import { attachmentForActor } from "../../runtime/services/attachments.js";
import { Inbox } from "../../runtime/services/inbox.js";
import { LiveEvents } from "../../runtime/services/live-events.js";
import { messengerFetchFiles } from "../../runtime/services/messenger-files.js";
import { createChannelRoutes } from "../../server/channel-routes.js";
import { startTestApp } from "../support/test-app.js";

const PAGE_ID = "104512345678901";
const APP_SECRET = "0123456789abcdef0123456789abcdef";
const PAGE_TOKEN = "EAAtestpagetoken1234567890abcdefXYZ";

let dir: string;
let runtime: AppRuntime;
let sqlite: Sqlite;
let server: Server;
let base: string;
let adminId: string;
let inboxId: string;
let channelId: string;
let defaultFlowId: string;

// ---- the fake Graph API ----

interface GraphRequest {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: {
    recipient: { id: string };
    messaging_type: string;
    tag?: string;
    message: { text: string; quick_replies?: Array<{ content_type: string; title: string; payload: string }> };
  };
  /** The status the fake answered with. */
  readonly status: number;
}
let graph: Server;
let graphBase: string;
const graphRequests: GraphRequest[] = [];
/** Answers for the next Send API calls, first first; when empty, 200 with a new message_id. */
const graphAnswers: Array<{ status: number; body: unknown }> = [];
let graphCount = 0;

const readAll = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });

/** A file the fake CDN serves at /files/<name>: its bytes, or a status, a redirect, a pause, a declared or streamed size. */
interface ServedFile {
  readonly status?: number;
  readonly type?: string;
  readonly body?: Buffer;
  /** Sent as Content-Length, with only a few bytes after it (the client should not read on). */
  readonly declaredLength?: number;
  /** Sent chunked (no Content-Length), this many bytes. */
  readonly streamBytes?: number;
  readonly redirect?: string;
  readonly delayMs?: number;
}
const cdnFiles = new Map<string, ServedFile>();
/** The paths of every file request the fake CDN received. */
const cdnRequests: string[] = [];
/** How many file requests the fake CDN is answering now, and the most at once. */
const cdnLoad = { now: 0, most: 0 };
let graphOrigin: string;
const cdnUrl = (name: string) => `${graphOrigin}/files/${name}`;

const serveFile = async (path: string, req: IncomingMessage, res: import("node:http").ServerResponse) => {
  cdnRequests.push(path);
  cdnLoad.now += 1;
  cdnLoad.most = Math.max(cdnLoad.most, cdnLoad.now);
  res.on("close", () => (cdnLoad.now -= 1));
  const file = cdnFiles.get(decodeURIComponent(path.slice("/files/".length)));
  if (file?.delayMs) await sleep(file.delayMs);
  if (!file) {
    res.writeHead(404, { "Content-Type": "text/plain" }).end("Not Found");
    return;
  }
  if (file.redirect !== undefined) {
    res.writeHead(302, { Location: file.redirect }).end();
    return;
  }
  // A client that stops reading closes the socket: stop writing then.
  req.socket.on("close", () => res.destroy());
  const type = file.type ?? "application/octet-stream";
  if (file.declaredLength !== undefined) {
    res.writeHead(200, { "Content-Type": type, "Content-Length": String(file.declaredLength) });
    res.write(Buffer.alloc(1024));
    return;
  }
  if (file.streamBytes !== undefined) {
    res.writeHead(200, { "Content-Type": type });
    const chunk = Buffer.alloc(256 * 1024, 7);
    for (let sent = 0; sent < file.streamBytes && !res.destroyed; sent += chunk.length) {
      if (!res.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off("drain", done).off("close", done);
            resolve();
          };
          res.on("drain", done).on("close", done);
        });
      }
    }
    res.end();
    return;
  }
  res.writeHead(file.status ?? 200, { "Content-Type": type }).end(file.body ?? Buffer.alloc(0));
};

/** Another origin (another port on loopback): plain http there is never fetched. */
let elsewhere: Server;
let elsewhereBase: string;
const elsewhereRequests: string[] = [];

const startGraph = async () => {
  graph = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://graph.local");
    if (req.method === "GET" && url.pathname.startsWith("/files/")) return serveFile(url.pathname, req, res);
    const text = await readAll(req);
    const next = graphAnswers.shift() ?? { status: 200, body: { recipient_id: "x", message_id: `m_out_${++graphCount}` } };
    graphRequests.push({ path: url.pathname, query: url.searchParams, body: JSON.parse(text) as GraphRequest["body"], status: next.status });
    res.statusCode = next.status;
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify(next.body));
  });
  await new Promise<void>((resolve) => graph.listen(0, "127.0.0.1", resolve));
  graphOrigin = `http://127.0.0.1:${(graph.address() as AddressInfo).port}`;
  graphBase = `${graphOrigin}/v21.0`;
  elsewhere = createServer((req, res) => {
    elsewhereRequests.push(req.url ?? "/");
    res.writeHead(200, { "Content-Type": "image/jpeg" }).end(Buffer.from("not to be fetched"));
  });
  await new Promise<void>((resolve) => elsewhere.listen(0, "127.0.0.1", resolve));
  elsewhereBase = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
};

// ---- helpers ----

const messenger = () => runtime.runPromise(MessengerChannel);
const deliveries = () => runtime.runPromise(Deliveries);
const runDue = async () => (await deliveries()).runDue().pipe(Effect.runPromise);

const TABLES = ["messages", "conversations", "events", "visitors", "channel_identities", "external_messages", "deliveries"] as const;
const counts = () => Object.fromEntries(TABLES.map((t) => [t, (sqlite.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));
/** Runs `request` and asserts it stored nothing at all. */
const storesNothing = async <T>(request: () => Promise<T>): Promise<T> => {
  const before = counts();
  const result = await request();
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(counts()).toEqual(before);
  return result;
};

let midCounter = 0;
const newMid = () => `m_test_${++midCounter}_${"x".repeat(60)}`;

type Incoming = {
  psid: string;
  mid?: string;
  text?: string;
  quickReply?: string;
  attachments?: Array<{ type: string; payload?: Record<string, unknown> }>;
  isEcho?: boolean;
  pageId?: string;
};
const webhookBody = (...messages: Incoming[]) => ({
  object: "page",
  entry: [
    {
      id: messages[0]?.pageId ?? PAGE_ID,
      time: Date.now(),
      messaging: messages.map((m) => ({
        sender: { id: m.psid },
        recipient: { id: m.pageId ?? PAGE_ID },
        timestamp: Date.now(),
        message: {
          mid: m.mid ?? newMid(),
          ...(m.text !== undefined ? { text: m.text } : {}),
          ...(m.quickReply !== undefined ? { quick_reply: { payload: m.quickReply } } : {}),
          ...(m.attachments ? { attachments: m.attachments } : {}),
          ...(m.isEcho ? { is_echo: true } : {}),
        },
      })),
    },
  ],
});

const post = async (body: unknown, options: { signature?: string | null; raw?: string; channel?: string } = {}) => {
  const text = options.raw ?? JSON.stringify(body);
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  const signature = options.signature === undefined ? signBody(text, APP_SECRET) : options.signature;
  if (signature !== null) headers["X-Hub-Signature-256"] = signature;
  const response = await fetch(`${base}/api/messenger/${options.channel ?? channelId}/webhook`, { method: "POST", headers, body: text });
  const answer = (await response.json()) as Record<string, unknown> & { error?: { code: string; message: string; path?: string } };
  return { status: response.status, body: answer };
};

const send = async (...messages: Incoming[]) => {
  const result = await post(webhookBody(...messages));
  expect(result.status).toBe(200);
  return result.body as { ok: true; stored: number; duplicates: number };
};

const visitorConversations = (psid: string) =>
  sqlite
    .prepare(
      `SELECT c.id, c.status, c.chatflow_id FROM conversations c JOIN channel_identities ci ON ci.visitor_id = c.visitor_id AND ci.channel_id = c.channel_id
        WHERE ci.external_id = ? AND ci.channel_id = ? ORDER BY c.created_at, c.rowid`,
    )
    .all(psid, channelId) as Array<{ id: string; status: string; chatflow_id: string | null }>;

const transcript = (conversationId: string) =>
  (sqlite.prepare("SELECT author, text FROM messages WHERE conversation_id = ? AND is_internal = 0 ORDER BY id").all(conversationId) as Array<{ author: string; text: string }>).map(
    (m) => `${m.author}: ${m.text}`,
  );

const outbox = (conversationId: string) =>
  sqlite
    .prepare("SELECT d.status, d.attempts, d.last_error, m.text FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE d.conversation_id = ? ORDER BY d.message_id")
    .all(conversationId) as Array<{ status: string; attempts: number; last_error: string | null; text: string }>;

let replyCount = 0;
const agentReply = (conversationId: string, text: string) =>
  runtime.runPromise(Effect.flatMap(Engine, (e) => e.replyAsAgent({ conversationId, userId: adminId, text, clientMessageId: `agent-${++replyCount}` })));

// ---- set-up ----

beforeAll(async () => {
  await startGraph();
  // The tests run the outbox's passes themselves.
  const app = await startTestApp("messenger", { PUBLIC_URL: "https://parley.example.com", MESSENGER_GRAPH_URL: graphBase });
  ({ dir, runtime, sqlite } = app);
  adminId = (sqlite.prepare("SELECT id FROM users WHERE role = 'admin' LIMIT 1").get() as { id: string }).id;
  inboxId = (sqlite.prepare("SELECT id FROM inboxes ORDER BY created_at LIMIT 1").get() as { id: string }).id;
  channelId = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "messenger", name: "Our page", inboxId })))).id;
  const saved = await runtime.runPromise(
    Effect.flatMap(MessengerChannel, (m) => m.saveSettings(channelId, { pageId: PAGE_ID, appSecret: APP_SECRET, pageAccessToken: PAGE_TOKEN, chatflowId: "" }, adminId)),
  );
  defaultFlowId = saved.createdChatflowId!;
  const routes = createChannelRoutes(runtime);
  server = createServer((req, res) => {
    if (!routes.handle(req, res)) {
      res.statusCode = 418;
      res.end("not a channel route");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await new Promise<void>((resolve) => (graph ? graph.close(() => resolve()) : resolve()));
  await new Promise<void>((resolve) => (elsewhere ? elsewhere.close(() => resolve()) : resolve()));
  await runtime?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  // Earlier tests' leftovers (a failed or waiting send) must not be sent in this one.
  sqlite.prepare("UPDATE deliveries SET status = 'failed' WHERE status = 'pending'").run();
  graphRequests.length = 0;
  graphAnswers.length = 0;
});

// ---- tests ----

describe("settings", () => {
  it("connecting the page created, published and switched on a default bot that answers new conversations", async () => {
    const settings = await (await messenger()).settings(channelId).pipe(Effect.runPromise);
    expect(settings).toMatchObject({
      connected: true,
      pageId: PAGE_ID,
      appSecret: { configured: true, hint: APP_SECRET.slice(-4) },
      pageAccessToken: { configured: true, hint: PAGE_TOKEN.slice(-4) },
      webhookUrl: `https://parley.example.com/api/messenger/${channelId}/webhook`,
      chatflowId: defaultFlowId,
    });
    expect(settings.verifyToken.length).toBeGreaterThanOrEqual(24);
    expect(JSON.stringify(settings)).not.toContain(APP_SECRET);
    expect(JSON.stringify(settings)).not.toContain(PAGE_TOKEN);
    expect(settings.chatflows).toEqual([{ id: defaultFlowId, name: "Our page bot", live: true }]);
  });

  it("keeps stored secrets when their fields are empty, never makes a second default bot, and refuses bad fields by path", async () => {
    const m = await messenger();
    const before = (await m.settings(channelId).pipe(Effect.runPromise)).verifyToken;
    const flows = () => (sqlite.prepare("SELECT count(*) AS n FROM chatflows WHERE channel_id = ?").get(channelId) as { n: number }).n;
    const flowCount = flows();
    const again = await m.saveSettings(channelId, { pageId: PAGE_ID, appSecret: "", pageAccessToken: "", chatflowId: defaultFlowId }, adminId).pipe(Effect.runPromise);
    expect(again.createdChatflowId).toBeNull();
    expect(again.settings).toMatchObject({ verifyToken: before, appSecret: { hint: APP_SECRET.slice(-4) }, pageAccessToken: { hint: PAGE_TOKEN.slice(-4) } });
    expect(flows()).toBe(flowCount);

    const stored = () => sqlite.prepare("SELECT config FROM channels WHERE id = ?").get(channelId);
    const unchanged = stored();
    const refused = await Promise.all(
      [
        { pageId: "my page", appSecret: "", pageAccessToken: "", chatflowId: "" },
        { pageId: PAGE_ID, appSecret: "not-hex", pageAccessToken: "", chatflowId: "" },
        { pageId: PAGE_ID, appSecret: "", pageAccessToken: "has spaces in it, which tokens never do", chatflowId: "" },
        { pageId: PAGE_ID, appSecret: "", pageAccessToken: "", chatflowId: "flow_of_another_channel" },
        { pageId: "", appSecret: "", pageAccessToken: "", chatflowId: "" },
        { pageId: 42 },
      ].map((input) => m.saveSettings(channelId, input, adminId).pipe(Effect.either, Effect.runPromise)),
    );
    expect(refused.map((r) => Either.isLeft(r) && r.left instanceof InvalidInput && r.left.issues[0]!.path)).toEqual([
      "pageId",
      "appSecret",
      "pageAccessToken",
      "chatflowId",
      "pageId",
      "pageId",
    ]);
    expect(stored()).toEqual(unchanged);
  });

  it("a channel saved for the first time without its secrets is told which are missing", async () => {
    const fresh = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "messenger", name: "Second page", inboxId })))).id;
    const m = await messenger();
    const refused = await m.saveSettings(fresh, { pageId: PAGE_ID, appSecret: "", pageAccessToken: "", chatflowId: "" }).pipe(Effect.either, Effect.runPromise);
    expect(Either.isLeft(refused) && refused.left instanceof InvalidInput && refused.left.issues.map((i) => i.path)).toEqual(["appSecret", "pageAccessToken"]);
    const all = await m.saveSettings(fresh, { pageId: "my page", appSecret: "", pageAccessToken: "", chatflowId: "" }).pipe(Effect.either, Effect.runPromise);
    expect(Either.isLeft(all) && all.left instanceof InvalidInput && all.left.issues.map((i) => i.path)).toEqual(["pageId", "appSecret", "pageAccessToken"]);
    expect((sqlite.prepare("SELECT count(*) AS n FROM chatflows WHERE channel_id = ?").get(fresh) as { n: number }).n).toBe(0);
    const wrongKind = await m.settings((sqlite.prepare("SELECT id FROM channels WHERE kind = 'chat' LIMIT 1").get() as { id: string }).id).pipe(Effect.either, Effect.runPromise);
    expect(Either.isLeft(wrongKind) && wrongKind.left._tag).toBe("NotFound");
  });
});

describe("the verification handshake", () => {
  it("echoes the challenge as text for the channel's verify token, and refuses any other", async () => {
    const token = (await (await messenger()).settings(channelId).pipe(Effect.runPromise)).verifyToken;
    const url = (t: string, id = channelId) =>
      `${base}/api/messenger/${id}/webhook?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(t)}&hub.challenge=1158201444`;
    const good = await fetch(url(token));
    expect(good.status).toBe(200);
    expect(good.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await good.text()).toBe("1158201444");

    const bad = await fetch(url(token + "x"));
    expect(bad.status).toBe(403);
    expect(await bad.json()).toEqual({ error: { code: "forbidden", message: "the verify token does not match this channel's" } });

    const noMode = await fetch(`${base}/api/messenger/${channelId}/webhook?hub.verify_token=${token}&hub.challenge=1`);
    expect(noMode.status).toBe(403);
    const unknown = await fetch(url(token, "chan_nope"));
    expect(unknown.status).toBe(404);
    const other = await fetch(`${base}/api/messenger/${channelId}/elsewhere`);
    expect(other.status).toBe(404);
    const put = await fetch(`${base}/api/messenger/${channelId}/webhook`, { method: "PUT" });
    expect(put.status).toBe(405);
  });
});

describe("refused webhook calls store nothing", () => {
  it("answers 401 without a signature and 403 with a wrong one", async () => {
    const body = webhookBody({ psid: "psid-sig", text: "hello" });
    const missing = await storesNothing(() => post(body, { signature: null }));
    expect(missing.status).toBe(401);
    expect(missing.body.error?.code).toBe("unauthenticated");
    const wrong = await storesNothing(() => post(body, { signature: signBody(JSON.stringify(body), "f".repeat(32)) }));
    expect(wrong.status).toBe(403);
    const garbled = await storesNothing(() => post(body, { signature: "sha1=abc" }));
    expect(garbled.status).toBe(403);
    // A signature over other bytes than the ones sent (one space more) is refused too.
    const tampered = await storesNothing(() => post(body, { raw: JSON.stringify(body) + " ", signature: signBody(JSON.stringify(body), APP_SECRET) }));
    expect(tampered.status).toBe(403);
  });

  it("answers 400 with the path for bad JSON and bad shapes", async () => {
    const notJson = await storesNothing(() => post(null, { raw: "{not json" }));
    expect(notJson.status).toBe(400);
    expect(notJson.body.error?.message).toMatch(/not valid JSON/);

    const user = await storesNothing(() => post({ object: "user", entry: [] }));
    expect(user.status).toBe(400);
    expect(user.body.error?.path).toBe("object");

    const good = webhookBody({ psid: "psid-shape", text: "hello" });
    const noSender = { ...good, entry: [{ ...good.entry[0]!, messaging: [{ ...good.entry[0]!.messaging[0]!, sender: {} }] }] };
    const shape = await storesNothing(() => post(noSender));
    expect(shape.status).toBe(400);
    expect(shape.body.error?.path).toBe("entry[0].messaging[0].sender.id");

    const noMid = { ...good, entry: [{ ...good.entry[0]!, messaging: [{ ...good.entry[0]!.messaging[0]!, message: { text: "x" } }] }] };
    const mid = await storesNothing(() => post(noMid));
    expect(mid.status).toBe(400);
    expect(mid.body.error?.path).toBe("entry[0].messaging[0].message.mid");
  });

  it("answers 413 for a body over 1 MB", async () => {
    const huge = await storesNothing(() => post(null, { raw: JSON.stringify({ object: "page", entry: [], pad: "x".repeat(1024 * 1024) }) }));
    expect(huge.status).toBe(413);
  });

  it("ignores echoes, receipts and another page's events with a 200", async () => {
    const receipt = {
      object: "page",
      entry: [{ id: PAGE_ID, time: Date.now(), messaging: [{ sender: { id: "psid-r" }, recipient: { id: PAGE_ID }, timestamp: Date.now(), delivery: { mids: ["m_1"] } }] }],
    };
    const answers = await storesNothing(async () => [
      await post(receipt),
      await post(webhookBody({ psid: PAGE_ID, text: "our own reply", isEcho: true })),
      await post(webhookBody({ psid: "psid-other", text: "to another page", pageId: "999999999" })),
    ]);
    expect(answers.map((a) => [a.status, a.body.stored])).toEqual([
      [200, 0],
      [200, 0],
      [200, 0],
    ]);
  });
});

describe("a visitor's conversation", () => {
  const psid = "psid-ann";

  it("a first message starts the default bot, whose greeting and question with quick replies reach Messenger in order", async () => {
    const received = await send({ psid, text: "Hi there" });
    expect(received).toEqual({ ok: true, stored: 1, duplicates: 0 });
    const [conversation] = visitorConversations(psid);
    expect(conversation).toMatchObject({ status: "bot", chatflow_id: defaultFlowId });
    expect(sqlite.prepare("SELECT page_url FROM conversations WHERE id = ?").get(conversation!.id)).toEqual({ page_url: `https://www.facebook.com/${PAGE_ID}` });
    // "Hi there" is no answer to the bot's question: it is kept, and the bot waits for the next message.
    expect(transcript(conversation!.id)).toEqual(["bot: Hi! Thanks for your message 👋", "bot: How can we help you today?", "visitor: Hi there"]);

    const pass = await runDue();
    expect(pass).toEqual({ sent: 2, retrying: 0, failed: 0 });
    expect(graphRequests.map((r) => r.path)).toEqual(["/v21.0/me/messages", "/v21.0/me/messages"]);
    expect(graphRequests[0]!.query.get("access_token")).toBe(PAGE_TOKEN);
    expect(graphRequests.map((r) => r.body)).toEqual([
      { recipient: { id: psid }, messaging_type: "RESPONSE", message: { text: "Hi! Thanks for your message 👋" } },
      {
        recipient: { id: psid },
        messaging_type: "RESPONSE",
        message: {
          text: "How can we help you today?",
          quick_replies: [
            { content_type: "text", title: "Talk to a person", payload: "talk_to_person" },
            { content_type: "text", title: "Just browsing", payload: "just_browsing" },
          ],
        },
      },
    ]);
    expect(outbox(conversation!.id).map((d) => d.status)).toEqual(["sent", "sent"]);
    const ids = sqlite.prepare("SELECT external_id, direction FROM external_messages WHERE conversation_id = ? ORDER BY created_at, external_id").all(conversation!.id);
    expect(ids).toHaveLength(3);
  });

  it("a quick-reply answer advances the flow, and a redelivered webhook is stored once", async () => {
    const mid = newMid();
    const body = webhookBody({ psid, mid, text: "Talk to a person", quickReply: "talk_to_person" });
    const first = await post(body);
    expect(first.body).toEqual({ ok: true, stored: 1, duplicates: 0 });
    const [conversation] = visitorConversations(psid);
    expect(conversation!.status).toBe("open");
    const after = transcript(conversation!.id);
    expect(after.slice(3, 4)).toEqual(["visitor: Talk to a person"]);
    expect(after[4]).toMatch(/^bot: (Thanks! Someone from the team|We're away right now)/);
    const answerRow = sqlite.prepare("SELECT payload FROM messages WHERE conversation_id = ? AND author = 'visitor' ORDER BY id DESC LIMIT 1").get(conversation!.id) as {
      payload: string;
    };
    expect(JSON.parse(answerRow.payload)).toEqual({ choiceIds: ["talk_to_person"] });

    // Facebook sends the same event again (it did not see our 200): nothing new.
    const stored = counts();
    const again = await post(body);
    expect(again.body).toEqual({ ok: true, stored: 0, duplicates: 1 });
    expect(counts()).toEqual(stored);
    expect(transcript(conversation!.id)).toEqual(after);

    await runDue();
    expect(graphRequests.map((r) => r.body.message.text)).toEqual([after[4]!.slice("bot: ".length)]);
  });

  it("after the handoff the visitor's messages land in the open conversation, and an agent's reply goes out", async () => {
    const [conversation] = visitorConversations(psid);
    await send({ psid, text: "My order #1234 never arrived" }, { psid, attachments: [{ type: "image" }] });
    expect(visitorConversations(psid)).toHaveLength(1);
    expect(transcript(conversation!.id).slice(-2)).toEqual(["visitor: My order #1234 never arrived", "visitor: [image]"]);
    // An image without a URL is listed, not stored.
    const last = sqlite.prepare("SELECT payload FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT 1").get(conversation!.id) as { payload: string };
    expect(JSON.parse(last.payload)).toEqual({ attachments: [{ name: "image", type: "application/octet-stream", size: null, skipped: "Messenger sent no URL for it" }] });
    expect(visitorConversations(psid)[0]!.status).toBe("open");

    await agentReply(conversation!.id, "Sorry about that! Let me check.");
    await runDue();
    expect(graphRequests.map((r) => r.body)).toEqual([
      { recipient: { id: psid }, messaging_type: "RESPONSE", message: { text: "Sorry about that! Let me check." } },
    ]);
    const row = sqlite.prepare("SELECT external_id FROM deliveries WHERE conversation_id = ? ORDER BY message_id DESC LIMIT 1").get(conversation!.id) as {
      external_id: string;
    };
    expect(row.external_id).toMatch(/^m_out_/);
  });

  it("a Graph 500 leaves the reply waiting for a retry; a Graph 400 fails it with Graph's message", async () => {
    const [conversation] = visitorConversations(psid);
    graphAnswers.push({ status: 500, body: { error: { message: "An unexpected error has occurred.", type: "OAuthException", code: 2 } } });
    await agentReply(conversation!.id, "Still checking…");
    expect(await runDue()).toEqual({ sent: 0, retrying: 1, failed: 0 });
    const waiting = outbox(conversation!.id).at(-1)!;
    expect(waiting).toMatchObject({ status: "pending", attempts: 1, text: "Still checking…" });
    expect(waiting.last_error).toContain("500");
    // Due again: it goes through on the retry.
    sqlite.prepare("UPDATE deliveries SET next_attempt_at = 0 WHERE conversation_id = ? AND status = 'pending'").run(conversation!.id);
    expect(await runDue()).toEqual({ sent: 1, retrying: 0, failed: 0 });

    graphAnswers.push({ status: 400, body: { error: { message: "(#100) The parameter recipient is invalid", type: "OAuthException", code: 100 } } });
    await agentReply(conversation!.id, "Hello?");
    expect(await runDue()).toEqual({ sent: 0, retrying: 0, failed: 1 });
    expect(outbox(conversation!.id).at(-1)).toMatchObject({ status: "failed", attempts: 1 });
    expect(outbox(conversation!.id).at(-1)!.last_error).toContain("(#100) The parameter recipient is invalid");

    graphAnswers.push({ status: 429, body: { error: { message: "Too many calls", code: 613 } } });
    await agentReply(conversation!.id, "One more");
    expect(await runDue()).toEqual({ sent: 0, retrying: 1, failed: 0 });
  });

  it("a reply more than 24 hours after the visitor's last message fails with the reason, unsent", async () => {
    const [conversation] = visitorConversations(psid);
    sqlite.prepare("UPDATE deliveries SET status = 'failed' WHERE status = 'pending'").run();
    sqlite.prepare("UPDATE messages SET created_at = created_at - ? WHERE conversation_id = ? AND author = 'visitor'").run(25 * 60 * 60 * 1000, conversation!.id);
    await agentReply(conversation!.id, "Are you still there?");
    expect(await runDue()).toEqual({ sent: 0, retrying: 0, failed: 1 });
    expect(outbox(conversation!.id).at(-1)!.last_error).toMatch(/outside Messenger's 24-hour reply window/);
    expect(graphRequests).toHaveLength(0);
  });
});

describe("opening messages", () => {
  it("an opening message that names a quick reply answers the bot's question at once", async () => {
    await send({ psid: "psid-bo", text: "talk to a person" });
    const [conversation] = visitorConversations("psid-bo");
    expect(conversation!.status).toBe("open");
    expect(transcript(conversation!.id).slice(0, 3)).toEqual(["bot: Hi! Thanks for your message 👋", "bot: How can we help you today?", "visitor: talk to a person"]);
  });

  it("a Get Started tap starts the bot, and a redelivered tap is stored once", async () => {
    const tap = {
      object: "page",
      entry: [
        {
          id: PAGE_ID,
          time: Date.now(),
          messaging: [{ sender: { id: "psid-gs" }, recipient: { id: PAGE_ID }, timestamp: 1764000000000, postback: { title: "Get Started", payload: "GET_STARTED" } }],
        },
      ],
    };
    expect((await post(tap)).body).toMatchObject({ stored: 1, duplicates: 0 });
    expect((await post(tap)).body).toMatchObject({ stored: 0, duplicates: 1 });
    const [conversation] = visitorConversations("psid-gs");
    expect(conversation!.status).toBe("bot");
    expect(transcript(conversation!.id)).toEqual(["bot: Hi! Thanks for your message 👋", "bot: How can we help you today?", "visitor: Get Started"]);
  });

  it("a closed conversation is not reopened: the next message starts the bot again", async () => {
    await send({ psid: "psid-cy", text: "hello" });
    const [first] = visitorConversations("psid-cy");
    sqlite.prepare("UPDATE conversations SET status = 'closed', closed_at = 1 WHERE id = ?").run(first!.id);
    await send({ psid: "psid-cy", text: "hello again" });
    const [, second] = visitorConversations("psid-cy");
    expect(second).toMatchObject({ status: "bot", chatflow_id: defaultFlowId });
    expect(transcript(second!.id).at(-1)).toBe("visitor: hello again");
  });

  it("two visitors in one body each get their own conversation; the same visitor's second message joins the first", async () => {
    const received = await send({ psid: "psid-d1", text: "one" }, { psid: "psid-d2", text: "two" }, { psid: "psid-d1", text: "three" });
    expect(received).toMatchObject({ stored: 3, duplicates: 0 });
    expect(visitorConversations("psid-d1")).toHaveLength(1);
    expect(visitorConversations("psid-d2")).toHaveLength(1);
    // "three" is the answer to the bot's question now (not a choice: the question's invalid port hands off).
    expect(transcript(visitorConversations("psid-d1")[0]!.id)).toContain("visitor: three");
  });

  it("two webhook calls at once for a new visitor open one conversation, not two", async () => {
    const results = await Promise.all([post(webhookBody({ psid: "psid-race", text: "first" })), post(webhookBody({ psid: "psid-race", text: "second" }))]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    expect(visitorConversations("psid-race")).toHaveLength(1);
    expect(transcript(visitorConversations("psid-race")[0]!.id).filter((line) => line.startsWith("visitor:")).sort()).toEqual(["visitor: first", "visitor: second"]);
  });

  it("a chatflow switched off since it was chosen leaves new conversations to the team, message kept", async () => {
    sqlite.prepare("UPDATE chatflows SET enabled = 0 WHERE id = ?").run(defaultFlowId);
    try {
      await send({ psid: "psid-off", text: "anyone there?" });
      const [conversation] = visitorConversations("psid-off");
      expect(conversation).toMatchObject({ status: "open", chatflow_id: null });
      expect(transcript(conversation!.id)).toEqual(["visitor: anyone there?"]);
    } finally {
      sqlite.prepare("UPDATE chatflows SET enabled = 1 WHERE id = ?").run(defaultFlowId);
    }
  });

  it("without a chatflow, a first message opens a conversation for the team", async () => {
    const m = await messenger();
    await m.saveSettings(channelId, { pageId: PAGE_ID, appSecret: "", pageAccessToken: "", chatflowId: "" }, adminId).pipe(Effect.runPromise);
    try {
      await send({ psid: "psid-eve", text: "Do you ship to Norway?" });
      const [conversation] = visitorConversations("psid-eve");
      expect(conversation).toMatchObject({ status: "open", chatflow_id: null });
      expect(transcript(conversation!.id)).toEqual(["visitor: Do you ship to Norway?"]);
    } finally {
      await m.saveSettings(channelId, { pageId: PAGE_ID, appSecret: "", pageAccessToken: "", chatflowId: defaultFlowId }, adminId).pipe(Effect.runPromise);
    }
  });
});

// ---- late replies: the Human Agent tag ----

const HOUR = 60 * 60 * 1000;
/** Moves the visitor's messages of a conversation `ms` into the past (as if they wrote that long ago). */
const ageVisitorMessages = (conversationId: string, ms: number) =>
  sqlite.prepare("UPDATE messages SET created_at = created_at - ? WHERE conversation_id = ? AND author = 'visitor'").run(ms, conversationId);
const setHumanAgentTag = (value: string) =>
  runtime.runPromise(
    Effect.flatMap(MessengerChannel, (m) =>
      m.saveSettings(channelId, { pageId: PAGE_ID, appSecret: "", pageAccessToken: "", chatflowId: defaultFlowId, humanAgentTag: value }, adminId),
    ),
  );
const storedConfig = () => JSON.parse((sqlite.prepare("SELECT config FROM channels WHERE id = ?").get(channelId) as { config: string }).config) as Record<string, unknown>;

/** A visitor whose conversation the team has (the opening names the quick reply), bot messages sent. */
const teamConversation = async (psid: string) => {
  await send({ psid, text: "Talk to a person" });
  const [conversation] = visitorConversations(psid);
  expect(conversation!.status).toBe("open");
  await runDue();
  graphRequests.length = 0;
  return conversation!.id;
};

describe("late replies and the Human Agent tag", () => {
  it("is off for a channel saved before the setting existed, turns on and off from the form's values, and refuses any other value storing nothing", async () => {
    // A config saved before the setting existed has no such key.
    sqlite.prepare("UPDATE channels SET config = json_remove(config, '$.humanAgentTag') WHERE id = ?").run(channelId);
    expect(storedConfig()).not.toHaveProperty("humanAgentTag");
    const m = await messenger();
    expect((await m.settings(channelId).pipe(Effect.runPromise)).humanAgentTag).toBe(false);
    try {
      expect((await setHumanAgentTag("on")).settings.humanAgentTag).toBe(true);
      expect(storedConfig().humanAgentTag).toBe(true);
      // A save that leaves the field out (an API caller) keeps it.
      await m.saveSettings(channelId, { pageId: PAGE_ID, appSecret: "", pageAccessToken: "", chatflowId: defaultFlowId }, adminId).pipe(Effect.runPromise);
      expect(storedConfig().humanAgentTag).toBe(true);
      const before = storedConfig();
      const refused = await m
        .saveSettings(channelId, { pageId: PAGE_ID, appSecret: "", pageAccessToken: "", chatflowId: defaultFlowId, humanAgentTag: "yes please" }, adminId)
        .pipe(Effect.either, Effect.runPromise);
      expect(Either.isLeft(refused) && refused.left instanceof InvalidInput && refused.left.issues).toEqual([
        { path: "humanAgentTag", message: 'a switch is on or off (a checkbox\'s "on", "off", true or false)' },
      ]);
      expect(storedConfig()).toEqual(before);
    } finally {
      expect((await setHumanAgentTag("off")).settings.humanAgentTag).toBe(false);
    }
  });

  it("with the tag on: a response within 24 h, the tag from 24 h to 7 d, and nothing after 7 days", async () => {
    const conversationId = await teamConversation("psid-late");
    await setHumanAgentTag("on");
    try {
      ageVisitorMessages(conversationId, 2 * HOUR);
      await agentReply(conversationId, "Two hours later");
      expect(await runDue()).toEqual({ sent: 1, retrying: 0, failed: 0 });

      ageVisitorMessages(conversationId, 28 * HOUR); // 30 h now
      await agentReply(conversationId, "A day and a bit later");
      expect(await runDue()).toEqual({ sent: 1, retrying: 0, failed: 0 });

      expect(graphRequests.map((r) => r.body)).toEqual([
        { recipient: { id: "psid-late" }, messaging_type: "RESPONSE", message: { text: "Two hours later" } },
        { recipient: { id: "psid-late" }, messaging_type: "MESSAGE_TAG", tag: "HUMAN_AGENT", message: { text: "A day and a bit later" } },
      ]);

      graphRequests.length = 0;
      ageVisitorMessages(conversationId, 6 * 24 * HOUR); // 7 days and 6 hours
      await agentReply(conversationId, "A week later");
      expect(await runDue()).toEqual({ sent: 0, retrying: 0, failed: 1 });
      expect(outbox(conversationId).at(-1)).toMatchObject({
        status: "failed",
        attempts: 1,
        last_error: "outside Messenger's 7-day Human Agent window: the visitor's last message is older than 7 days",
      });
      expect(graphRequests).toHaveLength(0);
    } finally {
      await setHumanAgentTag("off");
    }
  });

  it("with the tag off, an agent's late reply fails unsent, saying the 24-hour window closed and that the tag can be turned on", async () => {
    const conversationId = await teamConversation("psid-late-off");
    ageVisitorMessages(conversationId, 30 * HOUR);
    await agentReply(conversationId, "Sorry for the wait");
    expect(await runDue()).toEqual({ sent: 0, retrying: 0, failed: 1 });
    expect(outbox(conversationId).at(-1)!.last_error).toBe(
      "outside Messenger's 24-hour reply window: the visitor's last message is older than 24 hours; " +
        "an admin can turn on “Use the Human Agent tag” in the channel's settings to let agents reply for up to 7 days",
    );
    expect(graphRequests).toHaveLength(0);
  });

  it("never tags a bot's message: a bot reply still waiting after 24 hours fails unsent, even with the tag on", async () => {
    await send({ psid: "psid-late-bot", text: "hello?" });
    const [conversation] = visitorConversations("psid-late-bot");
    expect(conversation!.status).toBe("bot");
    // The bot's greeting and question waited in the outbox (Parley was down, say) past the 24 hours.
    ageVisitorMessages(conversation!.id, 25 * HOUR);
    await setHumanAgentTag("on");
    try {
      expect(await runDue()).toMatchObject({ sent: 0, failed: 1 });
      expect(outbox(conversation!.id)[0]!.last_error).toBe(
        "outside Messenger's 24-hour reply window: the visitor's last message is older than 24 hours; the Human Agent tag is for a person's replies, so a bot's message is not sent",
      );
      expect(graphRequests).toHaveLength(0);
    } finally {
      await setHumanAgentTag("off");
    }
  });

  it("a tagged reply Graph refuses for a missing permission fails at once with what to do", async () => {
    const conversationId = await teamConversation("psid-late-denied");
    ageVisitorMessages(conversationId, 48 * HOUR);
    await setHumanAgentTag("on");
    try {
      graphAnswers.push({
        status: 400,
        body: {
          error: {
            message: "(#10) This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview",
            type: "OAuthException",
            code: 10,
            error_subcode: 2018278,
            fbtrace_id: "A1b2C3",
          },
        },
      });
      await agentReply(conversationId, "Here is your refund");
      expect(await runDue()).toEqual({ sent: 0, retrying: 0, failed: 1 });
      expect(graphRequests.map((r) => [r.body.messaging_type, r.body.tag])).toEqual([["MESSAGE_TAG", "HUMAN_AGENT"]]);
      const failed = outbox(conversationId).at(-1)!;
      expect(failed).toMatchObject({ status: "failed", attempts: 1 });
      expect(failed.last_error).toMatch(
        /^Messenger refused the reply with the Human Agent tag, which this app may not use: Messenger answered 400 \(code 10, subcode 2018278\): \(#10\) This message is sent outside of allowed window/,
      );
      expect(failed.last_error).toMatch(/Request the Human Agent permission for the Meta app in App Review, or turn “Use the Human Agent tag” off/);
    } finally {
      await setHumanAgentTag("off");
    }
  });
});

// ---- long replies: each part once ----

describe("a reply longer than Messenger's 2,000 characters", () => {
  const paragraph = (word: string, length: number) => (word + " ").repeat(Math.ceil(length / (word.length + 1))).slice(0, length).trimEnd() + ".";
  const long = [paragraph("first", 1500), paragraph("second", 1500), paragraph("third", 900)].join("\n\n");
  const accepted = () => graphRequests.filter((r) => r.status === 200).map((r) => r.body.message.text);
  const messageIdOf = (conversationId: string) =>
    (sqlite.prepare("SELECT id FROM messages WHERE conversation_id = ? AND author = 'agent' ORDER BY id DESC LIMIT 1").get(conversationId) as { id: number }).id;

  it("goes in parts cut at its paragraphs; a part that fails is retried without sending the parts before it again", async () => {
    const conversationId = await teamConversation("psid-long");
    graphAnswers.push(
      { status: 200, body: { recipient_id: "x", message_id: "m_part_1" } },
      { status: 500, body: { error: { message: "An unexpected error has occurred. Please retry your request later.", type: "OAuthException", code: 2 } } },
    );
    await agentReply(conversationId, long);
    expect(await runDue()).toEqual({ sent: 0, retrying: 1, failed: 0 });
    expect(outbox(conversationId).at(-1)!.last_error).toMatch(/^part 2 of 3 \(the parts before it were sent\): Messenger answered 500 \(code 2\)/);

    sqlite.prepare("UPDATE deliveries SET next_attempt_at = 0 WHERE conversation_id = ? AND status = 'pending'").run(conversationId);
    expect(await runDue()).toEqual({ sent: 1, retrying: 0, failed: 0 });

    const [p1, p2, p3] = long.split("\n\n");
    // Part 1 reached Messenger once; part 2 failed once and then went through once; then part 3.
    expect(graphRequests.map((r) => [r.body.message.text, r.status])).toEqual([
      [p1, 200],
      [p2, 500],
      [p2, 200],
      [p3, 200],
    ]);
    expect(accepted()).toEqual([p1, p2, p3]);
    expect(graphRequests.every((r) => r.body.message.text.length <= 2000 && r.body.messaging_type === "RESPONSE")).toBe(true);

    // Each part's Graph id is kept with the message; the delivery names the last one.
    const messageId = messageIdOf(conversationId);
    const ids = (
      sqlite.prepare("SELECT external_id FROM external_messages WHERE message_id = ? AND direction = 'out' ORDER BY external_id").all(messageId) as Array<{
        external_id: string;
      }>
    ).map((r) => r.external_id);
    expect(ids.filter((id) => !id.startsWith("messenger-part:"))).toEqual(["m_part_1", `m_out_${graphCount - 1}`, `m_out_${graphCount}`].sort());
    expect(ids.filter((id) => id.startsWith("messenger-part:")).map((id) => id.replace(/:[0-9a-f]{16}:/, ":…:"))).toEqual([
      `messenger-part:${messageId}:1/3:…:m_part_1`,
      `messenger-part:${messageId}:2/3:…:m_out_${graphCount - 1}`,
      `messenger-part:${messageId}:3/3:…:m_out_${graphCount}`,
    ]);
    const delivery = sqlite.prepare("SELECT status, external_id FROM deliveries WHERE message_id = ?").get(messageId);
    expect(delivery).toEqual({ status: "sent", external_id: `m_out_${graphCount}` });
  });

  it("a part refused for good fails the reply; sending it again from the inbox sends only the parts Messenger does not have", async () => {
    const conversationId = await teamConversation("psid-long-retry");
    graphAnswers.push(
      { status: 200, body: { recipient_id: "x", message_id: "m_first" } },
      { status: 200, body: { recipient_id: "x", message_id: "m_second" } },
      { status: 400, body: { error: { message: "(#100) Param message[text] must be non-empty UTF-8 encoded string", type: "OAuthException", code: 100 } } },
    );
    await agentReply(conversationId, long);
    expect(await runDue()).toEqual({ sent: 0, retrying: 0, failed: 1 });
    expect(outbox(conversationId).at(-1)!.last_error).toBe(
      "part 3 of 3 (the parts before it were sent): Messenger answered 400 (code 100): (#100) Param message[text] must be non-empty UTF-8 encoded string",
    );

    const messageId = messageIdOf(conversationId);
    await (await deliveries()).retry(conversationId, messageId).pipe(Effect.runPromise);
    expect(await runDue()).toEqual({ sent: 1, retrying: 0, failed: 0 });
    const [p1, p2, p3] = long.split("\n\n");
    expect(accepted()).toEqual([p1, p2, p3]);
    expect(graphRequests.map((r) => r.body.message.text)).toEqual([p1, p2, p3, p3]);
  });
});

describe("a question with more choices than Messenger's 13 quick replies", () => {
  it("goes as a numbered list, and the visitor's typed number is taken as that choice", async () => {
    const base = defaultFlowDocument("many_choices", "Many choices");
    const sizes = Array.from({ length: 15 }, (_, i) => ({ id: `size_${i + 1}`, label: `Size ${i + 1}` }));
    const document = {
      ...base,
      nodes: base.nodes.map((node) =>
        node.id === "ask_help"
          ? { ...node, data: { prompt: "Which size?", answer: { type: "choice", choices: sizes }, save: { variable: "size" }, maxRetries: 0 } }
          : node,
      ),
      edges: [
        { id: "greeting:next->ask_help", source: "greeting", sourcePort: "next", target: "ask_help" },
        { id: "ask_help:answered->to_person", source: "ask_help", sourcePort: "answered", target: "to_person" },
        { id: "ask_help:invalid->goodbye", source: "ask_help", sourcePort: "invalid", target: "goodbye" },
        { id: "goodbye:next->done", source: "goodbye", sourcePort: "next", target: "done" },
      ],
    };
    const flowId = await runtime.runPromise(
      Effect.gen(function* () {
        const flows = yield* Chatflows;
        const created = yield* flows.create({ name: "Many choices", kind: "bot", document, channelId, createdBy: adminId });
        yield* flows.publish(created.id, adminId);
        yield* flows.setEnabled(created.id, true);
        return created.id;
      }),
    );
    const m = await messenger();
    await m.saveSettings(channelId, { pageId: PAGE_ID, appSecret: "", pageAccessToken: "", chatflowId: flowId }, adminId).pipe(Effect.runPromise);
    try {
      await send({ psid: "psid-many", text: "hello" });
      await runDue();
      const question = graphRequests.at(-1)!.body.message;
      expect(question.quick_replies).toBeUndefined();
      expect(question.text).toBe(["Which size?", "", ...sizes.map((size, i) => `${i + 1}. ${size.label}`)].join("\n"));

      await send({ psid: "psid-many", text: "14" });
      const [conversation] = visitorConversations("psid-many");
      expect(conversation!.status).toBe("open");
      // The bot saved choice 14 and handed over (its summary for the team names it).
      const handoff = sqlite.prepare("SELECT payload FROM messages WHERE conversation_id = ? AND author = 'system' ORDER BY id DESC LIMIT 1").get(conversation!.id) as {
        payload: string;
      };
      expect(JSON.parse(handoff.payload)).toEqual({ handoff: { size: "Size 14" } });
    } finally {
      await m.saveSettings(channelId, { pageId: PAGE_ID, appSecret: "", pageAccessToken: "", chatflowId: defaultFlowId }, adminId).pipe(Effect.runPromise);
    }
  });
});

describe("the settings page (the route's loader and action, signed in as the admin)", () => {
  const signIn = async () => {
    const session = await runtime.runPromise(Effect.flatMap(Accounts, (a) => a.login("admin@parley.local", "admin-password-1")));
    const context = { runtime } as never;
    const url = `https://parley.example.com/settings/channels/messenger/${channelId}`;
    const cookie = (await sessionCookieHeader(new Request(url), context, session.token)).split(";")[0]!;
    return { context, url, cookie, csrf: session.csrfToken };
  };
  type Loaded = { data: { settings: { humanAgentTag: boolean; appSecret: { hint: string } } } };
  type Acted = { data: { saved: boolean; errors?: Record<string, string>; values?: Record<string, string> }; init: { status?: number } | null };
  const form = { pageId: PAGE_ID, appSecret: "", pageAccessToken: "", chatflowId: "" };
  /** Posts the form in `session` (its cookie; the fields carry its CSRF token, or not). */
  const act = async (session: Awaited<ReturnType<typeof signIn>>, fields: Record<string, string>) => {
    const { context, url, cookie } = session;
    return (await settingsAction({
      request: new Request(url, { method: "POST", headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields) }),
      context,
      params: { id: channelId },
    })) as unknown as Acted;
  };

  it("shows the Human Agent tag's state; a ticked box turns it on and an unticked one (sent as nothing) off", async () => {
    const session = await signIn();
    const { context, url, cookie, csrf } = session;
    const load = async () =>
      ((await settingsLoader({ request: new Request(url, { headers: { Cookie: cookie } }), context, params: { id: channelId } })) as unknown as Loaded).data.settings;
    expect(await load()).toMatchObject({ humanAgentTag: false, appSecret: { hint: APP_SECRET.slice(-4) } });
    try {
      expect((await act(session, { ...form, chatflowId: defaultFlowId, humanAgentTag: "on", csrf })).data).toEqual({ saved: true, createdChatflowId: null });
      expect((await load()).humanAgentTag).toBe(true);
      expect(storedConfig().humanAgentTag).toBe(true);
      expect((await act(session, { ...form, chatflowId: defaultFlowId, csrf })).data).toEqual({ saved: true, createdChatflowId: null });
      expect((await load()).humanAgentTag).toBe(false);
    } finally {
      await setHumanAgentTag("off");
    }
  });

  it("answers 400 for a value no checkbox sends, keeps what was typed, and stores nothing", async () => {
    const session = await signIn();
    const before = storedConfig();
    const acted = await act(session, { ...form, chatflowId: defaultFlowId, humanAgentTag: "always", appSecret: "f".repeat(32), csrf: session.csrf });
    expect(acted.init?.status).toBe(400);
    expect(acted.data.errors).toEqual({ humanAgentTag: 'a switch is on or off (a checkbox\'s "on", "off", true or false)' });
    expect(acted.data.values).toEqual({ pageId: PAGE_ID, chatflowId: defaultFlowId, humanAgentTag: "always" });
    expect(JSON.stringify(acted.data)).not.toContain("f".repeat(32));
    expect(storedConfig()).toEqual(before);
  });

  it("refuses a save without the CSRF token", async () => {
    const before = storedConfig();
    const refused = await act(await signIn(), { ...form, humanAgentTag: "on" }).then(
      () => null,
      (thrown: unknown) => thrown as Response,
    );
    expect(refused?.status).toBe(403);
    expect(storedConfig()).toEqual(before);
  });
});

// ---- files visitors send ----

describe("files a visitor sends", () => {
  const admin = () => ({ id: adminId, role: "admin" });
  const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(40_000, 3), Buffer.from([0xff, 0xd9])]);
  const PDF = Buffer.from("%PDF-1.4\n" + "y".repeat(3000) + "\n%%EOF");
  const attachmentRows = () => (sqlite.prepare("SELECT count(*) AS n FROM attachments").get() as { n: number }).n;
  const lastVisitorMessage = (conversationId: string) => {
    const row = sqlite
      .prepare("SELECT id, text, payload FROM messages WHERE conversation_id = ? AND author = 'visitor' ORDER BY id DESC LIMIT 1")
      .get(conversationId) as { id: number; text: string; payload: string | null };
    return { id: row.id, text: row.text, payload: row.payload === null ? null : (JSON.parse(row.payload) as Record<string, unknown>) };
  };
  const storedFiles = (messageId: number) =>
    sqlite.prepare("SELECT id, conversation_id, filename, content_type, size, data FROM attachments WHERE message_id = ? ORDER BY rowid").all(messageId) as Array<{
      id: string;
      conversation_id: string;
      filename: string;
      content_type: string;
      size: number;
      data: Buffer;
    }>;
  const image = (url: string) => ({ type: "image", payload: { url } });
  const file = (url: string) => ({ type: "file", payload: { url } });

  beforeEach(() => {
    cdnFiles.clear();
    cdnRequests.length = 0;
    elsewhereRequests.length = 0;
    cdnLoad.most = 0;
  });

  it("a photo in a conversation the team has is stored with its bytes, listed in the thread with its id, and downloadable by the admin", async () => {
    const conversationId = await teamConversation("psid-photo");
    cdnFiles.set("broken-part.jpg", { type: "image/jpeg", body: JPEG });
    const before = attachmentRows();
    expect(await send({ psid: "psid-photo", attachments: [image(`${cdnUrl("broken-part.jpg")}?_nc_cat=1&oh=abc`)] })).toMatchObject({ stored: 1 });
    expect(cdnRequests).toEqual(["/files/broken-part.jpg"]);

    const message = lastVisitorMessage(conversationId);
    expect(message.text).toBe("[image]");
    const [stored] = storedFiles(message.id);
    expect(stored).toMatchObject({ conversation_id: conversationId, filename: "broken-part.jpg", content_type: "image/jpeg", size: JPEG.length });
    expect(Buffer.compare(stored!.data, JPEG)).toBe(0);
    expect(attachmentRows()).toBe(before + 1);
    expect(message.payload).toEqual({ attachments: [{ id: stored!.id, name: "broken-part.jpg", type: "image/jpeg", size: JPEG.length }] });

    const thread = await runtime.runPromise(Effect.flatMap(Inbox, (inbox) => inbox.getThread(conversationId, admin())));
    const shown = thread.messages.find((m) => m.id === String(message.id))!;
    expect(shown).toMatchObject({ author: "visitor", text: "[image]" });
    expect(shown.attachments).toEqual([{ id: stored!.id, name: "broken-part.jpg", type: "image/jpeg", size: JPEG.length }]);

    const download = await Effect.runPromise(attachmentForActor(sqlite.prepare.bind(sqlite), admin(), stored!.id));
    expect(Buffer.compare(download.data, JPEG)).toBe(0);
    // An agent outside the inbox learns nothing, not even that the file exists.
    const outsider = await Effect.runPromise(Effect.either(attachmentForActor(sqlite.prepare.bind(sqlite), { id: "user_outsider", role: "agent" }, stored!.id)));
    expect(Either.isLeft(outsider) && outsider.left._tag).toBe("NotFound");
  });

  it("a file sent to the bot: the bot answers as before, and the message the engine stored gets its file and its list beside the choice", async () => {
    await send({ psid: "psid-botfile", text: "hello" });
    const [conversation] = visitorConversations("psid-botfile");
    expect(conversation!.status).toBe("bot");
    await runDue();
    graphRequests.length = 0;

    cdnFiles.set("order-4411.pdf", { type: "application/pdf", body: PDF });
    // An agent with the thread open hears of the files, which arrive after the message.
    const heard: Array<{ kind: string; internal: boolean | undefined; data: unknown }> = [];
    const stopListening = (await runtime.runPromise(LiveEvents)).subscribeConversation(conversation!.id, (e) => heard.push({ kind: e.kind, internal: e.internal, data: e.data }), {
      includeInternal: true,
    });
    // A quick reply that came with a file: the engine stores the choice, the second write the file.
    expect(
      await send({ psid: "psid-botfile", text: "Talk to a person", quickReply: "talk_to_person", attachments: [file(cdnUrl("order-4411.pdf"))] }),
    ).toMatchObject({ stored: 1, duplicates: 0 });
    stopListening();
    const lines = transcript(conversation!.id);
    expect(lines.at(-2)).toBe("visitor: Talk to a person");
    expect(lines.at(-1)).toMatch(/^bot: (Thanks! Someone from the team|We're away right now)/);
    expect(visitorConversations("psid-botfile")[0]!.status).toBe("open");

    const message = lastVisitorMessage(conversation!.id);
    const [stored] = storedFiles(message.id);
    expect(stored).toMatchObject({ conversation_id: conversation!.id, filename: "order-4411.pdf", content_type: "application/pdf", size: PDF.length });
    expect(Buffer.compare(stored!.data, PDF)).toBe(0);
    expect(message.payload).toEqual({
      choiceIds: ["talk_to_person"],
      attachments: [{ id: stored!.id, name: "order-4411.pdf", type: "application/pdf", size: PDF.length }],
    });
    expect(heard).toContainEqual({ kind: "conversation", internal: true, data: { change: "files", messageId: String(message.id) } });
    const thread = await runtime.runPromise(Effect.flatMap(Inbox, (inbox) => inbox.getThread(conversation!.id, admin())));
    expect(thread.messages.find((m) => m.id === String(message.id))!.attachments).toEqual([
      { id: stored!.id, name: "order-4411.pdf", type: "application/pdf", size: PDF.length },
    ]);
    // The bot's answer reaches Messenger as before.
    await runDue();
    expect(graphRequests.map((r) => r.body.message.text)).toEqual([lines.at(-1)!.slice("bot: ".length)]);
  });

  it("a new visitor's first message, a photo, starts the bot and is kept with its file after the greeting", async () => {
    cdnFiles.set("hello.png", { type: "image/png", body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]) });
    await send({ psid: "psid-firstphoto", attachments: [image(cdnUrl("hello.png"))] });
    const [conversation] = visitorConversations("psid-firstphoto");
    expect(conversation!.status).toBe("bot");
    expect(transcript(conversation!.id)).toEqual(["bot: Hi! Thanks for your message 👋", "bot: How can we help you today?", "visitor: [image]"]);
    const message = lastVisitorMessage(conversation!.id);
    expect(storedFiles(message.id).map((f) => [f.filename, f.size])).toEqual([["hello.png", 7]]);
  });

  it("files over 10 MB (declared or streamed) are listed with the reason and not stored; the message and a smaller file are", async () => {
    const conversationId = await teamConversation("psid-big");
    cdnFiles.set("declared.mp4", { type: "video/mp4", declaredLength: 50 * 1024 * 1024 });
    cdnFiles.set("streamed.mov", { type: "video/quicktime", streamBytes: 11 * 1024 * 1024 });
    cdnFiles.set("small.jpg", { type: "image/jpeg", body: JPEG });
    const before = attachmentRows();
    expect(
      await send({
        psid: "psid-big",
        text: "Here is the video",
        attachments: [{ type: "video", payload: { url: cdnUrl("declared.mp4") } }, { type: "video", payload: { url: cdnUrl("streamed.mov") } }, image(cdnUrl("small.jpg"))],
      }),
    ).toMatchObject({ stored: 1 });
    const message = lastVisitorMessage(conversationId);
    expect(message.text).toBe("Here is the video");
    const stored = storedFiles(message.id);
    expect(stored.map((f) => f.filename)).toEqual(["small.jpg"]);
    expect(attachmentRows()).toBe(before + 1);
    expect(message.payload).toEqual({
      attachments: [
        { name: "declared.mp4", type: "video/mp4", size: 50 * 1024 * 1024, skipped: "too large: over 10 MB per file" },
        { name: "streamed.mov", type: "video/quicktime", size: null, skipped: "too large: over 10 MB per file" },
        { id: stored[0]!.id, name: "small.jpg", type: "image/jpeg", size: JPEG.length },
      ],
    });
    const thread = await runtime.runPromise(Effect.flatMap(Inbox, (inbox) => inbox.getThread(conversationId, admin())));
    expect(thread.messages.find((m) => m.id === String(message.id))!.attachments!.map((a) => a.skipped ?? a.id)).toEqual([
      "too large: over 10 MB per file",
      "too large: over 10 MB per file",
      stored[0]!.id,
    ]);
  });

  it("a URL on another http origin is not fetched, nor a redirect to one; a 404 is listed as such; the message is stored", async () => {
    const conversationId = await teamConversation("psid-elsewhere");
    cdnFiles.set("moved.jpg", { redirect: `${elsewhereBase}/files/moved.jpg` });
    cdnFiles.set("gone.pdf", { status: 404 });
    const before = attachmentRows();
    await send({
      psid: "psid-elsewhere",
      attachments: [image(`${elsewhereBase}/files/photo.jpg`), image(cdnUrl("moved.jpg")), file(cdnUrl("missing.pdf"))],
    });
    expect(elsewhereRequests).toEqual([]);
    expect([...cdnRequests].sort()).toEqual(["/files/missing.pdf", "/files/moved.jpg"]);
    const message = lastVisitorMessage(conversationId);
    expect(message.text).toBe("[image] [image] [file]");
    expect(message.payload).toEqual({
      attachments: [
        { name: "photo.jpg", type: "application/octet-stream", size: null, skipped: `only https URLs are fetched, not http (${elsewhereBase})` },
        {
          name: "moved.jpg",
          type: "application/octet-stream",
          size: null,
          skipped: `redirected to a URL that is not fetched: only https URLs are fetched, not http (${elsewhereBase})`,
        },
        { name: "missing.pdf", type: "text/plain", size: null, skipped: "the file's server answered 404" },
      ],
    });
    expect(attachmentRows()).toBe(before);
  });

  it("a redelivered webhook stores the message and its file once, and fetches nothing again", async () => {
    const conversationId = await teamConversation("psid-again");
    cdnFiles.set("receipt.jpg", { type: "image/jpeg", body: JPEG });
    const body = webhookBody({ psid: "psid-again", attachments: [image(cdnUrl("receipt.jpg"))] });
    expect((await post(body)).body).toMatchObject({ stored: 1, duplicates: 0 });
    const rows = attachmentRows();
    const stored = counts();
    expect(cdnRequests).toHaveLength(1);
    expect((await post(body)).body).toMatchObject({ stored: 0, duplicates: 1 });
    expect(cdnRequests).toHaveLength(1);
    expect(attachmentRows()).toBe(rows);
    expect(counts()).toEqual(stored);
    expect(storedFiles(lastVisitorMessage(conversationId).id)).toHaveLength(1);

    // The same for a bot conversation, whose files go in the second write.
    await send({ psid: "psid-again-bot", text: "hello" });
    cdnFiles.set("bot.jpg", { type: "image/jpeg", body: JPEG });
    const toBot = webhookBody({ psid: "psid-again-bot", attachments: [image(cdnUrl("bot.jpg"))] });
    expect((await post(toBot)).body).toMatchObject({ stored: 1, duplicates: 0 });
    const afterFirst = attachmentRows();
    expect((await post(toBot)).body).toMatchObject({ stored: 0, duplicates: 1 });
    expect(attachmentRows()).toBe(afterFirst);
    expect(cdnRequests.filter((p) => p === "/files/bot.jpg")).toHaveLength(1);
  });

  it("a bot conversation's message kept without its files (Parley stopped between the two writes) is not fetched again on a redelivery", async () => {
    await send({ psid: "psid-crash", text: "hello" });
    cdnFiles.set("crash.jpg", { type: "image/jpeg", body: JPEG });
    const mid = newMid();
    const body = webhookBody({ psid: "psid-crash", mid, attachments: [image(cdnUrl("crash.jpg"))] });
    expect((await post(body)).body).toMatchObject({ stored: 1 });
    const [conversation] = visitorConversations("psid-crash");
    const message = lastVisitorMessage(conversation!.id);
    expect(storedFiles(message.id)).toHaveLength(1);
    // Undo the second write, as if Parley had stopped right after the engine's turn.
    sqlite.prepare("DELETE FROM attachments WHERE message_id = ?").run(message.id);
    sqlite.prepare("DELETE FROM external_messages WHERE external_id = ?").run(mid);
    sqlite.prepare("UPDATE messages SET payload = NULL WHERE id = ?").run(message.id);
    const before = counts();
    expect((await post(body)).body).toMatchObject({ stored: 0, duplicates: 1 });
    expect(cdnRequests.filter((p) => p === "/files/crash.jpg")).toHaveLength(1);
    expect(counts()).toEqual(before);
    expect(storedFiles(message.id)).toEqual([]);
    expect(transcript(conversation!.id).filter((line) => line === "visitor: [image]")).toHaveLength(1);
  });

  it("a file that does not arrive in time is listed as such (a short timeout here; 10 s in the service)", async () => {
    cdnFiles.set("slow-headers.jpg", { type: "image/jpeg", body: JPEG, delayMs: 600 });
    const fetched = await Effect.runPromise(
      messengerFetchFiles(
        [
          { kind: "image", url: cdnUrl("slow-headers.jpg") },
          { kind: "image", url: cdnUrl("quick.jpg") },
        ],
        { graphUrl: graphBase, timeoutMs: 200 },
      ),
    );
    expect(fetched.rows).toEqual([]);
    expect(fetched.entries).toEqual([
      { name: "slow-headers.jpg", type: "application/octet-stream", size: null, skipped: "did not arrive within 0.2 s" },
      { name: "quick.jpg", type: "text/plain", size: null, skipped: "the file's server answered 404" },
    ]);
  });

  it("fetches a message's files 3 at a time and keeps them in the message's order, however they arrive", async () => {
    // The first files are the slowest: they arrive last.
    const delays = [450, 350, 250, 150, 50];
    delays.forEach((delayMs, i) => cdnFiles.set(`photo-${i + 1}.jpg`, { type: "image/jpeg", body: Buffer.alloc(1000 + i, i + 1), delayMs }));
    const started = Date.now();
    const fetched = await Effect.runPromise(
      messengerFetchFiles(
        delays.map((_, i) => ({ kind: "image" as const, url: cdnUrl(`photo-${i + 1}.jpg`) })),
        { graphUrl: graphBase },
      ),
    );
    const took = Date.now() - started;
    expect(cdnLoad.most).toBe(3);
    expect(fetched.entries.map((e) => [e.name, e.size, e.skipped])).toEqual(delays.map((_, i) => [`photo-${i + 1}.jpg`, 1000 + i, undefined]));
    expect(fetched.rows.map((r) => [r.filename, r.data[0]])).toEqual(delays.map((_, i) => [`photo-${i + 1}.jpg`, i + 1]));
    expect(fetched.entries.map((e) => e.id)).toEqual(fetched.rows.map((r) => r.id));
    // One after another they would take 1.25 s.
    expect(took).toBeLessThan(1000);
  });

  it("stops at the message's deadline: files on their way are cut off, files not started are not fetched, and each is listed as late", async () => {
    for (let i = 1; i <= 5; i++) cdnFiles.set(`slow-${i}.pdf`, { type: "application/pdf", body: PDF, delayMs: i === 1 ? 0 : 1500 });
    const fetched = await Effect.runPromise(
      messengerFetchFiles(
        [1, 2, 3, 4, 5].map((i) => ({ kind: "file" as const, url: cdnUrl(`slow-${i}.pdf`) })),
        { graphUrl: graphBase, deadlineMs: 400 },
      ),
    );
    // The first arrived at once; the second and third were on their way; then the fourth started in the first's place.
    expect(fetched.rows.map((r) => r.filename)).toEqual(["slow-1.pdf"]);
    const late = "did not arrive within the 0.4 s a message's files may take together";
    expect(fetched.entries.map((e) => e.skipped ?? "stored")).toEqual(["stored", late, late, late, "not fetched: a message's files may take 0.4 s together"]);
    expect(fetched.entries.map((e) => e.name)).toEqual(["slow-1.pdf", "slow-2.pdf", "slow-3.pdf", "slow-4.pdf", "slow-5.pdf"]);
    expect([...cdnRequests].sort()).toEqual(["/files/slow-1.pdf", "/files/slow-2.pdf", "/files/slow-3.pdf", "/files/slow-4.pdf"]);
  });

  it("follows up to 3 redirects on allowed URLs (the file keeps the name Messenger gave), and no more", async () => {
    cdnFiles.set("short.jpg", { redirect: cdnUrl("hop-1") });
    cdnFiles.set("hop-1", { redirect: "/files/real.jpg" });
    cdnFiles.set("real.jpg", { type: "image/jpeg", body: JPEG });
    cdnFiles.set("loop", { redirect: cdnUrl("loop") });
    const fetched = await Effect.runPromise(
      messengerFetchFiles(
        [
          { kind: "image", url: cdnUrl("short.jpg") },
          { kind: "image", url: cdnUrl("loop") },
        ],
        { graphUrl: graphBase },
      ),
    );
    expect(fetched.rows.map((r) => [r.filename, r.size])).toEqual([["short.jpg", JPEG.length]]);
    expect(fetched.entries[1]).toEqual({ name: "loop", type: "application/octet-stream", size: null, skipped: "more than 3 redirects" });
    // The two files are fetched side by side: each one's requests in order, the two interleaved.
    expect(cdnRequests.filter((p) => p !== "/files/loop")).toEqual(["/files/short.jpg", "/files/hop-1", "/files/real.jpg"]);
    expect(cdnRequests.filter((p) => p === "/files/loop")).toHaveLength(4);
  });

  it("past 20 files or 25 MB together, the rest are listed without being fetched or stored", async () => {
    for (let i = 1; i <= 3; i++) cdnFiles.set(`part-${i}.jpg`, { type: "image/jpeg", body: Buffer.alloc(4000, i) });
    const fetched = await Effect.runPromise(
      messengerFetchFiles(
        [1, 2, 3].map((i) => ({ kind: "image" as const, url: cdnUrl(`part-${i}.jpg`) })),
        { graphUrl: graphBase, limits: { maxFileBytes: 5000, maxMailBytes: 9000, maxFiles: 2 } },
      ),
    );
    expect(fetched.rows.map((r) => r.filename)).toEqual(["part-1.jpg", "part-2.jpg"]);
    expect(fetched.entries[2]).toEqual({ name: "part-3.jpg", type: "application/octet-stream", size: null, skipped: "too many files: only 2 are stored per message" });
    expect([...cdnRequests].sort()).toEqual(["/files/part-1.jpg", "/files/part-2.jpg"]);

    cdnRequests.length = 0;
    const total = await Effect.runPromise(
      messengerFetchFiles(
        [1, 2, 3].map((i) => ({ kind: "image" as const, url: cdnUrl(`part-${i}.jpg`) })),
        { graphUrl: graphBase, limits: { maxFileBytes: 5000, maxMailBytes: 9000, maxFiles: 20 } },
      ),
    );
    expect(total.entries.map((e) => e.skipped ?? "stored")).toEqual(["stored", "stored", "too large: the message's files pass 0 MB together"]);
  });
});
