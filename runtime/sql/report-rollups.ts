/**
 * The report roll-ups: per-conversation tables derived from the append-only `events` log by
 * triggers, so they change in the same transaction as the events that feed them — whichever
 * service writes the event. runtime/core/metrics.ts states the same rules as pure functions; a
 * test replays random logs through both and requires equal results.
 *
 * Migration 6 created the tables and kept them through a view with INSTEAD OF triggers (several
 * triggers per event, each written to give the same result whichever ran first). That cost
 * ~40 µs per event on this machine — SQLite stages every row inserted into a view, and calls one
 * sub-program per trigger — so migration 7 replaces it with ONE trigger on `events` whose
 * statements are each guarded by the event's type. The same statements, as a TEMP trigger on a
 * TEMP replay table, rebuild the tables from the log (REBUILD_REPORT_ROLLUPS_SQL). Migration
 * 6's text stays as shipped.
 *
 * Since migrations 11 and 13 no trigger keeps the tables live: the Database folds each write
 * group's events into them before its COMMIT, in the same transaction, by metrics.ts's rules
 * (runtime/sql/report-fold.ts) — per-event triggers were most of a visitor message's write.
 * The statements here still rebuild the tables from the log.
 *
 * - report_bot_sessions: one row per bot session (flow_started) with its outcome.
 * - report_conversations: one row per conversation: when the team got it, who answered first
 *   and how long that took, its first close.
 * - report_replies: one row per human, non-internal reply with how long the visitor waited.
 */

/** The columns of `events` the feed carries, in order. */
export const FEED_COLUMNS =
  "id, type, at, conversation_id, chatflow_id, chatflow_version_id, node_id, port, from_node_id, user_id, inbox_id, channel_id, team_id, is_preview, data";

/** The same columns read from `events`, with `data` nulled when it is not JSON so no trigger can fail on it. */
const FEED_SELECT =
  "id, type, at, conversation_id, chatflow_id, chatflow_version_id, node_id, port, from_node_id, user_id, inbox_id, channel_id, team_id, is_preview, CASE WHEN json_valid(data) THEN data END";

const ACTIVE = "outcome IN ('in_progress', 'errored')";
const NOT_INTERNAL = "json_extract(NEW.data, '$.internal') IS NOT 1";

