import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A calendar of whole-day events as a calendar server would send it (CRLF, one VEVENT per event,
 * `DTSTART;VALUE=DATE`), for the tests that serve calendars to Parley. Pure.
 */
export const wholeDayCalendar = (events: ReadonlyArray<{ readonly date: string; readonly name: string }>, uidPrefix = "test"): string =>
  [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Parley tests//EN",
    ...events.flatMap((e) => ["BEGIN:VEVENT", `UID:${uidPrefix}-${e.date}@example.com`, `DTSTART;VALUE=DATE:${e.date.replaceAll("-", "")}`, `SUMMARY:${e.name}`, "END:VEVENT"]),
    "END:VCALENDAR",
    "",
  ].join("\r\n");

/** A local HTTP server standing in for a calendar host: its base URL and its stop. */
export interface CalendarHost {
  readonly base: string;
  readonly close: () => Promise<void>;
}

/** Starts `handler` on a free loopback port (the calendar host's side of the third-party boundary). */
export const startCalendarHost = async (handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<CalendarHost> => {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
