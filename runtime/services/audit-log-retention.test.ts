/**
 * How long the audit log keeps its lines (decision 046): the admin's setting, refused bad input
 * (nothing stored, no line), the setting's own line, and the pass that deletes lines older than
 * the retention in bounded writes — on the app's real runtime over a fresh SQLite file.
 */
import { Effect, Exit } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as Accounts from "./accounts.js";
import type { AppRuntime, AppServices } from "./app-layer.js";
import { openAppForDatabase } from "./app-for-database.js";
import {
  asAuditActor,
  AUDIT_RETENTION_BATCH,
  AUDIT_RETENTION_SETTING,
  AuditLog,
  retentionFromSetting,
  type AuditActor,
} from "./audit-log.js";
import { Database, type Sqlite } from "./database.js";

const DAY = 86_400_000;

let dir: string;
let runtime: AppRuntime;
let sqlite: Sqlite;
let admin: Accounts.User;
let agent: Accounts.User;
let asAdmin: AuditActor;

const run = <A, E>(effect: Effect.Effect<A, E, AppServices>) => runtime.runPromise(asAuditActor(asAdmin)(effect));
const setRetention = (input: unknown, by: Accounts.User = admin) => run(Effect.flatMap(AuditLog, (log) => log.setRetention(by, input)));
const refusal = async (input: unknown, by: Accounts.User = admin) => {
  const exit = await runtime.runPromiseExit(asAuditActor(asAdmin)(Effect.flatMap(AuditLog, (log) => log.setRetention(by, input))));
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail") throw new Error("expected a refusal");
  return exit.cause.error as { _tag: string; issues?: ReadonlyArray<{ path: string; message: string }> };
};
const purge = () => run(Effect.flatMap(AuditLog, (log) => log.purgeExpired()));
const setting = () => sqlite.prepare("SELECT value FROM settings WHERE key = ?").pluck().get(AUDIT_RETENTION_SETTING);
const lineCount = () => sqlite.prepare("SELECT count(*) FROM audit_log").pluck().get() as number;

/** `count` lines stamped `daysAgo` days back (plus `i` ms each), named `tag` so a test finds its own. */
const addLines = (count: number, daysAgo: number, tag: string) => {
  const insert = sqlite.prepare("INSERT INTO audit_log (at, action, via, target_type, target_id, data) VALUES (?, 'team.created', 'system', 'team', ?, '{}')");
  const at = Date.now() - daysAgo * DAY;
  sqlite.transaction(() => {
    for (let i = 0; i < count; i++) insert.run(at + i, `${tag}-${i}`);
  })();
};
const tagged = (tag: string) => sqlite.prepare("SELECT count(*) FROM audit_log WHERE target_id LIKE ?").pluck().get(`${tag}-%`) as number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-audit-retention-"));
  ({ runtime } = await openAppForDatabase(join(dir, "audit.sqlite"), { seed: false }));
  sqlite = (await runtime.runPromise(Database)).sqlite;
  const seed = (email: string, role: Accounts.Role) =>
    runtime.runPromise(Effect.flatMap(Accounts.Accounts, (a) => a.seedUser({ email, name: email.split("@")[0]!, role, password: "a-long-password-1" }))).then((r) => r.user);
  admin = await seed("root@example.com", "admin");
  agent = await seed("ann@example.com", "agent");
  asAdmin = { userId: admin.id, via: "app", ip: "203.0.113.9" };
});

