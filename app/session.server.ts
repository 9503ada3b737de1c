/**
 * Sign-in sessions in the Remix app: the signed session cookie, the one-line guard
 * `requireUser` (which also checks the CSRF token of every mutation), the double-submit
 * token that protects the login form (which has no session yet), and the pending-login cookie
 * between a correct password and the two-factor code (which is no session either).
 */
import { createCookie, redirect, type AppLoadContext, type Cookie } from "@remix-run/node";
import { Effect } from "effect";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { isAllowed } from "./roles.js";
import { Accounts, AppConfig, errorResponse, Forbidden, readCapped, rememberSignedIn, run, type Attempt, type Role, type User } from "./runtime.server.js";

const SESSION_COOKIE = "parley_session";
const LOGIN_CSRF_COOKIE = "parley_login_csrf";
const PENDING_LOGIN_COOKIE = "parley_login_pending";
/** How long the second step of a sign-in may take after the password. */
export const PENDING_LOGIN_TTL_MS = 5 * 60 * 1000;
/** Where a user is sent while the workspace requires two-factor sign-in and they have not set it up. */
export const TWO_FACTOR_SETUP_PATH = "/two-factor";
const NOTICE_COOKIE = "parley_notice";
/** How long a notice waits for the page it was left for (a redirect's next request comes at once). */
const NOTICE_MAX_AGE_S = 60;
/** The form field and header that carry the CSRF token. */
export const CSRF_FIELD = "csrf";
export const CSRF_HEADER = "X-CSRF-Token";
const SESSION_MAX_AGE_S = 14 * 24 * 60 * 60;

/** A signed-in request: the user, their session's CSRF token, and the session token itself. */
export interface SignedIn {
  readonly user: User;
  readonly csrfToken: string;
  readonly token: string;
  /** The workspace requires two-factor sign-in and this user has not set it up yet. */
  readonly twoFactorSetupDue: boolean;
}

interface Cookies {
  readonly session: Cookie;
  readonly loginCsrf: Cookie;
  readonly pendingLogin: Cookie;
  readonly notice: Cookie;
}
const cookieCache = new Map<string, Cookies>();

/** The app's cookies for this request: Secure when the request or PUBLIC_URL is https. */
const cookiesFor = async (request: Request, context: AppLoadContext): Promise<Cookies> => {
  const config = await run(context, AppConfig);
  const secure = new URL(request.url).protocol === "https:" || config.publicUrl.startsWith("https:");
  const key = `${secure}:${config.sessionSecret}`;
  let cookies = cookieCache.get(key);
  if (!cookies) {
    const options = { httpOnly: true, sameSite: "lax" as const, secure, path: "/", secrets: [config.sessionSecret] };
    cookies = {
      session: createCookie(SESSION_COOKIE, { ...options, maxAge: SESSION_MAX_AGE_S }),
      // No maxAge: it lives as long as the browser session, which is as long as a login page stays open.
      loginCsrf: createCookie(LOGIN_CSRF_COOKIE, options),
      // Signed like the others: the browser cannot make one up or change whose it is.
      pendingLogin: createCookie(PENDING_LOGIN_COOKIE, { ...options, maxAge: PENDING_LOGIN_TTL_MS / 1000 }),
      notice: createCookie(NOTICE_COOKIE, { ...options, maxAge: NOTICE_MAX_AGE_S }),
    };
    cookieCache.set(key, cookies);
  }
  return cookies;
};

/**
 * A redirect to `to` that shows `notice` once there ("The webhook is added."): a signed,
 * short-lived cookie that the page's loader takes with `takeNotice`, so a reload (or a bookmark
 * of the URL) does not show it again, unlike a `?created=1` flag in the URL.
 */
export const redirectWithNotice = async (request: Request, context: AppLoadContext, to: string, notice: string): Promise<Response> =>
  redirect(to, { headers: { "Set-Cookie": await (await cookiesFor(request, context)).notice.serialize(notice) } });

/** The one-time notice a redirect left, and the headers that clear it (none when there was none). */
export const takeNotice = async (
  request: Request,
  context: AppLoadContext,
): Promise<{ readonly notice: string | null; readonly headers: Record<string, string> }> => {
  const header = request.headers.get("Cookie");
  if (!header?.includes(NOTICE_COOKIE)) return { notice: null, headers: {} };
  const cookie = (await cookiesFor(request, context)).notice;
  const value: unknown = await cookie.parse(header);
  return { notice: typeof value === "string" && value !== "" ? value : null, headers: { "Set-Cookie": await cookie.serialize("", { maxAge: 0 }) } };
};

