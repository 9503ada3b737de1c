/**
 * Business time: how much of a span fell inside weekly business hours, read on the wall clock
 * of an IANA time zone — for the team report's "within business hours" figures. Pure: no
 * clock; the zone's rules come from the platform's `Intl` (the tz database), so daylight-saving
 * days simply have more or fewer business milliseconds.
 *
 * An instant is inside business hours exactly when flows/availability.ts `isAvailable` says so
 * for the same weekly hours: its local wall time lies in a range [from, to) of its weekday, or
 * in the part after midnight of the previous day's range that crosses midnight (22:00–02:00).
 * A wall time the clock passes twice (an autumn change) counts both times it really passed; one
 * it skips (spring) never passed. So business time is real elapsed time, never more than the
 * wall time between the two instants.
 */
import { dayHoursTest, offsetAt, type DayHours } from "../../flows/availability.js";
import type { ClosedDate, Weekday } from "../../flows/flow-spec.js";
import { teamAvailability, type TeamHours } from "../../flows/team-hours.js";

/** One weekly range: open on `day` from `from` until `to` (HH:MM, "24:00" allowed; to < from crosses midnight). */
export interface OpeningRange {
  readonly day: Weekday;
  readonly from: string;
  readonly to: string;
}

/** Weekly hours on the wall clock of `timezone`, with the closed dates' own hours in place of theirs (holidays, special days). */
export interface BusinessHours {
  readonly timezone: string;
  readonly hours: ReadonlyArray<OpeningRange>;
  readonly closed?: ReadonlyArray<ClosedDate>;
}

/** Open intervals [start, end) in epoch ms, sorted, disjoint and not touching. */
export type Intervals = ReadonlyArray<readonly [number, number]>;

const WEEKDAYS: ReadonlyArray<Weekday> = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const MINUTE = 60_000;
const DAY = 86_400_000;
// Offsets are probed once a day; a zone changes its offset at most a few times a year, and
// never twice within a day.
const PROBE = DAY;
const CLOCK = /^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$/;

/** [start, end) split where the zone's offset changes: [from, to, offset] pieces. */
const offsetPieces = (timezone: string, start: number, end: number): Array<readonly [number, number, number]> => {
  const out: Array<readonly [number, number, number]> = [];
  let pieceStart = start;
  let offset = offsetAt(timezone, start);
  let t = start;
  while (t < end) {
    const next = Math.min(end, t + PROBE);
    if (offsetAt(timezone, next) === offset) {
      t = next;
      continue;
    }
    // The first instant after t with another offset, to the millisecond.
    let lo = t;
    let hi = next;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetAt(timezone, mid) === offset) lo = mid;
      else hi = mid;
    }
    if (hi > pieceStart) out.push([pieceStart, hi, offset]);
    pieceStart = hi;
    offset = offsetAt(timezone, hi);
    t = hi;
  }
  if (end > pieceStart) out.push([pieceStart, end, offset]);
  return out;
};

const minutesOf = (clock: string): number | null => {
  const m = CLOCK.exec(clock);
  if (!m) return null;
  return m[1] === undefined ? 1440 : Number(m[1]) * 60 + Number(m[2]);
};

/** Sorts and merges intervals that overlap or touch. Pure. */
const merged = (intervals: Array<readonly [number, number]>): Array<readonly [number, number]> => {
  intervals.sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [s, e] of intervals) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
};

/**
 * The business intervals inside [start, end): when the weekly hours were open, as instants.
 * Ranges with a time that is not HH:MM, or whose start equals their end, are never open. A
 * closed date replaces its local day's hours, from its midnight to the next (also the part of
 * the day before's range that crosses into it): closed all day, or open only inside its own
 * `hours` (a special day, decision 051) — as flows/availability.ts `isAvailable` reads them.
 * No weekly hours: never open, special days included. Pure apart from reading the platform's time-zone data;
 * never throws.
 */
