/**
 * `npm run bench:crash -- 20`: drives lead-qualification conversations over HTTP against the
 * real server process, SIGKILLs it at random moments, restarts it on the same database and
 * port, retries every unacknowledged message with the same clientMessageId, and then checks:
 * - every acknowledged visitor message is stored exactly once (and nothing else was stored:
 *   a conversation holds exactly as many visitor messages as were acknowledged in it);
 * - every conversation resumes on the right node: the node each answer reported follows the
 *   flow (ask_name → ask_email → ask_company_size → end), and the node awaited after the last
 *   acknowledged answer is what GET /api/conversations/:id reports after the last restart.
 * tests/api/crash.test.ts runs it with 5 kills in the suite.
 */
import BetterSqlite3 from "better-sqlite3";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { answerFor, call, seededIds, startServer, type Awaiting, type ServerProcess } from "./http-harness.js";

export interface CrashOptions {
  readonly kills: number;
  /** Conversations driven at once (default 8). */
  readonly lanes?: number;
  /** Random delay before each kill, in ms (default 300–1500 after the server is up). */
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly log?: (line: string) => void;
}

export interface CrashReport {
  readonly kills: number;
  readonly conversations: number;
  readonly acknowledged: number;
  /** Messages that had no answer when the server died and were sent again. */
  readonly retried: number;
  /** Every broken promise found; empty when the store kept its word. */
  readonly violations: ReadonlyArray<string>;
}

/** The lead-qualification flow's questions in order; after the last the conversation ends. */
const NEXT_NODE: Record<string, string | null> = { ask_name: "ask_email", ask_email: "ask_company_size", ask_company_size: null };

interface Ack {
  readonly conversationId: string;
  readonly clientMessageId: string;
  readonly messageId: string;
  readonly text: string;
  readonly answeredNode: string;
  readonly awaitingNode: string | null;
}

interface ConversationLog {
  readonly id: string;
  readonly token: string;
  acks: Ack[];
  /** What the last acknowledged answer (or the start) said the bot waits for. */
  awaiting: string | null;
}

