/**
 * An email channel end to end, in-process: Parley's real inbound SMTP server
 * (server/email-inbound.ts) on port 0 in front of the app's real runtime on a fresh SQLite
 * file, mail sent to it with nodemailer the way a provider's forwarding rule would, and a
 * local smtp-server standing in for the outgoing relay, which records what it receives and
 * answers 451 / 550 on demand. Refused or dropped mail asserts that nothing was stored.
 * Attachments are stored with their mail and downloaded through the real route's loader,
 * signed in as the admin, an agent outside the inbox, or nobody.
 */
import { Effect, Either } from "effect";
import { createHash } from "node:crypto";
import { simpleParser, type ParsedMail } from "mailparser";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { createConnection, type AddressInfo } from "node:net";
import { join } from "node:path";
import nodemailer from "nodemailer";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AppRuntime } from "../../runtime/services/app-layer.js";
import { Channels } from "../../runtime/services/channels.js";
import { loadConfig } from "../../runtime/services/config.js";
import type { Sqlite } from "../../runtime/services/database.js";
import { Deliveries } from "../../runtime/services/deliveries.js";
import { EMAIL_MAX_BYTES, EmailChannel } from "../../runtime/services/email-channel.js";
import { Inbox } from "../../runtime/services/inbox.js";
import { Workspace } from "../../runtime/services/workspace.js";
import { startEmailInbound, type EmailInbound } from "../../server/email-inbound.js";
import { Accounts } from "../../runtime/services/accounts.js";
import { loader as attachmentLoader } from "../../app/routes/inbox_.attachments.$attachmentId.js";
import { action as settingsAction, loader as settingsLoader } from "../../app/routes/settings.channels.email.$id.js";
import { attachmentFilename, attachmentContentType, ATTACHMENT_MAX_FILE_BYTES } from "../../runtime/services/attachments.js";
import { sessionCookieHeader } from "../../app/session.server.js";
import { startTestApp } from "../support/test-app.js";

const TEAM = "support@acme.test";
const RELAY_USER = "relay-user";
const RELAY_PASSWORD = "relay-password-9876";

let dir: string;
let runtime: AppRuntime;
let sqlite: Sqlite;
let inbound: EmailInbound;
let admin: { id: string; role: string; name: string };
let inboxId: string;
let channelId: string;

// ---- the fake outgoing relay ----

interface Relayed {
  readonly envelope: { from: string; to: string[] };
  readonly user: string | null;
  readonly mail: ParsedMail;
  readonly raw: string;
}
let relay: SMTPServer;
let relayPort: number;
const relayed: Relayed[] = [];
/** Answers for the next relay sessions' RCPT, first first; when empty, accepted. */
const relayAnswers: Array<{ code: number; message: string }> = [];
/** Answers for the next mails' end of DATA, given after the mail was kept (a relay that took it, and an answer lost). */
const dataAnswers: Array<{ code: number; message: string }> = [];

const startRelay = async () => {
  relay = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === RELAY_USER && auth.password === RELAY_PASSWORD) return callback(null, { user: auth.username });
      callback(Object.assign(new Error("5.7.8 bad credentials"), { responseCode: 535 }));
    },
    onRcptTo(_address, _session, callback) {
      const answer = relayAnswers.shift();
      if (answer) return callback(Object.assign(new Error(answer.message), { responseCode: answer.code }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", async () => {
        const raw = Buffer.concat(chunks);
        relayed.push({
          envelope: {
            from: session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address,
            to: session.envelope.rcptTo.map((r) => r.address),
          },
          user: typeof session.user === "string" ? session.user : null,
          mail: await simpleParser(raw),
          raw: raw.toString("utf8"),
        });
        const answer = dataAnswers.shift();
        if (answer) return callback(Object.assign(new Error(answer.message), { responseCode: answer.code }));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", () => resolve()));
  relayPort = (relay.server.address() as AddressInfo).port;
};

// ---- helpers ----

const email = () => runtime.runPromise(EmailChannel);
const runDue = async () => (await runtime.runPromise(Deliveries)).runDue().pipe(Effect.runPromise);

const TABLES = ["messages", "conversations", "events", "visitors", "contacts", "channel_identities", "external_messages", "deliveries", "attachments"] as const;
const counts = () => Object.fromEntries(TABLES.map((t) => [t, (sqlite.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));
const storesNothing = async <T>(act: () => Promise<T>): Promise<T> => {
  const before = counts();
  const result = await act();
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(counts()).toEqual(before);
  return result;
};

/** A client like a mail provider's forwarder, talking to Parley's SMTP server. */
const mailer = () =>
  nodemailer.createTransport({ host: "127.0.0.1", port: inbound.port!, secure: false, ignoreTLS: true, connectionTimeout: 5000 });

let mailCounter = 0;
const newMessageId = () => `<mail-${++mailCounter}-${Date.now()}@customer.test>`;

type MailOptions = Parameters<ReturnType<typeof mailer>["sendMail"]>[0];
const deliver = (options: MailOptions) => mailer().sendMail({ to: TEAM, ...options });

/** The error a refused delivery rejects with (its SMTP code). */
const refusal = async (sending: Promise<unknown>) => {
  const outcome = await sending.then(
    () => null,
    (error: { responseCode?: number; response?: string }) => error,
  );
  expect(outcome, "the mail should have been refused").not.toBeNull();
  return outcome!;
};

const conversationsOf = (address: string) =>
  sqlite
    .prepare(
      `SELECT c.id, c.status, c.contact_id, c.inbox_id, c.page_url FROM conversations c JOIN channel_identities ci ON ci.visitor_id = c.visitor_id AND ci.channel_id = c.channel_id
        WHERE ci.external_id = ? AND ci.channel_id = ? ORDER BY c.created_at, c.rowid`,
    )
    .all(address, channelId) as Array<{ id: string; status: string; contact_id: string | null; inbox_id: string; page_url: string | null }>;

const transcript = (conversationId: string) =>
  (sqlite.prepare("SELECT author, text FROM messages WHERE conversation_id = ? AND is_internal = 0 ORDER BY id").all(conversationId) as Array<{
    author: string;
    text: string;
  }>).map((m) => `${m.author}: ${m.text}`);

const outbox = (conversationId: string) =>
  sqlite
    .prepare(
      "SELECT d.status, d.attempts, d.last_error, d.next_attempt_at, d.external_id, m.text FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE d.conversation_id = ? ORDER BY d.message_id",
    )
    .all(conversationId) as Array<{ status: string; attempts: number; last_error: string | null; next_attempt_at: number; external_id: string | null; text: string }>;

const versionOf = (conversationId: string) => (sqlite.prepare("SELECT version FROM conversations WHERE id = ?").get(conversationId) as { version: number }).version;

let replyCount = 0;
const agentReply = (conversationId: string, text: string) =>
  runtime.runPromise(
    Effect.flatMap(Inbox, (inbox) => inbox.reply({ conversationId, text, clientMessageId: `agent-${++replyCount}` }, admin)),
  );

const settingsForm = {
  addresses: `${TEAM}\nhelp@acme.test`,
  fromName: "Acme Support",
  fromAddress: TEAM,
  signature: "Acme Support\nhttps://acme.test/help",
  smtpHost: "127.0.0.1",
  smtpPort: "587",
  smtpSecurity: "none",
  smtpUser: RELAY_USER,
  smtpPassword: RELAY_PASSWORD,
};

// ---- set-up ----

beforeAll(async () => {
  await startRelay();
  // The tests run the outbox's passes themselves.
  const app = await startTestApp("email", { PUBLIC_URL: "https://parley.example.com" });
  ({ dir, runtime, sqlite } = app);
  const { config } = app;
  admin = sqlite.prepare("SELECT id, role, COALESCE(NULLIF(display_name, ''), name) AS name FROM users WHERE role = 'admin' LIMIT 1").get() as typeof admin;
  inboxId = (sqlite.prepare("SELECT id FROM inboxes ORDER BY created_at LIMIT 1").get() as { id: string }).id;
  channelId = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name: "Support mail", inboxId })))).id;
  await (await email()).saveSettings(channelId, { ...settingsForm, smtpPort: String(relayPort) }).pipe(Effect.runPromise);
  inbound = await startEmailInbound(runtime, { ...config, smtp: { port: 0, host: "127.0.0.1", tls: null, requireTls: false } });
});

