/** GET /flows/:id/versions/:versionId — one published version's spec (the editor restores it as the draft). */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { access } from "../roles.js";
import { requireUser } from "../session.server.js";
import { respond } from "./flows.$id/api.server.js";
import { versionSpec } from "./flows.$id/editor.server.js";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.flows);
  return respond(context, versionSpec(params.id ?? "", params.versionId ?? ""));
}
