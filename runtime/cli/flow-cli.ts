/**
 * `npm run flow -- <command>`: check flows, chat with them in the terminal, and run their
 * scripted tests. Exit codes: 0 success, 1 a check error or a failing test, 2 a usage error.
 */
import { Either } from "effect";
import { existsSync, readdirSync } from "node:fs";
import { createInterface } from "node:readline";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { checkFiles } from "./check-files.js";
import { filePassed, formatFileResult, formatTotals, runFlowTestFile, totalsOf, type FileResult } from "./flow-test-runner.js";
import { makeLiveActions, openKnowledgeBase, type DatabaseKnowledge } from "./live-actions.js";
import {
  EMPTY_CONTEXT,
  contextFileBeside,
  formatDecodeIssue,
  formatDiagnostic,
  loadCompileContext,
  loadFlowFile,
} from "./load-flow-file.js";
import { runChat, type ChatIO } from "./terminal-chat.js";

/** Where `flow test` looks when no file is named. */
export const EXAMPLES_DIR = fileURLToPath(new URL("../../flows/examples/", import.meta.url));

const USAGE = `Usage: npm run flow -- <command> [options]

Commands:
  check <file.json…>   Check flows (editor documents or specs) and print their diagnostics
  chat <file.json>     Play a flow in the terminal
  test [file.test.json…]
                       Run scripted conversations (default: every flows/examples/*.test.json)

Run \`npm run flow -- <command> --help\` for a command's options.
Exit codes: 0 ok, 1 errors or failing tests, 2 usage error.`;

const HELP: Record<string, string> = {
  check: `Usage: npm run flow -- check <file.json…> [--context <context.json>] [--quiet]

Checks each file and prints one line per problem:
  <file>: <severity> [<code>] node <id> port <port> <path>: <message>
A FlowDocument (has "edges") is compiled; a FlowSpec (has "formatVersion") is decoded and
checked — a spec that does not decode prints every problem as "<path>: <message>".
Flow tests (*.test.json) and compile contexts (context.json) are validated too, so a whole
folder can be checked with one glob.

Options:
  --context <file>  Teams, users and contact properties the flows may name
                    (default: context.json in each flow's folder, when present)
  --quiet           Print only problems and the summary

Exit code 1 when any file has an error; warnings alone exit 0.`,
  chat: `Usage: npm run flow -- chat <file.json> [options]

Plays the flow in the terminal. Quick replies are numbered: answer by number (several: 1,3)
or by text. At any prompt: /restart, /vars (variables and contact), /help, /quit.

Options:
  --webhooks=stub|live  stub (default): you type each webhook's response; live: really call it
  --code=stub|run       stub (default): you type each code node's outputs; run: execute it in the sandbox
  --seed <n>            Seed of the A/B split's random numbers (default 1)
  --now <ISO time>      The time the conversation happens at (default: now)
  --away                Nobody is available (default: available while the flow is open by its
                        business hours, or its team's hours from the context when it follows one)
  --email <address>     Start as a known contact with this email
  --context <file>      Compile context (default: context.json in the flow's folder)
  --database <file>     Parley database whose published help articles knowledge nodes search
                        (default: DATABASE_PATH or ./data/parley.sqlite, when it exists; links
                        start with PUBLIC_URL). Without one, you type the titles found.`,
  test: `Usage: npm run flow -- test [file.test.json…] [--live] [--case <text>]

Runs the scripted conversations of each .test.json file (default: every *.test.json in
flows/examples/) and prints ✓/✗ per case; a failure shows the step, what was expected, what
happened, and the conversation so far. The format is described in docs/flow-tests.md.

Options:
  --live          Really call webhooks and run code nodes that a case does not stub
  --case <text>   Only run cases whose name contains this text

Exit code 1 when any case fails or a test file cannot run.`,
};

/** Output streams and stdin; injectable so that tests can run commands in-process. */
export interface CliIO {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly chatIO?: () => ChatIO & { close?: () => void };
}

const processIO: CliIO = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

class UsageError extends Error {}

