/**
 * The report roll-ups of bot sessions, team timelines, replies and A/B arms, folded once per
 * write group (migration 13) instead of by per-event triggers.
 *
 * Why: six AFTER INSERT triggers on `events` cost every event a sub-program call each (SQLite
 * runs a trigger's WHEN inside it) plus their statements, even the ones whose WHERE is false —
 * ~45% of the SQL a visitor message wrote. Here the Database runs `foldReportRollups` before
 * each group's COMMIT, in the same transaction (runtime/sql/migrations.ts GROUP_STATEMENTS):
 * it reads the events written since `report_fold_cursor`, loads the rows of the conversations
 * they touch, continues them with the pure rules of runtime/core/metrics.ts — the written
 * definition of every figure — and writes back only the columns that changed. The node and
 * edge counters and the cursor follow (REPORT_COUNTER_FOLD). A rebuild still replays the log
 * through the SQL rules (REBUILD_REPORT_ROLLUPS_SQL); the property test holds both, and the
 * fold at random points of a log, equal to metrics.ts.
 */
import type BetterSqlite3 from "better-sqlite3";
import { botSessions, teamTimeline, type BotOutcome, type BotSession, type EventRow, type TeamConversation } from "../core/metrics.js";

type Sqlite = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

interface SessionRow {
  conversation_id: string;
  chatflow_id: string | null;
  chatflow_version_id: string | null;
  inbox_id: string | null;
  channel_id: string | null;
  started_at: number;
  timeout_ms: number;
  last_at: number;
  max_gap_ms: number;
  interacted: number;
  outcome: BotOutcome;
  outcome_at: number | null;
  outcome_node_id: string | null;
}

interface ConversationRow {
  conversation_id: string;
  created_at: number;
  channel_id: string | null;
  chatflow_id: string | null;
  inbox_id: string | null;
  team_id: string | null;
  phase: TeamConversation["phase"];
  team_at: number | null;
  last_open_at: number | null;
  waiting_since: number | null;
  last_visitor_at: number | null;
  first_reply_at: number | null;
  first_reply_user_id: string | null;
  first_response_ms: number | null;
  closed_at: number | null;
  time_to_close_ms: number | null;
}

const sessionRow = (s: BotSession): SessionRow => ({
  conversation_id: s.conversationId,
  chatflow_id: s.chatflowId,
  chatflow_version_id: s.chatflowVersionId,
  inbox_id: s.inboxId,
  channel_id: s.channelId,
  started_at: s.startedAt,
  timeout_ms: s.timeoutMs,
  last_at: s.lastAt,
  max_gap_ms: s.maxGapMs,
  interacted: s.interacted ? 1 : 0,
  outcome: s.outcome,
  outcome_at: s.outcomeAt,
  outcome_node_id: s.outcomeNodeId,
});

const sessionOf = (r: SessionRow): BotSession => ({
  conversationId: r.conversation_id,
  chatflowId: r.chatflow_id,
  chatflowVersionId: r.chatflow_version_id,
  inboxId: r.inbox_id,
  channelId: r.channel_id,
  startedAt: r.started_at,
  timeoutMs: r.timeout_ms,
  lastAt: r.last_at,
  maxGapMs: r.max_gap_ms,
  interacted: r.interacted === 1,
  outcome: r.outcome,
  outcomeAt: r.outcome_at,
  outcomeNodeId: r.outcome_node_id,
});

const conversationRow = (c: TeamConversation): ConversationRow => ({
  conversation_id: c.conversationId,
  created_at: c.createdAt,
  channel_id: c.channelId,
  chatflow_id: c.chatflowId,
  inbox_id: c.inboxId,
  team_id: c.teamId,
  phase: c.phase,
  team_at: c.teamAt,
  last_open_at: c.lastOpenAt,
  waiting_since: c.waitingSince,
  last_visitor_at: c.lastVisitorAt,
  first_reply_at: c.firstReplyAt,
  first_reply_user_id: c.firstReplyUserId,
  first_response_ms: c.firstResponseMs,
  closed_at: c.closedAt,
  time_to_close_ms: c.timeToCloseMs,
});

