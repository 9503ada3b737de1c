/**
 * An agent's files on a Messenger reply, end to end: posted to the thread route's real action
 * (session cookie, CSRF token, multipart body), stored with the agent's message in its one write,
 * and sent by the outbox to a local node:http server standing in for the Graph API's Send
 * endpoint (MESSENGER_GRAPH_URL points at it) — the text as JSON, then one multipart upload per
 * file — which records every request, reads each upload's form with the platform's own parser,
 * and fails on demand. Refusals (a file over the limit) answer their status
 * and field path and store nothing.
 * Real parts: the app runtime on a fresh SQLite file, the route modules, the outbox's passes.
 */
import { Effect, Either } from "effect";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AppRuntime } from "../../runtime/services/app-layer.js";
import { Channels } from "../../runtime/services/channels.js";
import type { Sqlite } from "../../runtime/services/database.js";
import { Deliveries } from "../../runtime/services/deliveries.js";
import { Engine } from "../../runtime/services/engine.js";
import { InvalidInput } from "../../runtime/services/errors.js";
import { Inbox } from "../../runtime/services/inbox.js";
import { MessengerChannel } from "../../runtime/services/messenger-channel.js";
import { OutsideConversations } from "../../runtime/services/outside-conversations.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { postThreadForm, type ThreadUpload } from "../support/thread-post.js";

const BASE = "https://parley.example.com";
const PAGE_ID = "104512345678901";
const APP_SECRET = "0123456789abcdef0123456789abcdef";
const PAGE_TOKEN = "EAAtestpagetoken1234567890abcdefXYZ";
const MB = 1024 * 1024;

let app: TestApp;
let runtime: AppRuntime;
let sqlite: Sqlite;
let admin: { id: string; role: string };
let inboxId: string;
let channelId: string;

// ---- the Graph API, standing in ----

/** One Send API request as the fake read it: a JSON body, or an upload's fields and file. */
type GraphRequest =
  | { readonly kind: "json"; readonly token: string | null; readonly body: Record<string, unknown>; readonly status: number }
  | {
      readonly kind: "upload";
      readonly token: string | null;
      readonly fields: Record<string, string>;
      readonly file: { readonly name: string; readonly type: string; readonly bytes: Buffer } | null;
      readonly status: number;
    };
let graph: Server;
let graphBase: string;
const graphRequests: GraphRequest[] = [];
/** Answers for the next Send API calls, first first; when empty, 200 with a new message_id. */
const graphAnswers: Array<{ status: number; body: unknown }> = [];
let graphCount = 0;

const readAll = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
  });

const startGraph = async () => {
  graph = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://graph.local");
    const raw = await readAll(req);
    const type = req.headers["content-type"] ?? "";
    const next = graphAnswers.shift() ?? { status: 200, body: { recipient_id: "x", message_id: `m_out_${++graphCount}` } };
    const token = url.searchParams.get("access_token");
    if (req.method !== "POST" || url.pathname !== "/v21.0/me/messages") {
      res.writeHead(404).end();
      return;
    }
    if (type.startsWith("multipart/form-data")) {
      // The platform's own multipart reader, as Graph would read the upload.
      const form = await new Request("http://graph.local/", { method: "POST", headers: { "Content-Type": type }, body: new Uint8Array(raw) }).formData();
      const fields: Record<string, string> = {};
      let file: { name: string; type: string; bytes: Buffer } | null = null;
      for (const [name, value] of form.entries()) {
        if (typeof value === "string") fields[name] = value;
        else if (name === "filedata") file = { name: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) };
      }
      graphRequests.push({ kind: "upload", token, fields, file, status: next.status });
    } else {
      graphRequests.push({ kind: "json", token, body: JSON.parse(raw.toString("utf8")) as Record<string, unknown>, status: next.status });
    }
    res.writeHead(next.status, { "Content-Type": "application/json" }).end(JSON.stringify(next.body));
  });
  await new Promise<void>((resolve) => graph.listen(0, "127.0.0.1", resolve));
  graphBase = `http://127.0.0.1:${(graph.address() as AddressInfo).port}/v21.0`;
};

