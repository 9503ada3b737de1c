/**
 * /healthz, /readyz and /metrics on the app's real runtime and SQLite file, served by a plain
 * node:http server as server/index.ts serves them (the real process: tests/api/ops-server.test.ts).
 */
import BetterSqlite3 from "better-sqlite3";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../runtime/services/database.js";
import { DUE_SCAN_LIMIT } from "../runtime/services/response-due-scan.js";
import { startTestApp, type TestApp } from "../tests/support/test-app.js";
import { createOpsRoutes, isDirectLocalRequest, tokenMatches, type OpsRoutes } from "./ops-routes.js";

const TOKEN = "metrics-token-0123456789abcdef";

interface Served {
  readonly app: TestApp;
  readonly ops: OpsRoutes;
  readonly base: string;
  readonly server: Server;
  shuttingDown: boolean;
}

const serve = async (name: string, env: Record<string, string> = {}): Promise<Served> => {
  const app = await startTestApp(name, env);
  const served = { app, shuttingDown: false } as Served;
  const ops = createOpsRoutes(app.runtime, app.config, { shuttingDown: () => served.shuttingDown, readyTimeoutMs: 500 });
  const server = createServer((req, res) => {
    if (!ops.handle(req, res)) {
      res.statusCode = 418;
      res.end("not ops");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(served, { ops, server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
};

const stop = async (served: Served | undefined) => {
  if (!served) return;
  served.ops.close();
  await new Promise((resolve) => served.server.close(resolve));
  await served.app.dispose();
};

/** One sample's value from Prometheus text, e.g. `parley_db_commits_total` or `parley_http_requests_total{handler="app",code="2xx"}`. */
const sample = (text: string, series: string): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe("without a metrics token", () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve("ops");
  }, 60_000);
  afterAll(() => stop(s));

  it("/healthz is 200 while serving and 503 once shutting down; other methods get 405", async () => {
    const ok = await fetch(`${s.base}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: "ok" });
    const post = await fetch(`${s.base}/healthz`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    s.shuttingDown = true;
    try {
      const down = await fetch(`${s.base}/healthz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ status: "shutting_down" });
      const notReady = await fetch(`${s.base}/readyz`);
      expect(notReady.status).toBe(503);
    } finally {
      s.shuttingDown = false;
    }
  });

  it("serves only its own paths: /healthzz and /metrics/x go on to the next handler", async () => {
    expect((await fetch(`${s.base}/healthzz`)).status).toBe(418);
    expect((await fetch(`${s.base}/metrics/x`)).status).toBe(418);
    expect((await fetch(`${s.base}/readyz?verbose=1`)).status).toBe(200);
  });

  it("/readyz commits a write and checks the schema; a newer database's schema makes it 503 with the reason", async () => {
    const ready = await fetch(`${s.base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { database: "ok", schema: "ok" } });

    const latest = (s.app.sqlite.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number }).v;
    s.app.sqlite.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from a newer build', 0)").run(latest + 1);
    try {
      const newer = await fetch(`${s.base}/readyz`);
      expect(newer.status).toBe(503);
      expect(await newer.json()).toEqual({
        status: "not_ready",
        checks: { database: "ok", schema: `the database is at migration ${latest + 1}, this build at ${latest}` },
      });
    } finally {
      s.app.sqlite.prepare("DELETE FROM schema_migrations WHERE version = ?").run(latest + 1);
    }
  });

  it("/readyz is 503 when the writer cannot commit (another process holds the write lock), and the failed group is counted", async () => {
    const other = new BetterSqlite3(s.app.config.databasePath);
    other.pragma("busy_timeout = 0");
    const failedBefore = sample(await (await fetch(`${s.base}/metrics`)).text(), "parley_db_failed_groups_total")!;
    s.app.sqlite.pragma("busy_timeout = 100");
    other.exec("BEGIN IMMEDIATE");
    try {
      const blocked = await fetch(`${s.base}/readyz`);
      expect(blocked.status).toBe(503);
      const body = (await blocked.json()) as { checks: { database: string } };
      expect(body.checks.database).toMatch(/^the write failed: database is locked/);
    } finally {
      other.exec("ROLLBACK");
      other.close();
      s.app.sqlite.pragma("busy_timeout = 5000");
    }
    expect((await fetch(`${s.base}/readyz`)).status).toBe(200);
    expect(sample(await (await fetch(`${s.base}/metrics`)).text(), "parley_db_failed_groups_total")).toBe(failedBefore + 1);
  });

  it("/metrics is Prometheus text with the process, HTTP, writer, storage and backlog figures", async () => {
    const db = await s.app.runtime.runPromise(Database);
    await Promise.all([db.write(() => 1), db.write(() => 2), db.write(() => 3)]);
    s.ops.requestEnded("public_api", 201, 0.004);
    s.ops.requestEnded("public_api", 429, 0.001);
    s.ops.requestEnded("app", 200, null);
    const res = await fetch(`${s.base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain("# TYPE process_cpu_user_seconds_total counter");
    expect(text).toContain("# TYPE nodejs_eventloop_lag_seconds gauge");
    expect(sample(text, 'parley_http_requests_total{handler="public_api",code="2xx"}')).toBe(1);
    expect(sample(text, 'parley_http_requests_total{handler="public_api",code="4xx"}')).toBe(1);
    expect(sample(text, 'parley_http_requests_total{handler="app",code="2xx"}')).toBe(1);
    // The stream was counted, not timed.
    expect(sample(text, 'parley_http_request_duration_seconds_count{handler="public_api"}')).toBe(2);
    expect(sample(text, 'parley_http_request_duration_seconds_count{handler="app"}')).toBeUndefined();
    expect(sample(text, "parley_db_commits_total")).toBe(db.stats().commits);
    expect(sample(text, "parley_db_write_group_writes_bucket{le=\"5\"}")).toBeGreaterThanOrEqual(1);
    expect(sample(text, "parley_db_write_group_seconds_count")).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'parley_db_file_bytes{file="database"}')).toBeGreaterThan(0);
    expect(sample(text, "parley_db_write_queue")).toBe(0);
    // The seed's inboxes, each with its backlog (no conversations yet).
    const inboxes = s.app.sqlite.prepare("SELECT id, name FROM inboxes").all() as Array<{ id: string; name: string }>;
    expect(inboxes.length).toBeGreaterThan(0);
    for (const inbox of inboxes) {
      expect(sample(text, `parley_conversations_waiting{inbox_id="${inbox.id}",inbox="${inbox.name}"}`)).toBe(0);
      expect(sample(text, `parley_conversations_longest_wait_seconds{inbox_id="${inbox.id}",inbox="${inbox.name}"}`)).toBe(0);
    }
    expect(sample(text, 'parley_webhook_deliveries{state="failed"}')).toBe(0);
    expect(sample(text, "parley_outbox_pending")).toBe(0);
  });

  it("counts a waiting visitor and how long they have waited", async () => {
    const inbox = s.app.sqlite.prepare("SELECT i.id, i.name, c.id AS channel FROM inboxes i JOIN channels c ON c.inbox_id = i.id LIMIT 1").get() as {
      id: string;
      name: string;
      channel: string;
    };
    const since = Date.now() - 90_000;
    s.app.sqlite
      .prepare(
        `INSERT INTO conversations (id, channel_id, inbox_id, status, waiting_since, created_at, updated_at, last_activity_at)
         VALUES ('conv_ops_wait', ?, ?, 'open', ?, ?, ?, ?)`,
      )
      .run(inbox.channel, inbox.id, since, since, since, since);
    const text = await (await fetch(`${s.base}/metrics`)).text();
    expect(sample(text, `parley_conversations_waiting{inbox_id="${inbox.id}",inbox="${inbox.name}"}`)).toBe(1);
    expect(sample(text, `parley_conversations_longest_wait_seconds{inbox_id="${inbox.id}",inbox="${inbox.name}"}`)).toBeGreaterThanOrEqual(90);
  });

  it("counts the waits overdue and due soon per inbox with the Overdue view's scan, and says when it hit its cap", async () => {
    const sqlite = s.app.sqlite;
    const now = Date.now();
    const MIN = 60_000;
    sqlite.prepare("INSERT INTO inboxes (id, name, created_at, response_targets) VALUES ('inbox_ops_due', 'Due desk', ?, ?)").run(
      now,
      JSON.stringify({ firstResponseMinutes: 60, nextReplyMinutes: null, businessHours: false }),
    );
    sqlite.prepare("INSERT INTO channels (id, inbox_id, kind, name, created_at) VALUES ('chan_ops_due', 'inbox_ops_due', 'chat', 'Due chat', ?)").run(now);
    const insert = sqlite.prepare(
      `INSERT INTO conversations (id, channel_id, inbox_id, status, waiting_since, snoozed_until, created_at, updated_at, last_activity_at)
       VALUES (?, 'chan_ops_due', 'inbox_ops_due', ?, ?, ?, ?, ?, ?)`,
    );
    const wait = (id: string, since: number, status = "open", snoozedUntil: number | null = null) => insert.run(id, status, since, snoozedUntil, since, since, since);
    wait("conv_ops_late", now - 2 * 60 * MIN); // due an hour ago
    wait("conv_ops_late_pending", now - 3 * 60 * MIN, "pending"); // pending still owes its answer
    wait("conv_ops_soon", now - 55 * MIN); // 5 minutes left: under a fifth of the hour
    wait("conv_ops_fresh", now - 10 * MIN);
    wait("conv_ops_snoozed", now - 5 * 60 * MIN, "open", now + 60 * MIN); // set aside: in neither view
    const due = `{inbox_id="inbox_ops_due",inbox="Due desk"}`;
    let text = await (await fetch(`${s.base}/metrics`)).text();
    expect(text).toMatch(/# HELP parley_conversations_overdue .*at most 1000 waits/);
    expect(sample(text, `parley_conversations_overdue${due}`)).toBe(2);
    expect(sample(text, `parley_conversations_due_soon${due}`)).toBe(1);
    expect(sample(text, "parley_response_due_scan_capped")).toBe(0);
    // An inbox without targets has none, and is still listed.
    const other = sqlite.prepare("SELECT id, name FROM inboxes WHERE id <> 'inbox_ops_due' LIMIT 1").get() as { id: string; name: string };
    expect(sample(text, `parley_conversations_overdue{inbox_id="${other.id}",inbox="${other.name}"}`)).toBe(0);

    // Past the view's cap the scan stops at 1,000 (the longest overdue first) and says so.
    sqlite.transaction(() => {
      for (let i = 0; i < DUE_SCAN_LIMIT; i++) wait(`conv_ops_many_${i}`, now - 10 * 60 * MIN - i * MIN);
    })();
    text = await (await fetch(`${s.base}/metrics`)).text();
    expect(sample(text, `parley_conversations_overdue${due}`)).toBe(DUE_SCAN_LIMIT);
    expect(sample(text, `parley_conversations_due_soon${due}`)).toBe(0);
    expect(sample(text, "parley_response_due_scan_capped")).toBe(1);
    sqlite.prepare("DELETE FROM conversations WHERE inbox_id = 'inbox_ops_due'").run();
    text = await (await fetch(`${s.base}/metrics`)).text();
    expect(sample(text, `parley_conversations_overdue${due}`)).toBe(0);
    expect(sample(text, "parley_response_due_scan_capped")).toBe(0);
  });

  it("/metrics is refused to a request a proxy forwarded (it could come from anywhere)", async () => {
    const forwarded: ReadonlyArray<Record<string, string>> = [{ "X-Forwarded-For": "203.0.113.9" }, { Forwarded: "for=203.0.113.9" }, { "X-Real-IP": "203.0.113.9" }];
    for (const header of forwarded) {
      const res = await fetch(`${s.base}/metrics`, { headers: header });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ error: { code: "forbidden", message: expect.stringContaining("METRICS_TOKEN") } });
    }
  });
});

