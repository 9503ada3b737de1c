/**
 * `npm run reset-password -- [--database <path>] [--enable] <email>`: sets a new password for a
 * user straight in Parley's database — for an admin who lost theirs (ADMIN_PASSWORD is read on
 * the first start only) or a workspace whose only admins cannot sign in.
 *
 * The password is NEW_PASSWORD when set (the same rules as the app's), else generated and
 * printed once. Safe while Parley runs: the database is in WAL mode, the hash is computed
 * before the write, and the write is one short IMMEDIATE transaction that waits (busy_timeout)
 * for the server's group commit instead of failing. It also ends the user's sessions; a
 * disabled user is enabled again only with `--enable`.
 *
 * Exit codes: 0 done, 1 the reset failed (no database, no such user), 2 a usage error.
 */
import { COMMAND_LINE, recordAudit } from "../services/audit-log.js";
import BetterSqlite3 from "better-sqlite3";
import { Either } from "effect";
import { randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { decodeWith } from "../../flows/decode.js";
import { Email, Password } from "../services/accounts.js";
import { hashPassword } from "../services/password.js";
import { BackupError, databasePathFromEnv } from "./backup.js";
import { databaseCommand, runWhenStarted } from "./database-command.js";

/** A reset that could not be done: `path` names what is at fault (a file, an argument, a variable). */
export class ResetError extends Error {
  override readonly name = "ResetError";
  constructor(
    readonly path: string,
    readonly reason: string,
    /** 2 for input the person can fix by typing it again, 1 for the rest. */
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(`${path}: ${reason}`);
  }
}

export interface ResetOptions {
  /** The database file (Parley's DATABASE_PATH). */
  readonly database: string;
  readonly email: string;
  /** The new password; generated when undefined. */
  readonly password?: string;
  /** Enable the user again when disabled. */
  readonly enable?: boolean;
}

export interface ResetResult {
  readonly database: string;
  readonly email: string;
  readonly name: string;
  /** The generated password (shown once); absent when NEW_PASSWORD was given. */
  readonly generatedPassword?: string;
  readonly endedSessions: number;
  /** The user was disabled and `enable` turned them back on. */
  readonly enabled: boolean;
  /** The user is still disabled (they cannot sign in until enabled). */
  readonly stillDisabled: boolean;
}

/** A password for a person to sign in with once: 16 URL-safe characters (96 bits), as the first start's. */
export const generatePassword = (): string => randomBytes(12).toString("base64url");

const decodeEmail = decodeWith(Email);
const decodePassword = decodeWith(Password);

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** `email` decoded as the app does (trimmed, lower-cased), or a usage ResetError. Pure. */
export const decodeResetEmail = (email: string): string => {
  const decoded = decodeEmail(email);
  if (Either.isLeft(decoded)) throw new ResetError("email", decoded.left.map((i) => i.message).join("; "), 2);
  return decoded.right;
};

/**
 * Runs `use` on Parley's database at `path` (which must exist and have a users table), waiting
 * up to 5 s for the server's lock on writes, and closes it after; throws ResetError. Not pure.
 */
export const withParleyDatabase = async <T>(path: string, use: (db: BetterSqlite3.Database, database: string) => Promise<T>): Promise<T> => {
  const database = resolve(path);
  if (!existsSync(database)) throw new ResetError(database, "no such database file (check DATABASE_PATH or --database)");
  if (statSync(database).isDirectory()) throw new ResetError(database, "is a directory, not a database file");
  let db: BetterSqlite3.Database;
  try {
    // fileMustExist: a typo must not create an empty database that then "has no such user".
    db = new BetterSqlite3(database, { fileMustExist: true });
  } catch (error) {
    throw new ResetError(database, `cannot open the database (${messageOf(error)})`);
  }
  try {
    db.pragma("busy_timeout = 5000");
    let hasUsers: unknown;
    try {
      hasUsers = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'users'").get();
    } catch (error) {
      throw new ResetError(database, `not a SQLite database (${messageOf(error)})`);
    }
    if (hasUsers === undefined) throw new ResetError(database, "not a Parley database (it has no users table)");
    return await use(db, database);
  } finally {
    db.close();
  }
};

/** Sets the password of `options.email` in one write transaction; throws ResetError. Not pure (database). */
export const resetPassword = async (options: ResetOptions): Promise<ResetResult> => {
  const email = decodeResetEmail(options.email);
  let generatedPassword: string | undefined;
  const password = options.password ?? (generatedPassword = generatePassword());
  const checked = decodePassword(password);
  if (Either.isLeft(checked)) throw new ResetError("NEW_PASSWORD", checked.left.map((i) => i.message).join("; "), 2);
  return withParleyDatabase(options.database, async (db, database) => {
    const find = db.prepare("SELECT id, name, disabled_at FROM users WHERE email = ?");
    if (find.get(email) === undefined) throw new ResetError("email", `no user has the email ${email} in ${database}`);
    // scrypt takes a while; it runs before the transaction so the server's writes never wait on it.
    const passwordHash = await hashPassword(password);
    const write = db.transaction(() => {
      const user = find.get(email) as { id: string; name: string; disabled_at: number | null } | undefined;
      if (!user) throw new ResetError("email", `no user has the email ${email} in ${database}`);
      db.prepare("UPDATE users SET password_hash = ? WHERE id = ?").run(passwordHash, user.id);
      const endedSessions = db.prepare("DELETE FROM sessions WHERE user_id = ?").run(user.id).changes;
      // The email's stored failed sign-ins (migration 22) go too: a restarted server lets the new password in at once.
      if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'login_failures'").get() !== undefined) {
        db.prepare("DELETE FROM login_failures WHERE scope = 'email' AND key = ?").run(email);
      }
      const enabled = user.disabled_at !== null && options.enable === true;
      if (enabled) db.prepare("UPDATE users SET disabled_at = NULL WHERE id = ?").run(user.id);
      // The audit log (migration 42) names the command line; an older database has none yet.
      if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'").get() !== undefined) {
        const at = Date.now();
        recordAudit(db, at, COMMAND_LINE, { action: "user.password_set", target: { type: "user", id: user.id, label: email }, data: { endedSessions } });
        if (enabled) recordAudit(db, at, COMMAND_LINE, { action: "user.enabled", target: { type: "user", id: user.id, label: email } });
      }
      return { name: user.name, endedSessions, enabled, stillDisabled: user.disabled_at !== null && !enabled };
    });
    let outcome: ReturnType<typeof write>;
    try {
      // IMMEDIATE takes the write lock at BEGIN, so a busy server makes it wait, never deadlock half-way.
      outcome = write.immediate();
    } catch (error) {
      if (error instanceof ResetError) throw error;
      throw new ResetError(database, `cannot write the new password (${messageOf(error)})`);
    }
    return { database, email, ...outcome, ...(generatedPassword !== undefined ? { generatedPassword } : {}) };
  });
};

