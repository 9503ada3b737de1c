/**
 * The secret calendar feed (decision 052): /calendar/<token>/closed-dates.ics and
 * /calendar/<token>/teams/<teamId>.ics on the real handler (server/calendar-feed.ts), the app's
 * real runtime and a fresh seeded SQLite file. Closed dates are added over the REST API, the
 * feed is created, reset and turned off through the CalendarFeed service as the Reports page
 * does; what a calendar app receives is read back with readCalendar.
 */
import type BetterSqlite3 from "better-sqlite3";
import { Effect, Either } from "effect";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../../bench/http-harness.js";
import { CalendarFeed } from "../../runtime/services/calendar-feed.js";
import { readCalendar } from "../../runtime/services/calendar-import.js";
import { Workspace } from "../../runtime/services/workspace.js";
import { createCalendarFeedRoutes } from "../../server/calendar-feed.js";
import { seededRoleTokens, startPublicApiApp, type PublicApiApp } from "../support/public-api-server.js";

let app: PublicApiApp;
let sqlite: BetterSqlite3.Database;
let feedServer: Server;
let feedBase: string;
let adminToken: string;
const teams = { follows: "", own: "", none: "" };

const today = new Date().toISOString().slice(0, 10);
const feed = <A>(f: (s: typeof CalendarFeed.Service) => Effect.Effect<A>) => app.runtime.runPromise(Effect.flatMap(CalendarFeed, f));
const get = (path: string, method = "GET") => fetch(`${feedBase}${path}`, { method });
/** The dates a calendar app would show, read back as an import reads them. */
const datesIn = (text: string) => {
  const read = readCalendar(text, today);
  if (Either.isLeft(read)) throw new Error(read.left.message);
  return read.right.dates;
};
const feedAudits = () => sqlite.prepare("SELECT action FROM audit_log WHERE action LIKE 'settings.calendar_feed_%' ORDER BY id").pluck().all();

beforeAll(async () => {
  app = await startPublicApiApp("calendar-feed", { rateLimitEnabled: false }, { rateLimitEnabled: false });
  sqlite = app.sqlite;
  adminToken = (await seededRoleTokens(app.runtime)).admin.token;
  const routes = createCalendarFeedRoutes(app.runtime, { rateLimitEnabled: true, rateLimit: { capacity: 40, perSecond: 0.001 } });
  feedServer = createServer((req, res) => {
    if (!routes.handle(req, res)) res.writeHead(418).end("not the calendar feed");
  });
  await new Promise<void>((resolve) => feedServer.listen(0, "127.0.0.1", resolve));
  feedBase = `http://127.0.0.1:${(feedServer.address() as AddressInfo).port}`;

  for (const closed of [
    { date: "2090-01-02", name: "Winter closing" },
    { date: "2020-12-24", name: "Christmas Eve", yearly: true },
    { date: "2090-03-04", name: "Short day", hours: [{ from: "09:00", to: "12:00" }] },
  ]) {
    const added = await call(app.base, "/api/v1/settings/closed-dates", { method: "POST", token: adminToken, body: closed });
    if (added.status !== 201) throw new Error(JSON.stringify(added.body));
  }
  const week = ["mon", "tue", "wed", "thu", "fri"].map((day) => ({ day, from: "09:00", to: "17:00" }));
  const hours = await call(app.base, "/api/v1/settings/business-hours", { method: "PUT", token: adminToken, body: { hours: week } });
  if (hours.status !== 200) throw new Error(JSON.stringify(hours.body));
  await app.runtime.runPromise(
    Effect.gen(function* () {
      const w = yield* Workspace;
      teams.follows = (yield* w.createTeam({ name: "Feed follows" })).id;
      teams.own = (yield* w.createTeam({ name: "Feed own" })).id;
      teams.none = (yield* w.createTeam({ name: "Feed none" })).id;
      yield* w.setTeamHours(teams.follows, { source: "workspace" });
      yield* w.setTeamHours(teams.own, {
        source: "own",
        timezone: "Europe/Berlin",
        hours: week,
        closedDates: [
          { date: "2090-01-02", name: "Team offsite" },
          { date: "2090-07-08", name: "Team day" },
        ],
        workspaceClosedDates: true,
      });
    }),
  );
});

afterAll(async () => {
  feedServer?.closeAllConnections();
  await new Promise<void>((resolve) => (feedServer ? feedServer.close(() => resolve()) : resolve()));
  await app?.close();
});

const workspaceDates = [
  { date: "2090-01-02", name: "Winter closing", yearly: false },
  { date: "2020-12-24", name: "Christmas Eve", yearly: true },
  { date: "2090-03-04", name: "Short day", yearly: false, hours: [{ from: "09:00", to: "12:00" }] },
];

