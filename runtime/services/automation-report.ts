/**
 * Reports → Automation (decision 049): what each automation rule did over a report range —
 * the conversations it acted on, its actions by kind, its failed runs, and whether the visitors
 * of the conversations it closed wrote again. Computed from the append-only `events` log (every
 * action a rule takes names it there, `data.rule = { id, name }`, decision 044), so it can be
 * recomputed at any time; failed runs come from `automation_runs`, which keeps a rule's last
 * 200 runs and loses them with the rule. The range and the inbox filter are the report pages'
 * own (`Reports.parseQuery`), in the workspace's time zone.
 *
 * Reads only: the events the Automation user made in the range, through their partial index
 * `events_rule_at` (migration 49); for each conversation a rule closed, its visitor's later
 * messages (VISITOR_WROTE_SQL); the rules and their runs. Nothing is written, and nothing is
 * added to any writer (the bot's turn included).
 */
import { Context, Effect, Layer } from "effect";
import type { ReportQuery } from "../core/report-range.js";
import { ruleNamedIn } from "./acting-rule.js";
import { CONVERSATION_TITLE_COLUMNS, CONVERSATION_TITLE_JOINS, conversationTitle } from "./conversation-rows.js";
import { Database, type DatabaseShape } from "./database.js";
import { InvalidInput } from "./errors.js";
import { AUTOMATION_ACTOR } from "./inbox-access.js";
import { Reports, type ReportsShape } from "./reports.js";

/** What a rule did, by kind; each is a count of events in the range. */
export const RULE_ACTION_KINDS = [
  "closed",
  "reopened",
  "pending",
  "assigned",
  "unassigned",
  "labelAdded",
  "labelRemoved",
  "snoozed",
  "replied",
  "commented",
] as const;
export type RuleActionKind = (typeof RULE_ACTION_KINDS)[number];
export type RuleActionCounts = Readonly<Record<RuleActionKind, number>>;

/** One rule's row of the report. */
export interface RuleReportRow {
  readonly ruleId: string;
  /** Its name now; for a deleted rule, the name its latest action in the range recorded. */
  readonly name: string;
  readonly deleted: boolean;
  /** Null for a deleted rule. */
  readonly enabled: boolean | null;
  /** Distinct conversations it made at least one change to in the range. */
  readonly conversations: number;
  readonly actions: RuleActionCounts;
  /** All its actions in the range (the sum of `actions`). */
  readonly totalActions: number;
  /** Its runs in the range that failed (null for a deleted rule: its runs went with it). */
  readonly failedRuns: number | null;
  /** Its runs in the range, done or failed (null for a deleted rule). */
  readonly runs: number | null;
  /** Distinct conversations it closed in the range. */
  readonly closedConversations: number;
  /**
   * Of those, the ones whose visitor wrote again after the rule first closed it, before the range
   * ended: in it, or in a new conversation of the same visitor or contact (VISITOR_WROTE_SQL).
   */
  readonly visitorWroteAgain: number;
}

export interface AutomationReportQuery extends ReportQuery {
  /** The rule whose conversations the drill-down lists. */
  readonly rule?: string;
}

export interface AutomationReport {
  readonly query: AutomationReportQuery;
  /** The rules that exist (in their order), then deleted rules that acted in the range (by name). */
  readonly rules: ReadonlyArray<RuleReportRow>;
}

/** One conversation a rule acted on, for the drill-down. */
export interface RuleConversation {
  readonly conversationId: string;
  readonly title: string;
  readonly inboxName: string | null;
  readonly actions: RuleActionCounts;
  readonly firstAt: number;
  readonly lastAt: number;
  /** The rule closed it in the range. */
  readonly closed: boolean;
  /** The visitor wrote again (in it or a new conversation) after the rule first closed it, before the range ended. */
  readonly visitorWroteAgain: boolean;
}

export interface RuleConversations {
  readonly query: AutomationReportQuery;
  readonly ruleId: string;
  readonly name: string;
  readonly deleted: boolean;
  /** How many conversations the rule acted on in the range (the list holds at most RULE_CONVERSATIONS_MAX). */
  readonly total: number;
  /** The most recently acted on first. */
  readonly conversations: ReadonlyArray<RuleConversation>;
}

/** Most conversations the drill-down lists (the most recently acted on). */
export const RULE_CONVERSATIONS_MAX = 200;

/** The report's filters: the range, the inbox, and the rule of the drill-down; the other report filters do not apply. */
const OTHER_FILTERS = ["channel", "flow", "team", "version"] as const;
const RULE_ID = /^[A-Za-z0-9_.:-]{1,100}$/;

