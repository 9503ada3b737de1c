/**
 * A bot report's outcomes: the headline figures with their rates, and the per-day chart.
 * Shared by the bots overview and one flow's report, which count the same outcomes.
 */
import { LineChart } from "./charts.js";
import { formatCount, formatPercent } from "./format.js";
import { Figures } from "./report-ui.js";

export interface OutcomeTotals {
  readonly started: number;
  readonly completed: number;
  readonly handed_off: number;
  readonly abandoned: number;
  readonly no_reply: number;
}

export interface OutcomeDay {
  readonly day: string;
  readonly started: number;
  readonly completed: number;
  readonly handedOff: number;
  readonly abandoned: number;
}

/** Started, completed, handed off, abandoned and no reply (each a share of started), then the daily chart. */
export function BotOutcomes(props: { readonly label: string; readonly chartTitle: string; readonly totals: OutcomeTotals; readonly daily: ReadonlyArray<OutcomeDay> }) {
  const { totals, daily } = props;
  const rate = (n: number) => formatPercent(totals.started > 0 ? n / totals.started : null);
  return (
    <>
      <Figures
        label={props.label}
        items={[
          { label: "Started", value: formatCount(totals.started) },
          { label: "Completed", value: formatCount(totals.completed), detail: rate(totals.completed) },
          { label: "Handed off", value: formatCount(totals.handed_off), detail: rate(totals.handed_off) },
          { label: "Abandoned", value: formatCount(totals.abandoned), detail: rate(totals.abandoned) },
          { label: "No reply", value: formatCount(totals.no_reply), detail: rate(totals.no_reply) },
        ]}
      />
      <LineChart
        title={props.chartTitle}
        categories={daily.map((d) => d.day)}
        series={[
          { name: "Started", values: daily.map((d) => d.started) },
          { name: "Completed", values: daily.map((d) => d.completed) },
          { name: "Handed off", values: daily.map((d) => d.handedOff) },
          { name: "Abandoned", values: daily.map((d) => d.abandoned) },
        ]}
        format={(v) => formatCount(v)}
        integer
      />
    </>
  );
}

/** The chart's rows from a report's daily outcome counts. Pure. */
export const outcomeDays = (daily: ReadonlyArray<{ readonly day: string; readonly counts: OutcomeTotals }>): OutcomeDay[] =>
  daily.map((d) => ({ day: d.day, started: d.counts.started, completed: d.counts.completed, handedOff: d.counts.handed_off, abandoned: d.counts.abandoned }));
