/**
 * The reports' charts, drawn by recharts (docs/decisions/014-recharts-for-report-charts.md): a
 * line chart over days and a horizontal bar chart. They draw only — the table under each chart
 * carries the same figures for screen readers and the CSV download.
 *
 * Server rendering: recharts lays a chart out in effects, so the server and the hydrating
 * client both render the same empty box of a fixed size (ResponsiveContainer's
 * `initialDimension`), which keeps the page from jumping and the hydration clean; the chart
 * draws after mount and then follows its container's width.
 */
import type { ReactNode } from "react";
import {
  Bar,
  BarChart as RechartsBarChart,
  CartesianGrid,
  LabelList,
  Legend,
  Line,
  LineChart as RechartsLineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

const PALETTE = ["#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#be185d", "#4d7c0f"];
// Dashes as well as colours, so lines stay apart for readers who cannot tell the colours apart.
const DASHES = ["", "6 3", "2 3", "8 3 2 3", "", "6 3", "2 3", "8 3 2 3"];
const WIDTH = 720;
const LINE_HEIGHT = 280;
const BAR_ROW = 30;
const TICK = { fontSize: 12, fill: "var(--text-muted, #6b7280)" };
const NOTE = "The table below lists every value.";

/** A round upper bound for an axis: 1, 2, 2.5 or 5 times a power of ten. Pure. */
export const niceMax = (value: number): number => {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
};

/**
 * Evenly spaced ticks from 0 that cover `largest`: a step of 1, 2, 2.5 or 5 times a power of
 * ten, about four steps, whole numbers only when `integer`. Pure.
 */
export const axisTicks = (largest: number, integer: boolean): number[] => {
  let step = niceMax(Math.max(largest, 0) / 4);
  if (integer) step = Math.max(1, Math.ceil(step));
  const steps = Math.max(1, Math.ceil(Math.max(largest, 0) / step - 1e-9));
  return Array.from({ length: steps + 1 }, (_, i) => Math.round(i * step * 1e9) / 1e9);
};

/** A day (YYYY-MM-DD) as its month and day on an axis; other categories as they are. Pure. */
export const shortCategory = (category: string): string => (/^\d{4}-\d{2}-\d{2}$/.test(category) ? category.slice(5) : category);

/** A label cut to `max` characters with an ellipsis. Pure. */
export const truncate = (label: string, max: number): string => (label.length > max ? `${label.slice(0, max - 1)}…` : label);

export interface LineSeries {
  readonly name: string;
  readonly values: ReadonlyArray<number>;
}

/** One row per category with each series' value under `s<index>` (a series name may hold dots, which recharts reads as a path). Pure. */
export const lineRows = (categories: ReadonlyArray<string>, series: ReadonlyArray<LineSeries>): Array<Record<string, string | number>> =>
  categories.map((category, i) => {
    const row: Record<string, string | number> = { category };
    series.forEach((s, k) => {
      row[`s${k}`] = s.values[i] ?? 0;
    });
    return row;
  });

/** A chart's frame: the figure named by its title, a caption, and a box of fixed size until the client measures it. */
function ChartFrame(props: { readonly title: string; readonly height: number; readonly children: ReactNode }) {
  return (
    <figure className="chart" aria-label={props.title}>
      <figcaption className="chart__title">{props.title}</figcaption>
      <ResponsiveContainer width="100%" height={props.height} initialDimension={{ width: WIDTH, height: props.height }}>
        {props.children}
      </ResponsiveContainer>
    </figure>
  );
}

/** Lines over categories (days); `format` writes the value axis and the tooltips. */
export function LineChart(props: {
  readonly title: string;
  readonly categories: ReadonlyArray<string>;
  readonly series: ReadonlyArray<LineSeries>;
  readonly format?: (value: number) => string;
  /** Whole numbers only (counts): no tick between two integers. */
  readonly integer?: boolean;
}) {
  const format = props.format ?? ((v: number) => String(Math.round(v * 100) / 100));
  const ticks = axisTicks(Math.max(0, ...props.series.flatMap((s) => s.values)), props.integer ?? false);
  const many = props.categories.length > 45;
  return (
    <ChartFrame title={props.title} height={LINE_HEIGHT}>
      <RechartsLineChart data={lineRows(props.categories, props.series)} title={props.title} desc={NOTE} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
        <CartesianGrid stroke="var(--border, #e5e7eb)" vertical={false} />
        <XAxis dataKey="category" tickFormatter={shortCategory} tick={TICK} minTickGap={16} />
        <YAxis domain={[0, ticks[ticks.length - 1]!]} ticks={ticks} interval={0} tickFormatter={(v: number) => format(v)} tick={TICK} width={56} />
        <Tooltip formatter={(value) => format(Number(value))} />
        {/* In the order the series are given (recharts sorts by name by default). */}
        <Legend itemSorter={null} />
        {props.series.map((s, k) => (
          <Line
            key={s.name}
            type="linear"
            dataKey={`s${k}`}
            name={s.name}
            stroke={PALETTE[k % PALETTE.length]}
            strokeDasharray={DASHES[k % DASHES.length]}
            strokeWidth={2}
            dot={many ? false : { r: 3 }}
            isAnimationActive={false}
          />
        ))}
      </RechartsLineChart>
    </ChartFrame>
  );
}

export interface Bar {
  readonly label: string;
  readonly value: number;
}

/** Horizontal bars, one per label, the scale ending at `max` (default: a round bound of the largest). */
export function BarChart(props: {
  readonly title: string;
  readonly bars: ReadonlyArray<Bar>;
  readonly format?: (value: number) => string;
  readonly max?: number;
  /** Whole numbers only (counts): no tick between two integers. */
  readonly integer?: boolean;
}) {
  const format = props.format ?? ((v: number) => String(v));
  const largest = Math.max(0, ...props.bars.map((b) => b.value));
  const ticks = props.max !== undefined ? axisTicks(props.max, false) : axisTicks(largest, props.integer ?? false);
  const rows = props.bars.map((b) => ({ label: b.label, value: Math.max(0, b.value) }));
  return (
    <ChartFrame title={props.title} height={props.bars.length * BAR_ROW + 48}>
      <RechartsBarChart data={rows} layout="vertical" title={props.title} desc={NOTE} margin={{ top: 8, right: 56, bottom: 4, left: 8 }}>
        <CartesianGrid stroke="var(--border, #e5e7eb)" horizontal={false} />
        <XAxis type="number" domain={[0, ticks[ticks.length - 1]!]} ticks={ticks} interval={0} tickFormatter={(v: number) => format(v)} tick={TICK} />
        <YAxis type="category" dataKey="label" width={200} tickFormatter={(label: string) => truncate(label, 28)} tick={{ ...TICK, fill: "var(--text, #111827)" }} />
        <Tooltip formatter={(value) => format(Number(value))} cursor={{ fill: "rgba(37, 99, 235, 0.08)" }} />
        <Bar dataKey="value" name={props.title} fill={PALETTE[0]} radius={3} barSize={BAR_ROW - 12} isAnimationActive={false}>
          <LabelList dataKey="value" position="right" formatter={(value: unknown) => format(Number(value))} style={TICK} />
        </Bar>
      </RechartsBarChart>
    </ChartFrame>
  );
}
