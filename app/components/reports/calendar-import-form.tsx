/**
 * "Import from a calendar" (decision 052): an .ics upload or a calendar URL, previewed first —
 * the dates that would be added, what is left out and why — then added with one button. Two plain
 * forms (the preview's dates travel in a hidden field), so it works without JavaScript; errors
 * show at the field they are about.
 */
import { Form } from "@remix-run/react";
import { CalendarPreview, plural, type PreviewDate, type PreviewSkip } from "../calendar-preview.js";
import { CsrfInput } from "../csrf-input.js";
import { Field } from "../field.js";
import { ErrorNotice } from "../settings/notices.js";

/** What the preview step answers: the calendar's source, what it would add, what it leaves out. */
export interface CalendarPreviewView {
  readonly source: string;
  readonly added: ReadonlyArray<PreviewDate>;
  readonly skipped: ReadonlyArray<PreviewSkip>;
  readonly pastEvents: number;
}

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
        <CalendarPreview
          id={`${id}-preview`}
          source={preview.source}
          dates={preview.added}
          skipped={preview.skipped}
          pastEvents={preview.pastEvents}
          level={4}
          classes={{ section: "report-calendar", table: "table report-closed", skippedHeading: "report-calendar__skipped", skippedList: "report-calendar__skipped-list" }}
        >
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
        </CalendarPreview>
      ) : null}
      {props.added !== null ? (
        <p className="notice notice--success" role="status">
          {props.added}
        </p>
      ) : null}
    </>
  );
}
