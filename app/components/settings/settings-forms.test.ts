import { describe, expect, it } from "vitest";
import { Conflict, InvalidInput, toHttpError, type ApiError } from "../../../runtime/services/errors.js";
import { memberCandidates } from "./members.js";
import { nameConflictErrors } from "./page-parts.js";
import { visitorProfileValues, workingHoursMessage, workingHoursOf } from "./profile-forms.js";

const formOf = (entries: Record<string, string>) => {
  const form = new FormData();
  for (const [key, value] of Object.entries(entries)) form.append(key, value);
  return form;
};

describe("working hours", () => {
  it("reads only the ticked days, in week order, with their times", () => {
    const sent = workingHoursOf(
      formOf({ timezone: "Europe/Berlin", "fri.on": "on", "fri.from": "10:00", "fri.to": "14:00", "mon.on": "on", "mon.from": "09:00", "mon.to": "17:00", "tue.from": "08:00" }),
    );
    expect(sent).toEqual({
      timezone: "Europe/Berlin",
      hours: [
        { day: "mon", from: "09:00", to: "17:00" },
        { day: "fri", from: "10:00", to: "14:00" },
      ],
    });
  });

  it("names the day and field a refusal points at, counting ticked days only", () => {
    const sent = { timezone: "Mars/Olympus", hours: [{ day: "tue", from: "9", to: "17:00" }, { day: "sat", from: "12:00", to: "11:00" }] };
    const message = workingHoursMessage(
      [
        { path: "workingHours.hours[0].from", message: "expected HH:MM" },
        { path: "workingHours.hours[1].to", message: "must be after the start" },
        { path: "workingHours.timezone", message: "unknown time zone" },
        { path: "other", message: "something else" },
      ],
      sent,
      "fallback",
    );
    expect(message).toBe("Tuesday, from: expected HH:MM · Saturday, until: must be after the start · Time zone: unknown time zone · something else");
    expect(workingHoursMessage([], sent, "Not found")).toBe("Not found");
  });
});

describe("visitor profile values", () => {
  it("shows what was sent back after a refusal, else what is stored", () => {
    const stored = { displayName: "Alex", avatarUrl: "", meetingLink: "https://cal.example.com/alex", email: "a@example.com" };
    expect(visitorProfileValues(null, stored)).toEqual({ displayName: "Alex", avatarUrl: "", meetingLink: "https://cal.example.com/alex" });
    expect(visitorProfileValues({ displayName: "typed" }, stored)).toEqual({ displayName: "typed" });
  });
});

describe("member candidates", () => {
  const user = (id: string, role: "admin" | "agent" | "marketer" | "analyst") => ({
    id,
    name: id,
    email: `${id}@example.com`,
    role,
    availability: "away" as const,
    disabledAt: null as number | null,
    passwordHash: "secret",
  });

  it("lists agents and admins only, without other user fields", () => {
    const rows = memberCandidates([user("a", "admin"), user("m", "marketer"), user("g", "agent"), user("n", "analyst")], []);
    expect(rows.map((r) => r.id)).toEqual(["a", "g"]);
    expect(rows[0]).toEqual({ id: "a", name: "a", email: "a@example.com", role: "admin", availability: "away", disabled: false });
  });

  it("offers a disabled agent only while they are a member, marked as disabled", () => {
    const gone = { ...user("d", "agent"), disabledAt: 5 };
    expect(memberCandidates([user("g", "agent"), gone], []).map((r) => r.id)).toEqual(["g"]);
    expect(memberCandidates([user("g", "agent"), gone], ["d"]).map((r) => [r.id, r.disabled])).toEqual([
      ["g", false],
      ["d", true],
    ]);
  });
});

/** A failed `attempt` as the app's runtime builds it from an expected failure. */
const failure = (cause: ApiError) => {
  const http = toHttpError(cause);
  return { ok: false as const, status: http.status, error: http.body.error, cause };
};

describe("name conflicts", () => {
  it("puts a taken name under the name field, and leaves other refusals by field", () => {
    expect(nameConflictErrors(failure(new Conflict({ message: "An inbox named Sales already exists" })))).toEqual({
      name: "An inbox named Sales already exists",
    });
    expect(nameConflictErrors(failure(new InvalidInput({ issues: [{ path: "fallbackEmail", message: "enter an email address" }] })))).toEqual({
      fallbackEmail: "enter an email address",
    });
  });
});
