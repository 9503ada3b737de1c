/**
 * Business hours: whether a chatflow is open at an instant, and when it next opens, in the
 * flow's IANA time zone. Wall-clock times come from `Intl.DateTimeFormat`, so daylight-saving
 * changes are the platform's (tz database's) business, not ours. Works in the browser too.
 */
import type { Availability, ClosedDate, Weekday } from "./flow-spec.js";

const WEEKDAYS: ReadonlyArray<Weekday> = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const MINUTE = 60_000;
const DAY_MINUTES = 1440;

// Building a DateTimeFormat costs far more than using one, so keep one per zone.
const formatters = new Map<string, Intl.DateTimeFormat>();
const formatterFor = (timezone: string): Intl.DateTimeFormat => {
  let f = formatters.get(timezone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat("en-US", {
        timeZone: timezone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
    } catch {
      // An unknown zone is reported by the compiler; at run time we fall back to UTC
      // rather than throw while a visitor loads a page.
      f = formatterFor("UTC");
    }
    if (formatters.size > 500) formatters.clear();
    formatters.set(timezone, f);
  }
  return f;
};

const validZones = new Map<string, boolean>();
/** True when `timezone` is an IANA zone this platform knows. Pure. */
export const isValidTimezone = (timezone: string): boolean => {
  let valid = validZones.get(timezone);
  if (valid === undefined) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: timezone });
      valid = true;
    } catch {
      valid = false;
    }
    if (validZones.size > 500) validZones.clear();
    validZones.set(timezone, valid);
  }
  return valid;
};

