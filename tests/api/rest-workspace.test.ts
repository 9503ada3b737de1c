/**
 * The workspace's clock over the REST API (/api/v1/settings/business-hours, /closed-dates) and a
 * team's hours (/api/v1/teams/:id/hours, decision 048): the real handler on a node:http server,
 * the app's real runtime and a fresh seeded SQLite file. Every refused request asserts its
 * status, its error body AND that nothing stored changed (the settings rows, the team's hours
 * and the audit log).
 */
import type BetterSqlite3 from "better-sqlite3";
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../../bench/http-harness.js";
import type { AppRuntime } from "../../runtime/services/app-layer.js";
import { LiveEvents, type LiveEvent } from "../../runtime/services/live-events.js";
import { Routing } from "../../runtime/services/routing.js";
import { SEED_IDS } from "../../runtime/services/seed.js";
import { Workspace } from "../../runtime/services/workspace.js";
import { seededRoleTokens, startPublicApiApp, type PublicApiApp } from "../support/public-api-server.js";

let app: PublicApiApp;
let runtime: AppRuntime;
let sqlite: BetterSqlite3.Database;
let base: string;
let teamId: string;
const tokens: Record<"admin" | "marketer" | "agent" | "analyst", string> = { admin: "", marketer: "", agent: "", analyst: "" };

beforeAll(async () => {
  app = await startPublicApiApp("rest-workspace", { rateLimitEnabled: false }, { rateLimitEnabled: false });
  ({ runtime, sqlite, base } = app);
  const made = await seededRoleTokens(runtime);
  for (const role of ["admin", "marketer", "agent", "analyst"] as const) tokens[role] = made[role].token;
  teamId = (await runtime.runPromise(Effect.flatMap(Workspace, (w) => w.createTeam({ name: "API hours team" })))).id;
});

afterAll(async () => {
  await app?.close();
});

const send = (path: string, token: string | undefined, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
  call(base, path, { ...init, ...(token === undefined ? {} : { token }) });

/** What the workspace's clock and the team's hours are stored as, and how long the audit log is. */
const stored = () => ({
  settings: sqlite.prepare("SELECT key, value FROM settings WHERE key IN ('timezone', 'business_hours', 'closed_dates') ORDER BY key").all(),
  teamHours: sqlite.prepare("SELECT hours FROM teams WHERE id = ?").pluck().get(teamId),
  auditLines: sqlite.prepare("SELECT count(*) FROM audit_log").pluck().get(),
});
const storesNothing = async <T>(request: () => Promise<T>): Promise<T> => {
  const before = stored();
  const result = await request();
  expect(stored()).toEqual(before);
  return result;
};
const auditActions = (afterCount: number) =>
  (sqlite.prepare("SELECT action, via, data FROM audit_log ORDER BY id").all() as Array<{ action: string; via: string; data: string }>)
    .slice(afterCount)
    .map((a) => ({ ...a, data: JSON.parse(a.data) as unknown }));

const weekdays = ["mon", "tue", "wed", "thu", "fri"].map((day) => ({ day, from: "09:00", to: "17:00" }));

describe("business hours", () => {
  it("reads the zone, hours and closed dates for admins and analysts", async () => {
    const res = await send("/api/v1/settings/business-hours", tokens.analyst);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ timezone: expect.any(String), hours: expect.any(Array), closedDates: [] });
    expect((await send("/api/v1/settings/business-hours", tokens.admin)).body).toEqual(res.body);
  });

  it("sets the zone and the hours together, each audited as by way of the API", async () => {
    const before = (stored().auditLines as number) ?? 0;
    const res = await send("/api/v1/settings/business-hours", tokens.admin, { method: "PUT", body: { timezone: "Europe/Berlin", hours: weekdays } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ timezone: "Europe/Berlin", hours: weekdays, closedDates: [] });
    expect((await send("/api/v1/settings/business-hours", tokens.analyst)).body).toEqual(res.body);
    expect(auditActions(before).map((a) => [a.action, a.via])).toEqual([
      ["settings.timezone_changed", "api"],
      ["settings.business_hours_changed", "api"],
    ]);
    // Only the hours: the zone stays.
    const hoursOnly = await send("/api/v1/settings/business-hours", tokens.admin, { method: "PUT", body: { hours: [{ day: "sat", from: "10:00", to: "14:00" }] } });
    expect(hoursOnly.body).toEqual({ timezone: "Europe/Berlin", hours: [{ day: "sat", from: "10:00", to: "14:00" }], closedDates: [] });
  });

  it("refuses a bad zone, bad hours or neither with 400 naming the field, and stores neither half of a bad pair", async () => {
    const refused = (body: unknown) => storesNothing(() => send("/api/v1/settings/business-hours", tokens.admin, { method: "PUT", body }));
    const zone = await refused({ timezone: "Mars/Olympus_Mons", hours: weekdays });
    expect(zone.status).toBe(400);
    expect(zone.body.error).toMatchObject({ code: "invalid_input", path: "timezone", message: "timezone: expected an IANA time zone such as Europe/Berlin or UTC" });
    const hours = await refused({ timezone: "America/New_York", hours: [{ day: "mon", from: "9am", to: "17:00" }] });
    expect(hours.status).toBe(400);
    expect(hours.body.error).toMatchObject({ path: "hours[0].from", message: "hours[0].from: a time is HH:MM (24 h)" });
    const day = await refused({ hours: [{ day: "monday", from: "09:00", to: "17:00" }] });
    expect(day.body.error.path).toBe("hours[0].day");
    const neither = await refused({});
    expect(neither.status).toBe(400);
    expect(neither.body.error.message).toBe("send `timezone`, `hours` or both");
    const notJson = await storesNothing(() => send("/api/v1/settings/business-hours", tokens.admin, { method: "PUT", body: "x", headers: { "Content-Type": "text/plain" } }));
    expect(notJson.status).toBe(415);
  });
});

