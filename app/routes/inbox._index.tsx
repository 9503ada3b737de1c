import { redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { RouteErrorBoundary } from "../components/error-page.js";
import { access } from "../roles.js";
import { requireUser } from "../session.server.js";

/** /inbox with no conversation open; `?conversation=<id>` (links from elsewhere) opens that thread. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.inbox);
  const url = new URL(request.url);
  const id = url.searchParams.get("conversation");
  if (id) {
    url.searchParams.delete("conversation");
    const rest = url.searchParams.toString();
    throw redirect(`/inbox/${encodeURIComponent(id)}${rest ? `?${rest}` : ""}`);
  }
  return null;
}

export default function NoConversationOpen() {
  return (
    <section className="thread thread--empty" aria-label="No conversation open">
      <div className="thread__placeholder">
        <h2>Pick a conversation</h2>
        <p className="muted">
          Choose one from the list, or press <kbd>j</kbd> / <kbd>k</kbd> to move through it and <kbd>/</kbd> to search.
        </p>
        <p className="muted">New conversations, messages and assignments appear here as they happen.</p>
      </div>
    </section>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
