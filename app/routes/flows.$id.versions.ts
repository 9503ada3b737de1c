/** GET /flows/:id/versions — the flow's published versions, newest first, with who/when/what changed. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { access } from "../roles.js";
import { requireUser } from "../session.server.js";
import { respond } from "./flows.$id/api.server.js";
import { versionHistory } from "./flows.$id/editor.server.js";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.flows);
  return respond(context, versionHistory(params.id ?? ""));
}
