import { describe, expect, it } from "vitest";
import { dropBefore, moveId, orderChange } from "./flow-order.js";

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

describe("orderChange", () => {
  it("names the one flow that moved and its places, or says several did", () => {
    const ids = ["a", "b", "c", "d", "e"];
    expect(orderChange(ids, ids)).toEqual({ kind: "unchanged" });
    expect(orderChange(ids, dropBefore(ids, "d", "a"))).toEqual({ kind: "moved", id: "d", from: 4, to: 1 });
    expect(orderChange(ids, dropBefore(ids, "b", null))).toEqual({ kind: "moved", id: "b", from: 2, to: 5 });
    expect(orderChange(ids, ["e", "b", "c", "d", "a"])).toEqual({ kind: "reordered" });
    expect(orderChange(ids, [...ids].reverse())).toEqual({ kind: "reordered" });
    // Two neighbours swapped: the flow the caller moved, else the upper one moving down.
    const swapped = moveId(ids, "c", "up");
    expect(orderChange(ids, swapped, "c")).toEqual({ kind: "moved", id: "c", from: 3, to: 2 });
    expect(orderChange(ids, swapped, "b")).toEqual({ kind: "moved", id: "b", from: 2, to: 3 });
    expect(orderChange(ids, swapped)).toEqual({ kind: "moved", id: "b", from: 2, to: 3 });
    // A hint that does not explain the change is not taken.
    expect(orderChange(ids, dropBefore(ids, "d", "a"), "a")).toEqual({ kind: "moved", id: "d", from: 4, to: 1 });
  });
});
