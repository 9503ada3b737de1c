/**
 * Automation rules: "when <trigger>, if <conditions>, then <actions>", kept by admins
 * (Settings → Automation) and applied by a background pass over the append-only `events` log.
 *
 * - A rule has a name, an enabled flag, a position (rules run in that order), one trigger
 *   (conversation created, handed off, visitor message, closed, reopened, response target
 *   missed — the escalation pass's `response_overdue` event, decision 042), conditions that must
 *   all hold and an ordered list of actions. Conditions and actions are decoded by their
 *   Schemas on every write (InvalidInput at the field's path, nothing stored) and every read.
 * - The pass (like the outgoing webhooks' fan-out) reads the events after a cursor (migration
 *   37), and for each event that is a trigger runs every enabled rule of that trigger in order
 *   whose conditions hold, through the same single actions the inbox's pages use (Labels,
 *   Inbox, Routing, Snoozes) acting as the Automation user (`AUTOMATION_ACTOR`), so events,
 *   live updates, webhooks and reports see the change like any other. The cursor moves in the
 *   same write that records the rules' last run. With no enabled rule a pass is one read and no
 *   write; enabling the first rule moves the cursor to the log's end (no run over history).
 * - Time triggers (decision 038): "pending for" / "the visitor has waited for" / "nobody assigned
 *   for" (decision 044, twelfth session) a wait (1 minute to 90 days). Each time rule keeps its
 *   place in the spells it watches (`pending_since`, `waiting_since` or `unassigned_since`, then
 *   the conversation id) and, every pass, takes the spells that reached its
 *   wait after that place from an index — so a spell runs the rule once, and a new spell (pending
 *   again, a new wait) again. A new rule starts at the first spell: conversations already past
 *   the wait are acted on. Snoozed conversations are left alone.
 * - Every run whose conditions held is kept in `automation_runs` (the last 200 per rule), with
 *   what started it (the event, or the spell's start) and its error; a time rule's run is unique
 *   per conversation and spell.
 * - No loops: events the Automation user made never trigger rules.
 * - A failing action (its label deleted, a status move that does not apply) is recorded as the
 *   rule's last error; the rule's other actions, the other rules and the pass go on.
 */
import { Context, Effect, Either, Layer, Schema as S } from "effect";
import { addBusinessDays, businessIntervals, type BusinessHours } from "../core/business-time.js";
import { addBusinessMs } from "../core/response-targets.js";
import { asRule } from "./acting-rule.js";
import { nameKey } from "../sql/name-key.js";
import { parseJsonObject } from "./channels.js";
import * as wallClock from "./clock.js";
import { auditActorAs, recordAudit, type AuditActor } from "./audit-log.js";
import { Database, type DatabaseShape } from "./database.js";
import { Forbidden, InvalidInput, NotFound } from "./errors.js";
import { newId } from "./ids.js";
import { AUTOMATION_ACTOR, decodeInput, ensureAutomationUser, invalid, worksInInboxes, type Actor } from "./inbox-access.js";
import { Inbox, statusMoveTo, type InboxShape } from "./inbox.js";
import { Labels, type LabelsShape } from "./labels.js";
import { MacroAction } from "./macros.js";
import { makePassLoop } from "./pass-loop.js";
import { Reports } from "./reports.js";
import { Routing, type RoutingShape } from "./routing.js";
import { Snoozes, type SnoozesShape } from "./snoozes.js";

// ---------------------------------------------------------------------------------------------
// Contract

/** What can start a rule, in the order the settings page lists them: events of the log, then times. */
export const AUTOMATION_TRIGGERS = [
  "conversation-created",
  "handed-off",
  "visitor-message",
  "conversation-closed",
  "conversation-reopened",
  "response-overdue",
  "pending-for",
  "waiting-for",
  "unassigned-for",
] as const;
export type AutomationTrigger = (typeof AUTOMATION_TRIGGERS)[number];

/** The triggers that fire once a state has lasted the rule's wait (decision 038), not on an event. */
export const TIME_TRIGGERS = ["pending-for", "waiting-for", "unassigned-for"] as const satisfies ReadonlyArray<AutomationTrigger>;
export type TimeTrigger = (typeof TIME_TRIGGERS)[number];
/** True for a trigger that waits (pending for, waiting for, unassigned for). Pure. */
export const isTimeTrigger = (trigger: string): trigger is TimeTrigger => (TIME_TRIGGERS as ReadonlyArray<string>).includes(trigger);

/** A time trigger's words before its wait (“… for 3 days”). */
export const TIME_TRIGGER_PHRASES: Readonly<Record<TimeTrigger, string>> = {
  "pending-for": "A conversation has been pending for",
  "waiting-for": "The visitor has waited for a reply for",
  "unassigned-for": "A conversation has had nobody assigned for",
};

export const AUTOMATION_TRIGGER_LABELS: Readonly<Record<AutomationTrigger, string>> = {
  "conversation-created": "A conversation is created (any channel)",
  "handed-off": "A conversation is handed off to the inbox (by a bot, or an agent takes over)",
  "visitor-message": "The visitor (or email sender) writes",
  "conversation-closed": "A conversation is closed",
  "conversation-reopened": "A closed conversation is reopened",
  "response-overdue": "Response target missed (a waiting conversation falls overdue)",
  "pending-for": `${TIME_TRIGGER_PHRASES["pending-for"]} … (the wait below)`,
  "waiting-for": `${TIME_TRIGGER_PHRASES["waiting-for"]} … (the wait below)`,
  "unassigned-for": `${TIME_TRIGGER_PHRASES["unassigned-for"]} … (the wait below)`,
};

export const WAIT_UNITS = ["minutes", "hours", "days"] as const;
export type WaitUnit = (typeof WAIT_UNITS)[number];
const UNIT_MS: Readonly<Record<WaitUnit, number>> = { minutes: 60_000, hours: 3_600_000, days: 86_400_000 };
/** The longest wait a time trigger may have: 90 days. */
export const MAX_WAIT_DAYS = 90;
const MAX_WAIT_MS = MAX_WAIT_DAYS * UNIT_MS.days;

/**
 * A time trigger's wait: a whole number of minutes, hours or days, from 1 minute to 90 days;
 * with `businessHours`, counted in the workspace's business hours only (decision 044: business
 * minutes and hours are business time; business days are whole open days, `addBusinessDays`).
 */
export const RuleWait = S.Struct({
  amount: S.Number.annotations({ message: () => ({ message: "enter a whole number", override: true }) }).pipe(
    S.int({ message: () => "a wait is a whole number" }),
  ),
  unit: S.Literal(...WAIT_UNITS).annotations({ message: () => ({ message: `pick a unit: ${WAIT_UNITS.join(", ")}`, override: true }) }),
  businessHours: S.optionalWith(S.Boolean.annotations({ message: () => ({ message: "business hours only is true or false", override: true }) }), {
    default: () => false,
  }),
}).pipe(
  S.filter((w) =>
    w.amount >= 1 && w.amount * UNIT_MS[w.unit] <= MAX_WAIT_MS
      ? true
      : { path: ["amount"], message: `a wait is between 1 minute and ${MAX_WAIT_DAYS} days (${MAX_WAIT_MS / UNIT_MS[w.unit]} ${w.unit})` },
  ),
);
export type RuleWait = typeof RuleWait.Type;

/** A wait in milliseconds (of wall time; of business time for business minutes and hours). Pure. */
export const waitMs = (wait: Pick<RuleWait, "amount" | "unit">): number => wait.amount * UNIT_MS[wait.unit];

/** A wait in words: “1 hour”, “3 days”, “4 business hours”. Pure. */
export const waitWords = (wait: Pick<RuleWait, "amount" | "unit"> & { readonly businessHours?: boolean }): string =>
  `${wait.amount} ${wait.businessHours === true ? "business " : ""}${wait.amount === 1 ? wait.unit.slice(0, -1) : wait.unit}`;

/** True when the wait counts business hours and the workspace has some (else it counts around the clock). Pure. */
const countsBusiness = (wait: RuleWait, hours: BusinessHours): boolean => wait.businessHours && hours.hours.length > 0;

