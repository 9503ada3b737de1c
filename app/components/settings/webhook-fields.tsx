/**
 * The fields of an outgoing webhook (Settings → Webhooks): URL, description, the events it
 * hears, and whether it is on. The list page's "Add a webhook" and the detail page's edit form
 * share them, and so do their actions' reading of the posted form.
 */
import { Field, FieldError } from "../field.js";
import type { WebhookEventType } from "../../runtime.server.js";

/** A long URL wraps instead of widening a phone's page. */
export const wrapAnywhere = { overflowWrap: "anywhere" } as const;

/** A delivery's status as the pages name it. */
export const deliveryStatusLabels = { pending: "Pending", succeeded: "Succeeded", failed: "Failed" } as const;

/**
 * A delivery's state in words: a pending one the receiver has already failed is "Retrying", so
 * the list does not call a failing receiver merely "Pending". Pure.
 */
export const deliveryStateLabel = (delivery: { readonly status: keyof typeof deliveryStatusLabels; readonly attempts: number }): string =>
  delivery.status === "pending" && delivery.attempts > 0
    ? `Retrying (${delivery.attempts} failed ${delivery.attempts === 1 ? "attempt" : "attempts"})`
    : deliveryStatusLabels[delivery.status];

/** What the form posted, as the service's input (`eventTypes` from the checkboxes). Pure. */
export const webhookFormInput = (form: FormData): { url: string; description: string; eventTypes: string[]; enabled: boolean } => ({
  url: String(form.get("url") ?? ""),
  description: String(form.get("description") ?? ""),
  eventTypes: form.getAll("eventTypes").map(String),
  enabled: form.get("enabled") === "on",
});

/** The posted values kept to fill the form again after an error. */
export interface WebhookFormValues {
  readonly url: string;
  readonly description: string;
  readonly eventTypes: ReadonlyArray<string>;
  readonly enabled: boolean;
}

/** URL, description, the event checkboxes and Enabled, each error under its field. */
export function WebhookFields({
  prefix,
  values,
  errors,
  eventTypes,
  labels,
}: {
  prefix: string;
  values: WebhookFormValues;
  errors: Record<string, string>;
  eventTypes: ReadonlyArray<WebhookEventType>;
  labels: Readonly<Record<WebhookEventType, string>>;
}) {
  const eventsError = errors.eventTypes;
  return (
    <>
      <Field id={`${prefix}-url`} label="URL" error={errors.url} hint="Parley POSTs JSON here, e.g. https://example.com/hooks/parley">
        {(props) => <input {...props} name="url" type="url" inputMode="url" defaultValue={values.url} autoComplete="off" maxLength={2000} />}
      </Field>
      <Field id={`${prefix}-description`} label="Description (optional)" error={errors.description} hint="What it is for, e.g. CRM sync">
        {(props) => <input {...props} name="description" defaultValue={values.description} autoComplete="off" maxLength={200} />}
      </Field>
      <fieldset className="choices" aria-describedby={eventsError ? `${prefix}-events-error` : undefined} aria-invalid={eventsError ? true : undefined}>
        <legend>Events</legend>
        {eventTypes.map((type) => (
          <label key={type} className="choice">
            <input type="checkbox" name="eventTypes" value={type} defaultChecked={values.eventTypes.includes(type)} />{" "}
            <span>
              <code>{type}</code> <span className="muted">{labels[type]}</span>
            </span>
          </label>
        ))}
        {eventsError ? <FieldError id={`${prefix}-events-error`} message={eventsError} /> : null}
      </fieldset>
      <div className="field">
        <label>
          <input type="checkbox" name="enabled" defaultChecked={values.enabled} /> Enabled
        </label>
      </div>
    </>
  );
}
