/**
 * CSV download of one report table: /reports/export/<table id>?<the page's range and filters>.
 * The rows are built by the same function as the table on the page (components/reports).
 * 404 for an unknown table id; 400 naming the parameter for a bad range or filter.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { toCsv } from "../csv.js";
import { isTableId, loadTable, queryOf, requireAnalyst } from "../components/reports/report-data.server.js";
import { tableFilename } from "../components/reports/tables.js";
import { errorResponse, NotFound } from "../runtime.server.js";

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  await requireAnalyst(request, context);
  const id = params.table;
  // An unknown table is a page that is not there; a bad parameter of a known one is a bad request (queryOf).
  if (!isTableId(id)) throw errorResponse(new NotFound({ entity: "report table", id: id ?? "" }));
  const query = await queryOf(request, context);
  const table = await loadTable(context, id, query, request);
  return new Response(toCsv(table), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${tableFilename(id, query)}"`,
      "Cache-Control": "private, no-store",
    },
  });
}
