/**
 * Ratings: a visitor rates a closed conversation with the team, 1–5 with an optional comment
 * (customer satisfaction, CSAT), from the widget (migration 21).
 *
 * Only a conversation a person took part in (an agent's reply) and that is closed can be
 * rated: a bot-only chat is the bot's report's business, and a conversation still going is not
 * over yet. A later rating replaces the earlier one (people change their mind after a second
 * thought); each rating is also a `conversation_rated` event, credited to the agent the
 * conversation was with (its assignee, else whoever replied last), and the team report counts
 * the latest per conversation. Agents see the rating in the thread, live.
 */
import { Context, Effect, Either, Layer, Schema as S } from "effect";
import { decodeWith } from "../../flows/decode.js";
import { now } from "./clock.js";
import { Database } from "./database.js";
import { Conflict, Forbidden, InvalidInput, NotFound } from "./errors.js";
import { LiveEvents } from "./live-events.js";

/** The longest comment kept with a rating. */
export const RATING_COMMENT_MAX = 1000;

/** What a visitor sends. */
export const RatingInput = S.Struct({
  score: S.Number.pipe(
    S.filter((n) => Number.isInteger(n) && n >= 1 && n <= 5, { message: () => "a score is a whole number from 1 (bad) to 5 (great)" }),
  ),
  comment: S.optionalWith(
    S.String.pipe(S.maxLength(RATING_COMMENT_MAX, { message: () => `a comment is at most ${RATING_COMMENT_MAX.toLocaleString("en")} characters` })),
    { exact: true },
  ),
});

export interface Rating {
  readonly score: number;
  /** Trimmed; null when none was given. */
  readonly comment: string | null;
  readonly at: number;
}

/** What the widget needs: may the visitor rate now, and what they rated. */
export interface RatingState {
  readonly rateable: boolean;
  readonly rating: Rating | null;
}

export interface RatingsShape {
  /** Stores the visitor's rating of their closed conversation (replacing an earlier one). */
  readonly rate: (input: {
    readonly conversationId: string;
    readonly visitorId: string;
    readonly body: unknown;
  }) => Effect.Effect<Rating, NotFound | Forbidden | Conflict | InvalidInput>;
  /** The visitor's view: whether they may rate, and their rating. */
  readonly stateFor: (input: { readonly conversationId: string; readonly visitorId: string }) => Effect.Effect<RatingState, NotFound | Forbidden>;
  /** The conversation's current rating, for the thread (the caller checks access). */
  readonly forConversation: (conversationId: string) => Effect.Effect<Rating | null>;
}

export class Ratings extends Context.Tag("Ratings")<Ratings, RatingsShape>() {}

const decodeInput = decodeWith(RatingInput);

interface ConversationRow {
  readonly id: string;
  readonly visitor_id: string | null;
  readonly status: string;
  readonly inbox_id: string;
  readonly channel_id: string;
  readonly chatflow_id: string | null;
  readonly team_id: string | null;
  readonly assignee_id: string | null;
  readonly is_preview: number;
}

/** Why a conversation cannot be rated now, or null when it can. Pure. */
export const ratingRefusal = (status: string, agentTookPart: boolean): string | null => {
  if (!agentTookPart) return "only a conversation with someone from the team can be rated";
  if (status !== "closed") return "a conversation can be rated once it is closed";
  return null;
};

export const layer: Layer.Layer<Ratings, never, Database | LiveEvents> = Layer.effect(
  Ratings,
  Effect.gen(function* () {
    const db = yield* Database;
    const live = yield* LiveEvents;

    const ownConversation = (conversationId: string, visitorId: string): Effect.Effect<ConversationRow, NotFound | Forbidden> =>
      Effect.suspend((): Effect.Effect<ConversationRow, NotFound | Forbidden> => {
        const row = db
          .prepare(
            "SELECT id, visitor_id, status, inbox_id, channel_id, chatflow_id, team_id, assignee_id, is_preview FROM conversations WHERE id = ?",
          )
          .get(conversationId) as ConversationRow | undefined;
        if (!row) return Effect.fail(new NotFound({ entity: "conversation", id: conversationId }));
        if (row.visitor_id !== visitorId) return Effect.fail(new Forbidden({ message: "This conversation belongs to another visitor." }));
        return Effect.succeed(row);
      });

    /** The agent credited with the conversation: its assignee, else whoever replied last; null when no agent replied. */
    const agentOf = (row: ConversationRow): { readonly tookPart: boolean; readonly userId: string | null } => {
      const last = db
        .prepare("SELECT user_id FROM messages WHERE conversation_id = ? AND author = 'agent' AND is_internal = 0 ORDER BY id DESC LIMIT 1")
        .get(row.id) as { user_id: string | null } | undefined;
      return { tookPart: last !== undefined, userId: row.assignee_id ?? last?.user_id ?? null };
    };

    const readRating = (conversationId: string): Rating | null => {
      const row = db.prepare("SELECT score, comment, rated_at FROM conversation_ratings WHERE conversation_id = ?").get(conversationId) as
        | { score: number; comment: string | null; rated_at: number }
        | undefined;
      return row ? { score: row.score, comment: row.comment, at: row.rated_at } : null;
    };

    const rate: RatingsShape["rate"] = Effect.fn("Ratings.rate")(function* (input) {
      const decoded = decodeInput(input.body);
      if (Either.isLeft(decoded)) return yield* Effect.fail(new InvalidInput({ issues: decoded.left }));
      const row = yield* ownConversation(input.conversationId, input.visitorId);
      const agent = agentOf(row);
      const refusal = ratingRefusal(row.status, agent.tookPart);
      if (refusal !== null) return yield* Effect.fail(new Conflict({ message: refusal }));
      const comment = decoded.right.comment?.trim() || null;
      const score = decoded.right.score;
      const at = now();
      yield* Effect.orDie(
        db.writeEffect((sqlite) => {
          sqlite
            .prepare(
              `INSERT INTO conversation_ratings (conversation_id, score, comment, user_id, rated_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (conversation_id) DO UPDATE SET score = excluded.score, comment = excluded.comment, user_id = excluded.user_id, rated_at = excluded.rated_at`,
            )
            .run(row.id, score, comment, agent.userId, at);
          sqlite
            .prepare(
              `INSERT INTO events (type, at, conversation_id, chatflow_id, user_id, inbox_id, channel_id, team_id, is_preview, data)
               VALUES ('conversation_rated', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(at, row.id, row.chatflow_id, agent.userId, row.inbox_id, row.channel_id, row.team_id, row.is_preview, JSON.stringify({ score, commented: comment !== null }));
        }),
      );
      live.publishNow({ conversationId: row.id, inboxId: row.inbox_id, kind: "conversation", internal: true, data: { change: "rating", score } });
      return { score, comment, at };
    });

    const stateFor: RatingsShape["stateFor"] = (input) =>
      Effect.map(ownConversation(input.conversationId, input.visitorId), (row) => ({
        rateable: ratingRefusal(row.status, agentOf(row).tookPart) === null,
        rating: readRating(row.id),
      }));

    const forConversation: RatingsShape["forConversation"] = (conversationId) => Effect.sync(() => readRating(conversationId));

    return { rate, stateFor, forConversation };
  }),
);
