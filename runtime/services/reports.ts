/**
 * Reports: bot performance, team response times and the canvas overlay, read from the roll-ups
 * that each write group folds from the append-only `events` log (runtime/sql/report-fold.ts,
 * runtime/sql/report-rollups.ts; the definitions are in runtime/core/metrics.ts). Read-only,
 * except the workspace time zone, its business hours, and a full rebuild of the roll-ups.
 *
 * Date ranges are local days in the workspace time zone (`settings` row `timezone`, UTC by
 * default). Bot figures follow the cohort of sessions STARTED in the range — all their later
 * events count — so a node's visitors and the visitors who moved on are the same people and
 * drop-off cannot go negative. Team figures count what happened in the range: conversations
 * created, replies sent, conversations closed, assignments made; on request their durations
 * count only the workspace's business hours (runtime/core/business-time.ts).
 */
import { Clock, Context, Effect, Either, Layer, Schema as S } from "effect";
import { isValidTimezone, sameClosedDay } from "../../flows/availability.js";
import { decodeWith } from "../../flows/decode.js";
import { decodeFlowDocument, specToDocument, type CompileContext } from "../../flows/compile.js";
import type { FlowDocument } from "../../flows/flow-document.js";
import { ClosedDate as ClosedDateSchema, MAX_CLOSED_DATES, type ClosedDate } from "../../flows/flow-spec.js";
import {
  BOT_OUTCOMES,
  emptyNodeCounts,
  emptyOutcomes,
  nodeMetrics,
  summarize,
  talliesFrom,
  type ArmResult,
  type BotOutcome,
  type DurationSummary,
  type EdgeTally,
  type NodeCounts,
  type NodeMetrics,
  type NodeTally,
  type OutcomeCounts,
} from "../core/metrics.js";
import {
  BREACH_SORT_MESSAGE,
  breachPlaceOf,
  breachPlaceTuple,
  compareBreaches,
  DEFAULT_BREACH_SORT,
  firstInOrder,
  parseBreachSort,
  type BreachSort,
} from "../core/breach-order.js";
import type { BusinessCalendar, BusinessHours } from "../core/business-time.js";
import {
  emptyShare,
  hasTargets,
  judgeReply,
  tallyTargets,
  waitStartOf,
  type AnswerKind,
  type BusinessBetween,
  type ReplyForTarget,
  type ResponseTargets,
  type TargetShare,
} from "../core/response-targets.js";
import { parseReportQuery, type ReportDay, type ReportFilters, type ReportQuery } from "../core/report-range.js";
import { REBUILD_REPORT_ROLLUPS_SQL } from "../sql/report-rollups.js";
import { Chatflows, type ChatflowsShape } from "./chatflows.js";
import { auditActor, recordAudit } from "./audit-log.js";
import { CONVERSATION_TITLE_COLUMNS, CONVERSATION_TITLE_JOINS, conversationTitle } from "./conversation-rows.js";
import { Database, type DatabaseShape, type Sqlite } from "./database.js";
import { holidayRegions, publicHolidays } from "./public-holidays.js";
import { ClosedDatesImport, mergeClosedDates, sortClosedDates, type ClosedDatesImported } from "./calendar-import.js";
import type { ClosedDatesChange } from "./calendar-sync.js";
import {
  BUSINESS_HOURS_SETTING,
  BusinessHoursInput,
  CLOSED_DATES_SETTING,
  readBusinessHours as readWorkspaceHours,
  readClosedDates,
  readTimezone as readWorkspaceTimezone,
  TIMEZONE_SETTING,
} from "./business-hours.js";
import { pastCalendars, putWorkspaceCalendar, type PastCalendars } from "./calendar-history.js";
import { pastTargets, type InboxTargetsOverTime } from "./target-history.js";
import * as wallClock from "./clock.js";
import { InvalidInput, NotFound } from "./errors.js";

export type { ReportQuery, ReportFilters, ReportRange, ReportDay, RangePreset, HoursMode } from "../core/report-range.js";
export type { BusinessHours, OpeningRange } from "../core/business-time.js";
export type { DurationSummary, NodeMetrics, OutcomeCounts, BotOutcome, EdgeTally } from "../core/metrics.js";
export type { TargetShare, AnswerKind } from "../core/response-targets.js";

export { TIMEZONE_SETTING, DEFAULT_TIMEZONE, BUSINESS_HOURS_SETTING, CLOSED_DATES_SETTING, BusinessHoursInput } from "./business-hours.js";
export type { ClosedDate } from "../../flows/flow-spec.js";
const decodeBusinessHours = decodeWith(BusinessHoursInput);
const decodeClosedDate = decodeWith(ClosedDateSchema);
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
/** "12-25" of any year → "25 December". */
const monthDayName = (date: string): string => `${Number(date.slice(8, 10))} ${MONTHS[Number(date.slice(5, 7)) - 1]}`;

/**
 * The workspace's closed dates inside a write: the stored list, and a writer that stores a new one
 * in order, in force from `at` (its history, decision 058), and answers it.
 */
const closedDatesIn = (s: Sqlite, at: number) => ({
  list: readClosedDates((sql) => s.prepare(sql)),
  store: (next: ReadonlyArray<ClosedDate>): ReadonlyArray<ClosedDate> => {
    const sorted = sortClosedDates(next);
    putWorkspaceCalendar(s, at, CLOSED_DATES_SETTING, JSON.stringify(sorted));
    return sorted;
  },
});

// ---------------------------------------------------------------------------------------------
// Shapes

export interface NamedOption {
  readonly id: string;
  readonly name: string;
}

/** What the filter pickers offer. */
export interface ReportOptions {
  readonly timezone: string;
  readonly inboxes: ReadonlyArray<NamedOption>;
  readonly channels: ReadonlyArray<NamedOption & { readonly kind: string; readonly inboxId: string }>;
  readonly flows: ReadonlyArray<NamedOption & { readonly kind: string }>;
  readonly teams: ReadonlyArray<NamedOption>;
  /**
   * The people who answer visitors (agents and admins), by name: the breaches list narrows to one
   * of them. A disabled one (a former agent, or the built-in Automation user a rule replies as)
   * only when they have answered at least once: their answers stay in the reports. Never
   * marketers or analysts, who answer nobody.
   */
  readonly agents: ReadonlyArray<NamedOption & { readonly disabled: boolean }>;
}

export interface FlowOutcomes {
  readonly chatflowId: string;
  readonly name: string;
  readonly counts: OutcomeCounts;
}

export interface VersionOutcomes {
  readonly chatflowId: string;
  readonly flowName: string;
  readonly versionId: string | null;
  /** The published version number (null for sessions without a version). */
  readonly version: number | null;
  readonly publishedAt: number | null;
  readonly counts: OutcomeCounts;
}

export interface DailyOutcomes {
  readonly day: string;
  readonly counts: OutcomeCounts;
}

export interface BotOverview {
  readonly query: ReportQuery;
  readonly totals: OutcomeCounts;
  readonly flows: ReadonlyArray<FlowOutcomes>;
  readonly versions: ReadonlyArray<VersionOutcomes>;
  readonly daily: ReadonlyArray<DailyOutcomes>;
}

export interface NodeReport extends NodeMetrics {
  readonly label: string;
  readonly kind: string | null;
  /** False for a node the flow's current draft no longer has (seen in older versions' events). */
  readonly inFlow: boolean;
}

export interface ArmReport extends ArmResult {
  readonly nodeLabel: string;
  readonly armLabel: string;
  /** The arm's configured share of traffic (percent), when the current draft still has it. */
  readonly percent: number | null;
  readonly completionRate: number;
}

export interface FlowTallies {
  readonly nodes: ReadonlyArray<NodeTally>;
  readonly edges: ReadonlyArray<EdgeTally>;
  readonly starts: Readonly<Record<string, number>>;
}

export interface FlowReport extends BotOverview {
  readonly flow: { readonly id: string; readonly name: string; readonly kind: string };
  readonly nodes: ReadonlyArray<NodeReport>;
  readonly edges: ReadonlyArray<EdgeTally>;
  readonly starts: Readonly<Record<string, number>>;
  readonly arms: ReadonlyArray<ArmReport>;
  /** The flow as the builder draws it (its draft, else its published spec), for the canvas. */
  readonly document: FlowDocument | null;
  readonly context: CompileContext;
}

/** The canvas overlay's raw figures; app/components/reports maps them onto a document's edge ids. */
export interface FlowOverlay {
  readonly nodes: Readonly<Record<string, { readonly reached: number; readonly dropOff: number }>>;
  readonly edges: ReadonlyArray<EdgeTally>;
  readonly started: number;
}

export interface VolumeRow {
  readonly day: string;
  readonly inboxId: string | null;
  readonly inboxName: string;
  readonly channelId: string | null;
  readonly channelName: string;
  readonly conversations: number;
  /** Of those, conversations the team has held (handed off, taken over, or never with a bot). */
  readonly reachedTeam: number;
}

/** Visitors' ratings of conversations (1–5, ratings.ts): the latest per conversation. */
export interface Satisfaction {
  readonly ratings: number;
  /** The mean score; null without ratings. */
  readonly average: number | null;
  /** Ratings of 4 or 5. */
  readonly satisfied: number;
}

/** The satisfaction of a list of scores. Pure. */
export const satisfactionOf = (scores: ReadonlyArray<number>): Satisfaction => ({
  ratings: scores.length,
  average: scores.length === 0 ? null : scores.reduce((a, b) => a + b, 0) / scores.length,
  satisfied: scores.filter((s) => s >= 4).length,
});

export interface AgentRow {
  readonly userId: string;
  readonly name: string;
  /** Distinct conversations assigned to the agent in the range. */
  readonly assigned: number;
  /** Human, non-internal replies sent in the range. */
  readonly replies: number;
  readonly firstResponse: DurationSummary;
  readonly replyTime: DurationSummary;
  readonly satisfaction: Satisfaction;
  /** First responses and next replies in inboxes with such a target that met it (decision 037). */
  readonly firstResponseTarget: TargetShare;
  readonly nextReplyTarget: TargetShare;
}

/** One inbox with response targets on the team report: how many answers in the range met them. */
export interface InboxTargetRow {
  readonly inboxId: string;
  readonly name: string;
  /**
   * The inbox's targets in force at the range's end. Each answer is judged by the targets in
   * force when its wait started (decision 058, sixteenth session), so `targetsChanged` says when
   * other targets were in force during the range too.
   */
  readonly targets: ResponseTargets;
  readonly targetsChanged: boolean;
  readonly firstResponse: TargetShare;
  readonly nextReply: TargetShare;
}

