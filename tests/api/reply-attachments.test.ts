/**
 * Files attached to a reply that goes out by email: posted to the thread route's real action
 * (session cookie, CSRF token, multipart body), stored with the agent's message in its one
 * write, listed on the thread message with download links, and mailed by the outbox through the
 * team's relay with the same bytes. Refusals (a file too large, the files too large together,
 * too many files, files on a comment) answer their status and the field path,
 * and store nothing. A retried post stores the message and its files once. (A Messenger reply's
 * files: tests/api/messenger-reply-files.test.ts.)
 * Real parts: the app runtime on a fresh SQLite file, the route modules; a local smtp-server
 * stands in for the team's outgoing relay (outside this machine in production).
 */
import { Effect } from "effect";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loader as download } from "../../app/routes/inbox_.attachments.$attachmentId.js";
import type { AppRuntime } from "../../runtime/services/app-layer.js";
import { attachmentForActor } from "../../runtime/services/attachments.js";
import { Channels } from "../../runtime/services/channels.js";
import type { Sqlite } from "../../runtime/services/database.js";
import { Deliveries } from "../../runtime/services/deliveries.js";
import { EmailChannel } from "../../runtime/services/email-channel.js";
import { Engine } from "../../runtime/services/engine.js";
import { Inbox } from "../../runtime/services/inbox.js";
import { OutsideConversations } from "../../runtime/services/outside-conversations.js";
import { Visitors } from "../../runtime/services/visitors.js";
import { startFakeRelay, type FakeRelay } from "../support/fake-relay.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { postThreadForm, signInAdmin, type ThreadAnswer, type ThreadUpload } from "../support/thread-post.js";

const BASE = "https://parley.example.com";
const TEAM = "help@acme.test";
const MB = 1024 * 1024;

let app: TestApp;
let runtime: AppRuntime;
let sqlite: Sqlite;
let admin: { id: string; role: string };
let inboxId: string;
let emailChannelId: string;
let emailConversation: string;
let chatConversation: string;

// ---- the team's outgoing relay, standing in ----
let relay: FakeRelay;
let relayed: FakeRelay["relayed"];

// ---- posting to the thread route as the signed-in admin ----
type Answer = ThreadAnswer;
const postMultipart = (
  conversationId: string,
  fields: Record<string, string>,
  files: ReadonlyArray<ThreadUpload>,
  options: { csrf?: boolean; headers?: Record<string, string> } = {},
) => postThreadForm(runtime, conversationId, fields, files, options);

// ---- what is stored ----
const counts = () => ({
  messages: (sqlite.prepare("SELECT count(*) AS n FROM messages").get() as { n: number }).n,
  attachments: (sqlite.prepare("SELECT count(*) AS n FROM attachments").get() as { n: number }).n,
  deliveries: (sqlite.prepare("SELECT count(*) AS n FROM deliveries").get() as { n: number }).n,
});
const runDue = async () => (await runtime.runPromise(Deliveries)).runDue().pipe(Effect.runPromise);
const bytes = (size: number, fill: number) => Buffer.alloc(size, fill);

