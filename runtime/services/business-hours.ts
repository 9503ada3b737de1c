/**
 * The workspace's time zone and weekly business hours as stored in `settings` (an admin sets
 * them on the Reports page): read by Reports for business-hours figures and by the inbox for
 * response targets that count business hours. Reads only; Reports writes them.
 */
import { Option, Schema as S } from "effect";
import { isValidTimezone } from "../../flows/availability.js";
import { OpeningHours } from "../../flows/flow-spec.js";
import type { BusinessHours } from "../core/business-time.js";
import type { DatabaseShape } from "./database.js";

/** The settings row that holds the workspace's IANA time zone. */
export const TIMEZONE_SETTING = "timezone";
export const DEFAULT_TIMEZONE = "UTC";
/** The settings row that holds the workspace's weekly business hours (JSON: OpeningHours[]), read in the workspace time zone. */
export const BUSINESS_HOURS_SETTING = "business_hours";

/** Weekly business hours as an admin sends them: at most 50 ranges, HH:MM times (24:00 may end a day). */
export const BusinessHoursInput = S.Array(OpeningHours).pipe(S.maxItems(50, { message: () => "at most 50 ranges" }));
const readStoredHours = S.decodeUnknownOption(S.parseJson(BusinessHoursInput));

/** The workspace's IANA time zone (UTC when unset or no longer valid). */
export const readTimezone = (prepare: DatabaseShape["prepare"]): string => {
  const row = prepare("SELECT value FROM settings WHERE key = ?").get(TIMEZONE_SETTING) as { value: string } | undefined;
  return row && isValidTimezone(row.value) ? row.value : DEFAULT_TIMEZONE;
};

/** The stored weekly hours in the workspace zone; none when unset or unreadable. */
export const readBusinessHours = (prepare: DatabaseShape["prepare"]): BusinessHours => {
  const row = prepare("SELECT value FROM settings WHERE key = ?").get(BUSINESS_HOURS_SETTING) as { value: string } | undefined;
  const hours = row === undefined ? [] : Option.getOrElse(readStoredHours(row.value), () => []);
  return { timezone: readTimezone(prepare), hours };
};
