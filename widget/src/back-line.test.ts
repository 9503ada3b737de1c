import { describe, expect, it } from "vitest";
import { chat as de } from "../i18n/de.js";
import { chat as en } from "../i18n/en.js";
import { backLine, closedForLine } from "./back-line.js";

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