beforeAll(async () => {
  relay = await startFakeRelay({ maxBytes: 40 * MB });
  relayed = relay.relayed;
  const relayPort = relay.port;
  app = await startTestApp("reply-attachments", { PUBLIC_URL: BASE });
  ({ runtime, sqlite } = app);
  admin = sqlite.prepare("SELECT id, role FROM users WHERE role = 'admin' LIMIT 1").get() as typeof admin;
  inboxId = (sqlite.prepare("SELECT id FROM inboxes ORDER BY created_at LIMIT 1").get() as { id: string }).id;
  emailChannelId = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name: "Help mail", inboxId })))).id;
  await runtime.runPromise(
    Effect.flatMap(EmailChannel, (email) =>
      email.saveSettings(emailChannelId, {
        addresses: TEAM,
        fromName: "Acme Help",
        fromAddress: TEAM,
        signature: "",
        smtpHost: "127.0.0.1",
        smtpPort: String(relayPort),
        smtpSecurity: "none",
        smtpUser: "",
        smtpPassword: "",
      }),
    ),
  );
  const { visitorId } = await runtime.runPromise(
    Effect.flatMap(OutsideConversations, (o) => o.visitorFor({ channelId: emailChannelId, externalId: "ann@customer.test" })),
  );
  emailConversation = (
    await runtime.runPromise(
      Effect.flatMap(OutsideConversations, (o) =>
        o.open({
          channelId: emailChannelId,
          visitorId,
          contactId: null,
          text: "Could you send me the invoice again?",
          payload: { subject: "Invoice", from: { address: "ann@customer.test", name: "Ann" }, to: [], cc: [], messageId: "<q1@customer.test>", attachments: [] },
          via: "email",
          externalMessageId: "<q1@customer.test>",
        }),
      ),
    )
  ).conversationId;

  // A chat conversation of the seeded chat channel: its replies go to the widget only.
  const chatChannelId = (sqlite.prepare("SELECT id FROM channels WHERE kind = 'chat' ORDER BY created_at LIMIT 1").get() as { id: string }).id;
  const chatflowId = (
    sqlite.prepare("SELECT id FROM chatflows WHERE channel_id = ? AND enabled = 1 AND published_version_id IS NOT NULL LIMIT 1").get(chatChannelId) as { id: string }
  ).id;
  chatConversation = await runtime.runPromise(
    Effect.gen(function* () {
      const { visitorId: chatVisitor } = yield* Effect.flatMap(Visitors, (v) =>
        v.create({ channelId: chatChannelId, device: "desktop", languages: ["en"], pageUrl: "https://acme.test/" }),
      );
      const started = yield* Effect.flatMap(Engine, (e) =>
        e.startConversation({ visitorId: chatVisitor, channelId: chatChannelId, chatflowId, pageUrl: "https://acme.test/" }),
      );
      return started.conversation.id;
    }),
  );
});

afterAll(async () => {
  await relay?.close();
  await app?.dispose();
});

beforeEach(() => {
  relayed.length = 0;
});

describe("a reply by email with files", () => {
  const invoice = { name: "invoice-0042.pdf", type: "application/pdf", bytes: Buffer.from("%PDF-1.4\n" + "x".repeat(5000) + "\n%%EOF") };
  const photo = { name: "../../etc/ünïcode photo.png", type: "image/png", bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 254, 255]) };

  it("stores the files with the message, lists them in the thread, and mails both to the customer byte for byte", async () => {
    const before = counts();
    const answered = await postMultipart(emailConversation, { intent: "reply", text: "Here is the invoice and the photo.", clientMessageId: "files-1" }, [invoice, photo]);
    expect(answered).toEqual({ status: 200, data: { ok: true, intent: "reply", clientMessageId: "files-1" } });
    expect(counts()).toEqual({ messages: before.messages + 1, attachments: before.attachments + 2, deliveries: before.deliveries + 1 });

    const thread = await runtime.runPromise(Effect.flatMap(Inbox, (inbox) => inbox.getThread(emailConversation, admin)));
    const sent = thread.messages.at(-1)!;
    expect(sent).toMatchObject({ author: "agent", text: "Here is the invoice and the photo." });
    expect(sent.attachments).toEqual([
      { id: expect.stringMatching(/^att_/), name: "invoice-0042.pdf", type: "application/pdf", size: invoice.bytes.length },
      // The name as the browser's basename and then the runtime's sanitiser left it.
      { id: expect.stringMatching(/^att_/), name: "ünïcode photo.png", type: "image/png", size: photo.bytes.length },
    ]);
    const stored = sqlite.prepare("SELECT id, message_id, conversation_id, data FROM attachments WHERE message_id = ? ORDER BY rowid").all(Number(sent.id)) as Array<{
      id: string;
      conversation_id: string;
      data: Buffer;
    }>;
    expect(stored.map((r) => r.id)).toEqual(sent.attachments!.map((a) => a.id));
    expect(stored.every((r) => r.conversation_id === emailConversation)).toBe(true);

    await runDue();
    expect(sqlite.prepare("SELECT status, last_error FROM deliveries WHERE message_id = ?").get(Number(sent.id))).toEqual({ status: "sent", last_error: null });
    expect(relayed).toHaveLength(1);
    expect(relayed[0]!.to).toEqual(["ann@customer.test"]);
    const mail = relayed[0]!.mail;
    expect(mail.text).toContain("Here is the invoice and the photo.");
    expect(mail.inReplyTo).toBe("<q1@customer.test>");
    expect(mail.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ["invoice-0042.pdf", "application/pdf"],
      ["ünïcode photo.png", "image/png"],
    ]);
    expect(Buffer.compare(mail.attachments[0]!.content, invoice.bytes)).toBe(0);
    expect(Buffer.compare(mail.attachments[1]!.content, photo.bytes)).toBe(0);
  });

  it("serves the sent files to whoever may open the conversation, and to nobody else", async () => {
    const [file] = sqlite.prepare("SELECT a.id, a.data FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.author = 'agent' ORDER BY a.rowid LIMIT 1").all() as Array<{
      id: string;
      data: Buffer;
    }>;
    const { context, cookie } = await signInAdmin(runtime);
    const response = await download({ request: new Request(`${BASE}/inbox/attachments/${file!.id}`, { headers: { Cookie: cookie } }), context, params: { attachmentId: file!.id } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("application/pdf");
    expect(Buffer.compare(Buffer.from(await response.arrayBuffer()), file!.data)).toBe(0);
    // An agent outside the inbox learns nothing, not even that the file exists.
    const outsider = await Effect.runPromise(Effect.either(attachmentForActor(sqlite.prepare.bind(sqlite), { id: "user_outsider", role: "agent" }, file!.id)));
    expect(outsider._tag).toBe("Left");
    expect(outsider._tag === "Left" && outsider.left._tag).toBe("NotFound");
  });

  it("stores a retried post's message and files once", async () => {
    const before = counts();
    const fields = { intent: "reply", text: "Retried with a file", clientMessageId: "files-retry" };
    const first = await postMultipart(emailConversation, fields, [invoice]);
    const again = await postMultipart(emailConversation, fields, [invoice]);
    expect(first.status).toBe(200);
    expect(again).toEqual(first);
    expect(counts()).toEqual({ messages: before.messages + 1, attachments: before.attachments + 1, deliveries: before.deliveries + 1 });
  });
});

