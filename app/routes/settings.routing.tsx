import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field } from "../components/field.js";
import { InboxFormCard, NoInboxes } from "../components/settings/page-parts.js";
import { closedQueueText } from "../components/settings/team-hours-text.js";
import { access } from "../roles.js";
import { attempt, LANGUAGE_WAIT_LIMIT_MINUTES, MAX_OPEN_PER_AGENT_LIMIT, Routing, run, Workspace } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Routing · Settings · Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.settings);
  const { inboxes, teams, queues } = await run(
    context,
    Effect.all({
      inboxes: Effect.flatMap(Workspace, (w) => w.listInboxes()),
      teams: Effect.flatMap(Workspace, (w) => w.listTeams()),
      queues: Effect.flatMap(Routing, (r) => r.queueStats()),
    }),
  );
  return {
    inboxes: inboxes.map((i) => ({
      id: i.id,
      name: i.name,
      members: i.memberIds.length,
      routing: i.routing,
      queue: queues[i.id] ?? { queued: 0, oldestQueuedAt: null, closedTeams: [] },
    })),
    teams: teams.map((t) => ({ id: t.id, name: t.name })),
    capLimit: MAX_OPEN_PER_AGENT_LIMIT,
    waitLimit: LANGUAGE_WAIT_LIMIT_MINUTES,
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  await requireUser(request, context, access.settings);
  const form = await request.formData();
  const inboxId = String(form.get("inboxId") ?? "");
  const mode = String(form.get("mode") ?? "");
  const teamId = String(form.get("teamId") ?? "");
  const cap = String(form.get("maxOpenPerAgent") ?? "").trim();
  const contactOwnerFirst = form.get("contactOwnerFirst") === "on";
  const preferVisitorLanguage = form.get("preferVisitorLanguage") === "on";
  const wait = String(form.get("languageWaitMinutes") ?? "").trim();
  // Empty or 0 is no wait, stored as absent (the routing JSON of an inbox without one stays as it was).
  const waitMinutes = wait === "" ? 0 : Number(wait);
  const routing = {
    mode,
    ...(teamId !== "" ? { teamId } : {}),
    // An empty cap is no cap; anything else must be a whole number (the schema says so if not).
    ...(cap !== "" ? { maxOpenPerAgent: Number(cap) } : {}),
    ...(contactOwnerFirst ? { contactOwnerFirst } : {}),
    ...(preferVisitorLanguage ? { preferVisitorLanguage } : {}),
    ...(waitMinutes !== 0 ? { languageWaitMinutes: waitMinutes } : {}),
  };
  const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.updateInbox(inboxId, { routing })));
  const values = { mode, teamId, maxOpenPerAgent: cap, contactOwnerFirst, preferVisitorLanguage, languageWaitMinutes: wait };
  if (!result.ok) {
    const errors: Record<string, string> = {};
    for (const issue of result.error.issues ?? []) errors[issue.path.replace(/^routing\.?/, "") || "form"] ??= issue.message;
    if (Object.keys(errors).length === 0) errors.form = result.error.message;
    return data({ inboxId, errors, values, saved: false }, { status: result.status });
  }
  return { inboxId, errors: null, values: null, saved: true };
}

const timeFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

