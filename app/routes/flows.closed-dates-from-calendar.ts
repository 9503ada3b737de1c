/**
 * POST /flows/closed-dates-from-calendar — the builder's Availability tab reads an .ics file
 * (`{"ics": "<its text>"}`) into closed dates, server side through CalendarImport (decision 052),
 * and fills them into the editor; nothing is stored here (the draft saves them as any edit).
 * Answers `{dates, skipped, pastEvents}`, or the app's error shape (400 on `ics`, 413 past 1 MB).
 * Any other method: 405 with `Allow: POST`.
 */
import type { ActionFunctionArgs } from "@remix-run/node";
import { Effect, Schema as S } from "effect";
import { access } from "../roles.js";
import { CalendarImport, MAX_CALENDAR_BYTES } from "../runtime.server.js";
import { requireUser } from "../session.server.js";
import { methodNotAllowed, readJsonBody, respond } from "./flows.$id/api.server.js";

/** A GET is the wrong method here (see `methodNotAllowed`). */
export const loader = () => methodNotAllowed("POST");

const CalendarBody = S.Struct({ ics: S.String });

export async function action({ request, context }: ActionFunctionArgs) {
  await requireUser(request, context, access.flows);
  // The text's escapes in JSON (\r\n per line) take room beyond the 1 MB the calendar may have.
  const body = await readJsonBody(request, CalendarBody, 2 * MAX_CALENDAR_BYTES);
  return respond(context, Effect.flatMap(CalendarImport, (c) => c.read({ ics: body.ics })));
}
