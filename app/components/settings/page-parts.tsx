/**
 * Page-level pieces the settings pages share: a detail page's header with its way back, the card
 * that creates an inbox or a team, the per-inbox form cards of Routing and Email filters, and the
 * server-side turn of a taken name into a message under the name field, and a list item's
 * "Delete…" confirmation.
 */
import { Form, Link } from "@remix-run/react";
import type { ReactNode } from "react";
import { CsrfInput } from "../csrf-input.js";
import { Field } from "../field.js";
import { fieldErrors } from "../../forms.js";
import type { Attempt } from "../../runtime.server.js";
import { ErrorNotice, SavedNotice, SubmitActions } from "./notices.js";

/** A detail page's header: a link back to the list, the title, and a lead line. */
export function DetailHeader({ back, title, children }: { back: { to: string; label: string }; title: string; children: ReactNode }) {
  return (
    <header className="page-header">
      <p>
        <Link to={back.to}>← {back.label}</Link>
      </p>
      <h1>{title}</h1>
      <p className="lead">{children}</p>
    </header>
  );
}

/** Names joined by commas, or a muted word when there are none. */
export function NameList({ names, empty }: { names: ReadonlyArray<string>; empty: string }) {
  return names.length === 0 ? <span className="muted">{empty}</span> : <>{names.join(", ")}</>;
}

/** The card with a form that creates something (an inbox, a team): its fields are the children. */
export function CreateCard({
  id,
  title,
  error,
  busy,
  submitLabel,
  children,
}: {
  id: string;
  title: string;
  error: string | undefined;
  busy: boolean;
  submitLabel: string;
  children: ReactNode;
}) {
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      <ErrorNotice message={error} />
      <Form method="post" className="form form--grid" noValidate>
        <CsrfInput />
        {children}
        <SubmitActions busy={busy} label={submitLabel} busyLabel="Creating…" />
      </Form>
    </section>
  );
}

/** Says there is no inbox to configure yet, with the way to create one; nothing when there are some. */
export function NoInboxes({ count }: { count: number }) {
  return count === 0 ? (
    <p className="muted">
      No inboxes yet. <Link to="/settings/inboxes">Create one</Link>.
    </p>
  ) : null;
}

/**
 * One inbox's card on a page that edits every inbox in turn (Routing, Email filters): the form
 * posts `inboxId`, and `formKey` remounts it when the stored value changes, so its fields show
 * what was stored rather than what was typed.
 */
export function InboxFormCard({
  inbox,
  prefix,
  intro,
  saved,
  savedText,
  error,
  formKey,
  busy,
  submitLabel,
  children,
}: {
  inbox: { id: string; name: string };
  prefix: string;
  intro?: ReactNode;
  saved: boolean;
  savedText: string;
  error: string | undefined;
  formKey: string;
  busy: boolean;
  submitLabel: string;
  children: ReactNode;
}) {
  return (
    <section className="card" id={prefix} aria-labelledby={`${prefix}-title`}>
      <h2 id={`${prefix}-title`}>{inbox.name}</h2>
      {intro}
      <SavedNotice show={saved}>{savedText}</SavedNotice>
      <ErrorNotice message={error} />
      <Form method="post" className="form form--grid" noValidate key={formKey}>
        <CsrfInput />
        <input type="hidden" name="inboxId" value={inbox.id} />
        {children}
        <SubmitActions busy={busy} label={submitLabel} />
      </Form>
    </section>
  );
}

/**
 * Per-field messages of a failed save of something named (an inbox, a team): a Conflict means
 * the name is taken, so its message goes under the name field instead of above the form. Pure.
 */
export const nameConflictErrors = (failure: Extract<Attempt<unknown>, { ok: false }>): Record<string, string> => {
  const errors = fieldErrors(failure.error);
  if (failure.cause._tag === "Conflict") {
    errors.name = failure.error.message;
    delete errors.form;
  }
  return errors;
};

/** An inbox's name and fallback email fields, for creating an inbox and for editing its details. */
export function InboxFields({
  values,
  errors,
  nameHint,
  fallbackHint,
}: {
  values: Readonly<Record<string, string>>;
  errors: Readonly<Record<string, string>>;
  nameHint?: string;
  fallbackHint: string;
}) {
  return (
    <>
      <Field id="inbox-name" label="Name" error={errors.name} {...(nameHint ? { hint: nameHint } : {})}>
        {(props) => <input {...props} name="name" required autoComplete="off" defaultValue={values.name ?? ""} />}
      </Field>
      <Field id="inbox-fallback" label="Fallback email address" error={errors.fallbackEmail} hint={fallbackHint}>
        {(props) => <input {...props} name="fallbackEmail" type="email" autoComplete="off" defaultValue={values.fallbackEmail ?? ""} />}
      </Field>
    </>
  );
}

/** What `listAction` (list-action.server.ts) answers, as a page reads it. */
export interface ListActionResult {
  readonly intent: string;
  readonly id: string;
  readonly errors: Readonly<Record<string, string>>;
  readonly values: Readonly<Record<string, string>> | null;
  readonly saved: boolean;
}

/**
 * The card that adds an item to a settings list (a saved reply, a label): its fields with what
 * was sent and why it was refused, emptied again once the item is added.
 */
export function AddItemCard({
  titleId,
  title,
  result,
  count,
  busy,
  submitLabel,
  children,
}: {
  titleId: string;
  title: string;
  result: ListActionResult | undefined;
  /** How many items there are: a new key empties the form after an add. */
  count: number;
  busy: boolean;
  submitLabel: string;
  children: (values: Readonly<Record<string, string>>, errors: Readonly<Record<string, string>>) => ReactNode;
}) {
  const errors = result?.intent === "create" ? result.errors : {};
  const values = result?.intent === "create" && result.values ? result.values : {};
  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      <ErrorNotice message={errors.form} />
      <Form method="post" className="form" key={result?.intent === "create" && result.saved ? `saved-${count}` : "new"}>
        <CsrfInput />
        <input type="hidden" name="intent" value="create" />
        {children(values, errors)}
        <SubmitActions busy={busy} label={submitLabel} busyLabel={submitLabel} />
      </Form>
    </section>
  );
}

/**
 * A list item's "Delete <name>…" that opens to say what goes (`children`) and a button that posts
 * `intent=delete` with the item's `id`.
 */
export function DeleteItem({ id, name, busy, children }: { id: string; name: string; busy: boolean; children: ReactNode }) {
  return (
    <details className="article-delete">
      <summary>
        Delete<span className="visually-hidden"> {name}</span>…
      </summary>
      <Form method="post">
        <CsrfInput />
        <input type="hidden" name="id" value={id} />
        {children}
        <button type="submit" name="intent" value="delete" className="button button--danger" disabled={busy}>
          Yes, delete “{name}”
        </button>
      </Form>
    </details>
  );
}
