/**
 * Transcripts (decision 043) and chat follow-ups (decision 018) at shutdown, drained as the
 * outbox is (decision 042), on the app's real runtime and SQLite file with a local SMTP relay
 * standing in for the outside: disposing the runtime while the relay is still answering waits
 * for that send and records it, so a new runtime on the same file does not send the mail again;
 * a send still going after the wait is let go, left queued with no try counted, and sent after
 * the restart.
 */
import { Effect } from "effect";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { relaySettings, startHoldingRelay, type HoldingRelay } from "../../tests/support/fake-relay.js";
import { startTestApp, type TestApp } from "../../tests/support/test-app.js";
import { startup } from "../../server/startup.js";
import { makeAppRuntime, type AppRuntime } from "./app-layer.js";
import { Channels } from "./channels.js";
import type { AppConfigShape } from "./config.js";
import { Contacts } from "./contacts.js";
import { Database, type Sqlite } from "./database.js";
import { EmailChannel } from "./email-channel.js";
import { Engine } from "./engine.js";
import { FollowUps } from "./follow-ups.js";
import { Inbox } from "./inbox.js";
import { Transcripts } from "./transcripts.js";
import { Visitors } from "./visitors.js";

/** A local relay answering each mail after its hold (or never). */
let relay: HoldingRelay;
const receivedBy = (address: string) => relay.received.filter((to) => to.includes(address)).length;

let app: TestApp;
let runtime: AppRuntime;
let sqlite: Sqlite;
let admin: { id: string; role: string };
let chatChannelId: string;
let chatflowId: string;

/** A new runtime on the same file, its loops stopped (as after a restart). */
const restart = async (config: AppConfigShape = app.config) => {
  runtime = makeAppRuntime(config);
  (await startup(runtime, config, { print: () => undefined })).stop();
  sqlite = (await runtime.runPromise(Database)).sqlite;
};

let replies = 0;
/** A chat visitor's conversation on the seeded chatflow with an agent's reply; with `email`, the visitor's contact address. */
const chatWith = async (email?: string) => {
  const conversationId = await runtime.runPromise(
    Effect.gen(function* () {
      const { visitorId } = yield* Effect.flatMap(Visitors, (v) => v.create({ channelId: chatChannelId, device: "desktop", languages: ["en-GB"], pageUrl: "https://acme.test/" }));
      const view = yield* Effect.flatMap(Engine, (e) => e.startConversation({ visitorId, channelId: chatChannelId, chatflowId, pageUrl: "https://acme.test/" }));
      return view.conversation.id;
    }),
  );
  if (email !== undefined) {
    await runtime.runPromise(Effect.flatMap(Contacts, (c) => c.createFromConversation(admin, conversationId, { email, name: "Vera Visitor" })));
  }
  await runtime.runPromise(Effect.flatMap(Inbox, (i) => i.reply({ conversationId, text: "On its way.", clientMessageId: `shutdown-${++replies}` }, admin)));
  return conversationId;
};

/** Waits until the relay has the data of `count` mails to `address`. */
const relayHas = (address: string, count = 1) => expect.poll(() => receivedBy(address), { timeout: 10_000 }).toBe(count);

