/**
 * Chat follow-ups (migration 20, follow-ups.ts): an agent's chat reply the visitor has not seen
 * follows them by email once the chat channel's wait is over, and their answer by email comes
 * back into the same chat conversation. Real parts: the app runtime on a fresh SQLite file,
 * Parley's inbound SMTP server on loopback, and a local smtp-server standing in for the team's
 * outgoing relay. Time passing is the one thing set by hand: a queued conversation's first
 * reply is moved back by the wait (the wall clock cannot be run forward).
 */
import { Effect } from "effect";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AppRuntime, AppServices } from "../../runtime/services/app-layer.js";
import { attachmentsForMail } from "../../runtime/services/attachments.js";
import { Channels } from "../../runtime/services/channels.js";
import { Contacts } from "../../runtime/services/contacts.js";
import type { Sqlite } from "../../runtime/services/database.js";
import { EmailChannel } from "../../runtime/services/email-channel.js";
import { Engine } from "../../runtime/services/engine.js";
import { FollowUps, followUpMail } from "../../runtime/services/follow-ups.js";
import { Inbox } from "../../runtime/services/inbox.js";
import { Visitors } from "../../runtime/services/visitors.js";
import { startEmailInbound, type EmailInbound } from "../../server/email-inbound.js";
import { relaySettings, startFakeRelay, type FakeRelay } from "../support/fake-relay.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

const TEAM = "help@acme.test";

let app: TestApp;
let runtime: AppRuntime;
let sqlite: Sqlite;
let inbound: EmailInbound;
let relay: FakeRelay;
let admin: { id: string; role: string; name: string };
let inboxId: string;
let chatChannelId: string;
let chatflowId: string;
let emailChannelId: string;

const run = <A, E>(effect: Effect.Effect<A, E, AppServices>) => runtime.runPromise(effect);
const runDue = () => run(Effect.flatMap(FollowUps, (f) => f.runDue()));
const followUpsOf = (conversationId: string) => run(Effect.flatMap(FollowUps, (f) => f.forConversation(conversationId)));
let sent = 0;
const agentReply = (conversationId: string, text: string) =>
  run(Effect.flatMap(Inbox, (inbox) => inbox.reply({ conversationId, text, clientMessageId: `r-${++sent}` }, admin)));
const queued = (conversationId: string) =>
  sqlite.prepare("SELECT first_message_id, attempts, last_error FROM follow_up_queue WHERE conversation_id = ?").get(conversationId) as
    | { first_message_id: number; attempts: number; last_error: string | null }
    | undefined;
/** The wait passes: the queued conversation's first reply is `minutes` older. */
const passMinutes = (conversationId: string, minutes: number) =>
  sqlite
    .prepare("UPDATE follow_up_queue SET first_at = first_at - ?, next_attempt_at = CASE WHEN next_attempt_at IS NULL THEN NULL ELSE next_attempt_at - ? END WHERE conversation_id = ?")
    .run(minutes * 60_000, minutes * 60_000, conversationId);
const emails = (conversationId: string) =>
  sqlite
    .prepare("SELECT from_message_id, through_message_id, status, reason, recipient, external_id FROM follow_up_emails WHERE conversation_id = ? ORDER BY id")
    .all(conversationId) as Array<{ from_message_id: number; through_message_id: number; status: string; reason: string | null; recipient: string | null; external_id: string | null }>;

/** A chat visitor with a conversation on the seeded chatflow, taken over by the inbox; with `email`, a contact. */
const chatWith = async (options: { email?: string; language?: string; pageUrl?: string } = {}) => {
  const conversationId = await run(
    Effect.gen(function* () {
      const visitors = yield* Visitors;
      const engine = yield* Engine;
      const { visitorId } = yield* visitors.create({
        channelId: chatChannelId,
        device: "desktop",
        languages: [options.language ?? "en-GB"],
        pageUrl: options.pageUrl ?? "https://acme.test/pricing",
      });
      const view = yield* engine.startConversation({ visitorId, channelId: chatChannelId, chatflowId, pageUrl: options.pageUrl ?? "https://acme.test/pricing" });
      return view.conversation.id;
    }),
  );
  if (options.email !== undefined) {
    await run(Effect.flatMap(Contacts, (c) => c.createFromConversation(admin, conversationId, { email: options.email, name: "Vera Visitor" })));
  }
  return conversationId;
};

