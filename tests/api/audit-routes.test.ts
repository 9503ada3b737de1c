/**
 * What the app's own forms write to the audit log (decision 046), as their real route modules,
 * posted as the seeded admin with a real session cookie and CSRF token: a move and a drag in the
 * flow list each write one line with the flow and its places, in the write that moves it; the
 * audit log page's "Keep entries" form stores the retention with its line, and refuses a bad
 * number at its field, storing nothing. Real parts: the app runtime on a fresh SQLite file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as flowListAction } from "../../app/routes/flows._index/route.js";
import { action as auditAction, loader as auditLoader } from "../../app/routes/settings.audit.js";
import { AUDIT_RETENTION_SETTING } from "../../runtime/services/audit-log.js";
import type { Sqlite } from "../../runtime/services/database.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { routeRequests, settleRoute, signInAdmin } from "../support/thread-post.js";

let app: TestApp;
let sqlite: Sqlite;
let signedIn: Awaited<ReturnType<typeof signInAdmin>>;
let adminId: string;

beforeAll(async () => {
  app = await startTestApp("audit-routes");
  sqlite = app.sqlite;
  signedIn = await signInAdmin(app.runtime);
  adminId = sqlite.prepare("SELECT id FROM users WHERE email = 'admin@parley.local'").pluck().get() as string;
}, 60_000);
afterAll(async () => {
  await app?.dispose();
});

const requests = () => routeRequests(signedIn);
const order = () => sqlite.prepare("SELECT id FROM chatflows WHERE archived_at IS NULL ORDER BY priority, created_at, id").pluck().all() as string[];
const nameOf = (id: string) => sqlite.prepare("SELECT name FROM chatflows WHERE id = ?").pluck().get(id) as string;
const lastLineId = () => sqlite.prepare("SELECT COALESCE(max(id), 0) FROM audit_log").pluck().get() as number;
const linesSince = (id: number) =>
  (
    sqlite.prepare("SELECT at, action, actor_id, via, target_id, target_label, data FROM audit_log WHERE id > ? ORDER BY id").all(id) as Array<{
      at: number;
      action: string;
      actor_id: string | null;
      via: string;
      target_id: string | null;
      target_label: string | null;
      data: string;
    }>
  ).map((line) => ({ ...line, data: JSON.parse(line.data) as unknown }));

describe("the flow list's moves", () => {
  const post = (fields: Record<string, string>) =>
    settleRoute(flowListAction({ request: requests().post("/flows", fields), context: signedIn.context, params: {} }), {} as { errors?: Record<string, string> });

  it("records a move up and a drag as one line each: the flow, from which place to which, by the signed-in admin, with the change", async () => {
    const ids = order();
    expect(ids.length).toBeGreaterThanOrEqual(3);
    const [first, second, third] = ids as [string, string, string];
    let mark = lastLineId();
    // One place up: the second and the first swap; the line names the one moved.
    expect((await post({ intent: "move", id: second, direction: "up" })).status).toBe(200);
    expect(order().slice(0, 2)).toEqual([second, first]);
    const [up, ...noMore] = linesSince(mark);
    expect(noMore).toEqual([]);
    expect(up).toMatchObject({ action: "flow.reordered", actor_id: adminId, via: "app", target_id: second, target_label: nameOf(second), data: { fromPlace: 2, toPlace: 1 } });
    // Stamped in the write that moved the flows: the time of the flow pushed down a place.
    expect(up!.at).toBe(sqlite.prepare("SELECT updated_at FROM chatflows WHERE id = ?").pluck().get(first));

    // A drag: the third dropped before the first place.
    mark = lastLineId();
    expect((await post({ intent: "reorder", moved: third, before: second })).status).toBe(200);
    expect(order().slice(0, 3)).toEqual([third, second, first]);
    expect(linesSince(mark)).toEqual([expect.objectContaining({ action: "flow.reordered", via: "app", target_id: third, data: { fromPlace: 3, toPlace: 1 } })]);

    // The first flow up is no change: no line.
    mark = lastLineId();
    expect((await post({ intent: "move", id: third, direction: "up" })).status).toBe(200);
    expect(linesSince(mark)).toEqual([]);
  });

  it("a refused move moves nothing and writes no line", async () => {
    const before = order();
    const mark = lastLineId();
    const bad = await post({ intent: "move", id: before[0]!, direction: "sideways" });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.direction).toMatch(/up/);
    expect(order()).toEqual(before);
    expect(linesSince(mark)).toEqual([]);
  });
});

describe("Settings → Audit log: Keep entries", () => {
  type Answer = { errors: Record<string, string> | null; saved: { days: number | null } | null };
  const save = (fields: Record<string, string>, options: { csrf?: boolean } = {}) =>
    settleRoute(auditAction({ request: requests().post("/settings/audit", fields, options), context: signedIn.context, params: {} }), {} as Answer);
  const stored = () => sqlite.prepare("SELECT value FROM settings WHERE key = ?").pluck().get(AUDIT_RETENTION_SETTING);
  const shown = async () =>
    ((await settleRoute(auditLoader({ request: requests().get("/settings/audit"), context: signedIn.context, params: {} }), {})).body as { retention: { days: number | null; min: number; max: number } })
      .retention;

  it("shows forever at first, refuses a bad number at its field storing nothing, and saves a good one with its line", async () => {
    expect(await shown()).toEqual({ days: null, min: 30, max: 3650 });
    const mark = lastLineId();
    for (const [fields, field, message] of [
      [{ keep: "days", days: "7" }, "days", "enter a number of days from 30 to 3650"],
      [{ keep: "days", days: "" }, "days", "enter a number of days from 30 to 3650"],
      [{ keep: "days", days: "1e3" }, "days", "enter a number of days from 30 to 3650"],
      [{ keep: "always", days: "90" }, "keep", "choose to keep entries forever or for a number of days"],
    ] as const) {
      const refused = await save(fields);
      expect(refused.status, JSON.stringify(fields)).toBe(400);
      expect(refused.body.errors?.[field], JSON.stringify(fields)).toBe(message);
    }
    // Without the form's CSRF token: refused before anything runs.
    expect((await save({ keep: "days", days: "90" }, { csrf: false })).status).toBe(403);
    expect(stored()).toBeUndefined();
    expect(linesSince(mark)).toEqual([]);

    const saved = await save({ keep: "days", days: "400" });
    expect(saved).toMatchObject({ status: 200, body: { errors: null, saved: { days: 400 } } });
    expect(stored()).toBe("400");
    expect((await shown()).days).toBe(400);
    expect(linesSince(mark)).toEqual([
      expect.objectContaining({ action: "settings.audit_retention_changed", actor_id: adminId, via: "app", target_id: null, data: { from: "forever", to: 400 } }),
    ]);
    // Forever again, the number field sent as it was: stored as no row, and a line.
    expect((await save({ keep: "forever", days: "400" })).body.saved).toEqual({ days: null });
    expect(stored()).toBeUndefined();
    expect(linesSince(mark).at(-1)).toMatchObject({ data: { from: 400, to: "forever" } });
  });
});
