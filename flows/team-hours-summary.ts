/**
 * A team's hours as people read them (decision 048): open now or not, when the team next opens,
 * the closed date that closes it. What Settings → Teams and the REST API show. Pure.
 */
import { awayAt, formatOpening } from "./availability.js";
import type { Availability } from "./flow-spec.js";
import type { TeamHours } from "./team-hours.js";

export interface TeamHoursSummary {
  /** Whether the team's hours have it open at the instant asked (true when they never close it). */
  readonly open: boolean;
  /** When it next opens, while closed; null while open or when its hours never open. */
  readonly opensAt: number | null;
  /** The closed date that closes it now: its name, or its date when it has none. */
  readonly closedFor: string | null;
  /** One line: "Open now", "Closed for Christmas Day · opens Mon 28 December at 09:00", "No hours: members' presence decides". */
  readonly text: string;
}

export const NO_HOURS_TEXT = "No hours: members' presence decides";

/**
 * `hours` read through `schedule` (teamAvailability's answer for them) at `now`. A team whose
 * hours never close it is open; "workspace" while the workspace keeps no weekly hours says so. Pure.
 */
export const summarizeTeamHours = (hours: TeamHours, schedule: Availability | null, now: number): TeamHoursSummary => {
  if (schedule === null) {
    const text = hours.source === "workspace" ? "No hours: the workspace has no business hours, so members' presence decides" : NO_HOURS_TEXT;
    return { open: true, opensAt: null, closedFor: null, text };
  }
  const away = awayAt(schedule, now);
  if (away === null) return { open: true, opensAt: null, closedFor: null, text: "Open now" };
  const closedFor = away.closed === undefined ? null : away.closed.name ?? away.closed.date;
  const opens = away.opensAt === null ? "never opens: no hours in the week" : `opens ${formatOpening(schedule.timezone, away.opensAt)}`;
  return { open: false, opensAt: away.opensAt, closedFor, text: `${closedFor === null ? "Closed" : `Closed for ${closedFor}`} · ${opens}` };
};
