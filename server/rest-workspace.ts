/**
 * The workspace's settings over the REST API (/api/v1/settings/…): its clock — time zone,
 * weekly business hours and closed dates (holidays), what admins set on the Reports page, read by
 * response targets, the overdue views, the team report and automation waits — and how long the
 * audit log keeps its lines (Settings → Audit log → Keep entries). The clock is read by admins and
 * analysts (like /reports) and changed by admins; the audit log's retention is admins' only, like
 * its page. Every change goes through the same service call as the page (`Reports`, `AuditLog`),
 * so it is validated and audited the same way. A team's hours (/api/v1/teams/:id/hours, decision
 * 048) follow the same roles: read by admins and analysts, changed by admins, through
 * `Workspace.setTeamHours` as Settings → Teams does. A change of the workspace's calendar is
 * followed, as on the Reports page, by `Routing.workspaceCalendarChanged` (queues drained, the
 * inbox pages of the teams that follow it told), composed here because Reports does not depend
 * on Routing. Mounted by server/rest-api.ts; contract in docs/api.md.
 */
import { Effect, Schema as S } from "effect";
import { isValidTimezone } from "../flows/availability.js";
import { AUDIT_RETENTION_MAX_DAYS, AUDIT_RETENTION_MIN_DAYS, type AuditLogShape, type AuditRetention } from "../runtime/services/audit-log.js";
import { MAX_CALENDAR_BYTES, type CalendarImportShape } from "../runtime/services/calendar-import.js";
import { BusinessHoursInput, type ReportsShape } from "../runtime/services/reports.js";
import { InvalidInput } from "../runtime/services/errors.js";
import type { RoutingShape } from "../runtime/services/routing.js";
import type { Team, WorkspaceShape } from "../runtime/services/workspace.js";
import type { IncomingMessage } from "node:http";
import { bodyDecoder } from "./http-util.js";
import { guardedBy, iso, jsonBody, ok, type Endpoints } from "./rest-kit.js";

export interface WorkspaceServices {
  readonly reports: ReportsShape;
  readonly auditLog: AuditLogShape;
  readonly workspace: WorkspaceShape;
  readonly calendarImport: CalendarImportShape;
  readonly routing: RoutingShape;
}

const HoursBody = S.Struct({
  timezone: S.optionalWith(S.String.pipe(S.maxLength(100)), { exact: true }),
  hours: S.optionalWith(BusinessHoursInput, { exact: true }),
});
const decodeHoursBody = bodyDecoder(HoursBody);
const decodeAnyObject = bodyDecoder(S.Record({ key: S.String, value: S.Unknown }));

/**
 * The audit log's retention as JSON: Keep entries' two fields. Only the JSON types are checked
 * here (`days` a number, not a form's text; none with "forever", though null is accepted so that
 * a GET's answer can be sent back); the choices and the range are `AuditLog.setRetention`'s,
 * with its messages and paths.
 */
const RetentionBody = S.Struct({
  keep: S.optional(S.Unknown),
  days: S.optional(S.NullOr(S.Number).annotations({ message: () => ({ message: "expected a whole number of days", override: true }) })),
}).pipe(
  S.filter((b) =>
    b.keep === "forever" && typeof b.days === "number" ? { path: ["days"], message: "send no number of days (or null) with keep “forever”" } : undefined,
  ),
);
const decodeRetention = bodyDecoder(RetentionBody);

/** How long the audit log keeps lines, in the PUT body's words, with the bounds a number of days must keep. Pure. */
const apiRetention = (retention: AuditRetention) => ({
  keep: retention.days === null ? "forever" : "days",
  days: retention.days,
  minDays: AUDIT_RETENTION_MIN_DAYS,
  maxDays: AUDIT_RETENTION_MAX_DAYS,
});

/** A team's hours as the API answers them: what is stored, and where that leaves the team now (times ISO). Pure. */
const apiTeamHours = (team: Team) => ({
  teamId: team.id,
  hours: team.hours,
  open: team.hoursSummary.open,
  opensAt: iso(team.hoursSummary.opensAt),
  closedFor: team.hoursSummary.closedFor,
  summary: team.hoursSummary.text,
});

/** A calendar to import: its text or its URL (one of the two), and whether only to preview. */
const CalendarImportBody = S.Struct({
  ics: S.optionalWith(S.String, { exact: true }),
  url: S.optionalWith(S.String.pipe(S.maxLength(2000, { message: () => "a URL is at most 2000 characters" })), { exact: true }),
  dryRun: S.optionalWith(S.Boolean, { default: () => false, exact: true }),
}).pipe(
  S.filter((b) =>
    (b.ics === undefined) === (b.url === undefined) ? { path: [], message: "send the calendar as `ics` (its text) or `url` (where to fetch it), one of the two" } : undefined,
  ),
);
const decodeCalendarImport = bodyDecoder(CalendarImportBody);
/** An .ics text of 1 MB sent as a JSON string grows with its escapes (\r\n per line): room for that. */
const MAX_CALENDAR_BODY_BYTES = 2 * MAX_CALENDAR_BYTES;

/** A whole TeamHours at its largest (50 ranges, 200 named closed dates) is about 30 KB: room for it, not the default 16 KB. */
const MAX_TEAM_HOURS_BODY_BYTES = 64 * 1024;

