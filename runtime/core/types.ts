/**
 * The interpreter's contract: its JSON state, the events fed into it, the context it reads
 * (time, randomness and the outside world come in here, never from globals), and the
 * commands it asks the engine to carry out.
 */
import { Schema as S } from "effect";
import type { Device, HandoffTarget } from "../../flows/flow-spec.js";

// ---------------------------------------------------------------------------------------------
// JSON values

export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [k: string]: Json };
export const Json: S.Schema<Json> = S.suspend(
  (): S.Schema<Json> =>
    S.Union(S.Null, S.Boolean, S.Number, S.String, S.Array(Json), S.Record({ key: S.String, value: Json })),
);

// ---------------------------------------------------------------------------------------------
// State

export const ConversationPhase = S.Literal(
  /** Waiting for the visitor to answer the question at `nodeId`. */
  "awaiting_input",
  /** Waiting for the engine's result of a webhook / code / ticket / knowledge command issued at `nodeId`. */
  "awaiting_action",
  /** Handed to a person; the bot never speaks again. */
  "handed_off",
  /** Reached an end (or failed, timed out, was taken over); no more bot turns. */
  "ended",
);
export type ConversationPhase = typeof ConversationPhase.Type;

export const InterpreterState = S.Struct({
  specId: S.String,
  specVersion: S.Int,
  specHash: S.String,
  phase: ConversationPhase,
  /** The node the conversation is waiting at (null once ended / handed off). */
  nodeId: S.NullOr(S.String),
  /** Invalid answers given at the current question. */
  retries: S.Int,
  variables: S.Record({ key: S.String, value: Json }),
  /** Contact properties known to the bot (from the contact record and from answers). */
  contact: S.Record({ key: S.String, value: S.String }),
  lastAnswer: Json,
  /** PRNG state (mulberry32) seeded from the context at start; advanced on every split. */
  rng: S.Int,
  /** Number of steps taken, for diagnostics and replay checks. */
  turn: S.Int,
  endReason: S.optional(S.Literal("completed", "handed_off", "timeout", "agent_took_over", "error")),
  error: S.optional(S.String),
});
export type InterpreterState = typeof InterpreterState.Type;

// ---------------------------------------------------------------------------------------------
// Context: everything from outside the interpreter reads.

export interface VisitorInfo {
  readonly pageUrl: string;
  readonly device: Device;
  readonly language: string;
  readonly knownContact: boolean;
}

export interface InterpreterContext {
  /** Current time, epoch milliseconds. */
  readonly now: number;
  /** Seed for the PRNG (read by `start` only). */
  readonly seed: number;
  /** Version number and content hash of the spec being run (recorded in the state). */
  readonly specVersion: number;
  readonly specHash: string;
  readonly visitor: VisitorInfo;
  /** Contact properties known at start (`start` copies them into the state). */
  readonly contact?: Readonly<Record<string, string>>;
  /** Who can take the conversation now: the inbox's routing, a team or a user by id. */
  readonly availability: Availability;
  /** Longest walk through nodes in one step before the flow is stopped as looping (default 100). */
  readonly maxNodeVisits?: number;
}

/**
 * Who can take a conversation now. Teams and users are asked one id at a time, so a turn that
 * looks at one team reads that team only, however many the workspace has.
 */
export interface Availability {
  /** Whether the inbox's routing has anyone available. */
  readonly routing: boolean;
  /** Whether the team can take a conversation: open by its hours, with a member available (false for an unknown id). */
  readonly team: (teamId: string) => boolean;
  /** Whether the user is available (false for an unknown or disabled one). */
  readonly user: (userId: string) => boolean;
  /** Whether the visitor's contact has an owner who can take the conversation now (absent: no). */
  readonly contactOwner?: boolean;
}

/** An availability of teams and users listed by id (an id not listed is not available). Pure. */
export const availabilityOf = (given: {
  readonly routing: boolean;
  readonly teams?: Readonly<Record<string, boolean>>;
  readonly users?: Readonly<Record<string, boolean>>;
  readonly contactOwner?: boolean;
}): Availability => {
  const listed = (record: Readonly<Record<string, boolean>> | undefined, id: string) =>
    record !== undefined && Object.prototype.hasOwnProperty.call(record, id) && record[id] === true;
  return {
    routing: given.routing,
    team: (teamId) => listed(given.teams, teamId),
    user: (userId) => listed(given.users, userId),
    ...(given.contactOwner !== undefined ? { contactOwner: given.contactOwner } : {}),
  };
};

// ---------------------------------------------------------------------------------------------
// Events

/** One help article a knowledge search found: `url` is absolute (or site-relative), `excerpt` plain text. */
export const KnowledgeArticle = S.Struct({ id: S.String, title: S.String, url: S.String, excerpt: S.String });
export type KnowledgeArticle = typeof KnowledgeArticle.Type;

