import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isAvailable } from "../../flows/availability.js";
import type { Availability } from "../../flows/flow-spec.js";
import {
  addBusinessDays,
  businessCalendar,
  businessIntervals,
  businessMs,
  combineHistories,
  historyCalendar,
  historyIntervals,
  teamBusinessHours,
  type BusinessHours,
  type HoursHistory,
  type OpeningRange,
} from "./business-time.js";

const H = 3_600_000;
const MIN = 60_000;
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const weekdays = (from: string, to: string): OpeningRange[] => DAYS.slice(0, 5).map((day) => ({ day, from, to }));
const berlin9to5: BusinessHours = { timezone: "Europe/Berlin", hours: weekdays("09:00", "17:00") };

// Zones with summer time (north and south, a 30-minute change), a half-hour offset, and none.
const ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata", "UTC"] as const;
// Days just before daylight-saving changes of 2026 in those zones, and an ordinary one.
const AROUND = [
  Date.UTC(2026, 2, 28), // Berlin springs forward on Sunday 29 March
  Date.UTC(2026, 9, 24), // Berlin falls back on Sunday 25 October
  Date.UTC(2026, 2, 7), // New York: 8 March
  Date.UTC(2026, 9, 31), // New York: 1 November
  Date.UTC(2026, 3, 4), // Lord Howe and Santiago: 5 April
  Date.UTC(2026, 8, 5), // Santiago: 6 September
  Date.UTC(2026, 9, 3), // Lord Howe: 4 October
  Date.UTC(2026, 5, 10),
];

const clock48 = (half: number): string => (half === 48 ? "24:00" : `${String(Math.floor(half / 2)).padStart(2, "0")}:${half % 2 ? "30" : "00"}`);
const clock = fc.integer({ min: 0, max: 48 }).map(clock48);
const range = fc.record({ day: fc.constantFrom(...DAYS), from: clock, to: clock });
/** A closed date on or a day either side of AROUND's days, once or yearly (the year then does not matter). */
const closedDate = fc
  .tuple(fc.constantFrom(...AROUND), fc.integer({ min: -1, max: 2 }), fc.boolean())
  .map(([day, shift, yearly]) => {
    const date = new Date(day + shift * 24 * H).toISOString().slice(0, 10);
    return { date: yearly ? `2019${date.slice(4)}` : date, yearly };
  });
/** A special day's range: from before to (decision 051), on the half hour, 24:00 may end it. */
const specialRange = fc
  .tuple(fc.integer({ min: 0, max: 47 }), fc.integer({ min: 1, max: 48 }))
  .map(([a, b]) => [Math.min(a, b - 1), Math.max(a + 1, b)] as const)
  .map(([a, b]) => ({ from: clock48(a), to: clock48(b) }));
/** A closed date (whole day) or a special day (open only inside 1–3 ranges), around a DST change. */
const closedOrSpecial = fc
  .tuple(closedDate, fc.option(fc.array(specialRange, { minLength: 1, maxLength: 3 }), { nil: undefined }))
  .map(([closed, hours]) => (hours === undefined ? closed : { ...closed, hours }));
const hoursArb = fc.record({
  timezone: fc.constantFrom(...ZONES),
  hours: fc.array(range, { maxLength: 6 }),
  closed: fc.array(closedOrSpecial, { maxLength: 3 }),
});
/** An instant on a whole minute within three days of a daylight-saving change. */
const instant = fc.tuple(fc.constantFrom(...AROUND), fc.integer({ min: 0, max: 3 * 24 * 60 })).map(([day, minutes]) => day + minutes * MIN);
const span = fc.tuple(instant, instant).map(([a, b]) => (a <= b ? ([a, b] as const) : ([b, a] as const)));

const availability = (h: BusinessHours): Availability => ({
  mode: "business_hours",
  timezone: h.timezone,
  hours: h.hours,
  closedDates: h.closed ?? [],
  workspaceClosedDates: false,
  awayMessage: "",
  awayBehaviour: "away_message",
});

