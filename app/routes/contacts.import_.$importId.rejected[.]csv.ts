/**
 * /contacts/import/:importId/rejected.csv — the rows an import turned away, as they were in the
 * file (separated as it was: commas or semicolons), with an "error" column saying where and why;
 * fix them and import this file again.
 * Only for the person who imported, for an hour.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { Effect } from "effect";
import { toCsv } from "../csv.js";
import { access } from "../roles.js";
import { ContactCsv, run } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const rejected = await run(context, Effect.flatMap(ContactCsv, (csv) => csv.rejected(user, params.importId ?? "")));
  return new Response(toCsv({ columns: rejected.headers.map((label) => ({ label })), rows: rejected.rows }, rejected.delimiter), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": 'attachment; filename="parley-rejected-contacts.csv"',
      "Cache-Control": "private, no-store",
    },
  });
}
