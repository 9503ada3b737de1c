/**
 * The history of response targets (decision 058, sixteenth session; migration 54) on real SQLite
 * files with the real Reports, Workspace and Inbox, under an injected clock: every write of an
 * inbox's targets records them as in force from its instant, in its own write, and bad input
 * records nothing; an answer is judged by the target in force when its wait started — a later
 * change leaves the earlier period's met shares and breaches as they were, and the later period
 * follows the new target; what is due now follows today's target.
 *
 * The week of Monday 2 March 2026 (UTC; the workspace keeps no business hours).
 */
import BetterSqlite3 from "better-sqlite3";
import { Effect, Either } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ResponseTargets } from "../core/response-targets.js";
import * as Chatflows from "./chatflows.js";
import { migrate } from "./database.js";
import { Inbox } from "./inbox.js";
import { openKit, people, type Kit } from "./inbox-test-kit.js";
import { sourceFilesMatching } from "../../tests/support/source-scan.js";
import { makeReports, type ReportsShape } from "./reports.js";
import { pastTargets } from "./target-history.js";
import { layer as workspaceLayer, Workspace, type WorkspaceShape } from "./workspace.js";

const MIN = 60_000;
/** An instant of the week of Monday 2 March 2026, in UTC (`day` 0 is Monday, −1 the Sunday before). */
const utc = (day: number, hour: number, minute = 0) => Date.UTC(2026, 2, 2 + day, hour, minute);
const day = (n: number) => {
  const d = `2026-03-0${2 + n}`;
  return { range: "custom", from: d, to: d };
};
const week = { range: "custom", from: "2026-03-02", to: "2026-03-08" };
const first = (minutes: number | null, nextReplyMinutes: number | null = null): ResponseTargets => ({
  firstResponseMinutes: minutes,
  nextReplyMinutes,
  businessHours: false,
});

interface Services {
  readonly kit: Kit;
  readonly reports: ReportsShape;
  readonly workspace: WorkspaceShape;
}

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect);

/** The services of one describe, opened under a fake clock set to `start` and closed after it. */
const servicesFrom = (start: number): (() => Services) => {
  let services: Services | undefined;
  beforeAll(async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(start);
    services = await open();
  });
  afterAll(async () => {
    await services!.kit.dispose();
    vi.useRealTimers();
  });
  return () => services!;
};

const open = async (): Promise<Services> => {
  const kit = await openKit();
  const reports = makeReports({ db: kit.db, chatflows: await kit.run(Chatflows.Chatflows) });
  const workspace = await kit.run(Effect.provide(Workspace, workspaceLayer));
  return { kit, reports, workspace };
};

/** The history as stored for an inbox: [effective_at, targets]. */
const history = (kit: Kit, inboxId = "inbox_support") =>
  (
    kit.db.sqlite.prepare("SELECT effective_at, response_targets FROM inbox_targets_history WHERE inbox_id = ? ORDER BY effective_at").all(inboxId) as Array<{
      effective_at: number;
      response_targets: string | null;
    }>
  ).map((r) => [r.effective_at, r.response_targets === null ? null : (JSON.parse(r.response_targets) as ResponseTargets)]);
const live = (kit: Kit, inboxId = "inbox_support") =>
  kit.db.sqlite.prepare("SELECT response_targets FROM inboxes WHERE id = ?").pluck().get(inboxId) as string | null;

/** A conversation waiting since `since`, begun as the engine begins one. */
const waiting = (kit: Kit, since: number) => {
  const id = kit.conversation({ inboxId: "inbox_support", waitingSince: since, lastActivityAt: since, messages: [{ author: "visitor", text: "Hello?" }] });
  kit.db.sqlite
    .prepare("INSERT INTO events (type, at, conversation_id, inbox_id, channel_id, is_preview) VALUES ('conversation_created', ?, ?, 'inbox_support', 'chan_web', 0)")
    .run(since, id);
  return id;
};
const reply = async (kit: Kit, id: string, at: number) => {
  vi.setSystemTime(at);
  await kit.run(Effect.flatMap(Inbox, (i) => i.reply({ conversationId: id, text: "Hello!", clientMessageId: `r-${id}-${at}` }, people.alex)));
};

