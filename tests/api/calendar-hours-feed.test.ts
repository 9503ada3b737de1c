/**
 * The weekly-hours feed (decision 057): /calendar/<token>/hours.ics and
 * /calendar/<token>/teams/<teamId>/hours.ics on the real handler (server/calendar-feed.ts), the
 * app's real runtime and a fresh seeded SQLite file. What a calendar app receives is read back
 * with ical.js and its own VTIMEZONE, as an app would place the events; wrong tokens and teams
 * answer the feed's one 404.
 */
import { Effect } from "effect";
import ICAL from "ical.js";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CalendarFeed } from "../../runtime/services/calendar-feed.js";
import { Reports } from "../../runtime/services/reports.js";
import { Workspace } from "../../runtime/services/workspace.js";
import { createCalendarFeedRoutes } from "../../server/calendar-feed.js";
import { startPublicApiApp, type PublicApiApp } from "../support/public-api-server.js";

let app: PublicApiApp;
let feedServer: Server;
let feedBase: string;
let token: string;
let ownTeam: string;
let noneTeam: string;

const get = (path: string) => fetch(`${feedBase}${path}`);
/** Each weekly event's weekday, local start and end as written, and its first start as a UTC instant (the calendar's own VTIMEZONE). */
const eventsIn = (text: string) => {
  const calendar = new ICAL.Component(ICAL.parse(text));
  const zones = calendar.getAllSubcomponents("vtimezone");
  for (const zone of zones) ICAL.TimezoneService.register(zone);
  try {
    return calendar.getAllSubcomponents("vevent").map((c) => {
      const event = new ICAL.Event(c);
      return {
        summary: event.summary,
        rule: String(c.getFirstPropertyValue("rrule") ?? ""),
        tzid: c.getFirstProperty("dtstart")?.getParameter("tzid"),
        firstUtc: new Date(event.startDate.toUnixTime() * 1000).toISOString(),
      };
    });
  } finally {
    for (const zone of zones) ICAL.TimezoneService.remove(String(zone.getFirstPropertyValue("tzid")));
  }
};

beforeAll(async () => {
  app = await startPublicApiApp("calendar-hours-feed", { rateLimitEnabled: false }, { rateLimitEnabled: false });
  const routes = createCalendarFeedRoutes(app.runtime, { rateLimitEnabled: false });
  feedServer = createServer((req, res) => {
    if (!routes.handle(req, res)) res.writeHead(418).end();
  });
  await new Promise<void>((resolve) => feedServer.listen(0, "127.0.0.1", resolve));
  feedBase = `http://127.0.0.1:${(feedServer.address() as AddressInfo).port}`;
  await app.runtime.runPromise(
    Effect.gen(function* () {
      const reports = yield* Reports;
      yield* reports.setTimezone("America/New_York");
      yield* reports.setBusinessHours([{ day: "tue", from: "08:30", to: "12:00" }]);
      const w = yield* Workspace;
      ownTeam = (yield* w.createTeam({ name: "Hours own" })).id;
      noneTeam = (yield* w.createTeam({ name: "Hours none" })).id;
      yield* w.setTeamHours(ownTeam, { source: "own", timezone: "Asia/Tokyo", hours: [{ day: "sat", from: "10:00", to: "14:00" }], closedDates: [] });
      token = yield* Effect.flatMap(CalendarFeed, (f) => f.renew());
    }),
  );
});

afterAll(async () => {
  await app?.close();
  feedServer?.closeAllConnections();
  await new Promise<void>((resolve) => (feedServer ? feedServer.close(() => resolve()) : resolve()));
});

describe("GET /calendar/<token>/hours.ics and /calendar/<token>/teams/<id>/hours.ics", () => {
  it("serves the workspace's weekly hours as weekly events on its zone's clock, with a VTIMEZONE", async () => {
    const res = await get(`/calendar/${token}/hours.ics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/calendar; charset=utf-8");
    const text = await res.text();
    expect(text).toContain("BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n");
    const [tuesday, ...rest] = eventsIn(text);
    expect(rest).toEqual([]);
    expect(tuesday).toMatchObject({ summary: "Open", rule: "FREQ=WEEKLY;BYDAY=TU", tzid: "America/New_York" });
    // 08:30 in New York is 13:30 or 12:30 UTC, whichever half of the year today is in.
    expect(tuesday?.firstUtc).toMatch(/T1[23]:30:00\.000Z$/);
  });

  it("serves a team's own hours in its zone, and an empty calendar for a team whose hours never close it", async () => {
    const own = eventsIn(await (await get(`/calendar/${token}/teams/${ownTeam}/hours.ics`)).text());
    expect(own).toEqual([{ summary: "Hours own open", rule: "FREQ=WEEKLY;BYDAY=SA", tzid: "Asia/Tokyo", firstUtc: expect.stringMatching(/T01:00:00\.000Z$/) }]);
    const none = await get(`/calendar/${token}/teams/${noneTeam}/hours.ics`);
    expect(none.status).toBe(200);
    expect(eventsIn(await none.text())).toEqual([]);
  });

  it("answers the feed's one 404 for a wrong token, an unknown team or another path", async () => {
    for (const path of [`/calendar/wrong/hours.ics`, `/calendar/${token}/teams/team_nope/hours.ics`, `/calendar/${token}/teams/${ownTeam}/other.ics`, `/calendar/${token}/hours.ics/x`]) {
      const res = await get(path);
      expect([path, res.status, await res.text()]).toEqual([path, 404, "Not found\n"]);
    }
  });
});
