/**
 * The trigger-kept roll-ups equal the pure definitions (runtime/core/metrics.ts) for ANY log:
 * random sequences of events — well-formed or not, previews included — are written to a fresh
 * SQLite file and the tables are compared with the pure functions over the same rows, then
 * rebuilt from the log and compared again.
 */
import { Effect } from "effect";
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  armResults,
  assignedPerUser,
  botSessions,
  DEFAULT_SESSION_TIMEOUT_MS,
  nodeTallies,
  summarize,
  teamTimeline,
  type EventRow,
} from "../core/metrics.js";
import { makeRange } from "../core/report-range.js";
import type { ChatflowsShape } from "../services/chatflows.js";
import { openDatabase, type DatabaseShape } from "../services/database.js";
import { NotFound } from "../services/errors.js";
import { makeReports } from "../services/reports.js";
import { REBUILD_REPORT_ROLLUPS_SQL } from "./report-rollups.js";

let dir: string;
let runs = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "parley-rollups-"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const TIMEOUTS: Record<string, number> = { v10: 10 * 60_000, v2: 2 * 60_000 };
const timeoutOf = (version: string | null) => (version !== null && TIMEOUTS[version] !== undefined ? TIMEOUTS[version]! : DEFAULT_SESSION_TIMEOUT_MS);

/** A fresh database with two chatflows: versions v10 and v2 have those session timeouts in minutes, vx has none. */
const freshDatabase = (): DatabaseShape => {
  const db = openDatabase({ path: join(dir, `run-${++runs}.sqlite`), synchronous: "NORMAL" });
  const s = db.sqlite;
  // An event's user is always a stored user (users are disabled, never deleted), and the team
  // report reads replies agent by agent from the users table.
  for (const user of ["u1", "u2"]) {
    s.prepare("INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, 'agent', 'x', 0)").run(user, `${user}@example.com`, user);
  }
  for (const flow of ["F", "G"]) {
    s.prepare("INSERT INTO chatflows (id, name, kind, draft, created_at, updated_at) VALUES (?, ?, 'bot', '{}', 0, 0)").run(flow, flow);
  }
  const version = s.prepare("INSERT INTO chatflow_versions (id, chatflow_id, version, spec, content_hash, published_at) VALUES (?, 'F', ?, ?, 'h', 0)");
  version.run("v10", 1, JSON.stringify({ settings: { sessionTimeoutMinutes: 10 } }));
  version.run("v2", 2, JSON.stringify({ settings: { sessionTimeoutMinutes: 2 } }));
  version.run("vx", 3, JSON.stringify({ nodes: [] }));
  return db;
};

const json = (value: unknown) => JSON.stringify(value);
const dataArb = fc.oneof(
  fc.constant(null),
  fc.constant("not json"),
  fc.constant("[1,2]"),
  fc.record({ author: fc.constantFrom("visitor", "agent", "bot", "system", 3), internal: fc.constantFrom(true, false, 1, 0, "1") }, { requiredKeys: [] }).map(json),
  fc.record({ from: fc.constantFrom("bot", "open", "pending", "closed", 5), to: fc.constantFrom("bot", "open", "pending", "closed") }, { requiredKeys: ["to"] }).map(json),
  fc.record({ armId: fc.constantFrom("a", "b", 7) }).map(json),
);

const rowArb = fc.record({
  type: fc.constantFrom(
    "conversation_created",
    "flow_started",
    "node_entered",
    "answered",
    "invalid_answer",
    "skipped",
    "completed",
    "handed_off",
    "abandoned",
    "flow_error",
    "split_arm",
    "message_created",
    "message_created",
    "handoff",
    "agent_took_over",
    "status_changed",
    "status_changed",
    "assigned",
    "unassigned",
    "contact_linked",
  ),
  gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 20 * 60_000 })),
  conversation_id: fc.constantFrom("c1", "c2", "c3", "c1", "c2", null),
  chatflow_id: fc.constantFrom("F", "F", "G", null),
  chatflow_version_id: fc.constantFrom("v10", "v2", "vx", "gone", null),
  node_id: fc.constantFrom("n1", "n2", "n3", "", null),
  from_node_id: fc.constantFrom("n1", "n2", "", null),
  port: fc.constantFrom("next", "answered", null),
  user_id: fc.constantFrom("u1", "u2", null),
  inbox_id: fc.constantFrom("i1", "i2", null),
  channel_id: fc.constantFrom("ch1", null),
  team_id: fc.constantFrom("t1", "t2", null),
  is_preview: fc.constantFrom(0, 0, 0, 0, 1),
  data: dataArb,
});

// The service reads chatflows only for names and drawings; these tests need neither.
const BASE = {
  gap: 0,
  node_id: null,
  from_node_id: null,
  port: null,
  user_id: null,
  team_id: null,
  is_preview: 0,
  data: null,
} as const;

const noChatflows = {
  get: (id: string) => Effect.succeed({ id, name: id, kind: "bot", publishedVersionId: null }),
  getDraft: (id: string) => Effect.fail(new NotFound({ entity: "chatflow", id })),
  getVersion: (id: string) => Effect.fail(new NotFound({ entity: "version", id })),
  compileContext: () => Effect.succeed({ teams: [], users: [], contactProperties: [] }),
} as unknown as ChatflowsShape;

