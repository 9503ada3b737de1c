/**
 * Form helpers shared by routes: turning a failed `attempt` into per-field messages, so the
 * messages users see are the ones the runtime's Schemas wrote. Pure; safe on the client.
 */
import type { ErrorBody } from "./runtime.server.js";

/** Messages by field name (the first segment of each issue's path); `form` for the rest. Pure. */
export const fieldErrors = (error: ErrorBody["error"]): Record<string, string> => {
  const out: Record<string, string> = {};
  const issues = error.issues ?? [];
  for (const issue of issues) {
    const field = issue.path.split(/[.[]/)[0] || "form";
    out[field] ??= issue.message;
  }
  if (issues.length === 0) out.form = error.message;
  return out;
};

/** The text fields of a form as a plain object (files and repeated keys are ignored). Pure. */
export const formValues = (form: FormData, names: ReadonlyArray<string>): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = form.get(name);
    if (typeof value === "string") out[name] = value;
  }
  return out;
};
