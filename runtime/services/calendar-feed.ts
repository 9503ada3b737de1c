/**
 * The secret calendar feed (decision 052, "Subscribing"): a URL a calendar app can subscribe to
 * without signing in — the workspace's closed dates and each team's effective ones, as the
 * export writes them (closedDatesCalendar). One token for the workspace, 32 random bytes
 * base64url, in the `calendar_feed_token` settings row; admins create, reset (the old URL stops
 * working) or turn it off, one audit line each. The token is shown again to admins (the Reports
 * page's Copy, the team card), so it is stored as it is and compared in constant time.
 */
import { Clock, Context, Effect, Layer } from "effect";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { sameClosedDay } from "../../flows/availability.js";
import type { ClosedDate } from "../../flows/flow-spec.js";
import { teamAvailability } from "../../flows/team-hours.js";
import { auditActor, recordAudit } from "./audit-log.js";
import { readBusinessHours } from "./business-hours.js";
import { closedDatesCalendar } from "./calendar-import.js";
import { Database, type DatabaseShape } from "./database.js";
import { NotFound } from "./errors.js";
import { readTeamHours } from "./team-hours.js";
import { weeklyHoursCalendar, type WeeklyHours } from "./hours-calendar.js";
import { localDay } from "../core/report-range.js";

export const CALENDAR_FEED_SETTING = "calendar_feed_token";

/** What a wrong, reset or turned-off token and an unknown team all fail with: nothing says which. */
const notFound = new NotFound({ entity: "calendar", id: "" });

/** A new feed token: 32 random bytes, base64url (43 characters). */
const newToken = (): string => randomBytes(32).toString("base64url");

/** Same text, in time that does not depend on where they differ (digests have one length). */
const sameToken = (given: string, stored: string): boolean =>
  timingSafeEqual(createHash("sha256").update(given).digest(), createHash("sha256").update(stored).digest());

/**
 * A team's effective closed dates, as its hours read them (flows/team-hours.ts): none when its
 * hours never close it; the workspace's when it follows the workspace; its own, plus the
 * workspace's when it also keeps those (a day both name: the team's). Pure.
 */
export const teamClosedDates = (availability: { readonly closedDates: ReadonlyArray<ClosedDate> } | null): ReadonlyArray<ClosedDate> => {
  if (availability === null) return [];
  const out: ClosedDate[] = [];
  for (const closed of availability.closedDates) if (!out.some((c) => sameClosedDay(c, closed))) out.push(closed);
  return out.sort((a, b) => a.date.localeCompare(b.date));
};

export interface CalendarFeedShape {
  /** The workspace's feed token (admins only: it opens the feed), none while the feed is off. */
  readonly token: () => Effect.Effect<string | null>;
  /** A new token (the old URL stops working); audit `settings.calendar_feed_created` or `_reset`. */
  readonly renew: () => Effect.Effect<string>;
  /** Turns the feed off (no token); audit `settings.calendar_feed_turned_off` when it was on. */
  readonly turnOff: () => Effect.Effect<void>;
  /** The workspace's closed dates as a calendar, for the right token; NotFound otherwise. */
  readonly workspaceCalendar: (token: string) => Effect.Effect<string, NotFound>;
  /** A team's effective closed dates as a calendar, for the right token and a known team; NotFound otherwise. */
  readonly teamCalendar: (token: string, teamId: string) => Effect.Effect<string, NotFound>;
  /** The workspace's weekly business hours as weekly events (weeklyHoursCalendar, decision 057), for the right token; NotFound otherwise. */
  readonly workspaceHoursCalendar: (token: string) => Effect.Effect<string, NotFound>;
  /** A team's effective weekly hours as weekly events (none when its hours never close it), for the right token and a known team; NotFound otherwise. */
  readonly teamHoursCalendar: (token: string, teamId: string) => Effect.Effect<string, NotFound>;
}

export class CalendarFeed extends Context.Tag("CalendarFeed")<CalendarFeed, CalendarFeedShape>() {}

const readToken = (prepare: DatabaseShape["prepare"]): string | undefined =>
  (prepare("SELECT value FROM settings WHERE key = ?").get(CALENDAR_FEED_SETTING) as { value: string } | undefined)?.value;

