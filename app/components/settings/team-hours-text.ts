/**
 * A team's hours in one line for the Teams list: "Open now · Mon–Fri 09:00–17:00 Europe/Berlin",
 * "Closed for Christmas Day · opens Fri 25 December at 09:00", "No hours"; and what of a queue
 * waits for closed teams. Pure; safe on the client.
 */
import type { Availability } from "../../../flows/flow-spec.js";
import type { TeamHoursSummary } from "../../../flows/team-hours-summary.js";
import type { TeamHours } from "../../../flows/team-hours.js";
import { formatOpening } from "../../../flows/availability.js";
import { formatHours } from "../reports/format.js";

/** The list's line for a team with `hours`, read as `schedule` (null: never closed by hours) and summarised as `summary`. Pure. */
export const teamHoursLine = (team: {
  readonly hours: Pick<TeamHours, "source">;
  readonly schedule: Pick<Availability, "timezone" | "hours"> | null;
  readonly hoursSummary: Pick<TeamHoursSummary, "open" | "text">;
}): string => {
  const { hours, schedule, hoursSummary } = team;
  if (schedule === null) return hours.source === "workspace" ? "No hours (the workspace has none set)" : "No hours";
  const whose = hours.source === "workspace" ? " (the workspace's)" : "";
  return hoursSummary.open ? `Open now · ${formatHours(schedule.hours)} ${schedule.timezone}${whose}` : `${hoursSummary.text}${whose}`;
};

/**
 * Which of an inbox's queued conversations wait for a team closed by its hours, and until when
 * on the team's clock: "2 for Sales, closed until Mon 30 November at 09:00 (Europe/Berlin)",
 * teams joined with "; " in the order given (the soonest opening first); "" when none. Pure.
 */
export const closedQueueText = (
  closedTeams: ReadonlyArray<{ readonly name: string; readonly queued: number; readonly opensAt: number | null; readonly timezone: string }>,
): string =>
  closedTeams
    .map((t) =>
      t.opensAt === null
        ? `${t.queued} for ${t.name}, whose hours never open`
        : `${t.queued} for ${t.name}, closed until ${formatOpening(t.timezone, t.opensAt)} (${t.timezone})`,
    )
    .join("; ");
