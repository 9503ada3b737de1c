import { describe, expect, it } from "vitest";
import { actionKey, beginAction, checkedAction, freshAnswer, noAction, refusedFor, type Answer, type CurrentAction } from "./current-action.js";

const start: CurrentAction<Answer> = noAction;
const createError: Answer = { intent: "create" };
const renameError: Answer = { intent: "rename", id: "flow_a" };
const duplicated: Answer = { intent: "duplicate", id: "flow_copy" };

describe("actionKey", () => {
  it("names the flow when the form acts on one", () => {
    expect(actionKey("create")).toBe("create");
    expect(actionKey("rename", "flow_a")).toBe("rename:flow_a");
    expect(actionKey("import", "")).toBe("import");
    expect(actionKey("import", null)).toBe("import");
  });
});

describe("the current action", () => {
  it("shows every answer before any action begins (a page answered without JavaScript)", () => {
    expect(freshAnswer(start, createError)).toBe(createError);
    expect(freshAnswer(start, undefined)).toBeUndefined();
  });

  it("keeps a refused name while the person stays on that form, and drops it when they duplicate a flow", () => {
    const refused = checkedAction(start, "create", { name: "a name is required" }, [undefined]);
    expect(refusedFor(refused, "create")).toEqual({ name: "a name is required" });
    // Typing into the same form again starts nothing new.
    expect(beginAction(refused, "create", [undefined])).toBe(refused);
    const duplicating = beginAction(refused, "duplicate:flow_b", [undefined]);
    expect(refusedFor(duplicating, "create")).toBeNull();
    // The duplicate's own notice arrives after it began, and shows.
    expect(freshAnswer(duplicating, duplicated)).toBe(duplicated);
  });

  it("never shows one form's refusal under another form", () => {
    const refused = checkedAction(start, "rename:flow_a", { name: "a name is required" }, []);
    expect(refusedFor(refused, "rename:flow_b")).toBeNull();
    expect(refusedFor(refused, "create")).toBeNull();
  });

  it("clears the refusal once the same form's values pass", () => {
    const refused = checkedAction(start, "create", { name: "a name is required" }, []);
    expect(refusedFor(checkedAction(refused, "create", null, []), "create")).toBeNull();
  });

  it("puts away the server's answer when another form opens, for good", () => {
    const answered = beginAction(start, "rename:flow_a", []);
    expect(freshAnswer(answered, renameError)).toBe(renameError);
    const opened = beginAction(answered, "delete:flow_b", [renameError, undefined]);
    expect(freshAnswer(opened, renameError)).toBeUndefined();
    // Coming back to the form that failed does not bring the old answer back.
    const back = beginAction(opened, "rename:flow_a", [renameError]);
    expect(freshAnswer(back, renameError)).toBeUndefined();
  });

  it("keeps an answer when the action it answers begins after it arrived", () => {
    // A server refusal shown on a fresh page, then the person edits that same form.
    const editing = beginAction(start, "create", [createError]);
    expect(freshAnswer(editing, createError)).toBe(createError);
    const elsewhere = beginAction(editing, "import", [createError]);
    expect(freshAnswer(elsewhere, createError)).toBeUndefined();
  });
});
