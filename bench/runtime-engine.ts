/**
 * The engine's own ceiling, without HTTP: the same 50 lead-qualification conversations as
 * `npm run bench:runtime`, driven in-process through `Engine.direct` (what the public API
 * calls) on the real store (a fresh SQLite file, synchronous=FULL, group commit). Whatever an
 * HTTP server in front of it does, it cannot answer more visitor messages per second than this.
 *
 * Used by bench/runtime-http.ts, which prints the figure next to the HTTP one and the baselines.
 */
import BetterSqlite3 from "better-sqlite3";
import { Exit } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeAppRuntime } from "../runtime/services/app-layer.js";
import { loadConfig } from "../runtime/services/config.js";
import { Engine } from "../runtime/services/engine.js";
import { Inbox, inboxEventFrame } from "../runtime/services/inbox.js";
import { Presence } from "../runtime/services/presence.js";
import { DEMO_SALES_HOURS, SEED_IDS } from "../runtime/services/seed.js";
import { encodeTeamHours } from "../runtime/services/team-hours.js";
import { Visitors } from "../runtime/services/visitors.js";
import { startup } from "../server/startup.js";
import { answerFor, seededIds, TEST_SESSION_SECRET, type Awaiting } from "./http-harness.js";

export interface EngineFigures {
  /** Visitor messages answered per second (conversation starts not counted, as in the HTTP bench). */
  readonly messagesPerSecond: number;
  /** Starts and messages per second. */
  readonly turnsPerSecond: number;
  /** CPU (user + system, all threads) per turn, in ms. */
  readonly cpuMsPerTurn: number;
}

/** More of the workspace than the demo seeds: teams with hours of their own, and agents in them. */
export interface WorkspaceSize {
  readonly teams: number;
  readonly agents: number;
}

/**
 * Adds `size.teams` teams keeping Berlin office hours and `size.agents` agents, each in one team
 * (round robin), every other one away: what a handoff could read besides the one team it goes to.
 */
const growWorkspace = (databasePath: string, size: WorkspaceSize): void => {
  const db = new BetterSqlite3(databasePath);
  try {
    const now = Date.now();
    const hours = encodeTeamHours(DEMO_SALES_HOURS);
    db.transaction(() => {
      const team = db.prepare("INSERT INTO teams (id, name, hours, created_at) VALUES (?, ?, ?, ?)");
      for (let t = 0; t < size.teams; t++) team.run(`team_bench_${t}`, `Bench team ${t}`, hours, now);
      const agent = db.prepare(
        "INSERT INTO users (id, email, name, role, password_hash, availability, created_at) VALUES (?, ?, ?, 'agent', 'x', ?, ?)",
      );
      const member = db.prepare("INSERT INTO team_members (team_id, user_id) VALUES (?, ?)");
      for (let a = 0; a < size.agents; a++) {
        agent.run(`user_bench_${a}`, `agent${a}@bench.example`, `Agent ${a}`, a % 2 === 0 ? "available" : "away", now);
        if (size.teams > 0) member.run(`team_bench_${a % size.teams}`, `user_bench_${a}`);
      }
    })();
  } finally {
    db.close();
  }
};

/**
 * Adds `count` agents to the Support inbox (where the bench's bot hands off) and has each watch
 * the inbox's live feed as /inbox/events does for a page not on the Bot view: a bot's messages
 * only of the conversations the agent has open (none here), its events framed, and what one turn
 * of the event loop brought encoded as one chunk.
 */