const conversationOf = (r: ConversationRow): TeamConversation => ({
  conversationId: r.conversation_id,
  createdAt: r.created_at,
  channelId: r.channel_id,
  chatflowId: r.chatflow_id,
  inboxId: r.inbox_id,
  teamId: r.team_id,
  phase: r.phase,
  teamAt: r.team_at,
  lastOpenAt: r.last_open_at,
  waitingSince: r.waiting_since,
  lastVisitorAt: r.last_visitor_at,
  firstReplyAt: r.first_reply_at,
  firstReplyUserId: r.first_reply_user_id,
  firstResponseMs: r.first_response_ms,
  closedAt: r.closed_at,
  timeToCloseMs: r.time_to_close_ms,
});

const SESSION_COLUMNS: ReadonlyArray<keyof SessionRow> = [
  "conversation_id",
  "chatflow_id",
  "chatflow_version_id",
  "inbox_id",
  "channel_id",
  "started_at",
  "timeout_ms",
  "last_at",
  "max_gap_ms",
  "interacted",
  "outcome",
  "outcome_at",
  "outcome_node_id",
];
const CONVERSATION_COLUMNS: ReadonlyArray<keyof ConversationRow> = [
  "conversation_id",
  "created_at",
  "channel_id",
  "chatflow_id",
  "inbox_id",
  "team_id",
  "phase",
  "team_at",
  "last_open_at",
  "waiting_since",
  "last_visitor_at",
  "first_reply_at",
  "first_reply_user_id",
  "first_response_ms",
  "closed_at",
  "time_to_close_ms",
];

interface Statements {
  readonly cursor: Statement;
  readonly window: Statement;
  readonly sessions: Statement;
  readonly conversations: Statement;
  readonly timeout: Statement;
  readonly insertSession: Statement;
  readonly insertConversation: Statement;
  readonly insertReply: Statement;
  readonly insertArm: Statement;
  /** UPDATEs naming only the columns that changed, by table and column list. */
  readonly updates: Map<string, Statement>;
}

const prepared = new WeakMap<Sqlite, Statements>();

