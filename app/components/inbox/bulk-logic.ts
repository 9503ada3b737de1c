/**
 * Bulk actions in the inbox list, the parts without React: what the bar's form posts, read into
 * the runtime's input; what the action answers; the notice it shows ("8 closed; 2 skipped:
 * changed by someone else (Ana, Bo)"); and the selection's small rules. Pure; safe on the client.
 */
import type { BulkAction, BulkOutcome } from "../../runtime.server.js";
import { snoozePresets } from "./snooze-logic.js";

/** The form field each row's checkbox posts: `<conversation id>:<version the list showed>`. */
export const BULK_FIELD = "conversation";
/** The id of the bar's form: the rows' checkboxes belong to it through their `form` attribute. */
export const BULK_FORM_ID = "inbox-bulk";

/** A checkbox's value for a row. Pure. */
export const bulkValue = (conversation: { readonly id: string; readonly version: number }): string => `${conversation.id}:${conversation.version}`;

/** What the bulk route answers: the outcome and its notice, or what was wrong with the post. */
export type BulkActionResult =
  | (BulkOutcome & { readonly ok: true; readonly notice: string })
  | {
      readonly ok: false;
      readonly error: string;
      /** Messages by form field. */
      readonly fields: Readonly<Record<string, string>>;
      /** Where exactly (`conversations[2].version`, `userId`). */
      readonly path?: string;
    };

/** The route's whole answer: the result, and the list's query string to go back to. */
export interface BulkAnswer {
  readonly result: BulkActionResult;
  readonly back: string;
}

/**
 * The runtime's input from the posted fields. `intent` says the action and, for some, its
 * target: close | reopen | mark-pending | assign:user:<id> | assign:team:<id> | assign:none |
 * snooze:<preset id> (hour | tomorrow | monday, on `timeZone`'s clock as of `now`: right without
 * JavaScript too, on the workspace's zone) | snooze:<epoch ms>. Each `conversation` is
 * `<id>:<version>`; a version that is not a number goes on as NaN, for the runtime to refuse at
 * its path. Pure.
 */
export const bulkInputOf = (
  fields: { readonly intent: string; readonly conversations: ReadonlyArray<string>; readonly timeZone: string },
  now: number,
): { readonly ok: true; readonly input: Record<string, unknown> } | { readonly ok: false; readonly field: string; readonly message: string } => {
  const conversations = fields.conversations.map((value) => {
    const at = value.lastIndexOf(":");
    const version = at < 0 ? "" : value.slice(at + 1).trim();
    return { id: at < 0 ? value : value.slice(0, at), version: /^[0-9]{1,15}$/.test(version) ? Number(version) : Number.NaN };
  });
  const [action = "", ...rest] = fields.intent.split(":");
  const target = rest.join(":");
  const base = { conversations };
  switch (action) {
    case "close":
    case "reopen":
    case "mark-pending":
      return { ok: true, input: { ...base, action } };
    case "assign": {
      if (target === "none") return { ok: true, input: { ...base, action, userId: null } };
      const [kind, ...id] = target.split(":");
      if (kind === "user") return { ok: true, input: { ...base, action, userId: id.join(":") } };
      if (kind === "team") return { ok: true, input: { ...base, action, teamId: id.join(":") } };
      return { ok: false, field: "intent", message: "assign to user:<id>, team:<id> or none" };
    }
    case "snooze": {
      const preset = snoozePresets(now, fields.timeZone).find((p) => p.id === target);
      if (preset) return { ok: true, input: { ...base, action, until: preset.at, timeZone: fields.timeZone } };
      if (!/^[1-9][0-9]{0,15}$/.test(target)) return { ok: false, field: "until", message: "until: pick In 1 hour, Tomorrow 09:00 or Next Monday 09:00" };
      return { ok: true, input: { ...base, action, until: Number(target), timeZone: fields.timeZone } };
    }
    default:
      return { ok: false, field: "intent", message: `unknown action “${action}”: expected close, reopen, mark-pending, assign or snooze` };
  }
};

const done: Readonly<Record<BulkAction, string>> = {
  close: "closed",
  reopen: "reopened",
  "mark-pending": "marked pending",
  assign: "assigned",
  snooze: "snoozed",
};

/** Most names listed for one reason; the rest are counted. */
const NAMES_SHOWN = 5;

/**
 * "8 closed; 2 skipped: changed by someone else (Ana, Bo)" — what was done, then the skipped
 * ones by reason, named (those the agent may not see are only counted). `to` names an
 * assignment's target ("3 assigned to Bo Berg"). Pure.
 */
export const bulkNotice = (outcome: Pick<BulkOutcome, "action" | "applied" | "skipped">, to?: string): string =>
  withSkipped(`${outcome.applied.length} ${done[outcome.action]}${to && outcome.action === "assign" ? ` to ${to}` : ""}`, outcome.skipped);

/**
 * `head`, then the skipped conversations by reason, named (those the agent may not see only
 * counted): "8 closed; 2 skipped: changed by someone else (Ana, Bo)"; `head.` when none was. Pure.
 */
export const withSkipped = (head: string, skipped: ReadonlyArray<{ readonly title: string | null; readonly message: string }>): string => {
  if (skipped.length === 0) return `${head}.`;
  const reasons = new Map<string, Array<string | null>>();
  for (const s of skipped) reasons.set(s.message, [...(reasons.get(s.message) ?? []), s.title]);
  const parts = [...reasons].map(([message, titles]) => {
    const named = titles.filter((t): t is string => t !== null);
    const shown = named.slice(0, NAMES_SHOWN);
    const more = titles.length - shown.length;
    const list = [...shown, ...(more > 0 ? [shown.length > 0 ? `${more} more` : `${more}`] : [])].join(", ");
    return `${message} (${list})`;
  });
  return `${head}; ${skipped.length} skipped: ${parts.join("; ")}`;
};

/** The selection with `id` added or taken out. Pure. */
export const toggled = (selected: ReadonlySet<string>, id: string): ReadonlySet<string> => {
  const next = new Set(selected);
  if (!next.delete(id)) next.add(id);
  return next;
};

/** The selection without the rows that left the list (a live update moved them, or a page changed). Pure. */
export const pruned = (selected: ReadonlySet<string>, shown: ReadonlyArray<string>): ReadonlySet<string> => {
  const keep = [...selected].filter((id) => shown.includes(id));
  return keep.length === selected.size ? selected : new Set(keep);
};

/** "Select all"'s state for the rows shown. Pure. */
export const selectAllState = (selected: ReadonlySet<string>, shown: ReadonlyArray<string>): "none" | "some" | "all" => {
  const n = shown.filter((id) => selected.has(id)).length;
  return n === 0 ? "none" : n === shown.length ? "all" : "some";
};
