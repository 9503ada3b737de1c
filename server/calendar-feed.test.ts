/**
 * Which paths under /calendar name a calendar feed (decision 052); everything else is the same
 * 404 as a wrong token. The handler runs on a real server in tests/api/calendar-feed.test.ts.
 */
import { describe, expect, it } from "vitest";
import { feedPath } from "./calendar-feed.js";

describe("feedPath", () => {
  it.each([
    ["/calendar/abc/closed-dates.ics", { token: "abc" }],
    ["/calendar/abc/teams/team_1.ics", { token: "abc", teamId: "team_1" }],
    ["/calendar/abc/teams/team%201.ics", { token: "abc", teamId: "team 1" }],
  ])("%s names a feed", (path, wanted) => {
    expect(feedPath(path)).toEqual(wanted);
  });

  it.each([
    "/calendar",
    "/calendar/",
    "/calendar/abc",
    "/calendar/abc/",
    "/calendar//closed-dates.ics",
    "/calendar/abc/closed-dates.ics/",
    "/calendar/abc/closed-dates",
    "/calendar/abc/teams/.ics",
    "/calendar/abc/teams/team_1",
    "/calendar/abc/teams/team_1.ics/x",
    "/calendar/%E0%A4%A/closed-dates.ics",
  ])("%s names none", (path) => {
    expect(feedPath(path)).toBeUndefined();
  });
});
