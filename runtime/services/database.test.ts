import BetterSqlite3 from "better-sqlite3";
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GROUP_STATEMENTS, migrations } from "../sql/migrations.js";
import { REBUILD_REPORT_ROLLUPS_SQL } from "../sql/report-rollups.js";
import { erasing, migrate, openDatabase, type DatabaseShape } from "./database.js";

let dir: string;
let path: string;
let db: DatabaseShape;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "parley-db-"));
  path = join(dir, "test.sqlite");
  db = openDatabase({ path });
  db.sqlite.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)");
});

afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const count = (sqlite: BetterSqlite3.Database = db.sqlite) =>
  (sqlite.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n;

describe("group commit", () => {
  it("commits writes that arrive together in one transaction", async () => {
    const before = db.stats();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => db.write((s) => s.prepare("INSERT INTO t (v) VALUES (?)").run(`v${i}`).lastInsertRowid)),
    );
    expect(results).toHaveLength(40);
    expect(count()).toBe(40);
    const after = db.stats();
    expect(after.writes - before.writes).toBe(40);
    // All forty were queued in one turn of the event loop: one commit, one fsync.
    expect(after.commits - before.commits).toBe(1);
  });

  it("lets writes that arrive in the next turns of the event loop join a group while they keep coming", async () => {
    const before = db.stats();
    const insert = (v: string) => db.write((s) => s.prepare("INSERT INTO t (v) VALUES (?)").run(v));
    const first = insert("turn 0");
    const later = await new Promise<Array<Promise<unknown>>>((resolve) =>
      setImmediate(() => {
        const second = insert("turn 1");
        setImmediate(() => resolve([second, insert("turn 2")]));
      }),
    );
    await Promise.all([first, ...later]);
    expect(db.stats().commits - before.commits).toBe(1);
    expect(count()).toBe(3);
  });

  it("fails only the write that threw; the others in its group commit", async () => {
    await db.write((s) => s.prepare("INSERT INTO t (v) VALUES ('taken')").run());
    const outcomes = await Promise.allSettled([
      db.write((s) => s.prepare("INSERT INTO t (v) VALUES ('a')").run()),
      db.write((s) => {
        s.prepare("INSERT INTO t (v) VALUES ('half-done')").run();
        // A unique violation after a successful insert: both statements must be undone.
        s.prepare("INSERT INTO t (v) VALUES ('taken')").run();
      }),
      db.write((s) => s.prepare("INSERT INTO t (v) VALUES ('b')").run()),
      db.write(() => {
        throw new Error("boom");
      }),
      db.write((s) => s.prepare("INSERT INTO t (v) VALUES ('c')").run()),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled", "rejected", "fulfilled"]);
    expect((outcomes[3] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
    const values = (db.sqlite.prepare("SELECT v FROM t ORDER BY v").all() as Array<{ v: string }>).map((r) => r.v);
    expect(values).toEqual(["a", "b", "c", "taken"]);
  });

  it("settles a write only after its transaction committed (another connection sees it)", async () => {
    const reader = new BetterSqlite3(path, { readonly: true });
    try {
      let seenInsideWrite = -1;
      const pending = db.write((s) => {
        s.prepare("INSERT INTO t (v) VALUES ('x')").run();
        // Inside the group transaction: not committed, so another connection cannot see it.
        seenInsideWrite = count(reader);
        return s.inTransaction;
      });
      // Queued, not yet run: nothing is visible.
      expect(count(reader)).toBe(0);
      const ranInTransaction = await pending;
      expect(ranInTransaction).toBe(true);
      expect(seenInsideWrite).toBe(0);
      expect(db.sqlite.inTransaction).toBe(false);
      expect(count(reader)).toBe(1);
    } finally {
      reader.close();
    }
  });

  it("keeps the durable setting it was opened with", () => {
    expect(db.sqlite.pragma("synchronous", { simple: true })).toBe(2); // FULL
    expect(db.sqlite.pragma("journal_mode", { simple: true })).toBe("wal");
  });

  // Linux names a process's open files under /proc; elsewhere there is nothing to look at.
  it.skipIf(!existsSync("/proc/self/fd"))("keeps a write's statement journal in memory: a savepoint over many pages opens no temp file", async () => {
    // Rows spread over ~150 pages, committed; then one write changes them all inside its
    // savepoint, so SQLite journals every page's old content (~600 KB, past its 64 KB spill).
    const big = "x".repeat(2_000);
    await db.write((s) => {
      const insert = s.prepare("INSERT INTO t (v) VALUES (?)");
      for (let i = 0; i < 300; i++) insert.run(`${i}:${big}`);
    });
    // SQLite unlinks its temp files at once ("etilqs_…"); the open descriptor still names one.
    const tempFilesOpen = () =>
      readdirSync("/proc/self/fd").filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).includes("etilqs_");
        } catch {
          return false;
        }
      }).length;
    const seen = await db.write((s) => {
      s.prepare("UPDATE t SET v = v || '!'").run();
      return tempFilesOpen();
    });
    expect(seen).toBe(0);
    // Outside a group the default again: large sorts and TEMP tables go to disk, not memory.
    expect(db.sqlite.pragma("temp_store", { simple: true })).toBe(0);
    expect(db.sqlite.prepare("SELECT count(*) FROM t WHERE v LIKE '%!'").pluck().get()).toBe(300);
  });

  it("shares one statement per SQL text, and pluck() or raw() on it never switch what the other callers read", () => {
    db.sqlite.exec("INSERT INTO t (v) VALUES ('a')");
    const sql = "SELECT v FROM t WHERE id = ?";
    expect(db.prepare(sql)).toBe(db.prepare(sql));
    expect(db.prepare(sql).pluck().get(1)).toBe("a");
    expect(db.prepare(sql).raw().get(1)).toEqual(["a"]);
    // The caller that reads rows still gets rows, before and after the others.
    expect(db.prepare(sql).get(1)).toEqual({ v: "a" });
    expect(db.prepare(sql).pluck(false).get(1)).toEqual({ v: "a" });
  });

  it("writeEffect fails with WriteFailed carrying the thrown error", async () => {
    const { Effect, Either } = await import("effect");
    const result = await Effect.runPromise(
      Effect.either(
        db.writeEffect(() => {
          throw new Error("nope");
        }),
      ),
    );
    expect(Either.isLeft(result)).toBe(true);
    if (Either.isLeft(result)) {
      expect(result.left._tag).toBe("WriteFailed");
      expect((result.left.cause as Error).message).toBe("nope");
    }
  });

  it("erasing switches SQLite's and FTS5's secure delete on for its function only, also when it throws", async () => {
    const switches = (s: BetterSqlite3.Database) => ({
      sqlite: s.pragma("secure_delete", { simple: true }),
      fts: (s.prepare("SELECT v FROM messages_fts_config WHERE k = 'secure-delete'").get() as { v: number } | undefined)?.v ?? 0,
    });
    const seen: unknown[] = [];
    await db.write((s) => erasing(s, ["messages_fts"], () => seen.push(switches(s))));
    const failed = db.write((s) =>
      erasing(s, ["messages_fts"], () => {
        seen.push(switches(s));
        throw new Error("a bug halfway");
      }),
    );
    await expect(failed).rejects.toThrow("a bug halfway");
    expect(seen).toEqual([
      { sqlite: 1, fts: 1 },
      { sqlite: 1, fts: 1 },
    ]);
    expect(switches(db.sqlite)).toEqual({ sqlite: 0, fts: 0 });
  });

  it("truncateWal empties the WAL between writes, and refuses inside one", async () => {
    const wal = `${path}-wal`;
    let inside: boolean | undefined;
    await db.write((s) => {
      s.prepare("INSERT INTO t (v) VALUES ('x')").run();
      inside = db.truncateWal();
    });
    expect(inside).toBe(false);
    expect(statSync(wal).size).toBeGreaterThan(0);
    expect(db.truncateWal()).toBe(true);
    expect(statSync(wal).size).toBe(0);
    expect(count()).toBe(1);
  });

  it("close waits for queued writes, then refuses new ones", async () => {
    const pending = db.write((s) => s.prepare("INSERT INTO t (v) VALUES ('last')").run());
    await db.close();
    await expect(pending).resolves.toBeDefined();
    await expect(db.write(() => 1)).rejects.toThrow(/closed/);
    const reopened = new BetterSqlite3(path, { readonly: true });
    expect(count(reopened)).toBe(1);
    reopened.close();
    db = openDatabase({ path }); // for afterEach
  });
});

