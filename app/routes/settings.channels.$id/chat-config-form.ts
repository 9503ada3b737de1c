/**
 * The chat channel form's fields ↔ the Channels service's input and issues. Pure; safe on the
 * client. Validation itself stays in the service's schema, so the messages are the same
 * everywhere; this module only says which field each message belongs to.
 */
import type { DecodeIssue } from "../../runtime.server.js";

/** The form's field names, as the page renders and the action reads them. */
export const FIELDS = {
  allowedOrigins: "allowedOrigins",
  name: "brandName",
  logoUrl: "logoUrl",
  accentColor: "accentColor",
  launcherPosition: "launcherPosition",
  showPoweredBy: "showPoweredBy",
  followUpMinutes: "followUpMinutes",
} as const;

/** The waits the form offers for emailing unseen replies, in minutes (0 = off). */
export const FOLLOW_UP_CHOICES: ReadonlyArray<number> = [0, 1, 2, 5, 10, 15, 30, 60, 120, 240, 1440];

/** "Off", "5 minutes", "1 hour", "1 day". Pure. */
export const followUpLabel = (minutes: number): string => {
  if (minutes === 0) return "Off: never email them";
  if (minutes % 1440 === 0) return minutes === 1440 ? "After 1 day" : `After ${minutes / 1440} days`;
  if (minutes % 60 === 0) return minutes === 60 ? "After 1 hour" : `After ${minutes / 60} hours`;
  return minutes === 1 ? "After 1 minute" : `After ${minutes} minutes`;
};

export type FormValues = Readonly<Record<(typeof FIELDS)[keyof typeof FIELDS], string>>;

/** The origins written in the textarea: one per line (commas and spaces also separate). Pure. */
export const splitOrigins = (text: string): ReadonlyArray<string> => text.split(/[\s,]+/).filter((line) => line !== "");

const text = (form: FormData, name: string): string => {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
};

/**
 * The service input a submitted form stands for (`updateChatConfig`'s `input`), and the raw
 * values to echo back when it is refused. An empty field clears that default. Pure.
 */
export const chatConfigFromForm = (form: FormData): { readonly input: unknown; readonly values: FormValues } => {
  const values: FormValues = {
    allowedOrigins: text(form, FIELDS.allowedOrigins),
    brandName: text(form, FIELDS.name),
    logoUrl: text(form, FIELDS.logoUrl),
    accentColor: text(form, FIELDS.accentColor),
    launcherPosition: text(form, FIELDS.launcherPosition),
    // A checkbox is absent when unticked.
    showPoweredBy: form.get(FIELDS.showPoweredBy) === null ? "" : "on",
    followUpMinutes: text(form, FIELDS.followUpMinutes),
  };
  const minutes = values.followUpMinutes.trim();
  return {
    values,
    input: {
      allowedOrigins: splitOrigins(values.allowedOrigins),
      branding: {
        name: values.brandName,
        logoUrl: values.logoUrl,
        accentColor: values.accentColor,
        launcherPosition: values.launcherPosition,
        showPoweredBy: values.showPoweredBy === "on",
      },
      // Absent keeps the stored wait; anything but digits goes to the schema as text, which refuses it.
      ...(minutes === "" ? {} : { followUpMinutes: /^\d{1,6}$/.test(minutes) ? Number(minutes) : minutes }),
    },
  };
};

/**
 * Messages by form field for the service's issues: `allowedOrigins[2]` becomes the origins
 * field, quoting the entry at fault; `branding.x` the branding field. Pure.
 */
export const chatConfigErrors = (issues: ReadonlyArray<DecodeIssue>, origins: ReadonlyArray<string>): Record<string, string> => {
  const errors: Record<string, string> = {};
  for (const issue of issues) {
    const entry = /^allowedOrigins\[(\d+)\]$/.exec(issue.path);
    if (entry) {
      const value = origins[Number(entry[1])] ?? "";
      errors[FIELDS.allowedOrigins] ??= `“${value}”: ${issue.message}`;
      continue;
    }
    const [head, key] = issue.path.split(".");
    const field =
      head === "allowedOrigins"
        ? FIELDS.allowedOrigins
        : head === "followUpMinutes"
          ? FIELDS.followUpMinutes
          : head === "branding" && key !== undefined && key in FIELDS
          ? FIELDS[key as keyof typeof FIELDS]
          : "form";
    errors[field] ??= issue.message;
  }
  return errors;
};
