/**
 * The workspace's clock over the REST API (/api/v1/settings/…): its time zone, weekly business
 * hours and closed dates (holidays) — what admins set on the Reports page, read by response
 * targets, the overdue views, the team report and automation waits. Reading is for admins and
 * analysts (like /reports); changing is for admins. Every change goes through the same `Reports`
 * calls as the page, so it is validated and audited the same way. Mounted by server/rest-api.ts;
 * contract in docs/api.md.
 */
import { Effect, Schema as S } from "effect";
import { isValidTimezone } from "../flows/availability.js";
import { BusinessHoursInput, type ReportsShape } from "../runtime/services/reports.js";
import { InvalidInput } from "../runtime/services/errors.js";
import type { IncomingMessage } from "node:http";
import { bodyDecoder } from "./http-util.js";
import { guardedBy, jsonBody, ok, type Endpoints } from "./rest-kit.js";

export interface WorkspaceServices {
  readonly reports: ReportsShape;
}

const HoursBody = S.Struct({
  timezone: S.optionalWith(S.String.pipe(S.maxLength(100)), { exact: true }),
  hours: S.optionalWith(BusinessHoursInput, { exact: true }),
});
const decodeHoursBody = bodyDecoder(HoursBody);
const decodeAnyObject = bodyDecoder(S.Record({ key: S.String, value: S.Unknown }));

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
            return ok(yield* clock());
          }),
      }),
    };
  }
  if (what === "closed-dates") {
    if (id === undefined) {
      return {
        ...guardedBy("reports", { GET: () => Effect.map(clock(), (c) => ok({ closedDates: c.closedDates })) }),
        ...guardedBy("settings", {
          POST: () =>
            Effect.gen(function* () {
              const input = yield* jsonBody(req, decodeAnyObject);
              return ok({ closedDates: yield* s.reports.addClosedDate(input) }, 201);
            }),
        }),
      };
    }
    return guardedBy("settings", { DELETE: () => Effect.map(s.reports.removeClosedDate(id), (closedDates) => ok({ closedDates })) });
  }
  return {};
};
