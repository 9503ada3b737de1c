/**
 * The automation report on a real SQLite file, from events real rules wrote: rules run through
 * the Automation service's pass over the real Inbox, Labels, Snoozes and Routing (as
 * automation.test.ts runs them). Per rule: the conversations it acted on, its actions by kind,
 * its runs and failed runs, and how many of the conversations it closed the visitor wrote to
 * again; the inbox filter; a deleted rule under the name its last action recorded; a person's
 * changes not counted; the drill-down's list; bad queries at their parameter; the read goes
 * through the partial index, not a scan of the log.
 */
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDays, localDay } from "../core/report-range.js";
import { actionKindOf, makeAutomationReports, RULE_EVENTS_SQL, VISITOR_WROTE_SQL, tallyRuleEvents, type AutomationReportShape, type RuleReportRow } from "./automation-report.js";
import { makeAutomation, type AutomationShape } from "./automation.js";
import * as Chatflows from "./chatflows.js";
import type { InvalidInput } from "./errors.js";
import { logConversationEvent } from "./inbox-access.js";
import { openKit, people, type Kit } from "./inbox-test-kit.js";
import { Inbox } from "./inbox.js";
import { Labels, type LabelsShape } from "./labels.js";
import { makeReports } from "./reports.js";
import { Routing } from "./routing.js";
import { makeSnoozes } from "./snoozes.js";

describe("actions by kind (pure)", () => {
  it("names each event a rule's action writes", () => {
    expect(actionKindOf("status_changed", { from: "open", to: "closed" })).toBe("closed");
    expect(actionKindOf("status_changed", { from: "closed", to: "open" })).toBe("reopened");
    expect(actionKindOf("status_changed", { from: "open", to: "pending" })).toBe("pending");
    expect(actionKindOf("assigned", {})).toBe("assigned");
    expect(actionKindOf("queued", {})).toBe("unassigned");
    expect(actionKindOf("unassigned", {})).toBe("unassigned");
    expect(actionKindOf("label_added", {})).toBe("labelAdded");
    expect(actionKindOf("label_removed", {})).toBe("labelRemoved");
    expect(actionKindOf("conversation_snoozed", {})).toBe("snoozed");
    expect(actionKindOf("message_created", { author: "agent", internal: false })).toBe("replied");
    expect(actionKindOf("message_created", { author: "agent", internal: true })).toBe("commented");
    expect(actionKindOf("handoff", {})).toBeNull();
  });

  it("folds events per rule and conversation, leaving out events naming no rule", () => {
    const rule = { id: "rule_a", name: "Old name" };
    const tallies = tallyRuleEvents([
      { type: "status_changed", at: 10, conversationId: "c1", data: { to: "closed", rule } },
      { type: "label_added", at: 11, conversationId: "c1", data: { rule } },
      { type: "status_changed", at: 12, conversationId: "c1", data: { to: "closed", rule: { id: "rule_a", name: "New name" } } },
      { type: "status_changed", at: 13, conversationId: "c2", data: { to: "closed" } },
      { type: "label_added", at: 14, conversationId: "c2", data: { rule: { id: 5, name: "not a rule" } } },
    ]);
    expect([...tallies.keys()]).toEqual(["rule_a"]);
    const a = tallies.get("rule_a")!;
    expect(a.latestName).toBe("New name");
    expect(a.conversations.get("c1")).toMatchObject({ firstAt: 10, lastAt: 12, firstClosedAt: 10, actions: { closed: 2, labelAdded: 1 } });
  });
});

let kit: Kit;
let automation: AutomationShape;
let labels: LabelsShape;
let report: AutomationReportShape;
let vip: string;

const sql = (text: string) => kit.db.sqlite.prepare(text);
const pass = () => kit.run(automation.runPass());
const make = (input: Record<string, unknown>) => kit.run(automation.create(people.admin, { trigger: "visitor-message", conditions: [], ...input }));

/** What the writers log when a visitor writes: the message and its event. */
const visitorWrites = (conversationId: string, text: string, at = Date.now()) => {
  const row = sql("SELECT * FROM conversations WHERE id = ?").get(conversationId) as Parameters<typeof logConversationEvent>[2];
  const messageId = Number(
    sql("INSERT INTO messages (conversation_id, author, text, created_at) VALUES (?, 'visitor', ?, ?)").run(conversationId, text, at).lastInsertRowid,
  );
  logConversationEvent(sql, "message_created", row, at, { data: { author: "visitor", internal: false, messageId: String(messageId) } });
};

