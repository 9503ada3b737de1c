/**
 * An email channel listening to its team mailbox (IMAP IDLE), end to end in-process: the app's
 * real runtime on a fresh SQLite file with its fetching loop started as the server starts it,
 * and hoodiecrow-imap on loopback standing in for the provider (it tells an idling client of
 * each mail a test delivers, and can cut its connections). The loop's timer is set to an hour,
 * so a mail that shows up within seconds came by IDLE; polling without IDLE is the other case.
 */
import { Effect, Either } from "effect";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRuntime } from "../../runtime/services/app-layer.js";
import { Channels } from "../../runtime/services/channels.js";
import type { Sqlite } from "../../runtime/services/database.js";
import { EmailChannel, type EmailImapStatus } from "../../runtime/services/email-channel.js";
import { imapChannelForm, quietButListening, startFakeMailbox, type FakeMailbox } from "../support/fake-imap.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

const HOUR = 60 * 60 * 1000;

let app: TestApp;
let runtime: AppRuntime;
let sqlite: Sqlite;
let inboxId: string;
let disposed = false;
/** The mailbox the support channel listens to. */
let mailbox: FakeMailbox;
const others: FakeMailbox[] = [];
const stops: Array<() => void> = [];

const email = () => runtime.runPromise(EmailChannel);
const statusOf = async (channelId: string): Promise<EmailImapStatus> => (await (await email()).settings(channelId).pipe(Effect.runPromise)).imapStatus;
const save = async (channelId: string, input: Record<string, string>) => {
  const saved = await (await email()).saveSettings(channelId, input).pipe(Effect.either, Effect.runPromise);
  expect(Either.isRight(saved)).toBe(true);
};
const newChannel = async (name: string) => (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name, inboxId })))).id;
/** Starts the fetching loop (stopped again after the file) with `options`; the timer an hour unless said. */
const startLoop = async (options: Parameters<Awaited<ReturnType<typeof email>>["startPolling"]>[0] = {}) => {
  const stop = (await email()).startPolling({ intervalMs: HOUR, safetyPollMs: HOUR, reconnectMinMs: 500, ...options });
  stops.push(stop);
  return stop;
};

let counter = 0;
const rawMail = (from: string, subject: string, text: string, to = "support@acme.test") =>
  [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: ${subject}`,
    "Date: Thu, 26 Nov 2026 10:00:00 +0000",
    `Message-ID: <idle-${++counter}-${Date.now()}@customer.test>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    text,
    "",
  ].join("\r\n");

const conversationsOf = (address: string) =>
  sqlite
    .prepare(
      `SELECT c.id, c.channel_id FROM conversations c JOIN channel_identities ci ON ci.visitor_id = c.visitor_id AND ci.channel_id = c.channel_id
        WHERE ci.external_id = ? ORDER BY c.created_at, c.rowid`,
    )
    .all(address) as Array<{ id: string; channel_id: string }>;
const seen = (box: FakeMailbox, uid: number) => box.messages().find((m) => m.uid === uid)?.flags.includes("\\Seen") ?? false;

/**
 * Waits until the channel listens and nothing else talks to its mailbox. After this only the
 * server's word of a new mail (or the hour-long timer) can fetch one.
 */
const settled = async (channelId: string, box: FakeMailbox) => {
  await expect.poll(async () => (await statusOf(channelId)).listening?.state, { timeout: 15_000 }).toBe("listening");
  await quietButListening(box);
};

let supportId: string;

beforeAll(async () => {
  mailbox = await startFakeMailbox({
    initial: [{ raw: rawMail("Early Bird <early@customer.test>", "Before the loop", "Waiting since before Parley started.") }],
  });
  app = await startTestApp("email-imap-idle", { PUBLIC_URL: "https://parley.example.com" });
  ({ runtime, sqlite } = app);
  inboxId = (sqlite.prepare("SELECT id FROM inboxes ORDER BY created_at LIMIT 1").get() as { id: string }).id;
  supportId = await newChannel("Support mail");
  await save(supportId, imapChannelForm(mailbox, "support@acme.test"));
});