/**
 * The instant a spell that began at `start` reaches the wait. Around the clock: `start` plus the
 * wait. In business hours: that much business time later (minutes, hours), or that many whole
 * business days later (`addBusinessDays`). A workspace without business hours — or whose hours
 * never open — counts around the clock, as response targets do. Never before `start + scanMs`,
 * and never earlier for a later start (so the pass can stop at the first spell not yet due).
 * Pure apart from reading time-zone data.
 */
export const waitDueAt = (wait: RuleWait, hours: BusinessHours, start: number): number => {
  if (!countsBusiness(wait, hours)) return start + waitMs(wait);
  const due = wait.unit === "days" ? addBusinessDays(hours, start, wait.amount) : addBusinessMs(hours, start, waitMs(wait));
  return due ?? start + waitMs(wait);
};

/** A generous margin for the offset changes of a zone (daylight saving moves an hour; none moves more than a few). */
const OFFSET_MARGIN_MS = 3 * UNIT_MS.hours;

/**
 * The least wall time a spell must have lasted before it can reach the wait: the pass's indexed
 * scan reads only spells that began that long ago. Business time never runs faster than wall
 * time, so business minutes and hours are the wait itself; N business days end on a calendar day
 * at least N days after the start's, so more than N − 1 days later (less an offset change). Pure.
 */
export const waitScanMs = (wait: RuleWait): number =>
  !wait.businessHours || wait.unit !== "days" ? waitMs(wait) : Math.max(0, (wait.amount - 1) * UNIT_MS.days - OFFSET_MARGIN_MS);

export const MAX_RULE_CONDITIONS = 20;
export const MAX_RULE_ACTIONS = 20;
export const MAX_RULE_NAME = 80;
/** Longest snooze an action may ask for: 30 days. */
export const MAX_RULE_SNOOZE_MINUTES = 30 * 24 * 60;
/** How often the loop runs when nothing wakes it: rules apply within about a second. */
export const AUTOMATION_LOOP_MS = 1_000;
const EVENTS_PER_PASS = 500;
/** Spells one time rule looks at per pass (the oldest first); the next pass takes the rest. */
const SPELLS_PER_PASS = 100;
/** Runs kept per rule: older ones are pruned in the pass that records a new one. */
export const RUNS_KEPT_PER_RULE = 200;
const MAX_ERROR = 500;

const Ref = (what: string) =>
  S.String.pipe(S.minLength(1, { message: () => `pick ${what}` }), S.maxLength(100, { message: () => `${what} is an id of at most 100 characters` }));

/** Words to look for: at least one, each 1–100 characters after trimming, at most 20. */
const Words = S.Array(
  S.Trim.pipe(S.minLength(1, { message: () => "a word is not empty" }), S.maxLength(100, { message: () => "a word is at most 100 characters" })),
).pipe(S.minItems(1, { message: () => "enter at least one word" }), S.maxItems(20, { message: () => "at most 20 words" }));

export const CHANNEL_KINDS = ["chat", "email", "messenger", "form"] as const;

/** Which response target a `response-overdue` event says was missed (decision 039's `kind`). */
export const MISSED_TARGETS = ["first_response", "next_reply"] as const;
export type MissedTarget = (typeof MISSED_TARGETS)[number];

/** One condition of a rule (outside input: tagged by `type`). */
export const RuleCondition = S.Union(
  S.Struct({ type: S.Literal("inbox-is"), inboxId: Ref("an inbox") }),
  S.Struct({ type: S.Literal("inbox-is-not"), inboxId: Ref("an inbox") }),
  S.Struct({
    type: S.Literal("channel-kind-is"),
    kind: S.Literal(...CHANNEL_KINDS).annotations({ message: () => ({ message: `pick a channel kind: ${CHANNEL_KINDS.join(", ")}`, override: true }) }),
  }),
  S.Struct({ type: S.Literal("channel-is"), channelId: Ref("a channel") }),
  S.Struct({ type: S.Literal("message-contains"), words: Words }),
  S.Struct({ type: S.Literal("subject-contains"), words: Words }),
  S.Struct({ type: S.Literal("label-present"), labelId: Ref("a label") }),
  S.Struct({ type: S.Literal("label-absent"), labelId: Ref("a label") }),
  S.Struct({ type: S.Literal("contact-known") }),
  S.Struct({ type: S.Literal("contact-unknown") }),
  S.Struct({
    type: S.Literal("page-url-contains"),
    text: S.Trim.pipe(S.minLength(1, { message: () => "enter part of the page address" }), S.maxLength(500, { message: () => "at most 500 characters" })),
  }),
  S.Struct({ type: S.Literal("business-hours-open") }),
  S.Struct({ type: S.Literal("business-hours-closed") }),
  /** Only on the "Response target missed" trigger: which target the wait missed. */
  S.Struct({
    type: S.Literal("missed-target-is"),
    target: S.Literal(...MISSED_TARGETS).annotations({
      message: () => ({ message: `pick a response target: ${MISSED_TARGETS.join(", ")}`, override: true }),
    }),
  }),
);
export type RuleCondition = typeof RuleCondition.Type;

// The single actions a macro has, with the same Schemas (so the same messages and limits).
const [addLabel, removeLabel, assign, assignTeam, , setStatus, , comment] = MacroAction.members;

/** One action of a rule (outside input: tagged by `type`). */
export const RuleAction = S.Union(
  addLabel,
  removeLabel,
  assign,
  assignTeam,
  S.Struct({ type: S.Literal("route") }),
  setStatus,
  S.Struct({
    type: S.Literal("snooze"),
    minutes: S.Number.pipe(
      S.int({ message: () => "a snooze is a whole number of minutes" }),
      S.between(1, MAX_RULE_SNOOZE_MINUTES, { message: () => `a snooze is between 1 minute and ${MAX_RULE_SNOOZE_MINUTES / 1440} days` }),
    ),
  }),
  comment,
  S.Struct({ type: S.Literal("reply"), savedReplyId: Ref("a saved reply") }),
);
export type RuleAction = typeof RuleAction.Type;

const isTrigger = (text: string): text is AutomationTrigger => (AUTOMATION_TRIGGERS as ReadonlyArray<string>).includes(text);

/** A rule as an admin writes it (form or JSON). */
export const RuleInput = S.Struct({
  name: S.Trim.pipe(
    S.minLength(1, { message: () => "enter a name" }),
    S.maxLength(MAX_RULE_NAME, { message: () => `a name is at most ${MAX_RULE_NAME} characters` }),
  ),
  enabled: S.optionalWith(S.Boolean, { default: () => true }),
  trigger: S.String.pipe(
    S.filter(isTrigger, { message: (issue) => `pick a trigger: ${AUTOMATION_TRIGGERS.join(", ")} (not ${JSON.stringify(issue.actual)})` }),
  ),
  /** A time trigger's wait (required for one, refused for the others). */
  wait: S.optional(RuleWait),
  conditions: S.Array(RuleCondition).pipe(S.maxItems(MAX_RULE_CONDITIONS, { message: () => `a rule has at most ${MAX_RULE_CONDITIONS} conditions` })),
  actions: S.Array(RuleAction).pipe(
    S.minItems(1, { message: () => "add at least one action" }),
    S.maxItems(MAX_RULE_ACTIONS, { message: () => `a rule has at most ${MAX_RULE_ACTIONS} actions` }),
  ),
});
export type RuleInput = typeof RuleInput.Type;

export interface AutomationRule {
  readonly id: string;
  readonly name: string;
  readonly enabled: boolean;
  readonly position: number;
  readonly trigger: AutomationTrigger;
  /** A time trigger's wait; null for the others. */
  readonly wait: RuleWait | null;
  readonly conditions: ReadonlyArray<RuleCondition>;
  readonly actions: ReadonlyArray<RuleAction>;
  readonly lastRunAt: number | null;
  readonly lastError: { readonly message: string; readonly at: number } | null;
  readonly updatedAt: number;
}

