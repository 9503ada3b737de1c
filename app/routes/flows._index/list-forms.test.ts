import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { CreateFlowForm, decodeForm, issuesByField, MoveFlowForm, RenameFlowForm } from "./list-forms.js";

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
    const sideways = decodeForm(MoveFlowForm)({ id: "flow_1", direction: "sideways" });
    expect(Either.isLeft(sideways) && issuesByField(sideways.left)).toEqual({ direction: "move up or down" });
  });
});
