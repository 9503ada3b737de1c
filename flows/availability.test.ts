import { Schema as S } from "effect";
import { describe, expect, it } from "vitest";
import { awayAt, closedDateAt, isAvailable, isValidTimezone, nextClosing, nextOpening, offsetAt, servedAvailability, specialClosingAt, specialDayAt, withWorkspaceClosedDates, zonedTimeToInstant } from "./availability.js";
import { decodeWith } from "./decode.js";
import { Availability, ClosedDate, ClosedDates } from "./flow-spec.js";
import { teamAvailability, type TeamHours } from "./team-hours.js";

const hours = (timezone: string, ...ranges: Array<[string, string, string]>) =>
  S.decodeSync(Availability)({
    mode: "business_hours",
    timezone,
    hours: ranges.map(([day, from, to]) => ({ day: day as "mon", from, to })),
  });
const t = (iso: string) => Date.parse(iso);
const weekdays = (from: string, to: string): Array<[string, string, string]> =>
  ["mon", "tue", "wed", "thu", "fri"].map((d) => [d, from, to]);

describe("isAvailable", () => {
  it("is always open in mode always, never with no hours", () => {
    expect(isAvailable(S.decodeSync(Availability)({}), t("2026-01-01T03:00:00Z"))).toBe(true);
    expect(isAvailable(hours("UTC"), t("2026-01-01T03:00:00Z"))).toBe(false);
  });

  const berlin = hours("Europe/Berlin", ["mon", "09:00", "17:00"]);
  const newYork = hours("America/New_York", ...weekdays("09:00", "17:00"));
  const table: Array<[string, ReturnType<typeof hours>, string, boolean]> = [
    // Berlin, winter time (UTC+1)
    ["Berlin Monday 09:00 CET", berlin, "2026-03-23T08:00:00Z", true],
    ["Berlin Monday 08:59 CET", berlin, "2026-03-23T07:59:00Z", false],
    ["Berlin Monday 08:30 CET (07:30 UTC)", berlin, "2026-03-23T07:30:00Z", false],
    // after the 2026-03-29 change (UTC+2): the same UTC time is now open
    ["Berlin Monday 09:30 CEST (07:30 UTC)", berlin, "2026-03-30T07:30:00Z", true],
    ["Berlin Monday 08:59 CEST", berlin, "2026-03-30T06:59:00Z", false],
    ["Berlin Monday 16:59 CEST", berlin, "2026-03-30T14:59:00Z", true],
    ["Berlin Monday 17:00 CEST", berlin, "2026-03-30T15:00:00Z", false],
    // after the 2026-10-25 change back (UTC+1)
    ["Berlin Monday 09:30 CEST before autumn change", berlin, "2026-10-19T07:30:00Z", true],
    ["Berlin Monday 08:30 CET after autumn change", berlin, "2026-10-26T07:30:00Z", false],
    ["Berlin Monday 09:00 CET after autumn change", berlin, "2026-10-26T08:00:00Z", true],
    ["Berlin Tuesday", berlin, "2026-03-31T08:00:00Z", false],
    // New York: EST (UTC-5) before 2026-03-08, EDT (UTC-4) after
    ["New York Monday 08:30 EST", newYork, "2026-03-02T13:30:00Z", false],
    ["New York Monday 09:00 EST", newYork, "2026-03-02T14:00:00Z", true],
    ["New York Monday 09:30 EDT", newYork, "2026-03-09T13:30:00Z", true],
    ["New York Monday 08:59 EDT", newYork, "2026-03-09T12:59:00Z", false],
    ["New York Friday 16:59 EDT", newYork, "2026-10-30T20:59:00Z", true],
    ["New York Saturday", newYork, "2026-10-31T15:00:00Z", false],
    ["New York Monday 09:00 EST after autumn change", newYork, "2026-11-02T14:00:00Z", true],
    ["New York Monday 08:00 EST after autumn change", newYork, "2026-11-02T13:00:00Z", false],
  ];
  it.each(table)("%s", (_name, availability, at, open) => {
    expect(isAvailable(availability, t(at))).toBe(open);
  });

  it("keeps wall-clock hours across the hour Berlin skips", () => {
    // Sunday 01:00–04:00 on 2026-03-29 lasts two real hours: 02:00–03:00 does not exist.
    const night = hours("Europe/Berlin", ["sun", "01:00", "04:00"]);
    expect(isAvailable(night, t("2026-03-28T23:59:00Z"))).toBe(false); // 00:59 CET
    expect(isAvailable(night, t("2026-03-29T00:00:00Z"))).toBe(true); // 01:00 CET
    expect(isAvailable(night, t("2026-03-29T01:30:00Z"))).toBe(true); // 03:30 CEST
    expect(isAvailable(night, t("2026-03-29T02:00:00Z"))).toBe(false); // 04:00 CEST
  });

  it("is open in both occurrences of the hour Berlin repeats", () => {
    const repeated = hours("Europe/Berlin", ["sun", "02:00", "03:00"]);
    expect(isAvailable(repeated, t("2026-10-25T00:30:00Z"))).toBe(true); // 02:30 CEST
    expect(isAvailable(repeated, t("2026-10-25T01:30:00Z"))).toBe(true); // 02:30 CET
    expect(isAvailable(repeated, t("2026-10-25T02:00:00Z"))).toBe(false); // 03:00 CET
  });

  it("lets a range cross midnight into the next day", () => {
    const late = hours("UTC", ["fri", "22:00", "02:00"], ["sun", "23:00", "01:00"]);
    expect(isAvailable(late, t("2026-01-02T21:59:00Z"))).toBe(false); // Fri 21:59
    expect(isAvailable(late, t("2026-01-02T22:00:00Z"))).toBe(true); // Fri 22:00
    expect(isAvailable(late, t("2026-01-03T01:59:00Z"))).toBe(true); // Sat 01:59
    expect(isAvailable(late, t("2026-01-03T02:00:00Z"))).toBe(false); // Sat 02:00
    expect(isAvailable(late, t("2026-01-03T22:30:00Z"))).toBe(false); // Sat 22:30
    expect(isAvailable(late, t("2026-01-05T00:30:00Z"))).toBe(true); // Mon 00:30, from Sunday's range
  });

  it("treats 00:00–24:00 as the whole day and from = to as never", () => {
    const allDay = hours("UTC", ["sat", "00:00", "24:00"], ["sun", "10:00", "10:00"]);
    expect(isAvailable(allDay, t("2026-01-03T00:00:00Z"))).toBe(true);
    expect(isAvailable(allDay, t("2026-01-03T23:59:59Z"))).toBe(true);
    expect(isAvailable(allDay, t("2026-01-04T00:00:00Z"))).toBe(false);
    expect(isAvailable(allDay, t("2026-01-04T10:00:00Z"))).toBe(false);
  });

  it("falls back to UTC for an unknown time zone instead of throwing", () => {
    const typo = hours("Europe/Berlinn", ["fri", "09:00", "10:00"]);
    expect(isValidTimezone("Europe/Berlinn")).toBe(false);
    expect(isValidTimezone("America/New_York")).toBe(true);
    expect(isAvailable(typo, t("2026-01-02T09:30:00Z"))).toBe(true);
    expect(isAvailable(typo, t("2026-01-02T08:30:00Z"))).toBe(false);
  });
});

