import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useFetcher, useLoaderData, useNavigation } from "@remix-run/react";
import { useState, type ReactNode } from "react";
import { Effect } from "effect";
import { CopyButton } from "../components/copy-button.js";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field } from "../components/field.js";
import { TimezoneField, WeeklyHoursTable } from "../components/settings/hours-fields.js";
import { hoursIssueFields, weeklyHoursOf } from "../components/settings/hours-form.js";
import { ErrorNotice } from "../components/settings/notices.js";
import { formatClosedDate, formatHours, formatSpecialHours, formatStamp } from "../components/reports/format.js";
import { CalendarImportForm, type CalendarPreviewView } from "../components/reports/calendar-import-form.js";
import { CalendarSubscriptionsPanel } from "../components/reports/calendar-subscriptions.js";
import { loadSubscriptions, SUBSCRIPTION_INTENTS, subscriptionAction } from "../components/reports/calendar-subscriptions.server.js";
import { calendarErrors, calendarUploadTooLarge, postedDates, readCalendarForm, readPostedCalendar } from "../components/reports/calendar-import.server.js";
import reportStyles from "../components/reports/reports.css?url";
import { fieldErrors, formValues } from "../forms.js";
import { access } from "../roles.js";
import { AppConfig, attempt, CalendarFeed, holidayCountries, Reports, ReportSchedules, Routing, run } from "../runtime.server.js";
import { redirectWithNotice, requireUser, takeNotice } from "../session.server.js";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: reportStyles }];

