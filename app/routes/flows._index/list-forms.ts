/**
 * The flow list's forms as Schemas — decoded with the same messages in the browser (before a
 * submit) and in the action (the authority).
 */
import { Either, Schema as S } from "effect";
import { decodeWith, type DecodeIssue } from "../../../flows/decode.js";

// The list moves are the flows' order itself (the REST API moves flows with them too).
export { dropBefore, moveId } from "../../../flows/flow-order.js";

const Name = S.Trim.pipe(
  S.minLength(1, { message: () => "a name is required" }),
  S.maxLength(200, { message: () => "a name is at most 200 characters" }),
);
const FlowId = S.String.pipe(S.minLength(1, { message: () => "no flow was named" }), S.maxLength(100));

/** Where a new flow starts: a blank bot or live chat, or one of the example flows. */
export const StartFrom = S.String.pipe(
  S.pattern(/^(blank:(bot|live_chat)|template:[A-Za-z0-9_-]{1,64})$/, {
    message: () => "choose a blank bot, a blank live chat or a template",
  }),
);

export const CreateFlowForm = S.Struct({
  name: Name,
  startFrom: StartFrom,
  /** Empty: no channel yet. */
  channelId: S.optionalWith(S.String.pipe(S.maxLength(100)), { default: () => "" }),
});
export type CreateFlowForm = typeof CreateFlowForm.Type;

export const RenameFlowForm = S.Struct({ id: FlowId, name: Name });
export const FlowIdForm = S.Struct({ id: FlowId });
export const ToggleFlowForm = S.Struct({ id: FlowId, enabled: S.Literal("on", "off") });
export const MoveFlowForm = S.Struct({
  id: FlowId,
  // The union's own message, not its first member's ("Expected \"up\"…"): `override`.
  direction: S.Literal("up", "down").annotations({ message: () => ({ message: "move up or down", override: true }) }),
});
/** A drag-and-drop move: the flow dropped, and the flow it was dropped before (empty: at the end). */
export const DropFlowForm = S.Struct({
  moved: FlowId,
  before: S.optionalWith(S.String.pipe(S.maxLength(100)), { default: () => "" }),
});

/** Decodes a form's fields; issues carry the field name as their path. Pure. */
export const decodeForm =
  <A, I>(schema: S.Schema<A, I, never>) =>
  (values: Readonly<Record<string, string>>): Either.Either<A, ReadonlyArray<DecodeIssue>> =>
    decodeWith(schema)(values);

/** Issues as one message per field (the first), `form` for root issues. Pure. */
export const issuesByField = (issues: ReadonlyArray<DecodeIssue>): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const issue of issues) {
    const field = issue.path.split(/[.[]/)[0] || "form";
    out[field] ??= issue.message;
  }
  return out;
};
