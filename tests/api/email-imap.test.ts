/**
 * An email channel that fetches its team mailbox over IMAP, end to end in-process: the app's
 * real runtime on a fresh SQLite file, and hoodiecrow-imap on loopback standing in for the
 * provider's mailbox (the only fake: it is outside this machine). Polls are run through the
 * service (`pollMailboxes`) or its loop, and the settings page through the real route's loader
 * and action. A restart is a new runtime on the same database file.
 */
import { Effect, Either } from "effect";
import { rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { action as settingsAction, loader as settingsLoader } from "../../app/routes/settings.channels.email.$id.js";
import { sessionCookieHeader } from "../../app/session.server.js";
import { Accounts } from "../../runtime/services/accounts.js";
import { makeAppRuntime, type AppRuntime } from "../../runtime/services/app-layer.js";
import { Channels } from "../../runtime/services/channels.js";
import { Database, type Sqlite } from "../../runtime/services/database.js";
import { EMAIL_MAX_BYTES, EmailChannel } from "../../runtime/services/email-channel.js";
import { IMAP_MAX_PER_POLL } from "../../runtime/services/email-imap.js";
import { startup } from "../../server/startup.js";
import { startFakeMailbox, type FakeMailbox } from "../support/fake-imap.js";
import { startTestApp, TEST_ADMIN_PASSWORD, type TestApp } from "../support/test-app.js";

const TEAM = "support@acme.test";

let app: TestApp;
let runtime: AppRuntime;
let sqlite: Sqlite;
let mailbox: FakeMailbox;
let inboxId: string;
let channelId: string;

const email = () => runtime.runPromise(EmailChannel);
const poll = async () => (await email()).pollMailboxes().pipe(Effect.runPromise);
const settingsOf = async (id = channelId) => (await email()).settings(id).pipe(Effect.runPromise);
const save = async (input: Record<string, string>, id = channelId) => (await email()).saveSettings(id, input).pipe(Effect.either, Effect.runPromise);

let counter = 0;
const newMessageId = () => `<imap-${++counter}-${Date.now()}@customer.test>`;
/** A raw mail as a provider stores it (CRLF line ends). */
const rawMail = (m: { from: string; to?: string; subject: string; text: string; messageId?: string; inReplyTo?: string; extra?: string }) =>
  [
    `Return-Path: <${m.from.replace(/^.*<|>.*$/g, "")}>`,
    `From: ${m.from}`,
    `To: ${m.to ?? TEAM}`,
    `Subject: ${m.subject}`,
    `Date: Tue, 3 Mar 2026 10:00:00 +0000`,
    ...(m.messageId ? [`Message-ID: ${m.messageId}`] : []),
    ...(m.inReplyTo ? [`In-Reply-To: ${m.inReplyTo}`, `References: ${m.inReplyTo}`] : []),
    ...(m.extra ? [m.extra] : []),
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    m.text,
    "",
  ].join("\r\n");

const TABLES = ["messages", "conversations", "visitors", "contacts", "channel_identities", "external_messages"] as const;
const counts = () => Object.fromEntries(TABLES.map((t) => [t, (sqlite.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));

const conversationsOf = (address: string, id = channelId) =>
  sqlite
    .prepare(
      `SELECT c.id, c.status, c.channel_id, c.inbox_id FROM conversations c JOIN channel_identities ci ON ci.visitor_id = c.visitor_id AND ci.channel_id = c.channel_id
        WHERE ci.external_id = ? AND ci.channel_id = ? ORDER BY c.created_at, c.rowid`,
    )
    .all(address, id) as Array<{ id: string; status: string; channel_id: string; inbox_id: string }>;
const transcript = (conversationId: string) =>
  (sqlite.prepare("SELECT author, text FROM messages WHERE conversation_id = ? AND is_internal = 0 ORDER BY id").all(conversationId) as Array<{
    author: string;
    text: string;
  }>).map((m) => `${m.author}: ${m.text}`);
const stateRow = (id = channelId) =>
  sqlite.prepare("SELECT uid_validity, last_uid, polled_at, last_error, last_error_at FROM email_imap_state WHERE channel_id = ?").get(id) as
    | { uid_validity: string | null; last_uid: number; polled_at: number | null; last_error: string | null; last_error_at: number | null }
    | undefined;
const seen = (uid: number) => mailbox.messages().find((m) => m.uid === uid)?.flags.includes("\\Seen") ?? false;

const baseForm = {
  addresses: `${TEAM}\nhelp@acme.test`,
  fromName: "Acme Support",
  fromAddress: TEAM,
  signature: "Acme Support",
  smtpHost: "smtp.acme.test",
  smtpPort: "587",
  smtpSecurity: "starttls",
  smtpUser: "relay-user",
  smtpPassword: "relay-password-9876",
};
const imapForm = () => ({
  incoming: "imap",
  imapHost: "127.0.0.1",
  imapPort: String(mailbox.port),
  imapSecurity: "none",
  imapUser: mailbox.user,
  imapPassword: mailbox.password,
  imapFolder: "",
});

/** A port nothing listens on: bound, then closed. */
const closedPort = async () => {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
};

// ---- set-up: a mailbox that already holds read history and one unread mail ----

let historyUid: number;
let waitingUid: number;
const waitingId = newMessageId();

beforeAll(async () => {
  // Without IDLE: this file tests polling, on the loop's timer included (listening: email-imap-idle.test.ts).
  mailbox = await startFakeMailbox({ idle: false });
  historyUid = mailbox.deliver(rawMail({ from: "old@customer.test", subject: "Last year", text: "Old, already handled.", messageId: newMessageId() }), ["\\Seen"]);
  waitingUid = mailbox.deliver(rawMail({ from: '"Ada Lovelace" <ada@customer.test>', subject: "Cannot log in", text: "Hello, my reset link does not arrive.", messageId: waitingId }));
  app = await startTestApp("email-imap", { PUBLIC_URL: "https://parley.example.com" });
  ({ runtime, sqlite } = app);
  inboxId = (sqlite.prepare("SELECT id FROM inboxes ORDER BY created_at LIMIT 1").get() as { id: string }).id;
  channelId = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name: "Support mail", inboxId })))).id;
  const saved = await save({ ...baseForm });
  expect(Either.isRight(saved)).toBe(true);
});

