import { describe, expect, it } from "vitest";
import { niceMax } from "./charts.js";
import { csvField, toCsv } from "../../csv.js";
import { toFlowAnalytics } from "./flow-overlay.js";
import { formatClosedDate, formatDuration, formatHours, formatPercent, formatStamp } from "./format.js";
import { customRangeProblem } from "./report-ui.js";
import { botDailyTable, breachesTable, newestDayFirst, teamAgentsTable, teamVolumeTable, type ReportTable } from "./tables.js";
import type { BotOverview, Breach, BreachPage, TeamReport } from "../../runtime.server.js";

describe("a custom range", () => {
  it("needs both days, the last on or after the first", () => {
    expect(customRangeProblem("2026-11-01", "2026-11-30")).toBeNull();
    expect(customRangeProblem("2026-11-30", "2026-11-30")).toBeNull();
    expect(customRangeProblem("2026-11-30", "2026-11-01")).toMatch(/last day is before the first/);
    expect(customRangeProblem("", "2026-11-01")).toMatch(/both/);
  });
});

describe("report formats", () => {
  it("writes durations as h:mm:ss and shares with one decimal", () => {
    expect(formatDuration(545_000)).toBe("0:09:05");
    expect(formatDuration(26 * 3_600_000 + 5 * 60_000)).toBe("26:05:00");
    expect(formatDuration(499)).toBe("0:00:00");
    expect(formatDuration(null)).toBe("n/a");
    expect(formatPercent(1 / 7)).toBe("14.3%");
    expect(formatPercent(null)).toBe("n/a");
    expect(formatStamp(Date.UTC(2026, 2, 2, 23, 30), "Europe/Berlin")).toBe("2026-03-03 00:30");
  });

  it("writes weekly hours in one line, joining runs of days", () => {
    const weekdays = ["fri", "mon", "tue", "wed", "thu"].map((day) => ({ day, from: "09:00", to: "17:00" }));
    expect(formatHours([...weekdays, { day: "sat", from: "10:00", to: "14:00" }])).toBe("Mon–Fri 09:00–17:00; Sat 10:00–14:00");
    expect(formatHours([{ day: "sun", from: "22:00", to: "02:00" }, { day: "mon", from: "22:00", to: "02:00" }, { day: "wed", from: "22:00", to: "02:00" }])).toBe(
      "Mon, Wed, Sun 22:00–02:00",
    );
    expect(formatHours([])).toBe("no business hours");
  });

  it("writes a closed date with its weekday, or as every year", () => {
    expect(formatClosedDate({ date: "2026-12-24", yearly: false })).toBe("Thu 24 December 2026");
    expect(formatClosedDate({ date: "2026-01-01", yearly: true })).toBe("1 January, every year");
    expect(formatClosedDate({ date: "2028-02-29", yearly: true })).toBe("29 February, every year");
  });

  it("rounds chart axes up to 1, 2, 2.5 or 5 times a power of ten", () => {
    expect([0, 0.3, 7, 13, 240, 1001].map(niceMax)).toEqual([1, 0.5, 10, 20, 250, 2000]);
  });
});

