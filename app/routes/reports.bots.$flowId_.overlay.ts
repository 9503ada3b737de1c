/**
 * The canvas overlay's figures for one flow (JSON): per node its reach and drop-off share, per
 * connection its traffic, over the range in the search parameters (default: 30 days). Read by
 * the builder's "Show analytics" toggle, so marketers may read it as well as analysts.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { Effect } from "effect";
import { queryOf } from "../components/reports/report-data.server.js";
import { Reports, run } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  await requireUser(request, context, ["admin", "marketer", "analyst"]);
  const base = await queryOf(request, context);
  const flowId = params.flowId ?? "";
  const overlay = await run(context, Effect.flatMap(Reports, (r) => r.flowOverlay(flowId, { ...base, filters: { ...base.filters, flow: flowId } })));
  return Response.json({ ...overlay, range: { from: base.range.from, to: base.range.to, timezone: base.range.timezone } }, { headers: { "Cache-Control": "private, no-store" } });
}