export const InterpreterEvent = S.Union(
  S.Struct({ type: S.Literal("visitor_message"), text: S.String }),
  /** A quick-reply click: one choice id, or several for a multiple-choice question. */
  S.Struct({ type: S.Literal("visitor_choice"), choiceIds: S.NonEmptyArray(S.String) }),
  S.Struct({ type: S.Literal("webhook_result"), nodeId: S.String, status: S.Int, body: Json }),
  S.Struct({ type: S.Literal("webhook_error"), nodeId: S.String, message: S.String }),
  S.Struct({ type: S.Literal("code_result"), nodeId: S.String, outputs: S.Record({ key: S.String, value: Json }) }),
  S.Struct({ type: S.Literal("code_error"), nodeId: S.String, message: S.String }),
  S.Struct({ type: S.Literal("ticket_created"), nodeId: S.String, ticketId: S.String }),
  /** The articles a `search_knowledge` found, best first (empty: nothing matched). */
  S.Struct({ type: S.Literal("knowledge_result"), nodeId: S.String, articles: S.Array(KnowledgeArticle) }),
  S.Struct({ type: S.Literal("session_timed_out") }),
  S.Struct({ type: S.Literal("agent_took_over") }),
);
export type InterpreterEvent = typeof InterpreterEvent.Type;

// ---------------------------------------------------------------------------------------------
// Commands

export type RenderedBubble =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "image"; readonly url: string; readonly alt?: string }
  | { readonly type: "link"; readonly url: string; readonly label: string };

export type InputKind = "text" | "email" | "phone" | "number" | "date" | "choice" | "yes_no" | "rating" | "url";

export interface AwaitedInput {
  readonly nodeId: string;
  readonly input: InputKind;
  readonly choices?: ReadonlyArray<{ readonly id: string; readonly label: string }>;
  readonly multiple?: boolean;
  readonly min?: number | string;
  readonly max?: number | string;
}

export type TrackedEvent =
  | { readonly name: "flow_started" }
  | { readonly name: "node_entered"; readonly nodeId: string; readonly from?: { readonly nodeId: string; readonly port: string } }
  | { readonly name: "answered"; readonly nodeId: string; readonly port: string }
  | { readonly name: "skipped"; readonly nodeId: string }
  | { readonly name: "invalid_answer"; readonly nodeId: string; readonly retries: number }
  | { readonly name: "completed"; readonly nodeId: string }
  | { readonly name: "handed_off"; readonly nodeId: string }
  | { readonly name: "abandoned"; readonly nodeId: string | null }
  | { readonly name: "split_arm"; readonly nodeId: string; readonly armId: string }
  | { readonly name: "flow_error"; readonly nodeId: string | null; readonly message: string };

export type Command =
  | { readonly type: "say"; readonly nodeId: string; readonly bubbles: ReadonlyArray<RenderedBubble>; readonly typingDelayMs: number }
  | ({ readonly type: "await_input" } & AwaitedInput)
  | {
      readonly type: "call_webhook";
      readonly nodeId: string;
      readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
      readonly url: string;
      readonly headers: ReadonlyArray<{ readonly name: string; readonly value: string }>;
      readonly body?: string;
      readonly timeoutMs: number;
    }
  | {
      readonly type: "run_code";
      readonly nodeId: string;
      readonly source: string;
      readonly inputs: Readonly<Record<string, Json>>;
      readonly outputs: ReadonlyArray<string>;
      readonly timeoutMs: number;
    }
  | {
      readonly type: "create_ticket";
      readonly nodeId: string;
      readonly subject: string;
      readonly description: string;
      readonly priority: "low" | "normal" | "high" | "urgent";
    }
  | { readonly type: "set_contact_property"; readonly property: string; readonly value: string }
  | {
      readonly type: "handoff";
      readonly nodeId: string;
      readonly target: HandoffTarget;
      /** Everything the bot collected: variables and contact properties. */
      readonly collected: Readonly<Record<string, Json>>;
      /** True when nobody was available: the flow's away behaviour ran. */
      readonly away: boolean;
      readonly createTicket: boolean;
      /** Conversation labels the conversation gets (present only when the step names some). */
      readonly labels?: ReadonlyArray<string>;
    }
  | { readonly type: "offer_meeting"; readonly nodeId: string; readonly userId: string; readonly message?: string }
  /** Put the conversation's contact (or, without one, its visitor until they are one) on a contact list. */
  | { readonly type: "add_to_list"; readonly nodeId: string; readonly listId: string }
  /** Record the visitor's email consent (and join `listId`): the exact text they agreed to, for the address they gave. */
  | { readonly type: "record_consent"; readonly nodeId: string; readonly email: string; readonly consentText: string; readonly listId?: string }
  /** Search the published help articles; the engine answers with `knowledge_result`. */
  | { readonly type: "search_knowledge"; readonly nodeId: string; readonly query: string; readonly limit: number }
  | {
      readonly type: "end";
      readonly reason: "completed" | "handed_off" | "timeout" | "agent_took_over" | "error";
      readonly closeConversation: boolean;
      readonly error?: string;
    }
  | { readonly type: "track"; readonly event: TrackedEvent };

export interface StepResult {
  readonly state: InterpreterState;
  readonly commands: ReadonlyArray<Command>;
}
