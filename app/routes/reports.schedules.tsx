/**
 * /reports/schedules (admins and analysts) — report emails (decision 056): the team report, and
 * on request the bot overview, mailed every day or every week at an hour of the workspace's clock
 * to people of the workspace who read reports, through a team email channel. Add, change, pause,
 * resume, delete and "Send now" (a test); each schedule shows its next run and its last outcome.
 * Plain forms: everything works without JavaScript. The team report's filters in this page's URL
 * (its "Email this report" link) fill the new schedule's.
 */
import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field, FieldError } from "../components/field.js";
import { formatStamp } from "../components/reports/format.js";
import reportStyles from "../components/reports/reports.css?url";
import { ErrorNotice, SavedNotice } from "../components/settings/notices.js";
import { DeleteItem } from "../components/settings/page-parts.js";
import { fieldErrors, formValues } from "../forms.js";
import { access } from "../roles.js";
import { attempt, MAX_SCHEDULE_NAME, Reports, ReportSchedules, run, SCHEDULE_WEEKDAYS, type ReportSchedule } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: reportStyles }];

export const meta: MetaFunction = () => [{ title: "Report emails · Reports · Parley" }];

const FIELDS = ["name", "frequency", "weekday", "hour", "inbox", "team", "channel", "hours", "includeBots", "paused", "sendChannel"] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.reports);
  const [schedules, choices, options, timezone] = await Promise.all([
    run(context, Effect.flatMap(ReportSchedules, (s) => s.list(user))),
    run(context, Effect.flatMap(ReportSchedules, (s) => s.options(user))),
    run(context, Effect.flatMap(Reports, (r) => r.options())),
    run(context, Effect.flatMap(Reports, (r) => r.timezone())),
  ]);
  // The team report's "Email this report" link brings its filters along.
  const params = new URL(request.url).searchParams;
  const prefill: Record<string, string> = {};
  for (const key of ["inbox", "team", "channel", "hours"] as const) {
    const value = params.get(key);
    if (value) prefill[key] = value;
  }
  return {
    schedules,
    choices,
    filters: { inboxes: options.inboxes, teams: options.teams, channels: options.channels },
    timezone,
    prefill,
    me: user.id,
    // The service's limits and words for the form (runtime values stay on the server).
    nameMax: MAX_SCHEDULE_NAME,
    weekdays: SCHEDULE_WEEKDAYS,
  };
}

type Intent = "create" | "update" | "pause" | "resume" | "delete" | "send";
const INTENTS: ReadonlyArray<Intent> = ["create", "update", "pause", "resume", "delete", "send"];

export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.reports);
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "") as Intent;
  const id = String(form.get("id") ?? "");
  const values: Record<string, string> = formValues(form, FIELDS);
  const recipients = form.getAll("recipients").filter((v): v is string => typeof v === "string");
  if (!INTENTS.includes(intent)) {
    return data({ intent, id, errors: { form: `unknown intent “${intent}”` } as Record<string, string>, values, recipients, sent: null }, { status: 400 });
  }
  const input = { ...values, recipients };
  const result = await attempt(
    context,
    Effect.flatMap(ReportSchedules, (s) =>
      intent === "send"
        ? s.sendNow(user, id)
        : Effect.as(
            intent === "create"
              ? s.create(user, input)
              : intent === "update"
                ? s.update(user, id, input)
                : intent === "delete"
                  ? s.remove(user, id)
                  : s.setPaused(user, id, intent === "pause"),
            null,
          ),
    ),
  );
  if (!result.ok) {
    return data({ intent, id, errors: fieldErrors(result.error), values, recipients, sent: null }, { status: result.status });
  }
  return { intent, id, errors: {} as Record<string, string>, values: null, recipients: null, sent: result.value };
}

const hourLabel = (hour: number) => `${String(hour).padStart(2, "0")}:00`;
const periodText = (period: string) => period.replace("..", " to ");

/** The last outcome in words, with the retry under way. */
function Outcome({ schedule, timezone }: { schedule: ReportSchedule; timezone: string }) {
  const last = schedule.last;
  return (
    <>
      {last === null ? (
        <span className="muted">Not sent yet</span>
      ) : (
        <span>
          {last.status === "sent" ? "Sent" : last.status === "failed" ? "Failed" : "Skipped"} {formatStamp(last.at, timezone)}
          {last.period ? ` (${periodText(last.period)})` : ""}
          {last.reason ? `: ${last.reason}` : ""}
        </span>
      )}
      {schedule.retry ? (
        <span className="muted">
          {" "}
          · Trying again at {formatStamp(schedule.retry.at, timezone)} (try {schedule.retry.attempts + 1}){schedule.retry.error ? `: ${schedule.retry.error}` : ""}
        </span>
      ) : null}
    </>
  );
}

