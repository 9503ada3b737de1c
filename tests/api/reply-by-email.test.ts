/**
 * Replies by email (migration 19): a form's submitter and a visitor who left an away message
 * are not in any chat, so an agent's reply reaches them by email through a team email channel
 * of the conversation's inbox — and their answer by email comes back into the same conversation.
 * Real parts: the app runtime on a fresh SQLite file, Parley's inbound SMTP server on loopback,
 * and a local smtp-server standing in for the team's outgoing relay (outside this machine in
 * production).
 */
import BetterSqlite3 from "better-sqlite3";
import { Effect } from "effect";
import { rmSync } from "node:fs";
import { join } from "node:path";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AppRuntime } from "../../runtime/services/app-layer.js";
import { Channels } from "../../runtime/services/channels.js";
import { migrate, type Sqlite } from "../../runtime/services/database.js";
import { Deliveries } from "../../runtime/services/deliveries.js";
import { EmailChannel } from "../../runtime/services/email-channel.js";
import { FormChannel } from "../../runtime/services/form-channel.js";
import { Inbox } from "../../runtime/services/inbox.js";
import { Visitors } from "../../runtime/services/visitors.js";
import { migrations } from "../../runtime/sql/migrations.js";
import { startEmailInbound, type EmailInbound } from "../../server/email-inbound.js";
import { startFakeRelay, type FakeRelay } from "../support/fake-relay.js";
import { startTestApp } from "../support/test-app.js";

const TEAM = "help@acme.test";

let dir: string;
let runtime: AppRuntime;
let sqlite: Sqlite;
let inbound: EmailInbound;
let admin: { id: string; role: string; name: string };
let inboxId: string;
let formId: string;

// ---- the team's outgoing relay, standing in ----
let relay: FakeRelay;
let relayPort: number;
let relayed: FakeRelay["relayed"];

// ---- helpers ----
const runDue = async () => (await runtime.runPromise(Deliveries)).runDue().pipe(Effect.runPromise);
let replies = 0;
const agentReply = (conversationId: string, text: string) =>
  runtime.runPromise(Effect.flatMap(Inbox, (inbox) => inbox.reply({ conversationId, text, clientMessageId: `reply-${++replies}` }, admin)));
const outbox = (conversationId: string) =>
  sqlite
    .prepare("SELECT d.message_id, d.status, d.last_error, d.external_id FROM deliveries d WHERE d.conversation_id = ? ORDER BY d.message_id")
    .all(conversationId) as Array<{ message_id: number; status: string; last_error: string | null; external_id: string | null }>;
const transcript = (conversationId: string) =>
  (sqlite.prepare("SELECT author, text FROM messages WHERE conversation_id = ? AND is_internal = 0 ORDER BY id").all(conversationId) as Array<{
    author: string;
    text: string;
  }>).map((m) => `${m.author}: ${m.text}`);

const submitForm = (fields: Record<string, string>) =>
  runtime.runPromise(Effect.flatMap(FormChannel, (forms) => forms.submit(formId, { fields, pageUrl: "https://acme.test/contact" })));

let emailChannelId: string | null = null;
/** The team email's settings form; without a relay it receives but cannot send. */
const saveTeamEmail = (withRelay: boolean) =>
  runtime.runPromise(
    Effect.flatMap(EmailChannel, (email) =>
      email.saveSettings(emailChannelId!, {
        addresses: TEAM,
        fromName: "Acme Help",
        fromAddress: TEAM,
        signature: "",
        smtpHost: withRelay ? "127.0.0.1" : "",
        smtpPort: withRelay ? String(relayPort) : "",
        smtpSecurity: "none",
        smtpUser: "",
        smtpPassword: "",
      }),
    ),
  );
const connectTeamEmail = async (withRelay: boolean) => {
  emailChannelId = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name: "Help mail", inboxId })))).id;
  await saveTeamEmail(withRelay);
};

beforeAll(async () => {
  relay = await startFakeRelay();
  ({ port: relayPort, relayed } = relay);
  // The tests run the outbox's passes themselves.
  const app = await startTestApp("reply-by-email", { PUBLIC_URL: "https://parley.example.com" });
  ({ dir, runtime, sqlite } = app);
  const { config } = app;
  admin = sqlite.prepare("SELECT id, role, COALESCE(NULLIF(display_name, ''), name) AS name FROM users WHERE role = 'admin' LIMIT 1").get() as typeof admin;
  inboxId = (sqlite.prepare("SELECT id FROM inboxes ORDER BY created_at LIMIT 1").get() as { id: string }).id;
  formId = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "form", name: "Contact form", inboxId })))).id;
  await runtime.runPromise(
    Effect.flatMap(FormChannel, (forms) =>
      forms.saveSettings(formId, {
        fields: [
          { key: "name", label: "Name", type: "text", required: true },
          { key: "email", label: "Email", type: "email", required: true },
          { key: "message", label: "Message", type: "textarea", required: true },
        ],
        contact: { email: "email", name: "name", phone: "" },
        subject: "Contact form: {name}",
        priority: "normal",
        successMessage: "Thanks!",
        redirectUrl: "",
        allowedOrigins: [],
      }),
    ),
  );
  inbound = await startEmailInbound(runtime, { ...config, smtp: { port: 0, host: "127.0.0.1", tls: null, requireTls: false } });
});

