/**
 * Calendar subscriptions (decision 057) on the app's real runtime and a fresh seeded SQLite file,
 * with a real HTTP server on this machine serving the calendars (the third party's side): the
 * first sync at subscribe time, a later sync that adds, renames and removes only the
 * subscription's own dates, a conditional GET answered 304, failures that change nothing, a
 * team's own hours, unsubscribing with and without the dates, and the timer's aim.
 */
import { Effect, Either } from "effect";
import type { IncomingHttpHeaders } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../tests/support/test-app.js";
import type { ClosedDate } from "../../flows/flow-spec.js";
import { CALENDAR_SYNC_INTERVAL_MS, CALENDAR_SYNC_RETRY_MS, CalendarSubscriptions, type CalendarSubscriptionsShape } from "./calendar-subscriptions.js";
import { MAX_CALENDAR_BYTES } from "./calendar-import.js";
import { Reports } from "./reports.js";
import { Workspace } from "./workspace.js";
import { startCalendarHost, wholeDayCalendar, type CalendarHost } from "../../tests/support/ics.js";

let app: TestApp;
let host: CalendarHost;
let base = "";
/** What each path serves now (tests change it), and the requests it got. */
const served = new Map<string, { body: string; etag?: string; type?: string }>();
const requests: Array<{ path: string; headers: IncomingHttpHeaders }> = [];

/** A calendar of whole-day events far ahead (today never overtakes them). */
const ics = (...events: Array<{ date: string; name: string }>) => wholeDayCalendar(events, "sub");

const run = <A, E>(f: (s: CalendarSubscriptionsShape) => Effect.Effect<A, E>) => app.runtime.runPromise(Effect.either(Effect.flatMap(CalendarSubscriptions, f)));
const ok = async <A, E>(f: (s: CalendarSubscriptionsShape) => Effect.Effect<A, E>): Promise<A> => {
  const result = await run(f);
  if (Either.isLeft(result)) throw new Error(JSON.stringify(result.left));
  return result.right;
};
const refusal = async <A, E>(f: (s: CalendarSubscriptionsShape) => Effect.Effect<A, E>) => {
  const result = await run(f);
  if (Either.isRight(result)) throw new Error("expected a refusal");
  return result.left;
};
const workspaceDates = () => app.runtime.runPromise(Effect.flatMap(Reports, (r) => r.businessHours())).then((h) => (h.closed ?? []).map((c) => `${c.date} ${c.name ?? ""}`));
const teamDates = (teamId: string) =>
  app.runtime
    .runPromise(Effect.flatMap(Workspace, (w) => w.getTeam(teamId)))
    .then((t) => (t.hours.source === "own" ? t.hours.closedDates.map((c: ClosedDate) => `${c.date} ${c.name ?? ""}`).sort() : null));
const audits = (action: string) =>
  (app.sqlite.prepare("SELECT via, data FROM audit_log WHERE action = ? ORDER BY id").all(action) as Array<{ via: string; data: string }>).map((a) => ({ via: a.via, data: JSON.parse(a.data) as unknown }));
const row = (id: string) =>
  app.sqlite.prepare("SELECT status, error, dates, next_sync_at, last_synced_at, last_attempt_at FROM calendar_subscriptions WHERE id = ?").get(id) as {
    status: string;
    error: string | null;
    dates: string;
    next_sync_at: number;
    last_synced_at: number | null;
    last_attempt_at: number | null;
  };
const due = (id: string) => app.sqlite.prepare("UPDATE calendar_subscriptions SET next_sync_at = ? WHERE id = ?").run(Date.now() - 1000, id);
const subscriptionCount = () => app.sqlite.prepare("SELECT count(*) FROM calendar_subscriptions").pluck().get() as number;

beforeAll(async () => {
  app = await startTestApp("calendar-subscriptions");
  host = await startCalendarHost((req, res) => {
    const path = req.url ?? "/";
    requests.push({ path, headers: req.headers });
    const page = served.get(path);
    if (page === undefined) return void res.writeHead(404).end("not found");
    if (page.etag !== undefined && req.headers["if-none-match"] === page.etag) return void res.writeHead(304, { etag: page.etag }).end();
    res.writeHead(200, { "content-type": page.type ?? "text/calendar; charset=utf-8", ...(page.etag !== undefined ? { etag: page.etag } : {}) }).end(page.body);
  });
  base = host.base;
});

