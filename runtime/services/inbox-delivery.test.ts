/**
 * The inbox's side of the outbox, on the app's real runtime and a fresh SQLite file: the thread
 * carries each outgoing message's delivery state and an email's headers (read leniently from the
 * payload), an agent's reply wakes the one outbox loop the app runs, and `retryDelivery` sends a
 * failed reply again — refusing, with nothing changed, what is not a failed reply of this
 * conversation or not the agent's to touch. The sender is the test's own, registered for email.
 */
import { Effect, Either } from "effect";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AppRuntime } from "./app-layer.js";
import { Channels } from "./channels.js";
import type { Sqlite } from "./database.js";
import { Deliveries, SendFailed, type Outbound } from "./deliveries.js";
import { Conflict, Forbidden, InvalidInput, NotFound } from "./errors.js";
import type { Actor } from "./inbox-access.js";
import { emailOfPayload, Inbox, type ThreadMessage } from "./inbox.js";
import { OutsideConversations } from "./outside-conversations.js";
import { startTestApp } from "../../tests/support/test-app.js";

let dir: string;
let runtime: AppRuntime;
let sqlite: Sqlite;
let admin: Actor;
let inboxId: string;
let emailChannel: string;
const sent: Outbound[] = [];
let answer: (message: Outbound) => Effect.Effect<{ externalId?: string }, SendFailed> = () => Effect.succeed({});

const inbox = () => runtime.runPromise(Inbox);
const deliveries = () => runtime.runPromise(Deliveries);
const outside = <A, E>(f: (o: Effect.Effect.Success<typeof OutsideConversations>) => Effect.Effect<A, E>) =>
  runtime.runPromise(Effect.flatMap(OutsideConversations, f));
const failureOf = async <A, E>(effect: Effect.Effect<A, E>): Promise<E> => {
  const result = await runtime.runPromise(Effect.either(effect));
  if (Either.isRight(result)) throw new Error("expected a failure");
  return result.left;
};

let replies = 0;
const reply = async (conversationId: string, text: string) =>
  runtime.runPromise((await inbox()).reply({ conversationId, text, clientMessageId: `c${replies++}` }, admin));
const thread = async (conversationId: string) => runtime.runPromise((await inbox()).getThread(conversationId, admin));
const messageOf = async (conversationId: string, id: string): Promise<ThreadMessage> => {
  const found = (await thread(conversationId)).messages.find((m) => m.id === id);
  if (!found) throw new Error(`message ${id} is not in the thread`);
  return found;
};
const deliveryRows = () =>
  sqlite.prepare("SELECT message_id, status, attempts, last_error, next_attempt_at, sent_at FROM deliveries ORDER BY message_id").all();

const emailPayload = {
  subject: "Invoice 42 is wrong",
  from: { address: "ann@customer.test", name: "Ann Customer" },
  to: [{ address: "support@acme.test", name: "" }],
  cc: [{ address: "boss@customer.test", name: "Ann's Boss" }],
  messageId: "<m1@customer.test>",
  attachments: [
    { name: "invoice.pdf", type: "application/pdf", size: 48_213, id: "att_1" },
    { name: "photo.jpg", type: "image/jpeg", size: 1_200_000 },
    { name: "video.mp4", type: "video/mp4", size: 30_000_000, skipped: "too large: over 10 MB per file" },
  ],
  attachmentsNotListed: 3,
};

let threads = 0;
const newThread = async (payload: Record<string, unknown> | null = emailPayload) => {
  const from = `person${++threads}@customer.test`;
  const { visitorId } = await outside((o) => o.visitorFor({ channelId: emailChannel, externalId: from }));
  return outside((o) =>
    o.open({ channelId: emailChannel, visitorId, contactId: null, text: "Hello, the invoice is wrong.", via: "email", payload, externalMessageId: `<t${threads}@x>` }),
  );
};

