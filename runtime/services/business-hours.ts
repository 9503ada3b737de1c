/**
 * The workspace's time zone, weekly business hours and closed dates (holidays) as stored in
 * `settings` (an admin sets them on the Reports page): read by Reports for business-hours
 * figures, by the inbox for response targets that count business hours, and by automation for
 * business-day waits. Reads only; Reports writes them through runtime/services/calendar-history.ts,
 * which keeps their history (decision 058).
 */
import { Option, Schema as S } from "effect";
import { isValidTimezone } from "../../flows/availability.js";
import { ClosedDates, OpeningHours, type ClosedDate } from "../../flows/flow-spec.js";
import type { BusinessHours } from "../core/business-time.js";
import type { DatabaseShape } from "./database.js";

/** The settings row that holds the workspace's IANA time zone. */
export const TIMEZONE_SETTING = "timezone";
export const DEFAULT_TIMEZONE = "UTC";
/** The settings row that holds the workspace's weekly business hours (JSON: OpeningHours[]), read in the workspace time zone. */
export const BUSINESS_HOURS_SETTING = "business_hours";

/** The settings row that holds the workspace's closed dates (JSON: ClosedDate[]), read in the workspace time zone. */
export const CLOSED_DATES_SETTING = "closed_dates";

/** Weekly business hours as an admin sends them: at most 50 ranges, HH:MM times (24:00 may end a day). */
export const BusinessHoursInput = S.Array(OpeningHours).pipe(S.maxItems(50, { message: () => "at most 50 ranges" }));
/**
 * A stored value decoded once per text (unreadable: `fallback`), at most `keep` texts kept: a
 * handoff reads every team's hours and the workspace's (the engine's availability, then routing),
 * and so does every widget config; a Schema decode costs tens of µs where a lookup costs well
 * under one. The values are read-only and shared.
 */
export const keptByText = <A>(decode: (text: string) => Option.Option<A>, fallback: A, keep = 64): ((text: string) => A) => {
  const kept = new Map<string, A>();
  return (text) => {
    let value = kept.get(text);
    if (value === undefined) {
      value = Option.getOrElse(decode(text), () => fallback);
      if (kept.size >= keep) kept.clear();
      kept.set(text, value);
    }
    return value;
  };
};
const readStoredHours = keptByText(S.decodeUnknownOption(S.parseJson(BusinessHoursInput)), []);
const readStoredClosed = keptByText(S.decodeUnknownOption(S.parseJson(ClosedDates)), []);

/** The workspace's IANA time zone (UTC when unset or no longer valid). */
export const readTimezone = (prepare: DatabaseShape["prepare"]): string => {
  const row = prepare("SELECT value FROM settings WHERE key = ?").get(TIMEZONE_SETTING) as { value: string } | undefined;
  return row && isValidTimezone(row.value) ? row.value : DEFAULT_TIMEZONE;
};

/** The stored weekly hours and closed dates in the workspace zone; none when unset or unreadable. */
export const readBusinessHours = (prepare: DatabaseShape["prepare"]): BusinessHours => {
  const rows = prepare("SELECT key, value FROM settings WHERE key IN (?, ?, ?)").all(TIMEZONE_SETTING, BUSINESS_HOURS_SETTING, CLOSED_DATES_SETTING) as Array<{
    key: string;
    value: string;
  }>;
  const value = (key: string) => rows.find((r) => r.key === key)?.value;
  return storedBusinessHours(value(TIMEZONE_SETTING), value(BUSINESS_HOURS_SETTING), value(CLOSED_DATES_SETTING));
};

/** The calendar of the three stored values (undefined or null: unset); unset or unreadable ones read as UTC, no hours, no closed dates. Pure. */
export const storedBusinessHours = (zone: string | null | undefined, hours: string | null | undefined, closed: string | null | undefined): BusinessHours => ({
  timezone: typeof zone === "string" && isValidTimezone(zone) ? zone : DEFAULT_TIMEZONE,
  hours: typeof hours === "string" ? readStoredHours(hours) : [],
  closed: typeof closed === "string" ? readStoredClosed(closed) : [],
});

/** The stored closed dates, in date order; none when unset or unreadable. */
export const readClosedDates = (prepare: DatabaseShape["prepare"]): ReadonlyArray<ClosedDate> => {
  const row = prepare("SELECT value FROM settings WHERE key = ?").get(CLOSED_DATES_SETTING) as { value: string } | undefined;
  return row === undefined ? [] : readStoredClosed(row.value);
};
