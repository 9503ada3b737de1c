import { redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { RouteErrorBoundary } from "../components/error-page.js";
import { homeFor } from "../roles.js";
import { requireUser } from "../session.server.js";

/** "/" has no page of its own: each role starts in the first area it may open. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context);
  throw redirect(homeFor(user.role));
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
