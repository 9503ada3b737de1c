/**
 * /settings/profile — everyone's own profile: availability, what visitors see, working hours,
 * the languages one answers in (the forms an admin also edits for others, under Users), one's
 * notification settings and one's password.
 */
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { Effect } from "effect";
import { useEffect, useState } from "react";
import { CsrfInput } from "../components/csrf-input.js";
import { ApiTokensSection } from "../components/settings/api-tokens.js";
import { apiTokenAction, isApiTokenIntent, loadApiTokens } from "../components/settings/api-tokens.server.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { ErrorNotice, SavedNotice, SubmitActions } from "../components/settings/notices.js";
import {
  AvailabilityForm,
  LanguagesForm,
  useIntentForms,
  VisitorProfileForm,
  WorkingHoursForm,
} from "../components/settings/profile-forms.js";
import { ChangePasswordForm } from "../components/settings/password-forms.js";
import { loadProfileForms, profileIntent, saveProfileForm } from "../components/settings/profile.server.js";
import { TwoFactorSection } from "../components/settings/two-factor.js";
import { isTwoFactorIntent, loadTwoFactor, twoFactorAction } from "../components/settings/two-factor.server.js";
import { fieldErrors, formValues } from "../forms.js";
import { everyone, roleLabels } from "../roles.js";
import { Accounts, attempt, Workspace, type NotificationSettings } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Your profile · Parley" }];

const EVENTS = [
  ["assigned", "A conversation is assigned to me"],
  ["handoff", "A bot hands a conversation to one of my inboxes"],
  ["mention", "Someone @mentions me in a comment"],
] as const satisfies ReadonlyArray<readonly [keyof NotificationSettings, string]>;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, everyone);
  return {
    ...(await loadProfileForms(context, user.id)),
    apiTokens: await loadApiTokens(context, user, user.id),
    now: Date.now(),
    twoFactor: await loadTwoFactor(context, user),
  };
}

const notificationsOf = (form: FormData): NotificationSettings => {
  const channels = (event: string) => ({ browser: form.get(`${event}.browser`) !== null, sound: form.get(`${event}.sound`) !== null });
  return { assigned: channels("assigned"), handoff: channels("handoff"), mention: channels("mention") };
};

export async function action({ request, context }: ActionFunctionArgs) {
  const { user, token } = await requireUser(request, context, everyone);
  const form = await request.formData();
  const intent = form.get("intent");
  if (isTwoFactorIntent(intent)) return twoFactorAction(context, user, intent, form);
  if (isApiTokenIntent(intent)) return apiTokenAction(context, user, user.id, intent, form);
  if (intent === "password") {
    const values = formValues(form, ["currentPassword", "newPassword", "confirmPassword"]);
    // This browser's session stays; the others end, so a stolen or forgotten one stops working.
    const result = await attempt(context, Effect.flatMap(Accounts, (a) => a.changePassword(user, values, token)));
    // Passwords are never sent back into the page.
    if (!result.ok) return data({ intent, errors: fieldErrors(result.error), values: null, saved: false, endedSessions: null }, { status: result.status });
    return data({ intent, errors: null, values: null, saved: true, endedSessions: result.value.endedSessions });
  }
  if (intent !== "notifications") {
    return saveProfileForm(context, user.id, profileIntent(intent), form);
  }
  const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.updateProfile(user.id, { notificationSettings: notificationsOf(form) })));
  if (!result.ok) return data({ intent, errors: fieldErrors(result.error), values: null, saved: false }, { status: result.status });
  return data({ intent, errors: null, values: null, saved: true });
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

export default function Profile() {
  const { profile, timezones, apiTokens, now, twoFactor } = useLoaderData<typeof loader>();
  const forms = useIntentForms(useActionData<typeof action>());
  const actionData = useActionData<typeof action>();
  const { busy, errorsFor, savedFor } = forms;
  const endedSessions = actionData && "endedSessions" in actionData ? actionData.endedSessions : null;
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
        <SavedNotice show={savedFor("availability")}>{available ? "You are available." : "You are away."}</SavedNotice>
        <ErrorNotice message={errorsFor("availability").form || errorsFor("availability").availability} />
        <AvailabilityForm available={available} busy={busy("availability")} label={available ? "Set me away" : "Set me available"} />
      </section>

      <section className="card" aria-labelledby="profile-title">
        <h2 id="profile-title">What visitors see</h2>
        <p className="muted">When a chatflow hands a visitor to you, the chat shows your display name, avatar and meeting link.</p>
        <SavedNotice show={savedFor("profile")}>Your profile is saved.</SavedNotice>
        <ErrorNotice message={errorsFor("profile").form} />
        <VisitorProfileForm idPrefix="profile" profile={profile} forms={forms} meetingHint="Where visitors can book a call with you." />
      </section>

      <section className="card" aria-labelledby="hours-title">
        <h2 id="hours-title">Working hours</h2>
        <p className="muted">
          When you usually work, in your time zone. Admins see them on your page under Settings → Users; they do not route
          conversations — your availability above does.
        </p>
        <SavedNotice show={savedFor("working-hours")}>Your working hours are saved.</SavedNotice>
        <ErrorNotice message={errorsFor("working-hours").form} />
        <WorkingHoursForm idPrefix="profile" workingHours={profile.workingHours} timezones={timezones} busy={busy("working-hours")} />
      </section>

      <section className="card" aria-labelledby="languages-title">
        <h2 id="languages-title">Languages you answer in</h2>
        <p className="muted">
          An inbox that prefers the visitor's language gives a German-speaking visitor to someone who lists German first, when
          one is available; otherwise anyone takes it.
        </p>
        <SavedNotice show={savedFor("languages")}>Your languages are saved.</SavedNotice>
        <LanguagesForm idPrefix="profile" languages={profile.languages} forms={forms} hint="Language codes separated by commas, such as en, de, fr. Leave empty for none." />
      </section>

      <section className="card" aria-labelledby="password-title">
        <h2 id="password-title">Password</h2>
        <p className="muted">Changing it signs you out everywhere else; this browser stays signed in.</p>
        <SavedNotice show={savedFor("password")}>
          Your password is changed.{" "}
          {endedSessions === 0
            ? "You were not signed in anywhere else."
            : `Signed out ${endedSessions} other session${endedSessions === 1 ? "" : "s"}.`}
        </SavedNotice>
        <ErrorNotice message={errorsFor("password").form} />
        {/* Remounted after a change so the fields are empty again. */}
        <ChangePasswordForm key={savedFor("password") ? "changed" : "form"} errors={errorsFor("password")} busy={busy("password")} />
      </section>

      <ApiTokensSection tokens={apiTokens} result={actionData} own now={now} />

      <TwoFactorSection view={twoFactor} />

      <section className="card" aria-labelledby="notifications-title">
        <h2 id="notifications-title">Notifications</h2>
        <p className="muted">How Parley tells you, while the inbox is open in this browser.</p>
        <BrowserPermission />
        <SavedNotice show={savedFor("notifications")}>Your notification settings are saved.</SavedNotice>
        <ErrorNotice message={errorsFor("notifications").form || errorsFor("notifications").notificationSettings} />
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
          <SubmitActions busy={busy("notifications")} label="Save notifications">
            <button type="button" className="button button--secondary" onClick={playChime}>
              Play the sound
            </button>
          </SubmitActions>
        </Form>
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