describe("the calendar feed", () => {
  it("is off until an admin creates it: every URL is the same 404", async () => {
    expect(await feed((f) => f.token())).toBeNull();
    const res = await get("/calendar/anything/closed-dates.ics");
    expect([res.status, res.headers.get("content-type"), await res.text()]).toEqual([404, "text/plain; charset=utf-8", "Not found\n"]);
  });

  it("serves the workspace's and the teams' closed dates to the right token, read back as the same dates", async () => {
    const token = await feed((f) => f.renew());
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(feedAudits()).toEqual(["settings.calendar_feed_created"]);

    const res = await get(`/calendar/${token}/closed-dates.ics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/calendar; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("private, max-age=300");
    const text = await res.text();
    expect(text.startsWith("BEGIN:VCALENDAR\r\n")).toBe(true);
    expect(datesIn(text)).toEqual(expect.arrayContaining(workspaceDates));
    expect(datesIn(text)).toHaveLength(3);

    // A team that follows the workspace: the workspace's dates.
    expect(datesIn(await (await get(`/calendar/${token}/teams/${teams.follows}.ics`)).text())).toHaveLength(3);
    // Its own dates plus the workspace's; a day both name is the team's.
    const own = datesIn(await (await get(`/calendar/${token}/teams/${teams.own}.ics`)).text());
    expect(own).toEqual(
      expect.arrayContaining([
        { date: "2090-01-02", name: "Team offsite", yearly: false },
        { date: "2090-07-08", name: "Team day", yearly: false },
        workspaceDates[1],
        workspaceDates[2],
      ]),
    );
    expect(own).toHaveLength(4);
    // A team with no hours is never closed: an empty calendar, still a calendar.
    const none = await get(`/calendar/${token}/teams/${teams.none}.ics`);
    const noneText = await none.text();
    expect([none.status, noneText.includes("BEGIN:VCALENDAR"), noneText.includes("BEGIN:VEVENT")]).toEqual([200, true, false]);

    const head = await get(`/calendar/${token}/closed-dates.ics`, "HEAD");
    expect([head.status, head.headers.get("content-type"), await head.text()]).toEqual([200, "text/calendar; charset=utf-8", ""]);
  });

  it("answers the same 404 to a wrong token, an unknown team and a wrong path, leaking nothing", async () => {
    const token = (await feed((f) => f.token())) ?? "";
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const wrong = [
      `/calendar/${token.slice(0, -1)}x/closed-dates.ics`,
      `/calendar/${token}x/closed-dates.ics`,
      `/calendar/x${token}/teams/${teams.own}.ics`,
      `/calendar/${token}/teams/no-such-team.ics`,
      `/calendar/${token}/teams/${teams.own}`,
      `/calendar/${token}/teams/.ics`,
      `/calendar/${token}`,
      `/calendar/${token}/closed-dates.ics/more`,
      `/calendar/%E0%A4%A/closed-dates.ics`,
      "/calendar",
    ];
    for (const path of wrong) {
      const res = await get(path);
      expect([path, res.status, res.headers.get("content-type"), res.headers.get("cache-control"), await res.text()]).toEqual([
        path,
        404,
        "text/plain; charset=utf-8",
        "no-store",
        "Not found\n",
      ]);
    }
    const posted = await fetch(`${feedBase}/calendar/${token}/closed-dates.ics`, { method: "POST", body: "x" });
    expect([posted.status, posted.headers.get("allow")]).toEqual([405, "GET, HEAD"]);
    // Only /calendar and under it: the rest is left to the next handler.
    expect((await get("/calendars/x")).status).toBe(418);
  });

  it("stops the old URL when the link is reset, and every URL when the feed is turned off", async () => {
    const before = await feed((f) => f.renew());
    const after = await feed((f) => f.renew());
    expect(after).not.toBe(before);
    expect((await get(`/calendar/${before}/closed-dates.ics`)).status).toBe(404);
    expect((await get(`/calendar/${before}/teams/${teams.own}.ics`)).status).toBe(404);
    expect((await get(`/calendar/${after}/closed-dates.ics`)).status).toBe(200);
    expect(feedAudits().slice(-2)).toEqual(["settings.calendar_feed_reset", "settings.calendar_feed_reset"]);

    await feed((f) => f.turnOff());
    expect((await get(`/calendar/${after}/closed-dates.ics`)).status).toBe(404);
    expect((await get(`/calendar/${after}/teams/${teams.own}.ics`)).status).toBe(404);
    expect(sqlite.prepare("SELECT count(*) FROM settings WHERE key = 'calendar_feed_token'").pluck().get()).toBe(0);
    // Turning off what is off writes no line.
    await feed((f) => f.turnOff());
    expect(feedAudits().slice(-2)).toEqual(["settings.calendar_feed_reset", "settings.calendar_feed_turned_off"]);
    // The closed dates themselves are untouched.
    expect((await call(app.base, "/api/v1/settings/closed-dates", { token: adminToken })).body.closedDates).toHaveLength(3);
  });

  it("limits requests per address: a guesser is refused with 429", async () => {
    let status = 0;
    for (let i = 0; i < 60 && status !== 429; i++) status = (await get(`/calendar/guess${i}/closed-dates.ics`)).status;
    expect(status).toBe(429);
  });
});
