import { describe, expect, it } from "vitest";
import { chat as de } from "../i18n/de.js";
import { chat as en } from "../i18n/en.js";
import { RATING_SCORES, ratingBody, ratingCardFor, readRating, readRatingState, scoreLabel } from "./rating.js";

describe("readRatingState", () => {
  it("reads the API's answer, the time left out", () => {
    expect(readRatingState({ rateable: true, rating: null })).toEqual({ rateable: true, rating: null });
    expect(readRatingState({ rateable: true, rating: { score: 4, comment: "Quick", at: "2026-11-26T04:00:00.000Z" } })).toEqual({
      rateable: true,
      rating: { score: 4, comment: "Quick" },
    });
    expect(readRatingState({ rateable: false, rating: { score: 1, comment: null, at: "2026-11-26T04:00:00.000Z" } })).toEqual({
      rateable: false,
      rating: { score: 1, comment: null },
    });
  });

  it("is null for anything else, so no card shows on a page that is not the answer", () => {
    for (const answer of [
      null,
      undefined,
      "<html>",
      [],
      {},
      { rateable: "yes", rating: null },
      { rateable: true },
      { rateable: true, rating: { score: 0 } },
      { rateable: true, rating: { score: 6 } },
      { rateable: true, rating: { score: "4" } },
      { rateable: true, rating: { score: 4.5 } },
      { rateable: true, rating: "5" },
    ]) {
      expect(readRatingState(answer), JSON.stringify(answer)).toBeNull();
    }
  });
});

describe("readRating", () => {
  it("keeps a comment only when there is one", () => {
    expect(readRating({ score: 5, comment: "" })).toEqual({ score: 5, comment: null });
    expect(readRating({ score: 5, comment: 7 })).toEqual({ score: 5, comment: null });
    expect(readRating({ score: 2, comment: "Slow" })).toEqual({ score: 2, comment: "Slow" });
    expect(readRating(undefined)).toBeNull();
  });
});

describe("ratingCardFor", () => {
  const given = { score: 4, comment: "Kind" } as const;
  it("asks once a rateable conversation is closed, and thanks once it is rated", () => {
    expect(ratingCardFor("closed", { rateable: true, rating: null })).toEqual({ kind: "ask" });
    expect(ratingCardFor("closed", { rateable: true, rating: given })).toEqual({ kind: "thanks", rating: given });
  });

  it("shows nothing while the conversation goes on (or again), for a bot-only chat, or without an answer", () => {
    for (const status of ["open", "pending", "bot"]) {
      expect(ratingCardFor(status, { rateable: true, rating: null }), status).toEqual({ kind: "none" });
      expect(ratingCardFor(status, { rateable: false, rating: given }), status).toEqual({ kind: "none" });
    }
    expect(ratingCardFor("closed", { rateable: false, rating: null })).toEqual({ kind: "none" });
    expect(ratingCardFor("closed", null)).toEqual({ kind: "none" });
  });
});

describe("scoreLabel", () => {
  it("names each score with its word, in both languages", () => {
    expect(RATING_SCORES.map((score) => scoreLabel(en, score))).toEqual(["1 – Terrible", "2 – Bad", "3 – OK", "4 – Good", "5 – Great"]);
    expect(RATING_SCORES.map((score) => scoreLabel(de, score))).toEqual(["1 – Sehr schlecht", "2 – Schlecht", "3 – Okay", "4 – Gut", "5 – Sehr gut"]);
  });
});

describe("ratingBody", () => {
  it("sends the comment trimmed, and none when it is blank", () => {
    expect(ratingBody(4, "  Quick and kind \n")).toEqual({ score: 4, comment: "Quick and kind" });
    expect(ratingBody(2, "   ")).toEqual({ score: 2 });
    expect(ratingBody(5, "")).toEqual({ score: 5 });
  });
});
