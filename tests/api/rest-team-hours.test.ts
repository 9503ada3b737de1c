/**
 * A team's hours over the REST API (/api/v1/teams/:id/hours, decision 048): the real handler on
 * a node:http server, the app's real runtime and a fresh seeded SQLite file. Every refused
 * request asserts its status, its error body AND that nothing stored changed (the team's row and
 * the audit log).
 */
import type BetterSqlite3 from "better-sqlite3";
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../../bench/http-harness.js";
import type { AppRuntime } from "../../runtime/services/app-layer.js";
import { Workspace } from "../../runtime/services/workspace.js";
import { seededRoleTokens, startPublicApiApp, type PublicApiApp } from "../support/public-api-server.js";

let app: PublicApiApp;
let runtime: AppRuntime;
let sqlite: BetterSqlite3.Database;
let base: string;
let teamId: string;
const tokens: Record<"admin" | "marketer" | "agent" | "analyst", string> = { admin: "", marketer: "", agent: "", analyst: "" };

beforeAll(async () => {
  app = await startPublicApiApp("rest-team-hours", { rateLimitEnabled: false }, { rateLimitEnabled: false });
  ({ runtime, sqlite, base } = app);
  const made = await seededRoleTokens(runtime);
  for (const role of ["admin", "marketer", "agent", "analyst"] as const) tokens[role] = made[role].token;
  teamId = (await runtime.runPromise(Effect.flatMap(Workspace, (w) => w.createTeam({ name: "API hours team" })))).id;
});

afterAll(async () => {
  await app?.close();
});

const path = (id = teamId) => `/api/v1/teams/${encodeURIComponent(id)}/hours`;
const send = (url: string, token: string | undefined, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
  call(base, url, { ...init, ...(token === undefined ? {} : { token }) });
const put = (body: unknown, token = tokens.admin, id = teamId) => send(path(id), token, { method: "PUT", body });

const stored = () => ({
  hours: sqlite.prepare("SELECT hours FROM teams WHERE id = ?").pluck().get(teamId),
  auditLines: sqlite.prepare("SELECT count(*) FROM audit_log").pluck().get(),
});
const storesNothing = async <T>(request: () => Promise<T>): Promise<T> => {
  const before = stored();
  const result = await request();
  expect(stored()).toEqual(before);
  return result;
};

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
    const lines = (sqlite.prepare("SELECT action, via, target_id, data FROM audit_log ORDER BY id").all() as Array<{ action: string; via: string; target_id: string; data: string }>).slice(before);
    expect(lines.map((l) => [l.action, l.via, l.target_id, JSON.parse(l.data)])).toEqual([
      ["team.hours_changed", "api", teamId, { from: { source: "none" }, to: { ...own, workspaceClosedDates: false } }],
      ["team.hours_changed", "api", teamId, { from: { ...own, workspaceClosedDates: false }, to: { source: "workspace" } }],
    ]);
  });

  it("refuses bad hours with 400 naming every field, storing nothing", async () => {
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