afterAll(async () => {
  await inbound?.stop();
  await relay?.close();
  await runtime?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  relayed.length = 0;
});

describe("a form submission answered by email", () => {
  it("fails with a reason while the inbox has no team email, then goes out as a reply of the team's address, and the answer threads back", async () => {
    const submitted = await submitForm({ name: "Nora Field", email: "nora@customer.test", message: "Do you ship to Norway?" });
    const conversationId = submitted.conversationId!;

    // No team email in the inbox: the reply is kept, and the agent sees why it did not go.
    const first = await agentReply(conversationId, "Hi Nora, yes we do — shipping takes 3–5 days.");
    await runDue();
    const [failed] = outbox(conversationId);
    expect(failed).toMatchObject({ status: "failed", external_id: null });
    expect(failed!.last_error).toMatch(/no team email channel/);
    expect(relayed).toEqual([]);

    // An email channel without a relay still cannot send it: a different reason.
    await connectTeamEmail(false);
    await runtime.runPromise(Effect.flatMap(Deliveries, (d) => d.retry(conversationId, failed!.message_id)));
    await runDue();
    expect(outbox(conversationId)[0]!.last_error).toMatch(/outgoing relay/);

    // With the relay set, Retry sends it: to the submitter, as the team, about the ticket.
    await saveTeamEmail(true);
    await runtime.runPromise(Effect.flatMap(Deliveries, (d) => d.retry(conversationId, failed!.message_id)));
    await runDue();
    const [sent] = outbox(conversationId);
    expect(sent).toMatchObject({ status: "sent", last_error: null });
    expect(relayed).toHaveLength(1);
    const mail = relayed[0]!.mail;
    expect(relayed[0]!.to).toEqual(["nora@customer.test"]);
    expect(mail.subject).toBe("Re: Contact form: Nora Field");
    expect(mail.from?.value[0]).toMatchObject({ address: TEAM });
    expect(mail.text).toContain("Hi Nora, yes we do");
    expect(mail.messageId).toBe(sent!.external_id);
    expect(first.id).toBe(String(sent!.message_id));
    // Recorded under the email channel, so the customer's answer finds this conversation.
    expect(sqlite.prepare("SELECT channel_id, conversation_id, direction FROM external_messages WHERE external_id = ?").all(sent!.external_id)).toEqual([
      { channel_id: emailChannelId, conversation_id: conversationId, direction: "out" },
    ]);

    // Nora answers by email: the same conversation, not a new one.
    const conversationsBefore = (sqlite.prepare("SELECT count(*) AS n FROM conversations").get() as { n: number }).n;
    const answerId = `<answer-${Date.now()}@customer.test>`;
    await nodemailer
      .createTransport({ host: "127.0.0.1", port: inbound.port!, secure: false, ignoreTLS: true })
      .sendMail({
        from: "Nora Field <nora@customer.test>",
        to: TEAM,
        subject: "Re: Contact form: Nora Field",
        text: "Great, thanks! Is there a fee?",
        messageId: answerId,
        inReplyTo: sent!.external_id!,
        references: [sent!.external_id!],
      });
    expect((sqlite.prepare("SELECT count(*) AS n FROM conversations").get() as { n: number }).n).toBe(conversationsBefore);
    expect(transcript(conversationId).at(-1)).toBe("visitor: Great, thanks! Is there a fee?");

    // The next reply continues the mail thread: it answers Nora's mail and keeps the first reply in References.
    await agentReply(conversationId, "No fee above 50 €.");
    await runDue();
    expect(relayed).toHaveLength(2);
    const next = relayed[1]!.mail;
    expect(next.inReplyTo).toBe(answerId);
    expect([next.references].flat()).toEqual(expect.arrayContaining([sent!.external_id, answerId]));
    expect(next.subject).toBe("Re: Contact form: Nora Field");
  });

  it("keeps internal comments and chat conversations out of the outbox", async () => {
    const submitted = await submitForm({ name: "Ola", email: "ola@customer.test", message: "Hello" });
    const conversationId = submitted.conversationId!;
    await runtime.runPromise(
      Effect.flatMap(Inbox, (inbox) => inbox.comment({ conversationId, text: "Ola is a reseller", clientMessageId: "comment-1" }, admin)),
    );
    expect(outbox(conversationId)).toEqual([]);
    expect(sqlite.prepare("SELECT reply_by_email FROM conversations WHERE id = ?").get(conversationId)).toEqual({ reply_by_email: 1 });
    // A chat conversation's replies go to the widget only.
    const chats = sqlite.prepare("SELECT count(*) AS n FROM conversations c JOIN channels ch ON ch.id = c.channel_id WHERE ch.kind = 'chat' AND c.reply_by_email = 1").get() as { n: number };
    expect(chats.n).toBe(0);
  });
});