describe("an answer is judged by the target in force when its wait started", () => {
  const services$ = servicesFrom(utc(-1, 12));
  let services: Services;
  const ids: Record<string, string> = {};
  /** The met share of first responses in Support, and the missed answers by key: [minutes taken, target minutes]. */
  const judged = async (range: Record<string, string>) => {
    const { reports } = services;
    const team = await run(reports.team(await run(reports.parseQuery(range))));
    const support = team.targets.find((t) => t.inboxId === "inbox_support");
    const page = await run(reports.breaches(await run(reports.parseBreachQuery(range))));
    return {
      share: support?.firstResponse ?? null,
      shown: support === undefined ? null : [support.targets.firstResponseMinutes, support.targetsChanged],
      missed: Object.fromEntries(
        page.breaches.map((b) => [Object.keys(ids).find((k) => ids[k] === b.conversationId), [b.actualMs / MIN, b.targetMs / MIN]]),
      ),
    };
  };

  beforeAll(async () => {
    services = services$();
    await run(services.workspace.updateInbox("inbox_support", { responseTargets: first(5) }));
    const { kit } = services;
    // Monday, under 5 minutes: answered in 10 (missed) and in 3 (met).
    ids.slow = waiting(kit, utc(0, 10));
    await reply(kit, ids.slow, utc(0, 10, 10));
    ids.quick = waiting(kit, utc(0, 11));
    await reply(kit, ids.quick, utc(0, 11, 3));
  });

  it("keeps Monday's met share and breaches when the target changes, and judges Wednesday by the new one", async () => {
    const before = await judged(day(0));
    expect(before).toEqual({ share: { met: 1, measured: 2 }, shown: [5, false], missed: { slow: [10, 5] } });

    const { kit, workspace } = services;
    // A wait that starts before the change and is answered after it: judged by the 5 minutes it began under.
    ids.across = waiting(kit, utc(1, 8, 50));
    vi.setSystemTime(utc(1, 9));
    await run(workspace.updateInbox("inbox_support", { responseTargets: first(15) }));
    await reply(kit, ids.across, utc(1, 9, 10));
    // Wednesday, under 15 minutes: answered in 10 (met) and in 20 (missed).
    ids.wednesdayMet = waiting(kit, utc(2, 10));
    await reply(kit, ids.wednesdayMet, utc(2, 10, 10));
    ids.wednesdayMissed = waiting(kit, utc(2, 11));
    await reply(kit, ids.wednesdayMissed, utc(2, 11, 20));

    expect(await judged(day(0))).toEqual(before);
    expect(await judged(day(1))).toEqual({ share: { met: 0, measured: 1 }, shown: [15, true], missed: { across: [20, 5] } });
    expect(await judged(day(2))).toEqual({ share: { met: 1, measured: 2 }, shown: [15, false], missed: { wednesdayMissed: [20, 15] } });
    expect(await judged(week)).toEqual({
      share: { met: 2, measured: 5 },
      shown: [15, true],
      missed: { slow: [10, 5], across: [20, 5], wednesdayMissed: [20, 15] },
    });
  });

  it("judges the follow-up's chosen answers the same way", async () => {
    const { reports } = services;
    const page = await run(reports.breaches(await run(reports.parseBreachQuery(week))));
    const again = await run(reports.breachesOf(page.breaches.map((b) => b.eventId)));
    expect(again.map((b) => [b.conversationId, b.targetMs / MIN]).sort()).toEqual(page.breaches.map((b) => [b.conversationId, b.targetMs / MIN]).sort());
    expect(again.find((b) => b.conversationId === ids.slow)?.targetMs).toBe(5 * MIN);
  });

  it("lists an inbox whose targets were removed for the ranges they judged, and not for later ones", async () => {
    const { workspace } = services;
    vi.setSystemTime(utc(3, 9));
    await run(workspace.updateInbox("inbox_support", { responseTargets: first(null) }));
    expect((await judged(day(0))).share).toEqual({ met: 1, measured: 2 });
    expect((await judged(day(3))).shown).toEqual([null, true]);
    expect((await judged(day(4))).share).toBeNull();
    // Back to 15 minutes for what follows: keeping the same target again, after a gap, is no change.
    vi.setSystemTime(utc(3, 10));
    await run(workspace.updateInbox("inbox_support", { responseTargets: first(15) }));
    expect((await judged(day(3))).shown).toEqual([15, false]);
    expect((await judged(day(4))).shown).toEqual([15, false]);
  });

  it("keeps today's target for what is due now", async () => {
    const { kit } = services;
    const since = utc(4, 10);
    const id = waiting(kit, since);
    vi.setSystemTime(since + 10 * MIN);
    const thread = await kit.run(Effect.flatMap(Inbox, (i) => i.getThread(id, people.alex)));
    expect(thread.conversation.responseDue).toMatchObject({ kind: "first_response", dueAt: since + 15 * MIN });
  });
});

