/**
 * Closed dates from and to iCalendar (RFC 5545, decision 052). Reading is pure
 * (`readCalendar`): a calendar's whole-day events become closed dates named by their SUMMARY —
 * a multi-day event each of its days (DTEND exclusive), a plain yearly one a `yearly` date, other
 * recurrences expanded from today to two years ahead — and what is left out is said with a
 * reason (timed events, cancelled ones, days the calendar names twice); events wholly in the past
 * are only counted. Writing is pure too (`closedDatesCalendar`). The `CalendarImport` service
 * adds the one impure part: fetching a calendar URL through the webhook client's guard (its
 * deadline, size cap and same-host redirects), and today's date on the workspace's clock.
 * ical.js does the RFC's work (line folding, escapes, time zones, recurrence rules).
 */
import ICAL from "ical.js";
import { Clock, Context, Data, Effect, Either, Layer, Schema as S } from "effect";
import { sameClosedDay } from "../../flows/availability.js";
import { ClosedDate as ClosedDateSchema, ClosedDates, MAX_CLOSED_DATES, type ClosedDate } from "../../flows/flow-spec.js";
import { addDays, localDay } from "../core/report-range.js";
import { readClosedDates, readTimezone } from "./business-hours.js";
import { Database } from "./database.js";
import { InvalidInput, PayloadTooLarge } from "./errors.js";
import { WebhookClient } from "./webhook-client.js";

/** The largest calendar read, as text or fetched (1 MB: a busy work calendar's year or two). */
export const MAX_CALENDAR_BYTES = 1024 * 1024;
/** Recurrences other than plain yearly ones are expanded from today to this many days ahead. */
export const CALENDAR_HORIZON_DAYS = 2 * 366;
/** Occurrences walked per recurring event before giving up on it (a daily rule begun in 1990 has ~13,000 by now). */
const MAX_OCCURRENCES = 50_000;
/** Deadline for fetching a calendar URL: connection, redirects and body. */
export const CALENDAR_FETCH_TIMEOUT_MS = 10_000;
/** A special day's hours (decision 051) in an exported event, so that our own file reads back the same. */
const HOURS_PROPERTY = "x-parley-hours";
/** The exact name of an exported date whose SUMMARY says more (its hours) or stands in for no name. */
const NAME_PROPERTY = "x-parley-name";

export type CalendarFailure = "not_calendar" | "no_events" | "too_large" | "too_many_dates" | "fetch_failed";

/** A calendar that cannot be read as closed dates; `message` says why in a person's words. */
export class CalendarUnreadable extends Data.TaggedError("CalendarUnreadable")<{
  readonly reason: CalendarFailure;
  readonly message: string;
}> {}

/** Something in the calendar that is not added, and why: on a day (`date`) or an event as a whole (`summary`). */
export interface CalendarSkip {
  readonly date?: string;
  readonly summary?: string;
  readonly reason: string;
}

/** What a calendar holds as closed dates (in date order, yearly ones last), and what it leaves out. */
export interface CalendarDates {
  readonly dates: ReadonlyArray<ClosedDate>;
  readonly skipped: ReadonlyArray<CalendarSkip>;
  /** Events whose days all lie before today (not listed: a work calendar has thousands). */
  readonly pastEvents: number;
}

const unreadable = (reason: CalendarFailure, message: string) => new CalendarUnreadable({ reason, message });
const isClosedDate = S.is(ClosedDateSchema);

/** Once dates in date order, then yearly ones by month and day (the order the lists keep). Pure. */
export const sortClosedDates = (list: ReadonlyArray<ClosedDate>): ReadonlyArray<ClosedDate> =>
  [...list].sort((a, b) => (a.yearly !== b.yearly ? (a.yearly ? 1 : -1) : (a.yearly ? a.date.slice(5) : a.date).localeCompare(b.yearly ? b.date.slice(5) : b.date)));

