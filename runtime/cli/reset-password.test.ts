import BetterSqlite3 from "better-sqlite3";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseShape } from "../services/database.js";
import { hashPassword, verifyPassword } from "../services/password.js";
import { main, ResetError, resetPassword } from "./reset-password.js";

let dir: string;
let path: string;
let server: DatabaseShape;

// One real Parley database per test, left open the way a running server holds it.
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-reset-"));
  path = join(dir, "parley.sqlite");
  server = openDatabase({ path });
  const hash = await hashPassword("old-password");
  const user = server.sqlite.prepare("INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, 1)");
  user.run("usr_admin", "admin@example.com", "Ada Admin", "admin", hash);
  user.run("usr_gone", "gone@example.com", "Gus Gone", "agent", hash);
  server.sqlite.prepare("UPDATE users SET disabled_at = 7 WHERE id = 'usr_gone'").run();
  const session = server.sqlite.prepare("INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, 'c', 1, 9e15)");
  session.run("s1", "usr_admin");
  session.run("s2", "usr_admin");
  session.run("s3", "usr_gone");
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const userRow = (id: string) =>
  server.sqlite.prepare("SELECT password_hash, disabled_at FROM users WHERE id = ?").get(id) as { password_hash: string; disabled_at: number | null };
const sessionsOf = (id: string) => (server.sqlite.prepare("SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?").get(id) as { n: number }).n;

const cli = async (args: ReadonlyArray<string>, env: Record<string, string | undefined>) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, env, (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join("\n"), err: err.join("\n") };
};

describe("reset-password", () => {
  it("generates a password, prints it once, and signs the user out, while the server's connection is open", async () => {
    const result = await cli(["Admin@Example.com"], { DATABASE_PATH: path });
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    const printed = /New password for admin@example\.com: (\S+)/.exec(result.out)?.[1];
    expect(printed).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(result.out).toContain("Signed out 2 sessions of Ada Admin.");
    // The server's own connection sees the commit at once (WAL, no restart).
    expect(await verifyPassword(printed!, userRow("usr_admin").password_hash)).toBe(true);
    expect(await verifyPassword("old-password", userRow("usr_admin").password_hash)).toBe(false);
    expect(sessionsOf("usr_admin")).toBe(0);
    expect(sessionsOf("usr_gone")).toBe(1);
  });

  it("takes NEW_PASSWORD, and enables a disabled user only with --enable", async () => {
    const kept = await cli(["gone@example.com"], { DATABASE_PATH: path, NEW_PASSWORD: "chosen-password" });
    expect(kept.code).toBe(0);
    expect(kept.out).toContain("New password set for gone@example.com (from NEW_PASSWORD).");
    expect(kept.out).not.toContain("chosen-password");
    expect(kept.out).toContain("Gus Gone is disabled and still cannot sign in: run again with --enable");
    expect(await verifyPassword("chosen-password", userRow("usr_gone").password_hash)).toBe(true);
    expect(userRow("usr_gone").disabled_at).toBe(7);
    expect(sessionsOf("usr_gone")).toBe(0);

    const enabled = await cli(["--enable", "--database", path, "gone@example.com"], { NEW_PASSWORD: "another-password" });
    expect(enabled.code).toBe(0);
    expect(enabled.out).toContain("Gus Gone was disabled and is enabled again.");
    expect(userRow("usr_gone").disabled_at).toBeNull();
  });

  it("refuses an unknown email, a too-short NEW_PASSWORD and a bad email, changing nothing", async () => {
    const before = userRow("usr_admin").password_hash;
    const unknown = await cli(["nobody@example.com"], { DATABASE_PATH: path });
    expect(unknown).toMatchObject({ code: 1, out: "" });
    expect(unknown.err).toBe(`reset-password: email: no user has the email nobody@example.com in ${resolve(path)}`);
    const short = await cli(["admin@example.com"], { DATABASE_PATH: path, NEW_PASSWORD: "short" });
    expect(short).toMatchObject({ code: 2, out: "", err: "reset-password: NEW_PASSWORD: a password has at least 8 characters" });
    const empty = await cli(["admin@example.com"], { DATABASE_PATH: path, NEW_PASSWORD: "" });
    expect(empty.err).toBe("reset-password: NEW_PASSWORD: a password has at least 8 characters");
    const bad = await cli(["not-an-email"], { DATABASE_PATH: path });
    expect(bad).toMatchObject({ code: 2, err: "reset-password: email: expected an email address like name@example.com" });
    expect(userRow("usr_admin").password_hash).toBe(before);
    expect(sessionsOf("usr_admin")).toBe(2);
  });

  it("refuses a missing database without creating one, and a file that is not Parley's", async () => {
    const missing = join(dir, "typo.sqlite");
    const result = await cli(["admin@example.com"], { DATABASE_PATH: missing });
    expect(result).toMatchObject({ code: 1, err: `reset-password: ${missing}: no such database file (check DATABASE_PATH or --database)` });
    expect(existsSync(missing)).toBe(false);
    const other = join(dir, "other.sqlite");
    new BetterSqlite3(other).exec("CREATE TABLE t (x)").close();
    const error = await resetPassword({ database: other, email: "admin@example.com", password: "long-enough" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResetError);
    expect((error as ResetError).message).toBe(`${other}: not a Parley database (it has no users table)`);
  });

  it("waits for a write the server holds instead of failing", async () => {
    // Another process holds the write lock for a moment, as the server's group commit does.
    const holder = spawn(
      process.execPath,
      [
        "-e",
        `const db = new (require("better-sqlite3"))(process.argv[1]);
         db.exec("BEGIN IMMEDIATE"); db.prepare("UPDATE users SET name = 'Ada Held' WHERE id = 'usr_admin'").run();
         console.log("locked"); setTimeout(() => { db.exec("COMMIT"); db.close(); }, 400);`,
        path,
      ],
      { cwd: resolve(__dirname, "../.."), stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((done) => holder.stdout!.once("data", () => done()));
    const started = Date.now();
    const result = await cli(["admin@example.com"], { DATABASE_PATH: path, NEW_PASSWORD: "after-the-lock" });
    await new Promise((done) => holder.once("exit", done));
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    // It waited for the commit (busy_timeout); without it the write fails with SQLITE_BUSY at once.
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(await verifyPassword("after-the-lock", userRow("usr_admin").password_hash)).toBe(true);
    expect((server.sqlite.prepare("SELECT name FROM users WHERE id = 'usr_admin'").get() as { name: string }).name).toBe("Ada Held");
  });

  it("explains its usage", async () => {
    expect((await cli([], {})).code).toBe(2);
    expect((await cli(["a@example.com", "b@example.com"], {})).err).toContain("expected exactly one email, got 2");
    const help = await cli(["--help"], {});
    expect(help.code).toBe(0);
    expect(help.out).toContain("npm run reset-password -- [--database <path>] [--enable] <email>");
  });
});
