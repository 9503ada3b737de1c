/**
 * Two-factor authentication on the settings pages: one's own section (set up with a QR code,
 * turn off, new recovery codes), an admin's card on someone's page (status, reset), and the
 * workspace's requirement on Settings → Users. The forms post `two-factor-…` intents that
 * two-factor.server.ts runs; codes and passwords are never rendered back.
 */
import { Form, useActionData, useNavigation } from "@remix-run/react";
import { CopyButton } from "../copy-button.js";
import { CsrfInput } from "../csrf-input.js";
import { Field } from "../field.js";
import { ErrorNotice, SavedNotice, SubmitActions } from "./notices.js";
import { useIntentForms, type IntentResult } from "./profile-forms.js";
import type { QrPath, TwoFactorView } from "./two-factor.server.js";

const dateFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" });

/** What the section's action answers (see two-factor.server.ts). */
type SectionAnswer = IntentResult & { readonly recoveryCodes?: ReadonlyArray<string> | null };

/** The QR code an authenticator app scans, drawn from the server's path (crisp at any size). */
function QrCode({ qr }: { qr: QrPath }) {
  return (
    <svg
      role="img"
      aria-label="QR code to scan with your authenticator app"
      viewBox={`0 0 ${qr.size} ${qr.size}`}
      shapeRendering="crispEdges"
      style={{ width: "min(220px, 100%)", height: "auto", display: "block", background: "#fff" }}>
      <path d={qr.path} fill="#000" />
    </svg>
  );
}

/** The recovery codes, shown once: a list to read, a .txt to download (no script needed) and a copy button. */
function RecoveryCodes({ codes, email }: { codes: ReadonlyArray<string>; email: string }) {
  const text = [
    `Parley recovery codes for ${email}`,
    "Each code signs you in once, instead of the code from your app. Keep them somewhere safe.",
    "",
    ...codes,
    "",
  ].join("\n");
  return (
    <div>
      <h3>Your recovery codes</h3>
      <p>
        <strong>Save them now: they are shown only this once.</strong> If you lose your phone, each code signs you in once
        instead of the code from your app.
      </p>
      <ol
        aria-label="Recovery codes"
        style={{ display: "grid", gridTemplateColumns: "repeat(auto-fill, minmax(9rem, 1fr))", gap: "0.25rem 1rem", paddingLeft: "1.5rem" }}>
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className="form__actions">
        <a className="button button--secondary" href={`data:text/plain;charset=utf-8,${encodeURIComponent(text)}`} download="parley-recovery-codes.txt">
          Download as .txt
        </a>
        <CopyButton text={codes.join("\n")} label="Copy codes" />
      </div>
    </div>
  );
}

/**
 * One's own two-factor section: off (a button to set up), setting up (QR code, the key in
 * groups, a code to confirm), or on (since when, codes left, new codes, turn off). After turning
 * on or getting new codes, the codes are shown once.
 */