afterAll(async () => {
  await app?.dispose();
  await host?.close();
});

beforeEach(() => {
  requests.length = 0;
});

describe("the workspace's closed dates following a calendar", () => {
  it("subscribes with a first sync, then adds, renames and removes only its own dates; a 304 and failures change nothing", async () => {
    await app.runtime.runPromise(Effect.flatMap(Reports, (r) => r.addClosedDate({ date: "2090-12-24", name: "Typed by hand" })));
    served.set("/company.ics", { body: ics({ date: "2090-12-24", name: "Christmas Eve" }, { date: "2090-12-25", name: "Xmas" }, { date: "2090-12-31", name: "Year end" }), etag: '"v1"' });

    const { subscription, sync } = await ok((s) => s.subscribe({ url: `${base}/company.ics` }));
    expect(sync.status).toBe("changed");
    expect(sync.added.map((c) => c.date)).toEqual(["2090-12-25", "2090-12-31"]);
    expect(sync.skipped).toEqual([{ date: "2090-12-24", reason: "already closed (Typed by hand)" }]);
    expect(await workspaceDates()).toEqual(["2090-12-24 Typed by hand", "2090-12-25 Xmas", "2090-12-31 Year end"]);
    expect(subscription).toMatchObject({ scope: "workspace", teamId: null, url: `${base}/company.ics`, status: "ok", error: null });
    expect(subscription.nextSyncAt - (subscription.lastSyncedAt ?? 0)).toBe(CALENDAR_SYNC_INTERVAL_MS);
    expect(audits("calendar_subscription.created")).toEqual([{ via: "system", data: { url: `${base}/company.ics`, added: ["2090-12-25", "2090-12-31"], renamed: [], removed: [] } }]);

    // The same calendar again, asked conditionally: 304, nothing read, nothing changed.
    due(subscription.id);
    expect((await ok((s) => s.runDue())).map((o) => o.status)).toEqual(["not_modified"]);
    expect(requests.at(-1)?.headers["if-none-match"]).toBe('"v1"');
    expect(audits("calendar_subscription.synced")).toEqual([]);

    // The calendar renames one day, drops another and adds one.
    served.set("/company.ics", { body: ics({ date: "2090-12-24", name: "Christmas Eve" }, { date: "2090-12-25", name: "Christmas Day" }, { date: "2091-01-01", name: "New Year" }), etag: '"v2"' });
    due(subscription.id);
    const [changed] = await ok((s) => s.runDue());
    expect(changed).toMatchObject({ status: "changed", removed: [{ date: "2090-12-31" }], added: [{ date: "2091-01-01" }] });
    expect(changed?.renamed.map((r) => [r.from.name, r.to.name])).toEqual([["Xmas", "Christmas Day"]]);
    expect(await workspaceDates()).toEqual(["2090-12-24 Typed by hand", "2090-12-25 Christmas Day", "2091-01-01 New Year"]);
    expect(audits("calendar_subscription.synced")).toEqual([
      { via: "system", data: { url: `${base}/company.ics`, added: ["2091-01-01"], renamed: [{ date: "2090-12-25", from: "Xmas", to: "Christmas Day" }], removed: ["2090-12-31"] } },
    ]);

    // Failures: not a calendar, too big, gone — each recorded, no date changed, tried again sooner.
    for (const [page, message] of [
      [{ body: "<!doctype html><p>Sign in</p>", type: "text/html" }, /not an iCalendar/],
      [{ body: "X".repeat(MAX_CALENDAR_BYTES + 10) }, /the response is larger than 1024 KB/],
      [undefined, /answered 404/],
    ] as const) {
      if (page === undefined) served.delete("/company.ics");
      else served.set("/company.ics", page);
      due(subscription.id);
      const before = await workspaceDates();
      const [failed] = await ok((s) => s.runDue());
      expect(failed?.status).toBe("failed");
      expect(failed?.error).toMatch(message);
      expect(await workspaceDates()).toEqual(before);
      const stored = row(subscription.id);
      expect(stored).toMatchObject({ status: "failed" });
      expect(stored.next_sync_at - (stored.last_attempt_at ?? 0)).toBe(CALENDAR_SYNC_RETRY_MS);
      expect(JSON.parse(stored.dates).map((c: ClosedDate) => c.date)).toEqual(["2090-12-25", "2091-01-01"]);
    }
    expect(audits("calendar_subscription.synced")).toHaveLength(1);

    // Back: Sync now reads it and the error is gone.
    served.set("/company.ics", { body: ics({ date: "2090-12-25", name: "Christmas Day" }, { date: "2091-01-01", name: "New Year" }) });
    const again = await ok((s) => s.sync(subscription.id));
    expect(again.sync.status).toBe("unchanged");
    expect(again.subscription).toMatchObject({ status: "ok", error: null });

    // Unsubscribing and removing its dates leaves the one typed by hand.
    const { removed } = await ok((s) => s.unsubscribe(subscription.id, false));
    expect(removed.map((c) => c.date)).toEqual(["2090-12-25", "2091-01-01"]);
    expect(await workspaceDates()).toEqual(["2090-12-24 Typed by hand"]);
    expect(audits("calendar_subscription.deleted")).toEqual([{ via: "system", data: { url: `${base}/company.ics`, keepDates: false, removed: ["2090-12-25", "2091-01-01"] } }]);
    await app.runtime.runPromise(Effect.flatMap(Reports, (r) => r.removeClosedDate("2090-12-24")));
  });

  it("two subscriptions never take each other's dates; a sync past 200 dates changes nothing", async () => {
    served.set("/a.ics", { body: ics({ date: "2092-05-01", name: "A's day" }) });
    served.set("/b.ics", { body: ics({ date: "2092-05-01", name: "B's day" }, { date: "2092-05-02", name: "B only" }) });
    const a = await ok((s) => s.subscribe({ url: `${base}/a.ics` }));
    const b = await ok((s) => s.subscribe({ url: `${base}/b.ics` }));
    expect(b.sync.skipped).toEqual([{ date: "2092-05-01", reason: "already closed (A's day)" }]);
    // B's calendar drops the shared day: A's date stays.
    served.set("/b.ics", { body: ics({ date: "2092-05-02", name: "B only" }) });
    await ok((s) => s.sync(b.subscription.id));
    expect(await workspaceDates()).toEqual(["2092-05-01 A's day", "2092-05-02 B only"]);

    // A now names 200 days: over the cap with B's, refused whole.
    const many = Array.from({ length: 200 }, (_, i) => ({ date: `2093-${String(Math.floor(i / 28) + 1).padStart(2, "0")}-${String((i % 28) + 1).padStart(2, "0")}`, name: `Day ${i}` }));
    served.set("/a.ics", { body: ics(...many) });
    const over = await ok((s) => s.sync(a.subscription.id));
    expect(over.sync).toMatchObject({ status: "failed", added: [], removed: [] });
    expect(over.sync.error).toMatch(/at most 200/);
    expect(over.subscription.status).toBe("failed");
    expect(await workspaceDates()).toEqual(["2092-05-01 A's day", "2092-05-02 B only"]);

    // Keep the dates on unsubscribing: they stay, now as dates of no subscription.
    await ok((s) => s.unsubscribe(a.subscription.id, true));
    await ok((s) => s.unsubscribe(b.subscription.id, false));
    expect(await workspaceDates()).toEqual(["2092-05-01 A's day"]);
    await app.runtime.runPromise(Effect.flatMap(Reports, (r) => r.removeClosedDate("2092-05-01")));
  });

  it("refuses bad subscriptions and stores nothing", async () => {
    served.set("/ok.ics", { body: ics({ date: "2094-01-02", name: "Fine" }) });
    served.set("/page.html", { body: "<!doctype html>", type: "text/html" });
    const closed = await workspaceDates();
    const cases: Array<[unknown, string, RegExp]> = [
      [{ url: "ftp://example.com/a.ics" }, "url", /https:\/\/, http:\/\/ or webcal/],
      [{ url: "" }, "url", /enter the calendar's URL/],
      [{ url: `${base}/page.html` }, "url", /not an iCalendar/],
      [{ url: "http://127.0.0.1:1/nothing.ics" }, "url", /could not be fetched/],
      [{ url: `${base}/ok.ics`, teamId: "team_nope" }, "teamId", /no team team_nope/],
      [{ url: `${base}/ok.ics`, teamId: "team_support" }, "teamId", /keeps no hours of its own/],
    ];
    for (const [input, path, message] of cases) {
      const error = await refusal((s) => s.subscribe(input));
      expect(error._tag).toBe("InvalidInput");
      if (error._tag !== "InvalidInput") continue;
      expect(error.issues[0]?.path).toBe(path);
      expect(error.issues[0]?.message).toMatch(message);
    }
    expect(subscriptionCount()).toBe(0);
    expect(await workspaceDates()).toEqual(closed);

    const first = await ok((s) => s.subscribe({ url: `${base}/ok.ics` }));
    // webcal:// and http:// name the same calendar only when they are the same URL; the same one again is a conflict.
    expect((await refusal((s) => s.subscribe({ url: ` ${base}/ok.ics ` })))._tag).toBe("Conflict");
    expect(subscriptionCount()).toBe(1);
    await ok((s) => s.unsubscribe(first.subscription.id, false));
    expect((await refusal((s) => s.unsubscribe(first.subscription.id, false)))._tag).toBe("NotFound");
  });
});

describe("a team's own closed dates following a calendar", () => {
  it("syncs into the team's hours, and records an error once the team stops keeping its own", async () => {
    served.set("/sales.ics", { body: ics({ date: "2095-08-15", name: "Team day" }) });
    const before = (await teamDates("team_sales")) ?? [];
    const { subscription } = await ok((s) => s.subscribe({ url: `${base}/sales.ics`, teamId: "team_sales" }));
    expect(subscription).toMatchObject({ scope: "team", teamId: "team_sales", teamName: "Sales" });
    expect(await teamDates("team_sales")).toEqual([...before, "2095-08-15 Team day"].sort());
    expect(await workspaceDates()).not.toContain("2095-08-15 Team day");

    // The team follows the workspace's hours now: the sync fails and touches nothing.
    const own = await app.runtime.runPromise(Effect.flatMap(Workspace, (w) => w.getTeam("team_sales")));
    await app.runtime.runPromise(Effect.flatMap(Workspace, (w) => w.setTeamHours("team_sales", { source: "workspace" })));
    served.set("/sales.ics", { body: ics({ date: "2095-08-16", name: "Other day" }) });
    const failed = await ok((s) => s.sync(subscription.id));
    expect(failed.sync.error).toMatch(/keeps no hours of its own/);
    await app.runtime.runPromise(Effect.flatMap(Workspace, (w) => w.setTeamHours("team_sales", own.hours)));
    expect(await teamDates("team_sales")).toEqual([...before, "2095-08-15 Team day"].sort());

    const { removed } = await ok((s) => s.unsubscribe(subscription.id, false));
    expect(removed.map((c) => c.date)).toEqual(["2095-08-15"]);
    expect(await teamDates("team_sales")).toEqual(before);
  });
});

describe("the schedule", () => {
  it("arms one timer at the earliest next sync, and syncs a due subscription on its own", async () => {
    served.set("/timer.ics", { body: ics({ date: "2096-03-03", name: "Timer day" }) });
    const { subscription } = await ok((s) => s.subscribe({ url: `${base}/timer.ics` }));
    const service = await app.runtime.runPromise(CalendarSubscriptions);
    // Due in 300 ms (written as another process would): the timer armed at start, not the hour's backstop, syncs it.
    served.set("/timer.ics", { body: ics({ date: "2096-03-03", name: "Timer day, renamed" }) });
    const soon = Date.now() + 300;
    app.sqlite.prepare("UPDATE calendar_subscriptions SET next_sync_at = ? WHERE id = ?").run(soon, subscription.id);
    const stop = service.start(60 * 60 * 1000);
    try {
      await new Promise((r) => setTimeout(r, 100));
      expect(service.nextWakeAt()).toBe(soon);
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && !(await workspaceDates()).includes("2096-03-03 Timer day, renamed")) await new Promise((r) => setTimeout(r, 50));
      expect(await workspaceDates()).toContain("2096-03-03 Timer day, renamed");
      // Re-armed for the next read, six hours on.
      await new Promise((r) => setTimeout(r, 50));
      expect(service.nextWakeAt()).toBe(app.sqlite.prepare("SELECT MIN(next_sync_at) FROM calendar_subscriptions").pluck().get());
      expect(row(subscription.id).next_sync_at).toBeGreaterThan(Date.now() + CALENDAR_SYNC_INTERVAL_MS - 60_000);
    } finally {
      stop();
    }
    await ok((s) => s.unsubscribe(subscription.id, false));
  });
});
