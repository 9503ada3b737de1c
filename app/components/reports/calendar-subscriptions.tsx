/**
 * "Follow a calendar" (decision 057): the calendar URLs a list of closed dates follows — the
 * workspace's on the Reports page, a team's own on its page — each with when it was last synced
 * (or why the last sync failed, which changed nothing), Sync now, and Unsubscribe keeping or
 * removing the dates it added; and a form to subscribe to one more. Plain forms: they work
 * without JavaScript; errors show at the URL field.
 */
import { Form } from "@remix-run/react";
import { CsrfInput } from "../csrf-input.js";
import { Field } from "../field.js";
import { ErrorNotice } from "../settings/notices.js";
import { formatStamp } from "./format.js";

/** One subscription as the panel shows it (the loader's view of CalendarSubscriptions.list). */
export interface SubscriptionRow {
  readonly id: string;
  readonly url: string;
  readonly status: "ok" | "failed";
  readonly error: string | null;
  readonly lastSyncedAt: number | null;
  readonly lastAttemptAt: number | null;
  readonly nextSyncAt: number;
  readonly dates: number;
}

export function CalendarSubscriptionsPanel(props: {
  /** Unique per page, for the fields' ids. */
  readonly id: string;
  readonly subscriptions: ReadonlyArray<SubscriptionRow>;
  /** The zone times are shown in (the list's own). */
  readonly timezone: string;
  /** What the last post of these forms answered, else null. */
  readonly result: { readonly errors: Readonly<Record<string, string>> | null; readonly notice: string | null } | null;
  readonly busy: boolean;
}) {
  const { id, subscriptions, timezone, result } = props;
  const errors = result?.errors ?? {};
  return (
    <section className="report-subscriptions" id={id} aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Follow a calendar</h3>
      <p className="muted">
        Subscribe to a calendar URL (a country&apos;s public holidays, your company calendar) and Parley reads it again every 6 hours: its new
        whole-day events are added as closed dates, renamed ones renamed, and those it drops removed. Only the dates a subscription added itself
        change; dates typed here or imported once never do. A sync that fails changes nothing.
      </p>
      {subscriptions.length > 0 ? (
        <ul className="report-subscriptions__list" aria-labelledby={`${id}-title`}>
          {subscriptions.map((s) => (
            <li key={s.id} className="report-subscriptions__item">
              <p className="report-subscriptions__url">
                <strong>{s.url}</strong>
              </p>
              <p className="muted">
                {s.lastSyncedAt === null ? "Not synced yet" : `Last synced ${formatStamp(s.lastSyncedAt, timezone)}`} · next {formatStamp(s.nextSyncAt, timezone)} ·{" "}
                {s.dates === 1 ? "1 closed date" : `${s.dates} closed dates`} from it
              </p>
              {s.status === "failed" ? (
                <p className="notice notice--error" role="alert">
                  Last sync failed {s.lastAttemptAt !== null ? `at ${formatStamp(s.lastAttemptAt, timezone)}` : ""}: {s.error}. No date was changed.
                </p>
              ) : null}
              <div className="report-subscriptions__actions">
                <Form method="post">
                  <CsrfInput />
                  <input type="hidden" name="intent" value="subscription-sync" />
                  <input type="hidden" name="id" value={s.id} />
                  <button type="submit" className="button button--secondary button--small" disabled={props.busy} aria-label={`Sync now: ${s.url}`}>
                    Sync now
                  </button>
                </Form>
                <Form method="post" className="report-subscriptions__remove">
                  <CsrfInput />
                  <input type="hidden" name="intent" value="subscription-remove" />
                  <input type="hidden" name="id" value={s.id} />
                  <label>
                    <span className="report-vh">Its closed dates</span>
                    <select name="keepDates" defaultValue="true" aria-label={`When unsubscribing from ${s.url}`}>
                      <option value="true">Keep its dates</option>
                      <option value="false">Remove its dates</option>
                    </select>
                  </label>
                  <button type="submit" className="button button--secondary button--small" disabled={props.busy} aria-label={`Unsubscribe: ${s.url}`}>
                    Unsubscribe
                  </button>
                </Form>
              </div>
            </li>
          ))}
        </ul>
      ) : null}
      <ErrorNotice message={errors.id ?? errors.form} />
      {result?.notice ? (
        <p className="notice notice--success" role="status">
          {result.notice}
        </p>
      ) : null}
      {/* A fresh (empty) form after each answered post, so a subscribed URL is not left in the field. */}
      <Form key={result?.notice ?? "add"} method="post" className="form form--grid report-closed__add" noValidate>
        <CsrfInput />
        <input type="hidden" name="intent" value="subscription-add" />
        <Field id={`${id}-url`} label="Calendar URL to follow" error={errors.url ?? errors.teamId} hint="https://, http:// or webcal:// — such as a calendar's public or secret iCal address.">
          {(fieldProps) => <input {...fieldProps} name="url" type="url" inputMode="url" maxLength={2000} placeholder="https://calendar.example.com/holidays.ics" />}
        </Field>
        <div className="form__actions">
          <button type="submit" className="button" disabled={props.busy}>
            Subscribe
          </button>
        </div>
      </Form>
    </section>
  );
}
