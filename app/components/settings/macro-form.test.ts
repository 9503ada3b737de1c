/**
 * The macro form's rows: every kind of action survives the trip to its row and back as the
 * form posts it (in order, blank rows left out), and an issue lands on the row it came from.
 */
import { describe, expect, it } from "vitest";
import type { MacroAction } from "../../runtime.server.js";
import { actionsFromForm, rowErrors, rowOf } from "./macro-form.js";

const every: ReadonlyArray<MacroAction> = [
  { type: "add-label", labelId: "label_billing" },
  { type: "remove-label", labelId: "label_vip" },
  { type: "assign", userId: "usr_bo" },
  { type: "assign-team", teamId: "team_sales" },
  { type: "unassign" },
  { type: "set-status", status: "pending" },
  { type: "snooze", preset: "monday" },
  { type: "comment", text: "Sent: the policy" },
];

const post = (rows: ReadonlyArray<{ action: string; comment: string }>) => {
  const form = new FormData();
  for (const row of rows) {
    form.append("action", row.action);
    form.append("comment", row.comment);
  }
  return actionsFromForm(form);
};

describe("macro form rows", () => {
  it("turns each action into its row and back, blank rows left out, in order", () => {
    const rows = every.map(rowOf);
    expect(rows[0]).toEqual({ action: "add-label:label_billing", comment: "" });
    expect(rows[7]).toEqual({ action: "comment", comment: "Sent: the policy" });
    const blank = { action: "", comment: "typed, then the row was left blank" };
    const read = post([blank, ...rows.slice(0, 4), blank, ...rows.slice(4)]);
    expect(read.actions).toEqual(every);
    expect(read.rowOfAction).toEqual([1, 2, 3, 4, 6, 7, 8, 9]);
    expect(read.rows).toHaveLength(10);
  });

  it("passes an unknown kind on for the Schema to refuse, and puts issues on their rows", () => {
    const read = post([{ action: "", comment: "" }, { action: "explode:now", comment: "" }, { action: "add-label:x", comment: "" }]);
    expect(read.actions).toEqual([{ type: "explode" }, { type: "add-label", labelId: "x" }]);
    expect(
      rowErrors(
        [
          { path: "actions[1].labelId", message: "no such label" },
          { path: "actions[0].type", message: "pick an action" },
          { path: "actions[1]", message: "a second issue on the same row" },
          { path: "name", message: "enter a name" },
        ],
        read.rowOfAction,
      ),
    ).toEqual({ 1: "pick an action", 2: "no such label" });
  });
});
