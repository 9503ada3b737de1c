/**
 * Report figures over the REST API (/api/v1/reports/…): bot outcomes per flow, version and day;
 * one flow's steps, connections and A/B arms; the team's volume, response times, agents and
 * labels; the answers that missed their response target (a page at a time, in the order `sort`
 * asks for); what each automation rule did (and, with `rule`, its conversations). For admins and
 * analysts, like /reports. The range and filters are the report pages' own search parameters,
 * read by `Reports.parseQuery` (the automation report's by `AutomationReports.parseQuery`; a bad
 * one is a 400 naming it), and the
 * figures come from the same `Reports` calls the pages and their CSV downloads make, so an
 * integration and a person see the same numbers. Mounted by server/rest-api.ts; contract in
 * docs/api.md.
 */
import { Effect } from "effect";
import { breachSortParam, DEFAULT_BREACH_SORT } from "../runtime/core/breach-order.js";
import { rate, type OutcomeCounts } from "../runtime/core/metrics.js";
import type { AutomationReportShape, RuleReportRow } from "../runtime/services/automation-report.js";
import type { Breach, BotOverview, DailyOutcomes, FlowOutcomes, ReportQuery, ReportsShape, VersionOutcomes } from "../runtime/services/reports.js";
import { iso, ok, guardedBy, type Endpoints, type Serve } from "./rest-kit.js";

export interface ReportServices {
  readonly reports: ReportsShape;
  readonly automationReports: AutomationReportShape;
}

/** The range as the caller asked for it, resolved (days in the workspace time zone). Pure. */
const apiQuery = (query: ReportQuery) => ({
  range: { preset: query.range.preset, timezone: query.range.timezone, from: query.range.from, to: query.range.to },
  filters: query.filters,
  ...(query.hours !== undefined ? { hours: query.hours } : {}),
});

/** Outcome counts in the API's words, and each as a share of started (what the pages show as %). Pure. */
const apiOutcomes = (c: OutcomeCounts) => {
  const counts = {
    started: c.started,
    completed: c.completed,
    handedOff: c.handed_off,
    abandoned: c.abandoned,
    noReply: c.no_reply,
    errored: c.errored,
    inProgress: c.in_progress,
  };
  const { started, ...outcomes } = counts;
  return { ...counts, rates: Object.fromEntries(Object.entries(outcomes).map(([k, n]) => [k, rate(n, started)])) };
};

const apiFlowOutcomes = (f: FlowOutcomes) => ({ flowId: f.chatflowId, name: f.name, ...apiOutcomes(f.counts) });
const apiVersionOutcomes = (v: VersionOutcomes) => ({
  flowId: v.chatflowId,
  flowName: v.flowName,
  versionId: v.versionId,
  version: v.version,
  publishedAt: iso(v.publishedAt),
  ...apiOutcomes(v.counts),
});
const apiDaily = (d: DailyOutcomes) => ({ day: d.day, ...apiOutcomes(d.counts) });

/** Bot outcomes in total, per flow, per version and per day (a flow's report has them too, for its one flow). Pure. */
const apiOverview = (o: BotOverview) => ({
  totals: apiOutcomes(o.totals),
  flows: o.flows.map(apiFlowOutcomes),
  versions: o.versions.map(apiVersionOutcomes),
  daily: o.daily.map(apiDaily),
});

/** One answer that missed its target, in the API's words (times ISO, durations in ms). Pure. */
const apiBreach = (b: Breach) => ({
  conversationId: b.conversationId,
  title: b.title,
  contact: b.contactId === null ? null : { id: b.contactId, name: b.title },
  inboxId: b.inboxId,
  inboxName: b.inboxName,
  agentId: b.userId,
  agentName: b.agentName,
  kind: b.kind,
  targetMs: b.targetMs,
  actualMs: b.actualMs,
  overMs: b.overMs,
  businessHours: b.businessHours,
  teamHours: b.teamHours,
  waitingSince: iso(b.waitedFrom),
  answeredAt: iso(b.at),
});

/** One rule's row of the automation report, in the API's words (the outcome also as a share, null when it closed none). Pure. */
const apiRuleRow = (r: RuleReportRow) => ({
  ruleId: r.ruleId,
  name: r.name,
  deleted: r.deleted,
  enabled: r.enabled,
  conversations: r.conversations,
  actions: r.actions,
  totalActions: r.totalActions,
  runs: r.runs,
  failedRuns: r.failedRuns,
  closedConversations: r.closedConversations,
  visitorWroteAgain: r.visitorWroteAgain,
  visitorWroteAgainRate: r.closedConversations > 0 ? r.visitorWroteAgain / r.closedConversations : null,
});

