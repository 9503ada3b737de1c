/**
 * What the report routes share on the server: the one-line guard, the query from the URL
 * (range and filters; a bad value is a 400 naming the parameter), and every table by id — the
 * pages and the CSV downloads both build their tables here, from the same service call.
 */
import type { AppLoadContext } from "@remix-run/node";
import { Effect } from "effect";
import { access } from "../../roles.js";
import { AutomationReports, errorResponse, InvalidInput, Reports, run, type AutomationReportQuery, type BreachQuery, type ReportQuery } from "../../runtime.server.js";
import { requireUser } from "../../session.server.js";
import {
  automationConversationsTable,
  automationRulesTable,
  botDailyTable,
  breachesTable,
  botFlowsTable,
  botVersionsTable,
  flowArmsTable,
  flowEdgesTable,
  flowNodesTable,
  teamAgentsTable,
  teamLabelsTable,
  teamTargetsTable,
  teamResponseTable,
  teamVolumeTable,
  TABLE_IDS,
  type ReportTable,
  type TableId,
} from "./tables.js";

/** Admins and analysts: the reports area. */
export const requireAnalyst = (request: Request, context: AppLoadContext) => requireUser(request, context, access.reports);

/** The report query of this request's search parameters (400 with the parameter as path when wrong). */
export const queryOf = (request: Request, context: AppLoadContext): Promise<ReportQuery> =>
  run(context, Effect.flatMap(Reports, (reports) => reports.parseQuery(new URL(request.url).searchParams)));

/** The breaches list's query of this request: the report's, plus agent, kind and page (400 naming the parameter). */
export const breachQueryOf = (request: Request, context: AppLoadContext): Promise<BreachQuery> =>
  run(context, Effect.flatMap(Reports, (reports) => reports.parseBreachQuery(new URL(request.url).searchParams)));

/** The automation report's query of this request: range, inbox and the drill-down's `rule` (400 naming the parameter). */
export const automationQueryOf = (request: Request, context: AppLoadContext): Promise<AutomationReportQuery> =>
  run(context, Effect.flatMap(AutomationReports, (reports) => reports.parseQuery(new URL(request.url).searchParams)));

/** True for the id of a report table. Pure. */
export const isTableId = (id: string | undefined): id is TableId => (TABLE_IDS as ReadonlyArray<string>).includes(id ?? "");

/**
 * One table of a report, as the page shows it; flow tables need the `flow` filter (their flow).
 * The breaches table reads its own query from `request` (agent and kind too) and holds every
 * breach, not a page; the automation tables read theirs too (`rule` for the conversations').
 */
export const loadTable = async (context: AppLoadContext, id: TableId, query: ReportQuery, request: Request): Promise<ReportTable> => {
  const needFlow = (): string => {
    const flow = query.filters.flow;
    if (flow === undefined) {
      throw errorResponse(new InvalidInput({ issues: [{ path: "flow", message: "this table belongs to one chatflow: add flow=<its id>" }] }));
    }
    return flow;
  };
  switch (id) {
    case "bot-flows":
    case "bot-versions":
    case "bot-daily": {
      const overview = await run(context, Effect.flatMap(Reports, (r) => r.botOverview(query)));
      if (id === "bot-flows") return botFlowsTable(overview);
      if (id === "bot-daily") return botDailyTable(overview);
      return botVersionsTable(overview.versions, query.range.timezone);
    }
    case "flow-nodes":
    case "flow-edges":
    case "flow-arms": {
      const flowId = needFlow();
      const report = await run(context, Effect.flatMap(Reports, (r) => r.flowReport(flowId, query)));
      if (id === "flow-nodes") return flowNodesTable(report);
      if (id === "flow-edges") return flowEdgesTable(report);
      return flowArmsTable(report);
    }
    case "team-volume":
    case "team-response":
    case "team-agents":
    case "team-labels":
    case "team-targets": {
      const team = await run(context, Effect.flatMap(Reports, (r) => r.team(query)));
      if (id === "team-volume") return teamVolumeTable(team);
      if (id === "team-response") return teamResponseTable(team);
      if (id === "team-labels") return teamLabelsTable(team.labels, team.measure === "business");
      if (id === "team-targets") return teamTargetsTable(team.targets);
      return teamAgentsTable(team.agents, team.measure === "business");
    }
    case "team-breaches": {
      const breachQuery = { ...(await breachQueryOf(request, context)), cursor: undefined, limit: null };
      return breachesTable(await run(context, Effect.flatMap(Reports, (r) => r.breaches(breachQuery))));
    }
    case "automation-rules": {
      const automationQuery = await automationQueryOf(request, context);
      return automationRulesTable(await run(context, Effect.flatMap(AutomationReports, (r) => r.report(automationQuery))));
    }
    case "automation-conversations": {
      const automationQuery = await automationQueryOf(request, context);
      const rule = automationQuery.rule;
      if (rule === undefined) {
        throw errorResponse(new InvalidInput({ issues: [{ path: "rule", message: "this table belongs to one rule: add rule=<its id>" }] }));
      }
      return automationConversationsTable(await run(context, Effect.flatMap(AutomationReports, (r) => r.conversations(automationQuery, rule))));
    }
  }
};