describe("business time, exact values", () => {
  it("counts only the weekday hours of a week and a weekend", () => {
    // Monday 2 March 2026 08:00 Berlin (07:00 UTC) to Monday 9 March 10:00 Berlin: 5 × 8 h + 1 h.
    expect(businessMs(berlin9to5, Date.UTC(2026, 2, 2, 7), Date.UTC(2026, 2, 9, 9))).toBe(41 * H);
    // Friday 16:30 to Monday 09:15: 30 + 15 minutes.
    expect(businessMs(berlin9to5, Date.UTC(2026, 2, 6, 15, 30), Date.UTC(2026, 2, 9, 8, 15))).toBe(45 * MIN);
    // Entirely at night, and backwards: nothing.
    expect(businessMs(berlin9to5, Date.UTC(2026, 2, 3, 20), Date.UTC(2026, 2, 4, 6))).toBe(0);
    expect(businessMs(berlin9to5, Date.UTC(2026, 2, 4, 12), Date.UTC(2026, 2, 4, 10))).toBe(0);
  });

  it("keeps the wall clock across daylight-saving changes: 09:00–17:00 is 8 hours either side", () => {
    // Friday 27 March 09:00 CET (08:00 UTC) to Monday 30 March 17:00 CEST (15:00 UTC).
    expect(businessMs(berlin9to5, Date.UTC(2026, 2, 27, 8), Date.UTC(2026, 2, 30, 15))).toBe(16 * H);
  });

  it("counts the hours that really passed on the days the clock jumps", () => {
    const night: BusinessHours = { timezone: "Europe/Berlin", hours: [{ day: "sun", from: "00:00", to: "04:00" }] };
    // 29 March: 02:00 becomes 03:00, so 00:00–04:00 lasts 3 hours.
    expect(businessMs(night, Date.UTC(2026, 2, 28, 12), Date.UTC(2026, 2, 29, 12))).toBe(3 * H);
    // 25 October: 03:00 goes back to 02:00, so 00:00–04:00 lasts 5 hours.
    expect(businessMs(night, Date.UTC(2026, 9, 24, 12), Date.UTC(2026, 9, 25, 12))).toBe(5 * H);
  });

  it("carries a range across midnight into the next day", () => {
    const late: BusinessHours = { timezone: "UTC", hours: [{ day: "fri", from: "22:00", to: "02:00" }] };
    // Friday 6 March 21:00 to Saturday 03:00.
    expect(businessMs(late, Date.UTC(2026, 2, 6, 21), Date.UTC(2026, 2, 7, 3))).toBe(4 * H);
    // Only the Saturday part.
    expect(businessMs(late, Date.UTC(2026, 2, 7, 0), Date.UTC(2026, 2, 7, 12))).toBe(2 * H);
    // "24:00" ends at midnight.
    expect(businessMs({ timezone: "UTC", hours: [{ day: "mon", from: "20:00", to: "24:00" }] }, Date.UTC(2026, 2, 2), Date.UTC(2026, 2, 4))).toBe(4 * H);
  });

  it("is empty without hours, and wall time when open all week", () => {
    expect(businessMs({ timezone: "UTC", hours: [] }, 0, 10 * H)).toBe(0);
    const always: BusinessHours = { timezone: "Europe/Berlin", hours: DAYS.map((day) => ({ day, from: "00:00", to: "24:00" })) };
    expect(businessMs(always, Date.UTC(2026, 2, 27), Date.UTC(2026, 3, 2))).toBe(6 * 24 * H);
    expect(businessIntervals(always, Date.UTC(2026, 2, 27), Date.UTC(2026, 3, 2))).toEqual([[Date.UTC(2026, 2, 27), Date.UTC(2026, 3, 2)]]);
  });

  it("closes closed dates from local midnight to midnight, yearly ones every year", () => {
    const christmas: BusinessHours = { ...berlin9to5, closed: [{ date: "2026-12-24", yearly: false }, { date: "2000-12-25", yearly: true }] };
    // Monday 21 to Monday 28 December 2026, Berlin (UTC+1): Thursday 24 and Friday 25 closed.
    expect(businessMs(christmas, Date.UTC(2026, 11, 21, 7), Date.UTC(2026, 11, 28, 7))).toBe(3 * 8 * H);
    // The yearly date closes 2027's Saturday (no hours anyway) and 2030's Wednesday, not 2026's once date in 2027.
    expect(businessMs(christmas, Date.UTC(2030, 11, 25, 0), Date.UTC(2030, 11, 26, 0))).toBe(0);
    expect(businessMs(christmas, Date.UTC(2027, 11, 24, 0), Date.UTC(2027, 11, 25, 0))).toBe(8 * H);
    // A night range is cut at the midnight into a closed day, and opens at the midnight out of one.
    const nights: BusinessHours = { timezone: "UTC", hours: DAYS.map((day) => ({ day, from: "22:00", to: "02:00" })), closed: [{ date: "2026-03-10", yearly: false }] };
    // Monday 9 March 22:00 to Wednesday 11 March 02:00: Monday's 2 h before midnight, none on the 10th, Wednesday's first 2 h.
    expect(businessIntervals(nights, Date.UTC(2026, 2, 9, 12), Date.UTC(2026, 2, 11, 12))).toEqual([
      [Date.UTC(2026, 2, 9, 22), Date.UTC(2026, 2, 10, 0)],
      [Date.UTC(2026, 2, 11, 0), Date.UTC(2026, 2, 11, 2)],
    ]);
  });

  it("counts a special day's own hours in place of the weekly ones (decision 051)", () => {
    // Thursday 24 December 2026 open 09:00–13:00 Berlin, Saturday 26 open 10:00–12:00; Friday 25 closed.
    const short: BusinessHours = {
      ...berlin9to5,
      closed: [
        { date: "2026-12-24", yearly: false, hours: [{ from: "09:00", to: "13:00" }] },
        { date: "2000-12-25", yearly: true },
        { date: "2026-12-26", yearly: false, hours: [{ from: "10:00", to: "12:00" }] },
      ],
    };
    expect(businessMs(short, Date.UTC(2026, 11, 21), Date.UTC(2026, 11, 28))).toBe((3 * 8 + 4 + 2) * H);
    expect(businessIntervals(short, Date.UTC(2026, 11, 24), Date.UTC(2026, 11, 27))).toEqual([
      [Date.UTC(2026, 11, 24, 8), Date.UTC(2026, 11, 24, 12)],
      [Date.UTC(2026, 11, 26, 9), Date.UTC(2026, 11, 26, 11)],
    ]);
    // Wednesday 11:00 is two hours in; a business day later is two hours into Thursday's short day.
    expect(addBusinessDays(short, Date.UTC(2026, 11, 23, 10), 1)).toBe(Date.UTC(2026, 11, 24, 10));
    // Wednesday 16:00 is seven hours in: Thursday has four, so it ends at Thursday's closing.
    expect(addBusinessDays(short, Date.UTC(2026, 11, 23, 15), 1)).toBe(Date.UTC(2026, 11, 24, 12));
    // A business day after Thursday 10:00 (an hour in): Saturday's special hours count as an open day.
    expect(addBusinessDays(short, Date.UTC(2026, 11, 24, 9), 1)).toBe(Date.UTC(2026, 11, 26, 10));
  });

  it("skips closed dates when counting whole business days", () => {
    const christmas: BusinessHours = { ...berlin9to5, closed: [{ date: "2026-12-24", yearly: false }, { date: "2000-12-25", yearly: true }] };
    // Wednesday 23 December 11:00 Berlin plus one business day: Monday 28, 11:00 (10:00 UTC).
    expect(addBusinessDays(christmas, Date.UTC(2026, 11, 23, 10), 1)).toBe(Date.UTC(2026, 11, 28, 10));
    // A closed stretch longer than the usual look-ahead still ends: Tuesday 30 June 12:00 CEST, then Monday 10 August 12:00.
    const closedMonth: BusinessHours = {
      ...berlin9to5,
      closed: Array.from({ length: 40 }, (_, i) => ({ date: new Date(Date.UTC(2026, 6, 1 + i)).toISOString().slice(0, 10), yearly: false })),
    };
    expect(addBusinessDays(closedMonth, Date.UTC(2026, 5, 30, 10), 1)).toBe(Date.UTC(2026, 7, 10, 10));
  });

  it("answers many spans from one calendar as single calls do", () => {
    const calendar = businessCalendar(berlin9to5, Date.UTC(2026, 2, 1), Date.UTC(2026, 3, 1));
    const spans = [
      [Date.UTC(2026, 2, 2, 7), Date.UTC(2026, 2, 9, 9)],
      [Date.UTC(2026, 2, 27, 8), Date.UTC(2026, 2, 30, 15)],
      [Date.UTC(2026, 2, 10, 12, 13, 14, 15), Date.UTC(2026, 2, 10, 12, 13, 14, 16)],
    ] as const;
    for (const [a, b] of spans) expect(calendar.between(a, b)).toBe(businessMs(berlin9to5, a, b));
  });
});