export const businessIntervals = (hours: BusinessHours, start: number, end: number): Intervals => {
  if (!(end > start)) return [];
  const byDay = new Map<Weekday, Array<readonly [number, number]>>();
  for (const range of hours.hours) {
    const from = minutesOf(range.from);
    const to = minutesOf(range.to);
    if (from === null || to === null || from === to) continue;
    const list = byDay.get(range.day) ?? [];
    // Minutes after the local midnight of `day`; a range that crosses midnight ends the next day.
    list.push([from * MINUTE, (to > from ? to : to + 1440) * MINUTE]);
    byDay.set(range.day, list);
  }
  if (byDay.size === 0) return [];
  const dayHours = dayHoursTest(hours.closed);
  const hasClosed = hours.closed !== undefined && hours.closed.length > 0;
  /** The hours local day `d` (days since the epoch on the wall clock) keeps instead of the weekly ones, if it is a closed or special date. */
  const specialDay = (d: number): DayHours | undefined => {
    if (!hasClosed) return undefined;
    const date = new Date(d * DAY);
    return dayHours(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate());
  };
  const found: Array<readonly [number, number]> = [];
  for (const [p0, p1, offset] of offsetPieces(hours.timezone, start, end)) {
    // While the offset holds, wall time is the instant plus the offset: intersect in wall time.
    const w0 = p0 + offset;
    const w1 = p1 + offset;
    // From the day before (its range may cross midnight into this piece).
    for (let d = Math.floor(w0 / DAY) - 1; d <= Math.floor(w1 / DAY); d++) {
      const midnight = (d + 1) * DAY;
      const today = specialDay(d);
      const special = today !== undefined;
      const specialTomorrow = specialDay(d + 1) !== undefined;
      // A closed or special day keeps its own hours (none when closed) in place of the weekly ones.
      if (special) {
        for (const [from, to] of today) {
          const s = Math.max(w0, d * DAY + from * MINUTE);
          const e = Math.min(w1, d * DAY + to * MINUTE);
          if (e > s) found.push([s - offset, e - offset]);
        }
      }
      // Day 0 of the epoch (1970-01-01) was a Thursday.
      const weekday = WEEKDAYS[(((d + 4) % 7) + 7) % 7]!;
      const ranges = byDay.get(weekday);
      if (ranges === undefined) continue;
      for (const [from, to] of ranges) {
        let s = Math.max(w0, d * DAY + from);
        let e = Math.min(w1, d * DAY + to);
        if (special) s = Math.max(s, midnight);
        if (specialTomorrow) e = Math.min(e, midnight);
        if (e > s) found.push([s - offset, e - offset]);
      }
    }
  }
  return merged(found);
};

/** Business time between any two instants of a span, answered in O(log n) after one build. */
export interface BusinessCalendar {
  readonly start: number;
  readonly end: number;
  readonly intervals: Intervals;
  /**
   * Business ms between `from` and `to`: 0 when `to` is not after `from`; only the part inside
   * [start, end] of the calendar is counted. Pure.
   */
  readonly between: (from: number, to: number) => number;
}

/** A calendar of the business hours over [start, end), for many spans inside it. Pure apart from reading time-zone data. */
export const businessCalendar = (hours: BusinessHours, start: number, end: number): BusinessCalendar =>
  calendarOver(businessIntervals(hours, start, end), start, end);

/** The calendar of business intervals (sorted, disjoint) found over [start, end). Pure. */
const calendarOver = (intervals: Intervals, start: number, end: number): BusinessCalendar => {
  const n = intervals.length;
  const starts = new Float64Array(n);
  const ends = new Float64Array(n);
  // before[i]: business ms in the intervals before the i-th.
  const before = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    starts[i] = intervals[i]![0];
    ends[i] = intervals[i]![1];
    before[i + 1] = before[i]! + (ends[i]! - starts[i]!);
  }
  /** Business ms from the calendar's start up to `t`. */
  const upTo = (t: number): number => {
    // The last interval that starts at or before t.
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    const i = lo - 1;
    if (i < 0) return 0;
    return before[i]! + Math.min(t, ends[i]!) - starts[i]!;
  };
  return {
    start,
    end,
    intervals,
    between: (from, to) => (to > from ? upTo(to) - upTo(from) : 0),
  };
};

