/**
 * `npm run reset-2fa -- [--database <path>] <email>` (or `npx tsx runtime/cli/reset-2fa.ts …`):
 * turns off a user's two-factor sign-in straight in Parley's database — for an admin who lost
 * their phone and their recovery codes, when no other admin can reset it under Settings → Users.
 * They then sign in with their password alone (and, when the workspace requires two-factor
 * sign-in, set it up again right away). Also the way out after SESSION_SECRET changed, when the
 * stored secrets no longer open (docs/decisions/031-two-factor-sign-in.md).
 *
 * Logged as a `two_factor_reset` event (no user: the command line) for the audit trail. Safe
 * while Parley runs: one short IMMEDIATE transaction that waits for the server's group commit.
 *
 * Exit codes: 0 done, 1 the reset failed (no database, no such user), 2 a usage error.
 */
import { COMMAND_LINE } from "../services/audit-log.js";
import { resetTwoFactorInWrite } from "../services/two-factor.js";
import { REQUIRE_TWO_FACTOR_SETTING } from "../services/accounts.js";
import { BackupError, databasePathFromEnv } from "./backup.js";
import { databaseCommand, runWhenStarted } from "./database-command.js";
import { decodeResetEmail, ResetError, withParleyDatabase } from "./reset-password.js";

export interface ResetTwoFactorResult {
  readonly email: string;
  readonly name: string;
  /** It was on (else only a setup in progress, if any, was dropped). */
  readonly wasEnabled: boolean;
  /** The workspace requires two-factor sign-in: they set it up again after signing in. */
  readonly required: boolean;
}

/** Turns off the two-factor sign-in of `email` in one write transaction; throws ResetError. Not pure (database). */
export const resetTwoFactor = async (options: { readonly database: string; readonly email: string }): Promise<ResetTwoFactorResult> => {
  const email = decodeResetEmail(options.email);
  return withParleyDatabase(options.database, async (db, database) => {
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'two_factor'").get() === undefined) {
      throw new ResetError(database, "this database has no two-factor sign-in yet (start the new Parley once to migrate it)");
    }
    // The reset is written to the audit log (migration 42): a database from before it is migrated first.
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'").get() === undefined) {
      throw new ResetError(database, "this database has no audit log yet (start the new Parley once to migrate it)");
    }
    const write = db.transaction(() => {
      const user = db.prepare("SELECT id, name FROM users WHERE email = ?").get(email) as { id: string; name: string } | undefined;
      if (!user) throw new ResetError("email", `no user has the email ${email} in ${database}`);
      const wasEnabled = resetTwoFactorInWrite(db, user.id, Date.now(), { actor: COMMAND_LINE, via: "command line" });
      const required = db.prepare("SELECT value FROM settings WHERE key = ?").pluck().get(REQUIRE_TWO_FACTOR_SETTING) === "1";
      return { email, name: user.name, wasEnabled, required };
    });
    try {
      return write.immediate();
    } catch (error) {
      if (error instanceof ResetError) throw error;
      throw new ResetError(database, `cannot reset two-factor sign-in (${error instanceof Error ? error.message : String(error)})`);
    }
  });
};

/** What the command prints, one line each. Pure. */
export const formatResetTwoFactor = (result: ResetTwoFactorResult): ReadonlyArray<string> => [
  result.wasEnabled
    ? `Two-factor sign-in of ${result.email} (${result.name}) is off: they sign in with their password alone.`
    : `${result.name} (${result.email}) did not have two-factor sign-in on; nothing else changed.`,
  ...(result.required ? [`The workspace requires two-factor sign-in: ${result.name} sets it up again right after signing in.`] : []),
];

const USAGE = `Usage: npm run reset-2fa -- [--database <path>] <email>

Turns off two-factor sign-in for the user with <email> in Parley's database (safe while Parley
runs), for someone locked out without their phone and recovery codes. Their password stays;
use npm run reset-password for that.

Options:
  --database <path>  The database (default: DATABASE_PATH, else ./data/parley.sqlite)
  --help             This text

Exit codes: 0 ok, 1 the reset failed, 2 usage error.`;

/** Runs the command line `args` and returns the exit code; writes to `out` and `err`. */
export const main = databaseCommand({
  name: "reset-2fa",
  usage: USAGE,
  argument: "email",
  databaseFromEnv: databasePathFromEnv,
  run: async ({ database, argument }) => formatResetTwoFactor(await resetTwoFactor({ database, email: argument })),
  exitCodeOf: (error) => (error instanceof ResetError ? error.exitCode : error instanceof BackupError ? 2 : undefined),
});

runWhenStarted(import.meta.url, "reset-2fa", main);
