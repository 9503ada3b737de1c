/**
 * Reports → Automation (decision 049): per automation rule, what it did over the range — the
 * conversations it acted on, its actions by kind, its runs and failed runs, and of the
 * conversations it closed, how many the visitor wrote to again. The range and inbox filter are
 * the other reports'; `rule` opens the list of one rule's conversations below the table (each
 * linked to the inbox). For admins and analysts, like the team report.
 */
import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Effect } from "effect";
import { RouteErrorBoundary } from "../components/error-page.js";
import { formatCount, formatPercent } from "../components/reports/format.js";
import { automationQueryOf, requireAnalyst } from "../components/reports/report-data.server.js";
import { Figures, ReportFilters, ReportTableView, searchOf } from "../components/reports/report-ui.js";
import reportStyles from "../components/reports/reports.css?url";
import { automationConversationsTable, automationRulesTable } from "../components/reports/tables.js";
import { AutomationReports, Reports, RULE_CONVERSATIONS_MAX, run } from "../runtime.server.js";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: reportStyles }];

export const meta: MetaFunction = () => [{ title: "Automation · Reports · Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireAnalyst(request, context);
  const query = await automationQueryOf(request, context);
  const rule = query.rule;
  const [report, options, drill] = await Promise.all([
    run(context, Effect.flatMap(AutomationReports, (r) => r.report(query))),
    run(context, Effect.flatMap(Reports, (r) => r.options())),
    rule === undefined ? Promise.resolve(null) : run(context, Effect.flatMap(AutomationReports, (r) => r.conversations(query, rule))),
  ]);
  const sum = (f: (r: (typeof report.rules)[number]) => number | null) => report.rules.reduce((n, r) => n + (f(r) ?? 0), 0);
  return {
    query,
    options,
    totals: {
      actions: sum((r) => r.totalActions),
      failedRuns: sum((r) => r.failedRuns),
      closed: sum((r) => r.closedConversations),
      wroteAgain: sum((r) => r.visitorWroteAgain),
    },
    table: automationRulesTable(report),
    drill:
      drill === null
        ? null
        : { name: drill.name, deleted: drill.deleted, total: drill.total, shown: drill.conversations.length, most: RULE_CONVERSATIONS_MAX, table: automationConversationsTable(drill) },
  };
}

export default function AutomationReportPage() {
  const { query, options, totals, table, drill } = useLoaderData<typeof loader>();
  return (
    <>
      <header className="page-header">
        <p>
          <Link to="/reports">← Reports</Link>
        </p>
        <h1>Automation</h1>
        <p className="lead">What each automation rule did in the range: the conversations it changed, how, how often it failed, and whether what it closed stayed closed.</p>
      </header>
      <ReportFilters query={query} options={options} filters={["inbox"]} />

      <section className="card" aria-labelledby="automation-rules-title">
        <h2 id="automation-rules-title">Rules</h2>
        <Figures
          label="All rules"
          items={[
            { label: "Actions", value: formatCount(totals.actions), detail: "changes rules made" },
            { label: "Failed runs", value: formatCount(totals.failedRuns), detail: "of rules that still exist" },
            {
              label: "Visitor wrote again",
              value: formatPercent(totals.closed > 0 ? totals.wroteAgain / totals.closed : null),
              detail: `${formatCount(totals.wroteAgain)} of ${formatCount(totals.closed)} conversations rules closed`,
            },
          ]}
        />
        <ReportTableView table={table} query={query} />
        <dl className="report-definitions">
          <dt>Conversations</dt>
          <dd>
            Conversations the rule changed at least once in the range (in the chosen inbox, as the conversation was when the rule acted). Choose a
            rule&apos;s name to list them.
          </dd>
          <dt>Actions</dt>
          <dd>
            Every change the rule made in the range, by kind, as the conversation&apos;s event log recorded it: Closed, Reopened (set open) and Set
            pending are status changes; Assigned is to a person or a team; Unassigned is the person taken off (or the conversation queued for its
            team); Labels added and removed; Snoozed; Replied is a reply the visitor sees, Commented an internal comment. A change that was already so
            is not made, so not counted.
          </dd>
          <dt>Runs and failed runs</dt>
          <dd>
            Runs in the range (an event or a waiting spell for which the rule&apos;s conditions held), and those of them with an action that failed (the rule&apos;s other actions still ran, and are
            counted above). A rule keeps its last 200 runs; a deleted rule&apos;s runs are gone (n/a). With an inbox chosen, a run counts in the
            conversation&apos;s inbox now.
          </dd>
          <dt>Visitor wrote again</dt>
          <dd>
            Of the conversations the rule closed in the range, those whose visitor (or email sender) wrote a message after the rule first closed
            it and before the range ends: in the same conversation (an email or Messenger conversation reopens), or in a new conversation of the
            same visitor or contact (a closed chat takes no more messages). A low share says the rule closes what is done; a high one, that it closes
            conversations people still need.
          </dd>
          <dt>Names</dt>
          <dd>
            A rule is named as it is now. A deleted rule is shown with the name its latest change in the range recorded, and “Deleted”. Everything is
            computed from the append-only event log, so the figures can be recomputed at any time; days are counted in {query.range.timezone}.
          </dd>
        </dl>
      </section>

      {drill ? (
        <section className="card" aria-labelledby="automation-drill-title" id="rule-conversations">
          <h2 id="automation-drill-title">
            Conversations “{drill.name}”{drill.deleted ? " (deleted)" : ""} acted on
          </h2>
          <p className="muted">
            {drill.shown < drill.total
              ? `The ${formatCount(drill.shown)} it acted on last, of ${formatCount(drill.total)}.`
              : `${formatCount(drill.total)} ${drill.total === 1 ? "conversation" : "conversations"}, the most recently acted on first.`}{" "}
            At most {formatCount(drill.most)} are listed. <Link to={`/reports/automation${searchOf(query, { rule: undefined })}`}>Close the list</Link>
          </p>
          <ReportTableView table={drill.table} query={query} csvParams={{ rule: query.rule ?? "" }} />
        </section>
      ) : null}
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
