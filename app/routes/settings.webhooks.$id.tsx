/**
 * /settings/webhooks/:id (admins) — one outgoing webhook: its signing secret (copy, roll), its
 * URL, description, events and state, "Send test event", the latest deliveries with
 * "Redeliver" for a failed one, and delete (after a confirmation).
 */
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation, useRevalidator } from "@remix-run/react";
import { Effect } from "effect";
import { useEffect, useRef, useState } from "react";
import { CopyButton } from "../components/copy-button.js";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Time } from "../components/inbox/time.js";
import { ErrorNotice, SavedNotice, SubmitActions } from "../components/settings/notices.js";
import { DetailHeader } from "../components/settings/page-parts.js";
import { deliveryStateLabel, WebhookFields, webhookFormInput, wrapAnywhere, type WebhookFormValues } from "../components/settings/webhook-fields.js";
import { fieldErrors } from "../forms.js";
import { access } from "../roles.js";
import { attempt, errorResponse, OutgoingWebhooks, run, WEBHOOK_EVENT_LABELS, WEBHOOK_EVENT_TYPES, WEBHOOK_LOG_SIZE } from "../runtime.server.js";
import { redirectWithNotice, requireUser, takeNotice } from "../session.server.js";

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [{ title: `${loaded?.webhook.url ?? "Webhook"} · Webhooks · Settings · Parley` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.settings);
  const id = params.id ?? "";
  const { webhook, deliveries } = await run(
    context,
    Effect.flatMap(OutgoingWebhooks, (w) => Effect.all({ webhook: w.get(user, id), deliveries: w.deliveries(user, id) })),
  );
  const { notice, headers } = await takeNotice(request, context);
  // The signing secret is on the page: no cache keeps it.
  return data(
    { webhook, deliveries, now: Date.now(), eventTypes: WEBHOOK_EVENT_TYPES, labels: WEBHOOK_EVENT_LABELS, logSize: WEBHOOK_LOG_SIZE, notice },
    { headers: { ...headers, "Cache-Control": "no-store" } },
  );
}

const intents = ["update", "enable", "disable", "roll-secret", "test", "redeliver", "delete"] as const;
type Intent = (typeof intents)[number];

const done: Record<Exclude<Intent, "delete">, string> = {
  update: "The webhook is saved.",
  enable: "The webhook is enabled.",
  disable: "The webhook is disabled: nothing is sent to it until it is enabled again.",
  "roll-secret": "A new secret is set: deliveries from now on are signed with it. Update your receiver.",
  test: "A test event is on its way: its delivery appears below.",
  redeliver: "The delivery is queued again.",
};

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.settings);
  const id = params.id ?? "";
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "") as Intent;
  if (!intents.includes(intent)) {
    return data({ intent, errors: { form: `unknown intent “${intent}”: expected ${intents.join(", ")}` }, values: null, message: null }, { status: 400 });
  }
  if (intent === "delete") {
    const result = await attempt(context, Effect.flatMap(OutgoingWebhooks, (w) => w.remove(user, id)));
    if (!result.ok) throw errorResponse(result.cause);
    return redirectWithNotice(request, context, "/settings/webhooks", "The webhook is deleted.");
  }
  const values = intent === "update" ? webhookFormInput(form) : null;
  const deliveryId = String(form.get("deliveryId") ?? "");
  const result = await attempt(
    context,
    Effect.flatMap(OutgoingWebhooks, (w): Effect.Effect<unknown, Parameters<typeof errorResponse>[0]> => {
      switch (intent) {
        case "update":
          return w.update(user, id, values);
        case "enable":
        case "disable":
          return w.setEnabled(user, id, intent === "enable");
        case "roll-secret":
          return w.rollSecret(user, id);
        case "test":
          return w.sendTest(user, id);
        case "redeliver":
          return w.redeliver(user, id, deliveryId);
      }
    }),
  );
  if (!result.ok) {
    if (result.cause._tag === "NotFound" && intent !== "redeliver") throw errorResponse(result.cause);
    return data({ intent, errors: fieldErrors(result.error), values, message: null }, { status: result.status });
  }
  return { intent, errors: {} as Record<string, string>, values: null, message: done[intent] };
}