beforeAll(async () => {
  // The tests run the outbox's passes themselves (one test starts its loop on purpose).
  const app = await startTestApp("inbox-delivery");
  ({ dir, runtime, sqlite } = app);
  inboxId = (sqlite.prepare("SELECT id FROM inboxes ORDER BY created_at LIMIT 1").get() as { id: string }).id;
  const adminRow = sqlite.prepare("SELECT id, role FROM users WHERE role = 'admin' LIMIT 1").get() as { id: string; role: string };
  admin = { id: adminRow.id, role: adminRow.role };
  emailChannel = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name: "Support mail", inboxId })))).id;
  (await deliveries()).register("email", (message) => {
    sent.push(message);
    return answer(message);
  });
});

afterAll(async () => {
  await runtime.dispose();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  sent.length = 0;
  answer = () => Effect.succeed({});
});

describe("the thread's delivery states", () => {
  it("shows each outgoing message's outbox row: pending, a retry waiting, sent, failed; none on the visitor's message or a comment", async () => {
    const { conversationId, messageId: visitorMessage } = await newThread();
    const a = await reply(conversationId, "first");
    const b = await reply(conversationId, "second");
    const comment = await runtime.runPromise((await inbox()).comment({ conversationId, text: "internal", clientMessageId: `c${replies++}` }, admin));
    expect(a.delivery).toEqual({ status: "pending", attempts: 0, lastError: null, sentAt: null, nextAttemptAt: expect.any(Number) });

    // The relay answers 451: a retry waits, and the later message waits behind it.
    answer = () => Effect.fail(new SendFailed({ reason: "451 4.3.0 try again later", permanent: false }));
    const before = Date.now();
    await runtime.runPromise((await deliveries()).runDue());
    const waiting = await messageOf(conversationId, a.id);
    expect(waiting.delivery).toMatchObject({ status: "pending", attempts: 1, lastError: "451 4.3.0 try again later", sentAt: null });
    expect(waiting.delivery!.nextAttemptAt).toBeGreaterThanOrEqual(before + 10_000);

    // Due again: the first fails for good, the second goes.
    sqlite.prepare("UPDATE deliveries SET next_attempt_at = 0 WHERE message_id = ?").run(Number(a.id));
    answer = (m) => (m.text === "first" ? Effect.fail(new SendFailed({ reason: "550 5.1.1 no such user", permanent: true })) : Effect.succeed({}));
    await runtime.runPromise((await deliveries()).runDue());
    await runtime.runPromise((await deliveries()).runDue());

    const t = await thread(conversationId);
    const byId = new Map(t.messages.map((m) => [m.id, m]));
    expect(byId.get(a.id)!.delivery).toEqual({ status: "failed", attempts: 2, lastError: "550 5.1.1 no such user", sentAt: null, nextAttemptAt: null });
    expect(byId.get(b.id)!.delivery).toMatchObject({ status: "sent", attempts: 1, lastError: null, nextAttemptAt: null });
    expect(byId.get(b.id)!.delivery!.sentAt).toBeGreaterThanOrEqual(before);
    expect(byId.get(String(visitorMessage))!.delivery).toBeUndefined();
    expect(byId.get(comment.message.id)!.delivery).toBeUndefined();
  });

  it("has no delivery on a chat conversation's replies", async () => {
    const chatChannel = (sqlite.prepare("SELECT id FROM channels WHERE kind = 'chat' LIMIT 1").get() as { id: string }).id;
    const now = Date.now();
    sqlite
      .prepare("INSERT INTO conversations (id, channel_id, inbox_id, status, created_at, updated_at, last_activity_at) VALUES (?, ?, ?, 'open', ?, ?, ?)")
      .run("conv_chat_delivery", chatChannel, inboxId, now, now, now);
    const message = await reply("conv_chat_delivery", "Hi from chat");
    expect(message.delivery).toBeUndefined();
    expect((await thread("conv_chat_delivery")).messages.every((m) => m.delivery === undefined)).toBe(true);
  });
});

