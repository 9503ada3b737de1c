/**
 * /contacts/:id/data.json — everything Parley holds about a contact, as a JSON download (GDPR
 * Art. 15): ContactPrivacy.exportData, which leaves out internal comments and records the
 * export in the events log. Admins only (`personalDataAdmins`): the file holds every message the
 * person wrote in any inbox, more than an agent of one inbox may read.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { Effect } from "effect";
import { personalDataAdmins } from "../roles.js";
import { ContactPrivacy, run } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, personalDataAdmins);
  const contactId = params.contactId ?? "";
  const exported = await run(context, Effect.flatMap(ContactPrivacy, (p) => p.exportData(user, contactId)));
  const day = exported.exportedAt.slice(0, 10);
  return new Response(JSON.stringify(exported, null, 2), {
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Disposition": `attachment; filename="contact-${contactId.replace(/[^A-Za-z0-9_-]/g, "")}-${day}.json"`,
      "Cache-Control": "no-store",
    },
  });
}
