/**
 * How report figures are written — the same text in the page's tables and in their CSV
 * downloads, in forms spreadsheets read back as numbers: counts as digits, shares as "45.7%",
 * durations as h:mm:ss (hours may pass 24). Pure; safe on the client.
 */

/** Written for a figure that has no value (a median of nothing). */
export const NONE = "n/a";

/** A count: plain digits, no grouping (so a CSV cell is one number). Pure. */
export const formatCount = (n: number): string => String(Math.round(n));

/** A share 0–1 as a percentage with one decimal, e.g. 0.4567 → "45.7%". Pure. */
export const formatPercent = (share: number | null): string => (share === null || !Number.isFinite(share) ? NONE : `${(share * 100).toFixed(1)}%`);

/** A mean rating 1–5 with one decimal, e.g. 4.25 → "4.3"; NONE without ratings. Pure. */
export const formatScore = (average: number | null): string => (average === null || !Number.isFinite(average) ? NONE : average.toFixed(1));

/** Milliseconds as h:mm:ss rounded to the second, e.g. 545_000 → "0:09:05". Pure. */
export const formatDuration = (ms: number | null): string => {
  if (ms === null || !Number.isFinite(ms)) return NONE;
  const total = Math.round(Math.max(0, ms) / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  return `${hours}:${String(minutes).padStart(2, "0")}:${String(seconds).padStart(2, "0")}`;
};

const stampFormats = new Map<string, Intl.DateTimeFormat>();
/** An instant as "YYYY-MM-DD HH:MM" in `timezone`. Pure. */
export const formatStamp = (instant: number | null, timezone: string): string => {
  if (instant === null) return NONE;
  let f = stampFormats.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", {
      timeZone: timezone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    stampFormats.set(timezone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
};

export const WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type WeekdayId = (typeof WEEK)[number];
export const WEEKDAY_NAMES: Readonly<Record<WeekdayId, string>> = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };

/**
 * Weekly hours in one line, days in week order and runs of three or more days joined:
 * "Mon–Fri 09:00–17:00, Sat 10:00–14:00"; "no business hours" without ranges. Pure.
 */
export const formatHours = (hours: ReadonlyArray<{ readonly day: string; readonly from: string; readonly to: string }>): string => {
  const rank = (day: string) => WEEK.indexOf(day as WeekdayId);
  const spans = new Map<string, number[]>();
  for (const h of [...hours].sort((a, b) => rank(a.day) - rank(b.day) || a.from.localeCompare(b.from))) {
    const key = `${h.from}–${h.to}`;
    const days = spans.get(key) ?? [];
    if (!days.includes(rank(h.day))) days.push(rank(h.day));
    spans.set(key, days);
  }
  if (spans.size === 0) return "no business hours";
  const daysText = (days: number[]) => {
    const runs: number[][] = [];
    for (const d of days) {
      const run = runs[runs.length - 1];
      if (run && d === run[run.length - 1]! + 1) run.push(d);
      else runs.push([d]);
    }
    const name = (d: number) => WEEKDAY_NAMES[WEEK[d] ?? "mon"];
    return runs.map((r) => (r.length >= 3 ? `${name(r[0]!)}–${name(r[r.length - 1]!)}` : r.map(name).join(", "))).join(", ");
  };
  return [...spans].map(([span, days]) => `${daysText(days)} ${span}`).join("; ");
};

const closedDateFormat = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", weekday: "short", day: "numeric", month: "long", year: "numeric" });
const closedDayFormat = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", day: "numeric", month: "long" });
/** A special day's hours as people read them: "open 09:00–13:00, 15:00–24:00" (decision 051). Pure. */
export const formatSpecialHours = (hours: ReadonlyArray<{ readonly from: string; readonly to: string }>): string =>
  `open ${hours.map((r) => `${r.from}–${r.to}`).join(", ")}`;

/** A closed date as people read it: "Thu 24 December 2026", or "25 December, every year". Pure. */
export const formatClosedDate = (closed: { readonly date: string; readonly yearly: boolean }): string => {
  const [y, m, d] = closed.date.split("-").map(Number) as [number, number, number];
  // A yearly date is shown in a leap year so that 29 February reads as itself.
  const at = Date.UTC(closed.yearly ? 2000 : y, m - 1, d);
  if (closed.yearly) return `${closedDayFormat.format(at)}, every year`;
  const parts = Object.fromEntries(closedDateFormat.formatToParts(at).map((p) => [p.type, p.value]));
  return `${parts.weekday} ${parts.day} ${parts.month} ${parts.year}`;
};
