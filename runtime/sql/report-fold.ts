/**
 * The report roll-ups — bot sessions, team timelines, replies, A/B arms, node and edge
 * counters — folded once per write group (migrations 11 and 13) instead of by per-event
 * triggers.
 *
 * Why: AFTER INSERT triggers on `events` cost every event a sub-program call per trigger
 * (SQLite runs a trigger's WHEN inside it) plus their statements, even the ones whose WHERE is
 * false — most of the SQL a visitor message wrote. Here the Database runs `foldReportRollups`
 * before each group's COMMIT, in the same transaction (runtime/sql/migrations.ts
 * GROUP_STATEMENTS): it reads the events written since `report_fold_cursor` once, loads the
 * rows of the conversations they touch, continues them with the pure rules of
 * runtime/core/metrics.ts — the written definition of every figure — writes back only the
 * columns that changed, adds the group's node and edge counts, and moves the cursor. A rebuild
 * still replays the log through the SQL rules (REBUILD_REPORT_ROLLUPS_SQL); the property test
 * holds both, and this fold run at random points of a log, equal to metrics.ts.
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
  readonly moveCursor: Statement;
  readonly nodeHours: Statement;
  readonly nodeDays: Statement;
  readonly edgeHours: Statement;
  readonly edgeDays: Statement;
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
    const upsertNodes = (table: string, unit: string) =>
      sqlite.prepare(
        `INSERT INTO ${table} (chatflow_id, ${unit}, chatflow_version_id, inbox_id, channel_id, node_id, reached, left_by, answered, invalid, skipped, starts)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET reached = reached + excluded.reached, left_by = left_by + excluded.left_by,
           answered = answered + excluded.answered, invalid = invalid + excluded.invalid, skipped = skipped + excluded.skipped,
           starts = starts + excluded.starts`,
      );
    const upsertEdges = (table: string, unit: string) =>
      sqlite.prepare(
        `INSERT INTO ${table} (chatflow_id, ${unit}, chatflow_version_id, inbox_id, channel_id, from_node_id, port, to_node_id, traffic)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET traffic = traffic + excluded.traffic`,
      );
    statements = {
      cursor: sqlite.prepare("SELECT last_id FROM report_fold_cursor").pluck(),
      // NOT INDEXED: the new events are the ids at the end of the table. Raw rows: building
      // the objects here costs half of what better-sqlite3's row objects do.
      window: sqlite
        .prepare(
          `SELECT id, type, at, conversation_id, chatflow_id, chatflow_version_id, node_id, port, from_node_id, user_id, inbox_id,
             channel_id, team_id, is_preview, data
           FROM events AS e NOT INDEXED WHERE e.id > ? AND e.is_preview = 0 AND e.conversation_id IS NOT NULL ORDER BY e.id`,
        )
        .raw(),
      moveCursor: sqlite.prepare("UPDATE report_fold_cursor SET last_id = COALESCE((SELECT max(id) FROM events), last_id)"),
      nodeHours: upsertNodes("report_node_hours", "hour"),
      nodeDays: upsertNodes("report_node_days", "day"),
      edgeHours: upsertEdges("report_edge_hours", "hour"),
      edgeDays: upsertEdges("report_edge_days", "day"),
      // Point reads: cheaper than one `IN (json_each(…))` read for a group's few dozen conversations.
      sessions: sqlite.prepare(`SELECT * FROM report_bot_sessions WHERE conversation_id = ?`),
      conversations: sqlite.prepare(`SELECT * FROM report_conversations WHERE conversation_id = ?`),
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

/** A node counters' delta: reached, left by, answered, invalid, skipped, starts. */
type NodeDelta = [number, number, number, number, number, number];

const named = (node: string | null): node is string => node !== null && node !== "";

/** SQLite's `a / b` on the stored start (integer division for integers, as the SQL rules key it). */
const per = (at: number, unit: number) => (Number.isInteger(at) ? Math.trunc(at / unit) : at / unit);

const eventOf = (r: unknown[]): EventRow => ({
  id: r[0] as number,
  type: r[1] as string,
  at: r[2] as number,
  conversation_id: r[3] as string,
  chatflow_id: r[4] as string | null,
  chatflow_version_id: r[5] as string | null,
  node_id: r[6] as string | null,
  port: r[7] as string | null,
  from_node_id: r[8] as string | null,
  user_id: r[9] as string | null,
  inbox_id: r[10] as string | null,
  channel_id: r[11] as string | null,
  team_id: r[12] as string | null,
  is_preview: r[13] as number,
  data: r[14] as string | null,
});

/**
 * Folds the events written since `report_fold_cursor` into every report roll-up — sessions,
 * conversations, replies, arms, node and edge counters — and moves the cursor past them. Run
 * it inside the transaction that wrote the events (the Database does, before each COMMIT).
 */