describe.each([
  {
    what: "a transcript",
    /** Queues one (an agent sends it to the address typed) and starts the loop as the server does. */
    sendingTo: async (address: string) => {
      const conversationId = await chatWith();
      await runtime.runPromise(Effect.flatMap(Transcripts, (t) => t.requestByAgent({ conversationId, email: address }, admin)));
      await runtime.runPromise(Effect.flatMap(Transcripts, (t) => Effect.sync(() => t.start(50))));
      return conversationId;
    },
    state: (conversationId: string) => {
      const row = sqlite.prepare("SELECT status, attempts, last_error, external_id FROM transcript_emails WHERE conversation_id = ?").get(conversationId) as {
        status: string;
        attempts: number;
        last_error: string | null;
        external_id: string | null;
      };
      return { status: row.status, attempts: row.attempts, lastError: row.last_error, externalId: row.external_id };
    },
    runDue: () => runtime.runPromise(Effect.flatMap(Transcripts, (t) => t.runDue())),
  },
  {
    what: "a chat follow-up",
    /** The agent's reply waits for the channel's wait (moved back by hand), then the loop starts as the server does. */
    sendingTo: async (address: string) => {
      const conversationId = await chatWith(address);
      sqlite.prepare("UPDATE follow_up_queue SET first_at = first_at - ? WHERE conversation_id = ?").run(60 * 60_000, conversationId);
      await runtime.runPromise(Effect.flatMap(FollowUps, (f) => Effect.sync(() => f.start(50))));
      return conversationId;
    },
    state: (conversationId: string) => {
      const queued = sqlite.prepare("SELECT attempts, last_error FROM follow_up_queue WHERE conversation_id = ?").get(conversationId) as
        | { attempts: number; last_error: string | null }
        | undefined;
      const emails = sqlite.prepare("SELECT status, external_id FROM follow_up_emails WHERE conversation_id = ?").all(conversationId) as Array<{
        status: string;
        external_id: string | null;
      }>;
      if (queued !== undefined) return { status: "queued", attempts: queued.attempts, lastError: queued.last_error, emails: emails.length };
      return { status: emails[0]?.status, attempts: emails.length, lastError: null, externalId: emails[0]?.external_id ?? null };
    },
    runDue: () => runtime.runPromise(Effect.flatMap(FollowUps, (f) => f.runDue())),
  },
])("$what at shutdown", ({ what, sendingTo, state, runDue }) => {
  const stamp = what.includes("transcript") ? "tx" : "fu";

  it("waits for the mail the relay is taking and records it sent: a new runtime on the file does not send it again", async () => {
    await runtime.dispose();
    await restart();
    relay.hold(400);
    const address = `lin-${stamp}@customer.test`;
    const conversationId = await sendingTo(address);
    await relayHas(address);
    // The server's shutdown disposes the runtime while the relay has not answered yet.
    await runtime.dispose();
    expect(sqlite.open).toBe(false);

    await restart();
    expect(state(conversationId)).toMatchObject({ status: "sent", attempts: 1, lastError: null });
    expect(state(conversationId).externalId).toMatch(/^<.+@acme\.test>$/);
    expect(await runDue()).toMatchObject({ sent: 0, retrying: 0 });
    expect(receivedBy(address)).toBe(1);
  });

  it("lets a send go after the wait (SHUTDOWN_WAIT_SECONDS): left queued, no try counted, sent after the restart", async () => {
    await runtime.dispose();
    await restart({ ...app.config, shutdownWaitMs: 100 });
    relay.hold(null);
    const address = `kim-${stamp}@customer.test`;
    const conversationId = await sendingTo(address);
    await relayHas(address);
    await runtime.dispose();

    await restart();
    expect(state(conversationId)).toMatchObject({ status: "queued", attempts: 0, lastError: null });
    // Sent again: the one duplicate left (the relay had the data but had not answered).
    relay.hold(0);
    relay.answerHeld();
    expect(await runDue()).toMatchObject({ sent: 1, retrying: 0 });
    expect(state(conversationId)).toMatchObject({ status: "sent", attempts: 1 });
    expect(receivedBy(address)).toBe(2);
  });
});

beforeAll(async () => {
  relay = await startHoldingRelay();
  app = await startTestApp("visitor-mail-shutdown");
  ({ runtime, sqlite } = app);
  admin = sqlite.prepare("SELECT id, role FROM users WHERE role = 'admin' LIMIT 1").get() as typeof admin;
  const chat = sqlite
    .prepare(
      "SELECT ch.id, ch.inbox_id, f.id AS flow FROM channels ch JOIN chatflows f ON f.channel_id = ch.id WHERE ch.kind = 'chat' AND f.published_version_id IS NOT NULL AND f.enabled = 1 ORDER BY ch.created_at LIMIT 1",
    )
    .get() as { id: string; inbox_id: string; flow: string };
  ({ id: chatChannelId, flow: chatflowId } = chat);
  const emailChannelId = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name: "Support mail", inboxId: chat.inbox_id })))).id;
  await runtime.runPromise(
    Effect.flatMap(EmailChannel, (e) => e.saveSettings(emailChannelId, relaySettings("support@acme.test", relay.port))),
  );
});

afterAll(async () => {
  relay.answerHeld();
  await runtime.dispose();
  await relay.close();
  rmSync(app.dir, { recursive: true, force: true });
});
