/**
 * Report emails over the REST API (decision 056) on the real HTTP server and a real SQLite file:
 * admins and analysts list, add, change (PATCH keeps what it does not send; `paused` alone pauses)
 * and delete; other roles get 403; a bad body is a 400 with the field's path and stores nothing;
 * each change is an audit line made by way of the API.
 */
import type BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../../bench/http-harness.js";
import { seededRoleTokens, startPublicApiApp, type PublicApiApp } from "../support/public-api-server.js";

let app: PublicApiApp;
let sqlite: BetterSqlite3.Database;
let base: string;
const tokens: Record<"admin" | "agent" | "analyst", string> = { admin: "", agent: "", analyst: "" };

beforeAll(async () => {
  app = await startPublicApiApp("rest-report-schedules", { rateLimitEnabled: false }, { rateLimitEnabled: false });
  ({ sqlite, base } = app);
  const made = await seededRoleTokens(app.runtime);
  for (const role of ["admin", "agent", "analyst"] as const) tokens[role] = made[role].token;
});

afterAll(async () => {
  await app?.close();
});

const send = (path: string, token: string, init: { method?: string; body?: unknown } = {}) => call(base, path, { ...init, token });
const stored = () => ({
  rows: sqlite.prepare("SELECT * FROM report_schedules ORDER BY id").all(),
  audit: sqlite.prepare("SELECT count(*) FROM audit_log WHERE action LIKE 'report_schedule.%'").pluck().get(),
});

describe("/api/v1/reports/schedules", () => {
  it("adds, reads, changes, pauses and deletes a schedule, each change audited by way of the API", async () => {
    const created = await send("/api/v1/reports/schedules", tokens.analyst, {
      body: { name: "Daily API", frequency: "daily", hour: 7, recipients: ["user_analyst"], inbox: "inbox_support", includeBots: true, sendChannel: null },
    });
    expect(created.status).toBe(201);
    const id = created.body.schedule.id as string;
    expect(created.body.schedule).toMatchObject({
      name: "Daily API",
      frequency: "daily",
      weekday: null,
      hour: 7,
      cadence: "Every day at 07:00",
      filters: { inbox: "inbox_support" },
      includeBots: true,
      sendChannel: null,
      paused: false,
      last: null,
    });
    expect(Date.parse(created.body.schedule.nextRunAt)).toBeGreaterThan(Date.now());

    const listed = await send("/api/v1/reports/schedules", tokens.admin);
    expect(listed.status).toBe(200);
    expect(listed.body.schedules.map((s: { id: string }) => s.id)).toContain(id);

    // PATCH changes what it sends and keeps the rest.
    const changed = await send(`/api/v1/reports/schedules/${id}`, tokens.admin, { method: "PATCH", body: { frequency: "weekly", weekday: 5, inbox: null } });
    expect(changed.status).toBe(200);
    expect(changed.body.schedule).toMatchObject({ name: "Daily API", cadence: "Every Friday at 07:00", filters: {}, includeBots: true });

    const paused = await send(`/api/v1/reports/schedules/${id}`, tokens.admin, { method: "PATCH", body: { paused: true } });
    expect(paused.body.schedule).toMatchObject({ paused: true, nextRunAt: null });

    expect((await send(`/api/v1/reports/schedules/${id}`, tokens.admin, { method: "DELETE" })).status).toBe(200);
    expect((await send(`/api/v1/reports/schedules/${id}`, tokens.admin)).status).toBe(404);

    const lines = sqlite.prepare("SELECT action, via, token_id FROM audit_log WHERE target_id = ? ORDER BY id").all(id) as Array<{ action: string; via: string; token_id: string | null }>;
    expect(lines.map((l) => l.action)).toEqual(["report_schedule.created", "report_schedule.updated", "report_schedule.paused", "report_schedule.deleted"]);
    expect(lines.every((l) => l.via === "api" && l.token_id !== null)).toBe(true);
  });

  it("refuses a bad body with the field's path and stores nothing", async () => {
    const before = stored();
    const bad = await send("/api/v1/reports/schedules", tokens.admin, { body: { name: "X", frequency: "weekly", hour: 30, recipients: ["user_agent"] } });
    expect(bad.status).toBe(400);
    const paths = (bad.body.error.issues as Array<{ path: string }>).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["hour"]));
    const noRecipient = await send("/api/v1/reports/schedules", tokens.admin, { body: { name: "X", frequency: "daily", hour: 3, recipients: ["user_agent"] } });
    expect(noRecipient.status).toBe(400);
    expect(noRecipient.body.error.issues).toEqual([{ path: "recipients[0]", message: expect.stringMatching(/admins and analysts/) }]);
    expect((await send("/api/v1/reports/schedules", tokens.admin, { body: "[1]" })).status).toBe(400);
    expect(stored()).toEqual(before);
  });

  it("is for admins and analysts only", async () => {
    const before = stored();
    expect((await send("/api/v1/reports/schedules", tokens.agent)).status).toBe(403);
    expect((await send("/api/v1/reports/schedules", tokens.agent, { body: { name: "X", frequency: "daily", hour: 3, recipients: ["user_admin"] } })).status).toBe(403);
    expect(stored()).toEqual(before);
  });
});
