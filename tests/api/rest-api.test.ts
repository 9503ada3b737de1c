/**
 * The REST API for integrations (/api/v1) in-process: the real handler (server/rest-api.ts) in
 * front of the public API on a node:http server, the app's real runtime and services, a fresh
 * SQLite file seeded like a first start (demo users and conversations). Tokens are made by the
 * ApiTokens service the profile page uses. Every bad input asserts its status, its error body,
 * AND that nothing was stored.
 */
import { Effect } from "effect";
import type BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { call } from "../../bench/http-harness.js";
import type { User } from "../../runtime/services/accounts.js";
import { Accounts } from "../../runtime/services/accounts.js";
import { ApiTokens, LAST_USED_GRANULARITY_MS } from "../../runtime/services/api-tokens.js";
import type { AppRuntime } from "../../runtime/services/app-layer.js";
import { SEED_IDS } from "../../runtime/services/seed.js";
import { Inbox } from "../../runtime/services/inbox.js";
import { Workspace } from "../../runtime/services/workspace.js";
import { startPublicApiApp, startVisitorChat, type PublicApiApp } from "../support/public-api-server.js";

let app: PublicApiApp;
let runtime: AppRuntime;
let sqlite: BetterSqlite3.Database;
let base: string;
let admin: string;
let agent: string;
let analyst: string;

const userOf = (id: string) => runtime.runPromise(Effect.flatMap(Accounts, (a) => a.getUser(id)));
const tokenFor = async (user: User, expiresIn = "never") =>
  (await runtime.runPromise(Effect.flatMap(ApiTokens, (t) => t.create(user, { name: "integration", expiresIn })))).token;

beforeAll(async () => {
  app = await startPublicApiApp("rest-api", { rateLimitEnabled: false }, { rateLimitEnabled: false });
  ({ runtime, sqlite, base } = app);
  admin = await tokenFor(await userOf(SEED_IDS.admin));
  agent = await tokenFor(await userOf(SEED_IDS.agent));
  analyst = await tokenFor(await userOf(SEED_IDS.analyst));
});

afterAll(async () => {
  await app?.close();
});

const TABLES = ["messages", "conversations", "events", "contacts", "conversation_labels", "deliveries"] as const;
const counts = () => Object.fromEntries(TABLES.map((t) => [t, sqlite.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number]));
const conversationRow = (id: string) =>
  sqlite.prepare("SELECT status, assignee_id, team_id, version FROM conversations WHERE id = ?").get(id) as {
    status: string;
    assignee_id: string | null;
    team_id: string | null;
    version: number;
  };

/** Runs `request` and asserts it stored nothing at all (conversation columns included). */
const storesNothing = async <T>(request: () => Promise<T>, conversationId?: string): Promise<T> => {
  const before = counts();
  const row = conversationId ? conversationRow(conversationId) : undefined;
  const result = await request();
  await new Promise((r) => setTimeout(r, 20));
  expect(counts()).toEqual(before);
  if (conversationId) expect(conversationRow(conversationId)).toEqual(row);
  return result;
};

/** An open conversation in the demo's support inbox, reset to open and unassigned. */
const openConversation = (): string => {
  const id = sqlite.prepare("SELECT id FROM conversations WHERE inbox_id = ? AND is_preview = 0 AND status IN ('open', 'pending', 'closed') ORDER BY id LIMIT 1").pluck().get(SEED_IDS.inbox) as string;
  return id;
};

