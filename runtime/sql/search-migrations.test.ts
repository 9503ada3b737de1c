/**
 * The full-text tables (migrations 4 and 8) and the routing queue trigger (migration 3) stay in
 * sync with the rows they mirror, for new rows and for rows that existed before the migration;
 * migration 47 backfills `unassigned_since` for the conversations already in the inbox.
 */
import BetterSqlite3 from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { migrate, type Sqlite } from "../services/database.js";
import { migrations } from "./migrations.js";
import { registerNameKey } from "./name-key.js";

let db: Sqlite;
afterEach(() => db?.close());

const fresh = () => {
  db = new BetterSqlite3(":memory:");
  migrate(db);
  seedWorkspace();
  return db;
};

const seedWorkspace = () =>
  db.exec(`
    INSERT INTO inboxes (id, name, created_at) VALUES ('inbox_a', 'A', 1);
    INSERT INTO channels (id, inbox_id, kind, name, created_at) VALUES ('chan_a', 'inbox_a', 'chat', 'Chat', 1);
    INSERT INTO conversations (id, channel_id, inbox_id, status, created_at, updated_at, last_activity_at)
      VALUES ('conv_1', 'chan_a', 'inbox_a', 'open', 1, 1, 1);
  `);

let messageSeq = 0;
const message = (author: string, text: string) =>
  Number(
    db
      .prepare("INSERT INTO messages (conversation_id, author, text, client_message_id, created_at) VALUES ('conv_1', ?, ?, ?, 1)")
      .run(author, text, `c${++messageSeq}`).lastInsertRowid,
  );

const matchMessages = (query: string) =>
  (db.prepare("SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid").all(query) as Array<{ rowid: number }>).map((r) => r.rowid);
const matchContacts = (query: string) =>
  (db.prepare("SELECT contact_id FROM contacts_fts WHERE contacts_fts MATCH ? ORDER BY contact_id").all(query) as Array<{ contact_id: string }>).map(
    (r) => r.contact_id,
  );

describe("messages_fts", () => {
  it("indexes what visitors and agents wrote (comments too), not the bot's or system's lines", () => {
    fresh();
    const visitor = message("visitor", "My invoice from März is wrong");
    const agent = message("agent", "Refund issued for the invoice");
    const bot = message("bot", "Which invoice do you mean?");
    message("system", "The bot handed this conversation over. invoice: 42");
    expect(matchMessages('"invoice"')).toEqual([visitor, agent]);
    // Diacritics do not matter; prefixes work.
    expect(matchMessages('"marz"')).toEqual([visitor]);
    expect(matchMessages('"ref"*')).toEqual([agent]);
    expect(matchMessages('"which"')).toEqual([]);
    expect(bot).toBeGreaterThan(0);
  });

  it("follows edits and deletions", () => {
    fresh();
    const id = message("visitor", "shipping is late");
    db.prepare("UPDATE messages SET text = 'parcel arrived' WHERE id = ?").run(id);
    expect(matchMessages('"shipping"')).toEqual([]);
    expect(matchMessages('"parcel"')).toEqual([id]);
    db.prepare("UPDATE messages SET author = 'bot' WHERE id = ?").run(id);
    expect(matchMessages('"parcel"')).toEqual([]);
    db.prepare("UPDATE messages SET author = 'agent' WHERE id = ?").run(id);
    expect(matchMessages('"parcel"')).toEqual([id]);
    db.prepare("DELETE FROM messages WHERE id = ?").run(id);
    expect(matchMessages('"parcel"')).toEqual([]);
    // The index's own structure check (not against the content table: bot rows are left out on purpose).
    expect(() => db.exec("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")).not.toThrow();
  });

  it("indexes messages that existed before the search migrations, by the same rule", () => {
    db = new BetterSqlite3(":memory:");
    db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    for (const m of migrations.filter((m) => m.version <= 3)) {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations VALUES (?, ?, 0)").run(m.version, m.name);
    }
    seedWorkspace();
    const old = message("visitor", "password reset please");
    message("bot", "password reset link sent");
    db.exec("INSERT INTO contacts (id, email, name, created_at, updated_at) VALUES ('contact_1', 'ann@example.com', 'Ann Old', 1, 1)");
    migrate(db);
    expect(matchMessages('"password"')).toEqual([old]);
    expect(matchContacts('"ann"')).toEqual(["contact_1"]);
    expect(() => db.exec("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")).not.toThrow();
  });
});