describe("nextOpening", () => {
  it("is now when open, null when the hours never open", () => {
    const now = t("2026-01-01T03:00:00Z");
    expect(nextOpening(S.decodeSync(Availability)({}), now)).toBe(now);
    expect(nextOpening(hours("UTC"), now)).toBeNull();
    expect(nextOpening(hours("UTC", ["mon", "09:00", "09:00"]), now)).toBeNull();
    const open = hours("UTC", ["thu", "00:00", "24:00"]);
    expect(nextOpening(open, now)).toBe(now); // 2026-01-01 is a Thursday
  });

  it("finds Monday 09:00 New York across the spring change", () => {
    const ny = hours("America/New_York", ...weekdays("09:00", "17:00"));
    expect(nextOpening(ny, t("2026-03-06T22:00:00Z"))).toBe(t("2026-03-09T13:00:00Z"));
    expect(nextOpening(ny, t("2026-10-30T21:00:00Z"))).toBe(t("2026-11-02T14:00:00Z"));
    // Later the same day
    expect(nextOpening(ny, t("2026-03-09T11:00:00Z"))).toBe(t("2026-03-09T13:00:00Z"));
  });

  it("opens at the moment of the change when the opening time is skipped", () => {
    const skipped = hours("Europe/Berlin", ["sun", "02:30", "05:00"]);
    expect(nextOpening(skipped, t("2026-03-28T12:00:00Z"))).toBe(t("2026-03-29T01:00:00Z"));
  });

  it("takes the first of a repeated opening time", () => {
    const repeated = hours("Europe/Berlin", ["sun", "02:30", "03:00"]);
    expect(nextOpening(repeated, t("2026-10-24T12:00:00Z"))).toBe(t("2026-10-25T00:30:00Z"));
  });

  it("passes over a range wholly inside a skipped hour", () => {
    const ghost = hours("Europe/Berlin", ["sun", "02:15", "02:45"]);
    expect(nextOpening(ghost, t("2026-03-28T12:00:00Z"))).toBe(t("2026-04-05T00:15:00Z"));
  });

  it("waits a week for a range that crosses midnight", () => {
    const late = hours("UTC", ["fri", "22:00", "02:00"]);
    expect(nextOpening(late, t("2026-01-03T03:00:00Z"))).toBe(t("2026-01-09T22:00:00Z"));
  });
});

