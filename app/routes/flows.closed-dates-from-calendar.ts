/**
 * POST /flows/closed-dates-from-calendar — the builder's Availability tab previews a calendar's
 * closed dates (decision 052): `{"ics": "<an .ics file's text>"}` or `{"url": "https://…"}`
 * (webcal:// too), read server side through CalendarImport — a URL is fetched by the webhook
 * client's guard, as Reports fetches one (10 s, 1 MB, same-host redirects,
 * WEBHOOKS_ALLOW_PRIVATE_NETWORKS). With `closedDates`, the editor's list as it is now, the days
 * the flow already closes are left out with that reason (`mergeClosedDates`, as Reports says it).
 * Nothing is stored here: the editor adds the previewed dates to the draft as any edit.
 * Answers `{dates, skipped, pastEvents, refused?}` (`refused`: adding them would pass 200 closed
 * dates), or the app's error shape: 400 on `ics` or `url` (the field the calendar came in), 413
 * past 1 MB. Any other method: 405 with `Allow: POST`.
 */
import type { ActionFunctionArgs } from "@remix-run/node";
import { Effect, Either, Schema as S } from "effect";
import { ClosedDate } from "../../flows/flow-spec.js";
import { access } from "../roles.js";
import { CalendarImport, InvalidInput, MAX_CALENDAR_BYTES, mergeClosedDates } from "../runtime.server.js";
import { requireUser } from "../session.server.js";
import { methodNotAllowed, readJsonBody, respond } from "./flows.$id/api.server.js";

/** A GET is the wrong method here (see `methodNotAllowed`). */
export const loader = () => methodNotAllowed("POST");

const CalendarBody = S.Struct({
  ics: S.optional(S.String),
  url: S.optional(S.String),
  // Loose: a draft's list may hold a half-typed row; only whole dates are compared.
  closedDates: S.optional(S.Array(S.Unknown).pipe(S.maxItems(1000, { message: () => "at most 1000 closed dates" }))),
});

const invalid = (path: string, message: string) => new InvalidInput({ issues: [{ path, message }] });
const decodeClosedDate = S.decodeUnknownEither(ClosedDate);

/** The calendar's dates the flow lacks, what is left out and why (the calendar's reasons, then the days it already closes). */
const preview = (body: typeof CalendarBody.Type) =>
  Effect.gen(function* () {
    const url = body.url?.trim() ?? "";
    if (body.ics === undefined && url === "") return yield* Effect.fail(invalid("ics", "choose an .ics file, or enter a calendar URL"));
    if (body.ics !== undefined && url !== "") return yield* Effect.fail(invalid("url", "a file or a URL, not both: clear one of them"));
    const calendar = yield* Effect.flatMap(CalendarImport, (c) => c.read(body.ics !== undefined ? { ics: body.ics } : { url }));
    const list = (body.closedDates ?? []).map((entry) => decodeClosedDate(entry)).filter(Either.isRight).map((d) => d.right);
    const merged = mergeClosedDates(list, calendar.dates);
    return {
      dates: merged.added,
      skipped: [...calendar.skipped, ...merged.skipped],
      pastEvents: calendar.pastEvents,
      ...(merged.refused === undefined ? {} : { refused: merged.refused }),
    };
  });

export async function action({ request, context }: ActionFunctionArgs) {
  await requireUser(request, context, access.flows);
  // The text's escapes in JSON (\r\n per line) take room beyond the 1 MB the calendar may have.
  const body = await readJsonBody(request, CalendarBody, 2 * MAX_CALENDAR_BYTES);
  return respond(context, preview(body));
}
