/**
 * Report emails over the REST API (/api/v1/reports/schedules, decision 056): list and add
 * (GET, POST), change and delete one (PATCH, DELETE /:id), for admins and analysts like the
 * Reports page. Every call is the page's own `ReportSchedules` call, so input is validated (400
 * with the field's path, nothing stored) and audited the same way. PATCH changes the fields it
 * sends and keeps the others; a PATCH of `paused` alone pauses or resumes. Mounted by
 * server/rest-api.ts; contract in docs/api.md.
 */
import { Effect, Schema as S } from "effect";
import type { IncomingMessage } from "node:http";
import { NotFound } from "../runtime/services/errors.js";
import type { ReportSchedule, ReportSchedulesShape } from "../runtime/services/report-schedules.js";
import { bodyDecoder } from "./http-util.js";
import { guardedBy, iso, jsonBody, ok, type Endpoints } from "./rest-kit.js";

export interface ReportScheduleServices {
  readonly reportSchedules: ReportSchedulesShape;
}

const decodeObject = bodyDecoder(S.Record({ key: S.String, value: S.Unknown }));

/** A schedule in the API's words (ISO times). Pure. */
const apiSchedule = (s: ReportSchedule) => ({
  id: s.id,
  name: s.name,
  frequency: s.frequency,
  weekday: s.frequency === "weekly" ? s.weekday : null,
  hour: s.hour,
  cadence: s.cadence,
  filters: s.filters,
  includeBots: s.includeBots,
  recipients: s.recipients.map((r) => ({ id: r.id, name: r.name, email: r.email })),
  sendChannel: s.sendChannel,
  paused: s.paused,
  nextRunAt: iso(s.nextRunAt),
  retry: s.retry === null ? null : { at: iso(s.retry.at), attempts: s.retry.attempts, error: s.retry.error },
  last: s.last === null ? null : { status: s.last.status, reason: s.last.reason, at: iso(s.last.at), period: s.last.period },
  createdAt: iso(s.createdAt),
  updatedAt: iso(s.updatedAt),
});

/** The service's input of a schedule as it is (for a PATCH to change some fields of). Pure. */
const inputOf = (s: ReportSchedule): Record<string, unknown> => ({
  name: s.name,
  frequency: s.frequency,
  weekday: s.weekday,
  hour: s.hour,
  inbox: s.filters.inbox ?? "",
  team: s.filters.team ?? "",
  channel: s.filters.channel ?? "",
  hours: s.filters.hours ?? "",
  includeBots: s.includeBots,
  paused: s.paused,
  recipients: s.recipients.map((r) => r.id),
  sendChannel: s.sendChannel?.id ?? "",
});

/** JSON's null for "none" on the optional ids and `hours` (the form sends ""). Pure. */
const noneAsEmpty = (body: Readonly<Record<string, unknown>>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(body).map(([k, v]) => [k, v === null && ["inbox", "team", "channel", "hours", "sendChannel"].includes(k) ? "" : v]));

/** Builds /reports/schedules (`id` undefined) and /reports/schedules/:id. */
export const reportScheduleEndpoints = (s: ReportScheduleServices, req: IncomingMessage, id: string | undefined): Endpoints => {
  const one = (actor: Parameters<ReportSchedulesShape["list"]>[0], scheduleId: string) =>
    Effect.flatMap(s.reportSchedules.list(actor), (all) => {
      const found = all.find((x) => x.id === scheduleId);
      return found === undefined ? Effect.fail(new NotFound({ entity: "report email", id: scheduleId })) : Effect.succeed(found);
    });
  if (id === undefined) {
    return guardedBy("reports", {
      GET: (actor) => Effect.map(s.reportSchedules.list(actor), (all) => ok({ schedules: all.map(apiSchedule) })),
      POST: (actor) =>
        Effect.gen(function* () {
          const body = yield* jsonBody(req, decodeObject);
          return ok({ schedule: apiSchedule(yield* s.reportSchedules.create(actor, noneAsEmpty(body))) }, 201);
        }),
    });
  }
  return guardedBy("reports", {
    GET: (actor) => Effect.map(one(actor, id), (found) => ok({ schedule: apiSchedule(found) })),
    PATCH: (actor) =>
      Effect.gen(function* () {
        const body = noneAsEmpty(yield* jsonBody(req, decodeObject));
        const current = yield* one(actor, id);
        const keys = Object.keys(body);
        const changed =
          keys.length === 1 && typeof body.paused === "boolean"
            ? yield* s.reportSchedules.setPaused(actor, id, body.paused)
            : yield* s.reportSchedules.update(actor, id, { ...inputOf(current), ...body });
        return ok({ schedule: apiSchedule(changed) });
      }),
    DELETE: (actor) => Effect.as(s.reportSchedules.remove(actor, id), ok({ deleted: id })),
  });
};
