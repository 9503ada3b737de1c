/**
 * /settings/webhooks (admins) — outgoing webhooks: Parley POSTs signed JSON to a URL when
 * things happen (docs/webhooks.md). The list with each webhook's events and latest delivery,
 * and "Add a webhook", which opens the new webhook's page with its signing secret.
 */
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Time } from "../components/inbox/time.js";
import { ErrorNotice, SavedNotice, SubmitActions } from "../components/settings/notices.js";
import { deliveryStateLabel, WebhookFields, webhookFormInput, wrapAnywhere, type WebhookFormValues } from "../components/settings/webhook-fields.js";
import { fieldErrors } from "../forms.js";
import { access } from "../roles.js";
import { attempt, OutgoingWebhooks, run, WEBHOOK_EVENT_LABELS, WEBHOOK_EVENT_TYPES } from "../runtime.server.js";
import { redirectWithNotice, requireUser, takeNotice } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Webhooks · Settings · Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.settings);
  const webhooks = await run(context, Effect.flatMap(OutgoingWebhooks, (w) => w.list(user)));
  const { notice, headers } = await takeNotice(request, context);
  return data({ webhooks, now: Date.now(), eventTypes: WEBHOOK_EVENT_TYPES, labels: WEBHOOK_EVENT_LABELS, notice }, { headers });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.settings);
  const form = await request.formData();
  const values = webhookFormInput(form);
  const result = await attempt(context, Effect.flatMap(OutgoingWebhooks, (w) => w.create(user, values)));
  if (result.ok) {
    return redirectWithNotice(
      request,
      context,
      `/settings/webhooks/${encodeURIComponent(result.value.id)}`,
      "The webhook is added. Copy its signing secret into your receiver, then send a test event.",
    );
  }
  return data({ errors: fieldErrors(result.error), values }, { status: result.status });
}

export default function WebhooksSettings() {
  const { webhooks, now, eventTypes, labels, notice } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors: Record<string, string> = result?.errors ?? {};
  const values: WebhookFormValues = result?.values ?? { url: "", description: "", eventTypes: [], enabled: true };
  return (
    <>
      <header className="page-header">
        <h1>Webhooks</h1>
        <p className="lead">
          Connect Parley to your CRM, Slack, n8n or Zapier: Parley POSTs signed JSON to a URL when conversations, labels, messages, contacts,
          tickets or ratings happen. The payloads and how to check the signature are in docs/webhooks.md.
        </p>
      </header>
      <SavedNotice show={notice !== null && result === undefined}>{notice}</SavedNotice>
      <section className="card" aria-labelledby="webhooks-title">
        <h2 id="webhooks-title">Webhooks ({webhooks.length})</h2>
        {webhooks.length === 0 ? (
          <p className="muted">None yet. Add the first one below.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">State</th>
                <th scope="col">Latest delivery</th>
              </tr>
            </thead>
            <tbody>
              {webhooks.map((webhook) => (
                <tr key={webhook.id}>
                  <td>
                    <Link to={`/settings/webhooks/${encodeURIComponent(webhook.id)}`} style={wrapAnywhere}>
                      {webhook.url}
                    </Link>
                    {webhook.description ? <div className="muted">{webhook.description}</div> : null}
                  </td>
                  <td>{webhook.eventTypes.join(", ")}</td>
                  <td>
                    <span className="badge">{webhook.enabled ? "Enabled" : "Disabled"}</span>
                  </td>
                  <td>
                    {webhook.lastDelivery ? (
                      <>
                        {deliveryStateLabel(webhook.lastDelivery)} · <Time at={webhook.lastDelivery.at} now={now} style="ago" />
                      </>
                    ) : (
                      <span className="muted">None yet</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="card" aria-labelledby="new-webhook-title">
        <h2 id="new-webhook-title">Add a webhook</h2>
        <ErrorNotice message={errors.form} />
        <Form method="post" className="form">
          <CsrfInput />
          <WebhookFields prefix="new" values={values} errors={errors} eventTypes={eventTypes} labels={labels} />
          <SubmitActions busy={busy} label="Add webhook" busyLabel="Adding…" />
        </Form>
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
