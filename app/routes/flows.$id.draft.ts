/**
 * POST /flows/:id/draft — autosave: `{ baseRevision, document }` → `{ revision }`; 409 when the
 * draft moved on since `baseRevision` (another tab or person), never a silent overwrite.
 * Any other method: 405 with `Allow: POST`.
 */
import type { ActionFunctionArgs } from "@remix-run/node";
import { access } from "../roles.js";
import { requireUser } from "../session.server.js";
import { methodNotAllowed, readJsonBody, respond } from "./flows.$id/api.server.js";
import { saveDraft, SaveDraftBody } from "./flows.$id/editor.server.js";

/** A 5,000-node draft is a few MB; this leaves room without inviting abuse. */
const MAX_DRAFT_BYTES = 16 * 1024 * 1024;

/** A GET is the wrong method here (see `methodNotAllowed`). */
export const loader = () => methodNotAllowed("POST");

export async function action({ request, params, context }: ActionFunctionArgs) {
  await requireUser(request, context, access.flows);
  const body = await readJsonBody(request, SaveDraftBody, MAX_DRAFT_BYTES);
  return respond(context, saveDraft(params.id ?? "", body));
}
