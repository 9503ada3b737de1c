import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field } from "../components/field.js";
import { languageLabel } from "../components/inbox/labels.js";
import { ErrorNotice, SavedNotice, SubmitActions } from "../components/settings/notices.js";
import { TwoFactorRequirementCard } from "../components/settings/two-factor.js";
import { loadTwoFactorOverview, requireTwoFactorAction } from "../components/settings/two-factor.server.js";
import { fieldErrors, formValues } from "../forms.js";
import { access, roleLabels } from "../roles.js";
import { Accounts, attempt, roles, run, Workspace } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Users · Settings · Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.settings);
  // Disabled people stay listed (marked) unless ?disabled=hide: admins look for leavers here.
  const hideDisabled = new URL(request.url).searchParams.get("disabled") === "hide";
  const users = await run(context, Effect.flatMap(Accounts, (accounts) => accounts.listUsers({ includeDisabled: true })));
  const disabledCount = users.filter((u) => u.disabledAt !== null).length;
  const twoFactor = await loadTwoFactorOverview(context);
  return {
    roles,
    twoFactor: { required: twoFactor.required, enabledCount: users.filter((u) => u.disabledAt === null && twoFactor.enabled.includes(u.id)).length, total: users.length - disabledCount },
    hideDisabled,
    disabledCount,
    users: users
      .filter((u) => !hideDisabled || u.disabledAt === null)
      .map((u) => ({
        id: u.id,
        name: u.name,
        email: u.email,
        role: u.role,
        availability: u.availability,
        languages: u.languages,
        disabled: u.disabledAt !== null,
        twoFactor: twoFactor.enabled.includes(u.id),
        createdAt: u.createdAt,
      })),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.settings);
  const form = await request.formData();
  const intent = form.get("intent");
  if (intent === "two-factor-required") return requireTwoFactorAction(context, user, form);
  if (intent === "availability" || intent === "role") {
    // Changes to one person in the table: availability drains the queue, a role change keeps one admin.
    const userId = String(form.get("userId") ?? "");
    const value = String(form.get(intent) ?? "");
    const result = await attempt(
      context,
      Effect.flatMap(Workspace, (w) => (intent === "role" ? w.setRole(user, userId, value) : w.setAvailability(userId, value))),
    );
    if (!result.ok) return data({ errors: { form: result.error.message }, values: null, created: null, changed: null }, { status: result.status });
    return data({ errors: null, values: null, created: null, changed: { userId, name: result.value.name, intent } });
  }
  const values = formValues(form, ["name", "email", "role", "password"]);
  const result = await attempt(context, Effect.flatMap(Accounts, (accounts) => accounts.createUser(user, values)));
  if (!result.ok) {
    const errors = fieldErrors(result.error);
    // A taken email is about the email field, not the whole form.
    if (result.cause._tag === "Conflict") {
      errors.email = result.error.message;
      delete errors.form;
    }
    const { password: _password, ...echo } = values;
    return data({ errors, values: echo, created: null, changed: null }, { status: result.status });
  }
  return data(
    { errors: null, values: null, created: { id: result.value.id, name: result.value.name, email: result.value.email }, changed: null },
    { status: 201 },
  );
}

const dateFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" });

