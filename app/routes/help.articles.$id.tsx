/**
 * /help/articles/:id — one published article, rendered from its Markdown on the server (the
 * same renderArticleHtml as the editor's preview). Drafts and unknown ids are 404 alike. Public.
 */
import { data, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Effect } from "effect";
import { ArticleBody } from "../components/knowledge/article-body.js";
import { helpCacheHeaders } from "../components/knowledge/help-cache.server.js";
import { HelpError } from "../components/knowledge/help-error.js";
import { Knowledge, renderArticleHtml, run } from "../runtime.server.js";

/** The day an article changed, as the app writes dates ("Nov 26, 2026"); UTC, so the cached page is the same for everyone. */
const articleDate = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" });

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => {
  const article = loaded?.article;
  return article
    ? [
        { title: `${article.title} · Help center` },
        { name: "description", content: article.excerpt },
      ]
    : [{ title: "Not found · Help center" }];
};

export const headers: HeadersFunction = ({ loaderHeaders }) => loaderHeaders;

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const article = await run(context, Effect.flatMap(Knowledge, (knowledge) => knowledge.getPublished(params.id ?? "")));
  return data(
    { article: { id: article.id, title: article.title, excerpt: article.excerpt, html: renderArticleHtml(article.body), updatedAt: article.updatedAt } },
    { headers: await helpCacheHeaders(request, context) },
  );
}

export default function HelpArticle() {
  const { article } = useLoaderData<typeof loader>();
  return (
    <article className="help-article" aria-labelledby="article-title">
      <p>
        <Link to="/help">All articles</Link>
      </p>
      <h1 id="article-title">{article.title}</h1>
      <ArticleBody html={article.html} />
      <p className="muted">
        Updated <time dateTime={new Date(article.updatedAt).toISOString()}>{articleDate.format(article.updatedAt)}</time>
      </p>
    </article>
  );
}

export function ErrorBoundary() {
  return <HelpError />;
}
