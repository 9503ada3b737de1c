import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import type { ReactNode } from "react";
import { Effect } from "effect";
import { CopyButton } from "../components/copy-button.js";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { FieldError } from "../components/field.js";
import { formatClosedDate, formatHours } from "../components/reports/format.js";
import { ClosedDateRows, TimezoneField, WeeklyHoursTable } from "../components/settings/hours-fields.js";
import { closedDatesOf, hoursIssueFields, weeklyHoursOf, type ClosedDateRow, type HoursRange } from "../components/settings/hours-form.js";
import { memberCandidates, MemberChecklist } from "../components/settings/members.js";
import { ErrorNotice, SavedNotice, SubmitActions } from "../components/settings/notices.js";
import { DetailHeader } from "../components/settings/page-parts.js";
import { CalendarImportForm } from "../components/reports/calendar-import-form.js";
import { CalendarSubscriptionsPanel } from "../components/reports/calendar-subscriptions.js";
import { loadSubscriptions, SUBSCRIPTION_INTENTS, subscriptionAction } from "../components/reports/calendar-subscriptions.server.js";
import { calendarErrors, calendarUploadTooLarge, postedDates, readCalendarForm, readPostedCalendar } from "../components/reports/calendar-import.server.js";
import { teamHoursLine } from "../components/settings/team-hours-text.js";
import { access } from "../roles.js";
import { Accounts, AppConfig, attempt, CalendarFeed, Reports, run, Workspace, type Team } from "../runtime.server.js";
import { requireUser, takeNotice } from "../session.server.js";

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [{ title: `${loaded?.team.name ?? "Team"} · Teams · Settings · Parley` }];

/** What the Hours form shows: the stored hours, or what was just sent when it was refused. */
interface HoursValues {
  readonly source: string;
  readonly timezone: string;
  readonly hours: ReadonlyArray<HoursRange>;
  readonly closedDates: ReadonlyArray<ClosedDateRow>;
  readonly workspaceClosedDates: boolean;
}

/** The form's values for stored hours: a team without its own starts from the workspace's zone and hours. Pure. */
const storedValues = (team: Team, workspace: { timezone: string; hours: ReadonlyArray<HoursRange> }): HoursValues =>
  team.hours.source === "own"
    ? team.hours
    : { source: team.hours.source, timezone: workspace.timezone, hours: workspace.hours, closedDates: [], workspaceClosedDates: false };

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  await requireUser(request, context, access.settings);
  const teamId = params.teamId ?? "";
  const { team, users, workspace, feedToken, publicUrl } = await run(
    context,
    Effect.all({
      team: Effect.flatMap(Workspace, (w) => w.getTeam(teamId)),
      users: Effect.flatMap(Accounts, (a) => a.listUsers({ includeDisabled: true })),
      workspace: Effect.flatMap(Reports, (r) => r.businessHours()),
      feedToken: Effect.flatMap(CalendarFeed, (f) => f.token()),
      publicUrl: Effect.map(AppConfig, (c) => c.publicUrl),
    }),
  );
  const { notice, headers } = await takeNotice(request, context);
  const zones = Intl.supportedValuesOf("timeZone");
  // The calendar URLs the team's own closed dates follow (decision 057).
  const subscriptions = await loadSubscriptions(context, team.id);
  return data(
    {
      team: { id: team.id, name: team.name, memberIds: team.memberIds, hoursLine: teamHoursLine(team) },
      hours: storedValues(team, workspace),
      workspace: { timezone: workspace.timezone, hours: workspace.hours, closed: workspace.closed ?? [] },
      zones: zones.includes("UTC") ? zones : ["UTC", ...zones],
      people: memberCandidates(users, team.memberIds),
      // The team's closed dates as a subscribable calendar, while the workspace's feed is on (decision 052).
      feedUrl: feedToken === null ? null : `${publicUrl}/calendar/${feedToken}/teams/${encodeURIComponent(team.id)}.ics`,
      subscriptions,
      notice,
    },
    { headers },
  );
}

