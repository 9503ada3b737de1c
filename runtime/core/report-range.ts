/**
 * Report date ranges and filters from URL search parameters, and the days of a range in the
 * workspace's time zone. Pure: `now` and the zone come in as arguments. Local midnights come
 * from flows/availability.ts (Intl-based), so daylight-saving days are 23 or 25 hours long.
 */
import { Either } from "effect";
import { isValidTimezone, zonedTimeToInstant } from "../../flows/availability.js";
import type { DecodeIssue } from "../../flows/decode.js";

export const RANGE_PRESETS = ["today", "7d", "30d", "custom"] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];

/** Longest custom range, in days. */
export const MAX_RANGE_DAYS = 366;
export const DEFAULT_PRESET: RangePreset = "30d";

/** One local calendar day: `day` is YYYY-MM-DD, [start, end) in epoch ms. */
export interface ReportDay {
  readonly day: string;
  readonly start: number;
  readonly end: number;
}

export interface ReportRange {
  readonly preset: RangePreset;
  readonly timezone: string;
  /** First day, YYYY-MM-DD (local). */
  readonly from: string;
  /** Last day, inclusive, YYYY-MM-DD (local). */
  readonly to: string;
  /** [start, end) in epoch ms. */
  readonly start: number;
  readonly end: number;
  readonly days: ReadonlyArray<ReportDay>;
}

export const FILTER_KEYS = ["inbox", "channel", "flow", "team", "version"] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type ReportFilters = Readonly<Partial<Record<FilterKey, string>>>;

/** How durations are measured: on the wall clock (the default) or counting only business hours. */
export const HOURS_MODES = ["business"] as const;
export type HoursMode = (typeof HOURS_MODES)[number];

export interface ReportQuery {
  readonly range: ReportRange;
  readonly filters: ReportFilters;
  /** `business`: the team's durations count only time inside the workspace's business hours. */
  readonly hours?: HoursMode;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ID = /^[A-Za-z0-9_.:-]{1,100}$/;

const parts = (day: string): [number, number, number] | null => {
  const m = DATE.exec(day);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(y, mo - 1, d));
  return check.getUTCFullYear() === y && check.getUTCMonth() === mo - 1 && check.getUTCDate() === d && y >= 1970 && y <= 9999
    ? [y, mo, d]
    : null;
};

/** True for a real calendar date written YYYY-MM-DD. Pure. */
export const isDay = (day: string): boolean => parts(day) !== null;

// Building a DateTimeFormat costs far more than using one.
const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The local calendar day (YYYY-MM-DD) of an instant in `timezone`. Pure. */
export const localDay = (timezone: string, instant: number): string => {
  let f = dayFormats.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit" });
    if (dayFormats.size > 100) dayFormats.clear();
    dayFormats.set(timezone, f);
  }
  const p = f.formatToParts(new Date(instant));
  const get = (type: string) => p.find((x) => x.type === type)?.value ?? "00";
  return `${get("year")}-${get("month")}-${get("day")}`;
};

/** `day` moved by `n` calendar days. Pure. */
export const addDays = (day: string, n: number): string => {
  const [y, m, d] = parts(day) ?? [1970, 1, 1];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
};

/** The instant the local day begins (its midnight, or the first instant after a skipped one). Pure. */
export const dayStart = (timezone: string, day: string): number => {
  const [y, m, d] = parts(day) ?? [1970, 1, 1];
  return zonedTimeToInstant(timezone, y, m, d, 0);
};

/** Every local day from `from` to `to` (inclusive) with its bounds. Pure. */
export const daysBetween = (timezone: string, from: string, to: string): ReportDay[] => {
  const out: ReportDay[] = [];
  let start = dayStart(timezone, from);
  for (let day = from; day <= to; ) {
    const next = addDays(day, 1);
    const end = dayStart(timezone, next);
    out.push({ day, start, end });
    day = next;
    start = end;
  }
  return out;
};

/** The range of a preset ending today (local), or of a custom span. Pure. */
export const makeRange = (timezone: string, preset: RangePreset, from: string, to: string): ReportRange => {
  const days = daysBetween(timezone, from, to);
  return { preset, timezone, from, to, start: days[0]!.start, end: days[days.length - 1]!.end, days };
};

