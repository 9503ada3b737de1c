/**
 * The audit log over the REST API (GET /api/v1/audit-log, GET/PUT /api/v1/settings/audit-log-retention):
 * the real handler on a node:http server, the app's real runtime, a fresh SQLite file seeded like
 * a first start. A change made with a token is recorded as its user's, by way of the API, with the
 * token's id; reading and the retention are for admins; bad filters and bodies are 400 at the
 * parameter or field, and a refused request records and stores nothing.
 */
import type BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../../bench/http-harness.js";
import type { AppRuntime } from "../../runtime/services/app-layer.js";
import { SEED_IDS } from "../../runtime/services/seed.js";
import { seededRoleTokens, startPublicApiApp, type PublicApiApp } from "../support/public-api-server.js";

let app: PublicApiApp;
let runtime: AppRuntime;
let sqlite: BetterSqlite3.Database;
let base: string;
let tokens: Awaited<ReturnType<typeof seededRoleTokens>>;

beforeAll(async () => {
  app = await startPublicApiApp("rest-audit", { rateLimitEnabled: false }, { rateLimitEnabled: false });
  ({ runtime, sqlite, base } = app);
  tokens = await seededRoleTokens(runtime);
});

afterAll(async () => {
  await app?.close();
});

const send = (path: string, token: string, init: { method?: string; body?: unknown } = {}) => call(base, path, { ...init, token });
const lines = () => (sqlite.prepare("SELECT count(*) AS n FROM audit_log").get() as { n: number }).n;

describe("GET /api/v1/audit-log", () => {
  it("shows a change made with a token as its user's, by way of the API, with the token", async () => {
    const renamed = await send(`/api/v1/flows/${app.leadFlowId}`, tokens.marketer.token, { method: "PATCH", body: { name: "Lead qualification (API)" } });
    expect(renamed.status).toBe(200);
    const page = await send("/api/v1/audit-log?category=flows&limit=1", tokens.admin.token);
    expect(page.status).toBe(200);
    expect(page.body.entries).toHaveLength(1);
    expect(page.body.entries[0]).toMatchObject({
      action: "flow.renamed",
      label: "Renamed a flow",
      category: "flows",
      actor: { id: SEED_IDS.marketer },
      via: "api",
      tokenId: tokens.marketer.id,
      target: { type: "flow", id: app.leadFlowId, label: "Lead qualification (API)" },
      data: { from: "Lead qualification" },
    });
    expect(page.body.entries[0].ip).toMatch(/127\.0\.0\.1/);
    expect(Date.parse(page.body.entries[0].at)).toBeGreaterThan(0);
    expect(typeof page.body.nextCursor).toBe("string");
  });

  it("pages with nextCursor, newest first, without repeats", async () => {
    const first = await send("/api/v1/audit-log?limit=3", tokens.admin.token);
    const second = await send(`/api/v1/audit-log?limit=3&cursor=${first.body.nextCursor}`, tokens.admin.token);
    const all = await send("/api/v1/audit-log?limit=6", tokens.admin.token);
    expect([...first.body.entries, ...second.body.entries].map((e: { id: string }) => e.id)).toEqual(all.body.entries.map((e: { id: string }) => e.id));
  });

  it("is for admins: 403 for other roles, recording nothing", async () => {
    const before = lines();
    for (const who of [tokens.agent, tokens.marketer]) {
      const refused = await send("/api/v1/audit-log", who.token);
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({ code: "forbidden", message: "Only admins can read the audit log." });
    }
    expect(lines()).toBe(before);
  });

  it("refuses a bad filter with 400 naming the parameter", async () => {
    const cases: Array<[string, string]> = [
      ["from=yesterday", "from"],
      ["from=2026-11-20&to=2026-11-01", "to"],
      ["cursor=not-a-cursor", "cursor"],
      ["limit=5000", "limit"],
      ["category=secrets", "category"],
    ];
    for (const [query, path] of cases) {
      const refused = await send(`/api/v1/audit-log?${query}`, tokens.admin.token);
      expect(refused.status, query).toBe(400);
      expect(refused.body.error, query).toMatchObject({ code: "invalid_input", path });
    }
  });

  it("answers 405 for another method and needs a token", async () => {
    expect((await send("/api/v1/audit-log", tokens.admin.token, { method: "POST", body: {} })).status).toBe(405);
    expect((await call(base, "/api/v1/audit-log", {})).status).toBe(401);
  });
});

