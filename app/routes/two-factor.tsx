/**
 * /two-factor — where a signed-in user is sent when the workspace requires two-factor sign-in
 * and they have not set it up: every other page (but logging out) leads here until they have.
 * The same section as on Your profile; once it is on, they save their recovery codes and go on.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { RouteErrorBoundary } from "../components/error-page.js";
import { TwoFactorSection } from "../components/settings/two-factor.js";
import { isTwoFactorIntent, loadTwoFactor, twoFactorAction } from "../components/settings/two-factor.server.js";
import { everyone, homeFor } from "../roles.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Set up two-factor authentication · Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user, twoFactorSetupDue } = await requireUser(request, context, everyone, { twoFactorSetup: true });
  return { twoFactor: await loadTwoFactor(context, user), due: twoFactorSetupDue, home: homeFor(user.role) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, everyone, { twoFactorSetup: true });
  const form = await request.formData();
  const intent = form.get("intent");
  if (!isTwoFactorIntent(intent)) throw new Response("Unknown form", { status: 400 });
  return twoFactorAction(context, user, intent, form);
}

export default function TwoFactorSetup() {
  const { twoFactor, due, home } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  return (
    <>
      <header className="page-header">
        <h1>Set up two-factor authentication</h1>
        <p className="lead">
          {due
            ? "Your workspace requires two-factor authentication. Set it up to continue: it takes a minute with an authenticator app on your phone."
            : "Signing in will ask for a code from an authenticator app on your phone as well as your password."}
        </p>
      </header>
      <TwoFactorSection view={twoFactor} />
      {twoFactor.enabled ? (
        <p>
          <Link to={home} className="button">
            {answer?.recoveryCodes ? "I have saved my recovery codes: continue" : "Continue to Parley"}
          </Link>
        </p>
      ) : null}
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