describe("migrations", () => {
  it("apply once; a second run (a restart) applies nothing and keeps the data", () => {
    const sqlite = new BetterSqlite3(join(dir, "m.sqlite"));
    try {
      const first = migrate(sqlite);
      expect(first).toEqual(migrations.map((m) => m.version).sort((a, b) => a - b));
      sqlite
        .prepare("INSERT INTO teams (id, name, created_at) VALUES ('t1', 'Support', 1)")
        .run();
      expect(migrate(sqlite)).toEqual([]);
      const versions = (sqlite.prepare("SELECT version FROM schema_migrations ORDER BY version").all() as Array<{ version: number }>).map(
        (r) => r.version,
      );
      expect(versions).toEqual(first);
      expect((sqlite.prepare("SELECT name FROM teams").get() as { name: string }).name).toBe("Support");
    } finally {
      sqlite.close();
    }
  });

  it("a database reopened by openDatabase is not migrated twice", async () => {
    await db.close();
    db = openDatabase({ path });
    const rows = db.sqlite.prepare("SELECT count(*) AS n FROM schema_migrations").get() as { n: number };
    expect(rows.n).toBe(migrations.length);
  });
});

describe("a group's messages", () => {
  const seedConversations = () =>
    db.sqlite.exec(`
      INSERT INTO inboxes (id, name, created_at) VALUES ('inbox_a', 'A', 1);
      INSERT INTO channels (id, inbox_id, kind, name, created_at) VALUES ('chan_a', 'inbox_a', 'chat', 'Chat', 1);
      INSERT INTO conversations (id, channel_id, inbox_id, status, created_at, updated_at, last_activity_at) VALUES
        ('c1', 'chan_a', 'inbox_a', 'open', 1, 1, 1), ('c2', 'chan_a', 'inbox_a', 'open', 1, 1, 1);
    `);
  const say = (s: BetterSqlite3.Database, conversation: string, author: string, text: string) =>
    Number(
      s
        .prepare("INSERT INTO messages (conversation_id, author, text, created_at) VALUES (?, ?, ?, 1)")
        .run(conversation, author, text).lastInsertRowid,
    );
  const search = (query: string) =>
    (db.sqlite.prepare("SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid").all(query) as Array<{ rowid: number }>).map(
      (r) => r.rowid,
    );
  const lastMessageIds = () =>
    db.sqlite.prepare("SELECT id, last_message_id FROM conversations ORDER BY id").all() as Array<{ id: string; last_message_id: number | null }>;
  const integrityCheck = () => db.sqlite.exec("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')");

  it("are searchable and counted as each conversation's newest once their group commits, failed writes left out", async () => {
    seedConversations();
    let indexedInsideTheGroup: number[] = [];
    const [visitor, agent, failed] = await Promise.allSettled([
      db.write((s) => {
        const id = say(s, "c1", "visitor", "my parcel is late");
        say(s, "c1", "bot", "Sorry to hear that, parcel tracking follows");
        indexedInsideTheGroup = search('"parcel"');
        return id;
      }),
      db.write((s) => say(s, "c2", "agent", "refund issued")),
      db.write((s) => {
        say(s, "c1", "visitor", "ghost parcel");
        throw new Error("this write fails");
      }),
    ]);
    if (visitor.status !== "fulfilled" || agent.status !== "fulfilled") throw new Error("the good writes failed");
    expect(failed.status).toBe("rejected");
    // Deferred while the group was open (that is the saving); indexed before its COMMIT.
    expect(indexedInsideTheGroup).toEqual([]);
    expect(search('"parcel"')).toEqual([visitor.value]);
    expect(search('"refund"')).toEqual([agent.value]);
    expect(search('"ghost"')).toEqual([]);
    expect(lastMessageIds()).toEqual([
      { id: "c1", last_message_id: visitor.value + 1 },
      { id: "c2", last_message_id: agent.value },
    ]);
    expect(() => integrityCheck()).not.toThrow();

    // A writer outside any group keeps the per-row triggers: searchable at once.
    const direct = say(db.sqlite, "c2", "visitor", "parcel found");
    expect(search('"parcel"')).toEqual([visitor.value, direct]);
    expect(lastMessageIds()[1]).toEqual({ id: "c2", last_message_id: direct });
  });

  it("queue a chat follow-up with each conversation's oldest agent reply, in a group and outside one; comments and bots never", async () => {
    seedConversations();
    const queue = () => db.sqlite.prepare("SELECT conversation_id, first_message_id FROM follow_up_queue ORDER BY conversation_id").all();
    const [first] = await Promise.all([
      db.write((s) => {
        say(s, "c1", "bot", "a bot's answer");
        const id = say(s, "c1", "agent", "first reply");
        say(s, "c1", "agent", "second reply");
        s.prepare("INSERT INTO messages (conversation_id, author, text, is_internal, created_at) VALUES ('c2', 'agent', 'a comment', 1, 1)").run();
        return id;
      }),
    ]);
    expect(queue()).toEqual([{ conversation_id: "c1", first_message_id: first }]);
    // Outside a group the trigger does it; a conversation already queued keeps its oldest reply.
    const direct = say(db.sqlite, "c2", "agent", "direct reply");
    say(db.sqlite, "c1", "agent", "third reply");
    expect(queue()).toEqual([
      { conversation_id: "c1", first_message_id: first },
      { conversation_id: "c2", first_message_id: direct },
    ]);
  });

  it("edited or deleted inside their own group are indexed as they end up", async () => {
    seedConversations();
    const indexed = say(db.sqlite, "c1", "visitor", "old words here");
    const [kept] = await Promise.all([
      db.write((s) => {
        const id = say(s, "c1", "visitor", "draft text");
        s.prepare("UPDATE messages SET text = 'final text' WHERE id = ?").run(id);
        const gone = say(s, "c1", "agent", "vanishing text");
        s.prepare("DELETE FROM messages WHERE id = ?").run(gone);
        const demoted = say(s, "c1", "visitor", "demoted text");
        s.prepare("UPDATE messages SET author = 'bot' WHERE id = ?").run(demoted);
        // A row indexed before the group still follows its edits at once.
        s.prepare("UPDATE messages SET text = 'new words' WHERE id = ?").run(indexed);
        return id;
      }),
    ]);
    expect(search('"text"')).toEqual([kept]);
    expect(search('"final"')).toEqual([kept]);
    expect(search('"old"')).toEqual([]);
    expect(search('"words"')).toEqual([indexed]);
    expect(() => integrityCheck()).not.toThrow();
  });
});

