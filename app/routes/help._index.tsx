/**
 * /help — the help center's front page (published articles by title) and its search results
 * (?q=…: the same search as the bots' knowledge step, best match first). Public.
 */
import { data, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Effect } from "effect";
import { helpCacheHeaders } from "../components/knowledge/help-cache.server.js";
import { HelpError } from "../components/knowledge/help-error.js";
import { Knowledge, run } from "../runtime.server.js";

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [
  { title: loaded?.query ? `“${loaded.query}” · Help center` : "Help center" },
  { name: "description", content: "Answers to common questions: search the help center or browse its articles." },
];

export const headers: HeadersFunction = ({ loaderHeaders }) => loaderHeaders;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const query = new URL(request.url).searchParams.get("q")?.trim() ?? "";
  const articles = await run(
    context,
    Effect.flatMap(Knowledge, (knowledge) =>
      query === ""
        ? Effect.map(knowledge.listPublished(), (list) => list.map((a) => ({ id: a.id, title: a.title, excerpt: a.excerpt })))
        : Effect.map(knowledge.search({ q: query }), (hits) => hits.map((h) => ({ id: h.id, title: h.title, excerpt: h.excerpt }))),
    ),
  );
  return data({ query, articles }, { headers: await helpCacheHeaders(request, context) });
}

export default function HelpIndex() {
  const { query, articles } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>{query ? `Results for “${query}”` : "How can we help?"}</h1>
      {articles.length === 0 ? (
        <p className="muted">
          {query ? (
            <>
              No article answers that yet. Try other words, or <Link to="/help">browse all articles</Link>.
            </>
          ) : (
            "No articles yet."
          )}
        </p>
      ) : (
        <ul className="help-list" aria-label={query ? "Search results" : "Articles"}>
          {articles.map((article) => (
            <li key={article.id}>
              <Link to={`/help/articles/${encodeURIComponent(article.id)}`}>{article.title}</Link>
              {article.excerpt ? <p>{article.excerpt}</p> : null}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

export function ErrorBoundary() {
  return <HelpError />;
}