type Params = { readonly get: (name: string) => string | null } | Readonly<Record<string, string | undefined>>;
const read = (params: Params, name: string): string | undefined => {
  const value = typeof params.get === "function" ? (params as { get: (n: string) => string | null }).get(name) : (params as Record<string, string | undefined>)[name];
  return value === null || value === undefined || value === "" ? undefined : String(value);
};

/**
 * The range and filters of a report from its search parameters: `range` (today, 7d, 30d or
 * custom; 30d by default), `from`/`to` (YYYY-MM-DD, custom only, inclusive, at most 366
 * days), the filters `inbox`, `channel`, `flow`, `team`, `version` (ids), and `hours`
 * (`business` to count durations inside business hours only). Every problem
 * comes back with the parameter's name as its path. Pure.
 */
export const parseReportQuery = (
  params: Params,
  timezone: string,
  now: number,
): Either.Either<ReportQuery, ReadonlyArray<DecodeIssue>> => {
  const issues: DecodeIssue[] = [];
  const zone = isValidTimezone(timezone) ? timezone : "UTC";
  const presetText = read(params, "range") ?? DEFAULT_PRESET;
  let preset: RangePreset = DEFAULT_PRESET;
  if ((RANGE_PRESETS as ReadonlyArray<string>).includes(presetText)) preset = presetText as RangePreset;
  else issues.push({ path: "range", message: `expected one of ${RANGE_PRESETS.join(", ")}` });

  const today = localDay(zone, now);
  let from = today;
  let to = today;
  if (preset === "7d") from = addDays(today, -6);
  else if (preset === "30d") from = addDays(today, -29);
  else if (preset === "custom") {
    const fromText = read(params, "from");
    const toText = read(params, "to");
    if (fromText === undefined) issues.push({ path: "from", message: "a custom range needs a first day (YYYY-MM-DD)" });
    else if (!isDay(fromText)) issues.push({ path: "from", message: "expected a date written YYYY-MM-DD" });
    if (toText === undefined) issues.push({ path: "to", message: "a custom range needs a last day (YYYY-MM-DD)" });
    else if (!isDay(toText)) issues.push({ path: "to", message: "expected a date written YYYY-MM-DD" });
    if (fromText !== undefined && toText !== undefined && isDay(fromText) && isDay(toText)) {
      if (toText < fromText) issues.push({ path: "to", message: "the last day is before the first day" });
      else if (daysApart(fromText, toText) + 1 > MAX_RANGE_DAYS) {
        issues.push({ path: "to", message: `a range is at most ${MAX_RANGE_DAYS} days` });
      } else {
        from = fromText;
        to = toText;
      }
    }
  }

  const filters: Partial<Record<FilterKey, string>> = {};
  for (const key of FILTER_KEYS) {
    const value = read(params, key);
    if (value === undefined) continue;
    if (!ID.test(value)) issues.push({ path: key, message: "expected an id (letters, digits, _ . : -; at most 100)" });
    else filters[key] = value;
  }
  const hoursText = read(params, "hours");
  let hours: HoursMode | undefined;
  if (hoursText !== undefined) {
    if ((HOURS_MODES as ReadonlyArray<string>).includes(hoursText)) hours = hoursText as HoursMode;
    else issues.push({ path: "hours", message: `expected ${HOURS_MODES.join(", ")} (or nothing for wall-clock time)` });
  }
  if (issues.length > 0) return Either.left(issues);
  const range = makeRange(zone, preset, from, to);
  return Either.right(hours === undefined ? { range, filters } : { range, filters, hours });
};

const daysApart = (from: string, to: string): number => {
  const [a, b] = [parts(from)!, parts(to)!];
  return Math.round((Date.UTC(b[0], b[1] - 1, b[2]) - Date.UTC(a[0], a[1] - 1, a[2])) / 86_400_000);
};

/** The search parameters that reproduce a query (for links and CSV downloads). Pure. */
export const queryParams = (query: ReportQuery, overrides: Readonly<Record<string, string | undefined>> = {}): URLSearchParams => {
  const params = new URLSearchParams();
  params.set("range", query.range.preset);
  if (query.range.preset === "custom") {
    params.set("from", query.range.from);
    params.set("to", query.range.to);
  }
  for (const key of FILTER_KEYS) {
    const value = query.filters[key];
    if (value !== undefined) params.set(key, value);
  }
  if (query.hours !== undefined) params.set("hours", query.hours);
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) params.delete(key);
    else params.set(key, value);
  }
  return params;
};