export const meta: MetaFunction = () => [{ title: "Reports · Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.reports);
  const [timezone, businessHours, schedules, calendarFeedUrl, subscriptions] = await Promise.all([
    run(context, Effect.flatMap(Reports, (r) => r.timezone())),
    run(context, Effect.flatMap(Reports, (r) => r.businessHours())),
    run(context, Effect.flatMap(ReportSchedules, (s) => s.list(user))),
    // The secret feed URL opens the calendar without signing in: shown to admins only.
    user.role === "admin" ? run(context, calendarFeedUrlNow) : Promise.resolve(null),
    // The calendar URLs the closed dates follow (decision 057): admins only, a URL may be a secret address.
    user.role === "admin" ? loadSubscriptions(context, null) : Promise.resolve([]),
  ]);
  // Every zone this server knows, so the admin picks rather than types one.
  const zones = user.role === "admin" ? Intl.supportedValuesOf("timeZone") : [];
  // Today on the workspace's clock (en-CA writes YYYY-MM-DD), to mark closed dates that have passed.
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit" }).format(Date.now());
  // What the calendar feed's last change did (a one-time notice its redirect left).
  const { notice, headers } = await takeNotice(request, context);
  return data({
    timezone,
    businessHours,
    // Each report email with its last outcome (decision 056); kept on /reports/schedules.
    schedules: schedules.map((sc) => ({ id: sc.id, name: sc.name, cadence: sc.cadence, paused: sc.paused, last: sc.last, retrying: sc.retry !== null })),
    today,
    zones: zones.includes("UTC") ? zones : ["UTC", ...zones],
    canEdit: user.role === "admin",
    calendarFeedUrl,
    subscriptions,
    feedNotice: user.role === "admin" ? notice : null,
    // The countries whose public holidays an admin can add in one step (date-holidays' data).
    countries: user.role === "admin" ? holidayCountries() : [],
  }, { headers });
}

/** The workspace's feed URL (decision 052), or null while the feed is off. */
const calendarFeedUrlNow = Effect.gen(function* () {
  const token = yield* Effect.flatMap(CalendarFeed, (f) => f.token());
  const { publicUrl } = yield* AppConfig;
  return token === null ? null : `${publicUrl}/calendar/${token}/closed-dates.ics`;
});

/**
 * Admins set the workspace time zone that reports bucket days in, its weekly business hours,
 * and its closed dates (holidays): one added or removed at a time, a country's public holidays,
 * or a calendar's (an .ics upload or URL, previewed first).
 */
/**
 * `change` to the workspace's calendar, then what routing does after one (decision 048): the
 * queues drained and the inbox pages of the teams that follow it told. Composed here, as in
 * server/rest-workspace.ts, because Reports does not depend on Routing.
 */
const calendarChange = <A, E, R>(part: "hours" | "closedDates", change: Effect.Effect<A, E, R>) =>
  Effect.tap(change, () => Effect.flatMap(Routing, (r) => r.workspaceCalendarChanged(part)));

export async function action({ request, context }: ActionFunctionArgs) {
  const tooLarge = calendarUploadTooLarge(request);
  if (tooLarge !== null) return data(calendarRefused(tooLarge.errors), { status: tooLarge.status });
  await requireUser(request, context, access.settings);
  const read = await readCalendarForm(request);
  if (!read.ok) return data(calendarRefused(read.errors), { status: read.status });
  const form = read.form;
  const intent = form.get("intent");
  if (typeof intent === "string" && SUBSCRIPTION_INTENTS.includes(intent)) {
    const { result, status } = await subscriptionAction(context, form, null);
    return data(result, { status });
  }
  if (intent === "feed-renew" || intent === "feed-off") {
    // Create or reset the feed link (the old one stops working), or turn the feed off: the page shows the outcome.
    const notice = await run(
      context,
      Effect.gen(function* () {
        const feed = yield* CalendarFeed;
        const was = yield* feed.token();
        if (intent === "feed-off") {
          yield* feed.turnOff();
          return "Calendar feed turned off: its links no longer work.";
        }
        yield* feed.renew();
        return was === null ? "Calendar feed link created." : "New calendar feed link made: the old one no longer works.";
      }),
    );
    return redirectWithNotice(request, context, "/reports#reports-calendar-feed", notice);
  }
  if (intent === "calendar-preview") {
    const posted = await readPostedCalendar(context, form);
    if (!posted.ok) return data(calendarRefused(posted.errors), { status: posted.status });
    const { source, calendar } = posted;
    const dryRun = await attempt(context, Effect.flatMap(Reports, (r) => r.importClosedDates({ dates: calendar.dates, source, dryRun: true }, "ics")));
    if (!dryRun.ok) return data(calendarRefused(calendarErrors(dryRun.error)), { status: dryRun.status });
    const preview = { source, added: dryRun.value.added, skipped: [...calendar.skipped, ...dryRun.value.skipped], pastEvents: calendar.pastEvents };
    return { intent: "calendar-preview" as const, errors: null, saved: null, savedHours: null, closedDates: null, changed: null, preview };
  }
  if (intent === "calendar-add") {
    const source = formValues(form, ["source"]).source ?? "";
    const result = await attempt(context, calendarChange("closedDates", Effect.flatMap(Reports, (r) => r.importClosedDates({ dates: postedDates(form), source }, "form"))));
    if (!result.ok) return data(calendarRefused(calendarErrors(result.error)), { status: result.status });
    const { added, skipped } = result.value;
    const already = skipped.length === 0 ? "" : `; ${skipped.length === 1 ? "1 was" : `${skipped.length} were`} closed already`;
    const changed = `Added ${added.length === 1 ? "1 closed date" : `${added.length} closed dates`} from ${source}${already}.`;
    return { intent: "calendar-add" as const, errors: null, saved: null, savedHours: null, closedDates: result.value.closedDates, changed, preview: null };
  }
  if (intent === "closed-add" || intent === "closed-remove") {
    const kind = intent === "closed-add" ? ("closed-add" as const) : ("closed-remove" as const);
    const values = formValues(form, ["date", "name", "from", "to"]);
    // "Open from … to …" (decision 051): both empty closes the whole day; 00:00 as the closing time is midnight.
    const from = values.from?.trim() ?? "";
    const to = values.to?.trim() ?? "";
    const half: Record<string, string> | null =
      from === "" && to !== "" ? { from: "enter when the day opens, or clear both times" } : from !== "" && to === "" ? { to: "enter when the day closes, or clear both times" } : null;
    if (kind === "closed-add" && half !== null) {
      return data({ intent: kind, errors: half, saved: null, savedHours: null, closedDates: null, changed: null }, { status: 400 });
    }
    const hours = from === "" ? {} : { hours: [{ from, to: to === "00:00" ? "24:00" : to }] };
    const closed = { date: values.date ?? "", ...(values.name?.trim() ? { name: values.name } : {}), yearly: form.get("yearly") === "on", ...hours };
    const result =
      kind === "closed-add"
        ? await attempt(context, calendarChange("closedDates", Effect.flatMap(Reports, (r) => r.addClosedDate(closed))))
        : await attempt(context, calendarChange("closedDates", Effect.flatMap(Reports, (r) => r.removeClosedDate(closed.date))));
    if (!result.ok) {
      const errors = fieldErrors(result.error);
      // The special hours' issues (`hours[0].to`, `hours`) go to the field they name.
      for (const issue of result.error.issues ?? []) {
        const at = /^hours(?:\[\d+\]\.(from|to))?/.exec(issue.path);
        if (at) errors[at[1] ?? "from"] ??= issue.message;
      }
      return data({ intent: kind, errors, saved: null, savedHours: null, closedDates: null, changed: null }, { status: result.status });
    }
    // Named as the list names it (the remove button sends whether the date was yearly).
    return { intent: kind, errors: null, saved: null, savedHours: null, closedDates: result.value, changed: `${formatClosedDate(closed)}${closed.hours ? ` (${formatSpecialHours(closed.hours)})` : ""}` };
  }
  if (intent === "holidays-add") {
    const values = formValues(form, ["country", "region", "year"]);
    const input = { country: values.country ?? "", ...(values.region ? { region: values.region } : {}), year: Number(values.year) };
    const result = await attempt(context, calendarChange("closedDates", Effect.flatMap(Reports, (r) => r.addPublicHolidays(input))));
    if (!result.ok) {
      return data({ intent: "holidays-add" as const, errors: fieldErrors(result.error), saved: null, savedHours: null, closedDates: null, changed: null }, { status: result.status });
    }
    const { added, skipped } = result.value;
    const already = skipped === 0 ? "" : `; ${skipped === 1 ? "1 was" : `${skipped} were`} on days already closed`;
    const changed = `Added ${added.length === 1 ? "1 public holiday" : `${added.length} public holidays`} of ${input.year}${already}.`;
    return { intent: "holidays-add" as const, errors: null, saved: null, savedHours: null, closedDates: result.value.closedDates, changed };
  }
  if (intent === "hours") {
    const { hours, fields, errors } = weeklyHoursOf(form);
    if (Object.keys(errors).length > 0) return data({ intent: "hours" as const, errors, saved: null, savedHours: null, closedDates: null, changed: null }, { status: 400 });
    const result = await attempt(context, calendarChange("hours", Effect.flatMap(Reports, (r) => r.setBusinessHours(hours))));
    if (!result.ok) {
      // hours[2].from → the field of the third range sent; anything else on the week as a whole.
      const byField = hoursIssueFields(result.error.issues ?? [{ path: "hours", message: result.error.message }], { hourFields: fields });
      return data({ intent: "hours" as const, errors: byField, saved: null, savedHours: null, closedDates: null, changed: null }, { status: result.status });
    }
    return { intent: "hours" as const, errors: null, saved: null, savedHours: result.value, closedDates: null, changed: null };
  }
  const values = formValues(form, ["timezone"]);
  const result = await attempt(context, calendarChange("hours", Effect.flatMap(Reports, (r) => r.setTimezone(values.timezone ?? ""))));
  if (!result.ok) {
    return data({ intent: "timezone" as const, errors: fieldErrors(result.error), saved: null, savedHours: null, closedDates: null, changed: null }, { status: result.status });
  }
  return { intent: "timezone" as const, errors: null, saved: result.value, savedHours: null, closedDates: null, changed: null };
}

/** A refused calendar import, as the action answers it (the errors at the calendar form's fields). */
const calendarRefused = (errors: Readonly<Record<string, string>>) => ({
  intent: "calendar-preview" as const,
  errors: { ...errors },
  saved: null,
  savedHours: null,
  closedDates: null,
  changed: null,
  preview: null,
});

export default function ReportsPage() {
  const { timezone, businessHours, schedules, today, zones, canEdit, countries, calendarFeedUrl, feedNotice, subscriptions } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting";
  const savingHours = busy && navigation.formData?.get("intent") === "hours";
  const errors: Record<string, string> = result?.intent === "timezone" ? (result.errors ?? {}) : {};
  const hourErrors: Record<string, string> = result?.intent === "hours" ? (result.errors ?? {}) : {};
  const hours = result?.savedHours?.hours ?? businessHours.hours;
  return (
    <>
      <header className="page-header">
        <h1>Reports</h1>
        <p className="lead">How your bots and your team perform. Every figure is computed from the conversation event log.</p>
      </header>
      <div className="report-links">
        <section className="card" aria-labelledby="reports-bots">
          <h2 id="reports-bots">
            <Link to="/reports/bots">Bot performance</Link>
          </h2>
          <p className="muted">
            For each bot: conversations started, completed, abandoned and handed off; per version; where visitors drop off, step by step; A/B
            split arms side by side.
          </p>
        </section>
        <section className="card" aria-labelledby="reports-team">
          <h2 id="reports-team">
            <Link to="/reports/team">Team</Link>
          </h2>
          <p className="muted">
            Conversations per channel and inbox over time; first response time, reply time and time to close as median and 90th percentile; who
            answers most.
          </p>
        </section>
        <section className="card" aria-labelledby="reports-automation">
          <h2 id="reports-automation">
            <Link to="/reports/automation">Automation</Link>
          </h2>
          <p className="muted">
            For each automation rule: the conversations it changed, its actions by kind, failed runs, and how often the visitor wrote again after it
            closed a conversation.
          </p>
        </section>
      </div>
      <section className="card" aria-labelledby="reports-emails">
        <h2 id="reports-emails">Report emails</h2>
        <p className="muted">The team report by email every day or every week, to admins and analysts you choose.</p>
        {schedules.length === 0 ? (
          <p>None yet.</p>
        ) : (
          <table className="table">
            <caption className="report-vh">Report emails and their last outcome</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">When</th>
                <th scope="col">Last outcome</th>
              </tr>
            </thead>
            <tbody>
              {schedules.map((sc) => (
                <tr key={sc.id}>
                  <td>{sc.name}</td>
                  <td>{sc.paused ? `Paused (${sc.cadence})` : sc.cadence}</td>
                  <td>
                    {sc.last === null
                      ? "Not sent yet"
                      : `${sc.last.status === "sent" ? "Sent" : sc.last.status === "failed" ? "Failed" : "Skipped"} ${formatStamp(sc.last.at, timezone)}${sc.last.reason ? `: ${sc.last.reason}` : ""}`}
                    {sc.retrying ? " · trying again" : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p>
          <Link to="/reports/schedules">Email this report</Link>
        </p>
      </section>
      <section className="card" aria-labelledby="reports-timezone">
        <h2 id="reports-timezone">Time zone</h2>
        <p className="muted">
          Reports count days from midnight to midnight in <strong>{result?.saved ?? timezone}</strong>.
        </p>
        {canEdit ? (
          <Form method="post" className="form form--grid" noValidate>
            <CsrfInput />
            <TimezoneField id="report-timezone" label="Workspace time zone" zones={zones} value={result?.saved ?? timezone} error={errors.timezone} />
            <div className="form__actions">
              <button type="submit" className="button" disabled={busy}>
                {busy ? "Saving…" : "Save time zone"}
              </button>
            </div>
            {result?.saved ? (
              <p className="notice notice--success" role="status">
                Saved: reports now use {result.saved}.
              </p>
            ) : null}
          </Form>
        ) : null}
      </section>
      <section className="card" aria-labelledby="reports-hours">
        <h2 id="reports-hours">Business hours</h2>
        <p className="muted">
          The team report can count response times and time to close inside these hours only, read on the clock of {result?.saved ?? timezone}:{" "}
          <strong>{formatHours(hours)}</strong>.
        </p>
        {canEdit ? (
          <Form method="post" className="form report-hours" noValidate>
            <CsrfInput />
            <input type="hidden" name="intent" value="hours" />
            <WeeklyHoursTable hours={hours} errors={hourErrors} caption="Opening and closing time per weekday" />
            <div className="form__actions">
              <button type="submit" className="button" disabled={busy}>
                {savingHours ? "Saving…" : "Save business hours"}
              </button>
            </div>
            {result?.savedHours ? (
              <p className="notice notice--success" role="status">
                Saved: {formatHours(result.savedHours.hours)}.
              </p>
            ) : null}
          </Form>
        ) : null}
      </section>
      <ClosedDates
        closed={result?.closedDates ?? result?.savedHours?.closed ?? businessHours.closed ?? []}
        today={today}
        timezone={result?.saved ?? timezone}
        canEdit={canEdit}
        result={
          result?.intent === "closed-add" || result?.intent === "closed-remove" || result?.intent === "holidays-add" || result?.intent === "calendar-preview" || result?.intent === "calendar-add"
            ? result
            : null
        }
        countries={countries}
        busy={busy}
        calendarFeedUrl={calendarFeedUrl}
        feedNotice={feedNotice}
        follow={
          <CalendarSubscriptionsPanel
            id="reports-subscriptions"
            subscriptions={subscriptions}
            timezone={timezone}
            result={result?.intent === "subscription" ? result : null}
            busy={busy}
          />
        }
      />
    </>
  );
}

/** The workspace's closed dates (holidays): a list, and for admins a form to add one and a button per date to remove it. */
function ClosedDates(props: {
  closed: ReadonlyArray<{ date: string; name?: string; yearly: boolean; hours?: ReadonlyArray<{ from: string; to: string }> }>;
  today: string;
  timezone: string;
  canEdit: boolean;
  result: {
    intent: "closed-add" | "closed-remove" | "holidays-add" | "calendar-preview" | "calendar-add";
    errors: Record<string, string> | null;
    changed: string | null;
    preview?: CalendarPreviewView | null;
  } | null;
  countries: ReadonlyArray<{ code: string; name: string }>;
  busy: boolean;
  calendarFeedUrl: string | null;
  feedNotice: string | null;
  /** The calendar subscriptions' panel (admins). */
  follow: ReactNode;
}) {
  const { closed, today, timezone, canEdit, result } = props;
  const errors = result?.intent === "closed-add" ? (result.errors ?? {}) : {};
  const removeError = result?.intent === "closed-remove" && result.errors ? Object.values(result.errors)[0] : undefined;
  return (
    <section className="card" aria-labelledby="reports-closed">
      <h2 id="reports-closed">Closed dates</h2>
      <p className="muted">
        Holidays and other days the team is away all day, on the clock of {timezone}; give a date hours (open from … to …) for a short day such as
        Christmas Eve. Response targets, the team report&apos;s business hours and automation waits in business days skip them (or count only those
        hours), once weekly business hours are set above (without them, everything counts around the clock). A chatflow&apos;s own opening hours have
        their closed dates in its settings.
      </p>
      {closed.length === 0 ? (
        <p>No closed dates.</p>
      ) : (
        <table className="table report-closed">
          <caption className="report-vh">Closed dates</caption>
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">Name</th>
              {canEdit ? (
                <th scope="col">
                  <span className="report-vh">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {closed.map((c) => (
              <tr key={c.date} className={!c.yearly && c.date < today ? "report-closed__past" : undefined}>
                <td>
                  {formatClosedDate(c)}
                  {!c.yearly && c.date < today ? <span className="muted"> (past)</span> : null}
                  {c.hours ? <span className="muted"> · {formatSpecialHours(c.hours)}</span> : null}
                </td>
                <td>{c.name ?? ""}</td>
                {canEdit ? (
                  <td>
                    <Form method="post">
                      <CsrfInput />
                      <input type="hidden" name="intent" value="closed-remove" />
                      <input type="hidden" name="date" value={c.date} />
                      {c.yearly ? <input type="hidden" name="yearly" value="on" /> : null}
                      <button type="submit" className="button button--secondary button--small" disabled={props.busy} aria-label={`Remove ${formatClosedDate(c)}`}>
                        Remove
                      </button>
                    </Form>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorNotice message={removeError} />
      {canEdit ? (
        <Form method="post" className="form form--grid report-closed__add" noValidate>
          <CsrfInput />
          <input type="hidden" name="intent" value="closed-add" />
          <Field id="closed-date" label="Date" error={errors.date}>
            {(fieldProps) => <input {...fieldProps} name="date" type="date" required />}
          </Field>
          <Field id="closed-name" label="Name (optional)" error={errors.name}>
            {(fieldProps) => <input {...fieldProps} name="name" maxLength={100} placeholder="Christmas Day" />}
          </Field>
          <Field id="closed-from" label="Open from" error={errors.from} hint="Leave empty: closed all day.">
            {(fieldProps) => <input {...fieldProps} name="from" type="time" />}
          </Field>
          <Field id="closed-to" label="to" error={errors.to} hint="00:00 closes at midnight.">
            {(fieldProps) => <input {...fieldProps} name="to" type="time" />}
          </Field>
          <label className="choice">
            <input type="checkbox" name="yearly" /> Every year on this day
          </label>
          <ErrorNotice message={errors.form} />
          <div className="form__actions">
            <button type="submit" className="button" disabled={props.busy}>
              Add closed date
            </button>
          </div>
          {result?.intent === "closed-add" && result.errors === null ? (
            <p className="notice notice--success" role="status">
              Added {result.changed}.
            </p>
          ) : null}
        </Form>
      ) : null}
      {result?.intent === "closed-remove" && result.errors === null ? (
        <p className="notice notice--success" role="status">
          Removed {result.changed}.
        </p>
      ) : null}
      {canEdit ? <PublicHolidaysForm countries={props.countries} year={Number(today.slice(0, 4))} result={result} busy={props.busy} /> : null}
      {canEdit ? (
        <CalendarImportForm
          id="reports-calendar"
          intents={{ preview: "calendar-preview", add: "calendar-add" }}
          errors={result?.intent === "calendar-preview" || result?.intent === "calendar-add" ? result.errors : null}
          preview={result?.intent === "calendar-preview" ? (result.preview ?? null) : null}
          added={result?.intent === "calendar-add" && result.errors === null ? result.changed : null}
          busy={props.busy}
        />
      ) : null}
      {canEdit ? props.follow : null}
      <p>
        <a href="/reports/closed-dates.ics" download>
          Download .ics
        </a>{" "}
        <span className="muted">— the closed dates as a calendar file, for Google Calendar, Outlook or Apple Calendar.</span>
      </p>
      {canEdit ? <CalendarFeedLink url={props.calendarFeedUrl} notice={props.feedNotice} busy={props.busy} /> : null}
    </section>
  );
}

/**
 * The secret feed link a calendar app subscribes to (decision 052): whoever has it sees the
 * closed dates without signing in, so it can be reset (the old link stops working) or turned off.
 */
function CalendarFeedLink(props: { url: string | null; notice: string | null; busy: boolean }) {
  const button = (intent: "feed-renew" | "feed-off", label: string, secondary = true) => (
    <Form method="post" className="report-feed__action">
      <CsrfInput />
      <input type="hidden" name="intent" value={intent} />
      <button type="submit" className={secondary ? "button button--secondary button--small" : "button button--small"} disabled={props.busy}>
        {label}
      </button>
    </Form>
  );
  return (
    <div className="report-feed" id="reports-calendar-feed">
      <h3>Calendar feed</h3>
      <p className="muted">
        A secret link that Google Calendar, Outlook or Apple Calendar can subscribe to (&ldquo;From URL&rdquo;, &ldquo;Subscribe to calendar&rdquo;), so
        the team sees the closed dates in its own calendars; apps check it every few hours. Anyone with the link can read the closed dates, and each
        team&apos;s (Settings → Teams).
      </p>
      {props.notice !== null ? (
        <p className="notice notice--success" role="status">
          {props.notice}
        </p>
      ) : null}
      {props.url === null ? (
        <>
          <p>The calendar feed is off.</p>
          {button("feed-renew", "Create link", false)}
        </>
      ) : (
        <>
          <div className="report-feed__url">
            <label htmlFor="reports-calendar-feed-url">Calendar feed URL</label>
            <input id="reports-calendar-feed-url" readOnly value={props.url} onFocus={(e) => e.currentTarget.select()} />
            <CopyButton text={props.url} />
          </div>
          {/* The weekly business hours as weekly events, on the same token (decision 057). */}
          <div className="report-feed__url">
            <label htmlFor="reports-hours-feed-url">Opening hours feed URL</label>
            <input id="reports-hours-feed-url" readOnly value={props.url.replace(/closed-dates\.ics$/, "hours.ics")} onFocus={(e) => e.currentTarget.select()} />
            <CopyButton text={props.url.replace(/closed-dates\.ics$/, "hours.ics")} label="Copy hours link" />
          </div>
          <div className="report-feed__actions">
            {button("feed-renew", "Reset link")}
            {button("feed-off", "Turn off")}
          </div>
          <p className="muted">Reset link: the old link stops working, and calendars subscribed to it need the new one.</p>
        </>
      )}
    </div>
  );
}

/**
 * Adds a country's (or region's) public holidays of a year as closed dates. The region list is
 * fetched when a country is chosen; without JavaScript the whole country's holidays are added.
 */
function PublicHolidaysForm(props: {
  countries: ReadonlyArray<{ code: string; name: string }>;
  year: number;
  result: { intent: string; errors: Record<string, string> | null; changed: string | null } | null;
  busy: boolean;
}) {
  const [country, setCountry] = useState("");
  const regions = useFetcher<{ regions: ReadonlyArray<{ code: string; name: string }> }>();
  const errors = props.result?.intent === "holidays-add" ? (props.result.errors ?? {}) : {};
  const list = country !== "" ? (regions.data?.regions ?? []) : [];
  return (
    <Form method="post" className="form form--grid report-closed__add" noValidate aria-labelledby="reports-public-holidays">
      <h3 id="reports-public-holidays" className="report-closed__heading">
        Add a country&apos;s public holidays
      </h3>
      <CsrfInput />
      <input type="hidden" name="intent" value="holidays-add" />
      <Field id="holidays-country" label="Country" error={errors.country}>
        {(fieldProps) => (
          <select
            {...fieldProps}
            name="country"
            value={country}
            onChange={(e) => {
              const code = e.currentTarget.value;
              setCountry(code);
              if (code !== "") regions.load(`/reports/holiday-regions?country=${encodeURIComponent(code)}`);
            }}
          >
            <option value="">Choose a country</option>
            {props.countries.map((c) => (
              <option key={c.code} value={c.code}>
                {c.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field id="holidays-region" label="Region" error={errors.region}>
        {(fieldProps) => (
          <select {...fieldProps} name="region" key={country} defaultValue="" disabled={list.length === 0}>
            <option value="">The whole country</option>
            {list.map((r) => (
              <option key={r.code} value={r.code}>
                {r.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field id="holidays-year" label="Year" error={errors.year}>
        {(fieldProps) => (
          <select {...fieldProps} name="year" defaultValue={String(props.year + 1)}>
            {[props.year, props.year + 1, props.year + 2].map((y) => (
              <option key={y} value={y}>
                {y}
              </option>
            ))}
          </select>
        )}
      </Field>
      <ErrorNotice message={errors.form} />
      <div className="form__actions">
        <button type="submit" className="button button--secondary" disabled={props.busy}>
          Add public holidays
        </button>
      </div>
      {props.result?.intent === "holidays-add" && props.result.errors === null ? (
        <p className="notice notice--success" role="status">
          {props.result.changed}
        </p>
      ) : null}
      <p className="field__hint report-closed__credit">Public holidays from the date-holidays project (ISC, data CC BY 3.0).</p>
    </Form>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
