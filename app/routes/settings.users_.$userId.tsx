/**
 * /settings/users/:userId — an admin edits someone's profile: what visitors see (display name,
 * avatar, meeting link), availability and working hours. Notification settings stay personal
 * (each person's own profile page).
 */
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field } from "../components/field.js";
import { fieldErrors, formValues } from "../forms.js";
import { access, roleLabels } from "../roles.js";
import { attempt, run, Workspace } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [{ title: `${loaded?.profile.name ?? "User"} · Users · Settings · Parley` }];

const DAYS = [
  ["mon", "Monday"],
  ["tue", "Tuesday"],
  ["wed", "Wednesday"],
  ["thu", "Thursday"],
  ["fri", "Friday"],
  ["sat", "Saturday"],
  ["sun", "Sunday"],
] as const;

type Intent = "profile" | "availability" | "working-hours";

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  await requireUser(request, context, access.settings);
  const profile = await run(context, Effect.flatMap(Workspace, (w) => w.getProfile(params.userId ?? "")));
  return {
    profile: {
      ...profile,
      displayName: profile.displayName ?? "",
      avatarUrl: profile.avatarUrl ?? "",
      meetingLink: profile.meetingLink ?? "",
    },
    timezones: Intl.supportedValuesOf("timeZone"),
  };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  await requireUser(request, context, access.settings);
  const userId = params.userId ?? "";
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "profile") as Intent;
  if (intent === "availability") {
    const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.setAvailability(userId, String(form.get("availability") ?? ""))));
    if (!result.ok) return data({ intent, errors: { form: result.error.message }, values: null, saved: false }, { status: result.status });
    return data({ intent, errors: null, values: null, saved: true });
  }
  if (intent === "working-hours") {
    const hours = DAYS.filter(([day]) => form.get(`${day}.on`) !== null).map(([day]) => ({
      day,
      from: String(form.get(`${day}.from`) ?? ""),
      to: String(form.get(`${day}.to`) ?? ""),
    }));
    const workingHours = { timezone: String(form.get("timezone") ?? ""), hours };
    const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.updateProfile(userId, { workingHours })));
    if (!result.ok) {
      const messages = (result.error.issues ?? []).map((issue) => {
        const at = /^workingHours\.hours\[(\d+)\]\.(\w+)/.exec(issue.path);
        const day = at ? DAYS.find(([d]) => d === hours[Number(at[1])]?.day)?.[1] : undefined;
        return day ? `${day}: ${issue.message}` : issue.message;
      });
      return data({ intent, errors: { form: messages.join(" · ") || result.error.message }, values: null, saved: false }, { status: result.status });
    }
    return data({ intent, errors: null, values: null, saved: true });
  }
  const values = formValues(form, ["displayName", "avatarUrl", "meetingLink"]);
  const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.updateProfile(userId, values)));
  if (!result.ok) return data({ intent, errors: fieldErrors(result.error), values, saved: false }, { status: result.status });
  return data({ intent, errors: null, values: null, saved: true });
}