describe("contacts_fts", () => {
  it("finds contacts by name, email parts and phone, and follows edits and deletions", () => {
    fresh();
    db.exec(`
      INSERT INTO contacts (id, email, name, phone, created_at, updated_at) VALUES
        ('c1', 'ann.lee@example.com', 'Ann Lee', '+4915112345', 1, 1),
        ('c2', 'bob@shop.example', 'Bob Brown', NULL, 1, 1);
    `);
    expect(matchContacts('"lee"')).toEqual(["c1"]);
    expect(matchContacts('"shop.example"')).toEqual(["c2"]);
    expect(matchContacts('"ann.lee@example.com"')).toEqual(["c1"]);
    expect(matchContacts('"4915112345"')).toEqual(["c1"]);
    db.exec("UPDATE contacts SET name = 'Robert Brown', email = 'robert@shop.example' WHERE id = 'c2'");
    expect(matchContacts('"bob"')).toEqual([]);
    expect(matchContacts('"robert"')).toEqual(["c2"]);
    db.exec("UPDATE contacts SET properties = '{\"plan\":\"pro\"}' WHERE id = 'c2'");
    expect(matchContacts('"robert"')).toEqual(["c2"]);
    db.exec("DELETE FROM contacts WHERE id = 'c1'");
    expect(matchContacts('"ann"')).toEqual([]);
    expect((db.prepare("SELECT COUNT(*) AS n FROM contact_search_rows").get() as { n: number }).n).toBe(1);
    expect((db.prepare("SELECT COUNT(*) AS n FROM contacts_fts").get() as { n: number }).n).toBe(1);
  });
});

describe("the routing queue column", () => {
  it("clears queued_at when any writer closes or assigns the conversation, and only then", () => {
    fresh();
    db.exec("INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES ('u1', 'u1@example.com', 'U', 'agent', 'x', 1)");
    const queuedAt = () => (db.prepare("SELECT queued_at FROM conversations WHERE id = 'conv_1'").get() as { queued_at: number | null }).queued_at;
    db.exec("UPDATE conversations SET queued_at = 5 WHERE id = 'conv_1'");
    db.exec("UPDATE conversations SET status = 'pending' WHERE id = 'conv_1'");
    expect(queuedAt()).toBeNull();
    db.exec("UPDATE conversations SET status = 'open', queued_at = 6 WHERE id = 'conv_1'");
    db.exec("UPDATE conversations SET team_id = NULL, version = version + 1 WHERE id = 'conv_1'");
    expect(queuedAt()).toBe(6);
    db.exec("UPDATE conversations SET assignee_id = 'u1' WHERE id = 'conv_1'");
    expect(queuedAt()).toBeNull();
  });
});

describe("conversations.last_message_id", () => {
  it("is the newest message's id, for messages written before and after the migration", () => {
    db = new BetterSqlite3(":memory:");
    db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    for (const m of migrations.filter((m) => m.version <= 8)) {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations VALUES (?, ?, 0)").run(m.version, m.name);
    }
    seedWorkspace();
    const lastId = () => (db.prepare("SELECT last_message_id AS id FROM conversations WHERE id = 'conv_1'").get() as { id: number | null }).id;
    message("visitor", "one");
    const before = message("bot", "two");
    migrate(db);
    expect(lastId()).toBe(before);
    const after = message("agent", "three");
    expect(lastId()).toBe(after);
  });
});

describe("conversations.unassigned_since (migration 47)", () => {
  it("starts the spell of each open or pending unassigned conversation at its newest such event, else its last activity", () => {
    db = new BetterSqlite3(":memory:");
    registerNameKey(db);
    db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    for (const m of migrations.filter((m) => m.version <= 46)) {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations VALUES (?, ?, 0)").run(m.version, m.name);
    }
    seedWorkspace();
    db.exec(`
      INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES ('usr_a', 'a@example.com', 'A', 'agent', 'x', 1);
      INSERT INTO conversations (id, channel_id, inbox_id, status, assignee_id, created_at, updated_at, last_activity_at) VALUES
        ('conv_unassigned', 'chan_a', 'inbox_a', 'open', NULL, 1, 1, 900),
        ('conv_pending', 'chan_a', 'inbox_a', 'pending', NULL, 1, 1, 800),
        ('conv_held', 'chan_a', 'inbox_a', 'open', 'usr_a', 1, 1, 700),
        ('conv_closed', 'chan_a', 'inbox_a', 'closed', NULL, 1, 1, 600),
        ('conv_bot', 'chan_a', 'inbox_a', 'bot', NULL, 1, 1, 500);
      INSERT INTO events (type, at, conversation_id, inbox_id, channel_id) VALUES
        ('conversation_created', 100, 'conv_unassigned', 'inbox_a', 'chan_a'),
        ('handoff', 200, 'conv_unassigned', 'inbox_a', 'chan_a'),
        ('unassigned', 300, 'conv_unassigned', 'inbox_a', 'chan_a'),
        ('message_created', 400, 'conv_unassigned', 'inbox_a', 'chan_a'),
        ('conversation_created', 150, 'conv_held', 'inbox_a', 'chan_a'),
        ('conversation_created', 150, 'conv_bot', 'inbox_a', 'chan_a');
    `);
    migrate(db);
    const since = (db.prepare("SELECT id, unassigned_since FROM conversations ORDER BY id").all() as Array<{ id: string; unassigned_since: number | null }>).map(
      (r) => [r.id, r.unassigned_since],
    );
    expect(since).toEqual([
      ["conv_1", 1],
      ["conv_bot", null],
      ["conv_closed", null],
      ["conv_held", null],
      ["conv_pending", 800],
      ["conv_unassigned", 300],
    ]);
  });
});