describe("an email's headers in the thread", () => {
  it("carries from, to, cc, subject and the attachments (with the stored file's id when there is one)", async () => {
    const { conversationId, messageId } = await newThread();
    const first = await messageOf(conversationId, String(messageId));
    expect(first.email).toEqual({
      subject: "Invoice 42 is wrong",
      from: { address: "ann@customer.test", name: "Ann Customer" },
      to: [{ address: "support@acme.test", name: null }],
      cc: [{ address: "boss@customer.test", name: "Ann's Boss" }],
      attachments: [
        { name: "invoice.pdf", type: "application/pdf", size: 48_213, id: "att_1" },
        { name: "photo.jpg", type: "image/jpeg", size: 1_200_000 },
        { name: "video.mp4", type: "video/mp4", size: 30_000_000, skipped: "too large: over 10 MB per file" },
      ],
      attachmentsNotListed: 3,
    });
    // An agent's reply is no email payload.
    expect((await reply(conversationId, "We'll fix it.")).email).toBeUndefined();
  });

  it("shows a message whose payload is broken JSON, another shape, or half-wrong fields, without failing the thread", async () => {
    const { conversationId } = await newThread(null);
    const insert = (payload: string | null) =>
      Number(
        sqlite
          .prepare("INSERT INTO messages (conversation_id, author, text, payload, created_at) VALUES (?, 'visitor', ?, ?, ?)")
          .run(conversationId, `payload ${payload}`, payload, Date.now()).lastInsertRowid,
      );
    const broken = insert("{not json");
    const list = insert("[1, 2, 3]");
    const scalar = insert("42");
    const odd = insert(
      JSON.stringify({
        subject: 7,
        from: { address: "zed@customer.test", name: 12 },
        to: "everyone",
        cc: [null, { address: "" }, { address: "cc@customer.test" }],
        attachments: [null, "x", { name: 5, size: -1, skipped: 4 }, { name: "ok.txt", size: 3, id: 9 }],
        attachmentsNotListed: "many",
        choices: "abc",
        bubble: { type: "image" },
        handoff: [1],
      }),
    );
    const noFrom = insert(JSON.stringify({ subject: "Hi", to: [{ address: "a@b.test" }] }));
    const t = await thread(conversationId);
    const byId = new Map(t.messages.map((m) => [Number(m.id), m]));
    for (const id of [broken, list, scalar, noFrom]) {
      const m = byId.get(id)!;
      expect(m.text).toContain("payload");
      expect(m.email).toBeUndefined();
      expect(m.choices).toBeUndefined();
      expect(m.bubble).toBeUndefined();
      expect(m.handoff).toBeUndefined();
    }
    const m = byId.get(odd)!;
    expect(m.email).toEqual({
      subject: null,
      from: { address: "zed@customer.test", name: null },
      to: [],
      cc: [{ address: "cc@customer.test", name: null }],
      attachments: [
        { name: null, type: null, size: null },
        { name: "ok.txt", type: null, size: 3 },
      ],
      attachmentsNotListed: 0,
    });
    expect(m.choices).toBeUndefined();
    expect(m.bubble).toBeUndefined();
    expect(m.handoff).toBeUndefined();
  });

  it("reads no email from a payload without a From address (pure)", () => {
    expect(emailOfPayload(null)).toBeUndefined();
    expect(emailOfPayload({ choices: [] })).toBeUndefined();
    expect(emailOfPayload({ from: { address: "  " } })).toBeUndefined();
    expect(emailOfPayload({ from: { address: "a@b.test" } })).toEqual({ subject: null, from: { address: "a@b.test", name: null }, to: [], cc: [], attachments: [], attachmentsNotListed: 0 });
  });
});

describe("a reply wakes the outbox", () => {
  it("sends an agent's reply at once through the loop the app runs, not at its next tick", async () => {
    const { conversationId } = await newThread();
    // The app's loop, with a tick so long that only a wake can explain a send within the test.
    const stop = (await deliveries()).start(3_600_000);
    try {
      // The start's own first pass.
      await new Promise((resolve) => setTimeout(resolve, 50));
      sent.length = 0;
      const message = await reply(conversationId, "Sent right away");
      const deadline = Date.now() + 3000;
      while (!sent.some((m) => m.text === "Sent right away") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(sent.map((m) => m.text)).toContain("Sent right away");
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await messageOf(conversationId, message.id)).delivery?.status).toBe("sent");
    } finally {
      stop();
    }
  });
});

