/**
 * /settings/audit (admins) — the audit log: who changed what in the workspace, newest first
 * (decision 041). Filters by person, section and days (in the workspace time zone) as a GET
 * form, so a view can be shared; "Older entries" pages on; "Download CSV" takes the same view.
 * "Keep entries" sets how long lines are kept (forever, or a number of days; decision 046).
 */
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { auditDetails, auditTarget, auditVia, auditWho } from "../components/settings/audit-text.js";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field } from "../components/field.js";
import { Time } from "../components/inbox/time.js";
import { ErrorNotice, SavedNotice, SubmitActions } from "../components/settings/notices.js";
import { fieldErrors, formValues } from "../forms.js";
import { ListCard, listHref } from "../components/list-page.js";
import { access } from "../roles.js";
import {
  Accounts,
  attempt,
  AUDIT_CATEGORIES,
  AUDIT_RETENTION_MAX_DAYS,
  AUDIT_RETENTION_MIN_DAYS,
  AuditLog,
  auditQueryFrom,
  run,
} from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Audit log · Settings · Parley" }];

const FILTER_KEYS = ["actor", "category", "from", "to", "before"] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.settings);
  const filter = auditQueryFrom(new URL(request.url).searchParams);
  const [page, users, kept] = await Promise.all([
    attempt(context, Effect.flatMap(AuditLog, (log) => log.list(user, filter))),
    run(context, Effect.flatMap(Accounts, (a) => a.listUsers({ includeDisabled: true }))),
    run(context, Effect.flatMap(AuditLog, (log) => log.retention())),
  ]);
  // The bounds the service holds to, for the form (runtime values stay on the server).
  const retention = { days: kept.days, min: AUDIT_RETENTION_MIN_DAYS, max: AUDIT_RETENTION_MAX_DAYS };
  const people = users.map((u) => ({ id: u.id, name: u.name, email: u.email }));
  const categories = Object.entries(AUDIT_CATEGORIES).map(([value, label]) => ({ value, label }));
  if (!page.ok) {
    // A bad filter in the URL: the page still shows, with what was wrong, and no lines.
    const problem = page.error.message;
    return data({ filter, entries: [], next: null, people, categories, problem, retention, now: Date.now() }, { status: page.status });
  }
  return { filter, entries: page.value.entries, next: page.value.next, people, categories, problem: null, retention, now: Date.now() };
}

/** "Keep entries": forever, or a number of days; a bad number answers 400 at `days`, nothing stored. */
export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.settings);
  const values = formValues(await request.formData(), ["keep", "days"]);
  const result = await attempt(context, Effect.flatMap(AuditLog, (log) => log.setRetention(user, values)));
  if (!result.ok) return data({ errors: fieldErrors(result.error), values, saved: null }, { status: result.status });
  return { errors: null, values: null, saved: result.value };
}

const retentionWords = (days: number | null) => (days === null ? "forever" : `for ${days} days`);

