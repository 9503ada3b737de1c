/**
 * Chat transcripts by email (migration 44, transcripts.ts, decision 043): GET and POST
 * /api/conversations/:id/transcript in-process (the real handler on a node:http server, the
 * app's real runtime on a fresh SQLite file), the agent's side through the Transcripts service as
 * the thread calls it, and a local smtp-server standing in for the team's outgoing relay. Every
 * refusal asserts its status, its error body, and that nothing was queued or sent.
 */
import { Effect } from "effect";
import type { Server } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { call } from "../../bench/http-harness.js";
import { makeAppRuntime, type AppRuntime, type AppServices } from "../../runtime/services/app-layer.js";
import { Channels } from "../../runtime/services/channels.js";
import { Contacts } from "../../runtime/services/contacts.js";
import type { Sqlite } from "../../runtime/services/database.js";
import { EmailChannel } from "../../runtime/services/email-channel.js";
import { Inbox } from "../../runtime/services/inbox.js";
import { maskEmail, transcriptMail, Transcripts } from "../../runtime/services/transcripts.js";
import { createPublicApi, type PublicApi } from "../../server/public-api.js";
import { relaySettings, startFakeRelay, type FakeRelay } from "../support/fake-relay.js";
import { listenPublicApi } from "../support/public-api-server.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

const TEAM = "help@acme.test";

let app: TestApp;
let runtime: AppRuntime;
let sqlite: Sqlite;
let relay: FakeRelay;
let api: PublicApi;
let limitedApi: PublicApi;
let server: Server;
let limitedServer: Server;
let base: string;
let limitedBase: string;
let channelId: string;
let flowId: string;
let emailChannelId: string;
let admin: { id: string; role: string; name: string };

const run = <A, E>(effect: Effect.Effect<A, E, AppServices>) => runtime.runPromise(effect);
const runDue = () => run(Effect.flatMap(Transcripts, (t) => t.runDue()));

const saveTeamEmail = (port: number | null) => run(Effect.flatMap(EmailChannel, (email) => email.saveSettings(emailChannelId, relaySettings(TEAM, port))));

beforeAll(async () => {
  relay = await startFakeRelay();
  app = await startTestApp("transcripts");
  ({ runtime, sqlite } = app);
  api = createPublicApi(runtime, { heartbeatMs: 60_000, rateLimitEnabled: false, channelCacheMs: 0 });
  ({ server, base } = await listenPublicApi(api));
  limitedApi = createPublicApi(runtime, {
    heartbeatMs: 60_000,
    rateLimitEnabled: true,
    transcriptLimits: { transcriptIp: { capacity: 1, perSecond: 0.0001 }, transcriptVisitor: { capacity: 100, perSecond: 1 } },
  });
  ({ server: limitedServer, base: limitedBase } = await listenPublicApi(limitedApi));
  const chat = sqlite
    .prepare(
      "SELECT c.channel_id, c.id, ch.inbox_id FROM chatflows c JOIN chatflow_versions v ON v.id = c.published_version_id JOIN channels ch ON ch.id = c.channel_id WHERE json_extract(v.spec, '$.id') = 'lead_qualification'",
    )
    .get() as { channel_id: string; id: string; inbox_id: string };
  channelId = chat.channel_id;
  flowId = chat.id;
  admin = sqlite.prepare("SELECT id, role, COALESCE(NULLIF(display_name, ''), name) AS name FROM users WHERE role = 'admin' LIMIT 1").get() as typeof admin;
  emailChannelId = (await run(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name: "Help mail", inboxId: chat.inbox_id })))).id;
});

afterAll(async () => {
  api?.close();
  limitedApi?.close();
  await Promise.all([server, limitedServer].map((s) => new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()))));
  await relay?.close();
  await app?.dispose();
});

beforeEach(() => {
  relay.relayed.length = 0;
});

