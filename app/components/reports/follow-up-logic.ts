/**
 * Following up missed answers from the breaches list, the parts without React: what the form
 * posts, read into the runtime's BreachFollowUp input; which field each refusal belongs to; the
 * notice ("Followed up 7 conversations; 2 skipped: closed (Ana, Bo)"). Pure; safe on the client.
 */
import type { FollowUpOutcome } from "../../runtime.server.js";
import { withSkipped } from "../inbox/bulk-logic.js";

/** The id of the follow-up form: the rows' checkboxes belong to it through their `form` attribute. */
export const FOLLOW_UP_FORM_ID = "breach-follow-up";
/** Each row's checkbox: the answer's reply event id. */
export const FOLLOW_UP_FIELD = "breach";
/** "Select all on this page": posted as `all=page`, it takes every answer the page listed (`onPage`), ticked or not. */
export const FOLLOW_UP_ALL_FIELD = "all";
export const FOLLOW_UP_PAGE_FIELD = "onPage";
/** "All N answers in this list": posted as `all=list`, it sends no answers — the server takes the list under the page's filters. */
export const FOLLOW_UP_LIST_VALUE = "list";

/** The posted fields, as strings (repeated ones as lists). */
export interface FollowUpFields {
  readonly breaches: ReadonlyArray<string>;
  /** "page", "list" or empty (when both are posted, "list": the wider choice). */
  readonly all: string;
  readonly onPage: ReadonlyArray<string>;
  /** `user:<id>`, `team:<id>`, or empty for no assignment. */
  readonly assign: string;
  readonly labelId: string;
  readonly comment: string;
  readonly note: string;
  readonly requestId: string;
}

/** An answer's id as posted: digits, else NaN for the runtime to refuse at its place. Pure. */
const eventId = (value: string): number => (/^[0-9]{1,15}$/.test(value.trim()) ? Number(value.trim()) : Number.NaN);

/**
 * The runtime's input from the posted fields: the answers ticked (or, with "select all on this
 * page", every answer the page listed; with "all answers in this list", none: the server reads
 * the list), the assignment split into person or team, a label, the
 * comment's tick and note. An assignment that is neither `user:` nor `team:` is refused here at
 * `assign`. Pure.
 */
export const followUpInputOf = (
  fields: FollowUpFields,
): { readonly ok: true; readonly input: Record<string, unknown> } | { readonly ok: false; readonly field: string; readonly message: string } => {
  const picked = fields.all === "page" ? fields.onPage : fields.breaches;
  const [kind = "", ...rest] = fields.assign.split(":");
  const target = rest.join(":");
  if (fields.assign !== "" && ((kind !== "user" && kind !== "team") || target === "")) {
    return { ok: false, field: "assign", message: "assign to user:<id> or team:<id>" };
  }
  return {
    ok: true,
    input: {
      ...(fields.all === FOLLOW_UP_LIST_VALUE ? {} : { breaches: [...new Set(picked)].map(eventId) }),
      ...(kind === "user" ? { userId: target } : kind === "team" ? { teamId: target } : {}),
      ...(fields.labelId !== "" ? { labelId: fields.labelId } : {}),
      ...(fields.comment === "on" ? { comment: true } : {}),
      ...(fields.note.trim() !== "" ? { note: fields.note } : {}),
      ...(fields.requestId !== "" ? { requestId: fields.requestId } : {}),
    },
  };
};

/** The form field a refusal's path belongs to (a person and a team are both the Assign field; the selection and what to do are the form's). Pure. */
export const followUpFieldOf = (path: string): string => {
  const field = path.split(/[.[]/)[0] ?? "";
  if (field === "userId" || field === "teamId") return "assign";
  if (field === "labelId" || field === "comment" || field === "note" || field === "assign") return field;
  if (field === "breaches" || field === "all") return "breaches";
  return "form";
};

/** "Followed up 7 conversations; 2 skipped: closed (Ana, Bo)". Pure. */
export const followUpNotice = (outcome: Pick<FollowUpOutcome, "followedUp" | "skipped">): string => {
  const n = outcome.followedUp.length;
  return withSkipped(`Followed up ${n === 0 ? "no" : n} ${n === 1 ? "conversation" : "conversations"}`, outcome.skipped);
};

/** Messages by field (forms.ts `fieldErrors`) moved to the follow-up form's own fields; the first per field. Pure. */
export const followUpErrors = (errors: Readonly<Record<string, string>>): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [field, message] of Object.entries(errors)) out[followUpFieldOf(field)] ??= message;
  return out;
};