export const REPORT_ROLLUPS_SQL = /* sql */ `
CREATE TABLE report_bot_sessions (
  conversation_id TEXT PRIMARY KEY,
  chatflow_id TEXT,
  chatflow_version_id TEXT,
  inbox_id TEXT,
  channel_id TEXT,
  started_at INTEGER NOT NULL,
  -- The flow version's session timeout, read once when the session starts.
  timeout_ms INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  -- The longest pause between two events of the session so far.
  max_gap_ms INTEGER NOT NULL DEFAULT 0,
  interacted INTEGER NOT NULL DEFAULT 0,
  outcome TEXT NOT NULL DEFAULT 'in_progress'
    CHECK (outcome IN ('completed','handed_off','abandoned','no_reply','errored','in_progress')),
  outcome_at INTEGER,
  outcome_node_id TEXT
) WITHOUT ROWID;
CREATE INDEX report_bot_sessions_started ON report_bot_sessions(started_at, chatflow_id, chatflow_version_id, outcome, inbox_id, channel_id);
CREATE INDEX report_bot_sessions_flow ON report_bot_sessions(chatflow_id, started_at, chatflow_version_id, outcome, inbox_id, channel_id);

CREATE TABLE report_conversations (
  conversation_id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  channel_id TEXT,
  chatflow_id TEXT,
  inbox_id TEXT,
  team_id TEXT,
  phase TEXT NOT NULL CHECK (phase IN ('bot','team','closed')),
  team_at INTEGER,
  last_open_at INTEGER,
  waiting_since INTEGER,
  last_visitor_at INTEGER,
  first_reply_at INTEGER,
  first_reply_user_id TEXT,
  first_response_ms INTEGER,
  closed_at INTEGER,
  time_to_close_ms INTEGER
) WITHOUT ROWID;
CREATE INDEX report_conversations_created ON report_conversations(created_at, channel_id, inbox_id, team_id, chatflow_id, team_at);
CREATE INDEX report_conversations_closed ON report_conversations(closed_at, time_to_close_ms, inbox_id, channel_id, team_id, chatflow_id)
  WHERE closed_at IS NOT NULL;

CREATE TABLE report_replies (
  event_id INTEGER PRIMARY KEY,
  conversation_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  user_id TEXT,
  inbox_id TEXT,
  channel_id TEXT,
  chatflow_id TEXT,
  team_id TEXT,
  wait_ms INTEGER,
  is_first INTEGER NOT NULL,
  first_response_ms INTEGER
);
CREATE INDEX report_replies_at ON report_replies(at, user_id, wait_ms, is_first, first_response_ms, inbox_id, channel_id, team_id, chatflow_id);

-- The node report reads a cohort's node events by conversation without touching the table.
CREATE INDEX events_conversation_type ON events(conversation_id, type, node_id, from_node_id, port);

CREATE VIEW report_event_feed AS SELECT ${FEED_COLUMNS} FROM events;

CREATE TRIGGER events_report_feed AFTER INSERT ON events
WHEN NEW.is_preview = 0 AND NEW.conversation_id IS NOT NULL
BEGIN
  INSERT INTO report_event_feed (${FEED_COLUMNS}) VALUES (NEW.id, NEW.type, NEW.at, NEW.conversation_id, NEW.chatflow_id,
    NEW.chatflow_version_id, NEW.node_id, NEW.port, NEW.from_node_id, NEW.user_id, NEW.inbox_id, NEW.channel_id, NEW.team_id,
    NEW.is_preview, CASE WHEN json_valid(NEW.data) THEN NEW.data END);
END;

-- ---- bot sessions ----

CREATE TRIGGER report_flow_started INSTEAD OF INSERT ON report_event_feed WHEN NEW.type = 'flow_started'
BEGIN
  INSERT OR IGNORE INTO report_bot_sessions (conversation_id, chatflow_id, chatflow_version_id, inbox_id, channel_id, started_at, timeout_ms, last_at)
  VALUES (NEW.conversation_id, NEW.chatflow_id, NEW.chatflow_version_id, NEW.inbox_id, NEW.channel_id, NEW.at,
    COALESCE((SELECT json_extract(spec, '$.settings.sessionTimeoutMinutes') FROM chatflow_versions WHERE id = NEW.chatflow_version_id), 30) * 60000,
    NEW.at);
  UPDATE report_conversations SET phase = 'bot', team_at = NULL
  WHERE conversation_id = NEW.conversation_id AND phase = 'team' AND first_reply_at IS NULL AND last_open_at IS NULL;
END;

CREATE TRIGGER report_session_gap INSTEAD OF INSERT ON report_event_feed WHEN NEW.type <> 'flow_started'
BEGIN
  UPDATE report_bot_sessions SET max_gap_ms = max(max_gap_ms, NEW.at - last_at), last_at = NEW.at
  WHERE conversation_id = NEW.conversation_id AND ${ACTIVE};
END;

CREATE TRIGGER report_session_completed INSTEAD OF INSERT ON report_event_feed WHEN NEW.type = 'completed'
BEGIN
  UPDATE report_bot_sessions SET
    outcome = CASE WHEN max(max_gap_ms, NEW.at - last_at) <= timeout_ms THEN 'completed' WHEN interacted THEN 'abandoned' ELSE 'no_reply' END,
    max_gap_ms = max(max_gap_ms, NEW.at - last_at), last_at = NEW.at, outcome_at = NEW.at, outcome_node_id = NEW.node_id
  WHERE conversation_id = NEW.conversation_id AND ${ACTIVE};
END;

CREATE TRIGGER report_session_handed_off INSTEAD OF INSERT ON report_event_feed WHEN NEW.type = 'handed_off'
BEGIN
  UPDATE report_bot_sessions SET outcome = 'handed_off',
    max_gap_ms = max(max_gap_ms, NEW.at - last_at), last_at = NEW.at, outcome_at = NEW.at, outcome_node_id = NEW.node_id
  WHERE conversation_id = NEW.conversation_id AND ${ACTIVE};
END;

CREATE TRIGGER report_session_abandoned INSTEAD OF INSERT ON report_event_feed WHEN NEW.type = 'abandoned'
BEGIN
  UPDATE report_bot_sessions SET outcome = CASE WHEN interacted THEN 'abandoned' ELSE 'no_reply' END,
    max_gap_ms = max(max_gap_ms, NEW.at - last_at), last_at = NEW.at, outcome_at = NEW.at, outcome_node_id = NEW.node_id
  WHERE conversation_id = NEW.conversation_id AND ${ACTIVE};
END;

CREATE TRIGGER report_session_error INSTEAD OF INSERT ON report_event_feed WHEN NEW.type = 'flow_error'
BEGIN
  UPDATE report_bot_sessions SET outcome = 'errored', outcome_at = NEW.at, outcome_node_id = NEW.node_id
  WHERE conversation_id = NEW.conversation_id AND outcome = 'in_progress';
END;

CREATE TRIGGER report_session_continues INSTEAD OF INSERT ON report_event_feed
WHEN NEW.type IN ('node_entered', 'answered', 'invalid_answer', 'skipped', 'split_arm')
BEGIN
  UPDATE report_bot_sessions SET outcome = 'in_progress', outcome_at = NULL, outcome_node_id = NULL
  WHERE conversation_id = NEW.conversation_id AND outcome = 'errored';
END;

-- ---- conversations and replies ----

CREATE TRIGGER report_conversation_created INSTEAD OF INSERT ON report_event_feed WHEN NEW.type = 'conversation_created'
BEGIN
  INSERT OR IGNORE INTO report_conversations (conversation_id, created_at, channel_id, chatflow_id, inbox_id, team_id, phase, team_at)
  VALUES (NEW.conversation_id, NEW.at, NEW.channel_id, NEW.chatflow_id, NEW.inbox_id, NEW.team_id, 'team', NEW.at);
END;

CREATE TRIGGER report_conversation_inbox INSTEAD OF INSERT ON report_event_feed
WHEN NEW.inbox_id IS NOT NULL AND NEW.type <> 'conversation_created'
BEGIN
  UPDATE report_conversations SET inbox_id = NEW.inbox_id WHERE conversation_id = NEW.conversation_id AND inbox_id IS NOT NEW.inbox_id;
END;

CREATE TRIGGER report_message INSTEAD OF INSERT ON report_event_feed WHEN NEW.type = 'message_created'
BEGIN
  UPDATE report_bot_sessions SET interacted = 1
  WHERE json_extract(NEW.data, '$.author') = 'visitor' AND conversation_id = NEW.conversation_id AND ${ACTIVE};
  UPDATE report_conversations SET last_visitor_at = NEW.at,
    waiting_since = CASE WHEN phase <> 'bot' THEN COALESCE(waiting_since, NEW.at) ELSE waiting_since END
  WHERE json_extract(NEW.data, '$.author') = 'visitor' AND conversation_id = NEW.conversation_id;

  INSERT INTO report_replies (event_id, conversation_id, at, user_id, inbox_id, channel_id, chatflow_id, team_id, wait_ms, is_first, first_response_ms)
  SELECT NEW.id, NEW.conversation_id, NEW.at, NEW.user_id, COALESCE(NEW.inbox_id, inbox_id), channel_id, chatflow_id, team_id,
    CASE WHEN phase <> 'bot' AND waiting_since IS NOT NULL THEN NEW.at - waiting_since END,
    first_reply_at IS NULL,
    CASE WHEN first_reply_at IS NULL AND phase <> 'bot' THEN NEW.at - max(created_at, COALESCE(last_open_at, created_at)) END
  FROM report_conversations
  WHERE json_extract(NEW.data, '$.author') = 'agent' AND ${NOT_INTERNAL}
    AND conversation_id = NEW.conversation_id;
  UPDATE report_conversations SET
    first_reply_user_id = CASE WHEN first_reply_at IS NULL THEN NEW.user_id ELSE first_reply_user_id END,
    first_response_ms = CASE WHEN first_reply_at IS NULL AND phase <> 'bot'
      THEN NEW.at - max(created_at, COALESCE(last_open_at, created_at)) ELSE first_response_ms END,
    first_reply_at = COALESCE(first_reply_at, NEW.at),
    waiting_since = NULL
  WHERE json_extract(NEW.data, '$.author') = 'agent' AND ${NOT_INTERNAL}
    AND conversation_id = NEW.conversation_id;
END;

CREATE TRIGGER report_handoff INSTEAD OF INSERT ON report_event_feed WHEN NEW.type = 'handoff'
BEGIN
  UPDATE report_conversations SET phase = 'team', team_at = COALESCE(team_at, NEW.at), last_open_at = NEW.at,
    waiting_since = NEW.at, team_id = COALESCE(NEW.team_id, team_id)
  WHERE conversation_id = NEW.conversation_id;
END;

CREATE TRIGGER report_agent_took_over INSTEAD OF INSERT ON report_event_feed WHEN NEW.type = 'agent_took_over'
BEGIN
  UPDATE report_conversations SET phase = 'team', team_at = COALESCE(team_at, NEW.at), last_open_at = NEW.at
  WHERE conversation_id = NEW.conversation_id;
END;

CREATE TRIGGER report_status_opened INSTEAD OF INSERT ON report_event_feed
WHEN NEW.type = 'status_changed' AND json_extract(NEW.data, '$.to') IN ('open', 'pending')
BEGIN
  UPDATE report_conversations SET
    waiting_since = CASE WHEN phase = 'bot' AND last_visitor_at = NEW.at THEN COALESCE(waiting_since, NEW.at) ELSE waiting_since END,
    last_open_at = CASE WHEN json_extract(NEW.data, '$.to') = 'open' AND json_extract(NEW.data, '$.from') IS NOT 'open'
      THEN NEW.at ELSE last_open_at END,
    phase = 'team',
    team_at = COALESCE(team_at, NEW.at)
  WHERE conversation_id = NEW.conversation_id;
END;

CREATE TRIGGER report_status_closed INSTEAD OF INSERT ON report_event_feed
WHEN NEW.type = 'status_changed' AND json_extract(NEW.data, '$.to') = 'closed'
BEGIN
  UPDATE report_conversations SET
    time_to_close_ms = CASE WHEN closed_at IS NULL AND team_at IS NOT NULL THEN NEW.at - created_at ELSE time_to_close_ms END,
    closed_at = CASE WHEN closed_at IS NULL AND team_at IS NOT NULL THEN NEW.at ELSE closed_at END,
    phase = 'closed',
    waiting_since = NULL
  WHERE conversation_id = NEW.conversation_id;
END;

CREATE TRIGGER report_team INSTEAD OF INSERT ON report_event_feed WHEN NEW.type IN ('assigned', 'unassigned')
BEGIN
  UPDATE report_conversations SET team_id = NEW.team_id WHERE conversation_id = NEW.conversation_id;
END;

-- The log written before this migration, replayed in order.
INSERT INTO report_event_feed (${FEED_COLUMNS})
  SELECT ${FEED_SELECT} FROM events WHERE is_preview = 0 AND conversation_id IS NOT NULL ORDER BY id;
`;