/** A receiver's answer quoted in an error can be a whole HTML page: its start, and the rest on demand. */
const ERROR_EXCERPT = 120;

/**
 * A delivery's error in the log, at least 14rem wide (broken anywhere, a long one squeezed its
 * column to a word per line, thousands of pixels tall on a phone); a long one shows its start
 * and opens to the whole.
 */
function DeliveryError({ error }: { error: string }) {
  const style = { ...wrapAnywhere, minWidth: "14rem" };
  if (error.length <= ERROR_EXCERPT) {
    return (
      <div className="muted" style={style}>
        {error}
      </div>
    );
  }
  return (
    <details className="muted" style={style}>
      <summary>{error.slice(0, ERROR_EXCERPT)}…</summary>
      {error}
    </details>
  );
}

/** How often the log is re-read while a delivery is due, and for how long at most (a minute). */
const DUE_POLL_MS = 2_000;
const DUE_POLLS_MAX = 30;

/**
 * While a delivery is due (a test event just sent, a redelivery), re-reads the page every
 * 2 seconds until it has gone out, so its outcome shows without a reload; a retry an hour away
 * is not polled for.
 */
function useRefreshWhileDue(due: boolean, now: number) {
  const revalidator = useRevalidator();
  const polls = useRef(0);
  useEffect(() => {
    if (!due) {
      polls.current = 0;
      return;
    }
    if (revalidator.state !== "idle" || polls.current >= DUE_POLLS_MAX) return;
    const timer = setTimeout(() => {
      polls.current += 1;
      revalidator.revalidate();
    }, DUE_POLL_MS);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [due, now, revalidator.state]);
}

export default function WebhookSettings() {
  const { webhook, deliveries, now, eventTypes, labels, logSize, notice } = useLoaderData<typeof loader>();
  useRefreshWhileDue(
    webhook.enabled && deliveries.some((d) => d.status === "pending" && d.nextAttemptAt !== null && d.nextAttemptAt <= now + DUE_POLL_MS),
    now,
  );
  // Re-reading the log (above) drops the action's data: its message is kept until the next one.
  const answered = useActionData<typeof action>();
  const [lastAnswer, setLastAnswer] = useState(answered);
  useEffect(() => {
    if (answered !== undefined) setLastAnswer(answered);
  }, [answered]);
  const result = answered ?? lastAnswer;
  const busy = useNavigation().state === "submitting";
  const errors: Record<string, string> = result?.errors ?? {};
  const updateErrors = result?.intent === "update" ? errors : {};
  const values: WebhookFormValues = result?.intent === "update" && result.values ? result.values : webhook;
  return (
    <>
      <DetailHeader back={{ to: "/settings/webhooks", label: "Webhooks" }} title={webhook.description || "Webhook"}>
        <span style={wrapAnywhere}>{webhook.url}</span> · {webhook.enabled ? "Enabled" : "Disabled"}
      </DetailHeader>
      <SavedNotice show={notice !== null && result === undefined}>{notice}</SavedNotice>
      <SavedNotice show={result?.message != null}>{result?.message}</SavedNotice>
      {result?.intent !== "update" ? <ErrorNotice message={errors.form} /> : null}

      <section className="card" aria-labelledby="secret-title">
        <h2 id="secret-title">Signing secret</h2>
        <p className="muted">
          Each delivery carries <code>X-Parley-Signature: t=…,v1=…</code>, an HMAC-SHA256 of <code>t.body</code> with this secret. Check it
          before trusting a delivery.
        </p>
        <div className="field">
          <label htmlFor="webhook-secret">Secret</label>
          <input id="webhook-secret" readOnly value={webhook.secret} spellCheck={false} autoComplete="off" />
          <CopyButton text={webhook.secret} label="Copy secret" />
        </div>
        <Form method="post">
          <CsrfInput />
          <button type="submit" name="intent" value="roll-secret" className="button button--secondary" disabled={busy}>
            Roll secret
          </button>
        </Form>
      </section>

      <section className="card" aria-labelledby="test-title">
        <h2 id="test-title">Test</h2>
        <p className="muted">
          Sends a <code>ping</code> event to the URL now.
        </p>
        <Form method="post" className="form__actions">
          <CsrfInput />
          <button type="submit" name="intent" value="test" className="button" disabled={busy || !webhook.enabled}>
            Send test event
          </button>{" "}
          <button type="submit" name="intent" value={webhook.enabled ? "disable" : "enable"} className="button button--secondary" disabled={busy}>
            {webhook.enabled ? "Disable" : "Enable"}
          </button>
        </Form>
        {!webhook.enabled ? <p className="muted">Enable the webhook to send a test event.</p> : null}
      </section>

      <section className="card" aria-labelledby="deliveries-title">
        <h2 id="deliveries-title">Latest deliveries</h2>
        {deliveries.length === 0 ? (
          <p className="muted">None yet.</p>
        ) : (
          <table className="table">
            <caption className="visually-hidden">The latest {logSize} deliveries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Response</th>
                <th scope="col">Attempts</th>
                <th scope="col">
                  <span className="visually-hidden">Redeliver</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((delivery) => (
                <tr key={delivery.id}>
                  <td>
                    <Time at={delivery.createdAt} now={now} style="full" />
                  </td>
                  <td>
                    <code>{delivery.eventType}</code>
                  </td>
                  <td>
                    <span className="badge">{deliveryStateLabel(delivery)}</span>
                    {delivery.nextAttemptAt !== null && delivery.attempts > 0 ? (
                      <div className="muted">
                        Next try <Time at={delivery.nextAttemptAt} now={now} style="full" />
                      </div>
                    ) : null}
                  </td>
                  <td>
                    {delivery.responseStatus ?? "—"}
                    {delivery.error ? <DeliveryError error={delivery.error} /> : null}
                  </td>
                  <td>{delivery.attempts}</td>
                  <td>
                    {delivery.status === "failed" ? (
                      <Form method="post">
                        <CsrfInput />
                        <input type="hidden" name="deliveryId" value={delivery.id} />
                        <button
                          type="submit"
                          name="intent"
                          value="redeliver"
                          className="button button--secondary button--small"
                          disabled={busy}
                          aria-label={`Redeliver the ${delivery.eventType} delivery`}
                        >
                          Redeliver
                        </button>
                      </Form>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section className="card" aria-labelledby="edit-title">
        <h2 id="edit-title">Settings</h2>
        {result?.intent === "update" ? <ErrorNotice message={updateErrors.form} /> : null}
        {/* Remounted when Enable/Disable changed the state, so a later Save does not post the old one. */}
        <Form method="post" className="form" key={`${result?.intent === "update" && !result.values ? "saved" : "edit"}-${webhook.enabled}`}>
          <CsrfInput />
          <input type="hidden" name="intent" value="update" />
          <WebhookFields prefix="edit" values={values} errors={updateErrors} eventTypes={eventTypes} labels={labels} />
          <SubmitActions busy={busy} label="Save" />
        </Form>
      </section>

      <section className="card" aria-labelledby="delete-title">
        <h2 id="delete-title">Delete</h2>
        <details>
          <summary>Delete this webhook…</summary>
          <Form method="post">
            <CsrfInput />
            <p>Nothing more is sent to this URL, and its delivery log is deleted. This cannot be undone.</p>
            <button type="submit" name="intent" value="delete" className="button button--danger" disabled={busy}>
              Yes, delete this webhook
            </button>
          </Form>
        </details>
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
