/**
 * A team's effective closed dates in its calendar feed (decision 052). The service and its route
 * run over a real SQLite file and the real handler in tests/api/calendar-feed.test.ts.
 */
import { describe, expect, it } from "vitest";
import { teamClosedDates } from "./calendar-feed.js";

describe("teamClosedDates", () => {
  it("is empty when the team's hours never close it", () => {
    expect(teamClosedDates(null)).toEqual([]);
  });

  it("keeps the first of two entries for one day (the team's before the workspace's), yearly ones matching any year, in date order", () => {
    const dates = teamClosedDates({
      closedDates: [
        { date: "2090-07-08", name: "Team day", yearly: false },
        { date: "2090-12-24", name: "Team Christmas Eve", yearly: false },
        { date: "2020-12-24", name: "Christmas Eve", yearly: true },
        { date: "2090-07-08", name: "Workspace day", yearly: false },
        { date: "2090-01-02", name: "Winter closing", yearly: false },
      ],
    });
    expect(dates).toEqual([
      { date: "2090-01-02", name: "Winter closing", yearly: false },
      { date: "2090-07-08", name: "Team day", yearly: false },
      { date: "2090-12-24", name: "Team Christmas Eve", yearly: false },
    ]);
  });
});