/**
 * A value in force from `from` (epoch ms) until the next period's `from` (decision 058). In a
 * history the periods come in `from` order, and the first holds since the beginning, whatever its
 * own `from`.
 */
export interface Period<T> {
  readonly from: number;
  readonly value: T;
}

/**
 * The calendars in force one after another. A period whose calendar is null, or keeps no weekly
 * hours, had no business hours set: it counts around the clock, as a response target does without
 * business hours.
 */
export type HoursHistory = ReadonlyArray<Period<BusinessHours | null>>;

/** Whether a calendar has weekly hours to count in (else: around the clock). Pure. */
export const keepsHours = (hours: BusinessHours | null): hours is BusinessHours => hours !== null && hours.hours.length > 0;

/**
 * The business intervals inside [start, end), each part of it judged by the calendar in force
 * then: the span is split at the history's changes and each piece read in its own calendar (a
 * period without weekly hours is open throughout). So a change of hours, zone or closed dates at
 * T never moves the business time before T. Pure apart from reading time-zone data; never throws.
 */
export const historyIntervals = (history: HoursHistory, start: number, end: number): Intervals => {
  if (!(end > start)) return [];
  const found: Array<readonly [number, number]> = [];
  for (let i = 0; i < history.length; i++) {
    const s = i === 0 ? start : Math.max(start, history[i]!.from);
    const e = i + 1 < history.length ? Math.min(end, history[i + 1]!.from) : end;
    if (!(e > s)) continue;
    const hours = history[i]!.value;
    if (keepsHours(hours)) for (const interval of businessIntervals(hours, s, e)) found.push(interval);
    else found.push([s, e]);
  }
  return merged(found);
};

/**
 * A calendar over [start, end) that judges each instant by the calendar of the history in force
 * then (`historyIntervals`); with one period it is `businessCalendar` of it. Pure apart from
 * reading time-zone data.
 */
export const historyCalendar = (history: HoursHistory, start: number, end: number): BusinessCalendar => {
  const only = history.length === 1 ? history[0]!.value : undefined;
  if (only !== undefined && keepsHours(only)) return businessCalendar(only, start, end);
  return calendarOver(historyIntervals(history, start, end), start, end);
};

/**
 * Two histories as one: a period at each change of either (the earlier of equal ones kept once),
 * holding `combine` of the two values in force then. Both must have at least one period. Pure.
 */
export const combineHistories = <A, B, C>(
  a: ReadonlyArray<Period<A>>,
  b: ReadonlyArray<Period<B>>,
  combine: (a: A, b: B) => C,
): Array<Period<C>> => {
  const out: Array<Period<C>> = [];
  let i = 0;
  let j = 0;
  out.push({ from: Math.min(a[0]!.from, b[0]!.from), value: combine(a[0]!.value, b[0]!.value) });
  while (i + 1 < a.length || j + 1 < b.length) {
    const nextA = i + 1 < a.length ? a[i + 1]!.from : Infinity;
    const nextB = j + 1 < b.length ? b[j + 1]!.from : Infinity;
    const at = Math.min(nextA, nextB);
    if (nextA === at) i++;
    if (nextB === at) j++;
    out.push({ from: at, value: combine(a[i]!.value, b[j]!.value) });
  }
  return out;
};

/** Business ms between two instants (0 when `to` is not after `from`); never more than `to − from`. Pure apart from reading time-zone data. */
export const businessMs = (hours: BusinessHours, from: number, to: number): number =>
  to > from ? businessCalendar(hours, from, to).between(from, to) : 0;

