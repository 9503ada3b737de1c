/**
 * GET /knowledge/pick?q=… (every signed-in role that reads the knowledge base) — published
 * articles for the inbox composer's "Insert article": the help center's search (best match
 * first), or the first articles by title when `q` is blank; each with its absolute help-center
 * address, as a visitor would open it. `{"articles":[{"id","title","url"}]}`.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { Effect } from "effect";
import { access } from "../roles.js";
import { AppConfig, articlePath, Knowledge, run } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

/** Articles offered without a search. */
const FIRST = 8;

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.knowledge);
  const q = new URL(request.url).searchParams.get("q")?.trim() ?? "";
  const articles = await run(
    context,
    Effect.gen(function* () {
      const knowledge = yield* Knowledge;
      const { publicUrl } = yield* AppConfig;
      const found =
        q === ""
          ? (yield* knowledge.listPublished()).slice(0, FIRST).map((a) => ({ id: a.id, title: a.title }))
          : (yield* knowledge.search({ q })).map((h) => ({ id: h.id, title: h.title }));
      return found.map((a) => ({ ...a, url: `${publicUrl}${articlePath(a.id)}` }));
    }),
  );
  return Response.json({ articles }, { headers: { "Cache-Control": "private, no-store" } });
}
