import { readFileSync } from "node:fs";
import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { decodeWith } from "../../flows/decode.js";
import { AnswerType } from "../../flows/flow-spec.js";
import { MAX_ANSWER_CHARS, parseNumber, validateAnswer } from "./answers.js";
import { FIXED_NOW } from "./test-support.js";

interface AnswerCase {
  readonly text?: string;
  readonly ids?: ReadonlyArray<string>;
  readonly ok?: false;
  readonly value?: unknown;
  readonly display?: string;
  readonly choiceIds?: ReadonlyArray<string>;
}
interface AnswerGroup {
  readonly answer: unknown;
  readonly language?: string;
  readonly now?: string;
  readonly cases: ReadonlyArray<AnswerCase>;
}

const groups: ReadonlyArray<AnswerGroup> = JSON.parse(
  readFileSync(new URL("./fixtures/answers.json", import.meta.url), "utf8"),
).groups;
const decodeAnswer = decodeWith(AnswerType);

for (const group of groups) {
  const decoded = decodeAnswer(group.answer);
  const label = `${JSON.stringify(group.answer)}${group.language ? ` in ${group.language}` : ""}`;
  describe(`validateAnswer ${label}`, () => {
    if (Either.isLeft(decoded)) {
      it("has a valid answer type", () => expect(decoded.left).toEqual([]));
      return;
    }
    const answer = decoded.right;
    const now = group.now !== undefined ? Date.parse(group.now) : FIXED_NOW;
    for (const c of group.cases) {
      const input = { ...(c.text !== undefined ? { text: c.text } : {}), ...(c.ids !== undefined ? { choiceIds: c.ids } : {}) };
      const title = `${JSON.stringify(input)} → ${c.ok === false ? "rejected" : JSON.stringify(c.value)}`;
      it(title, () => {
        const result = validateAnswer(answer, input, now, { language: group.language ?? "en" });
        if (c.ok === false) {
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.reason.length).toBeGreaterThan(0);
          return;
        }
        expect(result).toMatchObject({ ok: true, value: c.value });
        if (c.display !== undefined) expect(result).toMatchObject({ display: c.display });
        if (c.choiceIds !== undefined) expect(result).toMatchObject({ choiceIds: c.choiceIds });
      });
    }
  });
}

describe("validateAnswer edge cases", () => {
  it("says a text answer's limit as people write numbers", () => {
    expect(validateAnswer({ type: "text", maxLength: 4000 }, { text: "x".repeat(4001) }, FIXED_NOW)).toEqual({
      ok: false,
      reason: "Please keep it to 4,000 characters or fewer.",
    });
    expect(validateAnswer({ type: "text", maxLength: 10 }, { text: "x".repeat(10) }, FIXED_NOW)).toMatchObject({ ok: true });
  });

  it("rejects oversized input before parsing it", () => {
    const result = validateAnswer({ type: "text" }, { text: "x".repeat(MAX_ANSWER_CHARS + 1) }, FIXED_NOW);
    expect(result).toEqual({ ok: false, reason: "That answer is too long." });
  });

  it("reads dates relative to `now`, not the clock", () => {
    const later = Date.UTC(2030, 5, 30, 23, 59);
    expect(validateAnswer({ type: "date" }, { text: "tomorrow" }, later)).toMatchObject({ ok: true, value: "2030-07-01" });
  });

  it("gives the range in the reason so the engine can show it", () => {
    const result = validateAnswer({ type: "number", min: 0, max: 10, integer: false }, { text: "11" }, FIXED_NOW);
    expect(result).toEqual({ ok: false, reason: "Please enter a number between 0 and 10." });
  });

  it("parseNumber keeps two numbers ambiguous and reads signs", () => {
    expect(parseNumber("10 - 20")).toBeUndefined();
    expect(parseNumber("-7,25", "de")).toBe(-7.25);
    expect(parseNumber("+3")).toBe(3);
  });
});
