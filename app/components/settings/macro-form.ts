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
 * Rows of one `<select name={names.select}>` (kind and target: `kind:target`) and one
 * `<input name={names.text}>` each, in order: the rows as posted (to show again after an error),
 * the items `toItem` makes of the non-blank ones, and for each item the row it came from (to
 * put `list[i]…` errors on that row). Shared by macros and automation rules. Pure.
 */
export const tagRowsFromForm = <T>(
  form: FormData,
  names: { readonly select: string; readonly text: string },
  toItem: (type: string, target: string, text: string) => T,
): { readonly items: ReadonlyArray<T>; readonly rows: ReadonlyArray<MacroRow>; readonly rowOfItem: ReadonlyArray<number> } => {
  const kinds = form.getAll(names.select).map((v) => (typeof v === "string" ? v : ""));
  const texts = form.getAll(names.text).map((v) => (typeof v === "string" ? v : ""));
  const rows = kinds.slice(0, 50).map((action, i) => ({ action, comment: texts[i] ?? "" }));
  const items: T[] = [];
  const rowOfItem: number[] = [];
  rows.forEach((row, i) => {
    if (row.action.trim() === "") return;
    const at = row.action.indexOf(":");
    items.push(toItem(at === -1 ? row.action : row.action.slice(0, at), at === -1 ? "" : row.action.slice(at + 1), row.comment));
    rowOfItem.push(i);
  });
  return { items, rows, rowOfItem };
};

/**
 * The posted rows as the service's `actions` (blank rows left out; an unknown kind passed on for
 * the Schema to refuse at `actions[i].type`), the rows as posted (to show again after an error),
 * and for each action the row it came from (to put `actions[i]…` errors on that row). Pure.
 */
export const actionsFromForm = (
  form: FormData,
): { readonly actions: ReadonlyArray<Record<string, string>>; readonly rows: ReadonlyArray<MacroRow>; readonly rowOfAction: ReadonlyArray<number> } => {
  const { items, rows, rowOfItem } = tagRowsFromForm(form, { select: "action", text: "comment" }, (type, target, text): Record<string, string> => {
    const field = (targetField as Record<string, string>)[type];
    return type === "comment" ? { type, text } : field !== undefined ? { type, [field]: target } : { type };
  });
  return { actions: items, rows, rowOfAction: rowOfItem };
};

/** Errors by row from issue paths like `actions[2].labelId` (or `list`'s), the item's index mapped to its row. Pure. */
export const rowErrors = (
  issues: ReadonlyArray<{ readonly path: string; readonly message: string }>,
  rowOfAction: ReadonlyArray<number>,
  list = "actions",
): Record<number, string> => {
  const out: Record<number, string> = {};
  const pattern = new RegExp(`^${list}\\[(\\d+)\\]`);
  for (const issue of issues) {
    const match = pattern.exec(issue.path);
    if (!match) continue;
    const row = rowOfAction[Number(match[1])];
    if (row !== undefined) out[row] ??= issue.message;
  }
  return out;
};
