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
} as const;

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
  };
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
        : head === "branding" && key !== undefined && key in FIELDS
          ? FIELDS[key as keyof typeof FIELDS]
          : "form";
    errors[field] ??= issue.message;
  }
  return errors;
};