describe("with METRICS_TOKEN", () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve("ops-token", { METRICS_TOKEN: TOKEN });
  }, 60_000);
  afterAll(() => stop(s));

  it("/metrics asks for the token, even from this machine, and serves it with the right one", async () => {
    const none = await fetch(`${s.base}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="parley-metrics"');
    expect(await none.json()).toEqual({ error: { code: "unauthenticated", message: expect.stringContaining("METRICS_TOKEN") } });
    expect((await fetch(`${s.base}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    const ok = await fetch(`${s.base}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}`, "X-Forwarded-For": "203.0.113.9" } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("parley_db_commits_total");
    // Health checks need no token.
    expect((await fetch(`${s.base}/healthz`)).status).toBe(200);
  });
});

describe("pure parts", () => {
  it("tokenMatches compares whole tokens", () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(TOKEN.slice(0, -1), TOKEN)).toBe(false);
    expect(tokenMatches(undefined, TOKEN)).toBe(false);
    expect(tokenMatches("", TOKEN)).toBe(false);
  });

  it("isDirectLocalRequest wants a loopback peer and no forwarding header", () => {
    const req = (remoteAddress: string, headers: Record<string, string> = {}) =>
      ({ socket: { remoteAddress }, headers }) as unknown as Parameters<typeof isDirectLocalRequest>[0];
    expect(isDirectLocalRequest(req("127.0.0.1"))).toBe(true);
    expect(isDirectLocalRequest(req("::1"))).toBe(true);
    expect(isDirectLocalRequest(req("::ffff:127.0.0.1"))).toBe(true);
    expect(isDirectLocalRequest(req("10.0.0.7"))).toBe(false);
    expect(isDirectLocalRequest(req("127.0.0.1", { "x-forwarded-for": "203.0.113.9" }))).toBe(false);
  });
});
