/**
 * Outgoing webhooks on the app's real runtime and a fresh SQLite file, with a real HTTP server
 * on 127.0.0.1 as the receiver (the webhook client allows private addresses outside
 * production, as for the webhook node): which events reach which subscription, the signature,
 * retries with backoff driven by the app's scripted clock, a delivery that fails for good and
 * its redelivery, pending deliveries kept across a restart on the same file, the 30-day prune,
 * shutdown in the middle of a delivery (recorded, not sent twice; the rest held back), and bad inputs (each with its status, path and message; nothing stored).
 */
import { Effect, Either } from "effect";
import { createHmac } from "node:crypto";
import { rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../tests/support/test-app.js";
import { startup } from "../../server/startup.js";
import { makeAppRuntime, type AppRuntime } from "./app-layer.js";
import { Automation } from "./automation.js";
import { Channels } from "./channels.js";
import * as WallClock from "./clock.js";
import { Contacts } from "./contacts.js";
import { Database, type Sqlite } from "./database.js";
import { Engine } from "./engine.js";
import { toHttpError, type ApiError } from "./errors.js";
import { Inbox } from "./inbox.js";
import { addLabelsInWrite, Labels } from "./labels.js";
import {
  makeOutgoingWebhooks,
  OutgoingWebhooks,
  WEBHOOK_MAX_ATTEMPTS,
  WEBHOOK_RETRY_DELAYS_MS,
  type OutgoingWebhooksShape,
  type WebhookSubscriptionDetails,
} from "./outgoing-webhooks.js";
import { OutsideConversations } from "./outside-conversations.js";
import { ResponseOverdue } from "./response-overdue.js";
import { Tickets } from "./tickets.js";
import { makeWebhookClientLayer, WebhookClient } from "./webhook-client.js";

interface Received {
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly json: { id: string; type: string; createdAt: string; data: Record<string, any> };
}

let app: TestApp;
let runtime: AppRuntime;
let sqlite: Sqlite;
let server: Server;
let base: string;
let admin: { id: string; role: string };
let emailChannel: string;
const received: Received[] = [];
/** Statuses the receiver answers per path, in turn (200 when none is queued). */
const answers = new Map<string, number[]>();

const run = <A, E>(f: (w: OutgoingWebhooksShape) => Effect.Effect<A, E>) => runtime.runPromise(Effect.flatMap(OutgoingWebhooks, f));
const failure = async <A>(f: (w: OutgoingWebhooksShape) => Effect.Effect<A, ApiError>) => {
  const outcome = await runtime.runPromise(Effect.either(Effect.flatMap(OutgoingWebhooks, f)));
  if (Either.isRight(outcome)) throw new Error("expected a failure");
  return outcome.left;
};
const pass = () => run((w) => w.runPass());
/** A conversation an email from `from` opens in the email channel. */
const openByEmail = (from: string, text: string) =>
  runtime.runPromise(
    Effect.flatMap(OutsideConversations, (o) =>
      Effect.flatMap(o.visitorFor({ channelId: emailChannel, externalId: from }), ({ visitorId }) =>
        o.open({ channelId: emailChannel, visitorId, contactId: null, text, via: "email" }),
      ),
    ),
  );
const count = (table: string) => (sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const at = (path: string) => received.filter((r) => r.path === path);
const subscribe = (path: string, eventTypes: ReadonlyArray<string>, extra: Record<string, unknown> = {}) =>
  run((w) => w.create(admin, { url: `${base}${path}`, eventTypes, ...extra }));
const deliveryRow = (id: string) =>
  sqlite.prepare("SELECT status, attempts, next_attempt_at, last_response_status, last_error, updated_at FROM webhook_deliveries WHERE id = ?").get(id) as {
    status: string;
    attempts: number;
    next_attempt_at: number | null;
    last_response_status: number | null;
    last_error: string | null;
    updated_at: number;
  };

const verify = (secret: string, r: Received): boolean => {
  const header = String(r.headers["x-parley-signature"]);
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return false;
  return createHmac("sha256", secret).update(`${match[1]}.${r.body}`).digest("hex") === match[2];
};

beforeAll(async () => {
  app = await startTestApp("outgoing-webhooks");
  ({ runtime, sqlite } = app);
  const row = sqlite.prepare("SELECT id FROM users WHERE role = 'admin' LIMIT 1").get() as { id: string };
  admin = { id: row.id, role: "admin" };
  const inboxId = (sqlite.prepare("SELECT id FROM inboxes ORDER BY created_at LIMIT 1").get() as { id: string }).id;
  emailChannel = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name: "Support mail", inboxId })))).id;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const path = req.url ?? "/";
      received.push({ path, headers: req.headers, body, json: JSON.parse(body) });
      const status = answers.get(path)?.shift() ?? 200;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(status < 300 ? '{"ok":true}' : '{"error":"not today"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await runtime.dispose();
  rmSync(app.dir, { recursive: true, force: true });
});

