import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useRouteLoaderData } from "@remix-run/react";
import { Effect } from "effect";
import { useMemo, useReducer } from "react";
import type { FlowDocument } from "../../flows/flow-document.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import editorStyles from "../components/flow-editor/editor.css?url";
import { editorReducer, FlowEditor, initialEditorState, type FlowAnalytics } from "../components/flow-editor/index.js";
import { BotOutcomes, outcomeDays } from "../components/reports/bot-outcomes.js";
import { BarChart } from "../components/reports/charts.js";
import { formatPercent } from "../components/reports/format.js";
import { toFlowAnalytics } from "../components/reports/flow-overlay.js";
import { queryOf, requireAnalyst } from "../components/reports/report-data.server.js";
import { ReportFilters, ReportTableView, searchOf } from "../components/reports/report-ui.js";
import reportStyles from "../components/reports/reports.css?url";
import { botDailyTable, botVersionsTable, flowArmsTable, flowEdgesTable, flowNodesTable } from "../components/reports/tables.js";
import { canOpen } from "../roles.js";
import type { loader as rootLoader } from "../root.js";
import { Reports, run } from "../runtime.server.js";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: reportStyles },
  { rel: "stylesheet", href: editorStyles },
];

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.flow.name ?? "Flow"} · Bot performance · Parley` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  await requireAnalyst(request, context);
  const flowId = params.flowId ?? "";
  const base = await queryOf(request, context);
  // This page is one flow's: a `flow` parameter from the overview would only contradict the path.
  const query = { ...base, filters: { ...base.filters, flow: flowId } };
  const [report, options] = await Promise.all([
    run(context, Effect.flatMap(Reports, (r) => r.flowReport(flowId, query))),
    run(context, Effect.flatMap(Reports, (r) => r.options())),
  ]);
  const totals = report.totals;
  return {
    query,
    options,
    flow: report.flow,
    totals,
    document: report.document,
    context: report.context,
    overlay: {
      started: totals.started,
      nodes: Object.fromEntries(report.nodes.map((n) => [n.nodeId, { reached: n.reached, dropOff: n.dropOff }])),
      edges: report.edges,
    },
    versions: report.versions.filter((v) => v.versionId !== null).map((v) => ({ id: v.versionId!, name: `v${v.version ?? "?"}` })),
    daily: outcomeDays(report.daily),
    dropOffs: report.nodes.filter((n) => n.inFlow && n.reached > 0).map((n) => ({ label: n.label, value: n.dropOff })),
    arms: report.arms.map((a) => ({ label: `${a.nodeLabel}: ${a.armLabel}`, value: a.completionRate })),
    tables: {
      // The chart's figures as a table (newest day first), as the bots overview has: the chart says the table below lists every value.
      daily: botDailyTable(report),
      nodes: flowNodesTable(report),
      edges: flowEdgesTable(report),
      arms: flowArmsTable(report),
      versions: botVersionsTable(report.versions, query.range.timezone),
    },
  };
}

/** The flow drawn read-only, each step with its reach and drop-off, each connection with its traffic. */
function AnalyticsCanvas(props: { readonly document: FlowDocument; readonly analytics: FlowAnalytics; readonly context: ReturnType<typeof useLoaderData<typeof loader>>["context"] }) {
  const [state, dispatch] = useReducer(editorReducer, props.document, initialEditorState);
  return (
    <div className="report-canvas">
      <FlowEditor state={state} dispatch={dispatch} diagnostics={[]} context={props.context} analytics={props.analytics} readOnly />
    </div>
  );
}

export default function FlowReportPage() {
  const data = useLoaderData<typeof loader>();
  const { query, options, flow, totals, tables } = data;
  const document = data.document as FlowDocument | null;
  const analytics = useMemo(() => (document ? toFlowAnalytics(data.overlay, document) : null), [data.overlay, document]);
  // Analysts read reports but may not open the builder: a link there would only end in a 403.
  const user = useRouteLoaderData<typeof rootLoader>("root")?.user;
  const canBuild = user ? canOpen(user.role, "flows") : false;
  return (
    <>
      <header className="page-header">
        <p>
          {/* The whole range goes back: "range=custom" alone, without its days, is a 400. */}
          <Link to={`/reports/bots${searchOf(query, { flow: undefined, version: undefined })}`}>← Bot performance</Link>
        </p>
        <h1>{flow.name}</h1>
        <p className="lead">
          Conversations that started this flow in the range, step by step.{" "}
          {canBuild ? <Link to={`/flows/${encodeURIComponent(flow.id)}`}>Open in the builder</Link> : null}
        </p>
      </header>
      <ReportFilters query={query} options={options} filters={["version", "inbox", "channel"]} versions={data.versions} />

      <section className="card" aria-labelledby="flow-summary">
        <h2 id="flow-summary">Outcomes</h2>
        <BotOutcomes label="Outcomes of this flow" chartTitle="Conversations per day" totals={totals} daily={data.daily} />
        <ReportTableView table={tables.daily} query={query} />
        <ReportTableView table={tables.versions} query={query} />
      </section>

      <section className="card" aria-labelledby="flow-steps">
        <h2 id="flow-steps">Where visitors drop off</h2>
        <p className="muted">
          Reached counts every visit to a step; moved on counts visits that continued or ended the flow there (completed or handed off); the rest
          dropped off. Drop-off is never negative, and each step&apos;s visits equal the traffic of the connections into it.
        </p>
        {document && analytics ? <AnalyticsCanvas document={document} analytics={analytics} context={data.context} /> : null}
        {data.dropOffs.length > 0 ? <BarChart title="Drop-off by step" bars={data.dropOffs} format={(v) => formatPercent(v)} max={1} /> : null}
        <ReportTableView table={tables.nodes} query={query} />
        <ReportTableView table={tables.edges} query={query} />
      </section>

      <section className="card" aria-labelledby="flow-arms">
        <h2 id="flow-arms">A/B split arms</h2>
        {data.arms.length > 0 ? <BarChart title="Completion rate by arm" bars={data.arms} format={(v) => formatPercent(v)} max={1} /> : null}
        <ReportTableView table={tables.arms} query={query} />
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