// Around today in the workspace zone (UTC): the events are written now, whenever the test runs.
const today = localDay("UTC", Date.now());
const around = { range: "custom", from: addDays(today, -1), to: addDays(today, 1) };
const query = (params: Record<string, string | undefined> = {}) => kit.run(report.parseQuery({ ...around, ...params }));
const rowsOf = async (params: Record<string, string | undefined> = {}) => (await kit.run(report.report(await query(params)))).rules;
const rowNamed = (rows: ReadonlyArray<RuleReportRow>, name: string) => {
  const row = rows.find((r) => r.name === name);
  if (!row) throw new Error(`no row named ${name}: ${rows.map((r) => r.name).join(", ")}`);
  return row;
};
const issuesOf = async (params: Record<string, string | undefined>) =>
  ((await kit.fail(report.parseQuery(params))) as InvalidInput).issues.map((i) => `${i.path}: ${i.message}`);

let closer: { id: string };
let broken: { id: string };
let doomedRule: { id: string };
let closedAgain: string;
let closedForGood: string;
let salesClosed: string;
let cameBack: string;
let wroteAgainAt: number;

beforeAll(async () => {
  kit = await openKit();
  labels = await kit.run(Labels);
  automation = makeAutomation({
    db: kit.db,
    inbox: await kit.run(Inbox),
    labels,
    routing: await kit.run(Routing),
    snoozes: makeSnoozes(kit.db, kit.live),
    businessHours: () => Effect.succeed({ timezone: "UTC", hours: [] }),
  });
  report = makeAutomationReports({ db: kit.db, reports: makeReports({ db: kit.db, chatflows: await kit.run(Chatflows.Chatflows) }) });
  vip = (await kit.run(labels.create(people.admin, { name: "VIP", color: "purple" }))).id;
  const doomed = (await kit.run(labels.create(people.admin, { name: "Doomed", color: "red" }))).id;

  // Closes a chat when the visitor says goodbye, labels it and leaves a comment.
  closer = await make({
    name: "Close goodbyes",
    conditions: [{ type: "message-contains", words: ["bye"] }],
    actions: [{ type: "add-label", labelId: vip }, { type: "comment", text: "Closed on goodbye" }, { type: "set-status", status: "closed" }],
  });
  // Its first action fails (the label is gone); its second still assigns.
  broken = await make({
    name: "Broken label",
    conditions: [{ type: "message-contains", words: ["broken"] }],
    actions: [
      { type: "add-label", labelId: doomed },
      { type: "assign", userId: people.bo.id },
    ],
  });
  // Acts, is renamed, acts again, and is deleted.
  doomedRule = await make({ name: "Snoozer", conditions: [{ type: "message-contains", words: ["later"] }], actions: [{ type: "snooze", minutes: 600 }] });
  await kit.run(labels.remove(people.admin, doomed));

  closedAgain = kit.conversation({ inboxId: "inbox_support" });
  closedForGood = kit.conversation({ inboxId: "inbox_support" });
  salesClosed = kit.conversation({ inboxId: "inbox_sales" });
  cameBack = kit.conversation({ inboxId: "inbox_support" });
  visitorWrites(cameBack, "bye bye");
  visitorWrites(closedAgain, "ok bye");
  visitorWrites(closedForGood, "bye now");
  visitorWrites(salesClosed, "bye");
  await pass();
  // The visitor of one writes again a minute after the rule closed it.
  wroteAgainAt = Date.now() + 60_000;
  visitorWrites(closedAgain, "actually, one more thing", wroteAgainAt);
  // Another's visitor starts a new chat (a closed chat takes no message) and writes there.
  const visitorId = (sql("SELECT visitor_id FROM conversations WHERE id = ?").get(cameBack) as { visitor_id: string }).visitor_id;
  visitorWrites(kit.conversation({ inboxId: "inbox_support", visitorId }), "hello again");

  const fails = kit.conversation({ inboxId: "inbox_support" });
  visitorWrites(fails, "this is broken");
  const snoozed = kit.conversation({ inboxId: "inbox_support" });
  visitorWrites(snoozed, "talk later");
  await pass();
  await kit.run(
    automation.update(people.admin, doomedRule.id, {
      name: "Snoozer (renamed)",
      trigger: "visitor-message",
      conditions: [{ type: "message-contains", words: ["later"] }],
      actions: [{ type: "snooze", minutes: 600 }],
    }),
  );
  const snoozedToo = kit.conversation({ inboxId: "inbox_sales" });
  visitorWrites(snoozedToo, "later please");
  await pass();
  await kit.run(automation.remove(people.admin, doomedRule.id));

  // A person's own change is not the rule's.
  const version = () => (sql("SELECT version FROM conversations WHERE id = ?").get(closedForGood) as { version: number }).version;
  await kit.run(Effect.flatMap(Inbox, (inbox) => inbox.reopen(closedForGood, version(), people.admin)));
  await kit.run(Effect.flatMap(Inbox, (inbox) => inbox.close(closedForGood, version(), people.admin)));
});
afterAll(() => kit.dispose());