describe("group statements", () => {
  it("each reads only the group's new messages (by id), never walks every message: they run before every group's COMMIT", () => {
    migrate(db.sqlite);
    for (const statement of GROUP_STATEMENTS) {
      if (typeof statement !== "string") continue;
      const plan = (db.sqlite.prepare(`EXPLAIN QUERY PLAN ${statement}`).all() as Array<{ detail: string }>).map((row) => row.detail);
      // A full scan of messages (by table or by any index) grows with the database: a group statement must search it.
      expect(plan.filter((detail) => /^SCAN (messages|m)\b/.test(detail)), statement).toEqual([]);
    }
  });

  const insertEvent = (s: BetterSqlite3.Database, type: string, conversation: string, node: string | null, from: string | null, at: number, port = "next") =>
    s
      .prepare(
        `INSERT INTO events (type, at, conversation_id, chatflow_id, chatflow_version_id, node_id, port, from_node_id, inbox_id, channel_id, is_preview)
         VALUES (?, ?, ?, 'F', 'v1', ?, ?, ?, 'i1', 'ch1', 0)`,
      )
      .run(type, at, conversation, node, port, from);
  const counters = () => ({
    nodeHours: db.sqlite.prepare("SELECT * FROM report_node_hours ORDER BY node_id, hour").all(),
    nodeDays: db.sqlite.prepare("SELECT * FROM report_node_days ORDER BY node_id, day").all(),
    edgeHours: db.sqlite.prepare("SELECT * FROM report_edge_hours ORDER BY from_node_id, to_node_id, hour").all(),
    edgeDays: db.sqlite.prepare("SELECT * FROM report_edge_days ORDER BY from_node_id, to_node_id, day").all(),
  });
  const t0 = Date.UTC(2026, 0, 10, 17, 50);

  it("fold the report counters once per group, adding up across groups exactly as a rebuild from the log counts", async () => {
    // A node event before its conversation's session started does not count.
    await db.write((s) => insertEvent(s, "node_entered", "c1", "early", null, t0));
    await Promise.all(["c1", "c2", "c3"].map((c) => db.write((s) => insertEvent(s, "flow_started", c, null, null, t0))));
    // Three groups; in each, every conversation walks a -> b -> c (the same edges, several times per group).
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        ["c1", "c2", "c3"].map((c) =>
          db.write((s) => {
            insertEvent(s, "node_entered", c, "a", null, t0 + round);
            // c3 takes another port out of a in the last round: the same nodes, another edge.
            insertEvent(s, "node_entered", c, "b", "a", t0 + round, c === "c3" && round === 2 ? "other" : "next");
            insertEvent(s, "answered", c, "b", null, t0 + round);
            insertEvent(s, "node_entered", c, "c", "b", t0 + round);
            insertEvent(s, "completed", c, "c", null, t0 + round);
          }),
        ),
      );
    }
    const live = counters();
    const edge = (from: string, to: string, port = "next") =>
      (live.edgeHours as Array<{ from_node_id: string; port: string; to_node_id: string; traffic: number }>).find(
        (e) => e.from_node_id === from && e.port === port && e.to_node_id === to,
      )?.traffic;
    expect(edge("a", "b")).toBe(8);
    expect(edge("a", "b", "other")).toBe(1);
    expect(edge("b", "c")).toBe(9);
    const node = (id: string) => (live.nodeHours as Array<Record<string, unknown>>).find((n) => n.node_id === id);
    expect(node("early")).toBeUndefined();
    expect(node("a")).toMatchObject({ reached: 9, starts: 9, left_by: 9 });
    expect(node("b")).toMatchObject({ reached: 9, answered: 9, left_by: 9 });
    expect(node("c")).toMatchObject({ reached: 9, left_by: 9 });
    db.sqlite.transaction(() => db.sqlite.exec(REBUILD_REPORT_ROLLUPS_SQL))();
    expect(counters()).toEqual(live);
  });

  it("fold sessions, conversations, replies and arms per group exactly as a rebuild from the log does", async () => {
    const put = (s: BetterSqlite3.Database, c: string, type: string, at: number, extra: { node?: string; user?: string; team?: string; data?: unknown } = {}) =>
      s
        .prepare(
          `INSERT INTO events (type, at, conversation_id, chatflow_id, chatflow_version_id, node_id, user_id, inbox_id, channel_id, team_id, is_preview, data)
           VALUES (?, ?, ?, 'F', 'v1', ?, ?, 'i1', 'ch1', ?, 0, ?)`,
        )
        .run(type, at, c, extra.node ?? null, extra.user ?? null, extra.team ?? null, extra.data === undefined ? null : JSON.stringify(extra.data));
    const tables = () =>
      Object.fromEntries(
        ["report_bot_sessions", "report_conversations", "report_replies", "report_arms"].map((table) => [
          table,
          db.sqlite.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all(),
        ]),
      );
    // c1: an arm taken before its session started (not counted), then created, started and split in one group.
    await db.write((s) => put(s, "c1", "split_arm", t0, { node: "split", data: { armId: "early" } }));
    await Promise.all([
      db.write((s) => {
        put(s, "c1", "conversation_created", t0);
        put(s, "c1", "flow_started", t0);
        put(s, "c1", "split_arm", t0, { node: "split", data: { armId: "a" } });
      }),
      db.write((s) => {
        put(s, "c2", "conversation_created", t0);
        put(s, "c2", "flow_started", t0);
      }),
    ]);
    // Later groups: visitors answer, c2 is handed off, an agent replies twice, c2 closes; c1 completes.
    await Promise.all([
      db.write((s) => put(s, "c1", "message_created", t0 + 60_000, { data: { author: "visitor" } })),
      db.write((s) => {
        put(s, "c2", "message_created", t0 + 60_000, { data: { author: "visitor" } });
        put(s, "c2", "handed_off", t0 + 60_000, { node: "h" });
        put(s, "c2", "handoff", t0 + 60_000, { node: "h", team: "t1" });
      }),
    ]);
    await db.write((s) => put(s, "c2", "message_created", t0 + 120_000, { user: "u1", data: { author: "agent" } }));
    await Promise.all([
      db.write((s) => put(s, "c2", "message_created", t0 + 180_000, { data: { author: "visitor" } })),
      db.write((s) => put(s, "c1", "completed", t0 + 180_000, { node: "end" })),
    ]);
    await db.write((s) => {
      put(s, "c2", "message_created", t0 + 240_000, { user: "u1", data: { author: "agent" } });
      put(s, "c2", "status_changed", t0 + 300_000, { data: { from: "open", to: "closed" } });
    });
    const live = tables();
    expect(live.report_arms).toEqual([{ conversation_id: "c1", node_id: "split", arm_id: "a" }]);
    expect(live.report_bot_sessions).toMatchObject([
      { conversation_id: "c1", outcome: "completed", interacted: 1 },
      { conversation_id: "c2", outcome: "handed_off", interacted: 1 },
    ]);
    expect(live.report_replies).toMatchObject([
      { conversation_id: "c2", is_first: 1, first_response_ms: 60_000, wait_ms: 60_000 },
      { conversation_id: "c2", is_first: 0, wait_ms: 60_000 },
    ]);
    expect(live.report_conversations).toMatchObject([{ conversation_id: "c1", phase: "bot" }, { conversation_id: "c2", phase: "closed", time_to_close_ms: 300_000 }]);
    db.sqlite.transaction(() => db.sqlite.exec(REBUILD_REPORT_ROLLUPS_SQL))();
    expect(tables()).toEqual(live);
  });

  it("fail the whole group when one of them fails, so counters never disagree with their events", async () => {
    db.sqlite.exec("ALTER TABLE report_fold_cursor RENAME TO report_fold_cursor_away");
    try {
      const outcomes = await Promise.allSettled([
        db.write((s) => s.prepare("INSERT INTO t (v) VALUES ('kept?')").run()),
        db.write((s) => insertEvent(s, "flow_started", "c9", null, null, t0)),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
      expect(count()).toBe(0);
      expect((db.sqlite.prepare("SELECT count(*) AS n FROM events").get() as { n: number }).n).toBe(0);
    } finally {
      db.sqlite.exec("ALTER TABLE report_fold_cursor_away RENAME TO report_fold_cursor");
    }
    await db.write((s) => s.prepare("INSERT INTO t (v) VALUES ('after')").run());
    expect(count()).toBe(1);
  });

  it("catch up at open with events written around write()", async () => {
    db.sqlite.transaction(() => {
      insertEvent(db.sqlite, "flow_started", "c1", null, null, t0);
      insertEvent(db.sqlite, "node_entered", "c1", "a", null, t0);
    })();
    expect(counters().nodeHours).toEqual([]);
    await db.close();
    db = openDatabase({ path });
    expect(counters().nodeHours).toMatchObject([{ node_id: "a", reached: 1 }]);
  });
});