/** A calendar's closed dates to add (read by CalendarImport, or sent back from its preview), where they came from, and whether to store them. */
export const ClosedDatesImport = S.Struct({
  dates: ClosedDates,
  /** "file name.ics" or the URL: said in the audit line. */
  source: S.String.pipe(S.maxLength(2000, { message: () => "a source is at most 2000 characters" })),
  dryRun: S.optionalWith(S.Boolean, { default: () => false, exact: true }),
});

/** What importing a calendar's dates did, or would do on a dry run. */
export interface ClosedDatesImported {
  readonly dryRun: boolean;
  readonly added: ReadonlyArray<ClosedDate>;
  /** The calendar's days already closed in the list. */
  readonly skipped: ReadonlyArray<CalendarSkip>;
  /** The list after the import (as it would be, on a dry run). */
  readonly closedDates: ReadonlyArray<ClosedDate>;
}

/** `dates` split into those to add to `list` and those on days it already closes, and the refusal when the list would pass 200. Pure. */
export const mergeClosedDates = (list: ReadonlyArray<ClosedDate>, dates: ReadonlyArray<ClosedDate>) => {
  const added: ClosedDate[] = [];
  const skipped: CalendarSkip[] = [];
  for (const date of dates) {
    const clash = [...list, ...added].find((c) => sameClosedDay(c, date));
    if (clash === undefined) added.push(date);
    else skipped.push({ date: date.date, reason: `already closed${clash.name ? ` (${clash.name})` : ""}` });
  }
  const refused =
    list.length + added.length > MAX_CLOSED_DATES
      ? `These ${added.length} dates would make ${list.length + added.length} closed dates; at most ${MAX_CLOSED_DATES}: remove past ones first.`
      : undefined;
  return { added, skipped, refused };
};

const nameOf = (summary: unknown): string | undefined => {
  const name = typeof summary === "string" ? summary.trim().replace(/\s+/g, " ").slice(0, 100) : "";
  return name === "" ? undefined : name;
};

/** The calendar date of an ICAL.Time as written (its own wall clock). */
const dayOf = (time: ICAL.Time): string => time.toString().slice(0, 10);

const isMidnight = (time: ICAL.Time) => time.hour === 0 && time.minute === 0 && time.second === 0;

/**
 * The whole days an occurrence covers, DTEND exclusive (one day when it ends where it starts), or
 * null for a timed event. Outlook writes some all-day events as midnight-to-midnight with
 * X-MICROSOFT-CDO-ALLDAYEVENT:TRUE; those count as whole days too.
 */
const wholeDays = (component: ICAL.Component, start: ICAL.Time, end: ICAL.Time): ReadonlyArray<string> | null => {
  const outlookAllDay = String(component.getFirstPropertyValue("x-microsoft-cdo-alldayevent") ?? "").toUpperCase() === "TRUE";
  if (!start.isDate && !(outlookAllDay && isMidnight(start) && isMidnight(end))) return null;
  const first = dayOf(start);
  const last = dayOf(end) > first ? addDays(dayOf(end), -1) : first;
  const days: string[] = [];
  // A bound against a typo'd DTEND years away; more than the list may hold is refused anyway.
  for (let day = first; day <= last && days.length <= MAX_CLOSED_DATES * 2; day = addDays(day, 1)) days.push(day);
  return days;
};

const isCancelled = (component: ICAL.Component) => String(component.getFirstPropertyValue("status") ?? "").toUpperCase() === "CANCELLED";

/** A special day's hours written by our export ("09:00-13:00,14:00-16:00"), when valid. */
const hoursOf = (component: ICAL.Component): ClosedDate["hours"] | undefined => {
  const text = component.getFirstPropertyValue(HOURS_PROPERTY);
  if (typeof text !== "string" || text.trim() === "") return undefined;
  const hours = text.split(",").map((range) => {
    const [from = "", to = ""] = range.trim().split("-");
    return { from: from.trim(), to: to.trim() };
  });
  return isClosedDate({ date: "2000-01-01", yearly: false, hours }) ? hours : undefined;
};

