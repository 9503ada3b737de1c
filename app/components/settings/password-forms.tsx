/**
 * The password forms: changing one's own (on "Your profile") and an admin setting someone's
 * temporary one (on that person's page). Neither ever renders a password back into the page.
 */
import { Form } from "@remix-run/react";
import { CsrfInput } from "../csrf-input.js";
import { Field } from "../field.js";
import { SubmitActions } from "./notices.js";

/** The rule shown under new-password fields; the server's `Password` schema enforces it. */
export const PASSWORD_HINT = "At least 8 characters.";

/** Current password, new password and its confirmation; posts intent=password. */
export function ChangePasswordForm({ errors, busy }: { errors: Readonly<Record<string, string>>; busy: boolean }) {
  return (
    <Form method="post" className="form" noValidate>
      <CsrfInput />
      <input type="hidden" name="intent" value="password" />
      <Field id="password-current" label="Current password" error={errors.currentPassword}>
        {(props) => <input {...props} name="currentPassword" type="password" autoComplete="current-password" required />}
      </Field>
      <Field id="password-new" label="New password" error={errors.newPassword} hint={PASSWORD_HINT}>
        {(props) => <input {...props} name="newPassword" type="password" autoComplete="new-password" required minLength={8} />}
      </Field>
      <Field id="password-confirm" label="Confirm the new password" error={errors.confirmPassword}>
        {(props) => <input {...props} name="confirmPassword" type="password" autoComplete="new-password" required />}
      </Field>
      <SubmitActions busy={busy} label="Change password" />
    </Form>
  );
}

/** An admin types a temporary password for `name`; posts intent=set-password. */
export function SetPasswordForm({ name, error, busy }: { name: string; error: string | undefined; busy: boolean }) {
  return (
    <Form method="post" className="form" noValidate>
      <CsrfInput />
      <input type="hidden" name="intent" value="set-password" />
      <Field id="user-new-password" label="New password" error={error} hint={`${PASSWORD_HINT} Give it to ${name}; they can change it on their profile.`}>
        {(props) => <input {...props} name="password" type="password" autoComplete="new-password" required minLength={8} />}
      </Field>
      <SubmitActions busy={busy} label="Set a new password" />
    </Form>
  );
}
