import BetterSqlite3 from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrations } from "../sql/migrations.js";
import { migrate, openDatabase, type DatabaseShape } from "./database.js";

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
