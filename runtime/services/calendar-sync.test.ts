import { describe, expect, it } from "vitest";
import type { ClosedDate } from "../../flows/flow-spec.js";
import { changesList, planCalendarSync, planUnsubscribe } from "./calendar-sync.js";

const TODAY = "2026-11-27";
const d = (date: string, name?: string, yearly = false): ClosedDate => ({ date, ...(name !== undefined ? { name } : {}), yearly });

describe("planCalendarSync", () => {
  it("adds the calendar's new days, owns them, and skips days closed for another reason", () => {
    const list = [d("2026-12-24", "Christmas Eve (typed)")];
    const plan = planCalendarSync(list, [], [d("2026-12-24", "Christmas Eve"), d("2026-12-25", "Christmas Day"), d("2027-01-01", "New Year")], TODAY);
    expect(plan.refused).toBeUndefined();
    expect(plan.added.map((c) => c.date)).toEqual(["2026-12-25", "2027-01-01"]);
    expect(plan.skipped).toEqual([{ date: "2026-12-24", reason: "already closed (Christmas Eve (typed))" }]);
    expect(plan.closedDates).toEqual([d("2026-12-24", "Christmas Eve (typed)"), d("2026-12-25", "Christmas Day"), d("2027-01-01", "New Year")]);
    expect(plan.owned.map((c) => c.date)).toEqual(["2026-12-25", "2027-01-01"]);
    expect(changesList(plan)).toBe(true);
  });

  it("a yearly date by hand closes the day of any year: the calendar's once date is skipped", () => {
    const plan = planCalendarSync([d("2000-12-25", "Christmas", true)], [], [d("2026-12-25", "Christmas Day")], TODAY);
    expect(plan.added).toEqual([]);
    expect(plan.skipped).toHaveLength(1);
    expect(changesList(plan)).toBe(false);
  });

  it("renames a date it added when the calendar renames the event", () => {
    const owned = [d("2026-12-25", "Xmas")];
    const plan = planCalendarSync([d("2026-12-25", "Xmas"), d("2026-12-31", "By hand")], owned, [d("2026-12-25", "Christmas Day")], TODAY);
    expect(plan.renamed).toEqual([{ from: d("2026-12-25", "Xmas"), to: d("2026-12-25", "Christmas Day") }]);
    expect(plan.closedDates).toEqual([d("2026-12-25", "Christmas Day"), d("2026-12-31", "By hand")]);
    expect(plan.owned).toEqual([d("2026-12-25", "Christmas Day")]);
  });

  it("removes only its own dates that left the calendar; dates by hand, of other subscriptions and past ones stay", () => {
    const list = [d("2026-01-06", "Epiphany (past)"), d("2026-12-24", "By hand"), d("2026-12-25", "Christmas"), d("2026-12-26", "Other subscription")];
    const owned = [d("2026-01-06", "Epiphany (past)"), d("2026-12-25", "Christmas")];
    const plan = planCalendarSync(list, owned, [d("2027-01-01", "New Year")], TODAY);
    expect(plan.removed).toEqual([d("2026-12-25", "Christmas")]);
    expect(plan.added).toEqual([d("2027-01-01", "New Year")]);
    expect(plan.closedDates.map((c) => c.date)).toEqual(["2026-01-06", "2026-12-24", "2026-12-26", "2027-01-01"]);
    // The past date is still its own (an unsubscribe from today on leaves it too).
    expect(plan.owned.map((c) => c.date)).toEqual(["2026-01-06", "2027-01-01"]);
  });

  it("leaves a date alone once a person changed it, and does not add back one a person removed", () => {
    // The person removed the subscription's 25th and typed the 26th with another name.
    const owned = [d("2026-12-25", "Christmas"), d("2026-12-26", "Boxing Day")];
    const list = [d("2026-12-26", "Second day (typed)")];
    const calendar = [d("2026-12-25", "Christmas"), d("2026-12-26", "Boxing Day")];
    const plan = planCalendarSync(list, owned, calendar, TODAY);
    expect(changesList(plan)).toBe(false);
    expect(plan.closedDates).toEqual(list);
    // Remembered while the calendar keeps them, so the next sync does not add them back either.
    expect(plan.owned).toEqual(owned);
    expect(changesList(planCalendarSync(plan.closedDates, plan.owned, calendar, TODAY))).toBe(false);
    // Once the calendar drops them they are forgotten, and the typed date is not removed.
    const dropped = planCalendarSync(list, owned, [], TODAY);
    expect(dropped.removed).toEqual([]);
    expect(dropped.owned).toEqual([]);
  });

  it("refuses a sync past 200 dates and changes nothing", () => {
    const list = Array.from({ length: 199 }, (_, i) => d(`2027-${String(Math.floor(i / 28) + 1).padStart(2, "0")}-${String((i % 28) + 1).padStart(2, "0")}`));
    const owned = [d("2026-12-25", "Christmas")];
    const plan = planCalendarSync([...list, d("2026-12-25", "Christmas")].slice(0, 200), owned, [d("2026-12-25", "Christmas Day"), d("2028-01-01", "New Year")], TODAY);
    expect(plan.refused).toMatch(/201 closed dates; at most 200/);
    expect(plan.added).toEqual([]);
    expect(plan.renamed).toEqual([]);
    expect(plan.owned).toEqual(owned);
    expect(changesList(plan)).toBe(false);
  });

  it("an unchanged calendar changes nothing", () => {
    const owned = [d("2026-12-25", "Christmas"), d("2000-05-01", "Labour Day", true)];
    const plan = planCalendarSync(owned, owned, owned, TODAY);
    expect(changesList(plan)).toBe(false);
    expect(plan.owned).toEqual([d("2026-12-25", "Christmas"), d("2000-05-01", "Labour Day", true)]);
  });
});

describe("planUnsubscribe", () => {
  it("removes the subscription's own dates from today on, as it wrote them", () => {
    const list = [d("2026-01-06", "Epiphany"), d("2026-12-24", "By hand"), d("2026-12-25", "Christmas"), d("2026-12-26", "Changed by a person")];
    const owned = [d("2026-01-06", "Epiphany"), d("2026-12-25", "Christmas"), d("2026-12-26", "Boxing Day")];
    const planned = planUnsubscribe(list, owned, TODAY);
    expect(planned.removed).toEqual([d("2026-12-25", "Christmas")]);
    expect(planned.closedDates.map((c) => c.date)).toEqual(["2026-01-06", "2026-12-24", "2026-12-26"]);
  });
});