const saveTeamEmail = (port: number | null) => run(Effect.flatMap(EmailChannel, (email) => email.saveSettings(emailChannelId, relaySettings(TEAM, port))));

beforeAll(async () => {
  relay = await startFakeRelay();
  app = await startTestApp("follow-ups", { PUBLIC_URL: "https://parley.example.com" });
  ({ runtime, sqlite } = app);
  admin = sqlite.prepare("SELECT id, role, COALESCE(NULLIF(display_name, ''), name) AS name FROM users WHERE role = 'admin' LIMIT 1").get() as typeof admin;
  const chat = sqlite
    .prepare("SELECT ch.id, ch.inbox_id, f.id AS flow FROM channels ch JOIN chatflows f ON f.channel_id = ch.id WHERE ch.kind = 'chat' AND f.published_version_id IS NOT NULL AND f.enabled = 1 ORDER BY ch.created_at LIMIT 1")
    .get() as { id: string; inbox_id: string; flow: string };
  ({ id: chatChannelId, inbox_id: inboxId, flow: chatflowId } = chat);
  emailChannelId = (await run(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name: "Help mail", inboxId })))).id;
  await saveTeamEmail(relay.port);
  inbound = await startEmailInbound(runtime, { ...app.config, smtp: { port: 0, host: "127.0.0.1", tls: null, requireTls: false } });
});

afterAll(async () => {
  await inbound?.stop();
  await relay?.close();
  await app?.dispose();
});

beforeEach(() => {
  relay.relayed.length = 0;
});