describe("closed dates", () => {
  it("adds, lists and removes closed dates, each audited", async () => {
    const before = stored().auditLines as number;
    const added = await send("/api/v1/settings/closed-dates", tokens.admin, { method: "POST", body: { date: "2026-12-24", name: "Christmas Eve" } });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({ closedDates: [{ date: "2026-12-24", name: "Christmas Eve", yearly: false }] });
    const yearly = await send("/api/v1/settings/closed-dates", tokens.admin, { method: "POST", body: { date: "2000-01-01", name: "New Year", yearly: true } });
    expect(yearly.body.closedDates).toHaveLength(2);
    expect((await send("/api/v1/settings/closed-dates", tokens.analyst)).body).toEqual(yearly.body);
    expect((await send("/api/v1/settings/business-hours", tokens.analyst)).body.closedDates).toEqual(yearly.body.closedDates);
    const removed = await send("/api/v1/settings/closed-dates/2026-12-24", tokens.admin, { method: "DELETE" });
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ closedDates: [{ date: "2000-01-01", name: "New Year", yearly: true }] });
    expect(auditActions(before).map((a) => [a.action, a.via, a.data])).toEqual([
      ["settings.closed_date_added", "api", { date: "2026-12-24", name: "Christmas Eve", yearly: false }],
      ["settings.closed_date_added", "api", { date: "2000-01-01", name: "New Year", yearly: true }],
      ["settings.closed_date_removed", "api", { date: "2026-12-24", name: "Christmas Eve", yearly: false }],
    ]);
  });

  it("refuses a bad date, a day already closed and an unknown one, changing nothing", async () => {
    const post = (body: unknown) => storesNothing(() => send("/api/v1/settings/closed-dates", tokens.admin, { method: "POST", body }));
    const bad = await post({ date: "2026-02-30" });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ path: "date", message: "date: this date is not on the calendar" });
    expect((await post({ date: "tomorrow" })).body.error.path).toBe("date");
    expect((await post({ date: "2026-12-31", name: "x".repeat(101) })).body.error.path).toBe("name");
    expect((await post({ date: "2026-12-31", yearly: "yes" })).body.error.path).toBe("yearly");
    // 1 January is closed every year (the test above).
    const taken = await post({ date: "2027-01-01" });
    expect(taken.status).toBe(400);
    expect(taken.body.error).toMatchObject({ path: "date", message: "date: 2027-01-01 is already closed (New Year)." });
    const unknown = await storesNothing(() => send("/api/v1/settings/closed-dates/2027-07-04", tokens.admin, { method: "DELETE" }));
    expect(unknown.status).toBe(404);
  });

  it("takes special hours on a closed date (decision 051), audited with them, and refuses bad ones on their path", async () => {
    const before = stored().auditLines as number;
    const body = { date: "2032-12-24", name: "Christmas Eve", hours: [{ from: "09:00", to: "13:00" }] };
    const added = await send("/api/v1/settings/closed-dates", tokens.admin, { method: "POST", body });
    expect(added.status).toBe(201);
    expect(added.body.closedDates).toContainEqual({ ...body, yearly: false });
    expect((await send("/api/v1/settings/business-hours", tokens.analyst)).body.closedDates).toContainEqual({ ...body, yearly: false });
    expect(auditActions(before).map((a) => [a.action, a.data])).toEqual([["settings.closed_date_added", { ...body, yearly: false }]]);
    const post = (b: unknown) => storesNothing(() => send("/api/v1/settings/closed-dates", tokens.admin, { method: "POST", body: b }));
    const night = await post({ date: "2032-12-31", hours: [{ from: "09:00", to: "12:00" }, { from: "22:00", to: "02:00" }] });
    expect(night.status).toBe(400);
    expect(night.body.error).toMatchObject({ path: "hours[1].to", message: "hours[1].to: the closing time must be after 22:00 (a special day ends at 24:00)" });
    expect((await post({ date: "2032-12-31", hours: [{ from: "9", to: "12:00" }] })).body.error.path).toBe("hours[0].from");
    expect((await send("/api/v1/settings/closed-dates/2032-12-24", tokens.admin, { method: "DELETE" })).status).toBe(200);
  });

  it("adds a country's public holidays of a year, each once, and refuses an unknown country or region", async () => {
    const year = new Date().getUTCFullYear() + 1;
    const first = await send("/api/v1/settings/closed-dates/public-holidays", tokens.admin, { method: "POST", body: { country: "DE", region: "BE", year } });
    expect(first.status).toBe(201);
    expect(first.body.added).toContainEqual({ date: `${year}-10-03`, name: "National Holiday", yearly: false });
    expect(first.body.closedDates.length).toBeGreaterThanOrEqual(first.body.added.length);
    // 1 January is closed every year (above), so New Year's Day is skipped.
    expect(first.body.skipped).toBe(1);
    const again = await send("/api/v1/settings/closed-dates/public-holidays", tokens.admin, { method: "POST", body: { country: "DE", region: "BE", year } });
    expect([again.status, again.body.added]).toEqual([200, []]);
    const post = (body: unknown) => storesNothing(() => send("/api/v1/settings/closed-dates/public-holidays", tokens.admin, { method: "POST", body }));
    expect((await post({ country: "XX", year })).body.error).toMatchObject({ path: "country", message: "country: no public holidays are known for XX" });
    expect((await post({ country: "DE", region: "Mars", year })).body.error.path).toBe("region");
    expect((await post({ country: "DE", year: 1999 })).body.error.path).toBe("year");
    expect((await post({ country: "DE" })).body.error.path).toBe("year");
    expect((await storesNothing(() => send("/api/v1/settings/closed-dates/public-holidays", tokens.analyst, { method: "POST", body: { country: "DE", year } }))).status).toBe(403);
    const wrong = await send("/api/v1/settings/closed-dates/public-holidays", tokens.admin);
    expect([wrong.status, wrong.headers.get("allow")]).toEqual([405, "POST"]);
  });

  it("is read by admins and analysts and changed by admins only; a wrong method is 405", async () => {
    for (const role of ["agent", "marketer"] as const) {
      const read = await send("/api/v1/settings/closed-dates", tokens[role]);
      expect(read.status, role).toBe(403);
    }
    for (const role of ["analyst", "marketer", "agent"] as const) {
      const add = await storesNothing(() => send("/api/v1/settings/closed-dates", tokens[role], { method: "POST", body: { date: "2026-10-03" } }));
      expect(add.status, role).toBe(403);
      const put = await storesNothing(() => send("/api/v1/settings/business-hours", tokens[role], { method: "PUT", body: { hours: [] } }));
      expect(put.status, role).toBe(403);
      const del = await storesNothing(() => send("/api/v1/settings/closed-dates/2000-01-01", tokens[role], { method: "DELETE" }));
      expect(del.status, role).toBe(403);
    }
    expect((await send("/api/v1/settings/closed-dates", undefined)).status).toBe(401);
    const wrong = await send("/api/v1/settings/business-hours", tokens.admin, { method: "PATCH", body: {} });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, PUT");
    expect((await send("/api/v1/settings/nothing", tokens.admin)).status).toBe(404);
  });
});

