/**
 * `npm run bench:runtime`: the whole message path — HTTP → engine → SQLite commit → response —
 * measured with autocannon on loopback against the REAL server process (fresh database,
 * PARLEY_NO_RATE_LIMIT=1, synchronous=FULL). 50 connections each own a lead-qualification
 * conversation and answer its questions in turn (one autocannon pass over `requests` is one
 * conversation: start, then one answer per awaited question; it starts over when the flow ends).
 *
 * In the same run, two baselines set the ceiling: a minimal node:http + better-sqlite3 server
 * doing one read, one JSON state update and one insert in one transaction per request, once
 * with synchronous=FULL and once with NORMAL (each in its own process, like Parley). Last, the
 * same conversations run through the engine in-process, without HTTP (bench/runtime-engine.ts):
 * the ceiling of any HTTP layer in front of it — once in the demo's workspace, once in one grown to
 * 300 teams keeping hours and 3,000 agents (what a handoff must not read all of), and once with
 * 50 agents watching the inbox's live feed from an ordinary view (the bot's own messages are
 * not theirs to hear; its conversations' arrivals and handoffs are).
 *
 * Prints JSON lines `{"name","unit","value"}`; `run()` returns them.
 */
import autocannon, { type AutocannonRequest } from "autocannon";
import BetterSqlite3 from "better-sqlite3";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { answerFor, call, seededIds, startServer, type Awaiting } from "./http-harness.js";
import { measureEngine } from "./runtime-engine.js";

export interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
}

const CONNECTIONS = 50;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
/** The grown workspace of the second engine run: a handoff there must cost what it costs in the demo's. */
const LARGE_WORKSPACE = { teams: 300, agents: 3000 } as const;
/** Agents with the inbox open during the third engine run, none of them on the Bot view. */
const AGENTS_WATCHING = 50;
const here = fileURLToPath(import.meta.url);

/** User + system CPU milliseconds a process has used so far (Linux), or NaN elsewhere. */
const processCpuMs = (pid: number | undefined): number => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
};

// ---------------------------------------------------------------------------------------------
// Baseline server (runs in a child process: `tsx bench/runtime-http.ts --baseline FULL <db>`)

const serveBaseline = (synchronous: "FULL" | "NORMAL", databasePath: string) => {
  const sqlite = new BetterSqlite3(databasePath);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma(`synchronous = ${synchronous}`);
  sqlite.exec(`
    CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, state TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id TEXT NOT NULL, text TEXT NOT NULL, created_at INTEGER NOT NULL);
  `);
  const seed = sqlite.prepare("INSERT OR IGNORE INTO conversations (id, state) VALUES (?, ?)");
  for (let i = 0; i < CONNECTIONS; i++) seed.run(`c${i}`, JSON.stringify({ nodeId: "ask_name", turn: 0, variables: {} }));
  const read = sqlite.prepare("SELECT state FROM conversations WHERE id = ?");
  const update = sqlite.prepare("UPDATE conversations SET state = ? WHERE id = ?");
  const insert = sqlite.prepare("INSERT INTO messages (conversation_id, text, created_at) VALUES (?, ?, ?)");
  const handle = sqlite.transaction((conversationId: string, text: string) => {
    const row = read.get(conversationId) as { state: string };
    const state = JSON.parse(row.state) as { turn: number; variables: Record<string, string> };
    state.turn++;
    state.variables.last = text;
    update.run(JSON.stringify(state), conversationId);
    const id = insert.run(conversationId, text, Date.now()).lastInsertRowid;
    return { id: String(id), turn: state.turn };
  });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { conversationId: string; text: string };
      const text = JSON.stringify(handle(body.conversationId, body.text));
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
      res.end(text);
    });
  });
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    console.log(`baseline listening on http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`);
  });
};

/**
 * Requests/s of the minimal node:http + better-sqlite3 handler (one read, one update, one insert
 * per transaction), and the CPU its process spent per request.
 */
