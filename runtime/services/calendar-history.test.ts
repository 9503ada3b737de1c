/**
 * The history of calendars (decision 058) on real SQLite files with the real Reports, Workspace,
 * Inbox and Routing, under an injected clock: every writer of the workspace's time zone, hours and
 * closed dates and of a team's hours records the calendar it makes as in force from its instant,
 * in its own write, and bad input records nothing; a reply is judged by the calendars in force
 * while it was awaited — a later change of hours, zone, closed dates or a team's hours leaves
 * the earlier period's figures as they were, and the later period follows the new calendar.
 *
 * The week of Monday 2 March 2026: Berlin is UTC+1, New York UTC−5.
 */
import BetterSqlite3 from "better-sqlite3";
import { Effect, Either } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { TeamHours } from "../../flows/team-hours.js";
import type { ClosedDate } from "../../flows/flow-spec.js";
import { pastCalendars, workspaceHistory } from "./calendar-history.js";
import * as Chatflows from "./chatflows.js";
import { migrate } from "./database.js";
import { Inbox } from "./inbox.js";
import { openKit, people, type Kit } from "./inbox-test-kit.js";
import { sourceFilesMatching } from "../../tests/support/source-scan.js";
import { makeReports, type ReportsShape } from "./reports.js";
import { layer as workspaceLayer, Workspace, type WorkspaceShape } from "./workspace.js";

const MIN = 60_000;
const H = 60 * MIN;
/** An instant of the week of Monday 2 March 2026, in UTC (`day` 0 is Monday, −1 the Sunday before). */
const utc = (day: number, hour: number, minute = 0) => Date.UTC(2026, 2, 2 + day, hour, minute);
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"] as const;
const weekdays = (from: string, to: string) => WEEKDAYS.map((day) => ({ day, from, to }));
const own = (over: Partial<Extract<TeamHours, { source: "own" }>> = {}): TeamHours => ({
  source: "own",
  timezone: "Europe/Berlin",
  hours: weekdays("09:00", "17:00"),
  closedDates: [],
  workspaceClosedDates: false,
  ...over,
});
const week = { range: "custom", from: "2026-03-02", to: "2026-03-08" };

interface Services {
  readonly kit: Kit;
  readonly reports: ReportsShape;
  readonly workspace: WorkspaceShape;
}

const open = async (): Promise<Services> => {
  const kit = await openKit();
  const reports = makeReports({ db: kit.db, chatflows: await kit.run(Chatflows.Chatflows) });
  const workspace = await kit.run(Effect.provide(Workspace, workspaceLayer));
  kit.db.sqlite.prepare("INSERT INTO teams (id, name, created_at) VALUES ('team_eu', 'EU Support', 0)").run();
  return { kit, reports, workspace };
};

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect);
const failure = async <A, E>(effect: Effect.Effect<A, E>): Promise<E> => {
  const result = await Effect.runPromise(Effect.either(effect));
  if (Either.isRight(result)) throw new Error(`expected a failure, got ${JSON.stringify(result.right)}`);
  return result.left;
};

/** The history as stored, for comparing before and after. */
const historyRows = (kit: Kit) => ({
  workspace: kit.db.sqlite.prepare("SELECT * FROM workspace_calendar_history ORDER BY effective_at").all(),
  teams: kit.db.sqlite.prepare("SELECT * FROM team_hours_history ORDER BY team_id, effective_at").all(),
});

/** The latest recorded workspace calendar is the live one, recorded at `at`. */
const expectWorkspaceRecorded = (kit: Kit, at: number) => {
  const s = kit.db.sqlite;
  const latest = s.prepare("SELECT * FROM workspace_calendar_history ORDER BY effective_at DESC LIMIT 1").get();
  const live = (key: string) => (s.prepare("SELECT value FROM settings WHERE key = ?").pluck().get(key) as string | undefined) ?? null;
  expect(latest).toEqual({ effective_at: at, timezone: live("timezone"), business_hours: live("business_hours"), closed_dates: live("closed_dates") });
};

