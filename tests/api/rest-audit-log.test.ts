/**
 * The audit log over the REST API (GET /api/v1/audit-log): the real handler on a node:http
 * server, the app's real runtime, a fresh SQLite file seeded like a first start. A change made
 * with a token is recorded as its user's, by way of the API, with the token's id; reading is for
 * admins; bad filters are 400 at the parameter, and a refused request records nothing.
 */
import { Effect } from "effect";
import type BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../../bench/http-harness.js";
import { Accounts } from "../../runtime/services/accounts.js";
import { ApiTokens } from "../../runtime/services/api-tokens.js";
import type { AppRuntime } from "../../runtime/services/app-layer.js";
import { SEED_IDS } from "../../runtime/services/seed.js";
import { startPublicApiApp, type PublicApiApp } from "../support/public-api-server.js";

let app: PublicApiApp;
let runtime: AppRuntime;
let sqlite: BetterSqlite3.Database;
let base: string;
const tokens = { admin: { token: "", id: "" }, marketer: { token: "", id: "" }, agent: { token: "", id: "" } };

beforeAll(async () => {
  app = await startPublicApiApp("rest-audit", { rateLimitEnabled: false }, { rateLimitEnabled: false });
  ({ runtime, sqlite, base } = app);
  for (const role of ["admin", "marketer", "agent"] as const) {
    const user = await runtime.runPromise(Effect.flatMap(Accounts, (a) => a.getUser(SEED_IDS[role])));
    const made = await runtime.runPromise(Effect.flatMap(ApiTokens, (t) => t.create(user, { name: `ci ${role}` })));
    tokens[role] = { token: made.token, id: made.summary.id };
  }
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