afterAll(async () => {
  await inbound?.stop();
  await new Promise<void>((resolve) => (relay ? relay.close(() => resolve()) : resolve()));
  await runtime?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  // Earlier tests' leftovers (a failed or waiting send) must not be sent in this one.
  sqlite.prepare("UPDATE deliveries SET status = 'failed' WHERE status = 'pending'").run();
  relayed.length = 0;
  relayAnswers.length = 0;
  dataAnswers.length = 0;
});

// ---- tests ----

describe("the inbound SMTP server", () => {
  it("does not run without SMTP_PORT", async () => {
    const off = await startEmailInbound(runtime, { ...loadConfig({ SESSION_SECRET: "x".repeat(64), DATABASE_PATH: join(dir, "unused.sqlite") }), smtp: null });
    expect(off.port).toBeNull();
    await off.stop();
  });

  it("turns a new mail into an open conversation with its contact, visitor and the mail's facts", async () => {
    const messageId = newMessageId();
    await deliver({
      from: '"Ada Lovelace" <Ada@Customer.test>',
      cc: "boss@customer.test",
      subject: "Cannot log in",
      text: "Hello, my password reset link does not arrive.\n\nAda",
      messageId,
      attachments: [{ filename: "screenshot.png", content: Buffer.from("png-bytes"), contentType: "image/png" }],
    });
    const [conversation, ...more] = conversationsOf("ada@customer.test");
    expect(more).toEqual([]);
    expect(conversation).toMatchObject({ status: "open", inbox_id: inboxId, page_url: "Cannot log in" });
    const contact = sqlite.prepare("SELECT email, name FROM contacts WHERE id = ?").get(conversation!.contact_id) as { email: string; name: string };
    expect(contact).toEqual({ email: "ada@customer.test", name: "Ada Lovelace" });
    expect(transcript(conversation!.id)).toEqual([
      "visitor: Hello, my password reset link does not arrive.\n\nAda\n\n[Attachments: screenshot.png (9 B)]",
    ]);
    const payload = JSON.parse((sqlite.prepare("SELECT payload FROM messages WHERE conversation_id = ?").get(conversation!.id) as { payload: string }).payload);
    expect(payload).toMatchObject({
      subject: "Cannot log in",
      from: { address: "ada@customer.test", name: "Ada Lovelace" },
      to: [{ address: TEAM }],
      cc: [{ address: "boss@customer.test" }],
      messageId,
      attachments: [{ id: expect.stringMatching(/^att_/), name: "screenshot.png", type: "image/png", size: 9 }],
    });
  });

  it("threads a reply by In-Reply-To into its conversation, storing only the new text, and reopens a closed one", async () => {
    const first = newMessageId();
    await deliver({ from: "grace@customer.test", subject: "Invoice", text: "Where is my invoice?", messageId: first });
    const [conversation] = conversationsOf("grace@customer.test");
    const closed = await runtime.runPromise(Effect.flatMap(Inbox, (i) => i.close(conversation!.id, versionOf(conversation!.id), admin)));
    expect(closed.status).toBe("closed");

    await deliver({
      from: "Grace <grace@customer.test>",
      subject: "Re: Invoice",
      text: `Found it, thanks!\n\nOn Tue, 3 Mar 2026 at 10:00, Grace <grace@customer.test> wrote:\n> Where is my invoice?`,
      inReplyTo: first,
      references: [first],
      messageId: newMessageId(),
    });
    expect(conversationsOf("grace@customer.test")).toHaveLength(1);
    expect(conversationsOf("grace@customer.test")[0]!.status).toBe("open");
    expect(transcript(conversation!.id)).toEqual(["visitor: Where is my invoice?", "visitor: Found it, thanks!"]);
  });

  it("threads by References alone and reopens a pending conversation", async () => {
    const first = newMessageId();
    await deliver({ from: "ida@customer.test", subject: "Refund", text: "Can I get a refund?", messageId: first });
    const [conversation] = conversationsOf("ida@customer.test");
    const pending = await runtime.runPromise(Effect.flatMap(Inbox, (i) => i.markPending(conversation!.id, versionOf(conversation!.id), admin)));
    expect(pending.status).toBe("pending");
    await deliver({ from: "ida@customer.test", subject: "Re: Refund", text: "Any news?", references: [first], messageId: newMessageId() });
    expect(conversationsOf("ida@customer.test")).toMatchObject([{ id: conversation!.id, status: "open" }]);
    expect(transcript(conversation!.id)).toEqual(["visitor: Can I get a refund?", "visitor: Any news?"]);
  });

  it("stores a mail to two addresses of the same channel once", async () => {
    await deliver({ from: "jo@customer.test", to: [TEAM, "help@acme.test"], subject: "Both", text: "to both", messageId: newMessageId() });
    const [conversation, ...more] = conversationsOf("jo@customer.test");
    expect(more).toEqual([]);
    expect(transcript(conversation!.id)).toEqual(["visitor: to both"]);
  });

  it("opens a new conversation for a mail that names no known thread", async () => {
    await deliver({ from: "hedy@customer.test", subject: "One", text: "first", messageId: newMessageId() });
    await deliver({ from: "hedy@customer.test", subject: "Two", text: "second", messageId: newMessageId(), inReplyTo: "<unknown@elsewhere.test>" });
    expect(conversationsOf("hedy@customer.test").map((c) => c.page_url)).toEqual(["One", "Two"]);
  });

  it("stores a mail delivered twice (the same Message-ID) once", async () => {
    const messageId = newMessageId();
    await deliver({ from: "joan@customer.test", subject: "Twice", text: "Only once please", messageId });
    const before = counts();
    await deliver({ from: "joan@customer.test", subject: "Twice", text: "Only once please", messageId });
    expect(counts()).toEqual(before);
    const [conversation] = conversationsOf("joan@customer.test");
    expect(transcript(conversation!.id)).toEqual(["visitor: Only once please"]);
  });

  it("stores the text of an HTML-only mail", async () => {
    await deliver({ from: "kay@customer.test", subject: "Fancy", html: "<p>Hello <b>team</b></p><p>Second line</p>", messageId: newMessageId() });
    const [conversation] = conversationsOf("kay@customer.test");
    expect(transcript(conversation!.id)[0]).toMatch(/^visitor: Hello team\s+Second line$/);
  });

  it("refuses an address no channel receives with 550 and stores nothing", async () => {
    const error = await storesNothing(() => refusal(deliver({ to: "sales@acme.test", from: "x@customer.test", subject: "Hi", text: "Hi" })));
    expect(error.responseCode).toBe(550);
    expect(error.response).toMatch(/sales@acme\.test.*no Parley email channel receives this address/);
  });

  it("refuses a mail over 40 MB with 552 and stores nothing", async () => {
    expect(EMAIL_MAX_BYTES).toBe(40 * 1024 * 1024);
    // Base64 makes it a third larger on the wire: just past the limit.
    const big = Buffer.alloc(Math.ceil(EMAIL_MAX_BYTES * 0.76), 65);
    const error = await storesNothing(() =>
      refusal(deliver({ from: "big@customer.test", subject: "Big", text: "see attached", attachments: [{ filename: "big.bin", content: big }] })),
    );
    expect(error.responseCode).toBe(552);
  });

  it("refuses a mail without a From address with 550 and stores nothing", async () => {
    const raw = ["To: support@acme.test", "Subject: who am I", `Message-ID: ${newMessageId()}`, "", "no sender here", ""].join("\r\n");
    const error = await storesNothing(() => refusal(mailer().sendMail({ envelope: { from: "x@customer.test", to: [TEAM] }, raw })));
    expect(error.responseCode).toBe(550);
    expect(error.response).toMatch(/no valid From address/);
  });

  it("accepts and drops auto-replies and bounces without opening a conversation", async () => {
    await storesNothing(() =>
      deliver({ from: "ooo@customer.test", subject: "Out of office", text: "I am away", headers: { "Auto-Submitted": "auto-replied" }, messageId: newMessageId() }),
    );
    await storesNothing(() => deliver({ from: "list@customer.test", subject: "News", text: "Bulk", headers: { Precedence: "bulk" }, messageId: newMessageId() }));
    await storesNothing(() =>
      mailer().sendMail({ envelope: { from: "", to: [TEAM] }, from: "MAILER-DAEMON@mx.customer.test", subject: "Undelivered", text: "bounce", messageId: newMessageId() }),
    );
    // A Return-Path header of <> (what the last server wrote for a bounce) counts too; a real one does not.
    const rawBounce = ["Return-Path: <>", "From: notices@customer.test", `To: ${TEAM}`, "Subject: Returned", `Message-ID: ${newMessageId()}`, "", "bounced", ""].join("\r\n");
    await storesNothing(() => mailer().sendMail({ envelope: { from: "notices@customer.test", to: [TEAM] }, raw: rawBounce }));
    const rawPerson = ["Return-Path: <rp@customer.test>", "From: rp@customer.test", `To: ${TEAM}`, "Subject: Real", `Message-ID: ${newMessageId()}`, "", "a person", ""].join("\r\n");
    await mailer().sendMail({ envelope: { from: "rp@customer.test", to: [TEAM] }, raw: rawPerson });
    expect(conversationsOf("rp@customer.test")).toHaveLength(1);
    expect(conversationsOf("ooo@customer.test")).toEqual([]);
  });

  it("accepts and drops mail from the channel's own address, which would loop", async () => {
    await storesNothing(() => deliver({ from: `Acme Support <${TEAM}>`, subject: "Re: Broken", text: "our own reply", messageId: newMessageId() }));
    await storesNothing(() => deliver({ from: "HELP@acme.test", subject: "Fwd", text: "forwarded back", messageId: newMessageId() }));
  });

  it("refuses to start on a port that is taken, saying which", async () => {
    const config = loadConfig({ SESSION_SECRET: "x".repeat(64), DATABASE_PATH: join(dir, "unused.sqlite") });
    await expect(startEmailInbound(runtime, { ...config, smtp: { port: inbound.port!, host: "127.0.0.1", tls: null, requireTls: false } })).rejects.toThrow(
      new RegExp(`could not listen for SMTP on 127\\.0\\.0\\.1:${inbound.port}.*EADDRINUSE`),
    );
  });

  describe("STARTTLS and a sign-in, as the operator sets them up", () => {
    /** A fresh self-signed certificate and key for `name`, as PEM files in the test's folder. */
    const selfSigned = (name: string) => {
      const cert = join(dir, `${name}.crt`);
      const key = join(dir, `${name}.key`);
      execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost"], {
        stdio: "ignore",
      });
      return { cert, key };
    };
    const env = (extra: Record<string, string>) => ({
      SESSION_SECRET: "x".repeat(64),
      DATABASE_PATH: join(dir, "unused.sqlite"),
      SMTP_PORT: "0",
      SMTP_HOST: "127.0.0.1",
      ...extra,
    });

    it("offers STARTTLS with it, and with SMTP_REQUIRE_TLS refuses a sender that does not use it (nothing stored)", async () => {
      const pair = selfSigned("mx");
      const config = loadConfig(env({ SMTP_TLS_CERT: pair.cert, SMTP_TLS_KEY: pair.key, SMTP_REQUIRE_TLS: "1" }));
      expect(config.smtp).toMatchObject({ requireTls: true, tls: { cert: readFileSync(pair.cert) } });
      const secured = await startEmailInbound(runtime, config);
      try {
        const client = (tls: "require" | "ignore") =>
          nodemailer.createTransport({
            host: "127.0.0.1",
            port: secured.port!,
            secure: false,
            ...(tls === "require" ? { requireTLS: true, tls: { ca: readFileSync(pair.cert), servername: "localhost" } } : { ignoreTLS: true }),
            connectionTimeout: 5000,
          });
        await client("require").sendMail({ to: TEAM, from: "tls@customer.test", subject: "Over TLS", text: "encrypted on the way", messageId: newMessageId() });
        expect(conversationsOf("tls@customer.test")).toHaveLength(1);
        const refused = await storesNothing(() =>
          refusal(client("ignore").sendMail({ to: TEAM, from: "plain@customer.test", subject: "Plain", text: "in the clear", messageId: newMessageId() })),
        );
        expect(refused.responseCode).toBe(530);
        expect(refused.response).toMatch(/STARTTLS/);
      } finally {
        await secured.stop();
      }
    });

    it("refuses to start with half a pair, an unreadable file, a key of another certificate, or TLS required without one", () => {
      const pair = selfSigned("one");
      const other = selfSigned("other");
      expect(() => loadConfig(env({ SMTP_TLS_CERT: pair.cert }))).toThrow(/SMTP_TLS_KEY: set both SMTP_TLS_CERT and SMTP_TLS_KEY/);
      expect(() => loadConfig(env({ SMTP_TLS_KEY: pair.key }))).toThrow(/SMTP_TLS_CERT: set both/);
      expect(() => loadConfig(env({ SMTP_TLS_CERT: join(dir, "missing.crt"), SMTP_TLS_KEY: pair.key }))).toThrow(/SMTP_TLS_CERT: cannot read .*missing\.crt \(ENOENT\)/);
      expect(() => loadConfig(env({ SMTP_TLS_CERT: pair.cert, SMTP_TLS_KEY: other.key }))).toThrow(/not a PEM certificate and its private key/);
      expect(() => loadConfig(env({ SMTP_TLS_CERT: pair.key, SMTP_TLS_KEY: pair.key }))).toThrow(/not a PEM certificate and its private key/);
      expect(() => loadConfig(env({ SMTP_REQUIRE_TLS: "1" }))).toThrow(/SMTP_REQUIRE_TLS: requiring STARTTLS needs SMTP_TLS_CERT and SMTP_TLS_KEY/);
      expect(() => loadConfig(env({ SMTP_REQUIRE_TLS: "yes" }))).toThrow(/SMTP_REQUIRE_TLS/);
      expect(loadConfig(env({})).smtp).toMatchObject({ tls: null, requireTls: false, auth: null });
    });

    describe("a sign-in (SMTP_AUTH_USER / SMTP_AUTH_PASSWORD)", () => {
      const USER = "mta-relay";
      const PASSWORD = "inbound-secret-0123456789";
      /** A client like an MTA in front of Parley: signs in with `login` (or not), over STARTTLS when `ca` is given. */
      const client = (port: number, login: { user: string; pass: string } | null, ca?: Buffer) =>
        nodemailer.createTransport({
          host: "127.0.0.1",
          port,
          secure: false,
          ...(ca ? { requireTLS: true, tls: { ca, servername: "localhost" } } : { ignoreTLS: true }),
          ...(login ? { auth: login } : {}),
          connectionTimeout: 5000,
        });
      /**
       * Speaks SMTP over a bare socket: the greeting, then each command's final answer line (a
       * multi-line answer's last). Resolves with them once the server closes the connection or
       * every command is answered.
       */
      const smtpDialogue = (port: number, commands: ReadonlyArray<string>): Promise<string[]> =>
        new Promise((resolve, reject) => {
          const answers: string[] = [];
          const socket = createConnection({ host: "127.0.0.1", port });
          let buffered = "";
          let next = 0;
          const finish = () => {
            socket.destroy();
            resolve(answers);
          };
          socket.setEncoding("utf8");
          socket.setTimeout(5000, () => socket.destroy(new Error(`no answer after ${answers.join(" | ")}`)));
          socket.on("data", (chunk: string) => {
            buffered += chunk;
            let end: number;
            while ((end = buffered.indexOf("\r\n")) >= 0) {
              const line = buffered.slice(0, end);
              buffered = buffered.slice(end + 2);
              if (line[3] === "-") continue;
              answers.push(line);
              if (next < commands.length) socket.write(`${commands[next++]}\r\n`);
              else finish();
            }
          });
          socket.on("close", finish);
          socket.on("error", reject);
        });
      const send = (transport: ReturnType<typeof client>, from: string) =>
        transport.sendMail({ to: TEAM, from, subject: "Relayed", text: "through the MTA", messageId: newMessageId() });

      it("takes mail only from a sender that signs in: 530 without, 535 for a wrong user or password, nothing stored", async () => {
        const config = loadConfig(env({ SMTP_AUTH_USER: USER, SMTP_AUTH_PASSWORD: PASSWORD, SMTP_ALLOW_INSECURE_AUTH: "1" }));
        expect(config.smtp?.auth).toEqual({ user: USER, password: PASSWORD, allowInsecure: true });
        const guarded = await startEmailInbound(runtime, config);
        try {
          await send(client(guarded.port!, { user: USER, pass: PASSWORD }), "signed-in@customer.test");
          expect(conversationsOf("signed-in@customer.test")).toHaveLength(1);

          const anonymous = await storesNothing(() => refusal(send(client(guarded.port!, null), "anonymous@customer.test")));
          expect(anonymous.responseCode).toBe(530);
          for (const login of [
            { user: USER, pass: `${PASSWORD}x` },
            { user: "someone-else", pass: PASSWORD },
            { user: USER, pass: PASSWORD.slice(0, -1) },
          ]) {
            const wrong = await storesNothing(() => refusal(send(client(guarded.port!, login), "guessing@customer.test")));
            expect(wrong.responseCode).toBe(535);
          }
          expect(conversationsOf("anonymous@customer.test")).toEqual([]);
          expect(conversationsOf("guessing@customer.test")).toEqual([]);

          // On one connection, the third wrong guess closes it.
          const answers = await smtpDialogue(guarded.port!, [
            "EHLO guesser.test",
            ...["one", "two", "three"].map((guess) => `AUTH PLAIN ${Buffer.from(`\u0000${USER}\u0000${guess}-wrong-password`).toString("base64")}`),
          ]);
          expect(answers.map((a) => a.slice(0, 3))).toEqual(["220", "250", "535", "535", "421"]);
          expect(answers.at(-1)).toMatch(/too many failed sign-ins/);
        } finally {
          await guarded.stop();
        }
      });

      it("takes the sign-in over STARTTLS only, unless SMTP_ALLOW_INSECURE_AUTH says the network is private", async () => {
        const pair = selfSigned("auth");
        const config = loadConfig(env({ SMTP_TLS_CERT: pair.cert, SMTP_TLS_KEY: pair.key, SMTP_AUTH_USER: USER, SMTP_AUTH_PASSWORD: PASSWORD }));
        expect(config.smtp?.auth).toMatchObject({ allowInsecure: false });
        const guarded = await startEmailInbound(runtime, config);
        try {
          await send(client(guarded.port!, { user: USER, pass: PASSWORD }, readFileSync(pair.cert)), "over-tls@customer.test");
          expect(conversationsOf("over-tls@customer.test")).toHaveLength(1);
          // The right password in the clear is refused before it is checked (538: STARTTLS first).
          const clear = await storesNothing(() => refusal(send(client(guarded.port!, { user: USER, pass: PASSWORD }), "in-clear@customer.test")));
          expect(clear.responseCode).toBe(538);
          expect(conversationsOf("in-clear@customer.test")).toEqual([]);
        } finally {
          await guarded.stop();
        }
      });

      it("refuses to start with half a sign-in, a short password, a sign-in without TLS or the insecure flag, or the flag alone", () => {
        const pair = selfSigned("auth-config");
        const insecure = { SMTP_ALLOW_INSECURE_AUTH: "1" };
        expect(() => loadConfig(env({ SMTP_AUTH_USER: USER, ...insecure }))).toThrow(/SMTP_AUTH_PASSWORD: set both SMTP_AUTH_USER and SMTP_AUTH_PASSWORD/);
        expect(() => loadConfig(env({ SMTP_AUTH_PASSWORD: PASSWORD, ...insecure }))).toThrow(/SMTP_AUTH_USER: set both/);
        expect(() => loadConfig(env({ SMTP_AUTH_USER: USER, SMTP_AUTH_PASSWORD: "short", ...insecure }))).toThrow(/SMTP_AUTH_PASSWORD.*at least 16 characters/);
        expect(() => loadConfig(env({ SMTP_AUTH_USER: "a:b", SMTP_AUTH_PASSWORD: PASSWORD, ...insecure }))).toThrow(/SMTP_AUTH_USER.*without spaces or colons/);
        expect(() => loadConfig(env({ SMTP_AUTH_USER: USER, SMTP_AUTH_PASSWORD: PASSWORD }))).toThrow(/SMTP_AUTH_USER: a sign-in needs STARTTLS/);
        expect(() => loadConfig(env(insecure))).toThrow(/SMTP_ALLOW_INSECURE_AUTH: there is no sign-in to allow/);
        expect(() => loadConfig(env({ SMTP_AUTH_USER: USER, SMTP_AUTH_PASSWORD: PASSWORD, SMTP_ALLOW_INSECURE_AUTH: "yes" }))).toThrow(/SMTP_ALLOW_INSECURE_AUTH/);
        expect(loadConfig(env({ SMTP_TLS_CERT: pair.cert, SMTP_TLS_KEY: pair.key, SMTP_AUTH_USER: USER, SMTP_AUTH_PASSWORD: PASSWORD })).smtp?.auth).toEqual({
          user: USER,
          password: PASSWORD,
          allowInsecure: false,
        });
      });
    });
  });

  it("accepts and drops mail from the inbox's blocked senders and domains", async () => {
    const workspace = await runtime.runPromise(Workspace);
    await workspace.updateInbox(inboxId, { emailFilters: { blockedSenders: ["spam@bad.test"], blockedDomains: ["worse.test"] } }).pipe(Effect.runPromise);
    try {
      await storesNothing(() => deliver({ from: "spam@bad.test", subject: "Buy", text: "now", messageId: newMessageId() }));
      await storesNothing(() => deliver({ from: "x@mail.worse.test", subject: "Buy", text: "now", messageId: newMessageId() }));
      await deliver({ from: "fine@bad.test", subject: "Real", text: "question", messageId: newMessageId() });
      expect(conversationsOf("fine@bad.test")).toHaveLength(1);
    } finally {
      await workspace.updateInbox(inboxId, { emailFilters: { blockedSenders: [], blockedDomains: [] } }).pipe(Effect.runPromise);
    }
  });
});

