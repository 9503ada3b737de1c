import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { useState } from "react";
import { CopyButton } from "../components/copy-button.js";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field } from "../components/field.js";
import { capitalise } from "../components/messages.js";
import { access } from "../roles.js";
import {
  attempt,
  errorResponse,
  FORM_MAX_FIELDS,
  FormChannel,
  formDraftErrors,
  formDraftFromConfig,
  formDraftFromEntries,
  formEditDraft,
  formFieldTypes,
  formInputFromDraft,
  formParseIntent,
  formPriorities,
  run,
  type FormDraft,
} from "../runtime.server.js";
import { requireUser } from "../session.server.js";

// No stylesheet of its own: a .css file beside a flat route module is taken for a second route
// with the same id, so the few layout rules here are inline and the rest is app.css.
const rowStyle = { border: "1px solid var(--border, #d0d7de)", borderRadius: "6px", padding: "0.75rem", margin: "0 0 0.75rem" } as const;
const rowGrid = { display: "grid", gridTemplateColumns: "repeat(auto-fit, minmax(11rem, 1fr))", gap: "0 0.75rem", alignItems: "start" } as const;
const rowActions = { display: "flex", flexWrap: "wrap", gap: "0.4rem", alignItems: "center" } as const;
const snippetStyle = { whiteSpace: "pre-wrap", wordBreak: "break-all", fontSize: "0.82rem", maxHeight: "22rem", overflow: "auto" } as const;
// The first submit button answers Enter in a text input: it must be Save, not a row's ↑.
const offscreen = { position: "absolute", left: "-10000px", width: "1px", height: "1px", overflow: "hidden" } as const;

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [{ title: `${loaded?.view.channelName ?? "Form channel"} · Channels · Settings · Parley` }];

const typeLabels: Record<string, string> = { text: "Text", email: "Email", phone: "Phone", textarea: "Long text", select: "Choice (select)" };
const priorityLabels: Record<string, string> = { low: "Low", normal: "Normal", high: "High", urgent: "Urgent" };

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  await requireUser(request, context, access.settings);
  const view = await run(context, Effect.flatMap(FormChannel, (f) => f.settings(params.id ?? "")));
  return { view, draft: formDraftFromConfig(view.config), types: formFieldTypes, priorities: formPriorities, maxFields: FORM_MAX_FIELDS };
}

type ActionResult =
  | { readonly saved: true }
  /** An unsaved draft: edited by a row button, or refused with its errors. */
  | { readonly saved: false; readonly draft: FormDraft; readonly errors: Record<string, string> };

export async function action({ request, context, params }: ActionFunctionArgs) {
  await requireUser(request, context, access.settings);
  const id = params.id ?? "";
  const form = await request.formData();
  const intent = formParseIntent(form.get("intent"));
  if (!intent) throw Response.json({ error: { code: "invalid_input", message: "intent: expected save, add, remove:<n>, up:<n> or down:<n>", path: "intent" } }, { status: 400 });
  const draft = formDraftFromEntries(form.entries());
  if (intent.kind !== "save") return data<ActionResult>({ saved: false, draft: formEditDraft(draft, intent), errors: {} });
  const result = await attempt(context, Effect.flatMap(FormChannel, (f) => f.saveSettings(id, formInputFromDraft(draft))));
  if (result.ok) return data<ActionResult>({ saved: true });
  if (result.cause._tag !== "InvalidInput") throw errorResponse(result.cause);
  return data<ActionResult>({ saved: false, draft, errors: formDraftErrors(result.cause.issues, draft) }, { status: result.status });
}