describe("a reply by email to an away message, with a file", () => {
  it("goes out through the inbox's team email with the file", async () => {
    const chatChannelId = (sqlite.prepare("SELECT id FROM channels WHERE kind = 'chat' ORDER BY created_at LIMIT 1").get() as { id: string }).id;
    const chatflowId = (
      sqlite.prepare("SELECT id FROM chatflows WHERE channel_id = ? AND enabled = 1 AND published_version_id IS NOT NULL LIMIT 1").get(chatChannelId) as { id: string }
    ).id;
    const left = await runtime.runPromise(
      Effect.gen(function* () {
        const visitors = yield* Visitors;
        const { visitorId } = yield* visitors.create({ channelId: chatChannelId, device: "desktop", languages: ["en"], pageUrl: "https://acme.test/" });
        return yield* visitors.leaveAwayMessage({ visitorId, channelId: chatChannelId, chatflowId, email: "late@customer.test", text: "Send me the price list?", pageUrl: "https://acme.test/" });
      }),
    );
    const prices = { name: "prices.csv", type: "text/csv", bytes: Buffer.from("item,price\nwidget,10\n") };
    const answered = await postMultipart(left.conversationId, { intent: "reply", text: "Here it is.", clientMessageId: "away-1" }, [prices]);
    expect(answered.status).toBe(200);
    await runDue();
    // (The earlier tests' replies to Ann may go out in the same pass.)
    const mailed = relayed.filter((r) => r.to.includes("late@customer.test"));
    expect(mailed).toHaveLength(1);
    const [attached] = mailed[0]!.mail.attachments;
    expect([attached!.filename, attached!.contentType, attached!.content.toString()]).toEqual(["prices.csv", "text/csv", "item,price\nwidget,10\n"]);
  });
});

