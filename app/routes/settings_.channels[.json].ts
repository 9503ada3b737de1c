import type { LoaderFunctionArgs } from "@remix-run/node";
import { Effect } from "effect";
import { access } from "../roles.js";
import { ChannelDirectory, run } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

/** GET /settings/channels.json (admins): `{"channels":[{"id","name","kind"}]}`, oldest first. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.settings);
  const channels = await run(context, Effect.flatMap(ChannelDirectory, (directory) => directory.list()));
  return Response.json(
    { channels: channels.map(({ id, name, kind }) => ({ id, name, kind })) },
    { headers: { "Cache-Control": "no-store" } },
  );
}