beforeEach(() => {
  received.length = 0;
  answers.clear();
});

describe("bad inputs", () => {
  it("refuses a bad URL, no events, an unknown event type and an unknown id, with status, path and message; nothing is stored", async () => {
    const before = count("webhook_subscriptions");
    const cases: Array<[unknown, string, RegExp]> = [
      [{ url: "ftp://example.com/hook", eventTypes: ["ticket.created"] }, "url", /only http and https/],
      [{ url: "not a url", eventTypes: ["ticket.created"] }, "url", /not a valid URL/],
      [{ url: "https://user:pw@example.com/hook", eventTypes: ["ticket.created"] }, "url", /user name or password/],
      [{ url: "   ", eventTypes: ["ticket.created"] }, "url", /enter the URL/],
      [{ url: "https://example.com/hook", eventTypes: [] }, "eventTypes", /at least one event/],
      [{ url: "https://example.com/hook", eventTypes: ["ticket.created", "ticket.deleted"] }, "eventTypes[1]", /unknown event type "ticket.deleted"/],
      [{ url: "https://example.com/hook" }, "eventTypes", /is missing/],
    ];
    for (const [input, path, message] of cases) {
      const error = await failure((w) => w.create(admin, input));
      const http = toHttpError(error);
      expect(http.status, JSON.stringify(input)).toBe(400);
      expect(http.body.error.path).toBe(path);
      expect(http.body.error.message).toMatch(message);
    }
    expect(count("webhook_subscriptions")).toBe(before);

    const sub = await subscribe("/bad", ["ticket.created"]);
    const badUpdate = toHttpError(await failure((w) => w.update(admin, sub.id, { url: "javascript:alert(1)", eventTypes: ["ticket.created"] })));
    expect([badUpdate.status, badUpdate.body.error.path]).toEqual([400, "url"]);
    expect((await run((w) => w.get(admin, sub.id))).url).toBe(`${base}/bad`);

    const missingCalls: Array<(w: OutgoingWebhooksShape) => Effect.Effect<unknown, ApiError>> = [
      (w: OutgoingWebhooksShape) => w.get(admin, "whk_nope"),
      (w: OutgoingWebhooksShape) => w.update(admin, "whk_nope", { url: "https://example.com", eventTypes: ["ticket.created"] }),
      (w: OutgoingWebhooksShape) => w.sendTest(admin, "whk_nope"),
      (w: OutgoingWebhooksShape) => w.rollSecret(admin, "whk_nope"),
      (w: OutgoingWebhooksShape) => w.remove(admin, "whk_nope"),
      (w: OutgoingWebhooksShape) => w.redeliver(admin, sub.id, "whd_nope"),
    ];
    for (const missing of missingCalls) {
      const http = toHttpError(await failure(missing));
      expect(http.status).toBe(404);
      expect(http.body.error.message).toMatch(/^(webhook whk_nope|webhook delivery whd_nope) was not found$/);
    }
    const agent = { id: admin.id, role: "agent" };
    expect(toHttpError(await failure((w) => w.list(agent))).status).toBe(403);
    expect(toHttpError(await failure((w) => w.create(agent, { url: "https://example.com", eventTypes: ["ticket.created"] }))).status).toBe(403);
    await run((w) => w.remove(admin, sub.id));
    expect(count("webhook_subscriptions")).toBe(before);
    expect(count("webhook_deliveries")).toBe(0);
  });
});

