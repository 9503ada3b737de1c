/**
 * Two-factor sign-in through the real route modules on a seeded app: the password step opens
 * no session for a user with two-factor sign-in but a signed pending-login cookie; the code step
 * refuses a missing form token, a lapsed or forged pending login, a malformed and a wrong code,
 * and then signs in (with the codes left after a recovery code). On Your profile, the section's
 * forms need the session's CSRF token and answer bad codes by field; a required setup sends
 * people to /two-factor before anything else, and they can still log out.
 */
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as loginAction, loader as loginLoader } from "../../app/routes/login.js";
import { action as secondStepAction } from "../../app/routes/login_.two-factor.js";
import { action as logoutAction } from "../../app/routes/logout.js";
import { action as profileAction, loader as profileLoader } from "../../app/routes/settings.profile.js";
import { loader as setupLoader } from "../../app/routes/two-factor.js";
import { pendingLoginCookieHeader, PENDING_LOGIN_TTL_MS, sessionCookieHeader } from "../../app/session.server.js";
import { Accounts, type User } from "../../runtime/services/accounts.js";
import { TwoFactor, totpCode, WRONG_CODE } from "../../runtime/services/two-factor.js";
import { startTestApp, TEST_ADMIN_PASSWORD, type TestApp } from "../support/test-app.js";
import { routeRequests, settleRoute, signInAdmin } from "../support/thread-post.js";

const BASE = "https://parley.example.com";
const PASSWORD = "second-factor-password";
let app: TestApp;
let admin: Awaited<ReturnType<typeof signInAdmin>>;
let adminUser: User;

beforeAll(async () => {
  app = await startTestApp("two-factor-routes");
  admin = await signInAdmin(app.runtime);
  adminUser = (await app.runtime.runPromise(Effect.flatMap(Accounts, (a) => a.listUsers()))).find((u) => u.role === "admin")!;
}, 60_000);
afterAll(async () => {
  await app?.dispose();
});

const context = () => ({ runtime: app.runtime, clientIp: "192.0.2.50" }) as never;
/** The `name=value` parts of Set-Cookie values, as a Cookie header. */
const cookieHeader = (setCookies: ReadonlyArray<string>) => setCookies.map((c) => c.split(";")[0]).join("; ");
const setCookiesOf = (answer: unknown): string[] => {
  if (answer instanceof Response) return answer.headers.getSetCookie();
  const init = (answer as { init?: { headers?: HeadersInit } }).init;
  return init?.headers ? new Headers(init.headers).getSetCookie() : [];
};

let count = 0;
/** A new agent with two-factor sign-in on: the user, their secret and recovery codes. */
const enrolledUser = async () => {
  const run = app.runtime.runPromise;
  const user = await run(
    Effect.flatMap(Accounts, (a) => a.createUser(adminUser, { email: `twofa${++count}@example.com`, name: `Two Fa ${count}`, role: "agent", password: PASSWORD })),
  );
  const setup = await run(Effect.flatMap(TwoFactor, (t) => t.startSetup(user)));
  const { recoveryCodes } = await run(Effect.flatMap(TwoFactor, (t) => t.confirmSetup(user, { code: totpCode(setup.secret, Date.now()) })));
  return { user, secret: setup.secret, recoveryCodes };
};

/** The login form's token and its cookie, as the login page hands them out. */
const loginCsrf = async () => {
  const page = (await loginLoader({ request: new Request(`${BASE}/login`), context: context(), params: {} })) as unknown as { data: { csrf: string } };
  return { token: page.data.csrf, cookie: cookieHeader(setCookiesOf(page)) };
};

/** The password step for `email`: the pending-login cookie it set (with the form token's cookie), and what it answered. */
const passwordStep = async (email: string) => {
  const csrf = await loginCsrf();
  const body = new URLSearchParams({ email, password: PASSWORD, csrf: csrf.token, redirectTo: "/tickets" });
  const answer = await loginAction({
    request: new Request(`${BASE}/login`, { method: "POST", body, headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: csrf.cookie } }),
    context: context(),
    params: {},
  });
  return { answer: answer as Response, csrf, cookie: `${csrf.cookie}; ${cookieHeader(setCookiesOf(answer))}` };
};

type StepAnswer = { formError?: string; expired?: boolean; signedIn?: { recoveryCodesLeft: number; continueTo: string } };
/** The code step with `cookie` and `fields`: its status, body (or redirect target) and the cookies it set. */
const codeStep = async (cookie: string, fields: Record<string, string>) => {
  const request = new Request(`${BASE}/login/two-factor`, {
    method: "POST",
    body: new URLSearchParams(fields),
    headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: cookie },
  });
  const answer = await secondStepAction({ request, context: context(), params: {} });
  const setCookies = setCookiesOf(answer);
  if (answer instanceof Response) return { status: answer.status, location: answer.headers.get("Location"), body: null, setCookies };
  const settled = await settleRoute<StepAnswer>(Promise.resolve(answer), {});
  return { status: settled.status, location: null, body: settled.body, setCookies };
};