// ---------------------------------------------------------------------------------------------
// Migration 7: one trigger on `events`

/** A JSON field of the event's data; NULL when the data is not JSON (so no statement can fail on it). */
const field = (path: string) => `(CASE WHEN json_valid(NEW.data) THEN json_extract(NEW.data, '${path}') END)`;
const AUTHOR = field("$.author");
const TO = field("$.to");
const FROM = field("$.from");
const IS_REPLY = `NEW.type = 'message_created' AND ${AUTHOR} = 'agent' AND ${field("$.internal")} IS NOT 1`;
const FIRST_RESPONSE = "NEW.at - max(created_at, COALESCE(last_open_at, created_at))";

const COUNTABLE = "NEW.is_preview = 0 AND NEW.conversation_id IS NOT NULL";
const TEAM_TYPES = "('handoff', 'agent_took_over', 'status_changed', 'assigned', 'unassigned')";

const NAMED_NODE = "NEW.node_id IS NOT NULL AND NEW.node_id <> ''";
const UNNAMED_FROM = "(NEW.from_node_id IS NULL OR NEW.from_node_id = '')";
/** The hourly key of the event's session: its flow, start hour (UTC), version, inbox and channel ('' for none). */
const HOUR_KEY =
  "COALESCE(s.chatflow_id, ''), s.started_at / 3600000, COALESCE(s.chatflow_version_id, ''), COALESCE(s.inbox_id, ''), COALESCE(s.channel_id, '')";

