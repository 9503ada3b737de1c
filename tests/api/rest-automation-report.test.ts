/**
 * GET /api/v1/reports/automation on the real handler, the app's real runtime and a fresh seeded
 * SQLite file: a rule made through the Automation service acts on a visitor's chat started over
 * the public chat API (its pass run here), and the report names it with what it did; `rule`
 * adds its conversations; a deleted rule keeps its row; a bad range, inbox, filter or rule is a
 * 400 naming the parameter; agents and marketers are refused, as for the other reports. The
 * page's CSV downloads (its real route module, a real session) hold the same figures.
 */
import { Effect } from "effect";
import type BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "csv-parse/sync";
import { call } from "../../bench/http-harness.js";
import { loader as exportLoader } from "../../app/routes/reports.export.$table.js";
import { addDays, localDay } from "../../runtime/core/report-range.js";
import type { AppRuntime } from "../../runtime/services/app-layer.js";
import { Automation } from "../../runtime/services/automation.js";
import { Labels } from "../../runtime/services/labels.js";
import { SEED_IDS } from "../../runtime/services/seed.js";
import { seededRoleTokens, startPublicApiApp, startVisitorChat, type PublicApiApp } from "../support/public-api-server.js";
import { routeRequests, signInAdmin } from "../support/thread-post.js";

let app: PublicApiApp;
let runtime: AppRuntime;
let sqlite: BetterSqlite3.Database;
const tokens: Record<"admin" | "marketer" | "agent" | "analyst", string> = { admin: "", marketer: "", agent: "", analyst: "" };
const admin = { id: SEED_IDS.admin, role: "admin" as const };

beforeAll(async () => {
  app = await startPublicApiApp("rest-automation-report", { rateLimitEnabled: false }, { rateLimitEnabled: false });
  ({ runtime, sqlite } = app);
  const made = await seededRoleTokens(runtime);
  for (const role of ["admin", "marketer", "agent", "analyst"] as const) tokens[role] = made[role].token;
});
afterAll(async () => {
  await app?.close();
});

const send = (path: string, token = tokens.analyst) => call(app.base, path, { token });
const timezone = () => sqlite.prepare("SELECT value FROM settings WHERE key = 'timezone'").pluck().get() as string | undefined;
/** Yesterday to tomorrow in the workspace zone: what the rule does now is inside, whenever the test runs. */
const around = () => {
  const today = localDay(timezone() ?? "UTC", Date.now());
  return `range=custom&from=${addDays(today, -1)}&to=${addDays(today, 1)}`;
};