interface WallTime {
  readonly year: number;
  readonly month: number; // 1–12
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

const wallTime = (timezone: string, instant: number): WallTime => {
  const parts = formatterFor(timezone).formatToParts(new Date(instant));
  const get = (type: Intl.DateTimeFormatPartTypes): number => {
    for (const p of parts) if (p.type === type) return Number(p.value);
    return 0;
  };
  return {
    year: get("year"),
    month: get("month"),
    day: get("day"),
    // Some ICU versions render midnight as 24 even with h23.
    hour: get("hour") % 24,
    minute: get("minute"),
    second: get("second"),
  };
};

/** Offset of the zone from UTC at `instant`, in ms (Berlin in summer: +7,200,000); an unknown zone reads as UTC. Pure. */
export const offsetAt = (timezone: string, instant: number): number => {
  const w = wallTime(timezone, instant);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
};

/**
 * The earliest instant at which the zone's wall clock reads at least the given local time on
 * the given date. For a time skipped by a spring-forward change (02:30 in Berlin on
 * 2026-03-29) that is the moment of the change; for a repeated time (autumn) the first one.
 */
export const zonedTimeToInstant = (
  timezone: string,
  year: number,
  month: number,
  day: number,
  minutes: number,
): number => {
  const wall = Date.UTC(year, month - 1, day, 0, minutes);
  const before = offsetAt(timezone, wall - 86_400_000);
  const after = offsetAt(timezone, wall + 86_400_000);
  const candidates = [wall - before, wall - after].filter(
    (t, i) => offsetAt(timezone, t) === (i === 0 ? before : after),
  );
  if (candidates.length > 0) return Math.min(...candidates);
  // In a gap: the change happens between `wall - after` and `wall - before`; find it to the minute.
  let lo = wall - after;
  let hi = wall - before;
  while (hi - lo > MINUTE) {
    const mid = lo + Math.max(MINUTE, Math.floor((hi - lo) / 2 / MINUTE) * MINUTE);
    if (offsetAt(timezone, mid) === after) hi = mid;
    else lo = mid;
  }
  return hi;
};

const toMinutes = (clock: string): number => {
  const [h, m] = clock.split(":");
  return Number(h) * 60 + Number(m);
};

const weekdayOf = (year: number, month: number, day: number): Weekday =>
  WEEKDAYS[new Date(Date.UTC(year, month - 1, day)).getUTCDay()]!;

const previousDay: Record<Weekday, Weekday> = {
  mon: "sun",
  tue: "mon",
  wed: "tue",
  thu: "wed",
  fri: "thu",
  sat: "fri",
  sun: "sat",
};

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * Whether a local calendar date is one of the closed dates: the same YYYY-MM-DD, or the same
 * month and day of one marked `yearly`. Build once per list, ask per day. Pure.
 */
export const closedDateTest = (closed: ReadonlyArray<ClosedDate> | undefined): ((year: number, month: number, day: number) => boolean) => {
  if (closed === undefined || closed.length === 0) return () => false;
  const once = new Set<string>();
  const yearly = new Set<string>();
  for (const c of closed) (c.yearly ? yearly : once).add(c.yearly ? c.date.slice(5) : c.date);
  return (year, month, day) => {
    const monthDay = `${pad2(month)}-${pad2(day)}`;
    return yearly.has(monthDay) || once.has(`${year}-${monthDay}`);
  };
};

/**
 * The closed date that closes the flow at `instant` (its local date on the flow's clock), if
 * one does and the flow keeps business hours. Pure apart from reading time-zone data.
 */
export const closedDateAt = (availability: Availability, instant: number): ClosedDate | undefined => {
  if (availability.mode !== "business_hours" || availability.closedDates.length === 0) return undefined;
  const w = wallTime(availability.timezone, instant);
  const date = `${w.year}-${pad2(w.month)}-${pad2(w.day)}`;
  return availability.closedDates.find((c) => sameClosedDay(c, { date }));
};

/** Why a flow is away at an instant: the closed date that closes it (if one does), and when its hours open again. */
export interface AwayReason {
  readonly closed: ClosedDate | undefined;
  /** The next opening, or null when the hours never open. */
  readonly opensAt: number | null;
}

/** Why the flow is away at `instant`, or null when it is open then (or always available). Pure apart from reading time-zone data. */
export const awayAt = (availability: Availability, instant: number): AwayReason | null =>
  isAvailable(availability, instant) ? null : { closed: closedDateAt(availability, instant), opensAt: nextOpening(availability, instant) };

/** An instant on the wall clock of `timezone`, as people read it: "Mon 28 December at 09:00". Pure apart from reading time-zone data. */
export const formatOpening = (timezone: string, instant: number): string =>
  new Intl.DateTimeFormat("en-GB", { timeZone: isValidTimezone(timezone) ? timezone : "UTC", weekday: "short", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(instant);

/**
 * `availability` as served: with the workspace's closed dates after its own when it follows them
 * (`workspaceClosedDates`), else unchanged. Pure.
 */
export const withWorkspaceClosedDates = (availability: Availability, workspace: ReadonlyArray<ClosedDate>): Availability =>
  availability.workspaceClosedDates && workspace.length > 0 ? { ...availability, closedDates: [...availability.closedDates, ...workspace] } : availability;

/** What a chatflow's availability is read against when the chat is served (decision 048). */
export interface ServingCalendars {
  /** The workspace's closed dates (Reports page), for a flow that follows them. */
  readonly workspaceClosed: ReadonlyArray<ClosedDate>;
  /**
   * The hours of a team as a business-hours availability (flows/team-hours.ts
   * `teamAvailability`), or null when they never close it — a team without hours, or one that
   * does not exist (any more). Asked only for the team a flow follows.
   */
  readonly teamSchedule: (teamId: string) => Availability | null;
}

/**
 * `availability` as served. Mode `team`: the team's calendar (time zone, weekly hours, closed
 * dates) with the flow's own away message and behaviour — always open when the team keeps no
 * hours or is unknown; the flow's own hours and closed dates are not read then. Other modes:
 * `withWorkspaceClosedDates`. The result's mode is never `team`. Pure.
 */
export const servedAvailability = (availability: Availability, calendars: ServingCalendars): Availability => {
  if (availability.mode !== "team") return withWorkspaceClosedDates(availability, calendars.workspaceClosed);
  const schedule = availability.teamId ? calendars.teamSchedule(availability.teamId) : null;
  if (schedule === null || schedule.mode !== "business_hours") return { ...availability, mode: "always" };
  return {
    ...availability,
    mode: "business_hours",
    timezone: schedule.timezone,
    hours: schedule.hours,
    closedDates: schedule.closedDates,
    workspaceClosedDates: false,
  };
};

/** Whether two closed dates close a common day: the same date, or a yearly one of the other's month and day. Pure. */
export const sameClosedDay = (a: { readonly date?: string; readonly yearly?: boolean }, b: { readonly date?: string; readonly yearly?: boolean }): boolean =>
  a.yearly === true || b.yearly === true ? a.date?.slice(5) === b.date?.slice(5) : a.date === b.date;

/**
 * True when the chatflow is open at `now` (ms since epoch). Mode `always` is always open;
 * `business_hours` is open inside any range of the weekly hours, read on the wall clock of
 * the flow's time zone. A range whose end is before its start crosses midnight (22:00–02:00
 * on Monday is open until 02:00 on Tuesday); a range that starts and ends at the same time is
 * empty. A closed date (a holiday) is closed from its local midnight to the next, so Monday's
 * 22:00–02:00 closes at midnight when Tuesday is closed. Pure apart from reading the
 * platform's time-zone data; never throws.
 */
export const isAvailable = (availability: Availability, now: number): boolean =>
  openAt(availability, now, closedDateTest(availability.closedDates));

const openAt = (availability: Availability, now: number, closedOn: (year: number, month: number, day: number) => boolean): boolean => {
  if (availability.mode !== "business_hours") return true;
  if (availability.hours.length === 0) return false;
  const w = wallTime(availability.timezone, now);
  if (closedOn(w.year, w.month, w.day)) return false;
  const today = weekdayOf(w.year, w.month, w.day);
  const yesterday = previousDay[today];
  const minute = w.hour * 60 + w.minute;
  for (const range of availability.hours) {
    const from = toMinutes(range.from);
    const to = toMinutes(range.to);
    if (from < to) {
      if (range.day === today && minute >= from && minute < to) return true;
    } else if (from > to) {
      if (range.day === today && minute >= from && minute < DAY_MINUTES) return true;
      if (range.day === yesterday && minute < to) return true;
    }
  }
  return false;
};

/**
 * The first instant at or after `now` when the chatflow is open: `now` itself when open (or
 * mode `always`), `null` when the weekly hours never open (or not within a year of closed
 * dates). Pure; never throws.
 */
export const nextOpening = (availability: Availability, now: number): number | null => {
  const closedOn = closedDateTest(availability.closedDates);
  if (openAt(availability, now, closedOn)) return now;
  const ranges = availability.hours.filter((r) => r.from !== r.to);
  if (ranges.length === 0) return null;
  const tz = availability.timezone;
  const w = wallTime(tz, now);
  const candidates: number[] = [];
  // Eight days ahead covers every weekday once more even when today's opening has passed; each
  // closed date can push the next opening a day further, and yearly ones recur within a year.
  const horizon = 8 + Math.min(366, availability.closedDates.length);
  for (let offset = 0; offset <= horizon; offset++) {
    const date = new Date(Date.UTC(w.year, w.month - 1, w.day + offset));
    const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    const weekday = weekdayOf(y, m, d);
    // After a closed day, a range that crossed its midnight opens at this day's midnight.
    const dayBefore = new Date(Date.UTC(y, m - 1, d - 1));
    if (closedOn(dayBefore.getUTCFullYear(), dayBefore.getUTCMonth() + 1, dayBefore.getUTCDate())) {
      const midnight = zonedTimeToInstant(tz, y, m, d, 0);
      if (midnight > now) candidates.push(midnight);
    }
    for (const range of ranges) {
      if (range.day !== weekday) continue;
      const start = zonedTimeToInstant(tz, y, m, d, toMinutes(range.from));
      if (start > now) candidates.push(start);
    }
  }
  candidates.sort((a, b) => a - b);
  // A range wholly inside a skipped hour never opens; the check below passes over it.
  for (const start of candidates) if (openAt(availability, start, closedOn)) return start;
  return null;
};
