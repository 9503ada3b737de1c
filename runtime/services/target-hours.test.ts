/**
 * Response targets in the team's hours (decision 048), on real SQLite files with the real Inbox,
 * escalation pass and Reports: a conversation of a team with its own hours is owed its answer in
 * the team's business time — not overdue while the team is closed though the workspace is open,
 * overdue once the team's business time has passed; the team's closed dates (and the workspace's,
 * when it keeps them) count; a team without hours, or following the workspace's, keeps the
 * workspace's calendar. The breaches list and the met shares judge a recorded reply in the hours
 * of the team it was with when answered.
 *
 * The week of Monday 2 March 2026: Berlin is UTC+1 and New York UTC−5, so the workspace's
 * 09:00–17:00 in New York is 14:00–22:00 UTC and the EU team's 09:00–17:00 in Berlin is
 * 08:00–16:00 UTC. Visitors start waiting on Monday at 17:00 UTC: the workspace is open, the EU
 * team has closed.
 */
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { TeamHours } from "../../flows/team-hours.js";
import { BUSINESS_HOURS_SETTING, CLOSED_DATES_SETTING, TIMEZONE_SETTING } from "./business-hours.js";
import * as Chatflows from "./chatflows.js";
import { Inbox } from "./inbox.js";
import { openKit, people, type Kit } from "./inbox-test-kit.js";
import { makeReports } from "./reports.js";
import { makeResponseOverdue } from "./response-overdue.js";
import { encodeTeamHours, queueTeamsAt } from "./team-hours.js";
import { targetHoursReader } from "./target-hours.js";

const MIN = 60_000;
const H = 60 * MIN;
/** An instant of the week of Monday 2 March 2026, in UTC (`day` 0 is Monday). */
const utc = (day: number, hour: number, minute = 0) => Date.UTC(2026, 2, 2 + day, hour, minute);
const WAIT_FROM = utc(0, 17);
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"] as const;
const nineToFive = WEEKDAYS.map((day) => ({ day, from: "09:00", to: "17:00" }));
const own = (over: Partial<Extract<TeamHours, { source: "own" }>> = {}): TeamHours => ({
  source: "own",
  timezone: "Europe/Berlin",
  hours: nineToFive,
  closedDates: [],
  workspaceClosedDates: false,
  ...over,
});

const openWorkspace = async (): Promise<Kit> => {
  vi.setSystemTime(utc(0, 8));
  const kit = await openKit();
  const s = kit.db.sqlite;
  const setting = s.prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  setting.run(TIMEZONE_SETTING, "America/New_York");
  setting.run(BUSINESS_HOURS_SETTING, JSON.stringify(nineToFive));
  // A Tuesday the workspace is closed: only teams that keep the workspace's closed dates follow it.
  setting.run(CLOSED_DATES_SETTING, JSON.stringify([{ date: "2026-03-03", name: "Staff day" }]));
  s.prepare("UPDATE inboxes SET response_targets = ? WHERE id = 'inbox_support'").run(
    JSON.stringify({ firstResponseMinutes: 60, nextReplyMinutes: null, businessHours: true }),
  );
  const team = s.prepare("INSERT INTO teams (id, name, created_at, hours) VALUES (?, ?, ?, ?)");
  team.run("team_eu", "EU Support", Date.now(), encodeTeamHours(own()));
  team.run("team_eu_holiday", "EU Holiday", Date.now(), encodeTeamHours(own({ closedDates: [{ date: "2026-03-03", yearly: false }] })));
  team.run("team_eu_staff", "EU Staff", Date.now(), encodeTeamHours(own({ workspaceClosedDates: true })));
  team.run("team_follows", "Follows", Date.now(), encodeTeamHours({ source: "workspace" }));
  // The kit's team_support keeps no hours (NULL).
  return kit;
};

/** A conversation of `teamId` (null: none) waiting since `since`, begun as the engine begins one (its event carries the team). */
const waiting = (kit: Kit, teamId: string | null, since = WAIT_FROM) => {
  const id = kit.conversation({ inboxId: "inbox_support", teamId, waitingSince: since, lastActivityAt: since, messages: [{ author: "visitor", text: "Hello?" }] });
  kit.db.sqlite
    .prepare("INSERT INTO events (type, at, conversation_id, inbox_id, channel_id, team_id, is_preview) VALUES ('conversation_created', ?, ?, 'inbox_support', 'chan_web', ?, 0)")
    .run(since, id, teamId);
  return id;
};

