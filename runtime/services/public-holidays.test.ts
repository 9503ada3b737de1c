import { describe, expect, it } from "vitest";
import { holidayCountries, holidayRegions, publicHolidays } from "./public-holidays.js";

describe("public holidays", () => {
  it("lists countries by name, and regions where holidays differ", () => {
    const countries = holidayCountries();
    expect(countries.length).toBeGreaterThan(150);
    expect(countries).toContainEqual({ code: "DE", name: "Germany" });
    expect(countries.map((c) => c.name)).toEqual([...countries.map((c) => c.name)].sort((a, b) => a.localeCompare(b, "en")));
    expect(holidayRegions("DE")).toContainEqual({ code: "BY", name: expect.stringMatching(/^Ba(yern|varia)$/) });
    expect(holidayRegions("XX")).toBeNull();
  });

  it("gives the public days off of a year, movable feasts computed, one per day", () => {
    const bavaria = publicHolidays("DE", "BY", 2027);
    expect(bavaria).toContainEqual({ date: "2027-03-26", name: "Good Friday" });
    expect(bavaria).toContainEqual({ date: "2027-05-27", name: "Corpus Christi" });
    expect(bavaria.map((h) => h.date)).toEqual([...new Set(bavaria.map((h) => h.date))].sort());
    // Corpus Christi is a Bavarian holiday, not a Berlin one.
    expect(publicHolidays("DE", "BE", 2027).map((h) => h.date)).not.toContain("2027-05-27");
    // Observances (Mother's Day) are not days off.
    expect(publicHolidays("US", undefined, 2027).map((h) => h.name)).not.toContain("Mother's Day");
    expect(publicHolidays("US", undefined, 2027)).toContainEqual({ date: "2027-07-04", name: "Independence Day" });
  });
});