/** The daily key (UTC day of the session's start), for migration 10's daily counters. */
const DAY_KEY =
  "COALESCE(s.chatflow_id, ''), s.started_at / 86400000, COALESCE(s.chatflow_version_id, ''), COALESCE(s.inbox_id, ''), COALESCE(s.channel_id, '')";

/**
 * Which migration's rules a generated statement follows (7: hourly counters; 10: hourly and
 * daily, arms, as of migration 10; 11: as 10, with the counters folded once per write group
 * instead of per event — see "Migration 11" below).
 */
type Level = 7 | 10 | 11;

/**
 * Adds to the counters of `node` in its session's hour — and, from migration 10 on, its day —
 * (nothing when the conversation has no bot session).
 */
const countAt = (node: string, update: string, values: string, when = "1", level: Level = 7) => {
  const into = (table: string, unit: string, key: string) => /* sql */ `INSERT INTO ${table}
    (chatflow_id, ${unit}, chatflow_version_id, inbox_id, channel_id, node_id, reached, left_by, answered, invalid, skipped, starts)
  SELECT ${key}, ${node}, ${values}
  FROM report_bot_sessions s WHERE s.conversation_id = NEW.conversation_id AND ${node} IS NOT NULL AND ${node} <> '' AND ${NAMED_NODE} AND ${when}
  ON CONFLICT DO UPDATE SET ${update};`;
  const hourly = into("report_node_hours", "hour", HOUR_KEY);
  if (level === 11) return "";
  return level === 7 ? hourly : `${hourly}\n  ${into("report_node_days", "day", DAY_KEY)}`;
};

/** Adds one to the traffic of the connection the entered node came by, per hour (and day from migration 10). */
const countEdge = (level: Level) => {
  const into = (table: string, unit: string, key: string) => /* sql */ `INSERT INTO ${table} (chatflow_id, ${unit}, chatflow_version_id, inbox_id, channel_id, from_node_id, port, to_node_id, traffic)
  SELECT ${key}, NEW.from_node_id, COALESCE(NEW.port, ''), NEW.node_id, 1
  FROM report_bot_sessions s WHERE s.conversation_id = NEW.conversation_id AND ${NAMED_NODE} AND NOT ${UNNAMED_FROM}
  ON CONFLICT DO UPDATE SET traffic = traffic + 1;`;
  const hourly = into("report_edge_hours", "hour", HOUR_KEY);
  if (level === 11) return "";
  return level === 7 ? hourly : `${hourly}\n  ${into("report_edge_days", "day", DAY_KEY)}`;
};

/**
 * The roll-up triggers on `table`, in the order metrics.ts applies its rules, grouped by event
 * type so an event runs only its own statements (each trigger costs a sub-program call even
 * when its WHEN is false; each statement opens its table's cursors even when its WHERE is).
 */
