import { describe, expect, it } from "vitest";
import { ANSWERS_NAMED, dayInWords, followUpComment, overInWords, type MissedAnswer } from "./breach-follow-up.js";

const MIN = 60_000;
const NOW = Date.UTC(2026, 10, 27, 14, 0);
const nov3 = Date.UTC(2026, 10, 3, 10, 0);

describe("overInWords", () => {
  it.each([
    [0, "under a minute"],
    [29_000, "under a minute"],
    [31_000, "1 min"],
    [12 * MIN, "12 min"],
    [59 * MIN + 29_000, "59 min"],
    [60 * MIN, "1 h"],
    [65 * MIN, "1 h 5 min"],
    [47 * 60 * MIN + 59 * MIN, "47 h 59 min"],
    [48 * 60 * MIN, "2 days"],
    [(3 * 24 + 4) * 60 * MIN + 20 * MIN, "3 days 4 h"],
    [-5 * MIN, "under a minute"],
  ])("%d ms → %s", (ms, words) => {
    expect(overInWords(ms)).toBe(words);
  });
});

describe("dayInWords", () => {
  it("names the day in the workspace's zone, with the year only when it is not this year's", () => {
    expect(dayInWords(nov3, "UTC", NOW)).toBe("3 Nov");
    // 23:30 UTC on 3 Nov is already 4 Nov in Berlin.
    expect(dayInWords(Date.UTC(2026, 10, 3, 23, 30), "Europe/Berlin", NOW)).toBe("4 Nov");
    expect(dayInWords(Date.UTC(2025, 11, 28, 9, 0), "UTC", NOW)).toBe("28 Dec 2025");
  });
});

describe("followUpComment", () => {
  const first: MissedAnswer = { kind: "first_response", overMs: 12 * MIN, businessHours: false, at: nov3 };
  const next: MissedAnswer = { kind: "next_reply", overMs: 65 * MIN, businessHours: true, at: nov3 + 86_400_000 };

  it("says by how much the answer missed and when, then asks to follow up", () => {
    expect(followUpComment([first], "", "UTC", NOW)).toBe("Missed the first-response target by 12 min on 3 Nov — please follow up");
  });

  it("lists a conversation's answers oldest first, says when business hours counted, and ends with the lead's own words", () => {
    expect(followUpComment([next, first], "  @Bo can you call them back?  ", "UTC", NOW)).toBe(
      "Missed the first-response target by 12 min on 3 Nov and the next-reply target by 1 h 5 min of business hours on 4 Nov — @Bo can you call them back?",
    );
  });

  it(`names at most ${ANSWERS_NAMED} answers and counts the rest`, () => {
    const many = Array.from({ length: ANSWERS_NAMED + 2 }, (_, i) => ({ ...first, at: nov3 + i * 86_400_000 }));
    const text = followUpComment(many, "", "UTC", NOW);
    expect(text.match(/first-response target by/g)).toHaveLength(ANSWERS_NAMED);
    expect(text).toMatch(/on 7 Nov and 2 more targets — please follow up$/);
    expect(followUpComment(many.slice(0, ANSWERS_NAMED + 1), "", "UTC", NOW)).toMatch(/and 1 more target — please follow up$/);
  });

  it("without answers it is only the ask", () => {
    expect(followUpComment([], "", "UTC", NOW)).toBe("please follow up");
  });
});
