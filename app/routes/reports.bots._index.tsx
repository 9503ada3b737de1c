import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Effect } from "effect";
import { RouteErrorBoundary } from "../components/error-page.js";
import { BotOutcomes, outcomeDays } from "../components/reports/bot-outcomes.js";
import { BarChart } from "../components/reports/charts.js";
import { formatPercent } from "../components/reports/format.js";
import { queryOf, requireAnalyst } from "../components/reports/report-data.server.js";
import { ReportFilters, ReportTableView, searchOf } from "../components/reports/report-ui.js";
import reportStyles from "../components/reports/reports.css?url";
import { botDailyTable, botFlowsTable, botVersionsTable } from "../components/reports/tables.js";
import { Reports, run } from "../runtime.server.js";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: reportStyles }];

export const meta: MetaFunction = () => [{ title: "Bot performance · Reports · Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireAnalyst(request, context);
  const query = await queryOf(request, context);
  const [overview, options] = await Promise.all([
    run(context, Effect.flatMap(Reports, (r) => r.botOverview(query))),
    run(context, Effect.flatMap(Reports, (r) => r.options())),
  ]);
  return {
    query,
    options,
    totals: overview.totals,
    flows: overview.flows.map((f) => ({ id: f.chatflowId, name: f.name, completion: f.counts.started > 0 ? f.counts.completed / f.counts.started : 0 })),
    daily: outcomeDays(overview.daily),
    tables: {
      flows: botFlowsTable(overview),
      versions: botVersionsTable(overview.versions, query.range.timezone),
      daily: botDailyTable(overview),
    },
  };
}

export default function BotReportsPage() {
  const { query, options, totals, flows, daily, tables } = useLoaderData<typeof loader>();
  return (
    <>
      <header className="page-header">
        <p>
          <Link to="/reports">← Reports</Link>
        </p>
        <h1>Bot performance</h1>
        <p className="lead">Conversations that started a bot in the range, and how they ended.</p>
      </header>
      <ReportFilters query={query} options={options} filters={["flow", "inbox", "channel"]} />

      <section className="card" aria-labelledby="bots-summary">
        <h2 id="bots-summary">Summary</h2>
        <BotOutcomes label="Bot outcomes" chartTitle="Bot conversations per day" totals={totals} daily={daily} />
        <ReportTableView table={tables.daily} query={query} />
      </section>

      <section className="card" aria-labelledby="bots-flows">
        <h2 id="bots-flows">By flow</h2>
        {flows.length > 0 ? (
          <>
            <BarChart title="Completion rate by flow" bars={flows.map((f) => ({ label: f.name, value: f.completion }))} format={(v) => formatPercent(v)} max={1} />
            <ul className="report-flow-links">
              {flows.map((f) => (
                <li key={f.id}>
                  <Link to={`/reports/bots/${encodeURIComponent(f.id)}${searchOf(query, { flow: undefined })}`}>Steps and drop-off of {f.name}</Link>
                </li>
              ))}
            </ul>
          </>
        ) : null}
        <ReportTableView table={tables.flows} query={query} />
        <ReportTableView table={tables.versions} query={query} />
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
