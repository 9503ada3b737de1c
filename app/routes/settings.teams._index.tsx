import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field } from "../components/field.js";
import { CreateCard, NameList, nameConflictErrors } from "../components/settings/page-parts.js";
import { teamHoursLine } from "../components/settings/team-hours-text.js";
import { formValues } from "../forms.js";
import { access } from "../roles.js";
import { Accounts, attempt, run, Workspace } from "../runtime.server.js";
import { redirectWithNotice, requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Teams · Settings · Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.settings);
  const { teams, users, inboxes } = await run(
    context,
    Effect.all({
      teams: Effect.flatMap(Workspace, (w) => w.listTeams()),
      users: Effect.flatMap(Accounts, (a) => a.listUsers({ includeDisabled: true })),
      inboxes: Effect.flatMap(Workspace, (w) => w.listInboxes()),
    }),
  );
  const names = new Map(users.map((u) => [u.id, u.disabledAt === null ? u.name : `${u.name} (disabled)`]));
  return {
    teams: teams.map((team) => ({
      id: team.id,
      name: team.name,
      members: team.memberIds.map((id) => names.get(id) ?? id),
      hours: teamHoursLine(team),
      // Inboxes whose round-robin goes to this team.
      routesFor: inboxes.filter((i) => i.routing.mode === "round_robin" && i.routing.teamId === team.id).map((i) => i.name),
    })),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  await requireUser(request, context, access.settings);
  const values = formValues(await request.formData(), ["name"]);
  const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.createTeam(values)));
  if (!result.ok) return data({ errors: nameConflictErrors(result), values }, { status: result.status });
  return redirectWithNotice(
    request,
    context,
    `/settings/teams/${encodeURIComponent(result.value.id)}`,
    `Created the team ${result.value.name}. Now choose its members.`,
  );
}

export default function TeamsSettings() {
  const { teams } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors: Record<string, string> = result?.errors ?? {};
  return (
    <>
      <header className="page-header">
        <h1>Teams</h1>
        <p className="lead">Groups of agents that a chatflow’s handoff or an inbox’s routing can send conversations to.</p>
      </header>

      <section className="card" aria-labelledby="teams-title">
        <h2 id="teams-title">Teams ({teams.length})</h2>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Members</th>
              <th scope="col">Round-robin for</th>
              <th scope="col">Hours</th>
            </tr>
          </thead>
          <tbody>
            {teams.map((team) => (
              <tr key={team.id}>
                <td>
                  <Link to={`/settings/teams/${encodeURIComponent(team.id)}`}>{team.name}</Link>
                </td>
                <td>
                  <NameList names={team.members} empty="Nobody yet" />
                </td>
                <td>
                  <NameList names={team.routesFor} empty="No inbox" />
                </td>
                <td>{team.hours}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <CreateCard id="new-team" title="Create a team" error={errors.form} busy={busy} submitLabel="Create team">
        <Field id="team-name" label="Name" error={errors.name}>
          {(props) => <input {...props} name="name" required autoComplete="off" defaultValue={result?.values?.name ?? ""} />}
        </Field>
      </CreateCard>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
