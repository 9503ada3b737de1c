import { describe, expect, it } from "vitest";
import { Conflict, InvalidInput, toHttpError, type ApiError } from "../../../runtime/services/errors.js";
import { closedDatesOf, hoursIssueFields, weeklyHoursOf } from "./hours-form.js";
import { memberCandidates } from "./members.js";
import { nameConflictErrors } from "./page-parts.js";
import { visitorProfileValues, workingHoursMessage, workingHoursOf } from "./profile-forms.js";
import { closedQueueText, teamHoursLine } from "./team-hours-text.js";

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

describe("weeklyHoursOf", () => {
  it("reads each day's ranges in week order, a second one from its own fields, 00:00–00:00 as the whole day", () => {
    const read = weeklyHoursOf(formOf({ "from-tue": "09:00", "to-tue": "12:00", "from-tue-2": "13:00", "to-tue-2": "17:00", "from-mon": "00:00", "to-mon": "00:00", "from-wed": "", "to-wed": "" }));
    expect(read.hours).toEqual([
      { day: "mon", from: "00:00", to: "24:00" },
      { day: "tue", from: "09:00", to: "12:00" },
      { day: "tue", from: "13:00", to: "17:00" },
    ]);
    expect(read.fields).toEqual(["mon", "tue", "tue-2"]);
    expect(read.errors).toEqual({});
  });

  it("names the empty half of a half-filled range", () => {
    expect(weeklyHoursOf(formOf({ "from-fri": "09:00", "from-sat-2": "", "to-sat": "10:00" })).errors).toEqual({
      "to-fri": "enter when the day closes, or clear both times",
      "from-sat": "enter when the day opens, or clear both times",
    });
  });
});

describe("closedDatesOf", () => {
  it("keeps rows with a date that are not ticked for removal, with their names and yearly", () => {
    const read = closedDatesOf(
      formOf({
        "closed-count": "4",
        "closed-0-date": "2026-12-24",
        "closed-0-name": " Christmas Eve ",
        "closed-0-yearly": "on",
        "closed-1-date": "2026-12-31",
        "closed-1-remove": "on",
        "closed-2-date": "2027-01-01",
        "closed-3-date": "",
        "closed-3-name": "ignored",
      }),
    );
    expect(read.closedDates).toEqual([
      { date: "2026-12-24", name: "Christmas Eve", yearly: true },
      { date: "2027-01-01", yearly: false },
    ]);
    expect(read.rows).toEqual([0, 2]);
  });
});

describe("closedDatesOf: special hours (decision 051)", () => {
  it("reads each row's open-from-to pairs, 00:00 closing as midnight, none as closed all day, and names a half-filled pair by the kept row", () => {
    const read = closedDatesOf(
      formOf({
        "closed-count": "4",
        "closed-0-date": "2026-12-31",
        "closed-0-remove": "on",
        "closed-0-from": "09:00",
        "closed-1-date": "2026-12-24",
        "closed-1-from": "09:00",
        "closed-1-to": "13:00",
        "closed-1-from-2": "15:00",
        "closed-1-to-2": "00:00",
        "closed-2-date": "2027-01-01",
        "closed-2-from": "",
        "closed-2-to": "",
        "closed-3-date": "2027-01-02",
        "closed-3-from": "10:00",
      }),
    );
    expect(read.closedDates).toEqual([
      { date: "2026-12-24", yearly: false, hours: [{ from: "09:00", to: "13:00" }, { from: "15:00", to: "24:00" }] },
      { date: "2027-01-01", yearly: false },
      { date: "2027-01-02", yearly: false, hours: [{ from: "10:00", to: "" }] },
    ]);
    expect(read.errors).toEqual({ "closed-2-to": "enter when the day closes, or clear both times" });
  });

  it("puts the runtime's special hours issues on the row's pair", () => {
    const issues = [
      { path: "closedDates[1].hours[1].to", message: "the closing time must be after 22:00 (a special day ends at 24:00)" },
      { path: "closedDates[0].hours", message: "at most 4 ranges on a special day" },
    ];
    expect(hoursIssueFields(issues, { closedRows: [0, 3] })).toEqual({
      "closed-3-to-2": "the closing time must be after 22:00 (a special day ends at 24:00)",
      "closed-0-from": "at most 4 ranges on a special day",
    });
  });
});

describe("hoursIssueFields", () => {
  it("puts each issue on the field it came from, the first message of a field winning", () => {
    const issues = [
      { path: "hours[1].to", message: "a time is HH:MM (24 h)" },
      { path: "hours[1].to", message: "second" },
      { path: "closedDates[1].date", message: "this date is not on the calendar" },
      { path: "timezone", message: "not a time zone" },
      { path: "hours", message: "at least one range of hours" },
      { path: "", message: "the body" },
    ];
    expect(hoursIssueFields(issues, { hourFields: ["mon", "tue-2"], closedRows: [0, 3] })).toEqual({
      "to-tue-2": "a time is HH:MM (24 h)",
      "closed-3-date": "this date is not on the calendar",
      timezone: "not a time zone",
      hours: "at least one range of hours",
      form: "the body",
    });
  });
});

describe("teamHoursLine", () => {
  const schedule = { timezone: "Europe/Berlin", hours: (["mon", "tue", "wed", "thu", "fri"] as const).map((day) => ({ day, from: "09:00", to: "17:00" })) };
  it("says no hours, open with the week and zone, or closed with when it opens", () => {
    expect(teamHoursLine({ hours: { source: "none" }, schedule: null, hoursSummary: { open: true, text: "" } })).toBe("No hours");
    expect(teamHoursLine({ hours: { source: "workspace" }, schedule: null, hoursSummary: { open: true, text: "" } })).toBe("No hours (the workspace has none set)");
    expect(teamHoursLine({ hours: { source: "own" }, schedule, hoursSummary: { open: true, text: "Open now" } })).toBe("Open now · Mon–Fri 09:00–17:00 Europe/Berlin");
    expect(teamHoursLine({ hours: { source: "workspace" }, schedule, hoursSummary: { open: false, text: "Closed · opens Mon 28 December at 09:00" } })).toBe(
      "Closed · opens Mon 28 December at 09:00 (the workspace's)",
    );
  });
});

describe("closedQueueText", () => {
  it("says per closed team how many wait and until when on its clock, or that its hours never open", () => {
    expect(closedQueueText([])).toBe("");
    expect(
      closedQueueText([
        { name: "Sales", queued: 2, opensAt: Date.UTC(2026, 10, 30, 8, 0), timezone: "Europe/Berlin" },
        { name: "Night", queued: 1, opensAt: null, timezone: "UTC" },
      ]),
    ).toBe("2 for Sales, closed until Mon 30 November at 09:00 (Europe/Berlin); 1 for Night, whose hours never open");
  });
});