describe("refused files change nothing", () => {
  const reply = (clientMessageId: string) => ({ intent: "reply", text: "With files", clientMessageId });
  const small = (i: number) => ({ name: `note-${i}.txt`, type: "text/plain", bytes: Buffer.from(`note ${i}`) });

  it("413 at files[i] for a file over 10 MB, and for the file that takes the total over 25 MB", async () => {
    const before = counts();
    const tooLarge = await postMultipart(emailConversation, reply("big-1"), [small(0), { name: "video.mov", type: "video/quicktime", bytes: bytes(10 * MB + 1, 1) }]);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.data).toMatchObject({ ok: false, intent: "reply", path: "files[1]", fields: { files: "“video.mov” is over 10 MB; a reply's files are at most 10 MB each" } });

    const together = await postMultipart(
      emailConversation,
      reply("big-2"),
      [0, 1, 2].map((i) => ({ name: `scan-${i}.pdf`, type: "application/pdf", bytes: bytes(9 * MB, i) })),
    );
    expect(together.status).toBe(413);
    expect(together.data).toMatchObject({ path: "files[2]", fields: { files: "with “scan-2.pdf” the files pass 25 MB together, the most one reply can carry" } });
    expect(counts()).toEqual(before);
  });

  it("413 before reading a body that declares more than any reply may carry", async () => {
    const before = counts();
    const declared = await postMultipart(emailConversation, reply("big-3"), [small(0)], { headers: { "Content-Length": String(30 * MB) } }).catch(
      (error: unknown) => ({ status: -1, data: { ok: false, error: String(error) } as Answer }),
    );
    expect(declared.status).toBe(413);
    expect(declared.data).toMatchObject({ ok: false, path: "files" });
    expect(counts()).toEqual(before);
  });

  it("400 at files[10] for an eleventh file", async () => {
    const before = counts();
    const many = await postMultipart(emailConversation, reply("many-1"), Array.from({ length: 11 }, (_, i) => small(i)));
    expect(many.status).toBe(400);
    expect(many.data).toMatchObject({ ok: false, path: "files[10]", fields: { files: "at most 10 files can be attached to one reply" } });
    expect(counts()).toEqual(before);
  });

  it("stores a chat reply's files with it, and refuses files on a comment with 400", async () => {
    const before = counts();
    const chat = await postMultipart(chatConversation, reply("chat-1"), [small(0)]);
    expect(chat).toMatchObject({ status: 200, data: { ok: true, intent: "reply" } });
    expect(counts()).toMatchObject({ messages: before.messages + 1, attachments: before.attachments + 1 });
    const afterChat = counts();
    const comment = await postMultipart(emailConversation, { intent: "comment", text: "see file", clientMessageId: "comment-1" }, [small(0)]);
    expect(comment.status).toBe(400);
    expect(comment.data).toMatchObject({ ok: false, intent: "comment", fields: { files: "files can only be attached to replies, not to internal comments" } });
    expect(counts()).toEqual(afterChat);
  });

  it("403 without the CSRF token, and an empty file input is no file", async () => {
    const before = counts();
    expect((await postMultipart(emailConversation, reply("csrf-1"), [small(0)], { csrf: false })).status).toBe(403);
    expect(counts()).toEqual(before);
    // A form whose file input was left empty sends one nameless, empty part: a plain reply.
    const plain = await postMultipart(chatConversation, reply("empty-input"), [{ name: "", type: "application/octet-stream", bytes: Buffer.alloc(0) }]);
    expect(plain).toMatchObject({ status: 200, data: { ok: true, intent: "reply" } });
    expect(counts()).toMatchObject({ messages: before.messages + 1, attachments: before.attachments });
  });

  it("refuses at the service too: too many files, or files on a comment", async () => {
    const inbox = await runtime.runPromise(Inbox);
    const before = counts();
    const file = { filename: "a.txt", contentType: "text/plain", content: Buffer.from("a") };
    const many = await runtime.runPromiseExit(
      inbox.reply({ conversationId: emailConversation, text: "x", clientMessageId: "svc-2", files: Array.from({ length: 11 }, () => file) }, admin),
    );
    expect(JSON.stringify(many)).toContain("files[10]");
    const engine = await runtime.runPromise(Engine);
    const comment = await runtime.runPromiseExit(
      engine.replyAsAgent({
        conversationId: emailConversation,
        userId: admin.id,
        text: "x",
        clientMessageId: "svc-3",
        internal: true,
        attachments: [{ id: "att_x", filename: "a.txt", contentType: "text/plain", size: 1, sha256: "0".repeat(64), data: Buffer.from("a") }],
      }),
    );
    expect(JSON.stringify(comment)).toContain("not to internal comments");
    expect(counts()).toEqual(before);
  });
});
