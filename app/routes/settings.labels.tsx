/**
 * /settings/labels (admins) — the labels agents put on conversations (Billing, Bug, VIP): a
 * name, a colour of the palette and a description. Deleting one takes it off every
 * conversation (after a confirmation); nothing else goes.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field } from "../components/field.js";
import { colorNames, LabelChip } from "../components/inbox/label-chips.js";
import { listAction } from "../components/settings/list-action.server.js";
import { ErrorNotice, SavedNotice } from "../components/settings/notices.js";
import { AddItemCard, DeleteItem } from "../components/settings/page-parts.js";
import { access } from "../roles.js";
import { labelColors, Labels, MAX_LABEL_DESCRIPTION, MAX_LABEL_NAME, run } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Labels · Settings · Parley" }];

const fields = ["name", "color", "description"] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.settings);
  const labels = await run(context, Effect.flatMap(Labels, (l) => l.list(user)));
  // The palette and limits the service holds to, for the form (runtime values stay on the server).
  return { labels, palette: labelColors, limits: { name: MAX_LABEL_NAME, description: MAX_LABEL_DESCRIPTION } };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.settings);
  const actions = {
    create: (values: Record<string, string>) => Effect.flatMap(Labels, (l) => l.create(user, values)),
    update: (id: string, values: Record<string, string>) => Effect.flatMap(Labels, (l) => l.update(user, id, values)),
    remove: (id: string) => Effect.flatMap(Labels, (l) => l.remove(user, id)),
  };
  // A taken name is about the name field.
  return listAction(context, await request.formData(), fields, actions, "name");
}

function LabelFields({ prefix, values, errors }: { prefix: string; values: Readonly<Record<string, string>>; errors: Readonly<Record<string, string>> }) {
  const { palette, limits } = useLoaderData<typeof loader>();
  return (
    <>
      <Field id={`${prefix}-name`} label="Name" error={errors.name} hint={`Up to ${limits.name} characters, e.g. Billing`}>
        {(props) => <input {...props} name="name" defaultValue={values.name ?? ""} autoComplete="off" maxLength={limits.name} required />}
      </Field>
      <Field id={`${prefix}-color`} label="Colour" error={errors.color}>
        {(props) => (
          <select {...props} name="color" defaultValue={values.color ?? "gray"}>
            {palette.map((c) => (
              <option key={c} value={c}>
                {colorNames[c]}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field id={`${prefix}-description`} label="Description (optional)" error={errors.description} hint="When to use it, for the team">
        {(props) => <input {...props} name="description" defaultValue={values.description ?? ""} autoComplete="off" maxLength={limits.description} />}
      </Field>
    </>
  );
}

const conversations = (n: number) => `${n} conversation${n === 1 ? "" : "s"}`;

export default function LabelsSettings() {
  const { labels } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  return (
    <>
      <header className="page-header">
        <h1>Labels</h1>
        <p className="lead">
          Tags the team puts on conversations, like Billing or VIP. Agents add them in the inbox and filter the list by them; a chatflow's handoff step can
          add them too.
        </p>
      </header>
      <SavedNotice show={result?.saved === true}>
        {result?.intent === "delete" ? "The label is deleted." : result?.intent === "create" ? "The label is added." : "The label is saved."}
      </SavedNotice>
      <section className="card" aria-labelledby="labels-title">
        <h2 id="labels-title">Labels ({labels.length})</h2>
        {labels.length === 0 ? <p className="muted">None yet. Add the first one below.</p> : null}
        {labels.map((label) => {
          const mine = result?.id === label.id && !result.saved;
          const errors: Record<string, string> = mine ? result.errors : {};
          const values: Record<string, string> = mine && result.values ? result.values : { name: label.name, color: label.color, description: label.description ?? "" };
          return (
            <details key={label.id} className="saved-reply" open={mine}>
              <summary>
                <LabelChip label={label} />{" "}
                <span className="muted">
                  · {label.openCount} open
                  {label.description ? ` · ${label.description}` : ""}
                </span>
              </summary>
              {/* Not in the summary: a link inside it would be a control inside a control. */}
              <p>
                <Link to={`/inbox?view=all_open&label=${encodeURIComponent(label.id)}`}>
                  The open conversations labelled {label.name} ({label.openCount})
                </Link>
              </p>
              <Form method="post" className="form" aria-label={`Edit ${label.name}`}>
                <CsrfInput />
                <input type="hidden" name="id" value={label.id} />
                <ErrorNotice message={errors.form} />
                <LabelFields prefix={label.id} values={values} errors={errors} />
                <div className="form__actions">
                  <button type="submit" name="intent" value="update" className="button" disabled={busy}>
                    Save
                  </button>
                </div>
              </Form>
              <DeleteItem id={label.id} name={label.name} busy={busy}>
                <p>
                  It comes off {conversations(label.conversationCount)} ({label.openCount} open). The conversations stay as they are. This cannot be undone.
                </p>
              </DeleteItem>
            </details>
          );
        })}
      </section>
      <AddItemCard titleId="new-label-title" title="Add a label" result={result} count={labels.length} busy={busy} submitLabel="Add label">
        {(values, errors) => <LabelFields prefix="new" values={values} errors={errors} />}
      </AddItemCard>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
