/**
 * Which automation rule is acting (decision 044): the automation pass runs each rule's actions
 * with `CurrentRule` set, and the single actions it goes through (Inbox's status changes and
 * assignments, Labels, Snoozes, Routing, comments and replies) read it before their write and
 * name the rule in what they record — `data.rule = { id, name }` on the events (a comment's or
 * reply's `message_created` too, through `Engine.replyAsAgent`), and a line in the thread for a
 * change that otherwise has none. No service signature carries it: the same
 * reason as the audit log's actor (decision 041). Outside a rule it is null and nothing changes.
 */
import { Effect, FiberRef } from "effect";
import { globalValue } from "effect/GlobalValue";
import { systemLine, type Prepare } from "./inbox-access.js";

/** The rule an action runs for: its id and its name as it was then. */
export interface ActingRule {
  readonly id: string;
  readonly name: string;
}

/**
 * The rule the running fiber acts for; null unless the automation pass set it. One per process
 * (`globalValue`): the Remix build bundles its own copy of this module beside the server's.
 */
export const CurrentRule: FiberRef.FiberRef<ActingRule | null> = globalValue(Symbol.for("parley/CurrentAutomationRule"), () =>
  FiberRef.unsafeMake<ActingRule | null>(null),
);

/** Runs `effect` as the actions of `rule`. */
export const asRule =
  (rule: ActingRule) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.locally(effect, CurrentRule, { id: rule.id, name: rule.name });

/** The rule the running fiber acts for, or null. Read it before the write that records the change. */
export const actingRule: Effect.Effect<ActingRule | null> = FiberRef.get(CurrentRule);

/** An event's data with the acting rule added (the data itself when no rule acts). Pure. */
export const withRule = <D extends Record<string, unknown>>(data: D, rule: ActingRule | null): D | (D & { readonly rule: ActingRule }) =>
  rule === null ? data : { ...data, rule: { id: rule.id, name: rule.name } };

/**
 * The rule an event's data or a message's payload names (`rule: { id, name }`, as `withRule`
 * writes it), or null when there is none or it is not well formed. Pure.
 */
export const ruleNamedIn = (data: Readonly<Record<string, unknown>>): ActingRule | null => {
  const rule = data.rule;
  if (typeof rule !== "object" || rule === null || Array.isArray(rule)) return null;
  const { id, name } = rule as { readonly id?: unknown; readonly name?: unknown };
  return typeof id === "string" && typeof name === "string" ? { id, name } : null;
};

/**
 * The thread's line for a change a rule made: "Closed by rule “Close stale pending chats”".
 * `what` says the change ("Closed", "Label “VIP” added"); `after` follows the rule's name. Pure.
 */
export const ruleLine = (what: string, rule: ActingRule, after = ""): string => `${what} by rule “${rule.name}”${after}`;

/**
 * Inside a write: the thread's quiet line (an internal system message, as a snooze's) for a
 * change `rule` made, with the rule in its payload so the thread can link it.
 */
export const ruleLineInWrite = (
  prepare: Prepare,
  conversationId: string,
  text: string,
  rule: ActingRule,
  at: number,
): void => {
  systemLine(prepare, conversationId, text, { rule: { id: rule.id, name: rule.name } }, at);
};