const rollupTriggers = (table: string, prefix: string, temp: boolean, level: Level) => {
  const trigger = (name: string, when: string, body: string) =>
    `CREATE ${temp ? "TEMP " : ""}TRIGGER ${prefix}${name} AFTER INSERT ON ${table} WHEN ${COUNTABLE} AND ${when}\nBEGIN${body}END;\n`;
  return [
    trigger(
      "walk",
      "NEW.type = 'node_entered'",
      /* sql */ `
  -- A node entered after an error: the flow went on, so the error did not end it.
  UPDATE report_bot_sessions SET outcome = 'in_progress', outcome_at = NULL, outcome_node_id = NULL
  WHERE conversation_id = NEW.conversation_id AND outcome = 'errored';
  ${countAt("NEW.node_id", "reached = reached + 1, starts = starts + excluded.starts", "1, 0, 0, 0, 0, CASE WHEN " + UNNAMED_FROM + " THEN 1 ELSE 0 END", "1", level)}
  ${countAt("NEW.from_node_id", "left_by = left_by + 1", "0, 1, 0, 0, 0, 0", "NOT " + UNNAMED_FROM, level)}
  ${countEdge(level)}
`,
    ),
    // From migration 11 the answers are only counted, by the group fold: no trigger.
    level === 11
      ? ""
      : trigger(
      "answer",
      "NEW.type IN ('answered', 'invalid_answer', 'skipped')",
      /* sql */ `
  ${countAt(
    "NEW.node_id",
    "answered = answered + excluded.answered, invalid = invalid + excluded.invalid, skipped = skipped + excluded.skipped",
    "0, 0, NEW.type = 'answered', NEW.type = 'invalid_answer', NEW.type = 'skipped', 0",
    "1",
    level,
  )}
`,
    ),
    trigger(
      "message",
      "NEW.type = 'message_created'",
      /* sql */ `
  UPDATE report_bot_sessions SET
    max_gap_ms = max(max_gap_ms, NEW.at - last_at),
    last_at = NEW.at,
    interacted = CASE WHEN ${AUTHOR} = 'visitor' THEN 1 ELSE interacted END
  WHERE conversation_id = NEW.conversation_id AND outcome IN ('in_progress', 'errored');
  UPDATE report_conversations SET last_visitor_at = NEW.at,
    waiting_since = CASE WHEN phase <> 'bot' THEN COALESCE(waiting_since, NEW.at) ELSE waiting_since END
  WHERE ${AUTHOR} = 'visitor' AND conversation_id = NEW.conversation_id;
  INSERT INTO report_replies (event_id, conversation_id, at, user_id, inbox_id, channel_id, chatflow_id, team_id, wait_ms, is_first, first_response_ms)
  SELECT NEW.id, NEW.conversation_id, NEW.at, NEW.user_id, COALESCE(NEW.inbox_id, inbox_id), channel_id, chatflow_id, team_id,
    CASE WHEN phase <> 'bot' AND waiting_since IS NOT NULL THEN NEW.at - waiting_since END,
    first_reply_at IS NULL,
    CASE WHEN first_reply_at IS NULL AND phase <> 'bot' THEN ${FIRST_RESPONSE} END
  FROM report_conversations
  WHERE ${IS_REPLY} AND conversation_id = NEW.conversation_id;
  UPDATE report_conversations SET
    first_reply_user_id = CASE WHEN first_reply_at IS NULL THEN NEW.user_id ELSE first_reply_user_id END,
    first_response_ms = CASE WHEN first_reply_at IS NULL AND phase <> 'bot' THEN ${FIRST_RESPONSE} ELSE first_response_ms END,
    first_reply_at = COALESCE(first_reply_at, NEW.at),
    waiting_since = NULL
  WHERE ${IS_REPLY} AND conversation_id = NEW.conversation_id;
`,
    ),
    trigger(
      "outcome",
      "NEW.type IN ('completed', 'handed_off', 'abandoned', 'flow_error')",
      /* sql */ `
  -- The pause alone first: assigning an indexed column (outcome) rewrites its index entries
  -- even when the value stays, so outcomes change only in the statements after it.
  UPDATE report_bot_sessions SET max_gap_ms = max(max_gap_ms, NEW.at - last_at), last_at = NEW.at
  WHERE NEW.type <> 'flow_error' AND conversation_id = NEW.conversation_id AND outcome IN ('in_progress', 'errored');
  UPDATE report_bot_sessions SET
    outcome = CASE
      WHEN NEW.type = 'completed' THEN CASE WHEN max_gap_ms <= timeout_ms THEN 'completed' WHEN interacted THEN 'abandoned' ELSE 'no_reply' END
      WHEN NEW.type = 'handed_off' THEN 'handed_off'
      ELSE CASE WHEN interacted THEN 'abandoned' ELSE 'no_reply' END END,
    outcome_at = NEW.at,
    outcome_node_id = NEW.node_id
  WHERE NEW.type <> 'flow_error' AND conversation_id = NEW.conversation_id AND outcome IN ('in_progress', 'errored');
  UPDATE report_bot_sessions SET outcome = 'errored', outcome_at = NEW.at, outcome_node_id = NEW.node_id
  WHERE NEW.type = 'flow_error' AND conversation_id = NEW.conversation_id AND outcome = 'in_progress';
  -- Ending the flow at a node (completed, handed off) is moving on from it.
  ${countAt("NEW.node_id", "left_by = left_by + 1", "0, 1, 0, 0, 0, 0", "NEW.type IN ('completed', 'handed_off')", level)}
`,
    ),
    trigger(
      "start",
      "NEW.type IN ('conversation_created', 'flow_started')",
      /* sql */ `
  INSERT OR IGNORE INTO report_conversations (conversation_id, created_at, channel_id, chatflow_id, inbox_id, team_id, phase, team_at)
  SELECT NEW.conversation_id, NEW.at, NEW.channel_id, NEW.chatflow_id, NEW.inbox_id, NEW.team_id, 'team', NEW.at
  WHERE NEW.type = 'conversation_created';
  INSERT OR IGNORE INTO report_bot_sessions (conversation_id, chatflow_id, chatflow_version_id, inbox_id, channel_id, started_at, timeout_ms, last_at)
  SELECT NEW.conversation_id, NEW.chatflow_id, NEW.chatflow_version_id, NEW.inbox_id, NEW.channel_id, NEW.at,
    COALESCE((SELECT json_extract(spec, '$.settings.sessionTimeoutMinutes') FROM chatflow_versions WHERE id = NEW.chatflow_version_id), 30) * 60000,
    NEW.at
  WHERE NEW.type = 'flow_started';
  UPDATE report_conversations SET phase = 'bot', team_at = NULL
  WHERE NEW.type = 'flow_started' AND conversation_id = NEW.conversation_id AND phase = 'team' AND first_reply_at IS NULL AND last_open_at IS NULL;
`,
    ),
    trigger(
      "team",
      `NEW.type IN ${TEAM_TYPES}`,
      /* sql */ `
  UPDATE report_conversations SET inbox_id = NEW.inbox_id
  WHERE NEW.inbox_id IS NOT NULL AND conversation_id = NEW.conversation_id AND inbox_id IS NOT NEW.inbox_id;
  UPDATE report_conversations SET phase = 'team', team_at = COALESCE(team_at, NEW.at), last_open_at = NEW.at,
    waiting_since = NEW.at, team_id = COALESCE(NEW.team_id, team_id)
  WHERE NEW.type = 'handoff' AND conversation_id = NEW.conversation_id;
  UPDATE report_conversations SET phase = 'team', team_at = COALESCE(team_at, NEW.at), last_open_at = NEW.at
  WHERE NEW.type = 'agent_took_over' AND conversation_id = NEW.conversation_id;
  UPDATE report_conversations SET
    waiting_since = ${
      // As metrics.ts since pending was first set: marking a conversation pending ends the wait.
      // Earlier levels keep their migrations' text (their logs hold no change to pending).
      level === 11 ? `CASE WHEN ${TO} = 'pending' THEN NULL ` : "CASE "
    }WHEN phase = 'bot' AND last_visitor_at = NEW.at THEN COALESCE(waiting_since, NEW.at) ELSE waiting_since END,
    last_open_at = CASE WHEN ${TO} = 'open' AND ${FROM} IS NOT 'open' THEN NEW.at ELSE last_open_at END,
    phase = 'team',
    team_at = COALESCE(team_at, NEW.at)
  WHERE NEW.type = 'status_changed' AND ${TO} IN ('open', 'pending') AND conversation_id = NEW.conversation_id;
  UPDATE report_conversations SET
    time_to_close_ms = CASE WHEN closed_at IS NULL AND team_at IS NOT NULL THEN NEW.at - created_at ELSE time_to_close_ms END,
    closed_at = CASE WHEN closed_at IS NULL AND team_at IS NOT NULL THEN NEW.at ELSE closed_at END,
    phase = 'closed',
    waiting_since = NULL
  WHERE NEW.type = 'status_changed' AND ${TO} = 'closed' AND conversation_id = NEW.conversation_id;
  UPDATE report_conversations SET team_id = NEW.team_id
  WHERE NEW.type IN ('assigned', 'unassigned') AND conversation_id = NEW.conversation_id;
`,
    ),
    ...(level !== 7
      ? [
          trigger(
            "arm",
            "NEW.type = 'split_arm'",
            /* sql */ `
  INSERT OR IGNORE INTO report_arms (conversation_id, node_id, arm_id)
  SELECT NEW.conversation_id, NEW.node_id, ${field("$.armId")}
  FROM report_bot_sessions s
  WHERE s.conversation_id = NEW.conversation_id AND NEW.node_id IS NOT NULL
    AND (CASE WHEN json_valid(NEW.data) THEN json_type(NEW.data, '$.armId') END) = 'text';
`,
          ),
        ]
      : []),
  ].join("");
};

