/**
 * /inbox/attachments/:attachmentId — downloads one stored file (one a customer mailed, an
 * inline image, or one an agent attached to an email reply), for a signed-in agent or admin who
 * may open its conversation. 404 for an
 * unknown id and for a conversation outside the user's inboxes alike. The headers (which
 * types are served as themselves, inline or attachment, nosniff, a sandbox CSP) are decided
 * in the runtime (attachments.ts `attachmentHeaders`), so this route only guards and serves.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { Effect } from "effect";
import { access } from "../roles.js";
import { EmailChannel, run } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const download = await run(context, Effect.flatMap(EmailChannel, (email) => email.attachmentDownload(params.attachmentId ?? "", user)));
  return new Response(request.method === "HEAD" ? null : new Uint8Array(download.body), { status: 200, headers: download.headers });
}