/** The latest recorded hours of the team are its live `teams.hours`, recorded at `at`. */
const expectTeamRecorded = (kit: Kit, teamId: string, at: number) => {
  const s = kit.db.sqlite;
  const latest = s.prepare("SELECT effective_at, hours FROM team_hours_history WHERE team_id = ? ORDER BY effective_at DESC LIMIT 1").get(teamId);
  expect(latest).toEqual({ effective_at: at, hours: s.prepare("SELECT hours FROM teams WHERE id = ?").pluck().get(teamId) });
};

describe("every writer of a calendar records it in its own write", () => {
  let services: Services;
  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(utc(0, 9));
    services = await open();
  });
  afterEach(async () => {
    await services.kit.dispose();
    vi.useRealTimers();
  });

  it("the time zone, the weekly hours, a closed date added and removed, public holidays and a calendar import", async () => {
    const { kit, reports } = services;
    let at = utc(0, 9);
    const step = () => vi.setSystemTime((at += MIN));

    step();
    await run(reports.setTimezone("Europe/Berlin"));
    expectWorkspaceRecorded(kit, at);
    step();
    await run(reports.setBusinessHours(weekdays("09:00", "17:00")));
    expectWorkspaceRecorded(kit, at);
    step();
    await run(reports.addClosedDate({ date: "2026-04-03", name: "Good Friday" }));
    expectWorkspaceRecorded(kit, at);
    step();
    await run(reports.removeClosedDate("2026-04-03"));
    expectWorkspaceRecorded(kit, at);
    step();
    await run(reports.addPublicHolidays({ country: "DE", region: "BY", year: 2026 }));
    expectWorkspaceRecorded(kit, at);
    // A dry run stores nothing, so it records nothing.
    step();
    const rows = historyRows(kit);
    await run(reports.importClosedDates({ dates: [{ date: "2026-08-14", yearly: false }], source: "team.ics", dryRun: true }));
    expect(historyRows(kit)).toEqual(rows);
    await run(reports.importClosedDates({ dates: [{ date: "2026-08-14", yearly: false }], source: "team.ics" }));
    expectWorkspaceRecorded(kit, at);
    // One row per change, each at its instant, after the calendar the migration found (none).
    expect(historyRows(kit).workspace.map((r) => (r as { effective_at: number }).effective_at)).toEqual([0, ...[1, 2, 3, 4, 5, 6].map((m) => utc(0, 9) + m * MIN)]);
  });

  it("a team's hours and a calendar imported into them", async () => {
    const { kit, workspace } = services;
    vi.setSystemTime(utc(0, 10));
    await run(workspace.setTeamHours("team_eu", own()));
    expectTeamRecorded(kit, "team_eu", utc(0, 10));
    vi.setSystemTime(utc(0, 11));
    const rows = historyRows(kit);
    await run(workspace.importTeamClosedDates("team_eu", { dates: [{ date: "2026-05-01", yearly: false }], source: "eu.ics", dryRun: true }));
    expect(historyRows(kit)).toEqual(rows);
    await run(workspace.importTeamClosedDates("team_eu", { dates: [{ date: "2026-05-01", yearly: false }], source: "eu.ics" }));
    expectTeamRecorded(kit, "team_eu", utc(0, 11));
    vi.setSystemTime(utc(0, 12));
    await run(workspace.setTeamHours("team_eu", { source: "none" }));
    expectTeamRecorded(kit, "team_eu", utc(0, 12));
    expect((historyRows(kit).teams as Array<{ hours: string | null }>).map((r) => r.hours && JSON.parse(r.hours).closedDates)).toEqual([
      [],
      [{ date: "2026-05-01", yearly: false }],
      null,
    ]);
  });

  it("a followed calendar's change, to the workspace's closed dates and to a team's (decision 057)", async () => {
    const { kit, reports, workspace } = services;
    const addMay = { plan: (list: ReadonlyArray<ClosedDate>) => ({ store: [...list, { date: "2026-05-01", yearly: false }], result: "added" }), alongside: () => {} };
    const unchanged = { plan: () => ({ store: null, result: "same" }), alongside: () => {} };
    vi.setSystemTime(utc(0, 10));
    expect(await run(reports.changeClosedDates(addMay))).toBe("added");
    expectWorkspaceRecorded(kit, utc(0, 10));
    await run(workspace.setTeamHours("team_eu", own()));
    vi.setSystemTime(utc(0, 11));
    expect(await run(workspace.changeTeamClosedDates("team_eu", addMay))).toBe("added");
    expectTeamRecorded(kit, "team_eu", utc(0, 11));
    // A sync that changes nothing records nothing.
    vi.setSystemTime(utc(0, 12));
    const rows = historyRows(kit);
    await run(reports.changeClosedDates(unchanged));
    await run(workspace.changeTeamClosedDates("team_eu", unchanged));
    expect(historyRows(kit)).toEqual(rows);
  });

  it("records nothing when the value in force is written again", async () => {
    const { kit, reports, workspace } = services;
    await run(reports.setTimezone("UTC"));
    await run(reports.setBusinessHours(weekdays("09:00", "17:00")));
    await run(workspace.setTeamHours("team_eu", own()));
    const rows = historyRows(kit);
    expect(rows.workspace).toHaveLength(2);
    vi.setSystemTime(utc(0, 13));
    await run(reports.setTimezone("UTC"));
    await run(reports.setBusinessHours(weekdays("09:00", "17:00")));
    await run(workspace.setTeamHours("team_eu", own()));
    // A team that never kept hours records nothing for none.
    await run(workspace.setTeamHours("team_support", { source: "none" }));
    expect(historyRows(kit)).toEqual(rows);
  });

  it("refuses bad input with its path and records nothing", async () => {
    const { kit, reports, workspace } = services;
    await run(reports.setBusinessHours(weekdays("09:00", "17:00")));
    await run(reports.addClosedDate({ date: "2026-04-03" }));
    await run(workspace.setTeamHours("team_eu", own()));
    vi.setSystemTime(utc(0, 14));
    const rows = historyRows(kit);
    const settings = () => kit.db.sqlite.prepare("SELECT key, value FROM settings ORDER BY key").all();
    const live = settings();
    const issues = async (effect: Effect.Effect<unknown, { readonly issues?: ReadonlyArray<{ path: string }>; readonly _tag: string }>) => {
      const error = await failure(effect);
      return error.issues?.map((i) => i.path) ?? [error._tag];
    };
    expect(await issues(reports.setTimezone("Mars/Olympus"))).toEqual(["timezone"]);
    expect(await issues(reports.setBusinessHours([{ day: "mon", from: "9am", to: "17:00" }]))).toEqual(["hours[0].from"]);
    expect(await issues(reports.addClosedDate({ date: "2026-02-30" }))).toEqual(["date"]);
    expect(await issues(reports.addClosedDate({ date: "2026-04-03" }))).toEqual(["date"]);
    expect(await issues(reports.removeClosedDate("2026-12-24"))).toEqual(["NotFound"]);
    expect(await issues(reports.addPublicHolidays({ country: "XX", year: 2026 }))).toEqual(["country"]);
    expect(await issues(reports.importClosedDates({ dates: [{ date: "2026-13-01" }], source: "x.ics" }))).toContain("dates[0].date");
    // Past 200 closed dates in all (one is kept already): refused whole.
    const many = Array.from({ length: 200 }, (_, i) => ({ date: new Date(Date.UTC(2030, 0, 1 + i)).toISOString().slice(0, 10), yearly: false }));
    expect(await issues(reports.importClosedDates({ dates: many, source: "x.ics" }, "url"))).toEqual(["url"]);
    expect(await issues(workspace.setTeamHours("team_eu", { ...own(), timezone: "Nowhere/Atall" }))).toEqual(["timezone"]);
    expect(await issues(workspace.setTeamHours("team_nope", own()))).toEqual(["NotFound"]);
    expect(await issues(workspace.importTeamClosedDates("team_support", { dates: [{ date: "2026-05-01" }], source: "x.ics" }))).toEqual(["dates"]);
    expect(historyRows(kit)).toEqual(rows);
    expect(settings()).toEqual(live);
  });

  it("replaces what was recorded as taking effect later when the clock was set back: the history is the calendar over time", async () => {
    const { kit, reports } = services;
    vi.setSystemTime(utc(2, 9));
    await run(reports.setBusinessHours(weekdays("09:00", "17:00")));
    vi.setSystemTime(utc(1, 9));
    await run(reports.setBusinessHours(weekdays("10:00", "12:00")));
    expect(historyRows(kit).workspace.map((r) => (r as { effective_at: number }).effective_at)).toEqual([0, utc(1, 9)]);
    expectWorkspaceRecorded(kit, utc(1, 9));
  });

  it("is written nowhere else: no other source file writes the calendar's settings rows or teams.hours", () => {
    const writesSettings = /\b(INSERT|REPLACE)\b[^;`"]*\bINTO\s+settings\b|\bUPDATE\s+settings\b|\bDELETE\s+FROM\s+settings\b/i;
    const namesCalendarKey = /\b(TIMEZONE_SETTING|BUSINESS_HOURS_SETTING|CLOSED_DATES_SETTING)\b|["'](timezone|business_hours|closed_dates)["']/;
    const writesTeamHours = /\bUPDATE\s+teams\s+SET\b[^;`"]*\bhours\b|\bINTO\s+teams\s*\([^)]*\bhours\b/i;
    const offenders = sourceFilesMatching(
      (text) => (writesSettings.test(text) && namesCalendarKey.test(text)) || writesTeamHours.test(text),
      [join("runtime", "services", "calendar-history.ts")],
    );
    expect(offenders).toEqual([]);
    // The check finds a writer when there is one.
    expect(writesTeamHours.test('s.prepare("UPDATE teams SET hours = ? WHERE id = ?")')).toBe(true);
    expect(writesSettings.test("INSERT INTO settings (key, value) VALUES (?, ?)") && namesCalendarKey.test("run(BUSINESS_HOURS_SETTING, value)")).toBe(true);
  });
});