/** Runs the crash scenario; resolves a report (violations empty when every promise held). */
export const runCrash = async (options: CrashOptions): Promise<CrashReport> => {
  const log = options.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), "parley-crash-"));
  const databasePath = join(dir, "parley.sqlite");
  const env = { PARLEY_NO_RATE_LIMIT: "1" };
  let server: ServerProcess = await startServer({ databasePath, env });
  const port = server.port;
  const base = server.base;
  const { channelId, leadQualificationId } = seededIds(databasePath);
  const conversations = new Map<string, ConversationLog>();
  const violations: string[] = [];
  let retried = 0;
  let stopping = false;
  let up = true;

  const lanes = options.lanes ?? 8;
  const tokens: string[] = [];
  for (let i = 0; i < lanes; i++) {
    const created = await call(base, "/api/visitors", { body: { channel: channelId } });
    if (created.status !== 201) throw new Error(`creating a visitor answered ${created.status}: ${JSON.stringify(created.body)}`);
    tokens.push(created.body.visitorToken as string);
  }

  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** Sends until the server answers (retrying the SAME body through crashes); undefined when stopping. */
  const persist = async (path: string, token: string, body: unknown): Promise<{ status: number; body: any } | undefined> => {
    let attempt = 0;
    for (;;) {
      if (!up) {
        await pause(50);
        continue;
      }
      try {
        return await call(base, path, { token, body, timeoutMs: 15_000 });
      } catch {
        // The server died with the request in flight: its fate is unknown until we ask again.
        attempt++;
        if (attempt === 1) retried++;
        if (stopping && attempt > 200) return undefined;
        await pause(50);
      }
    }
  };

  const lane = async (token: string, laneIndex: number) => {
    let counter = 0;
    while (!stopping) {
      // Starting is not idempotent: a start lost in a crash may leave an unanswered
      // conversation behind, which is fine — only acknowledged messages are promised.
      let started: { status: number; body: any } | undefined;
      try {
        started = up ? await call(base, "/api/conversations", { token, body: { channel: channelId, chatflowId: leadQualificationId, pageUrl: "https://shop.example/" } }) : undefined;
      } catch {
        started = undefined;
      }
      if (!started) {
        await pause(50);
        continue;
      }
      if (started.status !== 201) {
        violations.push(`starting a conversation answered ${started.status}: ${JSON.stringify(started.body)}`);
        return;
      }
      const conversation: ConversationLog = {
        id: started.body.conversation.id,
        token,
        acks: [],
        awaiting: (started.body.awaiting as Awaiting | null)?.nodeId ?? null,
      };
      conversations.set(conversation.id, conversation);
      if (conversation.awaiting !== "ask_name") violations.push(`${conversation.id}: a new conversation awaits ${conversation.awaiting}, not ask_name`);
      let awaiting = started.body.awaiting as Awaiting | null;
      while (awaiting && !stopping) {
        const clientMessageId = `lane${laneIndex}-${counter++}-${randomUUID()}`;
        const answer = answerFor(awaiting, (n) => counter % n);
        const response = await persist(`/api/conversations/${conversation.id}/messages`, token, { clientMessageId, ...answer });
        if (!response) return;
        if (response.status !== 200) {
          violations.push(`${conversation.id}: message ${clientMessageId} answered ${response.status}: ${JSON.stringify(response.body)}`);
          return;
        }
        const visitorMessage = (response.body.messages as Array<{ id: string; author: string; text: string }>).find((m) => m.author === "visitor");
        if (!visitorMessage) {
          violations.push(`${conversation.id}: the answer to ${clientMessageId} holds no visitor message`);
          return;
        }
        const next = (response.body.awaiting as Awaiting | null)?.nodeId ?? null;
        const expected = NEXT_NODE[awaiting.nodeId];
        if (expected !== undefined && next !== expected) {
          violations.push(`${conversation.id}: after answering ${awaiting.nodeId} the bot awaits ${next}, expected ${expected}`);
        }
        conversation.acks.push({
          conversationId: conversation.id,
          clientMessageId,
          messageId: visitorMessage.id,
          text: visitorMessage.text,
          answeredNode: awaiting.nodeId,
          awaitingNode: next,
        });
        conversation.awaiting = next;
        awaiting = response.body.awaiting as Awaiting | null;
      }
    }
  };

  const running = tokens.map((token, i) => lane(token, i));

  const minDelay = options.minDelayMs ?? 300;
  const maxDelay = options.maxDelayMs ?? 1500;
  try {
    for (let kill = 1; kill <= options.kills; kill++) {
      await pause(minDelay + Math.random() * (maxDelay - minDelay));
      const ackedBefore = [...conversations.values()].reduce((n, c) => n + c.acks.length, 0);
      up = false;
      await server.stop("SIGKILL");
      log(`kill ${kill}/${options.kills}: SIGKILL after ${ackedBefore} acknowledged messages`);
      server = await startServer({ databasePath, env, port });
      up = true;
    }
    // Let every lane get at least one more answer from the last incarnation.
    await pause(minDelay);
  } finally {
    stopping = true;
    await Promise.all(running);
  }

  // Conversations resume on the right node: the server reports what the last ack said.
  for (const conversation of conversations.values()) {
    const view = await call(base, `/api/conversations/${conversation.id}`, { token: conversation.token });
    if (view.status !== 200) {
      violations.push(`${conversation.id}: GET answered ${view.status}`);
      continue;
    }
    const reported = (view.body.awaiting as Awaiting | null)?.nodeId ?? null;
    if (reported !== conversation.awaiting) {
      violations.push(`${conversation.id}: the server awaits ${reported}, the last acknowledged answer said ${conversation.awaiting}`);
    }
    const ids = new Set((view.body.messages as Array<{ id: string }>).map((m) => m.id));
    for (const ack of conversation.acks) if (!ids.has(ack.messageId)) violations.push(`${conversation.id}: acknowledged message ${ack.messageId} is missing from GET`);
  }
  await server.stop("SIGTERM");

  // Every acknowledged message is stored exactly once, and nothing unacknowledged slipped in.
  const sqlite = new BetterSqlite3(databasePath, { readonly: true });
  const byClientId = sqlite.prepare("SELECT id, text FROM messages WHERE conversation_id = ? AND client_message_id = ?");
  const visitorCount = sqlite.prepare("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND author = 'visitor'").pluck();
  let acknowledged = 0;
  for (const conversation of conversations.values()) {
    for (const ack of conversation.acks) {
      acknowledged++;
      const rows = byClientId.all(ack.conversationId, ack.clientMessageId) as Array<{ id: number; text: string }>;
      if (rows.length !== 1) violations.push(`${ack.conversationId}: message ${ack.clientMessageId} is stored ${rows.length} times`);
      else if (String(rows[0]!.id) !== ack.messageId || rows[0]!.text !== ack.text) {
        violations.push(`${ack.conversationId}: message ${ack.clientMessageId} is stored as ${rows[0]!.id} "${rows[0]!.text}", acknowledged as ${ack.messageId} "${ack.text}"`);
      }
    }
    const stored = visitorCount.get(conversation.id) as number;
    if (stored !== conversation.acks.length) {
      violations.push(`${conversation.id}: ${stored} visitor messages stored, ${conversation.acks.length} acknowledged`);
    }
  }
  sqlite.close();
  rmSync(dir, { recursive: true, force: true });
  return { kills: options.kills, conversations: conversations.size, acknowledged, retried, violations };
};

/** Bench figures of a crash run (for `npm run bench:crash`). */
export const run = async (kills = 20) => {
  const report = await runCrash({ kills, log: (line) => console.error(line) });
  return {
    report,
    figures: [
      { name: "crash.kills", unit: "count", value: report.kills },
      { name: "crash.acknowledged_messages", unit: "count", value: report.acknowledged },
      { name: "crash.retried_messages", unit: "count", value: report.retried },
      { name: "crash.violations", unit: "count", value: report.violations.length },
    ],
  };
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const kills = Number(process.argv[2] ?? 20);
  if (!Number.isInteger(kills) || kills < 1) {
    console.error("usage: npm run bench:crash -- <kills (a positive integer)>");
    process.exit(2);
  }
  const { report, figures } = await run(kills);
  for (const figure of figures) console.log(JSON.stringify(figure));
  for (const violation of report.violations) console.error("VIOLATION:", violation);
  process.exit(report.violations.length === 0 ? 0 : 1);
}
