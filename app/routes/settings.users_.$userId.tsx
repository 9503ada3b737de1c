/**
 * /settings/users/:userId — an admin edits someone's profile: what visitors see (display name,
 * avatar, meeting link), availability, working hours and the languages they answer in; sets a
 * new password for them; and disables or enables them. Notification settings stay personal (each
 * person's own profile page).
 */
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { ApiTokensSection } from "../components/settings/api-tokens.js";
import { apiTokenAction, loadApiTokens } from "../components/settings/api-tokens.server.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { ErrorNotice, SavedNotice } from "../components/settings/notices.js";
import { DetailHeader } from "../components/settings/page-parts.js";
import { SetPasswordForm } from "../components/settings/password-forms.js";
import {
  AvailabilityForm,
  LanguagesForm,
  useIntentForms,
  VisitorProfileForm,
  WorkingHoursForm,
} from "../components/settings/profile-forms.js";
import { loadProfileForms, profileIntent, saveProfileForm, type ProfileIntent } from "../components/settings/profile.server.js";
import { TwoFactorAdminSection } from "../components/settings/two-factor.js";
import { loadTwoFactorStatus, resetTwoFactorAction } from "../components/settings/two-factor.server.js";
import { fieldErrors, formValues } from "../forms.js";
import { access, roleLabels } from "../roles.js";
import { Accounts, attempt, Workspace } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction<typeof loader> = ({ data: loaded }) => [{ title: `${loaded?.profile.name ?? "User"} · Users · Settings · Parley` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.settings);
  const loaded = await loadProfileForms(context, params.userId ?? "");
  return {
    ...loaded,
    isSelf: user.id === params.userId,
    apiTokens: await loadApiTokens(context, user, loaded.profile.userId),
    now: Date.now(),
    twoFactor: await loadTwoFactorStatus(context, loaded.profile.userId),
  };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.settings);
  const userId = params.userId ?? "";
  const form = await request.formData();
  const sent = form.get("intent");
  if (sent === "two-factor-reset") return resetTwoFactorAction(context, user, userId);
  if (sent === "revoke-token") return apiTokenAction(context, user, userId, sent, form);
  if (sent === "set-password") {
    const result = await attempt(context, Effect.flatMap(Accounts, (a) => a.setPassword(user, userId, formValues(form, ["password"]))));
    if (!result.ok) return data({ intent: sent, errors: fieldErrors(result.error), values: null, saved: false, message: null }, { status: result.status });
    const ended = result.value.endedSessions;
    return data({ intent: sent, errors: null, values: null, saved: true, message: ended === 0 ? "" : ` Signed out ${ended} session${ended === 1 ? "" : "s"}.` });
  }
  if (sent === "disable" || sent === "enable") {
    const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.setDisabled(user, userId, sent === "disable")));
    if (!result.ok) return data({ intent: "access", errors: { form: result.error.message }, values: null, saved: false, message: null }, { status: result.status });
    const { endedSessions, rerouted } = result.value;
    const message =
      sent === "enable"
        ? ""
        : ` Signed out ${endedSessions} session${endedSessions === 1 ? "" : "s"}; ${rerouted} conversation${rerouted === 1 ? "" : "s"} they held went back to their inbox's routing.`;
    return data({ intent: "access", errors: null, values: null, saved: true, message });
  }
  return saveProfileForm(context, params.userId ?? "", profileIntent(sent), form);
}

export default function UserSettings() {
  const { profile, timezones, isSelf, apiTokens, now, twoFactor } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const forms = useIntentForms(actionData);
  const { busy, errorsFor, savedFor } = forms;
  const available = profile.availability === "available";
  const disabled = profile.disabledAt !== null;
  const detail = actionData && "message" in actionData ? actionData.message : "";
  // One notice per form: saved, or the first message that is not under a field.
  const notice = (intent: ProfileIntent, saved: string) =>
    savedFor(intent) ? <SavedNotice show>{saved}</SavedNotice> : <ErrorNotice message={errorsFor(intent).form || errorsFor(intent).availability} />;
  return (
    <>
      <DetailHeader back={{ to: "/settings/users", label: "All users" }} title={profile.name}>
        {profile.email} · <span className="badge">{roleLabels[profile.role]}</span>
        {disabled ? (
          <>
            {" "}
            · <span className="badge">Disabled</span>
          </>
        ) : null}
      </DetailHeader>

      <section className="card" aria-labelledby="user-access-title">
        <h2 id="user-access-title">Access</h2>
        {savedFor("access") ? (
          <SavedNotice show>
            {disabled ? `${profile.name} is disabled.` : `${profile.name} is enabled and can sign in again.`}
            {detail}
          </SavedNotice>
        ) : (
          <ErrorNotice message={errorsFor("access").form} />
        )}
        {disabled ? (
          <p>
            {profile.name} is <strong>disabled</strong>: they cannot sign in and get no conversations. Their messages,
            conversations and report figures stay.
          </p>
        ) : (
          <p className="muted">
            Disabling signs {profile.name} out at once and refuses their sign-in; the open conversations they hold go back to
            their inbox’s routing. Their messages, conversations and report figures stay, and they stay listed as members.
          </p>
        )}
        {isSelf ? (
          <p className="muted">You cannot disable yourself; another admin can.</p>
        ) : (
          <Form method="post">
            <CsrfInput />
            <input type="hidden" name="intent" value={disabled ? "enable" : "disable"} />
            <button type="submit" className="button button--secondary" disabled={busy("disable") || busy("enable")}>
              {disabled ? `Enable ${profile.name}` : `Disable ${profile.name}`}
            </button>
          </Form>
        )}
      </section>

      <section className="card" aria-labelledby="user-password-title">
        <h2 id="user-password-title">Password</h2>
        <p className="muted">For someone who forgot theirs: type a temporary password and give it to them. Their sessions end.</p>
        <SavedNotice show={savedFor("set-password")}>
          {profile.name} has a new password.{detail}
        </SavedNotice>
        <ErrorNotice message={errorsFor("set-password").form} />
        <SetPasswordForm
          key={savedFor("set-password") ? "set" : "form"}
          name={profile.name}
          error={errorsFor("set-password").password}
          busy={busy("set-password")}
        />
      </section>

      <TwoFactorAdminSection name={profile.name} status={twoFactor} isSelf={isSelf} />

      <ApiTokensSection tokens={apiTokens} result={actionData} own={false} whose={profile.name} now={now} />

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

      <section className="card" aria-labelledby="user-languages-title">
        <h2 id="user-languages-title">Languages</h2>
        {notice("languages", "Languages saved.")}
        <LanguagesForm
          idPrefix="user"
          languages={profile.languages}
          forms={forms}
          hint="The languages they answer in, as codes separated by commas (en, de, fr). Inboxes that prefer the visitor's language route by them."
        />
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