const watchInbox = async (runtime: ReturnType<typeof makeAppRuntime>, databasePath: string, count: number): Promise<void> => {
  const db = new BetterSqlite3(databasePath);
  try {
    const now = Date.now();
    db.transaction(() => {
      const agent = db.prepare("INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, 'agent', 'x', ?)");
      const member = db.prepare("INSERT INTO inbox_members (inbox_id, user_id) VALUES (?, ?)");
      for (let a = 0; a < count; a++) {
        agent.run(`user_watch_${a}`, `watcher${a}@bench.example`, `Watcher ${a}`, now);
        member.run(SEED_IDS.inbox, `user_watch_${a}`);
      }
    })();
  } finally {
    db.close();
  }
  const [inbox, presence] = await Promise.all([runtime.runPromise(Inbox), runtime.runPromise(Presence)]);
  const encoder = new TextEncoder();
  for (let a = 0; a < count; a++) {
    let pending = "";
    const flush = () => {
      encoder.encode(pending);
      pending = "";
    };
    const userId = `user_watch_${a}`;
    await runtime.runPromise(
      inbox.watch(
        { id: userId, role: "agent" },
        (event) => {
          if (pending === "") setImmediate(flush);
          pending += inboxEventFrame(event);
        },
        { hearBot: (conversationId) => presence.isViewing(conversationId, userId) },
      ),
    );
  }
};

export interface EngineOptions {
  /** More teams and agents than the demo seeds (none by default). */
  readonly workspace?: WorkspaceSize;
  /** Agents of the Support inbox watching its live feed (none by default). */
  readonly agentsWatching?: number;
}

/**
 * Runs `connections` conversations against the engine for `durationMs` after a 1 s warm-up, in
 * the demo's workspace as `options` grow it.
 */
export const measureEngine = async (durationMs: number, connections = 50, options: EngineOptions = {}): Promise<EngineFigures> => {
  const dir = mkdtempSync(join(tmpdir(), "parley-engine-bench-"));
  const databasePath = join(dir, "parley.sqlite");
  const config = loadConfig({
    DATABASE_PATH: databasePath,
    SESSION_SECRET: TEST_SESSION_SECRET,
    ADMIN_PASSWORD: "bench-admin-password",
    PARLEY_NO_DEMO_CONVERSATIONS: "1",
  });
  const runtime = makeAppRuntime(config);
  try {
    const started = await startup(runtime, config, { print: () => undefined });
    started.stop();
    if (options.workspace !== undefined) growWorkspace(databasePath, options.workspace);
    if (options.agentsWatching !== undefined) await watchInbox(runtime, databasePath, options.agentsWatching);
    const [engine, visitors] = await Promise.all([runtime.runPromise(Engine), runtime.runPromise(Visitors)]);
    const { channelId, leadQualificationId } = seededIds(databasePath);

    let counting = false;
    let messages = 0;
    let turns = 0;
    let clientIds = 0;
    const unwrap = <A>(exit: Exit.Exit<A, unknown>): A => {
      if (Exit.isSuccess(exit)) return exit.value;
      throw new Error(`the engine refused a bench turn: ${JSON.stringify(exit.cause)}`);
    };
    const converse = async (visitorId: string, until: number) => {
      while (Date.now() < until) {
        const view = unwrap(
          await engine.direct.startConversation({ visitorId, channelId, chatflowId: leadQualificationId, pageUrl: "https://shop.example/products" }),
        );
        if (counting) turns++;
        let awaiting = view.awaiting as Awaiting | null;
        while (awaiting && Date.now() < until) {
          const answer = answerFor(awaiting, (n) => clientIds % n);
          const reply = unwrap(
            await engine.direct.handleVisitorMessage({
              conversationId: view.conversation.id,
              visitorId,
              clientMessageId: `m${clientIds++}`,
              ...("choice" in answer ? { choiceIds: [answer.choice] } : { text: answer.text }),
            }),
          );
          if (counting) {
            turns++;
            messages++;
          }
          awaiting = reply.awaiting as Awaiting | null;
        }
      }
    };
    const visitorIds: string[] = [];
    for (let i = 0; i < connections; i++) visitorIds.push((await runtime.runPromise(visitors.create({ channelId }))).visitorId);

    await Promise.all(visitorIds.slice(0, 10).map((id) => converse(id, Date.now() + 1000)));
    counting = true;
    const cpuBefore = process.cpuUsage();
    const from = performance.now();
    await Promise.all(visitorIds.map((id) => converse(id, Date.now() + durationMs)));
    const seconds = (performance.now() - from) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    return {
      messagesPerSecond: messages / seconds,
      turnsPerSecond: turns / seconds,
      cpuMsPerTurn: (cpu.user + cpu.system) / 1000 / turns,
    };
  } finally {
    await runtime.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
};
