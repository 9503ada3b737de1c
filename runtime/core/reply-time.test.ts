import { Schema as S } from "effect";
import { Availability, Display } from "../../flows/flow-spec.js";
import { describe, expect, it } from "vitest";
import { REPLY_TIME_MIN_REPLIES, replyTimeBucket, usualReplyTime, replyTimeTeams } from "./reply-time.js";

const MIN = 60_000;
const HOUR = 60 * MIN;

describe("replyTimeBucket", () => {
  it.each([
    [0, "few_minutes"],
    [5 * MIN, "few_minutes"],
    [5 * MIN + 1, "under_15_minutes"],
    [15 * MIN, "under_15_minutes"],
    [15 * MIN + 1, "under_an_hour"],
    [HOUR, "under_an_hour"],
    [HOUR + 1, "few_hours"],
    [6 * HOUR, "few_hours"],
    [6 * HOUR + 1, "within_a_day"],
    [24 * HOUR, "within_a_day"],
    [24 * HOUR + 1, null],
    [-1, null],
    [Number.NaN, null],
    [Number.POSITIVE_INFINITY, null],
  ] as const)("%d ms → %s", (ms, bucket) => {
    expect(replyTimeBucket(ms)).toBe(bucket);
  });
});

describe("usualReplyTime", () => {
  it("says nothing with fewer than the minimum of first replies", () => {
    expect(REPLY_TIME_MIN_REPLIES).toBe(5);
    expect(usualReplyTime([])).toBeNull();
    expect(usualReplyTime([MIN, MIN, MIN, MIN])).toBeNull();
    expect(usualReplyTime([MIN, MIN, MIN, MIN, MIN])).toBe("few_minutes");
  });

  it("buckets the median, not the mean: one slow reply does not move it", () => {
    expect(usualReplyTime([MIN, 2 * MIN, 3 * MIN, 4 * MIN, 48 * HOUR])).toBe("few_minutes");
    // An even count: the middle two averaged (4 and 20 minutes → 12).
    expect(usualReplyTime([MIN, 2 * MIN, 4 * MIN, 20 * MIN, 30 * MIN, 40 * MIN])).toBe("under_15_minutes");
    expect(usualReplyTime([30 * HOUR, 30 * HOUR, 30 * HOUR, MIN, MIN])).toBeNull();
  });
});

describe("replyTimeTeams: whose replies the line speaks for (decision 053)", () => {
  const settings = (availability: object, display: object = {}) => ({ availability: S.decodeUnknownSync(Availability)(availability), display: S.decodeUnknownSync(Display)(display) });

  it("is the team whose hours the flow follows, even when the heading shows others", () => {
    expect(replyTimeTeams(settings({ mode: "team", teamId: "team_sales" }, { heading: { type: "agents", teamIds: ["team_support"] } }))).toEqual(["team_sales"]);
  });

  it("is else the teams the heading shows, and none (the inbox's) for a custom heading, agents by name or a flow on its own hours", () => {
    expect(replyTimeTeams(settings({ mode: "always" }, { heading: { type: "agents", teamIds: ["team_a", "team_b"], userIds: ["u"] } }))).toEqual(["team_a", "team_b"]);
    expect(replyTimeTeams(settings({ mode: "always" }, { heading: { type: "custom", name: "Ada" } }))).toEqual([]);
    expect(replyTimeTeams(settings({ mode: "business_hours", timezone: "UTC", hours: [] }, { heading: { type: "agents", userIds: ["u"] } }))).toEqual([]);
    // A team mode without its id (the compiler refuses it) falls back to the heading.
    expect(replyTimeTeams(settings({ mode: "team" }, { heading: { type: "agents", teamIds: ["team_a"] } }))).toEqual(["team_a"]);
  });
});