describe("replies by email", () => {
  it("sends an agent's reply through the relay, threaded and signed, and the customer's answer threads back", async () => {
    const first = newMessageId();
    await deliver({ from: "Lin <lin@customer.test>", subject: "Broken export", text: "The CSV export is empty.", messageId: first });
    const [conversation] = conversationsOf("lin@customer.test");
    await agentReply(conversation!.id, "Thanks Lin, we are on it.");
    expect(await runDue()).toEqual({ sent: 1, retrying: 0, failed: 0 });

    expect(relayed).toHaveLength(1);
    const sent = relayed[0]!;
    expect(sent.user).toBe(RELAY_USER);
    expect(sent.envelope).toEqual({ from: TEAM, to: ["lin@customer.test"] });
    expect(sent.mail.from?.value).toEqual([{ address: TEAM, name: `${admin.name} (Acme Support)` }]);
    expect(sent.mail.to).toMatchObject({ value: [{ address: "lin@customer.test" }] });
    expect(sent.mail.subject).toBe("Re: Broken export");
    expect(sent.mail.inReplyTo).toBe(first);
    expect(sent.mail.references).toBe(first);
    expect(sent.mail.text).toBe("Thanks Lin, we are on it.\n\n-- \nAcme Support\nhttps://acme.test/help\n");
    expect(sent.mail.messageId).toMatch(/^<[0-9a-f]{32}\.parley@acme\.test>$/);
    expect(sent.mail.headers.get("auto-submitted")).toBeUndefined();
    expect(outbox(conversation!.id)).toMatchObject([{ status: "sent", external_id: sent.mail.messageId }]);

    // Lin answers the reply: it threads back by the Message-ID Parley made.
    await deliver({
      from: "lin@customer.test",
      subject: "Re: Broken export",
      text: `It works now.\n\nOn Wed, 4 Mar 2026, ${admin.name} (Acme Support) <${TEAM}> wrote:\n> Thanks Lin, we are on it.`,
      inReplyTo: sent.mail.messageId!,
      references: [first, sent.mail.messageId!],
      messageId: newMessageId(),
    });
    expect(conversationsOf("lin@customer.test")).toHaveLength(1);
    expect(transcript(conversation!.id)).toEqual(["visitor: The CSV export is empty.", "agent: Thanks Lin, we are on it.", "visitor: It works now."]);

    // The next reply names the whole thread, oldest first.
    await agentReply(conversation!.id, "Glad to hear it!");
    await runDue();
    const next = relayed[1]!;
    expect(next.mail.inReplyTo).toMatch(/^<mail-\d+-\d+@customer\.test>$/);
    expect(next.mail.references).toEqual([first, sent.mail.messageId, next.mail.inReplyTo]);
    expect(next.mail.subject).toBe("Re: Broken export");
  });

  it("leaves a reply the relay answers 451 pending with a retry time, and sends it on the next try", async () => {
    await deliver({ from: "mo@customer.test", subject: "Later", text: "Hello?", messageId: newMessageId() });
    const [conversation] = conversationsOf("mo@customer.test");
    await agentReply(conversation!.id, "Hi Mo");
    relayAnswers.push({ code: 451, message: "4.7.1 greylisted, try again later" });
    const before = Date.now();
    expect(await runDue()).toEqual({ sent: 0, retrying: 1, failed: 0 });
    const [waiting] = outbox(conversation!.id);
    expect(waiting).toMatchObject({ status: "pending", attempts: 1 });
    expect(waiting!.last_error).toMatch(/try again later: 451 4\.7\.1 greylisted/);
    expect(waiting!.next_attempt_at).toBeGreaterThan(before);
    expect(relayed).toHaveLength(0);

    sqlite.prepare("UPDATE deliveries SET next_attempt_at = 0 WHERE conversation_id = ?").run(conversation!.id);
    expect(await runDue()).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(relayed).toHaveLength(1);
  });

  it("sends a reply again under the same Message-ID when the relay kept it but the answer was lost, so it shows once and threads either way", async () => {
    await deliver({ from: "ola@customer.test", subject: "Twice?", text: "Hi", messageId: newMessageId() });
    const [conversation] = conversationsOf("ola@customer.test");
    await agentReply(conversation!.id, "Hi Ola");
    // The relay keeps the mail, then answers 451: as after a crash between its acceptance and our record of it.
    dataAnswers.push({ code: 451, message: "4.4.2 connection dropped" });
    expect(await runDue()).toEqual({ sent: 0, retrying: 1, failed: 0 });
    expect(relayed).toHaveLength(1);

    sqlite.prepare("UPDATE deliveries SET next_attempt_at = 0 WHERE conversation_id = ?").run(conversation!.id);
    expect(await runDue()).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(relayed).toHaveLength(2);
    expect(relayed[1]!.mail.messageId).toBe(relayed[0]!.mail.messageId);
    expect(outbox(conversation!.id)).toMatchObject([{ status: "sent", external_id: relayed[0]!.mail.messageId }]);

    // Another reply in the same conversation is another mail.
    await agentReply(conversation!.id, "Anything else?");
    await runDue();
    expect(relayed).toHaveLength(3);
    expect(relayed[2]!.mail.messageId).not.toBe(relayed[0]!.mail.messageId);
  });

  it("fails a reply the relay refuses with 550, with the relay's reason", async () => {
    await deliver({ from: "nia@customer.test", subject: "Gone", text: "bye", messageId: newMessageId() });
    const [conversation] = conversationsOf("nia@customer.test");
    await agentReply(conversation!.id, "Hi Nia");
    relayAnswers.push({ code: 550, message: "5.1.1 mailbox unavailable" });
    expect(await runDue()).toEqual({ sent: 0, retrying: 0, failed: 1 });
    const [failed] = outbox(conversation!.id);
    expect(failed).toMatchObject({ status: "failed", attempts: 1 });
    expect(failed!.last_error).toMatch(/the mail relay refused the reply: 550 5\.1\.1 mailbox unavailable/);
  });

  it("fails at once when the relay refuses the login or does not offer the STARTTLS the channel asks for", async () => {
    await deliver({ from: "pia@customer.test", subject: "Login", text: "hi", messageId: newMessageId() });
    const [conversation] = conversationsOf("pia@customer.test");
    const e = await email();
    try {
      await e.saveSettings(channelId, { ...settingsForm, smtpPort: String(relayPort), smtpPassword: "wrong-password" }).pipe(Effect.runPromise);
      await agentReply(conversation!.id, "First");
      expect(await runDue()).toEqual({ sent: 0, retrying: 0, failed: 1 });
      expect(outbox(conversation!.id)[0]!.last_error).toMatch(/refused the login.*535/);

      await e.saveSettings(channelId, { ...settingsForm, smtpPort: String(relayPort), smtpSecurity: "starttls" }).pipe(Effect.runPromise);
      sqlite.prepare("UPDATE deliveries SET status = 'pending', next_attempt_at = 0 WHERE conversation_id = ?").run(conversation!.id);
      expect(await runDue()).toEqual({ sent: 0, retrying: 0, failed: 1 });
      expect(outbox(conversation!.id)[0]!.last_error).toMatch(/does not offer the channel's security/);
      expect(relayed).toHaveLength(0);
    } finally {
      await e.saveSettings(channelId, { ...settingsForm, smtpPort: String(relayPort) }).pipe(Effect.runPromise);
    }
  });

  it("retries when the relay cannot be reached, and fails at once without a relay", async () => {
    await deliver({ from: "oz@customer.test", subject: "Relay", text: "hi", messageId: newMessageId() });
    const [conversation] = conversationsOf("oz@customer.test");
    const e = await email();
    // A port nothing listens on: a connection error.
    await e.saveSettings(channelId, { ...settingsForm, smtpPort: "1", smtpPassword: "" }).pipe(Effect.runPromise);
    try {
      await agentReply(conversation!.id, "First");
      expect(await runDue()).toEqual({ sent: 0, retrying: 1, failed: 0 });
      expect(outbox(conversation!.id)[0]!.last_error).toMatch(/could not reach the mail relay/);

      await e.saveSettings(channelId, { ...settingsForm, smtpHost: "", smtpPort: "", smtpUser: "", smtpPassword: "" }).pipe(Effect.runPromise);
      sqlite.prepare("UPDATE deliveries SET next_attempt_at = 0 WHERE conversation_id = ?").run(conversation!.id);
      expect(await runDue()).toEqual({ sent: 0, retrying: 0, failed: 1 });
      expect(outbox(conversation!.id)[0]!.last_error).toMatch(/no outgoing mail relay/);
    } finally {
      await e.saveSettings(channelId, { ...settingsForm, smtpPort: String(relayPort) }).pipe(Effect.runPromise);
    }
  });
});

describe("settings", () => {
  it("shows where to forward mail, never the password, and keeps it when the field is empty", async () => {
    const e = await email();
    const shown = await e.settings(channelId).pipe(Effect.runPromise);
    expect(shown).toMatchObject({
      addresses: [TEAM, "help@acme.test"],
      fromName: "Acme Support",
      fromAddress: TEAM,
      relay: { host: "127.0.0.1", port: relayPort, security: "none", user: RELAY_USER },
      password: { configured: true, hint: RELAY_PASSWORD.slice(-4) },
      inboxId,
    });
    // This runtime's config has no SMTP_PORT: the page says inbound mail is off.
    expect(shown.inbound).toBeNull();
    expect(JSON.stringify(shown)).not.toContain(RELAY_PASSWORD);
  });

  it("refuses bad fields by path and leaves the stored settings untouched", async () => {
    const e = await email();
    const stored = () => (sqlite.prepare("SELECT config FROM channels WHERE id = ?").get(channelId) as { config: string }).config;
    const unchanged = stored();
    const refused = await e
      .saveSettings(channelId, { ...settingsForm, addresses: "nope", fromAddress: "", smtpPort: "70000", smtpSecurity: "ssl" })
      .pipe(Effect.either, Effect.runPromise);
    expect(Either.isLeft(refused) && refused.left._tag === "InvalidInput" ? refused.left.issues.map((i) => i.path) : []).toEqual([
      "addresses",
      "fromAddress",
      "smtpPort",
      "smtpSecurity",
    ]);
    expect(stored()).toBe(unchanged);
  });

  it("refuses an address another email channel already receives", async () => {
    const otherId = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name: "Other mail", inboxId })))).id;
    const refused = await (await email()).saveSettings(otherId, { ...settingsForm, addresses: "help@acme.test" }).pipe(Effect.either, Effect.runPromise);
    expect(Either.isLeft(refused) && refused.left._tag === "InvalidInput" ? refused.left.issues : []).toEqual([
      { path: "addresses", message: "“help@acme.test” is already received by another email channel" },
    ]);
  });
});

