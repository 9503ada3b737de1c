/**
 * The "Import from a calendar" forms' posts (decision 052): the preview step reads an uploaded
 * .ics file or a calendar URL through CalendarImport (nothing stored); the add step sends back
 * the previewed dates (a hidden JSON field), which the service checks again like any input.
 * Errors land on the field they are about: `file`, `url`, or `form`.
 */
import type { AppLoadContext } from "@remix-run/node";
import { Effect } from "effect";
import { fieldErrors } from "../../forms.js";
import { attempt, CalendarImport, MAX_CALENDAR_BYTES, type CalendarDates } from "../../runtime.server.js";
import { declaredTooLarge, readUploadForm } from "../upload-form.server.js";

export const CALENDAR_TOO_LARGE = `the file is over ${MAX_CALENDAR_BYTES / (1024 * 1024)} MB, the most a calendar import reads`;

/** The form's field for a service path: the text came as `file`, the URL as `url`; the rest is the form's. Pure. */
const fieldOf = (path: string | undefined) => (path === "ics" ? "file" : path === "url" ? "url" : "form");

/** Errors of a failed attempt by the calendar form's fields. Pure. */
export const calendarErrors = (error: Parameters<typeof fieldErrors>[0]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const issue of error.issues ?? []) out[fieldOf(issue.path)] ??= issue.message;
  if (Object.keys(out).length === 0) out[error.code === "payload_too_large" ? "file" : "form"] = error.code === "payload_too_large" ? CALENDAR_TOO_LARGE : error.message;
  return out;
};

export type Refusal = { readonly ok: false; readonly status: number; readonly errors: Readonly<Record<string, string>> };

/** 413 on `file` when an upload declares more than a calendar may have; else null. Call it before anything reads the body. */
export const calendarUploadTooLarge = (request: Request): Refusal | null =>
  declaredTooLarge(request, MAX_CALENDAR_BYTES) ? { ok: false, status: 413, errors: { file: CALENDAR_TOO_LARGE } } : null;

/** The post's fields (a multipart one with its file capped at 1 MB). */
export const readCalendarForm = (request: Request) => readUploadForm(request, MAX_CALENDAR_BYTES, CALENDAR_TOO_LARGE);

/**
 * The preview step: the calendar in the post's `file` (an .ics upload) or else its `url`, read
 * as closed dates, with where it came from (the file's name or the URL, for the audit line).
 */
export const readPostedCalendar = async (
  context: AppLoadContext,
  form: FormData,
): Promise<{ readonly ok: true; readonly source: string; readonly calendar: CalendarDates } | Refusal> => {
  const file = form.get("file");
  const url = form.get("url");
  const hasFile = file instanceof File && file.size > 0;
  const hasUrl = typeof url === "string" && url.trim() !== "";
  if (!hasFile && !hasUrl) return { ok: false, status: 400, errors: { file: "choose an .ics file, or enter a calendar URL below" } };
  if (hasFile && hasUrl) return { ok: false, status: 400, errors: { url: "a file or a URL, not both: clear one of them" } };
  const source = hasFile ? { ics: new TextDecoder().decode(await file.arrayBuffer()) } : { url: (url as string).trim() };
  const read = await attempt(context, Effect.flatMap(CalendarImport, (c) => c.read(source)));
  if (!read.ok) return { ok: false, status: read.status, errors: calendarErrors(read.error) };
  return { ok: true, source: hasFile ? file.name || "an uploaded file" : (url as string).trim(), calendar: read.value };
};

/** The add step's previewed dates (the hidden `dates` field) as sent, or undefined when it is not JSON. The service judges the values. Pure. */
export const postedDates = (form: FormData): unknown => {
  const text = form.get("dates");
  if (typeof text !== "string") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};