describe("GET /api/v1/reports/automation", () => {
  let ruleId = "";
  let conversationId = "";

  beforeAll(async () => {
    const label = await runtime.runPromise(Effect.flatMap(Labels, (l) => l.create(admin, { name: "API report", color: "blue" })));
    const rule = await runtime.runPromise(
      Effect.flatMap(Automation, (a) =>
        a.create(admin, { name: "Label new chats", trigger: "conversation-created", conditions: [], actions: [{ type: "add-label", labelId: label.id }] }),
      ),
    );
    ruleId = rule.id;
    ({ conversationId } = await startVisitorChat(app, app.leadFlowId));
    // The background loop may have run already; a pass of our own makes sure, and acts once either way.
    await runtime.runPromise(Effect.flatMap(Automation, (a) => a.runPass()));
    expect(sqlite.prepare("SELECT count(*) FROM conversation_labels WHERE conversation_id = ? AND label_id = ?").pluck().get(conversationId, label.id)).toBe(1);
  });

  it("names each rule with what it did, and with `rule` its conversations", async () => {
    const answer = await send(`/api/v1/reports/automation?${around()}`);
    expect(answer.status).toBe(200);
    const row = answer.body.rules.find((r: { ruleId: string }) => r.ruleId === ruleId);
    expect(row).toMatchObject({
      name: "Label new chats",
      deleted: false,
      enabled: true,
      conversations: 1,
      actions: { labelAdded: 1, closed: 0 },
      totalActions: 1,
      runs: 1,
      failedRuns: 0,
      closedConversations: 0,
      visitorWroteAgain: 0,
      visitorWroteAgainRate: null,
    });
    expect(answer.body.range).toMatchObject({ preset: "custom" });
    expect(answer.body.rule).toBeUndefined();

    const drill = await send(`/api/v1/reports/automation?${around()}&rule=${ruleId}`);
    expect(drill.status).toBe(200);
    expect(drill.body.rule).toMatchObject({ ruleId, name: "Label new chats", deleted: false, total: 1 });
    expect(drill.body.rule.conversations).toEqual([
      expect.objectContaining({ conversationId, actions: expect.objectContaining({ labelAdded: 1 }), closed: false, visitorWroteAgain: false }),
    ]);
    expect(Date.parse(drill.body.rule.conversations[0].lastActionAt)).toBeGreaterThan(0);

    // Only in the inbox it acted in.
    const own = sqlite.prepare("SELECT inbox_id FROM events WHERE conversation_id = ? AND type = 'label_added'").pluck().get(conversationId) as string;
    const mine = await send(`/api/v1/reports/automation?${around()}&inbox=${own}`);
    expect(mine.body.rules.find((r: { ruleId: string }) => r.ruleId === ruleId)).toMatchObject({ conversations: 1, totalActions: 1 });
    // A second inbox (the seed has one), where the rule did nothing.
    const other = "inbox_automation_report_other";
    sqlite.prepare("INSERT INTO inboxes (id, name, created_at) VALUES (?, 'Elsewhere', ?)").run(other, Date.now());
    const elsewhere = await send(`/api/v1/reports/automation?${around()}&inbox=${other}`);
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body.rules.find((r: { ruleId: string }) => r.ruleId === ruleId)).toMatchObject({ conversations: 0, totalActions: 0 });
  });

  it("refuses a bad query with 400 naming the parameter", async () => {
    const cases: Array<[string, string]> = [
      ["range=year", "range"],
      ["range=custom&from=2026-01-10&to=2026-01-01", "to"],
      ["range=custom&from=2024-01-01&to=2026-01-01", "to"],
      ["range=custom&from=yesterday&to=2026-01-01", "from"],
      ["inbox=inbox_nope", "inbox"],
      ["inbox=not%20an%20id", "inbox"],
      ["team=team_x", "team"],
      ["hours=business", "hours"],
      ["rule=rule%20nope!", "rule"],
      ["rule=rule_nope", "rule"],
    ];
    for (const [search, path] of cases) {
      const answer = await send(`/api/v1/reports/automation?${search}`);
      expect(answer.status, search).toBe(400);
      expect(answer.body.error, search).toMatchObject({ code: "invalid_input", path });
    }
  });

  it("downloads the page's tables as CSV with the same figures; the conversations' table needs its rule", async () => {
    const signedIn = await signInAdmin(runtime);
    const exportOf = async (table: string, query: string) => {
      const request = routeRequests(signedIn).get(`/reports/export/${table}?${query}`);
      const response = await exportLoader({ request, context: signedIn.context, params: { table } }).catch((thrown: unknown) => thrown as Response);
      return { status: response.status, body: await response.text() };
    };
    const rules = await exportOf("automation-rules", around());
    expect(rules.status).toBe(200);
    const rows = parse(rules.body, { columns: true }) as Array<Record<string, string>>;
    expect(rows.find((r) => r.Rule === "Label new chats")).toMatchObject({ State: "Enabled", Conversations: "1", "Labels added": "1", Runs: "1", "Failed runs": "0" });
    const list = await exportOf("automation-conversations", `${around()}&rule=${ruleId}`);
    expect(list.status).toBe(200);
    expect((parse(list.body, { columns: true }) as Array<Record<string, string>>).map((r) => [r.Conversation, r.Actions])).toEqual([[conversationId, "Labels added 1"]]);
    const noRule = await exportOf("automation-conversations", around());
    expect(noRule.status).toBe(400);
    expect(JSON.parse(noRule.body).error).toMatchObject({ code: "invalid_input", path: "rule" });
    const badInbox = await exportOf("automation-rules", `${around()}&inbox=inbox_nope`);
    expect(badInbox.status).toBe(400);
    expect(JSON.parse(badInbox.body).error).toMatchObject({ path: "inbox" });
  });

  it("is for admins and analysts only", async () => {
    expect((await send("/api/v1/reports/automation", tokens.admin)).status).toBe(200);
    for (const role of ["agent", "marketer"] as const) expect((await send("/api/v1/reports/automation", tokens[role])).status).toBe(403);
  });

  it("keeps a deleted rule's row under its name, without runs", async () => {
    await runtime.runPromise(Effect.flatMap(Automation, (a) => a.remove(admin, ruleId)));
    const answer = await send(`/api/v1/reports/automation?${around()}`);
    expect(answer.status).toBe(200);
    expect(answer.body.rules.find((r: { ruleId: string }) => r.ruleId === ruleId)).toMatchObject({
      name: "Label new chats",
      deleted: true,
      enabled: null,
      conversations: 1,
      runs: null,
      failedRuns: null,
    });
    const drill = await send(`/api/v1/reports/automation?${around()}&rule=${ruleId}`);
    expect(drill.body.rule).toMatchObject({ deleted: true, total: 1 });
  });
});
