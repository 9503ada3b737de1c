/**
 * /login/two-factor — the second step of signing in, for a user with two-factor sign-in: the
 * 6-digit code from their app, or a recovery code. Reached only with the pending-login cookie the
 * password step set (5 minutes, signed; no session, no access). A right code opens the session;
 * a recovery code first says how many are left.
 */
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useNavigation, useSearchParams, type ShouldRevalidateFunction } from "@remix-run/react";
import { Effect } from "effect";
import { AuthCard, SignInForm } from "../components/auth-card.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { capitalise } from "../components/messages.js";
import { ErrorNotice } from "../components/settings/notices.js";
import { homeFor } from "../roles.js";
import { attempt, TwoFactor } from "../runtime.server.js";
import {
  clearPendingLoginCookie,
  getSignedIn,
  issueLoginCsrf,
  loginCsrfMatches,
  readLoginForm,
  readPendingLogin,
  safeRedirect,
  sessionCookieHeader,
  signInRefusal,
} from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Two-factor authentication · Sign in · Parley" }];

/** No navigation: nobody is signed in yet (and after a recovery code, the notice stands alone). */
export const handle = { bare: true };

const EXPIRED = "This sign-in took longer than 5 minutes, so it has expired. Sign in again with your password.";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const redirectTo = new URL(request.url).searchParams.get("redirectTo");
  const signedIn = await getSignedIn(request, context);
  if (signedIn) throw redirect(safeRedirect(redirectTo, homeFor(signedIn.user.role)));
  const pending = await readPendingLogin(request, context);
  const csrf = await issueLoginCsrf(request, context);
  return data({ csrf: csrf.token, expired: pending === null }, { headers: { "Set-Cookie": csrf.setCookie } });
}

type Answer =
  | { readonly formError: string; readonly expired: boolean; readonly signedIn?: undefined }
  | { readonly signedIn: { readonly recoveryCodesLeft: number; readonly continueTo: string }; readonly formError?: undefined };

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readLoginForm(request);
  if (form === null) return data<Answer>({ formError: "This sign-in form is too large to be one.", expired: false }, { status: 413 });
  if (!(await loginCsrfMatches(request, context, form.get("csrf")))) {
    return data<Answer>({ formError: "This sign-in form has expired. Please enter the code again.", expired: false }, { status: 403 });
  }
  const pending = await readPendingLogin(request, context);
  if (pending === null) {
    return data<Answer>({ formError: EXPIRED, expired: true }, { status: 401, headers: { "Set-Cookie": await clearPendingLoginCookie(request, context) } });
  }
  const code = form.get("code");
  const result = await attempt(context, Effect.flatMap(TwoFactor, (t) => t.completeLogin(pending.userId, { code }, context.clientIp)));
  if (!result.ok) {
    const refused = signInRefusal(result);
    // A schema message names the field ("code: enter …"): the page has one field, so say it plainly.
    const message = result.cause._tag === "InvalidInput" ? (result.cause.issues[0]?.message ?? refused.message) : refused.message;
    return data<Answer>({ formError: capitalise(message), expired: false }, refused.init);
  }
  const { session, proof } = result.value;
  const headers = new Headers();
  headers.append("Set-Cookie", await sessionCookieHeader(request, context, session.token));
  headers.append("Set-Cookie", await clearPendingLoginCookie(request, context));
  const continueTo = safeRedirect(form.get("redirectTo"), homeFor(session.user.role));
  if (proof.method === "totp") return redirect(continueTo, { headers });
  // A recovery code is spent: say how many are left before going on.
  return data<Answer>({ signedIn: { recoveryCodesLeft: proof.recoveryCodesLeft, continueTo } }, { headers });
}

/** The loader runs again after a refused code (a fresh form token), not after signing in (it would leave the notice). */
export const shouldRevalidate: ShouldRevalidateFunction = ({ actionResult }) =>
  !(typeof actionResult === "object" && actionResult !== null && "signedIn" in actionResult && actionResult.signedIn);

export default function TwoFactorLogin() {
  const { csrf, expired } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const busy = navigation.state !== "idle" && navigation.formAction?.startsWith("/login/two-factor") === true;
  if (answer?.signedIn) {
    const left = answer.signedIn.recoveryCodesLeft;
    return (
      <AuthCard titleId="two-factor-title" title="Signed in with a recovery code">
        <p className={left <= 3 ? "notice notice--error" : "notice notice--success"} role="status">
          That recovery code is now used up. You have {left} recovery code{left === 1 ? "" : "s"} left.
        </p>
        <p className="muted">
          {left <= 3 ? "Get new ones soon: " : "If you lost your phone, set it up again: "}
          Your profile → Two-factor authentication.
        </p>
        <p>
          <Link to={answer.signedIn.continueTo} className="button button--block">
            Continue
          </Link>
        </p>
        <p>
          <Link to="/settings/profile#two-factor-title">Go to Your profile</Link>
        </p>
      </AuthCard>
    );
  }
  const error = answer?.formError;
  if (expired || answer?.expired) {
    return (
      <AuthCard titleId="two-factor-title" title="Sign-in expired">
        <ErrorNotice message={error ?? EXPIRED} />
        <p>
          <Link to={`/login${params.get("redirectTo") ? `?redirectTo=${encodeURIComponent(params.get("redirectTo")!)}` : ""}`}>Sign in again</Link>
        </p>
      </AuthCard>
    );
  }
  return (
    <AuthCard titleId="two-factor-title" title="Two-factor authentication">
      <SignInForm csrf={csrf} error={error} errorId="two-factor-error">
        <div className="field">
          <label htmlFor="two-factor-code">Enter the 6-digit code from your app</label>
          <input
            id="two-factor-code"
            name="code"
            autoComplete="one-time-code"
            autoCapitalize="none"
            spellCheck={false}
            required
            autoFocus
            maxLength={24}
            aria-describedby="two-factor-hint"
            aria-invalid={error ? true : undefined}
          />
          <p id="two-factor-hint" className="field__hint">
            Lost your phone? Enter one of your recovery codes instead (like abcde-fghjk).
          </p>
        </div>
        <button type="submit" className="button button--block" disabled={busy}>
          {busy ? "Checking…" : "Verify"}
        </button>
      </SignInForm>
      <p className="hint">
        <Link to="/login">Start over</Link>
      </p>
    </AuthCard>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
