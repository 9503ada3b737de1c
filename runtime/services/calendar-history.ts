/**
 * The history of calendars (decision 058; migration 53): which time zone, weekly hours and closed
 * dates the workspace kept, and which hours each team kept, from when to when — so a March reply
 * is judged by March's hours, whatever the hours are in May.
 *
 * Writers: the only code that writes the workspace's calendar rows in `settings` and
 * `teams.hours`. Each stores the live value and records the calendar it makes as in force from
 * `at`, in the caller's write (one transaction). Reports (the Reports page, REST, the seed, closed
 * dates however they come) and Workspace (a team's hours and their imports) call them; a test in
 * calendar-history.test.ts fails when another file writes those rows.
 *
 * The history is the calendar as a function of time, not a log of edits (the audit log is that):
 * a change at `at` holds from `at` on, so a row recorded as taking effect later — only a clock set
 * back can leave one — is replaced. Writing the value already in force records nothing.
 *
 * Readers: `pastCalendars` — one per report, list or pass — judge recorded activity (the team
 * report's within-business-hours figures, the response targets' met shares and breaches). The
 * live rows keep the last word after the latest recorded change, so a value written around the
 * writers (a script, a test's fixture) still counts from then on. What judges now (due tags,
 * routing, the widget, escalation) reads the live rows alone: the same answer.
 */
import { NO_TEAM_HOURS, type TeamHours } from "../../flows/team-hours.js";
import {
  combineHistories,
  historyCalendar,
  keepsHours,
  teamBusinessHours,
  type BusinessCalendar,
  type BusinessHours,
  type HoursHistory,
  type Period,
} from "../core/business-time.js";
import type { BusinessBetween } from "../core/response-targets.js";
import { BUSINESS_HOURS_SETTING, CLOSED_DATES_SETTING, readBusinessHours, storedBusinessHours, TIMEZONE_SETTING } from "./business-hours.js";
import type { DatabaseShape, Sqlite } from "./database.js";
import { decodeTeamHours } from "./team-hours.js";

/** The `settings` keys of the workspace's calendar. */
export type CalendarSetting = typeof TIMEZONE_SETTING | typeof BUSINESS_HOURS_SETTING | typeof CLOSED_DATES_SETTING;

/**
 * Stores one of the workspace's calendar settings and records the calendar the three make as in
 * force from `at` (epoch ms). Call inside a write, with the instant the caller stamps it with.
 */
export const putWorkspaceCalendar = (s: Sqlite, at: number, key: CalendarSetting, value: string): void => {
  s.prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value);
  s.prepare("DELETE FROM workspace_calendar_history WHERE effective_at >= ?").run(at);
  s.prepare(
    `INSERT INTO workspace_calendar_history (effective_at, timezone, business_hours, closed_dates)
     SELECT ?, live.tz, live.bh, live.cd
       FROM (SELECT (SELECT value FROM settings WHERE key = ?) AS tz, (SELECT value FROM settings WHERE key = ?) AS bh,
                    (SELECT value FROM settings WHERE key = ?) AS cd) AS live
      WHERE NOT EXISTS (
        SELECT 1 FROM (SELECT timezone, business_hours, closed_dates FROM workspace_calendar_history ORDER BY effective_at DESC LIMIT 1) AS last
         WHERE last.timezone IS live.tz AND last.business_hours IS live.bh AND last.closed_dates IS live.cd)`,
  ).run(at, TIMEZONE_SETTING, BUSINESS_HOURS_SETTING, CLOSED_DATES_SETTING);
};

/**
 * Stores a team's hours (`stored`: as `encodeTeamHours` writes them, NULL for none) and records them
 * as in force from `at`. Call inside a write; the team must exist.
 */
export const putTeamHours = (s: Sqlite, at: number, teamId: string, stored: string | null): void => {
  s.prepare("UPDATE teams SET hours = ? WHERE id = ?").run(stored, teamId);
  s.prepare("DELETE FROM team_hours_history WHERE team_id = ? AND effective_at >= ?").run(teamId, at);
  // No row yet reads as none, so a team that keeps none records nothing.
  s.prepare(
    `INSERT INTO team_hours_history (team_id, effective_at, hours)
     SELECT ?, ?, ? WHERE (SELECT hours FROM team_hours_history WHERE team_id = ? ORDER BY effective_at DESC LIMIT 1) IS NOT ?`,
  ).run(teamId, at, stored, teamId, stored);
};

// ---------------------------------------------------------------------------------------------
// Readers

type Prepare = DatabaseShape["prepare"];

/** The row in force at `from`, then every change before `to`, in time order. */
const WORKSPACE_SPAN_SQL = `
SELECT effective_at, timezone, business_hours, closed_dates, (SELECT max(effective_at) FROM workspace_calendar_history) AS latest FROM (
  SELECT * FROM (SELECT effective_at, timezone, business_hours, closed_dates FROM workspace_calendar_history WHERE effective_at <= ? ORDER BY effective_at DESC LIMIT 1)
  UNION ALL
  SELECT effective_at, timezone, business_hours, closed_dates FROM workspace_calendar_history WHERE effective_at > ? AND effective_at < ?
) ORDER BY effective_at`;

const TEAM_SPAN_SQL = `
SELECT effective_at, hours FROM (
  SELECT * FROM (SELECT effective_at, hours FROM team_hours_history WHERE team_id = ? AND effective_at <= ? ORDER BY effective_at DESC LIMIT 1)
  UNION ALL
  SELECT effective_at, hours FROM team_hours_history WHERE team_id = ? AND effective_at > ? AND effective_at < ?
) ORDER BY effective_at`;

