import { describe, expect, it } from "vitest";
import { chat as de } from "../i18n/de.js";
import { chat as en } from "../i18n/en.js";
import { backLine, closedForLine, closesLine } from "./back-line.js";

const now = Date.parse("2026-12-24T10:00:00Z");

describe("the away view's back line", () => {
  it("says when the team is back, on the visitor's clock, in the widget's language", () => {
    expect(backLine(en.awayBack, "2026-12-28T08:00:00.000Z", en.locale, now, "Europe/Berlin")).toBe("We're back on Monday, December 28 at 9:00 AM.");
    expect(backLine(de.awayBack, "2026-12-28T08:00:00.000Z", de.locale, now, "Europe/Berlin")).toBe("Wir sind ab Montag, 28. Dezember um 9:00 wieder da.");
    expect(backLine(en.awayBack, "2026-12-28T08:00:00.000Z", en.locale, now, "America/New_York")).toBe("We're back on Monday, December 28 at 3:00 AM.");
  });

  it("says nothing without an instant to come, or one more than a year off", () => {
    for (const value of [null, undefined, 42, "", "soon", "2026-12-24T09:00:00Z", "2026-12-24T10:00:00Z", "2028-01-01T00:00:00Z", "<b>x</b>"]) {
      expect(backLine(en.awayBack, value, en.locale, now, "UTC"), String(value)).toBeNull();
    }
  });
});

describe("the away view's closed-for line", () => {
  it("names the holiday in the widget's language, and says nothing without a name", () => {
    expect(closedForLine(en.awayClosedFor, "Christmas Day")).toBe("We're closed today for Christmas Day.");
    expect(closedForLine(de.awayClosedFor, " Heiligabend ")).toBe("Heute ist bei uns geschlossen: Heiligabend.");
    for (const value of [null, undefined, "", "  ", 42]) expect(closedForLine(en.awayClosedFor, value)).toBeNull();
    expect(closedForLine(en.awayClosedFor, "x".repeat(300))).toBe(`We're closed today for ${"x".repeat(100)}.`);
  });
});

describe("the heading's open-until line on a special day (decision 053)", () => {
  // Thursday 24 December 2026, 10:00 UTC; the hours end at 12:00 UTC (13:00 in Berlin).
  const closesAt = "2026-12-24T12:00:00.000Z";

  it("says until when the chat is open today, on the visitor's clock, in the widget's language, with the day's name", () => {
    expect(closesLine(en, closesAt, "Christmas Eve", now, "Europe/Berlin")).toBe("Open today until 1:00 PM (Christmas Eve)");
    expect(closesLine(de, closesAt, "Heiligabend", now, "Europe/Berlin")).toBe("Heute geöffnet bis 13:00 Uhr (Heiligabend)");
    expect(closesLine(en, closesAt, null, now, "America/New_York")).toBe("Open today until 7:00 AM");
    expect(closesLine(en, closesAt, "  ", now, "UTC")).toBe("Open today until 12:00 PM");
  });

  it("names the weekday when the closing falls on another day on the visitor's clock", () => {
    // 12:00 UTC is 01:00 on Friday in Auckland (UTC+13), while it is still Thursday 23:00 there.
    expect(closesLine(en, closesAt, "Christmas Eve", Date.parse("2026-12-24T10:00:00Z"), "Pacific/Auckland")).toBe("Open until Fri 1:00 AM (Christmas Eve)");
    expect(closesLine(de, closesAt, null, Date.parse("2026-12-24T10:00:00Z"), "Pacific/Auckland")).toBe("Geöffnet bis Fr., 01:00 Uhr");
  });

  it("says nothing without an instant to come within a day", () => {
    for (const value of [null, undefined, 42, "", "soon", "2026-12-24T09:00:00Z", "2026-12-24T10:00:00Z", "2026-12-25T10:00:01Z", "<b>x</b>"]) {
      expect(closesLine(en, value, "Christmas Eve", now, "UTC"), String(value)).toBeNull();
    }
    expect(closesLine(en, closesAt, "x".repeat(300), now, "UTC")).toBe(`Open today until 12:00 PM (${"x".repeat(100)})`);
  });
});
