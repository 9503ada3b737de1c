/**
 * Cache headers of the public help center's pages. Visitors' pages are the same for everyone,
 * so shared caches may keep them a minute; a signed-in person's page carries their session
 * (the root loader's CSRF token) and must never be stored by a shared cache.
 */
import type { AppLoadContext } from "@remix-run/node";
import { getSignedIn } from "../../session.server.js";

export const helpCacheHeaders = async (request: Request, context: AppLoadContext): Promise<Record<string, string>> =>
  (await getSignedIn(request, context))
    ? { "Cache-Control": "private, no-store", Vary: "Cookie" }
    : { "Cache-Control": "public, max-age=60, stale-while-revalidate=300", Vary: "Cookie" };
