/**
 * `npm run backup -- [--database <path>] [--force] <target>`: a consistent copy of Parley's
 * SQLite database, safe to take while Parley runs.
 *
 * Why not `cp`: in WAL mode the newest commits live in `<db>-wal` until a checkpoint copies them
 * into the main file, and a checkpoint may run half-way through a copy; a copied file can lack
 * acknowledged writes or be torn. SQLite's online backup API reads one snapshot instead.
 *
 * Exit codes: 0 written and checked, 1 the backup failed, 2 a usage error.
 */
import BetterSqlite3 from "better-sqlite3";
import { Either, Schema as S } from "effect";
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { decodeWith } from "../../flows/decode.js";
import { EnvSchema } from "../services/config.js";
import { databaseCommand, runWhenStarted } from "./database-command.js";

/** A backup that could not be taken or checked: `path` is the file at fault. */
export class BackupError extends Error {
  override readonly name = "BackupError";
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

export interface BackupOptions {
  /** The live database (Parley's DATABASE_PATH). */
  readonly source: string;
  /** Where the copy goes; must not exist unless `force`. */
  readonly target: string;
  /** Replace an existing target (and its stale -wal/-shm files). */
  readonly force?: boolean;
}

export interface BackupResult {
  readonly source: string;
  readonly target: string;
  readonly bytes: number;
  readonly pages: number;
  /** The newest migration applied in the copy (schema_migrations). */
  readonly schemaVersion: number;
  /** Whether an existing target was replaced. */
  readonly replaced: boolean;
}

const EnvDatabasePath = S.Struct({ DATABASE_PATH: EnvSchema.fields.DATABASE_PATH });
const decodeEnvDatabasePath = decodeWith(EnvDatabasePath);

/** The database the server would open for this environment (DATABASE_PATH, same default), absolute. Pure. */
export const databasePathFromEnv = (env: Record<string, string | undefined>): string => {
  const value = env.DATABASE_PATH;
  const decoded = decodeEnvDatabasePath(value === undefined || value === "" ? {} : { DATABASE_PATH: value });
  if (Either.isLeft(decoded)) throw new BackupError("DATABASE_PATH", decoded.left.map((i) => i.message).join("; "));
  return resolve(decoded.right.DATABASE_PATH);
};

const sqliteMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The newest applied migration, or a BackupError naming `path` when it is not a Parley database. */
const schemaVersionOf = (db: BetterSqlite3.Database, path: string): number => {
  let hasTable: unknown;
  try {
    hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  } catch (error) {
    throw new BackupError(path, `not a SQLite database (${sqliteMessage(error)})`);
  }
  if (hasTable === undefined) throw new BackupError(path, "not a Parley database (it has no schema_migrations table)");
  const row = db.prepare("SELECT max(version) AS version FROM schema_migrations").get() as { version: number | null };
  return row.version ?? 0;
};

const syncFile = (path: string): void => {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
};

const removeSidecars = (path: string): void => {
  for (const suffix of ["-wal", "-shm", "-journal"]) rmSync(path + suffix, { force: true });
};

/**
 * Copies `source` to `target` with SQLite's online backup API (one snapshot, consistent while
 * Parley writes), checks the copy with `PRAGMA integrity_check`, then moves it into place.
 * The target appears only once checked: a failed backup leaves no file there. Not pure (files).
 */
export const backupDatabase = async (options: BackupOptions): Promise<BackupResult> => {
  const source = resolve(options.source);
  const target = resolve(options.target);
  if (source === target) throw new BackupError(target, "the target is the database itself; choose another file");
  if (!existsSync(source)) throw new BackupError(source, "no such database file (check DATABASE_PATH or --database)");
  if (statSync(source).isDirectory()) throw new BackupError(source, "is a directory, not a database file");

  const targetDir = dirname(target);
  if (!existsSync(targetDir)) throw new BackupError(targetDir, "the target's folder does not exist");
  if (!statSync(targetDir).isDirectory()) throw new BackupError(targetDir, "the target's folder is not a directory");
  const replaced = existsSync(target);
  if (replaced && statSync(target).isDirectory()) throw new BackupError(target, "is a directory; name a file inside it");
  if (replaced && options.force !== true) throw new BackupError(target, "already exists; pass --force to replace it");
  if (!replaced && options.force !== true && (existsSync(target + "-wal") || existsSync(target + "-shm"))) {
    throw new BackupError(target, "stale -wal/-shm files lie beside it; remove them or pass --force");
  }

  let db: BetterSqlite3.Database;
  try {
    // Read-only: a backup never changes the live database; fileMustExist keeps a typo from creating one.
    db = new BetterSqlite3(source, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new BackupError(source, `cannot open the database (${sqliteMessage(error)})`);
  }
  // Beside the target, so the final rename stays on one file system and is atomic.
  const partial = join(targetDir, `.${basename(target)}.partial-${process.pid}`);
  try {
    schemaVersionOf(db, source);
    db.pragma("busy_timeout = 5000");
    removeSidecars(partial);
    try {
      // All pages in one step: one read snapshot. In smaller steps SQLite restarts the copy
      // whenever another connection commits in between, which under steady traffic never ends.
      await db.backup(partial, { progress: () => 0x7fffffff });
    } catch (error) {
      throw new BackupError(target, `cannot write the backup (${sqliteMessage(error)})`);
    }
  } catch (error) {
    rmSync(partial, { force: true });
    removeSidecars(partial);
    throw error;
  } finally {
    db.close();
  }

  let copy: BetterSqlite3.Database | undefined;
  try {
    copy = new BetterSqlite3(partial, { fileMustExist: true });
    const problems = (copy.pragma("integrity_check") as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
    if (problems.length !== 1 || problems[0] !== "ok") {
      throw new BackupError(target, `the copy failed its integrity check: ${problems.slice(0, 5).join("; ")}`);
    }
    const schemaVersion = schemaVersionOf(copy, target);
    const pages = (copy.pragma("page_count", { simple: true }) as number) ?? 0;
    copy.close();
    copy = undefined;
    syncFile(partial);
    if (replaced) removeSidecars(target);
    renameSync(partial, target);
    // The rename is durable only once the folder's entry is.
    syncFile(targetDir);
    return { source, target, bytes: statSync(target).size, pages, schemaVersion, replaced };
  } catch (error) {
    copy?.close();
    rmSync(partial, { force: true });
    removeSidecars(partial);
    if (error instanceof BackupError) throw error;
    throw new BackupError(target, sqliteMessage(error));
  }
};

/** One line describing a finished backup. Pure. */
export const formatBackupResult = (result: BackupResult): string =>
  `${result.replaced ? "Replaced" : "Wrote"} ${result.target}: ${(result.bytes / 1024 / 1024).toFixed(1)} MB, ` +
  `${result.pages} pages, schema version ${result.schemaVersion}, integrity ok (from ${result.source})`;

const USAGE = `Usage: npm run backup -- [--database <path>] [--force] <target>

Copies Parley's SQLite database to <target> while Parley runs (SQLite's online backup API),
checks the copy with PRAGMA integrity_check and prints what it wrote.

Options:
  --database <path>  The database to copy (default: DATABASE_PATH, else ./data/parley.sqlite)
  --force            Replace <target> if it exists
  --help             This text

Exit codes: 0 ok, 1 the backup failed, 2 usage error.`;

/** Runs the command line `args` and returns the exit code; writes to `out` and `err`. */
export const main = databaseCommand({
  name: "backup",
  usage: USAGE,
  flag: "force",
  argument: "target file",
  databaseFromEnv: databasePathFromEnv,
  run: async ({ database, argument, flag }) => [formatBackupResult(await backupDatabase({ source: database, target: argument, force: flag }))],
  exitCodeOf: (error) => (error instanceof BackupError ? 1 : undefined),
});

runWhenStarted(import.meta.url, "backup", main);