describe("nextClosing", () => {
  const closedAt = (a: ReturnType<typeof hours>, at: string) => {
    const end = nextClosing(a, t(at));
    return end === null ? null : new Date(end).toISOString();
  };

  it("is now when closed, null when the hours never close", () => {
    const now = t("2026-01-01T03:00:00Z"); // a Thursday
    expect(nextClosing(hours("UTC"), now)).toBe(now);
    expect(nextClosing(hours("UTC", ["fri", "09:00", "17:00"]), now)).toBe(now);
    expect(nextClosing(S.decodeSync(Availability)({}), now)).toBeNull();
    const week = (["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const).map((d): [string, string, string] => [d, "00:00", "24:00"]);
    expect(nextClosing(hours("UTC", ...week), now)).toBeNull();
  });

  it("is the end of the range open now, on the zone's clock across the spring change", () => {
    const ny = hours("America/New_York", ...weekdays("09:00", "17:00"));
    expect(closedAt(ny, "2026-03-06T15:00:00Z")).toBe("2026-03-06T22:00:00.000Z"); // Friday, EST
    expect(closedAt(ny, "2026-03-09T15:00:00Z")).toBe("2026-03-09T21:00:00.000Z"); // Monday, EDT
  });

  it("passes over an end another range carries on from, today's or across midnight", () => {
    const split = hours("UTC", ["mon", "09:00", "12:00"], ["mon", "12:00", "17:00"]);
    expect(closedAt(split, "2026-01-05T10:00:00Z")).toBe("2026-01-05T17:00:00.000Z");
    const nights = hours("UTC", ["mon", "20:00", "24:00"], ["tue", "00:00", "02:00"]);
    expect(closedAt(nights, "2026-01-05T21:00:00Z")).toBe("2026-01-06T02:00:00.000Z");
    // Yesterday's range that crossed midnight ends today.
    const late = hours("UTC", ["mon", "22:00", "02:00"]);
    expect(closedAt(late, "2026-01-06T01:00:00Z")).toBe("2026-01-06T02:00:00.000Z");
  });

  it("closes at the midnight a closed day begins, at a special day's own end", () => {
    const closed = (a: ReturnType<typeof hours>, ...dates: Array<{ date: string; hours?: Array<{ from: string; to: string }> }>) =>
      S.decodeSync(Availability)({ ...S.encodeSync(Availability)(a), closedDates: dates });
    const nights = closed(hours("UTC", ["mon", "22:00", "02:00"]), { date: "2026-03-10" });
    expect(closedAt(nights, "2026-03-09T23:00:00Z")).toBe("2026-03-10T00:00:00.000Z");
    const allWeek = (["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const).map((d): [string, string, string] => [d, "00:00", "24:00"]);
    const eve = closed(hours("Europe/Berlin", ...allWeek), { date: "2026-12-24", hours: [{ from: "00:00", to: "13:00" }] });
    expect(closedAt(eve, "2026-12-23T10:00:00Z")).toBe("2026-12-24T12:00:00.000Z"); // 13:00 Berlin on the 24th
  });
});

describe("closed dates", () => {
  const withClosed = (a: ReturnType<typeof hours>, ...closed: Array<{ date: string; name?: string; yearly?: boolean }>) =>
    S.decodeSync(Availability)({ ...a, closedDates: closed });
  const berlinWeek = hours("Europe/Berlin", ...weekdays("09:00", "17:00"));

  it("closes the whole local day, a yearly one every year", () => {
    const christmas = withClosed(berlinWeek, { date: "2026-12-24" }, { date: "2020-12-25", yearly: true });
    expect(isAvailable(christmas, t("2026-12-23T10:00:00Z"))).toBe(true);
    expect(isAvailable(christmas, t("2026-12-24T10:00:00Z"))).toBe(false);
    expect(isAvailable(christmas, t("2026-12-25T10:00:00Z"))).toBe(false);
    expect(isAvailable(christmas, t("2029-12-25T10:00:00Z"))).toBe(false);
    // The once date does not recur.
    expect(isAvailable(christmas, t("2027-12-24T10:00:00Z"))).toBe(true);
  });

  it("reads the date on the flow's clock, not UTC's", () => {
    // 15:30 UTC on 24 December is already the 25th in Tokyo (UTC+9).
    const tokyo = withClosed(hours("Asia/Tokyo", ["fri", "00:00", "24:00"], ["thu", "00:00", "24:00"]), { date: "2026-12-25" });
    expect(isAvailable(tokyo, t("2026-12-24T14:00:00Z"))).toBe(true); // Thursday 23:00 Tokyo
    expect(isAvailable(tokyo, t("2026-12-24T15:30:00Z"))).toBe(false); // Friday 00:30 Tokyo
  });

  it("cuts a night range at the closed day's midnight and opens at the next one", () => {
    const nights = withClosed(hours("UTC", ["mon", "22:00", "02:00"], ["tue", "22:00", "02:00"]), { date: "2026-03-10" });
    expect(isAvailable(nights, t("2026-03-09T23:00:00Z"))).toBe(true);
    expect(isAvailable(nights, t("2026-03-10T01:00:00Z"))).toBe(false);
    expect(isAvailable(nights, t("2026-03-10T23:00:00Z"))).toBe(false);
    expect(nextOpening(nights, t("2026-03-10T01:00:00Z"))).toBe(t("2026-03-11T00:00:00Z"));
  });

  it("finds the next opening after the closed days, however many", () => {
    const christmas = withClosed(berlinWeek, { date: "2026-12-24" }, { date: "2026-12-25" });
    expect(nextOpening(christmas, t("2026-12-23T17:00:00Z"))).toBe(t("2026-12-28T08:00:00Z"));
    const month = withClosed(
      berlinWeek,
      ...Array.from({ length: 40 }, (_, i) => ({ date: new Date(Date.UTC(2026, 6, 1 + i)).toISOString().slice(0, 10) })),
    );
    expect(nextOpening(month, t("2026-06-30T16:00:00Z"))).toBe(t("2026-08-10T07:00:00Z"));
  });

  it("finds the closed date of a moment on the flow's clock", () => {
    const tokyo = withClosed(hours("Asia/Tokyo", ["fri", "00:00", "24:00"]), { date: "2026-12-25", name: "Christmas Day" });
    expect(closedDateAt(tokyo, t("2026-12-24T15:30:00Z"))).toEqual({ date: "2026-12-25", name: "Christmas Day", yearly: false });
    expect(closedDateAt(tokyo, t("2026-12-24T14:30:00Z"))).toBeUndefined();
    expect(closedDateAt(S.decodeSync(Availability)({ closedDates: [{ date: "2026-12-25" }] }), t("2026-12-25T10:00:00Z"))).toBeUndefined();
  });

  it("adds the workspace's closed dates only to a flow that follows them", () => {
    const workspace = [{ date: "2026-12-24", yearly: false }];
    const follows = withClosed(berlinWeek);
    const following = S.decodeSync(Availability)({ ...follows, workspaceClosedDates: true });
    expect(withWorkspaceClosedDates(follows, workspace)).toBe(follows);
    expect(isAvailable(withWorkspaceClosedDates(following, workspace), t("2026-12-24T10:00:00Z"))).toBe(false);
    expect(isAvailable(withWorkspaceClosedDates(following, []), t("2026-12-24T10:00:00Z"))).toBe(true);
  });

  it("refuses a date that is not on the calendar, and more than 200", () => {
    const bad = S.decodeUnknownEither(Availability)({ closedDates: [{ date: "2026-02-29" }] });
    expect(bad._tag).toBe("Left");
    expect(S.decodeUnknownEither(Availability)({ closedDates: [{ date: "2028-02-29" }] })._tag).toBe("Right");
    const many = Array.from({ length: 201 }, (_, i) => ({ date: new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10) }));
    expect(S.decodeUnknownEither(Availability)({ closedDates: many })._tag).toBe("Left");
  });
});

describe("special days: a closed date with hours (decision 051)", () => {
  type Range = { from: string; to: string };
  const special = (a: ReturnType<typeof hours>, ...closed: Array<{ date: string; name?: string; yearly?: boolean; hours?: Range[] }>) =>
    S.decodeSync(Availability)({ ...S.encodeSync(Availability)(a), closedDates: closed });
  const berlinWeek = hours("Europe/Berlin", ...weekdays("09:00", "17:00"));
  // Thursday 24 December 2026, Berlin is UTC+1.
  const eve = special(berlinWeek, { date: "2026-12-24", name: "Christmas Eve", hours: [{ from: "09:00", to: "13:00" }] });

  it("decodes and encodes a date without hours unchanged, and one with hours as written", () => {
    const old = { date: "2026-12-25", name: "Christmas Day" };
    // As before hours existed: `yearly` is written out, no `hours` key appears.
    expect(S.encodeSync(ClosedDate)(S.decodeUnknownSync(ClosedDate)(old))).toEqual({ ...old, yearly: false });
    expect("hours" in S.decodeUnknownSync(ClosedDate)(old)).toBe(false);
    const short = { date: "2026-12-24", yearly: false, hours: [{ from: "09:00", to: "13:00" }, { from: "15:00", to: "24:00" }] };
    expect(S.encodeSync(ClosedDate)(S.decodeUnknownSync(ClosedDate)(short))).toEqual(short);
  });

  it("refuses a range that ends at or before its start, bad times, no ranges and too many, with paths", () => {
    const decode = decodeWith(S.Struct({ closedDates: ClosedDates }));
    const issues = (closedDates: unknown) => {
      const r = decode({ closedDates });
      return r._tag === "Left" ? r.left : [];
    };
    expect(issues([{ date: "2026-12-24" }, { date: "2026-12-31", hours: [{ from: "09:00", to: "12:00" }, { from: "22:00", to: "02:00" }] }])).toEqual([
      { path: "closedDates[1].hours[1].to", message: "the closing time must be after 22:00 (a special day ends at 24:00)" },
    ]);
    expect(issues([{ date: "2026-12-24", hours: [{ from: "10:00", to: "10:00" }] }])[0]?.path).toBe("closedDates[0].hours[0].to");
    expect(issues([{ date: "2026-12-24", hours: [{ from: "9:00", to: "13:00" }] }])).toEqual([{ path: "closedDates[0].hours[0].from", message: "a time is HH:MM (24 h)" }]);
    expect(issues([{ date: "2026-12-24", hours: [] }])).toEqual([{ path: "closedDates[0].hours", message: "leave the hours out to close the whole day" }]);
    const five = Array.from({ length: 5 }, (_, i) => ({ from: `1${i}:00`, to: `1${i}:30` }));
    expect(issues([{ date: "2026-12-24", hours: five }])).toEqual([{ path: "closedDates[0].hours", message: "at most 4 ranges on a special day" }]);
  });

  it("is open only inside the day's own hours, the weekly hours on the days around it", () => {
    expect(isAvailable(eve, t("2026-12-24T07:59:00Z"))).toBe(false); // 08:59
    expect(isAvailable(eve, t("2026-12-24T08:00:00Z"))).toBe(true); // 09:00
    expect(isAvailable(eve, t("2026-12-24T11:59:00Z"))).toBe(true); // 12:59
    expect(isAvailable(eve, t("2026-12-24T12:00:00Z"))).toBe(false); // 13:00
    expect(isAvailable(eve, t("2026-12-23T15:00:00Z"))).toBe(true); // Wednesday 16:00
    expect(isAvailable(eve, t("2026-12-28T15:00:00Z"))).toBe(true);
    // Special hours may open a day the weekly hours keep closed (Saturday 26 December).
    const saturday = special(berlinWeek, { date: "2026-12-26", hours: [{ from: "10:00", to: "12:00" }] });
    expect(isAvailable(saturday, t("2026-12-26T09:30:00Z"))).toBe(true);
    expect(nextOpening(saturday, t("2026-12-25T17:00:00Z"))).toBe(t("2026-12-26T09:00:00Z"));
    // Without weekly hours there is no calendar: special days do not open it either.
    expect(isAvailable(special(hours("Europe/Berlin"), { date: "2026-12-24", hours: [{ from: "00:00", to: "24:00" }] }), t("2026-12-24T10:00:00Z"))).toBe(false);
  });

  it("finds the next opening at the special hours, after them at the weekly ones", () => {
    expect(nextOpening(eve, t("2026-12-23T17:00:00Z"))).toBe(t("2026-12-24T08:00:00Z"));
    expect(nextOpening(eve, t("2026-12-24T12:30:00Z"))).toBe(t("2026-12-25T08:00:00Z"));
    const twoRanges = special(berlinWeek, { date: "2026-12-24", hours: [{ from: "09:00", to: "11:00" }, { from: "14:00", to: "15:00" }] });
    expect(nextOpening(twoRanges, t("2026-12-24T10:30:00Z"))).toBe(t("2026-12-24T13:00:00Z"));
  });

  it("replaces the local day from midnight to midnight: a night range is cut into it and opens after it", () => {
    const nights = special(hours("UTC", ["mon", "22:00", "02:00"], ["tue", "22:00", "02:00"]), { date: "2026-03-10", hours: [{ from: "12:00", to: "24:00" }] });
    expect(isAvailable(nights, t("2026-03-09T23:00:00Z"))).toBe(true); // Monday 23:00
    expect(isAvailable(nights, t("2026-03-10T01:00:00Z"))).toBe(false); // Tuesday 01:00: Monday's range is cut
    expect(isAvailable(nights, t("2026-03-10T12:00:00Z"))).toBe(true); // the special hours
    expect(isAvailable(nights, t("2026-03-10T23:59:00Z"))).toBe(true); // until 24:00
    expect(isAvailable(nights, t("2026-03-11T01:00:00Z"))).toBe(true); // Tuesday's weekly range runs on after midnight
    expect(nextOpening(nights, t("2026-03-10T01:00:00Z"))).toBe(t("2026-03-10T12:00:00Z"));
  });

  it("reads the special hours on the wall clock on a daylight-saving day in Berlin", () => {
    // Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
    const spring = special(berlinWeek, { date: "2026-03-29", hours: [{ from: "01:00", to: "04:00" }] });
    expect(isAvailable(spring, t("2026-03-29T00:00:00Z"))).toBe(true); // 01:00 CET
    expect(isAvailable(spring, t("2026-03-29T01:00:00Z"))).toBe(true); // 03:00 CEST
    expect(isAvailable(spring, t("2026-03-29T02:00:00Z"))).toBe(false); // 04:00 CEST
    // A range inside the skipped hour never opens: the next opening is Monday's.
    const skipped = special(berlinWeek, { date: "2026-03-29", hours: [{ from: "02:00", to: "02:30" }] });
    expect(nextOpening(skipped, t("2026-03-28T20:00:00Z"))).toBe(t("2026-03-30T07:00:00Z"));
    // Sunday 25 October: 03:00 CEST becomes 02:00 CET; 02:00–03:00 is open both times the clock reads it.
    const autumn = special(berlinWeek, { date: "2026-10-25", hours: [{ from: "02:00", to: "03:00" }] });
    expect(isAvailable(autumn, t("2026-10-25T00:30:00Z"))).toBe(true); // 02:30 CEST
    expect(isAvailable(autumn, t("2026-10-25T01:30:00Z"))).toBe(true); // 02:30 CET
    expect(isAvailable(autumn, t("2026-10-25T02:00:00Z"))).toBe(false); // 03:00 CET
  });

  it("keeps only the hours common to several dates of one day, so a whole-day closure wins", () => {
    const both = special(
      berlinWeek,
      { date: "2026-12-24", hours: [{ from: "09:00", to: "13:00" }] },
      { date: "2000-12-24", yearly: true, hours: [{ from: "11:00", to: "15:00" }] },
    );
    expect(isAvailable(both, t("2026-12-24T09:00:00Z"))).toBe(false); // 10:00
    expect(isAvailable(both, t("2026-12-24T10:30:00Z"))).toBe(true); // 11:30
    expect(isAvailable(both, t("2026-12-24T12:30:00Z"))).toBe(false); // 13:30
    expect(isAvailable(both, t("2027-12-24T13:30:00Z"))).toBe(true); // only the yearly one: 14:30
    const closed = special(berlinWeek, { date: "2026-12-24", hours: [{ from: "09:00", to: "13:00" }] }, { date: "2026-12-24", name: "Shut" });
    expect(isAvailable(closed, t("2026-12-24T09:00:00Z"))).toBe(false);
    expect(closedDateAt(closed, t("2026-12-24T09:00:00Z"))?.name).toBe("Shut");
  });

  it("says why it is away: not closed all day on a special day, but outside its hours", () => {
    // Open now on the special day: not away, and no closed date.
    expect(awayAt(eve, t("2026-12-24T10:00:00Z"))).toBeNull();
    expect(closedDateAt(eve, t("2026-12-24T10:00:00Z"))).toBeUndefined();
    expect(specialDayAt(eve, t("2026-12-24T10:00:00Z"))?.name).toBe("Christmas Eve");
    expect(awayAt(eve, t("2026-12-24T14:00:00Z"))).toEqual({
      closed: undefined,
      special: { date: "2026-12-24", name: "Christmas Eve", yearly: false, hours: [{ from: "09:00", to: "13:00" }] },
      opensAt: t("2026-12-25T08:00:00Z"),
    });
    const christmas = special(berlinWeek, { date: "2026-12-25", name: "Christmas Day" });
    expect(awayAt(christmas, t("2026-12-25T10:00:00Z"))).toMatchObject({ closed: { name: "Christmas Day" }, special: undefined });
  });
});

describe("zonedTimeToInstant", () => {
  it.each([
    ["UTC", 2026, 1, 2, 9 * 60, "2026-01-02T09:00:00Z"],
    ["Europe/Berlin", 2026, 7, 1, 9 * 60, "2026-07-01T07:00:00Z"],
    ["America/New_York", 2026, 1, 5, 9 * 60, "2026-01-05T14:00:00Z"],
    ["America/New_York", 2026, 3, 8, 2 * 60 + 30, "2026-03-08T07:00:00Z"], // skipped: the change
    ["America/New_York", 2026, 11, 1, 60 + 30, "2026-11-01T05:30:00Z"], // repeated: the first
    ["Asia/Kolkata", 2026, 1, 1, 0, "2025-12-31T18:30:00Z"],
  ] as const)("%s %i-%i-%i +%i min", (tz, y, m, d, minutes, iso) => {
    expect(zonedTimeToInstant(tz, y, m, d, minutes)).toBe(t(iso));
  });
});

describe("offsetAt: wall times kept per minute", () => {
  /** The offset as the platform reads it, with a formatter of its own (nothing kept). */
  const platformOffset = (timezone: string, instant: number): number => {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
      hour: "numeric", minute: "numeric", second: "numeric",
    }).formatToParts(new Date(instant));
    const n = (type: string) => Number(parts.find((p) => p.type === type)!.value);
    return Date.UTC(n("year"), n("month") - 1, n("day"), n("hour") % 24, n("minute"), n("second")) - Math.floor(instant / 1000) * 1000;
  };

  it("agrees with the platform across changes, odd offsets and seconds, asked twice", () => {
    const zones = ["Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Chatham", "America/St_Johns", "UTC"];
    // Around the 2026 changes (Berlin 29 March 01:00Z, New York 8 March 07:00Z, Lord Howe 5 April
    // 15:00Z, half an hour), at odd seconds and milliseconds, and over a year in odd strides.
    const instants = [
      ...[t("2026-03-29T00:59:59.999Z"), t("2026-03-29T01:00:00Z"), t("2026-03-29T01:00:01.5Z")],
      ...[t("2026-03-08T06:59:59Z"), t("2026-03-08T07:00:30Z"), t("2026-04-05T14:59:59Z"), t("2026-04-05T15:00:59Z")],
      ...Array.from({ length: 400 }, (_, i) => t("2026-01-01T00:00:00Z") + i * 21_961_337),
    ];
    for (let round = 0; round < 2; round++)
      for (const zone of zones) for (const instant of instants) expect([zone, instant, offsetAt(zone, instant)]).toEqual([zone, instant, platformOffset(zone, instant)]);
  });

  it("reads an instant before 1973 from the platform itself: offsets then had seconds", () => {
    // Monrovia kept −0:44:30 until 1972.
    const instant = t("1960-06-01T12:00:30Z");
    expect(offsetAt("Africa/Monrovia", instant)).toBe(platformOffset("Africa/Monrovia", instant));
    expect(offsetAt("Africa/Monrovia", instant) % 60_000).not.toBe(0);
  });
});

describe("a chatflow following a team's hours (servedAvailability)", () => {
  const decode = S.decodeUnknownSync(Availability);
  const berlin = { timezone: "Europe/Berlin", hours: [{ day: "mon" as const, from: "09:00", to: "17:00" }], closed: [{ date: "2026-12-28", name: "Team day", yearly: false }] };
  const teams: Record<string, TeamHours> = {
    t_berlin: { source: "own", timezone: "Europe/Berlin", hours: [{ day: "mon", from: "09:00", to: "17:00" }], closedDates: [{ date: "2026-12-28", name: "Team day", yearly: false }], workspaceClosedDates: false },
    t_none: { source: "none" },
  };
  const asked: string[] = [];
  const calendars = {
    workspaceClosed: [{ date: "2027-01-04", yearly: false }],
    teamSchedule: (id: string) => {
      asked.push(id);
      const hours = teams[id];
      return hours === undefined ? null : teamAvailability(hours, berlin);
    },
  };
  // Monday 4 January 2027 at 10:00 and 18:00 in Berlin; Monday 28 December 2026 at 10:00 (the team's closed date).
  const mondayMorning = Date.UTC(2027, 0, 4, 9);
  const mondayEvening = Date.UTC(2027, 0, 4, 17);
  const teamDay = Date.UTC(2026, 11, 28, 9);

  it("decodes mode team with its team, and specs written before it unchanged", () => {
    expect(decode({ mode: "team", teamId: "t_berlin" })).toMatchObject({ mode: "team", teamId: "t_berlin", awayBehaviour: "away_message" });
    const old = decode({ mode: "business_hours", timezone: "Europe/Berlin", hours: [{ day: "mon", from: "09:00", to: "17:00" }] });
    expect("teamId" in old).toBe(false);
    expect(S.encodeSync(Availability)(old)).not.toHaveProperty("teamId");
    expect(() => decode({ mode: "teams", teamId: "t_berlin" })).toThrow(/"always" \| "business_hours" \| "team"/);
    expect(() => decode({ mode: "team", teamId: "x".repeat(101) })).toThrow(/at most 100 characters/);
  });

  it("is open exactly when the team's hours say, with the flow's own away message and behaviour", () => {
    const flow = decode({ mode: "team", teamId: "t_berlin", timezone: "Asia/Tokyo", hours: [{ day: "sun", from: "00:00", to: "24:00" }], awayMessage: "Back on Monday", awayBehaviour: "collect_email", workspaceClosedDates: true });
    const served = servedAvailability(flow, calendars);
    expect(served).toMatchObject({ mode: "business_hours", timezone: "Europe/Berlin", hours: [{ day: "mon", from: "09:00", to: "17:00" }], awayMessage: "Back on Monday", awayBehaviour: "collect_email" });
    expect(isAvailable(served, mondayMorning)).toBe(true);
    expect(isAvailable(served, mondayEvening)).toBe(false);
    // The team's closed date closes the flow; the workspace's (which the flow's own flag would add) does not.
    expect(awayAt(served, teamDay)).toEqual({ closed: { date: "2026-12-28", name: "Team day", yearly: false }, opensAt: Date.UTC(2027, 0, 4, 8) });
  });

  it("is always open when the team keeps no hours, does not exist, or no team is named", () => {
    for (const teamId of ["t_none", "t_gone"]) {
      const served = servedAvailability(decode({ mode: "team", teamId }), calendars);
      expect(served.mode).toBe("always");
      expect(isAvailable(served, mondayEvening)).toBe(true);
    }
    expect(servedAvailability(decode({ mode: "team" }), calendars).mode).toBe("always");
  });

  it("leaves other modes as withWorkspaceClosedDates does, without asking for any team", () => {
    asked.length = 0;
    const own = decode({ mode: "business_hours", timezone: "Europe/Berlin", hours: [{ day: "mon", from: "09:00", to: "17:00" }], workspaceClosedDates: true, teamId: "t_berlin" });
    expect(servedAvailability(own, calendars)).toEqual(withWorkspaceClosedDates(own, calendars.workspaceClosed));
    expect(isAvailable(servedAvailability(own, calendars), mondayMorning)).toBe(false);
    const always = decode({});
    expect(servedAvailability(always, calendars)).toBe(always);
    expect(asked).toEqual([]);
  });
});

describe("specialClosingAt: when today's special hours close the flow (decision 053)", () => {
  type Range = { readonly from: string; readonly to: string };
  const withDates = (a: ReturnType<typeof hours>, ...closed: Array<{ date: string; name?: string; yearly?: boolean; hours?: ReadonlyArray<Range> }>) =>
    S.decodeSync(Availability)({ ...S.encodeSync(Availability)(a), closedDates: closed });
  const berlinWeek = hours("Europe/Berlin", ...weekdays("09:00", "17:00"));
  // Thursday 24 December 2026, Berlin is UTC+1: open 09:00–12:00 and 14:00–16:00.
  const eve = withDates(berlinWeek, { date: "2026-12-24", name: "Christmas Eve", hours: [{ from: "09:00", to: "12:00" }, { from: "14:00", to: "16:00" }] });

  it("is the end of the special range the flow is open in, with the day, on the flow's clock", () => {
    expect(specialClosingAt(eve, t("2026-12-24T08:30:00Z"))).toEqual({ closesAt: t("2026-12-24T11:00:00Z"), day: eve.closedDates[0] });
    expect(specialClosingAt(eve, t("2026-12-24T13:00:00Z"))?.closesAt).toBe(t("2026-12-24T15:00:00Z"));
  });

  it("is null while closed (between the ranges, after them), on a day of weekly hours, and in mode always", () => {
    expect(specialClosingAt(eve, t("2026-12-24T12:00:00Z"))).toBeNull(); // 13:00, between the ranges
    expect(specialClosingAt(eve, t("2026-12-24T15:00:00Z"))).toBeNull(); // 16:00, closed
    expect(specialClosingAt(eve, t("2026-12-23T10:00:00Z"))).toBeNull(); // a Wednesday of weekly hours
    expect(specialClosingAt(S.decodeSync(Availability)({}), t("2026-12-24T10:00:00Z"))).toBeNull();
    // A whole-day closure of the same date wins: closed, so nothing closes.
    expect(specialClosingAt(withDates(berlinWeek, eve.closedDates[0]!, { date: "2026-12-24" }), t("2026-12-24T10:00:00Z"))).toBeNull();
  });

  it("is null when the flow stays open past the range's end (24:00, then hours from midnight), and the midnight when it does close", () => {
    const nights = hours("UTC", ["thu", "20:00", "24:00"], ["fri", "00:00", "02:00"], ["sat", "00:00", "02:00"]);
    const evening = { date: "2026-12-24", name: "Late", hours: [{ from: "18:00", to: "24:00" }] };
    expect(specialClosingAt(withDates(nights, evening), t("2026-12-24T19:00:00Z"))).toBeNull();
    // Friday the 25th closed all day: the flow closes at midnight.
    expect(specialClosingAt(withDates(nights, evening, { date: "2026-12-25" }), t("2026-12-24T19:00:00Z"))?.closesAt).toBe(t("2026-12-25T00:00:00Z"));
  });

  it("reads a followed team's special day on the team's clock", () => {
    const team: TeamHours = {
      source: "own",
      timezone: "America/New_York",
      hours: weekdays("09:00", "17:00").map(([day, from, to]) => ({ day: day as "mon", from, to })),
      closedDates: [{ date: "2026-12-24", name: "Christmas Eve", yearly: true, hours: [{ from: "09:00", to: "13:00" }] }],
      workspaceClosedDates: false,
    };
    const served = servedAvailability(S.decodeSync(Availability)({ mode: "team", teamId: "t" }), {
      workspaceClosed: [],
      teamSchedule: () => teamAvailability(team, { timezone: "UTC", hours: [] }),
    });
    // 10:00 in New York (UTC−5): open until 13:00 there, 18:00 UTC.
    expect(specialClosingAt(served, t("2026-12-24T15:00:00Z"))).toMatchObject({ closesAt: t("2026-12-24T18:00:00Z"), day: { name: "Christmas Eve" } });
  });
});
