/**
 * ReplyTime: how soon an inbox's team usually replies, for the widget's heading (decision 050).
 *
 * The figure is the median first response (runtime/core/reply-time.ts) of the first replies
 * stored in `report_replies` for the inbox over the last 14 days — the rows the write groups
 * fold from the event log for the team report (decisions 009/014), so nothing is added to the
 * bot's hot path. One indexed range read (`report_replies_inbox`, covering) per inbox, at most
 * once every REPLY_TIME_CACHE_MS: the widget config is asked on every page view.
 */
import { Context, Effect, Layer } from "effect";
import { REPLY_TIME_WINDOW_MS, usualReplyTime, type ReplyTimeBucket } from "../core/reply-time.js";
import { now } from "./clock.js";
import { Database } from "./database.js";

/** How long one inbox's figure is kept before it is read again. */
export const REPLY_TIME_CACHE_MS = 5 * 60_000;
/** More inboxes than this in the cache clear it (a bound, not an expected size). */
const CACHE_MAX = 10_000;

/**
 * The first responses (ms) of an inbox's first replies at or after an instant: `inbox_id` then
 * `at` lead the index, and the two columns tested and the one read are in it.
 */
export const FIRST_RESPONSES_SQL = `SELECT first_response_ms FROM report_replies INDEXED BY report_replies_inbox
  WHERE inbox_id = ? AND at >= ? AND is_first = 1 AND first_response_ms IS NOT NULL`;

export interface ReplyTimeShape {
  /**
   * The inbox's usual reply time as a bucket, or null with fewer than 5 first replies in the
   * last 14 days or a median over a day. Read at most once per REPLY_TIME_CACHE_MS per inbox.
   */
  readonly forInbox: (inboxId: string) => Effect.Effect<ReplyTimeBucket | null>;
}

export class ReplyTime extends Context.Tag("ReplyTime")<ReplyTime, ReplyTimeShape>() {}

export const layer: Layer.Layer<ReplyTime, never, Database> = Layer.effect(
  ReplyTime,
  Effect.gen(function* () {
    const db = yield* Database;
    const cache = new Map<string, { readonly bucket: ReplyTimeBucket | null; readonly expiresAt: number }>();

    const forInbox: ReplyTimeShape["forInbox"] = Effect.fn("ReplyTime.forInbox")(function* (inboxId: string) {
      const at = now();
      const cached = cache.get(inboxId);
      if (cached && cached.expiresAt > at) return cached.bucket;
      const firstResponses = db.prepare(FIRST_RESPONSES_SQL).pluck().all(inboxId, at - REPLY_TIME_WINDOW_MS) as number[];
      const bucket = usualReplyTime(firstResponses);
      if (cache.size >= CACHE_MAX) cache.clear();
      cache.set(inboxId, { bucket, expiresAt: at + REPLY_TIME_CACHE_MS });
      return bucket;
    });

    return { forInbox };
  }),
);
