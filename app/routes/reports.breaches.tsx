/**
 * Reports → Team → the answers that missed their response target (decision 045): the team
 * report's range and filters, narrowed to an agent and a kind of answer, the most over first,
 * a page of at most 50 with a link to the next. Reached from the "missed" counts of the team
 * report; each row links to its conversation in the inbox.
 */
import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Effect } from "effect";
import { RouteErrorBoundary } from "../components/error-page.js";
import { formatCount } from "../components/reports/format.js";
import { breachQueryOf, requireAnalyst } from "../components/reports/report-data.server.js";
import { ReportFilters, ReportTableView, searchOf } from "../components/reports/report-ui.js";
import reportStyles from "../components/reports/reports.css?url";
import { breachesTable } from "../components/reports/tables.js";
import { BREACH_PAGE_MAX, Reports, run } from "../runtime.server.js";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: reportStyles }];

export const meta: MetaFunction = () => [{ title: "Missed targets · Reports · Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireAnalyst(request, context);
  const query = await breachQueryOf(request, context);
  const [page, options] = await Promise.all([
    run(context, Effect.flatMap(Reports, (r) => r.breaches(query))),
    run(context, Effect.flatMap(Reports, (r) => r.options())),
  ]);
  // A page size other than the default rides along on the pager's links.
  const limit = query.limit !== null && query.limit !== BREACH_PAGE_MAX ? { limit: String(query.limit) } : {};
  return { query, options, limit, total: page.total, shown: page.breaches.length, nextCursor: page.nextCursor, table: breachesTable(page) };
}

export default function BreachesPage() {
  const { query, options, limit, total, shown, nextCursor, table } = useLoaderData<typeof loader>();
  // The list's own narrowing rides along on every link the filters and the pager make.
  const own = { ...(query.agent ? { agent: query.agent } : {}), ...(query.kind ? { kind: query.kind } : {}) };
  return (
    <>
      <header className="page-header">
        <p>
          <Link to={`/reports/team${searchOf(query)}`}>← Team</Link>
        </p>
        <h1>Answers that missed their target</h1>
        <p className="lead">
          Each first response and next reply of the range that took longer than its inbox’s response target, the most over first. Open one
          to see the conversation.
        </p>
      </header>
      <ReportFilters query={query} options={options} filters={["inbox", "channel", "team", "flow"]}>
        <div className="field">
          <label htmlFor="report-agent">Agent</label>
          <select id="report-agent" name="agent" defaultValue={query.agent ?? ""}>
            <option value="">All agents</option>
            {options.agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.disabled ? `${a.name} (disabled)` : a.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="report-kind">Answer</label>
          <select id="report-kind" name="kind" defaultValue={query.kind ?? ""}>
            <option value="">First responses and next replies</option>
            <option value="first_response">First responses</option>
            <option value="next_reply">Next replies</option>
          </select>
        </div>
      </ReportFilters>

      <section className="card" aria-labelledby="breaches-title">
        <h2 id="breaches-title">
          {formatCount(total)} {total === 1 ? "answer" : "answers"} missed {total === 1 ? "its" : "their"} target
        </h2>
        <ReportTableView table={table} query={query} csvParams={own} />
        <nav className="report-pager" aria-label="Pages">
          {query.cursor ? <Link to={searchOf(query, { ...own, ...limit })}>First page</Link> : null}
          <span className="muted">
            {shown < total ? `${formatCount(shown)} on this page of ${formatCount(total)}` : null}
          </span>
          {nextCursor ? <Link to={searchOf(query, { ...own, ...limit, cursor: nextCursor })}>Next page</Link> : null}
        </nav>
        <p className="muted">
          Judged as the team report judges them: against each inbox’s target as it is now, in business hours when the target counts them.
          Took: the first response time, or the reply time since the visitor last started waiting.
        </p>
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
