import { describe, expect, it } from "vitest";
import { followUpErrors, followUpInputOf, followUpNotice, type FollowUpFields } from "./follow-up-logic.js";

const fields = (over: Partial<FollowUpFields> = {}): FollowUpFields => ({
  breaches: [],
  all: "",
  onPage: [],
  assign: "",
  labelId: "",
  comment: "",
  note: "",
  requestId: "",
  ...over,
});

describe("followUpInputOf", () => {
  it("reads the ticked answers, the assignment as a person or a team, the label, the comment and the note", () => {
    expect(followUpInputOf(fields({ breaches: ["41", "42", "41"], assign: "user:usr_bo", labelId: "label_late", comment: "on", note: "Call back", requestId: "req_12345678" }))).toEqual({
      ok: true,
      input: { breaches: [41, 42], userId: "usr_bo", labelId: "label_late", comment: true, note: "Call back", requestId: "req_12345678" },
    });
    expect(followUpInputOf(fields({ breaches: ["7"], assign: "team:team_support" }))).toEqual({ ok: true, input: { breaches: [7], teamId: "team_support" } });
  });

  it("takes every answer the page listed with “select all on this page”, ticked or not", () => {
    expect(followUpInputOf(fields({ breaches: ["41"], all: "page", onPage: ["41", "42", "43"], comment: "on" }))).toEqual({
      ok: true,
      input: { breaches: [41, 42, 43], comment: true },
    });
  });

  it("sends no answers with “all answers in this list”: the server reads the list under the page's filters", () => {
    expect(followUpInputOf(fields({ breaches: ["41"], all: "list", onPage: ["41", "42"], labelId: "label_late" }))).toEqual({ ok: true, input: { labelId: "label_late" } });
  });

  it("passes on what is not an answer's id as NaN, for the runtime to refuse at its place, and refuses an assignment of another kind", () => {
    const read = followUpInputOf(fields({ breaches: ["41", "x"], comment: "on" }));
    expect(read.ok && (read.input.breaches as number[])[1]).toBeNaN();
    expect(followUpInputOf(fields({ breaches: ["41"], assign: "robot:r2" }))).toEqual({ ok: false, field: "assign", message: "assign to user:<id> or team:<id>" });
    expect(followUpInputOf(fields({ breaches: ["41"], assign: "user:" }))).toMatchObject({ ok: false, field: "assign" });
  });
});

describe("followUpErrors", () => {
  it("puts a person's and a team's refusal at the Assign field, the selection's and what-to-do's at their own", () => {
    expect(followUpErrors({ userId: "no such user", labelId: "no such label", breaches: "select at least one answer", action: "choose what to do" })).toEqual({
      assign: "no such user",
      labelId: "no such label",
      breaches: "select at least one answer",
      form: "choose what to do",
    });
    expect(followUpErrors({ teamId: "no such team", userId: "no such user" })).toEqual({ assign: "no such team" });
  });
});

describe("followUpNotice", () => {
  it("counts the conversations followed up, then the skipped ones by reason", () => {
    const done = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `c${i}`, title: `T${i}`, assigned: true, labelled: false, commentId: null }));
    expect(followUpNotice({ followedUp: done(7), skipped: [] })).toBe("Followed up 7 conversations.");
    expect(followUpNotice({ followedUp: done(1), skipped: [] })).toBe("Followed up 1 conversation.");
    expect(
      followUpNotice({
        followedUp: [],
        skipped: [
          { id: "a", title: "Ana", reason: "closed", message: "closed" },
          { id: "b", title: "Bo", reason: "closed", message: "closed" },
          { id: "c", title: null, reason: "forbidden", message: "not in your inboxes" },
        ],
      }),
    ).toBe("Followed up no conversations; 3 skipped: closed (Ana, Bo); not in your inboxes (1)");
  });
});