export function TwoFactorSection({ view }: { view: TwoFactorView }) {
  const answer = useActionData<SectionAnswer>();
  const mine = answer && typeof answer.intent === "string" && answer.intent.startsWith("two-factor-") ? answer : undefined;
  const { busy, errorsFor, savedFor } = useIntentForms(mine);
  const codes = mine?.recoveryCodes ?? null;
  return (
    <section className="card" aria-labelledby="two-factor-title">
      <h2 id="two-factor-title">Two-factor authentication</h2>
      {codes !== null ? (
        <>
          <SavedNotice show>
            {mine?.intent === "two-factor-confirm" ? "Two-factor authentication is on." : "You have new recovery codes; the old ones no longer work."}
          </SavedNotice>
          <RecoveryCodes codes={codes} email={view.email} />
        </>
      ) : null}
      <SavedNotice show={savedFor("two-factor-disable")}>Two-factor authentication is off.</SavedNotice>
      <ErrorNotice message={errorsFor("two-factor-start").form || errorsFor("two-factor-cancel").form} />

      {view.enabled ? (
        <>
          <p>
            <strong>On</strong> since {dateFormat.format(view.enabledAt ?? 0)}: signing in asks for a code from your authenticator
            app after your password. You have {view.recoveryCodesLeft} recovery code{view.recoveryCodesLeft === 1 ? "" : "s"} left.
          </p>

          <h3 id="two-factor-regenerate-title">New recovery codes</h3>
          <p className="muted">Used some, or lost them? New codes replace all the old ones.</p>
          <ErrorNotice message={errorsFor("two-factor-regenerate").form} />
          <Form method="post" className="form" noValidate aria-labelledby="two-factor-regenerate-title">
            <CsrfInput />
            <input type="hidden" name="intent" value="two-factor-regenerate" />
            <Field id="two-factor-regenerate-code" label="Code from your app" error={errorsFor("two-factor-regenerate").code}>
              {(props) => <input {...props} name="code" autoComplete="one-time-code" inputMode="numeric" maxLength={12} required />}
            </Field>
            <SubmitActions busy={busy("two-factor-regenerate")} label="Get new recovery codes" />
          </Form>

          <h3 id="two-factor-disable-title">Turn off</h3>
          <p className="muted">
            {view.required
              ? "Your workspace requires two-factor authentication: after turning it off you will be asked to set it up again."
              : "Signing in will ask for your password only."}{" "}
            Enter a current code from your app (or a recovery code), or your password.
          </p>
          <ErrorNotice message={errorsFor("two-factor-disable").form} />
          <Form method="post" className="form" noValidate aria-labelledby="two-factor-disable-title">
            <CsrfInput />
            <input type="hidden" name="intent" value="two-factor-disable" />
            <Field id="two-factor-disable-code" label="Code from your app, or a recovery code" error={errorsFor("two-factor-disable").code}>
              {(props) => <input {...props} name="code" autoComplete="one-time-code" maxLength={24} />}
            </Field>
            <Field id="two-factor-disable-password" label="Or your password" error={errorsFor("two-factor-disable").password}>
              {(props) => <input {...props} name="password" type="password" autoComplete="current-password" />}
            </Field>
            <SubmitActions busy={busy("two-factor-disable")} label="Turn off two-factor authentication" busyLabel="Turning off…" />
          </Form>
        </>
      ) : view.setup !== null ? (
        <>
          <ol>
            <li>
              <p>Scan this QR code with an authenticator app on your phone (Google Authenticator, Microsoft Authenticator, 1Password, Authy…).</p>
              <QrCode qr={view.setup.qr} />
              <p>
                Cannot scan it? Add an account by hand: issuer <strong>Parley</strong>, account <strong>{view.email}</strong>, time-based,
                with this key:
              </p>
              <div className="field">
                <label htmlFor="two-factor-key">Setup key</label>
                <input id="two-factor-key" readOnly value={view.setup.secret} spellCheck={false} autoComplete="off" style={{ fontFamily: "monospace" }} />
                <CopyButton text={view.setup.secret.replace(/ /g, "")} label="Copy key" />
              </div>
            </li>
            <li>
              <p>Enter the 6-digit code the app shows for Parley.</p>
            </li>
          </ol>
          <ErrorNotice message={errorsFor("two-factor-confirm").form} />
          <Form method="post" className="form" noValidate>
            <CsrfInput />
            <input type="hidden" name="intent" value="two-factor-confirm" />
            <Field id="two-factor-confirm-code" label="Code from your app" error={errorsFor("two-factor-confirm").code}>
              {(props) => <input {...props} name="code" autoComplete="one-time-code" inputMode="numeric" maxLength={12} required />}
            </Field>
            <SubmitActions busy={busy("two-factor-confirm")} label="Turn on" busyLabel="Checking…" />
          </Form>
          <Form method="post">
            <CsrfInput />
            <input type="hidden" name="intent" value="two-factor-cancel" />
            <button type="submit" className="button button--secondary button--small" disabled={busy("two-factor-cancel")}>
              Cancel setup
            </button>
          </Form>
        </>
      ) : (
        <>
          <p className="muted">
            Keep your account safe even if your password leaks: signing in will also ask for a 6-digit code from an authenticator
            app on your phone.
          </p>
          <Form method="post">
            <CsrfInput />
            <input type="hidden" name="intent" value="two-factor-start" />
            <button type="submit" className="button" disabled={busy("two-factor-start")}>
              Set up two-factor authentication
            </button>
          </Form>
        </>
      )}
    </section>
  );
}

