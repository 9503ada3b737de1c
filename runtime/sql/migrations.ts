/**
 * Forward-only, versioned migrations. Each runs once, in its own transaction, at start.
 * Never edit a migration that has shipped: add a new one.
 *
 * Conventions: ids are TEXT (random, URL-safe) except messages and events, whose INTEGER
 * ids give a total order (the API's `after=` cursor, SSE `Last-Event-ID`, event replay).
 * Times are INTEGER epoch milliseconds (UTC). JSON columns hold Schema-encoded documents.
 */
import type BetterSqlite3 from "better-sqlite3";
import { foldReportRollups } from "./report-fold.js";
import { REPORT_DAILY_SQL, REPORT_FOLD_SQL, REPORT_GROUP_INDEXES_SQL, REPORT_ROLLUPS_SQL, REPORT_TRIGGER_SQL } from "./report-rollups.js";

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const migrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: "initial schema",
    sql: /* sql */ `
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin','marketer','agent','analyst')),
  password_hash TEXT NOT NULL,
  display_name TEXT,
  avatar_url TEXT,
  meeting_link TEXT,
  availability TEXT NOT NULL DEFAULT 'available' CHECK (availability IN ('available','away')),
  working_hours TEXT NOT NULL DEFAULT '[]',
  notification_settings TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  disabled_at INTEGER
);

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE teams (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  created_at INTEGER NOT NULL
);
CREATE TABLE team_members (
  team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members(user_id);

CREATE TABLE inboxes (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  fallback_email TEXT,
  -- {"mode":"manual"|"round_robin","teamId"?:string,"maxOpenPerAgent"?:number}
  routing TEXT NOT NULL DEFAULT '{"mode":"manual"}',
  -- {"blockedSenders":[...],"blockedDomains":[...]}
  email_filters TEXT NOT NULL DEFAULT '{"blockedSenders":[],"blockedDomains":[]}',
  created_at INTEGER NOT NULL
);
CREATE TABLE inbox_members (
  inbox_id TEXT NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (inbox_id, user_id)
);
CREATE INDEX inbox_members_user ON inbox_members(user_id);

CREATE TABLE channels (
  id TEXT PRIMARY KEY,
  inbox_id TEXT NOT NULL REFERENCES inboxes(id),
  kind TEXT NOT NULL CHECK (kind IN ('chat','form','email','messenger')),
  name TEXT NOT NULL,
  -- chat: {"allowedOrigins":[...],"branding":{...}}
  config TEXT NOT NULL DEFAULT '{}',
  identity_secret TEXT,
  created_at INTEGER NOT NULL
);

CREATE TABLE chatflows (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('bot','live_chat')),
  channel_id TEXT REFERENCES channels(id),
  enabled INTEGER NOT NULL DEFAULT 0,
  priority INTEGER NOT NULL DEFAULT 100,
  draft TEXT NOT NULL,
  draft_revision INTEGER NOT NULL DEFAULT 1,
  published_version_id TEXT,
  archived_at INTEGER,
  created_by TEXT REFERENCES users(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX chatflows_channel ON chatflows(channel_id, enabled, priority);

-- Immutable once written: a published spec and its content hash.
CREATE TABLE chatflow_versions (
  id TEXT PRIMARY KEY,
  chatflow_id TEXT NOT NULL REFERENCES chatflows(id),
  version INTEGER NOT NULL,
  spec TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  summary TEXT NOT NULL DEFAULT '{}',
  published_by TEXT REFERENCES users(id),
  published_at INTEGER NOT NULL,
  UNIQUE (chatflow_id, version)
);
CREATE TRIGGER chatflow_versions_immutable BEFORE UPDATE ON chatflow_versions
BEGIN SELECT RAISE(ABORT, 'chatflow versions are immutable'); END;

CREATE TABLE contacts (
  id TEXT PRIMARY KEY,
  email TEXT UNIQUE COLLATE NOCASE,
  name TEXT,
  phone TEXT,
  properties TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE visitors (
  id TEXT PRIMARY KEY,
  channel_id TEXT NOT NULL REFERENCES channels(id),
  contact_id TEXT REFERENCES contacts(id),
  attributes TEXT NOT NULL DEFAULT '{}',
  device TEXT,
  language TEXT,
  user_agent TEXT,
  last_page_url TEXT,
  first_seen_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL
);
CREATE INDEX visitors_contact ON visitors(contact_id);

CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  channel_id TEXT NOT NULL REFERENCES channels(id),
  inbox_id TEXT NOT NULL REFERENCES inboxes(id),
  visitor_id TEXT REFERENCES visitors(id),
  contact_id TEXT REFERENCES contacts(id),
  chatflow_id TEXT REFERENCES chatflows(id),
  chatflow_version_id TEXT REFERENCES chatflow_versions(id),
  status TEXT NOT NULL CHECK (status IN ('bot','open','pending','closed')),
  assignee_id TEXT REFERENCES users(id),
  team_id TEXT REFERENCES teams(id),
  -- The interpreter's JSON state (InterpreterState), NULL for conversations without a bot.
  state TEXT,
  page_url TEXT,
  is_preview INTEGER NOT NULL DEFAULT 0,
  -- Optimistic concurrency for agents' writes: every update bumps it.
  version INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_activity_at INTEGER NOT NULL,
  handed_off_at INTEGER,
  closed_at INTEGER,
  -- Since when the visitor waits for a human reply (NULL when nobody waits).
  waiting_since INTEGER,
  last_message_at INTEGER,
  last_message_preview TEXT
);
CREATE INDEX conversations_inbox_status ON conversations(inbox_id, status, waiting_since);
CREATE INDEX conversations_assignee_status ON conversations(assignee_id, status, waiting_since);
CREATE INDEX conversations_team_status ON conversations(team_id, status);
CREATE INDEX conversations_status_activity ON conversations(status, last_activity_at);
CREATE INDEX conversations_contact ON conversations(contact_id, created_at);
CREATE INDEX conversations_visitor ON conversations(visitor_id, created_at);
CREATE INDEX conversations_created ON conversations(created_at);

CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  author TEXT NOT NULL CHECK (author IN ('visitor','bot','agent','system')),
  user_id TEXT REFERENCES users(id),
  text TEXT NOT NULL,
  -- {"choices":[...]} | {"bubble":{...}} | {"typingDelayMs":n} | {"handoff":{...}}
  payload TEXT,
  is_internal INTEGER NOT NULL DEFAULT 0,
  client_message_id TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX messages_conversation ON messages(conversation_id, id);
CREATE UNIQUE INDEX messages_client_id ON messages(conversation_id, client_message_id)
  WHERE client_message_id IS NOT NULL;

CREATE TABLE tickets (
  id TEXT PRIMARY KEY,
  inbox_id TEXT NOT NULL REFERENCES inboxes(id),
  conversation_id TEXT REFERENCES conversations(id),
  contact_id TEXT REFERENCES contacts(id),
  subject TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  priority TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('low','normal','high','urgent')),
  status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new','waiting_on_contact','waiting_on_us','closed')),
  created_by TEXT REFERENCES users(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX tickets_inbox_status ON tickets(inbox_id, status, created_at);
CREATE INDEX tickets_contact ON tickets(contact_id, created_at);
CREATE INDEX tickets_conversation ON tickets(conversation_id);

-- Append-only: every analytics figure is computed from this log.
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  conversation_id TEXT,
  chatflow_id TEXT,
  chatflow_version_id TEXT,
  node_id TEXT,
  port TEXT,
  from_node_id TEXT,
  user_id TEXT,
  inbox_id TEXT,
  channel_id TEXT,
  team_id TEXT,
  is_preview INTEGER NOT NULL DEFAULT 0,
  data TEXT
);
CREATE INDEX events_type_at ON events(type, at);
CREATE INDEX events_chatflow_at ON events(chatflow_id, at, type);
CREATE INDEX events_conversation ON events(conversation_id, id);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`,
  },
  {
    version: 2,
    name: "index of bot conversations waiting for the visitor",
    // The session-timeout sweep runs every minute; finished bot conversations (phase ended)
    // pile up in status `bot` and must not be rescanned each time. The query repeats this
    // WHERE clause verbatim so the planner can use the partial index.
    sql: /* sql */ `
CREATE INDEX conversations_bot_awaiting ON conversations(last_activity_at, id)
  WHERE status = 'bot' AND json_extract(state, '$.phase') IN ('awaiting_input', 'awaiting_action');
`,
  },
  {
    version: 3,
    name: "routing queue and round-robin turns",
    // `queued_at`: set while a routed conversation waits for an available agent (FIFO by it);
    // the trigger clears it whatever closes or assigns the conversation, so no writer can
    // leave a closed or assigned conversation in the queue. `routing_turns` is the durable
    // round-robin pointer: per pool ("inbox:<id>" or "team:<id>") and member, the turn number
    // of their last automatic assignment; the member with the oldest turn goes next.
    sql: /* sql */ `
ALTER TABLE conversations ADD COLUMN queued_at INTEGER;
CREATE INDEX conversations_queue ON conversations(inbox_id, queued_at, id) WHERE queued_at IS NOT NULL;
CREATE TRIGGER conversations_unqueue AFTER UPDATE OF status, assignee_id ON conversations
WHEN NEW.queued_at IS NOT NULL AND (NEW.status <> 'open' OR NEW.assignee_id IS NOT NULL)
BEGIN UPDATE conversations SET queued_at = NULL WHERE id = NEW.id; END;

CREATE TABLE routing_turns (
  pool TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  turn INTEGER NOT NULL,
  PRIMARY KEY (pool, user_id)
);
`,
  },
  {
    version: 4,
    name: "full-text search over messages and contacts",
    // messages_fts indexes messages.text (external content keyed by the INTEGER message id):
    //   SELECT m.* FROM messages_fts f JOIN messages m ON m.id = f.rowid WHERE messages_fts MATCH ?
    // contacts_fts holds name, email and phone with the contact id (UNINDEXED):
    //   SELECT contact_id FROM contacts_fts WHERE contacts_fts MATCH ?
    // contacts have TEXT ids and an implicit rowid that VACUUM may renumber, so contacts_fts is
    // not external content; contact_search_rows gives each contact a stable FTS rowid so the
    // triggers delete by rowid instead of scanning. Both use unicode61 without diacritics, so
    // "ann@example.com" is the tokens ann, example, com (quote user input as "phrases"*).
    sql: /* sql */ `
CREATE VIRTUAL TABLE messages_fts USING fts5(
  text, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
BEGIN INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text); END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
BEGIN INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text); END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
  INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

CREATE TABLE contact_search_rows (
  rowid INTEGER PRIMARY KEY,
  contact_id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE contacts_fts USING fts5(
  contact_id UNINDEXED, name, email, phone, tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts
BEGIN
  INSERT INTO contact_search_rows (contact_id) VALUES (new.id);
  INSERT INTO contacts_fts (rowid, contact_id, name, email, phone)
    VALUES ((SELECT rowid FROM contact_search_rows WHERE contact_id = new.id), new.id, new.name, new.email, new.phone);
END;
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF id, name, email, phone ON contacts
BEGIN
  DELETE FROM contacts_fts WHERE rowid = (SELECT rowid FROM contact_search_rows WHERE contact_id = old.id);
  UPDATE contact_search_rows SET contact_id = new.id WHERE contact_id = old.id;
  INSERT INTO contacts_fts (rowid, contact_id, name, email, phone)
    VALUES ((SELECT rowid FROM contact_search_rows WHERE contact_id = new.id), new.id, new.name, new.email, new.phone);
END;
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts
BEGIN
  DELETE FROM contacts_fts WHERE rowid = (SELECT rowid FROM contact_search_rows WHERE contact_id = old.id);
  DELETE FROM contact_search_rows WHERE contact_id = old.id;
END;
INSERT INTO contact_search_rows (contact_id) SELECT id FROM contacts;
INSERT INTO contacts_fts (rowid, contact_id, name, email, phone)
  SELECT r.rowid, c.id, c.name, c.email, c.phone FROM contacts c JOIN contact_search_rows r ON r.contact_id = c.id;
`,
  },
  {
    version: 5,
    name: "read state per agent and saved replies",
    // conversation_reads: per agent and conversation, the last message id they have seen; a
    // conversation is unread for them while its newest message id is larger (absent = never read).
    // saved_replies: the team's canned answers, inserted in the inbox composer by typing
    // "/shortcut"; shortcuts are unique regardless of case.
    sql: /* sql */ `
CREATE TABLE conversation_reads (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  last_read_message_id INTEGER NOT NULL,
  read_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, conversation_id)
) WITHOUT ROWID;

CREATE TABLE saved_replies (
  id TEXT PRIMARY KEY,
  shortcut TEXT NOT NULL UNIQUE COLLATE NOCASE,
  title TEXT NOT NULL,
  text TEXT NOT NULL,
  created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
`,
  },
  {
    version: 6,
    name: "report roll-ups kept from the events log by triggers",
    // Per-conversation bot sessions, team timelines and replies, updated in the same
    // transaction as each event and replayed from the existing log (runtime/sql/report-rollups.ts).
    sql: REPORT_ROLLUPS_SQL,
  },
  {
    version: 7,
    name: "report roll-ups kept by triggers on events, with hourly node and edge counters",
    // Same rules as migration 6 without the view it staged every event through (~40 µs per
    // event), plus per-hour node and edge counters for the node report; the existing log is
    // replayed into all of them (runtime/sql/report-rollups.ts).
    sql: REPORT_TRIGGER_SQL,
  },
  {
    version: 8,
    name: "search only what people wrote; order closed conversations from the index",
    // Bot text is the same canned lines in every conversation: indexing it made each visitor
    // message pay for FTS rows nobody searches and flooded results. Only visitor and agent
    // messages (internal comments included) are indexed now; the triggers delete only what they
    // indexed. The status index gains the id so "latest activity first, then id" is read in
    // index order instead of sorting every closed conversation (the inbox's Closed view).
    sql: /* sql */ `
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
INSERT INTO messages_fts (messages_fts) VALUES ('delete-all');
INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages WHERE author IN ('visitor', 'agent');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.author IN ('visitor', 'agent')
BEGIN INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text); END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.author IN ('visitor', 'agent')
BEGIN INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text); END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, author ON messages
BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, text) SELECT 'delete', old.id, old.text WHERE old.author IN ('visitor', 'agent');
  INSERT INTO messages_fts (rowid, text) SELECT new.id, new.text WHERE new.author IN ('visitor', 'agent');
END;

DROP INDEX conversations_status_activity;
CREATE INDEX conversations_status_activity ON conversations(status, last_activity_at, id);
`,
  },
  {
    version: 9,
    name: "the newest message id on each conversation",
    // Unread markers compare a conversation's newest message id with a person's read mark;
    // looking up MAX(messages.id) per conversation made the inbox list's counts the slowest part
    // of it. The trigger keeps the column for every writer, in the message's own transaction (one
    // primary-key update of a row the same turn already wrote).
    sql: /* sql */ `
ALTER TABLE conversations ADD COLUMN last_message_id INTEGER;
UPDATE conversations SET last_message_id = (SELECT MAX(m.id) FROM messages m WHERE m.conversation_id = conversations.id);
CREATE TRIGGER messages_last_id AFTER INSERT ON messages
BEGIN UPDATE conversations SET last_message_id = new.id WHERE id = new.conversation_id; END;
`,
  },
  {
    version: 10,
    name: "daily report counters, A/B arms per session, an index of assignments",
    // The node report read every hour of a range from the hourly counters; daily ones cover
    // whole days now, and the arm and per-agent reports stop reading the events table
    // (runtime/sql/report-rollups.ts). The log is replayed into the new tables.
    sql: REPORT_DAILY_SQL,
  },
  {
    version: 11,
    name: "node and edge counters folded once per write group",
    // Per-event counter upserts (hourly and daily, node and edge) were the largest cost of a
    // visitor message; the Database now folds them once per group commit, in the same
    // transaction (GROUP_STATEMENTS below, runtime/sql/report-rollups.ts).
    sql: REPORT_FOLD_SQL,
  },
  {
    version: 12,
    name: "drop the events indexes no query reads",
    // Migration 1 indexed events by type, by chatflow and by conversation before the reports
    // existed; the reports now read roll-ups, and events only through events_conversation_type
    // and events_assigned (which also serve any lookup by conversation). Each unused index cost
    // every visitor message ~30 µs (a B-tree insert per event, its pages in every commit).
    sql: /* sql */ `
DROP INDEX events_type_at;
DROP INDEX events_chatflow_at;
DROP INDEX events_conversation;
`,
  },
  {
    version: 13,
    name: "report sessions, conversations, replies and arms folded once per write group",
    // The last per-event triggers on events: six sub-program calls per event (~45% of a
    // visitor message's SQL). foldReportRollups continues the stored rows with metrics.ts's
    // rules once per group commit (runtime/sql/report-fold.ts); the tables are as they were,
    // and the cursor of migration 11 already stands after every event the triggers saw.
    sql: /* sql */ `
DROP TRIGGER events_report_walk;
DROP TRIGGER events_report_message;
DROP TRIGGER events_report_outcome;
DROP TRIGGER events_report_start;
DROP TRIGGER events_report_team;
DROP TRIGGER events_report_arm;
`,
  },
  {
    version: 14,
    name: "a write group indexes its messages once, at its end",
    // The search index insert and the newest-message-id update ran once per message (~25 µs of
    // a visitor message's ~2.5 rows each: a sub-program, an FTS5 row, a rewrite of the whole
    // conversation row with its state). While a write group is open, message_deferral.after_id
    // holds the newest message id before it (GROUP_BEGIN_STATEMENTS below); the triggers skip
    // the group's rows and GROUP_STATEMENTS index them and set last_message_id once, before the
    // same COMMIT, so no committed message is ever unindexed. Every other writer (tools, tests,
    // bulk loads, other connections) sees after_id NULL — set back before each COMMIT, and a
    // crash rolls it back — and keeps the per-row triggers. Edits and deletions of a row the
    // group has not indexed yet leave the index alone: the group's end indexes the row as it is.
    sql: /* sql */ `
CREATE TABLE message_deferral (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  after_id INTEGER
);
INSERT INTO message_deferral (id, after_id) VALUES (1, NULL);

DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_last_id;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
WHEN new.author IN ('visitor', 'agent') AND (SELECT after_id FROM message_deferral) IS NULL
BEGIN INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text); END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.author IN ('visitor', 'agent') AND old.id <= COALESCE((SELECT after_id FROM message_deferral), old.id)
BEGIN INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text); END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, author ON messages
WHEN old.id <= COALESCE((SELECT after_id FROM message_deferral), old.id)
BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, text) SELECT 'delete', old.id, old.text WHERE old.author IN ('visitor', 'agent');
  INSERT INTO messages_fts (rowid, text) SELECT new.id, new.text WHERE new.author IN ('visitor', 'agent');
END;
CREATE TRIGGER messages_last_id AFTER INSERT ON messages
WHEN (SELECT after_id FROM message_deferral) IS NULL
BEGIN UPDATE conversations SET last_message_id = new.id WHERE id = new.conversation_id; END;
`,
  },
  {
    version: 15,
    name: "report indexes in the order the team report groups by",
    // The team report sorted a quarter's conversations by (day, inbox, channel) and its replies
    // by agent; indexes that lead with those keys let it read them in order, and replace the two
    // time-first indexes only those queries used (runtime/sql/report-rollups.ts).
    sql: REPORT_GROUP_INDEXES_SQL,
  },
  {
    version: 16,
    name: "ticket assignees, a ticket version and each ticket's activity",
    // A ticket gets an owner (NULL = unassigned; indexed for "my tickets"), a version that
    // guards concurrent edits as conversations' does, and a timeline: notes and every change
    // of status, priority or assignee, each written in the change's own transaction. Activity
    // ids are INTEGER, like messages and events, so entries in the same millisecond keep the
    // order they were written in. Tickets written before this get their 'created' entry here;
    // the engine's bot tickets, which it inserts itself, get theirs derived when read.
    sql: /* sql */ `
ALTER TABLE tickets ADD COLUMN assignee_id TEXT REFERENCES users(id);
ALTER TABLE tickets ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE INDEX tickets_assignee ON tickets(assignee_id, status, created_at);

CREATE TABLE ticket_activity (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ticket_id TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  user_id TEXT REFERENCES users(id),
  kind TEXT NOT NULL CHECK (kind IN ('note','status','priority','assignee','created')),
  text TEXT,
  from_value TEXT,
  to_value TEXT,
  CHECK ((kind = 'note') = (text IS NOT NULL))
);
CREATE INDEX ticket_activity_ticket_at ON ticket_activity(ticket_id, at, id);

INSERT INTO ticket_activity (ticket_id, at, user_id, kind)
  SELECT id, created_at, created_by, 'created' FROM tickets ORDER BY created_at, id;
`,
  },
  {
    version: 17,
    name: "outside channels: an outbox of replies, visitors' outside ids, messages' outside ids",
    // Email and Messenger conversations are answered outside the widget. Every bot or agent
    // message (not an internal comment) in such a conversation gets a `deliveries` row in the
    // message's own transaction — an outbox — so a crash between the commit and the send never
    // loses a reply; the Deliveries service sends due rows in message order and records the
    // outcome. Inside a write group the trigger is off and a group statement writes the rows
    // (migration 14's deferral). `channel_identities` maps an outside id (a Messenger
    // page-scoped id, an email address) to its visitor; `external_messages` maps outside message
    // ids (an email's Message-ID, a Messenger mid), both ways, to threads and drops redeliveries.
    sql: `
CREATE TABLE deliveries (
  message_id INTEGER PRIMARY KEY REFERENCES messages(id),
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  channel_id TEXT NOT NULL REFERENCES channels(id),
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','sent','failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  external_id TEXT,
  created_at INTEGER NOT NULL,
  sent_at INTEGER
);
CREATE INDEX deliveries_due ON deliveries(next_attempt_at, message_id) WHERE status = 'pending';
CREATE INDEX deliveries_conversation ON deliveries(conversation_id, message_id);

CREATE TRIGGER messages_delivery AFTER INSERT ON messages
WHEN new.author IN ('bot', 'agent') AND new.is_internal = 0 AND (SELECT after_id FROM message_deferral) IS NULL
BEGIN
  INSERT INTO deliveries (message_id, conversation_id, channel_id, next_attempt_at, created_at)
  SELECT new.id, c.id, c.channel_id, new.created_at, new.created_at
    FROM conversations c JOIN channels ch ON ch.id = c.channel_id
   WHERE c.id = new.conversation_id AND ch.kind IN ('email', 'messenger') AND c.is_preview = 0;
END;

CREATE TABLE channel_identities (
  channel_id TEXT NOT NULL REFERENCES channels(id),
  external_id TEXT NOT NULL,
  visitor_id TEXT NOT NULL REFERENCES visitors(id),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (channel_id, external_id)
) WITHOUT ROWID;
CREATE INDEX channel_identities_visitor ON channel_identities(visitor_id);

CREATE TABLE external_messages (
  channel_id TEXT NOT NULL REFERENCES channels(id),
  external_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  message_id INTEGER REFERENCES messages(id),
  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (channel_id, external_id)
) WITHOUT ROWID;
CREATE INDEX external_messages_conversation ON external_messages(conversation_id, created_at);
`,
  },
  {
    version: 18,
    name: "attachments: the files of outside messages",
    // Agents need the files customers mail (invoices, screenshots). They are stored with
    // their message, in the message's write (OutsideConversations), so a mail is kept with
    // its files or not at all. A table of their own, not a column of messages: a thread or a
    // search reads messages without ever paging through file bytes, and no trigger on
    // messages is added, so chat messages' writes cost what they did. The id is random
    // (128 bits): it is the download link. Rows go with their message or conversation.
    sql: `
CREATE TABLE attachments (
  id TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  filename TEXT NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
  content_type TEXT NOT NULL CHECK (content_type LIKE '%_/_%'),
  size INTEGER NOT NULL CHECK (size >= 0),
  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
  data BLOB NOT NULL CHECK (length(data) = size),
  created_at INTEGER NOT NULL
);
CREATE INDEX attachments_message ON attachments(message_id);
CREATE INDEX attachments_conversation ON attachments(conversation_id);
`,
  },
  {
    version: 19,
    name: "replies by email: form submissions and away messages are answered by email",
    // A form's submitter and a visitor who left an away message ("we will reply by email") are
    // not in any chat: an agent's reply there must reach them by email, through a team email
    // channel of the conversation's inbox, or it reaches no one. Such a conversation is marked
    // `reply_by_email`; its replies join the outbox like email and Messenger ones (the trigger of
    // migration 17 again, with the mark; the group statement reads it too). Conversations of
    // this kind already stored are marked, so their next reply is sent; earlier replies are not.
    sql: `
ALTER TABLE conversations ADD COLUMN reply_by_email INTEGER NOT NULL DEFAULT 0 CHECK (reply_by_email IN (0, 1));
UPDATE conversations SET reply_by_email = 1
 WHERE channel_id IN (SELECT id FROM channels WHERE kind = 'form')
    OR id IN (SELECT conversation_id FROM events
               WHERE type = 'conversation_created' AND json_extract(data, '$.via') = 'away_message');

DROP TRIGGER messages_delivery;
CREATE TRIGGER messages_delivery AFTER INSERT ON messages
WHEN new.author IN ('bot', 'agent') AND new.is_internal = 0 AND (SELECT after_id FROM message_deferral) IS NULL
BEGIN
  INSERT INTO deliveries (message_id, conversation_id, channel_id, next_attempt_at, created_at)
  SELECT new.id, c.id, c.channel_id, new.created_at, new.created_at
    FROM conversations c JOIN channels ch ON ch.id = c.channel_id
   WHERE c.id = new.conversation_id AND (ch.kind IN ('email', 'messenger') OR c.reply_by_email = 1) AND c.is_preview = 0;
END;
`,
  },
  {
    version: 20,
    name: "chat follow-ups: what a chat visitor has seen, and replies they missed emailed to them",
    // A chat visitor who closed the tab never reads an agent's answer, unless it follows them.
    // `visitor_reads` keeps, per conversation, the newest message the widget showed with its
    // panel open and the page in view (the widget says so; a delivered SSE frame is not "seen").
    // An agent's reply in a chat conversation queues the conversation in `follow_up_queue`
    // (the oldest such reply wins, in the reply's own write: a trigger, or the group statement
    // for write groups); the follow-up loop emails the visitor the replies they have not seen
    // once the chat channel's delay has passed, and records each email (sent or why not) in
    // `follow_up_emails`, which the inbox shows under the replies. Queue rows are few (one per
    // conversation with an unseen reply) and leave the queue when handled.
    sql: `
CREATE TABLE visitor_reads (
  conversation_id TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
  last_seen_message_id INTEGER NOT NULL CHECK (last_seen_message_id >= 1),
  seen_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE follow_up_queue (
  conversation_id TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
  first_message_id INTEGER NOT NULL,
  first_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_error TEXT
) WITHOUT ROWID;
CREATE INDEX follow_up_queue_first_at ON follow_up_queue(first_at);

CREATE TABLE follow_up_emails (
  id INTEGER PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  from_message_id INTEGER NOT NULL,
  through_message_id INTEGER NOT NULL CHECK (through_message_id >= from_message_id),
  status TEXT NOT NULL CHECK (status IN ('sent', 'not_sent')),
  reason TEXT,
  recipient TEXT,
  channel_id TEXT,
  external_id TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX follow_up_emails_conversation ON follow_up_emails(conversation_id, through_message_id);

CREATE TRIGGER messages_follow_up AFTER INSERT ON messages
WHEN new.author = 'agent' AND new.is_internal = 0 AND (SELECT after_id FROM message_deferral) IS NULL
BEGIN
  INSERT INTO follow_up_queue (conversation_id, first_message_id, first_at)
  SELECT c.id, new.id, new.created_at
    FROM conversations c JOIN channels ch ON ch.id = c.channel_id
   WHERE c.id = new.conversation_id AND ch.kind = 'chat' AND c.reply_by_email = 0 AND c.is_preview = 0
  ON CONFLICT (conversation_id) DO NOTHING;
END;
`,
  },
  {
    version: 21,
    name: "ratings: visitors rate a closed conversation with the team (CSAT)",
    // How satisfied people are is the figure support teams are judged by next to response
    // times. A visitor rates a closed chat that a person took part in, 1–5 with an optional
    // comment; a later rating of the same conversation replaces the earlier one. Each rating is
    // also a `conversation_rated` event (the reports' figures come from the event log, the
    // latest per conversation, credited to the event's user: the agent the conversation was
    // with); this table is the current rating, for the thread.
    sql: `
CREATE TABLE conversation_ratings (
  conversation_id TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
  score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment TEXT CHECK (comment IS NULL OR length(comment) <= 1000),
  user_id TEXT,
  rated_at INTEGER NOT NULL
) WITHOUT ROWID;
-- Partial, like events_assigned: only a rating's insert pays for it, never a bot turn's events.
CREATE INDEX events_rated ON events(at, conversation_id) WHERE type = 'conversation_rated' AND is_preview = 0;
`,
  },
  {
    version: 22,
    name: "login failures survive a restart",
    // The login throttles (accounts.ts) counted failed logins per email and per client address
    // in memory only: a restart (a deploy, a crash the attacker provokes elsewhere) gave every
    // locked account fresh guesses. Their entries are kept here too, for the window's length
    // (15 minutes) and loaded at start; expired rows are deleted as failures are written.
    sql: `
CREATE TABLE login_failures (
  scope TEXT NOT NULL CHECK (scope IN ('email', 'address')),
  key TEXT NOT NULL,
  count INTEGER NOT NULL CHECK (count >= 1),
  since INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;
CREATE INDEX login_failures_since ON login_failures(since);
`,
  },
  {
    version: 23,
    name: "team email by IMAP: where each mailbox's polling stands",
    // Most teams' address lives at a mail provider (Google, Microsoft, a host) that Parley's own
    // SMTP server cannot receive for; an email channel may instead fetch its mailbox over IMAP.
    // Per channel: the mailbox's UIDVALIDITY and the highest UID already taken (a new
    // UIDVALIDITY means the mailbox was rebuilt: start again from its unseen mail, which the
    // Message-ID check keeps from storing twice), and the last poll's time and error for the
    // settings page. The IMAP settings themselves are in the channel's config with the others.
    sql: `
CREATE TABLE email_imap_state (
  channel_id TEXT PRIMARY KEY REFERENCES channels(id) ON DELETE CASCADE,
  uid_validity TEXT,
  last_uid INTEGER NOT NULL DEFAULT 0,
  polled_at INTEGER,
  last_error TEXT,
  last_error_at INTEGER
) WITHOUT ROWID;
`,
  },
  {
    version: 24,
    name: "snooze: an open or pending conversation set aside until a time",
    // A snooze is a time on a conversation, not a status (the public API's four statuses stay
    // as they are). The partial index holds only snoozed rows: the wake loop reads the due ones
    // from it, and no other write touches it (SQLite skips a partial index whose columns an
    // UPDATE does not name, which is every bot turn's). The trigger clears a snooze whatever
    // closes the conversation (an agent, a bot, a future bulk action); its WHEN is true only
    // for a snoozed conversation, and it fires only on updates naming `status`.
    sql: `
ALTER TABLE conversations ADD COLUMN snoozed_until INTEGER;
-- Who set the latest snooze (read only while snoozed_until is set).
ALTER TABLE conversations ADD COLUMN snoozed_by TEXT REFERENCES users(id);
CREATE INDEX conversations_snoozed ON conversations(snoozed_until) WHERE snoozed_until IS NOT NULL;
CREATE TRIGGER conversations_snooze_cleared AFTER UPDATE OF status ON conversations
WHEN NEW.snoozed_until IS NOT NULL AND NEW.status NOT IN ('open', 'pending')
BEGIN UPDATE conversations SET snoozed_until = NULL WHERE id = NEW.id; END;
`,
  },
  {
    version: 25,
    name: "knowledge base: help articles and their search index",
    // Marketers and admins write help articles (Markdown); visitors read the published ones in
    // the public help center, and a bot's knowledge node searches them with the visitor's
    // question (runtime/services/knowledge.ts). `seq` is the stable FTS rowid (an implicit rowid
    // may be renumbered by VACUUM; an INTEGER PRIMARY KEY never is), so knowledge_fts is external
    // content over this table and keeps no second copy of the bodies. The triggers keep it in
    // sync: articles are written by people, a few a day, never on a bot's turn. The index holds
    // drafts too (the management list searches them); the public reads join on status.
    sql: /* sql */ `
CREATE TABLE knowledge_articles (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  body TEXT NOT NULL CHECK (length(CAST(body AS BLOB)) <= 102400),
  status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
  version INTEGER NOT NULL DEFAULT 1,
  author_id TEXT REFERENCES users(id) ON DELETE SET NULL,
  updated_by TEXT REFERENCES users(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  published_at INTEGER
);
CREATE INDEX knowledge_articles_status_updated ON knowledge_articles(status, updated_at DESC);
CREATE INDEX knowledge_articles_updated ON knowledge_articles(updated_at DESC);
CREATE VIRTUAL TABLE knowledge_fts USING fts5(
  title, body, content='knowledge_articles', content_rowid='seq', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER knowledge_fts_insert AFTER INSERT ON knowledge_articles
BEGIN INSERT INTO knowledge_fts (rowid, title, body) VALUES (new.seq, new.title, new.body); END;
CREATE TRIGGER knowledge_fts_delete AFTER DELETE ON knowledge_articles
BEGIN INSERT INTO knowledge_fts (knowledge_fts, rowid, title, body) VALUES ('delete', old.seq, old.title, old.body); END;
CREATE TRIGGER knowledge_fts_update AFTER UPDATE OF title, body ON knowledge_articles
BEGIN
  INSERT INTO knowledge_fts (knowledge_fts, rowid, title, body) VALUES ('delete', old.seq, old.title, old.body);
  INSERT INTO knowledge_fts (rowid, title, body) VALUES (new.seq, new.title, new.body);
END;
`,
  },
  {
    version: 26,
    name: "contact owners",
    // A contact may have an owner: the person on the team who looks after them (the contacts
    // list filters by it; a handoff to "the contact's owner" routes to them). Users are never
    // deleted, only disabled: a disabled owner stays recorded and is treated as unavailable.
    // The index serves "My contacts" / "No owner" and the owner's name on the list.
    sql: `
ALTER TABLE contacts ADD COLUMN owner_id TEXT REFERENCES users(id);
CREATE INDEX contacts_owner ON contacts(owner_id);
`,
  },
  {
    version: 27,
    name: "contact lists and email consent",
    // Lists group contacts (a newsletter, a beta programme): admins and marketers make them,
    // agents and bots add people to them. A membership remembers how it came (bot, agent,
    // import) and, for a bot, the conversation. A bot may add a visitor who is not a contact
    // yet: the membership waits on the visitor (contact_list_waiting) and becomes a contact's
    // when the visitor gets one (Contacts' link and the visitor's identify apply it).
    // Email consent is one row per contact, its latest state: when, in which conversation and
    // the exact text agreed to (the audit trail of every change is in `events`).
    sql: `
CREATE TABLE contact_lists (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
  created_at INTEGER NOT NULL,
  created_by TEXT REFERENCES users(id)
);
CREATE TABLE contact_list_members (
  list_id TEXT NOT NULL REFERENCES contact_lists(id) ON DELETE CASCADE,
  contact_id TEXT NOT NULL REFERENCES contacts(id),
  added_at INTEGER NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('bot', 'agent', 'import')),
  conversation_id TEXT,
  added_by TEXT,
  PRIMARY KEY (list_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX contact_list_members_contact ON contact_list_members(contact_id);
CREATE TABLE contact_list_waiting (
  list_id TEXT NOT NULL REFERENCES contact_lists(id) ON DELETE CASCADE,
  visitor_id TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  conversation_id TEXT,
  PRIMARY KEY (visitor_id, list_id)
) WITHOUT ROWID;
CREATE TABLE contact_email_consent (
  contact_id TEXT PRIMARY KEY REFERENCES contacts(id),
  status TEXT NOT NULL CHECK (status IN ('subscribed', 'unsubscribed')),
  subscribed_at INTEGER,
  unsubscribed_at INTEGER,
  consent_text TEXT,
  conversation_id TEXT,
  email TEXT,
  changed_by TEXT
);
`,
  },
  {
    version: 28,
    name: "conversation labels",
    // Labels (tags) the team puts on conversations: Billing, Bug, VIP. Names are unique whatever
    // their case; the colour is one of a fixed palette (labels.ts), so the inbox's chips stay
    // readable. A conversation's label remembers who added it: a user, or NULL for the bot (a
    // handoff step's labels). Deleting a label takes it off every conversation and nothing else.
    // The primary key serves a conversation's chips; the label_id index the inbox's label filter
    // and the usage counts.
    sql: `
CREATE TABLE labels (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (length(name) BETWEEN 1 AND 40),
  color TEXT NOT NULL CHECK (color IN ('gray', 'red', 'orange', 'yellow', 'green', 'teal', 'blue', 'purple')),
  description TEXT CHECK (description IS NULL OR length(description) <= 200),
  created_at INTEGER NOT NULL
);
CREATE TABLE conversation_labels (
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  label_id TEXT NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
  added_by TEXT REFERENCES users(id),
  added_at INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, label_id)
) WITHOUT ROWID;
CREATE INDEX conversation_labels_label ON conversation_labels(label_id);
`,
  },
  {
    version: 29,
    name: "outgoing webhooks: subscriptions, their deliveries, and a cursor on the events log",
    // Parley POSTs signed JSON to a subscriber's URL when things happen
    // (runtime/services/outgoing-webhooks.ts). A background pass reads the append-only `events`
    // log (and the contacts table, whose rows have no creation event on most paths) after the
    // cursor and writes one delivery per event and subscription that wants it, then moves the
    // cursor, in one write: nothing is added to the writes that make the events (no trigger,
    // nothing per bot turn). A subscription hears only what happens while it is enabled
    // (`starts_after_*`, set when it is created or enabled again). The contacts cursor is their
    // implicit rowid: Parley never runs VACUUM and never deletes contacts, so it only grows.
    // The partial index holds only pending deliveries (the sender's "due" read); the others
    // serve a subscription's latest deliveries and the 30-day prune.
    sql: `
CREATE TABLE webhook_subscriptions (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
  description TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 200),
  secret TEXT NOT NULL,
  -- A JSON array of public event types (conversation.created, message.created, …).
  event_types TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  starts_after_event_id INTEGER NOT NULL,
  starts_after_contact_rowid INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT REFERENCES users(id),
  updated_at INTEGER NOT NULL
);
CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
  -- The events row it came from; NULL for a test ping and a contact.created (see contact_id).
  event_id INTEGER,
  contact_id TEXT,
  event_type TEXT NOT NULL,
  -- The exact body sent (a redelivery sends the same bytes, with the same delivery id).
  payload TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_response_status INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  delivered_at INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries(subscription_id, created_at DESC);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries(created_at);
CREATE TABLE webhook_cursor (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  after_event_id INTEGER NOT NULL,
  after_contact_rowid INTEGER NOT NULL
);
INSERT INTO webhook_cursor (id, after_event_id, after_contact_rowid)
  VALUES (1, COALESCE((SELECT max(id) FROM events), 0), COALESCE((SELECT max(rowid) FROM contacts), 0));
`,
  },  {
    version: 30,
    name: "personal access tokens for the REST API",
    // A person's tokens for integrations (runtime/services/api-tokens.ts, server/rest-api.ts).
    // Only the SHA-256 of a token is kept (token_hash); `prefix` is its first characters, shown
    // so people can tell their tokens apart. A revoked token's row is deleted. The token acts as
    // its user: a disabled user's tokens stop working because every check joins users. The
    // user_id index serves a person's list; last_used_at is written at most once a minute.
    sql: `
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  last_used_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id, created_at);
`,
  },
  {
    version: 31,
    name: "events may have personal data taken out of them when a contact is erased",
    // Erasing a contact (GDPR Art. 17, runtime/services/contact-privacy.ts) must not leave their
    // email, consent text or a ticket's subject in the append-only log, yet the rows stay: every
    // report is computed from them. The log stays append-only for everything else: an UPDATE
    // naming any column but data is refused as before, and one naming data only while the
    // erasure's own write has switched event_redaction on (it switches it off before the same
    // COMMIT). Contacts are now deleted (merged or erased): the webhook fan-out's contact rowid
    // cursor is moved back by the deleting write when the deleted row was the newest.
    sql: `
CREATE TABLE event_redaction (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  active INTEGER NOT NULL CHECK (active IN (0, 1))
);
INSERT INTO event_redaction (id, active) VALUES (1, 0);
DROP TRIGGER events_append_only_update;
CREATE TRIGGER events_append_only_update BEFORE UPDATE OF id, type, at, conversation_id, chatflow_id, chatflow_version_id,
  node_id, port, from_node_id, user_id, inbox_id, channel_id, team_id, is_preview ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_redaction_only BEFORE UPDATE OF data ON events
WHEN (SELECT active FROM event_redaction) = 0
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
`,
  },
  {
    version: 32,
    name: "two-factor sign-in: TOTP secrets and recovery codes",
    // One row per user who set up (or is setting up) two-factor sign-in
    // (runtime/services/two-factor.ts). `secret` is the TOTP secret sealed with AES-256-GCM
    // under a key derived from SESSION_SECRET (runtime/services/secret-box.ts), bound to the
    // user id; `enabled_at` stays NULL until a code from the app confirms the setup.
    // `last_step` is the newest 30-second time step whose code was accepted: a code of that step
    // or an earlier one is refused, so a code seen over someone's shoulder cannot be replayed.
    // Recovery codes are kept as SHA-256 hashes (they are random, 50 bits each) and spent by
    // setting `used_at`. Whether the workspace requires two-factor sign-in is the settings row
    // `require_two_factor`. Nothing here is read or written on a visitor's bot turn.
    sql: `
CREATE TABLE two_factor (
  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  secret TEXT NOT NULL,
  enabled_at INTEGER,
  last_step INTEGER,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE two_factor_recovery_codes (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  used_at INTEGER,
  PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;
`,
  },
  {
    version: 33,
    name: "label names unique whatever their case in any script",
    // NOCASE folds ASCII only, so "Überweisung" and "überweisung" could both exist. `name_key`
    // is the name's case-blind key (runtime/sql/name-key.ts; `name_key()` is registered on the
    // connection before migrating), kept by the labels service and unique. A database that
    // already holds such twins keeps the oldest as it is; each later twin gets " #" and the end
    // of its id appended to its name (cut to stay within 40 characters), so the index can be
    // built and nothing is lost: an admin sees both and can rename or merge them.
    sql: `
ALTER TABLE labels ADD COLUMN name_key TEXT;
UPDATE labels SET name_key = name_key(name);
UPDATE labels SET name = substr(name, 1, 32) || ' #' || substr(id, -6)
 WHERE EXISTS (SELECT 1 FROM labels o WHERE o.name_key = labels.name_key
                 AND (o.created_at < labels.created_at OR (o.created_at = labels.created_at AND o.id < labels.id)));
UPDATE labels SET name_key = name_key(name);
CREATE UNIQUE INDEX labels_name_key ON labels(name_key);
`,
  },
  {
    version: 34,
    name: "macros: saved replies that also act",
    // A macro is a name, an optional reply and an ordered list of thread actions (JSON, decoded by
    // the MacroInput Schema on every write and read: runtime/services/macros.ts). `owner_id` NULL
    // is a macro shared with everyone (admins keep those); otherwise it is its owner's alone.
    // Actions name labels, people and teams by id without foreign keys: one deleted later is
    // reported as skipped when the macro runs, and the macro keeps its other steps.
    sql: `
CREATE TABLE macros (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  reply_text TEXT CHECK (reply_text IS NULL OR length(reply_text) BETWEEN 1 AND 4000),
  actions TEXT NOT NULL CHECK (json_valid(actions) AND json_type(actions) = 'array'),
  owner_id TEXT REFERENCES users(id) ON DELETE CASCADE,
  created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX macros_owner ON macros(owner_id);
`,
  },
  {
    version: 37,
    name: "automation rules",
    sql: /* sql */ `
-- Automation rules (docs/decisions/035-automation-rules.md): "when <trigger>, if <conditions>,
-- then <actions>". Conditions and actions are JSON arrays decoded by the service's Schemas on
-- every write and read (a rule is always read and written whole, like a macro); no foreign keys
-- to labels, people or teams: a label deleted later makes the run record an error, not the rule vanish.
CREATE TABLE automation_rules (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  position INTEGER NOT NULL,
  trigger TEXT NOT NULL,
  conditions TEXT NOT NULL CHECK (json_valid(conditions) AND json_type(conditions) = 'array'),
  actions TEXT NOT NULL CHECK (json_valid(actions) AND json_type(actions) = 'array'),
  -- The log's end when the rule was created or enabled again: it hears only later events.
  starts_after_event_id INTEGER NOT NULL DEFAULT 0,
  last_run_at INTEGER,
  last_error TEXT,
  last_error_at INTEGER,
  created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX automation_rules_position ON automation_rules(position);
-- Where the background pass has read the events log to; starts at the log's end (no history).
CREATE TABLE automation_cursor (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  after_event_id INTEGER NOT NULL
);
INSERT INTO automation_cursor (id, after_event_id) VALUES (1, COALESCE((SELECT max(id) FROM events), 0));
`,
  },
  {
    version: 38,
    name: "response targets per inbox",
    // An inbox's response targets (SLAs) as JSON, decoded by the ResponseTargets Schema on every
    // write and read (runtime/core/response-targets.ts): {"firstResponseMinutes": n|null,
    // "nextReplyMinutes": n|null, "businessHours": bool}. NULL: no targets. Due times are not
    // stored: the inbox computes them for the page it shows (decision 037).
    sql: `
ALTER TABLE inboxes ADD COLUMN response_targets TEXT CHECK (response_targets IS NULL OR json_valid(response_targets));
`,
  },
  {
    version: 39,
    name: "time-based automation triggers and a run history per rule",
    // docs/decisions/038-automation-time-triggers.md. `pending_since`: when the conversation last
    // became pending (written only by the inbox's status change to pending; meaningful only while
    // status = 'pending', so no other writer clears it), backfilled from the status_changed
    // events. Its partial index holds pending rows only: a bot turn never names the column, and
    // its lean UPDATE never names status, so the hot path writes no entry of it.
    // A time rule keeps where its pass has got to in the spells it watches (`due_after_at`,
    // `due_after_id`: the start and conversation of the last spell it looked at, in that order).
    // `automation_runs`: the rules' runs that acted (conditions held), the last 200 per rule;
    // a time rule's run is unique per conversation and spell start.
    sql: /* sql */ `
ALTER TABLE conversations ADD COLUMN pending_since INTEGER;
UPDATE conversations SET pending_since = COALESCE(
    (SELECT max(e.at) FROM events e WHERE e.conversation_id = conversations.id AND e.type = 'status_changed'), updated_at)
  WHERE status = 'pending';
CREATE INDEX conversations_pending_since ON conversations(pending_since, id) WHERE status = 'pending';
ALTER TABLE automation_rules ADD COLUMN wait_amount INTEGER;
ALTER TABLE automation_rules ADD COLUMN wait_unit TEXT CHECK (wait_unit IS NULL OR wait_unit IN ('minutes', 'hours', 'days'));
ALTER TABLE automation_rules ADD COLUMN due_after_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE automation_rules ADD COLUMN due_after_id TEXT NOT NULL DEFAULT '';
CREATE TABLE automation_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  rule_id TEXT NOT NULL REFERENCES automation_rules(id) ON DELETE CASCADE,
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  -- What started it: an event of the log, or a time rule's spell (its start).
  event_id INTEGER,
  spell_started_at INTEGER,
  at INTEGER NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('done', 'failed')),
  error TEXT,
  CHECK ((event_id IS NULL) <> (spell_started_at IS NULL))
);
CREATE INDEX automation_runs_rule ON automation_runs(rule_id, id);
CREATE UNIQUE INDEX automation_runs_event ON automation_runs(rule_id, event_id) WHERE event_id IS NOT NULL;
CREATE UNIQUE INDEX automation_runs_spell ON automation_runs(rule_id, conversation_id, spell_started_at) WHERE spell_started_at IS NOT NULL;
`,
  },
  {
    version: 40,
    name: "response overdue: one escalation per wait",
    // The last wait of each conversation the escalation pass (runtime/services/response-overdue.ts)
    // recorded as overdue: a wait is its `waiting_since`, so a pass — or a restart — that finds the
    // same wait again records nothing, and a new wait (the visitor writes after a reply) replaces
    // the row. The `response_overdue` event in the events log is the record; this row is the
    // pass's memory. Written only by that pass, never on a visitor's message (decision 039).
    sql: `
CREATE TABLE response_overdue (
  conversation_id TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
  waiting_since INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('first_response', 'next_reply')),
  due_at INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL
);
`,
  },
  {
    version: 42,
    name: "audit log",
    // Who changed what in the workspace (runtime/services/audit-log.ts, decision 041): one row per
    // change, written in the change's own write. No foreign keys: the log outlives what it names
    // (a deleted flow, webhook or channel) and must never block or cascade a change; the target's
    // label is kept as it was. `via`: app | api | command line | system. The admin-facing events
    // the events log already held (two-factor sign-in, contacts' exports, erasures and merges)
    // are copied in, so the log starts with its history.
    sql: `
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  action TEXT NOT NULL,
  actor_id TEXT,
  via TEXT NOT NULL CHECK (via IN ('app', 'api', 'command line', 'system')),
  ip TEXT,
  token_id TEXT,
  target_type TEXT,
  target_id TEXT,
  target_label TEXT,
  data TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data))
);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_at ON audit_log (at);
INSERT INTO audit_log (at, action, actor_id, via, target_type, target_id, data)
  SELECT at,
         CASE type
           WHEN 'two_factor_enabled' THEN 'two_factor.enabled'
           WHEN 'two_factor_disabled' THEN 'two_factor.disabled'
           WHEN 'two_factor_reset' THEN 'two_factor.reset'
           WHEN 'two_factor_recovery_code_used' THEN 'two_factor.recovery_code_used'
           WHEN 'two_factor_recovery_codes_regenerated' THEN 'two_factor.recovery_codes_regenerated'
           WHEN 'two_factor_requirement_changed' THEN 'two_factor.requirement_changed'
           WHEN 'contact_erased' THEN 'contact.erased'
           WHEN 'contact_data_exported' THEN 'contact.data_exported'
           WHEN 'contacts_merged' THEN 'contacts.merged'
         END,
         user_id,
         CASE WHEN user_id IS NULL THEN 'command line' ELSE 'app' END,
         CASE WHEN type LIKE 'two_factor_%' AND json_extract(data, '$.userId') IS NOT NULL THEN 'user'
              WHEN type LIKE 'contact%' AND json_extract(data, '$.contactId') IS NOT NULL THEN 'contact' END,
         CASE WHEN type LIKE 'two_factor_%' THEN json_extract(data, '$.userId')
              WHEN type LIKE 'contact%' THEN json_extract(data, '$.contactId') END,
         CASE WHEN json_valid(data) THEN data ELSE '{}' END
    FROM events
   WHERE type IN ('two_factor_enabled', 'two_factor_disabled', 'two_factor_reset', 'two_factor_recovery_code_used',
                  'two_factor_recovery_codes_regenerated', 'two_factor_requirement_changed',
                  'contact_erased', 'contact_data_exported', 'contacts_merged')
   ORDER BY id;
`,
  },
  {
    version: 44,
    name: "chat transcripts by email",
    // A visitor (the widget) or an agent (the thread) asks for a copy of a chat by email
    // (transcripts.ts, decision 043). Each request is a row, written in the same write that
    // accepts it, so a crash after the answer still sends it once: the loop sends `queued` rows
    // through the inbox's team email (the follow-ups' path), retries a relay's temporary failure
    // with the outbox's backoff, and ends each row `sent` or `not_sent` with the reason. The
    // transcript covers the conversation's visible messages up to `through_message_id` (the newest
    // when asked), so a retry sends the same mail. `recipient` is kept only here: an address a
    // visitor typed is not verified and never lands on their contact. The rows also count the
    // visitor's requests per conversation (the limit).
    sql: `
CREATE TABLE transcript_emails (
  id INTEGER PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  through_message_id INTEGER NOT NULL,
  recipient TEXT NOT NULL,
  requested_by TEXT NOT NULL CHECK (requested_by IN ('visitor', 'agent')),
  user_id TEXT,
  time_zone TEXT,
  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'not_sent')),
  reason TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  channel_id TEXT,
  external_id TEXT,
  created_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX transcript_emails_conversation ON transcript_emails(conversation_id, id);
CREATE INDEX transcript_emails_due ON transcript_emails(next_attempt_at) WHERE status = 'queued';
`,
  },
  {
    version: 45,
    name: "automation: business-hours waits",
    // A time rule's wait may count only the workspace's business hours ("pending for 3 business
    // days", decision 044). 0 for every existing rule: their waits count around the clock as before.
    sql: `
ALTER TABLE automation_rules ADD COLUMN wait_business_hours INTEGER NOT NULL DEFAULT 0 CHECK (wait_business_hours IN (0, 1));
`,
  },
  {
    version: 46,
    name: "report replies by inbox",
    // The breaches list of Reports (decision 045) reads the replies of the range inbox by inbox,
    // only in inboxes with response targets, and keeps those whose wall time is over the target.
    // The team report's index leads with the agent, so a list filtered to one inbox read every
    // agent's replies of the range. Leading with the inbox makes each inbox a range; the columns
    // the list tests follow, so rows that met their target are skipped inside the index. Only a
    // person's reply adds a row to report_replies, so a bot's turn writes nothing more.
    sql: `
CREATE INDEX report_replies_inbox ON report_replies(inbox_id, at, first_response_ms, is_first, wait_ms, user_id, channel_id, team_id, chatflow_id);
ANALYZE report_replies;
`,
  },
  {
    version: 47,
    name: "automation: unassigned for",
    // docs/decisions/044 (27 November, twelfth session). `unassigned_since`: when an open or
    // pending conversation last came to have nobody assigned (it reached the inbox without a
    // person, its assignee was removed, it was reopened without one); NULL while someone is
    // assigned, while a bot has it and once closed. Every writer of assignee_id or status keeps it
    // in the same statement. The backfill starts each open or pending unassigned conversation's
    // spell at its newest event that left it without a person (unassigned, queued, handed off,
    // created, status_changed), else its last activity. The partial index holds only the rows in
    // a spell: a bot conversation's row (NULL) has no entry, and the bot's lean UPDATE never names
    // the column.
    sql: /* sql */ `
ALTER TABLE conversations ADD COLUMN unassigned_since INTEGER;
UPDATE conversations SET unassigned_since = COALESCE(
    (SELECT max(e.at) FROM events e WHERE e.conversation_id = conversations.id
        AND e.type IN ('unassigned', 'queued', 'handoff', 'conversation_created', 'status_changed')),
    last_activity_at)
  WHERE status IN ('open', 'pending') AND assignee_id IS NULL;
CREATE INDEX conversations_unassigned_since ON conversations(unassigned_since, id) WHERE unassigned_since IS NOT NULL;
`,
  },
  {
    version: 48,
    name: "team hours",
    // docs/decisions/048. A team's hours (flows/team-hours.ts, JSON): NULL — none, the members'
    // presence alone decides, as before; {"source":"workspace"} or {"source":"own", …}.
    sql: `
ALTER TABLE teams ADD COLUMN hours TEXT;
`,
  },
  {
    version: 49,
    name: "events the Automation user made, by time",
    // docs/decisions/049. The automation report reads what rules did over a range: the events
    // the Automation user made (status, labels, snoozes, its comments and replies carry its id in
    // user_id; assignments carry the assignee there and the actor in data.by). No index reads
    // events by time for those types, so a year's range was a scan of the whole log. Partial: a
    // bot's events fail the first two column tests (user_id is NULL or the agent; the type is not
    // an assignment) and get no entry; only an assignment's event reads its data's `by` — inside a
    // CASE, after json_valid: an index condition that raised on data that is not JSON would refuse
    // the event's INSERT (the roll-ups' property test writes such rows).
    sql: /* sql */ `
CREATE INDEX events_rule_at ON events(at) WHERE user_id = 'user_automation'
  OR (CASE WHEN type IN ('assigned', 'queued', 'unassigned') AND json_valid(data) THEN json_extract(data, '$.by') END) = 'user_automation';
`,
  },
  {
    version: 50,
    name: "the languages people answer in",
    // docs/decisions/055. A JSON array of lower-case primary language tags (["de","en"],
    // runtime/core/language-tags.ts); NULL — not set, the person speaks none for routing's
    // preference but still takes its fallbacks. Read by round-robin in the statement that already
    // reads a pool's candidates.
    sql: `
ALTER TABLE users ADD COLUMN languages TEXT;
`,
  },
  {
    version: 51,
    name: "report schedules",
    // docs/decisions/056. The team report by email every day or week (report-schedules.ts).
    // `next_run_at` is the run due next (NULL while paused); a relay's temporary failure keeps it
    // (the same period is retried) and sets `retry_at` and `last_error` (the relay's answer), the
    // due time being COALESCE(retry_at, next_run_at). A run's outcome and its next_run_at are written in one statement after the
    // relay answers. `recipients` is a JSON array of user ids; `filters` the team report's.
    sql: /* sql */ `
CREATE TABLE report_schedules (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  frequency TEXT NOT NULL CHECK (frequency IN ('daily', 'weekly')),
  weekday INTEGER NOT NULL DEFAULT 1 CHECK (weekday BETWEEN 1 AND 7),
  hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
  filters TEXT NOT NULL DEFAULT '{}',
  include_bots INTEGER NOT NULL DEFAULT 0,
  recipients TEXT NOT NULL DEFAULT '[]',
  channel_id TEXT REFERENCES channels(id) ON DELETE SET NULL,
  paused INTEGER NOT NULL DEFAULT 0,
  next_run_at INTEGER,
  retry_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_status TEXT CHECK (last_status IN ('sent', 'failed', 'skipped')),
  last_reason TEXT,
  last_error TEXT,
  last_run_at INTEGER,
  last_period TEXT,
  created_by TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX report_schedules_due ON report_schedules(COALESCE(retry_at, next_run_at)) WHERE next_run_at IS NOT NULL;
`,
  },
  {
    version: 52,
    name: "calendar subscriptions",
    // docs/decisions/057. A calendar URL the workspace (team_id NULL) or a team that keeps its own
    // hours follows (calendar-subscriptions.ts). `dates` is the provenance: a JSON array of the
    // closed dates this subscription added, exactly as it wrote them, so a sync removes or renames
    // only its own. `next_sync_at` is when it is fetched again; `last_attempt_at` the last try and
    // `last_synced_at` the last one that read the calendar (or heard it was unchanged: 304, with
    // `etag` / `last_modified` sent back as If-None-Match / If-Modified-Since). One subscription
    // per URL and list (the unique index; '' stands for the workspace's list).
    sql: /* sql */ `
CREATE TABLE calendar_subscriptions (
  id TEXT PRIMARY KEY,
  scope TEXT NOT NULL CHECK (scope IN ('workspace', 'team')),
  team_id TEXT REFERENCES teams(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  dates TEXT NOT NULL DEFAULT '[]',
  status TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'failed')),
  error TEXT,
  etag TEXT,
  last_modified TEXT,
  next_sync_at INTEGER NOT NULL,
  last_attempt_at INTEGER,
  last_synced_at INTEGER,
  created_by TEXT,
  created_at INTEGER NOT NULL,
  CHECK ((scope = 'team') = (team_id IS NOT NULL))
);
CREATE UNIQUE INDEX calendar_subscriptions_list_url ON calendar_subscriptions(COALESCE(team_id, ''), url);
CREATE INDEX calendar_subscriptions_due ON calendar_subscriptions(next_sync_at);
`,
  },
  {
    version: 53,
    name: "calendar history",
    // docs/decisions/058. The calendars in force over time, so a past reply is judged by the hours
    // of its day: each row holds from `effective_at` (epoch ms) until the next row's. The
    // workspace's rows hold its three `settings` values as stored (NULL: unset); a team's, its
    // `teams.hours` (NULL: none; a team without rows kept none). Written only by
    // runtime/services/calendar-history.ts, in the transaction that writes the live rows. Today's
    // calendar, and each team's hours, hold since the beginning (0).
    sql: `
CREATE TABLE workspace_calendar_history (
  effective_at INTEGER PRIMARY KEY,
  timezone TEXT,
  business_hours TEXT,
  closed_dates TEXT
);
CREATE TABLE team_hours_history (
  team_id TEXT NOT NULL,
  effective_at INTEGER NOT NULL,
  hours TEXT,
  PRIMARY KEY (team_id, effective_at)
) WITHOUT ROWID;
INSERT INTO workspace_calendar_history (effective_at, timezone, business_hours, closed_dates) VALUES (
  0,
  (SELECT value FROM settings WHERE key = 'timezone'),
  (SELECT value FROM settings WHERE key = 'business_hours'),
  (SELECT value FROM settings WHERE key = 'closed_dates')
);
INSERT INTO team_hours_history (team_id, effective_at, hours) SELECT id, 0, hours FROM teams WHERE hours IS NOT NULL;
`,
  },
  {
    version: 54,
    name: "response targets history",
    // docs/decisions/058 (27 November, sixteenth session). Each inbox's response targets over
    // time, so a past answer is judged by the target in force when its wait started: each row
    // holds `inboxes.response_targets` as stored (NULL: none) from `effective_at` (epoch ms) until
    // the inbox's next row; an inbox without rows kept none before its first. Written only by
    // runtime/services/target-history.ts, in the transaction that writes the live column. Today's
    // targets hold since the beginning (0). A deleted inbox's rows go with it (its answers are no
    // longer reported against targets, as before).
    sql: `
CREATE TABLE inbox_targets_history (
  inbox_id TEXT NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
  effective_at INTEGER NOT NULL,
  response_targets TEXT CHECK (response_targets IS NULL OR json_valid(response_targets)),
  PRIMARY KEY (inbox_id, effective_at)
) WITHOUT ROWID;
INSERT INTO inbox_targets_history (inbox_id, effective_at, response_targets)
  SELECT id, 0, response_targets FROM inboxes
   WHERE response_targets IS NOT NULL AND (json_extract(response_targets, '$.firstResponseMinutes') IS NOT NULL OR json_extract(response_targets, '$.nextReplyMinutes') IS NOT NULL);
`,
  },
];

