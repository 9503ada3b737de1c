/**
 * When a scheduled report email runs and which days it covers (decision 056). Pure: the zone
 * and the instants come in as arguments. A run falls at a whole hour of the workspace's wall
 * clock on a local day (every day, or one weekday), found with the Intl-based local-midnight
 * helpers of report-range.ts / flows/availability.ts, so daylight-saving changes move the UTC
 * instant, never the local hour. An hour skipped by a spring-forward change runs at the change.
 */
import { zonedTimeToInstant } from "../../flows/availability.js";
import { addDays, localDay } from "./report-range.js";

export const REPORT_FREQUENCIES = ["daily", "weekly"] as const;
export type ReportFrequency = (typeof REPORT_FREQUENCIES)[number];

/** ISO weekdays: 1 Monday … 7 Sunday. */
export const WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;

/** When a schedule runs: every day, or every week on `weekday` (1 Monday … 7 Sunday), at `hour` (0–23) local time. */
export interface ReportCadence {
  readonly frequency: ReportFrequency;
  /** 1–7 (ISO); ignored for a daily schedule. */
  readonly weekday: number;
  readonly hour: number;
}

/** The local days a run covers: the day before (daily) or the 7 days before (weekly) its own day, inclusive. */
export interface ReportPeriod {
  readonly from: string;
  readonly to: string;
}

/** The ISO weekday (1 Monday … 7 Sunday) of a YYYY-MM-DD day. Pure. */
export const isoWeekday = (day: string): number => {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const sunday0 = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return sunday0 === 0 ? 7 : sunday0;
};

const runsOn = (cadence: ReportCadence, day: string): boolean => cadence.frequency === "daily" || isoWeekday(day) === cadence.weekday;

/** The instant of the run on local `day` (its hour on the zone's clock). Pure. */
const runOn = (cadence: ReportCadence, timezone: string, day: string): number => {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return zonedTimeToInstant(timezone, y, m, d, cadence.hour * 60);
};

/** The first run strictly after `after`. Pure. */
export const nextRunAfter = (cadence: ReportCadence, timezone: string, after: number): number => {
  // A run after `after` falls on its local day or later; a week and a day always hold one.
  const first = localDay(timezone, after);
  for (let i = 0; i <= 8; i++) {
    const day = addDays(first, i);
    if (!runsOn(cadence, day)) continue;
    const at = runOn(cadence, timezone, day);
    if (at > after) return at;
  }
  /* c8 ignore next -- unreachable: a week and a day hold a weekday's run */
  return after + 7 * 86_400_000;
};

/** The latest run at or before `at` (null: none in the last 8 days, which cannot be). Pure. */
export const latestRunAtOrBefore = (cadence: ReportCadence, timezone: string, at: number): number | null => {
  const last = localDay(timezone, at);
  for (let i = 0; i <= 8; i++) {
    const day = addDays(last, -i);
    if (!runsOn(cadence, day)) continue;
    const run = runOn(cadence, timezone, day);
    if (run <= at) return run;
  }
  return null;
};

/** The days a run at `runAt` covers: the whole local days before its own day (1 or 7). Pure. */
export const periodOfRun = (frequency: ReportFrequency, timezone: string, runAt: number): ReportPeriod => {
  const to = addDays(localDay(timezone, runAt), -1);
  return { from: frequency === "daily" ? to : addDays(to, -6), to };
};

/** The period before it of the same length (for "the previous period beside it"). Pure. */
export const previousPeriod = (period: ReportPeriod, frequency: ReportFrequency): ReportPeriod => {
  const days = frequency === "daily" ? 1 : 7;
  return { from: addDays(period.from, -days), to: addDays(period.to, -days) };
};

/** "Every Monday at 08:00" / "Every day at 07:00". Pure. */
export const cadenceText = (cadence: ReportCadence): string => {
  const hour = `${String(cadence.hour).padStart(2, "0")}:00`;
  return cadence.frequency === "daily" ? `Every day at ${hour}` : `Every ${WEEKDAY_NAMES[cadence.weekday - 1] ?? "week"} at ${hour}`;
};
