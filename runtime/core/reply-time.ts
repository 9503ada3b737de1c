/**
 * The usual reply time the widget shows under its heading (decision 050): the median first
 * response of an inbox's conversations over a trailing window, read as a coarse bucket. The
 * first response is the team report's (runtime/core/metrics.ts `teamTimeline`): from when the
 * conversation reached the inbox (its last opening before the reply) to a person's first
 * non-internal reply, on the wall clock. Pure.
 */
import type { Availability, Display } from "../../flows/flow-spec.js";
import { percentile } from "./metrics.js";

/** The window the median looks back over. */
export const REPLY_TIME_WINDOW_MS = 14 * 86_400_000;
/** Fewer first replies than this in the window say nothing. */
export const REPLY_TIME_MIN_REPLIES = 5;

/** The buckets, quickest first, each with its upper bound (inclusive). */
export const REPLY_TIME_BUCKETS = [
  ["few_minutes", 5 * 60_000],
  ["under_15_minutes", 15 * 60_000],
  ["under_an_hour", 60 * 60_000],
  ["few_hours", 6 * 60 * 60_000],
  ["within_a_day", 24 * 60 * 60_000],
] as const;

export type ReplyTimeBucket = (typeof REPLY_TIME_BUCKETS)[number][0];

/** The bucket a median first response (ms) falls in; null over a day (nothing worth saying). Pure. */
export const replyTimeBucket = (medianMs: number): ReplyTimeBucket | null => {
  if (!Number.isFinite(medianMs) || medianMs < 0) return null;
  for (const [bucket, upTo] of REPLY_TIME_BUCKETS) if (medianMs <= upTo) return bucket;
  return null;
};

/**
 * The bucket of some first responses (ms): null with fewer than REPLY_TIME_MIN_REPLIES, else
 * `replyTimeBucket` of their median. Pure.
 */
export const usualReplyTime = (firstResponsesMs: ReadonlyArray<number>): ReplyTimeBucket | null => {
  if (firstResponsesMs.length < REPLY_TIME_MIN_REPLIES) return null;
  const median = percentile(firstResponsesMs, 0.5);
  return median === null ? null : replyTimeBucket(median);
};

/**
 * The teams whose replies a flow's line speaks for (decision 053): the team whose hours it
 * follows (availability mode `team`), else the teams its heading shows; none — the inbox's
 * figure — otherwise. Pure.
 */
export const replyTimeTeams = (settings: { readonly availability: Availability; readonly display: Display }): ReadonlyArray<string> => {
  const { availability, display } = settings;
  if (availability.mode === "team" && availability.teamId !== undefined) return [availability.teamId];
  return display.heading.type === "agents" ? display.heading.teamIds : [];
};