describe("every write of an inbox's targets records them in its own write", () => {
  const services$ = servicesFrom(utc(0, 9));
  let services: Services;
  beforeAll(() => {
    services = services$();
  });

  it("records a change at its instant, and nothing for the targets in force, for other fields, or for none when none was kept", async () => {
    const { kit, workspace } = services;
    await run(workspace.updateInbox("inbox_support", { responseTargets: first(null) }));
    await run(workspace.updateInbox("inbox_support", { name: "Support desk" }));
    expect(history(kit)).toEqual([]);
    await run(workspace.updateInbox("inbox_support", { responseTargets: first(5, 30) }));
    vi.setSystemTime(utc(0, 10));
    await run(workspace.updateInbox("inbox_support", { responseTargets: first(5, 30), name: "Support" }));
    vi.setSystemTime(utc(0, 11));
    await run(workspace.updateInbox("inbox_support", { responseTargets: { ...first(5, 30), businessHours: true } }));
    vi.setSystemTime(utc(0, 12));
    await run(workspace.updateInbox("inbox_support", { responseTargets: first(null) }));
    expect(history(kit)).toEqual([
      [utc(0, 9), first(5, 30)],
      [utc(0, 11), { ...first(5, 30), businessHours: true }],
      [utc(0, 12), null],
    ]);
    expect(JSON.parse(live(kit)!)).toEqual(first(null));
    // The audit line still names the column.
    const audit = kit.db.sqlite.prepare("SELECT data FROM audit_log WHERE action = 'inbox.updated' ORDER BY id DESC LIMIT 1").pluck().get() as string;
    expect(JSON.parse(audit).changed).toEqual(["response_targets"]);
  });

  it("refuses bad input with its path and records nothing, and a failed rename records nothing either", async () => {
    const { kit, workspace } = services;
    vi.setSystemTime(utc(0, 13));
    await run(workspace.updateInbox("inbox_support", { responseTargets: first(20) }));
    const rows = history(kit);
    const stored = live(kit);
    vi.setSystemTime(utc(0, 14));
    for (const bad of [{ firstResponseMinutes: 0 }, { firstResponseMinutes: 1.5 }, { nextReplyMinutes: 43_201 }]) {
      const result = await Effect.runPromise(Effect.either(workspace.updateInbox("inbox_support", { responseTargets: { ...first(20), ...bad } })));
      expect(Either.isLeft(result)).toBe(true);
      const issues = Either.isLeft(result) && result.left._tag === "InvalidInput" ? result.left.issues.map((i) => i.path) : [];
      expect(issues).toEqual([`responseTargets.${Object.keys(bad)[0]}`]);
    }
    kit.db.sqlite.prepare("INSERT INTO inboxes (id, name, created_at) VALUES ('inbox_other', 'Other', 0)").run();
    const clash = await Effect.runPromise(Effect.either(workspace.updateInbox("inbox_support", { name: "Other", responseTargets: first(25) })));
    expect(Either.isLeft(clash) && clash.left._tag).toBe("Conflict");
    expect(history(kit)).toEqual(rows);
    expect(live(kit)).toBe(stored);
  });

  it("replaces what was recorded as taking effect later when the clock was set back", async () => {
    const { kit, workspace } = services;
    vi.setSystemTime(utc(2, 9));
    await run(workspace.updateInbox("inbox_support", { responseTargets: first(30) }));
    vi.setSystemTime(utc(1, 9));
    await run(workspace.updateInbox("inbox_support", { responseTargets: first(40) }));
    expect(history(kit).at(-1)).toEqual([utc(1, 9), first(40)]);
    expect(history(kit).some(([at]) => at === utc(2, 9))).toBe(false);
  });

  it("reads every inbox's targets in one statement, however many answers ask", () => {
    const statements: string[] = [];
    const prepare: Kit["db"]["prepare"] = (sql) => {
      statements.push(sql);
      return services.kit.db.prepare(sql);
    };
    const past = pastTargets(prepare, utc(7, 0));
    for (let i = 0; i < 100; i++) past.at("inbox_support", utc(0, i % 24));
    expect(statements).toHaveLength(1);
    expect(past.at("inbox_support", utc(0, 9, 30))).toEqual(first(5, 30));
    expect(past.at("inbox_support", utc(0, 12, 30))).toEqual(first(null));
    expect(past.at("inbox_support", utc(0, 8))).toEqual(first(null));
  });

  it("is written nowhere else: no other source file writes inboxes.response_targets", () => {
    const writesTargets =
      /\bUPDATE\s+inboxes\s+SET\b[^;`"]*\bresponse_targets\b|\bINTO\s+inboxes\s*\([^)]*\bresponse_targets\b|\[\s*["']response_targets["']\s*,|\bINTO\s+inbox_targets_history\b|\bDELETE\s+FROM\s+inbox_targets_history\b/i;
    const offenders = sourceFilesMatching((text) => writesTargets.test(text), [
      join("runtime", "services", "target-history.ts"),
      join("runtime", "sql", "migrations.ts"),
    ]);
    expect(offenders).toEqual([]);
    // The check finds a writer when there is one, the shape the inbox settings once had among them.
    expect(writesTargets.test('s.prepare("UPDATE inboxes SET response_targets = ? WHERE id = ?")')).toBe(true);
    expect(writesTargets.test('columns.push(["response_targets", JSON.stringify(update.responseTargets)])')).toBe(true);
    expect(writesTargets.test("INSERT INTO inboxes (id, name, created_at, response_targets) VALUES (?, ?, ?, ?)")).toBe(true);
  });
});

describe("the migration", () => {
  it("seeds each inbox's targets as in force since the beginning, and none for an inbox without", () => {
    const dir = mkdtempSync(join(tmpdir(), "parley-target-history-"));
    const sqlite = new BetterSqlite3(join(dir, "db.sqlite"));
    try {
      migrate(sqlite);
      // As a database before migration 54 was: the table gone, the version not applied.
      sqlite.exec("DROP TABLE inbox_targets_history; DELETE FROM schema_migrations WHERE version = 54;");
      const inbox = sqlite.prepare("INSERT INTO inboxes (id, name, created_at, response_targets) VALUES (?, ?, 0, ?)");
      inbox.run("inbox_a", "A", JSON.stringify(first(5, 60)));
      inbox.run("inbox_b", "B", null);
      inbox.run("inbox_c", "C", JSON.stringify(first(null)));
      expect(migrate(sqlite)).toEqual([54]);
      expect(sqlite.prepare("SELECT * FROM inbox_targets_history").all()).toEqual([
        { inbox_id: "inbox_a", effective_at: 0, response_targets: JSON.stringify(first(5, 60)) },
      ]);
    } finally {
      sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
