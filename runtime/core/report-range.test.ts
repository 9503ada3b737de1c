import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { daysBetween, localDay, parseReportQuery, queryParams } from "./report-range.js";

const noon = Date.UTC(2026, 2, 30, 12); // Monday 30 March 2026, 14:00 in Berlin (summer time)

const parse = (params: Record<string, string>, timezone = "Europe/Berlin", now = noon) => parseReportQuery(params, timezone, now);
const ok = (params: Record<string, string>, timezone?: string) => {
  const result = parse(params, timezone);
  if (Either.isLeft(result)) throw new Error(JSON.stringify(result.left));
  return result.right;
};
const issues = (params: Record<string, string>) => {
  const result = parse(params);
  return Either.isLeft(result) ? result.left : [];
};

describe("report ranges", () => {
  it("resolves the presets to local days ending today", () => {
    expect(ok({}).range).toMatchObject({ preset: "30d", from: "2026-03-01", to: "2026-03-30" });
    expect(ok({ range: "today" }).range).toMatchObject({ from: "2026-03-30", to: "2026-03-30", start: Date.UTC(2026, 2, 29, 22), end: Date.UTC(2026, 2, 30, 22) });
    expect(ok({ range: "7d" }).range).toMatchObject({ from: "2026-03-24", to: "2026-03-30" });
    expect(ok({ range: "7d" }).range.days).toHaveLength(7);
  });

  it("gives daylight-saving days their real length", () => {
    const days = daysBetween("Europe/Berlin", "2026-03-28", "2026-03-30");
    expect(days.map((d) => (d.end - d.start) / 3_600_000)).toEqual([24, 23, 24]);
    expect(days[1]!.start).toBe(Date.UTC(2026, 2, 28, 23));
    const autumn = daysBetween("Europe/Berlin", "2026-10-25", "2026-10-25");
    expect((autumn[0]!.end - autumn[0]!.start) / 3_600_000).toBe(25);
    // Days are contiguous: each ends where the next begins.
    const month = daysBetween("America/Sao_Paulo", "2026-01-01", "2026-12-31");
    for (let i = 1; i < month.length; i++) expect(month[i]!.start).toBe(month[i - 1]!.end);
  });

  it("uses the zone for the day an instant falls on", () => {
    expect(localDay("UTC", Date.UTC(2026, 2, 2, 23, 30))).toBe("2026-03-02");
    expect(localDay("Europe/Berlin", Date.UTC(2026, 2, 2, 23, 30))).toBe("2026-03-03");
    expect(localDay("Asia/Kathmandu", Date.UTC(2026, 2, 2, 18, 15))).toBe("2026-03-03");
  });

  it("accepts custom spans and says what is wrong with bad ones", () => {
    expect(ok({ range: "custom", from: "2026-02-01", to: "2026-02-28" }).range.days).toHaveLength(28);
    expect(issues({ range: "week" })).toEqual([{ path: "range", message: "expected one of today, 7d, 30d, custom" }]);
    expect(issues({ range: "custom" })).toEqual([
      { path: "from", message: "a custom range needs a first day (YYYY-MM-DD)" },
      { path: "to", message: "a custom range needs a last day (YYYY-MM-DD)" },
    ]);
    expect(issues({ range: "custom", from: "2026-02-30", to: "2026-03-01" })).toEqual([{ path: "from", message: "expected a date written YYYY-MM-DD" }]);
    expect(issues({ range: "custom", from: "2026-03-02", to: "2026-03-01" })).toEqual([{ path: "to", message: "the last day is before the first day" }]);
    expect(issues({ range: "custom", from: "2024-01-01", to: "2026-03-01" })).toEqual([{ path: "to", message: "a range is at most 366 days" }]);
  });

  it("reads filters as ids and writes them back", () => {
    const query = ok({ range: "custom", from: "2026-03-01", to: "2026-03-07", inbox: "inbox_support", flow: "flow_x" });
    expect(query.filters).toEqual({ inbox: "inbox_support", flow: "flow_x" });
    expect(queryParams(query).toString()).toBe("range=custom&from=2026-03-01&to=2026-03-07&inbox=inbox_support&flow=flow_x");
    expect(queryParams(query, { flow: undefined, team: "t" }).toString()).toBe("range=custom&from=2026-03-01&to=2026-03-07&inbox=inbox_support&team=t");
    expect(issues({ team: "<script>" })).toEqual([{ path: "team", message: "expected an id (letters, digits, _ . : -; at most 100)" }]);
  });

  it("reads the business-hours switch, writes it back, and names a wrong value", () => {
    const query = ok({ range: "7d", hours: "business" });
    expect(query.hours).toBe("business");
    expect(queryParams(query).toString()).toBe("range=7d&hours=business");
    expect(ok({ range: "7d" }).hours).toBeUndefined();
    expect(issues({ hours: "office" })).toEqual([{ path: "hours", message: "expected business (or nothing for wall-clock time)" }]);
  });

  it("falls back to UTC for a zone the platform does not know", () => {
    expect(ok({ range: "today" }, "Mars/Olympus").range.timezone).toBe("UTC");
  });
});