let replies = 0;
/** A visitor's conversation on the lead bot that an agent answered (and commented on internally); with `email`, a contact. */
const conversation = async (options: { email?: string; at?: string } = {}) => {
  const at = options.at ?? base;
  const created = await call(at, "/api/visitors", { body: { channel: channelId } });
  expect(created.status).toBe(201);
  const token = created.body.visitorToken as string;
  const started = await call(at, "/api/conversations", { token, body: { channel: channelId, chatflowId: flowId, pageUrl: "https://shop.example/" } });
  expect(started.status).toBe(201);
  const id = started.body.conversation.id as string;
  await run(Effect.flatMap(Inbox, (i) => i.reply({ conversationId: id, text: "Hello! <b>Bold</b> & friends.\nSecond line.", clientMessageId: `tx-${++replies}` }, admin)));
  await run(Effect.flatMap(Inbox, (i) => i.comment({ conversationId: id, text: "SECRET internal note", clientMessageId: `tx-c-${++replies}` }, admin)));
  if (options.email !== undefined) await run(Effect.flatMap(Contacts, (c) => c.createFromConversation(admin, id, { email: options.email, name: "Vera Visitor" })));
  return { token, id };
};

const path = (id: string) => `/api/conversations/${encodeURIComponent(id)}/transcript`;
const rows = () => sqlite.prepare("SELECT * FROM transcript_emails ORDER BY id").all();
const rowsOf = (id: string) =>
  sqlite.prepare("SELECT status, recipient, requested_by, reason, attempts, last_error, time_zone FROM transcript_emails WHERE conversation_id = ? ORDER BY id").all(id) as Array<{
    status: string;
    recipient: string;
    requested_by: string;
    reason: string | null;
    attempts: number;
    last_error: string | null;
    time_zone: string | null;
  }>;

/** Runs `request` and asserts nothing was queued, no thread line or event written, and nothing sent. */
const changesNothing = async <T>(request: () => Promise<T>): Promise<T> => {
  const before = rows();
  const lines = sqlite.prepare("SELECT count(*) FROM messages").pluck().get();
  const events = sqlite.prepare("SELECT count(*) FROM events WHERE type = 'transcript_requested'").pluck().get();
  const result = await request();
  await new Promise((r) => setTimeout(r, 20));
  await runDue();
  expect(rows()).toEqual(before);
  expect(sqlite.prepare("SELECT count(*) FROM messages").pluck().get()).toBe(lines);
  expect(sqlite.prepare("SELECT count(*) FROM events WHERE type = 'transcript_requested'").pluck().get()).toBe(events);
  expect(relay.relayed).toEqual([]);
  return result;
};

const widgetConfig = async () => (await call(base, `/api/widget/config?channel=${channelId}&url=${encodeURIComponent("https://shop.example/")}`)).body.chatflow;

