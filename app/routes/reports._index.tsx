import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { RouteErrorBoundary } from "../components/error-page.js";
import { access } from "../roles.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Reports · Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.reports);
  return null;
}

export default function ReportsPage() {
  return (
    <>
      <header className="page-header">
        <h1>Reports</h1>
        <p className="lead">How your bots and your team perform.</p>
      </header>
      <section className="card placeholder" aria-label="What will be here">
        <h2>What will be here</h2>
        <ul>
          <li>Conversations answered per agent, first response time and reply time.</li>
          <li>For each bot: started, completed, abandoned and handed-off conversations.</li>
          <li>Where visitors drop off in a flow, node by node.</li>
        </ul>
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