/** An admin's card on someone's page: whether they have two-factor sign-in, and a reset for a lost phone. */
export function TwoFactorAdminSection({
  name,
  status,
  isSelf,
}: {
  name: string;
  status: { readonly enabled: boolean; readonly enabledAt: number | null; readonly recoveryCodesLeft: number };
  isSelf: boolean;
}) {
  const answer = useActionData<IntentResult>();
  const mine = answer?.intent === "two-factor-reset" ? answer : undefined;
  const { busy } = useIntentForms(mine);
  return (
    <section className="card" aria-labelledby="user-two-factor-title">
      <h2 id="user-two-factor-title">Two-factor authentication</h2>
      <SavedNotice show={mine?.saved === true}>Two-factor authentication of {name} is reset: they sign in with their password and set it up again.</SavedNotice>
      <ErrorNotice message={mine?.errors?.form} />
      {status.enabled ? (
        <>
          <p>
            <span className="badge">On</span> since {dateFormat.format(status.enabledAt ?? 0)}; {status.recoveryCodesLeft} recovery code
            {status.recoveryCodesLeft === 1 ? "" : "s"} left.
          </p>
          <p className="muted">
            {isSelf ? "To change your own, use Your profile." : `Lost their phone and their recovery codes? Reset it: ${name} then signs in with their password alone (and sets it up again when the workspace requires it).`}
          </p>
          {isSelf ? null : (
            <Form method="post">
              <CsrfInput />
              <input type="hidden" name="intent" value="two-factor-reset" />
              <button type="submit" className="button button--secondary" disabled={busy("two-factor-reset")}>
                Reset two-factor authentication of {name}
              </button>
            </Form>
          )}
        </>
      ) : (
        <p>
          <span className="badge">Off</span> {name} signs in with a password only.
        </p>
      )}
    </section>
  );
}

/** The workspace's requirement, on Settings → Users: a checkbox and how many people have it on. */
export function TwoFactorRequirementCard({ required, enabledCount, total }: { required: boolean; enabledCount: number; total: number }) {
  const answer = useActionData<{ intent?: unknown; errors?: { form?: string } | null; required?: boolean | null }>();
  const mine = answer?.intent === "two-factor-required" ? answer : undefined;
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" && navigation.formData?.get("intent") === "two-factor-required";
  return (
    <section className="card" aria-labelledby="two-factor-required-title">
      <h2 id="two-factor-required-title">Two-factor authentication</h2>
      <p className="muted">
        {enabledCount} of {total} user{total === 1 ? " has" : "s have"} it on. When it is required, everyone without it is asked to set
        it up right after signing in, before anything else.
      </p>
      <SavedNotice show={typeof mine?.required === "boolean"}>
        {mine?.required ? "Two-factor authentication is now required for all users." : "Two-factor authentication is no longer required."}
      </SavedNotice>
      <ErrorNotice message={mine?.errors?.form} />
      <Form method="post" className="form" key={String(required)}>
        <CsrfInput />
        <input type="hidden" name="intent" value="two-factor-required" />
        <label style={{ display: "flex", alignItems: "center", gap: "0.5rem" }}>
          <input type="checkbox" name="required" defaultChecked={required} style={{ width: "auto" }} />
          Require two-factor authentication for all users
        </label>
        <SubmitActions busy={busy} label="Save" />
      </Form>
    </section>
  );
}
