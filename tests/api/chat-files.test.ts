/**
 * Files in the website chat, both ways, in-process: the real public API handler
 * (server/public-api.ts) on a node:http server and the app's real runtime on a fresh SQLite
 * file seeded like a first start. An agent's chat reply carries a file (Inbox.reply) that the
 * visitor lists and downloads with their token; a visitor uploads one (multipart) into a
 * conversation with people. Every refusal asserts its status, its error body and that nothing
 * was stored.
 */
import { Effect } from "effect";
import { request as httpRequest, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../../bench/http-harness.js";
import type { AppRuntime } from "../../runtime/services/app-layer.js";
import { ATTACHMENT_CHAT_UPLOAD_MAX_BYTES } from "../../runtime/services/attachments.js";
import { Database } from "../../runtime/services/database.js";
import { Engine } from "../../runtime/services/engine.js";
import { Inbox } from "../../runtime/services/inbox.js";
import { LiveEvents, type LiveEvent } from "../../runtime/services/live-events.js";
import type { PublicApi } from "../../server/public-api.js";
import { startPublicApiApp, type PublicApiApp } from "../support/public-api-server.js";

let app: PublicApiApp;
let runtime: AppRuntime;
let api: PublicApi;
let server: Server;
let base: string;
let channelId: string;
let flowId: string;
let admin: { id: string; role: "admin" };
let sqlite: import("better-sqlite3").Database;

beforeAll(async () => {
  app = await startPublicApiApp("chat-files", { heartbeatMs: 60_000, rateLimitEnabled: false });
  ({ runtime, api, server, base, sqlite, channelId, leadFlowId: flowId } = app);
  admin = sqlite.prepare("SELECT id, role FROM users WHERE role = 'admin' LIMIT 1").get() as typeof admin;
});

afterAll(async () => {
  await app?.close();
});

const newVisitor = async (): Promise<string> => {
  const created = await call(base, "/api/visitors", { body: { channel: channelId } });
  expect(created.status).toBe(201);
  return created.body.visitorToken as string;
};

/** A visitor and their conversation, still with the bot. */
const botConversation = async () => {
  const token = await newVisitor();
  const started = await call(base, "/api/conversations", { token, body: { channel: channelId, chatflowId: flowId, pageUrl: "https://shop.example/" } });
  expect(started.status).toBe(201);
  return { token, id: started.body.conversation.id as string };
};

let replies = 0;
/** An agent's chat reply through the inbox's own service (files as the thread's upload hands them over). */
const agentReply = async (conversationId: string, text: string, files: Array<{ filename: string; contentType: string; content: Buffer }> = []) => {
  const inbox = await runtime.runPromise(Inbox);
  return runtime.runPromise(inbox.reply({ conversationId, text, clientMessageId: `agent-${++replies}`, ...(files.length > 0 ? { files } : {}) }, admin));
};

/** A visitor in a conversation with people: the agent took it over with a text reply. */
const peopleConversation = async () => {
  const conversation = await botConversation();
  await agentReply(conversation.id, "Hi, I'm here.");
  return conversation;
};

const counts = () =>
  Object.fromEntries(
    ["messages", "attachments", "events"].map((t) => [t, (sqlite.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]),
  ) as { messages: number; attachments: number; events: number };

/** Runs `request` and asserts no message, file or event was stored. */
const storesNothing = async <T>(request: () => Promise<T>): Promise<T> => {
  const before = counts();
  const result = await request();
  await new Promise((r) => setTimeout(r, 20));
  expect(counts()).toEqual(before);
  return result;
};

const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d5f2a90000000049454e44ae426082",
  "hex",
);

const upload = async (
  token: string | undefined,
  conversationId: string,
  parts: { file?: { name: string; type: string; bytes: Buffer | Blob }; clientMessageId?: string; text?: string; extra?: Array<[string, string | Blob, string?]> },
  headers: Record<string, string> = {},
) => {
  const form = new FormData();
  if (parts.clientMessageId !== undefined) form.append("clientMessageId", parts.clientMessageId);
  if (parts.text !== undefined) form.append("text", parts.text);
  if (parts.file) {
    const blob = parts.file.bytes instanceof Blob ? parts.file.bytes : new Blob([new Uint8Array(parts.file.bytes)], { type: parts.file.type });
    form.append("file", blob, parts.file.name);
  }
  for (const [name, value, filename] of parts.extra ?? []) {
    if (typeof value === "string") form.append(name, value);
    else form.append(name, value, filename);
  }
  const res = await fetch(`${base}/api/conversations/${encodeURIComponent(conversationId)}/files`, {
    method: "POST",
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    body: form,
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
};

const download = (token: string | undefined, conversationId: string, attachmentId: string, init: { method?: string; origin?: string } = {}) =>
  fetch(`${base}/api/conversations/${encodeURIComponent(conversationId)}/attachments/${encodeURIComponent(attachmentId)}`, {
    method: init.method ?? "GET",
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(init.origin ? { Origin: init.origin } : {}) },
  });

describe("an agent's file in a chat reply", () => {
  it("is listed on the visitor's message (GET and catch-up) and downloads with the visitor's token and safe headers", async () => {
    const { token, id } = await peopleConversation();
    const pdf = Buffer.from("%PDF-1.4\n% a tiny invoice\n");
    const sent = await agentReply(id, "Here is your invoice.", [{ filename: "invoice.pdf", contentType: "application/pdf", content: pdf }]);
    const conversation = await call(base, `/api/conversations/${id}`, { token });
    expect(conversation.status).toBe(200);
    const message = (conversation.body.messages as Array<Record<string, unknown>>).find((m) => m.id === sent.id)!;
    expect(message).toMatchObject({ author: "agent", text: "Here is your invoice.", attachments: [{ id: expect.any(String), name: "invoice.pdf", type: "application/pdf", size: pdf.length }] });
    const attachment = (message.attachments as Array<{ id: string }>)[0]!;
    expect(Object.keys(attachment).sort()).toEqual(["id", "name", "size", "type"]);
    const after = await call(base, `/api/conversations/${id}/messages?after=${Number(sent.id) - 1}`, { token });
    expect(after.body.messages[0]).toMatchObject({ id: sent.id, attachments: [attachment] });

    const res = await download(token, id, attachment.id, { origin: "https://shop.example" });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(pdf);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(res.headers.get("content-disposition")).toBe("attachment; filename*=UTF-8''invoice.pdf");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toBe("sandbox; default-src 'none'");
    expect(res.headers.get("cache-control")).toBe("private, max-age=3600");
    // The seeded chat channel allows every origin: the widget on the shop's page may read it.
    expect(res.headers.get("access-control-allow-origin")).toBe("https://shop.example");
  });

  it("reaches the visitor's stream with its files", async () => {
    const { token, id } = await peopleConversation();
    const controller = new AbortController();
    const res = await fetch(`${base}/api/conversations/${id}/stream`, { headers: { Authorization: `Bearer ${token}` }, signal: controller.signal });
    const reader = res.body!.getReader();
    let seen = "";
    const sent = await agentReply(id, "A picture", [{ filename: "dot.png", contentType: "image/png", content: PNG }]);
    const deadline = Date.now() + 5000;
    while (!seen.includes(`id: ${sent.id}\n`) && Date.now() < deadline) seen += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const line = seen.split("\n\n").find((block) => block.startsWith(`id: ${sent.id}\n`))!;
    const data = JSON.parse(line.split("\ndata: ")[1]!);
    expect(data).toMatchObject({ id: sent.id, attachments: [{ name: "dot.png", type: "image/png", size: PNG.length }] });
    expect(data).not.toHaveProperty("internal");
  });

  it("is the same 404 for another visitor, another conversation, an unknown id and no token is a 401", async () => {
    const { token, id } = await peopleConversation();
    const sent = await agentReply(id, "file", [{ filename: "a.txt", contentType: "text/plain", content: Buffer.from("secret") }]);
    const attachmentId = (sqlite.prepare("SELECT id FROM attachments WHERE message_id = ?").pluck().get(Number(sent.id)) as string);
    const other = await peopleConversation();
    const answers = await Promise.all([
      download(other.token, id, attachmentId),
      download(other.token, other.id, attachmentId),
      download(token, other.id, attachmentId),
      download(token, id, "att_unknown"),
    ]);
    for (const res of answers) {
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: "not_found", message: expect.stringMatching(/^attachment .* was not found$/) } });
    }
    expect((await download(undefined, id, attachmentId)).status).toBe(401);
    expect((await download(token, id, attachmentId, { method: "POST" })).status).toBe(405);
    expect((await download(token, id, attachmentId)).status).toBe(200);
  });

  it("never shows an internal comment's file to the visitor, even one stored against it", async () => {
    const { token, id } = await peopleConversation();
    const inbox = await runtime.runPromise(Inbox);
    const comment = await runtime.runPromise(inbox.comment({ conversationId: id, text: "internal note", clientMessageId: "note-1" }, admin));
    // A comment takes no files (Engine.replyAsAgent refuses them)…
    const engine = await runtime.runPromise(Engine);
    const refused = await runtime.runPromiseExit(
      engine.replyAsAgent({
        conversationId: id,
        userId: admin.id,
        text: "note",
        clientMessageId: "note-2",
        internal: true,
        attachments: [{ id: "att_refused", filename: "x.txt", contentType: "text/plain", size: 1, sha256: "0".repeat(64), data: Buffer.from("x") }],
      }),
    );
    expect(JSON.stringify(refused)).toContain("files can only be attached to replies, not to internal comments");
    // …and one stored against a comment all the same (a hand-made row) stays out of the visitor's reach.
    const commentId = Number(comment.message.id);
    sqlite
      .prepare("INSERT INTO attachments (id, conversation_id, message_id, filename, content_type, size, sha256, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run("att_comment", id, commentId, "note.txt", "text/plain", 6, "0".repeat(64), Buffer.from("hidden"), Date.now());
    expect((await download(token, id, "att_comment")).status).toBe(404);
    const listed = await call(base, `/api/conversations/${id}`, { token });
    expect(JSON.stringify(listed.body)).not.toContain("internal note");
    expect(JSON.stringify(listed.body)).not.toContain("att_comment");
  });
});

