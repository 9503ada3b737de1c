import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import {
  Form,
  Link,
  Links,
  Meta,
  NavLink,
  Outlet,
  Scripts,
  ScrollRestoration,
  useLoaderData,
  useMatches,
  useRouteLoaderData,
} from "@remix-run/react";
import { CsrfInput } from "./components/csrf-input.js";
import { RouteErrorBoundary } from "./components/error-page.js";
import { canOpen, navigation, roleLabels } from "./roles.js";
import { getSignedIn } from "./session.server.js";
import appStyles from "./styles/app.css?url";

export const links: LinksFunction = () => [
  { rel: "icon", href: "data:," },
  { rel: "stylesheet", href: appStyles },
];

export const meta: MetaFunction = () => [{ title: "Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const signedIn = await getSignedIn(request, context);
  if (!signedIn) return { user: null, csrfToken: null };
  const { user } = signedIn;
  return {
    user: { id: user.id, name: user.displayName ?? user.name, email: user.email, role: user.role, twoFactorSetupDue: signedIn.twoFactorSetupDue },
    csrfToken: signedIn.csrfToken,
  };
}

export function Layout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

function Shell({ children }: { children: React.ReactNode }) {
  const data = useRouteLoaderData<typeof loader>("root");
  const user = data?.user;
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand" aria-label="Parley — home">
          <span className="brand__mark" aria-hidden="true">
            P
          </span>
          Parley
        </Link>
        {user ? (
          <>
            {/* Someone who must set up two-factor sign-in first sees only that page and Log out. */}
            {user.twoFactorSetupDue ? null : <nav aria-label="Main" className="topnav">
              <ul>
                {navigation
                  .filter((item) => canOpen(user.role, item.area))
                  .map((item) => (
                    <li key={item.to}>
                      <NavLink to={item.to}>{item.label}</NavLink>
                    </li>
                  ))}
              </ul>
            </nav>}
            <div className="account">
              <Link to="/settings/profile" className="account__name" title="Your profile">
                <span>{user.name}</span>
                <span className="badge">{roleLabels[user.role]}</span>
              </Link>
              <Form method="post" action="/logout">
                <CsrfInput />
                <button type="submit" className="button button--secondary button--small">
                  Log out
                </button>
              </Form>
            </div>
          </>
        ) : null}
      </header>
      <main id="main" className="content">
        {children}
      </main>
    </div>
  );
}

export default function App() {
  const { user } = useLoaderData<typeof loader>();
  const matches = useMatches();
  // The login page has no navigation to show; the demo site is a customer's site, not Parley.
  const bare = matches.some((match) => (match.handle as { bare?: boolean } | undefined)?.bare === true);
  if (!user || bare) return <Outlet />;
  return (
    <Shell>
      <Outlet />
    </Shell>
  );
}

export function ErrorBoundary() {
  return (
    <Shell>
      <RouteErrorBoundary />
    </Shell>
  );
}