/** The node and edge tables of migration 7. */
const HOURLY_TABLES = /* sql */ `
-- Per bot flow, start hour of the session (UTC), version, inbox and channel: what the node
-- report adds up, so it reads hundreds of rows per flow and day instead of every event.
CREATE TABLE report_node_hours (
  chatflow_id TEXT NOT NULL,
  hour INTEGER NOT NULL,
  chatflow_version_id TEXT NOT NULL,
  inbox_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  node_id TEXT NOT NULL,
  reached INTEGER NOT NULL,
  left_by INTEGER NOT NULL,
  answered INTEGER NOT NULL,
  invalid INTEGER NOT NULL,
  skipped INTEGER NOT NULL,
  starts INTEGER NOT NULL,
  PRIMARY KEY (chatflow_id, hour, chatflow_version_id, inbox_id, channel_id, node_id)
) WITHOUT ROWID;
CREATE TABLE report_edge_hours (
  chatflow_id TEXT NOT NULL,
  hour INTEGER NOT NULL,
  chatflow_version_id TEXT NOT NULL,
  inbox_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  from_node_id TEXT NOT NULL,
  port TEXT NOT NULL,
  to_node_id TEXT NOT NULL,
  traffic INTEGER NOT NULL,
  PRIMARY KEY (chatflow_id, hour, chatflow_version_id, inbox_id, channel_id, from_node_id, port, to_node_id)
) WITHOUT ROWID;
`;

/** Empties the roll-ups and replays the whole log into them through `level`'s triggers (TEMP ones on a TEMP copy of the rows). */
const rebuildSql = (level: Level) => /* sql */ `
DELETE FROM report_bot_sessions;
DELETE FROM report_conversations;
DELETE FROM report_replies;
DELETE FROM report_node_hours;
DELETE FROM report_edge_hours;${
  level !== 7
    ? `
DELETE FROM report_node_days;
DELETE FROM report_edge_days;
DELETE FROM report_arms;`
    : ""
}
DROP TABLE IF EXISTS temp.report_replay;
CREATE TEMP TABLE report_replay AS SELECT ${FEED_COLUMNS} FROM events WHERE 0;
${rollupTriggers("report_replay", "report_replay_", true, level)}
INSERT INTO temp.report_replay SELECT ${FEED_COLUMNS} FROM events WHERE is_preview = 0 AND conversation_id IS NOT NULL ORDER BY id;
DROP TABLE temp.report_replay;${
  level === 11
    ? `
UPDATE report_fold_cursor SET last_id = 0;
${REPORT_COUNTER_FOLD.map((statement) => `${statement};`).join("\n")}`
    : ""
}
`;

/**
 * Migration 7: the view and its triggers go; triggers on `events` keep the same tables and the
 * new hourly node and edge counters, which the existing log then fills (a full replay).
 */