/** Equal strings, compared in constant time. Pure. */
const sameToken = (a: string, b: string): boolean => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
};

/** A same-site path to go to after signing in; anything else (other hosts, `//x`) becomes `fallback`. Pure. */
export const safeRedirect = (to: FormDataEntryValue | string | null | undefined, fallback: string): string => {
  if (typeof to !== "string" || !to.startsWith("/") || to.startsWith("//") || to.startsWith("/\\")) return fallback;
  return to;
};

const sessionToken = async (request: Request, context: AppLoadContext): Promise<string | null> => {
  const header = request.headers.get("Cookie");
  if (!header?.includes(SESSION_COOKIE)) return null;
  const value: unknown = await (await cookiesFor(request, context)).session.parse(header);
  return typeof value === "string" && value !== "" ? value : null;
};

/** The signed-in user of this request, or null. Never throws for a missing or stale cookie. */
export const getSignedIn = async (request: Request, context: AppLoadContext): Promise<SignedIn | null> => {
  const token = await sessionToken(request, context);
  if (!token) return null;
  const info = await run(context, Effect.flatMap(Accounts, (accounts) => accounts.getSession(token)));
  if (info) rememberSignedIn(context, info.user.id);
  return info ? { user: info.user, csrfToken: info.csrfToken, token, twoFactorSetupDue: info.twoFactorSetupDue } : null;
};

const isMutation = (request: Request) => request.method !== "GET" && request.method !== "HEAD";

/** The CSRF token a mutation sent: the header, else the form field. */
/**
 * The most of a form post read to find its token: the token is in the body, so a post larger
 * than any of Parley's forms takes (a reply's files: 25 MB, ~26 MB as multipart) is refused
 * without being read further, whether it declares its length or streams without one.
 */
export const MAX_FORM_POST_BYTES = 32 * 1024 * 1024;