describe("fan-out and sending", () => {
  it("with no enabled subscription, a pass writes nothing", async () => {
    const db = await runtime.runPromise(Database);
    await runtime.runPromise(Effect.flatMap(Contacts, (c) => c.create(admin, { email: "early@example.com" })));
    const commits = db.stats().commits;
    expect(await pass()).toEqual({ queued: 0, succeeded: 0, retrying: 0, failed: 0 });
    expect(db.stats().commits).toBe(commits);
  });

  it("with an enabled subscription and nothing new in the log, a pass writes nothing either", async () => {
    const db = await runtime.runPromise(Database);
    const quiet = await subscribe("/quiet", ["ticket.created"], { description: "Quiet" });
    await pass();
    const commits = db.stats().commits;
    expect((await pass()).queued).toBe(0);
    expect(db.stats().commits).toBe(commits);
    await run((w) => w.remove(admin, quiet.id));
  });

  it("delivers each subscription the types it asked for, from its creation on, signed with its secret", async () => {
    // Made before the subscriptions: never delivered (no backfill).
    await runtime.runPromise(Effect.flatMap(Contacts, (c) => c.create(admin, { email: "before@example.com" })));
    const chats = await subscribe("/chats", ["conversation.created", "message.created"], { description: "CRM" });
    const ops = await subscribe("/ops", ["contact.created", "ticket.created", "ticket.status_changed", "conversation.closed", "conversation.reopened"]);
    expect(chats.secret).toMatch(/^whsec_[\w-]{43}$/);
    expect(chats.secret).not.toBe(ops.secret);

    const opened = await openByEmail("ada@example.com", "Where is my order?");
    const conversationId = opened.conversationId;
    const reply = (text: string, internal: boolean) =>
      runtime.runPromise(Effect.flatMap(Engine, (e) => e.replyAsAgent({ conversationId, userId: admin.id, text, clientMessageId: text, internal })));
    await reply("It ships today.", false);
    await reply("note to self: check the warehouse", true);
    const contact = await runtime.runPromise(Effect.flatMap(Contacts, (c) => c.create(admin, { email: "new@example.com", name: "New Person" })));
    const ticket = await runtime.runPromise(Effect.flatMap(Tickets, (t) => t.createFromConversation(admin, conversationId, { subject: "Late order" })));
    await runtime.runPromise(Effect.flatMap(Tickets, (t) => t.update(admin, ticket.id, { status: "waiting_on_us", version: 1 })));
    const version = () => (sqlite.prepare("SELECT version FROM conversations WHERE id = ?").get(conversationId) as { version: number }).version;
    await runtime.runPromise(Effect.flatMap(Inbox, (i) => i.close(conversationId, version(), admin)));
    await runtime.runPromise(Effect.flatMap(Inbox, (i) => i.reopen(conversationId, version(), admin)));

    const result = await pass();
    expect(result).toMatchObject({ queued: 8, succeeded: 8, retrying: 0, failed: 0 });
    expect(at("/chats").map((r) => r.json.type)).toEqual(["conversation.created", "message.created", "message.created"]);
    expect(at("/chats").map((r) => r.json.data.message?.text ?? null)).toEqual([null, "Where is my order?", "It ships today."]);
    expect(at("/chats").map((r) => r.json.data.message?.author ?? null)).toEqual([null, "visitor", "agent"]);
    expect(at("/chats")[0]!.json.data).toMatchObject({ conversation: { id: conversationId, channelId: emailChannel }, via: "email", pageUrl: null });
    expect(at("/ops").map((r) => r.json.type).sort()).toEqual(
      ["contact.created", "conversation.closed", "conversation.reopened", "ticket.created", "ticket.status_changed"].sort(),
    );
    const byType = (type: string) => at("/ops").find((r) => r.json.type === type)!.json.data;
    expect(byType("contact.created").contact).toMatchObject({ id: contact.id, email: "new@example.com", name: "New Person" });
    expect(byType("ticket.created").ticket).toMatchObject({ id: ticket.id, subject: "Late order", conversationId });
    expect(byType("ticket.status_changed")).toMatchObject({ from: "new", to: "waiting_on_us", by: admin.id });
    expect(byType("conversation.closed")).toMatchObject({ from: "open", to: "closed" });
    expect(byType("conversation.reopened")).toMatchObject({ from: "closed" });

    for (const r of received) {
      const secret = r.path === "/chats" ? chats.secret : ops.secret;
      expect(verify(secret, r)).toBe(true);
      expect(verify(r.path === "/chats" ? ops.secret : chats.secret, r)).toBe(false);
      expect(r.headers["content-type"]).toBe("application/json");
      expect(r.headers["user-agent"]).toBe("Parley-Webhooks/1");
      expect(r.headers["x-parley-event"]).toBe(r.json.type);
      expect(r.headers["x-parley-delivery"]).toBe(r.json.id);
      expect(Number.isNaN(Date.parse(r.json.createdAt))).toBe(false);
    }
    // The log shows them, newest first, as succeeded with the receiver's status.
    const log = await run((w) => w.deliveries(admin, chats.id));
    expect(log.map((d) => [d.eventType, d.status, d.responseStatus, d.attempts])).toEqual([
      ["message.created", "succeeded", 200, 1],
      ["message.created", "succeeded", 200, 1],
      ["conversation.created", "succeeded", 200, 1],
    ]);
    expect((await run((w) => w.list(admin))).find((s) => s.id === chats.id)).toMatchObject({ lastDelivery: { status: "succeeded" }, description: "CRM" });

    // A second pass sends nothing again.
    received.length = 0;
    expect(await pass()).toEqual({ queued: 0, succeeded: 0, retrying: 0, failed: 0 });
    expect(received).toEqual([]);

    // Disabled, it hears nothing; enabled again, only what happens from then on.
    await run((w) => w.setEnabled(admin, ops.id, false));
    await runtime.runPromise(Effect.flatMap(Contacts, (c) => c.create(admin, { email: "while-off@example.com" })));
    await pass();
    await run((w) => w.setEnabled(admin, ops.id, true));
    await runtime.runPromise(Effect.flatMap(Contacts, (c) => c.create(admin, { email: "back-on@example.com" })));
    await pass();
    expect(at("/ops").map((r) => r.json.data.contact.email)).toEqual(["back-on@example.com"]);

    // A rolled secret signs the next send; the old one no longer verifies.
    const rolled = await run((w) => w.rollSecret(admin, ops.id));
    expect(rolled.secret).not.toBe(ops.secret);
    received.length = 0;
    await run((w) => w.sendTest(admin, ops.id));
    await pass();
    expect(at("/ops").map((r) => r.json.type)).toEqual(["ping"]);
    expect(verify(rolled.secret, at("/ops")[0]!)).toBe(true);
    expect(verify(ops.secret, at("/ops")[0]!)).toBe(false);
    await run((w) => w.remove(admin, chats.id));
    await run((w) => w.remove(admin, ops.id));
  });

  it("sends each label added to or taken off a conversation, by an agent or a bot, with the conversation's labels then", async () => {
    const sub = await subscribe("/labels", ["conversation.labels_changed"]);
    const opened = await openByEmail("grace@example.com", "Invoice question");
    const conversationId = opened.conversationId;
    const labels = <A, E>(f: (l: typeof Labels.Service) => Effect.Effect<A, E>) => runtime.runPromise(Effect.flatMap(Labels, f));
    const billing = await labels((l) => l.create(admin, { name: "Refund", color: "blue" }));
    const vip = await labels((l) => l.create(admin, { name: "Priority", color: "purple" }));
    await labels((l) => l.addToConversation(admin, conversationId, { labelId: billing.id }));
    // Adding what is there changes nothing and sends nothing.
    await labels((l) => l.addToConversation(admin, conversationId, { labelId: billing.id }));
    const db = await runtime.runPromise(Database);
    const row = sqlite.prepare("SELECT id, inbox_id, channel_id, chatflow_id, chatflow_version_id, is_preview FROM conversations WHERE id = ?").get(conversationId) as Parameters<
      typeof addLabelsInWrite
    >[1];
    await runtime.runPromise(Effect.orDie(db.writeEffect(() => addLabelsInWrite(db.prepare, row, [vip.id], Date.now()))));
    await labels((l) => l.removeFromConversation(admin, conversationId, { labelId: billing.id }));

    expect(await pass()).toMatchObject({ queued: 3, succeeded: 3 });
    const sent = at("/labels").map((r) => r.json);
    expect(sent.map((j) => j.type)).toEqual(["conversation.labels_changed", "conversation.labels_changed", "conversation.labels_changed"]);
    expect(sent.map((j) => [j.data.change, j.data.label.name, j.data.by])).toEqual([
      ["added", "Refund", admin.id],
      ["added", "Priority", null],
      ["removed", "Refund", admin.id],
    ]);
    expect(sent[0]!.data).toMatchObject({ conversation: { id: conversationId, channelId: emailChannel }, label: { id: billing.id } });
    // The labels the conversation carries when the delivery is made.
    expect(sent.every((j) => JSON.stringify(j.data.labels) === JSON.stringify([{ id: vip.id, name: "Priority" }]))).toBe(true);
    await labels((l) => l.remove(admin, billing.id));
    await labels((l) => l.remove(admin, vip.id));
    await run((w) => w.remove(admin, sub.id));
  });

  it("names the automation rule that assigned, labelled, answered or closed a conversation, and null for a person's change (decision 044)", async () => {
    const sub = await subscribe("/rules", ["conversation.assigned", "conversation.closed", "conversation.reopened", "conversation.labels_changed", "message.created"]);
    const automation = <A, E>(f: (a: typeof Automation.Service) => Effect.Effect<A, E>) => runtime.runPromise(Effect.flatMap(Automation, f));
    const label = await runtime.runPromise(Effect.flatMap(Labels, (l) => l.create(admin, { name: "Returns", color: "green" })));
    sqlite
      .prepare("INSERT INTO saved_replies (id, shortcut, title, text, created_at, updated_at) VALUES ('sr_returns', 'returns-webhook', 'Returns', 'Send it back to us.', ?, ?)")
      .run(Date.now(), Date.now());
    const input = {
      name: "Returns go to the admin",
      trigger: "visitor-message",
      conditions: [{ type: "message-contains", words: ["return-webhook"] }],
      actions: [
        { type: "add-label", labelId: label.id },
        { type: "assign", userId: admin.id },
        { type: "reply", savedReplyId: "sr_returns" },
        { type: "set-status", status: "closed" },
      ],
    };
    const rule = await automation((a) => a.create(admin, input));
    const { conversationId } = await openByEmail("ida@example.com", "A return-webhook request");
    expect(await automation((a) => a.runPass())).toMatchObject({ fired: 1, failed: 0 });
    // Renamed afterwards: the deliveries name the rule as it was when it acted.
    await automation((a) => a.update(admin, rule.id, { ...input, name: "Renamed rule" }));
    // A person's changes afterwards name no rule.
    const version = () => (sqlite.prepare("SELECT version FROM conversations WHERE id = ?").get(conversationId) as { version: number }).version;
    await runtime.runPromise(Effect.flatMap(Inbox, (i) => i.reopen(conversationId, version(), admin)));
    await runtime.runPromise(Effect.flatMap(Labels, (l) => l.removeFromConversation(admin, conversationId, { labelId: label.id })));

    await pass();
    const named = { id: rule.id, name: "Returns go to the admin" };
    const sent = at("/rules")
      .map((r) => r.json)
      .filter((j) => j.data.conversation.id === conversationId)
      .map((j) => [j.type, j.data.change ?? j.data.message?.text ?? null, j.data.rule]);
    expect(sent).toEqual([
      ["message.created", "A return-webhook request", null],
      ["conversation.labels_changed", "added", named],
      ["conversation.assigned", null, named],
      ["message.created", "Send it back to us.", named],
      ["conversation.closed", null, named],
      ["conversation.reopened", null, null],
      ["conversation.labels_changed", "removed", null],
    ]);
    // Every payload of these types carries the field, null when no rule acted.
    expect(at("/rules").every((r) => "rule" in r.json.data)).toBe(true);
    await automation((a) => a.remove(admin, rule.id));
    await runtime.runPromise(Effect.flatMap(Labels, (l) => l.remove(admin, label.id)));
    sqlite.prepare("DELETE FROM saved_replies WHERE id = 'sr_returns'").run();
    await run((w) => w.remove(admin, sub.id));
  });

  it("sends a conversation that fell overdue once per wait, as the escalation pass recorded it", async () => {
    const sub = await subscribe("/overdue", ["conversation.overdue"]);
    const opened = await openByEmail("hedy@example.com", "Where is my parcel?");
    const conv = sqlite.prepare("SELECT inbox_id FROM conversations WHERE id = ?").get(opened.conversationId) as { inbox_id: string };
    const since = Date.now() - 2 * 3_600_000;
    sqlite.prepare("UPDATE inboxes SET response_targets = ? WHERE id = ?").run(
      JSON.stringify({ firstResponseMinutes: 60, nextReplyMinutes: null, businessHours: false }),
      conv.inbox_id,
    );
    sqlite.prepare("UPDATE conversations SET waiting_since = ? WHERE id = ?").run(since, opened.conversationId);
    const overdue = () => runtime.runPromise(Effect.flatMap(ResponseOverdue, (r) => r.runDue()));
    expect(await overdue()).toBeGreaterThanOrEqual(1);
    expect(await overdue()).toBe(0);

    await pass();
    const sent = at("/overdue").map((r) => r.json);
    expect(sent.filter((j) => j.data.conversation.id === opened.conversationId)).toEqual([
      expect.objectContaining({
        type: "conversation.overdue",
        data: {
          conversation: expect.objectContaining({ id: opened.conversationId, inboxId: conv.inbox_id, channelId: emailChannel }),
          target: "first_response",
          targetMinutes: 60,
          waitingSince: new Date(since).toISOString(),
          dueAt: new Date(since + 3_600_000).toISOString(),
          assigneeId: null,
          teamId: null,
        },
      }),
    ]);
    sqlite.prepare("UPDATE inboxes SET response_targets = NULL WHERE id = ?").run(conv.inbox_id);
    await run((w) => w.remove(admin, sub.id));
  });

  it("a chat conversation with a bot: its start and the visitor's messages, never the bot's; previews never", async () => {
    const sub = await subscribe("/chat", ["conversation.created", "message.created", "conversation.handed_off"]);
    const chat = sqlite.prepare("SELECT id FROM channels WHERE kind = 'chat' LIMIT 1").get() as { id: string };
    const flow = sqlite.prepare("SELECT id FROM chatflows WHERE published_version_id IS NOT NULL AND enabled = 1 AND channel_id = ? ORDER BY id LIMIT 1").get(chat.id) as { id: string };
    const talk = async (visitorId: string, preview: boolean) => {
      sqlite
        .prepare("INSERT INTO visitors (id, channel_id, device, language, first_seen_at, last_seen_at) VALUES (?, ?, 'desktop', 'en', ?, ?)")
        .run(visitorId, chat.id, Date.now(), Date.now());
      return runtime.runPromise(
        Effect.flatMap(Engine, (e) =>
          Effect.flatMap(e.startConversation({ visitorId, channelId: chat.id, chatflowId: flow.id, pageUrl: "https://shop.example/pricing", preview }), (view) =>
            Effect.as(e.handleVisitorMessage({ conversationId: view.conversation.id, visitorId, clientMessageId: "m1", text: "Hello there" }), view.conversation.id),
          ),
        ),
      );
    };
    const live = await talk("vis_webhook_live", false);
    await talk("vis_webhook_preview", true);
    await pass();
    const authors = (sqlite.prepare("SELECT author FROM messages WHERE conversation_id = ? AND is_internal = 0").all(live) as Array<{ author: string }>).map(
      (m) => m.author,
    );
    expect(authors).toContain("bot");
    expect(at("/chat").every((r) => r.json.data.conversation.id === live)).toBe(true);
    expect(at("/chat")[0]!.json).toMatchObject({ type: "conversation.created", data: { via: "chat", pageUrl: "https://shop.example/pricing" } });
    const messages = at("/chat").filter((r) => r.json.type === "message.created");
    expect(messages.map((r) => r.json.data.message.author)).toEqual(authors.filter((a) => a === "visitor"));
    expect(messages.map((r) => r.json.data.message.text)).toContain("Hello there");
    await run((w) => w.remove(admin, sub.id));
  });

  it("retries a 500 with backoff on the app's clock, then succeeds on a 200", async () => {
    const sub = await subscribe("/flaky", ["ticket.created"]);
    answers.set("/flaky", [500]);
    await Effect.runPromise(
      WallClock.playScripted(Date.now() - 86_400_000, (clock) =>
        Effect.promise(async () => {
          const ping = await run((w) => w.sendTest(admin, sub.id));
          expect(await pass()).toMatchObject({ retrying: 1 });
          const first = deliveryRow(ping.id);
          expect(first).toMatchObject({ status: "pending", attempts: 1, last_response_status: 500 });
          expect(first.last_error).toMatch(/answered 500.*not today/);
          expect(first.next_attempt_at).toBe(first.updated_at + WEBHOOK_RETRY_DELAYS_MS[0]!);
          // The list tells a delivery being retried (the receiver failed) from one not yet tried.
          expect((await run((w) => w.list(admin))).find((s) => s.id === sub.id)?.lastDelivery).toMatchObject({ status: "pending", attempts: 1 });
          clock.advance(WEBHOOK_RETRY_DELAYS_MS[0]! - 1_000);
          expect(await pass()).toMatchObject({ succeeded: 0, retrying: 0 });
          expect(at("/flaky")).toHaveLength(1);
          clock.advance(1_000);
          expect(await pass()).toMatchObject({ succeeded: 1 });
          expect(deliveryRow(ping.id)).toMatchObject({ status: "succeeded", attempts: 2, last_response_status: 200, last_error: null, next_attempt_at: null });
          // Both tries sent the same body (the same delivery id).
          expect(at("/flaky").map((r) => r.json.id)).toEqual([ping.id, ping.id]);
        }),
      ),
    );
    await run((w) => w.remove(admin, sub.id));
  });

  it("fails a delivery after the last attempt; Redeliver sends it again", async () => {
    const sub = await subscribe("/down", ["ticket.created"]);
    answers.set("/down", Array.from({ length: WEBHOOK_MAX_ATTEMPTS }, () => 503));
    await Effect.runPromise(
      WallClock.playScripted(Date.now() - 86_400_000, (clock) =>
        Effect.promise(async () => {
          const ping = await run((w) => w.sendTest(admin, sub.id));
          const waits: number[] = [];
          for (let attempt = 1; attempt <= WEBHOOK_MAX_ATTEMPTS; attempt++) {
            await pass();
            const row = deliveryRow(ping.id);
            expect(row.attempts).toBe(attempt);
            if (row.next_attempt_at === null) break;
            waits.push(row.next_attempt_at - row.updated_at);
            clock.set(row.next_attempt_at);
          }
          expect(waits).toEqual(WEBHOOK_RETRY_DELAYS_MS);
          expect(deliveryRow(ping.id)).toMatchObject({ status: "failed", attempts: WEBHOOK_MAX_ATTEMPTS, last_response_status: 503, next_attempt_at: null });
          expect(at("/down")).toHaveLength(WEBHOOK_MAX_ATTEMPTS);
          // Nothing more is tried, however long we wait.
          clock.advance(86_400_000 - 12 * 3_600_000);
          await pass();
          expect(at("/down")).toHaveLength(WEBHOOK_MAX_ATTEMPTS);

          const again = await run((w) => w.redeliver(admin, sub.id, ping.id));
          expect(again).toMatchObject({ status: "pending", attempts: 0 });
          expect(await pass()).toMatchObject({ succeeded: 1 });
          expect(deliveryRow(ping.id)).toMatchObject({ status: "succeeded", attempts: 1 });
          expect(at("/down").at(-1)!.json.id).toBe(ping.id);
          const twice = toHttpError(await failure((w) => w.redeliver(admin, sub.id, ping.id)));
          expect(twice.status).toBe(409);
        }),
      ),
    );
    await run((w) => w.remove(admin, sub.id));
  });

  it("a network error is a retry with its reason; a disabled subscription sends no test event", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const sub = await run((w) => w.create(admin, { url: `http://127.0.0.1:${port}/gone`, eventTypes: ["ticket.created"] }));
    const ping = await run((w) => w.sendTest(admin, sub.id));
    expect(await pass()).toMatchObject({ retrying: 1 });
    expect(deliveryRow(ping.id)).toMatchObject({ status: "pending", attempts: 1, last_response_status: null });
    expect(deliveryRow(ping.id).last_error).toMatch(/^Could not connect: /);
    await run((w) => w.setEnabled(admin, sub.id, false));
    expect(toHttpError(await failure((w) => w.sendTest(admin, sub.id))).status).toBe(409);
    await run((w) => w.remove(admin, sub.id));
    expect(sqlite.prepare("SELECT count(*) AS n FROM webhook_deliveries WHERE subscription_id = ?").get(sub.id)).toEqual({ n: 0 });
  });
});