function ScheduleFields({ prefix, values, recipients, errors }: { prefix: string; values: Readonly<Record<string, string>>; recipients: ReadonlyArray<string>; errors: Readonly<Record<string, string>> }) {
  const { choices, filters, timezone, nameMax, weekdays } = useLoaderData<typeof loader>();
  const select = (name: "inbox" | "team" | "channel", label: string, all: string, list: ReadonlyArray<{ id: string; name: string }>) => (
    <Field id={`${prefix}-${name}`} label={label} error={errors[name]}>
      {(props) => (
        <select {...props} name={name} defaultValue={values[name] ?? ""}>
          <option value="">{all}</option>
          {list.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
  return (
    <>
      <Field id={`${prefix}-name`} label="Name" error={errors.name} hint="Shown in the subject, e.g. Weekly support summary">
        {(props) => <input {...props} name="name" defaultValue={values.name ?? ""} maxLength={nameMax} autoComplete="off" required />}
      </Field>
      <div className="form--grid">
        <Field id={`${prefix}-frequency`} label="How often" error={errors.frequency} hint="Daily covers the day before; weekly the 7 days before.">
          {(props) => (
            <select {...props} name="frequency" defaultValue={values.frequency ?? "weekly"}>
              <option value="weekly">Every week</option>
              <option value="daily">Every day</option>
            </select>
          )}
        </Field>
        <Field id={`${prefix}-weekday`} label="On (weekly)" error={errors.weekday}>
          {(props) => (
            <select {...props} name="weekday" defaultValue={values.weekday ?? "1"}>
              {weekdays.map((day, i) => (
                <option key={day} value={String(i + 1)}>
                  {day}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id={`${prefix}-hour`} label="Hour" error={errors.hour} hint={`On the workspace's clock (${timezone})`}>
          {(props) => (
            <select {...props} name="hour" defaultValue={values.hour ?? "8"}>
              {Array.from({ length: 24 }, (_, h) => (
                <option key={h} value={String(h)}>
                  {hourLabel(h)}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <div className="form--grid">
        {select("inbox", "Inbox", "All inboxes", filters.inboxes)}
        {select("team", "Team", "All teams", filters.teams)}
        {select("channel", "Channel", "All channels", filters.channels)}
      </div>
      <label className="choice">
        <input type="checkbox" name="hours" value="business" defaultChecked={values.hours === "business"} /> Count durations in business hours only
      </label>
      <FieldError message={errors.hours} />
      <label className="choice">
        <input type="checkbox" name="includeBots" defaultChecked={values.includeBots === "on" || values.includeBots === "true"} /> Add the bot overview
      </label>
      <fieldset className="choices" aria-describedby={errors.recipients ? `${prefix}-recipients-error` : undefined}>
        <legend>Send to</legend>
        {choices.people.map((p) => (
          <label key={p.id} className="choice">
            <input type="checkbox" name="recipients" value={p.id} defaultChecked={recipients.includes(p.id)} />
            <span>
              {p.name} <span className="muted">({p.email}, {p.role})</span>
            </span>
          </label>
        ))}
        <p className="field__hint">Only admins and analysts of this workspace: people who may read reports.</p>
        <FieldError id={`${prefix}-recipients-error`} message={errors.recipients} />
      </fieldset>
      <Field id={`${prefix}-sendChannel`} label="Send through" error={errors.sendChannel}>
        {(props) => (
          <select {...props} name="sendChannel" defaultValue={values.sendChannel ?? ""}>
            <option value="">The first team email that can send</option>
            {choices.sendChannels.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
                {c.canSend ? "" : " (cannot send yet: no relay or send-as address)"}
              </option>
            ))}
          </select>
        )}
      </Field>
    </>
  );
}

const valuesOf = (s: ReportSchedule): Record<string, string> => ({
  name: s.name,
  frequency: s.frequency,
  weekday: String(s.weekday),
  hour: String(s.hour),
  inbox: s.filters.inbox ?? "",
  team: s.filters.team ?? "",
  channel: s.filters.channel ?? "",
  hours: s.filters.hours ?? "",
  includeBots: s.includeBots ? "on" : "",
  paused: s.paused ? "on" : "",
  sendChannel: s.sendChannel?.id ?? "",
});

export default function ReportSchedulesPage() {
  const { schedules, choices, timezone, prefill, me } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const createErrors = result?.intent === "create" ? result.errors : {};
  const createValues = result?.intent === "create" && result.values ? result.values : prefill;
  const createRecipients = result?.intent === "create" && result.recipients ? result.recipients : [me];
  const noSender = !choices.sendChannels.some((c) => c.canSend);
  const sentWords = (status: string) => (status === "sent" ? "Sent" : status === "failed" ? "Not sent" : "Skipped");
  return (
    <>
      <header className="page-header">
        <p>
          <Link to="/reports">← Reports</Link>
        </p>
        <h1>Report emails</h1>
        <p className="lead">
          The team report by email, every day or every week: the headline figures beside the period before, the top agents by replies, the response
          targets met, a link to the report, and the agents table as CSV.
        </p>
      </header>
      {noSender ? (
        <p className="notice notice--warning" role="note">
          No team email channel can send yet: report emails are skipped until one has an outgoing relay and a send-as address (Settings → Channels).
        </p>
      ) : null}
      <SavedNotice show={result !== undefined && result.sent === null && Object.keys(result.errors).length === 0}>
        {result?.intent === "create"
          ? "The report email is added."
          : result?.intent === "delete"
            ? "The report email is deleted."
            : result?.intent === "pause"
              ? "The report email is paused."
              : result?.intent === "resume"
                ? "The report email is running again."
                : "The report email is saved."}
      </SavedNotice>
      {result?.sent ? (
        result.sent.status === "sent" ? (
          <p className="notice notice--success" role="status">
            Sent: the report for {result.sent.period.from === result.sent.period.to ? result.sent.period.from : `${result.sent.period.from} to ${result.sent.period.to}`}.
          </p>
        ) : (
          <ErrorNotice message={`${sentWords(result.sent.status)}: ${result.sent.reason ?? ""}`} tone="warning" />
        )
      ) : null}
      <section className="card" aria-labelledby="schedules-title">
        <h2 id="schedules-title">Report emails ({schedules.length})</h2>
        {schedules.length === 0 ? <p className="muted">None yet. Add the first one below.</p> : null}
        {schedules.map((s) => {
          const mine = result?.id === s.id && result.intent === "update" && Object.keys(result.errors).length > 0;
          const errors: Record<string, string> = result?.id === s.id ? result.errors : {};
          const values = mine && result?.values ? result.values : valuesOf(s);
          const recipients = mine && result?.recipients ? result.recipients : s.recipients.map((r) => r.id);
          return (
            <details key={s.id} className="saved-reply" open={mine}>
              <summary>
                <strong>{s.name}</strong>{" "}
                <span className="muted">
                  · {s.cadence} · to {s.recipients.length} {s.recipients.length === 1 ? "person" : "people"} ·{" "}
                  {s.paused ? "Paused" : s.nextRunAt !== null ? `Next ${formatStamp(s.nextRunAt, timezone)}` : ""}
                </span>
                <br />
                <span className="report-schedule__last">
                  Last: <Outcome schedule={s} timezone={timezone} />
                </span>
              </summary>
              <Form method="post" className="form" aria-label={`Edit ${s.name}`}>
                <CsrfInput />
                <input type="hidden" name="id" value={s.id} />
                {s.paused ? <input type="hidden" name="paused" value="on" /> : null}
                <ErrorNotice message={mine ? errors.form : undefined} />
                <ScheduleFields prefix={s.id} values={values} recipients={recipients} errors={mine ? errors : {}} />
                <div className="form__actions">
                  <button type="submit" name="intent" value="update" className="button" disabled={busy}>
                    Save
                  </button>
                </div>
              </Form>
              <ErrorNotice message={!mine && result?.id === s.id ? errors.form : undefined} />
              <Form method="post" className="form__actions">
                <CsrfInput />
                <input type="hidden" name="id" value={s.id} />
                <button type="submit" name="intent" value="send" className="button button--secondary" disabled={busy}>
                  Send now<span className="visually-hidden"> {s.name}</span>
                </button>
                <button type="submit" name="intent" value={s.paused ? "resume" : "pause"} className="button button--secondary" disabled={busy}>
                  {s.paused ? "Resume" : "Pause"}
                  <span className="visually-hidden"> {s.name}</span>
                </button>
              </Form>
              <DeleteItem id={s.id} name={s.name} busy={busy}>
                <p>Nobody gets “{s.name}” any more. This cannot be undone.</p>
              </DeleteItem>
            </details>
          );
        })}
      </section>
      <section className="card" aria-labelledby="new-schedule-title">
        <h2 id="new-schedule-title">Email this report</h2>
        <ErrorNotice message={createErrors.form} />
        <Form method="post" className="form" noValidate key={result?.intent === "create" && Object.keys(result.errors).length === 0 ? `saved-${schedules.length}` : "new"}>
          <CsrfInput />
          <input type="hidden" name="intent" value="create" />
          <ScheduleFields prefix="new" values={createValues} recipients={createRecipients} errors={createErrors} />
          <div className="form__actions">
            <button type="submit" className="button" disabled={busy}>
              Add report email
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
