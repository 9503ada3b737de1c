import { Either, Schema as S } from "effect";
import { describe, expect, it } from "vitest";
import { isAvailable } from "./availability.js";
import { TeamHours, teamAvailability } from "./team-hours.js";

const decode = S.decodeUnknownEither(TeamHours);
const workspace = { timezone: "Europe/Berlin", hours: [{ day: "mon" as const, from: "09:00", to: "17:00" }], closed: [{ date: "2026-12-28", yearly: false }] };
// Monday 28 December 2026, 10:00 in Berlin (09:00 UTC), and Monday 4 January 2027, 10:00.
const closedMonday = Date.UTC(2026, 11, 28, 9);
const openMonday = Date.UTC(2027, 0, 4, 9);

describe("TeamHours", () => {
  it("decodes each source and rejects a bad time zone, empty hours and an unknown source with a path", () => {
    expect(Either.isRight(decode({ source: "none" }))).toBe(true);
    expect(Either.isRight(decode({ source: "workspace" }))).toBe(true);
    const own = decode({ source: "own", timezone: "America/New_York", hours: [{ day: "tue", from: "08:00", to: "12:00" }] });
    expect(Either.getOrThrow(own)).toMatchObject({ closedDates: [], workspaceClosedDates: false });
    expect(Either.isLeft(decode({ source: "own", timezone: "Mars/Olympus", hours: [{ day: "tue", from: "08:00", to: "12:00" }] }))).toBe(true);
    expect(Either.isLeft(decode({ source: "own", timezone: "UTC", hours: [] }))).toBe(true);
    expect(Either.isLeft(decode({ source: "sometimes" }))).toBe(true);
  });

  it("none never closes the team; workspace follows the workspace's hours and closed dates, and none while it has no hours", () => {
    expect(teamAvailability({ source: "none" }, workspace)).toBeNull();
    expect(teamAvailability({ source: "workspace" }, { timezone: "UTC", hours: [] })).toBeNull();
    const followed = teamAvailability({ source: "workspace" }, workspace)!;
    expect(isAvailable(followed, openMonday)).toBe(true);
    expect(isAvailable(followed, closedMonday)).toBe(false);
  });

  it("own hours are read in the team's zone, with the workspace's closed dates only when asked", () => {
    const own = { source: "own" as const, timezone: "Asia/Tokyo", hours: [{ day: "mon" as const, from: "18:00", to: "19:00" }], closedDates: [] };
    // 09:00 UTC is 18:00 in Tokyo.
    expect(isAvailable(teamAvailability({ ...own, workspaceClosedDates: false }, workspace)!, closedMonday)).toBe(true);
    expect(isAvailable(teamAvailability({ ...own, workspaceClosedDates: true }, workspace)!, closedMonday)).toBe(false);
  });
});