describe("the migration", () => {
  it("seeds today's calendar and each team's hours as in force since the beginning", () => {
    const dir = mkdtempSync(join(tmpdir(), "parley-calendar-history-"));
    const sqlite = new BetterSqlite3(join(dir, "db.sqlite"));
    try {
      migrate(sqlite);
      // As a database before migration 53 was: the tables gone, the version not applied.
      sqlite.exec("DROP TABLE workspace_calendar_history; DROP TABLE team_hours_history; DELETE FROM schema_migrations WHERE version = 53;");
      const put = sqlite.prepare("INSERT INTO settings (key, value) VALUES (?, ?)");
      put.run("timezone", "Europe/Berlin");
      put.run("business_hours", JSON.stringify(weekdays("09:00", "17:00")));
      const team = sqlite.prepare("INSERT INTO teams (id, name, created_at, hours) VALUES (?, ?, 0, ?)");
      team.run("team_a", "A", JSON.stringify(own()));
      team.run("team_b", "B", null);
      expect(migrate(sqlite)).toEqual([53]);
      expect(sqlite.prepare("SELECT * FROM workspace_calendar_history").all()).toEqual([
        { effective_at: 0, timezone: "Europe/Berlin", business_hours: JSON.stringify(weekdays("09:00", "17:00")), closed_dates: null },
      ]);
      expect(sqlite.prepare("SELECT * FROM team_hours_history").all()).toEqual([{ team_id: "team_a", effective_at: 0, hours: JSON.stringify(own()) }]);
    } finally {
      sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A conversation of `teamId` waiting since `since`, begun as the engine begins one (its event carries the team). */
const waiting = (kit: Kit, teamId: string | null, since: number) => {
  const id = kit.conversation({ inboxId: "inbox_support", teamId, waitingSince: since, lastActivityAt: since, messages: [{ author: "visitor", text: "Hello?" }] });
  kit.db.sqlite
    .prepare("INSERT INTO events (type, at, conversation_id, inbox_id, channel_id, team_id, is_preview) VALUES ('conversation_created', ?, ?, 'inbox_support', 'chan_web', ?, 0)")
    .run(since, id, teamId);
  return id;
};
const reply = async (kit: Kit, id: string, at: number) => {
  vi.setSystemTime(at);
  await kit.run(Effect.flatMap(Inbox, (i) => i.reply({ conversationId: id, text: "Hello!", clientMessageId: `r-${id}` }, people.alex)));
};

/**
 * A workspace set up on the Sunday before the week with `calendar`, its Support inbox promising a
 * first response within an hour of business time; the clock is faked until `closeWeek`.
 */
const openWeek = async (calendar: (services: Services) => Promise<void>): Promise<Services> => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(utc(-1, 12));
  const services = await open();
  await calendar(services);
  services.kit.db.sqlite
    .prepare("UPDATE inboxes SET response_targets = ? WHERE id = 'inbox_support'")
    .run(JSON.stringify({ firstResponseMinutes: 60, nextReplyMinutes: null, businessHours: true }));
  return services;
};
const closeWeek = async (services: Services) => {
  await services.kit.dispose();
  vi.useRealTimers();
};

/** The answers that missed their target in `range`, by their conversation's key in `ids`: [minutes taken, whose own hours judged them]. */
const missed = async (reports: ReportsShape, ids: Record<string, string>, range = week) => {
  const page = await run(reports.breaches(await run(reports.parseBreachQuery(range))));
  return Object.fromEntries(page.breaches.map((b) => [Object.keys(ids).find((k) => ids[k] === b.conversationId), [b.actualMs / MIN, b.teamHours]]));
};

describe("a reply is judged by the calendars in force while it was awaited", () => {
  let services: Services;
  const ids: Record<string, string> = {};
  const breaches = () => missed(services.reports, ids);
  /** The team report's first responses within business hours (the workspace's), in minutes, by conversation order. */
  const firstResponses = async (range = week) => {
    const r = services.reports;
    const team = await run(r.team(await run(r.parseQuery({ ...range, hours: "business" }))));
    return { count: team.firstResponse.count, mean: team.firstResponse.mean === null ? null : team.firstResponse.mean / MIN, targets: team.targets.map((t) => t.firstResponse) };
  };

  beforeAll(async () => {
    // Berlin, 09:00–17:00 on weekdays.
    services = await openWeek(async ({ reports }) => {
      await run(reports.setTimezone("Europe/Berlin"));
      await run(reports.setBusinessHours(weekdays("09:00", "17:00")));
    });
    // Monday: waiting from 16:00 Berlin (15:00 UTC), answered Tuesday 09:30 Berlin: 60 + 30 minutes of the hours.
    ids.monday = waiting(services.kit, null, utc(0, 15));
    await reply(services.kit, ids.monday, utc(1, 8, 30));
  });
  afterAll(() => closeWeek(services));

  it("keeps the earlier period's figures when the hours change, and judges the later period by the new hours", async () => {
    const { kit, reports } = services;
    const mondayOnly = { range: "custom", from: "2026-03-02", to: "2026-03-03" };
    const before = { breaches: await breaches(), figures: await firstResponses(mondayOnly) };
    expect(before.breaches).toEqual({ monday: [90, null] });
    expect(before.figures).toEqual({ count: 1, mean: 90, targets: [{ met: 0, measured: 1 }] });

    // Wednesday 12:00 UTC the admin widens the hours to 08:00–20:00 Berlin.
    vi.setSystemTime(utc(2, 12));
    await run(reports.setBusinessHours(weekdays("08:00", "20:00")));
    // Wednesday: waiting from 19:00 Berlin, answered Thursday 08:15 Berlin: 60 + 15 minutes of the new hours
    // (the old ones would count none of it and call it met).
    ids.wednesday = waiting(kit, null, utc(2, 18));
    await reply(kit, ids.wednesday, utc(3, 7, 15));

    // Monday's answer is still judged by Monday's hours (the new ones would make it 330 minutes).
    expect(await firstResponses(mondayOnly)).toEqual(before.figures);
    expect(await breaches()).toEqual({ monday: [90, null], wednesday: [75, null] });
    expect(await firstResponses()).toEqual({ count: 2, mean: 82.5, targets: [{ met: 0, measured: 2 }] });
  });

  it("reads the hours on the new zone's clock after a zone change, and the old one's before", async () => {
    const { kit, reports } = services;
    // Thursday 12:00 UTC the workspace moves to New York: 08:00–20:00 there is 13:00–01:00 UTC.
    vi.setSystemTime(utc(3, 12));
    await run(reports.setTimezone("America/New_York"));
    // Waiting from Thursday 20:00 UTC, answered Friday 14:30 UTC: 5 h + 1.5 h in New York (in Berlin's, 7.5 h).
    ids.thursday = waiting(kit, null, utc(3, 20));
    await reply(kit, ids.thursday, utc(4, 14, 30));
    const found = await breaches();
    expect(found).toEqual({ monday: [90, null], wednesday: [75, null], thursday: [390, null] });
  });

  it("leaves a past day open when it is added as a closed date afterwards, and closes it when added before", async () => {
    const { kit, reports } = services;
    vi.setSystemTime(utc(4, 16));
    const figures = await firstResponses();
    // Friday: Tuesday 3 March (past) and Monday 9 March are closed from now on.
    await run(reports.addClosedDate({ date: "2026-03-03", name: "Staff day" }));
    await run(reports.addClosedDate({ date: "2026-03-09" }));
    expect(await firstResponses()).toEqual(figures);
    expect((await breaches()).monday).toEqual([90, null]);
    // Waiting from Friday 19:00 New York (Saturday 00:00 UTC), answered Tuesday 09:00 there (13:00 UTC, summer time since Sunday): Monday is closed.
    ids.weekend = waiting(kit, null, utc(5, 0));
    await reply(kit, ids.weekend, utc(8, 13));
    // Friday 19:00–20:00 New York, then Tuesday 08:00–09:00: 120 minutes (Monday's 12 hours are not counted).
    expect((await missed(reports, ids, { range: "custom", from: "2026-03-02", to: "2026-03-10" })).weekend).toEqual([120, null]);
  });
});

describe("a reply is judged by the hours its team kept while it was awaited", () => {
  let services: Services;
  const ids: Record<string, string> = {};
  const breaches = () => missed(services.reports, ids);

  beforeAll(async () => {
    // The workspace keeps New York's 09:00–17:00 (14:00–22:00 UTC); the EU team its own, Berlin's (08:00–16:00 UTC).
    services = await openWeek(async ({ reports, workspace }) => {
      await run(reports.setTimezone("America/New_York"));
      await run(reports.setBusinessHours(weekdays("09:00", "17:00")));
      await run(workspace.setTeamHours("team_eu", own()));
    });
    // Monday 15:00 UTC to Tuesday 08:30 UTC: 60 + 30 minutes of the team's hours.
    ids.monday = waiting(services.kit, "team_eu", utc(0, 15));
    await reply(services.kit, ids.monday, utc(1, 8, 30));
  });
  afterAll(() => closeWeek(services));

  it("keeps the team's hours, and its name, on the answers before its hours changed; the later ones follow the workspace's", async () => {
    const { kit, workspace } = services;
    expect(await breaches()).toEqual({ monday: [90, "EU Support"] });
    // Wednesday 12:00 UTC the team gives up its own hours: the workspace's count from then on.
    vi.setSystemTime(utc(2, 12));
    await run(workspace.setTeamHours("team_eu", { source: "none" }));
    // Wednesday 21:00 UTC to Thursday 14:30 UTC: 60 + 30 minutes of New York's (the team's would be 390).
    ids.wednesday = waiting(kit, "team_eu", utc(2, 21));
    await reply(kit, ids.wednesday, utc(3, 14, 30));
    expect(await breaches()).toEqual({ monday: [90, "EU Support"], wednesday: [90, null] });
    const r = services.reports;
    const team = await run(r.team(await run(r.parseQuery(week))));
    expect(team.targets.map((t) => t.firstResponse)).toEqual([{ met: 0, measured: 2 }]);
  });

  it("splits one wait at the team's change: each part in the hours in force then", async () => {
    const { kit, workspace } = services;
    // Waiting from Thursday 15:00 UTC (inside the workspace's hours, the team following them), the team takes
    // Berlin's hours again at Friday 00:00 UTC; answered Friday 09:00 UTC: 7 h of New York's, then 1 h of Berlin's.
    ids.thursday = waiting(kit, "team_eu", utc(3, 15));
    vi.setSystemTime(utc(4, 0));
    await run(workspace.setTeamHours("team_eu", own()));
    await reply(kit, ids.thursday, utc(4, 9));
    expect((await breaches()).thursday).toEqual([8 * 60, "EU Support"]);
  });

  it("reads the workspace's history once and each team once, however many replies ask", () => {
    const statements: string[] = [];
    const prepare: Kit["db"]["prepare"] = (sql) => {
      statements.push(sql);
      return services.kit.db.prepare(sql);
    };
    const calendars = pastCalendars(prepare, utc(0, 0), utc(7, 0));
    for (let i = 0; i < 50; i++) for (const team of [null, "team_eu", "team_support", "team_gone"]) calendars.between(team)?.(utc(0, 0), utc(5, 0));
    // The workspace's history and its live calendar; per team one statement, and one more for the team whose hours changed in the span.
    expect(statements.filter((s) => s.includes("workspace_calendar_history") && !s.includes("teams"))).toHaveLength(1);
    expect(statements.filter((s) => s.includes("FROM teams"))).toHaveLength(3);
    expect(statements.filter((s) => s.includes("FROM team_hours_history WHERE team_id = ? AND effective_at <= ?"))).toHaveLength(1);
    expect(statements).toHaveLength(1 + 1 + 3 + 1);
    // A team without hours, or one gone, is judged by the workspace's calendar, built once.
    expect(calendars.between("team_support")).toBe(calendars.between(null));
    expect(calendars.between("team_gone")).toBe(calendars.between(null));
  });

  it("lets a value written around the writers count from the latest recorded change on", () => {
    const { kit } = services;
    // A script sets the hours straight in the database: the history did not see it, the live row counts after the last change.
    const periods = () => workspaceHistory(kit.db.prepare, utc(-7, 0), utc(7, 0)).map((p) => [p.from, p.value.hours[0]?.from ?? null]);
    expect(periods()).toEqual([
      [0, null],
      [utc(-1, 12), "09:00"],
    ]);
    kit.db.sqlite.prepare("UPDATE settings SET value = ? WHERE key = 'business_hours'").run(JSON.stringify(weekdays("07:00", "15:00")));
    expect(periods()).toEqual([
      [0, null],
      [utc(-1, 12), "07:00"],
    ]);
    kit.db.sqlite.prepare("UPDATE settings SET value = ? WHERE key = 'business_hours'").run(JSON.stringify(weekdays("09:00", "17:00")));
  });
});