afterAll(async () => {
  for (const stop of stops) stop();
  if (!disposed) await runtime?.dispose();
  for (const box of [mailbox, ...others]) await box?.close();
  if (app) rmSync(app.dir, { recursive: true, force: true });
});

describe("listening (IDLE)", () => {
  it("fetches a new mail within seconds although the poll runs only hourly: the server's word of it starts the poll", async () => {
    await startLoop();
    // The loop's first pass took what waited before it started.
    await expect.poll(() => conversationsOf("early@customer.test").length, { timeout: 15_000 }).toBe(1);
    await settled(supportId, mailbox);
    const status = await statusOf(supportId);
    expect(status.listening).toEqual({ state: "listening", since: expect.any(Number) });

    const uid = mailbox.deliver(rawMail("Ada Lovelace <ada@customer.test>", "Cannot log in", "My reset link does not arrive."));
    await expect.poll(() => conversationsOf("ada@customer.test"), { timeout: 15_000 }).toEqual([{ id: expect.any(String), channel_id: supportId }]);
    // The same poll as ever: the mail is marked read at the provider, its UID recorded.
    await expect.poll(() => seen(mailbox, uid), { timeout: 5_000 }).toBe(true);
    await expect
      .poll(() => (sqlite.prepare("SELECT last_uid FROM email_imap_state WHERE channel_id = ?").get(supportId) as { last_uid: number }).last_uid, { timeout: 5_000 })
      .toBe(uid);
    // Still listening on the one connection afterwards.
    await settled(supportId, mailbox);
  });

  it("makes one conversation per mail of a burst, each stored once", async () => {
    await settled(supportId, mailbox);
    for (let i = 0; i < 5; i++) mailbox.deliver(rawMail(`burst${i}@customer.test`, `Burst ${i}`, `Mail ${i} of a burst.`));
    for (let i = 0; i < 5; i++) {
      await expect.poll(() => conversationsOf(`burst${i}@customer.test`).length, { timeout: 15_000 }).toBe(1);
    }
    await settled(supportId, mailbox);
    for (let i = 0; i < 5; i++) expect(conversationsOf(`burst${i}@customer.test`)).toHaveLength(1);
  });

  it("connects again after the connection drops, says so meanwhile, and listens again", async () => {
    await settled(supportId, mailbox);
    const before = (await statusOf(supportId)).listening;
    const states: string[] = [];
    let dropped: EmailImapStatus["listening"] = null;
    mailbox.dropConnections();
    await expect
      .poll(
        async () => {
          const listening = (await statusOf(supportId)).listening;
          if (listening && states.at(-1) !== listening.state) states.push(listening.state);
          if (listening?.state === "reconnecting") dropped = listening;
          return listening?.state === "listening" && listening.since !== (before?.state === "listening" ? before.since : null);
        },
        { timeout: 15_000, interval: 50 },
      )
      .toBe(true);
    expect(states).toContain("reconnecting");
    // What the settings page shows meanwhile: why, and when the next try is.
    expect(dropped).toMatchObject({ error: expect.stringMatching(/^(127\.0\.0\.1:\d+ closed the connection|the connection to 127\.0\.0\.1:\d+ failed: )/) });
    await settled(supportId, mailbox);
    mailbox.deliver(rawMail("grace@customer.test", "After the drop", "Sent after the provider cut the connection."));
    await expect.poll(() => conversationsOf("grace@customer.test").length, { timeout: 15_000 }).toBe(1);
  });

  it("shows the failure and keeps trying while the mailbox refuses the password, and listens once it is right", async () => {
    await save(supportId, { ...imapChannelForm(mailbox, "support@acme.test"), imapPassword: "wrong-password" });
    await expect
      .poll(async () => (await statusOf(supportId)).listening, { timeout: 15_000 })
      .toMatchObject({ state: "reconnecting", error: expect.stringMatching(/^could not sign in to 127\.0\.0\.1:\d+: .*(auth|login)/i) });
    const failing = (await statusOf(supportId)).listening;
    expect(failing?.state === "reconnecting" && failing.retryAt > failing.at).toBe(true);
    await save(supportId, imapChannelForm(mailbox, "support@acme.test"));
    await settled(supportId, mailbox);
  });

  it("moves the connection when the channel changes mailbox, and closes it when the channel goes back to forwarding", async () => {
    const other = await startFakeMailbox({ user: "help@acme.test", password: "help-password-1" });
    others.push(other);
    await settled(supportId, mailbox);
    await save(supportId, imapChannelForm(other, "support@acme.test"));
    // The old mailbox's connection is closed; the new one is listened to.
    await expect.poll(() => mailbox.connections(), { timeout: 10_000 }).toBe(0);
    await settled(supportId, other);
    other.deliver(rawMail("lin@customer.test", "To the new mailbox", "Hello there."));
    await expect.poll(() => conversationsOf("lin@customer.test").length, { timeout: 15_000 }).toBe(1);

    await save(supportId, { ...imapChannelForm(other, "support@acme.test"), incoming: "smtp" });
    await expect.poll(() => other.connections(), { timeout: 10_000 }).toBe(0);
    expect((await statusOf(supportId)).listening).toBeNull();
    // Nobody listens: a mail now stays at the provider, unread.
    const uid = other.deliver(rawMail("late@customer.test", "Nobody listens", "Not fetched."));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(conversationsOf("late@customer.test")).toEqual([]);
    expect(seen(other, uid)).toBe(false);
    expect(other.connections()).toBe(0);

    await save(supportId, imapChannelForm(mailbox, "support@acme.test"));
    await settled(supportId, mailbox);
  });
});

