/**
 * The builder's calendar preview (POST /flows/closed-dates-from-calendar, decision 052): the real
 * route module, posted as the editor posts it (JSON, a real session cookie and its CSRF header) on
 * the app's real runtime and a fresh seeded SQLite file; calendar URLs are served by a real HTTP
 * server on this machine, fetched through the webhook client's guard. A file and a URL preview
 * the dates the flow lacks and what is left out and why; every bad input answers its status, the
 * field path and a message; nothing is ever stored.
 */
import { Effect } from "effect";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action, loader } from "../../app/routes/flows.closed-dates-from-calendar.js";
import { sessionCookieHeader } from "../../app/session.server.js";
import { Accounts } from "../../runtime/services/accounts.js";
import type { AppRuntime } from "../../runtime/services/app-layer.js";
import type { Sqlite } from "../../runtime/services/database.js";
import { startTestApp, TEST_ADMIN_PASSWORD, type TestApp } from "../support/test-app.js";

const BASE = "https://parley.example.com";
const PATH = "/flows/closed-dates-from-calendar";

let app: TestApp;
let guarded: TestApp;
let sqlite: Sqlite;
let calendars: Server;
let calendarBase: string;
/** A port nothing listens on any more: an unreachable calendar. */
let closedPort: number;
type SignedIn = { readonly context: never; readonly cookie: string; readonly csrf: string };
let admin: SignedIn;
let marketer: SignedIn;
let analyst: SignedIn;

/** A calendar of events far ahead (so that "today" never overtakes them). */
const ics = (...events: Array<{ date: string; end?: string; name: string; timed?: boolean }>) =>
  [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Parley tests//EN",
    ...events.flatMap((e, i) => [
      "BEGIN:VEVENT",
      `UID:builder-${i}@example.com`,
      e.timed ? `DTSTART:${e.date.replaceAll("-", "")}T090000Z` : `DTSTART;VALUE=DATE:${e.date.replaceAll("-", "")}`,
      ...(e.end ? [`DTEND;VALUE=DATE:${e.end.replaceAll("-", "")}`] : []),
      `SUMMARY:${e.name}`,
      "END:VEVENT",
    ]),
    "END:VCALENDAR",
    "",
  ].join("\r\n");

const HOLIDAYS = ics({ date: "2093-05-01", end: "2093-05-03", name: "Spring closing" }, { date: "2093-06-10", name: "Founders' day" }, { date: "2093-06-11", name: "Board meeting", timed: true });

const signIn = async (runtime: AppRuntime, email: string): Promise<SignedIn> => {
  const session = await runtime.runPromise(Effect.flatMap(Accounts, (a) => a.login(email, TEST_ADMIN_PASSWORD)));
  const context = { runtime } as never;
  const cookie = (await sessionCookieHeader(new Request(BASE), context, session.token)).split(";")[0]!;
  return { context, cookie, csrf: session.csrfToken };
};

