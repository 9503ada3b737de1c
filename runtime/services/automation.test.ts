/**
 * Automation rules on a real SQLite file with the real Inbox, Labels, Snoozes and Routing: the
 * pure condition matching, keeping rules (bad input at its path and nothing stored, admins
 * only), and the pass — a rule fires on its trigger only when its conditions hold, acts through
 * the single actions as the Automation user (events recorded), disabled rules and history do
 * nothing, rules run in their order, a rule's own changes trigger no rule, and a failing action
 * is recorded without stopping the rule's other actions or the other rules.
 */
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BusinessHours } from "../core/business-time.js";
import {
  RUNS_KEPT_PER_RULE,
  SPELL_SQL,
  businessOpenAt,
  conditionHolds,
  containsAny,
  madeByAutomation,
  makeAutomation,
  ruleMatches,
  triggerOf,
  waitDueAt,
  waitMs,
  waitScanMs,
  waitWords,
  type AutomationRule,
  type AutomationShape,
  type RuleFacts,
} from "./automation.js";
import * as Accounts from "./accounts.js";
import * as Chatflows from "./chatflows.js";
import * as OutsideConversations from "./outside-conversations.js";
import * as WallClock from "./clock.js";
import { Engine } from "./engine.js";
import type { Forbidden, InvalidInput, NotFound } from "./errors.js";
import { AUTOMATION_ACTOR, logConversationEvent } from "./inbox-access.js";
import { conversationState, handoffFlow, openKit, people, type Kit } from "./inbox-test-kit.js";
import { Inbox } from "./inbox.js";
import { Labels, type LabelsShape } from "./labels.js";
import { Routing } from "./routing.js";
import { makeResponseOverdue } from "./response-overdue.js";
import { makeSnoozes } from "./snoozes.js";
import * as Workspace from "./workspace.js";

const facts: RuleFacts = {
  inboxId: "inbox_sales",
  channelId: "chan_sales",
  channelKind: "chat",
  text: "Hallo, wo ist meine RECHNUNG?",
  subject: null,
  labelIds: new Set(["label_vip"]),
  contactKnown: false,
  pageUrl: "https://shop.example/pricing?plan=pro",
  businessOpen: true,
  missedTarget: null,
};

describe("conditions (pure)", () => {
  it("matches words whatever their case in any script", () => {
    expect(containsAny("Straße und ÜBERWEISUNG", ["strasse"])).toBe(true);
    expect(containsAny("Straße und ÜBERWEISUNG", ["überweisung"])).toBe(true);
    expect(containsAny("nothing here", ["invoice", "billing"])).toBe(false);
    expect(containsAny(null, ["invoice"])).toBe(false);
  });

  it("checks each kind of condition against the facts", () => {
    const holds = (c: Parameters<typeof conditionHolds>[0], f: RuleFacts = facts) => conditionHolds(c, f);
    expect(holds({ type: "inbox-is", inboxId: "inbox_sales" })).toBe(true);
    expect(holds({ type: "inbox-is-not", inboxId: "inbox_sales" })).toBe(false);
    expect(holds({ type: "channel-kind-is", kind: "chat" })).toBe(true);
    expect(holds({ type: "channel-kind-is", kind: "email" })).toBe(false);
    expect(holds({ type: "channel-is", channelId: "chan_web" })).toBe(false);
    expect(holds({ type: "message-contains", words: ["invoice", "rechnung"] })).toBe(true);
    expect(holds({ type: "subject-contains", words: ["rechnung"] })).toBe(false);
    expect(holds({ type: "subject-contains", words: ["unsubscribe"] }, { ...facts, channelKind: "email", subject: "Please UNSUBSCRIBE me" })).toBe(true);
    expect(holds({ type: "label-present", labelId: "label_vip" })).toBe(true);
    expect(holds({ type: "label-absent", labelId: "label_vip" })).toBe(false);
    expect(holds({ type: "contact-known" })).toBe(false);
    expect(holds({ type: "contact-unknown" })).toBe(true);
    expect(holds({ type: "page-url-contains", text: "/PRICING" })).toBe(true);
    expect(holds({ type: "page-url-contains", text: "/pricing" }, { ...facts, channelKind: "email" })).toBe(false);
    expect(holds({ type: "business-hours-open" })).toBe(true);
    expect(holds({ type: "business-hours-closed" }, { ...facts, businessOpen: false })).toBe(true);
    expect(holds({ type: "missed-target-is", target: "first_response" })).toBe(false);
    expect(holds({ type: "missed-target-is", target: "first_response" }, { ...facts, missedTarget: "first_response" })).toBe(true);
    expect(holds({ type: "missed-target-is", target: "next_reply" }, { ...facts, missedTarget: "first_response" })).toBe(false);
  });

  it("needs every condition; none means always", () => {
    expect(ruleMatches([], facts)).toBe(true);
    expect(ruleMatches([{ type: "inbox-is", inboxId: "inbox_sales" }, { type: "contact-unknown" }], facts)).toBe(true);
    expect(ruleMatches([{ type: "inbox-is", inboxId: "inbox_sales" }, { type: "contact-known" }], facts)).toBe(false);
  });

  it("knows which events are triggers and which the Automation user made", () => {
    expect(triggerOf("conversation_created", {})).toBe("conversation-created");
    expect(triggerOf("handoff", {})).toBe("handed-off");
    expect(triggerOf("agent_took_over", {})).toBe("handed-off");
    expect(triggerOf("message_created", { author: "visitor", internal: false })).toBe("visitor-message");
    expect(triggerOf("message_created", { author: "agent", internal: false })).toBeNull();
    expect(triggerOf("status_changed", { from: "open", to: "closed" })).toBe("conversation-closed");
    expect(triggerOf("status_changed", { from: "closed", to: "open" })).toBe("conversation-reopened");
    expect(triggerOf("status_changed", { from: "open", to: "pending" })).toBeNull();
    expect(triggerOf("label_added", {})).toBeNull();
    expect(triggerOf("response_overdue", { kind: "next_reply" })).toBe("response-overdue");
    expect(madeByAutomation(AUTOMATION_ACTOR.id, {})).toBe(true);
    expect(madeByAutomation(null, { by: AUTOMATION_ACTOR.id })).toBe(true);
    expect(madeByAutomation(people.alex.id, { by: people.alex.id })).toBe(false);
  });

  it("reads business hours as open when the workspace has none", () => {
    const monday10 = Date.UTC(2026, 10, 23, 10);
    const hours: BusinessHours = { timezone: "UTC", hours: [{ day: "mon", from: "09:00", to: "17:00" }] };
    expect(businessOpenAt(hours, monday10)).toBe(true);
    expect(businessOpenAt(hours, monday10 + 8 * 3_600_000)).toBe(false);
    expect(businessOpenAt({ timezone: "UTC", hours: [] }, monday10 + 8 * 3_600_000)).toBe(true);
    // A closed date is outside the hours all day.
    expect(businessOpenAt({ ...hours, closed: [{ date: "2026-11-23", name: "Team day", yearly: false }] }, monday10)).toBe(false);
  });
});

let kit: Kit;
let automation: AutomationShape;
let labels: LabelsShape;
let billing: string;
let vip: string;

const sql = (text: string) => kit.db.sqlite.prepare(text);
const labelsOf = (id: string) =>
  (sql("SELECT label_id FROM conversation_labels WHERE conversation_id = ? ORDER BY label_id").all(id) as Array<{ label_id: string }>).map((r) => r.label_id);
const eventsOf = (id: string, type: string) =>
  sql("SELECT user_id, data FROM events WHERE conversation_id = ? AND type = ? ORDER BY id").all(id, type) as Array<{ user_id: string | null; data: string | null }>;
const commentsOf = (id: string) =>
  (sql("SELECT text FROM messages WHERE conversation_id = ? AND is_internal = 1 AND user_id = ? ORDER BY id").all(id, AUTOMATION_ACTOR.id) as Array<{ text: string }>).map(
    (r) => r.text,
  );
const cursor = () => (sql("SELECT after_event_id FROM automation_cursor").get() as { after_event_id: number }).after_event_id;
const ruleCount = () => (sql("SELECT count(*) AS n FROM automation_rules").get() as { n: number }).n;

/** What the writers (widget, email, engine) log when a visitor writes: the message and its event. */
const visitorWrites = (conversationId: string, text: string, payload?: Record<string, unknown>) => {
  const row = sql("SELECT * FROM conversations WHERE id = ?").get(conversationId) as Parameters<typeof logConversationEvent>[2];
  const messageId = Number(
    sql("INSERT INTO messages (conversation_id, author, text, payload, created_at) VALUES (?, 'visitor', ?, ?, ?)").run(
      conversationId,
      text,
      payload === undefined ? null : JSON.stringify(payload),
      Date.now(),
    ).lastInsertRowid,
  );
  logConversationEvent(sql, "message_created", row, Date.now(), { data: { author: "visitor", internal: false, messageId: String(messageId) } });
};
const created = (conversationId: string) => {
  const row = sql("SELECT * FROM conversations WHERE id = ?").get(conversationId) as Parameters<typeof logConversationEvent>[2];
  logConversationEvent(sql, "conversation_created", row, Date.now(), { data: { via: "chat" } });
};

