import type { LoaderFunctionArgs } from "@remix-run/node";
import { NavLink, Outlet, useLoaderData } from "@remix-run/react";
import { RouteErrorBoundary } from "../components/error-page.js";
import { everyone } from "../roles.js";
import { requireUser } from "../session.server.js";

/** Settings sections, and who may open them (admins always). */
const sections = [
  { to: "/settings/users", label: "Users", adminOnly: true },
  { to: "/settings/inboxes", label: "Inboxes", adminOnly: true },
  { to: "/settings/channels", label: "Channels", adminOnly: true },
  { to: "/settings/teams", label: "Teams", adminOnly: true },
  { to: "/settings/routing", label: "Routing", adminOnly: true },
  { to: "/settings/email-filters", label: "Email filters", adminOnly: true },
  { to: "/settings/saved-replies", label: "Saved replies", adminOnly: true },
  { to: "/settings/labels", label: "Labels", adminOnly: true },
  { to: "/settings/webhooks", label: "Webhooks", adminOnly: true },
  { to: "/settings/profile", label: "Your profile", adminOnly: false },
] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, everyone);
  return { isAdmin: user.role === "admin" };
}

export default function SettingsLayout() {
  const { isAdmin } = useLoaderData<typeof loader>();
  return (
    <div className="with-sidebar">
      <nav aria-label="Settings" className="sidenav">
        <ul>
          {sections
            .filter((section) => isAdmin || !section.adminOnly)
            .map((section) => (
              <li key={section.to}>
                <NavLink to={section.to}>{section.label}</NavLink>
              </li>
            ))}
        </ul>
      </nav>
      <div className="with-sidebar__main">
        <Outlet />
      </div>
    </div>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
