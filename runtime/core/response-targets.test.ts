import { Either, Schema as S } from "effect";
import { describe, expect, it } from "vitest";
import type { BusinessHours } from "./business-time.js";
import { businessCalendar } from "./business-time.js";
import { addBusinessMs, dueState, metTarget, NO_TARGETS, owedResponse, ResponseTargets, tallyTargets, type ReplyForTarget } from "./response-targets.js";

const MIN = 60_000;
const H = 60 * MIN;
const weekdays9to17: BusinessHours = {
  timezone: "Europe/Berlin",
  hours: (["mon", "tue", "wed", "thu", "fri"] as const).map((day) => ({ day, from: "09:00", to: "17:00" })),
};
const noHours: BusinessHours = { timezone: "UTC", hours: [] };
// Friday 27 November 2026, 16:30 in Berlin (UTC+1): half an hour before closing.
const fridayLate = Date.UTC(2026, 10, 27, 15, 30);
// Monday 30 November 2026, 09:00 in Berlin.
const mondayOpen = Date.UTC(2026, 10, 30, 8, 0);

const targets = (first: number | null, next: number | null, businessHours = false) => ({
  firstResponseMinutes: first,
  nextReplyMinutes: next,
  businessHours,
});

describe("owedResponse", () => {
  it("owes a first response around the clock from the start of the wait", () => {
    expect(owedResponse(targets(60, 240), { waitingSince: fridayLate, answered: false }, weekdays9to17)).toEqual({
      kind: "first_response",
      targetMs: H,
      dueAt: fridayLate + H,
    });
  });

  it("owes the next reply once a person has answered", () => {
    expect(owedResponse(targets(60, 240), { waitingSince: fridayLate, answered: true }, noHours)).toEqual({
      kind: "next_reply",
      targetMs: 4 * H,
      dueAt: fridayLate + 4 * H,
    });
  });

  it("counts business hours across the weekend: half an hour on Friday, the rest on Monday", () => {
    const owed = owedResponse(targets(60, null, true), { waitingSince: fridayLate, answered: false }, weekdays9to17);
    expect(owed?.dueAt).toBe(mondayOpen + 30 * MIN);
  });

  it("starts counting at opening time for a wait that began while closed", () => {
    const saturday = Date.UTC(2026, 10, 28, 12, 0);
    expect(owedResponse(targets(45, null, true), { waitingSince: saturday, answered: false }, weekdays9to17)?.dueAt).toBe(mondayOpen + 45 * MIN);
  });

  it("counts around the clock when the targets ask for business hours but the workspace has none", () => {
    expect(owedResponse(targets(60, null, true), { waitingSince: fridayLate, answered: false }, noHours)?.dueAt).toBe(fridayLate + H);
  });

  it("owes nothing without a target of that kind, or when nobody waits", () => {
    expect(owedResponse(NO_TARGETS, { waitingSince: fridayLate, answered: false }, noHours)).toBeNull();
    expect(owedResponse(targets(null, 240), { waitingSince: fridayLate, answered: false }, noHours)).toBeNull();
    expect(owedResponse(targets(60, null), { waitingSince: fridayLate, answered: true }, noHours)).toBeNull();
    expect(owedResponse(targets(60, 240), { waitingSince: null, answered: false }, noHours)).toBeNull();
  });
});

describe("dueState", () => {
  const owed = { targetMs: 60 * MIN, dueAt: fridayLate + 60 * MIN };
  it("is normal with 20% or more of the target left", () => {
    expect(dueState(owed, fridayLate + 35 * MIN)).toEqual({ level: "normal", ms: 25 * MIN });
    expect(dueState(owed, fridayLate + 48 * MIN)).toEqual({ level: "normal", ms: 12 * MIN });
  });
  it("is soon with less than 20% left", () => {
    expect(dueState(owed, fridayLate + 56 * MIN)).toEqual({ level: "soon", ms: 4 * MIN });
    expect(dueState(owed, fridayLate + 60 * MIN)).toEqual({ level: "soon", ms: 0 });
  });
  it("is overdue past the due instant", () => {
    expect(dueState(owed, fridayLate + 72 * MIN)).toEqual({ level: "overdue", ms: 12 * MIN });
  });
});

