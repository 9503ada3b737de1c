import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { CreateFlowForm, decodeForm, dropBefore, issuesByField, moveId, RenameFlowForm } from "./list-forms.js";

describe("CreateFlowForm", () => {
  it("trims the name and accepts blank starts and templates", () => {
    expect(decodeForm(CreateFlowForm)({ name: "  Leads ", startFrom: "template:lead_qualification", channelId: "" })).toEqual(
      Either.right({ name: "Leads", startFrom: "template:lead_qualification", channelId: "" }),
    );
    expect(Either.isRight(decodeForm(CreateFlowForm)({ name: "x", startFrom: "blank:live_chat" }))).toBe(true);
  });

  it("says what is wrong, by field", () => {
    const decoded = decodeForm(CreateFlowForm)({ name: "   ", startFrom: "blank:robot" });
    expect(Either.isLeft(decoded) && issuesByField(decoded.left)).toEqual({
      name: "a name is required",
      startFrom: "choose a blank bot, a blank live chat or a template",
    });
    const long = decodeForm(RenameFlowForm)({ id: "flow_1", name: "x".repeat(201) });
    expect(Either.isLeft(long) && issuesByField(long.left)).toEqual({ name: "a name is at most 200 characters" });
  });
});

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
