/**
 * POST /flows/:id/preview — the builder's preview chat: `{intent:"start", pageUrl?, device?, language?}`
 * opens a conversation on the flow's saved DRAFT in the real engine (flagged as a preview, so
 * reports leave it out); `{intent:"message", conversationId, visitorId, clientMessageId, text | choiceIds}`
 * answers it. Each reply carries the interpreter's state (current node, variables, contact).
 * Any other method: 405 with `Allow: POST`.
 */
import type { ActionFunctionArgs } from "@remix-run/node";
import { access } from "../roles.js";
import { requireUser } from "../session.server.js";
import { methodNotAllowed, readJsonBody, respond } from "./flows.$id/api.server.js";
import { PreviewBody, previewTurn } from "./flows.$id/editor.server.js";

/** A GET is the wrong method here (see `methodNotAllowed`). */
export const loader = () => methodNotAllowed("POST");

export async function action({ request, params, context }: ActionFunctionArgs) {
  await requireUser(request, context, access.flows);
  const body = await readJsonBody(request, PreviewBody, 16 * 1024);
  return respond(context, previewTurn(params.id ?? "", body), body.intent === "start" ? 201 : 200);
}
