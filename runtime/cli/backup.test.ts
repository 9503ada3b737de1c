import BetterSqlite3 from "better-sqlite3";
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrations } from "../sql/migrations.js";
import { openDatabase } from "../services/database.js";
import { BackupError, backupDatabase, databasePathFromEnv, main } from "./backup.js";

const newestMigration = Math.max(...migrations.map((m) => m.version));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "parley-backup-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A real Parley database (every migration), with `extra` SQL run on it. */
const parleyDatabase = async (name: string, extra = ""): Promise<string> => {
  const path = join(dir, name);
  const database = openDatabase({ path });
  if (extra) database.sqlite.exec(extra);
  await database.close();
  return path;
};

const expectBackupError = async (promise: Promise<unknown>, path: string, reason: RegExp) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BackupError);
  expect((error as BackupError).path).toBe(resolve(path));
  expect((error as BackupError).reason).toMatch(reason);
};

const leftovers = () => readdirSync(dir).filter((f) => f.includes(".partial-"));

describe("backupDatabase", () => {
  it("copies a Parley database, checks it and reports its schema version", async () => {
    const source = await parleyDatabase("parley.sqlite", "INSERT INTO teams (id, name, created_at) VALUES ('t1', 'Support', 1)");
    const target = join(dir, "copy.sqlite");
    const result = await backupDatabase({ source, target });
    expect(result).toMatchObject({ source, target, schemaVersion: newestMigration, replaced: false });
    expect(result.pages).toBeGreaterThan(10);
    const copy = new BetterSqlite3(target, { readonly: true });
    expect(copy.prepare("SELECT name FROM teams").all()).toEqual([{ name: "Support" }]);
    copy.close();
    expect(leftovers()).toEqual([]);
  });

  it("includes commits that are still only in the -wal file, which a plain file copy misses", async () => {
    const source = await parleyDatabase("parley.sqlite");
    const live = new BetterSqlite3(source);
    live.pragma("journal_mode = WAL");
    live.pragma("wal_autocheckpoint = 0");
    live.exec("INSERT INTO teams (id, name, created_at) VALUES ('t1', 'Only in the WAL', 1)");
    try {
      expect(existsSync(source + "-wal")).toBe(true);
      copyFileSync(source, join(dir, "plain-copy.sqlite"));
      const plain = new BetterSqlite3(join(dir, "plain-copy.sqlite"), { readonly: true });
      expect(plain.prepare("SELECT count(*) AS n FROM teams").get()).toEqual({ n: 0 });
      plain.close();

      const target = join(dir, "copy.sqlite");
      await backupDatabase({ source, target });
      const copy = new BetterSqlite3(target, { readonly: true });
      expect(copy.prepare("SELECT name FROM teams").all()).toEqual([{ name: "Only in the WAL" }]);
      copy.close();
    } finally {
      live.close();
    }
  });

  it("takes a consistent snapshot while another process keeps writing in WAL mode", async () => {
    // Every transaction of the writer inserts one row into each of two tables: a torn copy
    // would hold different counts.
    const source = await parleyDatabase(
      "parley.sqlite",
      "CREATE TABLE ledger_a (n INTEGER PRIMARY KEY, pad TEXT); CREATE TABLE ledger_b (n INTEGER PRIMARY KEY, pad TEXT);",
    );
    const writerScript = `
      const Database = require("better-sqlite3");
      const db = new Database(process.argv[1]);
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      db.pragma("busy_timeout = 5000");
      const a = db.prepare("INSERT INTO ledger_a (n, pad) VALUES (?, ?)");
      const b = db.prepare("INSERT INTO ledger_b (n, pad) VALUES (?, ?)");
      const pair = db.transaction((n) => { a.run(n, "x".repeat(2000)); b.run(n, "y".repeat(2000)); });
      let n = 0, stop = false;
      process.stdin.on("data", () => { stop = true; });
      const tick = () => {
        if (stop) { db.close(); process.stdout.write("stopped " + n + "\\n"); return; }
        for (let i = 0; i < 20; i++) pair(++n);
        if (n % 200 === 0) process.stdout.write("wrote " + n + "\\n");
        setImmediate(tick);
      };
      tick();
    `;
    const writer: ChildProcess = spawn(process.execPath, ["-e", writerScript, source], {
      cwd: resolve(__dirname, "../.."),
      stdio: ["pipe", "pipe", "inherit"],
    });
    let output = "";
    const waitFor = (pattern: RegExp) =>
      new Promise<RegExpMatchArray>((done, fail) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            writer.stdout!.off("data", onData);
            done(match);
          }
        };
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          check();
        };
        writer.stdout!.on("data", onData);
        writer.once("exit", (code) => fail(new Error(`writer exited (${code}): ${output}`)));
        check();
      });
    try {
      await waitFor(/wrote (\d*[02468]000)\n/); // a few MB in, still writing
      const targets = [join(dir, "during-1.sqlite"), join(dir, "during-2.sqlite")];
      for (const target of targets) await backupDatabase({ source, target });
      writer.stdin!.write("stop\n");
      const [, finalCount] = (await waitFor(/stopped (\d+)\n/)) as RegExpMatchArray;

      const counts = targets.map((target) => {
        const copy = new BetterSqlite3(target, { readonly: true });
        const a = (copy.prepare("SELECT count(*) AS n, coalesce(max(n), 0) AS top FROM ledger_a").get() as { n: number; top: number });
        const b = (copy.prepare("SELECT count(*) AS n, coalesce(max(n), 0) AS top FROM ledger_b").get() as { n: number; top: number });
        copy.close();
        expect(b).toEqual(a);
        expect(a.n).toBe(a.top); // no gaps: every committed pair up to the snapshot is there
        return a.n;
      });
      expect(counts[0]).toBeGreaterThanOrEqual(2000);
      // Taken while the writer ran: the copies stop short of its last row, and the second saw more.
      expect(counts[1]).toBeLessThan(Number(finalCount));
      expect(counts[1]).toBeGreaterThanOrEqual(counts[0]!);
    } finally {
      if (writer.exitCode === null) writer.kill();
    }
  }, 60_000);

  it("refuses to overwrite an existing target unless forced, then replaces it and its stale -wal/-shm", async () => {
    const source = await parleyDatabase("parley.sqlite", "INSERT INTO teams (id, name, created_at) VALUES ('t1', 'New', 1)");
    const target = join(dir, "copy.sqlite");
    writeFileSync(target, "an older backup");
    await expectBackupError(backupDatabase({ source, target }), target, /already exists; pass --force/);
    expect(leftovers()).toEqual([]);

    writeFileSync(target + "-wal", "stale");
    writeFileSync(target + "-shm", "stale");
    const result = await backupDatabase({ source, target, force: true });
    expect(result.replaced).toBe(true);
    expect(existsSync(target + "-wal")).toBe(false);
    expect(existsSync(target + "-shm")).toBe(false);
    const copy = new BetterSqlite3(target, { readonly: true });
    expect(copy.prepare("SELECT name FROM teams").all()).toEqual([{ name: "New" }]);
    copy.close();
  });

  it("names a missing source and does not create it", async () => {
    const source = join(dir, "missing.sqlite");
    await expectBackupError(backupDatabase({ source, target: join(dir, "copy.sqlite") }), source, /no such database file/);
    expect(existsSync(source)).toBe(false);
    expect(existsSync(join(dir, "copy.sqlite"))).toBe(false);
  });

  it("names an unwritable target: a folder that does not exist, a file posing as its folder, a directory", async () => {
    const source = await parleyDatabase("parley.sqlite");
    const noFolder = join(dir, "nope", "copy.sqlite");
    await expectBackupError(backupDatabase({ source, target: noFolder }), join(dir, "nope"), /folder does not exist/);
    writeFileSync(join(dir, "file"), "x");
    await expectBackupError(
      backupDatabase({ source, target: join(dir, "file", "copy.sqlite") }),
      join(dir, "file"),
      /not a directory/,
    );
    mkdirSync(join(dir, "folder"));
    await expectBackupError(backupDatabase({ source, target: join(dir, "folder"), force: true }), join(dir, "folder"), /is a directory/);
    await expectBackupError(backupDatabase({ source, target: source, force: true }), source, /the database itself/);
  });

  it("refuses a SQLite file that is not a Parley database, and a file that is not SQLite at all", async () => {
    const other = join(dir, "other.sqlite");
    const db = new BetterSqlite3(other);
    db.exec("CREATE TABLE notes (body TEXT)");
    db.close();
    await expectBackupError(backupDatabase({ source: other, target: join(dir, "a.sqlite") }), other, /no schema_migrations table/);

    const text = join(dir, "notes.txt");
    writeFileSync(text, "this is not a database, just some text that is long enough to have a header".repeat(20));
    await expectBackupError(backupDatabase({ source: text, target: join(dir, "b.sqlite") }), text, /not a SQLite database/);
    expect(existsSync(join(dir, "a.sqlite"))).toBe(false);
    expect(existsSync(join(dir, "b.sqlite"))).toBe(false);
    expect(leftovers()).toEqual([]);
  });
});

