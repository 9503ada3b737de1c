/**
 * /knowledge — the knowledge base's articles, newest change first (best match first when
 * searching), by status. Every signed-in role reads it; admins and marketers also write
 * ("New article"). A GET form: every filter is a shareable URL and works without JavaScript.
 */
import { data, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { Effect } from "effect";
import { RouteErrorBoundary } from "../components/error-page.js";
import { FilterTabs } from "../components/filter-tabs.js";
import inboxStyles from "../components/inbox/inbox.css?url";
import { Time } from "../components/inbox/time.js";
import knowledgeStyles from "../components/knowledge/knowledge.css?url";
import { articleStatusLabels } from "../components/knowledge/labels.js";
import { SavedNotice } from "../components/settings/notices.js";
import { listFilter, listHref } from "../list-query.js";
import { access, isAllowed, knowledgeEditors } from "../roles.js";
import { Knowledge, run } from "../runtime.server.js";
import { requireUser, takeNotice } from "../session.server.js";

// The status tabs and the search row are the tickets list's (inbox.css).
export const links: LinksFunction = () => [
  { rel: "stylesheet", href: inboxStyles },
  { rel: "stylesheet", href: knowledgeStyles },
];
export const meta: MetaFunction = () => [{ title: "Knowledge base · Parley" }];

const KEYS = ["q", "status", "page"] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.knowledge);
  const filter = listFilter(new URL(request.url).searchParams, KEYS);
  const list = await run(context, Effect.flatMap(Knowledge, (k) => k.list(user, filter)));
  const { notice, headers } = await takeNotice(request, context);
  return data({ list, filter, canEdit: isAllowed(user.role, knowledgeEditors), now: Date.now(), notice }, { headers });
}

const searchOf = (filter: Readonly<Record<string, string>>, changes: Record<string, string | undefined>) =>
  listHref(filter, KEYS, changes, { page: "page", bare: "/knowledge" });

export default function KnowledgePage() {
  const { list, filter, canEdit, now, notice } = useLoaderData<typeof loader>();
  const status = filter.status ?? "";
  const tabs = [
    { value: "", label: "All", count: list.counts.draft + list.counts.published },
    { value: "published", label: articleStatusLabels.published, count: list.counts.published },
    { value: "draft", label: articleStatusLabels.draft, count: list.counts.draft },
  ].map((tab) => ({ ...tab, to: searchOf(filter, { status: tab.value }) }));
  return (
    <>
      <header className="page-header">
        <h1>Knowledge base</h1>
        <p className="lead">
          Help articles for your visitors. Published ones appear in the <a href="/help">help center</a>, and a chatflow’s
          knowledge step answers questions with them.
        </p>
        {canEdit ? (
          <Link to="/knowledge/new" className="button">
            New article
          </Link>
        ) : null}
      </header>
      <SavedNotice show={notice !== null}>{notice}</SavedNotice>
      <FilterTabs label="Article status" tabs={tabs} current={status} />
      <Form method="get" className="ticket-filters" role="search" aria-label="Search articles">
        {status !== "" ? <input type="hidden" name="status" value={status} /> : null}
        <div className="field">
          <label htmlFor="knowledge-search">Search</label>
          <input id="knowledge-search" type="search" name="q" defaultValue={filter.q ?? ""} placeholder="Words in a title or article" />
        </div>
        <button type="submit" className="button button--secondary">
          Search
        </button>
      </Form>
      <section className="card" aria-label="Articles">
        {list.articles.length === 0 ? (
          <p className="muted">
            {filter.q ? "No article matches this search." : canEdit ? "No articles yet. Write the first one." : "No articles yet."}
          </p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Status</th>
                <th scope="col">Last change</th>
              </tr>
            </thead>
            <tbody>
              {list.articles.map((article) => (
                <tr key={article.id}>
                  <td>
                    <Link to={`/knowledge/${encodeURIComponent(article.id)}`}>{article.title}</Link>
                  </td>
                  <td>
                    <span className={`badge status--${article.status}`}>{articleStatusLabels[article.status]}</span>
                  </td>
                  <td>
                    <Time at={article.updatedAt} now={now} style="full" />
                    {article.updatedByName ? <span className="muted"> by {article.updatedByName}</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {list.page > 1 || list.hasMore ? (
          <p className="article-actions">
            {list.page > 1 ? <Link to={searchOf(filter, { page: String(list.page - 1) })}>Previous page</Link> : null}
            {list.hasMore ? <Link to={searchOf(filter, { page: String(list.page + 1) })}>Next page</Link> : null}
          </p>
        ) : null}
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