describe("business time, properties", () => {
  it("is never negative and never more than the wall time", () => {
    fc.assert(
      fc.property(hoursArb, span, (hours, [a, b]) => {
        const ms = businessMs(hours, a, b);
        return ms >= 0 && ms <= b - a && businessMs(hours, b, a) === 0;
      }),
      { numRuns: 300 },
    );
  });

  it("adds up over any split of a span", () => {
    fc.assert(
      fc.property(hoursArb, instant, instant, instant, (hours, x, y, z) => {
        const [a, b, c] = [x, y, z].sort((p, q) => p - q) as [number, number, number];
        return businessMs(hours, a, c) === businessMs(hours, a, b) + businessMs(hours, b, c);
      }),
      { numRuns: 300 },
    );
  });

  it("counts exactly the minutes in which the flows' isAvailable says the hours are open, across DST changes and midnights", () => {
    fc.assert(
      fc.property(hoursArb, fc.constantFrom(...AROUND), fc.integer({ min: 0, max: 24 * 60 }), (hours, day, startMinute) => {
        // A 40-hour window: two midnights, and the change when the day is one of AROUND's.
        const a = day + startMinute * MIN;
        const b = a + 40 * H;
        let open = 0;
        for (let t = a; t < b; t += MIN) if (isAvailable(availability(hours), t)) open += MIN;
        expect(businessMs(hours, a, b)).toBe(open);
      }),
      { numRuns: 60 },
    );
  });

  it("gives sorted, disjoint intervals inside the span", () => {
    fc.assert(
      fc.property(hoursArb, span, (hours, [a, b]) => {
        const intervals = businessIntervals(hours, a, b);
        return intervals.every(([s, e], i) => s >= a && e <= b && s < e && (i === 0 || intervals[i - 1]![1] < s));
      }),
      { numRuns: 200 },
    );
  });
});