export interface AutomationReportShape {
  /**
   * The query from search parameters: `range`, `from`, `to` and `inbox` as every report reads
   * them (400 naming the parameter), plus `rule` (an id). `channel`, `flow`, `team`, `version`
   * and `hours` are refused at their name: rules are not counted by them.
   */
  readonly parseQuery: (params: URLSearchParams | Readonly<Record<string, string | undefined>>) => Effect.Effect<AutomationReportQuery, InvalidInput>;
  /** Per rule, what it did in the range (and inbox). */
  readonly report: (query: AutomationReportQuery) => Effect.Effect<AutomationReport>;
  /** The conversations one rule acted on in the range (and inbox); InvalidInput at `rule` when no rule has or had that id. */
  readonly conversations: (query: AutomationReportQuery, ruleId: string) => Effect.Effect<RuleConversations, InvalidInput>;
}

export class AutomationReports extends Context.Tag("AutomationReports")<AutomationReports, AutomationReportShape>() {}

// ---------------------------------------------------------------------------------------------
// Pure parts

/** An event a rule's action wrote, as the report reads it. */
export interface RuleEvent {
  readonly type: string;
  readonly at: number;
  readonly conversationId: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** No actions. */
export const noActions = (): Record<RuleActionKind, number> => Object.fromEntries(RULE_ACTION_KINDS.map((k) => [k, 0])) as Record<RuleActionKind, number>;

/**
 * The kind of action an event records, or null for an event that is not one (a reply's
 * `message_created` is `replied`, a comment's `commented`; a status change by where it went;
 * `queued` and `unassigned` both `unassigned`: the conversation left its person). Pure.
 */
export const actionKindOf = (type: string, data: Readonly<Record<string, unknown>>): RuleActionKind | null => {
  switch (type) {
    case "status_changed":
      return data.to === "closed" ? "closed" : data.to === "pending" ? "pending" : data.to === "open" ? "reopened" : null;
    case "assigned":
      return "assigned";
    case "queued":
    case "unassigned":
      return "unassigned";
    case "label_added":
      return "labelAdded";
    case "label_removed":
      return "labelRemoved";
    case "conversation_snoozed":
      return "snoozed";
    case "message_created":
      return data.internal === true ? "commented" : "replied";
    default:
      return null;
  }
};

/** What one rule did to one conversation: its actions and when it first closed it. */
interface ConversationTally {
  readonly actions: Record<RuleActionKind, number>;
  firstAt: number;
  lastAt: number;
  firstClosedAt: number | null;
}

/** One rule's events folded per conversation, in the order given (oldest first). */
export interface RuleTally {
  readonly ruleId: string;
  /** The name its latest event recorded. */
  latestName: string;
  readonly conversations: Map<string, ConversationTally>;
}

/**
 * Folds events (oldest first) into a tally per rule named in them; events naming no rule, or
 * of no action kind, are left out. Pure.
 */
export const tallyRuleEvents = (events: Iterable<RuleEvent>): Map<string, RuleTally> => {
  const byRule = new Map<string, RuleTally>();
  for (const event of events) {
    const rule = ruleNamedIn(event.data);
    const kind = actionKindOf(event.type, event.data);
    if (rule === null || kind === null) continue;
    let tally = byRule.get(rule.id);
    if (tally === undefined) {
      tally = { ruleId: rule.id, latestName: rule.name, conversations: new Map() };
      byRule.set(rule.id, tally);
    }
    tally.latestName = rule.name;
    let c = tally.conversations.get(event.conversationId);
    if (c === undefined) {
      c = { actions: noActions(), firstAt: event.at, lastAt: event.at, firstClosedAt: null };
      tally.conversations.set(event.conversationId, c);
    }
    c.actions[kind] += 1;
    c.lastAt = event.at;
    if (kind === "closed" && c.firstClosedAt === null) c.firstClosedAt = event.at;
  }
  return byRule;
};

/** An event's data as an object, or null when it is not a JSON object (no rule is named in it). Pure. */
const dataOf = (text: string): Record<string, unknown> | null => {
  try {
    const data: unknown = JSON.parse(text);
    return typeof data === "object" && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

const sumActions = (into: Record<RuleActionKind, number>, from: RuleActionCounts): void => {
  for (const k of RULE_ACTION_KINDS) into[k] += from[k];
};

/** The sum of a count of actions. Pure. */
export const totalOf = (actions: RuleActionCounts): number => RULE_ACTION_KINDS.reduce((n, k) => n + actions[k], 0);

// ---------------------------------------------------------------------------------------------
// SQL

/**
 * The events the Automation user made in [start, end): the WHERE repeats the partial index's
 * condition word for word so the planner can use it (migration 49), and reads a range of it.
 */
export const RULE_EVENTS_SQL = (byInbox: boolean) => `SELECT e.type, e.at, e.conversation_id, e.data FROM events e INDEXED BY events_rule_at
  WHERE (e.user_id = '${AUTOMATION_ACTOR.id}'
    OR (CASE WHEN e.type IN ('assigned', 'queued', 'unassigned') AND json_valid(e.data) THEN json_extract(e.data, '$.by') END) = '${AUTOMATION_ACTOR.id}')
    AND e.at >= @start AND e.at < @end AND e.conversation_id IS NOT NULL AND e.data IS NOT NULL
    ${byInbox ? "AND e.inbox_id = @inbox" : ""}
  ORDER BY e.at, e.id`;

/**
 * Whether the person of a conversation wrote in (after, end): a visitor message in it (an email
 * or Messenger conversation reopens on one) or in another conversation of the same visitor or
 * contact created before the end (a closed chat takes no message: its visitor starts a new one).
 * Conversations by `conversations_visitor` / `conversations_contact`, their messages by
 * `events_conversation_type`.
 */
export const VISITOR_WROTE_SQL = `SELECT 1 FROM events e INDEXED BY events_conversation_type
  WHERE e.conversation_id IN (
      SELECT @conversation
      UNION SELECT o.id FROM conversations o
        WHERE o.visitor_id = (SELECT visitor_id FROM conversations WHERE id = @conversation) AND o.created_at < @end
      UNION SELECT o.id FROM conversations o
        WHERE o.contact_id = (SELECT contact_id FROM conversations WHERE id = @conversation) AND o.created_at < @end)
    AND e.type = 'message_created' AND e.at > @after AND e.at < @end
    AND json_extract(e.data, '$.author') = 'visitor'
  LIMIT 1`;

/** A rule's runs in [start, end), all and failed, through its runs' index; by inbox, the conversation's inbox now. */
const RUNS_SQL = (byInbox: boolean) => `SELECT count(*) AS runs, coalesce(sum(r.outcome = 'failed'), 0) AS failed
  FROM automation_runs r INDEXED BY automation_runs_rule
  ${byInbox ? "JOIN conversations c ON c.id = r.conversation_id" : ""}
  WHERE r.rule_id = @rule AND r.at >= @start AND r.at < @end ${byInbox ? "AND c.inbox_id = @inbox" : ""}`;

const RULES_SQL = "SELECT id, name, enabled FROM automation_rules ORDER BY position, id";

// ---------------------------------------------------------------------------------------------
// Service

export const makeAutomationReports = (deps: { readonly db: DatabaseShape; readonly reports: ReportsShape }): AutomationReportShape => {
  const { db, reports } = deps;

  const paramsOf = (query: ReportQuery) => ({
    start: query.range.start,
    end: query.range.end,
    ...(query.filters.inbox !== undefined ? { inbox: query.filters.inbox } : {}),
  });

  const tallies = (query: ReportQuery): Map<string, RuleTally> => {
    const params = paramsOf(query);
    const rows = db.prepare(RULE_EVENTS_SQL(params.inbox !== undefined)).iterate(params) as IterableIterator<{
      type: string;
      at: number;
      conversation_id: string;
      data: string;
    }>;
    return tallyRuleEvents(
      (function* () {
        for (const row of rows) {
          const data = dataOf(row.data);
          if (data !== null) yield { type: row.type, at: row.at, conversationId: row.conversation_id, data };
        }
      })(),
    );
  };

  const visitorWrote = (conversation: string, after: number, end: number): boolean =>
    db.prepare(VISITOR_WROTE_SQL).get({ conversation, after, end }) !== undefined;

  const currentRules = () => db.prepare(RULES_SQL).all() as Array<{ id: string; name: string; enabled: number }>;

  const parseQuery: AutomationReportShape["parseQuery"] = Effect.fn("AutomationReports.parseQuery")(function* (params) {
    const get = (name: string): string | undefined => {
      const value = params instanceof URLSearchParams ? params.get(name) : (params as Record<string, string | undefined>)[name];
      return value === null || value === undefined || value === "" ? undefined : value;
    };
    const own = [...OTHER_FILTERS, "hours"]
      .filter((name) => get(name) !== undefined)
      .map((name) => ({ path: name, message: "the automation report filters by range and inbox only" }));
    const rule = get("rule");
    if (rule !== undefined && !RULE_ID.test(rule)) own.push({ path: "rule", message: "expected a rule's id (letters, digits, _ . : -; at most 100)" });
    // The report's own parameters only: those refused above are not read twice.
    const base = yield* Effect.either(reports.parseQuery({ range: get("range"), from: get("from"), to: get("to"), inbox: get("inbox") }));
    const issues = [...(base._tag === "Left" ? base.left.issues : []), ...own];
    if (issues.length > 0 || base._tag === "Left") return yield* Effect.fail(new InvalidInput({ issues }));
    return rule === undefined ? base.right : { ...base.right, rule };
  });

  const report: AutomationReportShape["report"] = Effect.fn("AutomationReports.report")(function* (query) {
    const params = paramsOf(query);
    const byRule = tallies(query);
    const rowOf = (ruleId: string, name: string, existing: { enabled: boolean } | null): RuleReportRow => {
      const tally = byRule.get(ruleId);
      const actions = noActions();
      let closedConversations = 0;
      let visitorWroteAgain = 0;
      for (const [conversationId, c] of tally?.conversations ?? []) {
        sumActions(actions, c.actions);
        if (c.firstClosedAt === null) continue;
        closedConversations += 1;
        if (visitorWrote(conversationId, c.firstClosedAt, query.range.end)) visitorWroteAgain += 1;
      }
      const runs =
        existing === null
          ? null
          : (db.prepare(RUNS_SQL(params.inbox !== undefined)).get({ ...params, rule: ruleId }) as { runs: number; failed: number });
      return {
        ruleId,
        name,
        deleted: existing === null,
        enabled: existing?.enabled ?? null,
        conversations: tally?.conversations.size ?? 0,
        actions,
        totalActions: totalOf(actions),
        failedRuns: runs?.failed ?? null,
        runs: runs?.runs ?? null,
        closedConversations,
        visitorWroteAgain,
      };
    };
    const existing = currentRules();
    const known = new Set(existing.map((r) => r.id));
    const deleted = [...byRule.values()]
      .filter((t) => !known.has(t.ruleId))
      .sort((a, b) => a.latestName.localeCompare(b.latestName) || (a.ruleId < b.ruleId ? -1 : 1));
    return {
      query,
      rules: [
        ...existing.map((r) => rowOf(r.id, r.name, { enabled: r.enabled === 1 })),
        ...deleted.map((t) => rowOf(t.ruleId, t.latestName, null)),
      ],
    };
  });

  const conversations: AutomationReportShape["conversations"] = Effect.fn("AutomationReports.conversations")(function* (query, ruleId) {
    const tally = tallies(query).get(ruleId);
    const current = db.prepare("SELECT name FROM automation_rules WHERE id = ?").get(ruleId) as { name: string } | undefined;
    if (current === undefined && tally === undefined) {
      return yield* Effect.fail(new InvalidInput({ issues: [{ path: "rule", message: "no rule has this id, and no deleted rule with it acted in this range" }] }));
    }
    const entries = [...(tally?.conversations ?? [])].sort(([a, x], [b, y]) => y.lastAt - x.lastAt || (a < b ? -1 : 1));
    const shown = entries.slice(0, RULE_CONVERSATIONS_MAX);
    const rows = new Map(
      (
        db
          .prepare(
            `SELECT c.id, i.name AS inbox_name, ${CONVERSATION_TITLE_COLUMNS} FROM conversations c ${CONVERSATION_TITLE_JOINS}
             LEFT JOIN inboxes i ON i.id = c.inbox_id WHERE c.id IN (SELECT value FROM json_each(?))`,
          )
          .all(JSON.stringify(shown.map(([id]) => id))) as Array<Parameters<typeof conversationTitle>[0] & { inbox_name: string | null }>
      ).map((row) => [row.id, row]),
    );
    return {
      query,
      ruleId,
      name: current?.name ?? tally!.latestName,
      deleted: current === undefined,
      total: entries.length,
      conversations: shown.map(([conversationId, c]) => {
        const row = rows.get(conversationId);
        return {
          conversationId,
          // A conversation erased since (contact erasure deletes it) keeps its id in the log only.
          title: row ? conversationTitle(row) : "Deleted conversation",
          inboxName: row?.inbox_name ?? null,
          actions: { ...c.actions },
          firstAt: c.firstAt,
          lastAt: c.lastAt,
          closed: c.firstClosedAt !== null,
          visitorWroteAgain: c.firstClosedAt !== null && visitorWrote(conversationId, c.firstClosedAt, query.range.end),
        };
      }),
    };
  });

  return { parseQuery, report, conversations };
};

export const layer: Layer.Layer<AutomationReports, never, Database | Reports> = Layer.effect(
  AutomationReports,
  Effect.gen(function* () {
    return makeAutomationReports({ db: yield* Database, reports: yield* Reports });
  }),
);