describe("the report", () => {
  it("counts per rule what it did, its runs, and whether the visitor wrote again after it closed", async () => {
    const rows = await rowsOf();
    expect(rows.map((r) => [r.name, r.deleted])).toEqual([
      ["Close goodbyes", false],
      ["Broken label", false],
      ["Snoozer (renamed)", true],
    ]);
    expect(rowNamed(rows, "Close goodbyes")).toMatchObject({
      ruleId: closer.id,
      enabled: true,
      conversations: 4,
      actions: { labelAdded: 4, commented: 4, closed: 4, reopened: 0, assigned: 0, snoozed: 0, replied: 0 },
      totalActions: 12,
      runs: 4,
      failedRuns: 0,
      closedConversations: 4,
      visitorWroteAgain: 2,
    });
    expect(rowNamed(rows, "Broken label")).toMatchObject({
      ruleId: broken.id,
      conversations: 1,
      actions: { assigned: 1, labelAdded: 0 },
      runs: 1,
      failedRuns: 1,
      closedConversations: 0,
      visitorWroteAgain: 0,
    });
  });

  it("keeps a deleted rule under the name its latest action recorded, without runs", async () => {
    const deleted = rowNamed(await rowsOf(), "Snoozer (renamed)");
    expect(deleted).toMatchObject({ ruleId: doomedRule.id, deleted: true, enabled: null, conversations: 2, actions: { snoozed: 2 }, runs: null, failedRuns: null });
  });

  it("counts only what happened in the inbox asked for", async () => {
    const sales = sql("SELECT id FROM inboxes WHERE name = 'Sales'").get() as { id: string };
    const rows = await rowsOf({ inbox: sales.id });
    expect(rowNamed(rows, "Close goodbyes")).toMatchObject({ conversations: 1, closedConversations: 1, visitorWroteAgain: 0, runs: 1 });
    expect(rowNamed(rows, "Broken label")).toMatchObject({ conversations: 0, runs: 0, failedRuns: 0 });
    expect(rowNamed(rows, "Snoozer (renamed)")).toMatchObject({ conversations: 1, actions: { snoozed: 1 } });
  });

  it("counts nothing in a range before the rules acted", async () => {
    const rows = await rowsOf({ from: addDays(today, -40), to: addDays(today, -10) });
    // The existing rules are listed with nothing; the deleted one did nothing then, so it is not.
    expect(rows.map((r) => [r.name, r.conversations, r.totalActions, r.runs])).toEqual([
      ["Close goodbyes", 0, 0, 0],
      ["Broken label", 0, 0, 0],
    ]);
  });

  it("a visitor message after the range ends does not count as writing again", async () => {
    const q = await query();
    const endingAt = async (end: number) => rowNamed((await kit.run(report.report({ ...q, range: { ...q.range, end } }))).rules, "Close goodbyes");
    // The visitor who came back in a new chat did so at once; the other a minute later.
    expect((await endingAt(wroteAgainAt)).visitorWroteAgain).toBe(1);
    expect((await endingAt(wroteAgainAt + 1)).visitorWroteAgain).toBe(2);
  });

  it("lists one rule's conversations for the drill-down, the most recent first", async () => {
    const list = await kit.run(report.conversations(await query(), closer.id));
    expect(list).toMatchObject({ ruleId: closer.id, name: "Close goodbyes", deleted: false, total: 4 });
    expect(new Set(list.conversations.map((c) => c.conversationId))).toEqual(new Set([closedAgain, closedForGood, salesClosed, cameBack]));
    expect(list.conversations.find((c) => c.conversationId === cameBack)).toMatchObject({ closed: true, visitorWroteAgain: true });
    const again = list.conversations.find((c) => c.conversationId === closedAgain)!;
    expect(again).toMatchObject({ closed: true, visitorWroteAgain: true, inboxName: "Support", actions: { closed: 1, labelAdded: 1, commented: 1 } });
    expect(list.conversations.find((c) => c.conversationId === closedForGood)).toMatchObject({ closed: true, visitorWroteAgain: false });
    expect(again.title).toMatch(/^Visitor /);
    const deleted = await kit.run(report.conversations(await query(), doomedRule.id));
    expect(deleted).toMatchObject({ name: "Snoozer (renamed)", deleted: true, total: 2 });
    // No rule has or had this id in the range.
    const unknown = (await kit.fail(report.conversations(await query(), "rule_nope"))) as InvalidInput;
    expect(unknown.issues).toEqual([{ path: "rule", message: "no rule has this id, and no deleted rule with it acted in this range" }]);
  });
});