describe("whole business days (automation waits, decision 044)", () => {
  // Berlin is UTC+1 until Sunday 29 March 2026, UTC+2 after; Monday 2 March is a Monday.
  const berlin = (day: number, hour: number) => Date.UTC(2026, 2, day, hour - (day >= 29 ? 2 : 1));

  it("ends at the same point of the hours that many open days later", () => {
    expect(addBusinessDays(berlin9to5, berlin(3, 11), 1)).toBe(berlin(4, 11));
    expect(addBusinessDays(berlin9to5, berlin(4, 12), 3)).toBe(berlin(9, 12));
    // Friday to Monday: the weekend is no business day.
    expect(addBusinessDays(berlin9to5, berlin(6, 11), 1)).toBe(berlin(9, 11));
    // Across the spring change: the same wall-clock time, an hour less of real time.
    expect(addBusinessDays(berlin9to5, berlin(27, 11), 1)).toBe(berlin(30, 11));
  });

  it("counts from the next opening when it starts outside the hours", () => {
    // Saturday counts from Monday's opening: one whole business day is over on Tuesday at 09:00.
    expect(addBusinessDays(berlin9to5, berlin(7, 14), 1)).toBe(berlin(10, 9));
    // After closing: from the next day's opening. Before opening: from that day's.
    expect(addBusinessDays(berlin9to5, berlin(2, 18), 1)).toBe(berlin(4, 9));
    expect(addBusinessDays(berlin9to5, berlin(2, 8), 1)).toBe(berlin(3, 9));
  });

  it("ends at closing on a shorter day, and is null when the hours never open", () => {
    const short: BusinessHours = { timezone: "Europe/Berlin", hours: [{ day: "mon", from: "09:00", to: "17:00" }, { day: "tue", from: "09:00", to: "10:00" }] };
    expect(addBusinessDays(short, berlin(2, 16), 1)).toBe(berlin(3, 10));
    expect(addBusinessDays(short, berlin(3, 9), 1)).toBe(berlin(9, 9));
    expect(addBusinessDays({ timezone: "UTC", hours: [] }, berlin(2, 9), 1)).toBeNull();
    expect(addBusinessDays({ timezone: "UTC", hours: [{ day: "mon", from: "09:00", to: "09:00" }] }, berlin(2, 9), 1)).toBeNull();
  });

  it("never comes earlier for a later start, nor before the start's calendar day plus the days", () => {
    fc.assert(
      fc.property(hoursArb, span, fc.integer({ min: 1, max: 4 }), (hours, [a, b], days) => {
        const early = addBusinessDays(hours, a, days);
        const late = addBusinessDays(hours, b, days);
        if (early === null || late === null) return early === late;
        // The automation scan reads spells at least (days − 1) days − 3 hours old (waitScanMs).
        return early <= late && early > a && early >= a + (days - 1) * 24 * H - 3 * H;
      }),
      { numRuns: 60 },
    );
  });
});