const parse = <T extends NonNullable<ParseArgsConfig["options"]>>(args: ReadonlyArray<string>, options: T) => {
  try {
    return parseArgs({
      args: [...args],
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
};

/** Runs one CLI invocation; resolves to the exit code. Never calls process.exit. */
export const main = async (argv: ReadonlyArray<string>, io: CliIO = processIO): Promise<number> => {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      case "check":
        return runCheck(rest, io);
      case "chat":
        return await runChatCommand(rest, io);
      case "test":
        return await runTests(rest, io);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`flow: ${error.message}`);
    io.err(command !== undefined && HELP[command] !== undefined ? HELP[command]! : USAGE);
    return 2;
  }
};

const runCheck = (args: ReadonlyArray<string>, io: CliIO): number => {
  const { values, positionals } = parse(args, { context: { type: "string" }, quiet: { type: "boolean" } });
  if (values.help) {
    io.out(HELP.check!);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("check needs at least one file");
  const report = checkFiles(positionals, { contextFile: values.context, quiet: values.quiet });
  for (const line of report.lines) io.out(line);
  return report.exitCode;
};

const runTests = async (args: ReadonlyArray<string>, io: CliIO): Promise<number> => {
  const { values, positionals } = parse(args, { live: { type: "boolean" }, case: { type: "string" } });
  if (values.help) {
    io.out(HELP.test!);
    return 0;
  }
  const files =
    positionals.length > 0
      ? positionals
      : readdirSync(EXAMPLES_DIR)
          .filter((name) => name.endsWith(".test.json"))
          .sort()
          .map((name) => relative(process.cwd(), resolve(EXAMPLES_DIR, name)));
  if (files.length === 0) throw new UsageError("no .test.json files found");
  const live = makeLiveActions();
  const results: FileResult[] = [];
  try {
    for (const file of files) {
      const result = await runFlowTestFile(file, { live: values.live, executors: live, only: values.case });
      results.push(result);
      io.out(formatFileResult(result));
    }
  } finally {
    await live.dispose();
  }
  const totals = totalsOf(results);
  io.out("");
  io.out(formatTotals(totals));
  return results.every(filePassed) ? 0 : 1;
};

const runChatCommand = async (args: ReadonlyArray<string>, io: CliIO): Promise<number> => {
  const { values, positionals } = parse(args, {
    webhooks: { type: "string" },
    code: { type: "string" },
    seed: { type: "string" },
    now: { type: "string" },
    away: { type: "boolean" },
    email: { type: "string" },
    context: { type: "string" },
    database: { type: "string" },
  });
  if (values.help) {
    io.out(HELP.chat!);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("chat needs exactly one flow file");
  const webhooks = values.webhooks ?? "stub";
  const code = values.code ?? "stub";
  if (webhooks !== "stub" && webhooks !== "live") throw new UsageError(`--webhooks must be stub or live, not "${webhooks}"`);
  if (code !== "stub" && code !== "run") throw new UsageError(`--code must be stub or run, not "${code}"`);
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed must be a whole number, not "${values.seed}"`);
  const now = values.now === undefined ? Date.now() : Date.parse(values.now);
  if (Number.isNaN(now)) throw new UsageError(`--now must be an ISO date and time, not "${values.now}"`);

  const file = positionals[0]!;
  const contextFile = values.context ?? contextFileBeside(file);
  let compileContext = EMPTY_CONTEXT;
  if (contextFile !== undefined) {
    const loaded = loadCompileContext(contextFile);
    if (Either.isLeft(loaded)) {
      io.err(`${loaded.left.file}: error: ${loaded.left.message}`);
      return 1;
    }
    compileContext = loaded.right;
  }
  const loaded = loadFlowFile(file, compileContext);
  if (Either.isLeft(loaded)) {
    io.err(`${file}: error: ${loaded.left.message}`);
    return 1;
  }
  const flow = loaded.right;
  if (flow.decodeIssues !== undefined) {
    for (const issue of flow.decodeIssues) io.err(formatDecodeIssue(file, issue));
    return 1;
  }
  for (const d of flow.diagnostics) io.err(formatDiagnostic(file, d));
  if (flow.spec === undefined) {
    io.err(`${file}: the flow has errors; fix them to chat with it`);
    return 1;
  }
  const knowledgeBase = openChatKnowledgeBase(values.database, io);
  if (knowledgeBase === "failed") return 1;
  const liveActions = makeLiveActions();
  const chatIO = io.chatIO?.() ?? readlineIO();
  try {
    await runChat(
      {
        spec: flow.spec,
        compileContext,
        seed,
        now,
        available: values.away ? false : undefined,
        contact: values.email ? { email: values.email } : undefined,
        live: {
          webhook: webhooks === "live" ? liveActions.webhook : undefined,
          code: code === "run" ? liveActions.code : undefined,
          knowledge: knowledgeBase?.knowledge,
        },
      },
      chatIO
    );
  } finally {
    chatIO.close?.();
    knowledgeBase?.close();
    await liveActions.dispose();
  }
  return 0;
};

/**
 * The database `flow chat`'s knowledge nodes search: the one named by --database (which must
 * open), else the server's own when it exists. Undefined: none (the person types titles).
 */
const openChatKnowledgeBase = (named: string | undefined, io: CliIO): DatabaseKnowledge | undefined | "failed" => {
  const path = resolve(named ?? process.env.DATABASE_PATH ?? "./data/parley.sqlite");
  if (named === undefined && !existsSync(path)) return undefined;
  const publicUrl = process.env.PUBLIC_URL ?? `http://localhost:${process.env.PORT ?? "3000"}`;
  try {
    const opened = openKnowledgeBase(path, publicUrl);
    io.out(`Knowledge nodes search the published articles of ${relative(process.cwd(), path) || path}.`);
    return opened;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (named !== undefined) {
      io.err(`flow: ${message}`);
      return "failed";
    }
    io.err(`flow: ${message}; knowledge nodes will ask you for the articles found instead`);
    return undefined;
  }
};

/**
 * Lines from stdin, read through one async iterator so that lines piped in before a prompt is
 * shown are kept rather than dropped (readline's `question` loses them).
 */
const readlineIO = (): ChatIO & { close: () => void } => {
  const rl = createInterface({ input: process.stdin, terminal: process.stdin.isTTY === true });
  const lines = rl[Symbol.asyncIterator]();
  return {
    read: async (prompt) => {
      process.stdout.write(prompt);
      const next = await lines.next();
      if (next.done) {
        process.stdout.write("\n");
        return undefined;
      }
      if (process.stdin.isTTY !== true) process.stdout.write(`${next.value}\n`);
      return next.value;
    },
    write: (text) => process.stdout.write(`${text}\n`),
    close: () => rl.close(),
  };
};

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `flow: unexpected failure: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`
      );
      process.exitCode = 1;
    }
  );
}
