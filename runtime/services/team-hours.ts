/**
 * Teams' hours as stored (`teams.hours`, migration 48; decision 048): read by the engine (the
 * bot's "team available" branch, handoffs to a team), routing (a team's pool takes conversations
 * only while the team is open), response targets and the widget. Reads only; Workspace writes.
 */
import { Schema as S } from "effect";
import { isAvailable, nextClosing, nextOpening } from "../../flows/availability.js";
import type { Availability } from "../../flows/flow-spec.js";
import { NO_TEAM_HOURS, TeamHours, teamAvailability } from "../../flows/team-hours.js";
import { keptByText, readBusinessHours } from "./business-hours.js";
import type { DatabaseShape } from "./database.js";

/** `teams.hours` as written (JSON, or NULL for none). */
export const encodeTeamHours = (hours: TeamHours): string | null => (hours.source === "none" ? null : JSON.stringify(S.encodeSync(TeamHours)(hours)));

// Decoded once per text (~20 µs through the Schema, ~0.05 µs kept); a few hundred teams' at most.
const readStored = keptByText<TeamHours>(S.decodeUnknownOption(S.parseJson(TeamHours)), NO_TEAM_HOURS, 256);

/** A stored `teams.hours` value: none when NULL or unreadable. */
export const decodeTeamHours = (value: string | null | undefined): TeamHours => (value === null || value === undefined ? NO_TEAM_HOURS : readStored(value));

/** The team's hours (none for an unknown team). */
export const readTeamHours = (prepare: DatabaseShape["prepare"], teamId: string): TeamHours => {
  const row = prepare("SELECT hours FROM teams WHERE id = ?").get(teamId) as { hours: string | null } | undefined;
  return decodeTeamHours(row?.hours);
};

/** The team's calendar as an availability (the workspace's read when the team follows it), or null when its hours never close it. */
export const readTeamSchedule = (prepare: DatabaseShape["prepare"], teamId: string): Availability | null => {
  const hours = readTeamHours(prepare, teamId);
  return hours.source === "none" ? null : teamAvailability(hours, readBusinessHours(prepare));
};

/** When the team next opens at or after `now`: `now` when open (or it keeps no hours), null when its hours never open. */
export const teamOpensAt = (prepare: DatabaseShape["prepare"], teamId: string, now: number): number | null => {
  const schedule = readTeamSchedule(prepare, teamId);
  return schedule === null ? now : nextOpening(schedule, now);
};

/** A team closed by its hours: when it opens again (null: its hours never open), and the clock its hours are kept on. */
export interface TeamClosed {
  readonly opensAt: number | null;
  readonly timezone: string;
}

/**
 * Whether hours already read have the team closed at `now` (null: open, or they keep none).
 * Reads the workspace's calendar only when they follow it.
 */
export const closedByHours = (prepare: DatabaseShape["prepare"], hours: TeamHours, now: number): TeamClosed | null =>
  closedOn(hours.source === "none" ? null : teamAvailability(hours, readBusinessHours(prepare)), now);

/** A schedule (null: never closed) closed at `now`: when it opens, on which clock; null while open. Pure. */
const closedOn = (schedule: Availability | null, now: number): TeamClosed | null =>
  schedule === null || isAvailable(schedule, now) ? null : { opensAt: nextOpening(schedule, now), timezone: schedule.timezone };

/** What own hours that keep none of the workspace's dates are read with: they never look at it. */
const NO_WORKSPACE_CALENDAR = { timezone: "UTC", hours: [], closed: [] } as const;

/** The teams of queued conversations by their hours at `now` (decision 048). */
export interface QueueTeams {
  /** The teams their hours have closed, by id: when each opens, on its clock. */
  readonly closed: Readonly<Record<string, TeamClosed>>;
  /**
   * The first instant after `now` at which one of them opens or closes by its hours: a page
   * showing them re-reads then (nothing else tells it). Null when none will within the look-ahead.
   */
  readonly changesAt: number | null;
}

/**
 * Where the teams stand, from their `teams.hours` as already read with the rows that name them
 * (null: no hours, never closed): which are closed, and when the first of them next opens or
 * closes. Reads the workspace's calendar at most once, only for a team that follows it; nothing
 * else — for a list page or a thread, not per row.
 */
export const queueTeamsAt = (
  prepare: DatabaseShape["prepare"],
  teams: ReadonlyArray<{ readonly id: string; readonly hours: string | null }>,
  now: number,
): QueueTeams => {
  const closed: Record<string, TeamClosed> = {};
  let changesAt: number | null = null;
  let workspace: ReturnType<typeof readBusinessHours> | undefined;
  const seen = new Set<string>();
  for (const team of teams) {
    if (team.hours === null || seen.has(team.id)) continue;
    seen.add(team.id);
    const hours = decodeTeamHours(team.hours);
    if (hours.source === "none") continue;
    // Own hours without the workspace's closed dates never look at its calendar.
    const usesWorkspace = hours.source === "workspace" || hours.workspaceClosedDates;
    const schedule = teamAvailability(hours, usesWorkspace ? (workspace ??= readBusinessHours(prepare)) : NO_WORKSPACE_CALENDAR);
    if (schedule === null) continue;
    const shut = closedOn(schedule, now);
    if (shut !== null) closed[team.id] = shut;
    const change = shut !== null ? shut.opensAt : nextClosing(schedule, now);
    if (change !== null && change > now && (changesAt === null || change < changesAt)) changesAt = change;
  }
  return { closed, changesAt };
};

/** Whether the team's hours have it closed at `now` (null: open, it keeps no hours, or there is no such team). */
export const teamClosedAt = (prepare: DatabaseShape["prepare"], teamId: string, now: number): TeamClosed | null =>
  closedByHours(prepare, readTeamHours(prepare, teamId), now);