/** One conversation label on the team report: the conversations created in the range that carry it. */
export interface LabelReportRow {
  readonly labelId: string;
  readonly name: string;
  readonly color: string;
  readonly conversations: number;
  /** Of those, the ones closed now. */
  readonly closed: number;
  /** Their first responses (business time when the report measures it). */
  readonly firstResponse: DurationSummary;
}

export interface TeamReport {
  readonly query: ReportQuery;
  /** `business`: every duration below counts only time inside `businessHours`. */
  readonly measure: "wall" | "business";
  /** The workspace's business hours (whether or not they were used). */
  readonly businessHours: BusinessHours;
  readonly volume: ReadonlyArray<VolumeRow>;
  readonly firstResponse: DurationSummary;
  readonly replyTime: DurationSummary;
  readonly timeToClose: DurationSummary;
  readonly satisfaction: Satisfaction;
  readonly agents: ReadonlyArray<AgentRow>;
  /** Every label, the most used first (labels.ts). */
  readonly labels: ReadonlyArray<LabelReportRow>;
  /** Inboxes with response targets (under the report's filters), by name, and their shares met. */
  readonly targets: ReadonlyArray<InboxTargetRow>;
}

/** What the breaches list can be narrowed to: an answer's kind. */
export const BREACH_KINDS: ReadonlyArray<AnswerKind> = ["first_response", "next_reply"];
/** The longest page of the breaches list (and its default). */
export const BREACH_PAGE_MAX = 50;

/**
 * The breaches list's query: the team report's range and filters, plus one agent, one kind of
 * answer, an order (absent: DEFAULT_BREACH_SORT, the most over first) and a page (the cursor of
 * the previous page's `nextCursor`, made under the same order; `limit` null: every row, for the
 * CSV download).
 */
export interface BreachQuery extends ReportQuery {
  readonly agent?: string;
  readonly kind?: AnswerKind;
  readonly sort?: BreachSort;
  readonly cursor?: string;
  readonly limit: number | null;
}

/** One answer that missed its inbox's response target (decision 045). */
export interface Breach {
  /** The reply's event id: with `overMs`, its place in the list. */
  readonly eventId: number;
  readonly conversationId: string;
  /** Who the conversation is with, as the inbox's list names it (the contact's name or email, else "Visitor …"). */
  readonly title: string;
  /** The conversation's contact, null when it has none. */
  readonly contactId: string | null;
  readonly inboxId: string;
  readonly inboxName: string;
  readonly userId: string | null;
  readonly agentName: string | null;
  readonly kind: AnswerKind;
  readonly targetMs: number;
  /** How long the answer took, in business time when the inbox's targets count it. */
  readonly actualMs: number;
  readonly overMs: number;
  readonly businessHours: boolean;
  /** The team whose own hours judged it (decision 048), by name; null when the workspace's hours (or the clock) did. */
  readonly teamHours: string | null;
  /** When the visitor started waiting (wall clock) and when the answer was sent. */
  readonly waitedFrom: number;
  readonly at: number;
}

/** A page of breaches in the query's order; `total` counts the whole list under the query. */
export interface BreachPage {
  readonly query: BreachQuery;
  readonly total: number;
  readonly breaches: ReadonlyArray<Breach>;
  readonly nextCursor: string | null;
}

/** What adding a year's public holidays did. */
export interface PublicHolidaysAdded {
  readonly added: ReadonlyArray<ClosedDate>;
  /** Holidays of the year on days already closed. */
  readonly skipped: number;
  readonly closedDates: ReadonlyArray<ClosedDate>;
}

/** A year's public holidays to add: a country (ISO 3166-1 alpha-2), optionally one of its regions, and the year. */
export const PublicHolidaysInput = S.Struct({
  country: S.String.pipe(S.pattern(/^[A-Z]{2}$/, { message: () => "a country is its two-letter code, such as DE or US" })),
  region: S.optionalWith(S.String.pipe(S.pattern(/^[A-Za-z0-9]{1,10}$/, { message: () => "a region is its code, such as BY" })), { exact: true }),
  year: S.Int.annotations({ message: () => ({ message: "a year is a whole number, such as 2027", override: true }) }),
});
const decodePublicHolidays = decodeWith(PublicHolidaysInput);
const decodeClosedDatesImport = decodeWith(ClosedDatesImport);
export type { ClosedDatesImported } from "./calendar-import.js";

export interface ReportsShape {
  /** The workspace's IANA time zone (UTC when unset or no longer valid). */
  readonly timezone: () => Effect.Effect<string>;
  /** Stores the workspace time zone; InvalidInput (path `timezone`) for a zone this platform does not know. */
  readonly setTimezone: (timezone: string) => Effect.Effect<string, InvalidInput>;
  /** The workspace's weekly business hours, in its time zone (no ranges when none are set). */
  readonly businessHours: () => Effect.Effect<BusinessHours>;
  /** Stores the weekly business hours (BusinessHoursInput); InvalidInput with paths such as `hours[2].from`. */
  readonly setBusinessHours: (hours: unknown) => Effect.Effect<BusinessHours, InvalidInput>;
  /**
   * Adds a day the workspace is closed all day (a holiday: ClosedDate, `{ date, name?, yearly? }`);
   * InvalidInput with the field as path, and on `date` when that day is already closed (the same
   * date, or a yearly one of its month and day) or 200 are listed. Answers the list, in order.
   */
  readonly addClosedDate: (input: unknown) => Effect.Effect<ReadonlyArray<ClosedDate>, InvalidInput>;
  /**
   * Adds a country's (or region's) public holidays of a year as closed dates, in one write and
   * one audit line (PublicHolidaysInput: `country`, `region?`, `year`); days already closed are
   * skipped. InvalidInput names an unknown country or region, a year outside last year to five
   * ahead, or more than 200 closed dates in all (on `year`).
   */
  readonly addPublicHolidays: (input: unknown) => Effect.Effect<PublicHolidaysAdded, InvalidInput>;
  /**
   * Adds a calendar's closed dates (ClosedDatesImport: `dates`, `source`, `dryRun`) in one write
   * and one audit line (`settings.closed_dates_imported`, with the source and the dates added);
   * days already closed are skipped with a reason. A dry run stores nothing and answers what would
   * be added. InvalidInput with the field as path, and on `refusalPath` when the list would pass 200.
   */
  readonly importClosedDates: (input: unknown, refusalPath?: string) => Effect.Effect<ClosedDatesImported, InvalidInput>;
  /** Removes the closed date written `date` (as listed); NotFound when none is. Answers the list. */
  readonly removeClosedDate: (date: string) => Effect.Effect<ReadonlyArray<ClosedDate>, NotFound>;
  /**
   * A change of the closed dates decided from the stored list inside one write (a calendar
   * subscription's sync or removal, decision 057): what `change.plan` says is stored, and
   * `change.alongside` writes in the same transaction. Answers the plan's result.
   */
  readonly changeClosedDates: <A>(change: ClosedDatesChange<A>) => Effect.Effect<A>;
  /**
   * Range and filters from search parameters (module doc of report-range.ts); unknown ids are
   * InvalidInput with the parameter as path, and so is `hours=business` while no business hours are set.
   */
  readonly parseQuery: (params: URLSearchParams | Readonly<Record<string, string | undefined>>) => Effect.Effect<ReportQuery, InvalidInput>;
  /** Inboxes, channels, flows and teams for the filters. */
  readonly options: () => Effect.Effect<ReportOptions>;
  /** Bot outcomes per flow, per version and per day. */
  readonly botOverview: (query: ReportQuery) => Effect.Effect<BotOverview>;
  /** One flow: outcomes, nodes, edges, split arms and the document to draw. */
  readonly flowReport: (chatflowId: string, query: ReportQuery) => Effect.Effect<FlowReport, NotFound>;
  /** The node and edge figures of one flow for the builder's canvas. */
  readonly flowOverlay: (chatflowId: string, query: ReportQuery) => Effect.Effect<FlowOverlay, NotFound>;
  /** Raw node and edge tallies of one flow's cohort (for audits and tests). */
  readonly flowTallies: (chatflowId: string, query: ReportQuery) => Effect.Effect<FlowTallies>;
  /** Conversation volume, response times and the per-agent table (durations inside business hours when `query.hours` is `business`). */
  readonly team: (query: ReportQuery) => Effect.Effect<TeamReport>;
  /**
   * The breaches list's query from search parameters: everything `parseQuery` reads, plus
   * `agent` (a user id), `kind` (first_response or next_reply), `sort` (a BREACH_SORT_KEYS
   * column, `-` before it for descending; default `-over`), `cursor` (one made under that sort)
   * and `limit` (1–50, default 50); every problem is InvalidInput with the parameter as path.
   */
  readonly parseBreachQuery: (params: URLSearchParams | Readonly<Record<string, string | undefined>>) => Effect.Effect<BreachQuery, InvalidInput>;
  /**
   * The answers of the range that missed their inbox's response target, under the team report's
   * filters (and the query's agent and kind): in the query's order (the most over first unless
   * it says otherwise; ties: the most over, then the oldest reply), a page at a time. Judged by
   * the same rule as the team report's met shares, so `total` is their measured − met.
   */
  readonly breaches: (query: BreachQuery) => Effect.Effect<BreachPage>;
  /**
   * Of the replies named by these event ids, the ones that missed their target as the list judges
   * them now (today's targets, whatever the range), oldest reply first; an id that is no reply,
   * or a reply that met its target, is left out.
   */
  readonly breachesOf: (eventIds: ReadonlyArray<number>) => Effect.Effect<ReadonlyArray<Breach>>;
  /** Empties the roll-ups and replays the whole events log into them; returns the events replayed. */
  readonly rebuild: () => Effect.Effect<number>;
}

export class Reports extends Context.Tag("Reports")<Reports, ReportsShape>() {}

// ---------------------------------------------------------------------------------------------
// SQL

const SESSION_FILTERS = `(@inbox IS NULL OR r.inbox_id = @inbox) AND (@channel IS NULL OR r.channel_id = @channel)
  AND (@version IS NULL OR r.chatflow_version_id = @version)`;
const HOUR_FILTERS = `(@inbox IS NULL OR r.inbox_id = @inbox) AND (@channel IS NULL OR r.channel_id = @channel)
  AND (@version IS NULL OR r.chatflow_version_id = @version)`;
const HOUR = 3_600_000;
const DAY = 86_400_000;

