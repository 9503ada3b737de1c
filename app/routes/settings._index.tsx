import { redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link } from "@remix-run/react";
import { RouteErrorBoundary } from "../components/error-page.js";
import { everyone } from "../roles.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Settings · Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, everyone);
  // Only admins have workspace settings; everyone else has just their profile.
  if (user.role !== "admin") throw redirect("/settings/profile");
  return null;
}

export default function SettingsIndex() {
  return (
    <>
      <header className="page-header">
        <h1>Settings</h1>
        <p className="lead">Set up the workspace: who works in it, where conversations arrive and how they are routed.</p>
      </header>
      <div className="tiles">
        <Link to="/settings/users" className="card tile">
          <h2>Users</h2>
          <p>Create accounts for admins, marketers, agents and analysts.</p>
        </Link>
        <Link to="/settings/inboxes" className="card tile">
          <h2>Inboxes</h2>
          <p>Where conversations arrive, who works in each, and a fallback email address.</p>
        </Link>
        <Link to="/settings/teams" className="card tile">
          <h2>Teams</h2>
          <p>Groups of agents that handoffs and routing can send conversations to.</p>
        </Link>
        <Link to="/settings/routing" className="card tile">
          <h2>Routing</h2>
          <p>Manual or round-robin among available agents, a cap per agent, and the queue.</p>
        </Link>
        <Link to="/settings/email-filters" className="card tile">
          <h2>Email filters</h2>
          <p>Senders and domains whose email never opens a conversation.</p>
        </Link>
        <Link to="/settings/automation" className="card tile">
          <h2>Automation</h2>
          <p>Rules that label, assign, close, snooze or comment on conversations when things happen.</p>
        </Link>
        <Link to="/settings/webhooks" className="card tile">
          <h2>Webhooks</h2>
          <p>Tell your CRM, Slack, n8n or Zapier when conversations, contacts and tickets change.</p>
        </Link>
        <Link to="/settings/profile" className="card tile">
          <h2>Your profile</h2>
          <p>The name, avatar and meeting link visitors see, and your availability.</p>
        </Link>
      </div>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
