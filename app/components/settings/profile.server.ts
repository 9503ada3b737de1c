/**
 * The server side of the profile forms both profile pages show (one's own, and an admin's page
 * for someone else): what the forms load, and saving the intents they share. Each page keeps its
 * own guard, and "Your profile" adds its notification settings.
 */
import { data, type AppLoadContext } from "@remix-run/node";
import { Effect } from "effect";
import { fieldErrors, formValues } from "../../forms.js";
import { attempt, languagesOfText, run, Workspace } from "../../runtime.server.js";
import { workingHoursMessage, workingHoursOf } from "./profile-forms.js";

/** The intents the shared profile forms post. */
export type ProfileIntent = "profile" | "availability" | "working-hours" | "languages";

/** The shared form's intent `sent` names, or "profile" for anything else. Pure. */
export const profileIntent = (sent: unknown): ProfileIntent =>
  sent === "availability" || sent === "working-hours" || sent === "languages" ? sent : "profile";

/** The profile of `userId` with unset visitor-facing fields as empty strings, and every time zone to offer. */
export const loadProfileForms = async (context: AppLoadContext, userId: string) => {
  const profile = await run(context, Effect.flatMap(Workspace, (w) => w.getProfile(userId)));
  return {
    profile: {
      ...profile,
      displayName: profile.displayName ?? "",
      avatarUrl: profile.avatarUrl ?? "",
      meetingLink: profile.meetingLink ?? "",
    },
    timezones: Intl.supportedValuesOf("timeZone"),
  };
};

/**
 * Saves one of the shared forms for `userId`: the answer says which `intent` it was, the
 * messages by field (`form` for the whole form), the values to show again, and whether it saved.
 */
export const saveProfileForm = async (context: AppLoadContext, userId: string, intent: ProfileIntent, form: FormData) => {
  const saved = () => data({ intent, errors: null, values: null, saved: true });
  const refused = (status: number, errors: Record<string, string>, values: Record<string, string> | null = null) =>
    data({ intent, errors, values, saved: false }, { status });
  switch (intent) {
    case "availability": {
      const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.setAvailability(userId, String(form.get("availability") ?? ""))));
      return result.ok ? saved() : refused(result.status, fieldErrors(result.error));
    }
    case "working-hours": {
      const workingHours = workingHoursOf(form);
      const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.updateProfile(userId, { workingHours })));
      return result.ok ? saved() : refused(result.status, { form: workingHoursMessage(result.error.issues ?? [], workingHours, result.error.message) });
    }
    case "languages": {
      // Typed as one line ("de, en"); each code is checked on its own, so a message names the one that is wrong.
      const text = String(form.get("languages") ?? "");
      const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.updateProfile(userId, { languages: languagesOfText(text) })));
      return result.ok ? saved() : refused(result.status, fieldErrors(result.error), { languages: text });
    }
    case "profile": {
      const values = formValues(form, ["displayName", "avatarUrl", "meetingLink"]);
      const result = await attempt(context, Effect.flatMap(Workspace, (w) => w.updateProfile(userId, values)));
      return result.ok ? saved() : refused(result.status, fieldErrors(result.error), values);
    }
  }
};
