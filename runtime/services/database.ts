/**
 * The one SQLite connection of the process (better-sqlite3, WAL, synchronous=FULL), its
 * migrations, and the group-commit writer.
 *
 * Why one connection: two connections in one process can deadlock (one holding a
 * transaction across an await while the other blocks synchronously on the lock). Why
 * better-sqlite3 directly: its prepared statements ran ~6x faster than the Effect SQL driver
 * on this machine (docs/decisions/004-store.md).
 *
 * Group commit: `write(fn)` queues `fn`; queued writes run in ONE transaction (one fsync),
 * each inside its own SAVEPOINT so one failing write rolls back alone and fails only its own
 * caller. A caller's promise settles only after the COMMIT that made its write durable.
 *
 * Group statements: after each BEGIN the schema's GROUP_BEGIN_STATEMENTS, and before each
 * COMMIT its GROUP_STATEMENTS (runtime/sql/migrations.ts) run in the same transaction, so
 * derived data (the message search index, report roll-ups) catch up with what the group wrote
 * once per group instead of once per row in a trigger.
 */
import BetterSqlite3 from "better-sqlite3";
import { Context, Data, Effect, Layer } from "effect";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { registerNameKey } from "../sql/name-key.js";
import { GROUP_BEGIN_STATEMENTS, GROUP_STATEMENTS, migrations, type GroupStatement } from "../sql/migrations.js";

export type Sqlite = BetterSqlite3.Database;
export type Statement = BetterSqlite3.Statement;

export interface DatabaseOptions {
  readonly path: string;
  /** `FULL` (default) survives a power cut; `NORMAL` only a process crash. */
  readonly synchronous?: "FULL" | "NORMAL";
  /** Most writes grouped into one transaction (default 256). */
  readonly maxGroup?: number;
}

export interface DatabaseShape {
  /** The connection, for synchronous reads. Do not hold transactions across awaits. */
  readonly sqlite: Sqlite;
  /**
   * A prepared statement, cached by its SQL text and shared by every caller of that text;
   * `.pluck()` / `.raw()` on it return a statement of their own in that mode (also cached), so
   * no caller changes what the others read.
   */
  readonly prepare: (sql: string) => Statement;
  /**
   * Runs `fn` inside the next group transaction; resolves after that transaction commits. The
   * group's temporary storage is in memory (its statement journals): a TEMP table or a sort built
   * inside `fn` takes memory for its whole size, so keep those out of writes.
   */
  readonly write: <T>(fn: (sqlite: Sqlite) => T) => Promise<T>;
  /** `write` as an Effect; an error thrown by `fn` (or by the commit) fails it with `WriteFailed`. */
  readonly writeEffect: <T>(fn: (sqlite: Sqlite) => T) => Effect.Effect<T, WriteFailed>;
  /** Waits for queued writes, then closes the connection. */
  readonly close: () => Promise<void>;
  /** Figures of the writer since start, for benches, health checks and metrics. */
  readonly stats: () => DatabaseStats;
  /**
   * Calls `observer` after every write group, committed or not, with its size and how long it
   * held the writer (BEGIN to COMMIT, the fsync included). For metrics; returns the unsubscribe.
   * An observer that throws is dropped, never fails a write.
   */
  readonly observeGroups: (observer: GroupObserver) => () => void;
  /**
   * Runs the group statements now, inside the caller's transaction: for writers that bypass
   * `write` (bulk loads, tools, tests) and need derived tables current before they read them.
   * Opening the database does it once too, so rows written by any earlier process count.
   */
  readonly catchUp: () => void;
  /**
   * Copies the WAL into the database file and truncates it to nothing (`wal_checkpoint(TRUNCATE)`),
   * so the old page images it held are gone from disk. Call it between writes, never inside one:
   * false when a transaction is open, or when a reader in another process still needed old frames
   * (SQLite waits up to the busy timeout for it); the WAL then keeps them until a later checkpoint.
   */
  readonly truncateWal: () => boolean;
}

