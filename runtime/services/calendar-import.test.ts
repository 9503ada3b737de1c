import { Effect, Either, Layer, ManagedRuntime } from "effect";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ClosedDate } from "../../flows/flow-spec.js";
import { CalendarImport, calendarUrl, closedDatesCalendar, layer as calendarLayer, MAX_CALENDAR_BYTES, readCalendar, type CalendarDates } from "./calendar-import.js";
import * as Db from "./database.js";
import { InvalidInput, PayloadTooLarge } from "./errors.js";
import { makeWebhookClientLayer } from "./webhook-client.js";

const fixture = (name: string) => readFileSync(join(__dirname, "../../tests/fixtures/calendars", name), "utf8");
const TODAY = "2026-11-27";

const read = (text: string, today = TODAY): CalendarDates => {
  const result = readCalendar(text, today);
  if (Either.isLeft(result)) throw new Error(`expected dates, got ${result.left.message}`);
  return result.right;
};
const refusal = (text: string) => {
  const result = readCalendar(text, TODAY);
  if (Either.isRight(result)) throw new Error(`expected a refusal, got ${JSON.stringify(result.right)}`);
  return { reason: result.left.reason, message: result.left.message };
};
const calendar = (...events: string[]) =>
  ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", ...events.flatMap((e) => ["BEGIN:VEVENT", e.trim(), "END:VEVENT"]), "END:VCALENDAR", ""].join("\r\n");

describe("readCalendar", () => {
  it("reads a Google holiday calendar: whole days named by SUMMARY (folded, escaped), past ones counted, a day named twice kept once", () => {
    const google = fixture("google-holidays.ics");
    expect(google).toContain("\r\n ");
    const { dates, skipped, pastEvents } = read(google);
    expect(dates).toEqual([
      { date: "2026-12-24", name: "Christmas Eve", yearly: false },
      { date: "2026-12-25", name: "Christmas Day", yearly: false },
      { date: "2026-12-26", name: "Second Day of Christmas (Boxing Day, St. Stephen's Day in some regions)", yearly: false },
      { date: "2027-01-01", name: "New Year's Day", yearly: false },
      { date: "2027-03-26", name: "Good Friday", yearly: false },
    ]);
    expect(skipped).toEqual([{ date: "2026-12-25", reason: "the calendar names this day twice; kept “Christmas Day”" }]);
    expect(pastEvents).toBe(1);
  });

  it("reads an Outlook export: multi-day (DTEND exclusive), midnight all-day events, yearly, expanded series with a moved day; skips timed and cancelled events", () => {
    const { dates, skipped, pastEvents } = read(fixture("outlook-export.ics"));
    expect(dates).toEqual([
      { date: "2026-12-28", name: "Winter closing", yearly: false },
      { date: "2026-12-29", name: "Winter closing", yearly: false },
      { date: "2026-12-30", name: "Winter closing", yearly: false },
      { date: "2027-01-15", name: "Inventory day", yearly: false },
      { date: "2027-02-16", name: "Inventory day (moved)", yearly: false },
      { date: "2027-03-15", name: "Inventory day", yearly: false },
      { date: "2027-05-01", name: "Labour Day", yearly: false },
      { date: "2010-07-03", name: "Founders' Day", yearly: true },
    ]);
    expect(skipped).toEqual([
      { summary: "Quarterly planning", date: "2026-12-03", reason: "a timed event: only whole-day events are closed dates" },
      { summary: "Team stand-up", date: "2026-01-05", reason: "a timed event: only whole-day events are closed dates" },
      { summary: "Company outing", date: "2026-12-08", reason: "cancelled" },
    ]);
    expect(pastEvents).toBe(1);
  });

  it("expands recurrences other than a plain yearly one over two years, minus EXDATEs and cancelled occurrences", () => {
    const text = calendar(
      // Yearly but only until 2027: not for ever, so its days are listed once each.
      "UID:a\r\nDTSTART;VALUE=DATE:20200810\r\nRRULE:FREQ=YEARLY;UNTIL=20270901\r\nSUMMARY:Summer day",
      // Every other year: expanded too (2028 is in the window, 2026's is past).
      "UID:b\r\nDTSTART;VALUE=DATE:20240301\r\nRRULE:FREQ=YEARLY;INTERVAL=2\r\nSUMMARY:Biennial",
      // Monthly on the first Friday, three times, one struck out and one cancelled.
      "UID:c\r\nDTSTART;VALUE=DATE:20270101\r\nRRULE:FREQ=MONTHLY;BYDAY=1FR;COUNT=4\r\nEXDATE;VALUE=DATE:20270205\r\nSUMMARY:Day off",
      "UID:c\r\nRECURRENCE-ID;VALUE=DATE:20270305\r\nDTSTART;VALUE=DATE:20270305\r\nSTATUS:CANCELLED\r\nSUMMARY:Day off",
      // Far beyond two years: nothing in the window.
      "UID:d\r\nDTSTART;VALUE=DATE:20400101\r\nRRULE:FREQ=YEARLY;INTERVAL=10\r\nSUMMARY:Decade",
      // A yearly series whose end is past.
      "UID:e\r\nDTSTART;VALUE=DATE:20100101\r\nRRULE:FREQ=YEARLY;COUNT=3\r\nSUMMARY:Old",
    );
    const { dates, skipped, pastEvents } = read(text);
    expect(dates.map((d) => [d.date, d.name, d.yearly])).toEqual([
      ["2027-01-01", "Day off", false],
      ["2027-04-02", "Day off", false],
      ["2027-08-10", "Summer day", false],
      ["2028-03-01", "Biennial", false],
    ]);
    expect(skipped).toEqual([{ summary: "Decade", reason: "it recurs, but not from today to two years ahead" }]);
    expect(pastEvents).toBe(1);
  });

  it("keeps a yearly multi-day event yearly on each day, and no DTEND as one day", () => {
    const { dates } = read(calendar("UID:x\r\nDTSTART;VALUE=DATE:20241224\r\nDTEND;VALUE=DATE:20241227\r\nRRULE:FREQ=YEARLY;BYMONTH=12\r\nSUMMARY:Christmas", "UID:y\r\nDTSTART;VALUE=DATE:20270704\r\nSUMMARY:  Fourth   of July "));
    expect(dates).toEqual([
      { date: "2027-07-04", name: "Fourth of July", yearly: false },
      { date: "2024-12-24", name: "Christmas", yearly: true },
      { date: "2024-12-25", name: "Christmas", yearly: true },
      { date: "2024-12-26", name: "Christmas", yearly: true },
    ]);
  });

  it("reads LF-only files and a byte-order mark; an event without SUMMARY has no name", () => {
    const { dates } = read(`\uFEFF${calendar("UID:z\r\nDTSTART;VALUE=DATE:20270202").replaceAll("\r\n", "\n")}`);
    expect(dates).toEqual([{ date: "2027-02-02", yearly: false }]);
  });

  it("refuses what is no calendar, a calendar without events, too many days and too much text", () => {
    expect(refusal(fixture("not-a-calendar.ics"))).toEqual({ reason: "not_calendar", message: "this is not an iCalendar (.ics) file: it must begin with BEGIN:VCALENDAR" });
    expect(refusal("")).toMatchObject({ reason: "not_calendar" });
    expect(refusal("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Alex\r\nEND:VCARD\r\n")).toMatchObject({ reason: "not_calendar" });
    expect(refusal("BEGIN:VCALENDAR\r\nthis line is broken\r\nEND:VCALENDAR\r\n")).toMatchObject({ reason: "not_calendar", message: expect.stringMatching(/^this calendar cannot be read: /) });
    expect(refusal("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")).toEqual({ reason: "no_events", message: "the calendar has no events" });
    expect(refusal(calendar("UID:d\r\nDTSTART;VALUE=DATE:20270101\r\nRRULE:FREQ=DAILY\r\nSUMMARY:Every day"))).toMatchObject({
      reason: "too_many_dates",
      message: expect.stringContaining("at most 200 closed dates"),
    });
    expect(refusal(calendar("UID:d\r\nDTSTART;VALUE=DATE:20270101\r\nDTEND;VALUE=DATE:20280101\r\nSUMMARY:A whole year"))).toMatchObject({ reason: "too_many_dates" });
    const big = calendar(`UID:big\r\nDTSTART;VALUE=DATE:20270101\r\nDESCRIPTION:${"x".repeat(MAX_CALENDAR_BYTES)}`);
    expect(refusal(big)).toEqual({ reason: "too_large", message: "the calendar is over 1 MB, the most an import reads" });
  });
});