describe("addBusinessMs", () => {
  it("returns the start for nothing to add and null when the hours never open", () => {
    expect(addBusinessMs(weekdays9to17, fridayLate, 0)).toBe(fridayLate);
    expect(addBusinessMs(noHours, fridayLate, H)).toBeNull();
  });
  it("spans several business days", () => {
    // 16 business hours from Friday 16:30: 0.5 h Friday, 8 h Monday, 7.5 h Tuesday → Tuesday 16:30.
    expect(addBusinessMs(weekdays9to17, fridayLate, 16 * H)).toBe(Date.UTC(2026, 11, 1, 15, 30));
  });
});

describe("ResponseTargets schema and metTarget", () => {
  const decode = S.decodeUnknownEither(ResponseTargets);
  it("accepts whole minutes from 1 to 30 days, or none", () => {
    expect(Either.isRight(decode(targets(1, 43_200)))).toBe(true);
    expect(Either.isRight(decode(targets(null, null)))).toBe(true);
  });
  it("refuses zero, fractions and more than 30 days", () => {
    for (const bad of [0, -5, 1.5, 43_201]) expect(Either.isLeft(decode(targets(bad, null)))).toBe(true);
  });
  it("meets a target at exactly the target and not a millisecond past", () => {
    expect(metTarget(60 * MIN, 60)).toBe(true);
    expect(metTarget(60 * MIN + 1, 60)).toBe(false);
  });
});

describe("tallyTargets", () => {
  const reply = (over: Partial<ReplyForTarget>): ReplyForTarget => ({
    userId: "ann",
    inboxId: "support",
    at: mondayOpen + 2 * H,
    waitMs: null,
    isFirst: false,
    firstResponseMs: null,
    ...over,
  });
  const byInboxId = new Map([
    ["support", targets(60, 240)],
    ["sales", NO_TARGETS],
  ]);
  const targetsOf = (r: ReplyForTarget) => byInboxId.get(r.inboxId!);

  it("counts first responses and next replies against their targets, per inbox and per agent", () => {
    const { byInbox, byAgent } = tallyTargets(
      [
        reply({ isFirst: true, waitMs: 50 * MIN, firstResponseMs: 50 * MIN }),
        reply({ isFirst: true, waitMs: 61 * MIN, firstResponseMs: 61 * MIN, userId: "bob" }),
        reply({ waitMs: 4 * H }),
        reply({ waitMs: 5 * H }),
        // Nobody waited: not a reply that owed anything.
        reply({}),
        // A first reply that took over from a bot has no first response time.
        reply({ isFirst: true, waitMs: null, firstResponseMs: null }),
        // No targets in that inbox: not counted.
        reply({ inboxId: "sales", isFirst: true, waitMs: H, firstResponseMs: H }),
        reply({ inboxId: null, isFirst: true, waitMs: H, firstResponseMs: H }),
      ],
      targetsOf,
      () => null,
    );
    expect(byInbox.get("support")).toEqual({ firstResponse: { met: 1, measured: 2 }, nextReply: { met: 1, measured: 2 } });
    expect(byInbox.has("sales")).toBe(false);
    expect(byAgent.get("ann")).toEqual({ firstResponse: { met: 1, measured: 1 }, nextReply: { met: 1, measured: 2 } });
    expect(byAgent.get("bob")).toEqual({ firstResponse: { met: 0, measured: 1 }, nextReply: { met: 0, measured: 0 } });
  });

  it("measures business time when the inbox's targets count business hours", () => {
    const calendar = businessCalendar(weekdays9to17, fridayLate - H, mondayOpen + 2 * H);
    // Answered Monday 09:20 after waiting since Friday 16:30: 50 business minutes, 64 h 50 min on the wall.
    const r = reply({ at: mondayOpen + 20 * MIN, isFirst: true, firstResponseMs: mondayOpen + 20 * MIN - fridayLate, waitMs: 1 });
    const business = tallyTargets([r], () => targets(60, null, true), () => calendar.between);
    expect(business.byInbox.get("support")?.firstResponse).toEqual({ met: 1, measured: 1 });
    const wall = tallyTargets([r], () => targets(60, null, false), () => calendar.between);
    expect(wall.byInbox.get("support")?.firstResponse).toEqual({ met: 0, measured: 1 });
  });
});