export const REPORT_TRIGGER_SQL = /* sql */ `
DROP TRIGGER events_report_feed;
DROP VIEW report_event_feed;
${HOURLY_TABLES}
${rollupTriggers("events", "events_report_", false, 7)}
${rebuildSql(7)}`;

// ---------------------------------------------------------------------------------------------
// Migration 10: daily counters, A/B arms, assignments

/**
 * Migration 10. A 90-day node report read ~65k hourly rows per flow; daily counters (UTC days)
 * cover the whole days of a range and the hourly ones only its first and last hours, so a
 * range reads about days + 48 hours of rows. `report_arms` holds which arm each session took
 * (the arm report joined every session's events). A partial index covers the `assigned`
 * events the per-agent report counts. The triggers are recreated with the new statements and
 * the log is replayed.
 */
export const REPORT_DAILY_SQL = /* sql */ `
DROP TRIGGER events_report_walk;
DROP TRIGGER events_report_answer;
DROP TRIGGER events_report_message;
DROP TRIGGER events_report_outcome;
DROP TRIGGER events_report_start;
DROP TRIGGER events_report_team;
CREATE TABLE report_node_days (
  chatflow_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  chatflow_version_id TEXT NOT NULL,
  inbox_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  node_id TEXT NOT NULL,
  reached INTEGER NOT NULL,
  left_by INTEGER NOT NULL,
  answered INTEGER NOT NULL,
  invalid INTEGER NOT NULL,
  skipped INTEGER NOT NULL,
  starts INTEGER NOT NULL,
  PRIMARY KEY (chatflow_id, day, chatflow_version_id, inbox_id, channel_id, node_id)
) WITHOUT ROWID;
CREATE TABLE report_edge_days (
  chatflow_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  chatflow_version_id TEXT NOT NULL,
  inbox_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  from_node_id TEXT NOT NULL,
  port TEXT NOT NULL,
  to_node_id TEXT NOT NULL,
  traffic INTEGER NOT NULL,
  PRIMARY KEY (chatflow_id, day, chatflow_version_id, inbox_id, channel_id, from_node_id, port, to_node_id)
) WITHOUT ROWID;
CREATE TABLE report_arms (
  conversation_id TEXT NOT NULL,
  node_id TEXT NOT NULL,
  arm_id TEXT NOT NULL,
  PRIMARY KEY (conversation_id, node_id, arm_id)
) WITHOUT ROWID;
CREATE INDEX events_assigned ON events(at, user_id, conversation_id, inbox_id, channel_id, chatflow_id, team_id)
  WHERE type = 'assigned' AND is_preview = 0;
${rollupTriggers("events", "events_report_", false, 10)}
${rebuildSql(10)}`;

// ---------------------------------------------------------------------------------------------
// Migration 11: node and edge counters folded once per write group

/*
 * The node and edge counters are sums, so they need not be kept per event: the Database runs
 * REPORT_COUNTER_FOLD once per group commit, after the group's writes and before its COMMIT
 * (runtime/services/database.ts), adding up the events written since `report_fold_cursor`.
 * Per-event triggers did ~8 upserts for each node a visitor passed (hourly and daily, node and
 * edge) — the largest cost of a visitor message; a group of 50 messages now does a few upserts
 * per node and hour it touched. The counters still change in the same transaction as their
 * events, and equal the per-event rules exactly:
 * - an event counts when its conversation had a bot session when it was written, i.e. a
 *   countable flow_started came before it (sessions are created by that event only, never
 *   deleted but by a rebuild, which refolds);
 * - a session's key (flow, start, version, inbox, channel) is fixed when it is created, so
 *   joining it at fold time gives the key the event had.
 * The sequential rules (sessions, conversations, replies, arms) stay per-event triggers.
 */

/**
 * The events the fold has not counted yet (`win`) and those of them that count (`foldable`):
 * countable, on a named node, in a session that had started.
 */
// NOT INDEXED: the new events are a range of ids at the end of the table; an index on type
// would walk every event of that type ever written. Whether a session had started is read from
// the window itself: a conversation without a flow_started in it started before (if at all —
// the join with report_bot_sessions decides); one with a flow_started in it counts the events
// after the first, and looks further back (its index) only for events before that.
const WINDOW = /* sql */ `win AS MATERIALIZED (
    SELECT e.id, e.type, e.conversation_id, e.node_id, e.from_node_id, e.port FROM events AS e NOT INDEXED
    WHERE e.id > (SELECT last_id FROM report_fold_cursor) AND e.is_preview = 0 AND e.conversation_id IS NOT NULL
  ),
  starts AS (SELECT conversation_id, min(id) AS first_id FROM win WHERE type = 'flow_started' GROUP BY conversation_id),
  foldable AS MATERIALIZED (
    SELECT w.type, w.conversation_id, w.node_id, w.from_node_id, w.port FROM win w LEFT JOIN starts st ON st.conversation_id = w.conversation_id
    WHERE w.type IN ('node_entered', 'answered', 'invalid_answer', 'skipped', 'completed', 'handed_off')
      AND w.node_id IS NOT NULL AND w.node_id <> ''
      AND (st.first_id IS NULL OR st.first_id < w.id
        OR EXISTS (SELECT 1 FROM events AS f INDEXED BY events_conversation_type
          WHERE f.conversation_id = w.conversation_id AND f.type = 'flow_started' AND f.id < w.id AND f.is_preview = 0))
  )`;