afterAll(async () => {
  await runtime?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("the retention setting", () => {
  it("is forever until an admin sets it, and forever deletes nothing, however old", async () => {
    expect(await run(Effect.flatMap(AuditLog, (log) => log.retention()))).toEqual({ days: null });
    addLines(3, 5000, "ancient");
    expect(await purge()).toEqual({ deleted: 0, writes: 0 });
    expect(tagged("ancient")).toBe(3);
    sqlite.prepare("DELETE FROM audit_log WHERE target_id LIKE 'ancient-%'").run();
  });

  it("refuses bad input with its field, storing nothing and writing no line", async () => {
    const before = lineCount();
    for (const [input, path, message] of [
      [{ keep: "days", days: "29" }, "days", /from 30 to 3650/],
      [{ keep: "days", days: "3651" }, "days", /from 30 to 3650/],
      [{ keep: "days", days: "90.5" }, "days", /whole number/],
      [{ keep: "days", days: "ninety" }, "days", /^enter a number of days from 30 to 3650$/],
      [{ keep: "days", days: "" }, "days", /^enter a number of days from 30 to 3650$/],
      [{ keep: "days" }, "days", /^enter a number of days from 30 to 3650$/],
      [{ keep: "sometimes", days: "90" }, "keep", /^choose to keep entries forever or for a number of days$/],
      [{}, "keep", /./],
    ] as const) {
      const error = await refusal(input);
      expect(error._tag, JSON.stringify(input)).toBe("InvalidInput");
      expect(error.issues?.[0]?.path, JSON.stringify(input)).toBe(path);
      expect(error.issues?.[0]?.message, JSON.stringify(input)).toMatch(message);
    }
    expect((await refusal({ keep: "days", days: "90" }, agent))._tag).toBe("Forbidden");
    expect(setting()).toBeUndefined();
    expect(lineCount()).toBe(before);
  });

  it("stores a change with its line (who, from what, to what) in one write; the same again writes nothing", async () => {
    expect(await setRetention({ keep: "days", days: " 365 " })).toEqual({ days: 365 });
    expect(setting()).toBe("365");
    expect(await setRetention({ keep: "days", days: 90 })).toEqual({ days: 90 });
    const before = lineCount();
    expect(await setRetention({ keep: "days", days: "90" })).toEqual({ days: 90 });
    expect(lineCount()).toBe(before);
    const lines = (await run(Effect.flatMap(AuditLog, (log) => log.list(admin, { category: "workspace" })))).entries.filter(
      (e) => e.action === "settings.audit_retention_changed",
    );
    expect(lines.map((e) => e.data)).toEqual([
      { from: 365, to: 90 },
      { from: "forever", to: 365 },
    ]);
    expect(lines[0]).toMatchObject({ actor: { id: admin.id }, via: "app", ip: "203.0.113.9", label: "Changed how long the audit log keeps entries" });
    expect(await setRetention({ keep: "forever", days: "not looked at" })).toEqual({ days: null });
    // Forever is no row at all, as before any retention was set.
    expect(setting()).toBeUndefined();
  });

  it("reads a stored value it does not understand as forever", () => {
    expect(retentionFromSetting(undefined)).toEqual({ days: null });
    expect(retentionFromSetting("90")).toEqual({ days: 90 });
    for (const odd of ["0", "10", "99999", "-5", "90 days", ""]) expect(retentionFromSetting(odd)).toEqual({ days: null });
  });
});

describe("the retention pass", () => {
  beforeEach(() => {
    sqlite.prepare("DELETE FROM settings WHERE key = ?").run(AUDIT_RETENTION_SETTING);
  });

  it("deletes the lines older than the retention, a bounded batch per write, and keeps the newer ones", async () => {
    await setRetention({ keep: "days", days: "30" });
    addLines(2 * AUDIT_RETENTION_BATCH + 500, 31, "old");
    addLines(20, 29, "recent");
    const db = await runtime.runPromise(Database);
    // Lines deleted per committed write group, counted by a trigger on this connection.
    sqlite.exec("CREATE TEMP TABLE deleted_lines (n INTEGER); CREATE TEMP TRIGGER count_deleted AFTER DELETE ON audit_log BEGIN INSERT INTO deleted_lines VALUES (1); END;");
    const perGroup: number[] = [];
    const stop = db.observeGroups(() => {
      perGroup.push(sqlite.prepare("SELECT count(*) FROM temp.deleted_lines").pluck().get() as number);
      sqlite.prepare("DELETE FROM temp.deleted_lines").run();
    });
    try {
      expect(await purge()).toEqual({ deleted: 2 * AUDIT_RETENTION_BATCH + 500, writes: 3 });
    } finally {
      stop();
      sqlite.exec("DROP TRIGGER temp.count_deleted; DROP TABLE temp.deleted_lines;");
    }
    expect(perGroup).toEqual([AUDIT_RETENTION_BATCH, AUDIT_RETENTION_BATCH, 500]);
    expect(tagged("old")).toBe(0);
    expect(tagged("recent")).toBe(20);
    // The line of the setting itself is new: kept.
    expect(sqlite.prepare("SELECT count(*) FROM audit_log WHERE action = 'settings.audit_retention_changed'").pluck().get()).toBeGreaterThan(0);
    // Nothing more to delete: one write that finds nothing.
    expect(await purge()).toEqual({ deleted: 0, writes: 1 });
  });

  it("finds the old lines by the index on their time", () => {
    const plan = sqlite.prepare("EXPLAIN QUERY PLAN SELECT id FROM audit_log WHERE at < ? ORDER BY at LIMIT 1000").all(Date.now()) as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join(" | ")).toMatch(/USING COVERING INDEX audit_log_at/);
  });

  it("runs on its loop, and a lowered retention is applied at once", async () => {
    addLines(5, 200, "loop");
    const stop = await run(Effect.map(AuditLog, (log) => log.start(3_600_000)));
    try {
      await setRetention({ keep: "days", days: "180" });
      await expect.poll(() => tagged("loop"), { timeout: 10_000 }).toBe(0);
    } finally {
      stop();
    }
  });
});