describe("what a waiting conversation owes, in its team's hours", () => {
  let kit: Kit;
  const ids: Record<string, string> = {};
  const list = async (view: string) => (await kit.run(Effect.flatMap(Inbox, (i) => i.listConversations({ view, limit: 50 }, people.admin)))).conversations;
  const overdue = async () => (await list("overdue")).map((c) => c.id).sort();
  /** The due tag the list shows, checked against the thread's. */
  const dueOf = async (id: string) => {
    const listed = (await list("all_open")).find((c) => c.id === id);
    const thread = await kit.run(Effect.flatMap(Inbox, (i) => i.getThread(id, people.admin)));
    expect(thread.conversation.responseDue, "the thread says what the list says").toEqual(listed?.responseDue);
    return listed?.responseDue;
  };
  const recorded = () => kit.db.sqlite.prepare("SELECT conversation_id FROM events WHERE type = 'response_overdue' ORDER BY id").pluck().all() as string[];

  beforeAll(async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    kit = await openWorkspace();
    ids.none = waiting(kit, null);
    ids.support = waiting(kit, "team_support");
    ids.follows = waiting(kit, "team_follows");
    ids.eu = waiting(kit, "team_eu");
    ids.euHoliday = waiting(kit, "team_eu_holiday");
    ids.euStaff = waiting(kit, "team_eu_staff");
    vi.setSystemTime(utc(0, 20));
  });
  afterAll(async () => {
    await kit.dispose();
    vi.useRealTimers();
  });

  it("counts the team's own hours: due an hour after the team opens, and says whose hours count", async () => {
    // Tuesday 09:00 Berlin (08:00 UTC) opens the team; an hour of its time later the answer is due.
    expect(await dueOf(ids.eu)).toEqual({ kind: "first_response", targetMs: H, dueAt: utc(1, 9), teamHours: "EU Support" });
  });

  it("keeps the workspace's calendar for a team without hours and one that follows the workspace's", async () => {
    // Monday 12:00 New York: the workspace's hour runs at once.
    for (const id of [ids.none, ids.support, ids.follows]) expect(await dueOf(id)).toEqual({ kind: "first_response", targetMs: H, dueAt: utc(0, 18) });
  });

  it("counts the team's closed dates, and the workspace's only for a team that keeps them", async () => {
    // Closed on Tuesday 3 March: Wednesday 09:00 Berlin opens, 10:00 Berlin is due.
    expect(await dueOf(ids.euHoliday)).toEqual({ kind: "first_response", targetMs: H, dueAt: utc(2, 9), teamHours: "EU Holiday" });
    expect(await dueOf(ids.euStaff)).toEqual({ kind: "first_response", targetMs: H, dueAt: utc(2, 9), teamHours: "EU Staff" });
  });

  it("leaves the team's conversation out of Overdue while the team is closed though the workspace's hours ran, and escalates it once the team's have", async () => {
    const pass = makeResponseOverdue(kit.db, kit.live);
    // Monday 20:00 UTC: two workspace hours past due for the rest; the EU team has not opened.
    expect(await overdue()).toEqual([ids.none, ids.support, ids.follows].sort());
    expect(await Effect.runPromise(pass.runDue())).toBe(3);
    expect(recorded().sort()).toEqual([ids.none, ids.support, ids.follows].sort());

    // Tuesday 08:30 UTC: half an hour of the team's time has run, half is left (due soon under 12 minutes).
    vi.setSystemTime(utc(1, 8, 30));
    expect(await overdue()).not.toContain(ids.eu);
    vi.setSystemTime(utc(1, 8, 50));
    expect((await list("due_soon")).map((c) => c.id)).toEqual([ids.eu]);
    expect(await Effect.runPromise(pass.runDue())).toBe(0);

    // Tuesday 09:30 UTC: the team's hour has run out.
    vi.setSystemTime(utc(1, 9, 30));
    expect(await overdue()).toEqual([ids.none, ids.support, ids.follows, ids.eu].sort());
    expect(await Effect.runPromise(pass.runDue())).toBe(1);
    expect(recorded().at(-1)).toBe(ids.eu);
    const event = kit.db.sqlite.prepare("SELECT data FROM events WHERE type = 'response_overdue' AND conversation_id = ?").pluck().get(ids.eu) as string;
    expect(JSON.parse(event)).toMatchObject({ kind: "first_response", dueAt: utc(1, 9), waitingSince: WAIT_FROM });

    // Wednesday 09:30 UTC: the teams closed on Tuesday are past due too.
    vi.setSystemTime(utc(2, 9, 30));
    expect(await Effect.runPromise(pass.runDue())).toBe(2);
    expect(recorded().slice(-2).sort()).toEqual([ids.euHoliday, ids.euStaff].sort());
  });

  it("reads each calendar once, however many conversations ask", () => {
    const statements: string[] = [];
    const prepare: typeof kit.db.prepare = (sql) => {
      statements.push(sql);
      return kit.db.prepare(sql);
    };
    const hoursOf = targetHoursReader(prepare);
    for (let i = 0; i < 3; i++) for (const team of [null, "team_eu", "team_follows", "team_support", "team_gone"]) hoursOf(team);
    // The workspace's settings once, each team asked about once; a team deleted since counts in the workspace's.
    expect(statements).toHaveLength(5);
    expect(hoursOf("team_gone")).toBe(hoursOf(null));
    expect(hoursOf("team_follows")).toBe(hoursOf(null));
    expect(hoursOf("team_eu")).toMatchObject({ team: "EU Support", hours: { timezone: "Europe/Berlin" } });
  });
});