describe("without a team email that can send", () => {
  it("the config says transcripts are off, GET says unavailable, and POST is 409 with nothing queued", async () => {
    const c = await conversation({ email: "vera@customer.test" });
    expect((await widgetConfig()).transcripts).toBe(false);
    const state = await call(base, path(c.id), { token: c.token });
    expect(state.status).toBe(200);
    expect(state.body).toEqual({ available: false, email: "v•••@customer.test", remaining: 3 });
    const refused = await changesNothing(() => call(base, path(c.id), { token: c.token, body: {} }));
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("conflict");
    expect(refused.body.error.message).toMatch(/no team email channel of this conversation's inbox can send/);
  });
});

describe("with the team email", () => {
  beforeAll(async () => {
    await saveTeamEmail(relay.port);
  });

  it("mails the visitor's own conversation to their contact's address: authors, times, no internal comment, HTML escaped", async () => {
    expect((await widgetConfig()).transcripts).toBe(true);
    const c = await conversation({ email: "vera@customer.test" });
    const state = await call(base, path(c.id), { token: c.token });
    expect(state.body).toEqual({ available: true, email: "v•••@customer.test", remaining: 3 });
    // Another conversation's words never show up in this one's transcript.
    await conversation({ email: "other@customer.test" });

    const asked = await call(base, path(c.id), { token: c.token, body: { timeZone: "Europe/Berlin" } });
    expect(asked.status).toBe(202);
    expect(asked.body).toEqual({ transcript: { id: expect.any(String), to: "v•••@customer.test", status: "queued" } });
    expect(rowsOf(c.id)).toEqual([expect.objectContaining({ status: "queued", recipient: "vera@customer.test", requested_by: "visitor", time_zone: "Europe/Berlin" })]);
    // An internal line in the thread and an event, in the same write; the visitor never sees the line.
    const line = sqlite.prepare("SELECT text, is_internal FROM messages WHERE conversation_id = ? AND author = 'system' ORDER BY id DESC LIMIT 1").get(c.id) as { text: string; is_internal: number };
    expect(line).toEqual({ text: "The visitor asked for a transcript by email (to v•••@customer.test)", is_internal: 1 });
    expect(sqlite.prepare("SELECT count(*) FROM events WHERE type = 'transcript_requested' AND conversation_id = ?").pluck().get(c.id)).toBe(1);
    const listed = await call(base, `/api/conversations/${c.id}/messages`, { token: c.token });
    expect(JSON.stringify(listed.body)).not.toContain("transcript by email");

    expect(await runDue()).toEqual({ sent: 1, notSent: 0, retrying: 0 });
    expect(relay.relayed).toHaveLength(1);
    const { to, mail } = relay.relayed[0]!;
    expect(to).toEqual(["vera@customer.test"]);
    expect(mail.subject).toBe("Acme Help: Your chat transcript");
    expect(mail.text).toContain("Times are in Europe/Berlin.");
    expect(mail.text).toContain("> Hello! <b>Bold</b> & friends.\n> Second line.");
    expect(mail.text).toMatch(new RegExp(`${admin.name} · \\d`));
    expect(mail.text).toContain("Acme GmbH");
    expect(mail.text).not.toContain("SECRET");
    expect(mail.text).not.toContain("other@customer.test");
    expect(mail.html).toContain("Hello! &lt;b&gt;Bold&lt;/b&gt; &amp; friends.<br>Second line.");
    expect(mail.html).not.toContain("<b>Bold</b>");
    expect(mail.html).not.toContain("SECRET");
    expect(rowsOf(c.id)).toEqual([expect.objectContaining({ status: "sent", reason: null, attempts: 1 })]);
    // A second pass sends nothing again.
    expect(await runDue()).toEqual({ sent: 0, notSent: 0, retrying: 0 });
  });

  it("sends to an address the visitor types, without storing it on their contact, in UTC when no zone is known", async () => {
    const c = await conversation({ email: "vera2@customer.test" });
    const asked = await call(base, path(c.id), { token: c.token, body: { email: " Someone.Else@Mail.test " } });
    expect(asked.status).toBe(202);
    expect(asked.body.transcript.to).toBe("s•••@mail.test");
    expect(sqlite.prepare("SELECT text FROM messages WHERE conversation_id = ? AND author = 'system'").pluck().get(c.id)).toBe(
      "The visitor asked for a transcript by email (to s•••@mail.test, an address they typed)",
    );
    await runDue();
    expect(relay.relayed.map((r) => r.to)).toEqual([["someone.else@mail.test"]]);
    expect(relay.relayed[0]!.mail.text).toContain("Times are in UTC.");
    const contact = sqlite.prepare("SELECT ct.email FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = ?").pluck().get(c.id);
    expect(contact).toBe("vera2@customer.test");
    expect(sqlite.prepare("SELECT count(*) FROM contacts WHERE email = 'someone.else@mail.test'").pluck().get()).toBe(0);
  });

  it("refuses bad input with the error's path, and nothing is queued or sent", async () => {
    const c = await conversation({ email: "vera3@customer.test" });
    const bare = await conversation();
    const other = await conversation({ email: "mallory@customer.test" });

    const badEmail = await changesNothing(() => call(base, path(c.id), { token: c.token, body: { email: "not an address" } }));
    expect(badEmail.status).toBe(400);
    expect(badEmail.body.error).toMatchObject({ code: "invalid_input", path: "email", message: "email: expected an email address like name@example.com" });

    const notString = await changesNothing(() => call(base, path(c.id), { token: c.token, body: { email: 42 } }));
    expect(notString.status).toBe(400);
    expect(notString.body.error.path).toBe("email");

    const badZone = await changesNothing(() => call(base, path(c.id), { token: c.token, body: { timeZone: "Mars/Olympus" } }));
    expect(badZone.status).toBe(400);
    expect(badZone.body.error).toMatchObject({ path: "timeZone", message: "timeZone: expected an IANA time zone like Europe/Berlin" });

    const notObject = await changesNothing(() => call(base, path(c.id), { token: c.token, body: ["x"] }));
    expect(notObject.status).toBe(400);

    const noAddress = await changesNothing(() => call(base, path(bare.id), { token: bare.token, body: {} }));
    expect(noAddress.status).toBe(400);
    expect(noAddress.body.error).toMatchObject({ path: "email", message: "email: we have no email address for you: send one in `email`" });
    expect((await call(base, path(bare.id), { token: bare.token })).body).toEqual({ available: true, email: null, remaining: 3 });

    const notTheirs = await changesNothing(() => call(base, path(other.id), { token: c.token, body: { email: "me@evil.test" } }));
    expect(notTheirs.status).toBe(403);
    expect(notTheirs.body.error.code).toBe("forbidden");
    expect((await call(base, path(other.id), { token: c.token })).status).toBe(403);

    const unknown = await changesNothing(() => call(base, path("conv_nope"), { token: c.token, body: {} }));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("not_found");

    const anonymous = await changesNothing(() => call(base, path(c.id), { body: {} }));
    expect(anonymous.status).toBe(401);

    const wrongType = await changesNothing(() => call(base, path(c.id), { token: c.token, body: "email=x", headers: { "Content-Type": "text/plain" } }));
    expect(wrongType.status).toBe(415);

    const wrongMethod = await changesNothing(() => call(base, path(c.id), { token: c.token, method: "DELETE" }));
    expect(wrongMethod.status).toBe(405);
  });

  it("limits a conversation to three transcripts, ten minutes apart (429), and the IP's bucket too", async () => {
    const c = await conversation({ email: "vera4@customer.test" });
    expect((await call(base, path(c.id), { token: c.token, body: {} })).status).toBe(202);
    await runDue();
    relay.relayed.length = 0;
    const soon = await changesNothing(() => call(base, path(c.id), { token: c.token, body: {} }));
    expect(soon.status).toBe(429);
    expect(soon.body.error.code).toBe("rate_limited");
    expect(Number(soon.headers.get("retry-after"))).toBeGreaterThan(500);
    const passTenMinutes = () => sqlite.prepare("UPDATE transcript_emails SET created_at = created_at - 600000 WHERE conversation_id = ?").run(c.id);
    passTenMinutes();
    expect((await call(base, path(c.id), { token: c.token, body: {} })).status).toBe(202);
    passTenMinutes();
    expect((await call(base, path(c.id), { token: c.token, body: {} })).status).toBe(202);
    passTenMinutes();
    await runDue();
    relay.relayed.length = 0;
    expect((await call(base, path(c.id), { token: c.token })).body.remaining).toBe(0);
    const fourth = await changesNothing(() => call(base, path(c.id), { token: c.token, body: {} }));
    expect(fourth.status).toBe(429);

    // One request per IP in this server's bucket: the second conversation's request is refused.
    const first = await conversation({ email: "ip1@customer.test", at: limitedBase });
    const second = await conversation({ email: "ip2@customer.test", at: limitedBase });
    expect((await call(limitedBase, path(first.id), { token: first.token, body: {} })).status).toBe(202);
    await runDue();
    relay.relayed.length = 0;
    const limited = await changesNothing(() => call(limitedBase, path(second.id), { token: second.token, body: {} }));
    expect(limited.status).toBe(429);
    await runDue();
  });

  it("retries a relay's temporary failure with the outbox's backoff, then sends", async () => {
    const c = await conversation({ email: "vera5@customer.test" });
    // A relay that is not there (a closed port): a temporary failure.
    await saveTeamEmail(1);
    expect((await call(base, path(c.id), { token: c.token, body: {} })).status).toBe(202);
    expect(await runDue()).toEqual({ sent: 0, notSent: 0, retrying: 1 });
    expect(rowsOf(c.id)).toEqual([expect.objectContaining({ status: "queued", attempts: 1, last_error: expect.any(String) })]);
    // Not yet due: nothing happens.
    expect(await runDue()).toEqual({ sent: 0, notSent: 0, retrying: 0 });
    await saveTeamEmail(relay.port);
    sqlite.prepare("UPDATE transcript_emails SET next_attempt_at = 0 WHERE conversation_id = ?").run(c.id);
    expect(await runDue()).toEqual({ sent: 1, notSent: 0, retrying: 0 });
    expect(relay.relayed.map((r) => r.to)).toEqual([["vera5@customer.test"]]);
    expect(rowsOf(c.id)).toEqual([expect.objectContaining({ status: "sent", attempts: 2 })]);
  });

  it("ends not sent, with the reason, when the team email can no longer send once it is its turn", async () => {
    const c = await conversation({ email: "vera7@customer.test" });
    expect((await call(base, path(c.id), { token: c.token, body: {} })).status).toBe(202);
    await saveTeamEmail(null);
    try {
      expect(await runDue()).toEqual({ sent: 0, notSent: 1, retrying: 0 });
      expect(rowsOf(c.id)).toEqual([
        expect.objectContaining({ status: "not_sent", reason: expect.stringMatching(/^the chat's transcript goes by email, and no team email channel of this inbox has an outgoing relay/) }),
      ]);
      expect(relay.relayed).toEqual([]);
      // And the widget is told it is off now.
      expect((await call(base, path(c.id), { token: c.token })).body.available).toBe(false);
    } finally {
      await saveTeamEmail(relay.port);
    }
  });

  it("an agent sends it to the contact's or a typed address, with a line in the thread and an event; bad input is refused", async () => {
    const c = await conversation({ email: "vera6@customer.test" });
    const bare = await conversation();
    const byAgent = (conversationId: string, email?: string) =>
      runtime.runPromiseExit(Effect.flatMap(Transcripts, (t) => t.requestByAgent({ conversationId, ...(email !== undefined ? { email } : {}) }, admin)));

    const sent = await byAgent(c.id);
    expect(sent._tag).toBe("Success");
    const typed = await byAgent(c.id, "Boss@Customer.test");
    expect(typed._tag).toBe("Success");
    const lines = sqlite.prepare("SELECT text, is_internal, user_id FROM messages WHERE conversation_id = ? AND author = 'system' ORDER BY id").all(c.id);
    expect(lines).toEqual([
      { text: `${admin.name} emailed the transcript to vera6@customer.test`, is_internal: 1, user_id: admin.id },
      { text: `${admin.name} emailed the transcript to boss@customer.test`, is_internal: 1, user_id: admin.id },
    ]);
    expect(sqlite.prepare("SELECT count(*) FROM events WHERE type = 'transcript_requested' AND user_id = ? AND conversation_id = ?").pluck().get(admin.id, c.id)).toBe(2);
    await runDue();
    expect(relay.relayed.map((r) => r.to).sort()).toEqual([["boss@customer.test"], ["vera6@customer.test"]]);
    for (const { mail } of relay.relayed) expect(mail.text).not.toContain("SECRET");
    relay.relayed.length = 0;

    const bad = await changesNothing(() => byAgent(c.id, "nope"));
    expect(JSON.stringify(bad)).toContain("InvalidInput");
    const none = await changesNothing(() => byAgent(bare.id));
    expect(JSON.stringify(none)).toContain("type one");
    const unknown = await changesNothing(() => byAgent("conv_nope"));
    expect(JSON.stringify(unknown)).toContain("NotFound");
  });
});

describe("the conversation's files", () => {
  beforeAll(async () => {
    await saveTeamEmail(relay.port);
  });

  it("go with the transcript as many as one mail carries (25 MB), the rest named; never an internal one, another conversation's or a later one", async () => {
    const c = await conversation({ email: "files@customer.test" });
    const other = await conversation({ email: "files2@customer.test" });
    const reply = (conversationId: string, text: string, files: Array<{ filename: string; contentType: string; content: Buffer }>) =>
      run(Effect.flatMap(Inbox, (i) => i.reply({ conversationId, text, clientMessageId: `tx-f-${++replies}`, files }, admin)));
    const pdf = Buffer.from("%PDF-1.4 the setup guide");
    const big = (mb: number, fill: string) => Buffer.alloc(mb * 1024 * 1024, fill);
    await reply(c.id, "The guide.", [{ filename: "guide.pdf", contentType: "application/pdf", content: pdf }]);
    await reply(c.id, "Two photos.", [
      { filename: "a.png", contentType: "image/png", content: big(9, "a") },
      { filename: "b.png", contentType: "image/png", content: big(9, "b") },
    ]);
    // 8 MB more would pass 25 MB: left out; the small file after it still fits.
    await reply(c.id, "The video frames.", [{ filename: "c.bin", contentType: "application/octet-stream", content: big(8, "c") }]);
    await reply(c.id, "And my notes.", [{ filename: "notes.txt", contentType: "text/plain", content: Buffer.from("notes") }]);
    await reply(other.id, "Not yours.", [{ filename: "someone-else.pdf", contentType: "application/pdf", content: pdf }]);
    // A file on an internal message (never shown to the visitor) stays out of the mail.
    const internal = sqlite
      .prepare("INSERT INTO messages (conversation_id, author, text, is_internal, user_id, created_at) VALUES (?, 'agent', 'internal file', 1, ?, ?)")
      .run(c.id, admin.id, Date.now()).lastInsertRowid;
    sqlite
      .prepare(
        "INSERT INTO attachments (id, conversation_id, message_id, filename, content_type, size, sha256, data, created_at) VALUES ('att_internal_tx', ?, ?, 'internal.pdf', 'application/pdf', ?, ?, ?, ?)",
      )
      .run(c.id, internal, pdf.length, "0".repeat(64), pdf, Date.now());

    expect((await call(base, path(c.id), { token: c.token, body: {} })).status).toBe(202);
    // A reply after the request is not in this transcript, nor its file.
    await reply(c.id, "Later.", [{ filename: "later.pdf", contentType: "application/pdf", content: pdf }]);
    expect(await runDue()).toEqual({ sent: 1, notSent: 0, retrying: 0 });
    const { mail } = relay.relayed.find((r) => r.to[0] === "files@customer.test")!;
    expect(mail.attachments.map((a) => [a.filename, a.contentType, a.size])).toEqual([
      ["guide.pdf", "application/pdf", pdf.length],
      ["a.png", "image/png", 9 * 1024 * 1024],
      ["b.png", "image/png", 9 * 1024 * 1024],
      ["notes.txt", "text/plain", 5],
    ]);
    expect(mail.attachments[0]!.content.equals(pdf)).toBe(true);
    expect(mail.attachments[2]!.content.equals(big(9, "b"))).toBe(true);
    expect(mail.text).toContain("Not attached (too large for one email): c.bin");
    expect(mail.html).toContain("Not attached (too large for one email): c.bin");
    // Every message still names its files where it was written.
    expect(mail.text).toContain("Files: a.png, b.png");
    for (const name of ["internal.pdf", "someone-else.pdf", "later.pdf"]) expect(JSON.stringify([mail.text, mail.attachments.map((a) => a.filename)])).not.toContain(name);
  });
});

describe("a crash after the 202", () => {
  it("still sends the queued transcript once, from the next start", async () => {
    const crashing = await startTestApp("transcripts-crash");
    let second: AppRuntime | undefined;
    try {
      const crashApi = createPublicApi(crashing.runtime, { rateLimitEnabled: false });
      const listening = await listenPublicApi(crashApi);
      const chat = crashing.sqlite
        .prepare(
          "SELECT c.channel_id, c.id, ch.inbox_id FROM chatflows c JOIN chatflow_versions v ON v.id = c.published_version_id JOIN channels ch ON ch.id = c.channel_id WHERE json_extract(v.spec, '$.id') = 'lead_qualification'",
        )
        .get() as { channel_id: string; id: string; inbox_id: string };
      const boss = crashing.sqlite.prepare("SELECT id, role FROM users WHERE role = 'admin' LIMIT 1").get() as { id: string; role: string };
      const mailId = (await crashing.runtime.runPromise(Effect.flatMap(Channels, (ch) => ch.create({ kind: "email", name: "Mail", inboxId: chat.inbox_id })))).id;
      await crashing.runtime.runPromise(
        Effect.flatMap(EmailChannel, (e) =>
          e.saveSettings(mailId, relaySettings(TEAM, relay.port)),
        ),
      );
      const token = (await call(listening.base, "/api/visitors", { body: { channel: chat.channel_id } })).body.visitorToken as string;
      const id = (await call(listening.base, "/api/conversations", { token, body: { channel: chat.channel_id, chatflowId: chat.id, pageUrl: "https://shop.example/" } })).body.conversation.id as string;
      await crashing.runtime.runPromise(Effect.flatMap(Inbox, (i) => i.reply({ conversationId: id, text: "Before the crash", clientMessageId: "crash-1" }, boss)));
      expect((await call(listening.base, path(id), { token, body: { email: "crash@customer.test" } })).status).toBe(202);
      crashApi.close();
      await new Promise<void>((resolve) => listening.server.close(() => resolve()));
      // The process ends before any pass (the loop is not running in tests): only the row remains.
      await crashing.runtime.dispose();
      expect(relay.relayed).toEqual([]);

      second = makeAppRuntime(crashing.config);
      const pass = () => second!.runPromise(Effect.flatMap(Transcripts, (t) => t.runDue()));
      expect(await pass()).toEqual({ sent: 1, notSent: 0, retrying: 0 });
      expect(await pass()).toEqual({ sent: 0, notSent: 0, retrying: 0 });
      expect(relay.relayed.map((r) => r.to)).toEqual([["crash@customer.test"]]);
      expect(relay.relayed[0]!.mail.text).toContain("Before the crash");
    } finally {
      await second?.dispose();
      await crashing.dispose();
    }
  });
});

describe("transcriptMail", () => {
  it("writes German for a German visitor, names the zone, and masks addresses as promised", () => {
    const mail = transcriptMail({
      teamName: "Acme",
      lines: [{ author: "visitor", name: null, text: "Hallo", files: ["rechnung.pdf"], at: Date.UTC(2026, 10, 26, 13, 5) }],
      omitted: 2,
      language: "de-DE",
      timeZone: null,
    });
    expect(mail.subject).toBe("Acme: Ihr Chat-Verlauf");
    expect(mail.text).toContain("Zeiten in UTC.");
    expect(mail.text).toContain("(2 frühere Nachrichten nicht aufgeführt)");
    expect(mail.text).toContain("Sie · 26.11.2026, 13:05\n> Hallo\nDateien: rechnung.pdf");
    expect(mail.text).not.toContain("Nicht angehängt");
    const leftOut = transcriptMail({ teamName: "Acme", lines: [], omitted: 0, language: "de", timeZone: null, filesLeftOut: ["video.mp4", "<b>.png"] });
    expect(leftOut.text).toContain("Nicht angehängt (zu groß für eine E-Mail): video.mp4, <b>.png");
    expect(leftOut.html).toContain("video.mp4, &lt;b&gt;.png");
    expect(maskEmail("ann@example.com")).toBe("a•••@example.com");
  });
});
