/**
 * The outbox and the outside conversations, on the app's real runtime and a fresh SQLite file:
 * what gets an outbox row, in which order rows are sent, retries, failures, and the threads'
 * outside ids. The senders are the test's own (the channels register theirs in their tests).
 */
import { Effect, Either } from "effect";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AppRuntime } from "./app-layer.js";
import { Channels } from "./channels.js";
import type { Sqlite } from "./database.js";
import { Deliveries, nextAttemptAt, RETRY_DELAYS_MS, SendFailed, type Outbound } from "./deliveries.js";
import { Engine } from "./engine.js";
import { InvalidInput, NotFound } from "./errors.js";
import { LiveEvents, type LiveEvent } from "./live-events.js";
import { OutsideConversations } from "./outside-conversations.js";
import { startTestApp } from "../../tests/support/test-app.js";

let dir: string;
let runtime: AppRuntime;
let sqlite: Sqlite;
let inboxId: string;
let adminId: string;
let emailChannel: string;
let chatChannel: string;
const sent: Outbound[] = [];
let answer: (message: Outbound) => Effect.Effect<{ externalId?: string }, SendFailed> = (m) => Effect.succeed({ externalId: `<out-${m.messageId}@x>` });

const run = <A, E>(effect: Effect.Effect<A, E, Effect.Effect.Context<Parameters<AppRuntime["runPromise"]>[0]>>) => runtime.runPromise(effect);
const outside = <A, E>(f: (o: Effect.Effect.Success<typeof OutsideConversations>) => Effect.Effect<A, E>) =>
  runtime.runPromise(Effect.flatMap(OutsideConversations, f));
const deliveries = () => runtime.runPromise(Deliveries);
let replies = 0;
const reply = (conversationId: string, text: string, internal = false) =>
  runtime.runPromise(
    Effect.flatMap(Engine, (e) => e.replyAsAgent({ conversationId, userId: adminId, text, clientMessageId: `r${replies++}`, internal })),
  );
const rows = (conversationId: string) =>
  sqlite.prepare("SELECT message_id, status, attempts, last_error, next_attempt_at FROM deliveries WHERE conversation_id = ? ORDER BY message_id").all(conversationId) as Array<{
    message_id: number;
    status: string;
    attempts: number;
    last_error: string | null;
    next_attempt_at: number;
  }>;

const newThread = async (from: string, messageId?: string) => {
  const { visitorId } = await outside((o) => o.visitorFor({ channelId: emailChannel, externalId: from }));
  return outside((o) =>
    o.open({ channelId: emailChannel, visitorId, contactId: null, text: `hello from ${from}`, via: "email", ...(messageId ? { externalMessageId: messageId } : {}) }),
  );
};

beforeAll(async () => {
  // The test runs its passes itself.
  const app = await startTestApp("deliveries");
  ({ dir, runtime, sqlite } = app);
  inboxId = (sqlite.prepare("SELECT id FROM inboxes ORDER BY created_at LIMIT 1").get() as { id: string }).id;
  adminId = (sqlite.prepare("SELECT id FROM users WHERE role = 'admin' LIMIT 1").get() as { id: string }).id;
  chatChannel = (sqlite.prepare("SELECT id FROM channels WHERE kind = 'chat' LIMIT 1").get() as { id: string }).id;
  emailChannel = (await run(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name: "Support mail", inboxId })))).id;
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
  answer = (m) => Effect.succeed({ externalId: `<out-${m.messageId}@x>` });
});

