import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { useEffect, useState } from "react";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field } from "../components/field.js";
import { fieldErrors, formValues } from "../forms.js";
import { everyone, roleLabels } from "../roles.js";
import { attempt, run, Workspace, type NotificationSettings } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Your profile · Parley" }];

const DAYS = [
  ["mon", "Monday"],
  ["tue", "Tuesday"],
  ["wed", "Wednesday"],
  ["thu", "Thursday"],
  ["fri", "Friday"],
  ["sat", "Saturday"],
  ["sun", "Sunday"],
] as const;

const EVENTS = [
  ["assigned", "A conversation is assigned to me"],
  ["handoff", "A bot hands a conversation to one of my inboxes"],
  ["mention", "Someone @mentions me in a comment"],
] as const satisfies ReadonlyArray<readonly [keyof NotificationSettings, string]>;

type Intent = "profile" | "availability" | "working-hours" | "notifications";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, everyone);
  const profile = await run(context, Effect.flatMap(Workspace, (w) => w.getProfile(user.id)));
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

/** The working hours a form sent: each ticked day with its from/to times. Pure. */
const workingHoursOf = (form: FormData) => ({
  timezone: String(form.get("timezone") ?? ""),
  hours: DAYS.filter(([day]) => form.get(`${day}.on`) !== null).map(([day]) => ({
    day,
    from: String(form.get(`${day}.from`) ?? ""),
    to: String(form.get(`${day}.to`) ?? ""),
  })),
});

const notificationsOf = (form: FormData): NotificationSettings => {
  const channels = (event: string) => ({ browser: form.get(`${event}.browser`) !== null, sound: form.get(`${event}.sound`) !== null });
  return { assigned: channels("assigned"), handoff: channels("handoff"), mention: channels("mention") };
};

export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, everyone);
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "profile") as Intent;
  const respond = async <A, E>(effect: Effect.Effect<A, E, Workspace>, values: Record<string, string> | null) => {
    const result = await attempt(context, effect);
    if (!result.ok) return data({ intent, errors: fieldErrors(result.error), values, saved: false }, { status: result.status });
    return data({ intent, errors: null, values: null, saved: true });
  };
  switch (intent) {
    case "availability":
      return respond(
        Effect.flatMap(Workspace, (w) => w.setAvailability(user.id, String(form.get("availability") ?? ""))),
        null,
      );
    case "working-hours": {
      const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.updateProfile(user.id, { workingHours: workingHoursOf(form) })));
      if (!result.ok) {
        // Issues point into workingHours.hours[i]: say which day, as the person ticked it.
        const ticked = workingHoursOf(form).hours;
        const messages = (result.error.issues ?? []).map((issue) => {
          const at = /^workingHours\.hours\[(\d+)\]\.(\w+)/.exec(issue.path);
          const day = at ? DAYS.find(([d]) => d === ticked[Number(at[1])]?.day)?.[1] : undefined;
          if (day) return `${day}, ${at![2] === "from" ? "from" : at![2] === "to" ? "until" : at![2]}: ${issue.message}`;
          if (issue.path.startsWith("workingHours.timezone")) return `Time zone: ${issue.message}`;
          return issue.message;
        });
        return data({ intent, errors: { workingHours: messages.join(" · ") || result.error.message }, values: null, saved: false }, { status: result.status });
      }
      return data({ intent, errors: null, values: null, saved: true });
    }
    case "notifications":
      return respond(
        Effect.flatMap(Workspace, (w) => w.updateProfile(user.id, { notificationSettings: notificationsOf(form) })),
        null,
      );
    default: {
      const values = formValues(form, ["displayName", "avatarUrl", "meetingLink"]);
      return respond(
        Effect.flatMap(Workspace, (w) => w.updateProfile(user.id, values)),
        values,
      );
    }
  }
}

/** Whether this browser may show notifications, and a button to ask. */
function BrowserPermission() {
  const [permission, setPermission] = useState<NotificationPermission | "unsupported" | null>(null);
  useEffect(() => {
    setPermission(typeof Notification === "undefined" ? "unsupported" : Notification.permission);
  }, []);
  if (permission === null) return null;
  if (permission === "unsupported") return <p className="muted">This browser cannot show notifications.</p>;
  if (permission === "granted") return <p className="muted">This browser shows Parley’s notifications.</p>;
  if (permission === "denied") {
    return <p className="muted">This browser blocks Parley’s notifications. Allow them in the site settings of your browser.</p>;
  }
  return (
    <p>
      <button
        type="button"
        className="button button--secondary button--small"
        onClick={() => void Notification.requestPermission().then(setPermission)}
      >
        Allow browser notifications
      </button>
    </p>
  );
}

/** A short two-tone chime, so people can hear what the sound setting means. */
function playChime() {
  const AudioContextClass = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!AudioContextClass) return;
  const audio = new AudioContextClass();
  [880, 1320].forEach((frequency, i) => {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.frequency.value = frequency;
    const at = audio.currentTime + i * 0.15;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.2, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.14);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(at);
    oscillator.stop(at + 0.15);
  });
  setTimeout(() => void audio.close(), 600);
}

function Saved({ show, children }: { show: boolean; children: string }) {
  return show ? (
    <p className="notice notice--success" role="status">
      {children}
    </p>
  ) : null;
}