/** The retention card: forever, or delete entries older than a number of days. */
function RetentionCard({ days, min, max }: { days: number | null; min: number; max: number }) {
  const answer = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors: Readonly<Record<string, string>> = answer?.errors ?? {};
  const keep = answer?.values?.keep ?? (days === null ? "forever" : "days");
  return (
    <section className="card" aria-labelledby="audit-retention-title">
      <h2 id="audit-retention-title">Keep entries</h2>
      <p className="muted">
        Now kept {retentionWords(days)}. Older entries are deleted within the hour once a number of days is set; the change itself is an entry of the log.
      </p>
      <SavedNotice show={answer?.saved !== undefined && answer.saved !== null}>Entries are now kept {retentionWords(answer?.saved?.days ?? null)}.</SavedNotice>
      <ErrorNotice message={errors.form ?? errors.keep} />
      {/* Keyed by the stored value, so the form shows it again after a save. */}
      <Form method="post" className="form" key={String(days)}>
        <CsrfInput />
        <fieldset className="choices">
          <legend>How long the audit log keeps entries</legend>
          <label className="choice">
            <input type="radio" name="keep" value="forever" defaultChecked={keep === "forever"} />
            <span>Forever</span>
          </label>
          <label className="choice">
            <input type="radio" name="keep" value="days" defaultChecked={keep === "days"} />
            <span>For a number of days</span>
          </label>
        </fieldset>
        <Field
          id="audit-retention-days"
          label="Days to keep entries"
          hint={`From ${min} to ${max}; used when “For a number of days” is chosen.`}
          {...(errors.days ? { error: errors.days } : {})}
        >
          {(props) => (
            <input
              {...props}
              name="days"
              type="number"
              inputMode="numeric"
              min={min}
              max={max}
              defaultValue={answer?.values?.days ?? (days === null ? "" : String(days))}
            />
          )}
        </Field>
        <SubmitActions busy={busy} label="Save" />
      </Form>
    </section>
  );
}

export default function AuditLogPage() {
  const { filter, entries, next, people, categories, problem, retention, now } = useLoaderData<typeof loader>();
  const names = new Map(people.map((p) => [p.id, p.name]));
  // The CSV starts at the newest line whatever page this is.
  const csvHref = `/settings/audit.csv${listHref(FILTER_KEYS, filter, { before: undefined })}`;
  return (
    <>
      <header className="page-header">
        <h1>Audit log</h1>
        <p className="lead">
          Who changed what: sign-ins, users and roles, two-factor sign-in, API tokens, webhooks, flows, channels, inboxes and teams, automation rules,
          workspace settings, and contacts' exports, imports, merges and erasures. Each line is written together with the change it describes.
        </p>
      </header>
      <Form method="get" className="audit-filters" role="search" aria-label="Filter the audit log">
        <div className="field">
          <label htmlFor="audit-actor">Who</label>
          <select id="audit-actor" name="actor" defaultValue={filter.actor ?? ""}>
            <option value="">Everyone</option>
            <option value="system">Nobody signed in (Parley, the command line, refused sign-ins)</option>
            {people.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.email})
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-category">What</label>
          <select id="audit-category" name="category" defaultValue={filter.category ?? ""}>
            <option value="">Everything</option>
            {categories.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-from">From</label>
          <input id="audit-from" type="date" name="from" defaultValue={filter.from ?? ""} />
        </div>
        <div className="field">
          <label htmlFor="audit-to">To</label>
          <input id="audit-to" type="date" name="to" defaultValue={filter.to ?? ""} />
        </div>
        <div className="field">
          <button type="submit" className="button">
            Show
          </button>
        </div>
        <div className="field">
          <a className="button button--secondary" href={csvHref} download>
            Download CSV
          </a>
        </div>
      </Form>
      <ErrorNotice message={problem} />
      <ListCard
        label="Audit log entries"
        empty={problem ? "Nothing is shown until the filter is fixed." : "Nothing matches these filters."}
        isEmpty={entries.length === 0}
        older={next !== null ? { to: listHref(FILTER_KEYS, filter, { before: next }), label: "Older entries" } : null}
      >
        {/* Focusable: on a phone the table scrolls sideways inside its card, by keyboard too. */}
        <table className="table" tabIndex={0} aria-label="Audit log entries">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Details</th>
              <th scope="col">From</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id}>
                <td>
                  <Time at={entry.at} now={now} style="full" />
                </td>
                <td>{entry.actor ? entry.actor.name : <span className="muted">{auditWho(entry)}</span>}</td>
                <td>
                  {entry.label}
                  {entry.target ? <div className="muted">{auditTarget(entry.target)}</div> : null}
                </td>
                <td>{auditDetails(entry.data, names) || <span className="muted">—</span>}</td>
                <td>{auditVia(entry)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ListCard>
      <RetentionCard {...retention} />
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
