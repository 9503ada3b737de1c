/**
 * The snooze control's times: the presets on the agent's clock, and a date-time field read on
 * a time zone's clock. Pure; safe on the client (the presets are computed in the browser, in
 * its time zone, and posted as an absolute instant).
 */
import { isValidTimezone, zonedTimeToInstant } from "../../../flows/availability.js";
import { formatStamp } from "../reports/format.js";

export interface SnoozePreset {
  readonly id: "hour" | "tomorrow" | "monday";
  readonly label: string;
  /** Epoch ms. */
  readonly at: number;
}

/** The calendar date `instant` falls on in `timeZone`. Pure. */
const dateIn = (timeZone: string, instant: number): { year: number; month: number; day: number } => {
  const [year, month, day] = formatStamp(instant, timeZone).slice(0, 10).split("-").map(Number) as [number, number, number];
  return { year, month, day };
};

/** 09:00 on the day `days` after `instant`'s date in `timeZone`. Pure. */
const nineOClock = (timeZone: string, instant: number, days: number): number => {
  const { year, month, day } = dateIn(timeZone, instant);
  const date = new Date(Date.UTC(year, month - 1, day + days));
  return zonedTimeToInstant(timeZone, date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), 9 * 60);
};

/**
 * In 1 hour, tomorrow 09:00 and next Monday 09:00 (the Monday after today; a week on when today
 * is Monday), on `timeZone`'s clock (UTC when the zone is unknown). Pure.
 */
export const snoozePresets = (now: number, timeZone: string): ReadonlyArray<SnoozePreset> => {
  const zone = isValidTimezone(timeZone) ? timeZone : "UTC";
  const { year, month, day } = dateIn(zone, now);
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay(); // 0 = Sunday
  const toMonday = ((8 - weekday) % 7) || 7;
  return [
    { id: "hour", label: "In 1 hour", at: now + 3_600_000 },
    { id: "tomorrow", label: "Tomorrow 09:00", at: nineOClock(zone, now, 1) },
    { id: "monday", label: "Next Monday 09:00", at: nineOClock(zone, now, toMonday) },
  ];
};

/**
 * The instant a `datetime-local` value ("2026-11-27T09:00", seconds optional) names on
 * `timeZone`'s clock; null when it is not such a value or not a real date. Pure.
 */
export const instantOfLocal = (value: string, timeZone: string): number | null => {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?$/.exec(value.trim());
  if (!match || !isValidTimezone(timeZone)) return null;
  const [year, month, day, hour, minute] = match.slice(1, 6).map(Number) as [number, number, number, number, number];
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59) return null;
  return zonedTimeToInstant(timeZone, year, month, day, hour * 60 + minute);
};

/**
 * The time a snooze form posted: a preset's `until` (epoch ms, computed on the agent's clock by
 * the page), else the date-time field's `at` read on `timeZone`; with the field and message when
 * neither is usable. Empty values count as absent. Pure.
 */
export const snoozeTimeOf = (
  fields: { readonly until?: string | undefined; readonly at?: string | undefined },
  timeZone: string,
): { readonly ok: true; readonly until: number } | { readonly ok: false; readonly field: "until" | "at"; readonly message: string } => {
  const preset = fields.until?.trim() ?? "";
  const at = fields.at?.trim() ?? "";
  if (preset !== "") {
    if (!/^[1-9][0-9]{0,15}$/.test(preset)) return { ok: false, field: "until", message: "until: expected a time in epoch milliseconds" };
    return { ok: true, until: Number(preset) };
  }
  if (at === "") return { ok: false, field: "at", message: "at: pick a time to snooze until" };
  const instant = instantOfLocal(at, timeZone);
  if (instant === null) return { ok: false, field: "at", message: "at: enter a date and a time, like 2026-11-27T09:00" };
  return { ok: true, until: instant };
};

/** `instant` as a `datetime-local` value on `timeZone`'s clock, to the minute (the field's min). Pure. */
export const localValueOf = (instant: number, timeZone: string): string =>
  formatStamp(instant, isValidTimezone(timeZone) ? timeZone : "UTC").replace(" ", "T");

/** The browser's time zone; null where it cannot say (the server). */
export const browserTimeZone = (): string | null => {
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    return zone && isValidTimezone(zone) ? zone : null;
  } catch {
    return null;
  }
};
