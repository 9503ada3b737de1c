/**
 * The forms of a person's profile, shared by "Your profile" and an admin's page for someone
 * else: availability, what visitors see, working hours and the languages they answer in. Each
 * posts an `intent` the page's action switches on; the page keeps its own headings, wording and
 * notices.
 */
import { Form, useNavigation } from "@remix-run/react";
import { CsrfInput } from "../csrf-input.js";
import { Field } from "../field.js";
import { languageLabel } from "../inbox/labels.js";
import { EditTable, TimezoneField } from "./hours-fields.js";
import { SubmitActions } from "./notices.js";

/** The days of the working-hours table, Monday first, with the names people read. */
export const DAYS = [
  ["mon", "Monday"],
  ["tue", "Tuesday"],
  ["wed", "Wednesday"],
  ["thu", "Thursday"],
  ["fri", "Friday"],
  ["sat", "Saturday"],
  ["sun", "Sunday"],
] as const;

export type Day = (typeof DAYS)[number][0];

export interface WorkingHoursValue {
  readonly timezone: string;
  readonly hours: ReadonlyArray<{ readonly day: string; readonly from: string; readonly to: string }>;
}

/** The working hours a form sent: the time zone and each ticked day with its from/until times. Pure. */
export const workingHoursOf = (form: FormData) => ({
  timezone: String(form.get("timezone") ?? ""),
  hours: DAYS.filter(([day]) => form.get(`${day}.on`) !== null).map(([day]) => ({
    day,
    from: String(form.get(`${day}.from`) ?? ""),
    to: String(form.get(`${day}.to`) ?? ""),
  })),
});

/**
 * One sentence for a refused save of `sent`: each issue named by the day and field the person
 * filled in (issues point into `workingHours.hours[i]`, an index into the ticked days only), and
 * `fallback` when there are no issues. Pure.
 */
export const workingHoursMessage = (
  issues: ReadonlyArray<{ readonly path: string; readonly message: string }>,
  sent: WorkingHoursValue,
  fallback: string,
): string => {
  const messages = issues.map((issue) => {
    const at = /^workingHours\.hours\[(\d+)\]\.(\w+)/.exec(issue.path);
    const day = at ? DAYS.find(([d]) => d === sent.hours[Number(at[1])]?.day)?.[1] : undefined;
    if (at && day) return `${day}, ${at[2] === "from" ? "from" : at[2] === "to" ? "until" : at[2]}: ${issue.message}`;
    if (issue.path.startsWith("workingHours.timezone")) return `Time zone: ${issue.message}`;
    return issue.message;
  });
  return messages.join(" · ") || fallback;
};

/** The button that sets someone away or available: it posts the opposite of `available`. */
export function AvailabilityForm({ available, busy, label }: { available: boolean; busy: boolean; label: string }) {
  return (
    <Form method="post">
      <CsrfInput />
      <input type="hidden" name="intent" value="availability" />
      <input type="hidden" name="availability" value={available ? "away" : "available"} />
      <button type="submit" className="button" disabled={busy}>
        {label}
      </button>
    </Form>
  );
}

/** Display name, avatar and meeting link: what a visitor sees of the person a chat hands them to. */
export function VisitorProfileForm({
  idPrefix,
  profile,
  forms,
  meetingHint,
}: {
  idPrefix: string;
  /** The stored fields; `name` is shown when the display name is left empty. */
  profile: { readonly name: string; readonly displayName: string; readonly avatarUrl: string; readonly meetingLink: string };
  forms: IntentForms;
  meetingHint: string;
}) {
  const values = visitorProfileValues(forms.valuesFor("profile"), profile);
  const errors = forms.errorsFor("profile");
  return (
    <Form method="post" className="form" noValidate>
      <CsrfInput />
      <input type="hidden" name="intent" value="profile" />
      <Field id={`${idPrefix}-display-name`} label="Display name" error={errors.displayName} hint={`Leave empty to show “${profile.name}”.`}>
        {(props) => <input {...props} name="displayName" defaultValue={values.displayName ?? ""} />}
      </Field>
      <Field id={`${idPrefix}-avatar`} label="Avatar URL" error={errors.avatarUrl} hint="An https:// link to a square image.">
        {(props) => <input {...props} name="avatarUrl" type="url" inputMode="url" defaultValue={values.avatarUrl ?? ""} />}
      </Field>
      <Field id={`${idPrefix}-meeting`} label="Meeting link" error={errors.meetingLink} hint={meetingHint}>
        {(props) => <input {...props} name="meetingLink" type="url" inputMode="url" defaultValue={values.meetingLink ?? ""} />}
      </Field>
      <SubmitActions busy={forms.busy("profile")} label="Save profile" />
    </Form>
  );
}

