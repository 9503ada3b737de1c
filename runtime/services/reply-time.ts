/**
 * ReplyTime: how soon an inbox's team usually replies, for the widget's heading (decision 050).
 *
 * The figure is the median first response (runtime/core/reply-time.ts) of the first replies
 * stored in `report_replies` for the inbox over the last 14 days — the rows the write groups
 * fold from the event log for the team report (decisions 009/014), so nothing is added to the
 * bot's hot path. One indexed range read (`report_replies_inbox`, covering) per inbox — or per
 * inbox and the teams a flow follows or shows (decision 053) — at most once every
 * REPLY_TIME_CACHE_MS: the widget config is asked on every page view.
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

/**
 * The same, only the replies recorded with one of some teams (`team_id`, the conversation's team
 * when the reply was sent; a JSON array of ids): `team_id` is in the index too, so the read stays
 * the inbox's one covering range.
 */
export const TEAM_FIRST_RESPONSES_SQL = `${FIRST_RESPONSES_SQL} AND team_id IN (SELECT value FROM json_each(?))`;

export interface ReplyTimeShape {
  /**
   * The inbox's usual reply time as a bucket, or null with fewer than 5 first replies in the
   * last 14 days or a median over a day. Read at most once per REPLY_TIME_CACHE_MS per inbox.
   */
  readonly forInbox: (inboxId: string) => Effect.Effect<ReplyTimeBucket | null>;
  /**
   * The usual reply time of some teams in the inbox (decision 053): as `forInbox`, counting only
   * the first replies recorded with one of `teamIds` — the inbox's figure when there are none.
   * Kept per inbox and set of teams for the same time.
   */
  readonly forTeams: (inboxId: string, teamIds: ReadonlyArray<string>) => Effect.Effect<ReplyTimeBucket | null>;
}

export class ReplyTime extends Context.Tag("ReplyTime")<ReplyTime, ReplyTimeShape>() {}

export const layer: Layer.Layer<ReplyTime, never, Database> = Layer.effect(
  ReplyTime,
  Effect.gen(function* () {
    const db = yield* Database;
    const cache = new Map<string, { readonly bucket: ReplyTimeBucket | null; readonly expiresAt: number }>();

    /** The bucket kept under `key`, or the one `read` gives (first responses from an instant), kept for REPLY_TIME_CACHE_MS. */
    const kept = (key: string, read: (since: number) => number[]): ReplyTimeBucket | null => {
      const at = now();
      const cached = cache.get(key);
      if (cached && cached.expiresAt > at) return cached.bucket;
      const bucket = usualReplyTime(read(at - REPLY_TIME_WINDOW_MS));
      if (cache.size >= CACHE_MAX) cache.clear();
      cache.set(key, { bucket, expiresAt: at + REPLY_TIME_CACHE_MS });
      return bucket;
    };

    const forInbox: ReplyTimeShape["forInbox"] = Effect.fn("ReplyTime.forInbox")(function* (inboxId: string) {
      return kept(inboxId, (since) => db.prepare(FIRST_RESPONSES_SQL).pluck().all(inboxId, since) as number[]);
    });

    const forTeams: ReplyTimeShape["forTeams"] = Effect.fn("ReplyTime.forTeams")(function* (inboxId: string, teamIds: ReadonlyArray<string>) {
      if (teamIds.length === 0) return yield* forInbox(inboxId);
      const teams = JSON.stringify([...new Set(teamIds)].sort());
      // Keys of an inbox alone never hold a NUL, so an inbox's figure and its teams' stay apart.
      return kept(`${inboxId}\u0000${teams}`, (since) => db.prepare(TEAM_FIRST_RESPONSES_SQL).pluck().all(inboxId, since, teams) as number[]);
    });

    return { forInbox, forTeams };
  }),
);