/** What the command prints after a reset, one line each. Pure. */
export const formatResetResult = (result: ResetResult): ReadonlyArray<string> => [
  result.generatedPassword !== undefined
    ? `New password for ${result.email}: ${result.generatedPassword}  (shown once; give it to ${result.name} to sign in)`
    : `New password set for ${result.email} (from NEW_PASSWORD).`,
  `Signed out ${result.endedSessions} session${result.endedSessions === 1 ? "" : "s"} of ${result.name}.`,
  ...(result.enabled ? [`${result.name} was disabled and is enabled again.`] : []),
  ...(result.stillDisabled ? [`${result.name} is disabled and still cannot sign in: run again with --enable, or ask an admin to enable them.`] : []),
  "If that email was locked by failed sign-ins, it unlocks 15 minutes after the last one, or when Parley restarts.",
];

const USAGE = `Usage: npm run reset-password -- [--database <path>] [--enable] <email>

Sets a new password for the user with <email> in Parley's database (safe while Parley runs) and
signs them out everywhere. The password is NEW_PASSWORD when that variable is set (at least 8
characters), else a generated one, printed once.

Options:
  --database <path>  The database (default: DATABASE_PATH, else ./data/parley.sqlite)
  --enable           Enable the user again if an admin disabled them
  --help             This text

Exit codes: 0 ok, 1 the reset failed, 2 usage error.`;

/** Runs the command line `args` and returns the exit code; writes to `out` and `err`. */
export const main = databaseCommand({
  name: "reset-password",
  usage: USAGE,
  flag: "enable",
  argument: "email",
  databaseFromEnv: databasePathFromEnv,
  run: async ({ database, argument, flag, env }) => {
    const password = env.NEW_PASSWORD;
    const result = await resetPassword({
      database,
      email: argument,
      // Set but empty is a mistake to report, not a request for a generated password.
      ...(password !== undefined ? { password } : {}),
      enable: flag,
    });
    return formatResetResult(result);
  },
  // A bad DATABASE_PATH (BackupError from the shared reader) is input to fix: a usage error.
  exitCodeOf: (error) => (error instanceof ResetError ? error.exitCode : error instanceof BackupError ? 2 : undefined),
});

runWhenStarted(import.meta.url, "reset-password", main);
