/**
 * The macro form's action rows: each row is one `<select name="action">` whose value names the
 * kind and its target (`add-label:<id>`, `set-status:closed`, `unassign`, `comment`…) and one
 * `<input name="comment">` (the text of a comment row), so the rows post in order without
 * JavaScript. Pure; safe on the client.
 */
import type { MacroAction } from "../../runtime.server.js";

/** One row as the form shows it: the select's value and the comment's text. */
export interface MacroRow {
  readonly action: string;
  readonly comment: string;
}

/** The field each kind's target goes in (the Schema's, so its errors land on the row). */
const targetField = {
  "add-label": "labelId",
  "remove-label": "labelId",
  assign: "userId",
  "assign-team": "teamId",
  "set-status": "status",
  snooze: "preset",
} as const;

/** A stored action as its row. Pure. */
export const rowOf = (action: MacroAction): MacroRow => {
  switch (action.type) {
    case "unassign":
      return { action: "unassign", comment: "" };
    case "comment":
      return { action: "comment", comment: action.text };
    default: {
      const field = targetField[action.type];
      return { action: `${action.type}:${(action as unknown as Record<string, string>)[field]}`, comment: "" };
    }
  }
};

/**
 * The posted rows as the service's `actions` (blank rows left out; an unknown kind passed on for
 * the Schema to refuse at `actions[i].type`), the rows as posted (to show again after an error),
 * and for each action the row it came from (to put `actions[i]…` errors on that row). Pure.
 */
export const actionsFromForm = (
  form: FormData,
): { readonly actions: ReadonlyArray<Record<string, string>>; readonly rows: ReadonlyArray<MacroRow>; readonly rowOfAction: ReadonlyArray<number> } => {
  const kinds = form.getAll("action").map((v) => (typeof v === "string" ? v : ""));
  const comments = form.getAll("comment").map((v) => (typeof v === "string" ? v : ""));
  const rows = kinds.slice(0, 50).map((action, i) => ({ action, comment: comments[i] ?? "" }));
  const actions: Array<Record<string, string>> = [];
  const rowOfAction: number[] = [];
  rows.forEach((row, i) => {
    if (row.action.trim() === "") return;
    const at = row.action.indexOf(":");
    const type = at === -1 ? row.action : row.action.slice(0, at);
    const target = at === -1 ? "" : row.action.slice(at + 1);
    const field = (targetField as Record<string, string>)[type];
    actions.push(type === "comment" ? { type, text: row.comment } : field !== undefined ? { type, [field]: target } : { type });
    rowOfAction.push(i);
  });
  return { actions, rows, rowOfAction };
};

/** Errors by row from issue paths like `actions[2].labelId`, the action's index mapped to its row. Pure. */
export const rowErrors = (issues: ReadonlyArray<{ readonly path: string; readonly message: string }>, rowOfAction: ReadonlyArray<number>): Record<number, string> => {
  const out: Record<number, string> = {};
  for (const issue of issues) {
    const match = /^actions\[(\d+)\]/.exec(issue.path);
    if (!match) continue;
    const row = rowOfAction[Number(match[1])];
    if (row !== undefined) out[row] ??= issue.message;
  }
  return out;
};