export const measureBaseline = async (
  synchronous: "FULL" | "NORMAL",
  dir: string,
): Promise<{ readonly perSecond: number; readonly cpuMsPerRequest: number }> => {
  const child = spawn(process.execPath, ["--import", "tsx", here, "--baseline", synchronous, join(dir, `baseline-${synchronous}.sqlite`)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let output = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      });
      child.once("exit", (code) => reject(new Error(`the baseline server exited with ${code}`)));
    });
    let next = 0;
    const cpuBefore = processCpuMs(child.pid);
    const result = await autocannon({
      url: `http://127.0.0.1:${port}`,
      connections: CONNECTIONS,
      duration: DURATION_S,
      requests: [
        {
          method: "POST",
          path: "/",
          headers: { "content-type": "application/json" },
          setupRequest: (request, context) => {
            context.conversation ??= `c${next++ % CONNECTIONS}`;
            return { ...request, body: JSON.stringify({ conversationId: context.conversation, text: "Ann" }) };
          },
        },
      ],
    });
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`baseline ${synchronous}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return {
      perSecond: result.requests.total / result.duration,
      cpuMsPerRequest: (processCpuMs(child.pid) - cpuBefore) / result.requests.total,
    };
  } finally {
    child.kill("SIGKILL");
  }
};

// ---------------------------------------------------------------------------------------------
// Parley

interface ParleyFigures {
  readonly messagesPerSecond: number;
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly conversations: number;
  /** CPU time the server process spent per request during the run (Linux /proc), or NaN. */
  readonly serverCpuMsPerRequest: number;
}


/** Parley's figures under the 50-conversation load; `nodeArgs` go to the server process (profiling). */
export const measureParley = async (dir: string, nodeArgs: ReadonlyArray<string> = []): Promise<ParleyFigures> => {
  const databasePath = join(dir, "parley.sqlite");
  const server = await startServer({ databasePath, env: { PARLEY_NO_RATE_LIMIT: "1" }, nodeArgs });
  try {
    const { channelId, leadQualificationId } = seededIds(databasePath);
    const tokens: string[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      const created = await call(server.base, "/api/visitors", { body: { channel: channelId } });
      if (created.status !== 201) throw new Error(`creating a visitor answered ${created.status}`);
      tokens.push(created.body.visitorToken as string);
    }

    let messages = 0;
    let conversations = 0;
    let failures = 0;
    let firstFailure = "";
    let nextToken = 0;
    let clientIds = 0;

    const start: AutocannonRequest = {
      method: "POST",
      path: "/api/conversations",
      setupRequest: (request, context) => {
        context.token = tokens[nextToken++ % tokens.length];
        return {
          ...request,
          headers: { "content-type": "application/json", authorization: `Bearer ${context.token}` },
          body: JSON.stringify({ channel: channelId, chatflowId: leadQualificationId, pageUrl: "https://shop.example/products" }),
        };
      },
      onResponse: (status, body, context) => {
        if (status !== 201) {
          failures++;
          firstFailure ||= `start ${status} ${body}`;
          context.awaiting = null;
          return;
        }
        const parsed = JSON.parse(body) as { conversation: { id: string }; awaiting: Awaiting | null };
        conversations++;
        context.conversationId = parsed.conversation.id;
        context.awaiting = parsed.awaiting;
      },
    };
    const answer: AutocannonRequest = {
      method: "POST",
      setupRequest: (request, context) => {
        const awaiting = context.awaiting as Awaiting | null;
        // The flow ended (or the start failed): returning nothing makes autocannon start over.
        if (!awaiting) return null;
        return {
          ...request,
          path: `/api/conversations/${context.conversationId}/messages`,
          headers: { "content-type": "application/json", authorization: `Bearer ${context.token}` },
          body: JSON.stringify({ clientMessageId: `m${clientIds++}`, ...answerFor(awaiting, (n) => clientIds % n) }),
        };
      },
      onResponse: (status, body, context) => {
        if (status !== 200) {
          failures++;
          firstFailure ||= `message ${status} ${body}`;
          context.awaiting = null;
          return;
        }
        messages++;
        context.awaiting = (JSON.parse(body) as { awaiting: Awaiting | null }).awaiting;
      },
    };

    // Warm up (JIT, statement cache, spec cache) for a second, then measure.
    await autocannon({ url: server.base, connections: 10, duration: 1, requests: [start, answer, answer, answer, answer, answer] });
    messages = 0;
    conversations = 0;
    const cpuBefore = processCpuMs(server.child.pid);
    const result = await autocannon({
      url: server.base,
      connections: CONNECTIONS,
      duration: DURATION_S,
      requests: [start, answer, answer, answer, answer, answer],
    });
    if (failures > 0 || result.errors > 0) {
      throw new Error(`Parley: ${failures} failed answers, ${result.errors} errors; first: ${firstFailure}\n${server.output().slice(-2000)}`);
    }
    return {
      messagesPerSecond: messages / result.duration,
      requestsPerSecond: result.requests.total / result.duration,
      p50: result.latency.p50,
      p99: result.latency.p99,
      conversations,
      serverCpuMsPerRequest: (processCpuMs(server.child.pid) - cpuBefore) / result.requests.total,
    };
  } finally {
    await server.stop("SIGTERM");
  }
};

/** Runs the four measurements; returns the figures (prints nothing). */
export const run = async (): Promise<ReadonlyArray<Figure>> => {
  const dir = mkdtempSync(join(tmpdir(), "parley-bench-"));
  try {
    const parley = await measureParley(dir);
    const full = await measureBaseline("FULL", dir);
    const normal = await measureBaseline("NORMAL", dir);
    // The engine in this process, without HTTP: the most any server in front of it could answer.
    const engine = await measureEngine(DURATION_S * 1000, CONNECTIONS);
    const engineLarge = await measureEngine(DURATION_S * 1000, CONNECTIONS, { workspace: LARGE_WORKSPACE });
    const engineWatched = await measureEngine(DURATION_S * 1000, CONNECTIONS, { agentsWatching: AGENTS_WATCHING });
    return [
      { name: "runtime.messages_per_s", unit: "1/s", value: Math.round(parley.messagesPerSecond) },
      { name: "runtime.requests_per_s", unit: "1/s", value: Math.round(parley.requestsPerSecond) },
      { name: "runtime.conversations_per_s", unit: "1/s", value: Math.round(parley.conversations / DURATION_S) },
      { name: "runtime.server_cpu_ms_per_request", unit: "ms", value: Math.round(parley.serverCpuMsPerRequest * 1000) / 1000 },
      { name: "runtime.p50_ms", unit: "ms", value: parley.p50 },
      { name: "runtime.p99_ms", unit: "ms", value: parley.p99 },
      { name: "runtime.baseline_full_per_s", unit: "1/s", value: Math.round(full.perSecond) },
      { name: "runtime.baseline_normal_per_s", unit: "1/s", value: Math.round(normal.perSecond) },
      { name: "runtime.baseline_normal_cpu_ms_per_request", unit: "ms", value: Math.round(normal.cpuMsPerRequest * 1000) / 1000 },
      { name: "runtime.ratio_to_normal_ceiling", unit: "ratio", value: Math.round((parley.messagesPerSecond / normal.perSecond) * 100) / 100 },
      { name: "runtime.engine_only_messages_per_s", unit: "1/s", value: Math.round(engine.messagesPerSecond) },
      { name: "runtime.engine_only_cpu_ms_per_turn", unit: "ms", value: Math.round(engine.cpuMsPerTurn * 1000) / 1000 },
      { name: "runtime.engine_only_ratio_to_normal_ceiling", unit: "ratio", value: Math.round((engine.messagesPerSecond / normal.perSecond) * 100) / 100 },
      { name: "runtime.engine_only_large_workspace_messages_per_s", unit: "1/s", value: Math.round(engineLarge.messagesPerSecond) },
      { name: "runtime.engine_only_large_workspace_cpu_ms_per_turn", unit: "ms", value: Math.round(engineLarge.cpuMsPerTurn * 1000) / 1000 },
      { name: "runtime.engine_only_agents_watching_messages_per_s", unit: "1/s", value: Math.round(engineWatched.messagesPerSecond) },
      { name: "runtime.engine_only_agents_watching_cpu_ms_per_turn", unit: "ms", value: Math.round(engineWatched.cpuMsPerTurn * 1000) / 1000 },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

if (process.argv.includes("--baseline")) {
  const i = process.argv.indexOf("--baseline");
  serveBaseline(process.argv[i + 1] === "NORMAL" ? "NORMAL" : "FULL", process.argv[i + 2]!);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const figure of await run()) console.log(JSON.stringify(figure));
  process.exit(0);
}