/** Per event, the node counters it adds to (the same values the level-10 triggers add). */
const NODE_CONTRIBUTIONS = /* sql */ `
    SELECT conversation_id, node_id AS node, 1 AS reached, 0 AS left_by, 0 AS answered, 0 AS invalid, 0 AS skipped,
      CASE WHEN from_node_id IS NULL OR from_node_id = '' THEN 1 ELSE 0 END AS starts
    FROM foldable WHERE type = 'node_entered'
    UNION ALL
    SELECT conversation_id, from_node_id, 0, 1, 0, 0, 0, 0 FROM foldable
    WHERE type = 'node_entered' AND from_node_id IS NOT NULL AND from_node_id <> ''
    UNION ALL
    SELECT conversation_id, node_id, 0, 0, type = 'answered', type = 'invalid_answer', type = 'skipped', 0 FROM foldable
    WHERE type IN ('answered', 'invalid_answer', 'skipped')
    UNION ALL
    SELECT conversation_id, node_id, 0, 1, 0, 0, 0, 0 FROM foldable WHERE type IN ('completed', 'handed_off')`;

const foldNodes = (table: string, unit: string, key: string) => /* sql */ `WITH ${WINDOW},
  contributions AS (${NODE_CONTRIBUTIONS})
INSERT INTO ${table} (chatflow_id, ${unit}, chatflow_version_id, inbox_id, channel_id, node_id, reached, left_by, answered, invalid, skipped, starts)
SELECT ${key}, c.node, sum(c.reached), sum(c.left_by), sum(c.answered), sum(c.invalid), sum(c.skipped), sum(c.starts)
FROM contributions c JOIN report_bot_sessions s ON s.conversation_id = c.conversation_id
WHERE 1
GROUP BY 1, 2, 3, 4, 5, 6
ON CONFLICT DO UPDATE SET reached = reached + excluded.reached, left_by = left_by + excluded.left_by,
  answered = answered + excluded.answered, invalid = invalid + excluded.invalid, skipped = skipped + excluded.skipped,
  starts = starts + excluded.starts`;

const foldEdges = (table: string, unit: string, key: string) => /* sql */ `WITH ${WINDOW}
INSERT INTO ${table} (chatflow_id, ${unit}, chatflow_version_id, inbox_id, channel_id, from_node_id, port, to_node_id, traffic)
SELECT ${key}, e.from_node_id, COALESCE(e.port, ''), e.node_id, count(*)
FROM foldable e JOIN report_bot_sessions s ON s.conversation_id = e.conversation_id
WHERE e.type = 'node_entered' AND e.from_node_id IS NOT NULL AND e.from_node_id <> ''
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
ON CONFLICT DO UPDATE SET traffic = traffic + excluded.traffic`;

/**
 * The statements that fold the events written since the cursor into the node and edge
 * counters, then move the cursor past them. Run them in order, in the transaction that wrote
 * the events (the Database does, before each group's COMMIT).
 */
export const REPORT_COUNTER_FOLD: ReadonlyArray<string> = [
  foldNodes("report_node_hours", "hour", HOUR_KEY),
  foldNodes("report_node_days", "day", DAY_KEY),
  foldEdges("report_edge_hours", "hour", HOUR_KEY),
  foldEdges("report_edge_days", "day", DAY_KEY),
  "UPDATE report_fold_cursor SET last_id = COALESCE((SELECT max(id) FROM events), 0)",
];

/**
 * Migration 11: the triggers lose their counter statements (the answer trigger goes), and the
 * fold's cursor starts after the log, whose counts the level-10 triggers already hold.
 */
export const REPORT_FOLD_SQL = /* sql */ `
DROP TRIGGER events_report_walk;
DROP TRIGGER events_report_answer;
DROP TRIGGER events_report_message;
DROP TRIGGER events_report_outcome;
DROP TRIGGER events_report_start;
DROP TRIGGER events_report_team;
DROP TRIGGER events_report_arm;
CREATE TABLE report_fold_cursor (last_id INTEGER NOT NULL);
INSERT INTO report_fold_cursor (last_id) SELECT COALESCE(max(id), 0) FROM events;
${rollupTriggers("events", "events_report_", false, 11)}`;

/** Empties the roll-ups and replays the whole log into them through the current rules. Run it inside one transaction. */
export const REBUILD_REPORT_ROLLUPS_SQL = rebuildSql(11);

// ---------------------------------------------------------------------------------------------
// Migration 15: indexes in the order the team report groups by

/**
 * Migration 15. The team report grouped a quarter's conversations by (day, inbox, channel) and
 * its replies by agent through SQLite's sorter — most of its time (~45 of ~100 ms of SQL over
 * 100k conversations). Indexes that lead with the group keys let it read each group in order
 * instead: conversations per (inbox, channel) pair and day are index range counts (the pairs
 * come from the same index by skip-ahead), replies are read agent by agent. They replace the
 * two time-first indexes only those queries read, so the fold maintains as many indexes as
 * before. ANALYZE gives the planner the statistics its skip-scans need.
 */
export const REPORT_GROUP_INDEXES_SQL = /* sql */ `
CREATE INDEX report_conversations_pairs ON report_conversations(inbox_id, channel_id, created_at, team_at, team_id, chatflow_id);
CREATE INDEX report_replies_user ON report_replies(user_id, at, wait_ms, first_response_ms, inbox_id, channel_id, team_id, chatflow_id);
DROP INDEX report_conversations_created;
DROP INDEX report_replies_at;
ANALYZE report_conversations;
ANALYZE report_replies;
`;
