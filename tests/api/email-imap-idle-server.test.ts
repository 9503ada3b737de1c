/**
 * Listening to a team mailbox (IMAP IDLE) in the REAL server process (`node --import tsx
 * server/index.ts`, its own minute's poll): an email channel set up on the database before the
 * start, hoodiecrow-imap on loopback as the provider. The server listens on its own, a mail
 * delivered once it settled is stored well before the next minute's poll, and SIGTERM closes the
 * listening connection before the process exits.
 */
import BetterSqlite3 from "better-sqlite3";
import { Effect, Either } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type ServerProcess } from "../../bench/http-harness.js";
import { makeAppRuntime } from "../../runtime/services/app-layer.js";
import { Channels } from "../../runtime/services/channels.js";
import { loadConfig } from "../../runtime/services/config.js";
import { EmailChannel } from "../../runtime/services/email-channel.js";
import { startup } from "../../server/startup.js";
import { imapChannelForm, quietButListening, startFakeMailbox, type FakeMailbox } from "../support/fake-imap.js";

let dir: string;
let databasePath: string;
let mailbox: FakeMailbox;
let server: ServerProcess | undefined;
/** Before the process started: its first timed poll is a minute after it starts fetching, so after this plus a minute. */
let starting: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-imap-idle-server-"));
  databasePath = join(dir, "parley.sqlite");
  mailbox = await startFakeMailbox();
  // The channel is set up before the server starts, through the services the settings page uses.
  const config = loadConfig({ DATABASE_PATH: databasePath, SESSION_SECRET: "x".repeat(64), ADMIN_PASSWORD: "admin-password-1", PARLEY_NO_DEMO_CONVERSATIONS: "1" });
  const runtime = makeAppRuntime(config);
  (await startup(runtime, config, { print: () => undefined })).stop();
  await runtime.runPromise(
    Effect.gen(function* () {
      const channels = yield* Channels;
      const inboxId = (yield* channels.list())[0]!.inboxId;
      const channel = yield* channels.create({ kind: "email", name: "Support mail", inboxId });
      const saved = yield* (yield* EmailChannel)
        .saveSettings(channel.id, imapChannelForm(mailbox, "support@acme.test"))
        .pipe(Effect.either);
      if (Either.isLeft(saved)) throw new Error(`the channel's settings were refused: ${JSON.stringify(saved.left)}`);
    }),
  );
  await runtime.dispose();
  starting = Date.now();
  server = await startServer({ databasePath });
}, 90_000);

afterAll(async () => {
  await server?.stop("SIGKILL");
  await mailbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

const conversationsFrom = (address: string): number => {
  const sqlite = new BetterSqlite3(databasePath, { readonly: true, fileMustExist: true });
  try {
    return (
      sqlite
        .prepare("SELECT count(*) AS n FROM conversations c JOIN channel_identities ci ON ci.visitor_id = c.visitor_id AND ci.channel_id = c.channel_id WHERE ci.external_id = ?")
        .get(address) as { n: number }
    ).n;
  } finally {
    sqlite.close();
  }
};

describe("the server process", () => {
  it("listens to the mailbox, stores a new mail before the next minute's poll, and closes the connection on SIGTERM", async () => {
    // Settled: the start's polls are done, only the listening connection is open.
    await quietButListening(mailbox, 20_000);
    mailbox.deliver(
      ["From: Ada <ada@customer.test>", "To: support@acme.test", "Subject: Hello", "Message-ID: <server-idle-1@customer.test>", "", "Are you there?", ""].join("\r\n"),
    );
    await expect.poll(() => conversationsFrom("ada@customer.test"), { timeout: 15_000 }).toBe(1);
    // Only what the server was told could bring it before the minute's poll.
    expect(Date.now()).toBeLessThan(starting + 60_000);

    const code = await server!.stop("SIGTERM");
    expect(code).toBe(0);
    expect(server!.output()).toContain("Parley stopped.");
    await expect.poll(() => mailbox.connections(), { timeout: 5_000 }).toBe(0);
  }, 90_000);
});