describe("a slow receiver", () => {
  it("holds up only its own deliveries: the other subscription's arrive while it hangs, through the running loop", async () => {
    // A receiver that takes every request and never answers (the client gives up after 10 s).
    const hung: Array<() => void> = [];
    const slowServer = createServer((req) => hung.push(() => req.socket.destroy()));
    await new Promise<void>((resolve) => slowServer.listen(0, "127.0.0.1", resolve));
    const slow = await run((w) => w.create(admin, { url: `http://127.0.0.1:${(slowServer.address() as AddressInfo).port}/hang`, eventTypes: ["ticket.created"] }));
    const fast = await subscribe("/fast", ["ticket.created"]);
    // More slow deliveries than a subscription's calls at once, queued before the fast ones.
    const slowPings = [];
    for (let i = 0; i < 6; i++) slowPings.push(await run((w) => w.sendTest(admin, slow.id)));
    const stop = await run((w) => Effect.sync(() => w.start(50)));
    try {
      await expect.poll(() => hung.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(4);
      const first = await run((w) => w.sendTest(admin, fast.id));
      await expect.poll(() => at("/fast").map((r) => r.json.id), { timeout: 3_000 }).toEqual([first.id]);
      // Later events for the fast one go out too while the slow one's calls still hang.
      const second = await run((w) => w.sendTest(admin, fast.id));
      await expect.poll(() => at("/fast").map((r) => r.json.id), { timeout: 3_000 }).toEqual([first.id, second.id]);
      expect(slowPings.every((p) => deliveryRow(p.id).attempts === 0)).toBe(true);
    } finally {
      stop();
      await new Promise<void>((resolve) => {
        slowServer.close(() => resolve());
        // Dropping the hung calls ends them now (a network error, retried later), not in 10 s.
        const drop = setInterval(() => hung.splice(0).forEach((end) => end()), 20);
        slowServer.on("close", () => clearInterval(drop));
      });
    }
    // The slow subscription's lane ends with each of its calls recorded as a failed attempt.
    await expect.poll(() => (sqlite.prepare("SELECT count(*) AS n FROM webhook_deliveries WHERE subscription_id = ? AND attempts = 1").get(slow.id) as { n: number }).n, { timeout: 15_000 }).toBe(6);
    await run((w) => w.remove(admin, slow.id));
    await run((w) => w.remove(admin, fast.id));
  });
});

describe("private addresses", () => {
  it("a server that refuses them fails the attempt with the reason, and retries it later", async () => {
    const sub = await subscribe("/private", ["ticket.created"]);
    const ping = await run((w) => w.sendTest(admin, sub.id));
    const refusing = Effect.runSync(Effect.provide(WebhookClient, makeWebhookClientLayer({ allowPrivateNetworks: false })));
    const strict = makeOutgoingWebhooks(await runtime.runPromise(Database), refusing);
    expect(await Effect.runPromise(strict.runPass())).toMatchObject({ retrying: 1 });
    expect(at("/private")).toEqual([]);
    expect(deliveryRow(ping.id)).toMatchObject({ status: "pending", attempts: 1, last_response_status: null });
    expect(deliveryRow(ping.id).last_error).toMatch(/^URL refused: 127\.0\.0\.1 is a private network address/);
    await run((w) => w.remove(admin, sub.id));
  });
});

describe("a restart", () => {
  it("keeps pending deliveries and sends them after it; deliveries older than 30 days are pruned", async () => {
    const sub: WebhookSubscriptionDetails = await subscribe("/later", ["contact.created"]);
    const ping = await run((w) => w.sendTest(admin, sub.id));
    const old = Date.now() - 31 * 86_400_000;
    sqlite
      .prepare(
        `INSERT INTO webhook_deliveries (id, subscription_id, event_type, payload, status, attempts, created_at, updated_at)
         VALUES ('whd_old', ?, 'ping', '{}', 'succeeded', 1, ?, ?)`,
      )
      .run(sub.id, old, old);
    await runtime.dispose();

    runtime = makeAppRuntime(app.config);
    (await startup(runtime, app.config, { print: () => undefined })).stop();
    sqlite = (await runtime.runPromise(Database)).sqlite;
    expect(deliveryRow(ping.id)).toMatchObject({ status: "pending", attempts: 0 });
    expect(await pass()).toMatchObject({ succeeded: 1 });
    expect(at("/later").map((r) => r.json.id)).toEqual([ping.id]);
    expect(verify(sub.secret, at("/later")[0]!)).toBe(true);
    expect(sqlite.prepare("SELECT count(*) AS n FROM webhook_deliveries WHERE id = 'whd_old'").get()).toEqual({ n: 0 });
  });
});

describe("shutdown in the middle of a delivery", () => {
  /** A receiver that answers 200 after `delayMs`, or never (null: it holds the request until closed). */
  const receiver = async (delayMs: number | null) => {
    const got: string[] = [];
    const open = new Set<() => void>();
    const slow = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        got.push((JSON.parse(Buffer.concat(chunks).toString("utf8")) as { id: string }).id);
        if (delayMs === null) {
          open.add(() => req.socket.destroy());
          return;
        }
        setTimeout(() => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end('{"ok":true}');
        }, delayMs);
      });
    });
    await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
    return {
      got,
      url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/slow`,
      close: () =>
        new Promise<void>((resolve) => {
          for (const end of open) end();
          slow.close(() => resolve());
          slow.closeAllConnections();
        }),
    };
  };
  /** A new runtime on the same file, its loops stopped (as after a restart). */
  const restart = async (config = app.config) => {
    runtime = makeAppRuntime(config);
    (await startup(runtime, config, { print: () => undefined })).stop();
    sqlite = (await runtime.runPromise(Database)).sqlite;
  };

  it("waits for the calls under way and records them; the ones not started stay pending and go out once after the restart", async () => {
    const slow = await receiver(400);
    try {
      const sub = await run((w) => w.create(admin, { url: slow.url, eventTypes: ["ticket.created"] }));
      // Six due: four go out at once (a lane's calls at once), two wait their turn.
      const pings = [];
      for (let i = 0; i < 6; i++) pings.push((await run((w) => w.sendTest(admin, sub.id))).id);
      await run((w) => Effect.sync(() => w.start(50)));
      await expect.poll(() => slow.got.length, { timeout: 5_000 }).toBe(4);
      // The server's shutdown disposes the runtime while the receiver is still answering.
      await runtime.dispose();
      expect(sqlite.open).toBe(false);

      await restart();
      const sent = pings.filter((id) => slow.got.includes(id));
      expect(sent).toHaveLength(4);
      for (const id of sent) expect(deliveryRow(id)).toMatchObject({ status: "succeeded", attempts: 1, last_response_status: 200 });
      const held = pings.filter((id) => !sent.includes(id));
      for (const id of held) expect(deliveryRow(id)).toMatchObject({ status: "pending", attempts: 0 });
      // After the restart: the held two go out; the four the receiver took are not sent again.
      expect(await pass()).toMatchObject({ succeeded: 2 });
      expect([...slow.got].sort()).toEqual([...pings].sort());
      await run((w) => w.remove(admin, sub.id));
    } finally {
      await slow.close();
    }
  });

  it("lets a call go after the wait (SHUTDOWN_WAIT_SECONDS): interrupted, not counted as an attempt, sent again after the restart", async () => {
    await runtime.dispose();
    await restart({ ...app.config, shutdownWaitMs: 100 });
    const hung = await receiver(null);
    try {
      const sub = await run((w) => w.create(admin, { url: hung.url, eventTypes: ["ticket.created"] }));
      const ping = (await run((w) => w.sendTest(admin, sub.id))).id;
      await run((w) => Effect.sync(() => w.start(50)));
      await expect.poll(() => hung.got, { timeout: 5_000 }).toEqual([ping]);
      await runtime.dispose();

      await restart();
      expect(deliveryRow(ping)).toMatchObject({ status: "pending", attempts: 0, last_error: null });
      // Sent again: the receiver sees it twice (it de-duplicates on the delivery id).
      await hung.close();
      sqlite.prepare("UPDATE webhook_subscriptions SET url = ? WHERE id = ?").run(`${base}/again`, sub.id);
      expect(await pass()).toMatchObject({ succeeded: 1 });
      expect(at("/again").map((r) => r.json.id)).toEqual([ping]);
      await run((w) => w.remove(admin, sub.id));
    } finally {
      await hung.close();
    }
  });
});