describe("the query", () => {
  it("refuses a bad range, an unknown inbox, other filters and a bad rule id at their parameter", async () => {
    expect(await issuesOf({ range: "year" })).toEqual(["range: expected one of today, 7d, 30d, custom"]);
    expect(await issuesOf({ range: "custom", from: "2026-02-30", to: "2026-03-01" })).toEqual(["from: expected a date written YYYY-MM-DD"]);
    expect(await issuesOf({ range: "custom", from: "2026-03-02", to: "2026-03-01" })).toEqual(["to: the last day is before the first day"]);
    expect(await issuesOf({ range: "custom", from: "2025-01-01", to: "2026-03-01" })).toEqual(["to: a range is at most 366 days"]);
    expect(await issuesOf({ inbox: "inbox_nope" })).toEqual(["inbox: no inbox has this id"]);
    expect(await issuesOf({ channel: "chan_web", hours: "business" })).toEqual([
      "channel: the automation report filters by range and inbox only",
      "hours: the automation report filters by range and inbox only",
    ]);
    expect(await issuesOf({ rule: "not an id!" })).toEqual(["rule: expected a rule's id (letters, digits, _ . : -; at most 100)"]);
    expect((await query({ rule: closer.id })).rule).toBe(closer.id);
  });
});

describe("performance", () => {
  it("reads the range through the partial index, never scanning the log", () => {
    for (const byInbox of [false, true]) {
      const plan = (
        kit.db.sqlite.prepare(`EXPLAIN QUERY PLAN ${RULE_EVENTS_SQL(byInbox)}`).all({ start: 0, end: 1, ...(byInbox ? { inbox: "x" } : {}) }) as Array<{ detail: string }>
      ).map((r) => r.detail);
      expect(plan.join("\n")).toMatch(/SEARCH e USING INDEX events_rule_at \(at>\? AND at<\?\)/);
      expect(plan.join("\n")).not.toMatch(/SCAN e|TEMP B-TREE/);
    }
    // Whether a visitor wrote again: by conversation and by visitor or contact, never a scan.
    const again = (kit.db.sqlite.prepare(`EXPLAIN QUERY PLAN ${VISITOR_WROTE_SQL}`).all({ conversation: "c", after: 0, end: 1 }) as Array<{ detail: string }>)
      .map((r) => r.detail)
      .join("\n");
    expect(again).toMatch(/USING INDEX events_conversation_type/);
    expect(again).toMatch(/USING INDEX conversations_visitor/);
    expect(again).toMatch(/USING INDEX conversations_contact/);
    expect(again).not.toMatch(/SCAN (e|o)\b/);
    // The index holds exactly the events rules wrote here: no visitor's message, no person's change.
    const count = (text: string) => (kit.db.sqlite.prepare(text).get() as { n: number }).n;
    const entries = count(`SELECT count(*) AS n FROM events INDEXED BY events_rule_at WHERE at >= 0 AND ${RULE_EVENTS_SQL(false).split("WHERE ")[1]!.split(" AND e.at")[0]!.replaceAll("e.", "")}`);
    expect(entries).toBe(count("SELECT count(*) AS n FROM events WHERE json_extract(data, '$.rule.id') IS NOT NULL"));
    expect(entries).toBeGreaterThan(0);
  });
});