/** One run of a rule on a conversation (its conditions held), as the history keeps it. */
export interface AutomationRun {
  readonly id: number;
  readonly ruleId: string;
  readonly conversationId: string;
  /** What started it: an event of the log, or a time rule's spell (the instant it began). */
  readonly trigger: { readonly kind: "event"; readonly eventId: number } | { readonly kind: "spell"; readonly startedAt: number };
  readonly at: number;
  /** `failed`: at least one action failed (`error` says which and why); the others were done. */
  readonly outcome: "done" | "failed";
  readonly error: string | null;
}

export interface AutomationPassResult {
  /** Trigger events read. */
  readonly events: number;
  /** Time rules' spells looked at (past their wait, not looked at before). */
  readonly spells: number;
  /** Rules run (conditions held). */
  readonly fired: number;
  /** Actions that failed. */
  readonly failed: number;
}

/** One conversation a rule would act on now (the dry run, decision 044). */
export interface PreviewMatch {
  readonly conversationId: string;
  readonly status: string;
  readonly inbox: string;
  /** The contact's name or address; null for an unknown visitor. */
  readonly contact: string | null;
  readonly lastMessage: string | null;
  /** A time rule's spell: since when it is pending or the visitor waits. */
  readonly since: number | null;
}

/** What a rule would act on now: at most PREVIEW_MATCHES, among the conversations looked at. */
export interface RulePreview {
  readonly matches: ReadonlyArray<PreviewMatch>;
  /** Conversations looked at. */
  readonly looked: number;
  /** True when the look stopped at PREVIEW_LOOKED conversations or PREVIEW_MATCHES matches (there may be more). */
  readonly capped: boolean;
}

/** A dry run lists at most this many conversations… */
export const PREVIEW_MATCHES = 50;
/** …out of at most this many looked at (newest activity first; a time rule's oldest spells first). */
export const PREVIEW_LOOKED = 1_000;

export interface AutomationShape {
  /** Every rule in order (admins). */
  readonly list: (actor: Actor) => Effect.Effect<ReadonlyArray<AutomationRule>, Forbidden>;
  /** One rule (admins). */
  readonly get: (actor: Actor, id: string) => Effect.Effect<AutomationRule, Forbidden | NotFound>;
  /** Adds a rule at the end; it hears events from now on. InvalidInput at the field (`actions[i].labelId` for an unknown label). */
  readonly create: (actor: Actor, input: unknown) => Effect.Effect<AutomationRule, Forbidden | InvalidInput>;
  /** Rewrites a rule (its last error is cleared); enabling it again hears events from now on. */
  readonly update: (actor: Actor, id: string, input: unknown) => Effect.Effect<AutomationRule, Forbidden | InvalidInput | NotFound>;
  /** Turns a rule on or off. */
  readonly setEnabled: (actor: Actor, id: string, enabled: boolean) => Effect.Effect<AutomationRule, Forbidden | NotFound>;
  /** Swaps a rule with the one before (`up`) or after (`down`); nothing at the ends. */
  readonly move: (actor: Actor, id: string, direction: "up" | "down") => Effect.Effect<ReadonlyArray<AutomationRule>, Forbidden | NotFound>;
  /** Deletes a rule (and its runs). */
  readonly remove: (actor: Actor, id: string) => Effect.Effect<void, Forbidden | NotFound>;
  /** Every rule's latest runs, newest first, at most `perRule` (1–200) each (admins). */
  readonly recentRuns: (actor: Actor, perRule: number) => Effect.Effect<ReadonlyArray<AutomationRun>, Forbidden>;
  /**
   * A dry run of a rule as written (nothing stored; InvalidInput at the field as on save): the
   * conversations it would act on now. A time rule: the spells already past its wait (not
   * snoozed), as a new rule would take them. An event rule: the open and pending conversations
   * whose conditions hold now, as if its event came now (the latest visitor message as the text).
   * With `ruleId` (an edit of a saved rule on the same trigger), a time rule starts where that
   * rule's pass stands: the spells it has already looked at, and acted on, are not listed again.
   */
  readonly preview: (actor: Actor, input: unknown, ruleId?: string) => Effect.Effect<RulePreview, Forbidden | InvalidInput>;
  /** One pass over the new events; resolves with what it did. */
  readonly runPass: () => Effect.Effect<AutomationPassResult>;
  /** Asks the loop for a pass now. */
  readonly wake: () => void;
  /** Starts the loop (a first pass at once, then every `intervalMs`); returns its stop. */
  readonly start: (intervalMs?: number) => () => void;
}

export class Automation extends Context.Tag("Automation")<Automation, AutomationShape>() {}

// ---------------------------------------------------------------------------------------------
// Pure parts

/** What the conditions look at, about one conversation at one event. */
export interface RuleFacts {
  readonly inboxId: string;
  readonly channelId: string;
  readonly channelKind: string;
  /** The visitor's message: the event's own, else the conversation's latest (null: none). */
  readonly text: string | null;
  /** That message's email subject (null: not an email). */
  readonly subject: string | null;
  readonly labelIds: ReadonlySet<string>;
  readonly contactKnown: boolean;
  /** The chat's page address (null for other channels). */
  readonly pageUrl: string | null;
  /** Whether the workspace is open now (true when it has no business hours). */
  readonly businessOpen: boolean;
  /** The target a `response-overdue` event says was missed (null for every other trigger). */
  readonly missedTarget: MissedTarget | null;
}

/** True when `text` contains any of `words`, whatever their case in any script. Pure. */
export const containsAny = (text: string | null, words: ReadonlyArray<string>): boolean => {
  if (text === null) return false;
  const haystack = nameKey(text);
  return words.some((w) => haystack.includes(nameKey(w)));
};

/** True when one condition holds for the facts. Pure. */
export const conditionHolds = (condition: RuleCondition, facts: RuleFacts): boolean => {
  switch (condition.type) {
    case "inbox-is":
      return facts.inboxId === condition.inboxId;
    case "inbox-is-not":
      return facts.inboxId !== condition.inboxId;
    case "channel-kind-is":
      return facts.channelKind === condition.kind;
    case "channel-is":
      return facts.channelId === condition.channelId;
    case "message-contains":
      return containsAny(facts.text, condition.words);
    case "subject-contains":
      return containsAny(facts.subject, condition.words);
    case "label-present":
      return facts.labelIds.has(condition.labelId);
    case "label-absent":
      return !facts.labelIds.has(condition.labelId);
    case "contact-known":
      return facts.contactKnown;
    case "contact-unknown":
      return !facts.contactKnown;
    case "page-url-contains":
      return facts.channelKind === "chat" && containsAny(facts.pageUrl, [condition.text]);
    case "business-hours-open":
      return facts.businessOpen;
    case "business-hours-closed":
      return !facts.businessOpen;
    case "missed-target-is":
      return facts.missedTarget === condition.target;
  }
};

/** True when every condition holds (no conditions: always). Pure. */
export const ruleMatches = (conditions: ReadonlyArray<RuleCondition>, facts: RuleFacts): boolean => conditions.every((c) => conditionHolds(c, facts));

/** The trigger an event of the log is, or null. Pure. */
export const triggerOf = (type: string, data: Record<string, unknown>): AutomationTrigger | null => {
  switch (type) {
    case "conversation_created":
      return "conversation-created";
    case "handoff":
    case "agent_took_over":
      return "handed-off";
    case "message_created":
      return data.author === "visitor" && data.internal !== true ? "visitor-message" : null;
    case "status_changed":
      return data.to === "closed" ? "conversation-closed" : data.from === "closed" ? "conversation-reopened" : null;
    case "response_overdue":
      return "response-overdue";
    default:
      return null;
  }
};

/** True when the Automation user made the event: such events never trigger rules (no loops). Pure. */
export const madeByAutomation = (userId: string | null, data: Record<string, unknown>): boolean =>
  userId === AUTOMATION_ACTOR.id || data.by === AUTOMATION_ACTOR.id;

