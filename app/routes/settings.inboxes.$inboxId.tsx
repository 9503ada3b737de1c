import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { memberCandidates, MemberChecklist } from "../components/settings/members.js";
import { ErrorNotice, SavedNotice, SubmitActions } from "../components/settings/notices.js";
import { DetailHeader, InboxFields, nameConflictErrors } from "../components/settings/page-parts.js";
import { TARGET_FIELDS, targetErrors, targetFieldValues, targetsInputOf } from "../components/settings/response-targets-form.js";
import { Field, FieldError } from "../components/field.js";
import { formValues } from "../forms.js";
import { access } from "../roles.js";
import { Accounts, attempt, Reports, run, Workspace } from "../runtime.server.js";
import { requireUser, takeNotice } from "../session.server.js";

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [
  { title: `${loaded?.inbox.name ?? "Inbox"} · Inboxes · Settings · Parley` },
];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  await requireUser(request, context, access.settings);
  const inboxId = params.inboxId ?? "";
  const { inbox, users, businessHours } = await run(
    context,
    Effect.all({
      inbox: Effect.flatMap(Workspace, (w) => w.getInbox(inboxId)),
      users: Effect.flatMap(Accounts, (a) => a.listUsers({ includeDisabled: true })),
      businessHours: Effect.flatMap(Reports, (r) => r.businessHours()),
    }),
  );
  const { notice, headers } = await takeNotice(request, context);
  return data(
    {
      inbox: { id: inbox.id, name: inbox.name, fallbackEmail: inbox.fallbackEmail ?? "", memberIds: inbox.memberIds, routing: inbox.routing },
      targets: targetFieldValues(inbox.responseTargets),
      hasBusinessHours: businessHours.hours.length > 0,
      // Only agents and admins work in inboxes.
      people: memberCandidates(users, inbox.memberIds),
      notice,
    },
    { headers },
  );
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
    if (!result.ok) return data({ intent, errors: nameConflictErrors(result), values, saved: false }, { status: result.status });
    return { intent, errors: null, values: null, saved: true };
  }
  if (intent === "targets") {
    const values = formValues(form, TARGET_FIELDS);
    const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.updateInbox(inboxId, { responseTargets: targetsInputOf(values) })));
    if (!result.ok) return data({ intent, errors: targetErrors(result.error), values, saved: false }, { status: result.status });
    return { intent, errors: null, values: null, saved: true };
  }
  return data({ intent: null, errors: { form: "Unknown action: send intent=details, intent=members or intent=targets." }, values: null, saved: false }, { status: 400 });
}

export default function InboxSettings() {
  const { inbox, people, notice, targets, hasBusinessHours } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busyWith = navigation.state === "submitting" ? navigation.formData?.get("intent") : null;
  const errors: Record<string, string> = result?.errors ?? {};
  const values: Record<string, string> =
    result?.intent === "details" && result.values ? result.values : { name: inbox.name, fallbackEmail: inbox.fallbackEmail };
  const targetValues: Record<string, string> = result?.intent === "targets" && result.values ? result.values : targets;
  return (
    <>
      <DetailHeader back={{ to: "/settings/inboxes", label: "All inboxes" }} title={inbox.name}>
        Routing: {inbox.routing.mode === "manual" ? "manual" : "round-robin"} ·{" "}
        <Link to={`/settings/routing#routing-${inbox.id}`}>Change routing</Link> ·{" "}
        <Link to={`/settings/email-filters#filters-${inbox.id}`}>Email filters</Link>
      </DetailHeader>
      <SavedNotice show={notice !== null && !result}>{notice}</SavedNotice>
      <ErrorNotice message={errors.form} />

      <section className="card" aria-labelledby="members-title">
        <h2 id="members-title">Members</h2>
        <p className="muted">
          Members see this inbox’s conversations and can be assigned them. Admins see every inbox; marketers and analysts
          never do.
        </p>
        <SavedNotice show={result?.intent === "members" && result.saved}>Members saved.</SavedNotice>
        <ErrorNotice message={errors.members} />
        <Form method="post" className="form">
          <CsrfInput />
          <input type="hidden" name="intent" value="members" />
          <MemberChecklist people={people} memberIds={inbox.memberIds} />
          <SubmitActions busy={busyWith === "members"} label="Save members" />
        </Form>
      </section>

      <section className="card" aria-labelledby="details-title">
        <h2 id="details-title">Details</h2>
        <SavedNotice show={result?.intent === "details" && result.saved}>Details saved.</SavedNotice>
        <Form method="post" className="form form--grid" noValidate>
          <CsrfInput />
          <input type="hidden" name="intent" value="details" />
          <InboxFields values={values} errors={errors} fallbackHint="Shown to chat visitors when the team is away and this inbox has no team email channel. Optional." />
          <SubmitActions busy={busyWith === "details"} label="Save details" />
        </Form>
      </section>

      <section className="card" aria-labelledby="targets-title">
        <h2 id="targets-title">Response targets</h2>
        <p className="muted">
          How soon this inbox promises an answer. The inbox shows each waiting conversation as due, due soon or overdue; the team report
          counts how many answers met the target. Leave an amount empty for no target.
        </p>
        <SavedNotice show={result?.intent === "targets" && result.saved}>Response targets saved.</SavedNotice>
        <ErrorNotice message={errors.targets} />
        <Form method="post" className="form form--grid" noValidate>
          <CsrfInput />
          <input type="hidden" name="intent" value="targets" />
          <TargetField id="target-first" name="firstResponse" label="First response within" values={targetValues} error={errors.firstResponse}
            hint="From when the visitor starts waiting for a person until the first reply by one." />
          <TargetField id="target-next" name="nextReply" label="Every next reply within" values={targetValues} error={errors.nextReply}
            hint="After the first reply: from each new visitor message until a person answers it." />
          <div className="field">
            <label>
              <input type="checkbox" name="businessHours" defaultChecked={targetValues.businessHours === "on"} style={{ width: "auto" }} /> Count
              only business hours
            </label>
            <p className="field__hint">
              {hasBusinessHours
                ? "A wait over a night or a weekend counts only its business part (the workspace’s hours, set on the Reports page; a conversation of a team with its own hours counts the team’s)."
                : "The workspace has no business hours yet (an admin sets them on the Reports page): until then targets count around the clock, except for conversations of a team with its own hours."}
            </p>
            <FieldError message={errors.businessHours} />
          </div>
          <SubmitActions busy={busyWith === "targets"} label="Save response targets" />
        </Form>
      </section>
    </>
  );
}

/** An amount and its unit (minutes or hours). */
function TargetField(props: { id: string; name: string; label: string; hint: string; values: Record<string, string>; error: string | undefined }) {
  const { id, name, label, hint, values, error } = props;
  return (
    <Field id={id} label={label} hint={hint} {...(error ? { error } : {})}>
      {(field) => (
        <span className="target-field">
          <input {...field} name={name} inputMode="decimal" autoComplete="off" defaultValue={values[name] ?? ""} size={6} />
          <select name={`${name}Unit`} aria-label={`${label}: unit`} defaultValue={values[`${name}Unit`] || "hours"}>
            <option value="minutes">minutes</option>
            <option value="hours">hours</option>
          </select>
        </span>
      )}
    </Field>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
