import { describe, expect, it } from "vitest";
import { summarizeTeamHours } from "./team-hours-summary.js";
import { teamAvailability, type TeamHours } from "./team-hours.js";

const workspace = { timezone: "Europe/Berlin", hours: [], closed: [] };
const own: TeamHours = {
  source: "own",
  timezone: "Europe/Berlin",
  hours: (["mon", "tue", "wed", "thu", "fri"] as const).map((day) => ({ day, from: "09:00", to: "17:00" })),
  closedDates: [
    { date: "2026-12-24", name: "Christmas Eve", yearly: true },
    { date: "2026-12-31", yearly: false },
  ],
  workspaceClosedDates: false,
};
const summary = (hours: TeamHours, now: number) => summarizeTeamHours(hours, teamAvailability(hours, workspace), now);

describe("summarizeTeamHours", () => {
  it("says a team without hours, or following a workspace without any, is open and why", () => {
    expect(summary({ source: "none" }, 0)).toEqual({ open: true, opensAt: null, closedFor: null, text: "No hours: members' presence decides" });
    expect(summary({ source: "workspace" }, 0)).toMatchObject({
      open: true,
      text: "No hours: the workspace has no business hours, so members' presence decides",
    });
  });

  it("says open inside the hours, and when it opens outside them on the team's clock", () => {
    // Monday 28 December 2026, 10:00 in Berlin.
    expect(summary(own, Date.UTC(2026, 11, 28, 9))).toEqual({ open: true, opensAt: null, closedFor: null, text: "Open now" });
    // Saturday 26 December, 12:00 in Berlin: opens Monday at 09:00 Berlin (08:00 UTC).
    expect(summary(own, Date.UTC(2026, 11, 26, 11))).toEqual({
      open: false,
      opensAt: Date.UTC(2026, 11, 28, 8),
      closedFor: null,
      text: "Closed · opens Mon 28 December at 09:00",
    });
  });

  it("names the closed date that closes it, or gives its date when it has no name", () => {
    // Thursday 24 December 2026, 10:00 in Berlin: a yearly named date.
    expect(summary(own, Date.UTC(2026, 11, 24, 9))).toMatchObject({
      open: false,
      closedFor: "Christmas Eve",
      text: "Closed for Christmas Eve · opens Fri 25 December at 09:00",
    });
    // Thursday 31 December 2026: no name.
    expect(summary(own, Date.UTC(2026, 11, 31, 9)).closedFor).toBe("2026-12-31");
  });
});
