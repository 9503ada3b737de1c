/**
 * Response targets (SLAs) of an inbox — first response and next reply within so many minutes,
 * around the clock or in the workspace's business hours — and when a waiting visitor's answer
 * is due. Pure: no clock (`now` comes in), time-zone rules from the platform's `Intl` only.
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

const MINUTE = 60_000;
const DAY = 86_400_000;
/** The longest target: 30 days. */
export const MAX_TARGET_MINUTES = 30 * 24 * 60;
/** Below this share of the target left, the answer is due soon. */
export const SOON_SHARE = 0.2;

const TargetMinutes = S.Number.pipe(
  S.int({ message: () => "expected a whole number of minutes" }),
  S.positive({ message: () => "expected at least 1 minute" }),
  S.lessThanOrEqualTo(MAX_TARGET_MINUTES, { message: () => "at most 30 days (43200 minutes)" }),
);

/** An inbox's targets as stored and as an admin sends them (null: no such target). */
export const ResponseTargets = S.Struct({
  firstResponseMinutes: S.NullOr(TargetMinutes),
  nextReplyMinutes: S.NullOr(TargetMinutes),
  /** True: the targets count only business hours (the workspace's, Reports → business hours). */
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

/** Which target a waiting conversation is measured against, and from when. */
export interface Owed {
  readonly kind: "first_response" | "next_reply";
  readonly targetMs: number;
  readonly dueAt: number;
}

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

export type DueLevel = "normal" | "soon" | "overdue";

export interface DueState {
  readonly level: DueLevel;
  /** Wall ms until due (≥ 0), or since it was due when overdue. */
  readonly ms: number;
}

/** Normal, soon (under 20% of the target left) or overdue, with the time left or past. Pure. */
export const dueState = (owed: Pick<Owed, "targetMs" | "dueAt">, now: number): DueState => {
  const left = owed.dueAt - now;
  if (left < 0) return { level: "overdue", ms: -left };
  return { level: left < owed.targetMs * SOON_SHARE ? "soon" : "normal", ms: left };
};

/** Whether a measured duration met a target (at most the target, to the millisecond). Pure. */
export const metTarget = (durationMs: number, targetMinutes: number): boolean => durationMs <= targetMinutes * MINUTE;
