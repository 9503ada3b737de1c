/**
 * Teams' hours as stored (`teams.hours`, migration 48; decision 048): read by the engine (the
 * bot's "team available" branch, handoffs to a team), routing (a team's pool takes conversations
 * only while the team is open), response targets and the widget. Reads only; Workspace writes.
 */
import { Option, Schema as S } from "effect";
import { isAvailable, nextOpening } from "../../flows/availability.js";
import type { Availability } from "../../flows/flow-spec.js";
import { NO_TEAM_HOURS, TeamHours, teamAvailability } from "../../flows/team-hours.js";
import { readBusinessHours } from "./business-hours.js";
import type { DatabaseShape } from "./database.js";

const readStored = S.decodeUnknownOption(S.parseJson(TeamHours));
/** `teams.hours` as written (JSON, or NULL for none). */
export const encodeTeamHours = (hours: TeamHours): string | null => (hours.source === "none" ? null : JSON.stringify(S.encodeSync(TeamHours)(hours)));

/**
 * Stored values already decoded, by their text: a handoff reads every team's hours (the engine's
 * availability, then routing), and decoding one through the Schema costs ~20 µs, ~0.05 µs from
 * here. Decoded hours are immutable; a few hundred texts at most are kept.
 */
const decoded = new Map<string, TeamHours>();
const DECODED_KEPT = 256;

/** A stored `teams.hours` value: none when NULL or unreadable. */
export const decodeTeamHours = (value: string | null | undefined): TeamHours => {
  if (value === null || value === undefined) return NO_TEAM_HOURS;
  const known = decoded.get(value);
  if (known !== undefined) return known;
  const hours = Option.getOrElse(readStored(value), () => NO_TEAM_HOURS);
  if (decoded.size >= DECODED_KEPT) decoded.clear();
  decoded.set(value, hours);
  return hours;
};

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

/**
 * Which of `teamIds` their hours have closed at `now`, by id (an open team, one without hours or
 * an unknown id is absent): one read of those teams, and of the workspace's calendar at most once,
 * whatever their number — for a list page, not per row.
 */
export const closedTeamsAt = (prepare: DatabaseShape["prepare"], teamIds: ReadonlyArray<string>, now: number): Record<string, TeamClosed> => {
  const closed: Record<string, TeamClosed> = {};
  if (teamIds.length === 0) return closed;
  let workspace: ReturnType<typeof readBusinessHours> | undefined;
  const rows = prepare("SELECT id, hours FROM teams WHERE hours IS NOT NULL AND id IN (SELECT value FROM json_each(?))").all(JSON.stringify(teamIds)) as Array<{
    id: string;
    hours: string;
  }>;
  for (const row of rows) {
    const hours = decodeTeamHours(row.hours);
    const shut = closedOn(hours.source === "none" ? null : teamAvailability(hours, (workspace ??= readBusinessHours(prepare))), now);
    if (shut !== null) closed[row.id] = shut;
  }
  return closed;
};

/** Whether the team's hours have it closed at `now` (null: open, it keeps no hours, or there is no such team). */
export const teamClosedAt = (prepare: DatabaseShape["prepare"], teamId: string, now: number): TeamClosed | null =>
  closedByHours(prepare, readTeamHours(prepare, teamId), now);
