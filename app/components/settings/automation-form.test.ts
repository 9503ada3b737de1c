/**
 * The automation rule form's rows: every kind of condition and action survives the trip to its
 * row and back as the form posts it (in order, blank rows left out, words split on commas), and
 * an issue at `conditions[i]` / `actions[i]` lands on the row it came from.
 */
import { describe, expect, it } from "vitest";
import type { RuleAction, RuleCondition } from "../../runtime.server.js";
import { actionRowOf, conditionRowOf, conditionsFromForm, ruleActionsFromForm, waitFromForm, wordsOf } from "./automation-form.js";
import { rowErrors } from "./macro-form.js";

const conditions: ReadonlyArray<RuleCondition> = [
  { type: "inbox-is", inboxId: "inbox_sales" },
  { type: "inbox-is-not", inboxId: "inbox_support" },
  { type: "channel-kind-is", kind: "email" },
  { type: "channel-is", channelId: "chan_web" },
  { type: "message-contains", words: ["invoice", "refund"] },
  { type: "subject-contains", words: ["unsubscribe"] },
  { type: "label-present", labelId: "label_vip" },
  { type: "label-absent", labelId: "label_bug" },
  { type: "contact-known" },
  { type: "contact-unknown" },
  { type: "page-url-contains", text: "/pricing" },
  { type: "business-hours-open" },
  { type: "business-hours-closed" },
  { type: "missed-target-is", target: "next_reply" },
];

const actions: ReadonlyArray<RuleAction> = [
  { type: "add-label", labelId: "label_billing" },
  { type: "remove-label", labelId: "label_vip" },
  { type: "assign", userId: "usr_bo" },
  { type: "assign-team", teamId: "team_sales" },
  { type: "route" },
  { type: "set-status", status: "closed" },
  { type: "snooze", minutes: 1440 },
  { type: "comment", text: "Billing, please look" },
  { type: "reply", savedReplyId: "sr_refunds" },
];

const post = (select: string, text: string, rows: ReadonlyArray<{ action: string; comment: string }>) => {
  const form = new FormData();
  for (const row of rows) {
    form.append(select, row.action);
    form.append(text, row.comment);
  }
  return form;
};
const blank = { action: "", comment: "typed, then the row was left blank" };

describe("automation form rows", () => {
  it("turns each condition into its row and back", () => {
    const rows = conditions.map(conditionRowOf);
    expect(rows[4]).toEqual({ action: "message-contains", comment: "invoice, refund" });
    expect(rows[8]).toEqual({ action: "contact-known", comment: "" });
    expect(rows[13]).toEqual({ action: "missed-target-is:next_reply", comment: "" });
    const read = conditionsFromForm(post("condition", "conditionText", [blank, ...rows]));
    expect(read.conditions).toEqual(conditions);
    expect(read.rowOfCondition[0]).toBe(1);
  });

  it("turns each action into its row and back", () => {
    const rows = actions.map(actionRowOf);
    expect(rows[6]).toEqual({ action: "snooze:1440", comment: "" });
    const read = ruleActionsFromForm(post("action", "actionText", [...rows.slice(0, 2), blank, ...rows.slice(2)]));
    expect(read.actions).toEqual(actions);
    expect(read.rowOfAction).toEqual([0, 1, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("splits words on commas and passes a bad snooze on for the Schema to refuse", () => {
    expect(wordsOf(" invoice ,, Rechnung ,")).toEqual(["invoice", "Rechnung"]);
    expect(wordsOf("  ")).toEqual([]);
    expect(ruleActionsFromForm(post("action", "actionText", [{ action: "snooze:soon", comment: "" }])).actions).toEqual([{ type: "snooze", minutes: "soon" }]);
  });

  it("puts an issue on the row its item came from", () => {
    const issues = [
      { path: "conditions[1].words", message: "enter at least one word" },
      { path: "actions[0].labelId", message: "no such label" },
    ];
    expect(rowErrors(issues, [0, 3], "conditions")).toEqual({ 3: "enter at least one word" });
    expect(rowErrors(issues, [2], "actions")).toEqual({ 2: "no such label" });
  });
});

describe("a time trigger's wait", () => {
  it("posts the number and unit for a time trigger, and nothing for an event trigger", () => {
    expect(waitFromForm(true, " 3 ", "days")).toEqual({ amount: 3, unit: "days", businessHours: false });
    expect(waitFromForm(true, "1.5", "hours")).toEqual({ amount: 1.5, unit: "hours", businessHours: false });
    expect(waitFromForm(true, "soon", "hours")).toEqual({ amount: "soon", unit: "hours", businessHours: false });
    expect(waitFromForm(true, "", "minutes")).toEqual({ amount: "", unit: "minutes", businessHours: false });
    expect(waitFromForm(true, "4", "hours", true)).toEqual({ amount: 4, unit: "hours", businessHours: true });
    expect(waitFromForm(false, "3", "days")).toBeUndefined();
  });
});
