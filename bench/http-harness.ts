/**
 * Shared by the HTTP bench, the crash bench and the API tests: start the REAL Parley server
 * process (`node --import tsx server/index.ts`) on a free loopback port with its own database,
 * find the seeded chat channel and lead-qualification chatflow, and answer a bot's questions.
 * Needs `npm run build` to have run once (the server imports Remix's build).
 */
import BetterSqlite3 from "better-sqlite3";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

export interface ServerProcess {
  readonly base: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  readonly output: () => string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
  /** Sends a signal and waits for the exit. */
  readonly stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

export interface StartOptions {
  readonly databasePath: string;
  /** Extra environment (e.g. PARLEY_NO_RATE_LIMIT=1). */
  readonly env?: Record<string, string>;
  /** Reuse a port (a restart after a crash keeps the widget's URL); default: a free one. */
  readonly port?: number;
  readonly timeoutMs?: number;
  /** Extra node flags (e.g. `--cpu-prof`). */
  readonly nodeArgs?: ReadonlyArray<string>;
}

/** A fixed secret so every restart of the same database accepts the same visitor tokens. */
export const TEST_SESSION_SECRET = "test-session-secret-0123456789abcdef0123456789abcdef";

/** Starts the server and resolves once it listens (it printed "Parley is listening on …"). */
export const startServer = (options: StartOptions): Promise<ServerProcess> => {
  if (!existsSync(join(repoRoot, "build/server/index.js"))) {
    return Promise.reject(new Error("build/server/index.js is missing: run `npm run build` once before the API tests and benches"));
  }
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), "--import", "tsx", "server/index.ts"], {
    cwd: repoRoot,
    env: {
      ...process.env,
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(options.port ?? 0),
      DATABASE_PATH: options.databasePath,
      SESSION_SECRET: TEST_SESSION_SECRET,
      ADMIN_PASSWORD: "test-admin-password",
      // Benches and API tests measure and count their own traffic, on a workspace without the sample conversations.
      PARLEY_NO_DEMO_CONVERSATIONS: "1",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => {
      void stop("SIGKILL");
      reject(new Error(`the server did not start within ${options.timeoutMs ?? 60_000} ms:\n${output}`));
    }, options.timeoutMs ?? 60_000);
    const onData = () => {
      const match = /listening on http:\/\/[^:]+:(\d+)/.exec(output);
      if (!match) return;
      clearTimeout(timeout);
      child.stdout!.off("data", onData);
      const port = Number(match[1]);
      resolve({ base: `http://127.0.0.1:${port}`, port, child, output: () => output, exited, stop });
    };
    child.stdout!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timeout);
      reject(new Error(`the server exited (code ${code}) before listening:\n${output}`));
    });
  });
};

export interface SeededIds {
  readonly channelId: string;
  readonly leadQualificationId: string;
}

/** Reads the seeded chat channel and lead-qualification chatflow from the database (read-only). */
export const seededIds = (databasePath: string): SeededIds => {
  const sqlite = new BetterSqlite3(databasePath, { readonly: true, fileMustExist: true });
  try {
    const channel = sqlite.prepare("SELECT id FROM channels WHERE kind = 'chat' ORDER BY created_at LIMIT 1").get() as { id: string } | undefined;
    const flow = sqlite
      .prepare(
        `SELECT c.id FROM chatflows c JOIN chatflow_versions v ON v.id = c.published_version_id
         WHERE c.archived_at IS NULL AND json_extract(v.spec, '$.id') = 'lead_qualification' LIMIT 1`,
      )
      .get() as { id: string } | undefined;
    if (!channel || !flow) throw new Error("the seeded chat channel or the lead-qualification chatflow is missing");
    return { channelId: channel.id, leadQualificationId: flow.id };
  } finally {
    sqlite.close();
  }
};

export interface Awaiting {
  readonly nodeId: string;
  readonly input: string;
  readonly choices?: ReadonlyArray<{ readonly id: string; readonly label: string }>;
  readonly multiple?: boolean;
}

/** A valid answer to what the bot waits for, as a message body (without clientMessageId). `pick` chooses among choices. */
export const answerFor = (awaiting: Awaiting, pick: (n: number) => number = () => 0): { text: string } | { choice: string } => {
  switch (awaiting.input) {
    case "email":
      return { text: "ann@example.com" };
    case "phone":
      return { text: "+49 30 1234567" };
    case "number":
    case "rating":
      return { text: "3" };
    case "date":
      return { text: "2030-01-15" };
    case "url":
      return { text: "https://example.com" };
    case "yes_no":
      return { text: "yes" };
    case "choice":
      if (awaiting.choices && awaiting.choices.length > 0) return { choice: awaiting.choices[pick(awaiting.choices.length)]!.id };
      return { text: "ok" };
    default:
      return { text: "Ann" };
  }
};

/** fetch + JSON with a timeout; resolves the status and parsed body (or throws on network errors). */
export const call = async (
  base: string,
  path: string,
  init: { method?: string; token?: string; body?: unknown; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> => {
  const res = await fetch(base + path, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: {
      ...(init.body !== undefined ? { "Content-Type": "application/json" } : {}),
      ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
      ...init.headers,
    },
    ...(init.body !== undefined ? { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) } : {}),
    signal: AbortSignal.timeout(init.timeoutMs ?? 10_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, headers: res.headers };
};
