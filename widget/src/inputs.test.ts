import { describe, expect, it } from "vitest";
import { choiceBounds, inputFor } from "./inputs.js";
import type { Awaiting } from "./types.js";

const awaiting = (input: string, extra: Partial<Awaiting> = {}): Awaiting => ({ nodeId: "n", input, ...extra });
const choices = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `c${i}`, label: `C${i}` }));

describe("inputFor", () => {
  it("gives email, phone, number and date answers the right keyboard", () => {
    expect(inputFor(awaiting("email"))).toMatchObject({ type: "email", inputMode: "email", autocomplete: "email" });
    expect(inputFor(awaiting("phone"))).toMatchObject({ type: "tel", inputMode: "tel", autocomplete: "tel" });
    expect(inputFor(awaiting("number"))).toMatchObject({ type: "text", inputMode: "numeric" });
    expect(inputFor(awaiting("rating"))).toMatchObject({ inputMode: "numeric" });
    expect(inputFor(awaiting("date"))).toMatchObject({ type: "date" });
  });

  it("falls back to free text, hinting at the quick replies when there are some", () => {
    expect(inputFor(null)).toEqual({ type: "text", autocomplete: "off", placeholder: "placeholder" });
    expect(inputFor(awaiting("text")).placeholder).toBe("placeholder");
    expect(inputFor(awaiting("choice", { choices: choices(3) })).placeholder).toBe("placeholderChoice");
  });
});

describe("choiceBounds", () => {
  it("defaults to at least one and at most all", () => {
    expect(choiceBounds(awaiting("choice", { choices: choices(4), multiple: true }))).toEqual([1, 4]);
  });

  it("clamps min and max to the choices there are (a min of 0 still needs one tick)", () => {
    expect(choiceBounds(awaiting("choice", { choices: choices(4), min: 2, max: 3 }))).toEqual([2, 3]);
    expect(choiceBounds(awaiting("choice", { choices: choices(2), min: 0, max: 9 }))).toEqual([1, 2]);
    expect(choiceBounds(awaiting("choice", { choices: choices(3), min: 3, max: 1 }))).toEqual([3, 3]);
  });
});