const countersOf = (table: string, unit: string) => `SELECT r.node_id AS nodeId, sum(r.reached) AS reached, sum(r.left_by) AS leftBy,
      sum(r.answered) AS answered, sum(r.invalid) AS invalid, sum(r.skipped) AS skipped, sum(r.starts) AS starts
    FROM ${table} r
    WHERE r.chatflow_id = @flow AND r.${unit} >= @u0 AND r.${unit} < @u1 AND ${HOUR_FILTERS}
    GROUP BY r.node_id`;
const trafficOf = (table: string, unit: string) => `SELECT r.from_node_id AS "from", r.port AS port, r.to_node_id AS "to", sum(r.traffic) AS count
    FROM ${table} r
    WHERE r.chatflow_id = @flow AND r.${unit} >= @u0 AND r.${unit} < @u1 AND ${HOUR_FILTERS}
    GROUP BY r.from_node_id, r.port, r.to_node_id`;
const DAYS = `d(i, s, e) AS (SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(@days))`;

const SQL = {
  // One flow's sessions per local day, version and outcome, on the (chatflow_id, started_at) index.
  flowDaily: `WITH ${DAYS}
    SELECT d.i AS day, r.chatflow_id AS chatflowId, r.chatflow_version_id AS versionId, r.outcome AS outcome, count(*) AS n
    FROM d JOIN report_bot_sessions r INDEXED BY report_bot_sessions_flow
      ON r.chatflow_id = @flow AND r.started_at >= d.s AND r.started_at < d.e
    WHERE ${SESSION_FILTERS}
    GROUP BY d.i, r.chatflow_version_id, r.outcome`,
  // Whole UTC days of session starts come from the daily counters, whole hours at the ends of
  // the range from the hourly ones…
  nodeDays: countersOf("report_node_days", "day"),
  nodeHours: countersOf("report_node_hours", "hour"),
  edgeDays: trafficOf("report_edge_days", "day"),
  edgeHours: trafficOf("report_edge_hours", "hour"),
  // …and a part of an hour at either end of the range (a zone 30 or 45 minutes off UTC) from
  // the events of the sessions that started in it, by the same rules (metrics.ts nodeTallies).
  nodesBetween: `WITH cohort AS (
      SELECT r.conversation_id FROM report_bot_sessions r INDEXED BY report_bot_sessions_flow
      WHERE r.chatflow_id = @flow AND r.started_at >= @start AND r.started_at < @end AND ${SESSION_FILTERS}
    ),
    ev AS MATERIALIZED (
      SELECT e.type AS type, e.node_id AS node, e.from_node_id AS src, COALESCE(e.port, '') AS port
      FROM cohort JOIN events e INDEXED BY events_conversation_type ON e.conversation_id = cohort.conversation_id
      WHERE e.type IN ('node_entered', 'answered', 'invalid_answer', 'skipped', 'completed', 'handed_off')
        AND e.node_id IS NOT NULL AND e.node_id <> '' AND e.is_preview = 0
        AND e.id > (SELECT min(f.id) FROM events f INDEXED BY events_conversation_type
                    WHERE f.conversation_id = cohort.conversation_id AND f.type = 'flow_started' AND f.is_preview = 0)
    )
    SELECT 'node' AS kind, node AS a, NULL AS b, NULL AS z, sum(type = 'node_entered') AS n1, sum(type IN ('completed', 'handed_off')) AS n2,
      sum(type = 'answered') AS n3, sum(type = 'invalid_answer') AS n4, sum(type = 'skipped') AS n5,
      sum(type = 'node_entered' AND (src IS NULL OR src = '')) AS n6
    FROM ev GROUP BY node
    UNION ALL
    SELECT 'left', src, NULL, NULL, 0, count(*), 0, 0, 0, 0 FROM ev WHERE type = 'node_entered' AND src IS NOT NULL AND src <> '' GROUP BY src
    UNION ALL
    SELECT 'edge', src, port, node, count(*), 0, 0, 0, 0, 0 FROM ev
    WHERE type = 'node_entered' AND src IS NOT NULL AND src <> '' GROUP BY src, port, node`,
  arms: `SELECT a.node_id AS nodeId, a.arm_id AS armId, count(*) AS conversations,
      sum(r.outcome = 'completed') AS completed, sum(r.outcome = 'handed_off') AS handedOff,
      sum(r.outcome IN ('abandoned', 'no_reply')) AS abandoned
    FROM report_bot_sessions r INDEXED BY report_bot_sessions_flow JOIN report_arms a ON a.conversation_id = r.conversation_id
    WHERE r.chatflow_id = @flow AND r.started_at >= @start AND r.started_at < @end AND ${SESSION_FILTERS}
    GROUP BY a.node_id, a.arm_id ORDER BY a.node_id, a.arm_id`,
} as const;

/**
 * The team filters a query sets, as SQL on alias `r` — only those set, so no row pays for a
 * filter that is not there (`@x IS NULL OR …` cost every row of a quarter its four tests).
 */
const teamWhere = (p: Params): string => {
  const parts: string[] = [];
  if (p.inbox !== null) parts.push("r.inbox_id = @inbox");
  if (p.channel !== null) parts.push("r.channel_id = @channel");
  if (p.flow !== null) parts.push("r.chatflow_id = @flow");
  if (p.team !== null) parts.push("r.team_id = @team");
  return parts.length === 0 ? "1" : parts.join(" AND ");
};

/** The session filters a query sets, as SQL on alias `r` (only those set; see teamWhere). */
const sessionWhere = (p: Params): string => {
  const parts: string[] = [];
  if (p.flow !== null) parts.push("r.chatflow_id = @flow");
  if (p.inbox !== null) parts.push("r.inbox_id = @inbox");
  if (p.channel !== null) parts.push("r.channel_id = @channel");
  if (p.version !== null) parts.push("r.chatflow_version_id = @version");
  return parts.length === 0 ? "1" : parts.join(" AND ");
};

/**
 * Sessions per local day, flow, version and outcome. Each day groups its own sessions and
 * hands them back as one text (flow US version US outcome US count, RS between groups): many
 * small sorts instead of one of the whole range (~30% less over a quarter's 90k sessions).
 */
const botDailySql = (where: string) => `WITH ${DAYS}
    SELECT d.i AS day, (
      SELECT group_concat(g, char(30)) FROM (
        SELECT ifnull(r.chatflow_id, '') || char(31) || ifnull(r.chatflow_version_id, '') || char(31) || r.outcome || char(31) || count(*) AS g
        FROM report_bot_sessions r INDEXED BY report_bot_sessions_started
        WHERE r.started_at >= d.s AND r.started_at < d.e AND ${where}
        GROUP BY r.chatflow_id, r.chatflow_version_id, r.outcome)
    ) AS groups
    FROM d`;

/** The rows of botDailySql's texts; '' stands for no flow or version. Pure. */
const botDailyRows = (rows: ReadonlyArray<{ readonly day: number; readonly groups: string | null }>): OutcomeRow[] => {
  const out: OutcomeRow[] = [];
  for (const { day, groups } of rows) {
    if (groups === null) continue;
    for (const group of groups.split("\u001e")) {
      const [flow, version, outcome, n] = group.split("\u001f") as [string, string, BotOutcome, string];
      out.push({ day, chatflowId: flow === "" ? null : flow, versionId: version === "" ? null : version, outcome, n: Number(n) });
    }
  }
  return out;
};

/** Per agent (and for replies without one): the user id, the replies' count, then `lists`. */
const repliesPerAgent = (where: string, lists: string) => `SELECT u.id, count(*), ${lists}
    FROM users u INDEXED BY sqlite_autoindex_users_1 JOIN report_replies r INDEXED BY report_replies_user ON r.user_id = u.id
    WHERE r.at >= @start AND r.at < @end AND ${where}
    GROUP BY u.id
    UNION ALL
    SELECT NULL, count(*), ${lists}
    FROM report_replies r INDEXED BY report_replies_user
    WHERE r.user_id IS NULL AND r.at >= @start AND r.at < @end AND ${where}
    HAVING count(*) > 0`;

