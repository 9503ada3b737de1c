import ICAL from "ical.js";
import { describe, expect, it } from "vitest";
import { weeklyHoursCalendar } from "./hours-calendar.js";

const options = { name: "Opening hours", eventName: "Open", scope: "workspace", stamp: Date.UTC(2026, 10, 27, 12), today: "2026-11-27" };

/** The calendar read back as a calendar app would: its own VTIMEZONE registered, each event's occurrences as UTC instants. */
const readBack = (text: string, until: string) => {
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const zone of calendar.getAllSubcomponents("vtimezone")) ICAL.TimezoneService.register(zone);
  try {
    return calendar.getAllSubcomponents("vevent").map((component) => {
      const event = new ICAL.Event(component);
      const starts: string[] = [];
      const iterator = event.iterator();
      for (let next = iterator.next(); next && next.toString() <= until; next = iterator.next()) {
        const details = event.getOccurrenceDetails(next);
        starts.push(`${new Date(details.startDate.toUnixTime() * 1000).toISOString().slice(0, 16)}–${new Date(details.endDate.toUnixTime() * 1000).toISOString().slice(11, 16)}`);
        if (!event.isRecurring()) break;
      }
      return { summary: event.summary, starts };
    });
  } finally {
    for (const zone of calendar.getAllSubcomponents("vtimezone")) ICAL.TimezoneService.remove(String(zone.getFirstPropertyValue("tzid")));
  }
};

describe("weeklyHoursCalendar", () => {
  it("writes each range as a weekly event on the zone's clock, which a calendar app places right on both sides of DST", () => {
    const text = weeklyHoursCalendar({ timezone: "Europe/Berlin", hours: [{ day: "mon", from: "09:00", to: "17:00" }], closedDates: [] }, options);
    expect(text).toContain("DTSTART;TZID=Europe/Berlin:20261130T090000\r\n");
    expect(text).toContain("RRULE:FREQ=WEEKLY;BYDAY=MO\r\n");
    expect(text).toContain("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n");
    const [monday] = readBack(text, "2027-04-06");
    // 09:00 in Berlin: 08:00 UTC in winter, 07:00 UTC after 28 March 2027.
    expect(monday?.starts[0]).toBe("2026-11-30T08:00–16:00");
    expect(monday?.starts).toContain("2027-03-22T08:00–16:00");
    expect(monday?.starts).toContain("2027-03-29T07:00–15:00");
    expect(monday?.starts.at(-1)).toBe("2027-04-05T07:00–15:00");
  });

  it("leaves out closed days (yearly ones every year), adds a special day's hours, and crosses midnight", () => {
    const text = weeklyHoursCalendar(
      {
        timezone: "America/New_York",
        hours: [
          { day: "mon", from: "09:00", to: "17:00" },
          { day: "fri", from: "22:00", to: "02:00" },
        ],
        closedDates: [
          { date: "2026-12-07", name: "Inventory", yearly: false },
          { date: "2000-12-28", name: "Year end", yearly: true },
          { date: "2026-12-14", name: "Short day", yearly: false, hours: [{ from: "10:00", to: "12:00" }] },
          { date: "2025-12-01", name: "Past", yearly: false },
        ],
      },
      { ...options, eventName: "Sales open", scope: "team_sales" },
    );
    const [monday, friday, special] = readBack(text, "2027-01-05");
    expect(monday?.summary).toBe("Sales open");
    expect(monday?.starts).toEqual(["2026-11-30T14:00–22:00", "2026-12-21T14:00–22:00", "2027-01-04T14:00–22:00"]);
    // Friday 27 November, 22:00 in New York to 02:00 on Saturday.
    expect(friday?.starts[0]).toBe("2026-11-28T03:00–07:00");
    expect(special).toEqual({ summary: "Sales open (Short day)", starts: ["2026-12-14T15:00–17:00"] });
    // A yearly date is left out every year up to two ahead: Christmas is a Monday in 2028.
    const christmas = weeklyHoursCalendar({ timezone: "America/New_York", hours: [{ day: "mon", from: "09:00", to: "17:00" }], closedDates: [{ date: "2000-12-25", yearly: true }] }, options);
    expect(christmas).toContain("EXDATE;TZID=America/New_York:20281225T090000\r\n");
  });

  it("is an empty calendar without weekly hours, and a zone without DST has one observance", () => {
    const empty = weeklyHoursCalendar(null, options);
    expect(empty).toContain("X-WR-CALNAME:Opening hours\r\n");
    expect(empty).not.toContain("BEGIN:VEVENT");
    const utc = weeklyHoursCalendar({ timezone: "UTC", hours: [{ day: "sun", from: "00:00", to: "24:00" }], closedDates: [] }, options);
    expect(utc.match(/BEGIN:STANDARD|BEGIN:DAYLIGHT/g)).toEqual(["BEGIN:STANDARD"]);
    expect(readBack(utc, "2026-12-07")[0]?.starts).toEqual(["2026-11-29T00:00–00:00", "2026-12-06T00:00–00:00"]);
  });
});
