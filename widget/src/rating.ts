/**
 * Rating a closed conversation (customer satisfaction, 1–5): what the widget reads from
 * GET /api/conversations/:id/rating, which card that makes at the end of the transcript, and the
 * body it POSTs. Pure; the card's DOM is rating-card.ts, the requests are chat-ui.ts's.
 */
import type { ChatStrings } from "../i18n/en.js";
import { format } from "./i18n.js";

/** The scores a visitor picks from, worst first. */
export const RATING_SCORES = [1, 2, 3, 4, 5] as const;
export type Score = (typeof RATING_SCORES)[number];

/** The longest comment the server keeps (ratings.ts RATING_COMMENT_MAX). */
export const RATING_COMMENT_MAX = 1000;

export interface GivenRating {
  readonly score: Score;
  readonly comment: string | null;
}

/** The server's view: may the visitor rate now, and what they rated. */
export interface RatingState {
  readonly rateable: boolean;
  readonly rating: GivenRating | null;
}

const isScore = (value: unknown): value is Score => RATING_SCORES.includes(value as Score);

/** The GET answer as a RatingState, or null when it is not one (an older server, a proxy's page). Pure. */
export const readRatingState = (answer: unknown): RatingState | null => {
  if (typeof answer !== "object" || answer === null) return null;
  const { rateable, rating } = answer as { rateable?: unknown; rating?: unknown };
  if (typeof rateable !== "boolean") return null;
  if (rating === null) return { rateable, rating: null };
  const given = readRating(rating);
  return given ? { rateable, rating: given } : null;
};

/** A rating as the API answers it (`{score, comment, at}`), or null when it is not one. Pure. */
export const readRating = (value: unknown): GivenRating | null => {
  if (typeof value !== "object" || value === null) return null;
  const { score, comment } = value as { score?: unknown; comment?: unknown };
  if (!isScore(score)) return null;
  return { score, comment: typeof comment === "string" && comment !== "" ? comment : null };
};

export type RatingCard = { readonly kind: "none" } | { readonly kind: "ask" } | { readonly kind: "thanks"; readonly rating: GivenRating };

/**
 * The card the transcript ends with: nothing unless the conversation is closed; the thanks (with
 * the score) once rated; the question when it may be rated; else nothing (a bot-only chat, an
 * unreadable answer). Pure.
 */
export const ratingCardFor = (status: string, state: RatingState | null): RatingCard => {
  if (status !== "closed" || state === null) return { kind: "none" };
  if (state.rating) return { kind: "thanks", rating: state.rating };
  return state.rateable ? { kind: "ask" } : { kind: "none" };
};

/** A score's name, e.g. "4 – Good" (the score button's accessible name and the thanks line's). Pure. */
export const scoreLabel = (strings: ChatStrings, score: Score): string =>
  format(strings.ratingScore, { score, word: strings[`rating${score}`] });

/** The POST body: the score, and the comment trimmed when one was written. Pure. */
export const ratingBody = (score: Score, comment: string): { readonly score: Score; readonly comment?: string } => {
  const trimmed = comment.trim();
  return trimmed === "" ? { score } : { score, comment: trimmed };
};