describe("without IDLE, and past the limit", () => {
  it("polls a mailbox whose server has no IDLE on the timer, holding no connection open in between", async () => {
    const plain = await startFakeMailbox({ user: "plain@acme.test", password: "plain-password-1", idle: false });
    others.push(plain);
    const plainId = await newChannel("Plain mail");
    await save(plainId, imapChannelForm(plain, "plain@acme.test"));
    await expect.poll(async () => (await statusOf(plainId)).listening?.state, { timeout: 15_000 }).toBe("unsupported");
    await expect.poll(() => plain.connections(), { timeout: 10_000 }).toBe(0);
    // The loop's timer is an hour here: the loop again with a short one stands in for "every minute".
    for (const stop of stops.splice(0)) stop();
    const stop = await startLoop({ intervalMs: 300 });
    try {
      plain.deliver(rawMail("poll@customer.test", "Polled", "Fetched by the timer.", "plain@acme.test"));
      await expect.poll(() => conversationsOf("poll@customer.test"), { timeout: 15_000 }).toEqual([{ id: expect.any(String), channel_id: plainId }]);
    } finally {
      stop();
    }
    await save(plainId, { ...imapChannelForm(plain, "plain@acme.test"), incoming: "smtp" });
    await expect.poll(() => plain.connections(), { timeout: 10_000 }).toBe(0);
    await startLoop();
  });

  it("listens to at most the limit's mailboxes, the oldest channels first, and polls the others", async () => {
    for (const stop of stops.splice(0)) stop();
    const extra = await startFakeMailbox({ user: "sales@acme.test", password: "sales-password-1" });
    others.push(extra);
    const salesId = await newChannel("Sales mail");
    await save(salesId, imapChannelForm(extra, "sales@acme.test"));
    const stop = await startLoop({ maxListening: 1, intervalMs: 300 });
    try {
      await settled(supportId, mailbox);
      expect((await statusOf(salesId)).listening).toEqual({ state: "over-limit", limit: 1 });
      extra.deliver(rawMail("buyer@customer.test", "Quote", "A quote, please.", "sales@acme.test"));
      await expect.poll(() => conversationsOf("buyer@customer.test"), { timeout: 15_000 }).toEqual([{ id: expect.any(String), channel_id: salesId }]);
    } finally {
      stop();
    }
    await save(salesId, { ...imapChannelForm(extra, "sales@acme.test"), incoming: "smtp" });
    await startLoop();
    await settled(supportId, mailbox);
  });
});

describe("shutdown", () => {
  it("closes every listening connection when the runtime is disposed", async () => {
    await settled(supportId, mailbox);
    await runtime.dispose();
    disposed = true;
    await expect.poll(() => mailbox.connections(), { timeout: 5_000 }).toBe(0);
  });
});
