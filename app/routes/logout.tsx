import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { Effect } from "effect";
import { Accounts, run } from "../runtime.server.js";
import { clearSessionCookie, requireUser } from "../session.server.js";

/** Ends the session. POST only (with the CSRF token), so a link on another site cannot sign anyone out. */
export async function action({ request, context }: ActionFunctionArgs) {
  // Also for someone sent to set up two-factor sign-in first: they may always leave.
  const { token } = await requireUser(request, context, undefined, { twoFactorSetup: true });
  await run(context, Effect.flatMap(Accounts, (accounts) => accounts.logout(token)));
  return redirect("/login", { headers: { "Set-Cookie": await clearSessionCookie(request, context) } });
}

/** A GET of /logout does nothing but go home: signing out is a form post. */
export function loader() {
  return redirect("/");
}