/** The Hours form as the runtime's TeamHours input, with the fields each range and date came from. */
const hoursInput = (form: FormData) => {
  const source = String(form.get("source") ?? "");
  const week = weeklyHoursOf(form);
  const closed = closedDatesOf(form);
  const values: HoursValues = {
    source,
    timezone: String(form.get("timezone") ?? ""),
    hours: week.hours,
    closedDates: closed.closedDates,
    workspaceClosedDates: form.get("workspaceClosedDates") === "on",
  };
  // Only own hours keep a zone, hours and dates; the other sources are their name alone.
  const input = source === "own" ? { ...values } : { source };
  return { input, values, week, closed, own: source === "own" };
};

/** A refused calendar import, at the calendar form's fields. */
const calendarRefused = (errors: Readonly<Record<string, string>>) => ({ intent: "calendar" as const, errors: { ...errors }, preview: null, added: null });

export async function action({ request, context, params }: ActionFunctionArgs) {
  const tooLarge = calendarUploadTooLarge(request);
  if (tooLarge !== null) return data(calendarRefused(tooLarge.errors), { status: tooLarge.status });
  await requireUser(request, context, access.settings);
  const teamId = params.teamId ?? "";
  const read = await readCalendarForm(request);
  if (!read.ok) return data(calendarRefused(read.errors), { status: read.status });
  const form = read.form;
  const intent = form.get("intent");
  if (typeof intent === "string" && SUBSCRIPTION_INTENTS.includes(intent)) {
    const { result, status } = await subscriptionAction(context, form, teamId);
    return data(result, { status });
  }
  // A calendar's dates into the team's own closed dates (decision 052): previewed, then added in one write.
  if (form.get("intent") === "calendar-preview") {
    const posted = await readPostedCalendar(context, form);
    if (!posted.ok) return data(calendarRefused(posted.errors), { status: posted.status });
    const { source, calendar } = posted;
    const dryRun = await attempt(context, Effect.flatMap(Workspace, (w) => w.importTeamClosedDates(teamId, { dates: calendar.dates, source, dryRun: true }, "ics")));
    if (!dryRun.ok) return data(calendarRefused(calendarErrors(dryRun.error)), { status: dryRun.status });
    const preview = { source, added: dryRun.value.added, skipped: [...calendar.skipped, ...dryRun.value.skipped], pastEvents: calendar.pastEvents };
    return { intent: "calendar" as const, errors: null, preview, added: null };
  }
  if (form.get("intent") === "calendar-add") {
    const source = String(form.get("source") ?? "");
    const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.importTeamClosedDates(teamId, { dates: postedDates(form), source }, "form")));
    if (!result.ok) return data(calendarRefused(calendarErrors(result.error)), { status: result.status });
    const { added, skipped } = result.value;
    const already = skipped.length === 0 ? "" : `; ${skipped.length === 1 ? "1 was" : `${skipped.length} were`} closed already`;
    return { intent: "calendar" as const, errors: null, preview: null, added: `Added ${added.length === 1 ? "1 closed date" : `${added.length} closed dates`} from ${source}${already}.` };
  }
  if (form.get("intent") === "hours") {
    const { input, values, week, closed, own } = hoursInput(form);
    if (own && Object.keys(week.errors).length + Object.keys(closed.errors).length > 0) {
      return data({ intent: "hours" as const, error: null, errors: { ...week.errors, ...closed.errors }, values, saved: null }, { status: 400 });
    }
    const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.setTeamHours(teamId, input)));
    if (!result.ok) {
      // The dates shown again are the ones kept, so closedDates[i] is the i-th row on the page.
      const errors = hoursIssueFields(result.error.issues ?? [], { hourFields: week.fields, closedRows: values.closedDates.map((_, i) => i) });
      const error = result.error.issues?.length ? (errors.form ?? null) : result.error.message;
      return data({ intent: "hours" as const, error, errors, values, saved: null }, { status: result.status });
    }
    // The saved line from what was stored, not from the page's data, which is read again after this answer.
    return { intent: "hours" as const, error: null, errors: {}, values: null, saved: teamHoursLine(result.value) };
  }
  const userIds = form.getAll("userId").filter((v): v is string => typeof v === "string");
  const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.setTeamMembers(teamId, userIds)));
  if (!result.ok) return data({ intent: "members" as const, error: result.error.message, saved: false }, { status: result.status });
  return { intent: "members" as const, error: null, saved: true };
}