export default function Profile() {
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
  return (
    <>
      <header className="page-header">
        <h1>Your profile</h1>
        <p className="lead">
          {profile.name} · {profile.email} · <span className="badge">{roleLabels[profile.role]}</span>
        </p>
      </header>

      <section className="card" aria-labelledby="availability-title">
        <h2 id="availability-title">Availability</h2>
        <p>
          You are <strong>{available ? "available" : "away"}</strong>.{" "}
          {available
            ? "Round-robin routing assigns you new conversations in your inboxes."
            : "Routing skips you; conversations wait in the queue for someone available."}
        </p>
        <Saved show={savedFor("availability")}>{available ? "You are available." : "You are away."}</Saved>
        {errorsFor("availability").form || errorsFor("availability").availability ? (
          <p className="notice notice--error" role="alert">
            {errorsFor("availability").form ?? errorsFor("availability").availability}
          </p>
        ) : null}
        <Form method="post">
          <CsrfInput />
          <input type="hidden" name="intent" value="availability" />
          <input type="hidden" name="availability" value={available ? "away" : "available"} />
          <button type="submit" className="button" disabled={busyWith === "availability"}>
            {available ? "Set me away" : "Set me available"}
          </button>
        </Form>
      </section>

      <section className="card" aria-labelledby="profile-title">
        <h2 id="profile-title">What visitors see</h2>
        <p className="muted">When a chatflow hands a visitor to you, the chat shows your display name, avatar and meeting link.</p>
        <Saved show={savedFor("profile")}>Your profile is saved.</Saved>
        {profileErrors.form ? (
          <p className="notice notice--error" role="alert">
            {profileErrors.form}
          </p>
        ) : null}
        <Form method="post" className="form" noValidate>
          <CsrfInput />
          <input type="hidden" name="intent" value="profile" />
          <Field id="profile-display-name" label="Display name" error={profileErrors.displayName} hint={`Leave empty to show “${profile.name}”.`}>
            {(props) => <input {...props} name="displayName" defaultValue={values.displayName ?? ""} />}
          </Field>
          <Field id="profile-avatar" label="Avatar URL" error={profileErrors.avatarUrl} hint="An https:// link to a square image.">
            {(props) => <input {...props} name="avatarUrl" type="url" inputMode="url" defaultValue={values.avatarUrl ?? ""} />}
          </Field>
          <Field id="profile-meeting" label="Meeting link" error={profileErrors.meetingLink} hint="Where visitors can book a call with you.">
            {(props) => <input {...props} name="meetingLink" type="url" inputMode="url" defaultValue={values.meetingLink ?? ""} />}
          </Field>
          <div className="form__actions">
            <button type="submit" className="button" disabled={busyWith === "profile"}>
              {busyWith === "profile" ? "Saving…" : "Save profile"}
            </button>
          </div>
        </Form>
      </section>

      <section className="card" aria-labelledby="hours-title">
        <h2 id="hours-title">Working hours</h2>
        <p className="muted">When you usually work, in your time zone. Your team sees them; your availability above decides routing.</p>
        <Saved show={savedFor("working-hours")}>Your working hours are saved.</Saved>
        {errorsFor("working-hours").workingHours ? (
          <p className="notice notice--error" role="alert">
            {errorsFor("working-hours").workingHours}
          </p>
        ) : null}
        <Form method="post" className="form" key={JSON.stringify(profile.workingHours)}>
          <CsrfInput />
          <input type="hidden" name="intent" value="working-hours" />
          <Field id="profile-timezone" label="Time zone">
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

      <section className="card" aria-labelledby="notifications-title">
        <h2 id="notifications-title">Notifications</h2>
        <p className="muted">How Parley tells you, while the inbox is open in this browser.</p>
        <BrowserPermission />
        <Saved show={savedFor("notifications")}>Your notification settings are saved.</Saved>
        {errorsFor("notifications").form || errorsFor("notifications").notificationSettings ? (
          <p className="notice notice--error" role="alert">
            {errorsFor("notifications").form ?? errorsFor("notifications").notificationSettings}
          </p>
        ) : null}
        <Form method="post" className="form" key={JSON.stringify(profile.notificationSettings)}>
          <CsrfInput />
          <input type="hidden" name="intent" value="notifications" />
          <table className="table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Browser notification</th>
                <th scope="col">Sound</th>
              </tr>
            </thead>
            <tbody>
              {EVENTS.map(([event, label]) => (
                <tr key={event}>
                  <td>{label}</td>
                  <td>
                    <input
                      type="checkbox"
                      name={`${event}.browser`}
                      aria-label={`${label}: browser notification`}
                      defaultChecked={profile.notificationSettings[event].browser}
                      style={{ width: "auto" }}
                    />
                  </td>
                  <td>
                    <input
                      type="checkbox"
                      name={`${event}.sound`}
                      aria-label={`${label}: sound`}
                      defaultChecked={profile.notificationSettings[event].sound}
                      style={{ width: "auto" }}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="form__actions">
            <button type="submit" className="button" disabled={busyWith === "notifications"}>
              {busyWith === "notifications" ? "Saving…" : "Save notifications"}
            </button>
            <button type="button" className="button button--secondary" onClick={playChime}>
              Play the sound
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