describe("GET and PUT /api/v1/settings/audit-log-retention", () => {
  const setting = () =>
    (sqlite.prepare("SELECT value FROM settings WHERE key = 'audit_log_retention_days'").get() as { value: string } | undefined)?.value ?? null;
  const retentionLines = () =>
    sqlite
      .prepare("SELECT actor_id, via, token_id, data FROM audit_log WHERE action = 'settings.audit_retention_changed' ORDER BY id")
      .all() as Array<{ actor_id: string; via: string; token_id: string | null; data: string }>;
  const put = (body: unknown, token = tokens.admin.token) => send("/api/v1/settings/audit-log-retention", token, { method: "PUT", body });

  it("reads forever at first, sets a number of days and back, each change one line as the settings page writes it", async () => {
    const first = await send("/api/v1/settings/audit-log-retention", tokens.admin.token);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ keep: "forever", days: null, minDays: 30, maxDays: 3650 });
    expect(setting()).toBeNull();

    const set = await put({ keep: "days", days: 90 });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ keep: "days", days: 90, minDays: 30, maxDays: 3650 });
    expect(setting()).toBe("90");
    expect((await send("/api/v1/settings/audit-log-retention", tokens.admin.token)).body).toMatchObject({ keep: "days", days: 90 });

    // The line is the page's (AuditLog.setRetention), made by the token's user by way of the API; the log shows it.
    expect(retentionLines()).toEqual([{ actor_id: SEED_IDS.admin, via: "api", token_id: tokens.admin.id, data: JSON.stringify({ from: "forever", to: 90 }) }]);
    const shown = await send("/api/v1/audit-log?category=workspace&limit=1", tokens.admin.token);
    expect(shown.body.entries[0]).toMatchObject({
      action: "settings.audit_retention_changed",
      label: "Changed how long the audit log keeps entries",
      actor: { id: SEED_IDS.admin },
      via: "api",
      tokenId: tokens.admin.id,
      data: { from: "forever", to: 90 },
    });

    // The same value again changes nothing and writes no line.
    expect((await put({ keep: "days", days: 90 })).status).toBe(200);
    expect(retentionLines()).toHaveLength(1);

    // A GET's answer can be sent back as it is; forever deletes the setting's row.
    const back = await put({ keep: "forever", days: null, minDays: 30, maxDays: 3650 });
    expect(back.status).toBe(200);
    expect(back.body).toEqual({ keep: "forever", days: null, minDays: 30, maxDays: 3650 });
    expect(setting()).toBeNull();
    expect(retentionLines().map((l) => JSON.parse(l.data))).toEqual([
      { from: "forever", to: 90 },
      { from: 90, to: "forever" },
    ]);
  });

  it("refuses a bad body with 400 at the field and its message, storing and recording nothing", async () => {
    expect((await put({ keep: "days", days: 365 })).status).toBe(200);
    const before = { value: setting(), lines: retentionLines().length, all: lines() };
    const cases: Array<[unknown, string, string]> = [
      [{}, "keep", "choose to keep entries forever or for a number of days"],
      [{ keep: "sometimes" }, "keep", "choose to keep entries forever or for a number of days"],
      [{ keep: "days" }, "days", "enter a number of days from 30 to 3650"],
      [{ keep: "days", days: null }, "days", "enter a number of days from 30 to 3650"],
      [{ keep: "days", days: 29 }, "days", "enter a number of days from 30 to 3650"],
      [{ keep: "days", days: 3651 }, "days", "enter a number of days from 30 to 3650"],
      [{ keep: "days", days: 90.5 }, "days", "expected a whole number of days"],
      [{ keep: "days", days: "90" }, "days", "expected a whole number of days"],
      [{ keep: "forever", days: 90 }, "days", "send no number of days (or null) with keep “forever”"],
    ];
    for (const [body, path, message] of cases) {
      const refused = await put(body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.error, JSON.stringify(body)).toMatchObject({ code: "invalid_input", path, message: `${path}: ${message}` });
    }
    const notObject = await put([90]);
    expect(notObject.status).toBe(400);
    expect(notObject.body.error).toMatchObject({ code: "invalid_input", message: "the body must be a JSON object, not an array" });
    const text = await call(base, "/api/v1/settings/audit-log-retention", {
      method: "PUT",
      token: tokens.admin.token,
      body: "keep=forever",
      headers: { "Content-Type": "text/plain" },
    });
    expect(text.status).toBe(415);
    expect({ value: setting(), lines: retentionLines().length, all: lines() }).toEqual(before);
    expect((await put({ keep: "forever" })).status).toBe(200);
  });

  it("is for admins: 403 for other roles (analysts too, who read the workspace's hours), reading and changing nothing; 405 and 401 as elsewhere", async () => {
    const before = { value: setting(), all: lines() };
    for (const who of [tokens.agent, tokens.marketer, tokens.analyst]) {
      const read = await send("/api/v1/settings/audit-log-retention", who.token);
      expect(read.status).toBe(403);
      expect(read.body.error).toMatchObject({ code: "forbidden" });
      const change = await put({ keep: "days", days: 30 }, who.token);
      expect(change.status).toBe(403);
    }
    expect({ value: setting(), all: lines() }).toEqual(before);
    const patch = await send("/api/v1/settings/audit-log-retention", tokens.admin.token, { method: "PATCH", body: { keep: "forever" } });
    expect(patch.status).toBe(405);
    expect(patch.headers.get("allow")).toBe("GET, PUT");
    expect((await call(base, "/api/v1/settings/audit-log-retention", {})).status).toBe(401);
    expect((await send("/api/v1/settings/audit-log-retention/extra", tokens.admin.token)).status).toBe(404);
  });
});