describe("report roll-ups", () => {
  it("equal the pure definitions for random logs, live and after a rebuild", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), fc.array(rowArb, { maxLength: 100, size: "max" }), (bots, random) => {
        // Most conversations begin as the engine begins them, so the random rest has something to act on.
        const prologue = bots.map((bot, i) => ({ conversation_id: `c${i + 1}`, created: true, bot }));
        const rows = [
          ...prologue.flatMap(({ conversation_id, bot }) => {
            const base = { ...BASE, conversation_id, chatflow_id: "F", chatflow_version_id: "v10", inbox_id: "i1", channel_id: "ch1" };
            // Starts at 17:50 and 18:10 on 10 January and 00:10 on 11 January (UTC): whole hours, the half
            // hour before 18:30 (midnight in Kolkata) and the hours after a UTC midnight each get some.
            const created = { ...base, type: "conversation_created", gap: [0, 20 * 60_000, 6 * 3_600_000][Number(conversation_id.slice(1)) - 1]! };
            return bot ? [created, { ...base, type: "flow_started" }] : [created];
          }),
          ...random,
        ];
        const db = freshDatabase();
        try {
          const insert = db.sqlite.prepare(
            `INSERT INTO events (type, at, conversation_id, chatflow_id, chatflow_version_id, node_id, port, from_node_id, user_id, inbox_id,
               channel_id, team_id, is_preview, data) VALUES (@type, @at, @conversation_id, @chatflow_id, @chatflow_version_id, @node_id,
               @port, @from_node_id, @user_id, @inbox_id, @channel_id, @team_id, @is_preview, @data)`,
          );
          // From 17:50 on 10 January 2026 (UTC).
          let at = Date.UTC(2026, 0, 10, 17, 50);
          db.sqlite.transaction(() => {
            for (const { gap, ...row } of rows) {
              insert.run({ ...row, at: (at += gap) });
              // Written around Database.write: fold the counters as group commits would, at random
              // points (the gap decides), so counters are both created and added to.
              if (gap % 3 === 0) db.catchUp();
            }
            db.catchUp();
          })();
          const log = db.sqlite.prepare("SELECT * FROM events ORDER BY id").all() as EventRow[];
          const compare = () => {
            const sessions = botSessions(log, timeoutOf);
            expect(db.sqlite.prepare("SELECT * FROM report_bot_sessions ORDER BY conversation_id").all()).toEqual(
              [...sessions.values()]
                .sort((a, b) => (a.conversationId < b.conversationId ? -1 : 1))
                .map((s) => ({
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
                })),
            );
            const timeline = teamTimeline(log);
            expect(db.sqlite.prepare("SELECT * FROM report_conversations ORDER BY conversation_id").all()).toEqual(
              [...timeline.conversations.values()]
                .sort((a, b) => (a.conversationId < b.conversationId ? -1 : 1))
                .map((c) => ({
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
                })),
            );
            expect(db.sqlite.prepare("SELECT * FROM report_replies ORDER BY event_id").all()).toEqual(
              timeline.replies.map((r) => ({
                event_id: r.eventId,
                conversation_id: r.conversationId,
                at: r.at,
                user_id: r.userId,
                inbox_id: r.inboxId,
                channel_id: r.channelId,
                chatflow_id: r.chatflowId,
                team_id: r.teamId,
                wait_ms: r.waitMs,
                is_first: r.isFirst ? 1 : 0,
                first_response_ms: r.firstResponseMs,
              })),
            );

            // The service's node, arm and assignment queries over the same log.
            const reports = makeReports({ db, chatflows: noChatflows });
            const range = makeRange("UTC", "custom", "2026-01-01", "2026-02-28");
            const query = { range, filters: {} };
            const cohort = new Map([...sessions].filter(([, s]) => s.chatflowId === "F"));
            const cohortLog = log.filter((e) => e.conversation_id !== null && cohort.has(e.conversation_id));
            expect(Effect.runSync(reports.flowTallies("F", query))).toEqual(nodeTallies(cohortLog));
            // A zone 5:30 off UTC: the hourly counters cover the whole hours, the events the half hours at the ends.
            // New York: a whole UTC day from the daily counters, hours on either side from the hourly ones.
            for (const zoned of [makeRange("Asia/Kolkata", "custom", "2026-01-10", "2026-01-10"), makeRange("America/New_York", "custom", "2026-01-09", "2026-01-10")]) {
              const zonedCohort = new Set(
                [...sessions.values()].filter((s) => s.chatflowId === "F" && s.startedAt >= zoned.start && s.startedAt < zoned.end).map((s) => s.conversationId),
              );
              expect(Effect.runSync(reports.flowTallies("F", { range: zoned, filters: {} })), zoned.timezone).toEqual(
                nodeTallies(log.filter((e) => e.conversation_id !== null && zonedCohort.has(e.conversation_id))),
              );
            }
            const report = Effect.runSync(reports.flowReport("F", query));
            expect(report.arms.map(({ nodeId, armId, conversations, completed, handedOff, abandoned }) => ({ nodeId, armId, conversations, completed, handedOff, abandoned }))).toEqual(
              armResults(cohortLog, cohort),
            );
            expect(report.totals.started).toBe(cohort.size);
            const team = Effect.runSync(reports.team(query));
            expect(Object.fromEntries(team.agents.filter((a) => a.assigned > 0).map((a) => [a.userId, a.assigned]))).toEqual(
              Object.fromEntries(assignedPerUser(log, range.start, range.end)),
            );
            expect(team.replyTime).toEqual(summarize(timeline.replies.flatMap((r) => (r.waitMs === null ? [] : [r.waitMs]))));
            expect(team.firstResponse).toEqual(summarize(timeline.replies.flatMap((r) => (r.firstResponseMs === null ? [] : [r.firstResponseMs]))));
            expect(team.timeToClose).toEqual(
              summarize([...timeline.conversations.values()].flatMap((c) => (c.timeToCloseMs === null ? [] : [c.timeToCloseMs]))),
            );
          };
          compare();
          db.sqlite.exec(REBUILD_REPORT_ROLLUPS_SQL);
          compare();
        } finally {
          db.sqlite.close();
        }
      }),
      { numRuns: 80 },
    );
  }, 120_000);
});
