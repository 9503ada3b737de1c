/**
 * Calendar subscriptions over the REST API (decision 057): GET/POST
 * /api/v1/settings/calendar-subscriptions, POST …/:id/sync, DELETE …/:id?keepDates=…, on the real
 * handler, the app's real runtime and a fresh seeded SQLite file; the calendars are served by a
 * real HTTP server on this machine. Every refused request asserts its status, its error body
 * AND that nothing stored changed.
 */
import type BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../../bench/http-harness.js";
import { MAX_CALENDAR_BYTES } from "../../runtime/services/calendar-import.js";
import { seededRoleTokens, startPublicApiApp, type PublicApiApp } from "../support/public-api-server.js";
import { startCalendarHost, wholeDayCalendar, type CalendarHost } from "../support/ics.js";

let app: PublicApiApp;
let sqlite: BetterSqlite3.Database;
let base: string;
let calendars: CalendarHost;
let calendarBase: string;
const tokens: Record<"admin" | "analyst" | "agent", string> = { admin: "", analyst: "", agent: "" };
const served = new Map<string, string>();

const ics = (...events: Array<{ date: string; name: string }>) => wholeDayCalendar(events, "rest");

beforeAll(async () => {
  app = await startPublicApiApp("rest-calendar-subscriptions", { rateLimitEnabled: false }, { rateLimitEnabled: false });
  ({ sqlite, base } = app);
  const made = await seededRoleTokens(app.runtime);
  for (const role of ["admin", "analyst", "agent"] as const) tokens[role] = made[role].token;
  calendars = await startCalendarHost((req, res) => {
    const body = served.get(req.url ?? "");
    if (req.url === "/huge.ics") return void res.writeHead(200, { "content-type": "text/calendar" }).end(`BEGIN:VCALENDAR\r\n${"X".repeat(MAX_CALENDAR_BYTES)}`);
    if (req.url === "/page.html") return void res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><p>Sign in</p>");
    if (body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "text/calendar" }).end(body);
  });
  calendarBase = calendars.base;
});

afterAll(async () => {
  await app?.close();
  await calendars?.close();
});

const PATH = "/api/v1/settings/calendar-subscriptions";
const send = (path: string, token: string | undefined, init: { method?: string; body?: unknown } = {}) => call(base, path, { ...init, ...(token === undefined ? {} : { token }) });
const stored = () => ({
  subscriptions: sqlite.prepare("SELECT * FROM calendar_subscriptions ORDER BY id").all(),
  closedDates: sqlite.prepare("SELECT value FROM settings WHERE key = 'closed_dates'").pluck().get(),
  teams: sqlite.prepare("SELECT id, hours FROM teams ORDER BY id").all(),
  auditLines: sqlite.prepare("SELECT count(*) FROM audit_log").pluck().get(),
});
const storesNothing = async <T>(request: () => Promise<T>): Promise<T> => {
  const before = stored();
  const result = await request();
  expect(stored()).toEqual(before);
  return result;
};
const closedDates = async () => ((await send("/api/v1/settings/closed-dates", tokens.analyst)).body.closedDates as Array<{ date: string; name?: string }>).map((c) => `${c.date} ${c.name ?? ""}`);