const path = (id = teamId) => `/api/v1/teams/${encodeURIComponent(id)}/hours`;
const put = (body: unknown, token = tokens.admin, id = teamId) => send(path(id), token, { method: "PUT", body });

// Open every hour of the week (so "open" holds whenever this runs), in a zone of its own.
const allWeek = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((day) => ({ day, from: "00:00", to: "24:00" }));
const own = { source: "own", timezone: "America/New_York", hours: allWeek, closedDates: [{ date: "2026-12-25", name: "Christmas Day", yearly: true }] };

describe("team hours", () => {
  it("reads none for a new team, for admins and analysts", async () => {
    const res = await send(path(), tokens.analyst);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ teamId, hours: { source: "none" }, open: true, opensAt: null, closedFor: null, summary: "No hours: members' presence decides" });
    expect((await send(path(), tokens.admin)).body).toEqual(res.body);
  });

  it("sets own hours, then the workspace's, each audited once as by way of the API", async () => {
    const before = stored().auditLines as number;
    const set = await put(own);
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ teamId, hours: { ...own, workspaceClosedDates: false } });
    expect((await send(path(), tokens.analyst)).body).toEqual(set.body);
    // The same hours again change nothing, and say so with no line.
    expect((await put(own)).body).toEqual(set.body);
    const workspace = await put({ source: "workspace" });
    expect(workspace.body.hours).toEqual({ source: "workspace" });
    expect(auditActions(before).map((a) => [a.action, a.via, a.data])).toEqual([
      ["team.hours_changed", "api", { from: { source: "none" }, to: { ...own, workspaceClosedDates: false } }],
      ["team.hours_changed", "api", { from: { ...own, workspaceClosedDates: false }, to: { source: "workspace" } }],
    ]);
  });

  it("keeps special hours on a team's closed dates, and refuses one past midnight on its path", async () => {
    const special = { ...own, closedDates: [{ date: "2032-12-24", name: "Christmas Eve", yearly: false, hours: [{ from: "09:00", to: "13:00" }] }] };
    const set = await put(special);
    expect(set.status).toBe(200);
    expect(set.body.hours.closedDates).toEqual(special.closedDates);
    const refused = await storesNothing(() => put({ ...special, closedDates: [{ date: "2032-12-24", hours: [{ from: "20:00", to: "01:00" }] }] }));
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ path: "closedDates[0].hours[0].to" });
    await put(own);
  });

  it("refuses bad hours with 400 naming every field (and a body past 64 KB with 413), storing nothing; takes the largest hours there are", async () => {
    await put(own);
    const refused = (body: unknown) => storesNothing(() => put(body));
    const time = await refused({ ...own, hours: [{ day: "mon", from: "9am", to: "17:00" }] });
    expect(time.status).toBe(400);
    expect(time.body.error).toMatchObject({ code: "invalid_input", path: "hours[0].from", message: "hours[0].from: a time is HH:MM (24 h)" });
    const empty = await refused({ ...own, hours: [] });
    expect(empty.body.error).toMatchObject({ path: "hours", issues: [{ path: "hours", message: "at least one range of hours" }] });
    const several = await refused({ ...own, timezone: "Mars/Olympus", closedDates: [{ date: "2026-02-30" }] });
    expect(several.body.error.issues.map((i: { path: string }) => i.path)).toEqual(["timezone", "closedDates[0].date"]);
    expect((await refused({ source: "sometimes" })).status).toBe(400);
    expect((await refused({ ...own, workspaceClosedDates: "yes" })).body.error.path).toBe("workspaceClosedDates");
    expect((await refused([own])).status).toBe(400);
    // The largest hours there are fit in a body (200 named dates are past the API's usual 16 KB); past 64 KB is 413.
    const dates = Array.from({ length: 200 }, (_, i) => ({ date: new Date(Date.UTC(2027, 0, 1 + i)).toISOString().slice(0, 10), name: "x".repeat(100), yearly: false }));
    const largest = { ...own, hours: Array.from({ length: 50 }, (_, i) => allWeek[i % 7]), closedDates: dates };
    expect(JSON.stringify(largest).length).toBeGreaterThan(16 * 1024);
    const big = await put(largest);
    expect([big.status, big.body.hours.closedDates.length]).toEqual([200, 200]);
    await put(own);
    expect((await refused({ ...largest, padding: "x".repeat(64 * 1024) })).status).toBe(413);
    const notJson = await storesNothing(() => send(path(), tokens.admin, { method: "PUT", body: "x", headers: { "Content-Type": "text/plain" } }));
    expect(notJson.status).toBe(415);
  });

  it("answers 404 for an unknown team, 403 to roles that may not read or change it, 405 for another method", async () => {
    expect((await send(path("team_nope"), tokens.admin)).status).toBe(404);
    const unknown = await storesNothing(() => put(own, tokens.admin, "team_nope"));
    expect([unknown.status, unknown.body.error.code]).toEqual([404, "not_found"]);
    for (const role of ["agent", "marketer"] as const) expect((await send(path(), tokens[role])).status, role).toBe(403);
    for (const role of ["analyst", "agent", "marketer"] as const) {
      const refused = await storesNothing(() => put({ source: "none" }, tokens[role]));
      expect([refused.status, refused.body.error.code], role).toEqual([403, "forbidden"]);
    }
    expect((await send(path(), undefined)).status).toBe(401);
    const wrong = await send(path(), tokens.admin, { method: "POST", body: own });
    expect([wrong.status, wrong.headers.get("allow")]).toEqual([405, "GET, PUT"]);
    expect((await send(`/api/v1/teams/${teamId}`, tokens.admin)).status).toBe(404);
  });
});