export default function FormChannelSettings() {
  const { view, draft: storedDraft, types, priorities, maxFields } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionResult | undefined;
  const navigation = useNavigation();
  const busyIntent = navigation.state === "submitting" ? navigation.formData?.get("intent") : null;
  const draft = result && !result.saved ? result.draft : storedDraft;
  const errors = result && !result.saved ? result.errors : {};
  const unsaved = result !== undefined && !result.saved;
  const path = `/settings/channels/form/${encodeURIComponent(view.channelId)}`;
  // While a row button's or Save's post is on its way, typing would be lost to the redraw: hold it.
  const pending = navigation.formData !== undefined && navigation.formAction === path;
  const keysOf = (type: string) => draft.fields.filter((f) => f.type === type && f.key.trim() !== "").map((f) => f.key.trim());
  const fieldErrors = Object.entries(errors).filter(([key]) => key === "fields" || /^fields\[\d+\]$/.test(key));

  return (
    <>
      <header className="page-header">
        <p className="muted">
          <Link to="/settings/channels">Channels</Link> / Form
        </p>
        <h1>{view.channelName}</h1>
        <p className="lead">
          A form on your site. Each submission opens a conversation and a ticket in the <strong>{view.inboxName}</strong> inbox, with
          the contact found or created by the form’s email field.
        </p>
      </header>

      <section className="card" aria-labelledby="form-settings-title">
        <h2 id="form-settings-title">Form</h2>
        {result?.saved && busyIntent !== "save" ? (
          <p className="notice notice--success" role="status">
            Saved. The endpoint and the snippets below use the new form now.
          </p>
        ) : null}
        {unsaved && Object.keys(errors).length === 0 ? (
          <p className="notice" role="status">
            Not saved yet: press Save to keep these changes.
          </p>
        ) : null}
        {Object.keys(errors).length > 0 ? (
          <p className="notice notice--error" role="alert">
            Nothing was saved: {errors.form ?? "please correct the fields marked below."}
          </p>
        ) : null}
        <Form method="post" action={path} className="form form--wide" noValidate key={JSON.stringify(draft)} preventScrollReset>
          <CsrfInput />
          <button type="submit" name="intent" value="save" style={offscreen} tabIndex={-1} aria-hidden="true">
            Save
          </button>
          <fieldset disabled={pending}>
            <legend>Fields</legend>
            {fieldErrors.map(([key, message]) => (
              <p key={key} className="field__error" role="alert">
                {capitalise(message)}
              </p>
            ))}
            {draft.fields.map((field, i) => (
              <FieldRow key={i} field={field} index={i} last={i === draft.fields.length - 1} types={types} errors={errors} />
            ))}
            <button type="submit" name="intent" value="add" className="button button--secondary" disabled={draft.fields.length >= maxFields}>
              Add field
            </button>
            {draft.fields.length >= maxFields ? <p className="muted small">A form has at most {maxFields} fields.</p> : null}
          </fieldset>

          <fieldset disabled={pending}>
            <legend>Contact</legend>
            <p className="muted small">Which answers fill in the contact. A submission with an email finds or creates that contact; name and phone fill only blanks.</p>
            <div className="form--grid">
              <ContactSelect role="email" label="Email from" keys={keysOf("email")} value={draft.contact.email} error={errors["contact.email"]} />
              <ContactSelect role="name" label="Name from" keys={keysOf("text")} value={draft.contact.name} error={errors["contact.name"]} />
              <ContactSelect role="phone" label="Phone from" keys={keysOf("phone")} value={draft.contact.phone} error={errors["contact.phone"]} />
            </div>
          </fieldset>

          <fieldset disabled={pending}>
            <legend>Ticket and answer</legend>
            <div className="form--grid">
              <Field
                id="form-subject"
                label="Ticket subject"
                error={errors.subject}
                hint={`Use {field_key} for an answer, like {${draft.fields[0]?.key || "name"}}. Empty: “Form: ${view.channelName}”.`}
              >
                {(props) => <input {...props} name="subject" maxLength={200} defaultValue={draft.subject} placeholder={`Form: ${view.channelName}`} />}
              </Field>
              <Field id="form-priority" label="Ticket priority" error={errors.priority}>
                {(props) => (
                  <select {...props} name="priority" defaultValue={draft.priority}>
                    {priorities.map((p) => (
                      <option key={p} value={p}>
                        {priorityLabels[p] ?? p}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            </div>
            <Field id="form-success" label="Success message" error={errors.successMessage} hint="Shown after sending (as text, never as HTML).">
              {(props) => <textarea {...props} name="successMessage" rows={2} maxLength={500} defaultValue={draft.successMessage} />}
            </Field>
            <Field id="form-redirect" label="Redirect after a plain HTML post (optional)" error={errors.redirectUrl} hint="Empty: a small thank-you page with the success message.">
              {(props) => <input {...props} name="redirectUrl" type="url" inputMode="url" placeholder="https://www.example.com/thanks" defaultValue={draft.redirectUrl} />}
            </Field>
            <Field
              id="form-origins"
              label="Sites that may submit with JavaScript"
              error={errors.allowedOrigins}
              hint="One origin per line, like https://www.example.com; * allows every site. The plain HTML form works from any site."
            >
              {(props) => <textarea {...props} name="allowedOrigins" rows={3} spellCheck={false} autoCapitalize="off" defaultValue={draft.allowedOrigins} />}
            </Field>
          </fieldset>
          <div className="form__actions">
            <button type="submit" name="intent" value="save" className="button" disabled={busyIntent === "save"}>
              {busyIntent === "save" ? "Saving…" : "Save"}
            </button>
          </div>
        </Form>
      </section>

      <section className="card" aria-labelledby="form-snippets-title">
        <h2 id="form-snippets-title">Put the form on your site</h2>
        <p className="muted">
          These follow the saved form. Submissions go to <code>{view.submitUrl}</code>; the form’s definition is at{" "}
          <code>{view.definitionUrl}</code>.
        </p>
        <h3>Plain HTML</h3>
        <p className="muted small">Works on any site, without JavaScript. The hidden “Leave this empty” field catches bots.</p>
        <pre style={snippetStyle} aria-label="HTML form snippet" tabIndex={0}>
          <code>{view.htmlSnippet}</code>
        </pre>
        <CopyButton text={view.htmlSnippet} label="Copy HTML" />
        <h3>With JavaScript</h3>
        <p className="muted small">Sends JSON and shows the answer in place. The site must be listed under “Sites that may submit with JavaScript”.</p>
        <pre style={snippetStyle} aria-label="JavaScript form snippet" tabIndex={0}>
          <code>{view.jsSnippet}</code>
        </pre>
        <CopyButton text={view.jsSnippet} label="Copy JavaScript" />
      </section>
    </>
  );
}

/** One row of the field list; its group and buttons are named after the label as it is typed. */
function FieldRow({
  field,
  index: i,
  last,
  types,
  errors,
}: {
  field: FormDraft["fields"][number];
  index: number;
  last: boolean;
  types: ReadonlyArray<string>;
  errors: Record<string, string>;
}) {
  const [label, setLabel] = useState(field.label);
  const [key, setKey] = useState(field.key);
  const name = label.trim() || key.trim() || `field ${i + 1}`;
  return (
    <div style={rowStyle} role="group" aria-label={`Field ${i + 1}: ${name}`}>
      <div style={rowGrid}>
        <Field id={`field-${i}-label`} label="Label" error={errors[`fields[${i}].label`]}>
          {(props) => <input {...props} name={`fields.${i}.label`} maxLength={100} defaultValue={field.label} onChange={(event) => setLabel(event.target.value)} />}
        </Field>
        <Field id={`field-${i}-key`} label="Key" error={errors[`fields[${i}].key`]} hint="Letters, digits and _; the input’s name.">
          {(props) => <input {...props} name={`fields.${i}.key`} maxLength={40} spellCheck={false} autoCapitalize="off" defaultValue={field.key} onChange={(event) => setKey(event.target.value)} />}
        </Field>
        <Field id={`field-${i}-type`} label="Type" error={errors[`fields[${i}].type`]}>
          {(props) => (
            <select {...props} name={`fields.${i}.type`} defaultValue={field.type}>
              {types.map((type) => (
                <option key={type} value={type}>
                  {typeLabels[type] ?? type}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id={`field-${i}-options`} label="Options (for a choice)" error={errors[`fields[${i}].options`]} hint="One per line.">
          {(props) => <textarea {...props} name={`fields.${i}.options`} rows={2} defaultValue={field.options} />}
        </Field>
      </div>
      <div style={rowActions}>
        <span className="checkbox">
          <input id={`field-${i}-required`} type="checkbox" name={`fields.${i}.required`} defaultChecked={field.required} />
          <label htmlFor={`field-${i}-required`}>Required</label>
        </span>
        <button type="submit" name="intent" value={`up:${i}`} className="button button--secondary button--small" disabled={i === 0} aria-label={`Move ${name} up`}>
          ↑ Up
        </button>
        <button
          type="submit"
          name="intent"
          value={`down:${i}`}
          className="button button--secondary button--small"
          disabled={last}
          aria-label={`Move ${name} down`}
        >
          ↓ Down
        </button>
        <button type="submit" name="intent" value={`remove:${i}`} className="button button--secondary button--small" aria-label={`Remove ${name}`}>
          Remove
        </button>
      </div>
    </div>
  );
}

function ContactSelect({ role, label, keys, value, error }: { role: string; label: string; keys: ReadonlyArray<string>; value: string; error?: string }) {
  return (
    <Field id={`contact-${role}`} label={label} error={error}>
      {(props) => (
        <select {...props} name={`contact.${role}`} defaultValue={value}>
          <option value="">None</option>
          {keys.map((key) => (
            <option key={key} value={key}>
              {key}
            </option>
          ))}
          {value !== "" && !keys.includes(value) ? <option value={value}>{value}</option> : null}
        </select>
      )}
    </Field>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