describe("signing in with two-factor authentication", () => {
  it("the password step opens no session, only a pending login; the code step then signs in", async () => {
    const { user, secret } = await enrolledUser();
    const step = await passwordStep(user.email);
    expect(step.answer.status).toBe(302);
    expect(step.answer.headers.get("Location")).toBe("/login/two-factor?redirectTo=%2Ftickets");
    const set = step.answer.headers.getSetCookie();
    expect(set.some((c) => c.startsWith("parley_login_pending="))).toBe(true);
    expect(set.some((c) => c.startsWith("parley_session="))).toBe(false);
    expect(app.sqlite.prepare("SELECT COUNT(*) FROM sessions WHERE user_id = ?").pluck().get(user.id)).toBe(0);

    // The setup used the current step's code: the next step's (a phone a little ahead) signs in.
    const done = await codeStep(step.cookie, { csrf: step.csrf.token, code: totpCode(secret, Date.now() + 30_000), redirectTo: "/tickets" });
    expect(done.status).toBe(302);
    expect(done.location).toBe("/tickets");
    expect(done.setCookies.some((c) => c.startsWith("parley_session="))).toBe(true);
    expect(done.setCookies.some((c) => c.startsWith("parley_login_pending=;"))).toBe(true);
    expect(app.sqlite.prepare("SELECT COUNT(*) FROM sessions WHERE user_id = ?").pluck().get(user.id)).toBe(1);
  });

  it("refuses a missing form token, a lapsed or forged pending login, a malformed and a wrong code, opening no session", async () => {
    const { user, secret } = await enrolledUser();
    const step = await passwordStep(user.email);
    const good = totpCode(secret, Date.now() + 30_000);

    expect(await codeStep(step.cookie, { code: good })).toMatchObject({ status: 403, body: { formError: expect.stringMatching(/expired/) } });
    expect(await codeStep(step.csrf.cookie, { csrf: step.csrf.token, code: good })).toMatchObject({ status: 401, body: { expired: true } });

    const request = new Request(`${BASE}/login/two-factor`);
    const lapsed = await pendingLoginCookieHeader(request, context(), user.id, Date.now() - PENDING_LOGIN_TTL_MS - 1000);
    expect(await codeStep(`${step.csrf.cookie}; ${cookieHeader([lapsed])}`, { csrf: step.csrf.token, code: good })).toMatchObject({
      status: 401,
      body: { expired: true },
    });
    // A pending login made up for someone else (its signature does not match) is no pending login.
    const real = cookieHeader([await pendingLoginCookieHeader(request, context(), user.id)]);
    const [name, value] = real.split("=") as [string, string];
    const forged = Buffer.from(JSON.stringify({ userId: adminUser.id, expiresAt: Date.now() + 60_000 })).toString("base64");
    expect(await codeStep(`${step.csrf.cookie}; ${name}=${encodeURIComponent(forged)}.${value.split(".").at(-1)}`, { csrf: step.csrf.token, code: good })).toMatchObject({
      status: 401,
      body: { expired: true },
    });

    expect(await codeStep(step.cookie, { csrf: step.csrf.token, code: "12ab" })).toMatchObject({
      status: 400,
      body: { formError: "Enter the 6-digit code from your authenticator app, or a recovery code like abcde-fghjk" },
    });
    expect(await codeStep(step.cookie, { csrf: step.csrf.token })).toMatchObject({ status: 400 });
    expect(await codeStep(step.cookie, { csrf: step.csrf.token, code: totpCode(secret, Date.now() + 10 * 30_000) })).toMatchObject({
      status: 401,
      body: { formError: WRONG_CODE },
    });
    expect(app.sqlite.prepare("SELECT COUNT(*) FROM sessions WHERE user_id = ?").pluck().get(user.id)).toBe(0);
    // Each wrong code counted as a failed sign-in of the email.
    expect(app.sqlite.prepare("SELECT count FROM login_failures WHERE scope = 'email' AND key = ?").pluck().get(user.email)).toBe(1);
  });

  it("a recovery code signs in once and says how many are left", async () => {
    const { user, recoveryCodes } = await enrolledUser();
    const step = await passwordStep(user.email);
    const done = await codeStep(step.cookie, { csrf: step.csrf.token, code: recoveryCodes[3]!, redirectTo: "/tickets" });
    expect(done).toMatchObject({ status: 200, body: { signedIn: { recoveryCodesLeft: 9, continueTo: "/tickets" } } });
    expect(done.setCookies.some((c) => c.startsWith("parley_session="))).toBe(true);
    const again = await passwordStep(user.email);
    expect(await codeStep(again.cookie, { csrf: again.csrf.token, code: recoveryCodes[3]! })).toMatchObject({ status: 401, body: { formError: WRONG_CODE } });
  });
});