export default function RoutingSettings() {
  const { inboxes, teams, capLimit, waitLimit } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busyInbox = navigation.state === "submitting" ? navigation.formData?.get("inboxId") : null;
  return (
    <>
      <header className="page-header">
        <h1>Routing</h1>
        <p className="lead">
          How each inbox hands new conversations to people. Round-robin takes turns among <strong>available</strong> agents;
          when nobody is available (or everyone is at their cap) the conversation waits in the queue and goes to the first
          person who becomes available, oldest first.
        </p>
      </header>
      <NoInboxes count={inboxes.length} />
      {inboxes.map((inbox) => {
        const mine = result?.inboxId === inbox.id ? result : null;
        const errors: Record<string, string> = mine?.errors ?? {};
        const values = mine?.values ?? {
          mode: inbox.routing.mode,
          teamId: inbox.routing.teamId ?? "",
          maxOpenPerAgent: inbox.routing.maxOpenPerAgent === undefined ? "" : String(inbox.routing.maxOpenPerAgent),
          contactOwnerFirst: inbox.routing.contactOwnerFirst === true,
          preferVisitorLanguage: inbox.routing.preferVisitorLanguage === true,
          languageWaitMinutes: inbox.routing.languageWaitMinutes ? String(inbox.routing.languageWaitMinutes) : "",
        };
        const prefix = `routing-${inbox.id}`;
        return (
          <InboxFormCard
            key={inbox.id}
            inbox={inbox}
            prefix={prefix}
            intro={
              <p className="muted">
                {inbox.members} member{inbox.members === 1 ? "" : "s"} ·{" "}
                {inbox.queue.queued === 0
                  ? "Nobody is waiting in the queue."
                  : `${inbox.queue.queued} waiting in the queue${
                      inbox.queue.oldestQueuedAt ? `, the oldest since ${timeFormat.format(inbox.queue.oldestQueuedAt)} UTC` : ""
                    }${inbox.queue.closedTeams.length > 0 ? ` — ${closedQueueText(inbox.queue.closedTeams)}` : ""}.`}
              </p>
            }
            saved={mine?.saved === true}
            savedText={`Routing of ${inbox.name} saved.`}
            error={errors.form}
            formKey={JSON.stringify(inbox.routing)}
            busy={busyInbox === inbox.id}
            submitLabel={`Save routing of ${inbox.name}`}
          >
            {/* Short options: a column of the card is narrower than a sentence; the hint says what each does. */}
            <Field
              id={`${prefix}-mode`}
              label="Assignment"
              error={errors.mode}
              hint="Manual leaves new conversations in Unassigned for people to take; round-robin hands each to the next available agent."
            >
              {(props) => (
                <select {...props} name="mode" defaultValue={values.mode}>
                  <option value="manual">Manual</option>
                  <option value="round_robin">Round-robin</option>
                </select>
              )}
            </Field>
            {/* Hidden while Manual is picked (app.css), but still sent, so the team is kept for a later switch back. */}
            <div className="routing-pool">
              <Field id={`${prefix}-team`} label="Round-robin among" error={errors.teamId} hint="Only members of the inbox (and admins) take turns.">
                {(props) => (
                  <select {...props} name="teamId" defaultValue={values.teamId}>
                    <option value="">All members of the inbox</option>
                    {teams.map((team) => (
                      <option key={team.id} value={team.id}>
                        Team {team.name}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            </div>
            <Field
              id={`${prefix}-cap`}
              label="Open conversations per agent"
              error={errors.maxOpenPerAgent}
              hint={`Leave empty for no cap (1–${capLimit}). Counts every open conversation a person holds.`}
            >
              {(props) => <input {...props} name="maxOpenPerAgent" inputMode="numeric" defaultValue={values.maxOpenPerAgent} />}
            </Field>
            <div className="field">
              <div className="choice">
                <input id={`${prefix}-owner-first`} type="checkbox" name="contactOwnerFirst" defaultChecked={values.contactOwnerFirst} aria-describedby={`${prefix}-owner-first-hint`} />
                <label htmlFor={`${prefix}-owner-first`}>Contact's owner first</label>
              </div>
              <p id={`${prefix}-owner-first-hint`} className="field__hint">
                A known contact's conversation goes to the person who owns the contact when they are available; otherwise the rule above applies.
              </p>
            </div>
            <div className="field">
              <div className="choice">
                <input
                  id={`${prefix}-language`}
                  type="checkbox"
                  name="preferVisitorLanguage"
                  defaultChecked={values.preferVisitorLanguage}
                  aria-describedby={`${prefix}-language-hint`}
                />
                <label htmlFor={`${prefix}-language`}>Prefer agents who speak the visitor's language</label>
              </div>
              <p id={`${prefix}-language-hint`} className="field__hint">
                Round-robin and the queue pick first among those who list the visitor's browser language on their profile; when
                none of them can take it now, anyone available does (at once, or after the wait below).
              </p>
            </div>
            <Field
              id={`${prefix}-language-wait`}
              label="Wait for a speaker (minutes)"
              error={errors.languageWaitMinutes}
              hint={`With the language preference on: while nobody who speaks the visitor's language can take the conversation, it waits in the queue up to this long (counted from when the visitor started waiting) before anyone available takes it. Empty or 0: no wait; at most ${waitLimit}. No wait when nobody in the pool lists the language.`}
            >
              {(props) => <input {...props} name="languageWaitMinutes" inputMode="numeric" defaultValue={values.languageWaitMinutes} />}
            </Field>
          </InboxFormCard>
        );
      })}
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
