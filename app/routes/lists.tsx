/**
 * /lists — contact lists (a newsletter, a beta programme) with their member counts. Admins and
 * marketers create, rename (`intent=rename`) and delete (`intent=delete`) them; agents see them
 * and follow a list to its members on /contacts?list=…. People join a list from the contact's
 * page or through a chatflow's "Add to list" step. Its own page rather than a Settings page or a
 * /contacts tab: marketers, who own the lists, open neither Settings nor Contacts.
 */
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field } from "../components/field.js";
import { ErrorNotice, SaveDeleteActions, SavedNotice, SubmitActions } from "../components/settings/notices.js";
import { fieldErrors } from "../forms.js";
import { access, canOpen, isAllowed, listManagers } from "../roles.js";
import { attempt, ContactLists, run } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Lists · Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.lists);
  const lists = await run(context, Effect.flatMap(ContactLists, (l) => l.all(user)));
  return { lists, manages: isAllowed(user.role, listManagers), seesContacts: canOpen(user.role, "inbox") };
}

const INTENTS = ["create", "rename", "delete"] as const;
type Intent = (typeof INTENTS)[number];

export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, listManagers);
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "");
  const id = String(form.get("id") ?? "");
  const name = form.get("name");
  const input = typeof name === "string" ? { name } : {};
  if (!INTENTS.includes(intent as Intent)) {
    return data({ intent, id, errors: { form: `unknown intent “${intent}”: expected ${INTENTS.join(", ")}` } as Record<string, string>, name: null, saved: false }, { status: 400 });
  }
  const result = await attempt(
    context,
    Effect.flatMap(ContactLists, (l): Effect.Effect<unknown, unknown> =>
      intent === "create" ? l.create(user, input) : intent === "rename" ? l.rename(user, id, input) : l.remove(user, id),
    ),
  );
  if (!result.ok) {
    return data({ intent, id, errors: fieldErrors(result.error), name: typeof name === "string" ? name : null, saved: false }, { status: result.status });
  }
  return data({ intent, id, errors: {} as Record<string, string>, name: null, saved: true }, { status: intent === "create" ? 201 : 200 });
}

export default function ListsPage() {
  const { lists, manages, seesContacts } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const createErrors: Record<string, string> = result?.intent === "create" ? result.errors : {};
  return (
    <>
      <header className="page-header">
        <h1>Lists</h1>
        <p className="lead">
          Groups of contacts, like a newsletter. People join from their contact page or through a chatflow's “Add to list” step.
        </p>
      </header>
      <SavedNotice show={result?.saved === true}>
        {result?.intent === "delete" ? "The list is deleted." : result?.intent === "create" ? "The list is created." : "The list is renamed."}
      </SavedNotice>
      <ErrorNotice message={result && !result.saved && result.intent !== "create" && !result.errors.name ? result.errors.form : undefined} />
      <section className="card" aria-labelledby="lists-title">
        <h2 id="lists-title">Lists ({lists.length})</h2>
        {lists.length === 0 ? <p className="muted">No lists yet.{manages ? " Create the first one below." : ""}</p> : null}
        {lists.length > 0 ? (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Members</th>
                {manages ? <th scope="col">Change</th> : null}
              </tr>
            </thead>
            <tbody>
              {lists.map((list) => {
                const mine = result?.id === list.id && !result.saved;
                const errors: Record<string, string> = mine ? result.errors : {};
                return (
                  <tr key={list.id}>
                    <td>{seesContacts ? <Link to={`/contacts?list=${encodeURIComponent(list.id)}`}>{list.name}</Link> : list.name}</td>
                    <td>{list.memberCount}</td>
                    {manages ? (
                      <td>
                        <details open={mine}>
                          <summary>
                            Rename or delete<span className="visually-hidden"> {list.name}</span>
                          </summary>
                          <Form method="post" className="form" aria-label={`Change ${list.name}`}>
                            <CsrfInput />
                            <input type="hidden" name="id" value={list.id} />
                            <Field id={`list-${list.id}-name`} label="Name" error={errors.name}>
                              {(props) => (
                                <input {...props} name="name" autoComplete="off" maxLength={100} defaultValue={mine && result.name !== null ? result.name : list.name} />
                              )}
                            </Field>
                            <SaveDeleteActions busy={busy} saveIntent="rename" saveLabel="Rename" />
                          </Form>
                        </details>
                      </td>
                    ) : null}
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : null}
      </section>
      {manages ? (
        <section className="card" aria-labelledby="new-list-title">
          <h2 id="new-list-title">New list</h2>
          <ErrorNotice message={createErrors.form} />
          <Form method="post" className="form" key={result?.intent === "create" && result.saved ? `saved-${lists.length}` : "new"}>
            <CsrfInput />
            <input type="hidden" name="intent" value="create" />
            <Field id="new-list-name" label="Name" error={createErrors.name}>
              {(props) => (
                <input
                  {...props}
                  name="name"
                  autoComplete="off"
                  maxLength={100}
                  defaultValue={result?.intent === "create" && !result.saved && result.name !== null ? result.name : ""}
                />
              )}
            </Field>
            <SubmitActions busy={busy} label="Create list" busyLabel="Create list" />
          </Form>
        </section>
      ) : null}
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
