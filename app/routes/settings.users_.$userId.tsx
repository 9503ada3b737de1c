/**
 * /settings/users/:userId — an admin edits someone's profile: what visitors see (display name,
 * avatar, meeting link), availability and working hours. Notification settings stay personal
 * (each person's own profile page).
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { RouteErrorBoundary } from "../components/error-page.js";
import { ErrorNotice, SavedNotice } from "../components/settings/notices.js";
import { DetailHeader } from "../components/settings/page-parts.js";
import {
  AvailabilityForm,
  useIntentForms,
  VisitorProfileForm,
  WorkingHoursForm,
} from "../components/settings/profile-forms.js";
import { loadProfileForms, saveProfileForm, type ProfileIntent } from "../components/settings/profile.server.js";
import { access, roleLabels } from "../roles.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [{ title: `${loaded?.profile.name ?? "User"} · Users · Settings · Parley` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  await requireUser(request, context, access.settings);
  return loadProfileForms(context, params.userId ?? "");
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  await requireUser(request, context, access.settings);
  const form = await request.formData();
  const sent = form.get("intent");
  const intent: ProfileIntent = sent === "availability" || sent === "working-hours" ? sent : "profile";
  return saveProfileForm(context, params.userId ?? "", intent, form);
}

export default function UserSettings() {
  const { profile, timezones } = useLoaderData<typeof loader>();
  const forms = useIntentForms(useActionData<typeof action>());
  const { busy, errorsFor, savedFor } = forms;
  const available = profile.availability === "available";
  // One notice per form: saved, or the first message that is not under a field.
  const notice = (intent: ProfileIntent, saved: string) =>
    savedFor(intent) ? <SavedNotice show>{saved}</SavedNotice> : <ErrorNotice message={errorsFor(intent).form || errorsFor(intent).availability} />;
  return (
    <>
      <DetailHeader back={{ to: "/settings/users", label: "All users" }} title={profile.name}>
        {profile.email} · <span className="badge">{roleLabels[profile.role]}</span>
      </DetailHeader>

      <section className="card" aria-labelledby="user-availability-title">
        <h2 id="user-availability-title">Availability</h2>
        <p>
          {profile.name} is <strong>{available ? "available" : "away"}</strong>.
        </p>
        {notice("availability", `${profile.name} is ${available ? "available" : "away"}.`)}
        <AvailabilityForm available={available} busy={busy("availability")} label={available ? "Set away" : "Set available"} />
      </section>

      <section className="card" aria-labelledby="user-profile-title">
        <h2 id="user-profile-title">What visitors see</h2>
        {notice("profile", "Profile saved.")}
        <VisitorProfileForm idPrefix="user" profile={profile} forms={forms} meetingHint="Where visitors can book a call." />
      </section>

      <section className="card" aria-labelledby="user-hours-title">
        <h2 id="user-hours-title">Working hours</h2>
        {notice("working-hours", "Working hours saved.")}
        <WorkingHoursForm idPrefix="user" workingHours={profile.workingHours} timezones={timezones} busy={busy("working-hours")} />
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
