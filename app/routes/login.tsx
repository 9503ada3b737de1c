import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { AuthCard, SignInForm } from "../components/auth-card.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { homeFor } from "../roles.js";
import { Accounts, attempt } from "../runtime.server.js";
import {
  getSignedIn,
  issueLoginCsrf,
  loginCsrfMatches,
  pendingLoginCookieHeader,
  readLoginForm,
  safeRedirect,
  sessionCookieHeader,
  signInRefusal,
} from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Sign in · Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const redirectTo = new URL(request.url).searchParams.get("redirectTo");
  const signedIn = await getSignedIn(request, context);
  if (signedIn) throw redirect(safeRedirect(redirectTo, homeFor(signedIn.user.role)));
  const csrf = await issueLoginCsrf(request, context);
  return data({ csrf: csrf.token }, { headers: { "Set-Cookie": csrf.setCookie } });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readLoginForm(request);
  if (form === null) return data({ formError: "This sign-in form is too large to be one.", email: "" }, { status: 413 });
  const email = String(form.get("email") ?? "");
  const password = String(form.get("password") ?? "");
  // The login form has no session yet, so it is protected by a double-submit token instead.
  if (!(await loginCsrfMatches(request, context, form.get("csrf")))) {
    // The loader runs again after this answer (see shouldRevalidate) and sets a fresh token.
    return data({ formError: "This sign-in form has expired. Please sign in again.", email }, { status: 403 });
  }
  if (email.trim() === "" || password === "") {
    return data({ formError: "Enter your email and password.", email }, { status: 400 });
  }
  const result = await attempt(
    context,
    Effect.flatMap(Accounts, (accounts) =>
      accounts.login(email, password, context.clientIp).pipe(
        Effect.map((session) => ({ session, pendingUserId: null })),
        // The password was right; the code comes next, on its own page, without a session yet.
        Effect.catchTag("SecondFactorRequired", (pending) => Effect.succeed({ session: null, pendingUserId: pending.userId })),
      ),
    ),
  );
  if (!result.ok) {
    const refused = signInRefusal(result);
    return data({ formError: refused.message, email }, refused.init);
  }
  const { session, pendingUserId } = result.value;
  if (session === null) {
    const redirectTo = safeRedirect(form.get("redirectTo"), "");
    return redirect(`/login/two-factor${redirectTo === "" ? "" : `?redirectTo=${encodeURIComponent(redirectTo)}`}`, {
      headers: { "Set-Cookie": await pendingLoginCookieHeader(request, context, pendingUserId) },
    });
  }
  const to = safeRedirect(form.get("redirectTo"), homeFor(session.user.role));
  return redirect(to, { headers: { "Set-Cookie": await sessionCookieHeader(request, context, session.token) } });
}

/**
 * Remix skips loaders after a 4xx action by default; the login loader must run so a browser
 * whose token cookie went missing gets a new one and can try again.
 */
export const shouldRevalidate = () => true;

export default function Login() {
  const { csrf } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state !== "idle" && navigation.formAction?.startsWith("/login") === true;
  const error = actionData?.formError;
  return (
    <AuthCard titleId="login-title" title="Sign in">
      <SignInForm csrf={csrf} error={error} errorId="login-error">
        <div className="field">
          <label htmlFor="login-email">Email</label>
          <input
            id="login-email"
            name="email"
            type="email"
            autoComplete="username"
            required
            autoFocus
            defaultValue={actionData?.email ?? ""}
            aria-invalid={error ? true : undefined}
          />
        </div>
        <div className="field">
          <label htmlFor="login-password">Password</label>
          <input
            id="login-password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            aria-invalid={error ? true : undefined}
          />
        </div>
        <button type="submit" className="button button--block" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </SignInForm>
      <p className="hint">
        First start? The admin’s email and password were printed in the server log (or set with
        ADMIN_EMAIL and ADMIN_PASSWORD).
      </p>
    </AuthCard>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