const send = (path: string, token: string | undefined, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
  call(base, path, { ...init, ...(token !== undefined ? { token } : {}) });

describe("tokens", () => {
  it("GET /api/v1/me answers the token's user", async () => {
    const me = await send("/api/v1/me", agent, { headers: { Origin: "https://shop.example" } });
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ id: SEED_IDS.agent, email: "agent@parley.local", role: "agent", languages: [] });
    // No CORS: a browser page cannot read it, and a preflight is not answered with permission.
    expect(me.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await send("/api/v1/me", undefined, { method: "OPTIONS", headers: { Origin: "https://shop.example", "Access-Control-Request-Method": "GET" } });
    expect(preflight.status).toBe(405);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("refuses a missing, malformed or unknown token with 401 and a Bearer challenge", async () => {
    for (const token of [undefined, "nope", `pat_${"A".repeat(43)}`]) {
      const res = await send("/api/v1/me", token);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(res.body.error.code).toBe("unauthenticated");
    }
    // A session cookie is no way in: bearer only.
    const cookie = await send("/api/v1/me", undefined, { headers: { Cookie: "parley_session=whatever" } });
    expect(cookie.status).toBe(401);
  });

  it("stops a revoked token at once", async () => {
    const user = await userOf(SEED_IDS.agent);
    const created = await runtime.runPromise(Effect.flatMap(ApiTokens, (t) => t.create(user, { name: "to revoke" })));
    expect((await send("/api/v1/me", created.token)).status).toBe(200);
    await runtime.runPromise(Effect.flatMap(ApiTokens, (t) => t.revoke(user, user.id, created.summary.id)));
    const after = await send("/api/v1/me", created.token);
    expect(after.status).toBe(401);
    expect(sqlite.prepare("SELECT count(*) FROM api_tokens WHERE id = ?").pluck().get(created.summary.id)).toBe(0);
  });

  it("stops an expired token from the moment it expires", async () => {
    const user = await userOf(SEED_IDS.agent);
    const created = await runtime.runPromise(Effect.flatMap(ApiTokens, (t) => t.create(user, { name: "short", expiresIn: "30" })));
    expect(created.summary.expiresAt).toBe(created.summary.createdAt + 30 * 24 * 60 * 60 * 1000);
    expect((await send("/api/v1/me", created.token)).status).toBe(200);
    sqlite.prepare("UPDATE api_tokens SET expires_at = ? WHERE id = ?").run(Date.now() - 1, created.summary.id);
    expect((await send("/api/v1/me", created.token)).status).toBe(401);
  });

  it("stops a disabled user's tokens (Settings → Users → Disable), and enabling them gives them back", async () => {
    const user = await userOf(SEED_IDS.analyst);
    const token = await tokenFor(user);
    const setDisabled = (disabled: boolean) => runtime.runPromise(Effect.flatMap(Workspace, (w) => w.setDisabled({ id: SEED_IDS.admin }, user.id, disabled)));
    await setDisabled(true);
    try {
      expect((await send("/api/v1/me", token)).status).toBe(401);
    } finally {
      await setDisabled(false);
    }
    expect((await send("/api/v1/me", token)).status).toBe(200);
  });

  it("records when a token was last used (at most once a minute)", async () => {
    const user = await userOf(SEED_IDS.agent);
    const created = await runtime.runPromise(Effect.flatMap(ApiTokens, (t) => t.create(user, { name: "used" })));
    const lastUsed = () => sqlite.prepare("SELECT last_used_at FROM api_tokens WHERE id = ?").pluck().get(created.summary.id) as number | null;
    expect(lastUsed()).toBeNull();
    const before = Date.now();
    await send("/api/v1/me", created.token);
    const first = lastUsed();
    expect(first).toBeGreaterThanOrEqual(before);
    await send("/api/v1/me", created.token);
    expect(lastUsed()).toBe(first);
    // An hour-old mark is moved on the next use.
    sqlite.prepare("UPDATE api_tokens SET last_used_at = ? WHERE id = ?").run(first! - LAST_USED_GRANULARITY_MS - 3_600_000, created.summary.id);
    await send("/api/v1/me", created.token);
    expect(lastUsed()).toBeGreaterThanOrEqual(first!);
    const listed = await runtime.runPromise(Effect.flatMap(ApiTokens, (t) => t.list(user, user.id)));
    expect(listed.find((t) => t.id === created.summary.id)?.lastUsedAt).toBe(lastUsed());
  });

  it("lets only admins see or revoke someone else's tokens", async () => {
    const agentUser = await userOf(SEED_IDS.agent);
    const adminUser = await userOf(SEED_IDS.admin);
    const analystUser = await userOf(SEED_IDS.analyst);
    const listed = await runtime.runPromise(Effect.flatMap(ApiTokens, (t) => t.list(adminUser, agentUser.id)));
    expect(listed.length).toBeGreaterThan(0);
    expect(JSON.stringify(listed)).not.toContain(agent);
    const refused = await runtime.runPromiseExit(Effect.flatMap(ApiTokens, (t) => t.revoke(analystUser, agentUser.id, listed[0]!.id)));
    expect(refused._tag).toBe("Failure");
    expect(sqlite.prepare("SELECT count(*) FROM api_tokens WHERE id = ?").pluck().get(listed[0]!.id)).toBe(1);
  });

  it("refuses a token without a name or with an unknown expiry", async () => {
    const user = await userOf(SEED_IDS.agent);
    for (const input of [{ name: " " }, { name: "x", expiresIn: "7" }]) {
      const exit = await runtime.runPromiseExit(Effect.flatMap(ApiTokens, (t) => t.create(user, input)));
      expect(exit._tag).toBe("Failure");
    }
  });

  it("limits each token's rate with 429 and Retry-After", async () => {
    const limited = await startPublicApiApp("rest-api-limit", { rateLimitEnabled: false }, { rateLimitEnabled: true, rateLimits: { ip: { capacity: 100, perSecond: 1 }, token: { capacity: 2, perSecond: 0.1 } } });
    try {
      const token = (await limited.runtime.runPromise(
        Effect.flatMap(Accounts, (a) => a.getUser(SEED_IDS.agent)).pipe(Effect.flatMap((u) => Effect.flatMap(ApiTokens, (t) => t.create(u, { name: "busy" })))),
      )).token;
      expect((await call(limited.base, "/api/v1/me", { token })).status).toBe(200);
      expect((await call(limited.base, "/api/v1/me", { token })).status).toBe(200);
      const third = await call(limited.base, "/api/v1/me", { token });
      expect(third.status).toBe(429);
      expect(third.body.error.code).toBe("rate_limited");
      expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});

describe("conversations", () => {
  let id: string;
  beforeEach(() => {
    id = openConversation();
    sqlite.prepare("UPDATE conversations SET status = 'open', closed_at = NULL, assignee_id = NULL, team_id = NULL WHERE id = ?").run(id);
  });

  it("lists the inbox in the inbox list's order, a page at a time", async () => {
    // Closed conversations: newest activity first.
    const closed = await send("/api/v1/conversations?status=closed&limit=3", admin);
    expect(closed.status).toBe(200);
    expect(closed.body.conversations.length).toBeGreaterThan(1);
    const times = closed.body.conversations.map((c: { lastActivityAt: string }) => Date.parse(c.lastActivityAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    for (const c of closed.body.conversations) expect(c.status).toBe("closed");
    // Open ones: whoever has waited longest first, as agents see them.
    const first = await send("/api/v1/conversations?status=open&limit=2", admin);
    expect(first.status).toBe(200);
    expect(first.body.conversations.length).toBe(2);
    expect(typeof first.body.nextCursor).toBe("string");
    const second = await send(`/api/v1/conversations?status=open&limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`, admin);
    expect(second.status).toBe(200);
    const ids = new Set(first.body.conversations.map((c: { id: string }) => c.id));
    for (const c of second.body.conversations) expect(ids.has(c.id)).toBe(false);
    // Filters: the inbox, a label, an assignee.
    sqlite.prepare("INSERT OR IGNORE INTO conversation_labels (conversation_id, label_id, added_at) VALUES (?, 'label_vip', 0)").run(id);
    const labelled = await send("/api/v1/conversations?status=open&label=label_vip&inbox=" + SEED_IDS.inbox, admin);
    expect(labelled.body.conversations.map((c: { id: string }) => c.id)).toContain(id);
    for (const c of labelled.body.conversations) expect(c.labels.map((l: { id: string }) => l.id)).toContain("label_vip");
    sqlite.prepare("DELETE FROM conversation_labels WHERE conversation_id = ? AND label_id = 'label_vip'").run(id);
    const none = await send(`/api/v1/conversations?status=open&assignee=${SEED_IDS.agent}`, admin);
    for (const c of none.body.conversations) expect(c.assignee?.id).toBe(SEED_IDS.agent);
  });

  it("lists the waits past their inbox's response target, most overdue first, with what each is owed", async () => {
    const [late, later] = sqlite
      .prepare("SELECT id FROM conversations WHERE inbox_id = ? AND is_preview = 0 AND status = 'open' AND snoozed_until IS NULL ORDER BY id LIMIT 2")
      .pluck()
      .all(SEED_IDS.inbox) as string[];
    const now = Date.now();
    const saved = sqlite.prepare("SELECT id, waiting_since FROM conversations WHERE inbox_id = ?").all(SEED_IDS.inbox) as Array<{ id: string; waiting_since: number | null }>;
    // Only these two wait, long past a one-hour target; the one waiting longer is the more overdue.
    sqlite.prepare("UPDATE conversations SET waiting_since = NULL WHERE inbox_id = ?").run(SEED_IDS.inbox);
    sqlite.prepare("UPDATE conversations SET waiting_since = ? WHERE id = ?").run(now - 3 * 3_600_000, later);
    sqlite.prepare("UPDATE conversations SET waiting_since = ? WHERE id = ?").run(now - 5 * 3_600_000, late);
    sqlite.prepare("UPDATE inboxes SET response_targets = ? WHERE id = ?").run(JSON.stringify({ firstResponseMinutes: 60, nextReplyMinutes: 60, businessHours: false }), SEED_IDS.inbox);
    try {
      const overdue = await send(`/api/v1/conversations?status=overdue&inbox=${SEED_IDS.inbox}`, admin);
      expect(overdue.status).toBe(200);
      expect(overdue.body.conversations.map((c: { id: string }) => c.id)).toEqual([late, later]);
      expect(overdue.body.conversations[0].responseDue).toMatchObject({ targetMinutes: 60, dueAt: new Date(now - 4 * 3_600_000).toISOString() });
      const soon = await send(`/api/v1/conversations?status=due_soon&inbox=${SEED_IDS.inbox}`, admin);
      expect(soon.body.conversations).toEqual([]);
      const badCursor = await storesNothing(() => send(`/api/v1/conversations?status=overdue&cursor=nope`, admin));
      expect(badCursor.status).toBe(400);
      expect(badCursor.body.error).toMatchObject({ code: "invalid_input", path: "cursor" });
    } finally {
      sqlite.prepare("UPDATE inboxes SET response_targets = NULL WHERE id = ?").run(SEED_IDS.inbox);
      const put = sqlite.prepare("UPDATE conversations SET waiting_since = ? WHERE id = ?");
      for (const row of saved) put.run(row.waiting_since, row.id);
    }
  });

  it("says whose hours a response target counts in: the team's name when its own hours count, else null", async () => {
    const id = sqlite
      .prepare("SELECT id FROM conversations WHERE inbox_id = ? AND is_preview = 0 AND status = 'open' AND snoozed_until IS NULL ORDER BY id LIMIT 1")
      .pluck()
      .get(SEED_IDS.inbox) as string;
    const saved = sqlite.prepare("SELECT team_id, waiting_since FROM conversations WHERE id = ?").get(id) as { team_id: string | null; waiting_since: number | null };
    sqlite.prepare("UPDATE conversations SET waiting_since = ?, team_id = ? WHERE id = ?").run(Date.now() - 3_600_000, SEED_IDS.salesTeam, id);
    const due = async () => (await send(`/api/v1/conversations/${id}`, admin)).body.conversation.responseDue;
    try {
      // Business hours: the demo's Sales team keeps its own (Europe/Berlin), so they count.
      sqlite.prepare("UPDATE inboxes SET response_targets = ? WHERE id = ?").run(JSON.stringify({ firstResponseMinutes: 60, nextReplyMinutes: 60, businessHours: true }), SEED_IDS.inbox);
      expect(await due()).toMatchObject({ targetMinutes: 60, teamHours: "Sales" });
      // The same conversation with no team: the workspace's hours, named by null.
      sqlite.prepare("UPDATE conversations SET team_id = NULL WHERE id = ?").run(id);
      expect((await due()).teamHours).toBeNull();
      // Around the clock, a team's hours do not count either.
      sqlite.prepare("UPDATE conversations SET team_id = ? WHERE id = ?").run(SEED_IDS.salesTeam, id);
      sqlite.prepare("UPDATE inboxes SET response_targets = ? WHERE id = ?").run(JSON.stringify({ firstResponseMinutes: 60, nextReplyMinutes: 60, businessHours: false }), SEED_IDS.inbox);
      expect(await due()).toEqual({ kind: expect.any(String), targetMinutes: 60, dueAt: expect.any(String), teamHours: null });
    } finally {
      sqlite.prepare("UPDATE inboxes SET response_targets = NULL WHERE id = ?").run(SEED_IDS.inbox);
      sqlite.prepare("UPDATE conversations SET waiting_since = ?, team_id = ? WHERE id = ?").run(saved.waiting_since, saved.team_id, id);
    }
  });

  it("refuses a bad filter with 400 and its field", async () => {
    const status = await send("/api/v1/conversations?status=done", admin);
    expect(status.status).toBe(400);
    expect(status.body.error).toMatchObject({ code: "invalid_input", path: "status" });
    expect(status.body.error.message).toContain("overdue, due_soon");
    const limit = await send("/api/v1/conversations?limit=0", admin);
    expect(limit.status).toBe(400);
    expect(limit.body.error.path).toBe("limit");
    // Not a number at all: one issue in the same words, not Schema's "Unable to decode…".
    const word = await send("/api/v1/conversations?limit=abc", admin);
    expect(word.status).toBe(400);
    expect(word.body.error.issues).toEqual([{ path: "limit", message: "a limit is a whole number between 1 and 200" }]);
    const contacts = await send("/api/v1/contacts?limit=abc", admin);
    expect(contacts.status).toBe(400);
    expect(contacts.body.error.issues).toEqual([{ path: "limit", message: "a limit is a whole number" }]);
  });

  it("refuses a filter naming an unknown inbox, person, team, channel or label with 400 and its field, not an empty list", async () => {
    for (const [query, path, message] of [
      ["inbox=inbox_nope", "inbox", "no such inbox"],
      ["assignee=user_nope", "assignee", "no such user"],
      ["team=team_nope", "team", "no such team"],
      ["channel=chan_nope", "channel", "no such channel"],
      ["label=label_nope", "label", "no such label"],
    ] as const) {
      const res = await send(`/api/v1/conversations?${query}`, admin);
      expect(res.status, query).toBe(400);
      expect(res.body.error, query).toMatchObject({ code: "invalid_input", path, message: `${path}: ${message}`, issues: [{ path, message }] });
    }
    // Every unknown filter is named at once, in the order of the table in docs/api.md.
    const two = await send("/api/v1/conversations?label=label_nope&inbox=inbox_nope", admin);
    expect(two.body.error.issues).toEqual([
      { path: "inbox", message: "no such inbox" },
      { path: "label", message: "no such label" },
    ]);
    // Known ones, and `me` / `none` for the assignee, list as before.
    for (const query of [`inbox=${SEED_IDS.inbox}`, `team=${SEED_IDS.team}`, `channel=${SEED_IDS.channel}`, "label=label_vip", "assignee=me", "assignee=none"]) {
      expect((await send(`/api/v1/conversations?${query}`, agent)).status, query).toBe(200);
    }
    const team = await send(`/api/v1/conversations?status=closed&team=${SEED_IDS.team}&limit=200`, admin);
    for (const c of team.body.conversations) expect(c.team?.id).toBe(SEED_IDS.team);
    const channel = await send(`/api/v1/conversations?status=closed&channel=${SEED_IDS.channel}&limit=200`, admin);
    for (const c of channel.body.conversations) expect(c.channel.id).toBe(SEED_IDS.channel);
  });

  it("reads one conversation with its messages and comments", async () => {
    await runtime.runPromise(Effect.void);
    const comment = await send(`/api/v1/conversations/${id}/messages`, admin, { body: { text: "Internal note", internal: true } });
    expect(comment.status).toBe(201);
    const read = await send(`/api/v1/conversations/${id}`, agent);
    expect(read.status).toBe(200);
    expect(read.body.conversation).toMatchObject({ id, status: "open", inbox: { id: SEED_IDS.inbox } });
    expect(read.body.messages.length).toBeGreaterThan(0);
    const note = read.body.messages.find((m: { text: string }) => m.text === "Internal note");
    expect(note).toMatchObject({ author: "agent", internal: true, userId: SEED_IDS.admin });
    expect(Array.isArray(note.attachments)).toBe(true);
    const missing = await send("/api/v1/conversations/conv_nope", agent);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("not_found");
  });

  it("replies as the token's user through the inbox (event, live feed, list)", async () => {
    // A visitor's new chat: no earlier reply of its own is queued, so the follow-up loop (every
    // 15 s, on its own timer) has nothing of it to look at while this runs.
    const { conversationId: id } = await startVisitorChat(app, app.leadFlowId);
    expect(sqlite.prepare("SELECT count(*) FROM follow_up_queue WHERE conversation_id = ?").pluck().get(id)).toBe(0);
    const res = await send(`/api/v1/conversations/${id}/messages`, agent, { body: { text: "Hello from the CRM" } });
    expect(res.status).toBe(201);
    expect(res.body.message).toMatchObject({ author: "agent", text: "Hello from the CRM", internal: false, userId: SEED_IDS.agent });
    const stored = sqlite.prepare("SELECT author, user_id, is_internal FROM messages WHERE id = ?").get(Number(res.body.message.id));
    expect(stored).toEqual({ author: "agent", user_id: SEED_IDS.agent, is_internal: 0 });
    // The same events the composer's reply makes (reports count replies from them).
    const event = sqlite.prepare("SELECT data FROM events WHERE conversation_id = ? AND user_id = ? AND type = 'message_created' ORDER BY id DESC LIMIT 1").pluck().get(id, SEED_IDS.agent);
    expect(event).toBeDefined();
    // A chat reply the visitor may miss queues its follow-up check, as the composer's does.
    expect(sqlite.prepare("SELECT first_message_id FROM follow_up_queue WHERE conversation_id = ?").pluck().get(id)).toBe(Number(res.body.message.id));
  });

  it("lists a reply's files with a download URL the token can fetch (and no one outside the inbox)", async () => {
    const content = Buffer.from("quote line 1\nquote line 2\n");
    const user = await userOf(SEED_IDS.agent);
    await runtime.runPromise(
      Effect.flatMap(Inbox, (inbox) =>
        inbox.reply({ conversationId: id, text: "The quote", clientMessageId: `files-${Date.now()}`, files: [{ filename: "quote.txt", contentType: "text/plain", content }] }, user),
      ),
    );
    const read = await send(`/api/v1/conversations/${id}`, agent);
    const message = read.body.messages.find((m: { text: string }) => m.text === "The quote");
    expect(message.attachments).toEqual([{ id: expect.any(String), name: "quote.txt", type: "text/plain", size: content.length, url: expect.stringMatching(/^\/api\/v1\/attachments\//) }]);
    const url = message.attachments[0].url as string;
    const res = await fetch(base + url, { headers: { Authorization: `Bearer ${agent}` } });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(content);
    expect((await send(url, analyst)).status).toBe(404);
    expect((await send(url, undefined)).status).toBe(401);
  });

  it("refuses a bad message with 400 and its field, and stores nothing", async () => {
    for (const [body, path] of [
      [{}, "text"],
      [{ text: 5 }, "text"],
      [{ text: "x".repeat(4001) }, "text"],
      [{ text: "hi", internal: "yes" }, "internal"],
    ] as const) {
      const res = await storesNothing(() => send(`/api/v1/conversations/${id}/messages`, agent, { body }), id);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "invalid_input", path });
    }
    const notJson = await storesNothing(() => send(`/api/v1/conversations/${id}/messages`, agent, { body: "{oops" }), id);
    expect(notJson.status).toBe(400);
    const form = await storesNothing(() => send(`/api/v1/conversations/${id}/messages`, agent, { body: "text=hi", headers: { "Content-Type": "application/x-www-form-urlencoded" } }), id);
    expect(form.status).toBe(415);
    const huge = await storesNothing(() => send(`/api/v1/conversations/${id}/messages`, agent, { body: { text: "x".repeat(20_000) } }), id);
    expect(huge.status).toBe(413);
    const blank = await storesNothing(() => send(`/api/v1/conversations/${id}/messages`, agent, { body: { text: "   " } }), id);
    expect(blank.status).toBe(400);
    const unknown = await storesNothing(() => send("/api/v1/conversations/conv_nope/messages", agent, { body: { text: "hi" } }));
    expect(unknown.status).toBe(404);
  });

  it("keeps an analyst's token out of the inbox, and an agent's out of others' inboxes", async () => {
    const reply = await storesNothing(() => send(`/api/v1/conversations/${id}/messages`, analyst, { body: { text: "hi" } }), id);
    expect(reply.status).toBe(403);
    expect(reply.body.error.code).toBe("forbidden");
    expect((await send("/api/v1/conversations", analyst)).status).toBe(403);
    expect((await send(`/api/v1/conversations/${id}`, analyst)).status).toBe(403);
    const membership = sqlite.prepare("DELETE FROM inbox_members WHERE inbox_id = ? AND user_id = ?").run(SEED_IDS.inbox, SEED_IDS.agent);
    expect(membership.changes).toBe(1);
    try {
      expect((await send(`/api/v1/conversations/${id}`, agent)).status).toBe(403);
      // An inbox one is not a member of reads as one that does not exist: its id says nothing.
      for (const query of [`inbox=${SEED_IDS.inbox}`, `channel=${SEED_IDS.channel}`]) {
        const filtered = await send(`/api/v1/conversations?${query}`, agent);
        expect(filtered.status, query).toBe(400);
        const unknown = await send(`/api/v1/conversations?${query.replace("=", "=x_")}`, agent);
        expect(filtered.body, query).toEqual(unknown.body);
      }
      const listed = await send("/api/v1/conversations", agent);
      expect(listed.status).toBe(200);
      expect(listed.body.conversations).toEqual([]);
      const write = await storesNothing(() => send(`/api/v1/conversations/${id}/status`, agent, { body: { status: "closed" } }), id);
      expect(write.status).toBe(403);
    } finally {
      sqlite.prepare("INSERT INTO inbox_members (inbox_id, user_id) VALUES (?, ?)").run(SEED_IDS.inbox, SEED_IDS.agent);
    }
  });

  it("assigns to a person or a team, with the version check", async () => {
    const res = await send(`/api/v1/conversations/${id}/assign`, admin, { body: { assigneeId: SEED_IDS.agent } });
    expect(res.status).toBe(200);
    expect(res.body.conversation.assignee).toMatchObject({ id: SEED_IDS.agent });
    expect(conversationRow(id).assignee_id).toBe(SEED_IDS.agent);
    const team = await send(`/api/v1/conversations/${id}/assign`, admin, { body: { teamId: SEED_IDS.team, expectedVersion: res.body.conversation.version } });
    expect(team.status).toBe(200);
    expect(conversationRow(id)).toMatchObject({ assignee_id: SEED_IDS.agent, team_id: SEED_IDS.team });
    const stale = await storesNothing(() => send(`/api/v1/conversations/${id}/assign`, admin, { body: { assigneeId: null, expectedVersion: 1 } }), id);
    expect(stale.status).toBe(409);
    const nobody = await storesNothing(() => send(`/api/v1/conversations/${id}/assign`, admin, { body: {} }), id);
    expect(nobody.status).toBe(400);
    const unknownUser = await storesNothing(() => send(`/api/v1/conversations/${id}/assign`, admin, { body: { assigneeId: "user_nope" } }), id);
    expect([400, 404]).toContain(unknownUser.status);
    // The error names the field the caller sent, not the inbox's own name for it.
    const analystAssignee = await storesNothing(() => send(`/api/v1/conversations/${id}/assign`, admin, { body: { assigneeId: SEED_IDS.analyst } }), id);
    expect(analystAssignee.status).toBe(400);
    expect(analystAssignee.body.error.path).toBe("assigneeId");
    expect(analystAssignee.body.error.issues).toEqual([{ path: "assigneeId", message: expect.stringContaining("cannot work in this conversation's inbox") }]);
    const badType = await storesNothing(() => send(`/api/v1/conversations/${id}/assign`, admin, { body: { teamId: 7 } }), id);
    expect(badType.status).toBe(400);
    expect(badType.body.error.path).toBe("teamId");
  });

  it("sets the status (pending, closed, open again), with the version check", async () => {
    const pending = await send(`/api/v1/conversations/${id}/status`, agent, { body: { status: "pending" } });
    expect(pending.status).toBe(200);
    expect(conversationRow(id).status).toBe("pending");
    const closed = await send(`/api/v1/conversations/${id}/status`, agent, { body: { status: "closed", expectedVersion: pending.body.conversation.version } });
    expect(closed.status).toBe(200);
    expect(conversationRow(id).status).toBe("closed");
    const stale = await storesNothing(() => send(`/api/v1/conversations/${id}/status`, agent, { body: { status: "open", expectedVersion: pending.body.conversation.version } }), id);
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("conflict");
    const reopened = await send(`/api/v1/conversations/${id}/status`, agent, { body: { status: "open" } });
    expect(reopened.status).toBe(200);
    expect(conversationRow(id).status).toBe("open");
    const bad = await storesNothing(() => send(`/api/v1/conversations/${id}/status`, agent, { body: { status: "snoozed" } }), id);
    expect(bad.status).toBe(400);
    expect(bad.body.error.path).toBe("status");
    const badVersion = await storesNothing(() => send(`/api/v1/conversations/${id}/status`, agent, { body: { status: "closed", expectedVersion: "3" } }), id);
    expect(badVersion.status).toBe(400);
    expect(badVersion.body.error.path).toBe("expectedVersion");
  });

  it("adds and removes a label", async () => {
    const added = await send(`/api/v1/conversations/${id}/labels/label_bug`, agent, { method: "POST" });
    expect(added.status).toBe(200);
    expect(added.body.labels.map((l: { id: string }) => l.id)).toContain("label_bug");
    expect(sqlite.prepare("SELECT count(*) FROM conversation_labels WHERE conversation_id = ? AND label_id = 'label_bug'").pluck().get(id)).toBe(1);
    const removed = await send(`/api/v1/conversations/${id}/labels/label_bug`, agent, { method: "DELETE" });
    expect(removed.status).toBe(200);
    expect(sqlite.prepare("SELECT count(*) FROM conversation_labels WHERE conversation_id = ? AND label_id = 'label_bug'").pluck().get(id)).toBe(0);
    const unknown = await storesNothing(() => send(`/api/v1/conversations/${id}/labels/label_nope`, agent, { method: "POST" }), id);
    expect(unknown.status).toBe(404);
  });

  it("answers unknown paths with 404 and wrong methods with 405", async () => {
    expect((await send("/api/v1/nope", admin)).status).toBe(404);
    expect((await send("/api/v1/conversations/x/y/z/w", admin)).status).toBe(404);
    const wrong = await send("/api/v1/me", admin, { method: "DELETE" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET");
  });
});

describe("contacts", () => {
  it("creates, reads, lists and edits a contact with the contacts pages' validation", async () => {
    const created = await send("/api/v1/contacts", agent, { body: { email: "  Zoe@Example.COM ", name: "Zoe Zimmer", phone: "+49 30 1234567" } });
    expect(created.status).toBe(201);
    expect(created.body.contact).toMatchObject({ email: "zoe@example.com", name: "Zoe Zimmer", phone: "+49301234567", owner: { id: SEED_IDS.agent } });
    const id = created.body.contact.id as string;
    const read = await send(`/api/v1/contacts/${id}`, agent);
    expect(read.status).toBe(200);
    expect(read.body.contact.email).toBe("zoe@example.com");
    const found = await send("/api/v1/contacts?q=zimmer", agent);
    expect(found.status).toBe(200);
    expect(found.body.contacts.map((c: { id: string }) => c.id)).toContain(id);
    const edited = await send(`/api/v1/contacts/${id}`, agent, { method: "PATCH", body: { name: "Zoe Z.", properties: { plan: "pro" } } });
    expect(edited.status).toBe(200);
    expect(edited.body.contact).toMatchObject({ name: "Zoe Z.", email: "zoe@example.com", properties: { plan: "pro" } });
    const page = await send("/api/v1/contacts?limit=1", agent);
    expect(page.body.contacts.length).toBe(1);
    const next = await send(`/api/v1/contacts?limit=1&cursor=${encodeURIComponent(page.body.nextCursor)}`, agent);
    expect(next.status).toBe(200);
    expect(next.body.contacts[0].id).not.toBe(page.body.contacts[0].id);
  });

  it("refuses bad contacts with 400 and the field, and stores nothing", async () => {
    for (const [body, path] of [
      [{ email: "not an email" }, "email"],
      [{ phone: "12" }, "phone"],
      [{ name: 5 }, "name"],
    ] as const) {
      const res = await storesNothing(() => send("/api/v1/contacts", agent, { body }));
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "invalid_input", path });
    }
    const empty = await storesNothing(() => send("/api/v1/contacts", agent, { body: {} }));
    expect(empty.status).toBe(400);
    const array = await storesNothing(() => send("/api/v1/contacts", agent, { body: [] }));
    expect(array.status).toBe(400);
    const id = sqlite.prepare("SELECT id FROM contacts ORDER BY rowid LIMIT 1").pluck().get() as string;
    const before = sqlite.prepare("SELECT * FROM contacts WHERE id = ?").get(id);
    const patch = await storesNothing(() => send(`/api/v1/contacts/${id}`, agent, { method: "PATCH", body: { email: "x@", name: "New" } }));
    expect(patch.status).toBe(400);
    expect(patch.body.error.path).toBe("email");
    expect(sqlite.prepare("SELECT * FROM contacts WHERE id = ?").get(id)).toEqual(before);
    const missing = await storesNothing(() => send("/api/v1/contacts/contact_nope", agent, { method: "PATCH", body: { name: "x" } }));
    expect(missing.status).toBe(404);
    expect((await send("/api/v1/contacts/contact_nope", agent)).status).toBe(404);
  });

  it("keeps roles that do not work with contacts out", async () => {
    expect((await send("/api/v1/contacts", analyst)).status).toBe(403);
    const id = sqlite.prepare("SELECT id FROM contacts ORDER BY rowid LIMIT 1").pluck().get() as string;
    expect((await send(`/api/v1/contacts/${id}`, analyst)).status).toBe(403);
    const create = await storesNothing(() => send("/api/v1/contacts", analyst, { body: { name: "Nope" } }));
    expect(create.status).toBe(403);
  });
});