/** What the fake received, in a form easy to compare: a text, or an upload's fields and file. */
const received = () =>
  graphRequests.map((r) =>
    r.kind === "json"
      ? { text: (r.body.message as { text: string }).text, status: r.status }
      : { upload: r.file?.name, status: r.status },
  );

// ---- posting to the thread route as the signed-in admin ----

type Upload = ThreadUpload;

const postReply = (conversationId: string, text: string, clientMessageId: string, files: ReadonlyArray<Upload>) =>
  postThreadForm(runtime, conversationId, { intent: "reply", text, clientMessageId }, files);

// ---- what is stored ----

const counts = () => ({
  messages: (sqlite.prepare("SELECT count(*) AS n FROM messages").get() as { n: number }).n,
  attachments: (sqlite.prepare("SELECT count(*) AS n FROM attachments").get() as { n: number }).n,
  deliveries: (sqlite.prepare("SELECT count(*) AS n FROM deliveries").get() as { n: number }).n,
});
const runDue = async () => (await runtime.runPromise(Deliveries)).runDue().pipe(Effect.runPromise);
const lastAgentMessage = (conversationId: string) =>
  (sqlite.prepare("SELECT id FROM messages WHERE conversation_id = ? AND author = 'agent' ORDER BY id DESC LIMIT 1").get(conversationId) as { id: number }).id;
const delivery = (messageId: number) =>
  sqlite.prepare("SELECT status, attempts, last_error, external_id FROM deliveries WHERE message_id = ?").get(messageId) as {
    status: string;
    attempts: number;
    last_error: string | null;
    external_id: string | null;
  };
const makeDue = (conversationId: string) => sqlite.prepare("UPDATE deliveries SET next_attempt_at = 0 WHERE conversation_id = ? AND status = 'pending'").run(conversationId);

/** A conversation the team has with a new Messenger visitor, who wrote just now (inside the 24-hour window). */
let psidCount = 0;
const teamConversation = async () => {
  const psid = `psid-files-${++psidCount}`;
  const { visitorId } = await runtime.runPromise(Effect.flatMap(OutsideConversations, (o) => o.visitorFor({ channelId, externalId: psid })));
  const { conversationId } = await runtime.runPromise(
    Effect.flatMap(OutsideConversations, (o) => o.open({ channelId, visitorId, contactId: null, text: "Is my order broken?", via: "messenger", externalMessageId: `m_in_${psid}` })),
  );
  return { psid, conversationId };
};

const setHumanAgentTag = (on: boolean) =>
  runtime.runPromise(
    Effect.flatMap(MessengerChannel, (m) =>
      m.saveSettings(channelId, { pageId: PAGE_ID, appSecret: "", pageAccessToken: "", chatflowId: "", humanAgentTag: on ? "on" : "off" }, admin.id),
    ),
  );

// ---- set-up ----

beforeAll(async () => {
  await startGraph();
  app = await startTestApp("messenger-reply-files", { PUBLIC_URL: BASE, MESSENGER_GRAPH_URL: graphBase });
  ({ runtime, sqlite } = app);
  admin = sqlite.prepare("SELECT id, role FROM users WHERE role = 'admin' LIMIT 1").get() as typeof admin;
  inboxId = (sqlite.prepare("SELECT id FROM inboxes ORDER BY created_at LIMIT 1").get() as { id: string }).id;
  channelId = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "messenger", name: "Our page", inboxId })))).id;
  await runtime.runPromise(
    Effect.flatMap(MessengerChannel, (m) => m.saveSettings(channelId, { pageId: PAGE_ID, appSecret: APP_SECRET, pageAccessToken: PAGE_TOKEN, chatflowId: "" }, admin.id)),
  );
});