/** A group statement: SQL, or a function given the connection (inside the group's transaction). */
export type GroupStatement = string | ((sqlite: BetterSqlite3.Database) => void);

/**
 * Statements the Database runs once per write group, after the group's writes and before its
 * COMMIT, in order, as of the latest migration: derived tables catch up with the rows written
 * since their cursor, in the same transaction (runtime/services/database.ts). Like triggers,
 * but paid once per group instead of once per row; each must be a no-op when nothing new was
 * written. The report fold keeps every roll-up (it moved the counters of migration 11 into
 * itself, so the events are read once per group); REPORT_COUNTER_FOLD stays the rebuild's.
 */
export const GROUP_STATEMENTS: ReadonlyArray<GroupStatement> = [
  // The group's messages (migration 14): search index, each conversation's newest message id
  // (a writer that already set it is left alone), then the per-row triggers are back on.
  `INSERT INTO messages_fts (rowid, text)
     SELECT id, text FROM messages WHERE id > (SELECT after_id FROM message_deferral) AND author IN ('visitor', 'agent')`,
  // (An UPDATE … FROM a grouped subquery scanned every message: SQLite materialised it first.)
  `UPDATE conversations SET last_message_id = (SELECT max(m.id) FROM messages m WHERE m.conversation_id = conversations.id)
     WHERE id IN (SELECT conversation_id FROM messages WHERE id > (SELECT after_id FROM message_deferral))
       AND last_message_id IS NOT (SELECT max(m.id) FROM messages m WHERE m.conversation_id = conversations.id)`,
  // The group's replies in email and Messenger conversations, and in those answered by email
  // (migration 19), join the outbox (migration 17).
  `INSERT OR IGNORE INTO deliveries (message_id, conversation_id, channel_id, next_attempt_at, created_at)
     SELECT m.id, m.conversation_id, c.channel_id, m.created_at, m.created_at
       FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN channels ch ON ch.id = c.channel_id
      WHERE m.id > (SELECT after_id FROM message_deferral) AND m.author IN ('bot', 'agent') AND m.is_internal = 0
        AND (ch.kind IN ('email', 'messenger') OR c.reply_by_email = 1) AND c.is_preview = 0`,
  // The group's agent replies in chat conversations queue a follow-up check (migration 20).
  // In id order, so a conversation's oldest reply of the group wins (no GROUP BY: the planner
  // would walk messages_conversation, every message ever, instead of the group's id range).
  `INSERT INTO follow_up_queue (conversation_id, first_message_id, first_at)
     SELECT m.conversation_id, m.id, m.created_at
       FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN channels ch ON ch.id = c.channel_id
      WHERE m.id > (SELECT after_id FROM message_deferral) AND m.author = 'agent' AND m.is_internal = 0
        AND ch.kind = 'chat' AND c.reply_by_email = 0 AND c.is_preview = 0
      ORDER BY m.id
     ON CONFLICT (conversation_id) DO NOTHING`,
  "UPDATE message_deferral SET after_id = NULL WHERE after_id IS NOT NULL",
  foldReportRollups,
];

/**
 * Statements the Database runs at the start of each write group, right after its BEGIN: they
 * switch per-row triggers off for the rows the group will write, which GROUP_STATEMENTS then
 * catch up on in bulk (migration 14). GROUP_STATEMENTS always run before the group's COMMIT.
 */
export const GROUP_BEGIN_STATEMENTS: ReadonlyArray<GroupStatement> = [
  "UPDATE message_deferral SET after_id = COALESCE((SELECT max(id) FROM messages), 0)",
];