describe("an away message answered by email", () => {
  it("sends the agent's reply to the address the visitor left", async () => {
    const channelId = (sqlite.prepare("SELECT id FROM channels WHERE kind = 'chat' ORDER BY created_at LIMIT 1").get() as { id: string }).id;
    const chatflowId = (sqlite.prepare("SELECT id FROM chatflows WHERE channel_id = ? AND published_version_id IS NOT NULL LIMIT 1").get(channelId) as { id: string }).id;
    const left = await runtime.runPromise(
      Effect.gen(function* () {
        const visitors = yield* Visitors;
        const { visitorId } = yield* visitors.create({ channelId, device: "desktop", languages: ["en"], pageUrl: "https://acme.test/" });
        return yield* visitors.leaveAwayMessage({
          visitorId,
          channelId,
          chatflowId,
          email: "Late.Visitor@Customer.test",
          text: "Please call me back tomorrow.",
          pageUrl: "https://acme.test/pricing",
        });
      }),
    );
    const thread = await runtime.runPromise(Effect.flatMap(Inbox, (inbox) => inbox.getThread(left.conversationId, admin)));
    expect(thread.conversation.replyVia).toBe("email");
    await agentReply(left.conversationId, "Sure — which number should we call?");
    await runDue();
    expect(outbox(left.conversationId)).toMatchObject([{ status: "sent" }]);
    expect(relayed.map((r) => r.to)).toEqual([["late.visitor@customer.test"]]);
    expect(relayed[0]!.mail.subject).toBe("Re: Away message from late.visitor@customer.test");
  });
});

describe("migration 19 on a database with form and away conversations", () => {
  it("marks them answered by email, leaves chats alone, and sends only replies written after it", () => {
    const file = join(dir, "old.sqlite");
    const db = new BetterSqlite3(file);
    try {
      db.pragma("foreign_keys = ON");
      db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
      for (const m of migrations.filter((m) => m.version <= 18)) {
        db.exec(m.sql);
        db.prepare("INSERT INTO schema_migrations VALUES (?, ?, 0)").run(m.version, m.name);
      }
      db.exec(`
        INSERT INTO inboxes (id, name, created_at) VALUES ('inbox_a', 'A', 1);
        INSERT INTO channels (id, inbox_id, kind, name, config, created_at) VALUES
          ('ch_form', 'inbox_a', 'form', 'Form', '{}', 1), ('ch_chat', 'inbox_a', 'chat', 'Chat', '{}', 1);
        INSERT INTO conversations (id, channel_id, inbox_id, status, created_at, updated_at, last_activity_at) VALUES
          ('c_form', 'ch_form', 'inbox_a', 'open', 1, 1, 1), ('c_away', 'ch_chat', 'inbox_a', 'open', 1, 1, 1), ('c_chat', 'ch_chat', 'inbox_a', 'open', 1, 1, 1);
        INSERT INTO events (type, at, conversation_id, data) VALUES
          ('conversation_created', 1, 'c_away', '{"via":"away_message"}'), ('conversation_created', 1, 'c_chat', '{}');
        INSERT INTO messages (conversation_id, author, text, created_at) VALUES ('c_form', 'agent', 'before the migration', 2);
      `);
      expect(migrate(db)).toEqual(migrations.filter((m) => m.version >= 19).map((m) => m.version));
      expect(db.prepare("SELECT id, reply_by_email FROM conversations ORDER BY id").all()).toEqual([
        { id: "c_away", reply_by_email: 1 },
        { id: "c_chat", reply_by_email: 0 },
        { id: "c_form", reply_by_email: 1 },
      ]);
      db.exec(`INSERT INTO messages (conversation_id, author, text, is_internal, created_at) VALUES
        ('c_form', 'agent', 'after', 0, 3), ('c_away', 'agent', 'after', 0, 3), ('c_chat', 'agent', 'after', 0, 3), ('c_form', 'agent', 'a comment', 1, 3)`);
      expect(db.prepare("SELECT d.conversation_id, m.text FROM deliveries d JOIN messages m ON m.id = d.message_id ORDER BY d.message_id").all()).toEqual([
        { conversation_id: "c_form", text: "after" },
        { conversation_id: "c_away", text: "after" },
      ]);
      expect(() => db.prepare("UPDATE conversations SET reply_by_email = 2 WHERE id = 'c_chat'").run()).toThrow(/CHECK/);
    } finally {
      db.close();
    }
  });
});
