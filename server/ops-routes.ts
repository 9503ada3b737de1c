/**
 * What an operator's tools ask the process, served in front of everything else (decision 036):
 * - `GET /healthz` — liveness: 200 while the process serves, 503 once it is shutting down (a load
 *   balancer stops sending new requests while the in-flight ones finish). Touches nothing.
 * - `GET /readyz` — readiness: the database answers a write through the group-commit queue
 *   within 2 s, and its schema is the one this code migrates to. 503 with the failing check
 *   otherwise (a full disk, a stuck writer, an older build started on a newer database).
 * - `GET /metrics` — Prometheus text (prom-client): the process (CPU, memory, event-loop delay,
 *   GC), HTTP requests by handler, the writer (groups, their size and time, failures, the
 *   queue), the files' sizes, messages and events stored, and the inbox's backlog (waiting and
 *   queued conversations per inbox, the longest wait, the waits overdue and due soon under the
 *   inboxes' response targets — the Overdue view's bounded scan, capped like it — pending
 *   email/Messenger sends and webhook deliveries, available agents). Read with
 *   `Authorization: Bearer $METRICS_TOKEN`; with no token configured, only a request made
 *   straight to the process from the same machine.
 *
 * Everything that costs a query is read when scraped, never on a visitor's turn; a request pays
 * one histogram observation.
 */
import { timingSafeEqual } from "node:crypto";
import { statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AppRuntime } from "../runtime/services/app-layer.js";
import * as wallClock from "../runtime/services/clock.js";
import type { AppConfigShape } from "../runtime/services/config.js";
import { Database, type DatabaseShape } from "../runtime/services/database.js";
import { DUE_SCAN_LIMIT, scanDue, type DueScan } from "../runtime/services/response-due-scan.js";
import { targetHoursReader } from "../runtime/services/target-hours.js";
import { migrations } from "../runtime/sql/migrations.js";
import { bearerToken, sendJson, sendMethodNotAllowed, splitUrl } from "./http-util.js";

/** Which of the server's handlers answered a request (a label of the HTTP metrics). */
export type HandlerName = "ops" | "channels" | "calendar_feed" | "rest_api" | "public_api" | "app";

export interface OpsRoutes {
  /** Serves /healthz, /readyz and /metrics; false for every other path. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Counts a finished request: which handler took it, its status and how long it took (null: a stream, not timed). */
  readonly requestEnded: (handler: HandlerName, status: number, seconds: number | null) => void;
  /** Stops listening to the writer. */
  readonly close: () => void;
}

export interface OpsOptions {
  /** True once the server has begun to shut down. */
  readonly shuttingDown: () => boolean;
  /** How long readiness waits for its write (default 2 s). */
  readonly readyTimeoutMs?: number;
}

const LATEST_MIGRATION = Math.max(...migrations.map((m) => m.version));
const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

/** True when nothing but the peer itself could have sent this: a loopback socket and no proxy's forwarding headers. Pure. */
export const isDirectLocalRequest = (req: IncomingMessage): boolean =>
  LOOPBACK.has(req.socket.remoteAddress ?? "") &&
  req.headers["x-forwarded-for"] === undefined &&
  req.headers.forwarded === undefined &&
  req.headers["x-real-ip"] === undefined;

