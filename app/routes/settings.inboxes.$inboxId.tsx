import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field } from "../components/field.js";
import { fieldErrors, formValues } from "../forms.js";
import { access, roleLabels } from "../roles.js";
import { Accounts, attempt, run, Workspace } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [
  { title: `${loaded?.inbox.name ?? "Inbox"} · Inboxes · Settings · Parley` },
];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  await requireUser(request, context, access.settings);
  const inboxId = params.inboxId ?? "";
  const { inbox, users } = await run(
    context,
    Effect.all({
      inbox: Effect.flatMap(Workspace, (w) => w.getInbox(inboxId)),
      users: Effect.flatMap(Accounts, (a) => a.listUsers()),
    }),
  );
  return {
    inbox: { id: inbox.id, name: inbox.name, fallbackEmail: inbox.fallbackEmail ?? "", memberIds: inbox.memberIds, routing: inbox.routing },
    // Only agents and admins work in inboxes.
    people: users
      .filter((u) => u.role === "agent" || u.role === "admin")
      .map((u) => ({ id: u.id, name: u.name, email: u.email, role: u.role, availability: u.availability })),
  };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  await requireUser(request, context, access.settings);
  const inboxId = params.inboxId ?? "";
  const form = await request.formData();
  const intent = form.get("intent");
  if (intent === "members") {
    const userIds = form.getAll("userId").filter((v): v is string => typeof v === "string");
    const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.setInboxMembers(inboxId, userIds)));
    if (!result.ok) return data({ intent, errors: { members: result.error.message }, values: null, saved: false }, { status: result.status });
    return { intent, errors: null, values: null, saved: true };
  }
  if (intent === "details") {
    const values = formValues(form, ["name", "fallbackEmail"]);
    const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.updateInbox(inboxId, values)));
    if (!result.ok) {
      const errors = fieldErrors(result.error);
      if (result.cause._tag === "Conflict") {
        errors.name = result.error.message;
        delete errors.form;
      }
      return data({ intent, errors, values, saved: false }, { status: result.status });
    }
    return { intent, errors: null, values: null, saved: true };
  }
  return data({ intent: null, errors: { form: "Unknown action: send intent=details or intent=members." }, values: null, saved: false }, { status: 400 });
}

export default function InboxSettings() {
  const { inbox, people } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const busyWith = navigation.state === "submitting" ? navigation.formData?.get("intent") : null;
  const errors: Record<string, string> = result?.errors ?? {};
  const values: Record<string, string> =
    result?.intent === "details" && result.values ? result.values : { name: inbox.name, fallbackEmail: inbox.fallbackEmail };
  return (
    <>
      <header className="page-header">
        <p>
          <Link to="/settings/inboxes">← All inboxes</Link>
        </p>
        <h1>{inbox.name}</h1>
        <p className="lead">
          Routing: {inbox.routing.mode === "manual" ? "manual" : "round-robin"} ·{" "}
          <Link to={`/settings/routing#routing-${inbox.id}`}>Change routing</Link> ·{" "}
          <Link to={`/settings/email-filters#filters-${inbox.id}`}>Email filters</Link>
        </p>
      </header>
      {params.get("created") && !result ? (
        <p className="notice notice--success" role="status">
          Created the inbox {inbox.name}. Now choose who works in it.
        </p>
      ) : null}
      {errors.form ? (
        <p className="notice notice--error" role="alert">
          {errors.form}
        </p>
      ) : null}

      <section className="card" aria-labelledby="members-title">
        <h2 id="members-title">Members</h2>
        <p className="muted">
          Members see this inbox’s conversations and can be assigned them. Admins see every inbox; marketers and analysts
          never do.
        </p>
        {result?.intent === "members" && result.saved ? (
          <p className="notice notice--success" role="status">
            Members saved.
          </p>
        ) : null}
        {errors.members ? (
          <p className="notice notice--error" role="alert">
            {errors.members}
          </p>
        ) : null}
        <Form method="post" className="form">
          <CsrfInput />
          <input type="hidden" name="intent" value="members" />
          <fieldset style={{ border: "none", padding: 0, margin: 0, display: "grid", gap: "0.4rem" }}>
            <legend className="field__hint" style={{ marginBottom: "0.4rem" }}>
              Agents and admins
            </legend>
            {people.map((person) => (
              <label key={person.id} style={{ display: "flex", alignItems: "center", gap: "0.5rem" }}>
                <input
                  type="checkbox"
                  name="userId"
                  value={person.id}
                  defaultChecked={inbox.memberIds.includes(person.id)}
                  style={{ width: "auto" }}
                />
                <span>
                  {person.name} <span className="muted">({person.email})</span> <span className="badge">{roleLabels[person.role]}</span>{" "}
                  <span className="badge">{person.availability === "available" ? "Available" : "Away"}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <div className="form__actions">
            <button type="submit" className="button" disabled={busyWith === "members"}>
              {busyWith === "members" ? "Saving…" : "Save members"}
            </button>
          </div>
        </Form>
      </section>

      <section className="card" aria-labelledby="details-title">
        <h2 id="details-title">Details</h2>
        {result?.intent === "details" && result.saved ? (
          <p className="notice notice--success" role="status">
            Details saved.
          </p>
        ) : null}
        <Form method="post" className="form form--grid" noValidate>
          <CsrfInput />
          <input type="hidden" name="intent" value="details" />
          <Field id="inbox-name" label="Name" error={errors.name}>
            {(props) => <input {...props} name="name" required autoComplete="off" defaultValue={values.name ?? ""} />}
          </Field>
          <Field
            id="inbox-fallback"
            label="Fallback email address"
            error={errors.fallbackEmail}
            hint="Shown when no team email is connected. Leave empty for none."
          >
            {(props) => <input {...props} name="fallbackEmail" type="email" autoComplete="off" defaultValue={values.fallbackEmail ?? ""} />}
          </Field>
          <div className="form__actions">
            <button type="submit" className="button" disabled={busyWith === "details"}>
              {busyWith === "details" ? "Saving…" : "Save details"}
            </button>
          </div>
        </Form>
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
