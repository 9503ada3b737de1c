/**
 * POST /flows/:id/publish — `{ revision }` → the published version and the new history. The
 * draft must still be at `revision` (409 otherwise) and compile (400 with its errors).
 * Any other method: 405 with `Allow: POST`.
 */
import type { ActionFunctionArgs } from "@remix-run/node";
import { access } from "../roles.js";
import { requireUser } from "../session.server.js";
import { methodNotAllowed, readJsonBody, respond } from "./flows.$id/api.server.js";
import { publishDraft, PublishBody } from "./flows.$id/editor.server.js";

/** A GET is the wrong method here (see `methodNotAllowed`). */
export const loader = () => methodNotAllowed("POST");

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.flows);
  const body = await readJsonBody(request, PublishBody, 1024);
  return respond(context, publishDraft(params.id ?? "", body.revision, user.id));
}
