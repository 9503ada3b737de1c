/**
 * Reports → Team → the answers that missed their response target (decision 045): the team
 * report's range and filters, narrowed to an agent and a kind of answer, the most over first
 * or sorted by a column (its header is a link; `sort` in the URL, so the pager and the CSV keep
 * the order), a page of at most 50 with a link to the next. Reached from the "missed" counts of
 * the team report; each row links to its conversation in the inbox.
 */
import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Effect } from "effect";
import { RouteErrorBoundary } from "../components/error-page.js";
import { formatCount } from "../components/reports/format.js";
import { breachQueryOf, requireAnalyst } from "../components/reports/report-data.server.js";
import { ReportFilters, ReportTableView, searchOf, type TableSorting } from "../components/reports/report-ui.js";
import reportStyles from "../components/reports/reports.css?url";
import { breachesTable } from "../components/reports/tables.js";
import {
  BREACH_PAGE_MAX,
  BREACH_SORT_KEYS,
  breachSortParam,
  DEFAULT_BREACH_SORT,
  Reports,
  run,
  type BreachSortKey,
  type SortDirection,
} from "../runtime.server.js";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: reportStyles }];

export const meta: MetaFunction = () => [{ title: "Missed targets · Reports · Parley" }];

/** Which way a column sorts when its header is first chosen: names A to Z; amounts and times the most, or the newest, first. */
const FIRST_DIRECTION: Readonly<Record<BreachSortKey, SortDirection>> = {
  over: "desc",
  took: "desc",
  waiting: "desc",
  answered: "desc",
  agent: "asc",
  inbox: "asc",
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireAnalyst(request, context);
  const query = await breachQueryOf(request, context);
  const [page, options] = await Promise.all([
    run(context, Effect.flatMap(Reports, (r) => r.breaches(query))),
    run(context, Effect.flatMap(Reports, (r) => r.options())),
  ]);
  // A page size other than the default rides along on the pager's links.
  const limit = query.limit !== null && query.limit !== BREACH_PAGE_MAX ? { limit: String(query.limit) } : {};
  // The list's own narrowing and order ride along on every link the filters, the pager and the CSV make (the default order unnamed).
  const sort = query.sort ?? DEFAULT_BREACH_SORT;
  const sortParam = (by: BreachSortKey, direction: SortDirection): Record<string, string> => {
    const param = breachSortParam({ by, direction });
    return param === breachSortParam(DEFAULT_BREACH_SORT) ? {} : { sort: param };
  };
  const narrowing = { ...(query.agent ? { agent: query.agent } : {}), ...(query.kind ? { kind: query.kind } : {}) };
  const own: Record<string, string> = { ...narrowing, ...sortParam(sort.by, sort.direction) };
  // Each sortable header: the first page sorted by its column (the other way round when it is the sorted one).
  const sorting: TableSorting = {
    by: sort.by,
    direction: sort.direction,
    links: Object.fromEntries(
      BREACH_SORT_KEYS.map((by) => {
        const direction: SortDirection = by === sort.by ? (sort.direction === "asc" ? "desc" : "asc") : FIRST_DIRECTION[by];
        return [by, { to: searchOf(query, { ...narrowing, ...limit, ...sortParam(by, direction) }), direction }];
      }),
    ),
  };
  return { query, options, limit, own, sorting, total: page.total, shown: page.breaches.length, nextCursor: page.nextCursor, table: breachesTable(page) };
}

export default function BreachesPage() {
  const { query, options, limit, own, sorting, total, shown, nextCursor, table } = useLoaderData<typeof loader>();
  return (
    <>
      <header className="page-header">
        <p>
          <Link to={`/reports/team${searchOf(query)}`}>← Team</Link>
        </p>
        <h1>Answers that missed their target</h1>
        <p className="lead">
          Each first response and next reply of the range that took longer than its inbox’s response target, the most over first — or
          sorted by a column: choose its heading. Open one to see the conversation.
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
        {/* Applying other filters keeps the order chosen. */}
        {own.sort ? <input type="hidden" name="sort" value={own.sort} /> : null}
      </ReportFilters>

      <section className="card" aria-labelledby="breaches-title">
        <h2 id="breaches-title">
          {formatCount(total)} {total === 1 ? "answer" : "answers"} missed {total === 1 ? "its" : "their"} target
        </h2>
        <ReportTableView table={table} query={query} csvParams={own} sorting={sorting} />
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
