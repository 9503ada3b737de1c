/**
 * GET /reports/holiday-regions?country=DE: the regions of a country whose public holidays
 * differ (for the Reports page's "Add a country's public holidays" form). Admins only, as the
 * form; 400 for a country the holiday data does not know.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { access } from "../roles.js";
import { holidayRegions } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.settings);
  const country = new URL(request.url).searchParams.get("country") ?? "";
  const regions = /^[A-Z]{2}$/.test(country) ? holidayRegions(country) : null;
  if (regions === null) {
    return Response.json({ error: { code: "invalid_input", message: "country: no public holidays are known for this country", path: "country" } }, { status: 400 });
  }
  return Response.json({ regions }, { headers: { "Cache-Control": "private, max-age=3600" } });
}
