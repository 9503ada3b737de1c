import { describe, expect, it } from "vitest";
import { appendAt, freshItemId, getIn, moveAt, pathString, removeAt, setIn } from "./data-path.js";

describe("data paths", () => {
  const data = { prompt: "Hi", answer: { type: "choice", choices: [{ id: "a", label: "A" }, { id: "b", label: "B" }] } };

  it("formats paths like decode issues", () => {
    expect(pathString(["answer", "choices", 1, "label"])).toBe("answer.choices[1].label");
  });

  it("sets deep values immutably, sharing untouched branches", () => {
    const next = setIn(data, ["answer", "choices", 1, "label"], "Bee") as typeof data;
    expect(getIn(next, ["answer", "choices", 1, "label"])).toBe("Bee");
    expect(data.answer.choices[1]!.label).toBe("B");
    expect(next.answer.choices[0]).toBe(data.answer.choices[0]);
  });

  it("creates missing objects and removes keys set to undefined", () => {
    expect(setIn({}, ["save", "variable"], "email")).toEqual({ save: { variable: "email" } });
    expect(setIn({ save: { variable: "email" } }, ["save", "variable"], undefined)).toEqual({ save: {} });
  });

  it("edits lists", () => {
    expect(getIn(removeAt(data, ["answer", "choices"], 0), ["answer", "choices"])).toEqual([{ id: "b", label: "B" }]);
    expect(getIn(moveAt(data, ["answer", "choices"], 0, 1), ["answer", "choices", 0, "id"])).toBe("b");
    expect(moveAt(data, ["answer", "choices"], 0, -1)).toBe(data);
    expect(getIn(appendAt({}, ["headers"], { name: "X" }), ["headers"])).toEqual([{ name: "X" }]);
  });

  it("picks item ids no item has", () => {
    expect(freshItemId([{ id: "choice_2" }], "choice")).toBe("choice_3");
    expect(freshItemId([{ id: "choice_3" }, { id: "x" }], "choice")).toBe("choice_4");
    expect(freshItemId(undefined, "rule")).toBe("rule_1");
  });
});
