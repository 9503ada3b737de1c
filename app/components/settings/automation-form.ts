/**
 * The automation rule form's rows, the macro form's way (macro-form.ts): each condition and each
 * action is one `<select>` whose value names the kind and its target (`inbox-is:<id>`,
 * `add-label:<id>`, `snooze:60`, `route`…) and one text input (the words of a "contains"
 * condition, a comment's text), so the rows post in order without JavaScript. Pure; safe on the client.
 */
import type { RuleAction, RuleCondition } from "../../runtime.server.js";
import { tagRowsFromForm, type MacroRow } from "./macro-form.js";

/** The condition kinds that take the row's text (the others take the select's target, or nothing). */
export const TEXT_CONDITIONS = ["message-contains", "subject-contains", "page-url-contains"] as const;
/** The action kinds that take the row's text. */
export const TEXT_ACTIONS = ["comment"] as const;

const conditionTarget: Readonly<Record<string, string>> = {
  "inbox-is": "inboxId",
  "inbox-is-not": "inboxId",
  "channel-kind-is": "kind",
  "channel-is": "channelId",
  "label-present": "labelId",
  "label-absent": "labelId",
  "missed-target-is": "target",
};

const actionTarget: Readonly<Record<string, string>> = {
  "add-label": "labelId",
  "remove-label": "labelId",
  assign: "userId",
  "assign-team": "teamId",
  "set-status": "status",
  reply: "savedReplyId",
};

/** Comma-separated words as a list (blank ones left out). Pure. */
export const wordsOf = (text: string): ReadonlyArray<string> =>
  text
    .split(",")
    .map((w) => w.trim())
    .filter((w) => w !== "");

/** A stored condition as its row. Pure. */
export const conditionRowOf = (condition: RuleCondition): MacroRow => {
  switch (condition.type) {
    case "message-contains":
    case "subject-contains":
      return { action: condition.type, comment: condition.words.join(", ") };
    case "page-url-contains":
      return { action: condition.type, comment: condition.text };
    default: {
      const field = conditionTarget[condition.type];
      return { action: field === undefined ? condition.type : `${condition.type}:${(condition as unknown as Record<string, string>)[field]}`, comment: "" };
    }
  }
};

/** A stored action as its row. Pure. */
export const actionRowOf = (action: RuleAction): MacroRow => {
  switch (action.type) {
    case "comment":
      return { action: "comment", comment: action.text };
    case "snooze":
      return { action: `snooze:${action.minutes}`, comment: "" };
    case "route":
      return { action: "route", comment: "" };
    default: {
      const field = actionTarget[action.type]!;
      return { action: `${action.type}:${(action as unknown as Record<string, string>)[field]}`, comment: "" };
    }
  }
};

/** The posted condition rows (`condition` / `conditionText`) as the service's `conditions`, with the rows and each one's row. Pure. */
export const conditionsFromForm = (form: FormData) => {
  const { items, rows, rowOfItem } = tagRowsFromForm(form, { select: "condition", text: "conditionText" }, (type, target, text): Record<string, unknown> => {
    if (type === "message-contains" || type === "subject-contains") return { type, words: wordsOf(text) };
    if (type === "page-url-contains") return { type, text };
    const field = conditionTarget[type];
    return field === undefined ? { type } : { type, [field]: target };
  });
  return { conditions: items, rows, rowOfCondition: rowOfItem };
};

/** The posted action rows (`action` / `actionText`) as the service's `actions`, with the rows and each one's row. Pure. */
export const ruleActionsFromForm = (form: FormData) => {
  const { items, rows, rowOfItem } = tagRowsFromForm(form, { select: "action", text: "actionText" }, (type, target, text): Record<string, unknown> => {
    if (type === "comment") return { type, text };
    // A number the select offers; anything else is passed on as text for the Schema to refuse at `minutes`.
    if (type === "snooze") return { type, minutes: /^\d+$/.test(target) ? Number(target) : target };
    const field = actionTarget[type];
    return field === undefined ? { type } : { type, [field]: target };
  });
  return { actions: items, rows, rowOfAction: rowOfItem };
};

/**
 * A time trigger's wait as the form posts it (a number field, a unit select and the "business
 * hours only" checkbox), or undefined for an event trigger (which has none). A number that is not
 * one is passed on as typed, so the rule's Schema refuses it at `wait.amount`. Pure.
 */
export const waitFromForm = (
  isTimeTrigger: boolean,
  amount: string,
  unit: string,
  businessHours = false,
): { readonly amount: number | string; readonly unit: string; readonly businessHours: boolean } | undefined => {
  if (!isTimeTrigger) return undefined;
  const text = amount.trim();
  return { amount: /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text, unit, businessHours };
};