export const layer: Layer.Layer<CalendarFeed, never, Database> = Layer.effect(
  CalendarFeed,
  Effect.gen(function* () {
    const db = yield* Database;

    const opens = (token: string): boolean => {
      const stored = readToken(db.prepare);
      return stored !== undefined && stored !== "" && sameToken(token, stored);
    };

    const token: CalendarFeedShape["token"] = () => Effect.sync(() => readToken(db.prepare) ?? null);

    const renew: CalendarFeedShape["renew"] = Effect.fn("CalendarFeed.renew")(function* () {
      const audit = yield* auditActor;
      const now = yield* Clock.currentTimeMillis;
      const next = newToken();
      yield* Effect.orDie(
        db.writeEffect((s) => {
          const before = readToken((sql) => s.prepare(sql));
          s.prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(CALENDAR_FEED_SETTING, next);
          recordAudit(s, now, audit, { action: before === undefined ? "settings.calendar_feed_created" : "settings.calendar_feed_reset" });
        }),
      );
      return next;
    });

    const turnOff: CalendarFeedShape["turnOff"] = Effect.fn("CalendarFeed.turnOff")(function* () {
      const audit = yield* auditActor;
      const now = yield* Clock.currentTimeMillis;
      yield* Effect.orDie(
        db.writeEffect((s) => {
          const gone = s.prepare("DELETE FROM settings WHERE key = ?").run(CALENDAR_FEED_SETTING);
          if (gone.changes > 0) recordAudit(s, now, audit, { action: "settings.calendar_feed_turned_off" });
        }),
      );
    });

    const workspaceCalendar: CalendarFeedShape["workspaceCalendar"] = Effect.fn("CalendarFeed.workspaceCalendar")(function* (given) {
      if (!opens(given)) return yield* Effect.fail(notFound);
      const stamp = yield* Clock.currentTimeMillis;
      return closedDatesCalendar(readBusinessHours(db.prepare).closed ?? [], { name: "Closed dates", stamp });
    });

    const teamCalendar: CalendarFeedShape["teamCalendar"] = Effect.fn("CalendarFeed.teamCalendar")(function* (given, teamId) {
      if (!opens(given)) return yield* Effect.fail(notFound);
      const team = db.prepare("SELECT name FROM teams WHERE id = ?").get(teamId) as { name: string } | undefined;
      if (team === undefined) return yield* Effect.fail(notFound);
      const dates = teamClosedDates(teamAvailability(readTeamHours(db.prepare, teamId), readBusinessHours(db.prepare)));
      const stamp = yield* Clock.currentTimeMillis;
      return closedDatesCalendar(dates, { name: `${team.name}: closed dates`, stamp });
    });

    /** Weekly hours as the feed writes them: read on the zone's today, stamped now. */
    const hoursCalendar = (weekly: WeeklyHours | null, names: { name: string; eventName: string; scope: string }) =>
      Effect.map(Clock.currentTimeMillis, (stamp) => weeklyHoursCalendar(weekly, { ...names, stamp, today: localDay(weekly?.timezone ?? "UTC", stamp) }));

    const workspaceHoursCalendar: CalendarFeedShape["workspaceHoursCalendar"] = Effect.fn("CalendarFeed.workspaceHoursCalendar")(function* (given) {
      if (!opens(given)) return yield* Effect.fail(notFound);
      const workspace = readBusinessHours(db.prepare);
      return yield* hoursCalendar(
        { timezone: workspace.timezone, hours: workspace.hours, closedDates: workspace.closed ?? [] },
        { name: "Opening hours", eventName: "Open", scope: "workspace" },
      );
    });

    const teamHoursCalendar: CalendarFeedShape["teamHoursCalendar"] = Effect.fn("CalendarFeed.teamHoursCalendar")(function* (given, teamId) {
      if (!opens(given)) return yield* Effect.fail(notFound);
      const team = db.prepare("SELECT name FROM teams WHERE id = ?").get(teamId) as { name: string } | undefined;
      if (team === undefined) return yield* Effect.fail(notFound);
      const availability = teamAvailability(readTeamHours(db.prepare, teamId), readBusinessHours(db.prepare));
      return yield* hoursCalendar(
        availability === null ? null : { timezone: availability.timezone, hours: availability.hours, closedDates: teamClosedDates(availability) },
        { name: `${team.name}: opening hours`, eventName: `${team.name} open`, scope: teamId },
      );
    });

    return { token, renew, turnOff, workspaceCalendar, teamCalendar, workspaceHoursCalendar, teamHoursCalendar };
  }),
);
