/**
 * The response-target fields of an inbox's settings form: amount and unit per target, and
 * whether they count business hours — to the `responseTargets` the Workspace service decodes
 * (runtime/core/response-targets.ts), and its issue paths back to the fields. Pure; safe on the client.
 */
import type { ResponseTargets } from "../../runtime.server.js";

export type TargetUnit = "minutes" | "hours";
export const TARGET_FIELDS = ["firstResponse", "firstResponseUnit", "nextReply", "nextReplyUnit", "businessHours"] as const;

const minutesOf = (amount: string | undefined, unit: string | undefined): number | null => {
  const text = (amount ?? "").trim();
  if (text === "") return null;
  // Not a number stays NaN: the Schema says "expected a whole number of minutes" for it.
  const n = Number(text);
  return unit === "hours" ? n * 60 : n;
};

/** The service's input from the form's text values (an empty amount: no target). Pure. */
export const targetsInputOf = (values: Readonly<Record<string, string>>) => ({
  firstResponseMinutes: minutesOf(values.firstResponse, values.firstResponseUnit),
  nextReplyMinutes: minutesOf(values.nextReply, values.nextReplyUnit),
  businessHours: values.businessHours === "on",
});

const FIELD_OF: Readonly<Record<string, string>> = {
  "responseTargets.firstResponseMinutes": "firstResponse",
  "responseTargets.nextReplyMinutes": "nextReply",
  "responseTargets.businessHours": "businessHours",
};

/** Field errors of a refused update, by form field. Pure. */
export const targetErrors = (error: { readonly message: string; readonly issues?: ReadonlyArray<{ readonly path: string; readonly message: string }> }) => {
  const out: Record<string, string> = {};
  for (const issue of error.issues ?? []) out[FIELD_OF[issue.path] ?? "targets"] ??= issue.message;
  if (Object.keys(out).length === 0) out.targets = error.message;
  return out;
};

/** A target's minutes as the form shows them: whole hours in hours, anything else in minutes. Pure. */
export const targetFieldValues = (t: ResponseTargets): Record<(typeof TARGET_FIELDS)[number], string> => {
  const split = (minutes: number | null): [string, TargetUnit] =>
    minutes === null ? ["", "hours"] : minutes % 60 === 0 ? [String(minutes / 60), "hours"] : [String(minutes), "minutes"];
  const [firstResponse, firstResponseUnit] = split(t.firstResponseMinutes);
  const [nextReply, nextReplyUnit] = split(t.nextReplyMinutes);
  return { firstResponse, firstResponseUnit, nextReply, nextReplyUnit, businessHours: t.businessHours ? "on" : "" };
};

/** "1 h", "90 min", "2 d": a target written short. Pure. */
export const targetText = (minutes: number): string =>
  minutes % 1440 === 0 ? `${minutes / 1440} d` : minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
