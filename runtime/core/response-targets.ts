/**
 * Response targets (SLAs) of an inbox — first response and next reply within so many minutes,
 * around the clock or in business hours (the workspace's, or the conversation's team's own:
 * decision 048) — and when a waiting visitor's answer is due. Pure: no clock (`now` comes in),
 * time-zone rules from the platform's `Intl` only.
 * Definitions (docs/decisions/037-response-targets.md):
 * - A conversation nobody has answered yet owes a first response by `firstResponseMinutes`
 *   after the visitor started waiting; one a person has answered owes its next reply by
 *   `nextReplyMinutes` after the visitor's wait started again.
 * - Counting in business hours, the due instant is where the business time since the wait
 *   started reaches the target (a wait from Friday evening is due on Monday).
 * - Due state: "soon" once less than 20% of the target is left in wall time, "overdue" past it.
 */
import { Option, Schema as S } from "effect";
import { businessIntervals, type BusinessHours } from "./business-time.js";
import type { Owed } from "./response-due.js";

export { dueState, SOON_SHARE, type DueLevel, type DueState, type Owed } from "./response-due.js";

const MINUTE = 60_000;
const DAY = 86_400_000;
/** The longest target: 30 days. */
export const MAX_TARGET_MINUTES = 30 * 24 * 60;

const TargetMinutes = S.Number.pipe(
  S.int({ message: () => "expected a whole number of minutes" }),
  S.positive({ message: () => "expected at least 1 minute" }),
  S.lessThanOrEqualTo(MAX_TARGET_MINUTES, { message: () => "at most 30 days (43200 minutes)" }),
);

/** An inbox's targets as stored and as an admin sends them (null: no such target). */
export const ResponseTargets = S.Struct({
  firstResponseMinutes: S.NullOr(TargetMinutes),
  nextReplyMinutes: S.NullOr(TargetMinutes),
  /** True: the targets count only business hours (the conversation's team's when it keeps its own, else the workspace's: Reports → business hours). */
  businessHours: S.Boolean,
});
export type ResponseTargets = typeof ResponseTargets.Type;

export const NO_TARGETS: ResponseTargets = { firstResponseMinutes: null, nextReplyMinutes: null, businessHours: false };

const decodeStored = S.decodeUnknownOption(S.parseJson(ResponseTargets));

/** An inbox's stored targets (the `inboxes.response_targets` JSON); none when unset or unreadable. Pure. */
export const storedResponseTargets = (json: string | null): ResponseTargets =>
  json === null ? NO_TARGETS : Option.getOrElse(decodeStored(json), () => NO_TARGETS);

/** True when the inbox has at least one target. Pure. */
export const hasTargets = (t: ResponseTargets): boolean => t.firstResponseMinutes !== null || t.nextReplyMinutes !== null;

/**
 * The instant at which `ms` of business time have passed since `from` (`from` itself for 0), or
 * null when the weekly hours never add up to it within five years (no hours at all, say). Pure
 * apart from reading time-zone data.
 */
export const addBusinessMs = (hours: BusinessHours, from: number, ms: number): number | null => {
  if (ms <= 0) return from;
  let left = ms;
  let start = from;
  // Two weeks at a time: enough for ordinary weekly hours to cover a day's target in one pass.
  const WINDOW = 14 * DAY;
  while (start < from + 5 * 365 * DAY) {
    for (const [s, e] of businessIntervals(hours, start, start + WINDOW)) {
      if (e - s >= left) return s + left;
      left -= e - s;
    }
    start += WINDOW;
  }
  return null;
};

/**
 * What a waiting conversation owes under its inbox's targets: null when nobody waits, or its
 * inbox sets no target of that kind. `hours` applies when the targets count business hours and
 * the workspace has some; without any, the targets count around the clock. Pure apart from
 * reading time-zone data.
 */
export const owedResponse = (
  targets: ResponseTargets,
  conversation: { readonly waitingSince: number | null; readonly answered: boolean },
  hours: BusinessHours,
): Owed | null => {
  if (conversation.waitingSince === null) return null;
  const kind = conversation.answered ? "next_reply" : "first_response";
  const minutes = kind === "first_response" ? targets.firstResponseMinutes : targets.nextReplyMinutes;
  if (minutes === null) return null;
  const targetMs = minutes * MINUTE;
  const business = targets.businessHours && hours.hours.length > 0;
  const dueAt = business ? addBusinessMs(hours, conversation.waitingSince, targetMs) : conversation.waitingSince + targetMs;
  return dueAt === null ? null : { kind, targetMs, dueAt };
};

/** Whether a measured duration met a target (at most the target, to the millisecond). Pure. */
export const metTarget = (durationMs: number, targetMinutes: number): boolean => durationMs <= targetMinutes * MINUTE;

/** How many answers met their target, of those measured against one. */
export interface TargetShare {
  met: number;
  measured: number;
}

