import { describe, expect, it } from "vitest";
import { dropBefore, moveId } from "./flow-order.js";

describe("moveId", () => {
  it("swaps with the neighbour and stops at either end", () => {
    expect(moveId(["a", "b", "c"], "b", "up")).toEqual(["b", "a", "c"]);
    expect(moveId(["a", "b", "c"], "b", "down")).toEqual(["a", "c", "b"]);
    const ids = ["a", "b"];
    expect(moveId(ids, "a", "up")).toBe(ids);
    expect(moveId(ids, "b", "down")).toBe(ids);
    expect(moveId(ids, "z", "up")).toBe(ids);
  });
});

describe("dropBefore", () => {
  it("puts the dropped id before the target, or last", () => {
    expect(dropBefore(["a", "b", "c", "d"], "d", "b")).toEqual(["a", "d", "b", "c"]);
    expect(dropBefore(["a", "b", "c", "d"], "a", "c")).toEqual(["b", "a", "c", "d"]);
    expect(dropBefore(["a", "b", "c"], "a", null)).toEqual(["b", "c", "a"]);
    const ids = ["a", "b"];
    expect(dropBefore(ids, "a", "a")).toBe(ids);
    expect(dropBefore(ids, "z", "a")).toBe(ids);
  });
});