afterAll(async () => {
  await runtime?.dispose();
  await mailbox?.close();
  if (app) rmSync(app.dir, { recursive: true, force: true });
});

beforeEach(() => {
  // A test that left the mailbox failing (a wrong password, a missing folder) must not leak.
  sqlite.prepare("UPDATE email_imap_state SET last_error = NULL, last_error_at = NULL").run();
});

describe("settings", () => {
  it("switches the channel to IMAP without touching its other settings, and keeps both passwords apart", async () => {
    const before = await settingsOf();
    expect(before.incoming).toBe("smtp");
    const saved = await save({ ...baseForm, smtpPassword: "", ...imapForm() });
    expect(Either.isRight(saved)).toBe(true);
    const after = await settingsOf();
    expect(after).toMatchObject({
      addresses: before.addresses,
      fromName: before.fromName,
      signature: before.signature,
      relay: before.relay,
      password: before.password,
      incoming: "imap",
      imap: { host: "127.0.0.1", port: mailbox.port, security: "none", user: mailbox.user, folder: "INBOX" },
      imapPassword: { configured: true, hint: mailbox.password.slice(-4) },
    });
    expect(JSON.stringify(after)).not.toContain(mailbox.password);
    // A save that leaves the IMAP password empty keeps it; the relay's is the relay's.
    const stored = () => JSON.parse((sqlite.prepare("SELECT config FROM channels WHERE id = ?").get(channelId) as { config: string }).config);
    expect(stored().imap.password).toBe(mailbox.password);
    expect(stored().relay.password).toBe("relay-password-9876");
    await save({ ...baseForm, smtpPassword: "", ...imapForm(), imapPassword: "" });
    expect(stored().imap.password).toBe(mailbox.password);
    // A save without the incoming fields (an older page, an API caller) leaves IMAP on.
    await save({ ...baseForm, smtpPassword: "", signature: "Acme Support Team" });
    expect((await settingsOf()).incoming).toBe("imap");
    expect(stored().signature).toBe("Acme Support Team");
  });

  it("refuses bad IMAP settings with a message per field, and stores nothing", async () => {
    const config = () => (sqlite.prepare("SELECT config FROM channels WHERE id = ?").get(channelId) as { config: string }).config;
    const unchanged = config();
    const refused = await save({ ...baseForm, ...imapForm(), imapHost: "imap host", imapPort: "0", imapSecurity: "ssl", imapUser: "" });
    expect(Either.isLeft(refused) && refused.left._tag === "InvalidInput" ? refused.left.issues : []).toEqual([
      { path: "imapHost", message: "expected a host name like imap.example.com" },
      { path: "imapPort", message: "a port is a number from 1 to 65535 (usually 993 for TLS)" },
      { path: "imapSecurity", message: "choose TLS, STARTTLS or none" },
      { path: "imapUser", message: "enter the mailbox’s user name (usually its address)" },
    ]);
    const missing = await save({ ...baseForm, ...imapForm(), imapHost: "", imapUser: "" });
    expect(Either.isLeft(missing) && missing.left._tag === "InvalidInput" ? missing.left.issues.map((i) => i.path) : []).toEqual(["imapHost", "imapUser"]);
    expect(config()).toBe(unchanged);
  });
});

