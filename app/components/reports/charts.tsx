/**
 * Small SVG charts for the reports: a line chart over days and a horizontal bar chart, with
 * axes, a tooltip per point or bar (SVG <title>), a legend, and a text alternative. They draw
 * only: the table under each chart carries the same figures for screen readers and CSV.
 * (recharts is the intended library — docs/decisions/009-report-charts-and-rollups.md says why it waits.)
 */
import { useId } from "react";

const PALETTE = ["#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#be185d", "#4d7c0f"];
const DASHES = ["", "6 3", "2 3", "8 3 2 3", "", "6 3", "2 3", "8 3 2 3"];

/** A round upper bound for an axis: 1, 2, 2.5 or 5 times a power of ten. Pure. */
export const niceMax = (value: number): number => {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
};

export interface LineSeries {
  readonly name: string;
  readonly values: ReadonlyArray<number>;
}

const W = 720;
const H = 260;
const M = { top: 16, right: 16, bottom: 48, left: 56 };

/** Lines over categories (days); `format` writes axis ticks and tooltips. */
export function LineChart(props: {
  readonly title: string;
  readonly categories: ReadonlyArray<string>;
  readonly series: ReadonlyArray<LineSeries>;
  readonly format?: (value: number) => string;
}) {
  const id = useId();
  const format = props.format ?? ((v: number) => String(Math.round(v * 100) / 100));
  const n = props.categories.length;
  const max = niceMax(Math.max(0, ...props.series.flatMap((s) => s.values)));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (i: number) => M.left + (n <= 1 ? plotW / 2 : (i / (n - 1)) * plotW);
  const y = (v: number) => M.top + plotH - (v / max) * plotH;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => t * max);
  const labelEvery = Math.max(1, Math.ceil(n / 8));
  // Every few days, and always the last one (instead of a label too close before it).
  const labeled = new Set<number>();
  for (let i = 0; i < n; i += labelEvery) labeled.add(i);
  if (n > 0 && !labeled.has(n - 1)) {
    const previous = Math.floor((n - 1) / labelEvery) * labelEvery;
    if (n - 1 - previous < labelEvery / 2) labeled.delete(previous);
    labeled.add(n - 1);
  }
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-title`} className="chart__svg">
        <title id={`${id}-title`}>{`${props.title} (the table below lists every value)`}</title>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={M.left} x2={W - M.right} y1={y(t)} y2={y(t)} className="chart__grid" />
            <text x={M.left - 8} y={y(t)} className="chart__tick" textAnchor="end" dominantBaseline="middle">
              {format(t)}
            </text>
          </g>
        ))}
        <line x1={M.left} x2={M.left} y1={M.top} y2={M.top + plotH} className="chart__axis" />
        <line x1={M.left} x2={W - M.right} y1={M.top + plotH} y2={M.top + plotH} className="chart__axis" />
        {props.categories.map((c, i) =>
          labeled.has(i) ? (
            <text key={c} x={x(i)} y={H - M.bottom + 18} className="chart__tick" textAnchor="middle">
              {c.length === 10 ? c.slice(5) : c}
            </text>
          ) : null,
        )}
        {props.series.map((s, k) => (
          <g key={s.name}>
            <polyline
              points={s.values.map((v, i) => `${x(i)},${y(v)}`).join(" ")}
              fill="none"
              stroke={PALETTE[k % PALETTE.length]}
              strokeDasharray={DASHES[k % DASHES.length]}
              strokeWidth={2}
            />
            {s.values.map((v, i) => (
              <circle key={i} cx={x(i)} cy={y(v)} r={n > 60 ? 2 : 3.5} fill={PALETTE[k % PALETTE.length]}>
                <title>{`${s.name}, ${props.categories[i]}: ${format(v)}`}</title>
              </circle>
            ))}
          </g>
        ))}
      </svg>
      <figcaption className="chart__legend">
        <span className="chart__title">{props.title}</span>
        {props.series.map((s, k) => (
          <span key={s.name} className="chart__key">
            <svg width="22" height="10" aria-hidden="true">
              <line x1="0" x2="22" y1="5" y2="5" stroke={PALETTE[k % PALETTE.length]} strokeDasharray={DASHES[k % DASHES.length]} strokeWidth="2" />
            </svg>
            {s.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

export interface Bar {
  readonly label: string;
  readonly value: number;
}

/** Horizontal bars, one per label, longest scale at `max` (default: a round bound of the largest). */
export function BarChart(props: {
  readonly title: string;
  readonly bars: ReadonlyArray<Bar>;
  readonly format?: (value: number) => string;
  readonly max?: number;
  /** Whole numbers only (counts): no tick between two integers. */
  readonly integer?: boolean;
}) {
  const id = useId();
  const format = props.format ?? ((v: number) => String(v));
  const largest = Math.max(0, ...props.bars.map((b) => b.value));
  const max = props.max ?? (props.integer ? Math.max(1, Math.ceil(niceMax(largest))) : niceMax(largest));
  const ticks = props.integer && max % 2 === 1 ? [0, 1] : [0, 0.5, 1];
  const row = 26;
  const labelW = 200;
  const height = M.top + props.bars.length * row + 28;
  const plotW = W - labelW - M.right - 64;
  const width = (v: number) => (max > 0 ? (Math.max(0, v) / max) * plotW : 0);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${height}`} role="img" aria-labelledby={`${id}-title`} className="chart__svg">
        <title id={`${id}-title`}>{`${props.title} (the table below lists every value)`}</title>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={labelW + t * plotW} x2={labelW + t * plotW} y1={M.top - 4} y2={height - 24} className="chart__grid" />
            <text x={labelW + t * plotW} y={height - 8} className="chart__tick" textAnchor="middle">
              {format(t * max)}
            </text>
          </g>
        ))}
        {props.bars.map((b, i) => (
          <g key={`${b.label}-${i}`} transform={`translate(0, ${M.top + i * row})`}>
            <text x={labelW - 8} y={row / 2 - 2} className="chart__label" textAnchor="end" dominantBaseline="middle">
              {b.label.length > 28 ? `${b.label.slice(0, 27)}…` : b.label}
            </text>
            <rect x={labelW} y={2} width={width(b.value)} height={row - 10} rx={3} fill={PALETTE[0]}>
              <title>{`${b.label}: ${format(b.value)}`}</title>
            </rect>
            <text x={labelW + width(b.value) + 6} y={row / 2 - 2} className="chart__value" dominantBaseline="middle">
              {format(b.value)}
            </text>
          </g>
        ))}
      </svg>
      <figcaption className="chart__legend">
        <span className="chart__title">{props.title}</span>
      </figcaption>
    </figure>
  );
}