/**
 * A yearly rule that repeats its first day for ever: every year, no end, no exceptions (`moved`:
 * the series has RECURRENCE-ID overrides; ical.js's own `Event.exceptions` is not read, as its
 * instances share that object).
 */
const plainYearly = (event: ICAL.Event, moved: boolean): boolean => {
  const component = event.component;
  const rules = component.getAllProperties("rrule");
  if (moved || rules.length !== 1 || component.hasProperty("rdate") || component.hasProperty("exdate")) return false;
  const rule = rules[0]!.getFirstValue() as ICAL.Recur;
  if (rule.freq !== "YEARLY" || (rule.interval ?? 1) !== 1 || rule.count || rule.until) return false;
  const start = event.startDate;
  const parts = rule.parts as Record<string, ReadonlyArray<number>>;
  return Object.entries(parts).every(
    ([part, values]) => (part === "BYMONTH" && values.length === 1 && values[0] === start.month) || (part === "BYMONTHDAY" && values.length === 1 && values[0] === start.day),
  );
};

/**
 * The closed dates in an iCalendar text, read on `today` (YYYY-MM-DD, the workspace's local
 * date): CalendarUnreadable when the text is over 1 MB, not a calendar, holds no events, or
 * more days than a list may hold (200). Pure.
 */
export const readCalendar = (text: string, today: string): Either.Either<CalendarDates, CalendarUnreadable> => {
  if (Buffer.byteLength(text, "utf8") > MAX_CALENDAR_BYTES) {
    return Either.left(unreadable("too_large", `the calendar is over ${MAX_CALENDAR_BYTES / (1024 * 1024)} MB, the most an import reads`));
  }
  const notCalendar = unreadable("not_calendar", "this is not an iCalendar (.ics) file: it must begin with BEGIN:VCALENDAR");
  let parsed: unknown;
  try {
    parsed = ICAL.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    const detail = error instanceof Error ? `: ${error.message.slice(0, 120)}` : "";
    return Either.left(text.trimStart().toUpperCase().startsWith("BEGIN:VCALENDAR") ? unreadable("not_calendar", `this calendar cannot be read${detail}`) : notCalendar);
  }
  const jcal = Array.isArray(parsed) && typeof parsed[0] === "string" ? parsed : Array.isArray(parsed) ? parsed.find((c) => Array.isArray(c) && c[0] === "vcalendar") : undefined;
  if (!Array.isArray(jcal) || jcal[0] !== "vcalendar") return Either.left(notCalendar);
  const calendar = new ICAL.Component(jcal);
  const components = calendar.getAllSubcomponents("vevent");
  if (components.length === 0) return Either.left(unreadable("no_events", "the calendar has no events"));

  // Moved or cancelled occurrences (RECURRENCE-ID) belong to their series.
  const series = new Map<string, ICAL.Event>();
  const events: ICAL.Event[] = [];
  for (const component of components) {
    if (component.hasProperty("recurrence-id")) continue;
    const event = new ICAL.Event(component);
    events.push(event);
    if (event.uid) series.set(event.uid, event);
  }
  const moved = new Set<ICAL.Event>();
  for (const component of components) {
    if (!component.hasProperty("recurrence-id")) continue;
    const master = series.get(String(component.getFirstPropertyValue("uid") ?? ""));
    if (master === undefined) {
      events.push(new ICAL.Event(component));
      continue;
    }
    master.relateException(component);
    moved.add(master);
  }

  const horizon = addDays(today, CALENDAR_HORIZON_DAYS);
  const dates: ClosedDate[] = [];
  const skipped: CalendarSkip[] = [];
  let pastEvents = 0;
  const add = (candidate: ClosedDate) => {
    const clash = dates.find((d) => sameClosedDay(d, candidate));
    if (clash !== undefined) {
      if (clash.name !== candidate.name) skipped.push({ date: candidate.date, reason: `the calendar names this day twice; kept “${clash.name ?? "unnamed"}”` });
      return;
    }
    if (isClosedDate(candidate)) dates.push(candidate);
  };
  const closedDate = (date: string, component: ICAL.Component, summary: unknown, yearly: boolean): ClosedDate => {
    const name = nameOf(component.hasProperty(NAME_PROPERTY) ? component.getFirstPropertyValue(NAME_PROPERTY) : summary);
    const hours = hoursOf(component);
    return { date, ...(name ? { name } : {}), yearly, ...(hours ? { hours } : {}) };
  };
  const timed = (summary: unknown, start: ICAL.Time): CalendarSkip => ({
    summary: nameOf(summary) ?? "(no title)",
    date: dayOf(start),
    reason: "a timed event: only whole-day events are closed dates",
  });

  for (const event of events) {
    const component = event.component;
    if (!component.hasProperty("dtstart")) {
      skipped.push({ summary: nameOf(event.summary) ?? "(no title)", reason: "no start date" });
      continue;
    }
    const start = event.startDate;
    if (isCancelled(component)) {
      if (dayOf(start) >= today || event.isRecurring()) skipped.push({ summary: nameOf(event.summary) ?? "(no title)", date: dayOf(start), reason: "cancelled" });
      else pastEvents++;
      continue;
    }
    if (!event.isRecurring()) {
      const days = wholeDays(component, start, event.endDate);
      if (days === null) {
        if (dayOf(start) >= today) skipped.push(timed(event.summary, start));
        else pastEvents++;
        continue;
      }
      const ahead = days.filter((d) => d >= today);
      if (ahead.length === 0) pastEvents++;
      for (const day of ahead) add(closedDate(day, component, event.summary, false));
      continue;
    }
    const firstDays = wholeDays(component, start, event.endDate);
    if (firstDays === null) {
      skipped.push(timed(event.summary, start));
      continue;
    }
    if (plainYearly(event, moved.has(event))) {
      for (const day of firstDays) add(closedDate(day, component, event.summary, true));
      continue;
    }
    const iterator = event.iterator();
    let found = 0;
    let walked = 0;
    let ended = true;
    for (let next = iterator.next(); next; next = iterator.next()) {
      if (dayOf(next) > horizon || dates.length > MAX_CLOSED_DATES) {
        ended = false;
        break;
      }
      if (++walked > MAX_OCCURRENCES) {
        skipped.push({ summary: nameOf(event.summary) ?? "(no title)", reason: "it repeats too often to read" });
        found = -1;
        break;
      }
      const details = event.getOccurrenceDetails(next);
      const item = details.item.component;
      if (isCancelled(item)) continue;
      const days = wholeDays(item, details.startDate, details.endDate);
      if (days === null) {
        if (dayOf(details.startDate) >= today) skipped.push(timed(details.item.summary, details.startDate));
        continue;
      }
      for (const day of days) {
        if (day < today || day > horizon) continue;
        found++;
        add(closedDate(day, item, details.item.summary, false));
      }
    }
    if (found === 0 && ended) pastEvents++;
    else if (found === 0) skipped.push({ summary: nameOf(event.summary) ?? "(no title)", reason: "it recurs, but not from today to two years ahead" });
  }
  if (dates.length > MAX_CLOSED_DATES) {
    return Either.left(
      unreadable("too_many_dates", `the calendar has more than ${MAX_CLOSED_DATES} whole days from today to two years ahead; a list holds at most ${MAX_CLOSED_DATES} closed dates`),
    );
  }
  return Either.right({ dates: sortClosedDates(dates), skipped, pastEvents });
};