describe("Inbox.retryDelivery", () => {
  const failedReply = async () => {
    const { conversationId } = await newThread();
    const message = await reply(conversationId, "bounces");
    answer = () => Effect.fail(new SendFailed({ reason: "550 5.1.1 no such user", permanent: true }));
    await runtime.runPromise((await deliveries()).runDue());
    answer = () => Effect.succeed({});
    expect((await messageOf(conversationId, message.id)).delivery?.status).toBe("failed");
    return { conversationId, message };
  };

  it("queues a failed reply again; the next pass sends it", async () => {
    const { conversationId, message } = await failedReply();
    await runtime.runPromise((await inbox()).retryDelivery(conversationId, message.id, admin));
    expect((await messageOf(conversationId, message.id)).delivery).toMatchObject({ status: "pending", attempts: 1, lastError: "550 5.1.1 no such user" });
    await runtime.runPromise((await deliveries()).runDue());
    expect((await messageOf(conversationId, message.id)).delivery).toMatchObject({ status: "sent", attempts: 2, lastError: null });
  });

  it("refuses, changing nothing: a bad id, another conversation's message, a visitor's message, a sent or pending one, a stranger", async () => {
    const { conversationId, message } = await failedReply();
    const other = await failedReply();
    const sentOne = await reply(conversationId, "goes out");
    await runtime.runPromise((await deliveries()).runDue());
    const pendingOne = await reply(conversationId, "waits");
    const visitorMessage = (await thread(conversationId)).messages.find((m) => m.author === "visitor")!;
    const service = await inbox();
    const before = deliveryRows();

    for (const bad of ["", "abc", "0", "-3", "1.5", "12345678901234567890", " 7"]) {
      const error = await failureOf(service.retryDelivery(conversationId, bad, admin));
      expect(error, bad).toBeInstanceOf(InvalidInput);
      expect((error as InvalidInput).issues[0]).toEqual({ path: "messageId", message: "a message id is a whole number from 1" });
    }
    expect(await failureOf(service.retryDelivery(conversationId, other.message.id, admin))).toBeInstanceOf(NotFound);
    expect(await failureOf(service.retryDelivery(conversationId, "999999", admin))).toBeInstanceOf(NotFound);
    expect(await failureOf(service.retryDelivery("conv_nope", message.id, admin))).toBeInstanceOf(NotFound);

    const sentError = await failureOf(service.retryDelivery(conversationId, sentOne.id, admin));
    expect(sentError).toBeInstanceOf(Conflict);
    expect((sentError as Conflict).message).toMatch(/sent already/);
    const pendingError = await failureOf(service.retryDelivery(conversationId, pendingOne.id, admin));
    expect((pendingError as Conflict).message).toMatch(/still being sent/);
    const visitorError = await failureOf(service.retryDelivery(conversationId, visitorMessage.id, admin));
    expect((visitorError as Conflict).message).toMatch(/not sent through an outside channel/);

    // An agent who is no member of the conversation's inbox.
    const stranger = { id: "usr_stranger", role: "agent" };
    sqlite
      .prepare("INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, 'agent', 'x', ?)")
      .run(stranger.id, "stranger@example.com", "Stranger", Date.now());
    expect(await failureOf(service.retryDelivery(conversationId, message.id, stranger))).toBeInstanceOf(Forbidden);

    expect(deliveryRows()).toEqual(before);
    // A second retry of the same message while the first is queued is a conflict, not a second send.
    await runtime.runPromise(service.retryDelivery(conversationId, message.id, admin));
    expect(await failureOf(service.retryDelivery(conversationId, message.id, admin))).toBeInstanceOf(Conflict);
  });
});