/** Compares a presented token with the configured one in constant time. Pure. */
export const tokenMatches = (presented: string | undefined, expected: string): boolean => {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** The app's metrics on their own registry (one per server: tests start several in one process). */
const makeMetrics = (db: DatabaseShape, config: AppConfigShape) => {
  const register = new Registry();
  collectDefaultMetrics({ register });
  const prepare = db.prepare;

  const httpRequests = new Counter({
    name: "parley_http_requests_total",
    help: "HTTP requests answered, by the handler that took them and the status class.",
    labelNames: ["handler", "code"] as const,
    registers: [register],
  });
  const httpDuration = new Histogram({
    name: "parley_http_request_duration_seconds",
    help: "Time from a request's arrival to the end of its answer, by handler.",
    labelNames: ["handler"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [register],
  });

  const groupSeconds = new Histogram({
    name: "parley_db_write_group_seconds",
    help: "How long a write group held the writer, BEGIN to COMMIT (fsync included).",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [register],
  });
  const groupSize = new Histogram({
    name: "parley_db_write_group_writes",
    help: "Writes per group: how many callers shared one commit (one fsync).",
    buckets: [1, 2, 5, 10, 25, 50, 100, 256],
    registers: [register],
  });
  const stopObserving = db.observeGroups((group) => {
    groupSeconds.observe(group.seconds);
    groupSize.observe(group.writes);
  });

  /** A counter whose value is read from elsewhere when scraped. */
  const readCounter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [register],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  readCounter("parley_db_commits_total", "Write groups committed.", () => db.stats().commits);
  readCounter("parley_db_writes_total", "Writes in committed groups.", () => db.stats().writes);
  readCounter("parley_db_failed_writes_total", "Writes whose own change failed and was rolled back (their group committed).", () => db.stats().failedWrites);
  readCounter("parley_db_failed_groups_total", "Write groups whose commit failed (every write in them failed).", () => db.stats().failedGroups);
  const sequence = (table: string) => () =>
    (prepare("SELECT seq FROM sqlite_sequence WHERE name = ?").get(table) as { seq: number } | undefined)?.seq ?? 0;
  readCounter("parley_messages_stored_total", "Messages ever stored (the messages table's last id).", sequence("messages"));
  readCounter("parley_events_stored_total", "Events ever logged (the events log's last id).", sequence("events"));

  new Gauge({
    name: "parley_db_write_queue",
    help: "Writes waiting for the next group.",
    registers: [register],
    collect() {
      this.set(db.stats().queued);
    },
  });
  new Gauge({
    name: "parley_db_file_bytes",
    help: "Size of the database's files.",
    labelNames: ["file"] as const,
    registers: [register],
    collect() {
      if (config.databasePath === ":memory:") return;
      for (const [file, path] of [["database", config.databasePath], ["wal", `${config.databasePath}-wal`]] as const) {
        try {
          this.set({ file }, statSync(path).size);
        } catch {
          this.set({ file }, 0);
        }
      }
    },
  });

  // The inbox's backlog, per inbox (by id and name: a rename starts a new series, as it should read).
  interface WaitingRow {
    id: string;
    name: string;
    waiting: number;
    oldest: number | null;
    queued: number;
  }
  // Read once per scrape (three gauges show it): `scraped` is cleared before each.
  let scraped: ReadonlyArray<WaitingRow> | null = null;
  const backlog = (): ReadonlyArray<WaitingRow> =>
    (scraped ??= prepare(
      `SELECT i.id, i.name, COUNT(c.id) AS waiting, MIN(c.waiting_since) AS oldest,
              (SELECT COUNT(*) FROM conversations q WHERE q.inbox_id = i.id AND q.queued_at IS NOT NULL) AS queued
         FROM inboxes i
         LEFT JOIN conversations c
           ON c.inbox_id = i.id AND c.status = 'open' AND c.waiting_since IS NOT NULL AND c.snoozed_until IS NULL
        GROUP BY i.id`,
    ).all() as WaitingRow[]);
  new Gauge({
    name: "parley_conversations_waiting",
    help: "Open conversations whose visitor waits for an answer (not snoozed), per inbox.",
    labelNames: ["inbox_id", "inbox"] as const,
    registers: [register],
    collect() {
      this.reset();
      for (const row of backlog()) this.set({ inbox_id: row.id, inbox: row.name }, row.waiting);
    },
  });
  new Gauge({
    name: "parley_conversations_longest_wait_seconds",
    help: "How long the longest-waiting visitor has waited, per inbox (0: nobody waits).",
    labelNames: ["inbox_id", "inbox"] as const,
    registers: [register],
    collect() {
      this.reset();
      const now = wallClock.now();
      for (const row of backlog()) this.set({ inbox_id: row.id, inbox: row.name }, row.oldest === null ? 0 : Math.max(0, (now - row.oldest) / 1000));
    },
  });
  new Gauge({
    name: "parley_conversations_queued",
    help: "Conversations waiting in an inbox's queue for an available member, per inbox.",
    labelNames: ["inbox_id", "inbox"] as const,
    registers: [register],
    collect() {
      this.reset();
      for (const row of backlog()) this.set({ inbox_id: row.id, inbox: row.name }, row.queued);
    },
  });
  // Overdue and due soon, per inbox: the Overdue view's one bounded scan (decision 039), once per scrape.
  let dueScraped: { readonly scan: DueScan; readonly overdue: Map<string, number>; readonly soon: Map<string, number> } | null = null;
  const due = () => {
    if (dueScraped !== null) return dueScraped;
    const scan = scanDue(prepare, { where: "1", args: {}, now: wallClock.now(), soon: true, hours: targetHoursReader(prepare) });
    const overdue = new Map<string, number>();
    const soon = new Map<string, number>();
    for (const wait of scan.waits) {
      const counts = wait.level === "overdue" ? overdue : soon;
      counts.set(wait.inboxId, (counts.get(wait.inboxId) ?? 0) + 1);
    }
    return (dueScraped = { scan, overdue, soon });
  };
  const capped = `Counted by the Overdue view's scan, which checks at most ${DUE_SCAN_LIMIT} waits (those longest past their wall-time due) across all inboxes: past that the figures are partial, like the view's "${DUE_SCAN_LIMIT}+" (see parley_response_due_scan_capped).`;
  const dueGauge = (name: string, help: string, counts: () => ReadonlyMap<string, number>) =>
    new Gauge({
      name,
      help: `${help}, per inbox. ${capped}`,
      labelNames: ["inbox_id", "inbox"] as const,
      registers: [register],
      collect() {
        this.reset();
        const byInbox = counts();
        for (const row of backlog()) this.set({ inbox_id: row.id, inbox: row.name }, byInbox.get(row.id) ?? 0);
      },
    });
  dueGauge("parley_conversations_overdue", "Waiting conversations (open or pending, not snoozed) past their inbox's response target", () => due().overdue);
  dueGauge(
    "parley_conversations_due_soon",
    "Waiting conversations (open or pending, not snoozed) with less than a fifth of their inbox's response target left",
    () => due().soon,
  );
  new Gauge({
    name: "parley_response_due_scan_capped",
    help: `1 when this scrape's overdue / due-soon scan stopped at its cap of ${DUE_SCAN_LIMIT} waits (the two gauges are then lower than the truth), else 0.`,
    registers: [register],
    collect() {
      this.set(due().scan.truncated ? 1 : 0);
    },
  });
  new Gauge({
    name: "parley_outbox_pending",
    help: "Replies waiting to go out by email or Messenger (sending or retrying).",
    registers: [register],
    collect() {
      this.set((prepare("SELECT COUNT(*) AS n FROM deliveries WHERE status = 'pending'").get() as { n: number }).n);
    },
  });
  new Gauge({
    name: "parley_webhook_deliveries",
    help: "Outgoing webhook deliveries by state (failed ones are kept 30 days).",
    labelNames: ["state"] as const,
    registers: [register],
    collect() {
      const rows = prepare("SELECT status, COUNT(*) AS n FROM webhook_deliveries WHERE status IN ('pending', 'failed') GROUP BY status").all() as Array<{
        status: "pending" | "failed";
        n: number;
      }>;
      this.set({ state: "pending" }, 0);
      this.set({ state: "failed" }, 0);
      for (const row of rows) this.set({ state: row.status }, row.n);
    },
  });
  new Gauge({
    name: "parley_agents_available",
    help: "Agents and admins who set themselves available (round-robin picks among them).",
    registers: [register],
    collect() {
      this.set(
        (prepare("SELECT COUNT(*) AS n FROM users WHERE disabled_at IS NULL AND role IN ('admin', 'agent') AND availability = 'available'").get() as { n: number }).n,
      );
    },
  });

  const classOf = (status: number) => `${Math.floor(status / 100)}xx`;
  return {
    register,
    /** The exposition text, every figure read anew. */
    scrape: (): Promise<string> => {
      scraped = null;
      dueScraped = null;
      return register.metrics();
    },
    requestEnded: (handler: HandlerName, status: number, seconds: number | null) => {
      httpRequests.inc({ handler, code: classOf(status) });
      if (seconds !== null) httpDuration.observe({ handler }, seconds);
    },
    close: () => {
      stopObserving();
      register.clear();
    },
  };
};

/** Builds the operator's endpoints on the app's runtime (after startup: the database is open). */
export const createOpsRoutes = (runtime: AppRuntime, config: AppConfigShape, options: OpsOptions): OpsRoutes => {
  const db = runtime.runSync(Database);
  const metrics = makeMetrics(db, config);
  const readyTimeoutMs = options.readyTimeoutMs ?? 2_000;

  const ready = async (): Promise<{ ok: boolean; checks: Record<string, string> }> => {
    if (options.shuttingDown()) return { ok: false, checks: { server: "shutting down" } };
    const checks: Record<string, string> = {};
    let timer: NodeJS.Timeout | undefined;
    const wrote = await Promise.race([
      db.write(() => undefined).then(
        () => "ok",
        (error: unknown) => `the write failed: ${error instanceof Error ? error.message : String(error)}`,
      ),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no commit within ${readyTimeoutMs} ms`), readyTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    checks.database = wrote;
    const stored = (db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number | null }).v ?? 0;
    checks.schema = stored === LATEST_MIGRATION ? "ok" : `the database is at migration ${stored}, this build at ${LATEST_MIGRATION}`;
    return { ok: Object.values(checks).every((c) => c === "ok"), checks };
  };

  const serveMetrics = async (req: IncomingMessage, res: ServerResponse) => {
    if (config.metricsToken !== undefined) {
      if (!tokenMatches(bearerToken(req), config.metricsToken)) {
        sendJson(
          res,
          401,
          { error: { code: "unauthenticated", message: "send the METRICS_TOKEN as `Authorization: Bearer <token>`" } },
          { "WWW-Authenticate": 'Bearer realm="parley-metrics"' },
        );
        return;
      }
    } else if (!isDirectLocalRequest(req)) {
      sendJson(res, 403, {
        error: { code: "forbidden", message: "metrics are served to this machine only; set METRICS_TOKEN to let a scraper elsewhere read them" },
      });
      return;
    }
    const text = await metrics.scrape();
    res.statusCode = 200;
    res.setHeader("Content-Type", metrics.register.contentType);
    res.setHeader("Cache-Control", "no-store");
    res.end(req.method === "HEAD" ? undefined : text);
  };

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void> | void> = {
    "/healthz": (_req, res) =>
      options.shuttingDown() ? sendJson(res, 503, { status: "shutting_down" }) : sendJson(res, 200, { status: "ok" }),
    "/readyz": async (_req, res) => {
      const outcome = await ready();
      sendJson(res, outcome.ok ? 200 : 503, { status: outcome.ok ? "ready" : "not_ready", checks: outcome.checks });
    },
    "/metrics": serveMetrics,
  };

  return {
    handle: (req, res) => {
      const url = req.url ?? "/";
      if (!url.startsWith("/healthz") && !url.startsWith("/readyz") && !url.startsWith("/metrics")) return false;
      const route = routes[splitUrl(url).path];
      if (route === undefined) return false;
      if (req.method !== "GET" && req.method !== "HEAD") {
        sendMethodNotAllowed(res, "GET, HEAD");
        return true;
      }
      Promise.resolve(route(req, res)).catch((error: unknown) => {
        console.error(`${url}: unexpected error`, error);
        if (!res.headersSent) sendJson(res, 500, { error: { code: "internal", message: "something went wrong on our side; please retry" } });
        else res.end();
      });
      return true;
    },
    requestEnded: metrics.requestEnded,
    close: metrics.close,
  };
};