describe("/api/v1/settings/calendar-subscriptions", () => {
  it("subscribes (the first sync at once), lists, syncs now after the calendar changed, and unsubscribes removing its dates", async () => {
    served.set("/holidays.ics", ics({ date: "2090-10-03", name: "Unity" }, { date: "2090-12-25", name: "Xmas" }));
    const made = await send(PATH, tokens.admin, { method: "POST", body: { url: `${calendarBase}/holidays.ics` } });
    expect(made.status).toBe(201);
    expect(made.body.subscription).toMatchObject({ scope: "workspace", teamId: null, url: `${calendarBase}/holidays.ics`, status: "ok", error: null });
    expect(made.body.subscription.lastSyncedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(made.body.sync).toMatchObject({ status: "changed", added: [{ date: "2090-10-03", name: "Unity", yearly: false }, { date: "2090-12-25", name: "Xmas", yearly: false }] });
    expect(await closedDates()).toEqual(expect.arrayContaining(["2090-10-03 Unity", "2090-12-25 Xmas"]));
    const id = made.body.subscription.id as string;

    const listed = await send(PATH, tokens.admin);
    expect(listed.status).toBe(200);
    expect(listed.body.subscriptions.map((s: { id: string }) => s.id)).toContain(id);

    served.set("/holidays.ics", ics({ date: "2090-12-25", name: "Christmas Day" }, { date: "2090-12-26", name: "Boxing Day" }));
    const synced = await send(`${PATH}/${id}/sync`, tokens.admin, { method: "POST" });
    expect(synced.status).toBe(200);
    expect(synced.body.sync).toMatchObject({ status: "changed", added: [{ date: "2090-12-26" }], removed: [{ date: "2090-10-03" }] });
    expect(synced.body.sync.renamed).toEqual([{ from: { date: "2090-12-25", name: "Xmas", yearly: false }, to: { date: "2090-12-25", name: "Christmas Day", yearly: false } }]);
    const lines = sqlite.prepare("SELECT action, via FROM audit_log WHERE target_id = ? ORDER BY id").all(id);
    expect(lines).toEqual([
      { action: "calendar_subscription.created", via: "api" },
      { action: "calendar_subscription.synced", via: "api" },
    ]);

    const noChoice = await storesNothing(() => send(`${PATH}/${id}`, tokens.admin, { method: "DELETE" }));
    expect([noChoice.status, noChoice.body.error.path]).toEqual([400, "keepDates"]);
    const gone = await send(`${PATH}/${id}?keepDates=false`, tokens.admin, { method: "DELETE" });
    expect(gone.status).toBe(200);
    expect(gone.body).toMatchObject({ deleted: id, keepDates: false, removed: [{ date: "2090-12-25" }, { date: "2090-12-26" }] });
    expect(await closedDates()).not.toEqual(expect.arrayContaining(["2090-12-25 Christmas Day"]));
    const again = await storesNothing(() => send(`${PATH}/${id}/sync`, tokens.admin, { method: "POST" }));
    expect(again.status).toBe(404);
  });

  it("subscribes a team that keeps its own hours, and keeps the dates on unsubscribing when asked", async () => {
    served.set("/sales.ics", ics({ date: "2091-07-01", name: "Sales offsite" }));
    const made = await send(PATH, tokens.admin, { method: "POST", body: { url: `${calendarBase}/sales.ics`, teamId: "team_sales" } });
    expect(made.status).toBe(201);
    expect(made.body.subscription).toMatchObject({ scope: "team", teamId: "team_sales", teamName: "Sales" });
    const team = await send("/api/v1/teams/team_sales/hours", tokens.admin);
    expect(team.body.hours.closedDates).toContainEqual({ date: "2091-07-01", name: "Sales offsite", yearly: false });
    const kept = await send(`${PATH}/${made.body.subscription.id}?keepDates=true`, tokens.admin, { method: "DELETE" });
    expect([kept.status, kept.body.removed]).toEqual([200, []]);
    expect((await send("/api/v1/teams/team_sales/hours", tokens.admin)).body.hours.closedDates).toContainEqual({ date: "2091-07-01", name: "Sales offsite", yearly: false });
  });

  it("refuses bad input with its status and field, storing nothing", async () => {
    served.set("/ok.ics", ics({ date: "2092-01-02", name: "Fine" }));
    const refused = async (body: unknown, token = tokens.admin) => {
      const res = await storesNothing(() => send(PATH, token, { method: "POST", body }));
      return [res.status, res.body.error?.path, res.body.error?.message];
    };
    expect(await refused({ url: "ftp://example.com/a.ics" })).toEqual([400, "url", "url: a calendar URL begins with https://, http:// or webcal://"]);
    expect(await refused({ url: "http://127.0.0.1:1/cal.ics" })).toEqual([400, "url", expect.stringMatching(/^url: the calendar could not be fetched: /)]);
    expect(await refused({ url: `${calendarBase}/page.html` })).toEqual([400, "url", "url: this is not an iCalendar (.ics) file: it must begin with BEGIN:VCALENDAR"]);
    expect(await refused({ url: `${calendarBase}/huge.ics` })).toEqual([400, "url", "url: the calendar could not be fetched: the response is larger than 1024 KB"]);
    expect(await refused({ url: `${calendarBase}/ok.ics`, teamId: "team_support" })).toEqual([400, "teamId", expect.stringContaining("keeps no hours of its own")]);
    expect(await refused({ url: `${calendarBase}/ok.ics`, teamId: "team_nope" })).toEqual([400, "teamId", "teamId: no team team_nope"]);
    expect(await refused({})).toEqual([400, "url", expect.stringContaining("url:")]);
    expect(await refused({ url: 42 })).toEqual([400, "url", expect.stringContaining("url:")]);
    expect((await refused({ url: `${calendarBase}/ok.ics` }, tokens.analyst))[0]).toBe(403);
    expect((await refused({ url: `${calendarBase}/ok.ics` }, tokens.agent))[0]).toBe(403);

    const first = await send(PATH, tokens.admin, { method: "POST", body: { url: `${calendarBase}/ok.ics` } });
    expect(first.status).toBe(201);
    const duplicate = await storesNothing(() => send(PATH, tokens.admin, { method: "POST", body: { url: `${calendarBase}/ok.ics` } }));
    expect([duplicate.status, duplicate.body.error.code, duplicate.body.error.message]).toEqual([409, "conflict", "The workspace already follows this calendar."]);

    expect((await send(PATH, tokens.analyst)).status).toBe(403);
    expect((await send(PATH, undefined)).status).toBe(401);
    const unknown = await storesNothing(() => send(`${PATH}/cal_nope?keepDates=true`, tokens.admin, { method: "DELETE" }));
    expect(unknown.status).toBe(404);
    const wrongMethod = await send(`${PATH}/${first.body.subscription.id}/sync`, tokens.admin);
    expect([wrongMethod.status, wrongMethod.headers.get("allow")]).toEqual([405, "POST"]);
    expect((await send(`${PATH}/${first.body.subscription.id}/other`, tokens.admin)).status).toBe(404);
  });
});