describe("an agent's chat reply the visitor has not seen", () => {
  it("waits for the channel's wait, then mails every unseen reply at once, and the visitor's answer by email comes back to the chat", async () => {
    const conversationId = await chatWith({ email: "vera@customer.test" });
    const first = await agentReply(conversationId, "Hi Vera, let me check that for you.");
    await agentReply(conversationId, "Yes: the Pro plan includes SSO.\n\nAnything else?");
    // An internal comment is never mailed.
    await run(Effect.flatMap(Inbox, (inbox) => inbox.comment({ conversationId, text: "She is on the trial", clientMessageId: `c-${++sent}` }, admin)));
    expect(queued(conversationId)?.first_message_id).toBe(Number(first.id));

    // Before the wait (5 minutes by default) nothing goes.
    expect(await runDue()).toMatchObject({ sent: 0 });
    expect(relay.relayed).toEqual([]);
    const waiting = await followUpsOf(conversationId);
    expect(waiting.minutes).toBe(5);
    expect(waiting.waiting?.dueAt).toBeGreaterThan(Date.now() + 4 * 60_000);

    passMinutes(conversationId, 5);
    expect(await runDue()).toMatchObject({ sent: 1 });
    expect(relay.relayed).toHaveLength(1);
    const { to, mail } = relay.relayed[0]!;
    expect(to).toEqual(["vera@customer.test"]);
    expect(mail.subject).toBe("Acme Help: New reply to your chat");
    expect(mail.from?.value[0]).toMatchObject({ address: TEAM, name: `${admin.name} (Acme Help)` });
    expect(mail.text).toContain(`${admin.name} replied to your chat after you left:`);
    expect(mail.text).toContain("> Hi Vera, let me check that for you.");
    expect(mail.text).toContain("> Yes: the Pro plan includes SSO.\n>\n> Anything else?");
    expect(mail.text).not.toContain("She is on the trial");
    expect(mail.text).toContain("continue the chat: https://acme.test/pricing");
    expect(mail.text).toContain("-- \nAcme GmbH");

    // Recorded, under the email channel, and the queue is empty.
    const [recorded] = emails(conversationId);
    expect(recorded).toMatchObject({ from_message_id: Number(first.id), status: "sent", recipient: "vera@customer.test", external_id: mail.messageId });
    expect(queued(conversationId)).toBeUndefined();
    expect(sqlite.prepare("SELECT channel_id, conversation_id FROM external_messages WHERE external_id = ?").get(mail.messageId)).toEqual({
      channel_id: emailChannelId,
      conversation_id: conversationId,
    });
    const shown = await followUpsOf(conversationId);
    expect(shown.emails).toEqual([expect.objectContaining({ status: "sent", recipient: "vera@customer.test", fromMessageId: first.id })]);
    expect(shown.waiting).toBeNull();

    // Another pass sends nothing again.
    expect(await runDue()).toMatchObject({ sent: 0 });

    // Vera answers the mail: it lands in the chat conversation, as the visitor.
    await nodemailer.createTransport({ host: "127.0.0.1", port: inbound.port!, secure: false, ignoreTLS: true }).sendMail({
      from: "Vera Visitor <vera@customer.test>",
      to: TEAM,
      subject: `Re: ${mail.subject}`,
      text: "Great, thanks!",
      messageId: `<answer-${Date.now()}@customer.test>`,
      inReplyTo: mail.messageId!,
      references: [mail.messageId!],
    });
    const last = sqlite.prepare("SELECT author, text FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT 1").get(conversationId);
    expect(last).toEqual({ author: "visitor", text: "Great, thanks!" });

    // The next unseen reply is a new follow-up, threaded after the earlier mails.
    await agentReply(conversationId, "You're welcome!");
    passMinutes(conversationId, 5);
    expect(await runDue()).toMatchObject({ sent: 1 });
    const next = relay.relayed[1]!.mail;
    expect(next.text).toContain("> You're welcome!");
    expect(next.text).not.toContain("Pro plan");
    expect([next.references].flat()).toContain(mail.messageId);
  });

  it("leaves replies the visitor has seen, or answered after, alone", async () => {
    const conversationId = await chatWith({ email: "seen@customer.test" });
    const reply = await agentReply(conversationId, "Seen this?");
    sqlite.prepare("INSERT INTO visitor_reads (conversation_id, last_seen_message_id, seen_at) VALUES (?, ?, ?)").run(conversationId, Number(reply.id), Date.now());
    passMinutes(conversationId, 5);
    expect(await runDue()).toMatchObject({ sent: 0, cleared: 1 });
    expect(queued(conversationId)).toBeUndefined();
    expect((await followUpsOf(conversationId)).seen).toMatchObject({ messageId: reply.id });

    // Written after it: the visitor was there.
    await agentReply(conversationId, "And this one?");
    await run(
      Effect.flatMap(Engine, (engine) =>
        Effect.flatMap(
          Effect.sync(() => sqlite.prepare("SELECT visitor_id FROM conversations WHERE id = ?").pluck().get(conversationId) as string),
          (visitorId) => engine.handleVisitorMessage({ conversationId, visitorId, clientMessageId: "v-1", text: "yes, got it" }),
        ),
      ),
    );
    passMinutes(conversationId, 5);
    expect(await runDue()).toMatchObject({ sent: 0, cleared: 1 });
    expect(relay.relayed).toEqual([]);
    expect(emails(conversationId)).toEqual([]);
  });

  it("records why it could not mail: no address, follow-ups off, no team email that can send; a relay that is down is tried again", async () => {
    // No contact address.
    const anonymous = await chatWith();
    await agentReply(anonymous, "Are you still there?");
    passMinutes(anonymous, 5);
    expect(await runDue()).toMatchObject({ notSent: 1 });
    expect(emails(anonymous)).toMatchObject([{ status: "not_sent", reason: "the visitor left no email address" }]);

    // Off for the channel: nothing recorded, nothing sent.
    await run(Effect.flatMap(Channels, (c) => c.updateChatConfig(chatChannelId, { allowedOrigins: ["*"], branding: {}, followUpMinutes: 0 })));
    const off = await chatWith({ email: "off@customer.test" });
    await agentReply(off, "Hello?");
    expect((await followUpsOf(off)).waiting).toBeNull();
    expect(await runDue()).toMatchObject({ cleared: 1 });
    expect(emails(off)).toEqual([]);
    // A longer wait is honoured.
    await run(Effect.flatMap(Channels, (c) => c.updateChatConfig(chatChannelId, { allowedOrigins: ["*"], branding: {}, followUpMinutes: 30 })));
    const slow = await chatWith({ email: "slow@customer.test" });
    await agentReply(slow, "Take your time.");
    passMinutes(slow, 29);
    expect(await runDue()).toMatchObject({ sent: 0 });
    passMinutes(slow, 1);
    expect(await runDue()).toMatchObject({ sent: 1 });
    await run(Effect.flatMap(Channels, (c) => c.updateChatConfig(chatChannelId, { allowedOrigins: ["*"], branding: {}, followUpMinutes: 5 })));

    // The relay refuses to connect: tried again later, with the reason kept for the agent.
    await saveTeamEmail(1);
    const down = await chatWith({ email: "down@customer.test" });
    await agentReply(down, "Relay test");
    passMinutes(down, 5);
    expect(await runDue()).toMatchObject({ retrying: 1 });
    expect(queued(down)).toMatchObject({ attempts: 1 });
    expect(queued(down)?.last_error).toBeTruthy();
    expect((await followUpsOf(down)).waiting).toMatchObject({ attempts: 1 });
    await saveTeamEmail(relay.port);
    passMinutes(down, 1);
    expect(await runDue()).toMatchObject({ sent: 1 });
    expect(relay.relayed.at(-1)!.to).toEqual(["down@customer.test"]);

    // No team email that can send: recorded as not sent, with what to do.
    await saveTeamEmail(null);
    const stuck = await chatWith({ email: "stuck@customer.test" });
    await agentReply(stuck, "Nobody can send this");
    passMinutes(stuck, 5);
    expect(await runDue()).toMatchObject({ notSent: 1 });
    expect(emails(stuck)[0]!.reason).toMatch(/no team email channel of this inbox has an outgoing relay/);
    await saveTeamEmail(relay.port);
  });

  it("carries the files the unseen replies carried, as many as one mail takes, and names the rest", async () => {
    const conversationId = await chatWith({ email: "files@customer.test" });
    const pdf = Buffer.from("%PDF-1.4 the setup guide");
    await run(
      Effect.flatMap(Inbox, (inbox) =>
        inbox.reply({ conversationId, text: "Here is the guide.", clientMessageId: `r-${++sent}`, files: [{ filename: "guide.pdf", contentType: "application/pdf", content: pdf }] }, admin),
      ),
    );
    passMinutes(conversationId, 5);
    expect(await runDue()).toMatchObject({ sent: 1 });
    const mail = relay.relayed.at(-1)!.mail;
    expect(mail.attachments.map((a) => [a.filename, a.contentType, a.content.equals(pdf)])).toEqual([["guide.pdf", "application/pdf", true]]);
    expect(mail.text).not.toContain("Too large");

    const file = (filename: string, size: number) => ({ filename, size });
    const split = attachmentsForMail([file("a", 6), file("b", 5), file("c", 4)], 10);
    expect(split.attached.map((f) => f.filename)).toEqual(["a", "c"]);
    expect(split.leftOut).toEqual(["b"]);
    const text = followUpMail({ teamName: "Acme", replies: [{ authorName: "Ann", text: "Files!", createdAt: 0 }], omitted: 0, pageUrl: null, language: "en", filesLeftOut: ["b"] }).text;
    expect(text).toContain("Too large for this email, waiting for you in the chat: b");
  });

  it("writes in the visitor's language", () => {
    const mail = followUpMail({
      teamName: "Acme Hilfe",
      replies: [{ authorName: "Ann", text: "Hallo!", createdAt: 0 }],
      omitted: 2,
      pageUrl: "javascript:alert(1)",
      language: "de-DE",
    });
    expect(mail.subject).toBe("Acme Hilfe: Neue Antwort auf Ihren Chat");
    expect(mail.text).toBe("Ann hat auf Ihren Chat geantwortet, als Sie nicht mehr da waren:\n\n(und 2 frühere Nachrichten)\n\nAnn:\n> Hallo!\n\nAntworten Sie einfach auf diese E-Mail.");
  });

  it("mails the German text to a visitor whose browser speaks German", async () => {
    const conversationId = await chatWith({ email: "anna@kunde.test", language: "de-DE" });
    await agentReply(conversationId, "Gern geschehen.");
    passMinutes(conversationId, 5);
    await runDue();
    expect(relay.relayed.at(-1)!.mail.subject).toBe("Acme Help: Neue Antwort auf Ihren Chat");
  });
});