describe("Channels.create and update", () => {
  it("adds a channel of each kind into an inbox, and refuses bad input with its path", async () => {
    const created = await run(Effect.flatMap(Channels, (c) => c.create({ kind: "form", name: "  Contact form ", inboxId })));
    expect(created).toMatchObject({ kind: "form", name: "Contact form", inboxId });
    const chat = await run(Effect.flatMap(Channels, (c) => c.create({ kind: "chat", name: "Second site", inboxId })));
    const details = await run(Effect.flatMap(Channels, (c) => c.get(chat.id)));
    expect(details.chat?.allowedOrigins).toEqual([]);
    expect(details.chat?.identitySecret.configured).toBe(true);

    const count = () => (sqlite.prepare("SELECT count(*) AS n FROM channels").get() as { n: number }).n;
    const before = count();
    const failures = await Promise.all(
      [
        { kind: "fax", name: "x", inboxId },
        { kind: "form", name: "   ", inboxId },
        { kind: "form", name: "x", inboxId: "inbox_nope" },
        { kind: "form", name: "x".repeat(81), inboxId },
      ].map((input) => run(Effect.either(Effect.flatMap(Channels, (c) => c.create(input))))),
    );
    expect(failures.map((f) => Either.isLeft(f) && f.left instanceof InvalidInput && f.left.issues[0]!.path)).toEqual(["kind", "name", "inboxId", "name"]);
    expect(Either.isLeft(failures[0]!) && failures[0].left instanceof InvalidInput && failures[0].left.issues).toEqual([
      { path: "kind", message: "choose a kind: chat, form, email or messenger" },
    ]);
    expect(count()).toBe(before);
  });

  it("renames a channel and moves it to another inbox", async () => {
    const channel = await run(Effect.flatMap(Channels, (c) => c.create({ kind: "messenger", name: "Page", inboxId })));
    const updated = await run(Effect.flatMap(Channels, (c) => c.update(channel.id, { name: "Our page", inboxId })));
    expect(updated.name).toBe("Our page");
    const missing = await run(Effect.either(Effect.flatMap(Channels, (c) => c.update("chan_nope", { name: "x", inboxId }))));
    expect(Either.isLeft(missing) && missing.left instanceof NotFound).toBe(true);
  });

  it("writes a kind's config in one transaction and refuses another kind's channel", async () => {
    const written = await run(
      Effect.flatMap(Channels, (c) => c.writeConfig(emailChannel, "email", (stored) => Either.right({ ...stored, sendAs: "help@example.com" }))),
    );
    expect(written).toEqual({ sendAs: "help@example.com" });
    const refused = await run(Effect.either(Effect.flatMap(Channels, (c) => c.writeConfig(emailChannel, "form", () => Either.right({})))));
    expect(Either.isLeft(refused) && refused.left instanceof NotFound).toBe(true);
    const bad = await run(Effect.either(Effect.flatMap(Channels, (c) => c.writeConfig(emailChannel, "email", () => Either.left("no")))));
    expect(bad).toEqual(Either.left("no"));
    expect(await run(Effect.flatMap(Channels, (c) => c.readConfig(emailChannel, "email")))).toEqual({ sendAs: "help@example.com" });
  });
});

describe("OutsideConversations", () => {
  it("opens a routed, open conversation in the channel's inbox, once per outside message id", async () => {
    const first = await newThread("ann@example.com", "<m1@example.com>");
    const again = await newThread("ann@example.com", "<m1@example.com>");
    expect(again).toMatchObject({ duplicate: true, conversationId: first.conversationId, messageId: first.messageId });
    const row = sqlite.prepare("SELECT status, inbox_id, channel_id, waiting_since FROM conversations WHERE id = ?").get(first.conversationId);
    expect(row).toMatchObject({ status: "open", inbox_id: inboxId, channel_id: emailChannel });
    expect((sqlite.prepare("SELECT count(*) AS n FROM messages WHERE conversation_id = ?").get(first.conversationId) as { n: number }).n).toBe(1);
    expect(await outside((o) => o.conversationForExternalId(emailChannel, ["<other@x>", "<m1@example.com>"]))).toBe(first.conversationId);
  });

  it("keeps one visitor per outside id", async () => {
    const a = await outside((o) => o.visitorFor({ channelId: emailChannel, externalId: "bob@example.com" }));
    const b = await outside((o) => o.visitorFor({ channelId: emailChannel, externalId: "bob@example.com" }));
    expect(a.created).toBe(true);
    expect(b).toEqual({ visitorId: a.visitorId, created: false });
  });

  it("reopens a closed conversation on the visitor's next message, which waits for an answer again", async () => {
    const { conversationId } = await newThread("cy@example.com");
    sqlite.prepare("UPDATE conversations SET status = 'closed', closed_at = 1, waiting_since = NULL WHERE id = ?").run(conversationId);
    const appended = await outside((o) => o.append({ conversationId, text: "one more thing", externalMessageId: "<m2@example.com>" }));
    expect(appended).toMatchObject({ duplicate: false, previousStatus: "closed" });
    expect(sqlite.prepare("SELECT status, closed_at FROM conversations WHERE id = ?").get(conversationId)).toEqual({ status: "open", closed_at: null });
    const twice = await outside((o) => o.append({ conversationId, text: "one more thing", externalMessageId: "<m2@example.com>" }));
    expect(twice).toMatchObject({ duplicate: true, messageId: appended.messageId });
    const missing = await runtime.runPromise(Effect.either(Effect.flatMap(OutsideConversations, (o) => o.append({ conversationId: "conv_nope", text: "x" }))));
    expect(Either.isLeft(missing) && missing.left instanceof NotFound).toBe(true);
  });
});

