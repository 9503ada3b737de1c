/**
 * /knowledge/new (admins and marketers) — a new article, saved as a draft; the editor page
 * then publishes it.
 */
import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { ArticleFields } from "../components/knowledge/article-editor.js";
import knowledgeStyles from "../components/knowledge/knowledge.css?url";
import { ErrorNotice, SubmitActions } from "../components/settings/notices.js";
import { fieldErrors, formValues } from "../forms.js";
import { knowledgeEditors } from "../roles.js";
import { attempt, Knowledge } from "../runtime.server.js";
import { redirectWithNotice, requireUser } from "../session.server.js";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: knowledgeStyles }];
export const meta: MetaFunction = () => [{ title: "New article · Knowledge base · Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, knowledgeEditors);
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, knowledgeEditors);
  const values = formValues(await request.formData(), ["title", "body"]);
  const result = await attempt(context, Effect.flatMap(Knowledge, (k) => k.create(user, values)));
  if (!result.ok) return data({ errors: fieldErrors(result.error), values }, { status: result.status });
  return redirectWithNotice(request, context, `/knowledge/${encodeURIComponent(result.value.id)}`, "The draft is saved. Publish it when it is ready.");
}

export default function NewArticle() {
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors: Record<string, string> = result?.errors ?? {};
  return (
    <>
      <header className="page-header">
        <p>
          <Link to="/knowledge">Knowledge base</Link>
        </p>
        <h1>New article</h1>
        <p className="lead">It is saved as a draft: only the team sees it until you publish it.</p>
      </header>
      <Form method="post" className="card">
        <CsrfInput />
        <ErrorNotice message={errors.form} />
        <ArticleFields title={result?.values.title ?? ""} body={result?.values.body ?? ""} errors={errors} />
        <SubmitActions busy={busy} label="Save draft" />
      </Form>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