describe("the command line", () => {
  const run = async (args: string[], env: Record<string, string | undefined> = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(args, env, (l) => out.push(l), (l) => err.push(l));
    return { code, out: out.join("\n"), err: err.join("\n") };
  };

  it("reads the database from DATABASE_PATH and prints what it wrote", async () => {
    const source = await parleyDatabase("parley.sqlite");
    const target = join(dir, "copy.sqlite");
    const result = await run([target], { DATABASE_PATH: source });
    expect(result).toMatchObject({ code: 0, err: "" });
    expect(result.out).toContain(`Wrote ${target}:`);
    expect(result.out).toContain(`schema version ${newestMigration}, integrity ok (from ${source})`);
    expect((await run([target], { DATABASE_PATH: source })).code).toBe(1);
    expect((await run(["--force", target], { DATABASE_PATH: source })).out).toContain(`Replaced ${target}`);
  });

  it("takes --database over DATABASE_PATH, and reports errors with the path and exit code 1", async () => {
    const source = await parleyDatabase("parley.sqlite");
    const ok = await run(["--database", source, join(dir, "copy.sqlite")], { DATABASE_PATH: join(dir, "elsewhere.sqlite") });
    expect(ok.code).toBe(0);
    const missing = await run([join(dir, "x.sqlite")], { DATABASE_PATH: join(dir, "elsewhere.sqlite") });
    expect(missing).toMatchObject({ code: 1, out: "" });
    expect(missing.err).toBe(`backup: ${join(dir, "elsewhere.sqlite")}: no such database file (check DATABASE_PATH or --database)`);
  });

  it("answers usage errors with exit code 2", async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(["a", "b"])).code).toBe(2);
    expect((await run(["--bogus", "a"])).code).toBe(2);
    expect((await run(["--help"])).out).toContain("Usage: npm run backup");
  });

  it("defaults to the server's database path", () => {
    expect(databasePathFromEnv({})).toBe(resolve("./data/parley.sqlite"));
    expect(databasePathFromEnv({ DATABASE_PATH: "" })).toBe(resolve("./data/parley.sqlite"));
    expect(databasePathFromEnv({ DATABASE_PATH: "/srv/parley/db.sqlite" })).toBe("/srv/parley/db.sqlite");
  });
});
