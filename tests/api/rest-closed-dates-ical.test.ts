/**
 * Closed dates from and to iCalendar over the REST API (decision 052):
 * POST /api/v1/settings/closed-dates/import and GET /api/v1/settings/closed-dates.ics, on the
 * real handler, the app's real runtime and a fresh seeded SQLite file; calendar URLs are served
 * by a real HTTP server on this machine. Every refused request asserts its status, its error
 * body AND that nothing stored changed.
 */
import type BetterSqlite3 from "better-sqlite3";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../../bench/http-harness.js";
import { seededRoleTokens, startPublicApiApp, type PublicApiApp } from "../support/public-api-server.js";

let app: PublicApiApp;
let sqlite: BetterSqlite3.Database;
let base: string;
let calendars: Server;
let calendarBase: string;
const tokens: Record<"admin" | "analyst" | "agent", string> = { admin: "", analyst: "", agent: "" };

/** A calendar of whole-day events far ahead (so that "today" never overtakes them), built per test. */
const ics = (...events: Array<{ date: string; end?: string; name: string; rrule?: string; timed?: boolean }>) =>
  [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Parley tests//EN",
    ...events.flatMap((e, i) => [
      "BEGIN:VEVENT",
      `UID:test-${i}@example.com`,
      e.timed ? `DTSTART:${e.date.replaceAll("-", "")}T090000Z` : `DTSTART;VALUE=DATE:${e.date.replaceAll("-", "")}`,
      ...(e.end ? [`DTEND;VALUE=DATE:${e.end.replaceAll("-", "")}`] : []),
      ...(e.rrule ? [`RRULE:${e.rrule}`] : []),
      `SUMMARY:${e.name}`,
      "END:VEVENT",
    ]),
    "END:VCALENDAR",
    "",
  ].join("\r\n");

