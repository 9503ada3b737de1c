/**
 * POST /inbox/:conversationId/presence — `{ "viewing": true | false }` → `{ "viewers": [{ userId,
 * name, since }], "heartbeatMs" }`: the agent has the conversation open (sent when the thread opens and every
 * PRESENCE_HEARTBEAT_MS while its tab is visible) or closed it, and who else has it open now
 * (runtime/services/presence.ts). Admins and agents who may open the conversation; CSRF by the
 * X-CSRF-Token header, so a closing page can send it with `fetch(…, { keepalive: true })`.
 * Any other method: 405 with `Allow: POST` (the server's sendMethodNotAllowed answer), to anyone.
 */
import type { ActionFunctionArgs } from "@remix-run/node";
import { Effect, Schema as S } from "effect";
import { access } from "../roles.js";
import { Presence, PRESENCE_HEARTBEAT_MS } from "../runtime.server.js";
import { requireUser } from "../session.server.js";
import { methodNotAllowed, readJsonBody, respond } from "./flows.$id/api.server.js";

const PresenceBody = S.Struct({ viewing: S.Boolean });

/** A GET (or HEAD) here is the wrong method, not a bad request: it tells nothing about the conversation, so no sign-in is asked. */
export const loader = () => methodNotAllowed("POST");

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const body = await readJsonBody(request, PresenceBody, 256);
  return respond(
    context,
    Effect.map(
      Effect.flatMap(Presence, (p) => p.view(params.conversationId ?? "", body.viewing, user)),
      (viewers) => ({ viewers, heartbeatMs: PRESENCE_HEARTBEAT_MS }),
    ),
  );
}