describe("the two-factor section and the requirement", () => {
  /** A session of `user` as route requests. */
  const signedInAs = async (user: User) => {
    const session = await app.runtime.runPromise(Effect.flatMap(Accounts, (a) => a.login(user.email, PASSWORD)));
    const cookie = (await sessionCookieHeader(new Request(BASE), context(), session.token)).split(";")[0]!;
    return { cookie, csrf: session.csrfToken };
  };

  it("needs the session's CSRF token, and answers a wrong code or password by field", async () => {
    const user = await app.runtime.runPromise(
      Effect.flatMap(Accounts, (a) => a.createUser(adminUser, { email: "section@example.com", name: "Section", role: "agent", password: PASSWORD })),
    );
    const requests = routeRequests(await signedInAs(user));
    const post = (fields: Record<string, string>, options?: { csrf?: boolean }) =>
      settleRoute<{ errors: Record<string, string> | null; saved?: boolean; recoveryCodes?: string[] | null }>(
        profileAction({ request: requests.post("/settings/profile", fields, options), context: context(), params: {} }),
        { errors: null },
      );
    expect((await post({ intent: "two-factor-start" }, { csrf: false })).status).toBe(403);
    expect(app.sqlite.prepare("SELECT COUNT(*) FROM two_factor WHERE user_id = ?").pluck().get(user.id)).toBe(0);
    expect(await post({ intent: "two-factor-start" })).toMatchObject({ status: 200, body: { saved: true } });

    const loaded = (await profileLoader({ request: requests.get("/settings/profile"), context: context(), params: {} })) as unknown as {
      twoFactor: { enabled: boolean; setup: { secret: string; qr: { size: number; path: string } } | null };
    };
    expect(loaded.twoFactor.enabled).toBe(false);
    expect(loaded.twoFactor.setup!.secret).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    expect(loaded.twoFactor.setup!.qr.path).toMatch(/^M\d+ \d+h1v1h-1z/);
    const secret = loaded.twoFactor.setup!.secret.replace(/ /g, "");

    expect(await post({ intent: "two-factor-confirm", code: "nope" })).toMatchObject({ status: 400, body: { errors: { code: expect.stringMatching(/6-digit/) } } });
    const on = await post({ intent: "two-factor-confirm", code: totpCode(secret, Date.now()) });
    expect(on.status).toBe(200);
    expect(on.body.recoveryCodes).toHaveLength(10);

    expect(await post({ intent: "two-factor-disable", password: "not my password" })).toMatchObject({
      status: 400,
      body: { errors: { password: "this is not your password" } },
    });
    expect(await post({ intent: "two-factor-regenerate", code: "000000" })).toMatchObject({ status: 400, body: { errors: { code: expect.any(String) } } });
    expect(await post({ intent: "two-factor-disable", code: "", password: PASSWORD }, { csrf: false })).toMatchObject({ status: 403 });
    expect(app.sqlite.prepare("SELECT enabled_at IS NOT NULL FROM two_factor WHERE user_id = ?").pluck().get(user.id)).toBe(1);
    expect(await post({ intent: "two-factor-disable", code: "", password: PASSWORD })).toMatchObject({ status: 200, body: { saved: true } });
    expect(app.sqlite.prepare("SELECT COUNT(*) FROM two_factor WHERE user_id = ?").pluck().get(user.id)).toBe(0);
  });

  it("while required, sends a user without it to /two-factor first; they may set it up there, or log out", async () => {
    const user = await app.runtime.runPromise(
      Effect.flatMap(Accounts, (a) => a.createUser(adminUser, { email: "required@example.com", name: "Required", role: "agent", password: PASSWORD })),
    );
    const requests = routeRequests(await signedInAs(user));
    // The requirement needs the admin to have it on first.
    const adminSetup = await app.runtime.runPromise(Effect.flatMap(TwoFactor, (t) => t.startSetup(adminUser)));
    await app.runtime.runPromise(Effect.flatMap(TwoFactor, (t) => t.confirmSetup(adminUser, { code: totpCode(adminSetup.secret, Date.now()) })));
    await app.runtime.runPromise(Effect.flatMap(TwoFactor, (t) => t.setRequired(adminUser, true)));
    try {
      const profile = await settleRoute(profileLoader({ request: requests.get("/settings/profile"), context: context(), params: {} }), null);
      expect(profile.status).toBe(302);
      const thrown = await profileLoader({ request: requests.get("/settings/profile"), context: context(), params: {} }).catch((r: Response) => r);
      expect((thrown as Response).headers.get("Location")).toBe("/two-factor");
      const setup = (await setupLoader({ request: requests.get("/two-factor"), context: context(), params: {} })) as unknown as { due: boolean };
      expect(setup.due).toBe(true);
      const out = (await logoutAction({ request: requests.post("/logout", {}), context: context(), params: {} })) as Response;
      expect(out.headers.get("Location")).toBe("/login");
    } finally {
      await app.runtime.runPromise(Effect.flatMap(TwoFactor, (t) => t.setRequired(adminUser, false)));
      await app.runtime.runPromise(Effect.flatMap(TwoFactor, (t) => t.reset(adminUser, adminUser.id)));
    }
    // The seeded admin's own session was not touched by any of it.
    expect(await app.runtime.runPromise(Effect.flatMap(Accounts, (a) => a.login("admin@parley.local", TEST_ADMIN_PASSWORD)))).toMatchObject({
      user: { id: adminUser.id },
    });
  });
});
