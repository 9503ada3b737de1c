import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field } from "../components/field.js";
import { InboxFormCard, NoInboxes } from "../components/settings/page-parts.js";
import { access } from "../roles.js";
import { attempt, run, Workspace } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Email filters · Settings · Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, access.settings);
  const inboxes = await run(context, Effect.flatMap(Workspace, (w) => w.listInboxes()));
  return { inboxes: inboxes.map((i) => ({ id: i.id, name: i.name, filters: i.emailFilters })) };
}

/** One entry per line (commas work too); blank lines dropped. Pure. */
const entries = (text: string): string[] =>
  text
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter((line) => line !== "");

export async function action({ request, context }: ActionFunctionArgs) {
  await requireUser(request, context, access.settings);
  const form = await request.formData();
  const inboxId = String(form.get("inboxId") ?? "");
  const values = { blockedSenders: String(form.get("blockedSenders") ?? ""), blockedDomains: String(form.get("blockedDomains") ?? "") };
  const emailFilters = { blockedSenders: entries(values.blockedSenders), blockedDomains: entries(values.blockedDomains) };
  const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.updateInbox(inboxId, { emailFilters })));
  if (!result.ok) {
    const errors: Record<string, string> = {};
    for (const issue of result.error.issues ?? []) {
      // emailFilters.blockedSenders[2] → the third entry of the senders box.
      const match = /^emailFilters\.(blockedSenders|blockedDomains)(?:\[(\d+)\])?/.exec(issue.path);
      if (!match) continue;
      const field = match[1] as "blockedSenders" | "blockedDomains";
      const index = match[2] === undefined ? undefined : Number(match[2]);
      errors[field] ??= index === undefined ? issue.message : `“${emailFilters[field][index]}”: ${issue.message}`;
    }
    if (Object.keys(errors).length === 0) errors.form = result.error.message;
    return data({ inboxId, errors, values, saved: false }, { status: result.status });
  }
  return { inboxId, errors: null, values: null, saved: true };
}

export default function EmailFiltersSettings() {
  const { inboxes } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busyInbox = navigation.state === "submitting" ? navigation.formData?.get("inboxId") : null;
  return (
    <>
      <header className="page-header">
        <h1>Email filters</h1>
        <p className="lead">
          Email from these senders or domains never opens a conversation. They are stored now and apply as soon as a team
          email is connected to the inbox. A domain also blocks its subdomains.
        </p>
      </header>
      <NoInboxes count={inboxes.length} />
      {inboxes.map((inbox) => {
        const mine = result?.inboxId === inbox.id ? result : null;
        const errors: Record<string, string> = mine?.errors ?? {};
        const values = mine?.values ?? {
          blockedSenders: inbox.filters.blockedSenders.join("\n"),
          blockedDomains: inbox.filters.blockedDomains.join("\n"),
        };
        const prefix = `filters-${inbox.id}`;
        return (
          <InboxFormCard
            key={inbox.id}
            inbox={inbox}
            prefix={prefix}
            saved={mine?.saved === true}
            savedText={`Email filters of ${inbox.name} saved.`}
            error={errors.form}
            // Stored filters come back lower-cased and de-duplicated: the form shows those.
            formKey={JSON.stringify(inbox.filters)}
            busy={busyInbox === inbox.id}
            submitLabel={`Save filters of ${inbox.name}`}
          >
            <Field id={`${prefix}-senders`} label="Blocked senders" error={errors.blockedSenders} hint="One email address per line.">
              {(props) => <textarea {...props} name="blockedSenders" rows={4} defaultValue={values.blockedSenders} />}
            </Field>
            <Field id={`${prefix}-domains`} label="Blocked domains" error={errors.blockedDomains} hint="One domain per line, like example.com.">
              {(props) => <textarea {...props} name="blockedDomains" rows={4} defaultValue={values.blockedDomains} />}
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