/** Another Automation over the same file and services (a restart), reading `hours` as the workspace's business hours. */
const automationWith = async (hours: BusinessHours = { timezone: "UTC", hours: [] }) =>
  makeAutomation({
    db: kit.db,
    inbox: await kit.run(Inbox),
    labels,
    routing: await kit.run(Routing),
    snoozes: makeSnoozes(kit.db, kit.live),
    businessHours: () => Effect.succeed(hours),
  });

const make = (input: Record<string, unknown>) => kit.run(automation.create(people.admin, { trigger: "visitor-message", conditions: [], ...input }));
/** Turns every rule off (each test starts from a quiet log). */
const quiet = async () => {
  for (const rule of await kit.run(automation.list(people.admin))) if (rule.enabled) await kit.run(automation.setEnabled(people.admin, rule.id, false));
};
const pass = () => kit.run(automation.runPass());
/** A rule's runs, newest first, without their ids and times. */
const runsOf = async (ruleId: string, perRule = RUNS_KEPT_PER_RULE) =>
  (await kit.run(automation.recentRuns(people.admin, perRule)))
    .filter((r) => r.ruleId === ruleId)
    .map(({ conversationId, trigger, outcome, error }) => ({ conversationId, trigger, outcome, error }));
const reread = async (rule: AutomationRule) => kit.run(automation.get(people.admin, rule.id));

beforeAll(async () => {
  kit = await openKit();
  const inbox = await kit.run(Inbox);
  labels = await kit.run(Labels);
  const routing = await kit.run(Routing);
  automation = makeAutomation({
    db: kit.db,
    inbox,
    labels,
    routing,
    snoozes: makeSnoozes(kit.db, kit.live),
    businessHours: () => Effect.succeed({ timezone: "UTC", hours: [] }),
  });
  billing = (await kit.run(labels.create(people.admin, { name: "Billing", color: "blue" }))).id;
  vip = (await kit.run(labels.create(people.admin, { name: "VIP", color: "purple" }))).id;
});
afterAll(() => kit.dispose());

describe("keeping rules", () => {
  it("refuses bad input at the field's path and stores nothing", async () => {
    const failCreate = (input: unknown) => kit.fail(automation.create(people.admin, input)) as Promise<InvalidInput>;
    const base = { name: "Billing", trigger: "visitor-message", conditions: [], actions: [{ type: "add-label", labelId: billing }] };
    const pathsOf = async (input: unknown) => (await failCreate(input)).issues.map((i) => i.path);
    expect(await pathsOf({ ...base, name: "  " })).toEqual(["name"]);
    expect(await pathsOf({ ...base, trigger: "message-sent" })).toEqual(["trigger"]);
    expect(await pathsOf({ ...base, actions: [] })).toEqual(["actions"]);
    expect(await pathsOf({ ...base, conditions: [{ type: "message-contains", words: [] }] })).toEqual(["conditions[0].words"]);
    expect(await pathsOf({ ...base, actions: [{ type: "snooze", minutes: 0 }] })).toEqual(["actions[0].minutes"]);
    expect(await pathsOf({ ...base, actions: [base.actions[0], { type: "add-label", labelId: "label_gone" }] })).toEqual(["actions[1].labelId"]);
    expect(await pathsOf({ ...base, conditions: [{ type: "inbox-is", inboxId: "inbox_nope" }] })).toEqual(["conditions[0].inboxId"]);
    expect(await pathsOf({ ...base, actions: [{ type: "assign", userId: people.ana.id }] })).toEqual(["actions[0].userId"]);
    expect(await pathsOf({ ...base, actions: [{ type: "reply", savedReplyId: "sr_nope" }] })).toEqual(["actions[0].savedReplyId"]);
    const forbidden = (await kit.fail(automation.create(people.alex, base))) as Forbidden;
    expect(forbidden._tag).toBe("Forbidden");
    expect(ruleCount()).toBe(0);
  });

  it("keeps rules in order and moves them up and down", async () => {
    const a = await make({ name: "A", enabled: false, actions: [{ type: "add-label", labelId: vip }] });
    const b = await make({ name: "B", enabled: false, actions: [{ type: "add-label", labelId: vip }] });
    const names = async () => (await kit.run(automation.list(people.admin))).map((r) => r.name);
    expect(await names()).toEqual(["A", "B"]);
    await kit.run(automation.move(people.admin, b.id, "up"));
    expect(await names()).toEqual(["B", "A"]);
    await kit.run(automation.move(people.admin, b.id, "up"));
    expect(await names()).toEqual(["B", "A"]);
    await kit.run(automation.remove(people.admin, a.id));
    await kit.run(automation.remove(people.admin, b.id));
    expect(ruleCount()).toBe(0);
  });
});

describe("the Automation user", () => {
  it("exists once a rule does, disabled, and is in no user list nor anyone's to edit or enable", async () => {
    await make({ name: "Makes the user", enabled: false, actions: [{ type: "add-label", labelId: vip }] });
    expect(sql("SELECT name, role, disabled_at IS NOT NULL AS disabled FROM users WHERE id = ?").get(AUTOMATION_ACTOR.id)).toEqual({
      name: "Automation",
      role: "admin",
      disabled: 1,
    });
    const users = await kit.run(Effect.flatMap(Accounts.Accounts, (a) => a.listUsers({ includeDisabled: true })).pipe(Effect.provide(Accounts.layer)));
    expect(users.map((u) => u.id)).not.toContain(AUTOMATION_ACTOR.id);
    const enable = (await kit.fail(
      Effect.flatMap(Workspace.Workspace, (w) => w.setDisabled(people.admin, AUTOMATION_ACTOR.id, false)).pipe(Effect.provide(Workspace.layer)),
    )) as NotFound;
    expect(enable._tag).toBe("NotFound");
    const admin = await kit.run(Effect.flatMap(Accounts.Accounts, (a) => a.getUser(people.admin.id)).pipe(Effect.provide(Accounts.layer)));
    const password = (await kit.fail(
      Effect.flatMap(Accounts.Accounts, (a) => a.setPassword(admin, AUTOMATION_ACTOR.id, { password: "a long new password 123" })).pipe(
        Effect.provide(Accounts.layer),
      ),
    )) as NotFound;
    expect(password._tag).toBe("NotFound");
    expect(sql("SELECT disabled_at IS NOT NULL AS disabled FROM users WHERE id = ?").get(AUTOMATION_ACTOR.id)).toEqual({ disabled: 1 });
    for (const rule of await kit.run(automation.list(people.admin))) await kit.run(automation.remove(people.admin, rule.id));
  });
});