describe("fetching", () => {
  it("takes only the unread mail on the first poll: a conversation, marked read on the server; old read mail stays history", async () => {
    const before = counts();
    await poll();
    const [conversation, ...more] = conversationsOf("ada@customer.test");
    expect(more).toEqual([]);
    expect(conversation).toMatchObject({ status: "open", channel_id: channelId, inbox_id: inboxId });
    expect(transcript(conversation!.id)).toEqual(["visitor: Hello, my reset link does not arrive."]);
    expect(conversationsOf("old@customer.test")).toEqual([]);
    expect(counts().conversations).toBe(before.conversations + 1);
    expect(seen(waitingUid)).toBe(true);
    expect(seen(historyUid)).toBe(true);
    const state = stateRow()!;
    expect(state.last_uid).toBe(waitingUid);
    expect(state.polled_at).not.toBeNull();
    expect(state.last_error).toBeNull();
    const status = (await settingsOf()).imapStatus;
    // The loop is not running here (the test polls by hand): nobody listens.
    expect(status).toEqual({ checkedAt: state.polled_at, newCount: 1, error: null, note: null, listening: null });
  });

  it("stores a mail in this channel even when its To names another address (a BCC, a group alias)", async () => {
    const uid = mailbox.deliver(rawMail({ from: "grace@customer.test", to: "everyone@lists.acme.test", subject: "Via the alias", text: "Sent to the group.", messageId: newMessageId() }));
    await poll();
    const [conversation] = conversationsOf("grace@customer.test");
    expect(conversation?.channel_id).toBe(channelId);
    expect(transcript(conversation!.id)).toEqual(["visitor: Sent to the group."]);
    expect(seen(uid)).toBe(true);
  });

  it("threads the customer's reply into the existing conversation, with only the new text", async () => {
    const [conversation] = conversationsOf("ada@customer.test");
    mailbox.deliver(
      rawMail({
        from: "Ada Lovelace <ada@customer.test>",
        subject: "Re: Cannot log in",
        text: "It arrived now, thanks!\r\n\r\nOn Tue, 3 Mar 2026, Ada wrote:\r\n> Hello, my reset link does not arrive.",
        messageId: newMessageId(),
        inReplyTo: waitingId,
      }),
    );
    await poll();
    expect(conversationsOf("ada@customer.test")).toHaveLength(1);
    expect(transcript(conversation!.id)).toEqual(["visitor: Hello, my reset link does not arrive.", "visitor: It arrived now, thanks!"]);
  });

  it("fetches nothing twice: not on the next poll, and not a mail someone marked unread again", async () => {
    await poll();
    const before = counts();
    const last = stateRow()!.last_uid;
    mailbox.setFlags(waitingUid, []);
    mailbox.setFlags(last, []);
    await poll();
    expect(counts()).toEqual(before);
    // Up to the last UID taken, an unread mark is the team's own business at the provider: not even read again.
    expect(seen(waitingUid)).toBe(false);
    expect(seen(last)).toBe(false);
    mailbox.setFlags(waitingUid, ["\\Seen"]);
    mailbox.setFlags(last, ["\\Seen"]);
  });

  it("takes a mail someone already read at the provider, as long as it is new", async () => {
    const uid = mailbox.deliver(rawMail({ from: "hopper@customer.test", subject: "Read in webmail", text: "Opened before Parley polled.", messageId: newMessageId() }), ["\\Seen"]);
    await poll();
    expect(conversationsOf("hopper@customer.test")).toHaveLength(1);
    expect(stateRow()!.last_uid).toBe(uid);
  });

  it("drops auto-replies and bounces without a conversation, and still marks them read", async () => {
    const before = counts();
    const auto = mailbox.deliver(rawMail({ from: "away@customer.test", subject: "Out of office", text: "I am away.", messageId: newMessageId(), extra: "Auto-Submitted: auto-replied" }));
    const bounce = mailbox.deliver(
      rawMail({ from: "mailer-daemon@customer.test", subject: "Undelivered", text: "Delivery failed.", messageId: newMessageId() }).replace(/^Return-Path: .*$/m, "Return-Path: <>"),
    );
    await poll();
    expect(counts()).toEqual(before);
    expect(seen(auto) && seen(bounce)).toBe(true);
    expect(stateRow()!.last_uid).toBe(bounce);
  });

  it("skips a mail without a From address with a note, instead of trying it forever", async () => {
    const before = counts();
    const uid = mailbox.deliver(rawMail({ from: "x@y.test", subject: "No sender", text: "Who sent this?", messageId: newMessageId() }).replace(/^From: .*\r\n/m, ""));
    await poll();
    expect(counts()).toEqual(before);
    expect(seen(uid)).toBe(true);
    const status = (await settingsOf()).imapStatus;
    expect(status.error).toBeNull();
    expect(status.note?.message).toMatch(new RegExp(`skipped a mail \\(UID ${uid}\\): the message has no valid From address`));
    // The note stays for the admin after a quiet poll.
    await poll();
    expect((await settingsOf()).imapStatus.note?.message).toMatch(/no valid From address/);
  });

  it(`skips a mail over ${EMAIL_MAX_BYTES / (1024 * 1024)} MB without downloading it, with a note, and goes on with the next`, async () => {
    const before = counts();
    const big = mailbox.deliver(rawMail({ from: "huge@customer.test", subject: "Huge", text: "x".repeat(EMAIL_MAX_BYTES + 1024), messageId: newMessageId() }));
    const next = mailbox.deliver(rawMail({ from: "small@customer.test", subject: "Small", text: "A normal mail.", messageId: newMessageId() }));
    await poll();
    expect(conversationsOf("huge@customer.test")).toEqual([]);
    expect(conversationsOf("small@customer.test")).toHaveLength(1);
    expect(counts().conversations).toBe(before.conversations + 1);
    expect(seen(big)).toBe(true);
    expect(stateRow()!.last_uid).toBe(next);
    expect((await settingsOf()).imapStatus.note?.message).toMatch(new RegExp(`skipped a mail of 40\\.0 MB \\(UID ${big}\\): larger than 40 MB`));
  }, 60_000);

  it(`takes at most ${IMAP_MAX_PER_POLL} mails a poll, oldest first, and the rest on the next`, async () => {
    const before = counts();
    const uids: number[] = [];
    for (let i = 0; i < IMAP_MAX_PER_POLL + 5; i++) {
      uids.push(mailbox.deliver(rawMail({ from: `bulk${i}@customer.test`, subject: `Request ${i}`, text: `Request number ${i}.`, messageId: newMessageId() })));
    }
    await poll();
    expect(counts().conversations).toBe(before.conversations + IMAP_MAX_PER_POLL);
    expect(stateRow()!.last_uid).toBe(uids[IMAP_MAX_PER_POLL - 1]);
    expect(conversationsOf(`bulk${IMAP_MAX_PER_POLL}@customer.test`)).toEqual([]);
    await poll();
    expect(counts().conversations).toBe(before.conversations + IMAP_MAX_PER_POLL + 5);
    expect(stateRow()!.last_uid).toBe(uids.at(-1));
  }, 60_000);

  it("re-reads the unread mail of a rebuilt mailbox (new UIDVALIDITY) without storing anything twice", async () => {
    const before = counts();
    // The rebuild left an already-stored mail unread, and a new one arrived.
    mailbox.setFlags(waitingUid, []);
    const fresh = mailbox.deliver(rawMail({ from: "lin@customer.test", subject: "After the move", text: "Hello after the migration.", messageId: newMessageId() }));
    mailbox.setUidValidity(777);
    await poll();
    expect(counts().conversations).toBe(before.conversations + 1);
    expect(counts().messages).toBe(before.messages + 1);
    expect(conversationsOf("lin@customer.test")).toHaveLength(1);
    expect(seen(waitingUid) && seen(fresh)).toBe(true);
    expect(stateRow()!.uid_validity).toContain("777");
    expect(stateRow()!.last_uid).toBe(fresh);
  });
});