describe("closedDatesCalendar", () => {
  const list: ReadonlyArray<ClosedDate> = [
    { date: "2026-12-24", name: "Christmas Eve", yearly: false, hours: [{ from: "09:00", to: "13:00" }] },
    { date: "2026-12-31", yearly: false },
    { date: "2027-03-26", name: "Good Friday; a long, “quoted” name that is folded over the 75 octets a line may hold", yearly: false },
    { date: "2020-02-29", name: "Leap day", yearly: true },
    { date: "2020-12-25", name: "Christmas Day", yearly: true },
  ];

  it("writes a valid VCALENDAR: CRLF, folded, all-day events, yearly ones with RRULE:FREQ=YEARLY", () => {
    const text = closedDatesCalendar(list, { name: "Parley closed dates", stamp: Date.UTC(2026, 10, 27, 12) });
    expect(text.startsWith("BEGIN:VCALENDAR\r\n")).toBe(true);
    expect(text.endsWith("END:VCALENDAR\r\n")).toBe(true);
    expect(text.split("\r\n").every((line) => Buffer.byteLength(line) <= 75)).toBe(true);
    expect(text.replaceAll("\r\n", "")).not.toContain("\n");
    expect(text).toContain("BEGIN:VEVENT\r\nUID:closed-2020-12-25-yearly@parley\r\nDTSTAMP:20261127T120000Z\r\nDTSTART;VALUE=DATE:20201225\r\nDTEND;VALUE=DATE:20201226\r\nRRULE:FREQ=YEARLY\r\n");
    expect(text).toContain("SUMMARY:Christmas Eve (open 09:00–13:00)\r\nX-PARLEY-HOURS:09:00-13:00\r\n");
    expect(text).toContain("SUMMARY:Closed\r\nX-PARLEY-NAME:\r\n");
    expect(text).toContain("X-WR-CALNAME:Parley closed dates\r\n");
  });

  it("reads back as the same list", () => {
    const text = closedDatesCalendar(list, { name: "Parley closed dates", stamp: Date.UTC(2026, 10, 27, 12) });
    expect(read(text)).toEqual({ dates: list, skipped: [], pastEvents: 0 });
    // An empty list is a valid calendar without events, which an import refuses.
    expect(refusal(closedDatesCalendar([], { name: "None", stamp: 0 }))).toMatchObject({ reason: "no_events" });
  });
});

