/**
 * GET /flows/:id/export — the flow's draft document as a JSON file download (what "Import"
 * on the flow list reads back).
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { Effect } from "effect";
import { access } from "../roles.js";
import { Chatflows, run } from "../runtime.server.js";
import { requireUser } from "../session.server.js";
import { exportFileName } from "./flows._index/import-flow.js";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.flows);
  const id = params.id ?? "";
  const { row, draft } = await run(
    context,
    Effect.gen(function* () {
      const flows = yield* Chatflows;
      return { row: yield* flows.get(id), draft: yield* flows.getDraft(id) };
    }),
  );
  return new Response(`${JSON.stringify(draft.document, null, 2)}\n`, {
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Disposition": `attachment; filename="${exportFileName(row.name)}"`,
      "Cache-Control": "no-store",
    },
  });
}