/** Builds /teams/:id/hours: GET for admins and analysts (like the workspace's hours), PUT (a whole `TeamHours`) for admins. */
export const teamHoursEndpoints = (s: WorkspaceServices, req: IncomingMessage, teamId: string): Endpoints => ({
  ...guardedBy("reports", { GET: () => Effect.map(s.workspace.getTeam(teamId), (team) => ok(apiTeamHours(team))) }),
  ...guardedBy("settings", {
    PUT: () =>
      Effect.gen(function* () {
        // 404 for an unknown team before the body is judged; the body's own checks are the service's, with its paths.
        yield* s.workspace.getTeam(teamId);
        const input = yield* jsonBody(req, decodeAnyObject, MAX_TEAM_HOURS_BODY_BYTES);
        return ok(apiTeamHours(yield* s.workspace.setTeamHours(teamId, input)));
      }),
  }),
});

/** Builds the /settings endpoints of one request (`path` after `settings`: [what, id]). */
export const workspaceEndpoints = (s: WorkspaceServices, req: IncomingMessage, path: ReadonlyArray<string | undefined>): Endpoints => {
  const [what, id] = path;
  const clock = () =>
    Effect.map(s.reports.businessHours(), (h) => ({ timezone: h.timezone, hours: h.hours, closedDates: h.closed ?? [] }));

  if (what === "business-hours" && id === undefined) {
    return {
      ...guardedBy("reports", { GET: () => Effect.map(clock(), (body) => ok(body)) }),
      ...guardedBy("settings", {
        PUT: () =>
          Effect.gen(function* () {
            const body = yield* jsonBody(req, decodeHoursBody);
            if (body.timezone === undefined && body.hours === undefined) {
              return yield* Effect.fail(new InvalidInput({ issues: [{ path: "", message: "send `timezone`, `hours` or both" }] }));
            }
            // Both are checked before either is stored, so a bad one changes nothing.
            if (body.timezone !== undefined && !isValidTimezone(body.timezone.trim())) {
              return yield* Effect.fail(new InvalidInput({ issues: [{ path: "timezone", message: "expected an IANA time zone such as Europe/Berlin or UTC" }] }));
            }
            if (body.timezone !== undefined) yield* s.reports.setTimezone(body.timezone);
            if (body.hours !== undefined) yield* s.reports.setBusinessHours(body.hours);
            yield* s.routing.workspaceCalendarChanged("hours");
            return ok(yield* clock());
          }),
      }),
    };
  }
  if (what === "audit-log-retention" && id === undefined) {
    // Admins only, as the page (the Settings area's guard); PUT is the page's own call, so the same checks and the same audit line.
    return guardedBy("settings", {
      GET: () => Effect.map(s.auditLog.retention(), (kept) => ok(apiRetention(kept))),
      PUT: (actor) =>
        Effect.gen(function* () {
          const input = yield* jsonBody(req, decodeRetention);
          const kept = yield* s.auditLog.setRetention(actor, typeof input.days === "number" ? { keep: input.keep, days: input.days } : { keep: input.keep });
          return ok(apiRetention(kept));
        }),
    });
  }
  if (what === "closed-dates") {
    if (id === undefined) {
      return {
        ...guardedBy("reports", { GET: () => Effect.map(clock(), (c) => ok({ closedDates: c.closedDates })) }),
        ...guardedBy("settings", {
          POST: () =>
            Effect.gen(function* () {
              const input = yield* jsonBody(req, decodeAnyObject);
              const closedDates = yield* s.reports.addClosedDate(input);
              yield* s.routing.workspaceCalendarChanged("closedDates");
              return ok({ closedDates }, 201);
            }),
        }),
      };
    }
    if (id === "import") {
      return guardedBy("settings", {
        POST: () =>
          Effect.gen(function* () {
            const body = yield* jsonBody(req, decodeCalendarImport, MAX_CALENDAR_BODY_BYTES);
            const field = body.url !== undefined ? "url" : "ics";
            const calendar = yield* s.calendarImport.read(body.url !== undefined ? { url: body.url } : { ics: body.ics ?? "" });
            const source = body.url ?? "a calendar sent over the REST API";
            const result = yield* s.reports.importClosedDates({ dates: calendar.dates, source, dryRun: body.dryRun }, field);
            if (!result.dryRun && result.added.length > 0) yield* s.routing.workspaceCalendarChanged("closedDates");
            return ok(
              { dryRun: result.dryRun, added: result.added, skipped: [...calendar.skipped, ...result.skipped], pastEvents: calendar.pastEvents, closedDates: result.closedDates },
              !result.dryRun && result.added.length > 0 ? 201 : 200,
            );
          }),
      });
    }
    if (id === "public-holidays") {
      return guardedBy("settings", {
        POST: () =>
          Effect.gen(function* () {
            const input = yield* jsonBody(req, decodeAnyObject);
            const result = yield* s.reports.addPublicHolidays(input);
            if (result.added.length > 0) yield* s.routing.workspaceCalendarChanged("closedDates");
            return ok(result, result.added.length > 0 ? 201 : 200);
          }),
      });
    }
    return guardedBy("settings", {
      DELETE: () =>
        s.reports.removeClosedDate(id).pipe(
          Effect.tap(() => s.routing.workspaceCalendarChanged("closedDates")),
          Effect.map((closedDates) => ok({ closedDates })),
        ),
    });
  }
  if (what === "closed-dates.ics" && id === undefined) {
    return guardedBy("reports", {
      GET: () =>
        Effect.gen(function* () {
          const text = yield* s.calendarImport.workspaceCalendar();
          return {
            status: 200,
            body: null,
            bytes: Buffer.from(text, "utf8"),
            headers: { "Content-Type": "text/calendar; charset=utf-8", "Content-Disposition": 'attachment; filename="closed-dates.ics"' },
          };
        }),
    });
  }
  return {};
};
