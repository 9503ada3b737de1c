import { describe, expect, it } from "vitest";
import { cadenceText, isoWeekday, latestRunAtOrBefore, nextRunAfter, periodOfRun, previousPeriod, type ReportCadence } from "./report-schedule.js";

const iso = (text: string) => Date.parse(text);
const BERLIN = "Europe/Berlin";
const daily8: ReportCadence = { frequency: "daily", weekday: 1, hour: 8 };
const monday9: ReportCadence = { frequency: "weekly", weekday: 1, hour: 9 };

describe("isoWeekday", () => {
  it.each([
    ["2026-11-23", 1],
    ["2026-11-28", 6],
    ["2026-11-29", 7],
  ])("%s is weekday %i", (day, weekday) => expect(isoWeekday(day)).toBe(weekday));
});

describe("nextRunAfter", () => {
  it("runs daily at the hour, later the same day when the hour is still ahead", () => {
    expect(nextRunAfter(daily8, BERLIN, iso("2026-11-27T06:00:00Z"))).toBe(iso("2026-11-27T07:00:00Z"));
    expect(nextRunAfter(daily8, BERLIN, iso("2026-11-27T07:30:00Z"))).toBe(iso("2026-11-28T07:00:00Z"));
  });

  it("is strictly after the instant given (a run's own time gives the next one)", () => {
    const run = iso("2026-11-27T07:00:00Z");
    expect(nextRunAfter(daily8, BERLIN, run)).toBe(iso("2026-11-28T07:00:00Z"));
  });

  it("keeps the local hour across the spring-forward change (UTC moves an hour)", () => {
    // 28 March 2026 is CET (UTC+1), 29 March CEST (UTC+2).
    expect(nextRunAfter(daily8, BERLIN, iso("2026-03-28T07:00:00Z"))).toBe(iso("2026-03-29T06:00:00Z"));
  });

  it("keeps the local hour across the autumn change, weekly", () => {
    // Monday 19 Oct 2026 09:00 CEST = 07:00Z; Monday 26 Oct 09:00 CET = 08:00Z.
    expect(nextRunAfter(monday9, BERLIN, iso("2026-10-19T07:00:00Z"))).toBe(iso("2026-10-26T08:00:00Z"));
  });

  it("runs an hour the spring-forward change skips at the change itself", () => {
    const at2: ReportCadence = { frequency: "daily", weekday: 1, hour: 2 };
    // 02:00 does not exist in Berlin on 29 March 2026: the clocks jump from 02:00 CET (01:00Z) to 03:00 CEST.
    expect(nextRunAfter(at2, BERLIN, iso("2026-03-28T12:00:00Z"))).toBe(iso("2026-03-29T01:00:00Z"));
  });

  it("finds the chosen weekday up to a week ahead", () => {
    const sunday7: ReportCadence = { frequency: "weekly", weekday: 7, hour: 7 };
    // Friday 27 Nov 2026 → Sunday 29 Nov 07:00 CET.
    expect(nextRunAfter(sunday7, BERLIN, iso("2026-11-27T12:00:00Z"))).toBe(iso("2026-11-29T06:00:00Z"));
    // Sunday past the hour → the next Sunday.
    expect(nextRunAfter(sunday7, BERLIN, iso("2026-11-29T06:00:00Z"))).toBe(iso("2026-12-06T06:00:00Z"));
  });

  it("works on a zone east of UTC whose local day starts the UTC day before", () => {
    // Auckland in November is UTC+13: Saturday 28 Nov 06:00 local = Friday 27 Nov 17:00Z.
    const saturday6: ReportCadence = { frequency: "weekly", weekday: 6, hour: 6 };
    expect(nextRunAfter(saturday6, "Pacific/Auckland", iso("2026-11-27T12:00:00Z"))).toBe(iso("2026-11-27T17:00:00Z"));
  });
});

describe("latestRunAtOrBefore", () => {
  it("is the run itself at its instant, else the one before", () => {
    expect(latestRunAtOrBefore(daily8, BERLIN, iso("2026-11-27T07:00:00Z"))).toBe(iso("2026-11-27T07:00:00Z"));
    expect(latestRunAtOrBefore(daily8, BERLIN, iso("2026-11-27T06:59:00Z"))).toBe(iso("2026-11-26T07:00:00Z"));
  });

  it("after days down finds only the latest missed run (one run, not one per period)", () => {
    // Down from Monday 16 Nov to Friday 27 Nov: the Monday 23 Nov run is the one to make up.
    expect(latestRunAtOrBefore(monday9, BERLIN, iso("2026-11-27T10:00:00Z"))).toBe(iso("2026-11-23T08:00:00Z"));
  });
});

describe("periodOfRun", () => {
  it("covers the day before a daily run and the 7 days before a weekly one, in local days", () => {
    expect(periodOfRun("daily", BERLIN, iso("2026-11-27T07:00:00Z"))).toEqual({ from: "2026-11-26", to: "2026-11-26" });
    expect(periodOfRun("weekly", BERLIN, iso("2026-11-23T08:00:00Z"))).toEqual({ from: "2026-11-16", to: "2026-11-22" });
  });

  it("reads the run's day on the workspace's clock, not UTC's", () => {
    // 00:30 local in Berlin on 27 Nov is still 26 Nov in UTC.
    expect(periodOfRun("daily", BERLIN, iso("2026-11-26T23:30:00Z"))).toEqual({ from: "2026-11-26", to: "2026-11-26" });
  });

  it("has a previous period of the same length just before it", () => {
    expect(previousPeriod({ from: "2026-11-16", to: "2026-11-22" }, "weekly")).toEqual({ from: "2026-11-09", to: "2026-11-15" });
    expect(previousPeriod({ from: "2026-03-01", to: "2026-03-01" }, "daily")).toEqual({ from: "2026-02-28", to: "2026-02-28" });
  });
});

describe("cadenceText", () => {
  it("names the day and hour", () => {
    expect(cadenceText(monday9)).toBe("Every Monday at 09:00");
    expect(cadenceText({ frequency: "daily", weekday: 3, hour: 17 })).toBe("Every day at 17:00");
  });
});