beforeAll(async () => {
  app = await startTestApp("builder-calendar-preview");
  // Calendar URLs on loopback are refused here, as in production without WEBHOOKS_ALLOW_PRIVATE_NETWORKS.
  guarded = await startTestApp("builder-calendar-preview-guarded", { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: "0" });
  sqlite = app.sqlite;
  admin = await signIn(app.runtime, "admin@parley.local");
  marketer = await signIn(app.runtime, "marketer@parley.local");
  analyst = await signIn(app.runtime, "analyst@parley.local");
  calendars = createServer((req, res) => {
    if (req.url === "/holidays.ics") return void res.writeHead(200, { "content-type": "text/calendar" }).end(HOLIDAYS);
    if (req.url === "/notes.txt") return void res.writeHead(200, { "content-type": "text/plain" }).end("just some notes");
    if (req.url === "/huge.ics") return void res.writeHead(200, { "content-type": "text/calendar" }).end(`BEGIN:VCALENDAR\r\nX-PAD:${"x".repeat(1024 * 1024 + 10)}\r\n`);
    if (req.url === "/away.ics") return void res.writeHead(301, { location: "http://localhost/holidays.ics" }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => calendars.listen(0, "127.0.0.1", resolve));
  calendarBase = `http://127.0.0.1:${(calendars.address() as AddressInfo).port}`;
  const gone = createServer();
  await new Promise<void>((resolve) => gone.listen(0, "127.0.0.1", resolve));
  closedPort = (gone.address() as AddressInfo).port;
  await new Promise<void>((resolve) => gone.close(() => resolve()));
}, 90_000);

afterAll(async () => {
  await app?.dispose();
  await guarded?.dispose();
  calendars?.closeAllConnections();
  await new Promise<void>((resolve) => (calendars ? calendars.close(() => resolve()) : resolve()));
});

type Answer = { status: number; body: Record<string, unknown> };

/** Posts `body` (JSON, or a raw string) as `who`, with the session's CSRF header unless `csrf: false`. */
const post = async (body: unknown, options: { who?: SignedIn; csrf?: boolean; raw?: boolean } = {}): Promise<Answer> => {
  const who = options.who ?? admin;
  const headers: Record<string, string> = { Cookie: who.cookie, "Content-Type": "application/json" };
  if (options.csrf !== false) headers["X-CSRF-Token"] = who.csrf;
  const request = new Request(`${BASE}${PATH}`, { method: "POST", headers, body: options.raw ? (body as string) : JSON.stringify(body) });
  const response = await action({ request, context: who.context, params: {} }).catch((thrown: unknown) => thrown as Response);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

/** Everything a preview could have written: the chatflows (their drafts) and versions, the settings and the audit trail. */
const stored = (db: Sqlite = sqlite) => ({
  flows: db.prepare("SELECT * FROM chatflows ORDER BY id").all(),
  versions: db.prepare("SELECT count(*) FROM chatflow_versions").pluck().get(),
  settings: db.prepare("SELECT * FROM settings ORDER BY key").all(),
  audit: db.prepare("SELECT count(*) FROM audit_log").pluck().get(),
});
const storesNothing = async <T>(request: () => Promise<T>, db: Sqlite = sqlite): Promise<T> => {
  const before = stored(db);
  const result = await request();
  expect(stored(db)).toEqual(before);
  return result;
};
const refusal = (answer: Answer): { status: number; code?: string; path?: string; message?: string } => ({ status: answer.status, ...(answer.body.error as object) });

describe("POST /flows/closed-dates-from-calendar", () => {
  it("previews an .ics file's whole-day dates and says what it leaves out and why", async () => {
    const answer = await storesNothing(() => post({ ics: HOLIDAYS }));
    expect(answer).toEqual({
      status: 200,
      body: {
        dates: [
          { date: "2093-05-01", name: "Spring closing", yearly: false },
          { date: "2093-05-02", name: "Spring closing", yearly: false },
          { date: "2093-06-10", name: "Founders' day", yearly: false },
        ],
        skipped: [{ summary: "Board meeting", date: "2093-06-11", reason: "a timed event: only whole-day events are closed dates" }],
        pastEvents: 0,
      },
    });
  });

  it("leaves out the days the flow's list already closes, ignoring its half-typed rows", async () => {
    const closedDates = [{ date: "2093-05-02", name: "Bridge day", yearly: false }, { date: "", yearly: false }, { date: "2093-06-10", yearly: true }, "junk"];
    const answer = await storesNothing(() => post({ ics: HOLIDAYS, closedDates }));
    expect(answer.status).toBe(200);
    expect(answer.body.dates).toEqual([{ date: "2093-05-01", name: "Spring closing", yearly: false }]);
    expect(answer.body.skipped).toEqual([
      { summary: "Board meeting", date: "2093-06-11", reason: "a timed event: only whole-day events are closed dates" },
      { date: "2093-05-02", reason: "already closed (Bridge day)" },
      { date: "2093-06-10", reason: "already closed" },
    ]);
    expect(answer.body.refused).toBeUndefined();
  });

  it("says when the dates would make more than 200 closed dates", async () => {
    const closedDates = Array.from({ length: 199 }, (_, i) => ({ date: new Date(Date.UTC(2095, 0, 1) + i * 86_400_000).toISOString().slice(0, 10), yearly: false }));
    const answer = await storesNothing(() => post({ ics: HOLIDAYS, closedDates }));
    expect(answer.status).toBe(200);
    expect(answer.body.refused).toBe("These 3 dates would make 202 closed dates; at most 200: remove past ones first.");
  });

  it("previews a calendar URL fetched from a real server (webcal:// read as https://)", async () => {
    const answer = await storesNothing(() => post({ url: `  ${calendarBase}/holidays.ics ` }));
    expect(answer.status).toBe(200);
    expect((answer.body.dates as Array<{ date: string }>).map((d) => d.date)).toEqual(["2093-05-01", "2093-05-02", "2093-06-10"]);
    // webcal:// becomes https://, which this plain-HTTP server cannot answer: refused at the URL, not read as a file.
    const webcal = await post({ url: calendarBase.replace("http://", "webcal://") + "/holidays.ics" });
    expect(refusal(webcal)).toMatchObject({ status: 400, code: "invalid_input", path: "url" });
    expect(String(webcal.body.error && (webcal.body.error as { message: string }).message)).toMatch(/^url: the calendar could not be fetched: /);
  });

  it("refuses bad URLs at `url`: not found, not a calendar, too big, another host, unreachable, not http", async () => {
    const cases: Array<[string, RegExp]> = [
      [`${calendarBase}/missing.ics`, /^the calendar could not be fetched: the server answered 404$/],
      [`${calendarBase}/notes.txt`, /^this is not an iCalendar \(\.ics\) file/],
      [`${calendarBase}/huge.ics`, /^the calendar could not be fetched: the response is larger than 1024 KB$/],
      [`${calendarBase}/away.ics`, /^the calendar could not be fetched: redirected from 127\.0\.0\.1 to another host \(localhost\)/],
      [`http://127.0.0.1:${closedPort}/closed.ics`, /^the calendar could not be fetched: .*(ECONNREFUSED|refused|fetch failed)/i],
      ["ftp://calendar.example.com/h.ics", /^the calendar could not be fetched: only http and https URLs can be called/],
      ["not a url", /^the calendar could not be fetched: /],
    ];
    for (const [url, message] of cases) {
      const answer = await storesNothing(() => post({ url }));
      expect({ url, ...refusal(answer) }).toMatchObject({ url, status: 400, code: "invalid_input", path: "url" });
      expect({ url, message: (answer.body.error as { issues: Array<{ message: string }> }).issues[0]!.message }).toEqual({ url, message: expect.stringMatching(message) });
    }
  });

  it("refuses a loopback URL when WEBHOOKS_ALLOW_PRIVATE_NETWORKS=0, as outgoing webhooks do", async () => {
    const who = await signIn(guarded.runtime, "marketer@parley.local");
    const answer = await storesNothing(() => post({ url: `${calendarBase}/holidays.ics` }, { who }), guarded.sqlite);
    expect(refusal(answer)).toMatchObject({ status: 400, code: "invalid_input", path: "url" });
    expect((answer.body.error as { message: string }).message).toMatch(/^url: the calendar could not be fetched: 127\.0\.0\.1 is a private network address/);
  });

  it("refuses bad bodies with their status, path and message", async () => {
    const cases: Array<[unknown, { status: number; path?: string; message: RegExp }]> = [
      [{}, { status: 400, path: "ics", message: /^ics: choose an \.ics file, or enter a calendar URL$/ }],
      [{ url: "   " }, { status: 400, path: "ics", message: /^ics: choose an \.ics file, or enter a calendar URL$/ }],
      [{ ics: HOLIDAYS, url: `${calendarBase}/holidays.ics` }, { status: 400, path: "url", message: /^url: a file or a URL, not both: clear one of them$/ }],
      [{ ics: "Name,Date\nChristmas,2093-12-25\n" }, { status: 400, path: "ics", message: /^ics: this is not an iCalendar \(\.ics\) file: it must begin with BEGIN:VCALENDAR$/ }],
      [{ ics: "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n" }, { status: 400, path: "ics", message: /^ics: the calendar has no events$/ }],
      [{ ics: 42 }, { status: 400, path: "ics", message: /^ics: / }],
      [{ ics: HOLIDAYS, closedDates: "2093-05-01" }, { status: 400, path: "closedDates", message: /^closedDates: / }],
    ];
    for (const [body, expected] of cases) {
      const answer = await storesNothing(() => post(body));
      const error = refusal(answer);
      expect({ body, status: error.status, path: error.path }).toEqual({ body, status: expected.status, path: expected.path });
      expect(error.message).toMatch(expected.message);
    }
    const notJson = await storesNothing(() => post("{ics:", { raw: true }));
    expect(refusal(notJson)).toMatchObject({ status: 400, code: "invalid_input", message: "the body is not JSON" });
  });

  it("answers 413 for a calendar text over 1 MB, and for a body over 2 MB before reading it", async () => {
    const big = `BEGIN:VCALENDAR\r\nX-PAD:${"x".repeat(1024 * 1024)}\r\nEND:VCALENDAR\r\n`;
    expect(refusal(await storesNothing(() => post({ ics: big })))).toMatchObject({ status: 413, code: "payload_too_large" });
    const huge = `BEGIN:VCALENDAR\r\nX-PAD:${"x".repeat(2 * 1024 * 1024)}\r\nEND:VCALENDAR\r\n`;
    expect(refusal(await storesNothing(() => post({ ics: huge })))).toMatchObject({ status: 413, code: "payload_too_large" });
  });

  it("is for whoever may edit flows: a marketer previews, an analyst is refused, a post without the CSRF token too", async () => {
    expect((await post({ ics: HOLIDAYS }, { who: marketer })).status).toBe(200);
    expect(refusal(await storesNothing(() => post({ ics: HOLIDAYS }, { who: analyst })))).toMatchObject({ status: 403, code: "forbidden" });
    expect(refusal(await storesNothing(() => post({ ics: HOLIDAYS }, { csrf: false })))).toMatchObject({ status: 403, code: "csrf_failed" });
  });

  it("answers a GET with 405 and Allow: POST", async () => {
    const response = loader();
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("POST");
  });
});