export default function TeamSettings() {
  const { team, hours, workspace, zones, people, feedUrl, notice, subscriptions } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting";
  const members = result?.intent === "members" ? result : undefined;
  const hoursResult = result?.intent === "hours" ? result : undefined;
  const calendarResult = result?.intent === "calendar" ? result : undefined;
  return (
    <>
      <DetailHeader back={{ to: "/settings/teams", label: "All teams" }} title={team.name}>
        Conversations sent to this team go round-robin to its available members who work in the conversation’s inbox.
      </DetailHeader>
      <SavedNotice show={notice !== null && !result}>{notice}</SavedNotice>
      <section className="card" aria-labelledby="team-members-title">
        <h2 id="team-members-title">Members</h2>
        <SavedNotice show={members?.saved === true}>Members saved.</SavedNotice>
        <ErrorNotice message={members?.error} />
        <Form method="post" className="form">
          <CsrfInput />
          <input type="hidden" name="intent" value="members" />
          <MemberChecklist people={people} memberIds={team.memberIds} />
          <SubmitActions busy={busy && navigation.formData?.get("intent") === "members"} label="Save members" />
        </Form>
      </section>
      <HoursCard
        // A fresh form when what is stored changes, so it shows it (and a new blank closed-date row).
        key={hoursResult?.values ? "refused" : JSON.stringify(hours)}
        line={team.hoursLine}
        values={hoursResult?.values ?? hours}
        errors={hoursResult?.errors ?? {}}
        error={hoursResult?.error ?? null}
        saved={hoursResult?.saved ?? null}
        workspace={workspace}
        zones={zones}
        feedUrl={feedUrl}
        busy={busy && navigation.formData?.get("intent") === "hours"}
      >
        {hours.source === "own" ? (
          <CalendarImportForm
            id="team-calendar"
            intents={{ preview: "calendar-preview", add: "calendar-add" }}
            errors={calendarResult?.errors ?? null}
            preview={calendarResult?.preview ?? null}
            added={calendarResult?.added ?? null}
            busy={busy}
          />
        ) : null}
        {hours.source === "own" || subscriptions.length > 0 ? (
          <CalendarSubscriptionsPanel
            id="team-subscriptions"
            subscriptions={subscriptions}
            timezone={hours.timezone}
            result={result?.intent === "subscription" ? result : null}
            busy={busy}
          />
        ) : null}
      </HoursCard>
    </>
  );
}

/**
 * The team's hours: none (members' presence decides), the workspace's (shown, edited on
 * Reports), or its own — zone, weekly hours, closed dates. The parts of the sources not chosen
 * are hidden by CSS alone, so the form works without JavaScript.
 */
