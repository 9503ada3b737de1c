/**
 * The command-line shape the database tools share (`npm run backup`, `npm run reset-password`):
 * `[--database <path>] [--<flag>] [--help] <one argument>`, the database defaulting to
 * DATABASE_PATH as the server reads it, exit codes 0 done, 1 failed, 2 usage error.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

export interface DatabaseCommand {
  /** As the messages name it: `backup`. */
  readonly name: string;
  readonly usage: string;
  /** The command's one boolean option (`force`, `enable`), when it has one. */
  readonly flag?: string;
  /** What the one positional argument is, for the usage error (`target file`, `email`). */
  readonly argument: string;
  /** The database path from the environment (throws what `exitCodeOf` knows when it is bad). */
  readonly databaseFromEnv: (env: Record<string, string | undefined>) => string;
  /** Does the work and returns the lines to print; a refusal is an error `exitCodeOf` knows. */
  readonly run: (input: {
    readonly database: string;
    readonly argument: string;
    readonly flag: boolean;
    readonly env: Record<string, string | undefined>;
  }) => Promise<ReadonlyArray<string>>;
  /** The exit code of a refusal (1 or 2), or undefined for an unexpected error. */
  readonly exitCodeOf: (error: unknown) => 1 | 2 | undefined;
}

export type CommandMain = (
  args: ReadonlyArray<string>,
  env?: Record<string, string | undefined>,
  out?: (line: string) => void,
  err?: (line: string) => void,
) => Promise<number>;

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The command's `main`: parses `args`, runs it, prints, and returns the exit code. */
export const databaseCommand =
  (command: DatabaseCommand): CommandMain =>
  async (args, env = process.env, out = (line) => process.stdout.write(line + "\n"), err = (line) => process.stderr.write(line + "\n")) => {
    let parsed;
    try {
      parsed = parseArgs({
        args: [...args],
        allowPositionals: true,
        options: {
          database: { type: "string" },
          ...(command.flag === undefined ? {} : { [command.flag]: { type: "boolean" as const, default: false } }),
          help: { type: "boolean", default: false },
        },
      });
    } catch (error) {
      err(`${command.name}: ${messageOf(error)}\n\n${command.usage}`);
      return 2;
    }
    if (parsed.values.help === true) {
      out(command.usage);
      return 0;
    }
    if (parsed.positionals.length !== 1) {
      err(`${command.name}: expected exactly one ${command.argument}, got ${parsed.positionals.length}\n\n${command.usage}`);
      return 2;
    }
    try {
      const database = typeof parsed.values.database === "string" ? resolve(parsed.values.database) : command.databaseFromEnv(env);
      const flag = command.flag !== undefined && (parsed.values as Record<string, unknown>)[command.flag] === true;
      const lines = await command.run({ database, argument: parsed.positionals[0]!, flag, env });
      for (const line of lines) out(line);
      return 0;
    } catch (error) {
      const code = command.exitCodeOf(error);
      if (code === undefined) throw error;
      err(`${command.name}: ${messageOf(error)}`);
      return code;
    }
  };

/** Runs `main` with the process's arguments when `moduleUrl` is the script node was started with. */
export const runWhenStarted = (moduleUrl: string, name: string, main: CommandMain): void => {
  if (process.argv[1] === undefined || resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${name}: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
};
