import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field } from "../components/field.js";
import reportStyles from "../components/reports/reports.css?url";
import { fieldErrors, formValues } from "../forms.js";
import { access } from "../roles.js";
import { attempt, Reports, run } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: reportStyles }];

export const meta: MetaFunction = () => [{ title: "Reports · Parley" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.reports);
  const timezone = await run(context, Effect.flatMap(Reports, (r) => r.timezone()));
  // Every zone this server knows, so the admin picks rather than types one.
  const zones = user.role === "admin" ? Intl.supportedValuesOf("timeZone") : [];
  return { timezone, zones: zones.includes("UTC") ? zones : ["UTC", ...zones], canEdit: user.role === "admin" };
}

/** Admins set the workspace time zone that reports bucket days in. */
export async function action({ request, context }: ActionFunctionArgs) {
  await requireUser(request, context, access.settings);
  const values = formValues(await request.formData(), ["timezone"]);
  const result = await attempt(context, Effect.flatMap(Reports, (r) => r.setTimezone(values.timezone ?? "")));
  if (!result.ok) return data({ errors: fieldErrors(result.error), saved: null }, { status: result.status });
  return { errors: null, saved: result.value };
}

export default function ReportsPage() {
  const { timezone, zones, canEdit } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors: Record<string, string> = result?.errors ?? {};
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
      </div>
      <section className="card" aria-labelledby="reports-timezone">
        <h2 id="reports-timezone">Time zone</h2>
        <p className="muted">
          Reports count days from midnight to midnight in <strong>{result?.saved ?? timezone}</strong>.
        </p>
        {canEdit ? (
          <Form method="post" className="form form--grid" noValidate>
            <CsrfInput />
            <Field id="report-timezone" label="Workspace time zone" error={errors.timezone}>
              {(props) => (
                <select {...props} name="timezone" defaultValue={result?.saved ?? timezone}>
                  {zones.map((zone) => (
                    <option key={zone} value={zone}>
                      {zone}
                    </option>
                  ))}
                </select>
              )}
            </Field>
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
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