const TEAM_SQL = {
  // Per (inbox, channel) pair and local day, an index range count: no sort of the range's
  // conversations (migration 15). The pairs come from the same index by skip-ahead; a pair
  // with nothing that day or filtered out gives NULL.
  volume: (where: string) => `WITH ${DAYS},
    k AS MATERIALIZED (SELECT DISTINCT inbox_id AS inbox, channel_id AS channel FROM report_conversations INDEXED BY report_conversations_pairs),
    v AS MATERIALIZED (
      SELECT d.i AS day, k.inbox AS inboxId, k.channel AS channelId,
        (SELECT count(*) || ',' || sum(r.team_at IS NOT NULL) FROM report_conversations r INDEXED BY report_conversations_pairs
         WHERE r.inbox_id IS k.inbox AND r.channel_id IS k.channel AND r.created_at >= d.s AND r.created_at < d.e AND ${where}) AS counts
      FROM k, d
    )
    SELECT day, inboxId, channelId, counts FROM v WHERE counts IS NOT NULL`,
  // Per agent, agent by agent: the users in key order, each one's replies an index range
  // (migration 15), so nothing is sorted and no statistics are needed; replies without a user
  // last. Replies, and every wait and first response as text (group_concat skips NULLs) — half
  // the cost of one row per reply to JavaScript over a quarter's ~75k replies.
  replies: (where: string) => repliesPerAgent(where, "group_concat(r.wait_ms), group_concat(r.first_response_ms)"),
  // The same as start and end instants of each wait and each first response: CASE gives NULL
  // (skipped) for a reply without one, in the start and the end list alike, so they stay aligned.
  businessReplies: (where: string) =>
    repliesPerAgent(
      where,
      `group_concat(CASE WHEN r.wait_ms IS NOT NULL THEN r.at - r.wait_ms END), group_concat(CASE WHEN r.wait_ms IS NOT NULL THEN r.at END),
      group_concat(CASE WHEN r.first_response_ms IS NOT NULL THEN r.at - r.first_response_ms END),
      group_concat(CASE WHEN r.first_response_ms IS NOT NULL THEN r.at END)`,
    ),
  closes: (where: string) => `SELECT r.time_to_close_ms FROM report_conversations r INDEXED BY report_conversations_closed
    WHERE r.closed_at IS NOT NULL AND r.closed_at >= @start AND r.closed_at < @end AND ${where}`,
  businessCloses: (where: string) => `SELECT group_concat(CASE WHEN r.time_to_close_ms IS NOT NULL THEN r.closed_at - r.time_to_close_ms END),
      group_concat(CASE WHEN r.time_to_close_ms IS NOT NULL THEN r.closed_at END)
    FROM report_conversations r INDEXED BY report_conversations_closed
    WHERE r.closed_at IS NOT NULL AND r.closed_at >= @start AND r.closed_at < @end AND ${where}`,
  // Visitors' ratings in the range, oldest first: the caller keeps each conversation's latest.
  ratings: (where: string) => `SELECT r.conversation_id AS conversationId, r.user_id AS userId, json_extract(r.data, '$.score') AS score
    FROM events r INDEXED BY events_rated
    WHERE r.type = 'conversation_rated' AND r.is_preview = 0 AND r.at >= @start AND r.at < @end AND ${where}
    ORDER BY r.at, r.id`,
  // Per label, the conversations created in the range that carry it (through the label's index,
  // then each one's roll-up row by its key): how many, how many closed now, and each first
  // response as its start and end instants (the caller measures wall or business time).
  labels: (where: string) => `SELECT cl.label_id, count(*), sum(r.phase = 'closed'),
      group_concat(CASE WHEN r.first_response_ms IS NOT NULL THEN r.first_reply_at - r.first_response_ms END),
      group_concat(CASE WHEN r.first_response_ms IS NOT NULL THEN r.first_reply_at END)
    FROM conversation_labels cl JOIN report_conversations r ON r.conversation_id = cl.conversation_id
    WHERE r.created_at >= @start AND r.created_at < @end AND ${where}
    GROUP BY cl.label_id`,
  // Each reply in an inbox with response targets (@targeted: a JSON array of their ids), by
  // user through its index and then those without one, as in repliesPerAgent.
  targetReplies: (where: string) => `WITH t(id) AS (SELECT value FROM json_each(@targeted))
    SELECT r.user_id, r.inbox_id, r.at, r.wait_ms, r.is_first, r.first_response_ms, r.team_id
    FROM users u INDEXED BY sqlite_autoindex_users_1 JOIN report_replies r INDEXED BY report_replies_user ON r.user_id = u.id
    WHERE r.at >= @start AND r.at < @end AND r.inbox_id IN t AND ${where}
    UNION ALL
    SELECT r.user_id, r.inbox_id, r.at, r.wait_ms, r.is_first, r.first_response_ms, r.team_id
    FROM report_replies r INDEXED BY report_replies_user
    WHERE r.user_id IS NULL AND r.at >= @start AND r.at < @end AND r.inbox_id IN t AND ${where}`,
  // The breaches list's candidates: in each inbox with targets (@targeted: [id, first-response
  // target ms, next-reply target ms], null where none or not asked for), inbox by inbox through
  // migration 46's index, the replies whose wall time is over the target. Business time never
  // exceeds wall time, so every breach is among them; the caller judges each (judgeReply).
  // CROSS JOIN keeps the inboxes the outer loop: with statistics the planner scanned the whole
  // index and re-read the JSON for every reply (130 ms instead of 65 over 90 days of 100k
  // conversations). Only index columns: a page's conversations are read by their event ids.
  breachCandidates: (where: string) => `WITH t(id, fr, nr) AS (
      SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(@targeted))
    SELECT r.user_id, r.inbox_id, r.at, r.wait_ms, r.is_first, r.first_response_ms, r.team_id, r.event_id
    FROM t CROSS JOIN report_replies r INDEXED BY report_replies_inbox ON r.inbox_id = t.id
    WHERE r.at >= @start AND r.at < @end
      AND (r.first_response_ms > t.fr OR (r.first_response_ms IS NULL AND r.is_first = 0 AND r.wait_ms > t.nr))
      AND ${where}`,
  // The conversations of a page of replies (?: a JSON array of their event ids), by primary key,
  // with what the inbox's list names them by (a conversation deleted since is still listed).
  replyConversations: `SELECT r.event_id, r.conversation_id AS id, ct.id AS contact_id, ${CONVERSATION_TITLE_COLUMNS}
    FROM report_replies r LEFT JOIN conversations c ON c.id = r.conversation_id ${CONVERSATION_TITLE_JOINS}
    WHERE r.event_id IN (SELECT value FROM json_each(?))`,
  // Replies by their event ids (?: a JSON array), by primary key, with breachCandidates' columns.
  repliesByEvent: `SELECT r.user_id, r.inbox_id, r.at, r.wait_ms, r.is_first, r.first_response_ms, r.team_id, r.event_id
    FROM report_replies r WHERE r.event_id IN (SELECT value FROM json_each(?)) ORDER BY r.event_id`,
  // The WHERE repeats the partial index's condition so the planner can use it.
  assigned: (where: string) => `SELECT r.user_id AS userId, count(DISTINCT r.conversation_id) AS n FROM events r INDEXED BY events_assigned
    WHERE r.type = 'assigned' AND r.is_preview = 0 AND r.at >= @start AND r.at < @end AND r.user_id IS NOT NULL
      AND r.conversation_id IS NOT NULL AND ${where}
    GROUP BY r.user_id`,
};

/** A page's reply with its conversation, as TEAM_SQL.replyConversations reads it. */
interface ReplyConversationRow {
  readonly event_id: number;
  readonly id: string;
  readonly contact_id: string | null;
  readonly contact_name: string | null;
  readonly contact_email: string | null;
  readonly collected_name: unknown;
  readonly collected_email: unknown;
  readonly visitor_id: string | null;
}

/** The breaches list's candidate query (for its query-plan test). */
export const breachCandidatesSql = (where: string): string => TEAM_SQL.breachCandidates(where);

interface Params {
  readonly flow: string | null;
  readonly inbox: string | null;
  readonly channel: string | null;
  readonly team: string | null;
  readonly version: string | null;
  readonly start: number;
  readonly end: number;
  readonly days: string;
}

const paramsOf = (query: ReportQuery, flow?: string): Params => ({
  flow: flow ?? query.filters.flow ?? null,
  inbox: query.filters.inbox ?? null,
  channel: query.filters.channel ?? null,
  team: query.filters.team ?? null,
  version: query.filters.version ?? null,
  start: query.range.start,
  end: query.range.end,
  days: JSON.stringify(query.range.days.map((d: ReportDay) => [d.start, d.end])),
});

// ---------------------------------------------------------------------------------------------
// Helpers (pure)

interface OutcomeRow {
  readonly day: number;
  readonly chatflowId: string | null;
  readonly versionId: string | null;
  readonly outcome: BotOutcome;
  readonly n: number;
}

/**
 * A group_concat list of integers (NULLs skipped by SQLite) as numbers, read character by
 * character: a quarter's lists hold ~75k numbers, and split() made a string of each. Pure.
 */
const numbers = (list: string | null): number[] => {
  if (list === null || list === "") return [];
  const out: number[] = [];
  let value = 0;
  let negative = false;
  let fraction = -1;
  let scale = 1;
  for (let i = 0; i <= list.length; i++) {
    const c = i < list.length ? list.charCodeAt(i) : 44;
    if (c === 44) {
      out.push((negative ? -value : value) / (fraction >= 0 ? scale : 1));
      value = 0;
      negative = false;
      fraction = -1;
      scale = 1;
    } else if (c === 45) negative = true;
    else if (c === 46) fraction = 0;
    else {
      value = value * 10 + (c - 48);
      if (fraction >= 0) scale *= 10;
    }
  }
  return out;
};

/**
 * Whether an inbox's targets changed during a range, given the periods in force during it: two
 * different targets kept, or targets kept and then removed. Gaining targets where there were none
 * is no change of what the range was judged by. Pure.
 */
const changedDuring = (during: ReadonlyArray<{ readonly value: ResponseTargets }>): boolean => {
  const kept = during.filter((p) => hasTargets(p.value));
  return new Set(kept.map((p) => JSON.stringify(p.value))).size > 1 || (kept.length > 0 && !hasTargets(during[during.length - 1]!.value));
};

/** A reply as TEAM_SQL.targetReplies and breachCandidates select it (their first columns). */
type TargetReplyRow = [
  userId: string | null,
  inboxId: string | null,
  at: number,
  waitMs: number | null,
  isFirst: number,
  firstResponseMs: number | null,
  teamId: string | null,
];

/** A reply as the target rules read it, with the team it was with when answered (whose hours its target counts, decision 048). */
type TeamReplyForTarget = ReplyForTarget & { readonly teamId: string | null };

/** The reply of such a row. Pure. */
const replyOf = ([userId, inboxId, at, waitMs, isFirst, firstResponseMs, teamId]: readonly [...TargetReplyRow, ...unknown[]]): TeamReplyForTarget => ({
  userId,
  inboxId,
  at,
  waitMs,
  isFirst: isFirst === 1,
  firstResponseMs,
  teamId,
});

/** The opaque cursor of a breaches page's last answer under `sort` (base64url JSON of its place). Pure. */
const breachCursor = (sort: BreachSort, last: Parameters<typeof breachPlaceTuple>[1]): string =>
  Buffer.from(JSON.stringify(breachPlaceTuple(sort, last)), "utf8").toString("base64url");

