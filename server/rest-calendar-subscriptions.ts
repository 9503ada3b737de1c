/**
 * Calendar subscriptions over the REST API (/api/v1/settings/calendar-subscriptions, decision
 * 057): list and subscribe (GET, POST), sync one now (POST /:id/sync) and unsubscribe (DELETE
 * /:id?keepDates=true|false). Admins only, GET too: a subscribed URL can be a private calendar's
 * secret address. Every call is the Reports page's and the team card's own `CalendarSubscriptions`
 * call, so input is validated (400 with the field's path, nothing stored) and audited the same
 * way. Mounted by server/rest-api.ts; contract in docs/api.md.
 */
import { Effect, Schema as S } from "effect";
import type { IncomingMessage } from "node:http";
import type { CalendarSubscription, CalendarSubscriptionsShape } from "../runtime/services/calendar-subscriptions.js";
import { InvalidInput } from "../runtime/services/errors.js";
import { bodyDecoder } from "./http-util.js";
import { guardedBy, iso, jsonBody, ok, type Endpoints } from "./rest-kit.js";

export interface CalendarSubscriptionServices {
  readonly calendarSubscriptions: CalendarSubscriptionsShape;
}

const decodeObject = bodyDecoder(S.Record({ key: S.String, value: S.Unknown }));

/** A subscription in the API's words (ISO times). Pure. */
export const apiSubscription = (s: CalendarSubscription) => ({
  id: s.id,
  scope: s.scope,
  teamId: s.teamId,
  teamName: s.teamName,
  url: s.url,
  status: s.status,
  error: s.error,
  dates: s.dates,
  lastSyncedAt: iso(s.lastSyncedAt),
  lastAttemptAt: iso(s.lastAttemptAt),
  nextSyncAt: iso(s.nextSyncAt),
  createdAt: iso(s.createdAt),
});

/** `keepDates` of a DELETE: required, so that removing dates is never a default someone did not choose. */
const keepDatesOf = (query: URLSearchParams): Effect.Effect<boolean, InvalidInput> => {
  const value = query.get("keepDates");
  if (value === "true") return Effect.succeed(true);
  if (value === "false") return Effect.succeed(false);
  return Effect.fail(
    new InvalidInput({ issues: [{ path: "keepDates", message: "say keepDates=true (keep the dates it added) or keepDates=false (remove them)" }] }),
  );
};

/** Builds /settings/calendar-subscriptions (`id` undefined), /:id and /:id/sync. */
export const calendarSubscriptionEndpoints = (
  s: CalendarSubscriptionServices,
  req: IncomingMessage,
  query: URLSearchParams,
  id: string | undefined,
  action: string | undefined,
): Endpoints => {
  if (id === undefined) {
    return guardedBy("settings", {
      GET: () => Effect.map(s.calendarSubscriptions.list(), (all) => ok({ subscriptions: all.map(apiSubscription) })),
      POST: () =>
        Effect.gen(function* () {
          const body = yield* jsonBody(req, decodeObject);
          const { subscription, sync } = yield* s.calendarSubscriptions.subscribe(body);
          return ok({ subscription: apiSubscription(subscription), sync: sync }, 201);
        }),
    });
  }
  if (action === "sync") {
    return guardedBy("settings", {
      POST: () =>
        Effect.map(s.calendarSubscriptions.sync(id), ({ subscription, sync }) => ok({ subscription: apiSubscription(subscription), sync: sync })),
    });
  }
  if (action !== undefined) return {};
  return guardedBy("settings", {
    DELETE: () =>
      Effect.gen(function* () {
        const keepDates = yield* keepDatesOf(query);
        const { removed } = yield* s.calendarSubscriptions.unsubscribe(id, keepDates);
        return ok({ deleted: id, keepDates, removed });
      }),
  });
};