afterAll(async () => {
  await new Promise<void>((resolve) => (graph ? graph.close(() => resolve()) : resolve()));
  await app?.dispose();
});

beforeEach(() => {
  // Earlier tests' leftovers (a failed or waiting send) must not be sent in this one.
  sqlite.prepare("UPDATE deliveries SET status = 'failed' WHERE status = 'pending'").run();
  graphRequests.length = 0;
  graphAnswers.length = 0;
});

// ---- tests ----

const photo: Upload = { name: "broken-part.jpg", type: "image/jpeg", bytes: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(30_000, 5), Buffer.from([0xff, 0xd9])]) };
const invoice: Upload = { name: "Invoice 0042.pdf", type: "application/pdf", bytes: Buffer.from("%PDF-1.4\n" + "x".repeat(5000) + "\n%%EOF") };

describe("an agent's reply with files on Messenger", () => {
  it("is stored with its files and reaches Messenger as its text, then one upload per file with its type, name and bytes", async () => {
    const { psid, conversationId } = await teamConversation();
    const before = counts();
    const answered = await postReply(conversationId, "Here is the photo and the invoice.", "mfiles-1", [photo, invoice]);
    expect(answered).toEqual({ status: 200, data: { ok: true, intent: "reply", clientMessageId: "mfiles-1" } });
    expect(counts()).toEqual({ messages: before.messages + 1, attachments: before.attachments + 2, deliveries: before.deliveries + 1 });

    const thread = await runtime.runPromise(Effect.flatMap(Inbox, (inbox) => inbox.getThread(conversationId, admin)));
    expect(thread.messages.at(-1)).toMatchObject({
      author: "agent",
      text: "Here is the photo and the invoice.",
      attachments: [
        { id: expect.stringMatching(/^att_/), name: "broken-part.jpg", type: "image/jpeg", size: photo.bytes.length },
        { id: expect.stringMatching(/^att_/), name: "Invoice 0042.pdf", type: "application/pdf", size: invoice.bytes.length },
      ],
    });

    expect(await runDue()).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(graphRequests).toHaveLength(3);
    const [text, first, second] = graphRequests;
    expect(text).toEqual({
      kind: "json",
      token: PAGE_TOKEN,
      body: { recipient: { id: psid }, messaging_type: "RESPONSE", message: { text: "Here is the photo and the invoice." } },
      status: 200,
    });
    expect(first).toMatchObject({
      kind: "upload",
      token: PAGE_TOKEN,
      fields: {
        recipient: JSON.stringify({ id: psid }),
        messaging_type: "RESPONSE",
        message: JSON.stringify({ attachment: { type: "image", payload: { is_reusable: false } } }),
      },
      file: { name: "broken-part.jpg", type: "image/jpeg" },
    });
    expect(second).toMatchObject({
      kind: "upload",
      fields: { message: JSON.stringify({ attachment: { type: "file", payload: { is_reusable: false } } }) },
      file: { name: "Invoice 0042.pdf", type: "application/pdf" },
    });
    if (first!.kind !== "upload" || second!.kind !== "upload") throw new Error("expected uploads");
    expect("tag" in first.fields).toBe(false);
    expect(first.file!.bytes.equals(photo.bytes)).toBe(true);
    expect(second.file!.bytes.equals(invoice.bytes)).toBe(true);

    // Each part is recorded once sent; the delivery names the last one.
    const messageId = lastAgentMessage(conversationId);
    expect(delivery(messageId)).toMatchObject({ status: "sent", attempts: 1, external_id: `m_out_${graphCount}` });
    const parts = (
      sqlite.prepare("SELECT external_id FROM external_messages WHERE message_id = ? AND external_id LIKE 'messenger-part:%' ORDER BY external_id").all(messageId) as Array<{
        external_id: string;
      }>
    ).map((r) => r.external_id.replace(/:[0-9a-f]{16}:/, ":…:"));
    expect(parts).toEqual([1, 2, 3].map((k) => `messenger-part:${messageId}:${k}/3:…:m_out_${graphCount - 3 + k}`));
  });

  it("goes with the Human Agent tag on the text and on every upload when it is sent 24 h – 7 d after the visitor's last message", async () => {
    await setHumanAgentTag(true);
    try {
      const { conversationId } = await teamConversation();
      sqlite.prepare("UPDATE messages SET created_at = created_at - ? WHERE conversation_id = ? AND author = 'visitor'").run(30 * 60 * 60 * 1000, conversationId);
      expect((await postReply(conversationId, "Sorry for the wait: here it is.", "mfiles-tag", [invoice, photo])).status).toBe(200);
      expect(await runDue()).toEqual({ sent: 1, retrying: 0, failed: 0 });
      expect(graphRequests.map((r) => (r.kind === "json" ? [r.body.messaging_type, r.body.tag] : [r.fields.messaging_type, r.fields.tag]))).toEqual([
        ["MESSAGE_TAG", "HUMAN_AGENT"],
        ["MESSAGE_TAG", "HUMAN_AGENT"],
        ["MESSAGE_TAG", "HUMAN_AGENT"],
      ]);
      expect(received().map((r) => r.upload ?? r.text)).toEqual(["Sorry for the wait: here it is.", "Invoice 0042.pdf", "broken-part.jpg"]);
    } finally {
      await setHumanAgentTag(false);
    }
  });

  it("a video and an audio file go as Messenger's video and audio attachments", async () => {
    const { conversationId } = await teamConversation();
    const video = { name: "how-to.mp4", type: "video/mp4", bytes: Buffer.alloc(2000, 1) };
    const audio = { name: "note.m4a", type: "audio/mp4", bytes: Buffer.alloc(1500, 2) };
    expect((await postReply(conversationId, "Watch and listen", "mfiles-av", [video, audio])).status).toBe(200);
    await runDue();
    expect(graphRequests.flatMap((r) => (r.kind === "upload" ? [[r.file?.name, JSON.parse(r.fields.message!).attachment.type]] : []))).toEqual([
      ["how-to.mp4", "video"],
      ["note.m4a", "audio"],
    ]);
  });

  it("after the second upload failed, the retry sends only that file: the text and the first file are not sent twice", async () => {
    const { conversationId } = await teamConversation();
    graphAnswers.push(
      { status: 200, body: { recipient_id: "x", message_id: "m_text" } },
      { status: 200, body: { recipient_id: "x", message_id: "m_file_1", attachment_id: "a1" } },
      { status: 500, body: { error: { message: "An unexpected error has occurred. Please retry your request later.", type: "OAuthException", code: 2 } } },
    );
    expect((await postReply(conversationId, "Two files for you", "mfiles-retry", [photo, invoice])).status).toBe(200);
    expect(await runDue()).toEqual({ sent: 0, retrying: 1, failed: 0 });
    const messageId = lastAgentMessage(conversationId);
    expect(delivery(messageId).last_error).toMatch(/^part 3 of 3, the file “Invoice 0042\.pdf” \(the parts before it were sent\): Messenger answered 500 \(code 2\)/);

    makeDue(conversationId);
    expect(await runDue()).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(received()).toEqual([
      { text: "Two files for you", status: 200 },
      { upload: "broken-part.jpg", status: 200 },
      { upload: "Invoice 0042.pdf", status: 500 },
      { upload: "Invoice 0042.pdf", status: 200 },
    ]);
    const last = graphRequests.at(-1)!;
    expect(last.kind === "upload" && last.file!.bytes.equals(invoice.bytes)).toBe(true);
    expect(delivery(messageId)).toMatchObject({ status: "sent", attempts: 2, external_id: `m_out_${graphCount}` });
  });

  it("an upload Graph refuses for good fails the reply with Graph's message; sending it again from the inbox sends only what Messenger does not have", async () => {
    const { conversationId } = await teamConversation();
    graphAnswers.push(
      { status: 200, body: { recipient_id: "x", message_id: "m_text_2" } },
      { status: 400, body: { error: { message: "(#100) Upload attachment failure.", type: "OAuthException", code: 100, error_subcode: 2018047 } } },
    );
    expect((await postReply(conversationId, "A file", "mfiles-fail", [photo, invoice])).status).toBe(200);
    expect(await runDue()).toEqual({ sent: 0, retrying: 0, failed: 1 });
    const messageId = lastAgentMessage(conversationId);
    expect(delivery(messageId)).toMatchObject({
      status: "failed",
      last_error: "part 2 of 3, the file “broken-part.jpg” (the parts before it were sent): Messenger answered 400 (code 100, subcode 2018047): (#100) Upload attachment failure.",
    });
    await runtime.runPromise(Effect.flatMap(Inbox, (inbox) => inbox.retryDelivery(conversationId, String(messageId), admin)));
    expect(await runDue()).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(received().map((r) => r.upload ?? r.text)).toEqual(["A file", "broken-part.jpg", "broken-part.jpg", "Invoice 0042.pdf"]);
  });

  it("a reply listing a file that is not stored is not sent: the visitor would get it without the file", async () => {
    const { conversationId } = await teamConversation();
    // Past the inbox (which stores a reply's files in its write): as if the file's row were lost.
    const sent = await runtime.runPromise(
      Effect.flatMap(Engine, (e) =>
        e.replyAsAgent({
          conversationId,
          userId: admin.id,
          text: "see attached",
          clientMessageId: "mfiles-lost",
          attachments: [{ id: "att_lost_1", filename: "a.txt", contentType: "text/plain", size: 1, sha256: "0".repeat(64), data: Buffer.from("a") }],
        }),
      ),
    );
    sqlite.prepare("DELETE FROM attachments WHERE id = 'att_lost_1'").run();
    expect(await runDue()).toEqual({ sent: 0, retrying: 0, failed: 1 });
    expect(delivery(Number(sent.id))).toMatchObject({
      status: "failed",
      attempts: 1,
      last_error: "this reply lists 1 file but none is stored, so the visitor would get it without the rest; send it again with its files attached",
    });
    expect(graphRequests).toEqual([]);
  });
});

