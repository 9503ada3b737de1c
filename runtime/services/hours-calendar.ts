/**
 * Weekly opening hours as an iCalendar feed (decision 057, "Weekly hours feed"), pure: each
 * weekly range is one event repeating every week (RRULE:FREQ=WEEKLY), written on the
 * workspace's or team's wall clock with `TZID=<IANA zone>` and that zone's VTIMEZONE — built from
 * the platform's time-zone data for the years around today, since ical.js ships none — so Google
 * Calendar, Outlook and Apple Calendar place 09:00 Berlin at 09:00 Berlin on both sides of a DST
 * change. Closed dates remove that day's occurrences (EXDATE); a special day's hours (decision
 * 051) are single events that day. Events are free (TRANSPARENT): they say when the desk is
 * open, they do not block the subscriber's own time.
 */
import ICAL from "ical.js";
import { offsetAt } from "../../flows/availability.js";
import type { ClosedDate, OpeningHours } from "../../flows/flow-spec.js";
import { addDays } from "../core/report-range.js";

/** The weekdays as the hours write them, in ISO order (Monday first), and as RRULE's BYDAY does. */
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const BYDAY: Record<(typeof WEEKDAYS)[number], string> = { mon: "MO", tue: "TU", wed: "WE", thu: "TH", fri: "FR", sat: "SA", sun: "SU" };
/** Closed dates are excluded, and the zone's changes written, this many years after today's. */
const YEARS_AHEAD = 2;

/** What the feed shows: a zone, weekly ranges and closed dates (an Availability's hours part). */
export interface WeeklyHours {
  readonly timezone: string;
  readonly hours: ReadonlyArray<typeof OpeningHours.Type>;
  readonly closedDates: ReadonlyArray<ClosedDate>;
}

/** ISO weekday of a date, mon…sun. Pure. */
const weekdayOf = (date: string): (typeof WEEKDAYS)[number] => WEEKDAYS[(new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7]!;

/** The local wall time `date` at `time` ("24:00" is the next day's midnight) as a floating ICAL.Time. Pure. */
const wallTime = (date: string, time: string): ICAL.Time => {
  const [hour, minute] = time.split(":").map(Number) as [number, number];
  const day = hour === 24 ? addDays(date, 1) : date;
  const [year, month, dayOfMonth] = day.split("-").map(Number) as [number, number, number];
  return ICAL.Time.fromData({ year, month, day: dayOfMonth, hour: hour % 24, minute, second: 0, isDate: false });
};

/** A property on `component` with a wall time on `timezone`'s clock (TZID). */
const zoned = (component: ICAL.Component, name: string, time: ICAL.Time, timezone: string) => {
  const property = new ICAL.Property(name, component);
  property.setValue(time);
  property.setParameter("tzid", timezone);
  component.addProperty(property);
  return property;
};

/** Where a range of `date` ends: the same day, or the next when it crosses midnight. Pure. */
const rangeEnd = (date: string, range: { readonly from: string; readonly to: string }) => (range.to <= range.from && range.to !== "24:00" ? wallTime(addDays(date, 1), range.to) : wallTime(date, range.to));

type OffsetChange = { readonly at: number; readonly before: number; readonly after: number };
/** Changes already found, by zone and span: finding them reads the zone's offset ~3,000 times (~15 ms), a feed is fetched again and again. */
const knownChanges = new Map<string, ReadonlyArray<OffsetChange>>();

/** The zone's offset changes between two instants, found to the minute (remembered). Pure apart from reading time-zone data. */
const offsetChanges = (timezone: string, from: number, to: number): ReadonlyArray<OffsetChange> => {
  const key = `${timezone}|${from}|${to}`;
  const known = knownChanges.get(key);
  if (known !== undefined) return known;
  const changes: OffsetChange[] = [];
  const DAY = 86_400_000;
  for (let t = from; t < to; t += DAY) {
    const before = offsetAt(timezone, t);
    const after = offsetAt(timezone, t + DAY);
    if (before === after) continue;
    let lo = t;
    let hi = t + DAY;
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
      if (offsetAt(timezone, mid) === before) lo = mid;
      else hi = mid;
    }
    changes.push({ at: hi, before, after });
  }
  // A few zones at most are asked for; the bound is against a caller cycling through every zone.
  if (knownChanges.size >= 64) knownChanges.clear();
  knownChanges.set(key, changes);
  return changes;
};

/** A floating ICAL.Time of an instant on a fixed offset's clock. Pure. */
const onOffset = (instant: number, offset: number): ICAL.Time => {
  const d = new Date(instant + offset);
  return ICAL.Time.fromData({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: 0, isDate: false });
};

/**
 * The zone's VTIMEZONE for `firstYear` to `lastYear`: one observance from the start of the span,
 * then one per change (DAYLIGHT when the clock goes forward, STANDARD when it goes back), each
 * with its onset as the local time before it. Pure apart from reading time-zone data.
 */
