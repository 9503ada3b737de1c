import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { memberCandidates, MemberChecklist } from "../components/settings/members.js";
import { ErrorNotice, SavedNotice, SubmitActions } from "../components/settings/notices.js";
import { DetailHeader } from "../components/settings/page-parts.js";
import { access } from "../roles.js";
import { Accounts, attempt, run, Workspace } from "../runtime.server.js";
import { requireUser, takeNotice } from "../session.server.js";

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [{ title: `${loaded?.team.name ?? "Team"} · Teams · Settings · Parley` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  await requireUser(request, context, access.settings);
  const teamId = params.teamId ?? "";
  const { team, users } = await run(
    context,
    Effect.all({
      team: Effect.flatMap(Workspace, (w) => w.getTeam(teamId)),
      users: Effect.flatMap(Accounts, (a) => a.listUsers({ includeDisabled: true })),
    }),
  );
  const { notice, headers } = await takeNotice(request, context);
  return data(
    { team: { id: team.id, name: team.name, memberIds: team.memberIds }, people: memberCandidates(users, team.memberIds), notice },
    { headers },
  );
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
  const { team, people, notice } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  return (
    <>
      <DetailHeader back={{ to: "/settings/teams", label: "All teams" }} title={team.name}>
        Conversations sent to this team go round-robin to its available members who work in the conversation’s inbox.
      </DetailHeader>
      <SavedNotice show={notice !== null && !result}>{notice}</SavedNotice>
      <section className="card" aria-labelledby="team-members-title">
        <h2 id="team-members-title">Members</h2>
        <SavedNotice show={result?.saved === true}>Members saved.</SavedNotice>
        <ErrorNotice message={result?.error} />
        <Form method="post" className="form">
          <CsrfInput />
          <MemberChecklist people={people} memberIds={team.memberIds} />
          <SubmitActions busy={busy} label="Save members" />
        </Form>
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
