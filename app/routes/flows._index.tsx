import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { RouteErrorBoundary } from "../components/error-page.js";
import { access } from "../roles.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Flows · Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.flows);
  return null;
}

export default function FlowsPage() {
  return (
    <>
      <header className="page-header">
        <h1>Flows</h1>
        <p className="lead">Chatflows greet visitors on your website, answer their questions and hand them to your team.</p>
      </header>
      <section className="card placeholder" aria-label="What will be here">
        <h2>What will be here</h2>
        <ul>
          <li>The list of bot and live-chat chatflows, with their channel, status and last published version.</li>
          <li>The canvas editor: drag questions, messages, conditions, webhooks and handoffs into a flow.</li>
          <li>Targeting rules, display behaviour, availability and branding; preview and publish.</li>
        </ul>
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