export const vtimezone = (timezone: string, firstYear: number, lastYear: number): ICAL.Component => {
  const zone = new ICAL.Component("vtimezone");
  zone.updatePropertyWithValue("tzid", timezone);
  const start = Date.UTC(firstYear, 0, 1);
  const observance = (kind: "standard" | "daylight", onset: ICAL.Time, before: number, after: number) => {
    const o = new ICAL.Component(kind);
    o.updatePropertyWithValue("dtstart", onset);
    o.updatePropertyWithValue("tzoffsetfrom", ICAL.UtcOffset.fromSeconds(before / 1000));
    o.updatePropertyWithValue("tzoffsetto", ICAL.UtcOffset.fromSeconds(after / 1000));
    zone.addSubcomponent(o);
  };
  const initial = offsetAt(timezone, start);
  const changes = offsetChanges(timezone, start, Date.UTC(lastYear + 1, 0, 1));
  // The span's first offset: daylight when the zone's next change goes back from it.
  observance(changes[0] !== undefined && changes[0].after < initial ? "daylight" : "standard", onOffset(start, initial), initial, initial);
  for (const change of changes) observance(change.after > change.before ? "daylight" : "standard", onOffset(change.at, change.before), change.before, change.after);
  return zone;
};

/**
 * Weekly hours as a calendar: one weekly event per range from its first day on or after `today`
 * (YYYY-MM-DD, the zone's), the days closed dates close excluded (yearly ones for the years up to
 * two ahead), a special day's hours as single events; no hours, no events (an empty calendar).
 * `stamp` is DTSTAMP (epoch ms); `scope` keeps UIDs apart between the workspace's and teams' feeds. Pure.
 */
export const weeklyHoursCalendar = (
  weekly: WeeklyHours | null,
  options: { readonly name: string; readonly eventName: string; readonly scope: string; readonly stamp: number; readonly today: string },
): string => {
  const calendar = new ICAL.Component(["vcalendar", [], []]);
  calendar.updatePropertyWithValue("prodid", "-//Parley//Opening hours//EN");
  calendar.updatePropertyWithValue("version", "2.0");
  calendar.updatePropertyWithValue("calscale", "GREGORIAN");
  calendar.updatePropertyWithValue("method", "PUBLISH");
  calendar.updatePropertyWithValue("x-wr-calname", options.name);
  if (weekly === null || weekly.hours.length === 0) return `${calendar.toString()}\r\n`;
  const { timezone } = weekly;
  const year = Number(options.today.slice(0, 4));
  calendar.updatePropertyWithValue("x-wr-timezone", timezone);
  calendar.addSubcomponent(vtimezone(timezone, year - 1, year + YEARS_AHEAD));
  const stamp = ICAL.Time.fromJSDate(new Date(options.stamp), true);
  const horizon = `${year + YEARS_AHEAD}-12-31`;

  // The days the weekly hours do not apply: each closed date from today on (yearly ones each year).
  const exceptions = weekly.closedDates.flatMap((c) =>
    (c.yearly ? Array.from({ length: YEARS_AHEAD + 1 }, (_, i) => `${year + i}${c.date.slice(4)}`) : [c.date])
      .filter((date) => date >= options.today && date <= horizon)
      .map((date) => ({ date, closed: c })),
  );

  const event = (uid: string, start: ICAL.Time, end: ICAL.Time, summary: string) => {
    const e = new ICAL.Component("vevent");
    e.updatePropertyWithValue("uid", uid);
    e.updatePropertyWithValue("dtstamp", stamp);
    zoned(e, "dtstart", start, timezone);
    zoned(e, "dtend", end, timezone);
    e.updatePropertyWithValue("summary", summary);
    e.updatePropertyWithValue("transp", "TRANSPARENT");
    calendar.addSubcomponent(e);
    return e;
  };

  for (const range of weekly.hours) {
    let first = options.today;
    while (weekdayOf(first) !== range.day) first = addDays(first, 1);
    const e = event(`hours-${options.scope}-${range.day}-${range.from}-${range.to}@parley`, wallTime(first, range.from), rangeEnd(first, range), options.eventName);
    e.updatePropertyWithValue("rrule", ICAL.Recur.fromString(`FREQ=WEEKLY;BYDAY=${BYDAY[range.day]}`));
    for (const { date } of exceptions) if (weekdayOf(date) === range.day) zoned(e, "exdate", wallTime(date, range.from), timezone);
  }
  for (const { date, closed } of exceptions) {
    for (const [i, range] of (closed.hours ?? []).entries()) {
      event(`special-${options.scope}-${date}-${i}@parley`, wallTime(date, range.from), rangeEnd(date, range), `${options.eventName}${closed.name ? ` (${closed.name})` : ""}`);
    }
  }
  return `${calendar.toString()}\r\n`;
};