/** Builds the /reports endpoints of one request (`path` after `reports`: [report, flowId, extra]). */
export const reportEndpoints = (s: ReportServices, query: URLSearchParams, path: ReadonlyArray<string | undefined>): Endpoints => {
  const [report, flowId, extra] = path;
  const bots: Serve = () =>
    Effect.gen(function* () {
      const parsed = yield* s.reports.parseQuery(query);
      const overview = yield* s.reports.botOverview(parsed);
      return ok({ ...apiQuery(parsed), ...apiOverview(overview) });
    });

  const flow = (id: string): Serve => () =>
    Effect.gen(function* () {
      const base = yield* s.reports.parseQuery(query);
      // This report is one flow's, as /reports/bots/:flowId is: a `flow` parameter would only contradict the path.
      const parsed = { ...base, filters: { ...base.filters, flow: id } };
      const r = yield* s.reports.flowReport(id, parsed);
      return ok({
        ...apiQuery(parsed),
        flow: r.flow,
        ...apiOverview(r),
        nodes: r.nodes.map((n) => ({
          nodeId: n.nodeId,
          label: n.label,
          kind: n.kind,
          inFlow: n.inFlow,
          reached: n.reached,
          movedOn: n.movedOn,
          answered: n.answered,
          invalid: n.invalid,
          skipped: n.skipped,
          dropped: n.dropped,
          dropOff: n.dropOff,
        })),
        edges: r.edges,
        starts: r.starts,
        arms: r.arms.map((a) => ({
          nodeId: a.nodeId,
          nodeLabel: a.nodeLabel,
          armId: a.armId,
          armLabel: a.armLabel,
          percent: a.percent,
          conversations: a.conversations,
          completed: a.completed,
          handedOff: a.handedOff,
          abandoned: a.abandoned,
          completionRate: a.completionRate,
        })),
      });
    });

  const team: Serve = () =>
    Effect.gen(function* () {
      const parsed = yield* s.reports.parseQuery(query);
      const t = yield* s.reports.team(parsed);
      return ok({
        ...apiQuery(parsed),
        measure: t.measure,
        volume: t.volume,
        firstResponse: t.firstResponse,
        replyTime: t.replyTime,
        timeToClose: t.timeToClose,
        satisfaction: t.satisfaction,
        agents: t.agents,
        labels: t.labels,
        targets: t.targets,
      });
    });

  const breaches: Serve = () =>
    Effect.gen(function* () {
      const parsed = yield* s.reports.parseBreachQuery(query);
      const page = yield* s.reports.breaches(parsed);
      return ok({
        ...apiQuery(parsed),
        agent: parsed.agent ?? null,
        kind: parsed.kind ?? null,
        sort: breachSortParam(parsed.sort ?? DEFAULT_BREACH_SORT),
        total: page.total,
        breaches: page.breaches.map(apiBreach),
        nextCursor: page.nextCursor,
      });
    });

  const automation: Serve = () =>
    Effect.gen(function* () {
      const parsed = yield* s.automationReports.parseQuery(query);
      const r = yield* s.automationReports.report(parsed);
      // With `rule`, that rule's conversations too (the page's drill-down).
      const drill = parsed.rule === undefined ? null : yield* s.automationReports.conversations(parsed, parsed.rule);
      return ok({
        ...apiQuery(parsed),
        rules: r.rules.map(apiRuleRow),
        ...(drill === null
          ? {}
          : {
              rule: {
                ruleId: drill.ruleId,
                name: drill.name,
                deleted: drill.deleted,
                total: drill.total,
                conversations: drill.conversations.map((c) => ({
                  conversationId: c.conversationId,
                  title: c.title,
                  inboxName: c.inboxName,
                  actions: c.actions,
                  firstActionAt: iso(c.firstAt),
                  lastActionAt: iso(c.lastAt),
                  closed: c.closed,
                  visitorWroteAgain: c.visitorWroteAgain,
                })),
              },
            }),
      });
    });

  const endpoints: Endpoints = {};
  if (report === "bots" && extra === undefined) endpoints.GET = flowId === undefined ? bots : flow(flowId);
  else if (report === "team" && flowId === undefined) endpoints.GET = team;
  else if (report === "breaches" && flowId === undefined) endpoints.GET = breaches;
  else if (report === "automation" && flowId === undefined) endpoints.GET = automation;
  return guardedBy("reports", endpoints);
};
