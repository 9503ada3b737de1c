/**
 * Posting to an inbox thread's real route action (/inbox/:conversationId) as the seeded admin,
 * signed in through the Accounts service with a real session cookie and CSRF token, as the
 * composer posts: multipart with `files` when there are some.
 */
import { Effect } from "effect";
import { action } from "../../app/routes/inbox.$conversationId.js";
import { sessionCookieHeader } from "../../app/session.server.js";
import type { AppRuntime } from "../../runtime/services/app-layer.js";
import { Accounts } from "../../runtime/services/accounts.js";
import { TEST_ADMIN_PASSWORD } from "./test-app.js";

const BASE = "https://parley.example.com";

/** What the thread action answers (ThreadActionResult, loosely). */
export type ThreadAnswer = { ok: boolean; intent?: string; error?: string; fields?: Record<string, string>; path?: string; clientMessageId?: string };
export type ThreadUpload = { readonly name: string; readonly type: string; readonly bytes: Buffer };

/** The seeded admin signed in: a route context, the session's Cookie header and its CSRF token. */
export const signInAdmin = async (runtime: AppRuntime) => {
  const session = await runtime.runPromise(Effect.flatMap(Accounts, (a) => a.login("admin@parley.local", TEST_ADMIN_PASSWORD)));
  const context = { runtime } as never;
  const cookie = (await sessionCookieHeader(new Request(BASE), context, session.token)).split(";")[0]!;
  return { context, cookie, csrf: session.csrfToken };
};

export const postThreadForm = async (
  runtime: AppRuntime,
  conversationId: string,
  fields: Record<string, string>,
  files: ReadonlyArray<ThreadUpload>,
  options: { readonly csrf?: boolean; readonly headers?: Record<string, string> } = {},
): Promise<{ status: number; data: ThreadAnswer | null }> => {
  const { context, cookie, csrf } = await signInAdmin(runtime);
  const body = new FormData();
  if (options.csrf !== false) body.set("csrf", csrf);
  for (const [k, v] of Object.entries(fields)) body.set(k, v);
  for (const f of files) body.append("files", new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
  const request = new Request(`${BASE}/inbox/${conversationId}`, { method: "POST", headers: { Cookie: cookie, ...options.headers }, body });
  return action({ request, context, params: { conversationId } }).then(
    (answer) => {
      const a = answer as unknown as { data: ThreadAnswer; init: { status?: number } | null };
      return { status: a.init?.status ?? 200, data: a.data };
    },
    (thrown: unknown) => ({ status: (thrown as Response).status, data: null }),
  );
};

/** What a route action or loader answered: `data(…)` with its status, a plain object (200), or a thrown Response's status. */
export const settleRoute = <B>(promise: Promise<unknown>, refused: B): Promise<{ status: number; body: B }> =>
  promise.then(
    (answer) => {
      const a = answer as { data?: unknown; init?: { status?: number } | null };
      return "data" in (a as object) && "init" in (a as object)
        ? { status: a.init?.status ?? 200, body: a.data as B }
        : { status: 200, body: answer as B };
    },
    (thrown: unknown) => ({ status: (thrown as Response).status, body: refused }),
  );

/** A form post as the signed-in admin (with the CSRF token unless `csrf: false`), and a GET. */
export const routeRequests = (signedIn: { readonly cookie: string; readonly csrf: string }) => ({
  post: (path: string, fields: Record<string, string>, options: { csrf?: boolean } = {}) => {
    const body = new FormData();
    if (options.csrf !== false) body.set("csrf", signedIn.csrf);
    for (const [k, v] of Object.entries(fields)) body.set(k, v);
    return new Request(`${BASE}${path}`, { method: "POST", headers: { Cookie: signedIn.cookie }, body });
  },
  get: (path: string) => new Request(`${BASE}${path}`, { headers: { Cookie: signedIn.cookie } }),
});
