import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { RouteErrorBoundary } from "../components/error-page.js";
import { CreateCard, InboxFields, NameList, nameConflictErrors } from "../components/settings/page-parts.js";
import { formValues } from "../forms.js";
import { access } from "../roles.js";
import { Accounts, attempt, Routing, run, Workspace } from "../runtime.server.js";
import { redirectWithNotice, requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Inboxes · Settings · Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.settings);
  const { inboxes, teams, users, queues } = await run(
    context,
    Effect.all({
      inboxes: Effect.flatMap(Workspace, (w) => w.listInboxes()),
      teams: Effect.flatMap(Workspace, (w) => w.listTeams()),
      users: Effect.flatMap(Accounts, (a) => a.listUsers({ includeDisabled: true })),
      queues: Effect.flatMap(Routing, (r) => r.queueStats()),
    }),
  );
  const names = new Map(users.map((u) => [u.id, u.disabledAt === null ? u.name : `${u.name} (disabled)`]));
  const teamNames = new Map(teams.map((t) => [t.id, t.name]));
  return {
    inboxes: inboxes.map((inbox) => ({
      id: inbox.id,
      name: inbox.name,
      fallbackEmail: inbox.fallbackEmail,
      members: inbox.memberIds.map((id) => names.get(id) ?? id),
      routing:
        inbox.routing.mode === "manual"
          ? "Manual"
          : `Round-robin among ${inbox.routing.teamId ? `team ${teamNames.get(inbox.routing.teamId) ?? "?"}` : "members"}${
              inbox.routing.maxOpenPerAgent ? `, at most ${inbox.routing.maxOpenPerAgent} open each` : ""
            }${
              inbox.routing.preferVisitorLanguage
                ? `, the visitor's language first${inbox.routing.languageWaitMinutes ? ` (waiting up to ${inbox.routing.languageWaitMinutes} min for a speaker)` : ""}`
                : ""
            }`,
      queued: queues[inbox.id]?.queued ?? 0,
    })),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  await requireUser(request, context, access.settings);
  const values = formValues(await request.formData(), ["name", "fallbackEmail"]);
  const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.createInbox(values)));
  if (!result.ok) return data({ errors: nameConflictErrors(result), values }, { status: result.status });
  // Members come next, on the inbox's own page.
  return redirectWithNotice(
    request,
    context,
    `/settings/inboxes/${encodeURIComponent(result.value.id)}`,
    `Created the inbox ${result.value.name}. Now choose who works in it.`,
  );
}

export default function InboxesSettings() {
  const { inboxes } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors: Record<string, string> = result?.errors ?? {};
  const values: Record<string, string> = result?.values ?? {};
  return (
    <>
      <header className="page-header">
        <h1>Inboxes</h1>
        <p className="lead">Where conversations from your channels arrive. Each inbox has its own members, routing and email filters.</p>
      </header>

      <section className="card" aria-labelledby="inboxes-title">
        <h2 id="inboxes-title">Inboxes ({inboxes.length})</h2>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Members</th>
              <th scope="col">Routing</th>
              <th scope="col">Waiting in queue</th>
              <th scope="col">Fallback email</th>
            </tr>
          </thead>
          <tbody>
            {inboxes.map((inbox) => (
              <tr key={inbox.id}>
                <td>
                  <Link to={`/settings/inboxes/${encodeURIComponent(inbox.id)}`}>{inbox.name}</Link>
                </td>
                <td>
                  <NameList names={inbox.members} empty="Nobody yet" />
                </td>
                <td>
                  <Link to={`/settings/routing#routing-${inbox.id}`}>{inbox.routing}</Link>
                </td>
                <td>{inbox.queued}</td>
                <td>{inbox.fallbackEmail ?? <span className="muted">None</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <CreateCard id="new-inbox" title="Create an inbox" error={errors.form} busy={busy} submitLabel="Create inbox">
        <InboxFields
          values={values}
          errors={errors}
          nameHint="For example Sales or Support."
          fallbackHint="Shown to chat visitors when the team is away and this inbox has no team email channel. Optional."
        />
      </CreateCard>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