describe("the pass", () => {
  it("with no enabled rule reads and moves nothing; the first rule starts at the log's end", async () => {
    const old = kit.conversation({ inboxId: "inbox_sales" });
    visitorWrites(old, "an invoice from before");
    const before = cursor();
    expect(await pass()).toEqual({ events: 0, spells: 0, fired: 0, failed: 0 });
    expect(cursor()).toBe(before);
    await make({ name: "Billing words", actions: [{ type: "add-label", labelId: billing }] });
    expect(cursor()).toBeGreaterThan(before);
    await pass();
    expect(labelsOf(old)).toEqual([]);
    await quiet();
  });

  it("fires on its trigger only when the conditions hold, through the single actions as Automation", async () => {
    const rule = await make({
      name: "Sales invoices",
      trigger: "visitor-message",
      conditions: [
        { type: "inbox-is", inboxId: "inbox_sales" },
        { type: "message-contains", words: ["invoice", "rechnung"] },
      ],
      actions: [
        { type: "add-label", labelId: billing },
        { type: "assign", userId: people.sam.id },
        { type: "comment", text: "Routed by the billing rule" },
      ],
    });
    const start = cursor();
    const hit = kit.conversation({ inboxId: "inbox_sales" });
    const otherWords = kit.conversation({ inboxId: "inbox_sales" });
    const otherInbox = kit.conversation({ inboxId: "inbox_support" });
    const wrongTrigger = kit.conversation({ inboxId: "inbox_sales", messages: [{ author: "visitor", text: "my INVOICE" }] });
    visitorWrites(hit, "Where is my INVOICE?");
    visitorWrites(otherWords, "Hello there");
    visitorWrites(otherInbox, "invoice please");
    created(wrongTrigger);

    const outcome = await pass();
    expect((await reread(rule)).lastError).toBeNull();
    expect(outcome).toMatchObject({ fired: 1, failed: 0 });
    expect(labelsOf(hit)).toEqual([billing]);
    expect(conversationState(kit, hit).assignee_id).toBe(people.sam.id);
    expect(commentsOf(hit)).toEqual(["Routed by the billing rule"]);
    expect(eventsOf(hit, "label_added").map((e) => e.user_id)).toEqual([AUTOMATION_ACTOR.id]);
    expect(eventsOf(hit, "assigned").map((e) => JSON.parse(e.data!).by)).toEqual([AUTOMATION_ACTOR.id]);
    for (const id of [otherWords, otherInbox, wrongTrigger]) {
      expect(labelsOf(id)).toEqual([]);
      expect(conversationState(kit, id).assignee_id).toBeNull();
    }
    const after = await reread(rule);
    expect(after.lastRunAt).not.toBeNull();
    expect(after.lastError).toBeNull();
    // The run history names the conversation and the event; the rules' misses are not runs.
    const hitEvent = (sql("SELECT min(id) AS id FROM events WHERE conversation_id = ? AND type = 'message_created'").get(hit) as { id: number }).id;
    expect(await runsOf(rule.id)).toEqual([{ conversationId: hit, trigger: { kind: "event", eventId: hitEvent }, outcome: "done", error: null }]);

    // Again: the cursor has moved past these events; nothing runs twice.
    expect(await pass()).toEqual({ events: 0, spells: 0, fired: 0, failed: 0 });
    expect(commentsOf(hit)).toHaveLength(1);

    // A crash before the cursor moved runs the event again: nothing is done twice.
    sql("UPDATE automation_cursor SET after_event_id = ?").run(start);
    expect(await pass()).toMatchObject({ fired: 1, failed: 0 });
    expect(commentsOf(hit)).toHaveLength(1);
    expect(await runsOf(rule.id)).toHaveLength(1);
    expect(eventsOf(hit, "label_added")).toHaveLength(1);
    expect(eventsOf(hit, "assigned")).toHaveLength(1);
    await quiet();
  });

  it("names the rule in the events its actions write and in the thread (decision 044)", async () => {
    await quiet();
    const inbox = await kit.run(Inbox);
    const rule = await make({
      name: "Park VIP questions",
      trigger: "visitor-message",
      conditions: [{ type: "message-contains", words: ["vip-park"] }],
      actions: [
        { type: "add-label", labelId: vip },
        { type: "assign", userId: people.sam.id },
        { type: "comment", text: "Parked for Sam" },
        { type: "set-status", status: "pending" },
        { type: "snooze", minutes: 60 },
      ],
    });
    const hit = kit.conversation({ inboxId: "inbox_sales" });
    visitorWrites(hit, "vip-park please");
    expect(await pass()).toMatchObject({ fired: 1, failed: 0 });
    const named = { id: rule.id, name: "Park VIP questions" };
    const ruleOf = (type: string) => eventsOf(hit, type).map((e) => JSON.parse(e.data!).rule);
    expect(ruleOf("label_added")).toEqual([named]);
    expect(ruleOf("assigned")).toEqual([named]);
    expect(ruleOf("status_changed")).toEqual([named]);
    expect(ruleOf("conversation_snoozed")).toEqual([named]);
    // Still the Automation user who acted, as before.
    expect(eventsOf(hit, "status_changed").map((e) => e.user_id)).toEqual([AUTOMATION_ACTOR.id]);

    const thread = await kit.run(inbox.getThread(hit, people.admin));
    const lines = thread.messages.filter((m) => m.author === "system").map((m) => [m.text, m.rule]);
    expect(lines.slice(0, 3)).toEqual([
      ["Label “VIP” added by rule “Park VIP questions”", named],
      ["Assigned to Sam Sales by rule “Park VIP questions”", named],
      ["Marked pending by rule “Park VIP questions”", named],
    ]);
    expect(lines[3]![0]).toMatch(/^Snoozed until .+ by rule “Park VIP questions”$/);
    expect(lines[3]![1]).toEqual(named);
    const comment = thread.messages.find((m) => m.text === "Parked for Sam")!;
    expect([comment.authorName, comment.rule]).toEqual(["Automation", named]);

    // A person's change afterwards names no rule and writes no line: the rule does not outlive its actions.
    const linesBefore = lines.length;
    await kit.run(inbox.close(hit, conversationState(kit, hit).version, people.sam));
    expect(eventsOf(hit, "status_changed").map((e) => JSON.parse(e.data!).rule ?? null)).toEqual([named, null]);
    expect((await kit.run(inbox.getThread(hit, people.admin))).messages.filter((m) => m.author === "system")).toHaveLength(linesBefore);
    await quiet();
  });

  it("names the rule on the message_created events of its comment and reply, and on no one else's", async () => {
    await quiet();
    const inbox = await kit.run(Inbox);
    sql("INSERT INTO saved_replies (id, shortcut, title, text, created_at, updated_at) VALUES ('sr_rule_reply', 'rule-reply', 'Rule reply', ?, ?, ?)").run(
      "Thanks, we are on it.",
      Date.now(),
      Date.now(),
    );
    try {
      const rule = await make({
        name: "Answer refund questions",
        conditions: [{ type: "message-contains", words: ["refund-now"] }],
        actions: [
          { type: "comment", text: "Refund question" },
          { type: "reply", savedReplyId: "sr_rule_reply" },
        ],
      });
      const hit = kit.conversation({ inboxId: "inbox_sales" });
      visitorWrites(hit, "refund-now please");
      expect(await pass()).toMatchObject({ fired: 1, failed: 0 });
      // A person answers afterwards, through the same write as the rule's reply.
      await kit.run(inbox.reply({ conversationId: hit, text: "Sam here, done.", clientMessageId: "sam-after-rule" }, people.sam));
      const named = { id: rule.id, name: "Answer refund questions" };
      const texts = new Map(
        (sql("SELECT id, text FROM messages WHERE conversation_id = ?").all(hit) as Array<{ id: number; text: string }>).map((m) => [String(m.id), m.text]),
      );
      const created = eventsOf(hit, "message_created").map((e) => {
        const data = JSON.parse(e.data!) as { messageId: unknown; author: string; internal: boolean; rule?: unknown };
        return [texts.get(String(data.messageId)), data.author, data.internal, e.user_id, data.rule ?? null];
      });
      expect(created).toEqual([
        ["refund-now please", "visitor", false, null, null],
        ["Refund question", "agent", true, AUTOMATION_ACTOR.id, named],
        ["Thanks, we are on it.", "agent", false, AUTOMATION_ACTOR.id, named],
        ["Sam here, done.", "agent", false, people.sam.id, null],
      ]);
      // Only the rule's events carry the field at all: a person's data is what it was before rules were named.
      expect(eventsOf(hit, "message_created").filter((e) => "rule" in JSON.parse(e.data!))).toHaveLength(2);
      await kit.run(automation.remove(people.admin, rule.id));
    } finally {
      sql("DELETE FROM saved_replies WHERE id = 'sr_rule_reply'").run();
    }
  });

  it("closes an email conversation by its subject", async () => {
    kit.db.sqlite.prepare("INSERT INTO channels (id, inbox_id, kind, name, created_at) VALUES ('chan_mail', 'inbox_support', 'email', 'Mail', ?)").run(Date.now());
    await make({
      name: "Unsubscribes",
      trigger: "visitor-message",
      conditions: [
        { type: "channel-kind-is", kind: "email" },
        { type: "subject-contains", words: ["unsubscribe"] },
      ],
      actions: [{ type: "set-status", status: "closed" }],
    });
    const mail = kit.conversation({ channelId: "chan_mail", inboxId: "inbox_support" });
    const other = kit.conversation({ channelId: "chan_mail", inboxId: "inbox_support" });
    visitorWrites(mail, "please stop", { subject: "Unsubscribe me" });
    visitorWrites(other, "unsubscribe is in the text only", { subject: "A question" });
    await pass();
    expect(conversationState(kit, mail).status).toBe("closed");
    expect(eventsOf(mail, "status_changed").map((e) => e.user_id)).toEqual([AUTOMATION_ACTOR.id]);
    expect(conversationState(kit, other).status).toBe("open");
    await quiet();
  });

  it("leaves a disabled rule alone", async () => {
    const rule = await make({ name: "Off", enabled: false, actions: [{ type: "add-label", labelId: vip }] });
    const id = kit.conversation();
    visitorWrites(id, "hi");
    await pass();
    expect(labelsOf(id)).toEqual([]);
    expect((await reread(rule)).lastRunAt).toBeNull();
  });

  it("runs rules in their order: a later rule sees an earlier one's label", async () => {
    const tagger = await make({ name: "Tag VIP", conditions: [{ type: "message-contains", words: ["vip"] }], actions: [{ type: "add-label", labelId: vip }] });
    const noter = await make({
      name: "Note VIPs",
      conditions: [{ type: "label-present", labelId: vip }],
      actions: [{ type: "comment", text: "VIP: answer first" }],
    });
    const first = kit.conversation();
    visitorWrites(first, "I am a VIP");
    await pass();
    expect(commentsOf(first)).toEqual(["VIP: answer first"]);

    // The other way round, the note's condition is checked before the label exists.
    await kit.run(automation.move(people.admin, noter.id, "up"));
    const second = kit.conversation();
    visitorWrites(second, "another vip");
    await pass();
    expect(labelsOf(second)).toEqual([vip]);
    expect(commentsOf(second)).toEqual([]);
    await kit.run(automation.remove(people.admin, tagger.id));
    await kit.run(automation.remove(people.admin, noter.id));
  });

  it("does not let a rule's own changes trigger rules", async () => {
    const reopener = await make({ name: "Reopen on close", trigger: "conversation-closed", actions: [{ type: "set-status", status: "open" }] });
    const closer = await make({ name: "Close on reopen", trigger: "conversation-reopened", actions: [{ type: "set-status", status: "closed" }] });
    const id = kit.conversation();
    const inbox = await kit.run(Inbox);
    await kit.run(inbox.close(id, conversationState(kit, id).version, people.alex));
    await pass();
    await pass();
    expect(conversationState(kit, id).status).toBe("open");
    expect((await reread(reopener)).lastRunAt).not.toBeNull();
    expect((await reread(closer)).lastRunAt).toBeNull();
    await quiet();
  });

  it("records a failing action and goes on with the other actions and rules", async () => {
    const doomed = (await kit.run(labels.create(people.admin, { name: "Doomed", color: "red" }))).id;
    const broken = await make({
      name: "Broken label",
      actions: [
        { type: "add-label", labelId: doomed },
        { type: "assign", userId: people.bo.id },
      ],
    });
    const next = await make({ name: "Still runs", actions: [{ type: "add-label", labelId: vip }] });
    await kit.run(labels.remove(people.admin, doomed));
    const id = kit.conversation();
    visitorWrites(id, "hello");
    expect(await pass()).toMatchObject({ fired: 2, failed: 1 });
    expect(conversationState(kit, id).assignee_id).toBe(people.bo.id);
    expect(labelsOf(id)).toEqual([vip]);
    const recorded = await reread(broken);
    expect(recorded.lastError?.message).toMatch(/^Action 1 \(add-label\): /);
    expect(await runsOf(broken.id)).toEqual([
      { conversationId: id, trigger: expect.objectContaining({ kind: "event" }), outcome: "failed", error: recorded.lastError?.message },
    ]);
    expect((await reread(next)).lastError).toBeNull();

    // Saving the rule again clears its error.
    await kit.run(
      automation.update(people.admin, broken.id, { name: "Fixed", trigger: "visitor-message", conditions: [], actions: [{ type: "assign", userId: people.bo.id }] }),
    );
    expect((await reread(broken)).lastError).toBeNull();
    await quiet();
  });
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Runs `effect` with the services' clock at `at` (in the past): what they stamp is then. */
const at = <A, E>(when: number, effect: Effect.Effect<A, E, never>) => Effect.runPromise(WallClock.playScripted(when, () => effect));

describe("business-hours waits (pure, decision 044)", () => {
  const weekdays: BusinessHours = { timezone: "UTC", hours: (["mon", "tue", "wed", "thu", "fri"] as const).map((day) => ({ day, from: "09:00", to: "17:00" })) };
  const friday15 = Date.UTC(2026, 10, 13, 15);
  it("counts business minutes and hours as business time, business days as whole open days", () => {
    expect(waitDueAt({ amount: 4, unit: "hours", businessHours: true }, weekdays, friday15)).toBe(Date.UTC(2026, 10, 16, 11));
    expect(waitDueAt({ amount: 90, unit: "minutes", businessHours: true }, weekdays, friday15)).toBe(Date.UTC(2026, 10, 13, 16, 30));
    expect(waitDueAt({ amount: 1, unit: "days", businessHours: true }, weekdays, friday15)).toBe(Date.UTC(2026, 10, 16, 15));
    expect(waitDueAt({ amount: 3, unit: "days", businessHours: true }, weekdays, friday15)).toBe(Date.UTC(2026, 10, 18, 15));
    // Around the clock: without the option, and with it but no business hours set.
    expect(waitDueAt({ amount: 4, unit: "hours", businessHours: false }, weekdays, friday15)).toBe(friday15 + 4 * 3_600_000);
    expect(waitDueAt({ amount: 3, unit: "days", businessHours: true }, { timezone: "UTC", hours: [] }, friday15)).toBe(friday15 + 3 * 86_400_000);
  });

  it("scans spells old enough in wall time to have reached the wait", () => {
    expect(waitScanMs({ amount: 4, unit: "hours", businessHours: true })).toBe(4 * 3_600_000);
    expect(waitScanMs({ amount: 3, unit: "days", businessHours: false })).toBe(3 * 86_400_000);
    expect(waitScanMs({ amount: 3, unit: "days", businessHours: true })).toBe(2 * 86_400_000 - 3 * 3_600_000);
    expect(waitScanMs({ amount: 1, unit: "days", businessHours: true })).toBe(0);
    // A spell is never due before the scan would read it.
    for (const wait of [{ amount: 1, unit: "days" }, { amount: 2, unit: "days" }, { amount: 4, unit: "hours" }] as const) {
      for (let h = 0; h < 7 * 24; h += 5) {
        const start = Date.UTC(2026, 10, 9) + h * 3_600_000;
        expect(waitDueAt({ ...wait, businessHours: true }, weekdays, start)).toBeGreaterThanOrEqual(start + waitScanMs({ ...wait, businessHours: true }));
      }
    }
  });
});

describe("time triggers", () => {
  it("decodes the wait: units and bounds at their paths, a wait only for a time trigger, nothing stored", async () => {
    expect(waitMs({ amount: 3, unit: "days" })).toBe(3 * DAY);
    expect(waitWords({ amount: 1, unit: "hours" })).toBe("1 hour");
    expect(waitWords({ amount: 90, unit: "minutes" })).toBe("90 minutes");
    const before = ruleCount();
    const base = { name: "Close stale", trigger: "pending-for", wait: { amount: 3, unit: "days" }, conditions: [], actions: [{ type: "set-status", status: "closed" }] };
    const issuesOf = async (input: unknown) => ((await kit.fail(automation.create(people.admin, input))) as InvalidInput).issues;
    const pathsOf = async (input: unknown) => (await issuesOf(input)).map((i) => i.path);
    expect(await pathsOf({ ...base, wait: { amount: 3, unit: "weeks" } })).toEqual(["wait.unit"]);
    expect(await pathsOf({ ...base, wait: { amount: 0, unit: "minutes" } })).toEqual(["wait.amount"]);
    expect(await pathsOf({ ...base, wait: { amount: 91, unit: "days" } })).toEqual(["wait.amount"]);
    expect((await issuesOf({ ...base, wait: { amount: 2161, unit: "hours" } }))[0]!.message).toBe("a wait is between 1 minute and 90 days (2160 hours)");
    expect(await pathsOf({ ...base, wait: { amount: 1.5, unit: "hours" } })).toEqual(["wait.amount"]);
    expect(await pathsOf({ ...base, wait: { amount: "soon", unit: "hours" } })).toEqual(["wait.amount"]);
    expect(await pathsOf({ ...base, wait: undefined })).toEqual(["wait"]);
    expect(await pathsOf({ ...base, trigger: "visitor-message" })).toEqual(["wait"]);
    expect(await pathsOf({ ...base, trigger: "unanswered-for" })).toEqual(["trigger"]);
    expect(ruleCount()).toBe(before);
    const ok = await kit.run(automation.create(people.admin, { ...base, enabled: false, wait: { amount: 90, unit: "days" } }));
    expect(ok.wait).toEqual({ amount: 90, unit: "days", businessHours: false });
    await kit.run(automation.remove(people.admin, ok.id));
  });

  it("decodes a business-hours wait: a boolean, only on a time trigger, kept and read back (decision 044)", async () => {
    const before = ruleCount();
    const base = { name: "Close stale", trigger: "pending-for", wait: { amount: 3, unit: "days", businessHours: true }, conditions: [], actions: [{ type: "set-status", status: "closed" }] };
    const issuesOf = async (input: unknown) => ((await kit.fail(automation.create(people.admin, input))) as InvalidInput).issues;
    expect(await issuesOf({ ...base, wait: { ...base.wait, businessHours: "yes" } })).toEqual([{ path: "wait.businessHours", message: "business hours only is true or false" }]);
    expect((await issuesOf({ ...base, trigger: "visitor-message" })).map((i) => i.path)).toEqual(["wait"]);
    expect(ruleCount()).toBe(before);
    const ok = await kit.run(automation.create(people.admin, { ...base, enabled: false }));
    expect(ok.wait).toEqual({ amount: 3, unit: "days", businessHours: true });
    expect((await reread(ok)).wait).toEqual({ amount: 3, unit: "days", businessHours: true });
    expect(waitWords(ok.wait!)).toBe("3 business days");
    // Saved again without it: around the clock.
    const plain = await kit.run(automation.update(people.admin, ok.id, { ...base, enabled: false, wait: { amount: 3, unit: "days" } }));
    expect(plain.wait).toEqual({ amount: 3, unit: "days", businessHours: false });
    await kit.run(automation.remove(people.admin, ok.id));
  });

  it("finds its spells through the indexes", () => {
    const plan = (text: string) =>
      (sql(`EXPLAIN QUERY PLAN ${text}`).all({ until: 0, afterAt: 0, afterId: "", limit: 1 }) as Array<{ detail: string }>).map((r) => r.detail).join(" | ");
    expect(plan(SPELL_SQL["pending-for"])).toMatch(/USING INDEX conversations_pending_since/);
    expect(plan(SPELL_SQL["waiting-for"])).toMatch(/USING INDEX conversations_inbox_status \(inbox_id=\? AND status=\? AND waiting_since>\? AND waiting_since<\?\)/);
  });

  it("closes a conversation pending for longer than the wait once per pending spell, also after a restart", async () => {
    await quiet();
    const inbox = await kit.run(Inbox);
    const markPending = (id: string, when: number) => at(when, inbox.markPending(id, conversationState(kit, id).version, people.alex).pipe(Effect.orDie));
    const now = Date.now();
    // Pending since before the rule existed (4 days), recently (1 day), and snoozed by a person.
    const old = kit.conversation();
    const recent = kit.conversation();
    const snoozed = kit.conversation();
    await markPending(old, now - 4 * DAY);
    await markPending(recent, now - DAY);
    await markPending(snoozed, now - 5 * DAY);
    sql("UPDATE conversations SET snoozed_until = ? WHERE id = ?").run(now + DAY, snoozed);
    expect((sql("SELECT pending_since FROM conversations WHERE id = ?").get(old) as { pending_since: number }).pending_since).toBe(now - 4 * DAY);

    const rule = await make({
      name: "Close stale pending",
      trigger: "pending-for",
      wait: { amount: 3, unit: "days" },
      actions: [
        { type: "comment", text: "Closed after 3 days pending" },
        { type: "set-status", status: "closed" },
      ],
    });
    expect(await pass()).toMatchObject({ spells: 2, fired: 1, failed: 0 });
    expect(conversationState(kit, old).status).toBe("closed");
    expect(eventsOf(old, "status_changed").map((e) => [e.user_id, JSON.parse(e.data!).to])).toEqual([
      [people.alex.id, "pending"],
      [AUTOMATION_ACTOR.id, "closed"],
    ]);
    expect(conversationState(kit, recent).status).toBe("pending");
    expect(conversationState(kit, snoozed).status).toBe("pending");
    const spell = { kind: "spell", startedAt: now - 4 * DAY };
    expect(await runsOf(rule.id)).toEqual([{ conversationId: old, trigger: spell, outcome: "done", error: null }]);

    // Reopened by a person while the rule's spell is over: nothing again, on this pass or in a new process.
    await kit.run(inbox.reopen(old, conversationState(kit, old).version, people.alex));
    sql("UPDATE conversations SET status = 'pending' WHERE id = ?").run(old); // the same spell, as if the close had not happened
    expect(await pass()).toMatchObject({ spells: 0, fired: 0 });
    const restarted = await automationWith();
    expect(await kit.run(restarted.runPass())).toMatchObject({ spells: 0, fired: 0 });
    // Disabled and enabled again, it keeps its place: what it did is not done again.
    await kit.run(automation.setEnabled(people.admin, rule.id, false));
    await kit.run(automation.setEnabled(people.admin, rule.id, true));
    expect(await pass()).toMatchObject({ spells: 0, fired: 0 });
    // Even with the place lost (a crash before it was written, a trigger changed and back), the spell's run stands.
    sql("UPDATE automation_rules SET due_after_at = 0, due_after_id = '' WHERE id = ?").run(rule.id);
    expect(await pass()).toMatchObject({ fired: 0 });
    expect(conversationState(kit, old).status).toBe("pending");
    expect(commentsOf(old)).toHaveLength(1);

    // A new pending spell (opened, then pending again) is a new occurrence.
    await at(now - 3.5 * DAY, inbox.markOpen(old, conversationState(kit, old).version, people.alex).pipe(Effect.orDie));
    await markPending(old, now - 3.5 * DAY + 60_000);
    expect(await pass()).toMatchObject({ fired: 1 });
    expect(conversationState(kit, old).status).toBe("closed");
    expect(commentsOf(old)).toHaveLength(2);
    expect((await runsOf(rule.id)).map((r) => r.trigger)).toEqual([{ kind: "spell", startedAt: now - 3.5 * DAY + 60_000 }, spell]);
    await quiet();
  });

  it("acts once the visitor has waited for the wait; a reply ends the spell and their next message starts another", async () => {
    const engine = await kit.run(Engine);
    const inbox = await kit.run(Inbox);
    const now = Date.now();
    const waiting = kit.conversation({ inboxId: "inbox_sales", waitingSince: now - 3 * HOUR, messages: [{ author: "visitor", text: "Hello?" }] });
    const answered = kit.conversation({ inboxId: "inbox_sales", waitingSince: null });
    const otherInbox = kit.conversation({ inboxId: "inbox_support", waitingSince: now - 3 * HOUR });
    const rule = await make({
      name: "Escalate waits",
      trigger: "waiting-for",
      wait: { amount: 1, unit: "hours" },
      conditions: [{ type: "inbox-is", inboxId: "inbox_sales" }],
      actions: [
        { type: "add-label", labelId: vip },
        { type: "comment", text: "Waiting over an hour" },
      ],
    });
    await pass();
    expect(labelsOf(waiting)).toEqual([vip]);
    expect(commentsOf(waiting)).toEqual(["Waiting over an hour"]);
    expect(labelsOf(answered)).toEqual([]);
    expect(labelsOf(otherInbox)).toEqual([]);
    await pass();
    expect(commentsOf(waiting)).toHaveLength(1);

    // Sam answers (the wait ends), the visitor writes again 10 minutes later: a new wait, acted on once it is an hour old.
    const visitorId = (sql("SELECT visitor_id FROM conversations WHERE id = ?").get(waiting) as { visitor_id: string }).visitor_id;
    await at(now - 2 * HOUR, inbox.reply({ conversationId: waiting, text: "Here!", clientMessageId: "sam-1" }, people.sam).pipe(Effect.orDie));
    const waitingSince = () => (sql("SELECT waiting_since FROM conversations WHERE id = ?").get(waiting) as { waiting_since: number | null }).waiting_since;
    expect(waitingSince()).toBeNull();
    await at(now - 2 * HOUR + 600_000, engine.handleVisitorMessage({ conversationId: waiting, visitorId, clientMessageId: "v-2", text: "One more thing" }).pipe(Effect.orDie));
    expect(waitingSince()).toBe(now - 2 * HOUR + 600_000);
    await pass();
    expect(commentsOf(waiting)).toEqual(["Waiting over an hour", "Waiting over an hour"]);
    expect((await runsOf(rule.id)).map((r) => r.trigger)).toEqual([
      { kind: "spell", startedAt: now - 2 * HOUR + 600_000 },
      { kind: "spell", startedAt: now - 3 * HOUR },
    ]);
    await quiet();
  });

  it("counts a business-hours wait in business time, and keeps its place before a spell not yet due (decision 044)", async () => {
    await quiet();
    const inbox = await kit.run(Inbox);
    // Weekdays 09:00–17:00 UTC; a past week, so the services' clock can be set to it.
    const weekdays: BusinessHours = {
      timezone: "UTC",
      hours: (["mon", "tue", "wed", "thu", "fri"] as const).map((day) => ({ day, from: "09:00", to: "17:00" })),
    };
    const office = await automationWith(weekdays);
    const utc = (day: number, hour: number, minute = 0) => Date.UTC(2026, 10, day, hour, minute);
    const markPending = (id: string, when: number) => at(when, inbox.markPending(id, conversationState(kit, id).version, people.alex).pipe(Effect.orDie));
    const thursday = kit.conversation(); // pending Thu 12 Nov 10:00: due Thu 14:00
    const friday = kit.conversation(); // pending Fri 13 Nov 15:00: 2 h on Friday, due Mon 16 Nov 11:00
    const later = kit.conversation(); // pending Fri 13 Nov 16:00: due Mon 12:00
    await markPending(thursday, utc(12, 10));
    await markPending(friday, utc(13, 15));
    await markPending(later, utc(13, 16));
    const rule = await make({
      name: "Close after 4 business hours",
      trigger: "pending-for",
      wait: { amount: 4, unit: "hours", businessHours: true },
      actions: [{ type: "set-status", status: "closed" }],
    });
    const place = () => sql("SELECT due_after_at AS at, due_after_id AS id FROM automation_rules WHERE id = ?").get(rule.id) as { at: number; id: string };
    const passAt = (when: number) => at(when, office.runPass());

    // Saturday noon: all three are 4 wall hours old, but only Thursday's has had 4 business hours.
    expect(await passAt(utc(14, 12))).toMatchObject({ spells: 1, fired: 1 });
    expect(conversationState(kit, thursday).status).toBe("closed");
    expect(conversationState(kit, friday).status).toBe("pending");
    // The place is Thursday's spell, not past Friday's: moved past it, Monday would never find it.
    expect(place()).toEqual({ at: utc(12, 10), id: thursday });
    expect(await passAt(utc(15, 23))).toMatchObject({ spells: 0, fired: 0 });
    expect(place()).toEqual({ at: utc(12, 10), id: thursday });

    // Monday 10:59 nothing; 11:00 Friday's; 12:00 the later one.
    expect(await passAt(utc(16, 10, 59))).toMatchObject({ fired: 0 });
    expect(await passAt(utc(16, 11))).toMatchObject({ spells: 1, fired: 1 });
    expect([conversationState(kit, friday).status, conversationState(kit, later).status]).toEqual(["closed", "pending"]);
    expect(await passAt(utc(16, 12))).toMatchObject({ spells: 1, fired: 1 });
    expect(conversationState(kit, later).status).toBe("closed");
    expect((await runsOf(rule.id)).map((r) => r.conversationId)).toEqual([later, friday, thursday]);

    // Without business hours set it counts around the clock, as response targets do.
    const aroundTheClock = await automationWith();
    const weekend = kit.conversation();
    await markPending(weekend, utc(20, 18)); // Friday 20 Nov, after hours
    expect(await at(utc(20, 21, 59), aroundTheClock.runPass())).toMatchObject({ fired: 0 });
    expect(await at(utc(20, 22), aroundTheClock.runPass())).toMatchObject({ fired: 1 });
    expect(conversationState(kit, weekend).status).toBe("closed");
    await quiet();
  });

  it("keeps the last runs of each rule and prunes the older ones", async () => {
    const now = Date.now();
    const count = RUNS_KEPT_PER_RULE + 5;
    const ids = Array.from({ length: count }, () => kit.conversation({ status: "pending" }));
    const setSince = sql("UPDATE conversations SET pending_since = ? WHERE id = ?");
    ids.forEach((id, i) => setSince.run(now - 10 * DAY + i * 1000, id));
    const rule = await make({ name: "Label stale", trigger: "pending-for", wait: { amount: 6, unit: "days" }, actions: [{ type: "add-label", labelId: billing }] });
    let fired = 0;
    for (let i = 0; i < 4; i++) fired += (await pass()).fired;
    expect(fired).toBe(count);
    expect(ids.every((id) => labelsOf(id).includes(billing))).toBe(true);
    const kept = await runsOf(rule.id);
    expect(kept).toHaveLength(RUNS_KEPT_PER_RULE);
    expect(kept[0]!.conversationId).toBe(ids[count - 1]);
    expect(kept.at(-1)!.conversationId).toBe(ids[5]);
    expect(await runsOf(rule.id, 3)).toHaveLength(3);
    // Deleting the rule deletes its runs.
    await kit.run(automation.remove(people.admin, rule.id));
    expect((sql("SELECT count(*) AS n FROM automation_runs WHERE rule_id = ?").get(rule.id) as { n: number }).n).toBe(0);
  });
});

describe("dry run (decision 044)", () => {
  const eventCount = () => (sql("SELECT count(*) AS n FROM events").get() as { n: number }).n;
  const runCount = () => (sql("SELECT count(*) AS n FROM automation_runs").get() as { n: number }).n;

  it("lists the open and pending conversations an event rule's conditions match now, storing nothing", async () => {
    const word = `dryrun${Date.now()}`;
    const hit = kit.conversation({ inboxId: "inbox_sales" });
    const parked = kit.conversation({ inboxId: "inbox_sales", status: "pending" });
    const other = kit.conversation({ inboxId: "inbox_sales" });
    const closed = kit.conversation({ inboxId: "inbox_sales", status: "closed" });
    const elsewhere = kit.conversation({ inboxId: "inbox_support" });
    for (const id of [hit, parked, closed, elsewhere]) visitorWrites(id, `about ${word.toUpperCase()}`);
    visitorWrites(other, "something else");
    const [rules, events, runs] = [ruleCount(), eventCount(), runCount()];
    const input = {
      name: "Tag dry",
      trigger: "visitor-message",
      conditions: [
        { type: "inbox-is", inboxId: "inbox_sales" },
        { type: "message-contains", words: [word] },
      ],
      actions: [{ type: "add-label", labelId: vip }],
    };
    const result = await kit.run(automation.preview(people.admin, input));
    expect(result.matches.map((m) => m.conversationId).sort()).toEqual([hit, parked].sort());
    expect(result.matches.find((m) => m.conversationId === parked)).toMatchObject({ status: "pending", since: null });
    expect(result.capped).toBe(false);
    expect([ruleCount(), eventCount(), runCount(), labelsOf(hit)]).toEqual([rules, events, runs, []]);
  });

  it("lists a time rule's spells already past the wait, not a snoozed one", async () => {
    await quiet();
    const inbox = await kit.run(Inbox);
    const now = Date.now();
    const word = `drywait${now}`;
    const markPending = (id: string, when: number) => at(when, inbox.markPending(id, conversationState(kit, id).version, people.alex).pipe(Effect.orDie));
    const [old, recent, snoozed] = [kit.conversation(), kit.conversation(), kit.conversation()];
    for (const id of [old, recent, snoozed]) visitorWrites(id, word);
    await markPending(old, now - 4 * DAY);
    await markPending(recent, now - DAY);
    await markPending(snoozed, now - 5 * DAY);
    sql("UPDATE conversations SET snoozed_until = ? WHERE id = ?").run(now + DAY, snoozed);
    const input = {
      name: "Close dry",
      trigger: "pending-for",
      wait: { amount: 3, unit: "days" },
      conditions: [{ type: "message-contains", words: [word] }],
      actions: [{ type: "set-status", status: "closed" }],
    };
    const result = await kit.run(automation.preview(people.admin, input));
    expect(result.matches.map((m) => [m.conversationId, m.since])).toEqual([[old, now - 4 * DAY]]);
    expect(conversationState(kit, old).status).toBe("pending");
  });

  it("previews an edit of a saved time rule from where its pass stands: spells it acted on are not listed again", async () => {
    await quiet();
    const inbox = await kit.run(Inbox);
    const now = Date.now();
    const word = `dryhistory${now}`;
    const markPending = (id: string, when: number) => at(when, inbox.markPending(id, conversationState(kit, id).version, people.alex).pipe(Effect.orDie));
    const [acted, later] = [kit.conversation(), kit.conversation()];
    for (const id of [acted, later]) visitorWrites(id, word);
    await markPending(acted, now - 4 * DAY);
    // A label does not end the spell, so the conversation stays pending past the wait.
    const input = {
      name: "Tag stale",
      trigger: "pending-for",
      wait: { amount: 3, unit: "days" },
      conditions: [{ type: "message-contains", words: [word] }],
      actions: [{ type: "add-label", labelId: vip }],
    };
    const rule = await kit.run(automation.create(people.admin, { ...input, enabled: true }));
    // Other tests' pending conversations come first: a pass looks at 100 spells at a time.
    for (let looked = 100; looked === 100; ) looked = (await pass()).spells;
    expect(labelsOf(acted)).toEqual([vip]);
    // Another spell reaches the wait after the pass.
    await markPending(later, now - 3 * DAY - 60_000);
    const fresh = await kit.run(automation.preview(people.admin, input));
    expect(fresh.matches.map((m) => m.conversationId)).toEqual([acted, later]);
    const edit = await kit.run(automation.preview(people.admin, { ...input, name: "Tag stale (edited)" }, rule.id));
    expect(edit.matches.map((m) => m.conversationId)).toEqual([later]);
    await kit.run(automation.remove(people.admin, rule.id));
  });

  it("refuses what a save refuses, at the same paths, and anyone but an admin", async () => {
    const base = { name: "Dry", trigger: "pending-for", wait: { amount: 3, unit: "days" }, conditions: [], actions: [{ type: "set-status", status: "closed" }] };
    const pathsOf = async (input: unknown) => ((await kit.fail(automation.preview(people.admin, input))) as InvalidInput).issues.map((i) => i.path);
    expect(await pathsOf({ ...base, wait: { amount: 3, unit: "days", businessHours: 1 } })).toEqual(["wait.businessHours"]);
    expect(await pathsOf({ ...base, wait: undefined })).toEqual(["wait"]);
    expect(await pathsOf({ ...base, conditions: [{ type: "label-present", labelId: "label_gone" }] })).toEqual(["conditions[0].labelId"]);
    expect(((await kit.fail(automation.preview(people.alex, base))) as Forbidden)._tag).toBe("Forbidden");
  });
});

describe("response target missed (decision 042)", () => {
  const MIN = 60_000;
  const HOUR = 60 * MIN;
  /** A waiting conversation in the Escalations inbox, begun as the engine would (so the report roll-ups know it). */
  const waitingSince = (since: number) => {
    const id = kit.conversation({ inboxId: "inbox_esc", channelId: "chan_esc", waitingSince: since, messages: [{ author: "visitor", text: "Anyone?" }] });
    sql("INSERT INTO events (type, at, conversation_id, inbox_id, channel_id, is_preview) VALUES ('conversation_created', ?, ?, 'inbox_esc', 'chan_esc', 0)").run(since, id);
    return id;
  };
  const reply = (id: string, text: string) =>
    kit.run(Effect.flatMap(Inbox, (i) => i.reply({ conversationId: id, text, clientMessageId: `r-${id}-${text}` }, people.admin)));

  beforeAll(() => {
    const now = Date.now();
    sql("INSERT INTO inboxes (id, name, created_at) VALUES ('inbox_esc', 'Escalations', ?)").run(now);
    sql("INSERT INTO channels (id, inbox_id, kind, name, created_at) VALUES ('chan_esc', 'inbox_esc', 'chat', 'Escalations chat', ?)").run(now);
    sql("UPDATE inboxes SET response_targets = ? WHERE id = 'inbox_esc'").run(JSON.stringify({ firstResponseMinutes: 60, nextReplyMinutes: 120, businessHours: false }));
  });

  it("refuses a missed-target condition on another trigger, and a target that is not one, at its path", async () => {
    const before = ruleCount();
    const failCreate = (input: unknown) => kit.fail(automation.create(people.admin, input)) as Promise<InvalidInput>;
    const base = { name: "Escalate", trigger: "response-overdue", actions: [{ type: "add-label", labelId: vip }] };
    expect(await failCreate({ ...base, trigger: "visitor-message", conditions: [{ type: "contact-known" }, { type: "missed-target-is", target: "next_reply" }] })).toMatchObject({
      issues: [{ path: "conditions[1].type", message: "only the “Response target missed” trigger has a missed target" }],
    });
    expect(await failCreate({ ...base, conditions: [{ type: "missed-target-is", target: "resolution" }] })).toMatchObject({
      issues: [{ path: "conditions[0].target", message: "pick a response target: first_response, next_reply" }],
    });
    expect(await failCreate({ ...base, trigger: "response-overdue", wait: { amount: 1, unit: "hours" }, conditions: [] })).toMatchObject({ issues: [{ path: "wait" }] });
    expect(ruleCount()).toBe(before);
  });

  it("escalates an overdue wait once: not one answered in time, nor again on later passes", async () => {
    await quiet();
    const now = Date.now();
    const escalate = await make({
      name: "Escalate late waits",
      trigger: "response-overdue",
      conditions: [{ type: "inbox-is", inboxId: "inbox_esc" }],
      actions: [
        { type: "add-label", labelId: vip },
        { type: "assign-team", teamId: "team_support" },
        { type: "comment", text: "Missed its response target: @Alex Agent please take it" },
      ],
    });
    const nextOnly = await make({
      name: "Late follow-ups",
      trigger: "response-overdue",
      conditions: [{ type: "missed-target-is", target: "next_reply" }],
      actions: [{ type: "add-label", labelId: billing }],
    });
    const late = waitingSince(now - 3 * HOUR); // first response due 2 h ago
    const lateAgain = waitingSince(now - 5 * HOUR);
    await reply(lateAgain, "Hello"); // answered: the report's first reply …
    sql("UPDATE conversations SET waiting_since = ? WHERE id = ?").run(now - 3 * HOUR, lateAgain); // … and the visitor waits again: next reply due 1 h ago
    const inTime = waitingSince(now - 20 * MIN); // due in 40 minutes
    const answeredInTime = waitingSince(now - 30 * MIN);
    await reply(answeredInTime, "On it");
    const answeredMeanwhile = waitingSince(now - 2 * HOUR); // falls overdue, then is answered before the rules read the event

    const overdue = makeResponseOverdue(kit.db, kit.live);
    expect(await Effect.runPromise(overdue.runDue())).toBe(3);
    await reply(answeredMeanwhile, "Sorry for the wait");
    await pass();

    expect(labelsOf(late)).toEqual([vip]);
    expect(conversationState(kit, late).team_id).toBe("team_support");
    expect(commentsOf(late)).toEqual(["Missed its response target: @Alex Agent please take it"]);
    expect(labelsOf(lateAgain)).toEqual([billing, vip].sort());
    for (const id of [inTime, answeredInTime, answeredMeanwhile]) {
      expect(labelsOf(id)).toEqual([]);
      expect(commentsOf(id)).toEqual([]);
    }
    const eventId = (id: string) => (sql("SELECT id FROM events WHERE conversation_id = ? AND type = 'response_overdue'").get(id) as { id: number }).id;
    expect(await runsOf(escalate.id)).toEqual(
      [lateAgain, late].map((id) => ({ conversationId: id, trigger: { kind: "event", eventId: eventId(id) }, outcome: "done", error: null })).sort((a, b) => b.trigger.eventId - a.trigger.eventId),
    );
    expect((await runsOf(nextOnly.id)).map((r) => r.conversationId)).toEqual([lateAgain]);

    // Later passes of both: the wait was recorded once, so nothing runs again.
    expect(await Effect.runPromise(overdue.runDue())).toBe(0);
    expect(await pass()).toMatchObject({ fired: 0 });
    expect(commentsOf(late)).toHaveLength(1);
    expect(await runsOf(escalate.id)).toHaveLength(2);
    await quiet();
  });
});

describe("nobody assigned for (decision 044, twelfth session)", () => {
  const MIN = 60_000;
  const unassignedSince = (id: string) =>
    (sql("SELECT unassigned_since FROM conversations WHERE id = ?").get(id) as { unassigned_since: number | null }).unassigned_since;
  const version = (id: string) => conversationState(kit, id).version;

  /** A chat the handoff bot passes to the Support team (no person): the engine's insert and its handoff update. */
  const handedOff = async (when: number) => {
    const flows = await kit.run(Chatflows.Chatflows);
    if ((await kit.run(Effect.either(flows.get("flow_handoff"))))._tag === "Left") {
      await kit.run(flows.create({ id: "flow_handoff", name: "Handoff bot", kind: "bot", document: handoffFlow, channelId: "chan_web" }));
      await kit.run(flows.publish("flow_handoff"));
      await kit.run(flows.setEnabled("flow_handoff", true));
    }
    const visitorId = kit.visitor();
    const engine = await kit.run(Engine);
    const view = await at(when - MIN, engine.startConversation({ visitorId, channelId: "chan_web", chatflowId: "flow_handoff", pageUrl: "https://shop.example/help" }).pipe(Effect.orDie));
    const id = view.conversation.id;
    // With the bot: not in the inbox, so no spell.
    expect(conversationState(kit, id).status).toBe("bot");
    expect(unassignedSince(id)).toBeNull();
    await at(when, engine.handleVisitorMessage({ conversationId: id, visitorId, clientMessageId: "n1", text: "Grace" }).pipe(Effect.orDie));
    return id;
  };

  it("keeps unassigned_since with every writer: handoff, assign, unassign, pending, close, reopen", async () => {
    const inbox = await kit.run(Inbox);
    const t = Date.now() - 10 * HOUR;
    const id = await handedOff(t);
    expect(conversationState(kit, id)).toMatchObject({ status: "open", assignee_id: null, team_id: "team_support" });
    expect(unassignedSince(id)).toBe(t);
    // Assigned: the spell ends. Unassigned: a new one starts at that instant.
    await at(t + MIN, inbox.assign(id, { userId: people.alex.id }, version(id), people.admin).pipe(Effect.orDie));
    expect(unassignedSince(id)).toBeNull();
    await at(t + 2 * MIN, inbox.assign(id, { userId: null }, version(id), people.admin).pipe(Effect.orDie));
    expect(unassignedSince(id)).toBe(t + 2 * MIN);
    // A team without a person, pending, open again: still nobody, the same spell.
    await at(t + 3 * MIN, inbox.assign(id, { teamId: "team_support" }, version(id), people.admin).pipe(Effect.orDie));
    await at(t + 4 * MIN, inbox.markPending(id, version(id), people.alex).pipe(Effect.orDie));
    await at(t + 5 * MIN, inbox.markOpen(id, version(id), people.alex).pipe(Effect.orDie));
    expect(conversationState(kit, id)).toMatchObject({ status: "open", assignee_id: null });
    expect(unassignedSince(id)).toBe(t + 2 * MIN);
    // Closed: no spell. Reopened without a person: a new one from the reopening.
    await at(t + 6 * MIN, inbox.close(id, version(id), people.alex).pipe(Effect.orDie));
    expect(unassignedSince(id)).toBeNull();
    await at(t + 7 * MIN, inbox.reopen(id, version(id), people.alex).pipe(Effect.orDie));
    expect(unassignedSince(id)).toBe(t + 7 * MIN);
    // Reopened with its person: none.
    await at(t + 8 * MIN, inbox.assign(id, { userId: people.bo.id }, version(id), people.admin).pipe(Effect.orDie));
    await at(t + 9 * MIN, inbox.close(id, version(id), people.bo).pipe(Effect.orDie));
    await at(t + 10 * MIN, inbox.reopen(id, version(id), people.bo).pipe(Effect.orDie));
    expect(conversationState(kit, id)).toMatchObject({ status: "open", assignee_id: people.bo.id });
    expect(unassignedSince(id)).toBeNull();
    // The column holds exactly the open and pending conversations without a person (every writer above, and the kit's inserts).
    expect(
      sql(
        `SELECT count(*) AS n FROM conversations
          WHERE (unassigned_since IS NOT NULL) <> (status IN ('open', 'pending') AND assignee_id IS NULL)`,
      ).get(),
    ).toEqual({ n: 0 });
  });

  it("keeps unassigned_since with the email/messenger writer: a new conversation, and the visitor reopening a closed one", async () => {
    const inbox = await kit.run(Inbox);
    const outsideAt = <A>(when: number, f: (o: OutsideConversations.OutsideConversationsShape) => Effect.Effect<A, unknown>) =>
      kit.run(WallClock.playScripted(when, () => Effect.flatMap(OutsideConversations.OutsideConversations, f).pipe(Effect.provide(OutsideConversations.layer), Effect.orDie)));
    const t = Date.now() - 9 * HOUR;
    const opened = await outsideAt(t, (o) => o.open({ channelId: "chan_web", visitorId: kit.visitor(), contactId: null, text: "Where is my order?", via: "email" }));
    const id = opened.conversationId;
    // The kit's inboxes route by hand: nobody is assigned, from the conversation's arrival.
    expect(conversationState(kit, id)).toMatchObject({ status: "open", assignee_id: null });
    expect(unassignedSince(id)).toBe(t);
    await at(t + 2 * MIN, inbox.close(id, version(id), people.admin).pipe(Effect.orDie));
    expect(unassignedSince(id)).toBeNull();
    await outsideAt(t + 3 * MIN, (o) => o.append({ conversationId: id, text: "Still nothing" }));
    expect(conversationState(kit, id)).toMatchObject({ status: "open", assignee_id: null });
    expect(unassignedSince(id)).toBe(t + 3 * MIN);
    // Another message while it is open: the spell goes on. Assigned, then the visitor writes: still none.
    await outsideAt(t + 4 * MIN, (o) => o.append({ conversationId: id, text: "Hello?" }));
    expect(unassignedSince(id)).toBe(t + 3 * MIN);
    await at(t + 5 * MIN, inbox.assign(id, { userId: people.alex.id }, version(id), people.admin).pipe(Effect.orDie));
    await outsideAt(t + 6 * MIN, (o) => o.append({ conversationId: id, text: "Thanks" }));
    expect(unassignedSince(id)).toBeNull();
  });

  it("finds its spells through the partial index", () => {
    const plan = (sql(`EXPLAIN QUERY PLAN ${SPELL_SQL["unassigned-for"]}`).all({ until: 0, afterAt: 0, afterId: "", limit: 1 }) as Array<{ detail: string }>)
      .map((r) => r.detail)
      .join(" | ");
    expect(plan).toMatch(/USING INDEX conversations_unassigned_since \(unassigned_since>\? AND unassigned_since<\?\)/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
  });

  it("acts once per spell of nobody assigned; an assignment ends it and the next unassignment starts another", async () => {
    await quiet();
    const inbox = await kit.run(Inbox);
    const now = Date.now();
    const watched = (await kit.run(labels.create(people.admin, { name: `Unassigned watch ${now}`, color: "green" }))).id;
    const label = (id: string) => sql("INSERT INTO conversation_labels (conversation_id, label_id, added_by, added_at) VALUES (?, ?, NULL, 0)").run(id, watched);
    // Nobody for 2 hours; nobody for 10 minutes; assigned; closed without anyone; still with the bot.
    const long = kit.conversation({ lastActivityAt: now - 2 * HOUR });
    const older = kit.conversation({ lastActivityAt: now - 3 * HOUR });
    const fresh = kit.conversation({ lastActivityAt: now - 10 * MIN });
    const held = kit.conversation({ lastActivityAt: now - 2 * HOUR, assigneeId: people.alex.id });
    const closed = kit.conversation({ lastActivityAt: now - 2 * HOUR, status: "closed" });
    const bot = kit.conversation({ lastActivityAt: now - 2 * HOUR, status: "bot" });
    for (const id of [long, older, fresh, held, closed, bot]) label(id);
    expect([long, older, fresh, held, closed, bot].map(unassignedSince)).toEqual([now - 2 * HOUR, now - 3 * HOUR, now - 10 * MIN, null, null, null]);

    const input = {
      name: "Nobody took it",
      trigger: "unassigned-for",
      wait: { amount: 1, unit: "hours" },
      conditions: [{ type: "label-present", labelId: watched }, { type: "inbox-is", inboxId: "inbox_support" }],
      actions: [
        { type: "comment", text: "Nobody for an hour" },
        { type: "assign", userId: people.alex.id },
      ],
    };
    // The dry run lists the spells past the wait, oldest first, and changes nothing.
    const dry = await kit.run(automation.preview(people.admin, input));
    expect(dry.matches.map((m) => [m.conversationId, m.since])).toEqual([
      [older, now - 3 * HOUR],
      [long, now - 2 * HOUR],
    ]);
    expect(conversationState(kit, long).assignee_id).toBeNull();
    const assignAlex = await make(input);
    expect(assignAlex.trigger).toBe("unassigned-for");
    expect(assignAlex.wait).toEqual({ amount: 1, unit: "hours", businessHours: false });
    await pass();
    for (const id of [long, older]) {
      expect(commentsOf(id)).toEqual(["Nobody for an hour"]);
      expect(conversationState(kit, id).assignee_id).toBe(people.alex.id);
      expect(unassignedSince(id)).toBeNull();
    }
    for (const id of [fresh, held, closed, bot]) expect(commentsOf(id)).toEqual([]);
    await pass();
    expect(commentsOf(long)).toHaveLength(1);

    // Unassigned again 90 minutes ago (after the rule's place): a new spell, acted on once.
    await at(now - 90 * MIN, inbox.assign(long, { userId: null }, version(long), people.admin).pipe(Effect.orDie));
    expect(unassignedSince(long)).toBe(now - 90 * MIN);
    await pass();
    await pass();
    expect(commentsOf(long)).toEqual(["Nobody for an hour", "Nobody for an hour"]);
    expect((await runsOf(assignAlex.id)).filter((r) => r.conversationId === long).map((r) => r.trigger)).toEqual([
      { kind: "spell", startedAt: now - 90 * MIN },
      { kind: "spell", startedAt: now - 2 * HOUR },
    ]);
    await kit.run(automation.setEnabled(people.admin, assignAlex.id, false));

    // A rule whose action leaves nobody assigned (to a team) fires once in the spell, not on every pass.
    const toTeam = await make({
      name: "Nobody took it: the team",
      trigger: "unassigned-for",
      wait: { amount: 5, unit: "minutes" },
      conditions: [{ type: "label-present", labelId: watched }],
      actions: [{ type: "assign-team", teamId: "team_support" }, { type: "comment", text: "To the team" }],
    });
    await pass();
    await pass();
    expect(commentsOf(fresh)).toEqual(["To the team"]);
    expect(conversationState(kit, fresh)).toMatchObject({ assignee_id: null, team_id: "team_support" });
    expect(unassignedSince(fresh)).toBe(now - 10 * MIN);
    for (const id of [held, closed, bot]) expect(commentsOf(id)).toEqual([]);
    expect((await runsOf(toTeam.id)).map((r) => r.conversationId)).toEqual([fresh]);
    await quiet();
  });

  it("refuses a missing or bad wait and a bad action at their paths, storing nothing", async () => {
    const before = ruleCount();
    const paths = async (input: unknown) => ((await kit.fail(automation.create(people.admin, input))) as InvalidInput).issues.map((i) => i.path);
    const base = { name: "Nobody", trigger: "unassigned-for", conditions: [], actions: [{ type: "assign-team", teamId: "team_support" }] };
    expect(await paths(base)).toEqual(["wait"]);
    expect(await paths({ ...base, wait: { amount: 0, unit: "minutes" } })).toEqual(["wait.amount"]);
    expect(await paths({ ...base, wait: { amount: 10, unit: "minutes" }, actions: [{ type: "assign-team", teamId: "team_nope" }] })).toEqual(["actions[0].teamId"]);
    expect(ruleCount()).toBe(before);
  });
});