export const emptyShare = (): TargetShare => ({ met: 0, measured: 0 });

/** One human reply as the report roll-up holds it (runtime/core/metrics.ts TeamReply). */
export interface ReplyForTarget {
  readonly userId: string | null;
  readonly inboxId: string | null;
  readonly at: number;
  /** This reply − when the visitor started waiting; null when nobody waited. */
  readonly waitMs: number | null;
  readonly isFirst: boolean;
  /** The conversation's first response time (its first reply only; null when it took over from a bot). */
  readonly firstResponseMs: number | null;
}

/** Met shares of first responses and of next replies. */
export interface TargetTally {
  readonly firstResponse: TargetShare;
  readonly nextReply: TargetShare;
}

/** Business ms between two instants in one calendar. */
export type BusinessBetween = (from: number, to: number) => number;

/** What an answer owed: its first response, or a next reply after the visitor waited again. */
export type AnswerKind = "first_response" | "next_reply";

/** One answer judged against its inbox's target. */
export interface Judgement {
  readonly kind: AnswerKind;
  /** The target, in milliseconds. */
  readonly targetMs: number;
  /** The time the answer took: business time when the inbox's targets count it, else wall time. */
  readonly measuredMs: number;
  readonly met: boolean;
}

/**
 * One reply judged against its inbox's targets (decision 037), or null when it is not measured
 * against one: a first response (its first response time against the first-response target), or
 * a later reply with a wait (its reply time against the next-reply target); replies in inboxes
 * without that target, and first replies that took over from a bot, are not judged. Durations are
 * measured by `businessBetween` when the targets count business hours (null: the reply's
 * calendar — its team's or the workspace's — has none, so around the clock). The one definition
 * behind the met shares and the breaches list. Pure given a pure `businessBetween`.
 */
export const judgeReply = (
  r: ReplyForTarget,
  targets: ResponseTargets,
  businessBetween: BusinessBetween | null,
): Judgement | null => {
  let kind: AnswerKind;
  let ms: number;
  let minutes: number | null;
  if (r.firstResponseMs !== null) {
    kind = "first_response";
    ms = r.firstResponseMs;
    minutes = targets.firstResponseMinutes;
  } else if (!r.isFirst && r.waitMs !== null) {
    kind = "next_reply";
    ms = r.waitMs;
    minutes = targets.nextReplyMinutes;
  } else return null;
  if (minutes === null) return null;
  const measuredMs = targets.businessHours && businessBetween !== null ? businessBetween(r.at - ms, r.at) : ms;
  return { kind, targetMs: minutes * MINUTE, measuredMs, met: metTarget(measuredMs, minutes) };
};

/**
 * When the wait an answer is judged for started — the instant whose targets judge it (decision
 * 058, sixteenth session: a target changed mid-wait does not move the goalposts): the first
 * response's wait for a first response, the visitor's latest wait for a next reply; null when the
 * reply is not judged (`judgeReply`'s cases). Pure.
 */
export const waitStartOf = (r: ReplyForTarget): number | null =>
  r.firstResponseMs !== null ? r.at - r.firstResponseMs : !r.isFirst && r.waitMs !== null ? r.at - r.waitMs : null;

/**
 * Per inbox and per agent, how many first responses and next replies met the inbox's target,
 * each reply judged by `judgeReply` with the business time of its own calendar (`businessBetween`
 * of the reply: its team's or the workspace's, null for around the clock). `targetsOf`: the targets
 * of each reply (those in force when its wait started). Replies without targets are not counted.
 * Pure given pure `targetsOf` and `businessBetween`.
 */
export const tallyTargets = <R extends ReplyForTarget>(
  replies: Iterable<R>,
  targetsOf: (reply: R) => ResponseTargets | undefined,
  businessBetween: (reply: R) => BusinessBetween | null,
): { readonly byInbox: Map<string, TargetTally>; readonly byAgent: Map<string, TargetTally> } => {
  const byInbox = new Map<string, TargetTally>();
  const byAgent = new Map<string, TargetTally>();
  const tallyOf = (map: Map<string, TargetTally>, key: string): TargetTally => {
    let t = map.get(key);
    if (!t) map.set(key, (t = { firstResponse: emptyShare(), nextReply: emptyShare() }));
    return t;
  };
  for (const r of replies) {
    if (r.inboxId === null) continue;
    const targets = targetsOf(r);
    if (!targets) continue;
    const judged = judgeReply(r, targets, targets.businessHours ? businessBetween(r) : null);
    if (judged === null) continue;
    const kind = judged.kind === "first_response" ? "firstResponse" : "nextReply";
    const met = judged.met ? 1 : 0;
    for (const t of r.userId === null ? [tallyOf(byInbox, r.inboxId)] : [tallyOf(byInbox, r.inboxId), tallyOf(byAgent, r.userId)]) {
      t[kind].measured++;
      t[kind].met += met;
    }
  }
  return { byInbox, byAgent };
};