describe("the workspace's calendar reaches the queue", () => {
  it("a closed date added and removed over the API tells the open pages of a team that follows the workspace", async () => {
    const team = await runtime.runPromise(Effect.flatMap(Workspace, (w) => w.createTeam({ name: "Follows the API's calendar" })));
    await runtime.runPromise(Effect.flatMap(Workspace, (w) => w.setTeamHours(team.id, { source: "workspace" })));
    // Nobody is on the team: the conversation waits in the queue for it.
    const conversationId = `conv_api_calendar_${Date.now()}`;
    sqlite
      .prepare(
        `INSERT INTO conversations (id, channel_id, inbox_id, status, created_at, updated_at, last_activity_at, waiting_since)
         VALUES (?, ?, ?, 'open', 1, 1, 1, 1)`,
      )
      .run(conversationId, SEED_IDS.channel, SEED_IDS.inbox);
    const queued = await runtime.runPromise(Effect.flatMap(Routing, (r) => r.routeConversation(conversationId, { type: "team", teamId: team.id })));
    expect(queued).toEqual({ assigneeId: null, queued: true });
    const heard: LiveEvent[] = [];
    const stop = await runtime.runPromise(Effect.flatMap(LiveEvents, (live) => Effect.sync(() => live.subscribeAll((e) => heard.push(e)))));
    try {
      const { timezone } = (await send("/api/v1/settings/business-hours", tokens.admin)).body as { timezone: string };
      const today = new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit" }).format(Date.now());
      const told = () => heard.filter((e) => e.conversationId === conversationId && (e.data as { change?: string }).change === "team_hours").length;
      expect((await send("/api/v1/settings/closed-dates", tokens.admin, { method: "POST", body: { date: today, name: "API staff day" } })).status).toBe(201);
      expect(told()).toBe(1);
      expect((await send(`/api/v1/settings/closed-dates/${today}`, tokens.admin, { method: "DELETE" })).status).toBe(200);
      expect(told()).toBe(2);
    } finally {
      stop();
    }
  });
});
