/**
 * "Import from a calendar" (decision 052): an .ics upload or a calendar URL, previewed first —
 * the dates that would be added, what is left out and why — then added with one button. Two plain
 * forms (the preview's dates travel in a hidden field), so it works without JavaScript; errors
 * show at the field they are about.
 */
import { Form } from "@remix-run/react";
import { CsrfInput } from "../csrf-input.js";
import { Field } from "../field.js";
import { ErrorNotice } from "../settings/notices.js";
import { formatClosedDate, formatSpecialHours } from "./format.js";

type Closed = { readonly date: string; readonly name?: string; readonly yearly: boolean; readonly hours?: ReadonlyArray<{ readonly from: string; readonly to: string }> };

/** What the preview step answers: the calendar's source, what it would add, what it leaves out. */
export interface CalendarPreviewView {
  readonly source: string;
  readonly added: ReadonlyArray<Closed>;
  readonly skipped: ReadonlyArray<{ readonly date?: string; readonly summary?: string; readonly reason: string }>;
  readonly pastEvents: number;
}

/** At most this many left-out lines are listed; the rest are counted. */
const SKIPPED_SHOWN = 30;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function CalendarImportForm(props: {
  /** Unique per page, for the fields' ids. */
  readonly id: string;
  /** The intents the two forms post: the preview's and the add step's. */
  readonly intents: { readonly preview: string; readonly add: string };
  /** What the last post of these forms answered, else null. */
  readonly errors: Readonly<Record<string, string>> | null;
  readonly preview: CalendarPreviewView | null;
  readonly added: string | null;
  readonly busy: boolean;
  /** Extra hidden fields both forms send (such as the team's id). */
  readonly hidden?: Readonly<Record<string, string>>;
}) {
  const { id, errors, preview } = props;
  const e = errors ?? {};
  const hidden = Object.entries(props.hidden ?? {}).map(([name, value]) => <input key={name} type="hidden" name={name} value={value} />);
  const skippedShown = preview?.skipped.slice(0, SKIPPED_SHOWN) ?? [];
  return (
    <>
      <Form method="post" encType="multipart/form-data" className="form form--grid report-closed__add" noValidate aria-labelledby={`${id}-heading`}>
        <h3 id={`${id}-heading`} className="report-closed__heading">
          Import from a calendar
        </h3>
        <p className="field__hint report-closed__credit">
          An .ics file exported from Google Calendar, Outlook or Apple Calendar, or the calendar&apos;s address (https:// or webcal://). Whole-day
          events become closed dates named by their title; you see them before anything is added.
        </p>
        <CsrfInput />
        <input type="hidden" name="intent" value={props.intents.preview} />
        {hidden}
        <Field id={`${id}-file`} label="Calendar file (.ics)" error={e.file}>
          {(fieldProps) => <input {...fieldProps} name="file" type="file" accept=".ics,text/calendar" />}
        </Field>
        <Field id={`${id}-url`} label="or its URL" error={e.url}>
          {(fieldProps) => <input {...fieldProps} name="url" type="url" inputMode="url" placeholder="https://calendar.example.com/holidays.ics" />}
        </Field>
        <ErrorNotice message={e.form} />
        <div className="form__actions">
          <button type="submit" className="button button--secondary" disabled={props.busy}>
            Preview dates
          </button>
        </div>
      </Form>
      {preview ? (
        <section className="report-calendar" aria-labelledby={`${id}-preview`}>
          <h4 id={`${id}-preview`}>From {preview.source}</h4>
          {preview.added.length === 0 ? (
            <p>Nothing to add: {preview.skipped.length + preview.pastEvents === 0 ? "the calendar has no whole-day events ahead." : "see below."}</p>
          ) : (
            <table className="table report-closed">
              <caption>{plural(preview.added.length, "date")} to add</caption>
              <thead>
                <tr>
                  <th scope="col">Date</th>
                  <th scope="col">Name</th>
                </tr>
              </thead>
              <tbody>
                {preview.added.map((c) => (
                  <tr key={`${c.date}-${c.yearly}`}>
                    <td>
                      {formatClosedDate(c)}
                      {c.hours ? <span className="muted"> · {formatSpecialHours(c.hours)}</span> : null}
                    </td>
                    <td>{c.name ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {preview.skipped.length > 0 ? (
            <>
              <h5 className="report-calendar__skipped">Left out</h5>
              <ul className="report-calendar__skipped-list">
                {skippedShown.map((s, i) => (
                  <li key={i}>
                    {[s.summary, s.date ? formatClosedDate({ date: s.date, yearly: false }) : null].filter(Boolean).join(", ")}: {s.reason}
                  </li>
                ))}
                {preview.skipped.length > SKIPPED_SHOWN ? <li>and {plural(preview.skipped.length - SKIPPED_SHOWN, "more")}</li> : null}
              </ul>
            </>
          ) : null}
          {preview.pastEvents > 0 ? <p className="muted">{plural(preview.pastEvents, "event")} in the past left out.</p> : null}
          {preview.added.length > 0 ? (
            <Form method="post" className="form__actions">
              <CsrfInput />
              <input type="hidden" name="intent" value={props.intents.add} />
              <input type="hidden" name="source" value={preview.source} />
              <input type="hidden" name="dates" value={JSON.stringify(preview.added)} />
              {hidden}
              <button type="submit" className="button" disabled={props.busy}>
                Add {plural(preview.added.length, "date")}
              </button>
            </Form>
          ) : null}
        </section>
      ) : null}
      {props.added !== null ? (
        <p className="notice notice--success" role="status">
          {props.added}
        </p>
      ) : null}
    </>
  );
}