export const foldReportRollups = (sqlite: Sqlite): void => {
  const statements = statementsOf(sqlite);
  const cursor = statements.cursor.get() as number;
  const events = (statements.window.all(cursor) as unknown[][]).map(eventOf);
  if (events.length === 0) {
    statements.moveCursor.run();
    return;
  }
  const storedSessions = new Map<string, SessionRow>();
  const storedConversations = new Map<string, ConversationRow>();
  for (const id of new Set(events.map((e) => e.conversation_id!))) {
    const session = statements.sessions.get(id) as SessionRow | undefined;
    if (session) storedSessions.set(id, session);
    const conversation = statements.conversations.get(id) as ConversationRow | undefined;
    if (conversation) storedConversations.set(id, conversation);
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

  // Arms and counters count an event of a session that had started before it (metrics.ts
  // armResults and nodeTallies; the SQL rules of REPORT_COUNTER_FOLD, which a rebuild runs).
  // A session's key is fixed when it starts, so the map's session gives the key the event had.
  // Counters are keyed by the hour (and the day) a session started in, not by the session: a
  // group's sessions that started in the same hour share one upsert per node and edge (one per
  // session and node cost ~6 µs per visitor message in each of the four tables).
  const nodes = new Map<string, { key: ReadonlyArray<unknown>; delta: NodeDelta }>();
  const edges = new Map<string, { key: ReadonlyArray<unknown>; traffic: number }>();
  // A session's hour and day keys as map-key text and as values, made once per session: "h" or
  // "d", generated ids and a number, so the NUL between them is unambiguous, as it is before the
  // last free-text parts (node ids, a port).
  interface Bucket {
    readonly text: string;
    readonly key: ReadonlyArray<unknown>;
  }
  const bucketsOf = new Map<BotSession, readonly [Bucket, Bucket]>();
  const buckets = (s: BotSession) => {
    let pair = bucketsOf.get(s);
    if (pair === undefined) {
      const of = (unit: "h" | "d", at: number): Bucket => {
        const key = [s.chatflowId ?? "", at, s.chatflowVersionId ?? "", s.inboxId ?? "", s.channelId ?? ""];
        return { text: `${unit}\u0000${key.join("\u0000")}`, key };
      };
      pair = [of("h", per(s.startedAt, 3_600_000)), of("d", per(s.startedAt, 86_400_000))];
      bucketsOf.set(s, pair);
    }
    return pair;
  };
  const addNode = (s: BotSession, node: string, i: number, starts = 0) => {
    for (const bucket of buckets(s)) {
      const text = `${bucket.text}\u0000${node}`;
      let entry = nodes.get(text);
      if (!entry) nodes.set(text, (entry = { key: [...bucket.key, node], delta: [0, 0, 0, 0, 0, 0] }));
      entry.delta[i]!++;
      entry.delta[5] += starts;
    }
  };
  const addEdge = (s: BotSession, from: string, port: string, to: string) => {
    for (const bucket of buckets(s)) {
      const text = `${bucket.text}\u0000${JSON.stringify([from, port, to])}`;
      const entry = edges.get(text);
      if (entry) entry.traffic++;
      else edges.set(text, { key: [...bucket.key, from, port, to], traffic: 1 });
    }
  };
  const started = new Set(storedSessions.keys());
  for (const e of events) {
    const id = e.conversation_id!;
    if (e.type === "flow_started") {
      started.add(id);
      continue;
    }
    if (!started.has(id)) continue;
    if (e.type === "split_arm") {
      const armId = e.node_id === null ? undefined : armIdOf(e.data);
      if (typeof armId === "string") statements.insertArm.run(id, e.node_id, armId);
      continue;
    }
    if (!named(e.node_id)) continue;
    const s = sessions.get(id)!;
    switch (e.type) {
      case "node_entered": {
        const from = e.from_node_id;
        addNode(s, e.node_id, 0, named(from) ? 0 : 1);
        if (named(from)) {
          addNode(s, from, 1);
          addEdge(s, from, e.port ?? "", e.node_id);
        }
        break;
      }
      case "answered":
        addNode(s, e.node_id, 2);
        break;
      case "invalid_answer":
        addNode(s, e.node_id, 3);
        break;
      case "skipped":
        addNode(s, e.node_id, 4);
        break;
      case "completed":
      case "handed_off":
        addNode(s, e.node_id, 1);
        break;
    }
  }
  for (const [text, { key, delta }] of nodes) (text[0] === "h" ? statements.nodeHours : statements.nodeDays).run(...key, ...delta);
  for (const [text, { key, traffic }] of edges) (text[0] === "h" ? statements.edgeHours : statements.edgeDays).run(...key, traffic);
  statements.moveCursor.run();
};