/** True when the workspace is open at `at` (always, when it has no hours). Pure. */
export const businessOpenAt = (hours: BusinessHours, at: number): boolean => hours.hours.length === 0 || businessIntervals(hours, at, at + 1).length > 0;

const SOURCE_TYPES = ["conversation_created", "handoff", "agent_took_over", "message_created", "status_changed", "response_overdue"] as const;

/** The missed target a `response_overdue` event's data names, or null. Pure. */
const missedTargetOf = (data: Record<string, unknown>): MissedTarget | null =>
  (MISSED_TARGETS as ReadonlyArray<unknown>).includes(data.kind) ? (data.kind as MissedTarget) : null;

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** A failed action's reason, from the single action's error. Pure. */
const reasonOf = (error: unknown): string => {
  const e = error as { readonly _tag?: string; readonly message?: string; readonly entity?: string; readonly issues?: ReadonlyArray<{ readonly message: string }> };
  switch (e._tag) {
    case "InvalidInput":
      return e.issues?.[0]?.message ?? "not allowed";
    case "NotFound":
      return `the ${e.entity ?? "thing it names"} no longer exists`;
    case "Conflict":
    case "Forbidden":
      return (e.message ?? "does not apply").replace(/\.$/, "");
    default:
      return `unexpected error: ${String(error)}`;
  }
};

// ---------------------------------------------------------------------------------------------
// Rows

interface Row {
  readonly id: string;
  readonly name: string;
  readonly enabled: number;
  readonly position: number;
  readonly trigger: string;
  readonly wait_amount: number | null;
  readonly wait_unit: string | null;
  readonly wait_business_hours: number;
  readonly conditions: string;
  readonly actions: string;
  readonly starts_after_event_id: number;
  readonly due_after_at: number;
  readonly due_after_id: string;
  readonly last_run_at: number | null;
  readonly last_error: string | null;
  readonly last_error_at: number | null;
  readonly updated_at: number;
}

const COLUMNS =
  "id, name, enabled, position, trigger, wait_amount, wait_unit, wait_business_hours, conditions, actions, starts_after_event_id, due_after_at, due_after_id, last_run_at, last_error, last_error_at, updated_at";
const decodeWait = S.decodeUnknownEither(RuleWait);

/** The columns an admin's input writes, and their values in that order. */
const STORED_COLUMNS = "name, enabled, trigger, wait_amount, wait_unit, wait_business_hours, conditions, actions";
const storedValues = (input: RuleInput, enabled: boolean) =>
  [
    input.name,
    enabled ? 1 : 0,
    input.trigger,
    input.wait?.amount ?? null,
    input.wait?.unit ?? null,
    input.wait?.businessHours === true ? 1 : 0,
    JSON.stringify(input.conditions),
    JSON.stringify(input.actions),
  ] as const;
const decodeConditions = S.decodeUnknownEither(S.parseJson(S.Array(RuleCondition)));
const decodeActions = S.decodeUnknownEither(S.parseJson(S.Array(RuleAction)));

const toRule = (row: Row): AutomationRule => ({
  id: row.id,
  name: row.name,
  enabled: row.enabled === 1,
  position: row.position,
  // Written through RuleInput; a hand-edited row that does not decode runs nothing rather than failing the pass.
  trigger: isTrigger(row.trigger) ? row.trigger : "conversation-created",
  // A time rule whose wait does not decode has none, and the pass leaves it alone.
  wait: row.wait_amount === null ? null : Either.getOrNull(decodeWait({ amount: row.wait_amount, unit: row.wait_unit, businessHours: row.wait_business_hours === 1 })),
  conditions: Either.getOrElse(decodeConditions(row.conditions), () => [] as ReadonlyArray<RuleCondition>),
  actions: Either.getOrElse(decodeActions(row.actions), () => [] as ReadonlyArray<RuleAction>),
  lastRunAt: row.last_run_at,
  lastError: row.last_error === null || row.last_error_at === null ? null : { message: row.last_error, at: row.last_error_at },
  updatedAt: row.updated_at,
});

/** A conversation in a spell a time rule watches: since when, and whether a person snoozed it. */
interface SpellRow {
  readonly id: string;
  readonly since: number;
  readonly snoozed_until: number | null;
}

/** A conversation a dry run looks at: a time rule's spell (since when), or an open or pending one (no spell). */
interface Candidate {
  readonly id: string;
  readonly since: number | null;
  readonly snoozed_until: number | null;
}

/**
 * The spells of each time trigger that reached `@until`, after the rule's place (`@afterAt`,
 * `@afterId`), oldest first. Pending: the partial index of pending conversations (migration 39).
 * Unassigned: the partial index of conversations in an unassigned spell (migration 47).
 * Waiting: the inbox index (inbox, status, waiting_since), one range per inbox. A pending
 * conversation never waits (marking it pending ends the wait; the visitor's message opens it).
 */
export const SPELL_SQL: Readonly<Record<TimeTrigger, string>> = {
  // Indexes (and, for waiting, the join order: inbox by inbox) named: without statistics the planner
  // takes (status, last_activity_at) and reads every pending or open row.
  "pending-for": `SELECT id, pending_since AS since, snoozed_until FROM conversations INDEXED BY conversations_pending_since
     WHERE status = 'pending' AND pending_since <= @until AND pending_since >= @afterAt AND (pending_since > @afterAt OR id > @afterId) AND is_preview = 0
     ORDER BY pending_since, id LIMIT @limit`,
  "waiting-for": `SELECT c.id, c.waiting_since AS since, c.snoozed_until FROM inboxes i CROSS JOIN conversations c INDEXED BY conversations_inbox_status ON c.inbox_id = i.id
     WHERE c.status = 'open' AND c.waiting_since <= @until AND c.waiting_since >= @afterAt AND (c.waiting_since > @afterAt OR c.id > @afterId)
       AND c.is_preview = 0
     ORDER BY c.waiting_since, c.id LIMIT @limit`,
  // Only open and pending conversations without a person have an `unassigned_since` (migration 47);
  // the status test is the column's rule said again, so a row some writer got wrong is not acted on.
  "unassigned-for": `SELECT id, unassigned_since AS since, snoozed_until FROM conversations INDEXED BY conversations_unassigned_since
     WHERE unassigned_since IS NOT NULL AND unassigned_since <= @until AND unassigned_since >= @afterAt AND (unassigned_since > @afterAt OR id > @afterId)
       AND status IN ('open', 'pending') AND is_preview = 0
     ORDER BY unassigned_since, id LIMIT @limit`,
};

interface RunRow {
  readonly id: number;
  readonly rule_id: string;
  readonly conversation_id: string;
  readonly event_id: number | null;
  readonly spell_started_at: number | null;
  readonly at: number;
  readonly outcome: "done" | "failed";
  readonly error: string | null;
}

const toRun = (row: RunRow): AutomationRun => ({
  id: row.id,
  ruleId: row.rule_id,
  conversationId: row.conversation_id,
  trigger: row.event_id !== null ? { kind: "event", eventId: row.event_id } : { kind: "spell", startedAt: row.spell_started_at ?? 0 },
  at: row.at,
  outcome: row.outcome,
  error: row.error,
});

interface EventRow {
  readonly id: number;
  readonly type: string;
  readonly conversation_id: string | null;
  readonly user_id: string | null;
  readonly data: string | null;
}

// ---------------------------------------------------------------------------------------------
// The service

const adminOnly = (actor: Actor) =>
  actor.role === "admin" ? Effect.void : Effect.fail(new Forbidden({ message: "Only admins can manage automation rules." }));

export interface AutomationDeps {
  readonly db: DatabaseShape;
  readonly inbox: InboxShape;
  readonly labels: LabelsShape;
  readonly snoozes: SnoozesShape;
  readonly routing: RoutingShape;
  /** The workspace's business hours and time zone, as the reports read them. */
  readonly businessHours: () => Effect.Effect<BusinessHours>;
}