/**
 * A closed-dates list as an iCalendar file (CRLF, folded at 75 octets): one all-day event per
 * date, yearly ones with RRULE:FREQ=YEARLY, a special day's hours kept in X-PARLEY-HOURS (and
 * said in its SUMMARY) so that the file reads back as the same list. `stamp` is DTSTAMP (epoch
 * ms). Pure.
 */
export const closedDatesCalendar = (list: ReadonlyArray<ClosedDate>, options: { readonly name: string; readonly stamp: number }): string => {
  const calendar = new ICAL.Component(["vcalendar", [], []]);
  calendar.updatePropertyWithValue("prodid", "-//Parley//Closed dates//EN");
  calendar.updatePropertyWithValue("version", "2.0");
  calendar.updatePropertyWithValue("calscale", "GREGORIAN");
  calendar.updatePropertyWithValue("method", "PUBLISH");
  calendar.updatePropertyWithValue("x-wr-calname", options.name);
  const stamp = ICAL.Time.fromJSDate(new Date(options.stamp), true);
  for (const closed of list) {
    const event = new ICAL.Component("vevent");
    event.updatePropertyWithValue("uid", `closed-${closed.date}${closed.yearly ? "-yearly" : ""}@parley`);
    event.updatePropertyWithValue("dtstamp", stamp);
    event.updatePropertyWithValue("dtstart", ICAL.Time.fromDateString(closed.date));
    event.updatePropertyWithValue("dtend", ICAL.Time.fromDateString(addDays(closed.date, 1)));
    if (closed.yearly) event.updatePropertyWithValue("rrule", new ICAL.Recur({ freq: "YEARLY" }));
    const hours = closed.hours?.map((h) => `${h.from}-${h.to}`).join(",");
    const name = closed.name ?? "Closed";
    event.updatePropertyWithValue("summary", hours ? `${name} (open ${hours.replaceAll("-", "–").replaceAll(",", ", ")})` : name);
    if (hours) event.updatePropertyWithValue(HOURS_PROPERTY, hours);
    // The SUMMARY says more than the name (or stands in for none): the name as it is, for reading back.
    if (hours || closed.name === undefined) event.updatePropertyWithValue(NAME_PROPERTY, closed.name ?? "");
    // Free, not busy: subscribers' own meetings are not blocked by the team's holidays.
    event.updatePropertyWithValue("transp", "TRANSPARENT");
    calendar.addSubcomponent(event);
  }
  return `${calendar.toString()}\r\n`;
};