describe("Deliveries", () => {
  it("queues agents' replies in outside conversations only, never internal comments or chat replies", async () => {
    const { conversationId } = await newThread("dee@example.com");
    await reply(conversationId, "On it.");
    await reply(conversationId, "note to self", true);
    expect(rows(conversationId).map((r) => r.status)).toEqual(["pending"]);
    // Outside a write group (a tool writing directly) the trigger queues it instead.
    sqlite.prepare("INSERT INTO messages (conversation_id, author, text, created_at) VALUES (?, 'bot', 'direct', ?)").run(conversationId, Date.now());
    sqlite.prepare("INSERT INTO messages (conversation_id, author, text, created_at) VALUES (?, 'visitor', 'not ours', ?)").run(conversationId, Date.now());
    expect(rows(conversationId).map((r) => r.status)).toEqual(["pending", "pending"]);

    const chatConversation = "conv_chat_delivery";
    const now = Date.now();
    sqlite
      .prepare("INSERT INTO conversations (id, channel_id, inbox_id, status, created_at, updated_at, last_activity_at) VALUES (?, ?, ?, 'open', ?, ?, ?)")
      .run(chatConversation, chatChannel, inboxId, now, now, now);
    await reply(chatConversation, "Hi from chat");
    expect(rows(chatConversation)).toEqual([]);
  });

  it("sends in order, records the outside id for threading, and never sends twice", async () => {
    const { conversationId } = await newThread("eve@example.com");
    const m1 = await reply(conversationId, "first");
    const m2 = await reply(conversationId, "second");
    const pass = await run((await deliveries()).runDue());
    expect(pass.sent).toBeGreaterThanOrEqual(2);
    expect(sent.filter((m) => m.conversationId === conversationId).map((m) => m.text)).toEqual(["first", "second"]);
    expect(sent.find((m) => m.text === "first")).toMatchObject({ kind: "email", author: "agent", channelId: emailChannel, attempt: 1 });
    expect(rows(conversationId).map((r) => r.status)).toEqual(["sent", "sent"]);
    expect(await outside((o) => o.conversationForExternalId(emailChannel, [`<out-${m2.id}@x>`]))).toBe(conversationId);
    expect(m1.id).not.toBe(m2.id);
    sent.length = 0;
    await run((await deliveries()).runDue());
    expect(sent).toEqual([]);
  });

  it("retries a failed send later, holding the conversation's later messages back until it goes", async () => {
    const { conversationId } = await newThread("fay@example.com");
    await reply(conversationId, "first");
    await reply(conversationId, "second");
    answer = () => Effect.fail(new SendFailed({ reason: "connection refused", permanent: false }));
    const before = Date.now();
    await run((await deliveries()).runDue());
    const [first, second] = rows(conversationId);
    expect(first).toMatchObject({ status: "pending", attempts: 1, last_error: "connection refused" });
    expect(first!.next_attempt_at).toBeGreaterThanOrEqual(before + RETRY_DELAYS_MS[0]!);
    expect(second).toMatchObject({ status: "pending", attempts: 0 });
    expect(sent.filter((m) => m.conversationId === conversationId).map((m) => m.text)).toEqual(["first"]);

    // Not due yet: nothing is tried, and "second" does not overtake "first".
    sent.length = 0;
    await run((await deliveries()).runDue());
    expect(sent.filter((m) => m.conversationId === conversationId)).toEqual([]);

    // Due again, and the relay is back.
    sqlite.prepare("UPDATE deliveries SET next_attempt_at = 0 WHERE conversation_id = ? AND status = 'pending' AND attempts > 0").run(conversationId);
    answer = (m) => Effect.succeed({ externalId: `<out-${m.messageId}@x>` });
    await run((await deliveries()).runDue());
    expect(sent.filter((m) => m.conversationId === conversationId).map((m) => [m.text, m.attempt])).toEqual([
      ["first", 2],
      ["second", 1],
    ]);
    expect(rows(conversationId).map((r) => r.status)).toEqual(["sent", "sent"]);
  });

  it("fails a message at once on a permanent error, lets the rest go, and retries it on request", async () => {
    const { conversationId } = await newThread("gus@example.com");
    const bad = await reply(conversationId, "bounces");
    await reply(conversationId, "next");
    answer = (m) => (m.text === "bounces" ? Effect.fail(new SendFailed({ reason: "550 no such user", permanent: true })) : Effect.succeed({}));
    await run((await deliveries()).runDue());
    await run((await deliveries()).runDue());
    expect(rows(conversationId).map((r) => [r.status, r.last_error])).toEqual([
      ["failed", "550 no such user"],
      ["sent", null],
    ]);
    const statuses = await run((await deliveries()).forConversation(conversationId));
    expect(statuses[0]).toMatchObject({ messageId: Number(bad.id), status: "failed", lastError: "550 no such user", nextAttemptAt: null });

    answer = () => Effect.succeed({});
    await run((await deliveries()).retry(conversationId, Number(bad.id)));
    await run((await deliveries()).runDue());
    expect(rows(conversationId)[0]).toMatchObject({ status: "sent", attempts: 2 });
    const again = await run(Effect.either((await deliveries()).retry(conversationId, Number(bad.id))));
    expect(Either.isLeft(again) && again.left instanceof NotFound).toBe(true);
  });

  it("gives up after the last retry, saying how many tries it made", async () => {
    expect(nextAttemptAt(1, 0)).toBe(RETRY_DELAYS_MS[0]);
    expect(nextAttemptAt(RETRY_DELAYS_MS.length + 1, 0)).toBeNull();
    const { conversationId } = await newThread("hal@example.com");
    await reply(conversationId, "never arrives");
    answer = () => Effect.fail(new SendFailed({ reason: "timeout", permanent: false }));
    sqlite.prepare("UPDATE deliveries SET attempts = ? WHERE conversation_id = ?").run(RETRY_DELAYS_MS.length, conversationId);
    await run((await deliveries()).runDue());
    expect(rows(conversationId)[0]).toMatchObject({ status: "failed", last_error: `gave up after ${RETRY_DELAYS_MS.length + 1} tries: timeout` });
  });

  it("tells agents' pages, not the visitor's stream, each time a delivery changes state", async () => {
    const { conversationId } = await newThread("jo@example.com");
    const live = await runtime.runPromise(LiveEvents);
    const agents: LiveEvent[] = [];
    const visitorStream: LiveEvent[] = [];
    const stopAll = live.subscribeAll((event) => {
      if (event.conversationId === conversationId && (event.data as { change?: unknown }).change === "delivery") agents.push(event);
    });
    const stopVisitor = live.subscribeConversation(conversationId, (event) => visitorStream.push(event));
    try {
      const first = await reply(conversationId, "tries twice");
      const changes = () => agents.map((e) => e.data);
      const inboxOf = (sqlite.prepare("SELECT inbox_id FROM conversations WHERE id = ?").get(conversationId) as { inbox_id: string }).inbox_id;

      // A retry scheduled after a failed try.
      answer = () => Effect.fail(new SendFailed({ reason: "451 try later", permanent: false }));
      await run((await deliveries()).runDue());
      expect(changes()).toEqual([{ change: "delivery", messageId: first.id, status: "pending", attempts: 1 }]);
      expect(agents[0]).toMatchObject({ kind: "conversation", internal: true, inboxId: inboxOf, conversationId });

      // Failed for good.
      sqlite.prepare("UPDATE deliveries SET next_attempt_at = 0 WHERE message_id = ?").run(Number(first.id));
      answer = () => Effect.fail(new SendFailed({ reason: "550 no such user", permanent: true }));
      await run((await deliveries()).runDue());
      expect(changes().at(-1)).toEqual({ change: "delivery", messageId: first.id, status: "failed", attempts: 2 });

      // Queued again by an agent, then sent.
      await run((await deliveries()).retry(conversationId, Number(first.id)));
      expect(changes().at(-1)).toEqual({ change: "delivery", messageId: first.id, status: "pending", attempts: 2 });
      answer = () => Effect.succeed({});
      await run((await deliveries()).runDue());
      expect(changes().at(-1)).toEqual({ change: "delivery", messageId: first.id, status: "sent", attempts: 3 });
      expect(agents).toHaveLength(4);

      // Nothing due, nothing changed: no event.
      await run((await deliveries()).runDue());
      expect(agents).toHaveLength(4);
      // The visitor's stream never hears of the team's outbox.
      expect(visitorStream.filter((e) => (e.data as { change?: unknown }).change === "delivery")).toEqual([]);
    } finally {
      stopAll();
      stopVisitor();
    }
  });

  it("a sender that throws fails only that try", async () => {
    const { conversationId } = await newThread("ida@example.com");
    await reply(conversationId, "boom");
    answer = () => Effect.die(new Error("bug"));
    await run((await deliveries()).runDue());
    expect(rows(conversationId)[0]).toMatchObject({ status: "pending", attempts: 1 });
    expect(rows(conversationId)[0]!.last_error).toContain("bug");
  });
});