describe("refused files store nothing", () => {
  it("a file over 25 MB on a Messenger reply: 413 naming files[i], nothing stored or sent", async () => {
    const { conversationId } = await teamConversation();
    const before = counts();
    const huge = await postReply(conversationId, "the video", "mfiles-huge", [photo, { name: "screen recording.mov", type: "video/quicktime", bytes: Buffer.alloc(26 * MB, 1) }]);
    expect(huge.status).toBe(413);
    expect(huge.data).toMatchObject({ ok: false, path: "files[1]" });
    expect(huge.data!.fields!.files).toMatch(/^“screen recording\.mov” is over \d+ MB/);
    expect(counts()).toEqual(before);

    // The service holds a Messenger reply to its limits too, whoever calls it.
    const service = await runtime.runPromise(
      Effect.either(
        Effect.flatMap(Inbox, (inbox) =>
          inbox.reply(
            {
              conversationId,
              text: "x",
              clientMessageId: "mfiles-huge-svc",
              files: [
                { filename: "ok.jpg", contentType: "image/jpeg", content: photo.bytes },
                { filename: "big.mov", contentType: "video/quicktime", content: Buffer.alloc(26 * MB, 2) },
              ],
            },
            admin,
          ),
        ),
      ),
    );
    expect(Either.isLeft(service) && service.left instanceof InvalidInput && service.left.issues[0]!.path).toBe("files[1]");
    expect(counts()).toEqual(before);
    await runDue();
    expect(graphRequests).toEqual([]);
  });
});
