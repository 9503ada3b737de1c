/**
 * Which business hours a conversation's response targets count in (decision 048): its team's
 * when the team keeps hours (its own, or the workspace's it follows), else the workspace's — so an
 * EU team's conversation is not overdue because the workspace's (or the US team's) hours ran.
 * Read by the inbox's due tags, the Overdue and Due soon views, the escalation pass and the metrics
 * scrape — what judges now, in today's calendars. Recorded replies (the breaches list, the met
 * shares) are judged in the calendars of their day: runtime/services/calendar-history.ts
 * (decision 058). Reads only, each calendar once per reader: one reader serves a page or a pass.
 */
import { teamBusinessHours, type BusinessHours } from "../core/business-time.js";
import { owedResponse, type Owed, type ResponseTargets } from "../core/response-targets.js";
import { readBusinessHours } from "./business-hours.js";
import type { DatabaseShape } from "./database.js";
import { decodeTeamHours } from "./team-hours.js";

/** The hours a conversation's targets count in. */
export interface TargetHours {
  readonly hours: BusinessHours;
  /** The team whose own hours these are, by name; null when they are the workspace's (also when the team follows them). */
  readonly team: string | null;
}

/** The calendar of a conversation of `teamId` (null: no team). */
export type TargetHoursOf = (teamId: string | null) => TargetHours;

const NO_HOURS: BusinessHours = { timezone: "UTC", hours: [] };

/**
 * A reader of target calendars that reads the workspace's hours at most once and each team's at
 * most once (a team it asks about, not every team), whatever the number of rows it serves;
 * `workspaceRead`: the workspace's hours when the caller has read them already.
 */
export const targetHoursReader = (prepare: DatabaseShape["prepare"], workspaceRead?: BusinessHours): TargetHoursOf => {
  let workspace: TargetHours | undefined = workspaceRead === undefined ? undefined : { hours: workspaceRead, team: null };
  const workspaceHours = (): TargetHours => (workspace ??= { hours: readBusinessHours(prepare), team: null });
  const teams = new Map<string, TargetHours>();
  return (teamId) => {
    if (teamId === null) return workspaceHours();
    const known = teams.get(teamId);
    if (known !== undefined) return known;
    // A team deleted since (its id kept on a reply) keeps no hours: the workspace's count.
    const row = prepare("SELECT name, hours FROM teams WHERE id = ?").get(teamId) as { name: string; hours: string | null } | undefined;
    const team = decodeTeamHours(row?.hours);
    // Following the workspace's hours is counting in the workspace's calendar (the same object,
    // so the replies of such teams share one built calendar).
    const own = team.source === "own" ? teamBusinessHours(team, workspaceHours().hours) : null;
    const found: TargetHours = own === null ? workspaceHours() : { hours: own, team: row!.name };
    teams.set(teamId, found);
    return found;
  };
};

/**
 * What a waiting conversation owes under its inbox's targets (runtime/core/response-targets.ts
 * `owedResponse`), counting business hours in its team's calendar when the targets say so; the
 * team's name rides along when its own hours counted. Reads a calendar only when the targets
 * count business hours.
 */
export const owedInHours = (
  targets: ResponseTargets,
  conversation: { readonly waitingSince: number | null; readonly answered: boolean; readonly teamId: string | null },
  hoursOf: TargetHoursOf,
): Owed | null => {
  if (conversation.waitingSince === null) return null;
  if (!targets.businessHours) return owedResponse(targets, conversation, NO_HOURS);
  const calendar = hoursOf(conversation.teamId);
  const owed = owedResponse(targets, conversation, calendar.hours);
  return owed === null || calendar.team === null || calendar.hours.hours.length === 0 ? owed : { ...owed, teamHours: calendar.team };
};