beforeAll(async () => {
  app = await startPublicApiApp("rest-closed-dates-ical", { rateLimitEnabled: false }, { rateLimitEnabled: false });
  ({ sqlite, base } = app);
  const made = await seededRoleTokens(app.runtime);
  for (const role of ["admin", "analyst", "agent"] as const) tokens[role] = made[role].token;
  calendars = createServer((req, res) => {
    if (req.url === "/team.ics") return void res.writeHead(200, { "content-type": "text/calendar" }).end(ics({ date: "2091-04-01", name: "Spring day" }, { date: "2091-04-02", name: "Meeting", timed: true }));
    if (req.url === "/google.ics") return void res.writeHead(200, { "content-type": "text/calendar" }).end(readFileSync(join(__dirname, "../fixtures/calendars/google-holidays.ics")));
    if (req.url === "/away.ics") return void res.writeHead(301, { location: "http://localhost/team.ics" }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => calendars.listen(0, "127.0.0.1", resolve));
  calendarBase = `http://127.0.0.1:${(calendars.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app?.close();
  calendars?.closeAllConnections();
  await new Promise<void>((resolve) => (calendars ? calendars.close(() => resolve()) : resolve()));
});

const send = (path: string, token: string | undefined, init: { method?: string; body?: unknown } = {}) => call(base, path, { ...init, ...(token === undefined ? {} : { token }) });
const importing = (body: unknown, token = tokens.admin) => send("/api/v1/settings/closed-dates/import", token, { method: "POST", body });
const stored = () => ({
  closedDates: sqlite.prepare("SELECT value FROM settings WHERE key = 'closed_dates'").pluck().get(),
  auditLines: sqlite.prepare("SELECT count(*) FROM audit_log").pluck().get(),
});
const storesNothing = async <T>(request: () => Promise<T>): Promise<T> => {
  const before = stored();
  const result = await request();
  expect(stored()).toEqual(before);
  return result;
};
const importAudits = () =>
  (sqlite.prepare("SELECT via, data FROM audit_log WHERE action = 'settings.closed_dates_imported' ORDER BY id").all() as Array<{ via: string; data: string }>).map((a) => ({
    via: a.via,
    data: JSON.parse(a.data) as unknown,
  }));

describe("POST /api/v1/settings/closed-dates/import", () => {
  it("previews with dryRun (nothing stored), then adds, skipping timed events and days already closed", async () => {
    expect((await send("/api/v1/settings/closed-dates", tokens.admin, { method: "POST", body: { date: "2090-01-01", name: "Ours" } })).status).toBe(201);
    const text = ics(
      { date: "2090-01-01", name: "New Year" },
      { date: "2090-05-01", end: "2090-05-03", name: "May days" },
      { date: "2020-10-03", name: "Unity Day", rrule: "FREQ=YEARLY" },
      { date: "2090-06-01", name: "Town hall", timed: true },
    );
    const preview = await storesNothing(() => importing({ ics: text, dryRun: true }));
    expect(preview.status).toBe(200);
    const added = [
      { date: "2090-05-01", name: "May days", yearly: false },
      { date: "2090-05-02", name: "May days", yearly: false },
      { date: "2020-10-03", name: "Unity Day", yearly: true },
    ];
    expect(preview.body).toEqual({
      dryRun: true,
      added,
      skipped: [
        { summary: "Town hall", date: "2090-06-01", reason: "a timed event: only whole-day events are closed dates" },
        { date: "2090-01-01", reason: "already closed (Ours)" },
      ],
      pastEvents: 0,
      closedDates: [{ date: "2090-01-01", name: "Ours", yearly: false }, added[0], added[1], added[2]],
    });
    const done = await importing({ ics: text });
    expect(done.status).toBe(201);
    expect(done.body).toEqual({ ...preview.body, dryRun: false });
    expect((await send("/api/v1/settings/closed-dates", tokens.analyst)).body.closedDates).toEqual(done.body.closedDates);
    expect(importAudits()).toEqual([{ via: "api", data: { source: "a calendar sent over the REST API", dates: ["2090-05-01", "2090-05-02", "2020-10-03"] } }]);
    const again = await storesNothing(() => importing({ ics: text }));
    expect([again.status, again.body.added]).toEqual([200, []]);
  });

  it("fetches a calendar URL and names it in the audit line", async () => {
    const res = await importing({ url: `${calendarBase}/team.ics` });
    expect(res.status).toBe(201);
    expect(res.body.added).toEqual([{ date: "2091-04-01", name: "Spring day", yearly: false }]);
    expect(res.body.skipped).toEqual([{ summary: "Meeting", date: "2091-04-02", reason: "a timed event: only whole-day events are closed dates" }]);
    expect(importAudits().at(-1)).toEqual({ via: "api", data: { source: `${calendarBase}/team.ics`, dates: ["2091-04-01"] } });
    const google = await storesNothing(() => importing({ url: `${calendarBase}/google.ics`, dryRun: true }));
    expect(google.status).toBe(200);
    expect(google.body.added.length + google.body.pastEvents).toBeGreaterThan(0);
  });

  it("refuses bad input with 400/413 and the field, storing nothing", async () => {
    const refused = async (body: unknown, token = tokens.admin) => {
      const res = await storesNothing(() => importing(body, token));
      return [res.status, res.body.error?.path, res.body.error?.message];
    };
    expect(await refused({ ics: "Name,Date\nChristmas,2090-12-25\n" })).toEqual([400, "ics", "ics: this is not an iCalendar (.ics) file: it must begin with BEGIN:VCALENDAR"]);
    expect(await refused({ ics: "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n" })).toEqual([400, "ics", "ics: the calendar has no events"]);
    // Daily from next year: more than 200 days within the two years a series is read over.
    const daily = ics({ date: `${new Date().getUTCFullYear() + 1}-01-01`, name: "Every day", rrule: "FREQ=DAILY" });
    expect(await refused({ ics: daily })).toEqual([400, "ics", expect.stringContaining("at most 200 closed dates")]);
    expect(await refused({ url: `${calendarBase}/missing.ics` })).toEqual([400, "url", "url: the calendar could not be fetched: the server answered 404"]);
    expect(await refused({ url: `${calendarBase}/away.ics` })).toEqual([400, "url", expect.stringContaining("only same-host redirects are followed")]);
    expect(await refused({ url: "file:///etc/passwd" })).toEqual([400, "url", "url: the calendar could not be fetched: only http and https URLs can be called, not file:"]);
    expect(await refused({ ics: "x", url: "http://example.com/x.ics" })).toEqual([400, undefined, "send the calendar as `ics` (its text) or `url` (where to fetch it), one of the two"]);
    expect(await refused({})).toEqual([400, undefined, "send the calendar as `ics` (its text) or `url` (where to fetch it), one of the two"]);
    expect(await refused({ ics: 42 })).toEqual([400, "ics", expect.stringContaining("ics:")]);
    expect(await refused({ ics: "BEGIN:VCALENDAR", dryRun: "yes" })).toEqual([400, "dryRun", expect.stringContaining("dryRun:")]);
    const big = await storesNothing(() => importing({ ics: `BEGIN:VCALENDAR\r\n${"X".repeat(1024 * 1024)}` }));
    expect([big.status, big.body.error.code]).toEqual([413, "payload_too_large"]);
    expect((await refused({ ics: ics({ date: "2090-01-01", name: "x" }) }, tokens.analyst))[0]).toBe(403);
    const wrong = await send("/api/v1/settings/closed-dates/import", tokens.admin);
    expect([wrong.status, wrong.headers.get("allow")]).toEqual([405, "POST"]);
  });
});

describe("GET /api/v1/settings/closed-dates.ics", () => {
  it("exports the list as a calendar that imports back as the same dates", async () => {
    const res = await send("/api/v1/settings/closed-dates.ics", tokens.analyst);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/calendar; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="closed-dates.ics"');
    const text = res.body as string;
    expect(text.startsWith("BEGIN:VCALENDAR\r\n")).toBe(true);
    expect(text).toContain("RRULE:FREQ=YEARLY\r\n");
    const list = (await send("/api/v1/settings/closed-dates", tokens.analyst)).body.closedDates;
    expect(list.length).toBeGreaterThan(3);
    // Emptied, the list takes the export back whole.
    for (const c of list) expect((await send(`/api/v1/settings/closed-dates/${c.date}`, tokens.admin, { method: "DELETE" })).status).toBe(200);
    const back = await storesNothing(() => importing({ ics: text, dryRun: true }));
    expect([back.body.added, back.body.skipped]).toEqual([list, []]);
    expect((await importing({ ics: text })).body.closedDates).toEqual(list);
    expect((await send("/api/v1/settings/closed-dates.ics", tokens.agent)).status).toBe(403);
    expect((await send("/api/v1/settings/closed-dates.ics", undefined)).status).toBe(401);
  });
});
