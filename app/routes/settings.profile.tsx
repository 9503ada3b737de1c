import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field } from "../components/field.js";
import { fieldErrors, formValues } from "../forms.js";
import { everyone, roleLabels } from "../roles.js";
import { Accounts, attempt } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Your profile · Parley" }];

const fields = ["displayName", "avatarUrl", "meetingLink", "availability"] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, everyone);
  return {
    profile: {
      name: user.name,
      email: user.email,
      role: user.role,
      displayName: user.displayName ?? "",
      avatarUrl: user.avatarUrl ?? "",
      meetingLink: user.meetingLink ?? "",
      availability: user.availability,
    },
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, everyone);
  const values = formValues(await request.formData(), fields);
  const result = await attempt(context, Effect.flatMap(Accounts, (accounts) => accounts.updateUser(user, user.id, values)));
  if (!result.ok) return data({ errors: fieldErrors(result.error), values, saved: false }, { status: result.status });
  return { errors: null, values: null, saved: true };
}

export default function Profile() {
  const { profile } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors: Record<string, string> = result?.errors ?? {};
  const values: Record<string, string> = result?.values ?? profile;
  return (
    <>
      <header className="page-header">
        <h1>Your profile</h1>
        <p className="lead">
          {profile.name} · {profile.email} · <span className="badge">{roleLabels[profile.role]}</span>
        </p>
      </header>
      <section className="card" aria-labelledby="profile-title">
        <h2 id="profile-title">What visitors see</h2>
        <p className="muted">When a chatflow hands a visitor to you, the chat shows your display name, avatar and meeting link.</p>
        {result?.saved ? (
          <p className="notice notice--success" role="status">
            Your profile is saved.
          </p>
        ) : null}
        {errors.form ? (
          <p className="notice notice--error" role="alert">
            {errors.form}
          </p>
        ) : null}
        <Form method="post" className="form" noValidate>
          <CsrfInput />
          <Field id="profile-display-name" label="Display name" error={errors.displayName} hint={`Leave empty to show “${profile.name}”.`}>
            {(props) => <input {...props} name="displayName" defaultValue={values.displayName ?? ""} />}
          </Field>
          <Field id="profile-avatar" label="Avatar URL" error={errors.avatarUrl} hint="An https:// link to a square image.">
            {(props) => <input {...props} name="avatarUrl" type="url" inputMode="url" defaultValue={values.avatarUrl ?? ""} />}
          </Field>
          <Field id="profile-meeting" label="Meeting link" error={errors.meetingLink} hint="Where visitors can book a call with you.">
            {(props) => <input {...props} name="meetingLink" type="url" inputMode="url" defaultValue={values.meetingLink ?? ""} />}
          </Field>
          <Field id="profile-availability" label="Availability" error={errors.availability}>
            {(props) => (
              <select {...props} name="availability" defaultValue={values.availability ?? "available"}>
                <option value="available">Available</option>
                <option value="away">Away</option>
              </select>
            )}
          </Field>
          <div className="form__actions">
            <button type="submit" className="button" disabled={busy}>
              {busy ? "Saving…" : "Save profile"}
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
