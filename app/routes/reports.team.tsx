import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Effect } from "effect";
import { RouteErrorBoundary } from "../components/error-page.js";
import { BarChart, LineChart } from "../components/reports/charts.js";
import { formatCount, formatDuration, formatHours, formatPercent, formatScore } from "../components/reports/format.js";
import { queryOf, requireAnalyst } from "../components/reports/report-data.server.js";
import { Figures, ReportFilters, ReportTableView, searchOf } from "../components/reports/report-ui.js";
import reportStyles from "../components/reports/reports.css?url";
import { formatTargetShare, missedOf, sumShares, teamAgentsTable, teamLabelsTable, teamResponseTable, teamTargetsTable, teamVolumeTable } from "../components/reports/tables.js";
import { Reports, run } from "../runtime.server.js";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: reportStyles }];

export const meta: MetaFunction = () => [{ title: "Team · Reports · Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireAnalyst(request, context);
  const query = await queryOf(request, context);
  const [team, options] = await Promise.all([
    run(context, Effect.flatMap(Reports, (r) => r.team(query))),
    run(context, Effect.flatMap(Reports, (r) => r.options())),
  ]);
  // One line per channel over the range's days.
  const channels = [...new Set(team.volume.map((v) => v.channelName))].sort();
  const perDay = new Map(query.range.days.map((d) => [d.day, new Map<string, number>()]));
  for (const v of team.volume) {
    const day = perDay.get(v.day);
    day?.set(v.channelName, (day.get(v.channelName) ?? 0) + v.conversations);
  }
  return {
    query,
    options,
    measure: team.measure,
    hoursSummary: team.businessHours.hours.length > 0 ? formatHours(team.businessHours.hours) : null,
    firstResponse: team.firstResponse,
    replyTime: team.replyTime,
    timeToClose: team.timeToClose,
    satisfaction: team.satisfaction,
    days: query.range.days.map((d) => d.day),
    channelSeries: channels.map((name) => ({ name, values: query.range.days.map((d) => perDay.get(d.day)?.get(name) ?? 0) })),
    replies: team.agents.filter((a) => a.replies > 0).map((a) => ({ label: a.name, value: a.replies })),
    tables: {
      volume: teamVolumeTable(team),
      response: teamResponseTable(team),
      agents: teamAgentsTable(team.agents, team.measure === "business"),
      labels: teamLabelsTable(team.labels, team.measure === "business"),
      targets: teamTargetsTable(team.targets),
    },
    targetTotals: {
      inboxes: team.targets.length,
      firstResponse: sumShares(team.targets.map((t) => t.firstResponse)),
      nextReply: sumShares(team.targets.map((t) => t.nextReply)),
    },
  };
}

export default function TeamReportsPage() {
  const data = useLoaderData<typeof loader>();
  const { query, options, tables } = data;
  const missed = missedOf(data.targetTotals.firstResponse) + missedOf(data.targetTotals.nextReply);
  const measure = (s: typeof data.firstResponse) => ({
    value: formatDuration(s.median),
    detail: s.count > 0 ? `median of ${formatCount(s.count)} · 90th percentile ${formatDuration(s.p90)}` : "nothing measured",
  });
  return (
    <>
      <header className="page-header">
        <p>
          <Link to="/reports">← Reports</Link>
        </p>
        <h1>Team</h1>
        <p className="lead">How many conversations came in, how fast the team answered, and who answered most. Bot time never counts.</p>
        <p>
          <Link to={`/reports/schedules${searchOf(query)}`}>Email this report</Link> every day or week, with these filters.
        </p>
      </header>
      <ReportFilters query={query} options={options} filters={["inbox", "channel", "team", "flow"]} businessHours={{ summary: data.hoursSummary }} />

      <section className="card" aria-labelledby="team-response-title">
        <h2 id="team-response-title">Response times{data.measure === "business" ? " within business hours" : ""}</h2>
        {data.measure === "business" ? (
          <p className="notice" role="note">
            Counting only time inside business hours: {data.hoursSummary} ({query.range.timezone}). A wait over a night or a weekend counts
            only its business part.
          </p>
        ) : null}
        <Figures
          label="Response times"
          items={[
            { label: "First response time", ...measure(data.firstResponse) },
            { label: "Reply time", ...measure(data.replyTime) },
            { label: "Time to close", ...measure(data.timeToClose) },
          ]}
        />
        <p className="muted">
          First response: the first reply by a person minus the later of the handoff, the last opening and the creation. Reply time: each reply
          minus when the visitor started waiting. Time to close: the first close after the team got the conversation minus its creation.
        </p>
        <ReportTableView table={tables.response} query={query} />
      </section>

      <section className="card" aria-labelledby="team-targets-title">
        <h2 id="team-targets-title">Response targets</h2>
        {data.targetTotals.inboxes > 0 ? (
          <Figures
            label="Response targets met"
            items={[
              {
                label: "First responses on target",
                value: formatTargetShare(data.targetTotals.firstResponse),
                detail: "first response time at most the inbox’s target",
              },
              {
                label: "Next replies on target",
                value: formatTargetShare(data.targetTotals.nextReply),
                detail: "reply time at most the inbox’s target",
              },
            ]}
          />
        ) : null}
        <ReportTableView table={tables.targets} query={query} />
        <p className="muted">
          Each first response and each later reply the visitor waited for, in an inbox with such a target, judged against the inbox’s target
          as it is now (a changed target judges past answers too). A target that counts business hours measures only their part of the
          wait, whatever this page’s own choice above. Inboxes without targets are left out.
        </p>
        {data.targetTotals.inboxes > 0 ? (
          <p>
            <Link to={`/reports/breaches${searchOf(query)}`}>
              {missed === 1 ? "The 1 answer that missed its target" : `The ${formatCount(missed)} answers that missed their target`}
            </Link>
            : each one with its conversation. The “missed” counts in the table above and in the agents table open them per inbox and per agent.
          </p>
        ) : null}
      </section>

      <section className="card" aria-labelledby="team-volume-title">
        <h2 id="team-volume-title">Conversations by channel and inbox</h2>
        <LineChart title="Conversations per day by channel" categories={data.days} series={data.channelSeries} format={(v) => formatCount(v)} integer />
        <ReportTableView table={tables.volume} query={query} />
      </section>

      <section className="card" aria-labelledby="team-labels-title">
        <h2 id="team-labels-title">Conversations by label</h2>
        <ReportTableView table={tables.labels} query={query} />
        <p className="muted">
          Conversations created in the range that carry the label now, how many of them are closed, and the median of their first responses.
        </p>
      </section>

      <section className="card" aria-labelledby="team-satisfaction-title">
        <h2 id="team-satisfaction-title">Satisfaction</h2>
        <Figures
          label="Satisfaction"
          items={[
            {
              label: "Average rating",
              value: data.satisfaction.ratings > 0 ? `${formatScore(data.satisfaction.average)} / 5` : formatScore(null),
              detail: data.satisfaction.ratings > 0 ? `${formatCount(data.satisfaction.ratings)} ${data.satisfaction.ratings === 1 ? "rating" : "ratings"}` : "no ratings",
            },
            {
              label: "Satisfied",
              value: formatPercent(data.satisfaction.ratings === 0 ? null : data.satisfaction.satisfied / data.satisfaction.ratings),
              detail: "rated 4 or 5",
            },
          ]}
        />
        <p className="muted">
          Visitors rate a chat from 1 to 5 in the widget once it is closed, when someone from the team took part; a conversation rated twice
          counts with its latest rating, for the agent it was with (its assignee, else who replied last).
        </p>
      </section>

      <section className="card" aria-labelledby="team-agents-title">
        <h2 id="team-agents-title">Who answers most</h2>
        {data.replies.length > 0 ? <BarChart title="Replies sent per agent" bars={data.replies} format={(v) => formatCount(v)} integer /> : null}
        <ReportTableView table={tables.agents} query={query} />
        <p className="muted">Durations are written hours:minutes:seconds.</p>
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
