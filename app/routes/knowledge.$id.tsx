/**
 * /knowledge/:id — one article. Admins and marketers edit its title and Markdown beside a live
 * preview, publish or unpublish it and delete it (after a confirmation); every other signed-in
 * role reads it. Edits carry the version the page showed: when someone else saved first, the
 * page shows their version and keeps the unsaved text below it, so nothing typed is lost.
 */
import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, type ShouldRevalidateFunction } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Time } from "../components/inbox/time.js";
import { ArticleFields } from "../components/knowledge/article-editor.js";
import knowledgeStyles from "../components/knowledge/knowledge.css?url";
import { articleStatusLabels } from "../components/knowledge/labels.js";
import { ErrorNotice, SavedNotice } from "../components/settings/notices.js";
import { fieldErrors, formValues } from "../forms.js";
import { access, isAllowed, knowledgeEditors } from "../roles.js";
import { attempt, Knowledge, run } from "../runtime.server.js";
import { redirectWithNotice, requireUser, takeNotice } from "../session.server.js";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: knowledgeStyles }];
export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [
  { title: `${loaded?.article.title ?? "Article"} · Knowledge base · Parley` },
];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.knowledge);
  const article = await run(context, Effect.flatMap(Knowledge, (k) => k.get(user, params.id ?? "")));
  const { notice, headers } = await takeNotice(request, context);
  return data({ article, canEdit: isAllowed(user.role, knowledgeEditors), now: Date.now(), notice }, { headers });
}

const intents = ["save", "publish", "unpublish", "delete"] as const;
type Intent = (typeof intents)[number];

const done: Record<Intent, string> = {
  save: "The article is saved.",
  publish: "The article is published: visitors find it in the help center.",
  unpublish: "The article is unpublished: only the team sees it now.",
  delete: "",
};

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, knowledgeEditors);
  const id = params.id ?? "";
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "") as Intent;
  const values = formValues(form, ["title", "body", "version"]);
  if (!intents.includes(intent)) {
    return data(
      { intent, errors: { form: `unknown intent “${intent}”: expected ${intents.join(", ")}` } as Record<string, string>, values, conflict: false, message: null },
      { status: 400 },
    );
  }
  const result = await attempt(
    context,
    Effect.gen(function* () {
      const knowledge = yield* Knowledge;
      if (intent === "delete") return yield* knowledge.remove(user, id);
      if (intent === "unpublish") return yield* knowledge.setStatus(user, id, { status: "draft", version: values.version });
      // Publishing publishes what is on the screen: the edits are saved first.
      const saved = yield* knowledge.update(user, id, values);
      if (intent === "publish") yield* knowledge.setStatus(user, id, { status: "published", version: saved.version });
    }),
  );
  if (!result.ok) {
    const errors = fieldErrors(result.error);
    return data({ intent, errors, values, conflict: result.status === 409, message: null }, { status: result.status });
  }
  if (intent === "delete") return redirectWithNotice(request, context, "/knowledge", "The article is deleted.");
  return { intent, errors: {} as Record<string, string>, values: null, conflict: false, message: done[intent] };
}

/**
 * A refused action does not re-read the loader by default. After a conflict the page must show the
 * article as someone else saved it (and its new version, or every later save is refused too), and
 * after someone deleted it the page says it is gone instead of keeping a dead editor.
 */
export const shouldRevalidate: ShouldRevalidateFunction = ({ actionStatus, defaultShouldRevalidate }) =>
  actionStatus === 409 || actionStatus === 404 ? true : defaultShouldRevalidate;

export default function ArticlePage() {
  const { article, canEdit, now, notice } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors: Record<string, string> = result?.errors ?? {};
  // A conflict (409) reloads the article as it is now; the text the person had typed is kept below.
  const conflicted = result?.conflict && result.values ? result.values : null;
  const values = result?.values && !conflicted ? result.values : null;
  const published = article.status === "published";
  const helpPath = `/help/articles/${encodeURIComponent(article.id)}`;
  return (
    <>
      <header className="page-header">
        <p>
          <Link to="/knowledge">Knowledge base</Link>
        </p>
        <h1>{article.title}</h1>
        <p className="lead">
          <span className={`badge status--${article.status}`}>{articleStatusLabels[article.status]}</span>{" "}
          Last changed <Time at={article.updatedAt} now={now} style="full" />
          {article.updatedByName ? ` by ${article.updatedByName}` : ""}.{" "}
          {published ? (
            <a href={helpPath} target="_blank" rel="noopener">
              View in help center
            </a>
          ) : (
            <span className="muted">Visitors cannot see drafts.</span>
          )}
        </p>
      </header>
      <SavedNotice show={Boolean(result?.message) || notice !== null}>{result?.message ?? notice}</SavedNotice>
      {/* Keyed by version: after a save (or someone else's) the fields show the article as stored. */}
      <Form method="post" className="card" key={`${article.version}-${conflicted ? "conflict" : "ok"}`}>
        <CsrfInput />
        <input type="hidden" name="version" value={article.version} />
        <ErrorNotice message={errors.form ?? errors.version} />
        <ArticleFields title={values?.title ?? article.title} body={values?.body ?? article.body} errors={errors} readOnly={!canEdit} />
        {canEdit ? (
          <div className="article-actions">
            <button type="submit" name="intent" value="save" className="button" disabled={busy}>
              Save
            </button>
            {published ? (
              <button type="submit" name="intent" value="unpublish" className="button button--secondary" disabled={busy}>
                Unpublish
              </button>
            ) : (
              <button type="submit" name="intent" value="publish" className="button button--secondary" disabled={busy}>
                Save and publish
              </button>
            )}
            {published ? <span className="muted">Saved changes are live at once.</span> : null}
          </div>
        ) : null}
      </Form>
      {conflicted ? (
        <section className="card" aria-labelledby="unsaved-title">
          <h2 id="unsaved-title">Your unsaved text</h2>
          <p className="muted">Copy what you need into the article above, then save again.</p>
          <label className="visually-hidden" htmlFor="unsaved-body">
            Your unsaved text
          </label>
          <textarea id="unsaved-body" readOnly rows={8} defaultValue={`${conflicted.title ?? ""}\n\n${conflicted.body ?? ""}`} />
        </section>
      ) : null}
      {canEdit ? (
        <section className="card" aria-labelledby="delete-title">
          <h2 id="delete-title">Delete</h2>
          <details className="article-delete">
            <summary>Delete this article…</summary>
            <Form method="post">
              <CsrfInput />
              <p>It disappears from the help center and from the bots’ answers. This cannot be undone.</p>
              <button type="submit" name="intent" value="delete" className="button button--danger" disabled={busy}>
                Yes, delete “{article.title}”
              </button>
            </Form>
          </details>
        </section>
      ) : null}
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