const statementsOf = (sqlite: Sqlite): Statements => {
  let statements = prepared.get(sqlite);
  if (!statements) {
    const insert = (table: string, columns: ReadonlyArray<string>) =>
      sqlite.prepare(`INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})`);
    statements = {
      cursor: sqlite.prepare("SELECT last_id FROM report_fold_cursor").pluck(),
      // NOT INDEXED: the new events are the ids at the end of the table. Left out, because no
      // rule here reads them: answers and contact links (the counters fold those), and a node
      // entered — most events — unless its session is or may become errored (entering a node
      // after an error is the only thing a node_entered changes in metrics.ts).
      window: sqlite.prepare(
        `SELECT id, type, at, conversation_id, chatflow_id, chatflow_version_id, node_id, port, from_node_id, user_id, inbox_id,
           channel_id, team_id, is_preview, data
         FROM events AS e NOT INDEXED
         WHERE e.id > @cursor AND e.is_preview = 0 AND e.conversation_id IS NOT NULL
           AND e.type NOT IN ('answered', 'invalid_answer', 'skipped', 'contact_linked')
           AND (e.type <> 'node_entered'
             OR EXISTS (SELECT 1 FROM report_bot_sessions s WHERE s.conversation_id = e.conversation_id AND s.outcome = 'errored')
             OR EXISTS (SELECT 1 FROM events AS f INDEXED BY events_conversation_type
               WHERE f.conversation_id = e.conversation_id AND f.type = 'flow_error' AND f.id > @cursor))
         ORDER BY e.id`,
      ),
      sessions: sqlite.prepare(`SELECT * FROM report_bot_sessions WHERE conversation_id IN (SELECT value FROM json_each(?))`),
      conversations: sqlite.prepare(`SELECT * FROM report_conversations WHERE conversation_id IN (SELECT value FROM json_each(?))`),
      // The expression the SQL rules store, so a spec's odd value reads the same.
      timeout: sqlite
        .prepare(
          "SELECT COALESCE((SELECT json_extract(spec, '$.settings.sessionTimeoutMinutes') FROM chatflow_versions WHERE id = ?), 30) * 60000",
        )
        .pluck(),
      insertSession: insert("report_bot_sessions", SESSION_COLUMNS),
      insertConversation: insert("report_conversations", CONVERSATION_COLUMNS),
      insertReply: sqlite.prepare(
        `INSERT INTO report_replies (event_id, conversation_id, at, user_id, inbox_id, channel_id, chatflow_id, team_id, wait_ms, is_first, first_response_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertArm: sqlite.prepare("INSERT OR IGNORE INTO report_arms (conversation_id, node_id, arm_id) VALUES (?, ?, ?)"),
      updates: new Map(),
    };
    prepared.set(sqlite, statements);
  }
  return statements;
};

/**
 * Writes `after` over `before`: nothing when equal, else an UPDATE of the changed columns only
 * (assigning an indexed column rewrites its index entries even when the value stays).
 */
const writeChanges = <Row extends object>(
  statements: Statements,
  sqlite: Sqlite,
  table: string,
  before: Row,
  after: Row,
  columns: ReadonlyArray<keyof Row & string>,
): void => {
  const changed = columns.filter((c) => before[c] !== after[c]);
  if (changed.length === 0) return;
  const key = `${table}:${changed.join(",")}`;
  let update = statements.updates.get(key);
  if (!update) {
    update = sqlite.prepare(`UPDATE ${table} SET ${changed.map((c) => `${c} = @${c}`).join(", ")} WHERE conversation_id = @conversation_id`);
    statements.updates.set(key, update);
  }
  update.run(after);
};

const armIdOf = (data: string | null): unknown => {
  if (data === null) return undefined;
  try {
    const value: unknown = JSON.parse(data);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as { armId?: unknown }).armId : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Folds the events written since the cursor into report_bot_sessions, report_conversations,
 * report_replies and report_arms. Run it inside the transaction that wrote them, before
 * REPORT_COUNTER_FOLD (which joins the sessions and moves the cursor).
 */
export const foldReportRollups = (sqlite: Sqlite): void => {
  const statements = statementsOf(sqlite);
  const cursor = statements.cursor.get() as number;
  const events = statements.window.all({ cursor }) as EventRow[];
  if (events.length === 0) return;
  const ids = JSON.stringify([...new Set(events.map((e) => e.conversation_id!))]);

  const storedSessions = new Map((statements.sessions.all(ids) as SessionRow[]).map((r) => [r.conversation_id, r]));
  const storedConversations = new Map((statements.conversations.all(ids) as ConversationRow[]).map((r) => [r.conversation_id, r]));

  // Arms first: a split counts for a session that had started before it (metrics.ts armResults).
  const started = new Set(storedSessions.keys());
  for (const e of events) {
    if (e.type === "flow_started") started.add(e.conversation_id!);
    else if (e.type === "split_arm" && e.node_id !== null && started.has(e.conversation_id!)) {
      const armId = armIdOf(e.data);
      if (typeof armId === "string") statements.insertArm.run(e.conversation_id, e.node_id, armId);
    }
  }

  const timeouts = new Map<string | null, number>();
  const timeoutOf = (versionId: string | null) => {
    let ms = timeouts.get(versionId);
    if (ms === undefined) timeouts.set(versionId, (ms = statements.timeout.get(versionId) as number));
    return ms;
  };
  const sessions = botSessions(events, timeoutOf, new Map([...storedSessions].map(([id, r]) => [id, sessionOf(r)])));
  for (const [id, session] of sessions) {
    const before = storedSessions.get(id);
    const after = sessionRow(session);
    if (before) writeChanges(statements, sqlite, "report_bot_sessions", before, after, SESSION_COLUMNS);
    else statements.insertSession.run(after);
  }

  const timeline = teamTimeline(events, new Map([...storedConversations].map(([id, r]) => [id, conversationOf(r)])));
  for (const [id, conversation] of timeline.conversations) {
    const before = storedConversations.get(id);
    const after = conversationRow(conversation);
    if (before) writeChanges(statements, sqlite, "report_conversations", before, after, CONVERSATION_COLUMNS);
    else statements.insertConversation.run(after);
  }
  for (const r of timeline.replies) {
    statements.insertReply.run(
      r.eventId,
      r.conversationId,
      r.at,
      r.userId,
      r.inboxId,
      r.channelId,
      r.chatflowId,
      r.teamId,
      r.waitMs,
      r.isFirst ? 1 : 0,
      r.firstResponseMs,
    );
  }
};