export default function UserSettings() {
  const { profile, timezones } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const busyWith = navigation.state === "submitting" ? String(navigation.formData?.get("intent") ?? "") : null;
  const errorsFor = (intent: Intent): Record<string, string> => (result?.intent === intent && result.errors ? result.errors : {});
  const savedFor = (intent: Intent) => result?.intent === intent && result.saved === true;
  const profileErrors = errorsFor("profile");
  const values: Record<string, string> =
    result?.intent === "profile" && result.values
      ? result.values
      : { displayName: profile.displayName, avatarUrl: profile.avatarUrl, meetingLink: profile.meetingLink };
  const hoursByDay = new Map(profile.workingHours.hours.map((h) => [h.day, h]));
  const available = profile.availability === "available";
  const notice = (intent: Intent, saved: string) =>
    savedFor(intent) ? (
      <p className="notice notice--success" role="status">
        {saved}
      </p>
    ) : errorsFor(intent).form ? (
      <p className="notice notice--error" role="alert">
        {errorsFor(intent).form}
      </p>
    ) : null;
  return (
    <>
      <header className="page-header">
        <p>
          <Link to="/settings/users">← All users</Link>
        </p>
        <h1>{profile.name}</h1>
        <p className="lead">
          {profile.email} · <span className="badge">{roleLabels[profile.role]}</span>
        </p>
      </header>

      <section className="card" aria-labelledby="user-availability-title">
        <h2 id="user-availability-title">Availability</h2>
        <p>
          {profile.name} is <strong>{available ? "available" : "away"}</strong>.
        </p>
        {notice("availability", `${profile.name} is ${available ? "available" : "away"}.`)}
        <Form method="post">
          <CsrfInput />
          <input type="hidden" name="intent" value="availability" />
          <input type="hidden" name="availability" value={available ? "away" : "available"} />
          <button type="submit" className="button" disabled={busyWith === "availability"}>
            {available ? "Set away" : "Set available"}
          </button>
        </Form>
      </section>

      <section className="card" aria-labelledby="user-profile-title">
        <h2 id="user-profile-title">What visitors see</h2>
        {notice("profile", "Profile saved.")}
        <Form method="post" className="form" noValidate>
          <CsrfInput />
          <input type="hidden" name="intent" value="profile" />
          <Field id="user-display-name" label="Display name" error={profileErrors.displayName} hint={`Leave empty to show “${profile.name}”.`}>
            {(props) => <input {...props} name="displayName" defaultValue={values.displayName ?? ""} />}
          </Field>
          <Field id="user-avatar" label="Avatar URL" error={profileErrors.avatarUrl} hint="An https:// link to a square image.">
            {(props) => <input {...props} name="avatarUrl" type="url" inputMode="url" defaultValue={values.avatarUrl ?? ""} />}
          </Field>
          <Field id="user-meeting" label="Meeting link" error={profileErrors.meetingLink} hint="Where visitors can book a call.">
            {(props) => <input {...props} name="meetingLink" type="url" inputMode="url" defaultValue={values.meetingLink ?? ""} />}
          </Field>
          <div className="form__actions">
            <button type="submit" className="button" disabled={busyWith === "profile"}>
              {busyWith === "profile" ? "Saving…" : "Save profile"}
            </button>
          </div>
        </Form>
      </section>

      <section className="card" aria-labelledby="user-hours-title">
        <h2 id="user-hours-title">Working hours</h2>
        {notice("working-hours", "Working hours saved.")}
        <Form method="post" className="form" key={JSON.stringify(profile.workingHours)}>
          <CsrfInput />
          <input type="hidden" name="intent" value="working-hours" />
          <Field id="user-timezone" label="Time zone">
            {(props) => (
              <select {...props} name="timezone" defaultValue={profile.workingHours.timezone}>
                {(timezones.includes(profile.workingHours.timezone) ? timezones : [profile.workingHours.timezone, ...timezones]).map((tz) => (
                  <option key={tz} value={tz}>
                    {tz}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">From</th>
                <th scope="col">Until</th>
              </tr>
            </thead>
            <tbody>
              {DAYS.map(([day, label]) => {
                const hours = hoursByDay.get(day);
                return (
                  <tr key={day}>
                    <td>
                      <label style={{ display: "flex", alignItems: "center", gap: "0.5rem" }}>
                        <input type="checkbox" name={`${day}.on`} defaultChecked={hours !== undefined} style={{ width: "auto" }} />
                        {label}
                      </label>
                    </td>
                    <td>
                      <input type="time" name={`${day}.from`} aria-label={`${label} from`} defaultValue={hours?.from ?? "09:00"} />
                    </td>
                    <td>
                      <input type="time" name={`${day}.to`} aria-label={`${label} until`} defaultValue={hours?.to ?? "17:00"} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <div className="form__actions">
            <button type="submit" className="button" disabled={busyWith === "working-hours"}>
              {busyWith === "working-hours" ? "Saving…" : "Save working hours"}
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