// ---------------------------------------------------------------------------------------------
// The service: text or URL in, closed dates out (nothing stored)

/** Where a calendar comes from: its text (an upload, a JSON body) or a URL to fetch. */
export type CalendarSource = { readonly ics: string } | { readonly url: string };

export interface CalendarImportShape {
  /**
   * The closed dates in a calendar, read on the workspace's today. InvalidInput on `ics` or
   * `url` (the field the calendar came in) for a file that is no calendar, has no events or too
   * many days, a URL that is not http(s)/webcal, or a fetch that fails (status, timeout,
   * redirect to another host, over 1 MB); PayloadTooLarge for a text over 1 MB.
   */
  readonly read: (source: CalendarSource) => Effect.Effect<CalendarDates, InvalidInput | PayloadTooLarge>;
  /**
   * A calendar URL read again (a subscription's sync, decision 057): asked conditionally with the
   * validators of the last read (If-None-Match / If-Modified-Since), `notModified` on a 304; else
   * the closed dates and the response's validators. InvalidInput on `url` as for `read`.
   */
  readonly readUrl: (url: string, validators?: CalendarValidators) => Effect.Effect<CalendarRead, InvalidInput>;
  /** The workspace's closed dates as an iCalendar file (closedDatesCalendar), stamped now. */
  readonly workspaceCalendar: () => Effect.Effect<string>;
}

/** What a server said identifies the calendar it sent (ETag, Last-Modified), to ask again conditionally. */
export interface CalendarValidators {
  readonly etag?: string;
  readonly lastModified?: string;
}

/** A calendar URL read again: unchanged since the validators given, or its dates now. */
export type CalendarRead =
  | { readonly notModified: true }
  | { readonly notModified: false; readonly calendar: CalendarDates; readonly validators: CalendarValidators };

export class CalendarImport extends Context.Tag("CalendarImport")<CalendarImport, CalendarImportShape>() {}

