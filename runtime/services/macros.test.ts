/**
 * Macros on a real SQLite file with the real Inbox, Labels, Snoozes and Routing: keeping them
 * (bad input at its path, shared vs personal, who may change what), and running them on a
 * conversation — each action kind through the single actions, the reply before a close, skipped
 * steps with their reasons, and a version that moved refusing the whole run.
 */
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Conflict, Forbidden, InvalidInput, NotFound } from "./errors.js";
import { conversationState, openKit, people, type Kit } from "./inbox-test-kit.js";
import { Inbox } from "./inbox.js";
import { Labels } from "./labels.js";
import { makeMacros, type Macro, type MacrosShape } from "./macros.js";
import { makeSnoozes } from "./snoozes.js";

let kit: Kit;
let macros: MacrosShape;
let billing: string;
let vip: string;
const HOUR = 3_600_000;

const row = (id: string) => conversationState(kit, id);
const labelsOf = (id: string) =>
  (kit.db.sqlite.prepare("SELECT label_id FROM conversation_labels WHERE conversation_id = ? ORDER BY label_id").all(id) as Array<{ label_id: string }>).map(
    (r) => r.label_id,
  );
const messagesOf = (id: string) =>
  kit.db.sqlite.prepare("SELECT author, text, is_internal FROM messages WHERE conversation_id = ? ORDER BY id").all(id) as Array<{
    author: string;
    text: string;
    is_internal: number;
  }>;
const eventTypes = (id: string) =>
  (kit.db.sqlite.prepare("SELECT type FROM events WHERE conversation_id = ? ORDER BY id").all(id) as Array<{ type: string }>).map((e) => e.type);
const count = () => (kit.db.sqlite.prepare("SELECT COUNT(*) AS n FROM macros").get() as { n: number }).n;

type Person = (typeof people)[keyof typeof people];
const create = (input: unknown, actor: Person = people.admin) => kit.run(macros.create(actor, input));
const failCreate = (input: unknown, actor: Person = people.admin) => kit.fail(macros.create(actor, input)) as Promise<InvalidInput | Forbidden>;
const presets = () => ({ hour: Date.now() + HOUR, tomorrow: Date.now() + 20 * HOUR, monday: Date.now() + 100 * HOUR });
let runs = 0;
const runOn = (conversationId: string, macro: Macro, actor: Person = people.alex, extra: Record<string, unknown> = {}) =>
  kit.run(macros.run(actor, conversationId, { macroId: macro.id, version: row(conversationId).version, clientMessageId: `m${++runs}`, presets: presets(), timeZone: "Europe/Berlin", ...extra }));

beforeAll(async () => {
  kit = await openKit();
  const inbox = await kit.run(Inbox);
  const labels = await kit.run(Labels);
  macros = makeMacros({ db: kit.db, inbox, labels, snoozes: makeSnoozes(kit.db, kit.live) });
  billing = (await kit.run(labels.create(people.admin, { name: "Billing", color: "blue" }))).id;
  vip = (await kit.run(labels.create(people.admin, { name: "VIP", color: "purple" }))).id;
});
afterAll(() => kit.dispose());

