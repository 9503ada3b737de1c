/**
 * The email/Messenger outbox at shutdown (decision 042, as 040 did for outgoing webhooks), on
 * the app's real runtime and SQLite file with a local SMTP relay standing in for the outside:
 * disposing the runtime while the relay is still answering waits for that send and records it,
 * so a new runtime on the same file does not send the reply again; a send still going after the
 * wait is let go, left pending with no try counted, and sent after the restart.
 */
import { Effect } from "effect";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHoldingRelay, type HoldingRelay } from "../../tests/support/fake-relay.js";
import { startTestApp, type TestApp } from "../../tests/support/test-app.js";
import { startup } from "../../server/startup.js";
import { makeAppRuntime, type AppRuntime } from "./app-layer.js";
import { Channels } from "./channels.js";
import type { AppConfigShape } from "./config.js";
import { Database, type Sqlite } from "./database.js";
import { Deliveries } from "./deliveries.js";
import { EmailChannel } from "./email-channel.js";
import { Inbox } from "./inbox.js";
import { OutsideConversations } from "./outside-conversations.js";

const TEAM = "support@acme.test";

/** A local relay answering each mail after its hold (or never). */
let relay: HoldingRelay;

let app: TestApp;
let runtime: AppRuntime;
let sqlite: Sqlite;
let admin: { id: string; role: string };
let channelId: string;

/** A new runtime on the same file, its loops stopped (as after a restart). */
const restart = async (config: AppConfigShape = app.config) => {
  runtime = makeAppRuntime(config);
  (await startup(runtime, config, { print: () => undefined })).stop();
  sqlite = (await runtime.runPromise(Database)).sqlite;
};
const outbox = (messageId: number) =>
  sqlite.prepare("SELECT status, attempts, last_error, external_id FROM deliveries WHERE message_id = ?").get(messageId) as {
    status: string;
    attempts: number;
    last_error: string | null;
    external_id: string | null;
  };

let replies = 0;
/** A customer's email conversation with an agent's reply in the outbox; the reply's message id. */
const replyWaiting = async (address: string) => {
  const { visitorId } = await runtime.runPromise(Effect.flatMap(OutsideConversations, (o) => o.visitorFor({ channelId, externalId: address })));
  const { conversationId } = await runtime.runPromise(
    Effect.flatMap(OutsideConversations, (o) => o.open({ channelId, visitorId, contactId: null, text: "Where is my order?", via: "email" })),
  );
  await runtime.runPromise(Effect.flatMap(Inbox, (i) => i.reply({ conversationId, text: "On its way.", clientMessageId: `shutdown-${++replies}` }, admin)));
  return (sqlite.prepare("SELECT message_id FROM deliveries WHERE conversation_id = ?").get(conversationId) as { message_id: number }).message_id;
};
/** Starts the outbox's loop, as the server does, and waits until the relay has the mail's data. */
const sendingTo = async (address: string) => {
  await runtime.runPromise(Effect.flatMap(Deliveries, (d) => Effect.sync(() => d.start(50))));
  await expect.poll(() => relay.received.filter((to) => to.includes(address)).length, { timeout: 10_000 }).toBe(1);
};
const runDue = () => runtime.runPromise(Effect.flatMap(Deliveries, (d) => d.runDue()));

beforeAll(async () => {
  relay = await startHoldingRelay();
  app = await startTestApp("outbox-shutdown");
  ({ runtime, sqlite } = app);
  admin = sqlite.prepare("SELECT id, role FROM users WHERE role = 'admin' LIMIT 1").get() as typeof admin;
  const inboxId = (sqlite.prepare("SELECT id FROM inboxes ORDER BY created_at LIMIT 1").get() as { id: string }).id;
  channelId = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name: "Support mail", inboxId })))).id;
  await runtime.runPromise(
    Effect.flatMap(EmailChannel, (e) =>
      e.saveSettings(channelId, {
        addresses: TEAM,
        fromName: "Acme Support",
        fromAddress: TEAM,
        signature: "",
        smtpHost: "127.0.0.1",
        smtpPort: String(relay.port),
        smtpSecurity: "none",
        smtpUser: "",
        smtpPassword: "",
      }),
    ),
  );
});

afterAll(async () => {
  relay.answerHeld();
  await runtime.dispose();
  await relay.close();
  rmSync(app.dir, { recursive: true, force: true });
});

describe("the outbox at shutdown", () => {
  it("waits for a reply the relay is taking and records it sent: a new runtime on the file does not send it again", async () => {
    relay.hold(400);
    const messageId = await replyWaiting("lin@customer.test");
    await sendingTo("lin@customer.test");
    // The server's shutdown disposes the runtime while the relay has not answered yet.
    await runtime.dispose();
    expect(sqlite.open).toBe(false);

    await restart();
    expect(outbox(messageId)).toMatchObject({ status: "sent", attempts: 1, last_error: null });
    expect(outbox(messageId).external_id).toMatch(/^<.+@acme\.test>$/);
    expect(await runDue()).toEqual({ sent: 0, retrying: 0, failed: 0 });
    expect(relay.received.filter((to) => to.includes("lin@customer.test"))).toHaveLength(1);
  });

  it("lets a send go after the wait (SHUTDOWN_WAIT_SECONDS): left pending, no try counted, sent after the restart", async () => {
    await runtime.dispose();
    await restart({ ...app.config, shutdownWaitMs: 100 });
    relay.hold(null);
    const messageId = await replyWaiting("kim@customer.test");
    await sendingTo("kim@customer.test");
    await runtime.dispose();

    await restart();
    expect(outbox(messageId)).toMatchObject({ status: "pending", attempts: 0, last_error: null });
    // Sent again: the one duplicate left (the relay had the data but had not answered).
    relay.hold(0);
    relay.answerHeld();
    expect(await runDue()).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(outbox(messageId)).toMatchObject({ status: "sent", attempts: 1 });
    expect(relay.received.filter((to) => to.includes("kim@customer.test"))).toHaveLength(2);
  });
});
