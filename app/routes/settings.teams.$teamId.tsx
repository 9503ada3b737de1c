import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { access, roleLabels } from "../roles.js";
import { Accounts, attempt, run, Workspace } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [{ title: `${loaded?.team.name ?? "Team"} · Teams · Settings · Parley` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  await requireUser(request, context, access.settings);
  const teamId = params.teamId ?? "";
  const { team, users } = await run(
    context,
    Effect.all({
      team: Effect.flatMap(Workspace, (w) => w.getTeam(teamId)),
      users: Effect.flatMap(Accounts, (a) => a.listUsers()),
    }),
  );
  return {
    team: { id: team.id, name: team.name, memberIds: team.memberIds },
    people: users
      .filter((u) => u.role === "agent" || u.role === "admin")
      .map((u) => ({ id: u.id, name: u.name, email: u.email, role: u.role, availability: u.availability })),
  };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  await requireUser(request, context, access.settings);
  const form = await request.formData();
  const userIds = form.getAll("userId").filter((v): v is string => typeof v === "string");
  const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.setTeamMembers(params.teamId ?? "", userIds)));
  if (!result.ok) return data({ error: result.error.message, saved: false }, { status: result.status });
  return { error: null, saved: true };
}

export default function TeamSettings() {
  const { team, people } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const busy = useNavigation().state === "submitting";
  return (
    <>
      <header className="page-header">
        <p>
          <Link to="/settings/teams">← All teams</Link>
        </p>
        <h1>{team.name}</h1>
        <p className="lead">Conversations sent to this team go round-robin to its available members who work in the conversation’s inbox.</p>
      </header>
      {params.get("created") && !result ? (
        <p className="notice notice--success" role="status">
          Created the team {team.name}. Now choose its members.
        </p>
      ) : null}
      <section className="card" aria-labelledby="team-members-title">
        <h2 id="team-members-title">Members</h2>
        {result?.saved ? (
          <p className="notice notice--success" role="status">
            Members saved.
          </p>
        ) : null}
        {result?.error ? (
          <p className="notice notice--error" role="alert">
            {result.error}
          </p>
        ) : null}
        <Form method="post" className="form">
          <CsrfInput />
          <fieldset style={{ border: "none", padding: 0, margin: 0, display: "grid", gap: "0.4rem" }}>
            <legend className="field__hint" style={{ marginBottom: "0.4rem" }}>
              Agents and admins
            </legend>
            {people.map((person) => (
              <label key={person.id} style={{ display: "flex", alignItems: "center", gap: "0.5rem" }}>
                <input type="checkbox" name="userId" value={person.id} defaultChecked={team.memberIds.includes(person.id)} style={{ width: "auto" }} />
                <span>
                  {person.name} <span className="muted">({person.email})</span> <span className="badge">{roleLabels[person.role]}</span>{" "}
                  <span className="badge">{person.availability === "available" ? "Available" : "Away"}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <div className="form__actions">
            <button type="submit" className="button" disabled={busy}>
              {busy ? "Saving…" : "Save members"}
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
