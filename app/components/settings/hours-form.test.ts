import { describe, expect, it } from "vitest";
import { closedDatesOf, hoursIssueFields, weeklyHoursOf } from "./hours-form.js";
import { teamHoursLine } from "./team-hours-text.js";

const formOf = (entries: Record<string, string>) => {
  const form = new FormData();
  for (const [name, value] of Object.entries(entries)) form.set(name, value);
  return form;
};

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