// ---------------------------------------------------------------------------------------------
// Fetching: a real HTTP server on this machine serves the fixtures.

let server: Server;
let base = "";
let dir = "";
let runtime: ManagedRuntime.ManagedRuntime<CalendarImport, never>;

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.UTC(2026, 10, 27, 12));
  server = createServer((req, res) => {
    const url = req.url ?? "/";
    if (url === "/holidays.ics") return void res.writeHead(200, { "content-type": "text/calendar; charset=utf-8" }).end(fixture("google-holidays.ics"));
    if (url === "/moved.ics") return void res.writeHead(302, { location: "/holidays.ics" }).end();
    if (url === "/elsewhere.ics") return void res.writeHead(302, { location: `http://localhost:${(server.address() as AddressInfo).port}/holidays.ics` }).end();
    if (url === "/huge.ics") return void res.writeHead(200, { "content-type": "text/calendar" }).end("X".repeat(MAX_CALENDAR_BYTES + 10));
    if (url === "/page.html") return void res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><p>Sign in to see this calendar</p>");
    res.writeHead(404).end("not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), "parley-calendar-"));
  runtime = ManagedRuntime.make(
    calendarLayer.pipe(Layer.provide(Layer.mergeAll(Db.layer({ path: join(dir, "calendar.sqlite"), synchronous: "NORMAL" }), makeWebhookClientLayer({ allowPrivateNetworks: true })))),
  );
});

afterAll(async () => {
  await runtime.dispose();
  vi.useRealTimers();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const readFrom = (source: { ics: string } | { url: string }) => runtime.runPromise(Effect.either(Effect.flatMap(CalendarImport, (c) => c.read(source))));
const issue = async (source: { ics: string } | { url: string }) => {
  const result = await readFrom(source);
  if (Either.isRight(result)) throw new Error("expected a refusal");
  return result.left instanceof InvalidInput ? result.left.issues : result.left;
};

describe("CalendarImport.read", () => {
  it("fetches a calendar URL (webcal:// as https, same-host redirects followed) and reads it on the workspace's today", async () => {
    const fetched = await readFrom({ url: `http://${base}/moved.ics` });
    expect(Either.getOrThrow(fetched).dates.map((d) => d.date)).toEqual(["2026-12-24", "2026-12-25", "2026-12-26", "2027-01-01", "2027-03-26"]);
    expect(calendarUrl(" webcal://calendar.example.com/basic.ics")).toBe("https://calendar.example.com/basic.ics");
    expect(Either.getOrThrow(await readFrom({ ics: fixture("outlook-export.ics") })).dates).toHaveLength(8);
  });

  it("says why a URL or a text gives no dates, on the field it came in", async () => {
    expect(await issue({ url: `http://${base}/missing.ics` })).toEqual([{ path: "url", message: "the calendar could not be fetched: the server answered 404" }]);
    expect(await issue({ url: `http://${base}/elsewhere.ics` })).toEqual([
      { path: "url", message: expect.stringMatching(/^the calendar could not be fetched: redirected from 127\.0\.0\.1 to another host \(localhost\)/) },
    ]);
    expect(await issue({ url: `http://${base}/huge.ics` })).toEqual([{ path: "url", message: "the calendar could not be fetched: the response is larger than 1024 KB" }]);
    expect(await issue({ url: `http://${base}/page.html` })).toEqual([{ path: "url", message: "this is not an iCalendar (.ics) file: it must begin with BEGIN:VCALENDAR" }]);
    expect(await issue({ url: "ftp://example.com/x.ics" })).toEqual([{ path: "url", message: "the calendar could not be fetched: only http and https URLs can be called, not ftp:" }]);
    expect(await issue({ url: "calendar" })).toEqual([{ path: "url", message: 'the calendar could not be fetched: "calendar" is not a valid URL' }]);
    expect(await issue({ ics: "hello" })).toEqual([{ path: "ics", message: "this is not an iCalendar (.ics) file: it must begin with BEGIN:VCALENDAR" }]);
    expect(await issue({ ics: "x".repeat(MAX_CALENDAR_BYTES + 1) })).toEqual(new PayloadTooLarge({ limitBytes: MAX_CALENDAR_BYTES }));
  });
});