describe("keeping macros", () => {
  it("stores a shared macro with its ordered actions and describes each step", async () => {
    const macro = await create({
      name: "  Refund policy ",
      text: "Our refund policy: 30 days.",
      visibility: "shared",
      actions: [
        { type: "add-label", labelId: billing },
        { type: "set-status", status: "pending" },
        { type: "snooze", preset: "tomorrow" },
        { type: "assign", userId: people.bo.id },
        { type: "assign-team", teamId: "team_support" },
        { type: "unassign" },
        { type: "remove-label", labelId: vip },
        { type: "comment", text: "Sent the policy" },
      ],
    });
    expect(macro).toMatchObject({ name: "Refund policy", visibility: "shared", canEdit: true, text: "Our refund policy: 30 days." });
    expect(macro.steps).toEqual([
      "Reply “Our refund policy: 30 days.”",
      "Add label Billing",
      "Mark pending",
      "Snooze until tomorrow 09:00",
      "Assign to Bo Berg",
      "Assign to team Support team",
      "Unassign",
      "Remove label VIP",
      "Comment “Sent the policy”",
    ]);
    // An agent runs it but may not change it.
    const seen = (await kit.run(macros.list(people.alex))).find((m) => m.id === macro.id);
    expect(seen).toMatchObject({ canEdit: false, steps: macro.steps });
    expect(await kit.fail(macros.update(people.alex, macro.id, { name: "Mine now", visibility: "shared", actions: [] }))).toMatchObject({ _tag: "Forbidden" });
    expect(await kit.fail(macros.remove(people.alex, macro.id))).toMatchObject({ _tag: "Forbidden" });
  });

  it("refuses bad input at its field path and stores nothing", async () => {
    const before = count();
    const cases: Array<[unknown, string, RegExp]> = [
      [{ name: "", visibility: "shared", actions: [] }, "name", /enter a name/],
      [{ name: "x".repeat(81), visibility: "shared", actions: [] }, "name", /at most 80/],
      [{ name: "A", visibility: "everyone", actions: [] }, "visibility", /shared .* or personal/],
      [{ name: "A", visibility: "shared", text: "y".repeat(4001), actions: [] }, "text", /at most 4,000 characters/],
      [{ name: "A", visibility: "shared", actions: [{ type: "add-label", labelId: "label_gone" }] }, "actions[0].labelId", /no such label/],
      [{ name: "A", visibility: "shared", actions: [{ type: "unassign" }, { type: "assign", userId: "usr_nobody" }] }, "actions[1].userId", /no such person/],
      [{ name: "A", visibility: "shared", actions: [{ type: "assign", userId: people.ana.id }] }, "actions[0].userId", /does not work in inboxes/],
      [{ name: "A", visibility: "shared", actions: [{ type: "assign-team", teamId: "team_gone" }] }, "actions[0].teamId", /no such team/],
      [{ name: "A", visibility: "shared", actions: [{ type: "set-status", status: "snoozed" }] }, "actions[0].status", /open, pending, closed/],
      [{ name: "A", visibility: "shared", actions: [{ type: "snooze", preset: "next-year" }] }, "actions[0].preset", /hour, tomorrow, monday/],
      [{ name: "A", visibility: "shared", actions: [{ type: "comment", text: "  " }] }, "actions[0].text", /enter the comment/],
      [{ name: "A", visibility: "shared", actions: [{ type: "add-label" }] }, "actions[0].labelId", /./],
      [{ name: "A", visibility: "shared", actions: [{ type: "explode" }] }, "actions[0].type", /./],
      [{ name: "A", visibility: "shared", actions: Array.from({ length: 21 }, () => ({ type: "unassign" })) }, "actions", /at most 20/],
    ];
    for (const [input, path, message] of cases) {
      const error = (await failCreate(input)) as InvalidInput;
      expect(error._tag, JSON.stringify(input).slice(0, 80)).toBe("InvalidInput");
      expect(error.issues[0], JSON.stringify(input).slice(0, 80)).toMatchObject({ path, message: expect.stringMatching(message) });
    }
    expect(count()).toBe(before);
  });

  it("keeps personal macros to their owner; only admins share; analysts have none", async () => {
    const mine = await create({ name: "Alex's close", visibility: "personal", actions: [{ type: "set-status", status: "closed" }] }, people.alex);
    expect(mine).toMatchObject({ visibility: "personal", canEdit: true });
    expect((await kit.run(macros.list(people.alex))).map((m) => m.id)).toContain(mine.id);
    // Nobody else sees it, admins included, and for them it does not exist.
    for (const other of [people.bo, people.admin]) {
      expect((await kit.run(macros.list(other))).map((m) => m.id)).not.toContain(mine.id);
      expect(await kit.fail(macros.update(other, mine.id, { name: "x", visibility: "personal", actions: [] }))).toMatchObject({ _tag: "NotFound" });
      expect(await kit.fail(macros.remove(other, mine.id))).toMatchObject({ _tag: "NotFound" });
    }
    const conversation = kit.conversation();
    expect(await kit.fail(macros.run(people.bo, conversation, { macroId: mine.id, version: 1, clientMessageId: "x" }))).toMatchObject({ _tag: "NotFound" });
    // An agent may not share one.
    expect(await failCreate({ name: "For all", visibility: "shared", actions: [] }, people.alex)).toMatchObject({ _tag: "Forbidden" });
    expect(await kit.fail(macros.update(people.alex, mine.id, { name: "For all", visibility: "shared", actions: [] }))).toMatchObject({ _tag: "Forbidden" });
    // Analysts do not work in inboxes.
    expect(await kit.fail(macros.list(people.ana))).toMatchObject({ _tag: "Forbidden" });
    expect(await failCreate({ name: "Mine", visibility: "personal", actions: [] }, people.ana)).toMatchObject({ _tag: "Forbidden" });
    // The owner changes and deletes their own.
    const renamed = await kit.run(macros.update(people.alex, mine.id, { name: "Close it", text: "Bye!", visibility: "personal", actions: [] }));
    expect(renamed).toMatchObject({ name: "Close it", text: "Bye!", actions: [], steps: ["Reply “Bye!”"] });
    await kit.run(macros.remove(people.alex, mine.id));
    expect((await kit.run(macros.list(people.alex))).map((m) => m.id)).not.toContain(mine.id);
  });
});

