import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseShape } from "../services/database.js";
import { main } from "./reset-2fa.js";

let dir: string;
let path: string;
let server: DatabaseShape;

// One real Parley database per test, left open the way a running server holds it.
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "parley-reset-2fa-"));
  path = join(dir, "parley.sqlite");
  server = openDatabase({ path });
  const user = server.sqlite.prepare("INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, 'admin', 'scrypt$x', 1)");
  user.run("usr_admin", "admin@example.com", "Ada Admin");
  user.run("usr_other", "other@example.com", "Otto Other");
  const twoFactor = server.sqlite.prepare("INSERT INTO two_factor (user_id, secret, enabled_at, last_step, created_at) VALUES (?, 'v1.sealed', 5, 9, 1)");
  twoFactor.run("usr_admin");
  twoFactor.run("usr_other");
  const code = server.sqlite.prepare("INSERT INTO two_factor_recovery_codes (user_id, code_hash) VALUES (?, ?)");
  for (const id of ["usr_admin", "usr_other"]) for (let i = 0; i < 3; i++) code.run(id, `${id}-hash-${i}`);
  server.sqlite.prepare("INSERT INTO settings (key, value) VALUES ('require_two_factor', '1')").run();
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const cli = async (args: ReadonlyArray<string>, env: Record<string, string | undefined>) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, env, (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join("\n"), err: err.join("\n") };
};
const count = (sql: string, ...args: unknown[]) => server.sqlite.prepare(`SELECT COUNT(*) FROM ${sql}`).pluck().get(...args) as number;

describe("reset-2fa", () => {
  it("turns off one user's two-factor sign-in while the server's connection is open, with an event for the audit trail", async () => {
    const result = await cli(["Admin@Example.com"], { DATABASE_PATH: path });
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    expect(result.out).toBe(
      [
        "Two-factor sign-in of admin@example.com (Ada Admin) is off: they sign in with their password alone.",
        "The workspace requires two-factor sign-in: Ada Admin sets it up again right after signing in.",
      ].join("\n"),
    );
    expect(count("two_factor WHERE user_id = 'usr_admin'")).toBe(0);
    expect(count("two_factor_recovery_codes WHERE user_id = 'usr_admin'")).toBe(0);
    // Nobody else's.
    expect(count("two_factor WHERE user_id = 'usr_other'")).toBe(1);
    expect(count("two_factor_recovery_codes WHERE user_id = 'usr_other'")).toBe(3);
    const event = server.sqlite.prepare("SELECT user_id, data FROM events WHERE type = 'two_factor_reset'").get() as { user_id: string | null; data: string };
    expect(event.user_id).toBeNull();
    expect(JSON.parse(event.data)).toEqual({ userId: "usr_admin", via: "command line", wasEnabled: true });

    const again = await cli(["--database", path, "admin@example.com"], {});
    expect(again.code).toBe(0);
    expect(again.out).toContain("Ada Admin (admin@example.com) did not have two-factor sign-in on; nothing else changed.");
  });

  it("refuses an unknown or malformed email and a missing database, changing nothing", async () => {
    const unknown = await cli(["nobody@example.com"], { DATABASE_PATH: path });
    expect(unknown).toMatchObject({ code: 1, out: "", err: `reset-2fa: email: no user has the email nobody@example.com in ${resolve(path)}` });
    expect(await cli(["not-an-email"], { DATABASE_PATH: path })).toMatchObject({
      code: 2,
      err: "reset-2fa: email: expected an email address like name@example.com",
    });
    const missing = join(dir, "typo.sqlite");
    expect(await cli(["admin@example.com"], { DATABASE_PATH: missing })).toMatchObject({ code: 1 });
    expect(count("two_factor")).toBe(2);
    expect(count("events WHERE type = 'two_factor_reset'")).toBe(0);
  });

  it("explains its usage and has no other option", async () => {
    expect((await cli([], {})).code).toBe(2);
    expect((await cli(["--enable", "admin@example.com"], { DATABASE_PATH: path })).code).toBe(2);
    const help = await cli(["--help"], {});
    expect(help.code).toBe(0);
    expect(help.out).toContain("npm run reset-2fa -- [--database <path>] <email>");
  });
});