const sentCsrfToken = async (request: Request): Promise<string | null> => {
  const header = request.headers.get(CSRF_HEADER);
  if (header) return header;
  const type = request.headers.get("Content-Type") ?? "";
  if (!type.includes("application/x-www-form-urlencoded") && !type.includes("multipart/form-data")) return null;
  const declared = Number(request.headers.get("Content-Length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > MAX_FORM_POST_BYTES) return null;
  // A clone, so the action can still read the body.
  const body = await readCapped(request.clone().body, MAX_FORM_POST_BYTES).catch(() => null);
  if (body === null) return null;
  const form = await new Response(body, { headers: { "Content-Type": type } }).formData().catch(() => null);
  const value = form?.get(CSRF_FIELD);
  return typeof value === "string" ? value : null;
};

const csrfRefused = () =>
  Response.json(
    {
      error: {
        code: "csrf_failed",
        message: "This form was not sent from a current Parley page (its security token is missing or out of date). Reload the page and try again.",
      },
    },
    { status: 403 },
  );

/** Throws 403 unless the mutation carries `expected` as its CSRF token. */
export const verifyCsrf = async (request: Request, expected: string): Promise<void> => {
  const sent = await sentCsrfToken(request);
  if (sent === null || !sameToken(sent, expected)) throw csrfRefused();
};

/**
 * The guard at the top of every loader and action: the signed-in user, else a redirect to
 * /login?redirectTo=…; a user who must set up two-factor sign-in first goes to its page (unless
 * `options.twoFactorSetup`: that page and logging out); a role not in `roles` (admins always
 * pass) gets 403; a mutation without the session's CSRF token gets 403.
 */
export const requireUser = async (
  request: Request,
  context: AppLoadContext,
  roles?: ReadonlyArray<Role>,
  options?: { readonly twoFactorSetup?: boolean },
): Promise<SignedIn> => {
  const signedIn = await getSignedIn(request, context);
  if (!signedIn) {
    const url = new URL(request.url);
    const back = isMutation(request) ? "" : `?redirectTo=${encodeURIComponent(url.pathname + url.search)}`;
    const headers = new Headers();
    // A stale cookie (expired or logged out elsewhere) is cleared so the browser stops sending it.
    if (request.headers.get("Cookie")?.includes(SESSION_COOKIE)) headers.append("Set-Cookie", await clearSessionCookie(request, context));
    throw redirect(`/login${back}`, { headers });
  }
  if (signedIn.twoFactorSetupDue && options?.twoFactorSetup !== true) throw redirect(TWO_FACTOR_SETUP_PATH);
  if (roles && !isAllowed(signedIn.user.role, roles)) {
    throw errorResponse(new Forbidden({ message: `Your role (${signedIn.user.role}) cannot open this page.` }));
  }
  if (isMutation(request)) await verifyCsrf(request, signedIn.csrfToken);
  return signedIn;
};

/** The Set-Cookie value that stores a new session token. */
export const sessionCookieHeader = async (request: Request, context: AppLoadContext, token: string): Promise<string> =>
  (await cookiesFor(request, context)).session.serialize(token);

/** The Set-Cookie value that removes the session cookie. */
export const clearSessionCookie = async (request: Request, context: AppLoadContext): Promise<string> =>
  (await cookiesFor(request, context)).session.serialize("", { maxAge: 0, expires: new Date(0) });

/**
 * The login form's double-submit token: the one in this browser's cookie when there is one,
 * else a new one. Render it in the form and send `setCookie` with the page.
 */
export const issueLoginCsrf = async (
  request: Request,
  context: AppLoadContext,
): Promise<{ readonly token: string; readonly setCookie: string }> => {
  const cookie = (await cookiesFor(request, context)).loginCsrf;
  const existing: unknown = await cookie.parse(request.headers.get("Cookie"));
  const token = typeof existing === "string" && existing.length >= 32 ? existing : randomBytes(32).toString("hex");
  return { token, setCookie: await cookie.serialize(token) };
};

/** True when the login form's token matches this browser's cookie (double submit). */
export const loginCsrfMatches = async (request: Request, context: AppLoadContext, sent: unknown): Promise<boolean> => {
  const cookie: unknown = await (await cookiesFor(request, context)).loginCsrf.parse(request.headers.get("Cookie"));
  return typeof cookie === "string" && typeof sent === "string" && sameToken(cookie, sent);
};

/** The most of a sign-in post read (bytes): an email, a password (at most 256 characters), a code and a token need far less. */
const MAX_LOGIN_BODY_BYTES = 16 * 1024;

/**
 * The form of a sign-in post (either step), or null when it is larger than one can be: nobody is
 * signed in yet, so nothing has checked the post, and only what a sign-in needs is read.
 */
export const readLoginForm = async (request: Request): Promise<FormData | null> => {
  const declared = Number(request.headers.get("Content-Length") ?? Number.NaN);
  const body = Number.isFinite(declared) && declared > MAX_LOGIN_BODY_BYTES ? null : await readCapped(request.body, MAX_LOGIN_BODY_BYTES).catch(() => null);
  if (body === null) return null;
  return new Response(body, { headers: { "Content-Type": request.headers.get("Content-Type") ?? "" } }).formData().catch(() => new FormData());
};

/** Who passed the password step and when that step lapses, as the pending-login cookie says. */
export interface PendingLogin {
  readonly userId: string;
  readonly expiresAt: number;
}

/** The Set-Cookie value that starts a pending login of `userId` (the password was right), lapsing PENDING_LOGIN_TTL_MS after `now`. */
export const pendingLoginCookieHeader = async (request: Request, context: AppLoadContext, userId: string, now = Date.now()): Promise<string> =>
  (await cookiesFor(request, context)).pendingLogin.serialize({ userId, expiresAt: now + PENDING_LOGIN_TTL_MS } satisfies PendingLogin);

/** This browser's pending login, or null when it has none, it was tampered with, or it lapsed (its own time, not only the cookie's). */
export const readPendingLogin = async (request: Request, context: AppLoadContext): Promise<PendingLogin | null> => {
  const header = request.headers.get("Cookie");
  if (!header?.includes(PENDING_LOGIN_COOKIE)) return null;
  const value: unknown = await (await cookiesFor(request, context)).pendingLogin.parse(header);
  if (typeof value !== "object" || value === null) return null;
  const { userId, expiresAt } = value as Record<string, unknown>;
  if (typeof userId !== "string" || typeof expiresAt !== "number" || expiresAt <= Date.now()) return null;
  return { userId, expiresAt };
};

/** The Set-Cookie value that removes the pending-login cookie. */
export const clearPendingLoginCookie = async (request: Request, context: AppLoadContext): Promise<string> =>
  (await cookiesFor(request, context)).pendingLogin.serialize("", { maxAge: 0, expires: new Date(0) });

/** What a sign-in page shows for a refused step (either one): the message, its status, and Retry-After when throttled. Pure. */
export const signInRefusal = (failure: Extract<Attempt<unknown>, { ok: false }>) => {
  const limited = failure.cause._tag === "RateLimited" ? failure.cause.retryAfterSeconds : null;
  return {
    message:
      limited !== null
        ? `Too many failed sign-ins for this email or from this network. Try again in ${Math.ceil(limited / 60)} minute(s).`
        : failure.error.message,
    init: { status: failure.status, headers: limited !== null ? { "Retry-After": String(limited) } : ({} as Record<string, string>) },
  };
};