/** The place after which a breaches page starts, from its cursor under `sort`; undefined when it is not one. Pure. */
const breachAfter = (cursor: string, sort: BreachSort) => {
  if (cursor.length > 1000) return undefined;
  try {
    return breachPlaceOf(sort, JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
  } catch {
    return undefined;
  }
};

const isOutcome = (value: string): value is BotOutcome => (BOT_OUTCOMES as ReadonlyArray<string>).includes(value);

const tally = (counts: OutcomeCounts, outcome: string, n: number) => {
  counts.started += n;
  if (isOutcome(outcome)) counts[outcome] += n;
};

const labelOf = (node: { readonly id: string; readonly label?: string | undefined } | undefined, id: string) =>
  node?.label !== undefined && node.label.trim() !== "" ? node.label : id;

const armsOf = (node: FlowDocument["nodes"][number] | undefined): ReadonlyArray<{ id: string; label: string; percent: number }> => {
  const data = node?.data as { arms?: unknown } | undefined;
  if (!data || !Array.isArray(data.arms)) return [];
  return data.arms.filter(
    (a): a is { id: string; label: string; percent: number } =>
      typeof a === "object" && a !== null && typeof (a as { id?: unknown }).id === "string",
  );
};

// ---------------------------------------------------------------------------------------------

/** The Reports service over a database and the chatflow store (exported for tests and benches). */
export const makeReports = (deps: { readonly db: DatabaseShape; readonly chatflows: ChatflowsShape }): ReportsShape => {
  const { db, chatflows } = deps;

  const readTimezone = (): string => readWorkspaceTimezone(db.prepare);
  const readBusinessHours = (): BusinessHours => readWorkspaceHours(db.prepare);

  const names = (sql: string): Map<string, string> =>
    new Map((db.prepare(sql).all() as Array<{ id: string; name: string }>).map((r) => [r.id, r.name]));

  const versionInfo = (ids: ReadonlyArray<string>): Map<string, { version: number; publishedAt: number }> => {
    const out = new Map<string, { version: number; publishedAt: number }>();
    const statement = db.prepare("SELECT version, published_at FROM chatflow_versions WHERE id = ?");
    for (const id of ids) {
      const row = statement.get(id) as { version: number; published_at: number } | undefined;
      if (row) out.set(id, { version: row.version, publishedAt: row.published_at });
    }
    return out;
  };

  /** Flows, versions, days and totals from (day, flow, version, outcome, n) rows. */
  const outcomesFrom = (query: ReportQuery, rows: ReadonlyArray<OutcomeRow>): BotOverview => {
    const flowNames = names("SELECT id, name FROM chatflows");
    const totals = emptyOutcomes();
    const byFlow = new Map<string, OutcomeCounts>();
    const byVersion = new Map<string, { chatflowId: string; versionId: string | null; counts: OutcomeCounts }>();
    const byDay = query.range.days.map(() => emptyOutcomes());
    for (const row of rows) {
      const flowId = row.chatflowId ?? "";
      tally(totals, row.outcome, row.n);
      tally(byDay[row.day]!, row.outcome, row.n);
      let flow = byFlow.get(flowId);
      if (!flow) byFlow.set(flowId, (flow = emptyOutcomes()));
      tally(flow, row.outcome, row.n);
      const key = JSON.stringify([flowId, row.versionId]);
      let version = byVersion.get(key);
      if (!version) byVersion.set(key, (version = { chatflowId: flowId, versionId: row.versionId, counts: emptyOutcomes() }));
      tally(version.counts, row.outcome, row.n);
    }
    const info = versionInfo([...byVersion.values()].flatMap((v) => (v.versionId === null ? [] : [v.versionId])));
    const flowName = (id: string) => flowNames.get(id) ?? (id === "" ? "(no flow)" : id);
    return {
      query,
      totals,
      flows: [...byFlow]
        .map(([chatflowId, counts]) => ({ chatflowId, name: flowName(chatflowId), counts }))
        .sort((a, b) => b.counts.started - a.counts.started || a.name.localeCompare(b.name)),
      versions: [...byVersion.values()]
        .map((v) => {
          const meta = v.versionId === null ? undefined : info.get(v.versionId);
          return {
            chatflowId: v.chatflowId,
            flowName: flowName(v.chatflowId),
            versionId: v.versionId,
            version: meta?.version ?? null,
            publishedAt: meta?.publishedAt ?? null,
            counts: v.counts,
          };
        })
        .sort((a, b) => a.flowName.localeCompare(b.flowName) || (b.version ?? 0) - (a.version ?? 0)),
      daily: query.range.days.map((d, i) => ({ day: d.day, counts: byDay[i]! })),
    };
  };

  const tallies = (chatflowId: string, query: ReportQuery): FlowTallies => {
    const params = paramsOf(query, chatflowId);
    const counts = new Map<string, NodeCounts>();
    const edges = new Map<string, EdgeTally>();
    const at = (nodeId: string) => {
      let c = counts.get(nodeId);
      if (!c) counts.set(nodeId, (c = emptyNodeCounts()));
      return c;
    };
    const addEdge = (from: string, port: string, to: string, n: number) => {
      const key = JSON.stringify([from, port, to]);
      const edge = edges.get(key);
      edges.set(key, { from, port, to, count: (edge?.count ?? 0) + n });
    };
    const addCounts = (sql: string, edgeSql: string, u0: number, u1: number) => {
      if (u0 >= u1) return;
      for (const r of db.prepare(sql).all({ ...params, u0, u1 }) as Array<NodeCounts & { nodeId: string }>) {
        const c = at(r.nodeId);
        c.reached += r.reached;
        c.leftBy += r.leftBy;
        c.answered += r.answered;
        c.invalid += r.invalid;
        c.skipped += r.skipped;
        c.starts += r.starts;
      }
      for (const r of db.prepare(edgeSql).all({ ...params, u0, u1 }) as EdgeTally[]) addEdge(r.from, r.port, r.to, r.count);
    };
    // [start, end) = part of an hour + whole hours + whole UTC days + whole hours + part of an hour.
    const h0 = Math.ceil(query.range.start / HOUR);
    const h1 = Math.floor(query.range.end / HOUR);
    const d0 = Math.ceil(query.range.start / DAY);
    const d1 = Math.floor(query.range.end / DAY);
    if (d0 < d1) {
      addCounts(SQL.nodeDays, SQL.edgeDays, d0, d1);
      addCounts(SQL.nodeHours, SQL.edgeHours, h0, d0 * 24);
      addCounts(SQL.nodeHours, SQL.edgeHours, d1 * 24, h1);
    } else addCounts(SQL.nodeHours, SQL.edgeHours, h0, h1);
    const partial: Array<[number, number]> =
      h0 < h1
        ? [
            [query.range.start, h0 * HOUR],
            [h1 * HOUR, query.range.end],
          ]
        : [[query.range.start, query.range.end]];
    for (const [start, end] of partial) {
      if (start >= end) continue;
      const rows = db.prepare(SQL.nodesBetween).all({ ...params, start, end }) as Array<{
        kind: "node" | "left" | "edge";
        a: string;
        b: string | null;
        z: string | null;
        n1: number;
        n2: number;
        n3: number;
        n4: number;
        n5: number;
        n6: number;
      }>;
      for (const r of rows) {
        if (r.kind === "edge") addEdge(r.a, r.b ?? "", r.z!, r.n1);
        else {
          const c = at(r.a);
          c.reached += r.n1;
          c.leftBy += r.n2;
          c.answered += r.n3;
          c.invalid += r.n4;
          c.skipped += r.n5;
          c.starts += r.n6;
        }
      }
    }
    return talliesFrom(counts, edges.values());
  };

  const mustFlow = (chatflowId: string) =>
    Effect.mapError(chatflows.get(chatflowId), () => new NotFound({ entity: "chatflow", id: chatflowId }));

  /** The flow's draft document, else its published spec drawn as a document. */
  const documentOf = (chatflowId: string, publishedVersionId: string | null) =>
    Effect.gen(function* () {
      const draft = yield* Effect.either(chatflows.getDraft(chatflowId));
      if (Either.isRight(draft)) {
        const decoded = decodeFlowDocument(draft.right.document);
        if (Either.isRight(decoded)) return decoded.right;
      }
      if (publishedVersionId !== null) {
        const version = yield* Effect.either(chatflows.getVersion(publishedVersionId));
        if (Either.isRight(version)) return specToDocument(version.right.spec);
      }
      return null;
    });

  /**
   * The inboxes that kept response targets before `to`, by name, under the query's inbox filter,
   * and each answer's targets: those in force when its wait started (decision 058, sixteenth
   * session) — one read of the targets' history per report, list or pass (target-history.ts).
   */
  const targetedInboxes = (inbox: string | null, to: number) => {
    const past = pastTargets(db.prepare, to);
    return {
      inboxes: past.inboxes.filter((i) => inbox === null || i.id === inbox),
      targetsOf: (r: ReplyForTarget): ResponseTargets | undefined => {
        const start = waitStartOf(r);
        return start === null || r.inboxId === null ? undefined : past.at(r.inboxId, start);
      },
    };
  };

  /**
   * Each reply's business time in the calendars in force while it was awaited (decision 058): the
   * hours the team it was with when answered kept then (decision 048), else the workspace's — one
   * reader of the calendars over the span of every reply's wait, each calendar built when first
   * asked. Null while no inbox's targets count business hours (`calendars`, then, is never read).
   * `live`: the workspace's calendar now, when the caller has read it.
   */
  const targetCalendars = (
    inboxes: ReadonlyArray<InboxTargetsOverTime>,
    replies: ReadonlyArray<TeamReplyForTarget>,
    live?: BusinessHours,
  ): { readonly betweenOf: (reply: TeamReplyForTarget) => BusinessBetween | null; readonly calendars: PastCalendars | null } => {
    if (!inboxes.some((i) => i.periods.some((p) => p.value.businessHours)) || replies.length === 0) return { betweenOf: () => null, calendars: null };
    let from = Infinity;
    let to = -Infinity;
    for (const r of replies) {
      const start = r.at - Math.max(r.waitMs ?? 0, r.firstResponseMs ?? 0);
      if (start < from) from = start;
      if (r.at > to) to = r.at;
    }
    const calendars = pastCalendars(db.prepare, from, to, live);
    return { betweenOf: (reply) => calendars.between(reply.teamId), calendars };
  };

  /**
   * Of `rows` (replies as TEAM_SQL.breachCandidates selects them), those that missed their target
   * in `inboxes`, each judged as the met shares judge it; in the rows' order.
   */
  const judgeBreaches = (
    { inboxes, targetsOf }: ReturnType<typeof targetedInboxes>,
    rows: ReadonlyArray<readonly [...TargetReplyRow, number]>,
  ): Array<Omit<Breach, "conversationId" | "title" | "contactId">> => {
    const candidates = rows.map((row) => ({ ...replyOf(row), inboxId: row[1]!, eventId: row[7] }));
    // One reader for the calendars and the names of the teams whose own hours judged a row.
    const { betweenOf, calendars } = targetCalendars(inboxes, candidates);
    const byId = new Map(inboxes.map((i) => [i.id, i]));
    const userNames = candidates.length === 0 ? new Map<string, string>() : names("SELECT id, COALESCE(display_name, name) AS name FROM users");
    const out: Array<Omit<Breach, "conversationId" | "title" | "contactId">> = [];
    for (const c of candidates) {
      const inbox = byId.get(c.inboxId);
      const targets = targetsOf(c);
      if (inbox === undefined || targets === undefined) continue;
      const between = targets.businessHours ? betweenOf(c) : null;
      const judged = judgeReply(c, targets, between);
      if (judged === null || judged.met) continue;
      out.push({
        eventId: c.eventId,
        inboxId: inbox.id,
        inboxName: inbox.name,
        userId: c.userId,
        agentName: c.userId === null ? null : (userNames.get(c.userId) ?? c.userId),
        kind: judged.kind,
        targetMs: judged.targetMs,
        actualMs: judged.measuredMs,
        overMs: judged.measuredMs - judged.targetMs,
        businessHours: between !== null,
        teamHours: between === null || calendars === null ? null : calendars.teamHoursAt(c.teamId, c.at),
        waitedFrom: c.at - (judged.kind === "first_response" ? c.firstResponseMs! : c.waitMs!),
        at: c.at,
      });
    }
    return out;
  };

  /**
   * Every answer of the range that missed its target, in no order: the candidates over their
   * target on the wall clock, each judged as the met shares judge it.
   */
  const breachList = (query: BreachQuery): Array<Omit<Breach, "conversationId" | "title" | "contactId">> => {
    const params = paramsOf(query);
    const targeted = targetedInboxes(params.inbox, params.end);
    if (targeted.inboxes.length === 0) return [];
    const minutesMs = (m: number | null, kind: AnswerKind) => (m === null || (query.kind !== undefined && query.kind !== kind) ? null : m * 60_000);
    // Each inbox's smallest target of the span bounds the candidates (business time never exceeds wall time).
    const bounds = JSON.stringify(
      targeted.inboxes.map((i) => [i.id, minutesMs(i.least.firstResponseMinutes, "first_response"), minutesMs(i.least.nextReplyMinutes, "next_reply")]),
    );
    const where = query.agent === undefined ? teamWhere(params) : `${teamWhere(params)} AND r.user_id = @agent`;
    const rows = db.prepare(TEAM_SQL.breachCandidates(where)).raw(true).all({ ...params, targeted: bounds, agent: query.agent ?? null }) as Array<
      [...TargetReplyRow, number]
    >;
    return judgeBreaches(targeted, rows);
  };

  /** Breaches with who each conversation is with (read by the replies' event ids, a deleted conversation still named). */
  const withConversations = (list: ReadonlyArray<Omit<Breach, "conversationId" | "title" | "contactId">>): Array<Breach> => {
    const conversationOf = new Map(
      (db.prepare(TEAM_SQL.replyConversations).all(JSON.stringify(list.map((b) => b.eventId))) as ReplyConversationRow[]).map((row) => [
        row.event_id,
        { conversationId: row.id, title: conversationTitle(row), contactId: row.contact_id },
      ]),
    );
    return list.map((b) => ({ ...b, ...conversationOf.get(b.eventId)! }));
  };

  /**
   * The shares of answers in the range that met their targets — those in force when each wait
   * started — per inbox that kept targets during the range or judged an answer of it (filtered
   * like the rest of the report) and per agent. Durations count business time when the answer's
   * targets say so — whatever the report's own `hours` — in the calendars of their time.
   */
  const targetShares = (params: Params, where: string, hours: BusinessHours) => {
    const { inboxes, targetsOf } = targetedInboxes(params.inbox, params.end);
    const rows =
      inboxes.length === 0
        ? []
        : (db.prepare(TEAM_SQL.targetReplies(where)).raw(true).all({ ...params, targeted: JSON.stringify(inboxes.map((i) => i.id)) }) as TargetReplyRow[]);
    const replies = rows.map(replyOf);
    const { byInbox, byAgent } = tallyTargets(replies, targetsOf, targetCalendars(inboxes, replies, hours).betweenOf);
    const rowsOut: Array<InboxTargetRow> = [];
    for (const i of inboxes) {
      // The periods in force during the range: the last one begun by its start, and every later one before its end.
      const during = i.periods.filter((p, n) => p.from < params.end && (i.periods[n + 1]?.from ?? Infinity) > params.start);
      if (!during.some((p) => hasTargets(p.value)) && !byInbox.has(i.id)) continue;
      rowsOut.push({
        inboxId: i.id,
        name: i.name,
        targets: during[during.length - 1]?.value ?? i.now,
        targetsChanged: changedDuring(during),
        firstResponse: byInbox.get(i.id)?.firstResponse ?? emptyShare(),
        nextReply: byInbox.get(i.id)?.nextReply ?? emptyShare(),
      });
    }
    return { inboxes: rowsOut, byAgent };
  };

  const invalid = (path: string, message: string) => new InvalidInput({ issues: [{ path, message }] });

  const exists = (sql: string, id: string) => db.prepare(sql).get(id) !== undefined;

  const self: ReportsShape = {
    timezone: Effect.fn("Reports.timezone")(function* () {
      return readTimezone();
    }),

    setTimezone: Effect.fn("Reports.setTimezone")(function* (timezone: string) {
      if (typeof timezone !== "string" || timezone.trim() === "" || timezone.length > 100 || !isValidTimezone(timezone.trim())) {
        return yield* Effect.fail(invalid("timezone", "expected an IANA time zone such as Europe/Berlin or UTC"));
      }
      const zone = timezone.trim();
      const audit = yield* auditActor;
      // The calendar's writers stamp with the services' wall clock, which the seed plays in the past (runtime/services/clock.ts).
      const now = wallClock.now();
      yield* Effect.orDie(
        db.writeEffect((s) => {
          const before = s.prepare("SELECT value FROM settings WHERE key = ?").pluck().get(TIMEZONE_SETTING) as string | undefined;
          putWorkspaceCalendar(s, now, TIMEZONE_SETTING, zone);
          if (before !== zone) recordAudit(s, now, audit, { action: "settings.timezone_changed", data: { from: before ?? null, to: zone } });
        }),
      );
      return zone;
    }),

    parseQuery: Effect.fn("Reports.parseQuery")(function* (params) {
      const now = yield* Clock.currentTimeMillis;
      const parsed = parseReportQuery(params, readTimezone(), now);
      if (Either.isLeft(parsed)) return yield* Effect.fail(new InvalidInput({ issues: parsed.left }));
      const query = parsed.right;
      const f = query.filters;
      const issues = [];
      if (f.inbox !== undefined && !exists("SELECT 1 FROM inboxes WHERE id = ?", f.inbox)) issues.push({ path: "inbox", message: "no inbox has this id" });
      if (f.channel !== undefined && !exists("SELECT 1 FROM channels WHERE id = ?", f.channel)) {
        issues.push({ path: "channel", message: "no channel has this id" });
      }
      if (f.flow !== undefined && !exists("SELECT 1 FROM chatflows WHERE id = ?", f.flow)) issues.push({ path: "flow", message: "no chatflow has this id" });
      if (f.team !== undefined && !exists("SELECT 1 FROM teams WHERE id = ?", f.team)) issues.push({ path: "team", message: "no team has this id" });
      if (f.version !== undefined) {
        const version = db.prepare("SELECT chatflow_id FROM chatflow_versions WHERE id = ?").get(f.version) as { chatflow_id: string } | undefined;
        if (!version) issues.push({ path: "version", message: "no published version has this id" });
        else if (f.flow !== undefined && version.chatflow_id !== f.flow) {
          issues.push({ path: "version", message: "this version belongs to another chatflow" });
        }
      }
      if (query.hours === "business" && readBusinessHours().hours.length === 0) {
        issues.push({ path: "hours", message: "the workspace has no business hours yet: an admin sets them on the Reports page" });
      }
      if (issues.length > 0) return yield* Effect.fail(new InvalidInput({ issues }));
      return query;
    }),

    options: Effect.fn("Reports.options")(function* () {
      return {
        timezone: readTimezone(),
        inboxes: db.prepare("SELECT id, name FROM inboxes ORDER BY name").all() as NamedOption[],
        channels: (db.prepare("SELECT id, name, kind, inbox_id FROM channels ORDER BY name").all() as Array<NamedOption & { kind: string; inbox_id: string }>).map(
          (c) => ({ id: c.id, name: c.name, kind: c.kind, inboxId: c.inbox_id }),
        ),
        flows: db.prepare("SELECT id, name, kind FROM chatflows WHERE archived_at IS NULL ORDER BY name").all() as Array<NamedOption & { kind: string }>,
        teams: db.prepare("SELECT id, name FROM teams ORDER BY name").all() as NamedOption[],
        agents: (
          db.prepare(`SELECT u.id, COALESCE(u.display_name, u.name) AS name, u.disabled_at IS NOT NULL AS disabled FROM users u
            WHERE u.role IN ('agent', 'admin')
              AND (u.disabled_at IS NULL OR EXISTS (SELECT 1 FROM report_replies r INDEXED BY report_replies_user WHERE r.user_id = u.id))
            ORDER BY 2, 1`).all() as Array<NamedOption & { disabled: number }>
        ).map((a) => ({ id: a.id, name: a.name, disabled: a.disabled === 1 })),
      };
    }),

    botOverview: Effect.fn("Reports.botOverview")(function* (query: ReportQuery) {
      const params = paramsOf(query);
      const rows = db.prepare(botDailySql(sessionWhere(params))).all(params) as Array<{ day: number; groups: string | null }>;
      return outcomesFrom(query, botDailyRows(rows));
    }),

    flowReport: Effect.fn("Reports.flowReport")(function* (chatflowId: string, query: ReportQuery) {
      const flow = yield* mustFlow(chatflowId);
      const params = paramsOf(query, chatflowId);
      const overview = outcomesFrom(query, db.prepare(SQL.flowDaily).all(params) as OutcomeRow[]);
      const document = yield* documentOf(chatflowId, flow.publishedVersionId);
      const context = yield* chatflows.compileContext();
      const t = tallies(chatflowId, query);
      const docNodes = new Map((document?.nodes ?? []).map((n) => [n.id, n]));
      const metrics = new Map(nodeMetrics(t.nodes).map((m) => [m.nodeId, m]));
      const nodes: NodeReport[] = [];
      // The flow's own nodes first, in the document's order (unreached ones with zeros), then
      // nodes that only older versions had.
      for (const node of document?.nodes ?? []) {
        const m = metrics.get(node.id) ?? { nodeId: node.id, reached: 0, movedOn: 0, answered: 0, invalid: 0, skipped: 0, dropped: 0, dropOff: 0 };
        nodes.push({ ...m, label: labelOf(node, node.id), kind: node.kind, inFlow: true });
      }
      for (const m of metrics.values()) {
        if (!docNodes.has(m.nodeId)) nodes.push({ ...m, label: m.nodeId, kind: null, inFlow: false });
      }
      const armRows = db.prepare(SQL.arms).all(params) as ArmResult[];
      const arms: ArmReport[] = armRows.map((a) => {
        const node = docNodes.get(a.nodeId);
        const arm = armsOf(node).find((x) => x.id === a.armId);
        return {
          ...a,
          nodeLabel: labelOf(node, a.nodeId),
          armLabel: arm?.label ?? a.armId,
          percent: typeof arm?.percent === "number" ? arm.percent : null,
          completionRate: a.conversations > 0 ? a.completed / a.conversations : 0,
        };
      });
      return {
        ...overview,
        flow: { id: flow.id, name: flow.name, kind: flow.kind },
        nodes,
        edges: t.edges,
        starts: t.starts,
        arms,
        document,
        context,
      };
    }),

    flowOverlay: Effect.fn("Reports.flowOverlay")(function* (chatflowId: string, query: ReportQuery) {
      yield* mustFlow(chatflowId);
      const t = tallies(chatflowId, query);
      const nodes: Record<string, { reached: number; dropOff: number }> = {};
      for (const m of nodeMetrics(t.nodes)) nodes[m.nodeId] = { reached: m.reached, dropOff: m.dropOff };
      const started = Object.values(t.starts).reduce((a, b) => a + b, 0);
      return { nodes, edges: t.edges, started };
    }),

    flowTallies: Effect.fn("Reports.flowTallies")(function* (chatflowId: string, query: ReportQuery) {
      return tallies(chatflowId, query);
    }),

    team: Effect.fn("Reports.team")(function* (query: ReportQuery) {
      const params = paramsOf(query);
      const where = teamWhere(params);
      const hours = readBusinessHours();
      const business = query.hours === "business";
      const inboxNames = names("SELECT id, name FROM inboxes");
      const channelNames = names("SELECT id, name FROM channels");
      const volume = (db.prepare(TEAM_SQL.volume(where)).all(params) as Array<{
        day: number;
        inboxId: string | null;
        channelId: string | null;
        counts: string;
      }>)
        .map((r) => {
          // "conversations,reached the team" (TEAM_SQL.volume).
          const [conversations, reachedTeam] = numbers(r.counts);
          return {
            day: query.range.days[r.day]!.day,
            inboxId: r.inboxId,
            inboxName: r.inboxId === null ? "(none)" : (inboxNames.get(r.inboxId) ?? r.inboxId),
            channelId: r.channelId,
            channelName: r.channelId === null ? "(none)" : (channelNames.get(r.channelId) ?? r.channelId),
            conversations: conversations ?? 0,
            reachedTeam: reachedTeam ?? 0,
          };
        })
        .sort((a, b) => a.day.localeCompare(b.day) || a.inboxName.localeCompare(b.inboxName) || a.channelName.localeCompare(b.channelName));

      const perAgent = new Map<string, { replies: number; waits: number[]; firsts: number[] }>();
      const waits: number[] = [];
      const firsts: number[] = [];
      let closes: number[];
      if (!business) {
        const replies = db.prepare(TEAM_SQL.replies(where)).raw(true).all(params) as Array<[string | null, number, string | null, string | null]>;
        for (const [userId, count, waitList, firstList] of replies) {
          const agent = { replies: count, waits: numbers(waitList), firsts: numbers(firstList) };
          for (const w of agent.waits) waits.push(w);
          for (const f of agent.firsts) firsts.push(f);
          if (userId !== null) perAgent.set(userId, agent);
        }
        closes = db.prepare(TEAM_SQL.closes(where)).pluck(true).all(params) as number[];
      } else {
        // Each duration's start and end, then the business time between them from one calendar
        // spanning them all (runtime/core/business-time.ts).
        const replies = db.prepare(TEAM_SQL.businessReplies(where)).raw(true).all(params) as Array<
          [string | null, number, string | null, string | null, string | null, string | null]
        >;
        const spans = replies.map(([userId, count, waitFrom, waitTo, firstFrom, firstTo]) => ({
          userId,
          count,
          waits: [numbers(waitFrom), numbers(waitTo)] as const,
          firsts: [numbers(firstFrom), numbers(firstTo)] as const,
        }));
        const [closeFromList, closeToList] = db.prepare(TEAM_SQL.businessCloses(where)).raw(true).get(params) as [string | null, string | null];
        const closeSpans = [numbers(closeFromList), numbers(closeToList)] as const;
        let from = query.range.start;
        let to = query.range.end;
        const widen = ([starts, ends]: readonly [number[], number[]]) => {
          for (const t of starts) if (t < from) from = t;
          for (const t of ends) if (t > to) to = t;
        };
        for (const r of spans) {
          widen(r.waits);
          widen(r.firsts);
        }
        widen(closeSpans);
        // Each part judged by the workspace's calendar in force then (decision 058).
        const calendar: BusinessCalendar = pastCalendars(db.prepare, from, to, hours).workspace();
        const inside = ([starts, ends]: readonly [number[], number[]]) => starts.map((start, i) => calendar.between(start, ends[i]!));
        for (const r of spans) {
          const agent = { replies: r.count, waits: inside(r.waits), firsts: inside(r.firsts) };
          for (const w of agent.waits) waits.push(w);
          for (const f of agent.firsts) firsts.push(f);
          if (r.userId !== null) perAgent.set(r.userId, agent);
        }
        closes = inside(closeSpans);
      }
      const assigned = new Map(
        (db.prepare(TEAM_SQL.assigned(where)).all(params) as Array<{ userId: string; n: number }>).map((r) => [r.userId, r.n]),
      );
      // A conversation rated twice counts once, with its latest rating, for the agent that one credits.
      const latestRatings = new Map<string, { userId: string | null; score: number }>();
      for (const r of db.prepare(TEAM_SQL.ratings(where)).all(params) as Array<{ conversationId: string; userId: string | null; score: unknown }>) {
        if (typeof r.score === "number" && Number.isInteger(r.score) && r.score >= 1 && r.score <= 5) latestRatings.set(r.conversationId, { userId: r.userId, score: r.score });
      }
      const scoresByAgent = new Map<string, number[]>();
      for (const { userId, score } of latestRatings.values()) {
        if (userId === null) continue;
        const list = scoresByAgent.get(userId);
        if (list) list.push(score);
        else scoresByAgent.set(userId, [score]);
      }
      const labelRows = db.prepare(TEAM_SQL.labels(where)).raw(true).all(params) as Array<[string, number, number, string | null, string | null]>;
      const labelSpans = new Map(labelRows.map(([id, n, closed, from, to]) => [id, { n, closed, from: numbers(from), to: numbers(to) }]));
      let labelCalendar: BusinessCalendar | null = null;
      if (business) {
        // One calendar spanning every label's first responses (no spread: a quarter has too many).
        let from = Infinity;
        let to = -Infinity;
        for (const s of labelSpans.values()) {
          for (const t of s.from) if (t < from) from = t;
          for (const t of s.to) if (t > to) to = t;
        }
        if (from <= to) labelCalendar = pastCalendars(db.prepare, from, to, hours).workspace();
      }
      const labels: LabelReportRow[] = (db.prepare("SELECT id, name, color FROM labels").all() as Array<{ id: string; name: string; color: string }>)
        .map((l) => {
          const s = labelSpans.get(l.id);
          const firsts = s === undefined ? [] : s.from.map((start, i) => (labelCalendar ? labelCalendar.between(start, s.to[i]!) : s.to[i]! - start));
          return { labelId: l.id, name: l.name, color: l.color, conversations: s?.n ?? 0, closed: s?.closed ?? 0, firstResponse: summarize(firsts) };
        })
        .sort((a, b) => b.conversations - a.conversations || a.name.localeCompare(b.name));
      const users = db.prepare("SELECT id, COALESCE(display_name, name) AS name FROM users").all() as NamedOption[];
      const userNames = new Map(users.map((u) => [u.id, u.name]));
      const targeted = targetShares(params, where, hours);
      const agentIds = new Set([...perAgent.keys(), ...assigned.keys(), ...scoresByAgent.keys()]);
      const agents: AgentRow[] = [...agentIds]
        .map((userId) => {
          const a = perAgent.get(userId);
          return {
            userId,
            name: userNames.get(userId) ?? userId,
            assigned: assigned.get(userId) ?? 0,
            replies: a?.replies ?? 0,
            firstResponse: summarize(a?.firsts ?? []),
            replyTime: summarize(a?.waits ?? []),
            satisfaction: satisfactionOf(scoresByAgent.get(userId) ?? []),
            firstResponseTarget: targeted.byAgent.get(userId)?.firstResponse ?? emptyShare(),
            nextReplyTarget: targeted.byAgent.get(userId)?.nextReply ?? emptyShare(),
          };
        })
        .sort((a, b) => b.replies - a.replies || b.assigned - a.assigned || a.name.localeCompare(b.name));
      return {
        query,
        measure: business ? "business" : "wall",
        businessHours: hours,
        volume,
        firstResponse: summarize(firsts),
        replyTime: summarize(waits),
        timeToClose: summarize(closes),
        satisfaction: satisfactionOf([...latestRatings.values()].map((r) => r.score)),
        agents,
        labels,
        targets: targeted.inboxes,
      } satisfies TeamReport;
    }),

    parseBreachQuery: Effect.fn("Reports.parseBreachQuery")(function* (params) {
      const read = (name: string): string | undefined => {
        const value = params instanceof URLSearchParams ? params.get(name) : params[name];
        return value === null || value === undefined || value === "" ? undefined : value;
      };
      const issues: Array<{ path: string; message: string }> = [];
      const base = yield* Effect.either(self.parseQuery(params));
      if (Either.isLeft(base)) issues.push(...base.left.issues);
      const agent = read("agent");
      if (agent !== undefined && (agent.length > 100 || !exists("SELECT 1 FROM users WHERE id = ?", agent))) {
        issues.push({ path: "agent", message: "no user has this id" });
      }
      const kindText = read("kind");
      const kind = BREACH_KINDS.find((k) => k === kindText);
      if (kindText !== undefined && kind === undefined) issues.push({ path: "kind", message: `expected one of ${BREACH_KINDS.join(", ")}` });
      const sortText = read("sort");
      const sort = sortText === undefined ? DEFAULT_BREACH_SORT : parseBreachSort(sortText);
      if (sort === undefined) issues.push({ path: "sort", message: BREACH_SORT_MESSAGE });
      const cursor = read("cursor");
      // A cursor holds its page's place under one order: another order's is refused, not misread.
      if (cursor !== undefined && sort !== undefined && breachAfter(cursor, sort) === undefined) {
        issues.push({ path: "cursor", message: "this cursor is not one the list gave out for this sort" });
      }
      const limitText = read("limit");
      const limit = limitText === undefined ? BREACH_PAGE_MAX : Number(limitText);
      if (!/^\d{1,3}$/.test(limitText ?? "1") || !Number.isInteger(limit) || limit < 1 || limit > BREACH_PAGE_MAX) {
        issues.push({ path: "limit", message: `expected a whole number from 1 to ${BREACH_PAGE_MAX}` });
      }
      if (issues.length > 0 || Either.isLeft(base)) return yield* Effect.fail(new InvalidInput({ issues }));
      return {
        ...base.right,
        ...(agent !== undefined ? { agent } : {}),
        ...(kind !== undefined ? { kind } : {}),
        sort: sort!,
        ...(cursor !== undefined ? { cursor } : {}),
        limit,
      } satisfies BreachQuery;
    }),

    breaches: Effect.fn("Reports.breaches")(function* (query: BreachQuery) {
      // The whole list is judged (its total is needed), but only a page is put in order: the
      // answers after the cursor's place, the first `limit` of them picked in one pass.
      const list = breachList(query);
      const sort = query.sort ?? DEFAULT_BREACH_SORT;
      const compare = compareBreaches(sort);
      const after = query.cursor === undefined ? undefined : breachAfter(query.cursor, sort);
      // Keyset on the order's place: a page stays put when newer breaches arrive.
      const rest = after === undefined ? list : list.filter((b) => compare(b, after) > 0);
      const { page, more } = query.limit === null ? { page: rest.sort(compare), more: false } : firstInOrder(rest, query.limit, compare);
      const last = page[page.length - 1];
      return {
        query,
        total: list.length,
        breaches: withConversations(page),
        nextCursor: more && last ? breachCursor(sort, last) : null,
      } satisfies BreachPage;
    }),

    breachesOf: Effect.fn("Reports.breachesOf")(function* (eventIds: ReadonlyArray<number>) {
      if (eventIds.length === 0) return [];
      const rows = db.prepare(TEAM_SQL.repliesByEvent).raw(true).all(JSON.stringify(eventIds)) as Array<[...TargetReplyRow, number]>;
      if (rows.length === 0) return [];
      const targeted = targetedInboxes(null, rows.reduce((m, r) => Math.max(m, r[2] as number), 0) + 1);
      if (targeted.inboxes.length === 0) return [];
      return withConversations(judgeBreaches(targeted, rows));
    }),

    businessHours: Effect.fn("Reports.businessHours")(function* () {
      return readBusinessHours();
    }),

    setBusinessHours: Effect.fn("Reports.setBusinessHours")(function* (input: unknown) {
      const decoded = decodeBusinessHours(input);
      if (Either.isLeft(decoded)) {
        const path = (p: string) => (p === "" ? "hours" : p.startsWith("[") ? `hours${p}` : `hours.${p}`);
        return yield* Effect.fail(new InvalidInput({ issues: decoded.left.map((i) => ({ path: path(i.path), message: i.message })) }));
      }
      const audit = yield* auditActor;
      const now = wallClock.now();
      yield* Effect.orDie(
        db.writeEffect((s) => {
          const value = JSON.stringify(decoded.right);
          const before = s.prepare("SELECT value FROM settings WHERE key = ?").pluck().get(BUSINESS_HOURS_SETTING) as string | undefined;
          putWorkspaceCalendar(s, now, BUSINESS_HOURS_SETTING, value);
          if (before !== value) recordAudit(s, now, audit, { action: "settings.business_hours_changed", data: { hours: decoded.right } });
        }),
      );
      return readBusinessHours();
    }),

    addClosedDate: Effect.fn("Reports.addClosedDate")(function* (input: unknown) {
      const decoded = decodeClosedDate(input);
      if (Either.isLeft(decoded)) return yield* Effect.fail(new InvalidInput({ issues: decoded.left }));
      const name = decoded.right.name?.trim();
      const { hours } = decoded.right;
      // With hours it is a special day (decision 051): open only inside them; the audit line keeps them.
      const added: ClosedDate = { date: decoded.right.date, ...(name ? { name } : {}), yearly: decoded.right.yearly, ...(hours ? { hours } : {}) };
      const audit = yield* auditActor;
      const now = wallClock.now();
      const outcome = yield* Effect.orDie(
        db.writeEffect((s) => {
          const { list, store } = closedDatesIn(s, now);
          const clash = list.find((c) => sameClosedDay(c, added));
          if (clash !== undefined) {
            return { refused: `${added.yearly ? monthDayName(added.date) : added.date} is already closed${clash.name ? ` (${clash.name})` : ""}.` };
          }
          if (list.length >= MAX_CLOSED_DATES) return { refused: `At most ${MAX_CLOSED_DATES} closed dates: remove past ones first.` };
          recordAudit(s, now, audit, { action: "settings.closed_date_added", data: { ...added } });
          return { closedDates: store([...list, added]) };
        }),
      );
      if (outcome.refused !== undefined) return yield* Effect.fail(invalid("date", outcome.refused));
      return outcome.closedDates;
    }),

    addPublicHolidays: Effect.fn("Reports.addPublicHolidays")(function* (input: unknown) {
      const decoded = decodePublicHolidays(input);
      if (Either.isLeft(decoded)) return yield* Effect.fail(new InvalidInput({ issues: decoded.left }));
      const { country, region, year } = decoded.right;
      const regions = holidayRegions(country);
      if (regions === null) return yield* Effect.fail(invalid("country", `no public holidays are known for ${country}`));
      if (region !== undefined && !regions.some((r) => r.code === region)) {
        return yield* Effect.fail(invalid("region", `${country} has no region ${region}${regions.length > 0 ? `; its regions are ${regions.map((r) => r.code).join(", ")}` : ""}`));
      }
      const now = wallClock.now();
      const thisYear = new Date(now).getUTCFullYear();
      if (year < thisYear - 1 || year > thisYear + 5) return yield* Effect.fail(invalid("year", `a year from ${thisYear - 1} to ${thisYear + 5}`));
      const holidays = publicHolidays(country, region, year);
      const audit = yield* auditActor;
      const outcome = yield* Effect.orDie(
        db.writeEffect((s) => {
          const { list, store } = closedDatesIn(s, now);
          const added: ClosedDate[] = [];
          for (const h of holidays) {
            const closed: ClosedDate = { date: h.date, name: h.name.slice(0, 100), yearly: false };
            if (![...list, ...added].some((c) => sameClosedDay(c, closed))) added.push(closed);
          }
          if (list.length + added.length > MAX_CLOSED_DATES) {
            return { refused: `These ${added.length} holidays would make ${list.length + added.length} closed dates; at most ${MAX_CLOSED_DATES}: remove past ones first.` };
          }
          if (added.length === 0) return { added, closedDates: list };
          recordAudit(s, now, audit, { action: "settings.public_holidays_added", data: { country, ...(region !== undefined ? { region } : {}), year, dates: added.map((c) => c.date) } });
          return { added, closedDates: store([...list, ...added]) };
        }),
      );
      if (outcome.refused !== undefined) return yield* Effect.fail(invalid("year", outcome.refused));
      return { added: outcome.added, skipped: holidays.length - outcome.added.length, closedDates: outcome.closedDates } satisfies PublicHolidaysAdded;
    }),

    importClosedDates: Effect.fn("Reports.importClosedDates")(function* (input: unknown, refusalPath = "dates") {
      const decoded = decodeClosedDatesImport(input);
      if (Either.isLeft(decoded)) return yield* Effect.fail(new InvalidInput({ issues: decoded.left }));
      const { dates, source, dryRun } = decoded.right;
      const audit = yield* auditActor;
      const now = wallClock.now();
      const outcome = dryRun
        ? (() => {
            const list = readClosedDates(db.prepare);
            const merged = mergeClosedDates(list, dates);
            return { ...merged, closedDates: sortClosedDates([...list, ...merged.added]) };
          })()
        : yield* Effect.orDie(
            db.writeEffect((s) => {
              const { list, store } = closedDatesIn(s, now);
              const merged = mergeClosedDates(list, dates);
              if (merged.refused !== undefined || merged.added.length === 0) return { ...merged, closedDates: list };
              recordAudit(s, now, audit, { action: "settings.closed_dates_imported", data: { source, dates: merged.added.map((c) => c.date) } });
              return { ...merged, closedDates: store([...list, ...merged.added]) };
            }),
          );
      if (outcome.refused !== undefined) return yield* Effect.fail(invalid(refusalPath, outcome.refused));
      return { dryRun, added: outcome.added, skipped: outcome.skipped, closedDates: outcome.closedDates } satisfies ClosedDatesImported;
    }),

    removeClosedDate: Effect.fn("Reports.removeClosedDate")(function* (date: string) {
      const audit = yield* auditActor;
      const now = wallClock.now();
      const remaining = yield* Effect.orDie(
        db.writeEffect((s) => {
          const { list, store } = closedDatesIn(s, now);
          const gone = list.find((c) => c.date === date);
          if (gone === undefined) return null;
          recordAudit(s, now, audit, { action: "settings.closed_date_removed", data: { ...gone } });
          return store(list.filter((c) => c !== gone));
        }),
      );
      if (remaining === null) return yield* Effect.fail(new NotFound({ entity: "closed date", id: String(date) }));
      return remaining;
    }),

    changeClosedDates: <A>(change: ClosedDatesChange<A>) =>
      Effect.orDie(
        db.writeEffect((s) => {
          // A followed calendar's change holds from now, as a person's does (decision 058).
          const { list, store } = closedDatesIn(s, wallClock.now());
          const planned = change.plan(list);
          if (planned.store !== null) store(planned.store);
          change.alongside(s, planned.result);
          return planned.result;
        }),
      ).pipe(Effect.withSpan("Reports.changeClosedDates")),

    // For tests and tools on a test-sized log: its TEMP replay table is in memory inside a write.
    rebuild: Effect.fn("Reports.rebuild")(function* () {
      return yield* Effect.orDie(
        db.writeEffect((s) => {
          s.exec(REBUILD_REPORT_ROLLUPS_SQL);
          return (s.prepare("SELECT count(*) AS n FROM events WHERE is_preview = 0 AND conversation_id IS NOT NULL").get() as { n: number }).n;
        }),
      );
    }),
  };
  return self;
};

/** Reports over the app's Database and Chatflows. */
export const layer: Layer.Layer<Reports, never, Database | Chatflows> = Layer.effect(
  Reports,
  Effect.gen(function* () {
    return makeReports({ db: yield* Database, chatflows: yield* Chatflows });
  }),
);
