import { describe, expect, it } from "vitest";
import { activitySentence, actorName } from "./activity-text.js";

const bo = { id: "usr_bo", name: "Bo Berg" };
const ada = { id: "usr_ada", name: "Ada Admin" };
const v = (value: string, name = value) => ({ value, name });

describe("a timeline entry in words", () => {
  it("names the viewer 'you' and nobody 'Parley'", () => {
    expect(actorName({ user: bo }, "usr_bo")).toBe("You");
    expect(actorName({ user: bo }, "usr_ada")).toBe("Bo Berg");
    expect(actorName({ user: null }, "usr_ada")).toBe("Parley");
  });

  it("says what changed, with the labels people see", () => {
    expect(activitySentence({ kind: "status", user: bo, from: v("new"), to: v("waiting_on_contact") }, "usr_ada")).toBe(
      "Bo Berg changed the status from New to Waiting on contact",
    );
    expect(activitySentence({ kind: "priority", user: bo, from: v("normal"), to: v("urgent") }, "usr_bo")).toBe(
      "You changed the priority from Normal to Urgent",
    );
    expect(activitySentence({ kind: "assignee", user: bo, from: null, to: v(bo.id, bo.name) }, "usr_bo")).toBe("You assigned it to you");
    expect(activitySentence({ kind: "assignee", user: ada, from: v(bo.id, bo.name), to: v(ada.id, ada.name) }, "usr_x")).toBe(
      "Ada Admin reassigned it from Bo Berg to Ada Admin",
    );
    expect(activitySentence({ kind: "assignee", user: ada, from: v(bo.id, bo.name), to: null }, "usr_x")).toBe("Ada Admin unassigned Bo Berg");
    expect(activitySentence({ kind: "created", user: null, from: null, to: null }, "usr_x")).toBe("Created automatically from the conversation");
    expect(activitySentence({ kind: "note", user: ada, from: null, to: null }, "usr_x")).toBe("Ada Admin added a note");
  });
});
