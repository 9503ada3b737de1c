import { Effect, Either, Layer, ManagedRuntime } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Config from "./config.js";
import * as Db from "./database.js";
import { Database } from "./database.js";
import * as Live from "./live-events.js";
import { LiveEvents, type LiveEvent } from "./live-events.js";
import { identityHash, layer as visitorsLayer, readVisitorToken, signVisitorToken, Visitors } from "./visitors.js";

const SECRET = "s".repeat(64);
let dir: string;
let runtime: ManagedRuntime.ManagedRuntime<Visitors | Database | LiveEvents, never>;
const run = <A, E>(effect: Effect.Effect<A, E, Visitors | Database | LiveEvents>) => runtime.runPromise(Effect.either(effect));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-visitors-"));
  const config = Config.loadConfig({ DATABASE_PATH: join(dir, "db.sqlite"), SESSION_SECRET: SECRET });
  const base = Layer.mergeAll(Config.layer(config), Db.layer({ path: config.databasePath }), Live.layer);
  runtime = ManagedRuntime.make(Layer.provideMerge(visitorsLayer, base));
  const db = await runtime.runPromise(Database);
  const now = Date.now();
  db.sqlite.exec(`
    INSERT INTO inboxes (id, name, created_at) VALUES ('inbox_1', 'Support', ${now});
    INSERT INTO channels (id, inbox_id, kind, name, config, identity_secret, created_at)
      VALUES ('ch_chat', 'inbox_1', 'chat', 'Website', '{"allowedOrigins":["*"]}', 'idsecret', ${now}),
             ('ch_plain', 'inbox_1', 'chat', 'No identity', '{}', NULL, ${now}),
             ('ch_email', 'inbox_1', 'email', 'Mail', '{}', NULL, ${now});
    INSERT INTO chatflows (id, name, kind, channel_id, enabled, draft, published_version_id, created_at, updated_at)
      VALUES ('flow_1', 'Bot', 'bot', 'ch_chat', 1, '{}', NULL, ${now}, ${now});
  `);
});
afterAll(async () => {
  await runtime.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const count = async (table: string) => {
  const db = await runtime.runPromise(Database);
  return (db.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
};

describe("visitor tokens", () => {
  it("round-trips and rejects forged or altered tokens", () => {
    const token = signVisitorToken(SECRET, "vis_abc");
    expect(token).toMatch(/^v1\.vis_abc\.[A-Za-z0-9_-]{43}$/);
    expect(readVisitorToken(SECRET, token)).toBe("vis_abc");
    expect(readVisitorToken("other".repeat(10), token)).toBeUndefined();
    expect(readVisitorToken(SECRET, token.replace("vis_abc", "vis_abd"))).toBeUndefined();
    expect(readVisitorToken(SECRET, token.slice(0, -2))).toBeUndefined();
    // Every other spelling of the last character (its spare bits decode to the same bytes) is refused too.
    const last = token.at(-1)!;
    for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") {
      if (c !== last) expect(readVisitorToken(SECRET, token.slice(0, -1) + c)).toBeUndefined();
    }
    expect(readVisitorToken(SECRET, "garbage")).toBeUndefined();
  });
});

describe("Visitors", () => {
  it("creates a visitor of a chat channel and verifies its token", async () => {
    const created = await run(Effect.flatMap(Visitors, (v) => v.create({ channelId: "ch_chat", userAgent: "UA", languages: ["de-CH", "en"], device: "mobile" })));
    if (Either.isLeft(created)) throw new Error("create failed");
    const verified = await run(Effect.flatMap(Visitors, (v) => v.verifyToken(created.right.visitorToken)));
    expect(verified).toEqual(Either.right({ visitorId: created.right.visitorId, channelId: "ch_chat" }));
    const row = await run(Effect.flatMap(Visitors, (v) => v.get(created.right.visitorId)));
    expect(Either.isRight(row) && row.right).toMatchObject({ language: "de-CH", device: "mobile", contactId: null });
  });

  it("refuses unknown or non-chat channels and tokens of visitors that do not exist", async () => {
    const before = await count("visitors");
    const missing = await run(Effect.flatMap(Visitors, (v) => v.create({ channelId: "nope" })));
    expect(Either.isLeft(missing) && missing.left._tag).toBe("NotFound");
    const email = await run(Effect.flatMap(Visitors, (v) => v.create({ channelId: "ch_email" })));
    expect(Either.isLeft(email) && email.left._tag).toBe("NotFound");
    expect(await count("visitors")).toBe(before);
    const ghost = await run(Effect.flatMap(Visitors, (v) => v.verifyToken(signVisitorToken(SECRET, "vis_ghost"))));
    expect(Either.isLeft(ghost) && ghost.left._tag).toBe("Unauthenticated");
  });

  it("links a contact only when the identity hash is right, de-duplicated by email", async () => {
    const a = await runtime.runPromise(Effect.flatMap(Visitors, (v) => v.create({ channelId: "ch_chat" })));
    const b = await runtime.runPromise(Effect.flatMap(Visitors, (v) => v.create({ channelId: "ch_chat" })));
    const contactsBefore = await count("contacts");
    const wrong = await runtime.runPromise(
      Effect.flatMap(Visitors, (v) => v.identify({ visitorId: a.visitorId, email: "ann@example.com", hash: "0".repeat(64) })),
    );
    expect(wrong.verified).toBe(false);
    expect(await count("contacts")).toBe(contactsBefore);

    const hash = identityHash("idsecret", "ann@example.com");
    const ok = await runtime.runPromise(
      Effect.flatMap(Visitors, (v) => v.identify({ visitorId: a.visitorId, email: "ann@example.com", name: "Ann", hash })),
    );
    expect(ok.verified).toBe(true);
    const again = await runtime.runPromise(
      Effect.flatMap(Visitors, (v) => v.identify({ visitorId: b.visitorId, email: "ann@example.com", hash: hash.toUpperCase() })),
    );
    expect(again).toMatchObject({ verified: true, contactId: ok.contactId });
    expect(await count("contacts")).toBe(contactsBefore + 1);
    const rowB = await runtime.runPromise(Effect.flatMap(Visitors, (v) => v.get(b.visitorId)));
    expect(rowB.contactId).toBe(ok.contactId);
  });

  it("says why identify cannot verify on a channel without an identity secret", async () => {
    const v = await runtime.runPromise(Effect.flatMap(Visitors, (s) => s.create({ channelId: "ch_plain" })));
    const result = await runtime.runPromise(
      Effect.flatMap(Visitors, (s) => s.identify({ visitorId: v.visitorId, email: "x@example.com", hash: identityHash("idsecret", "x@example.com") })),
    );
    expect(result).toMatchObject({ verified: false, reason: expect.stringMatching(/identity secret/) });
  });

  it("merges valid attributes and rejects bad ones with a path, storing nothing", async () => {
    const v = await runtime.runPromise(Effect.flatMap(Visitors, (s) => s.create({ channelId: "ch_chat" })));
    const merged = await run(Effect.flatMap(Visitors, (s) => s.setAttributes(v.visitorId, { plan: "pro", seats: 5 })));
    expect(merged).toEqual(Either.right({ plan: "pro", seats: 5 }));
    await run(Effect.flatMap(Visitors, (s) => s.setAttributes(v.visitorId, { trial: true })));
    const bad = await run(Effect.flatMap(Visitors, (s) => s.setAttributes(v.visitorId, { plan: "x".repeat(501), nested: { a: 1 } })));
    expect(Either.isLeft(bad) && bad.left._tag).toBe("InvalidInput");
    if (Either.isLeft(bad) && bad.left._tag === "InvalidInput") expect(bad.left.issues.map((i) => i.path).sort()).toEqual(["nested", "plan"]);
    // A bad name is refused by name, not dropped while the good ones are stored.
    const badName = await run(Effect.flatMap(Visitors, (s) => s.setAttributes(v.visitorId, { "9lives": 1, plan: "enterprise" })));
    expect(Either.isLeft(badName) && badName.left._tag).toBe("InvalidInput");
    if (Either.isLeft(badName) && badName.left._tag === "InvalidInput") {
      expect(badName.left.issues).toEqual([{ path: "9lives", message: expect.stringMatching(/attribute name/) }]);
    }
    const tooMany = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, i]));
    const over = await run(Effect.flatMap(Visitors, (s) => s.setAttributes(v.visitorId, tooMany)));
    expect(Either.isLeft(over)).toBe(true);
    const row = await runtime.runPromise(Effect.flatMap(Visitors, (s) => s.get(v.visitorId)));
    expect(row.attributes).toEqual({ plan: "pro", seats: 5, trial: true });
  });

  it("turns an away message into an open conversation, a message, a ticket and events, then tells the inbox", async () => {
    const v = await runtime.runPromise(Effect.flatMap(Visitors, (s) => s.create({ channelId: "ch_chat" })));
    const seen: LiveEvent[] = [];
    const unsubscribe = await runtime.runPromise(Effect.map(LiveEvents, (live) => live.subscribeAll((e) => seen.push(e))));
    const result = await runtime.runPromise(
      Effect.flatMap(Visitors, (s) =>
        s.leaveAwayMessage({ visitorId: v.visitorId, channelId: "ch_chat", chatflowId: "flow_1", email: "Bo@Example.com", text: "<b>call me</b>", pageUrl: "https://x.example/" }),
      ),
    );
    unsubscribe();
    const db = await runtime.runPromise(Database);
    const conversation = db.sqlite
      .prepare("SELECT status, inbox_id, assignee_id, waiting_since, unassigned_since FROM conversations WHERE id = ?")
      .get(result.conversationId) as Record<string, unknown>;
    expect(conversation).toMatchObject({ status: "open", inbox_id: "inbox_1", assignee_id: null });
    expect(conversation.waiting_since).toBeTypeOf("number");
    // In the inbox with nobody assigned from its arrival: an "unassigned for" rule's spell (migration 47).
    expect(conversation.unassigned_since).toBe(conversation.waiting_since);
    const message = db.sqlite.prepare("SELECT author, text FROM messages WHERE conversation_id = ?").get(result.conversationId);
    expect(message).toEqual({ author: "visitor", text: "<b>call me</b>" });
    const ticket = db.sqlite.prepare("SELECT subject, status FROM tickets WHERE id = ?").get(result.ticketId);
    expect(ticket).toEqual({ subject: "Away message from bo@example.com", status: "new" });
    const types = (db.sqlite.prepare("SELECT type FROM events WHERE conversation_id = ? ORDER BY id").all(result.conversationId) as Array<{ type: string }>).map((r) => r.type);
    expect(types).toEqual(["conversation_created", "message_created", "contact_linked", "ticket_created"]);
    expect(seen.map((e) => e.kind)).toEqual(["conversation"]);

    const unknown = await run(
      Effect.flatMap(Visitors, (s) => s.leaveAwayMessage({ visitorId: v.visitorId, channelId: "ch_chat", chatflowId: "nope", email: "a@b.co", text: "x", pageUrl: "" })),
    );
    expect(Either.isLeft(unknown) && unknown.left._tag).toBe("NotFound");
  });
});