/**
 * The languages someone answers in, typed as codes on one line ("de, en"), with their names under
 * it once saved. Remounted when the stored list changes, so after a save the field shows it.
 */
export function LanguagesForm({
  idPrefix,
  languages,
  forms,
  hint,
}: {
  idPrefix: string;
  languages: ReadonlyArray<string>;
  forms: IntentForms;
  hint: string;
}) {
  const sent = forms.valuesFor("languages");
  return (
    <Form method="post" className="form" noValidate key={languages.join(" ")}>
      <CsrfInput />
      <input type="hidden" name="intent" value="languages" />
      <Field id={`${idPrefix}-languages`} label="Languages" error={forms.errorsFor("languages").languages} hint={hint}>
        {(props) => <input {...props} name="languages" autoComplete="off" spellCheck={false} defaultValue={sent?.languages ?? languages.join(", ")} />}
      </Field>
      <p className="muted">{languages.length === 0 ? "No languages set." : `Answers in ${languages.map(languageLabel).join(", ")}.`}</p>
      <SubmitActions busy={forms.busy("languages")} label="Save languages" />
    </Form>
  );
}

/**
 * The time zone and a row per day (ticked, from, until). Remounted when the stored hours change,
 * so after a save the fields show what was stored.
 */
export function WorkingHoursForm({
  idPrefix,
  workingHours,
  timezones,
  busy,
}: {
  idPrefix: string;
  workingHours: WorkingHoursValue;
  /** Every zone offered; the stored one is offered too even when this list lacks it. */
  timezones: ReadonlyArray<string>;
  busy: boolean;
}) {
  const hoursByDay = new Map(workingHours.hours.map((h) => [h.day, h]));
  return (
    <Form method="post" className="form" key={JSON.stringify(workingHours)}>
      <CsrfInput />
      <input type="hidden" name="intent" value="working-hours" />
      <TimezoneField id={`${idPrefix}-timezone`} label="Time zone" zones={timezones} value={workingHours.timezone} />
      <EditTable columns={["Day", "From", "Until"]}>
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
      </EditTable>
      <SubmitActions busy={busy} label="Save working hours" />
    </Form>
  );
}

/** What a profile page's action answers: which form it was for, and how that went. */
export interface IntentResult {
  readonly intent: string | null;
  readonly errors: Readonly<Record<string, string>> | null;
  readonly values: Readonly<Record<string, string>> | null;
  readonly saved: boolean;
}

/** A page's view of its forms' last answer (see `useIntentForms`). */
export interface IntentForms {
  /** True while the form posting `intent` is being sent. */
  readonly busy: (intent: string) => boolean;
  readonly errorsFor: (intent: string) => Readonly<Record<string, string>>;
  readonly savedFor: (intent: string) => boolean;
  /** The values the action sent back for `intent` (after a refusal), else null. */
  readonly valuesFor: (intent: string) => Readonly<Record<string, string>> | null;
}

/**
 * Reads one action answer for a page of several forms, each posting its own `intent`: which form
 * is being sent now, and the messages, saved state and sent-back values of each.
 */
export function useIntentForms(result: IntentResult | undefined): IntentForms {
  const navigation = useNavigation();
  const sending = navigation.state === "submitting" ? String(navigation.formData?.get("intent") ?? "") : null;
  return {
    busy: (intent: string) => sending === intent,
    errorsFor: (intent: string): Readonly<Record<string, string>> => (result?.intent === intent && result.errors ? result.errors : {}),
    savedFor: (intent: string) => result?.intent === intent && result.saved === true,
    valuesFor: (intent: string) => (result?.intent === intent ? result.values : null),
  };
}

/** The visitor-facing fields to show: what was sent back after a refused save, else what is stored. Pure. */
export const visitorProfileValues = (
  sent: Readonly<Record<string, string>> | null,
  stored: { readonly displayName: string; readonly avatarUrl: string; readonly meetingLink: string },
): Readonly<Record<string, string>> =>
  sent ?? { displayName: stored.displayName, avatarUrl: stored.avatarUrl, meetingLink: stored.meetingLink };