/** The writer's figures since the database was opened. */
export interface DatabaseStats {
  /** Groups committed. */
  readonly commits: number;
  /** Writes in committed groups (a write whose `fn` threw counts: its group committed). */
  readonly writes: number;
  /** Writes whose own `fn` threw (rolled back to their savepoint; the others committed). */
  readonly failedWrites: number;
  /** Groups whose COMMIT (or a group statement) failed: every write in them failed. */
  readonly failedGroups: number;
  /** Writes waiting for the next group now. */
  readonly queued: number;
}

/** What an observer hears of one write group. */
export interface GroupEnd {
  readonly writes: number;
  readonly seconds: number;
  readonly committed: boolean;
}
export type GroupObserver = (group: GroupEnd) => void;

/** A group write failed: `cause` is what `fn` threw, or the commit's error. */
export class WriteFailed extends Data.TaggedError("WriteFailed")<{ readonly cause: unknown }> {}

export class Database extends Context.Tag("Database")<Database, DatabaseShape>() {}

/**
 * Runs `fn` inside the caller's write with deleted content overwritten: SQLite's `secure_delete`
 * zeroes a deleted or updated row's old bytes and every page it frees, and FTS5's `secure-delete`
 * takes the deleted rows' terms out of the index segments that hold them (otherwise they stay
 * there until a merge rewrites the segment). Both are off again when `fn` returns or throws.
 * FTS5 bumps a table's format to version 5 the first time (SQLite 3.42 and later read it).
 */
export const erasing = <T>(sqlite: Sqlite, ftsTables: ReadonlyArray<string>, fn: () => T): T => {
  const ftsSwitch = (on: 0 | 1) => {
    // A literal: FTS5 wants an integer, and better-sqlite3 binds a JS number as a real.
    for (const table of ftsTables) sqlite.prepare(`INSERT INTO ${table} (${table}, rank) VALUES ('secure-delete', ${on})`).run();
  };
  sqlite.pragma("secure_delete = ON");
  try {
    ftsSwitch(1);
    return fn();
  } finally {
    ftsSwitch(0);
    sqlite.pragma("secure_delete = OFF");
  }
};

/** Applies every migration newer than the stored version, each in its own transaction. */
export const migrate = (sqlite: Sqlite): ReadonlyArray<number> => {
  sqlite.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
  );
  const applied = new Set(
    (sqlite.prepare("SELECT version FROM schema_migrations").all() as Array<{ version: number }>).map((r) => r.version),
  );
  registerNameKey(sqlite);
  const ran: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    sqlite.transaction(() => {
      sqlite.exec(migration.sql);
      sqlite
        .prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
        .run(migration.version, migration.name, Date.now());
    })();
    ran.push(migration.version);
  }
  return ran;
};

/**
 * Event-loop turns a group may wait for more writes to join it (see flushWhenSettled). Under the
 * runtime bench's 50 conversations, 1–2 turns carried ~10% more messages per second than 0 (every
 * turn reads the requests that arrived while the previous one ran); more did not help.
 */
const MAX_GATHER_TURNS = 2;

