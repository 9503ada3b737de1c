/**
 * /settings/saved-replies (admins) — the team's canned answers. Agents insert one in the inbox
 * composer by typing "/" and its shortcut.
 */
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field } from "../components/field.js";
import { ErrorNotice, SavedNotice, SubmitActions } from "../components/settings/notices.js";
import { fieldErrors, formValues } from "../forms.js";
import { access } from "../roles.js";
import { attempt, run, SavedReplies } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Saved replies · Settings · Parley" }];

const fields = ["shortcut", "title", "text"] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.settings);
  const replies = await run(context, Effect.flatMap(SavedReplies, (s) => s.list(user)));
  return { replies: replies.map((r) => ({ id: r.id, shortcut: r.shortcut, title: r.title, text: r.text })) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.settings);
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "");
  const id = String(form.get("id") ?? "");
  const values = formValues(form, fields);
  const result =
    intent === "create"
      ? await attempt(context, Effect.flatMap(SavedReplies, (s) => s.create(user, values)))
      : intent === "update"
        ? await attempt(context, Effect.flatMap(SavedReplies, (s) => s.update(user, id, values)))
        : intent === "delete"
          ? await attempt(context, Effect.flatMap(SavedReplies, (s) => s.remove(user, id)))
          : null;
  if (result === null) {
    return data({ intent, id, errors: { form: `unknown intent “${intent}”: expected create, update or delete` }, values, saved: false }, { status: 400 });
  }
  if (!result.ok) {
    const errors = fieldErrors(result.error);
    // A taken shortcut is about the shortcut field.
    if (result.cause._tag === "Conflict") {
      errors.shortcut = result.error.message;
      delete errors.form;
    }
    return data({ intent, id, errors, values, saved: false }, { status: result.status });
  }
  return { intent, id, errors: {} as Record<string, string>, values: null, saved: true };
}

function ReplyFields({ prefix, values, errors }: { prefix: string; values: Record<string, string>; errors: Record<string, string> }) {
  return (
    <>
      <Field id={`${prefix}-shortcut`} label="Shortcut" error={errors.shortcut} hint="Typed as /shortcut in the composer, e.g. refund-policy">
        {(props) => <input {...props} name="shortcut" defaultValue={values.shortcut ?? ""} autoComplete="off" />}
      </Field>
      <Field id={`${prefix}-title`} label="Title" error={errors.title}>
        {(props) => <input {...props} name="title" defaultValue={values.title ?? ""} autoComplete="off" />}
      </Field>
      <Field id={`${prefix}-text`} label="Reply" error={errors.text}>
        {(props) => <textarea {...props} name="text" rows={4} defaultValue={values.text ?? ""} />}
      </Field>
    </>
  );
}

export default function SavedRepliesSettings() {
  const { replies } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const createErrors: Record<string, string> = result?.intent === "create" ? result.errors : {};
  const createValues: Record<string, string> = result?.intent === "create" && result.values ? result.values : {};
  return (
    <>
      <header className="page-header">
        <h1>Saved replies</h1>
        <p className="lead">Answers the team gives often. In the inbox, type “/” and a shortcut to insert one.</p>
      </header>
      <SavedNotice show={result?.saved === true}>
        {result?.intent === "delete" ? "The saved reply is deleted." : "The saved reply is saved."}
      </SavedNotice>
      <section className="card" aria-labelledby="replies-title">
        <h2 id="replies-title">Saved replies ({replies.length})</h2>
        {replies.length === 0 ? <p className="muted">None yet. Add the first one below.</p> : null}
        {replies.map((reply) => {
          const mine = result?.id === reply.id && !result.saved;
          const errors: Record<string, string> = mine ? result.errors : {};
          const values: Record<string, string> = mine && result.values ? result.values : reply;
          return (
            <details key={reply.id} className="saved-reply" open={mine}>
              <summary>
                <strong>/{reply.shortcut}</strong> — {reply.title}
              </summary>
              <Form method="post" className="form">
                <CsrfInput />
                <input type="hidden" name="id" value={reply.id} />
                <ErrorNotice message={errors.form} />
                <ReplyFields prefix={reply.id} values={values} errors={errors} />
                <div className="form__actions">
                  <button type="submit" name="intent" value="update" className="button" disabled={busy}>
                    Save
                  </button>{" "}
                  <button type="submit" name="intent" value="delete" className="button button--secondary" disabled={busy}>
                    Delete
                  </button>
                </div>
              </Form>
            </details>
          );
        })}
      </section>
      <section className="card" aria-labelledby="new-reply-title">
        <h2 id="new-reply-title">Add a saved reply</h2>
        <ErrorNotice message={createErrors.form} />
        <Form method="post" className="form" key={result?.intent === "create" && result.saved ? `saved-${replies.length}` : "new"}>
          <CsrfInput />
          <input type="hidden" name="intent" value="create" />
          <ReplyFields prefix="new" values={createValues} errors={createErrors} />
          <SubmitActions busy={busy} label="Add saved reply" busyLabel="Add saved reply" />
        </Form>
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