/** The Automation service over the store and the single actions it runs (exported for tests). */
export const makeAutomation = (deps: AutomationDeps): AutomationShape => {
  const { db, inbox, labels, snoozes, routing } = deps;
  const prepare = db.prepare;
  const actor = AUTOMATION_ACTOR;

  const readRow = (id: string) => prepare(`SELECT ${COLUMNS} FROM automation_rules WHERE id = ?`).get(id) as Row | undefined;
  const existing = (id: string): Effect.Effect<Row, NotFound> =>
    Effect.suspend(() => {
      const row = readRow(id);
      return row ? Effect.succeed(row) : Effect.fail(new NotFound({ entity: "automation rule", id }));
    });
  const allRules = () => (prepare(`SELECT ${COLUMNS} FROM automation_rules ORDER BY position, id`).all() as Row[]).map(toRule);
  const logEnd = () => (prepare("SELECT COALESCE((SELECT max(id) FROM events), 0) AS id").get() as { id: number }).id;

  const exists = (sql: string, id: string) => prepare(sql).get(id) !== undefined;

  /** The input's references, each checked against the workspace; the first unknown one at its path. */
  const checkReferences = (input: RuleInput): InvalidInput | null => {
    for (const [i, c] of input.conditions.entries()) {
      const at = `conditions[${i}]`;
      if ((c.type === "inbox-is" || c.type === "inbox-is-not") && !exists("SELECT 1 FROM inboxes WHERE id = ?", c.inboxId)) return invalid(`${at}.inboxId`, "no such inbox");
      if (c.type === "channel-is" && !exists("SELECT 1 FROM channels WHERE id = ?", c.channelId)) return invalid(`${at}.channelId`, "no such channel");
      if ((c.type === "label-present" || c.type === "label-absent") && !exists("SELECT 1 FROM labels WHERE id = ?", c.labelId)) return invalid(`${at}.labelId`, "no such label");
    }
    for (const [i, a] of input.actions.entries()) {
      const at = `actions[${i}]`;
      if ((a.type === "add-label" || a.type === "remove-label") && !exists("SELECT 1 FROM labels WHERE id = ?", a.labelId)) return invalid(`${at}.labelId`, "no such label");
      if (a.type === "assign") {
        const user = prepare("SELECT id, role, disabled_at FROM users WHERE id = ?").get(a.userId) as (Actor & { disabled_at: number | null }) | undefined;
        if (user === undefined || user.id === AUTOMATION_ACTOR.id) return invalid(`${at}.userId`, "no such person");
        if (user.disabled_at !== null || !worksInInboxes(user)) return invalid(`${at}.userId`, "this person does not work in inboxes");
      }
      if (a.type === "assign-team" && !exists("SELECT 1 FROM teams WHERE id = ?", a.teamId)) return invalid(`${at}.teamId`, "no such team");
      if (a.type === "reply" && !exists("SELECT 1 FROM saved_replies WHERE id = ?", a.savedReplyId)) return invalid(`${at}.savedReplyId`, "no such saved reply");
    }
    return null;
  };

  const decode = Effect.fn("Automation.decode")(function* (raw: unknown) {
    const input = yield* decodeInput(RuleInput, raw);
    if (isTimeTrigger(input.trigger) && input.wait === undefined) return yield* Effect.fail(invalid("wait", "a time trigger needs a wait (how long)"));
    if (!isTimeTrigger(input.trigger) && input.wait !== undefined) return yield* Effect.fail(invalid("wait", "only a time trigger (pending for, waiting for, unassigned for) has a wait"));
    const misplaced = input.conditions.findIndex((c) => c.type === "missed-target-is");
    if (misplaced >= 0 && input.trigger !== "response-overdue") {
      return yield* Effect.fail(invalid(`conditions[${misplaced}].type`, "only the “Response target missed” trigger has a missed target"));
    }
    const issue = checkReferences(input);
    if (issue !== null) return yield* Effect.fail(issue);
    return input;
  });

  /**
   * Inside a write that enables a rule: when no other rule is enabled the pass has not been
   * reading, so its cursor jumps to the log's end instead of walking the history.
   */
  const catchUpCursorIfIdle = (exceptId: string, end: number) => {
    const others = prepare(
      `SELECT count(*) AS n FROM automation_rules WHERE enabled = 1 AND id <> ? AND trigger NOT IN (${TIME_TRIGGERS.map((t) => `'${t}'`).join(", ")})`,
    ).get(exceptId) as { n: number };
    if (others.n === 0) prepare("UPDATE automation_cursor SET after_event_id = max(after_event_id, ?) WHERE id = 1").run(end);
  };

  const create: AutomationShape["create"] = Effect.fn("Automation.create")(function* (admin, raw) {
    yield* adminOnly(admin);
    const input = yield* decode(raw);
    const id = newId("rule");
    const audit = yield* auditActorAs(admin.id);
    yield* Effect.orDie(
      db.writeEffect((sqlite) => {
        const now = wallClock.now();
        ensureAutomationUser(prepare, now);
        const end = logEnd();
        if (input.enabled && !isTimeTrigger(input.trigger)) catchUpCursorIfIdle(id, end);
        const position = (prepare("SELECT COALESCE(max(position), 0) + 1 AS p FROM automation_rules").get() as { p: number }).p;
        // A time rule starts at the first spell: conversations already past its wait are acted on (decision 038).
        prepare(
          `INSERT INTO automation_rules (${STORED_COLUMNS}, id, position, starts_after_event_id, created_by, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(...storedValues(input, input.enabled), id, position, end, admin.id, now, now);
        recordAudit(sqlite, now, audit, { action: "automation.rule_created", target: { type: "automation_rule", id, label: input.name }, data: { trigger: input.trigger, enabled: input.enabled } });
      }),
    );
    return toRule(readRow(id)!);
  });

  /** Writes `enabled` (and the rest, when given); a rule turned on hears events from now on. */
  const applyUpdate = (id: string, enabled: boolean, input: RuleInput | null, audit: AuditActor) =>
    Effect.orDie(
      db.writeEffect((sqlite) => {
        const before = prepare("SELECT enabled, trigger, name FROM automation_rules WHERE id = ?").get(id) as { enabled: number; trigger: string; name: string } | undefined;
        if (before === undefined) return false;
        const now = wallClock.now();
        ensureAutomationUser(prepare, now);
        // Turned on, or on another trigger: it hears events from now on (the event pass reads only while an event rule is on).
        if (enabled && (before.enabled === 0 || (input !== null && input.trigger !== before.trigger))) {
          const end = logEnd();
          if (!isTimeTrigger(input?.trigger ?? before.trigger)) catchUpCursorIfIdle(id, end);
          prepare("UPDATE automation_rules SET starts_after_event_id = ? WHERE id = ?").run(end, id);
        }
        if (input === null) prepare("UPDATE automation_rules SET enabled = ?, updated_at = ? WHERE id = ?").run(enabled ? 1 : 0, now, id);
        else {
          prepare(
            `UPDATE automation_rules SET ${STORED_COLUMNS.split(", ").map((c) => `${c} = ?`).join(", ")}, last_error = NULL, last_error_at = NULL, updated_at = ?
              WHERE id = ?`,
          ).run(...storedValues(input, enabled), now, id);
          // Another kind of spell: start again at the first one. A new wait keeps the place (a
          // shorter one reaches the spells between the two waits, a longer one waits for time to).
          if (input.trigger !== before.trigger) prepare("UPDATE automation_rules SET due_after_at = 0, due_after_id = '' WHERE id = ?").run(id);
        }
        const target = { type: "automation_rule", id, label: input?.name ?? before.name };
        if (input !== null) recordAudit(sqlite, now, audit, { action: "automation.rule_updated", target, data: { trigger: input.trigger, enabled } });
        else if ((before.enabled === 1) !== enabled) recordAudit(sqlite, now, audit, { action: enabled ? "automation.rule_enabled" : "automation.rule_disabled", target });
        return true;
      }),
    );

  const update: AutomationShape["update"] = Effect.fn("Automation.update")(function* (admin, id, raw) {
    yield* adminOnly(admin);
    yield* existing(id);
    const input = yield* decode(raw);
    if (!(yield* applyUpdate(id, input.enabled, input, yield* auditActorAs(admin.id)))) return yield* Effect.fail(new NotFound({ entity: "automation rule", id }));
    return toRule(readRow(id)!);
  });

  const setEnabled: AutomationShape["setEnabled"] = Effect.fn("Automation.setEnabled")(function* (admin, id, enabled) {
    yield* adminOnly(admin);
    if (!(yield* applyUpdate(id, enabled, null, yield* auditActorAs(admin.id)))) return yield* Effect.fail(new NotFound({ entity: "automation rule", id }));
    return toRule(readRow(id)!);
  });

  const move: AutomationShape["move"] = Effect.fn("Automation.move")(function* (admin, id, direction) {
    yield* adminOnly(admin);
    const found = yield* Effect.orDie(
      db.writeEffect(() => {
        const row = prepare("SELECT id, position FROM automation_rules WHERE id = ?").get(id) as { id: string; position: number } | undefined;
        if (row === undefined) return false;
        const neighbour = prepare(
          direction === "up"
            ? "SELECT id, position FROM automation_rules WHERE position < ? OR (position = ? AND id < ?) ORDER BY position DESC, id DESC LIMIT 1"
            : "SELECT id, position FROM automation_rules WHERE position > ? OR (position = ? AND id > ?) ORDER BY position, id LIMIT 1",
        ).get(row.position, row.position, row.id) as { id: string; position: number } | undefined;
        if (neighbour === undefined) return true;
        // Equal positions (none are written, but a hand edit could) still swap: the order is by (position, id).
        const [a, b] = neighbour.position === row.position ? (direction === "up" ? [row.position - 1, row.position] : [row.position + 1, row.position]) : [neighbour.position, row.position];
        prepare("UPDATE automation_rules SET position = ? WHERE id = ?").run(a, row.id);
        prepare("UPDATE automation_rules SET position = ? WHERE id = ?").run(b, neighbour.id);
        return true;
      }),
    );
    if (!found) return yield* Effect.fail(new NotFound({ entity: "automation rule", id }));
    return allRules();
  });

  const remove: AutomationShape["remove"] = Effect.fn("Automation.remove")(function* (admin, id) {
    yield* adminOnly(admin);
    const audit = yield* auditActorAs(admin.id);
    const changes = yield* Effect.orDie(
      db.writeEffect((sqlite) => {
        const gone = prepare("DELETE FROM automation_rules WHERE id = ? RETURNING name").get(id) as { name: string } | undefined;
        if (gone !== undefined) recordAudit(sqlite, wallClock.now(), audit, { action: "automation.rule_deleted", target: { type: "automation_rule", id, label: gone.name } });
        return gone === undefined ? 0 : 1;
      }),
    );
    if (changes === 0) return yield* Effect.fail(new NotFound({ entity: "automation rule", id }));
  });

  // ---------------------------------------------------------------------------------------------
  // The pass

  /** The facts about a conversation at an event, read now; null when the conversation is gone. */
  const factsOf = (conversationId: string, messageId: number | null, open: boolean, missedTarget: MissedTarget | null = null): RuleFacts | null => {
    const c = prepare(
      `SELECT c.inbox_id, c.channel_id, c.contact_id, c.page_url, ch.kind FROM conversations c JOIN channels ch ON ch.id = c.channel_id WHERE c.id = ?`,
    ).get(conversationId) as { inbox_id: string; channel_id: string; contact_id: string | null; page_url: string | null; kind: string } | undefined;
    if (c === undefined) return null;
    const message = (
      messageId !== null
        ? prepare("SELECT text, payload FROM messages WHERE id = ? AND conversation_id = ?").get(messageId, conversationId)
        : prepare("SELECT text, payload FROM messages WHERE conversation_id = ? AND author = 'visitor' AND is_internal = 0 ORDER BY id DESC LIMIT 1").get(
            conversationId,
          )
    ) as { text: string; payload: string | null } | undefined;
    const payload = message?.payload ? parseJsonObject(message.payload) : {};
    const labelIds = new Set(
      (prepare("SELECT label_id FROM conversation_labels WHERE conversation_id = ?").all(conversationId) as Array<{ label_id: string }>).map((r) => r.label_id),
    );
    return {
      inboxId: c.inbox_id,
      channelId: c.channel_id,
      channelKind: c.kind,
      text: message?.text ?? null,
      subject: c.kind === "email" && typeof payload.subject === "string" ? payload.subject : null,
      labelIds,
      contactKnown: c.contact_id !== null,
      pageUrl: c.kind === "chat" ? c.page_url : null,
      businessOpen: open,
      missedTarget,
    };
  };

  /** True while the wait a `response_overdue` event names goes on (not answered, closed or snoozed since). */
  const stillOverdue = (conversationId: string, data: Record<string, unknown>) =>
    prepare("SELECT 1 FROM conversations WHERE id = ? AND waiting_since = ? AND status IN ('open', 'pending') AND snoozed_until IS NULL").get(
      conversationId,
      Number(data.waitingSince),
    ) !== undefined;

  const conversationNow = (id: string) =>
    prepare("SELECT status, version, assignee_id, team_id FROM conversations WHERE id = ?").get(id) as
      | { status: "bot" | "open" | "pending" | "closed"; version: number; assignee_id: string | null; team_id: string | null }
      | undefined;

  /** Runs one action through its single action; fails with the reason when it could not apply. */
  const runAction = (
    action: RuleAction,
    conversationId: string,
    key: string,
    timeZone: string,
  ): Effect.Effect<void, string> =>
    Effect.suspend((): Effect.Effect<unknown, unknown> => {
      const now = conversationNow(conversationId);
      if (now === undefined) return Effect.fail(new NotFound({ entity: "conversation", id: conversationId }));
      switch (action.type) {
        case "add-label":
          return labels.addToConversation(actor, conversationId, { labelId: action.labelId });
        case "remove-label":
          return labels.removeFromConversation(actor, conversationId, { labelId: action.labelId });
        case "assign":
          return now.assignee_id === action.userId ? Effect.void : inbox.assign(conversationId, { userId: action.userId }, now.version, actor);
        case "assign-team":
          return now.team_id === action.teamId ? Effect.void : inbox.assign(conversationId, { teamId: action.teamId }, now.version, actor);
        case "route":
          return routing.routeConversation(conversationId, { type: "routing" });
        case "set-status":
          // Already there is what the rule asked: nothing to do (and a retried pass does nothing twice).
          return now.status === action.status ? Effect.void : inbox[statusMoveTo(action.status, now.status)](conversationId, now.version, actor);
        case "snooze":
          return snoozes.snooze(conversationId, { until: wallClock.now() + action.minutes * 60_000, timeZone }, now.version, actor);
        case "comment":
          // One id per rule, event and step: a pass retried after a crash stores the comment once.
          return inbox.comment({ conversationId, text: action.text, clientMessageId: key }, actor);
        case "reply": {
          const saved = prepare("SELECT text FROM saved_replies WHERE id = ?").get(action.savedReplyId) as { text: string } | undefined;
          if (saved === undefined) return Effect.fail(new NotFound({ entity: "saved reply", id: action.savedReplyId }));
          return inbox.reply({ conversationId, text: saved.text, clientMessageId: key }, actor);
        }
      }
    }).pipe(
      Effect.asVoid,
      Effect.mapError(reasonOf),
      Effect.catchAllDefect((defect) => Effect.fail(reasonOf(defect))),
    );

  /**
   * Runs a rule's actions in order; resolves with the failures (“Action 2: …”), the others done.
   * `occurrence` (the event id, or the spell) keys its comments and replies, so a rerun stores them once.
   */
  const runRule = (rule: AutomationRule, conversationId: string, occurrence: string, timeZone: string) =>
    Effect.forEach(rule.actions, (action, i) =>
      runAction(action, conversationId, `rule:${rule.id}:${occurrence}:${i}`, timeZone).pipe(
        Effect.as(null),
        Effect.catchAll((reason) => Effect.succeed(`Action ${i + 1} (${action.type}): ${reason}`)),
      ),
    ).pipe(
      Effect.map((outcomes) => outcomes.filter((o): o is string => o !== null)),
      // The single actions name this rule in the events and thread lines they write (decision 044).
      asRule(rule),
    );

  const readCursor = () => (prepare("SELECT after_event_id FROM automation_cursor WHERE id = 1").get() as { after_event_id: number }).after_event_id;
  const moveCursor = (to: number) => prepare("UPDATE automation_cursor SET after_event_id = max(after_event_id, ?) WHERE id = 1").run(to);

  /** Inside a write: the rule's run (its conditions held) and its last run / error; keeps the last RUNS_KEPT_PER_RULE. */
  const recordRun = (
    ruleId: string,
    conversationId: string,
    trigger: { readonly eventId: number | null; readonly spellStartedAt: number | null },
    errors: ReadonlyArray<string>,
    at: number,
  ) => {
    const error = errors.length === 0 ? null : cut(errors.join("; "), MAX_ERROR);
    if (error === null) prepare("UPDATE automation_rules SET last_run_at = ? WHERE id = ?").run(at, ruleId);
    else prepare("UPDATE automation_rules SET last_run_at = ?, last_error = ?, last_error_at = ? WHERE id = ?").run(at, error, at, ruleId);
    // A rule deleted while it ran records nothing; a rerun after a crash replaces its run.
    prepare(
      `INSERT OR REPLACE INTO automation_runs (rule_id, conversation_id, event_id, spell_started_at, at, outcome, error)
       SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM automation_rules WHERE id = ?) AND EXISTS (SELECT 1 FROM conversations WHERE id = ?)`,
    ).run(ruleId, conversationId, trigger.eventId, trigger.spellStartedAt, at, error === null ? "done" : "failed", error, ruleId, conversationId);
    prepare(
      `DELETE FROM automation_runs WHERE rule_id = ?
         AND id < (SELECT id FROM automation_runs WHERE rule_id = ? ORDER BY id DESC LIMIT 1 OFFSET ${RUNS_KEPT_PER_RULE - 1})`,
    ).run(ruleId, ruleId);
  };

  const empty: AutomationPassResult = { events: 0, spells: 0, fired: 0, failed: 0 };

  /** The event rules over the log's new events (decision 035). */
  const eventPass = (
    rules: ReadonlyArray<{ readonly rule: AutomationRule; readonly after: number }>,
    businessHours: Effect.Effect<BusinessHours>,
  ): Effect.Effect<AutomationPassResult> =>
    Effect.gen(function* () {
      if (rules.length === 0) return empty;
      const cursor = readCursor();
      const end = logEnd();
      // Nothing new: no write (a commit every second would compete with the engine's).
      if (end <= cursor) return empty;
      const to = Math.min(end, cursor + EVENTS_PER_PASS);
      const wanted = SOURCE_TYPES.map(() => "?").join(", ");
      const events = prepare(
        `SELECT id, type, conversation_id, user_id, data FROM events
          WHERE id > ? AND id <= ? AND is_preview = 0 AND conversation_id IS NOT NULL AND type IN (${wanted}) ORDER BY id`,
      ).all(cursor, to, ...SOURCE_TYPES) as EventRow[];
      const hours = yield* businessHours;
      let seen = 0;
      let fired = 0;
      let failed = 0;
      for (const event of events) {
        const data = event.data === null ? {} : parseJsonObject(event.data);
        const trigger = triggerOf(event.type, data);
        if (trigger === null || madeByAutomation(event.user_id, data)) continue;
        const candidates = rules.filter((r) => r.rule.trigger === trigger && event.id > r.after);
        if (candidates.length === 0) continue;
        const conversationId = event.conversation_id!;
        // Read after the fact: a wait answered (or closed, snoozed) since it fell overdue needs no escalation.
        if (trigger === "response-overdue" && !stillOverdue(conversationId, data)) continue;
        seen++;
        const messageId = trigger === "visitor-message" && data.messageId !== undefined ? Number(data.messageId) : null;
        const open = businessOpenAt(hours, wallClock.now());
        const ran: Array<{ readonly id: string; readonly errors: ReadonlyArray<string> }> = [];
        for (const { rule } of candidates) {
          // Read again before each rule: an earlier rule's actions (a label) are what the next one sees.
          const facts = factsOf(conversationId, messageId, open, trigger === "response-overdue" ? missedTargetOf(data) : null);
          if (facts === null || !ruleMatches(rule.conditions, facts)) continue;
          const errors = yield* runRule(rule, conversationId, String(event.id), hours.timezone);
          ran.push({ id: rule.id, errors });
          fired++;
          failed += errors.length;
        }
        if (ran.length === 0) continue;
        // The rules' runs and the cursor past this event, in one write.
        yield* Effect.orDie(
          db.writeEffect(() => {
            const at = wallClock.now();
            for (const r of ran) recordRun(r.id, conversationId, { eventId: event.id, spellStartedAt: null }, r.errors, at);
            moveCursor(event.id);
          }),
        );
      }
      if (readCursor() < to) yield* Effect.orDie(db.writeEffect(() => moveCursor(to)));
      if (to < end) loop.wake();
      return { ...empty, events: seen, fired, failed };
    });

  /**
   * A business-hours rule's due instant for a spell, remembered per rule for the last spell asked
   * about: a rule waiting at a spell not yet due asks again every pass, and 90 business days take
   * a few milliseconds to count. A new spell, wait or set of hours computes it again.
   */
  const lastDue = new Map<string, { readonly key: string; readonly due: number }>();
  const businessDueAt = (ruleId: string, wait: RuleWait, hours: BusinessHours, spell: SpellRow): number => {
    const key = `${spell.id}\u0000${spell.since}\u0000${wait.amount} ${wait.unit}\u0000${JSON.stringify(hours)}`;
    const known = lastDue.get(ruleId);
    if (known !== undefined && known.key === key) return known.due;
    const due = waitDueAt(wait, hours, spell.since);
    lastDue.set(ruleId, { key, due });
    return due;
  };

  /** Moves a time rule past a spell it has looked at (inside a write). */
  const moveDue = (ruleId: string, spell: SpellRow) =>
    prepare("UPDATE automation_rules SET due_after_at = ?, due_after_id = ? WHERE id = ?").run(spell.since, spell.id, ruleId);

  /**
   * One time rule: the spells that reached its wait since it last looked, oldest first, from
   * the partial index of pending conversations or the inbox index's waiting times. Each one
   * runs the rule at most once (the place moves past it; its run is unique per spell).
   */
  const spellPass = (entry: { readonly rule: AutomationRule; readonly dueAt: number; readonly dueId: string }, businessHours: Effect.Effect<BusinessHours>) =>
    Effect.gen(function* () {
      const { rule } = entry;
      if (rule.wait === null || !isTimeTrigger(rule.trigger)) return empty;
      const trigger = rule.trigger;
      const wait = rule.wait;
      const now = wallClock.now();
      const spells = prepare(SPELL_SQL[trigger]).all({ until: now - waitScanMs(wait), afterAt: entry.dueAt, afterId: entry.dueId, limit: SPELLS_PER_PASS }) as SpellRow[];
      if (spells.length === 0) return empty;
      const hours = yield* businessHours;
      const open = businessOpenAt(hours, now);
      let fired = 0;
      let failed = 0;
      let looked = 0;
      let unsaved: SpellRow | null = null;
      for (const spell of spells) {
        // Business time: a spell the scan found may not have reached its wait yet. Its due instant
        // never comes before a later spell's, so none after it has either: stop here, and the
        // place stays before it (moving past it would pass it by for good).
        if (wait.businessHours && businessDueAt(rule.id, wait, hours, spell) > now) break;
        looked++;
        const ranBefore = prepare("SELECT 1 FROM automation_runs WHERE rule_id = ? AND conversation_id = ? AND spell_started_at = ?").get(rule.id, spell.id, spell.since);
        // A snoozed conversation is set aside by a person until its time: no rule acts on it meanwhile.
        const facts = ranBefore !== undefined || spell.snoozed_until !== null ? null : factsOf(spell.id, null, open);
        if (facts === null || !ruleMatches(rule.conditions, facts)) {
          unsaved = spell;
          continue;
        }
        const errors = yield* runRule(rule, spell.id, `${trigger}:${spell.since}`, hours.timezone);
        fired++;
        failed += errors.length;
        // The run and the rule's place past this spell, in one write: after a crash before it, the spell runs again (idempotent actions).
        yield* Effect.orDie(
          db.writeEffect(() => {
            recordRun(rule.id, spell.id, { eventId: null, spellStartedAt: spell.since }, errors, wallClock.now());
            moveDue(rule.id, spell);
          }),
        );
        unsaved = null;
      }
      const last = unsaved;
      if (last !== null) yield* Effect.orDie(db.writeEffect(() => moveDue(rule.id, last)));
      // A full page looked at: more may be due now. One that stopped at a spell not yet due waits for time.
      if (looked === SPELLS_PER_PASS) loop.wake();
      return { ...empty, spells: looked, fired, failed };
    });

  const pass = (): Effect.Effect<AutomationPassResult> =>
    Effect.gen(function* () {
      // No enabled rule: one read, no write (the cursor catches up when one is enabled).
      const rows = prepare(`SELECT ${COLUMNS} FROM automation_rules WHERE enabled = 1 ORDER BY position, id`).all() as Row[];
      if (rows.length === 0) return empty;
      // Read once, and only when a trigger came: an idle pass reads no settings.
      let hours: BusinessHours | null = null;
      const businessHours = Effect.suspend(() =>
        hours !== null ? Effect.succeed(hours) : Effect.tap(deps.businessHours(), (read) => Effect.sync(() => void (hours = read))),
      );
      const entries = rows.map((row) => ({ rule: toRule(row), after: row.starts_after_event_id, dueAt: row.due_after_at, dueId: row.due_after_id }));
      const outcomes = [yield* eventPass(entries.filter((e) => !isTimeTrigger(e.rule.trigger)), businessHours)];
      for (const entry of entries) if (isTimeTrigger(entry.rule.trigger)) outcomes.push(yield* spellPass(entry, businessHours));
      return outcomes.reduce((a, b) => ({ events: a.events + b.events, spells: a.spells + b.spells, fired: a.fired + b.fired, failed: a.failed + b.failed }), empty);
    });

  const loop = makePassLoop("Automation", () => db.sqlite.open, pass);

  /** The candidates of a dry run, in the order the pass (or the inbox) would meet them; at most PREVIEW_LOOKED. */
  const previewCandidates = (
    input: RuleInput,
    hours: BusinessHours,
    now: number,
    start: { readonly at: number; readonly id: string },
  ): { readonly spells: ReadonlyArray<Candidate>; readonly more: boolean } => {
    const wait = input.wait ?? null;
    if (wait !== null && isTimeTrigger(input.trigger)) {
      const spells: SpellRow[] = [];
      let after = start;
      for (;;) {
        const page = prepare(SPELL_SQL[input.trigger]).all({ until: now - waitScanMs(wait), afterAt: after.at, afterId: after.id, limit: SPELLS_PER_PASS }) as SpellRow[];
        for (const spell of page) {
          // Due instants never come earlier for a later spell: the first not yet due ends the list.
          if (wait.businessHours && waitDueAt(wait, hours, spell.since) > now) return { spells, more: false };
          if (spells.length === PREVIEW_LOOKED) return { spells, more: true };
          spells.push(spell);
        }
        if (page.length < SPELLS_PER_PASS) return { spells, more: false };
        const last = page[page.length - 1]!;
        after = { at: last.since, id: last.id };
      }
    }
    // Per status through (status, last_activity_at, id): the newest activity first, no sort of every open row.
    const newest = (status: "open" | "pending") =>
      prepare(
        `SELECT id, NULL AS since, NULL AS snoozed_until FROM conversations INDEXED BY conversations_status_activity
          WHERE status = ? AND is_preview = 0 ORDER BY last_activity_at DESC, id DESC LIMIT ${PREVIEW_LOOKED / 2 + 1}`,
      ).all(status) as Candidate[];
    const open = newest("open");
    const pending = newest("pending");
    const more = open.length > PREVIEW_LOOKED / 2 || pending.length > PREVIEW_LOOKED / 2;
    return { spells: [...open.slice(0, PREVIEW_LOOKED / 2), ...pending.slice(0, PREVIEW_LOOKED / 2)], more };
  };

  const preview: AutomationShape["preview"] = Effect.fn("Automation.preview")(function* (admin, raw, ruleId) {
    yield* adminOnly(admin);
    const input = yield* decode(raw);
    const hours = yield* deps.businessHours();
    const now = wallClock.now();
    const open = businessOpenAt(hours, now);
    // An edit that keeps the trigger keeps the rule's place (applyUpdate), so the dry run starts there too.
    const saved = ruleId === undefined ? undefined : readRow(ruleId);
    const start = saved !== undefined && saved.trigger === input.trigger ? { at: saved.due_after_at, id: saved.due_after_id } : { at: 0, id: "" };
    const { spells, more } = previewCandidates(input, hours, now, start);
    const matched: Candidate[] = [];
    let looked = 0;
    for (const spell of spells) {
      if (matched.length === PREVIEW_MATCHES) break;
      looked++;
      // As the pass: a snoozed conversation is left alone by time rules.
      if (spell.since !== null && spell.snoozed_until !== null) continue;
      const facts = factsOf(spell.id, null, open);
      if (facts !== null && ruleMatches(input.conditions, facts)) matched.push(spell);
    }
    const matches = matched.flatMap((spell): PreviewMatch[] => {
      const row = prepare(
        `SELECT c.id, c.status, c.last_message_preview, i.name AS inbox, COALESCE(ct.name, ct.email) AS contact
           FROM conversations c JOIN inboxes i ON i.id = c.inbox_id LEFT JOIN contacts ct ON ct.id = c.contact_id WHERE c.id = ?`,
      ).get(spell.id) as { id: string; status: string; last_message_preview: string | null; inbox: string; contact: string | null } | undefined;
      return row === undefined
        ? []
        : [{ conversationId: row.id, status: row.status, inbox: row.inbox, contact: row.contact, lastMessage: row.last_message_preview, since: spell.since }];
    });
    return { matches, looked, capped: more || looked < spells.length };
  });

  return {
    list: (admin) => Effect.map(adminOnly(admin), allRules),
    get: (admin, id) => Effect.zipRight(adminOnly(admin), Effect.map(existing(id), toRule)),
    create,
    update,
    setEnabled,
    move,
    remove,
    preview,
    recentRuns: (admin, perRule) =>
      Effect.map(adminOnly(admin), () =>
        (
          prepare(
            `SELECT id, rule_id, conversation_id, event_id, spell_started_at, at, outcome, error
               FROM (SELECT r.*, row_number() OVER (PARTITION BY rule_id ORDER BY id DESC) AS n FROM automation_runs r)
              WHERE n <= ? ORDER BY rule_id, id DESC`,
          ).all(Math.min(RUNS_KEPT_PER_RULE, Math.max(1, Math.floor(perRule)))) as RunRow[]
        ).map(toRun),
      ),
    runPass: pass,
    wake: loop.wake,
    start: (intervalMs = AUTOMATION_LOOP_MS) => loop.start(intervalMs),
  };
};

/** The Automation service over the app's Database and the single actions. */
export const layer: Layer.Layer<Automation, never, Database | Inbox | Labels | Snoozes | Routing | Reports> = Layer.effect(
  Automation,
  Effect.gen(function* () {
    const reports = yield* Reports;
    return makeAutomation({
      db: yield* Database,
      inbox: yield* Inbox,
      labels: yield* Labels,
      snoozes: yield* Snoozes,
      routing: yield* Routing,
      businessHours: () => reports.businessHours(),
    });
  }),
);