/**
 * The workspace's calendars in force over [from, to), the first since the beginning; `live`: the
 * live calendar, which holds after the latest recorded change (read when not given). One statement
 * (two without `live`).
 */
export const workspaceHistory = (prepare: Prepare, from: number, to: number, live?: BusinessHours): Array<Period<BusinessHours>> => {
  const rows = prepare(WORKSPACE_SPAN_SQL).raw(true).all(from, from, to) as Array<[number, string | null, string | null, string | null, number]>;
  const current = () => (live ??= readBusinessHours(prepare));
  if (rows.length === 0) return [{ from: -Infinity, value: current() }];
  return rows.map(([at, zone, hours, closed, latest]) => ({ from: at, value: at === latest ? current() : storedBusinessHours(zone, hours, closed) }));
};

/**
 * A team's hours in force over [from, to), the first since the beginning (none before its first
 * row); `live`: its `teams.hours` now, which holds after its latest recorded change. `latest`: that
 * change's instant, null when none was recorded. Reads the rows only when one changed after `from`.
 */
const teamHistory = (prepare: Prepare, teamId: string, from: number, to: number, live: string | null, latest: number | null): Array<Period<TeamHours>> => {
  if (latest === null || latest <= from) return [{ from: -Infinity, value: decodeTeamHours(live) }];
  const rows = prepare(TEAM_SPAN_SQL).raw(true).all(teamId, from, teamId, from, to) as Array<[number, string | null]>;
  const periods: Array<Period<TeamHours>> = rows.map(([at, hours]) => ({ from: at, value: decodeTeamHours(at === latest ? live : hours) }));
  if (periods.length === 0 || periods[0]!.from > from) periods.unshift({ from: -Infinity, value: NO_TEAM_HOURS });
  return periods;
};

/** The calendars a conversation of a team was judged by over a span: whose they were in each period. */
type JudgedBy = Period<{ readonly hours: BusinessHours; readonly team: string | null }>;

/** Business time over a span in the calendars in force then, for many replies (see `pastCalendars`). */
export interface PastCalendars {
  /**
   * Business ms between two instants of the span for a conversation of `teamId` (null: no team),
   * each part judged by the calendar in force then (the team's own hours, else the workspace's);
   * null when none of those calendars kept weekly hours over the span (the wall clock counts).
   */
  readonly between: (teamId: string | null) => BusinessBetween | null;
  /** The team whose own hours were in force at `at` for such a conversation, by name; null when the workspace's were. */
  readonly teamHoursAt: (teamId: string | null, at: number) => string | null;
  /** The workspace's own calendars over the span (the team report's within-business-hours figures). */
  readonly workspace: () => BusinessCalendar;
}

/**
 * A reader of the calendars in force over [from, to): the workspace's history read at most once,
 * each team asked about at most once (one statement, a second only when its hours changed inside
 * the span), one calendar built per distinct history — a Map per report or pass, never a read per
 * row. `live`: the workspace's live calendar when the caller has read it already. Reads only.
 */
export const pastCalendars = (prepare: Prepare, from: number, to: number, live?: BusinessHours): PastCalendars => {
  let workspace: Array<Period<BusinessHours>> | undefined;
  const workspacePeriods = () => (workspace ??= workspaceHistory(prepare, from, to, live));
  let workspaceBuilt: { calendar: BusinessCalendar; keeps: boolean } | undefined;
  const workspaceCalendar = () =>
    (workspaceBuilt ??= {
      calendar: historyCalendar(workspacePeriods(), from, to),
      keeps: workspacePeriods().some((p) => keepsHours(p.value)),
    });
  const teams = new Map<string, { judgedBy: ReadonlyArray<JudgedBy>; between: BusinessBetween | null }>();
  const teamOf = (teamId: string) => {
    const known = teams.get(teamId);
    if (known !== undefined) return known;
    // A team deleted since (its id kept on a reply) keeps no hours: the workspace's count.
    const row = prepare("SELECT name, hours, (SELECT max(effective_at) FROM team_hours_history WHERE team_id = teams.id) AS latest FROM teams WHERE id = ?").get(
      teamId,
    ) as { name: string; hours: string | null; latest: number | null } | undefined;
    const own = row === undefined ? [{ from: -Infinity, value: NO_TEAM_HOURS }] : teamHistory(prepare, teamId, from, to, row.hours, row.latest);
    // Following the workspace's hours, or keeping none, is counting in the workspace's calendar.
    const judgedBy = combineHistories(own, workspacePeriods(), (team, ws) => {
      const hours = team.source === "own" ? teamBusinessHours(team, ws) : null;
      return hours === null ? { hours: ws, team: null } : { hours, team: row!.name };
    });
    let between: BusinessBetween | null;
    if (judgedBy.every((p) => p.value.team === null)) {
      // The workspace's calendar, built once for every such team.
      const built = workspaceCalendar();
      between = built.keeps ? built.calendar.between : null;
    } else {
      const history: HoursHistory = judgedBy.map((p) => ({ from: p.from, value: p.value.hours }));
      between = history.some((p) => keepsHours(p.value)) ? historyCalendar(history, from, to).between : null;
    }
    const found = { judgedBy, between };
    teams.set(teamId, found);
    return found;
  };
  return {
    between: (teamId) => {
      if (teamId !== null) return teamOf(teamId).between;
      const built = workspaceCalendar();
      return built.keeps ? built.calendar.between : null;
    },
    teamHoursAt: (teamId, at) => {
      if (teamId === null) return null;
      const { judgedBy } = teamOf(teamId);
      let found = judgedBy[0]!.value.team;
      for (const p of judgedBy) if (p.from <= at) found = p.value.team;
      return found;
    },
    workspace: () => workspaceCalendar().calendar,
  };
};