interface QueuedWrite {
  readonly fn: (sqlite: Sqlite) => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Opens (creating folders and the file as needed), configures and migrates the database. */
export const openDatabase = (options: DatabaseOptions): DatabaseShape => {
  if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
  const sqlite = new BetterSqlite3(options.path);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma(`synchronous = ${options.synchronous ?? "FULL"}`);
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  // Checkpoint every 1,000 WAL pages (SQLite's default), written out so nobody raises it again
  // without the figures: every 10,000 pages copied hot pages less often, but each checkpoint then
  // stalled the commit that ran it for 30–190 ms. Under the runtime bench, five runs each: p99 25–30
  // ms at 1,000 against 33–36 ms at 10,000, messages/s the same (docs/decisions/004-store.md).
  // A page cache (64 MB) that holds the hot pages spares reads.
  sqlite.pragma("wal_autocheckpoint = 1000");
  sqlite.pragma("cache_size = -65536");
  migrate(sqlite);

  const compile = (steps: ReadonlyArray<GroupStatement>) =>
    steps.map((step): (() => void) => {
      if (typeof step !== "string") return () => step(sqlite);
      const statement = sqlite.prepare(step);
      return () => statement.run();
    });
  const groupStatements = compile(GROUP_STATEMENTS);
  const groupBeginStatements = compile(GROUP_BEGIN_STATEMENTS);
  const catchUp = () => {
    for (const run of groupStatements) run();
  };
  sqlite.transaction(catchUp).immediate();

  // Transaction control as prepared statements: `exec` compiles its SQL on every call.
  const begin = sqlite.prepare("BEGIN IMMEDIATE");
  const commit = sqlite.prepare("COMMIT");
  const savepoint = sqlite.prepare("SAVEPOINT w");
  const release = sqlite.prepare("RELEASE w");
  const rollbackTo = sqlite.prepare("ROLLBACK TO w");
  // A write group keeps its statement journals in memory. Every write runs in a SAVEPOINT, and
  // SQLite keeps the old content of the pages a savepoint changes in a statement journal; past
  // 64 KB (a bot turn's pages often are) it spills to a temp file on disk and stays one until the
  // COMMIT. Under the runtime bench that was ~15,000 pwrite calls to temp files against ~3,300 to
  // the WAL, and ~15% of the server's CPU per request (docs/decisions/004-store.md, 28 November).
  // SQLite reads the setting at BEGIN. Outside a group it is the default again, so a large sort
  // or a TEMP table (the migrations' report replays) still goes to disk, not to memory.
  // Switching it closes the TEMP database and drops whatever it holds, so a group switches only
  // while none is open: never at run time, where nothing makes TEMP objects, but a test's or a
  // tool's TEMP trigger keeps working (its groups then journal as before).
  const journalsInMemory = sqlite.prepare("PRAGMA temp_store = MEMORY");
  const journalsByDefault = sqlite.prepare("PRAGMA temp_store = DEFAULT");
  const databaseList = sqlite.prepare("PRAGMA database_list");
  const tempDatabaseOpen = () => (databaseList.all() as Array<{ name: string }>).some((d) => d.name === "temp");
  // The migrations' replays leave the TEMP database open and empty: close it (a switch does).
  if (tempDatabaseOpen() && sqlite.prepare("SELECT count(*) FROM temp.sqlite_master").pluck().get() === 0) {
    sqlite.pragma("temp_store = FILE");
    sqlite.pragma("temp_store = DEFAULT");
  }

  const statements = new Map<string, Statement>();
  const moded = new Map<string, Statement>();
  /** A statement of its own for `sql` in pluck or raw mode, cached too. */
  const inMode = (sql: string, mode: "pluck" | "raw"): Statement => {
    const key = `${mode}:${sql}`;
    let statement = moded.get(key);
    if (!statement) {
      statement = mode === "pluck" ? sqlite.prepare(sql).pluck(true) : sqlite.prepare(sql).raw(true);
      moded.set(key, statement);
    }
    return statement;
  };
  const prepare = (sql: string): Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      const shared = sqlite.prepare(sql);
      // Every caller of one SQL text gets this one statement, so pluck() and raw() must not switch
      // it for the others (two-factor once plucked the settings query Reports reads rows from):
      // they hand out a statement of their own in that mode instead.
      shared.pluck = ((on?: boolean) => (on === false ? shared : inMode(sql, "pluck"))) as Statement["pluck"];
      shared.raw = ((on?: boolean) => (on === false ? shared : inMode(sql, "raw"))) as Statement["raw"];
      statements.set(sql, shared);
      statement = shared;
    }
    return statement;
  };

  const maxGroup = options.maxGroup ?? 256;
  let queue: QueuedWrite[] = [];
  let scheduled = false;
  let closed = false;
  let commits = 0;
  let writes = 0;
  let failedWrites = 0;
  let failedGroups = 0;
  let idle: Array<() => void> = [];
  let observers: ReadonlyArray<GroupObserver> = [];
  const tellObservers = (group: GroupEnd) => {
    for (const observer of observers) {
      try {
        observer(group);
      } catch {
        observers = observers.filter((o) => o !== observer);
      }
    }
  };

  const flush = () => {
    scheduled = false;
    while (queue.length > 0) {
      const group = queue.slice(0, maxGroup);
      queue = queue.slice(group.length);
      const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
      let committed = false;
      const startedAt = observers.length > 0 ? performance.now() : 0;
      const switched = !tempDatabaseOpen();
      try {
        if (switched) journalsInMemory.run();
        begin.run();
        for (const run of groupBeginStatements) run();
        for (const write of group) {
          savepoint.run();
          try {
            const value = write.fn(sqlite);
            release.run();
            outcomes.push({ ok: true, value });
          } catch (error) {
            rollbackTo.run();
            release.run();
            failedWrites++;
            outcomes.push({ ok: false, error });
          }
        }
        // A group statement that fails fails the whole group: derived tables never disagree with
        // their rows. They run even when every write failed: the begin statements must be undone.
        catchUp();
        commit.run();
        committed = true;
        commits++;
        writes += group.length;
      } catch (error) {
        if (sqlite.inTransaction) sqlite.exec("ROLLBACK");
        failedGroups++;
        for (const write of group) write.reject(error);
      }
      // (A TEMP object made inside the group stays, and so does the setting while it lives.)
      if (switched && !tempDatabaseOpen()) journalsByDefault.run();
      if (observers.length > 0) tellObservers({ writes: group.length, seconds: (performance.now() - startedAt) / 1000, committed });
      if (committed) {
        group.forEach((write, i) => {
          const outcome = outcomes[i]!;
          if (outcome.ok) write.resolve(outcome.value);
          else write.reject(outcome.error);
        });
      }
    }
    const waiting = idle;
    idle = [];
    waiting.forEach((done) => done());
  };

  // While requests keep arriving, a group waits for the event loop to read what else is ready:
  // each further turn costs a poll without waiting (no timer, no idle time), and every turn that
  // joins the group shares its fsync. A turn that brings nothing new commits the group.
  let seen = 0;
  let turns = 0;
  const flushWhenSettled = () => {
    if (queue.length > seen && turns < MAX_GATHER_TURNS && queue.length < maxGroup) {
      seen = queue.length;
      turns++;
      setImmediate(flushWhenSettled);
      return;
    }
    seen = 0;
    turns = 0;
    flush();
  };

  const write = <T>(fn: (sqlite: Sqlite) => T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (closed) {
        reject(new Error("the database is closed"));
        return;
      }
      queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!scheduled) {
        scheduled = true;
        // setImmediate lets every request that arrived in this turn of the event loop join the group.
        setImmediate(flushWhenSettled);
      }
    });

  return {
    sqlite,
    prepare,
    write,
    writeEffect: (fn) => Effect.tryPromise({ try: () => write(fn), catch: (cause) => new WriteFailed({ cause }) }),
    stats: () => ({ commits, writes, failedWrites, failedGroups, queued: queue.length }),
    observeGroups: (observer) => {
      observers = [...observers, observer];
      return () => {
        observers = observers.filter((o) => o !== observer);
      };
    },
    catchUp,
    // Writes run synchronously inside flush(), so between them no transaction is open (unless a
    // caller broke the rule and held one): the check makes such a bug a `false`, not a hang.
    truncateWal: () => {
      if (sqlite.inTransaction) return false;
      const [outcome] = sqlite.pragma("wal_checkpoint(TRUNCATE)") as Array<{ busy: number }>;
      return outcome !== undefined && outcome.busy === 0;
    },
    close: async () => {
      if (closed) return;
      if (queue.length > 0 || scheduled) await new Promise<void>((done) => idle.push(done));
      closed = true;
      sqlite.close();
    },
  };
};

/** The Database layer: opened on acquire, drained and closed on release. */
export const layer = (options: DatabaseOptions): Layer.Layer<Database> =>
  Layer.scoped(
    Database,
    Effect.acquireRelease(
      Effect.sync(() => openDatabase(options)),
      (database) => Effect.promise(() => database.close()),
    ),
  );