describe("the settings page (the route's loader and action, signed in as the admin)", () => {
  const signIn = async () => {
    const session = await runtime.runPromise(Effect.flatMap(Accounts, (a) => a.login("admin@parley.local", "admin-password-1")));
    const context = { runtime } as never;
    const url = `https://parley.example.com/settings/channels/email/${channelId}`;
    const cookie = (await sessionCookieHeader(new Request(url), context, session.token)).split(";")[0]!;
    return { context, url, cookie, csrf: session.csrfToken };
  };
  type Loaded = { data: { settings: { addresses: string[]; inbound: unknown; password: { hint: string } } }; init: { headers: Record<string, string> } | null };
  type Acted = { data: { saved: boolean; errors?: Record<string, string>; values?: Record<string, string> }; init: { status?: number } | null };

  it("shows the settings without the password, and saves a form", async () => {
    const { context, url, cookie, csrf } = await signIn();
    const loaded = (await settingsLoader({ request: new Request(url, { headers: { Cookie: cookie } }), context, params: { id: channelId } })) as unknown as Loaded;
    expect(loaded.data.settings.addresses).toEqual([TEAM, "help@acme.test"]);
    expect(loaded.data.settings.password.hint).toBe(RELAY_PASSWORD.slice(-4));
    expect(JSON.stringify(loaded.data)).not.toContain(RELAY_PASSWORD);

    const body = new URLSearchParams({ ...settingsForm, smtpPort: String(relayPort), smtpPassword: "", fromName: "Acme Help", csrf });
    const acted = (await settingsAction({
      request: new Request(url, { method: "POST", headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" }, body }),
      context,
      params: { id: channelId },
    })) as unknown as Acted;
    expect(acted.data).toEqual({ saved: true });
    const saved = await (await email()).settings(channelId).pipe(Effect.runPromise);
    expect(saved.fromName).toBe("Acme Help");
    expect(saved.password.hint).toBe(RELAY_PASSWORD.slice(-4));
    await (await email()).saveSettings(channelId, { ...settingsForm, smtpPort: String(relayPort) }).pipe(Effect.runPromise);
  });

  it("answers 400 with a message per field, keeps what was typed but the password, and stores nothing", async () => {
    const { context, url, cookie, csrf } = await signIn();
    const stored = () => (sqlite.prepare("SELECT config FROM channels WHERE id = ?").get(channelId) as { config: string }).config;
    const unchanged = stored();
    const body = new URLSearchParams({ ...settingsForm, addresses: "support@", fromName: "", smtpPassword: "typed-secret", csrf });
    const acted = (await settingsAction({
      request: new Request(url, { method: "POST", headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" }, body }),
      context,
      params: { id: channelId },
    })) as unknown as Acted;
    expect(acted.init?.status).toBe(400);
    expect(acted.data.errors).toEqual({
      addresses: "“support@”: expected an email address like name@example.com",
      fromName: "enter the name replies are sent as, e.g. Acme Support",
    });
    expect(acted.data.values?.addresses).toBe("support@");
    expect(JSON.stringify(acted.data)).not.toContain("typed-secret");
    expect(stored()).toBe(unchanged);
  });

  it("answers 404 for a channel that is not an email channel, and 403 to an agent", async () => {
    const { context, cookie } = await signIn();
    const chatId = (sqlite.prepare("SELECT id FROM channels WHERE kind = 'chat' LIMIT 1").get() as { id: string }).id;
    const url = `https://parley.example.com/settings/channels/email/${chatId}`;
    const missing = await settingsLoader({ request: new Request(url, { headers: { Cookie: cookie } }), context, params: { id: chatId } }).then(
      () => null,
      (thrown: unknown) => thrown as Response,
    );
    expect(missing?.status).toBe(404);

    const agent = await runtime.runPromise(Effect.flatMap(Accounts, (a) => a.login("agent@parley.local", "admin-password-1")));
    const agentCookie = (await sessionCookieHeader(new Request(url), context, agent.token)).split(";")[0]!;
    const own = `https://parley.example.com/settings/channels/email/${channelId}`;
    const forbidden = await settingsLoader({ request: new Request(own, { headers: { Cookie: agentCookie } }), context, params: { id: channelId } }).then(
      () => null,
      (thrown: unknown) => thrown as Response,
    );
    expect(forbidden?.status).toBe(403);
  });

  it("refuses a save without the CSRF token", async () => {
    const { context, url, cookie } = await signIn();
    const body = new URLSearchParams({ ...settingsForm });
    const refused = await settingsAction({
      request: new Request(url, { method: "POST", headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" }, body }),
      context,
      params: { id: channelId },
    }).then(
      () => null,
      (thrown: unknown) => thrown as Response,
    );
    expect(refused?.status).toBe(403);
  });
});

describe("attachments", () => {
  type Entry = { id?: string; name: string; type: string; size: number; skipped?: string };
  const payloadOf = (conversationId: string) =>
    JSON.parse((sqlite.prepare("SELECT payload FROM messages WHERE conversation_id = ? ORDER BY id LIMIT 1").get(conversationId) as { payload: string }).payload) as {
      attachments: Entry[];
    };
  const storedOf = (conversationId: string) =>
    sqlite
      .prepare("SELECT id, message_id, filename, content_type, size, sha256, data FROM attachments WHERE conversation_id = ? ORDER BY rowid")
      .all(conversationId) as Array<{ id: string; message_id: number; filename: string; content_type: string; size: number; sha256: string; data: Buffer }>;

  const cookieFor = async (login: string) => {
    const session = await runtime.runPromise(Effect.flatMap(Accounts, (a) => a.login(login, "admin-password-1")));
    return (await sessionCookieHeader(new Request("https://parley.example.com/"), { runtime } as never, session.token)).split(";")[0]!;
  };
  /** The route's loader as Remix calls it: its Response, or the Response it throws. */
  const download = (attachmentId: string, cookie: string | null, method = "GET") =>
    attachmentLoader({
      request: new Request(`https://parley.example.com/inbox/attachments/${attachmentId}`, { method, headers: cookie === null ? {} : { Cookie: cookie } }),
      context: { runtime } as never,
      params: { attachmentId },
    }).then(
      (response) => response,
      (thrown: unknown) => thrown as Response,
    );

  const HTML = "<html><body><script>alert(document.cookie)</script></body></html>";
  const PDF = Buffer.from("%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n");
  const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");

  it("stores a mail's attachments and inline images with it, under sanitised names, and lists each with its id", async () => {
    await deliver({
      from: "quinn@customer.test",
      subject: "Invoice and a page",
      text: "See attached.",
      html: '<p>See attached.</p><img src="cid:logo@customer.test">',
      messageId: newMessageId(),
      attachments: [
        { filename: "../../evil.html", content: HTML, contentType: "text/html" },
        { filename: "Rechnung März.pdf", content: PDF, contentType: "application/pdf" },
        { filename: "logo.png", content: PNG, contentType: "image/png", cid: "logo@customer.test" },
      ],
    });
    const [conversation] = conversationsOf("quinn@customer.test");
    const stored = storedOf(conversation!.id);
    // mailparser hands over the inline (related) image first; the payload keeps its order.
    expect(stored.map((a) => [a.filename, a.content_type, a.size])).toEqual([
      ["logo.png", "image/png", PNG.length],
      ["evil.html", "text/html", Buffer.byteLength(HTML)],
      ["Rechnung März.pdf", "application/pdf", PDF.length],
    ]);
    const [png, html, pdf] = stored;
    expect(html!.data.toString("utf8")).toBe(HTML);
    expect(pdf!.data.equals(PDF)).toBe(true);
    expect(png!.data.equals(PNG)).toBe(true);
    expect(html!.sha256).toBe(createHash("sha256").update(HTML).digest("hex"));
    expect(new Set(stored.map((a) => a.message_id)).size).toBe(1);
    expect(payloadOf(conversation!.id).attachments).toEqual([
      { id: png!.id, name: "logo.png", type: "image/png", size: PNG.length },
      { id: html!.id, name: "evil.html", type: "text/html", size: Buffer.byteLength(HTML) },
      { id: pdf!.id, name: "Rechnung März.pdf", type: "application/pdf", size: PDF.length },
    ]);
    expect(transcript(conversation!.id)[0]).toBe(
      `visitor: See attached.\n\n[Attachments: logo.png (${PNG.length} B), evil.html (${Buffer.byteLength(HTML)} B), Rechnung März.pdf (${PDF.length} B)]`,
    );
  });

  it("serves the HTML file as an octet-stream download, never as a page, to a signed-in admin", async () => {
    const [conversation] = conversationsOf("quinn@customer.test");
    const byName = new Map(storedOf(conversation!.id).map((a) => [a.filename, a]));
    const [html, pdf, png] = [byName.get("evil.html"), byName.get("Rechnung März.pdf"), byName.get("logo.png")];
    const cookie = await cookieFor("admin@parley.local");

    const response = await download(html!.id, cookie);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).toString("utf8")).toBe(HTML);
    expect(Object.fromEntries(response.headers)).toMatchObject({
      "content-type": "application/octet-stream",
      "content-disposition": "attachment; filename*=UTF-8''evil.html",
      "content-length": String(Buffer.byteLength(HTML)),
      "x-content-type-options": "nosniff",
      "content-security-policy": "sandbox; default-src 'none'",
      "cache-control": "private, max-age=0",
    });

    const asPdf = await download(pdf!.id, cookie);
    expect(asPdf.headers.get("content-type")).toBe("application/pdf");
    expect(asPdf.headers.get("content-disposition")).toBe("attachment; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf");
    expect(Buffer.from(await asPdf.arrayBuffer()).equals(PDF)).toBe(true);

    // A plain image may show in the tab.
    const asPng = await download(png!.id, cookie);
    expect(asPng.headers.get("content-type")).toBe("image/png");
    expect(asPng.headers.get("content-disposition")).toBe("inline; filename*=UTF-8''logo.png");

    const head = await download(png!.id, cookie, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(PNG.length));
  });

  it("answers 404 alike for an unknown id and for a file outside the agent's inboxes, sends a signed-out visitor to the login, and refuses a marketer", async () => {
    const [conversation] = conversationsOf("quinn@customer.test");
    const html = storedOf(conversation!.id).find((a) => a.filename === "evil.html");
    const agentCookie = await cookieFor("agent@parley.local");
    const workspace = await runtime.runPromise(Workspace);
    const members = (sqlite.prepare("SELECT user_id FROM inbox_members WHERE inbox_id = ?").all(inboxId) as Array<{ user_id: string }>).map((r) => r.user_id);
    const agentId = (sqlite.prepare("SELECT id FROM users WHERE email = 'agent@parley.local'").get() as { id: string }).id;
    try {
      await workspace.setInboxMembers(inboxId, [...new Set([...members, agentId])]).pipe(Effect.runPromise);
      expect((await download(html!.id, agentCookie)).status).toBe(200);

      await workspace.setInboxMembers(inboxId, members.filter((id) => id !== agentId)).pipe(Effect.runPromise);
      const outside = await download(html!.id, agentCookie);
      const unknown = await download("att_AAAAAAAAAAAAAAAAAAAAAA", agentCookie);
      expect([outside.status, unknown.status]).toEqual([404, 404]);
      // The two bodies differ only by the id asked for: nothing says the first one exists.
      expect((await outside.text()).replace(html!.id, "ID")).toBe((await unknown.text()).replace("att_AAAAAAAAAAAAAAAAAAAAAA", "ID"));
    } finally {
      await workspace.setInboxMembers(inboxId, members).pipe(Effect.runPromise);
    }

    const signedOut = await download(html!.id, null);
    expect(signedOut.status).toBe(302);
    expect(signedOut.headers.get("location")).toMatch(/^\/login\?redirectTo=/);
    expect((await download(html!.id, await cookieFor("marketer@parley.local"))).status).toBe(403);
  });

  it("lists a file over 10 MB with the reason and without an id, and stores the mail's other files", async () => {
    const big = Buffer.alloc(ATTACHMENT_MAX_FILE_BYTES + 1, 0x41);
    await deliver({
      from: "rosa@customer.test",
      subject: "Video",
      text: "Here is the recording.",
      messageId: newMessageId(),
      attachments: [
        { filename: "recording.mp4", content: big, contentType: "video/mp4" },
        { filename: "notes.txt", content: "the notes", contentType: "text/plain" },
      ],
    });
    const [conversation] = conversationsOf("rosa@customer.test");
    const stored = storedOf(conversation!.id);
    expect(stored.map((a) => a.filename)).toEqual(["notes.txt"]);
    const entries = payloadOf(conversation!.id).attachments;
    expect(entries).toEqual([
      { name: "recording.mp4", type: "video/mp4", size: big.length, skipped: "too large: over 10 MB per file" },
      { id: stored[0]!.id, name: "notes.txt", type: "text/plain", size: 9 },
    ]);
    expect("id" in entries[0]!).toBe(false);
    expect(transcript(conversation!.id)[0]).toBe(
      "visitor: Here is the recording.\n\n[Attachments: recording.mp4 (10.0 MB, not stored: too large: over 10 MB per file), notes.txt (9 B)]",
    );
  });

  it("stores a mail's files up to 25 MB together, and lists the one past it with the reason", async () => {
    const nine = (fill: number) => Buffer.alloc(9 * 1024 * 1024, fill);
    await deliver({
      from: "uma@customer.test",
      subject: "Scans",
      text: "Three scans.",
      messageId: newMessageId(),
      attachments: [
        { filename: "scan-1.pdf", content: nine(1), contentType: "application/pdf" },
        { filename: "scan-2.pdf", content: nine(2), contentType: "application/pdf" },
        { filename: "scan-3.pdf", content: nine(3), contentType: "application/pdf" },
        { filename: "small.txt", content: "fits still", contentType: "text/plain" },
      ],
    });
    const [conversation] = conversationsOf("uma@customer.test");
    const stored = storedOf(conversation!.id);
    expect(stored.map((a) => [a.filename, a.size])).toEqual([
      ["scan-1.pdf", 9 * 1024 * 1024],
      ["scan-2.pdf", 9 * 1024 * 1024],
      ["small.txt", 10],
    ]);
    expect(stored[1]!.data.equals(nine(2))).toBe(true);
    expect(payloadOf(conversation!.id).attachments.map((a) => [a.name, a.id === undefined ? null : "id", a.skipped ?? null])).toEqual([
      ["scan-1.pdf", "id", null],
      ["scan-2.pdf", "id", null],
      ["scan-3.pdf", null, "too large: the mail's files pass 25 MB together"],
      ["small.txt", "id", null],
    ]);
  });

  it("stores 20 files of a mail, lists the first 100 and counts the rest", async () => {
    await deliver({
      from: "vic@customer.test",
      subject: "Export",
      text: "All the logs.",
      messageId: newMessageId(),
      attachments: Array.from({ length: 103 }, (_, i) => ({ filename: `log-${i}.txt`, content: `line ${i}`, contentType: "text/plain" })),
    });
    const [conversation] = conversationsOf("vic@customer.test");
    expect(storedOf(conversation!.id).map((a) => a.filename)).toEqual(Array.from({ length: 20 }, (_, i) => `log-${i}.txt`));
    const payload = payloadOf(conversation!.id) as { attachments: Entry[]; attachmentsNotListed?: number };
    expect(payload.attachments).toHaveLength(100);
    expect(payload.attachments.filter((a) => a.id !== undefined)).toHaveLength(20);
    expect(payload.attachments[20]).toEqual({ name: "log-20.txt", type: "text/plain", size: 7, skipped: "too many files: only 20 are stored per mail" });
    expect(payload.attachmentsNotListed).toBe(3);
    expect(transcript(conversation!.id)[0]).toMatch(/log-9\.txt \(6 B\) and 93 more \(83 of them not stored\)\]$/);
  });

  it("stores an empty file", async () => {
    await deliver({
      from: "wes@customer.test",
      subject: "Empty",
      text: "An empty file.",
      messageId: newMessageId(),
      attachments: [{ filename: "empty.txt", content: Buffer.alloc(0), contentType: "text/plain" }],
    });
    const [conversation] = conversationsOf("wes@customer.test");
    expect(storedOf(conversation!.id).map((a) => [a.filename, a.size, a.data.length])).toEqual([["empty.txt", 0, 0]]);
  });

  it("stores no second copy of a redelivered mail's files", async () => {
    const messageId = newMessageId();
    const mail = {
      from: "sam@customer.test",
      subject: "Twice with a file",
      text: "attached",
      messageId,
      attachments: [{ filename: "a.txt", content: "file a", contentType: "text/plain" }],
    };
    await deliver(mail);
    const [conversation] = conversationsOf("sam@customer.test");
    const first = storedOf(conversation!.id);
    expect(first).toHaveLength(1);
    await storesNothing(() => deliver(mail));
    expect(storedOf(conversation!.id)).toEqual(first);
    expect(payloadOf(conversation!.id).attachments).toEqual([{ id: first[0]!.id, name: "a.txt", type: "text/plain", size: 6 }]);
  });

  it("stores a mail to two channels' addresses with its files in each, under different ids", async () => {
    const otherId = (sqlite.prepare("SELECT id FROM channels WHERE kind = 'email' AND id <> ? AND config LIKE '%billing@acme.test%'").get(channelId) as
      | { id: string }
      | undefined)?.id;
    const billing =
      otherId ??
      (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name: "Billing mail", inboxId })))).id;
    await (await email()).saveSettings(billing, { ...settingsForm, addresses: "billing@acme.test", smtpPort: String(relayPort) }).pipe(Effect.runPromise);
    await deliver({
      from: "tom@customer.test",
      to: [TEAM, "billing@acme.test"],
      subject: "For both",
      text: "file for both",
      messageId: newMessageId(),
      attachments: [{ filename: "both.txt", content: "both", contentType: "text/plain" }],
    });
    const rows = sqlite
      .prepare("SELECT a.id, c.channel_id FROM attachments a JOIN conversations c ON c.id = a.conversation_id WHERE a.filename = 'both.txt' ORDER BY a.rowid")
      .all() as Array<{ id: string; channel_id: string }>;
    expect(rows.map((r) => r.channel_id).sort()).toEqual([channelId, billing].sort());
    expect(rows[0]!.id).not.toBe(rows[1]!.id);
  });

  it("names and types files by the same sanitisers as the store", () => {
    expect(attachmentFilename("../../evil.html")).toBe("evil.html");
    expect(attachmentFilename("..\\..\\x\u0007.exe")).toBe("x.exe");
    expect(attachmentContentType("TEXT/HTML; charset=utf-8")).toBe("text/html");
    expect(attachmentContentType("not a type")).toBe("application/octet-stream");
  });
});
