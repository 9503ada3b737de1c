/**
 * A team's hours (decision 048): when the team takes conversations. `none` — no hours of its own,
 * the members' presence alone decides (how every team worked before); `workspace` — the
 * workspace's weekly hours, time zone and closed dates (Reports page), followed as they change;
 * `own` — the team's own time zone, weekly hours and closed dates (optionally also the
 * workspace's closed dates). Read as a chatflow's business-hours availability is, so the widget,
 * the bot's "team available" branch, routing and response targets agree on one calendar. Pure.
 */
import { Schema as S } from "effect";
import { isValidTimezone } from "./availability.js";
import { ClosedDates, OpeningHours, type Availability, type ClosedDate } from "./flow-spec.js";

export const MAX_TEAM_HOUR_RANGES = 50;

/** An IANA time zone this platform knows. */
export const Timezone = S.String.pipe(
  S.filter((zone) => isValidTimezone(zone), { message: () => "not a time zone: use a name like Europe/Berlin or America/New_York" }),
);

export const TeamHours = S.Union(
  S.Struct({ source: S.Literal("none") }),
  S.Struct({ source: S.Literal("workspace") }),
  S.Struct({
    source: S.Literal("own"),
    timezone: Timezone,
    hours: S.Array(OpeningHours).pipe(
      S.minItems(1, { message: () => "at least one range of hours" }),
      S.maxItems(MAX_TEAM_HOUR_RANGES, { message: () => `at most ${MAX_TEAM_HOUR_RANGES} ranges` }),
    ),
    closedDates: S.optionalWith(ClosedDates, { default: () => [] }),
    /** Also closed on the workspace's closed dates, read in the team's time zone. */
    workspaceClosedDates: S.optionalWith(S.Boolean, { default: () => false }),
  }),
);
export type TeamHours = typeof TeamHours.Type;

export const NO_TEAM_HOURS: TeamHours = { source: "none" };

/** The workspace's calendar as stored (runtime/services/business-hours.ts reads it). */
export interface WorkspaceCalendar {
  readonly timezone: string;
  readonly hours: ReadonlyArray<Availability["hours"][number]>;
  readonly closed?: ReadonlyArray<ClosedDate>;
}

/**
 * The team's hours as a business-hours availability, or null when they never close the team:
 * source `none`, or `workspace` while the workspace has no weekly hours. Pure.
 */
export const teamAvailability = (team: TeamHours, workspace: WorkspaceCalendar): Availability | null => {
  const base = { awayMessage: "", awayBehaviour: "away_message" as const, workspaceClosedDates: false };
  switch (team.source) {
    case "none":
      return null;
    case "workspace":
      return workspace.hours.length === 0
        ? null
        : { ...base, mode: "business_hours", timezone: workspace.timezone, hours: [...workspace.hours], closedDates: [...(workspace.closed ?? [])] };
    case "own":
      return {
        ...base,
        mode: "business_hours",
        timezone: team.timezone,
        hours: [...team.hours],
        closedDates: team.workspaceClosedDates ? [...team.closedDates, ...(workspace.closed ?? [])] : [...team.closedDates],
      };
  }
};
