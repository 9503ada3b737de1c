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

const readWallTime = (timezone: string, instant: number): WallTime => {
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

/**
 * Since 1973 every zone's offset is a whole number of minutes (Monrovia's −0:44:30 was the last
 * with seconds, until 1972), so an instant's wall time is its minute's plus its seconds: the
 * minute's is read once and kept. `formatToParts` costs microseconds; opening-time searches
 * (`nextOpening`, `zonedTimeToInstant`) ask for the same day boundaries at every handoff and
 * every widget load.
 */
const WHOLE_MINUTE_OFFSETS_SINCE = Date.UTC(1973, 0, 1);
const minuteWallTimes = new Map<string, WallTime>();
const wallTime = (timezone: string, instant: number): WallTime => {
  if (!(instant >= WHOLE_MINUTE_OFFSETS_SINCE)) return readWallTime(timezone, instant);
  const minuteStart = instant - (instant % MINUTE);
  const key = `${timezone} ${minuteStart}`;
  let w = minuteWallTimes.get(key);
  if (w === undefined) {
    w = readWallTime(timezone, minuteStart);
    if (minuteWallTimes.size >= 4096) minuteWallTimes.clear();
    minuteWallTimes.set(key, w);
  }
  const second = Math.floor((instant - minuteStart) / 1000);
  return second === 0 ? w : { ...w, second };
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

/** A local day's own hours, minutes after its midnight, [from, to), sorted and disjoint; empty: closed all day. */
export type DayHours = ReadonlyArray<readonly [number, number]>;

/** Sorts and merges minute ranges that overlap or touch. */
const mergeMinutes = (ranges: Array<readonly [number, number]>): DayHours => {
  ranges.sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [s, e] of ranges) {
    if (e <= s) continue;
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
};

/** The minutes in both lists (each sorted and disjoint). */
const intersectMinutes = (a: DayHours, b: DayHours): DayHours => {
  const out: Array<readonly [number, number]> = [];
  for (const [s1, e1] of a) for (const [s2, e2] of b) if (Math.min(e1, e2) > Math.max(s1, s2)) out.push([Math.max(s1, s2), Math.min(e1, e2)]);
  return mergeMinutes(out);
};

/** The hours one closed date keeps on its day: none without `hours` (closed all day). */
const hoursOf = (closed: ClosedDate): DayHours =>
  closed.hours === undefined ? [] : mergeMinutes(closed.hours.map((r) => [toMinutes(r.from), toMinutes(r.to)] as const));

/**
 * The hours a local calendar date keeps instead of the weekly ones, or undefined when no closed
 * date names it (the weekly hours hold). A closed date names the same YYYY-MM-DD, or the same
 * month and day when `yearly`; without `hours` it closes the whole day (an empty list), with
 * `hours` the day is open only inside them. Several dates naming one day: open only where all
 * are (so a whole-day closure wins). Build once per list, ask per day. Pure.
 */
export const dayHoursTest = (closed: ReadonlyArray<ClosedDate> | undefined): ((year: number, month: number, day: number) => DayHours | undefined) => {
  if (closed === undefined || closed.length === 0) return () => undefined;
  const once = new Map<string, DayHours>();
  const yearly = new Map<string, DayHours>();
  const add = (into: Map<string, DayHours>, key: string, hours: DayHours): void => {
    const earlier = into.get(key);
    into.set(key, earlier === undefined ? hours : intersectMinutes(earlier, hours));
  };
  for (const c of closed) {
    if (c.yearly) add(yearly, c.date.slice(5), hoursOf(c));
    else add(once, c.date, hoursOf(c));
  }
  return (year, month, day) => {
    const monthDay = `${pad2(month)}-${pad2(day)}`;
    const a = yearly.get(monthDay);
    const b = once.get(`${year}-${monthDay}`);
    return a === undefined ? b : b === undefined ? a : intersectMinutes(a, b);
  };
};

/** The closed dates that name the local date of `instant` on the flow's clock (none unless it keeps business hours). */
const datesAt = (availability: Availability, instant: number): ReadonlyArray<ClosedDate> => {
  if (availability.mode !== "business_hours" || availability.closedDates.length === 0) return [];
  const w = wallTime(availability.timezone, instant);
  const date = `${w.year}-${pad2(w.month)}-${pad2(w.day)}`;
  return availability.closedDates.filter((c) => sameClosedDay(c, { date }));
};

/**
 * The closed date that closes the flow all day at `instant` (its local date on the flow's
 * clock), if one does and the flow keeps business hours. A special day with hours left
 * (Christmas Eve 09:00–13:00) is not closed all day: see `specialDayAt`. Pure apart from reading
 * time-zone data.
 */
export const closedDateAt = (availability: Availability, instant: number): ClosedDate | undefined => {
  const dates = datesAt(availability, instant);
  if (dates.length === 0) return undefined;
  // Several dates of one day: open only where all are (dayHoursTest's rule).
  const hours = dates.slice(1).reduce((acc, c) => intersectMinutes(acc, hoursOf(c)), hoursOf(dates[0]!));
  return hours.length > 0 ? undefined : (dates.find((c) => c.hours === undefined) ?? dates[0]);
};

/**
 * The closed date with hours that sets the flow's hours on the local date of `instant`
 * (Christmas Eve 09:00–13:00), when that day keeps special hours and is not closed all day.
 * Pure apart from reading time-zone data.
 */
export const specialDayAt = (availability: Availability, instant: number): ClosedDate | undefined =>
  closedDateAt(availability, instant) === undefined ? datesAt(availability, instant).find((c) => c.hours !== undefined) : undefined;

/** Why a flow is away at an instant: the closed date that closes it all day (if one does), the special day whose hours it is outside (if so), and when its hours open again. */
export interface AwayReason {
  readonly closed: ClosedDate | undefined;
  /** A special day (a closed date with hours) that is today on the flow's clock, the flow being outside its hours. */
  readonly special: ClosedDate | undefined;
  /** The next opening, or null when the hours never open. */
  readonly opensAt: number | null;
}

/** Why the flow is away at `instant`, or null when it is open then (or always available). Pure apart from reading time-zone data. */
export const awayAt = (availability: Availability, instant: number): AwayReason | null =>
  isAvailable(availability, instant)
    ? null
    : { closed: closedDateAt(availability, instant), special: specialDayAt(availability, instant), opensAt: nextOpening(availability, instant) };

/** A special day's closing while the flow is open inside its hours: when, and the day that sets them. */
export interface SpecialClosing {
  /** The end of the special day's range the flow is open in. */
  readonly closesAt: number;
  readonly day: ClosedDate;
}

/**
 * When today's special hours (decision 051) close the flow: the end of the range of the special
 * day that `now` is in, on the flow's clock. Null while the flow is closed, on a day that keeps
 * the weekly hours, and when the flow is still open at that end (a range to 24:00 followed by
 * hours from midnight): it does not close then. Pure apart from reading time-zone data.
 */
export const specialClosingAt = (availability: Availability, now: number): SpecialClosing | null => {
  if (availability.mode !== "business_hours") return null;
  const dayHours = dayHoursTest(availability.closedDates);
  if (!openAt(availability, now, dayHours)) return null;
  const w = wallTime(availability.timezone, now);
  const minute = w.hour * 60 + w.minute;
  const range = dayHours(w.year, w.month, w.day)?.find(([from, to]) => minute >= from && minute < to);
  const day = specialDayAt(availability, now);
  if (range === undefined || day === undefined) return null;
  const closesAt = zonedTimeToInstant(availability.timezone, w.year, w.month, w.day, range[1]);
  return closesAt > now && !openAt(availability, closesAt, dayHours) ? { closesAt, day } : null;
};

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
 * empty. A closed date (a holiday) replaces the hours of its local date, from its midnight to the
 * next: closed all day, or open only inside its own `hours` (a special day, decision 051) — so
 * Monday's 22:00–02:00 closes at midnight when Tuesday is closed or special, and opens again at
 * the midnight after. No weekly hours: never open, special days included. Pure apart from
 * reading the platform's time-zone data; never throws.
 */
export const isAvailable = (availability: Availability, now: number): boolean =>
  openAt(availability, now, dayHoursTest(availability.closedDates));

const openAt = (availability: Availability, now: number, dayHours: ReturnType<typeof dayHoursTest>): boolean => {
  if (availability.mode !== "business_hours") return true;
  // Without a weekly range that opens there is no calendar: never open, special days included
  // (as business-time.ts reads it).
  if (!availability.hours.some((r) => r.from !== r.to)) return false;
  const w = wallTime(availability.timezone, now);
  const minute = w.hour * 60 + w.minute;
  const special = dayHours(w.year, w.month, w.day);
  if (special !== undefined) return special.some(([from, to]) => minute >= from && minute < to);
  const today = weekdayOf(w.year, w.month, w.day);
  const yesterday = previousDay[today];
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
  const dayHours = dayHoursTest(availability.closedDates);
  if (openAt(availability, now, dayHours)) return now;
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
    // After a closed or special day, a range that crossed its midnight opens at this day's midnight.
    const dayBefore = new Date(Date.UTC(y, m - 1, d - 1));
    if (dayHours(dayBefore.getUTCFullYear(), dayBefore.getUTCMonth() + 1, dayBefore.getUTCDate()) !== undefined) {
      const midnight = zonedTimeToInstant(tz, y, m, d, 0);
      if (midnight > now) candidates.push(midnight);
    }
    const special = dayHours(y, m, d);
    if (special !== undefined) {
      for (const [from] of special) {
        const start = zonedTimeToInstant(tz, y, m, d, from);
        if (start > now) candidates.push(start);
      }
      continue;
    }
    for (const range of ranges) {
      if (range.day !== weekday) continue;
      const start = zonedTimeToInstant(tz, y, m, d, toMinutes(range.from));
      if (start > now) candidates.push(start);
    }
  }
  candidates.sort((a, b) => a - b);
  // A range wholly inside a skipped hour never opens; the check below passes over it.
  for (const start of candidates) if (openAt(availability, start, dayHours)) return start;
  return null;
};

/**
 * The first instant at or after `now` when the chatflow is closed: `now` itself when closed,
 * `null` when it never closes within the days `nextOpening` looks ahead (mode `always`, or
 * hours around the clock). Each range's end, and the midnight a closed or special day begins,
 * is a candidate; an end another range carries on from is passed over. Pure; never throws.
 */
export const nextClosing = (availability: Availability, now: number): number | null => {
  const dayHours = dayHoursTest(availability.closedDates);
  if (!openAt(availability, now, dayHours)) return now;
  if (availability.mode !== "business_hours") return null;
  const tz = availability.timezone;
  const w = wallTime(tz, now);
  const candidates: number[] = [];
  const horizon = 8 + Math.min(366, availability.closedDates.length);
  // From yesterday: a range that crossed midnight into today ends today.
  for (let offset = -1; offset <= horizon; offset++) {
    const date = new Date(Date.UTC(w.year, w.month - 1, w.day + offset));
    const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    const special = dayHours(y, m, d);
    if (special !== undefined) {
      // A closed or special day replaces the hours from its midnight: what crossed into it ends there.
      candidates.push(zonedTimeToInstant(tz, y, m, d, 0));
      for (const [, to] of special) candidates.push(zonedTimeToInstant(tz, y, m, d, to));
      continue;
    }
    const weekday = weekdayOf(y, m, d);
    for (const range of availability.hours) {
      if (range.day !== weekday || range.from === range.to) continue;
      const from = toMinutes(range.from);
      const to = toMinutes(range.to);
      candidates.push(zonedTimeToInstant(tz, y, m, d, from < to ? to : DAY_MINUTES + to));
    }
  }
  candidates.sort((a, b) => a - b);
  for (const end of candidates) if (end > now && !openAt(availability, end, dayHours)) return end;
  return null;
};
