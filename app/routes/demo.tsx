import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, NavLink, Outlet, useLoaderData, useRouteLoaderData } from "@remix-run/react";
import { Effect } from "effect";
import { RouteErrorBoundary } from "../components/error-page.js";
import type { loader as rootLoader } from "../root.js";
import { ChannelDirectory, run } from "../runtime.server.js";
import demoStyles from "../styles/demo.css?url";

/**
 * /demo: a small marketing site of a made-up customer, public (no sign-in), that embeds Parley's
 * widget exactly as a customer would — one plain script tag — with the first chat channel. Its
 * pages (home, pricing, help, contact) show targeting at work with the seeded chatflows. Links
 * between its pages navigate client-side, so it is also a single-page site for the widget.
 */
export const links: LinksFunction = () => [{ rel: "stylesheet", href: demoStyles }];

export const meta: MetaFunction = () => [{ title: "Acme Rockets — a demo site with Parley’s chat widget" }];

export async function loader({ context }: LoaderFunctionArgs) {
  const channels = await run(context, Effect.flatMap(ChannelDirectory, (directory) => directory.list()));
  return { channelId: channels.find((channel) => channel.kind === "chat")?.id ?? null };
}

export default function DemoSite() {
  const { channelId } = useLoaderData<typeof loader>();
  // Signed-in people see the demo inside Parley's shell, which already has the page's <main>.
  const signedIn = Boolean(useRouteLoaderData<typeof rootLoader>("root")?.user);
  const Main = signedIn ? "div" : "main";
  return (
    <div className="demo-site">
      <header className="demo-site__header">
        <Link to="/demo" className="demo-site__logo">
          <span className="demo-site__mark" aria-hidden="true">A</span> Acme Rockets
        </Link>
        <nav aria-label="Acme Rockets">
          <NavLink to="/demo" end>
            Home
          </NavLink>
          <NavLink to="/demo/pricing">Pricing</NavLink>
          <NavLink to="/demo/help">Help</NavLink>
          <NavLink to="/demo/contact">Contact</NavLink>
        </nav>
      </header>
      <Main className="demo-site__main">
        {channelId ? null : (
          <p className="demo-site__note" role="alert">
            There is no chat channel yet, so no widget shows here. A first start of Parley creates one.
          </p>
        )}
        <Outlet />
      </Main>
      <footer className="demo-site__footer">
        <p>
          A demo customer site. The chat bubble is Parley’s widget, embedded with the snippet from Settings → Channels;
          which chatflow shows depends on the page (targeting and priority).
        </p>
        <p>
          <a href="/" className="demo-site__back">
            Back to Parley
          </a>
        </p>
      </footer>
      {/* The snippet, as a customer pastes it (Parley's own origin, so the path is relative). */}
      {channelId ? <script async src="/widget.js" data-parley-channel={channelId} /> : null}
    </div>
  );
}


export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
export const handle = { bare: true };