describe("failures", () => {
  it("records a wrong password with its time, stores nothing, and clears it once the password is right", async () => {
    const uid = mailbox.deliver(rawMail({ from: "wait@customer.test", subject: "Waiting", text: "Still there?", messageId: newMessageId() }));
    await save({ ...baseForm, smtpPassword: "", ...imapForm(), imapPassword: "wrong-password" });
    const before = counts();
    const checkedBefore = stateRow()!.polled_at;
    await poll();
    expect(counts()).toEqual(before);
    expect(seen(uid)).toBe(false);
    const status = (await settingsOf()).imapStatus;
    expect(status.error?.message).toMatch(/^could not sign in to 127\.0\.0\.1:\d+: .*(auth|login)/i);
    expect(status.error?.at).toBeGreaterThan(0);
    expect(status.checkedAt).toBe(checkedBefore);

    await save({ ...baseForm, smtpPassword: "", ...imapForm() });
    await poll();
    expect(conversationsOf("wait@customer.test")).toHaveLength(1);
    expect((await settingsOf()).imapStatus.error).toBeNull();
  });

  it("records a missing folder and an unreachable server as the channel's error", async () => {
    await save({ ...baseForm, smtpPassword: "", ...imapForm(), imapFolder: "Support/Missing" });
    await poll();
    expect((await settingsOf()).imapStatus.error?.message).toMatch(/^could not open the folder “Support\/Missing”/);
    await save({ ...baseForm, smtpPassword: "", ...imapForm(), imapPort: String(await closedPort()) });
    await poll();
    expect((await settingsOf()).imapStatus.error?.message).toMatch(/^could not sign in to 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    await save({ ...baseForm, smtpPassword: "", ...imapForm() });
  });

  it("verifies the server's TLS certificate: a self-signed one is an error, and nothing is fetched", async () => {
    const secure = await startFakeMailbox({ secure: true, initial: [{ raw: rawMail({ from: "tls@customer.test", subject: "TLS", text: "Over TLS.", messageId: newMessageId() }) }] });
    try {
      await save({ ...baseForm, smtpPassword: "", ...imapForm(), imapPort: String(secure.port), imapSecurity: "tls" });
      const before = counts();
      await poll();
      expect(counts()).toEqual(before);
      expect((await settingsOf()).imapStatus.error?.message).toMatch(/^could not sign in to 127\.0\.0\.1:\d+: .*certificate/i);
      expect(secure.messages()[0]?.flags).toEqual([]);
    } finally {
      await save({ ...baseForm, smtpPassword: "", ...imapForm() });
      await secure.close();
    }
  });

  it("keeps polling the other channels when one mailbox fails", async () => {
    const other = await startFakeMailbox({ user: "sales@acme.test", password: "sales-password-1" });
    try {
      const salesId = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name: "Sales mail", inboxId })))).id;
      other.deliver(rawMail({ from: "buyer@customer.test", to: "sales@acme.test", subject: "Quote", text: "A quote, please.", messageId: newMessageId() }));
      const saved = await save(
        { ...baseForm, addresses: "sales@acme.test", fromAddress: "sales@acme.test", ...imapForm(), imapPort: String(other.port), imapUser: other.user, imapPassword: other.password },
        salesId,
      );
      expect(Either.isRight(saved)).toBe(true);
      // The support channel's mailbox fails; it is polled first (older channel).
      await save({ ...baseForm, smtpPassword: "", ...imapForm(), imapPassword: "wrong-password" });
      await poll();
      expect((await settingsOf()).imapStatus.error).not.toBeNull();
      expect(conversationsOf("buyer@customer.test", salesId)).toHaveLength(1);
      expect((await settingsOf(salesId)).imapStatus).toMatchObject({ error: null, newCount: 1 });
      // Off again, so the other tests poll one mailbox.
      await save({ ...baseForm, addresses: "sales@acme.test", fromAddress: "sales@acme.test", incoming: "smtp" }, salesId);
    } finally {
      await save({ ...baseForm, smtpPassword: "", ...imapForm() });
      await other.close();
    }
  });
});

