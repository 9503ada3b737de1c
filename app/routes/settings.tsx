import type { LoaderFunctionArgs } from "@remix-run/node";
import { NavLink, Outlet, useLoaderData } from "@remix-run/react";
import { RouteErrorBoundary } from "../components/error-page.js";
import { canOpen, everyone, type Area } from "../roles.js";
import { requireUser } from "../session.server.js";

/** Settings sections, and who may open them (admins always; `area`: whoever may open that area). */
const sections: ReadonlyArray<{ readonly to: string; readonly label: string; readonly adminOnly: boolean; readonly area?: Area }> = [
  { to: "/settings/users", label: "Users", adminOnly: true },
  { to: "/settings/inboxes", label: "Inboxes", adminOnly: true },
  { to: "/settings/channels", label: "Channels", adminOnly: true },
  { to: "/settings/teams", label: "Teams", adminOnly: true },
  { to: "/settings/routing", label: "Routing", adminOnly: true },
  { to: "/settings/email-filters", label: "Email filters", adminOnly: true },
  { to: "/settings/saved-replies", label: "Saved replies", adminOnly: true },
  // Agents keep their own macros here too.
  { to: "/settings/macros", label: "Macros", adminOnly: false, area: "inbox" },
  { to: "/settings/labels", label: "Labels", adminOnly: true },
  { to: "/settings/automation", label: "Automation", adminOnly: true },
  { to: "/settings/webhooks", label: "Webhooks", adminOnly: true },
  { to: "/settings/audit", label: "Audit log", adminOnly: true },
  { to: "/settings/profile", label: "Your profile", adminOnly: false },
]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, everyone);
  return { role: user.role };
}

export default function SettingsLayout() {
  const { role } = useLoaderData<typeof loader>();
  return (
    <div className="with-sidebar">
      <nav aria-label="Settings" className="sidenav">
        <ul>
          {sections
            .filter((section) => role === "admin" || (!section.adminOnly && (section.area === undefined || canOpen(role, section.area))))
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
