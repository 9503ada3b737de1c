/**
 * /help — the public help center's frame: no sign-in and no app shell, a search box on every
 * page. Its pages list, search and show the knowledge base's published articles.
 */
import type { LinksFunction } from "@remix-run/node";
import { Form, Link, Outlet, useSearchParams } from "@remix-run/react";
import { HelpError } from "../components/knowledge/help-error.js";
import knowledgeStyles from "../components/knowledge/knowledge.css?url";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: knowledgeStyles }];

/** Visitors see the help center alone, signed in or not. */
export const handle = { bare: true };

function HelpFrame({ children }: { children: React.ReactNode }) {
  const [search] = useSearchParams();
  return (
    <div className="help-center">
      <header className="help-center__header">
        <div className="help-center__inner">
          <Link to="/help" className="help-center__brand">
            Help center
          </Link>
          <Form method="get" action="/help" role="search" aria-label="Search the help center" className="help-center__search">
            <label className="visually-hidden" htmlFor="help-search">
              Search the help center
            </label>
            <input id="help-search" type="search" name="q" defaultValue={search.get("q") ?? ""} placeholder="Ask a question, e.g. how do I reset my password?" maxLength={200} />
            <button type="submit" className="button">
              Search
            </button>
          </Form>
        </div>
      </header>
      <main id="main" className="help-center__main">
        <div className="help-center__inner">{children}</div>
      </main>
      <footer className="help-center__footer">Powered by Parley</footer>
    </div>
  );
}

export default function HelpCenter() {
  return (
    <HelpFrame>
      <Outlet />
    </HelpFrame>
  );
}

export function ErrorBoundary() {
  return (
    <HelpFrame>
      <HelpError />
    </HelpFrame>
  );
}