describe("teamBusinessHours", () => {
  const workspace: BusinessHours = { timezone: "America/New_York", hours: weekdays("09:00", "17:00"), closed: [{ date: "2026-12-24", yearly: true }] };
  const own = { source: "own", timezone: "Europe/Berlin", hours: weekdays("08:00", "16:00"), closedDates: [{ date: "2026-05-01", yearly: false }] } as const;

  it("is null when the team's hours never close it: none, or the workspace's while it has none", () => {
    expect(teamBusinessHours({ source: "none" }, workspace)).toBeNull();
    expect(teamBusinessHours({ source: "workspace" }, { timezone: "UTC", hours: [] })).toBeNull();
  });

  it("reads the workspace's hours for a team that follows them, and the team's own (with the workspace's closed dates only when kept)", () => {
    expect(teamBusinessHours({ source: "workspace" }, workspace)).toEqual(workspace);
    expect(teamBusinessHours({ ...own, workspaceClosedDates: false }, workspace)).toEqual({ timezone: "Europe/Berlin", hours: own.hours, closed: own.closedDates });
    expect(teamBusinessHours({ ...own, workspaceClosedDates: true }, workspace)?.closed).toEqual([...own.closedDates, ...workspace.closed!]);
  });
});

describe("calendars in force over time (decision 058)", () => {
  // The week of Monday 2 March 2026; Berlin is UTC+1, New York UTC−5.
  const day = (d: number, hour = 0, minute = 0) => Date.UTC(2026, 2, 2 + d, hour, minute);
  const WEEK: readonly [number, number] = [day(0), day(7)];
  const berlin10to12: BusinessHours = { timezone: "Europe/Berlin", hours: weekdays("10:00", "12:00") };
  const between = (history: HoursHistory, from: number, to: number) => historyCalendar(history, WEEK[0], WEEK[1]).between(from, to);

  it("judges each side of a change mid-interval by its own hours", () => {
    // 09:00–17:00 until Wednesday 11:00 UTC (12:00 Berlin), 10:00–12:00 Berlin from then on.
    const history: HoursHistory = [
      { from: 0, value: berlin9to5 },
      { from: day(2, 11), value: berlin10to12 },
    ];
    // Monday and Tuesday 8 h each, Wednesday 09:00–12:00 = 3 h (then 10:00–12:00 is over), Thursday and Friday 2 h each.
    expect(between(history, ...WEEK)).toBe(8 * H + 8 * H + 3 * H + 2 * H + 2 * H);
    // Entirely before the change: as if the new hours never came; entirely after: as if always so.
    expect(between(history, day(0), day(2))).toBe(businessMs(berlin9to5, day(0), day(2)));
    expect(between(history, day(3), day(5))).toBe(businessMs(berlin10to12, day(3), day(5)));
  });

  it("adds up several changes, and a change back", () => {
    const history: HoursHistory = [
      { from: 0, value: berlin9to5 },
      { from: day(1), value: berlin10to12 },
      { from: day(2), value: { timezone: "Europe/Berlin", hours: [] } },
      { from: day(3), value: berlin9to5 },
    ];
    // Monday 8 h; Tuesday 2 h; Wednesday no hours set: all 24 h count; Thursday and Friday 8 h each.
    expect(between(history, ...WEEK)).toBe(8 * H + 2 * H + 24 * H + 16 * H);
    // A null calendar is the same as one without weekly hours.
    expect(between(history.map((p, i) => (i === 2 ? { ...p, value: null } : p)), ...WEEK)).toBe(between(history, ...WEEK));
  });

  it("reads the hours after a zone change on the new zone's clock", () => {
    // Berlin 09:00–17:00 until Wednesday 00:00 UTC, then the same hours in New York (14:00–22:00 UTC).
    const history: HoursHistory = [
      { from: 0, value: berlin9to5 },
      { from: day(2), value: { timezone: "America/New_York", hours: weekdays("09:00", "17:00") } },
    ];
    // Wednesday 13:00–23:00 UTC: Berlin's hours (08:00–16:00 UTC) would give 3 h, New York's give 8 h.
    expect(between(history, day(2, 13), day(2, 23))).toBe(8 * H);
    // Tuesday the same: still Berlin's.
    expect(between(history, day(1, 13), day(1, 23))).toBe(3 * H);
    // A change inside a day counts each side on its own clock: at 15:00 UTC on Thursday, Berlin → New York.
    const midDay: HoursHistory = [
      { from: 0, value: berlin9to5 },
      { from: day(3, 15), value: { timezone: "America/New_York", hours: weekdays("09:00", "17:00") } },
    ];
    // Thursday 08:00–15:00 UTC in Berlin's (7 h), then 15:00–22:00 in New York's (7 h).
    expect(between(midDay, day(3), day(4))).toBe(14 * H);
  });

  it("never lets a closed date added later change a range before it was added", () => {
    // On Thursday the team added Tuesday (already past) as closed, and next Monday.
    const closed = [
      { date: "2026-03-03", yearly: false },
      { date: "2026-03-09", yearly: false },
    ];
    const history: HoursHistory = [
      { from: 0, value: berlin9to5 },
      { from: day(3), value: { ...berlin9to5, closed } },
    ];
    // Tuesday was open when it passed: 8 h, as before.
    expect(historyCalendar(history, day(0), day(14)).between(day(1), day(2))).toBe(8 * H);
    // Next Monday is closed: the week after counts four days.
    expect(historyCalendar(history, day(0), day(14)).between(day(7), day(14))).toBe(32 * H);
    // Added before the day, the same date closes it.
    expect(historyCalendar([{ from: 0, value: { ...berlin9to5, closed } }], day(0), day(14)).between(day(1), day(2))).toBe(0);
  });

  it("is the calendar of its one period when nothing changed, and the first period holds since the beginning", () => {
    const one = historyCalendar([{ from: day(3), value: berlin9to5 }], ...WEEK);
    const plain = businessCalendar(berlin9to5, ...WEEK);
    expect(one.intervals).toEqual(plain.intervals);
    expect(historyIntervals([{ from: -Infinity, value: null }], day(1), day(2))).toEqual([[day(1), day(2)]]);
  });

  it("adds up over any split of the span, each piece read in its own calendar", () => {
    fc.assert(
      // Changes anywhere in the span or a little either side of it, on whole minutes.
      fc.property(fc.array(fc.tuple(fc.double({ min: -0.2, max: 1.2, noNaN: true }), hoursArb), { minLength: 1, maxLength: 4 }), span, (changes, [a, b]) => {
        const history: HoursHistory = changes
          .map(([at, hours]) => ({ from: Math.round((a + at * (b - a)) / MIN) * MIN, value: hours as BusinessHours }))
          .sort((x, y) => x.from - y.from)
          .filter((p, i, all) => i === 0 || p.from !== all[i - 1]!.from);
        const whole = historyCalendar(history, a, b).between(a, b);
        // The same, piece by piece: each period's part of [a, b) in that period's calendar alone.
        let sum = 0;
        history.forEach((p, i) => {
          const s = i === 0 ? a : Math.max(a, p.from);
          const e = i + 1 < history.length ? Math.min(b, history[i + 1]!.from) : b;
          if (e > s) sum += p.value !== null && p.value.hours.length > 0 ? businessMs(p.value, s, e) : e - s;
        });
        return whole === sum && whole >= 0 && whole <= b - a;
      }),
      { numRuns: 150 },
    );
  });

  it("combines two histories at every change of either, with the values in force then", () => {
    const teams = [
      { from: -Infinity, value: "none" },
      { from: 10, value: "own" },
      { from: 30, value: "none" },
    ];
    const workspace = [
      { from: 0, value: "A" },
      { from: 10, value: "B" },
      { from: 20, value: "C" },
    ];
    expect(combineHistories(teams, workspace, (t, w) => `${t}/${w}`)).toEqual([
      { from: -Infinity, value: "none/A" },
      { from: 10, value: "own/B" },
      { from: 20, value: "own/C" },
      { from: 30, value: "none/C" },
    ]);
  });
});