describe("POST /api/conversations/:id/files", () => {
  it("stores the visitor's file with their message, lists it, and tells agents live", async () => {
    const { token, id } = await peopleConversation();
    const live = await runtime.runPromise(LiveEvents);
    const events: LiveEvent[] = [];
    const stop = live.subscribeAll((event) => events.push(event));
    const before = counts();
    const sent = await upload(token, id, { file: { name: "screenshot.png", type: "image/png", bytes: PNG }, clientMessageId: "file-1", text: "This is the error" });
    stop();
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({
      messages: [{ author: "visitor", text: "This is the error", attachments: [{ id: expect.any(String), name: "screenshot.png", type: "image/png", size: PNG.length }] }],
      awaiting: null,
      status: "open",
    });
    const message = sent.body.messages[0] as { id: string; attachments: Array<{ id: string }> };
    const row = sqlite.prepare("SELECT message_id, filename, content_type, size, data FROM attachments WHERE id = ?").get(message.attachments[0]!.id) as {
      message_id: number;
      filename: string;
      content_type: string;
      size: number;
      data: Buffer;
    };
    expect(row).toMatchObject({ message_id: Number(message.id), filename: "screenshot.png", content_type: "image/png", size: PNG.length });
    expect(row.data).toEqual(PNG);
    // Listed in the payload as an agent's reply and a Messenger visitor's files are: the inbox's thread shows it.
    const stored = sqlite.prepare("SELECT author, text, payload, is_internal FROM messages WHERE id = ?").get(Number(message.id)) as { payload: string };
    expect(stored).toMatchObject({ author: "visitor", text: "This is the error", is_internal: 0 });
    expect(JSON.parse(stored.payload)).toEqual({ attachments: [{ id: message.attachments[0]!.id, name: "screenshot.png", type: "image/png", size: PNG.length }] });
    const thread = await runtime.runPromise(Effect.flatMap(Inbox, (inbox) => inbox.getThread(id, admin)));
    const inThread = thread.messages.find((m) => m.id === message.id)!;
    expect(inThread.attachments).toEqual([expect.objectContaining({ id: message.attachments[0]!.id, name: "screenshot.png", type: "image/png", size: PNG.length })]);
    expect(counts()).toMatchObject({ messages: before.messages + 1, attachments: before.attachments + 1 });
    // The event a visitor message in a conversation with people writes.
    const recorded = sqlite.prepare("SELECT type FROM events WHERE conversation_id = ? ORDER BY id DESC LIMIT 1").pluck().get(id);
    expect(recorded).toBe("message_created");
    const published = events.find((e) => e.kind === "message" && e.id === message.id)!;
    expect(published).toMatchObject({ conversationId: id, internal: false, data: { author: "visitor", attachments: message.attachments } });
    // The visitor downloads it back.
    const back = await download(token, id, message.attachments[0]!.id);
    expect(back.headers.get("content-type")).toBe("image/png");
    expect(back.headers.get("content-disposition")).toBe("inline; filename*=UTF-8''screenshot.png");
    expect(Buffer.from(await back.arrayBuffer())).toEqual(PNG);
  });

  it("without a caption stores an empty text; a retry with the same clientMessageId answers the first without storing twice", async () => {
    const { token, id } = await peopleConversation();
    const first = await upload(token, id, { file: { name: "notes.txt", type: "text/plain", bytes: Buffer.from("hello") }, clientMessageId: "same-1" });
    expect(first.status).toBe(200);
    expect(first.body.messages[0]).toMatchObject({ text: "", attachments: [{ name: "notes.txt", size: 5 }] });
    // The inbox list previews it by the file's name, not as an empty line.
    expect(sqlite.prepare("SELECT last_message_preview FROM conversations WHERE id = ?").pluck().get(id)).toBe("File: notes.txt");
    const again = await storesNothing(() => upload(token, id, { file: { name: "notes.txt", type: "text/plain", bytes: Buffer.from("hello") }, clientMessageId: "same-1" }));
    expect(again.status).toBe(200);
    expect(again.body.messages[0]).toEqual(first.body.messages[0]);
    // Another file under the same id is no retry.
    const other = await storesNothing(() => upload(token, id, { file: { name: "other.txt", type: "text/plain", bytes: Buffer.from("bye") }, clientMessageId: "same-1" }));
    expect(other.status).toBe(409);
  });

  it("413 at file as soon as the upload passes 10 MB, with nothing stored", async () => {
    const { token, id } = await peopleConversation();
    const big = new Blob([new Uint8Array(ATTACHMENT_CHAT_UPLOAD_MAX_BYTES + 1).fill(1)], { type: "application/octet-stream" });
    const refused = await storesNothing(() => upload(token, id, { file: { name: "big.bin", type: "application/octet-stream", bytes: big }, clientMessageId: "big-1" }));
    expect(refused.status).toBe(413);
    expect(refused.body).toEqual({ error: { code: "payload_too_large", message: "file: a file is at most 10 MB", path: "file" } });
    // Without a declared length too (chunked): refused while it streams.
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const boundary = "----parley-test";
      const req = httpRequest(`${base}/api/conversations/${id}/files`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": `multipart/form-data; boundary=${boundary}`, "Transfer-Encoding": "chunked" },
      });
      req.on("response", (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="clientMessageId"\r\n\r\nbig-2\r\n`);
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
      const chunk = Buffer.alloc(1024 * 1024, 2);
      let written = 0;
      const more = () => {
        // Writes until the server answers (it stops reading the file past 10 MB): at most 12 MB.
        while (written < 12) {
          written++;
          if (!req.write(chunk)) return void req.once("drain", more);
        }
        req.end(`\r\n--${boundary}--\r\n`);
      };
      more();
    });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toMatchObject({ error: { path: "file" } });
    expect(sqlite.prepare("SELECT count(*) FROM messages WHERE client_message_id IN ('big-1', 'big-2')").pluck().get()).toBe(0);
  });

  it("400 at file when missing or empty, at clientMessageId when missing, at text past 4,000 characters; a second file is refused", async () => {
    const { token, id } = await peopleConversation();
    const file = { name: "a.txt", type: "text/plain", bytes: Buffer.from("a") };
    const missingFile = await storesNothing(() => upload(token, id, { clientMessageId: "x-1" }));
    expect(missingFile).toMatchObject({ status: 400, body: { error: { code: "invalid_input", path: "file" } } });
    const emptyFile = await storesNothing(() => upload(token, id, { clientMessageId: "x-2", file: { name: "empty.txt", type: "text/plain", bytes: Buffer.alloc(0) } }));
    expect(emptyFile).toMatchObject({ status: 400, body: { error: { path: "file", message: "file: the file is empty" } } });
    const missingId = await storesNothing(() => upload(token, id, { file }));
    expect(missingId).toMatchObject({ status: 400, body: { error: { path: "clientMessageId", message: "clientMessageId: a client message id is required" } } });
    const longText = await storesNothing(() => upload(token, id, { file, clientMessageId: "x-3", text: "a".repeat(4001) }));
    expect(longText).toMatchObject({ status: 400, body: { error: { path: "text" } } });
    const two = await storesNothing(() => upload(token, id, { file, clientMessageId: "x-4", extra: [["file", new Blob(["b"]), "b.txt"]] }));
    expect(two).toMatchObject({ status: 400, body: { error: { path: "file", message: "file: send one file per message" } } });
    const elsewhere = await storesNothing(() => upload(token, id, { clientMessageId: "x-5", extra: [["upload", new Blob(["b"]), "b.txt"]] }));
    expect(elsewhere).toMatchObject({ status: 400, body: { error: { path: "upload" } } });
  });

  it("415 when not multipart, 405 for another method, 401 without a token, 404/403 for a conversation not the visitor's", async () => {
    const { token, id } = await peopleConversation();
    const json = await storesNothing(() => call(base, `/api/conversations/${id}/files`, { token, body: { clientMessageId: "j-1" } }));
    expect(json.status).toBe(415);
    expect(json.body.error.code).toBe("unsupported_media_type");
    expect(json.headers.get("accept-post")).toBe("multipart/form-data");
    expect((await call(base, `/api/conversations/${id}/files`, { token })).status).toBe(405);
    const file = { name: "a.txt", type: "text/plain", bytes: Buffer.from("a") };
    expect((await storesNothing(() => upload(undefined, id, { file, clientMessageId: "n-1" }))).status).toBe(401);
    expect((await storesNothing(() => upload(token, "conv_unknown", { file, clientMessageId: "n-2" }))).status).toBe(404);
    const other = await peopleConversation();
    expect((await storesNothing(() => upload(other.token, id, { file, clientMessageId: "n-3" }))).status).toBe(403);
  });

  it("409 while the bot holds the conversation, before the upload is read", async () => {
    const { token, id } = await botConversation();
    const refused = await storesNothing(() => upload(token, id, { file: { name: "a.png", type: "image/png", bytes: PNG }, clientMessageId: "bot-1" }));
    expect(refused).toMatchObject({ status: 409, body: { error: { code: "conflict", message: "the bot is asking a question: answer it first" } } });
    // The engine says the same to any caller.
    const engine = await runtime.runPromise(Engine);
    const exit = await runtime.runPromiseExit(
      engine.visitorFile({
        conversationId: id,
        visitorId: sqlite.prepare("SELECT visitor_id FROM conversations WHERE id = ?").pluck().get(id) as string,
        clientMessageId: "bot-2",
        text: "",
        file: { filename: "a.png", contentType: "image/png", content: PNG },
      }),
    );
    expect(JSON.stringify(exit)).toContain("the bot is asking a question: answer it first");
  });

  it("serves an HTML or SVG upload as a download (octet-stream, nosniff), never inline", async () => {
    const { token, id } = await peopleConversation();
    for (const [name, type, body] of [
      ["page.html", "text/html", "<script>alert(1)</script>"],
      ["logo.svg", "image/svg+xml", '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'],
    ] as const) {
      const sent = await upload(token, id, { file: { name, type, bytes: Buffer.from(body) }, clientMessageId: `unsafe-${name}` });
      expect(sent.status).toBe(200);
      const res = await download(token, id, sent.body.messages[0].attachments[0].id);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/octet-stream");
      expect(res.headers.get("content-disposition")).toBe(`attachment; filename*=UTF-8''${name}`);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(await res.text()).toBe(body);
    }
  });
});
