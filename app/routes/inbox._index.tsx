import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { RouteErrorBoundary } from "../components/error-page.js";
import { access } from "../roles.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Inbox · Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.inbox);
  return null;
}

export default function InboxPage() {
  return (
    <>
      <header className="page-header">
        <h1>Inbox</h1>
        <p className="lead">Every conversation from every channel, in one shared inbox.</p>
      </header>
      <section className="card placeholder" aria-label="What will be here">
        <h2>What will be here</h2>
        <ul>
          <li>Conversations waiting for a reply, filtered by inbox, team, assignee and status.</li>
          <li>The thread with replies and internal comments, reassignment and closing.</li>
          <li>A sidebar with the contact’s properties, tickets and earlier conversations.</li>
        </ul>
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