function HoursCard(props: {
  line: string;
  values: HoursValues;
  errors: Readonly<Record<string, string>>;
  error: string | null;
  /** The line of the hours just saved; null unless they were. */
  saved: string | null;
  workspace: { timezone: string; hours: ReadonlyArray<HoursRange>; closed: ReadonlyArray<ClosedDateRow> };
  zones: ReadonlyArray<string>;
  /** The team's calendar feed URL, null while the workspace's feed is off. */
  feedUrl: string | null;
  busy: boolean;
  /** Shown under the form: the import of a calendar's dates, while the team keeps its own hours. */
  children?: ReactNode;
}) {
  const { values, errors, workspace } = props;
  const choice = (source: string, label: string, hint: string) => (
    <label className="choice">
      <input type="radio" name="source" value={source} defaultChecked={values.source === source} />
      <span>
        <strong>{label}</strong> <span className="muted">{hint}</span>
      </span>
    </label>
  );
  return (
    <section className="card team-hours" aria-labelledby="team-hours-title">
      <h2 id="team-hours-title">Hours</h2>
      <p className="muted">
        When the team takes conversations. Outside its hours the bot&apos;s “team available” branch says no, and conversations sent to the team wait
        unassigned until it opens. Inside them, someone in the team still has to be available. Now: <strong>{props.line}</strong>.
      </p>
      <SavedNotice show={props.saved !== null}>Hours saved: {props.saved}.</SavedNotice>
      <ErrorNotice message={props.error} />
      <Form method="post" className="form" noValidate>
        <CsrfInput />
        <input type="hidden" name="intent" value="hours" />
        <fieldset className="choices" aria-describedby={errors.source ? "team-hours-source-error" : undefined}>
          <legend>Where the hours come from</legend>
          {choice("none", "No hours (members' presence decides)", "Open whenever a member is available.")}
          {choice("workspace", "The workspace's hours", "Follows the workspace's business hours and closed dates as they change.")}
          {choice("own", "Own hours", "A time zone, weekly hours and closed dates of the team's own.")}
          <FieldError id="team-hours-source-error" message={errors.source} />
        </fieldset>
        <div className="team-hours__workspace">
          <h3>The workspace&apos;s hours</h3>
          {workspace.hours.length === 0 ? (
            <p className="notice">
              The workspace has no business hours yet, so a team following them is never closed by hours. Set them on the <Link to="/reports">Reports page</Link>.
            </p>
          ) : (
            <>
              <p>
                {formatHours(workspace.hours)} ({workspace.timezone}).{" "}
                {workspace.closed.length === 0 ? "No closed dates." : `Closed on: ${workspace.closed.map((c) => `${formatClosedDate(c)}${c.name ? ` (${c.name})` : ""}`).join("; ")}.`}
              </p>
              <p className="field__hint">
                Edited on the <Link to="/reports">Reports page</Link> (Business hours, Closed dates).
              </p>
            </>
          )}
        </div>
        <div className="team-hours__own">
          <TimezoneField id="team-hours-timezone" label="Time zone" zones={props.zones} value={values.timezone} error={errors.timezone} />
          <h3>Weekly hours</h3>
          <WeeklyHoursTable hours={values.hours} errors={errors} caption="The team's opening and closing time per weekday" />
          <h3>Closed dates</h3>
          <p className="field__hint">Days the team is closed all day whatever the weekly hours say, on its own clock.</p>
          <ClosedDateRows closed={values.closedDates} errors={errors} caption="The team's closed dates" />
          <label className="choice">
            <input type="checkbox" name="workspaceClosedDates" defaultChecked={values.workspaceClosedDates} />
            <span>
              Also closed on the workspace&apos;s closed dates
              <span className="field__hint"> ({workspace.closed.length} set on the Reports page, kept up to date; read on the team&apos;s clock)</span>
            </span>
          </label>
        </div>
        <SubmitActions busy={props.busy} label="Save hours" />
      </Form>
      {props.children}
      {props.feedUrl !== null ? (
        <div className="team-hours__feed">
          <h3>Calendar feed</h3>
          <p className="field__hint">
            The days this team is closed (its own closed dates, and the workspace&apos;s when it follows them), as a secret link that Google Calendar,
            Outlook or Apple Calendar can subscribe to. Reset or turned off on the <Link to="/reports#reports-calendar-feed">Reports page</Link>.
          </p>
          <div className="team-hours__feed-url">
            <label htmlFor="team-calendar-feed-url">Team calendar feed URL</label>
            <input id="team-calendar-feed-url" readOnly value={props.feedUrl} onFocus={(e) => e.currentTarget.select()} />
            <CopyButton text={props.feedUrl} />
          </div>
          {/* Its weekly hours as weekly events, on the same token (decision 057). */}
          <div className="team-hours__feed-url">
            <label htmlFor="team-hours-feed-url">Team opening hours feed URL</label>
            <input id="team-hours-feed-url" readOnly value={props.feedUrl.replace(/\.ics$/, "/hours.ics")} onFocus={(e) => e.currentTarget.select()} />
            <CopyButton text={props.feedUrl.replace(/\.ics$/, "/hours.ics")} label="Copy hours link" />
          </div>
        </div>
      ) : null}
    </section>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