export default function UsersSettings() {
  const { users, roles: roleOptions, hideDisabled, disabledCount, twoFactor } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const withDisabled = (hide: boolean) => {
    const next = new URLSearchParams(params);
    if (hide) next.set("disabled", "hide");
    else next.delete("disabled");
    const query = next.toString();
    return query === "" ? "/settings/users" : `/settings/users?${query}`;
  };
  const answer = useActionData<typeof action>();
  // The requirement's card reads its own answer.
  const result = answer && "created" in answer ? answer : undefined;
  const navigation = useNavigation();
  const busy = navigation.state === "submitting";
  const errors: Record<string, string> = result?.errors ?? {};
  const values: Record<string, string> = result?.values ?? {};
  const changed = result?.changed;
  const created = result?.created;
  return (
    <>
      <header className="page-header">
        <h1>Users</h1>
        <p className="lead">Everyone who can sign in to Parley, and what their role lets them open.</p>
      </header>

      <section className="card" aria-labelledby="users-list-title">
        <h2 id="users-list-title">Team ({users.length - (hideDisabled ? 0 : disabledCount)})</h2>
        {disabledCount > 0 ? (
          <p className="muted">
            {hideDisabled ? (
              <>
                {disabledCount} disabled {disabledCount === 1 ? "user is" : "users are"} hidden.{" "}
                <Link to={withDisabled(false)}>Show disabled users</Link>
              </>
            ) : (
              <>
                {disabledCount} disabled {disabledCount === 1 ? "user" : "users"}: they cannot sign in and get no
                conversations. <Link to={withDisabled(true)}>Hide disabled users</Link>
              </>
            )}
          </p>
        ) : null}
        <SavedNotice show={Boolean(changed)}>
          {changed?.intent === "role" ? `Changed the role of ${changed.name}.` : `Changed the availability of ${changed?.name}.`}
        </SavedNotice>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Availability</th>
              <th scope="col">Languages</th>
              <th scope="col">Two-factor</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id}>
                {/* A long name without a place to break wraps too, as the address does, instead of widening the table. */}
                <td className="cell-wrap">
                  <Link to={`/settings/users/${encodeURIComponent(u.id)}`}>{u.name}</Link>
                  {u.disabled ? (
                    <>
                      {" "}
                      <span className="badge">Disabled</span>
                    </>
                  ) : null}
                </td>
                <td className="cell-wrap">{u.email}</td>
                <td>
                  <Form method="post" style={{ display: "flex", flexWrap: "wrap", gap: "0.4rem", alignItems: "center" }}>
                    <CsrfInput />
                    <input type="hidden" name="intent" value="role" />
                    <input type="hidden" name="userId" value={u.id} />
                    <select name="role" defaultValue={u.role} aria-label={`Access of ${u.name}`} style={{ width: "auto" }}>
                      {roleOptions.map((role) => (
                        <option key={role} value={role}>
                          {roleLabels[role]}
                        </option>
                      ))}
                    </select>
                    <button type="submit" className="button button--secondary button--small" style={{ whiteSpace: "nowrap" }}>
                      Change role
                    </button>
                  </Form>
                </td>
                <td>
                  {u.disabled ? (
                    <span className="muted">Disabled</span>
                  ) : (
                    <Form method="post" style={{ display: "flex", flexWrap: "wrap", gap: "0.4rem", alignItems: "center" }}>
                      <CsrfInput />
                      <input type="hidden" name="intent" value="availability" />
                      <input type="hidden" name="userId" value={u.id} />
                      <input type="hidden" name="availability" value={u.availability === "available" ? "away" : "available"} />
                      <span className="badge">{u.availability === "available" ? "Available" : "Away"}</span>
                      <button
                        type="submit"
                        className="button button--secondary button--small"
                        style={{ whiteSpace: "nowrap" }}
                        aria-label={`Set ${u.name} ${u.availability === "available" ? "away" : "available"}`}>
                        {u.availability === "available" ? "Set away" : "Set available"}
                      </button>
                    </Form>
                  )}
                </td>
                <td>
                  {u.languages.length === 0 ? (
                    <span className="muted">—</span>
                  ) : (
                    // The codes, short in a busy table; their names on hover.
                    <span title={u.languages.map(languageLabel).join(", ")}>
                      {u.languages.join(", ")}
                    </span>
                  )}
                </td>
                <td>{u.twoFactor ? <span className="badge">On</span> : <span className="muted">Off</span>}</td>
                <td>{dateFormat.format(u.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <TwoFactorRequirementCard {...twoFactor} />

      <section className="card" aria-labelledby="new-user-title">
        <h2 id="new-user-title">Create a user</h2>
        <p className="muted">
          Admins can open everything; marketers build flows; agents answer in the inbox; analysts read reports. Share the
          password with the person; they can change it on their profile after signing in.
        </p>
        <SavedNotice show={Boolean(created)}>
          Created {created?.name} ({created?.email}).
        </SavedNotice>
        <ErrorNotice message={errors.form} />
        {/* Remounted after each success so the fields are empty for the next person. */}
        <Form method="post" className="form form--grid" key={result?.created?.id ?? "new"} noValidate>
          <CsrfInput />
          <Field id="user-name" label="Name" error={errors.name}>
            {(props) => <input {...props} name="name" autoComplete="off" required defaultValue={values.name ?? ""} />}
          </Field>
          <Field id="user-email" label="Email" error={errors.email}>
            {(props) => <input {...props} name="email" type="email" autoComplete="off" required defaultValue={values.email ?? ""} />}
          </Field>
          <Field id="user-role" label="Role" error={errors.role}>
            {(props) => (
              <select {...props} name="role" defaultValue={values.role ?? "agent"}>
                {roleOptions.map((role) => (
                  <option key={role} value={role}>
                    {roleLabels[role]}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field id="user-password" label="Password" error={errors.password} hint="At least 8 characters.">
            {(props) => <input {...props} name="password" type="password" autoComplete="new-password" required minLength={8} />}
          </Field>
          <SubmitActions busy={busy} label="Create user" busyLabel="Creating…" />
        </Form>
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
