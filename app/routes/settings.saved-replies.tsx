/**
 * /settings/saved-replies (admins) — the team's canned answers. Agents insert one in the inbox
 * composer by typing "/" and its shortcut.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field } from "../components/field.js";
import { listAction } from "../components/settings/list-action.server.js";
import { ErrorNotice, SaveDeleteActions, SavedNotice } from "../components/settings/notices.js";
import { AddItemCard } from "../components/settings/page-parts.js";
import { access } from "../roles.js";
import { run, SavedReplies } from "../runtime.server.js";
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
  const actions = {
    create: (values: Record<string, string>) => Effect.flatMap(SavedReplies, (s) => s.create(user, values)),
    update: (id: string, values: Record<string, string>) => Effect.flatMap(SavedReplies, (s) => s.update(user, id, values)),
    remove: (id: string) => Effect.flatMap(SavedReplies, (s) => s.remove(user, id)),
  };
  // A taken shortcut is about the shortcut field.
  return listAction(context, await request.formData(), fields, actions, "shortcut");
}

function ReplyFields({ prefix, values, errors }: { prefix: string; values: Readonly<Record<string, string>>; errors: Readonly<Record<string, string>> }) {
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
                <SaveDeleteActions busy={busy} />
              </Form>
            </details>
          );
        })}
      </section>
      <AddItemCard titleId="new-reply-title" title="Add a saved reply" result={result} count={replies.length} busy={busy} submitLabel="Add saved reply">
        {(values, errors) => <ReplyFields prefix="new" values={values} errors={errors} />}
      </AddItemCard>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