/** webcal:// is how calendar apps write a subscribable https URL. Pure. */
export const calendarUrl = (text: string): string => text.trim().replace(/^webcals?:\/\//i, "https://");

const invalid = (path: string, message: string) => new InvalidInput({ issues: [{ path, message }] });

/** The service over the workspace's clock (Database) and the webhook client's guarded fetch. */
export const layer: Layer.Layer<CalendarImport, never, Database | WebhookClient> = Layer.effect(
  CalendarImport,
  Effect.gen(function* () {
    const db = yield* Database;
    const client = yield* WebhookClient;

    /** The URL's text, or null for a 304 to the validators sent. */
    const fetchText = (url: string, validators: CalendarValidators = {}) =>
      Effect.gen(function* () {
        const response = yield* client
          .call({
            method: "GET",
            url: calendarUrl(url),
            headers: [
              { name: "accept", value: "text/calendar, text/plain;q=0.5, */*;q=0.1" },
              { name: "user-agent", value: "Parley-Calendar/1.0" },
              ...(validators.etag !== undefined ? [{ name: "if-none-match", value: validators.etag }] : []),
              ...(validators.lastModified !== undefined ? [{ name: "if-modified-since", value: validators.lastModified }] : []),
            ],
            timeoutMs: CALENDAR_FETCH_TIMEOUT_MS,
            maxResponseBytes: MAX_CALENDAR_BYTES,
          })
          .pipe(Effect.mapError((failure) => invalid("url", `the calendar could not be fetched: ${failure.message}`)));
        if (response.status === 304 && (validators.etag !== undefined || validators.lastModified !== undefined)) return null;
        if (response.status < 200 || response.status > 299) {
          return yield* Effect.fail(invalid("url", `the calendar could not be fetched: the server answered ${response.status}`));
        }
        if (typeof response.body !== "string" || response.body === "") {
          return yield* Effect.fail(invalid("url", "this URL does not give an iCalendar (.ics) file"));
        }
        const next: CalendarValidators = {
          ...(response.etag !== undefined ? { etag: response.etag } : {}),
          ...(response.lastModified !== undefined ? { lastModified: response.lastModified } : {}),
        };
        return { text: response.body, validators: next };
      });

    const today = Effect.map(Clock.currentTimeMillis, (now) => localDay(readTimezone(db.prepare), now));

    const read: CalendarImportShape["read"] = Effect.fn("CalendarImport.read")(function* (source) {
      const path = "url" in source ? "url" : "ics";
      if ("ics" in source && Buffer.byteLength(source.ics, "utf8") > MAX_CALENDAR_BYTES) {
        return yield* Effect.fail(new PayloadTooLarge({ limitBytes: MAX_CALENDAR_BYTES }));
      }
      // Without validators the server has nothing to answer 304 to: a text always comes.
      const text = "url" in source ? (yield* fetchText(source.url))?.text ?? "" : source.ics;
      const dates = readCalendar(text, yield* today);
      if (Either.isLeft(dates)) return yield* Effect.fail(invalid(path, dates.left.message));
      return dates.right;
    });

    const readUrl: CalendarImportShape["readUrl"] = Effect.fn("CalendarImport.readUrl")(function* (url, validators) {
      const fetched = yield* fetchText(url, validators);
      if (fetched === null) return { notModified: true } as const;
      const dates = readCalendar(fetched.text, yield* today);
      if (Either.isLeft(dates)) return yield* Effect.fail(invalid("url", dates.left.message));
      return { notModified: false, calendar: dates.right, validators: fetched.validators } as const;
    });

    const workspaceCalendar: CalendarImportShape["workspaceCalendar"] = Effect.fn("CalendarImport.workspaceCalendar")(function* () {
      const stamp = yield* Clock.currentTimeMillis;
      return closedDatesCalendar(readClosedDates(db.prepare), { name: "Closed dates", stamp });
    });

    return { read, readUrl, workspaceCalendar };
  }),
);