describe("answers that missed their target, in the hours of the team they were with", () => {
  let kit: Kit;
  const ids: Record<string, string> = {};
  const reply = async (id: string, at: number) => {
    vi.setSystemTime(at);
    await kit.run(Effect.flatMap(Inbox, (i) => i.reply({ conversationId: id, text: "Hello!", clientMessageId: `r-${id}` }, people.alex)));
  };
  const reports = async () => makeReports({ db: kit.db, chatflows: await kit.run(Chatflows.Chatflows) });
  const week = { range: "custom", from: "2026-03-02", to: "2026-03-06" };

  beforeAll(async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    kit = await openWorkspace();
    ids.euInTime = waiting(kit, "team_eu");
    ids.workspace = waiting(kit, null);
    ids.euLate = waiting(kit, "team_eu");
    // Tuesday 08:50 UTC: 50 minutes into the EU team's day; five hours of the workspace's have run since Monday 17:00.
    await reply(ids.euInTime, utc(1, 8, 50));
    await reply(ids.workspace, utc(1, 8, 50));
    // Tuesday 09:30 UTC: 90 minutes of the team's.
    await reply(ids.euLate, utc(1, 9, 30));
    // Moved to a team without hours since: the reply was the EU team's, and is judged in its hours.
    kit.db.sqlite.prepare("UPDATE conversations SET team_id = 'team_support' WHERE id = ?").run(ids.euLate);
    kit.db.sqlite.prepare("UPDATE report_conversations SET team_id = 'team_support' WHERE conversation_id = ?").run(ids.euLate);
  });
  afterAll(async () => {
    await kit.dispose();
    vi.useRealTimers();
  });

  it("lists a reply as missed only when the business time of its team's hours ran past the target", async () => {
    const r = await reports();
    const page = await Effect.runPromise(r.breaches(await Effect.runPromise(r.parseBreachQuery(week))));
    expect(page.breaches.map((b) => [b.conversationId, b.actualMs / MIN, b.overMs / MIN, b.businessHours, b.teamHours])).toEqual([
      [ids.workspace, 300, 240, true, null],
      // Named by the team whose hours judged it, though the conversation is another's now.
      [ids.euLate, 90, 30, true, "EU Support"],
    ]);
  });

  it("counts the met shares over the same calendars, so the list holds exactly the measured minus met", async () => {
    const r = await reports();
    const team = await Effect.runPromise(r.team(await Effect.runPromise(r.parseQuery(week))));
    expect(team.targets.map((t) => [t.name, t.firstResponse])).toEqual([["Support", { met: 1, measured: 3 }]]);
  });
});

describe("the teams of a page's queued conversations", () => {
  let kit: Kit;
  beforeAll(async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    kit = await openWorkspace();
  });
  afterAll(async () => {
    await kit.dispose();
    vi.useRealTimers();
  });

  it("reads the teams' closed state from the hours read with the rows, and when the first opens or closes; the workspace's calendar at most once, only for a team that follows it", () => {
    const statements: string[] = [];
    const prepare: typeof kit.db.prepare = (sql) => {
      statements.push(sql);
      return kit.db.prepare(sql);
    };
    const rows = kit.db.sqlite.prepare("SELECT id, hours FROM teams WHERE id IN ('team_eu', 'team_eu_staff', 'team_follows', 'team_support')").all() as Array<{
      id: string;
      hours: string | null;
    }>;
    // Monday 07:00 UTC: 08:00 in Berlin, 02:00 in New York (the workspace's): both calendars closed; Berlin opens first.
    expect(queueTeamsAt(prepare, [...rows, ...rows], utc(0, 7))).toEqual({
      closed: {
        team_eu: { opensAt: utc(0, 8), timezone: "Europe/Berlin" },
        team_eu_staff: { opensAt: utc(0, 8), timezone: "Europe/Berlin" },
        team_follows: { opensAt: utc(0, 14), timezone: "America/New_York" },
      },
      changesAt: utc(0, 8),
    });
    expect(statements).toHaveLength(1);
    // 09:00 UTC: Berlin is open (until 17:00 there, 16:00 UTC); New York opens first, at 14:00 UTC.
    expect(queueTeamsAt(kit.db.prepare, rows, utc(0, 9))).toEqual({ closed: { team_follows: { opensAt: utc(0, 14), timezone: "America/New_York" } }, changesAt: utc(0, 14) });
    // 15:00 UTC: all open; Berlin closes first.
    expect(queueTeamsAt(kit.db.prepare, rows, utc(0, 15))).toEqual({ closed: {}, changesAt: utc(0, 16) });
    // Own hours that keep none of the workspace's closed dates, and no hours: its calendar is not read.
    statements.length = 0;
    expect(queueTeamsAt(prepare, rows.filter((r) => r.id === "team_eu" || r.id === "team_support"), utc(0, 7)).changesAt).toBe(utc(0, 8));
    expect(queueTeamsAt(prepare, [], utc(0, 7))).toEqual({ closed: {}, changesAt: null });
    expect(queueTeamsAt(prepare, [{ id: "team_support", hours: null }], utc(0, 7))).toEqual({ closed: {}, changesAt: null });
    expect(statements).toEqual([]);
  });
});