describe("the poll loop and a restart", () => {
  it("polls on its own timer", async () => {
    const stop = (await email()).startPolling({ intervalMs: 200 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const uid = mailbox.deliver(rawMail({ from: "loop@customer.test", subject: "Loop", text: "Picked up by the loop.", messageId: newMessageId() }));
      await expect.poll(() => conversationsOf("loop@customer.test").length, { timeout: 10_000 }).toBe(1);
      // The loop's poll marks the mail read just after storing it: wait for that step too.
      await expect.poll(() => seen(uid), { timeout: 5_000 }).toBe(true);
    } finally {
      stop();
    }
  });

  it("polls at once when an IMAP channel's settings are saved, not a minute later", async () => {
    const stop = (await email()).startPolling({ intervalMs: 60_000 });
    try {
      // The loop's first pass (at its start) has run once the state's check time moves.
      const checked = stateRow()!.polled_at;
      await expect.poll(() => stateRow()!.polled_at !== checked, { timeout: 10_000 }).toBe(true);
      const uid = mailbox.deliver(rawMail({ from: "wake@customer.test", subject: "Wake", text: "Fetched right after the save.", messageId: newMessageId() }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(conversationsOf("wake@customer.test")).toEqual([]);
      await save({ ...baseForm, smtpPassword: "", ...imapForm() });
      await expect.poll(() => conversationsOf("wake@customer.test").length, { timeout: 5_000 }).toBe(1);
      // The loop's poll marks the mail read just after storing it: wait for that step too.
      await expect.poll(() => seen(uid), { timeout: 5_000 }).toBe(true);
    } finally {
      stop();
    }
  });

  it("fetches nothing again after a restart: the progress is in the database", async () => {
    await poll();
    const before = counts();
    const last = stateRow()!.last_uid;
    await runtime.dispose();
    runtime = makeAppRuntime(app.config);
    (await startup(runtime, app.config, { print: () => undefined })).stop();
    sqlite = (await runtime.runPromise(Database)).sqlite;
    // Everything is unread again at the provider: still nothing is taken twice.
    for (const m of mailbox.messages()) mailbox.setFlags(m.uid, []);
    await poll();
    expect(counts()).toEqual(before);
    expect(stateRow()!.last_uid).toBe(last);
    const uid = mailbox.deliver(rawMail({ from: "after@customer.test", subject: "After restart", text: "New after the restart.", messageId: newMessageId() }));
    await poll();
    expect(conversationsOf("after@customer.test")).toHaveLength(1);
    expect(stateRow()!.last_uid).toBe(uid);
  });
});

describe("the settings page (the route's loader and action, signed in as the admin)", () => {
  const signIn = async () => {
    const session = await runtime.runPromise(Effect.flatMap(Accounts, (a) => a.login("admin@parley.local", TEST_ADMIN_PASSWORD)));
    const context = { runtime } as never;
    const url = `https://parley.example.com/settings/channels/email/${channelId}`;
    const cookie = (await sessionCookieHeader(new Request(url), context, session.token)).split(";")[0]!;
    return { context, url, cookie, csrf: session.csrfToken };
  };
  type Acted = { data: { saved?: boolean; errors?: Record<string, string>; values?: Record<string, string>; checked?: { ok: boolean; message: string } }; init: { status?: number } | null };
  const post = async (fields: Record<string, string>) => {
    const { context, url, cookie, csrf } = await signIn();
    const body = new URLSearchParams({ ...fields, csrf });
    return (await settingsAction({
      request: new Request(url, { method: "POST", headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" }, body }),
      context,
      params: { id: channelId },
    })) as unknown as Acted;
  };

  it("shows the polling status and the mailbox without its password", async () => {
    await poll();
    const { context, url, cookie } = await signIn();
    const loaded = (await settingsLoader({ request: new Request(url, { headers: { Cookie: cookie } }), context, params: { id: channelId } })) as unknown as {
      data: { settings: { incoming: string; imap: { host: string }; imapStatus: { checkedAt: number; newCount: number; error: unknown } } };
    };
    expect(loaded.data.settings).toMatchObject({ incoming: "imap", imap: { host: "127.0.0.1" }, imapStatus: { error: null, newCount: 0 } });
    expect(loaded.data.settings.imapStatus.checkedAt).toBeGreaterThan(0);
    expect(JSON.stringify(loaded.data)).not.toContain(mailbox.password);
  });

  it("answers 400 with a message next to each IMAP field, keeps what was typed but the passwords, and stores nothing", async () => {
    const config = () => (sqlite.prepare("SELECT config FROM channels WHERE id = ?").get(channelId) as { config: string }).config;
    const unchanged = config();
    const acted = await post({ ...baseForm, ...imapForm(), imapHost: "", imapPort: "abc", imapPassword: "typed-secret" });
    expect(acted.init?.status).toBe(400);
    expect(acted.data.errors).toEqual({
      imapHost: "enter the mailbox’s IMAP server, e.g. imap.gmail.com",
      imapPort: "a port is a number from 1 to 65535 (usually 993 for TLS)",
    });
    expect(acted.data.values?.imapPort).toBe("abc");
    expect(JSON.stringify(acted.data)).not.toContain("typed-secret");
    expect(JSON.stringify(acted.data)).not.toContain("relay-password-9876");
    expect(config()).toBe(unchanged);
  });

  it("saves a form without the incoming fields (a page from before IMAP) and leaves IMAP on", async () => {
    const acted = await post({ ...baseForm, smtpPassword: "" });
    expect(acted.data).toEqual({ saved: true });
    expect((await settingsOf()).incoming).toBe("imap");
  });

  it("checks the saved mailbox: OK, or the server's error", async () => {
    expect((await post({ intent: "check" })).data.checked).toEqual({ ok: true, message: "Signed in and opened the folder." });
    await save({ ...baseForm, smtpPassword: "", ...imapForm(), imapFolder: "Nope" });
    const failed = (await post({ intent: "check" })).data.checked;
    expect(failed?.ok).toBe(false);
    expect(failed?.message).toMatch(/^could not open the folder “Nope”/);
    await save({ ...baseForm, smtpPassword: "", ...imapForm() });
  });
});