describe("CSV", () => {
  it("quotes commas, quotes and line breaks, and defuses spreadsheet formulas in text", () => {
    expect(csvField('Ann "the boss", Sales')).toBe('"Ann ""the boss"", Sales"');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvField("-3", true)).toBe("-3");
    expect(csvField("@team")).toBe("'@team");
  });

  it("serialises a table's exact rows with a header, CRLF and a byte-order mark", () => {
    const table: ReportTable = {
      id: "team-agents",
      title: "Agents",
      columns: [
        { label: "Agent", numeric: false },
        { label: "Replies", numeric: true },
      ],
      rows: [
        ["Zoë, Support", "3"],
        ["Bo", "0"],
      ],
      empty: "",
    };
    expect(toCsv(table)).toBe('\uFEFFAgent,Replies\r\n"Zoë, Support",3\r\nBo,0\r\n');
  });

  it("builds the agents table in the units the page shows", () => {
    const table = teamAgentsTable([
      {
        userId: "u",
        name: "Alex",
        assigned: 2,
        replies: 3,
        firstResponse: { count: 2, median: 540_000, p90: 684_000, mean: 540_000 },
        replyTime: { count: 0, median: null, p90: null, mean: null },
        satisfaction: { ratings: 3, average: 13 / 3, satisfied: 2 },
        firstResponseTarget: { met: 52, measured: 60 },
        nextReplyTarget: { met: 0, measured: 0 },
      },
      {
        userId: "v",
        name: "Bo",
        assigned: 1,
        replies: 0,
        firstResponse: { count: 0, median: null, p90: null, mean: null },
        replyTime: { count: 0, median: null, p90: null, mean: null },
        satisfaction: { ratings: 0, average: null, satisfied: 0 },
        firstResponseTarget: { met: 0, measured: 0 },
        nextReplyTarget: { met: 1, measured: 1 },
      },
    ]);
    expect(table.rows).toEqual([
      ["Alex", "2", "3", "2", "0:09:00", "n/a", "n/a", "3", "4.3", "66.7%", "86.7% (52 of 60)", "n/a", "8", "0"],
      ["Bo", "1", "0", "0", "n/a", "n/a", "n/a", "0", "n/a", "n/a", "n/a", "100.0% (1 of 1)", "0", "0"],
    ]);
    // A count of missed answers opens them; none missed, no link.
    expect(table.links?.map((row) => row.map((link, i) => (link ? [table.columns[i]!.label, link.to, link.params] : null)).filter(Boolean))).toEqual([
      [["First responses missed", "/reports/breaches", { agent: "u", kind: "first_response" }]],
      [],
    ]);
  });

  it("says per missed answer which clock judged it, naming a team whose own hours did (page and CSV alike)", () => {
    const breach = (id: string, businessHours: boolean, teamHours: string | null): Breach => ({
      eventId: 1,
      conversationId: id,
      title: "Ann",
      contactId: null,
      inboxId: "inbox_support",
      inboxName: "Support",
      userId: null,
      agentName: null,
      kind: "first_response",
      targetMs: 3_600_000,
      actualMs: 5_400_000,
      overMs: 1_800_000,
      businessHours,
      teamHours,
      waitedFrom: Date.UTC(2026, 2, 2, 9),
      at: Date.UTC(2026, 2, 2, 11),
    });
    const page = {
      query: { range: { timezone: "UTC" } },
      total: 3,
      breaches: [breach("c1", false, null), breach("c2", true, null), breach("c3", true, "Sales")],
      nextCursor: null,
    } as unknown as BreachPage;
    const table = breachesTable(page);
    const counts = table.columns.findIndex((c) => c.label === "Counts");
    expect(table.rows.map((row) => row[counts])).toEqual(["around the clock", "business hours", "business hours (Sales)"]);
    expect(toCsv(table)).toContain(",business hours (Sales),");
  });
});

describe("per-day tables", () => {
  const counts = (started: number) => ({ started, completed: 0, handed_off: 0, abandoned: 0, no_reply: 0, errored: 0, in_progress: started });

  it("list the newest day first, for the page and its CSV alike", () => {
    const overview = {
      daily: [
        { day: "2026-11-23", counts: counts(1) },
        { day: "2026-11-24", counts: counts(2) },
        { day: "2026-11-25", counts: counts(3) },
      ],
    } as unknown as BotOverview;
    const table = botDailyTable(overview);
    expect(table.rows.map((row) => row.slice(0, 2))).toEqual([
      ["2026-11-25", "3"],
      ["2026-11-24", "2"],
      ["2026-11-23", "1"],
    ]);
    expect(toCsv(table).split("\r\n")[1]).toBe("2026-11-25,3,0,0,0,0");
    // The chart reads the report's days as they came, oldest first; the table must not reorder them in place.
    expect(overview.daily[0]!.day).toBe("2026-11-23");
  });

  it("keep each day's rows in their order (inbox, then channel) when the days turn round", () => {
    const row = (day: string, inboxName: string, channelName: string) => ({ day, inboxId: inboxName, inboxName, channelId: channelName, channelName, conversations: 1, reachedTeam: 0 });
    const team = {
      volume: [row("2026-11-24", "Sales", "Chat"), row("2026-11-24", "Support", "Chat"), row("2026-11-24", "Support", "Email"), row("2026-11-25", "Support", "Chat")],
    } as unknown as TeamReport;
    expect(teamVolumeTable(team).rows.map((r) => r.slice(0, 3).join(" "))).toEqual([
      "2026-11-25 Support Chat",
      "2026-11-24 Sales Chat",
      "2026-11-24 Support Chat",
      "2026-11-24 Support Email",
    ]);
    expect(newestDayFirst([])).toEqual([]);
  });
});

describe("canvas overlay", () => {
  it("maps figures onto the document's nodes and edges, zero where nothing happened", () => {
    const analytics = toFlowAnalytics(
      {
        started: 4,
        nodes: { a: { reached: 4, dropOff: 0.25 }, b: { reached: 3, dropOff: 0 } },
        edges: [
          { from: "a", port: "next", to: "b", count: 3 },
          { from: "a", port: "next", to: "gone", count: 9 },
        ],
      },
      {
        nodes: [
          { id: "a", kind: "message", position: { x: 0, y: 0 }, data: {} },
          { id: "b", kind: "end", position: { x: 0, y: 0 }, data: {} },
          { id: "c", kind: "end", position: { x: 0, y: 0 }, data: {} },
        ],
        edges: [
          { id: "e1", source: "a", sourcePort: "next", target: "b" },
          { id: "e2", source: "b", sourcePort: "next", target: "c" },
        ],
      },
    );
    expect(analytics).toEqual({
      nodes: { a: { reached: 4, dropOff: 0.25 }, b: { reached: 3, dropOff: 0 }, c: { reached: 0, dropOff: 0 } },
      edges: { e1: 3, e2: 0 },
    });
  });
});