/**
 * The business time from `start` on, cut at the zone's local midnights, a local date (days since
 * the epoch on the zone's wall clock) to each piece, in order; read in windows of eight weeks, up
 * to `maxDays` calendar days. Pure apart from reading time-zone data.
 */
function* openDays(hours: BusinessHours, start: number, maxDays: number): Generator<{ readonly day: number; readonly pieces: Array<readonly [number, number]> }> {
  const WINDOW = 56 * DAY;
  let current: { day: number; pieces: Array<readonly [number, number]> } | null = null;
  for (let from = start; from < start + maxDays * DAY; from += WINDOW) {
    for (const [s0, e] of businessIntervals(hours, from, from + WINDOW)) {
      for (let s = s0; s < e; ) {
        const offset = offsetAt(hours.timezone, s);
        const day = Math.floor((s + offset) / DAY);
        // The next local midnight, while the offset holds (a change inside open hours across
        // midnight moves the cut by that change, never before `s`).
        const cut = Math.min(e, Math.max((day + 1) * DAY - offset, s + 1));
        if (current !== null && current.day === day) current.pieces.push([s, cut]);
        else {
          if (current !== null) yield current;
          current = { day, pieces: [[s, cut]] };
        }
        s = cut;
      }
    }
  }
  if (current !== null) yield current;
}

/** Weekly hours open at all are open within any 8 calendar days. */
const WEEK_AND_A_DAY = 8;

/**
 * The instant `days` whole business days after `from`, or null when the weekly hours are never
 * open. A business day is a calendar day, on the zone's wall clock, with some business hours.
 * `from` is first carried to the next business instant (itself when open), on some open day D;
 * the result lies as far into the business hours of the `days`-th open day after D as `from`
 * lay into D's — Tuesday 11:00 in 09:00–17:00 is two business hours in, so one business day
 * later is Wednesday 11:00, and Saturday (or Monday 18:00) counts from Monday's (Tuesday's)
 * opening. When that day's hours are shorter, the result is its closing. So it never comes
 * earlier than a later `from`'s (monotone in `from`). Pure apart from reading time-zone data.
 */
export const addBusinessDays = (hours: BusinessHours, from: number, days: number): number | null => {
  const firstDay = Math.floor((from + offsetAt(hours.timezone, from)) / DAY);
  let offset: number | null = null;
  let counted = 0;
  // From a day before `from` (its local day's start is at most that far back).
  // Every closed date can push the day found one further; yearly ones once a year.
  const closures = Math.min(366, hours.closed?.length ?? 0) * (1 + Math.floor(days / 250));
  for (const { day, pieces } of openDays(hours, from - DAY, (days + 2) * WEEK_AND_A_DAY + closures)) {
    if (day < firstDay) continue;
    if (offset === null) {
      if (pieces[pieces.length - 1]![1] <= from) continue;
      // Business time of this day before `from` (0 when it opens after `from`).
      offset = pieces.reduce((sum, [s, e]) => sum + Math.max(0, Math.min(e, from) - s), 0);
      continue;
    }
    if (++counted < days) continue;
    let left = offset;
    for (const [s, e] of pieces) {
      if (e - s > left) return s + left;
      left -= e - s;
    }
    return pieces[pieces.length - 1]![1];
  }
  return null;
};

/**
 * A team's hours (decision 048) as the business hours its response targets count in, or null
 * when the team keeps none that close it (source none, or the workspace's while the workspace has
 * no weekly hours) — then the workspace's `workspace` hours count. Pure.
 */
export const teamBusinessHours = (team: TeamHours, workspace: BusinessHours): BusinessHours | null => {
  const schedule = teamAvailability(team, workspace);
  return schedule === null ? null : { timezone: schedule.timezone, hours: schedule.hours, closed: schedule.closedDates };
};
