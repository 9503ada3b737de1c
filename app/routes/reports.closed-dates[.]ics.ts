/**
 * /reports/closed-dates.ics (admins and analysts, like the Reports page) — the workspace's closed
 * dates as an iCalendar file to open in Google Calendar, Outlook or Apple Calendar (decision 052).
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { Effect } from "effect";
import { access } from "../roles.js";
import { CalendarImport, run } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.reports);
  const text = await run(context, Effect.flatMap(CalendarImport, (c) => c.workspaceCalendar()));
  return new Response(text, {
    headers: { "Content-Type": "text/calendar; charset=utf-8", "Content-Disposition": 'attachment; filename="closed-dates.ics"', "Cache-Control": "no-store" },
  });
}