describe("running a macro", () => {
  it("replies first, then labels, snoozes and comments through the single actions, and closes last", async () => {
    const id = kit.conversation({ messages: [{ author: "visitor", text: "I want my money back" }] });
    const macro = await create({
      name: "Refund and wait",
      text: "Here is our refund policy.",
      visibility: "shared",
      actions: [
        { type: "add-label", labelId: billing },
        { type: "assign", userId: people.bo.id },
        { type: "assign-team", teamId: "team_support" },
        { type: "set-status", status: "pending" },
        { type: "snooze", preset: "tomorrow" },
        { type: "comment", text: "Policy sent, waiting." },
      ],
    });
    const outcome = await runOn(id, macro);
    expect(outcome.skipped).toEqual([]);
    expect(outcome.applied).toEqual(macro.steps);
    expect(row(id)).toMatchObject({ status: "pending", assignee_id: people.bo.id, team_id: "team_support" });
    expect(row(id).snoozed_until).toBeGreaterThan(Date.now() + 19 * HOUR);
    expect(labelsOf(id)).toEqual([billing]);
    expect(messagesOf(id).filter((m) => m.author === "agent")).toEqual([
      { author: "agent", text: "Here is our refund policy.", is_internal: 0 },
      { author: "agent", text: "Policy sent, waiting.", is_internal: 1 },
    ]);
    expect(eventTypes(id)).toEqual(expect.arrayContaining(["label_added", "status_changed", "conversation_snoozed"]));

    // Unassign, remove a label and close (the reply before the close) on another.
    const other = kit.conversation({ assigneeId: people.alex.id });
    await kit.run(Effect.flatMap(Labels, (l) => l.addToConversation(people.alex, other, { labelId: vip })));
    const closing = await create({
      name: "Wrap up",
      text: "Glad we could help!",
      visibility: "personal",
      actions: [{ type: "set-status", status: "closed" }, { type: "remove-label", labelId: vip }, { type: "unassign" }],
    }, people.alex);
    const done = await runOn(other, closing);
    expect(done).toEqual({ macro: { id: closing.id, name: "Wrap up" }, applied: closing.steps, skipped: [] });
    expect(row(other)).toMatchObject({ status: "closed", assignee_id: null });
    expect(labelsOf(other)).toEqual([]);
    const texts = messagesOf(other).map((m) => m.text);
    expect(texts.indexOf("Glad we could help!")).toBeGreaterThanOrEqual(0);
    const order = eventTypes(other);
    expect(order.indexOf("status_changed")).toBeGreaterThan(-1);

    // A closed one reopens with set-status open.
    const reopen = await create({ name: "Reopen", visibility: "shared", actions: [{ type: "set-status", status: "open" }] });
    expect((await runOn(other, reopen)).applied).toEqual(["Set status to open"]);
    expect(row(other).status).toBe("open");
  });

  it("applies what it can and names each skipped step with its reason", async () => {
    const gone = (await kit.run(Effect.flatMap(Labels, (l) => l.create(people.admin, { name: "Soon gone", color: "red" })))).id;
    const macro = await create({
      name: "Mixed",
      visibility: "shared",
      actions: [
        { type: "add-label", labelId: gone },
        { type: "assign", userId: people.sam.id }, // Sam works in Sales, not Support: refused at run time
        { type: "add-label", labelId: billing },
        { type: "set-status", status: "closed" },
        { type: "snooze", preset: "hour" }, // closed by then
        { type: "set-status", status: "closed" },
      ],
    });
    await kit.run(Effect.flatMap(Labels, (l) => l.remove(people.admin, gone)));
    const id = kit.conversation();
    const outcome = await runOn(id, macro);
    expect(outcome.applied).toEqual(["Add label Billing", "Close the conversation"]);
    expect(outcome.skipped).toEqual([
      { step: "Add label (a deleted label)", reason: "the label was deleted" },
      { step: "Assign to Sam Sales", reason: "Sam Sales does not work in Support (or is disabled)" },
      { step: "Snooze for 1 hour", reason: expect.stringMatching(/closed/) },
      { step: "Close the conversation", reason: "already closed" },
    ]);
    expect(row(id)).toMatchObject({ status: "closed", assignee_id: null });
    expect(labelsOf(id)).toEqual([billing]);
  });

  it("does nothing when the conversation changed since the agent saw it (409)", async () => {
    const id = kit.conversation();
    const macro = await create({ name: "Label and close", text: "Bye", visibility: "shared", actions: [{ type: "add-label", labelId: vip }, { type: "set-status", status: "closed" }] });
    const seen = row(id).version;
    await kit.run(Effect.flatMap(Inbox, (inbox) => inbox.assign(id, { userId: people.bo.id }, seen, people.bo)));
    const before = messagesOf(id).length;
    const error = (await kit.fail(macros.run(people.alex, id, { macroId: macro.id, version: seen, clientMessageId: "stale" }))) as Conflict;
    expect(error).toMatchObject({ _tag: "Conflict", message: expect.stringMatching(/Someone else changed/) });
    expect(messagesOf(id).length).toBe(before);
    expect(labelsOf(id)).toEqual([]);
    expect(row(id).status).toBe("open");
  });

  it("refuses bad run input, other inboxes and unknown macros", async () => {
    const id = kit.conversation();
    const macro = await create({ name: "Pending", visibility: "shared", actions: [{ type: "set-status", status: "pending" }] });
    const bad = (await kit.fail(macros.run(people.alex, id, { macroId: macro.id, version: 0, clientMessageId: "a" }))) as InvalidInput;
    expect(bad.issues[0]).toMatchObject({ path: "version" });
    const noCid = (await kit.fail(macros.run(people.alex, id, { macroId: macro.id, version: 1, clientMessageId: "" }))) as InvalidInput;
    expect(noCid.issues[0]).toMatchObject({ path: "clientMessageId" });
    expect(await kit.fail(macros.run(people.alex, id, { macroId: "macro_nope", version: 1, clientMessageId: "a" }))).toMatchObject({ _tag: "NotFound", entity: "macro" });
    const sales = kit.conversation({ inboxId: "inbox_sales" });
    expect(await kit.fail(macros.run(people.alex, sales, { macroId: macro.id, version: 1, clientMessageId: "a" }))).toMatchObject({ _tag: "Forbidden" });
    expect((await kit.fail(macros.run(people.alex, "conv_nope", { macroId: macro.id, version: 1, clientMessageId: "a" }))) as NotFound).toMatchObject({ _tag: "NotFound", entity: "conversation" });
    expect(row(id).status).toBe("open");
    // Without preset times a snooze step is skipped, not guessed.
    const snooze = await create({ name: "Snooze", visibility: "shared", actions: [{ type: "snooze", preset: "hour" }] });
    const outcome = await kit.run(macros.run(people.alex, id, { macroId: snooze.id, version: row(id).version, clientMessageId: "s" }));
    expect(outcome.skipped).toEqual([{ step: "Snooze for 1 hour", reason: "no snooze time was given" }]);
  });

  it("skips the reply on a closed conversation and still does the rest (reopen first to answer)", async () => {
    const id = kit.conversation({ status: "closed" });
    const macro = await create({ name: "Late answer", text: "Sorry for the wait.", visibility: "shared", actions: [{ type: "add-label", labelId: vip }] });
    const outcome = await runOn(id, macro);
    expect(outcome.applied).toEqual(["Add label VIP"]);
    expect(outcome.skipped).toEqual([{ step: "Reply “Sorry for the wait.”", reason: "this conversation is closed" }]);
    expect(messagesOf(id)).toEqual([]);
  });

  it("takes a bot conversation over with its reply, like the composer", async () => {
    const id = kit.conversation({ status: "bot" });
    const macro = await create({ name: "Take over", text: "A person here.", visibility: "shared", actions: [{ type: "add-label", labelId: vip }] });
    const outcome = await runOn(id, macro);
    expect(outcome.skipped).toEqual([]);
    expect(row(id)).toMatchObject({ status: "open", assignee_id: people.alex.id });
    expect(labelsOf(id)).toEqual([vip]);
  });
});
