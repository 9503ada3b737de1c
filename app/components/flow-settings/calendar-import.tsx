/**
 * "Import from a calendar" on the Availability tab (decision 052): an .ics file or a calendar's
 * URL, previewed first — the dates the flow would gain, what is left out and why (a timed event,
 * a day the flow already closes…) — then "Add N dates" puts them into the draft's closed dates
 * as one edit (undo, autosave, publish). The server reads the calendar and stores nothing.
 * Errors show at the field they are about: the file, the URL, or the form.
 */
import { useId, useRef, useState } from "react";
import { CalendarPreview, plural, type PreviewDate, type PreviewSkip } from "../calendar-preview.js";
import { Field, FieldError } from "../field.js";
import { capitalise } from "../messages.js";

/** Where a calendar comes from: an .ics file's text, or its URL. */
export type CalendarSource = { readonly ics: string } | { readonly url: string };

/** What previewing a calendar gave: the dates to add and what it left out, or why it was refused (`path`: `ics` or `url`). */
export type CalendarRead =
  | {
      readonly ok: true;
      readonly dates: ReadonlyArray<PreviewDate>;
      readonly skipped: ReadonlyArray<PreviewSkip>;
      readonly pastEvents: number;
      /** Why the dates cannot be added (the list would pass 200). */
      readonly refused?: string;
    }
  | { readonly ok: false; readonly status: number; readonly path?: string; readonly message: string };

/** The largest calendar read (the server's MAX_CALENDAR_BYTES): a bigger file is refused before it is sent. */
const MAX_FILE_BYTES = 1024 * 1024;
const TOO_LARGE = "the file is over 1 MB, the most a calendar import reads";

type Errors = { readonly file?: string; readonly url?: string; readonly form?: string };
type Preview = Extract<CalendarRead, { ok: true }> & { readonly source: string };

/** The field a refused preview is about. Pure. */
const errorsOf = (read: Extract<CalendarRead, { ok: false }>): Errors =>
  read.status === 413 ? { file: TOO_LARGE } : read.path === "ics" ? { file: read.message } : read.path === "url" ? { url: read.message } : { form: read.message };

export function CalendarImport({
  closed,
  readCalendar,
  onAdd,
}: {
  /** The flow's closed dates now: the preview leaves out the days they close. */
  readonly closed: ReadonlyArray<unknown>;
  readonly readCalendar: (source: CalendarSource, closedDates: ReadonlyArray<unknown>) => Promise<CalendarRead>;
  /** Adds the previewed dates to the draft; answers how many were added. */
  readonly onAdd: (dates: ReadonlyArray<PreviewDate>) => number;
}) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [url, setUrl] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const urlRef = useRef<HTMLInputElement>(null);

  const refuse = (next: Errors) => {
    setErrors(next);
    setPreview(null);
    // The field in error takes the focus, so its message (aria-describedby) is read out.
    (next.url ? urlRef : fileRef).current?.focus();
  };
  const read = async () => {
    const file = fileRef.current?.files?.[0];
    const address = url.trim();
    setAdded(null);
    if (!file && address === "") return refuse({ file: "choose an .ics file, or enter a calendar URL below" });
    if (file && address !== "") return refuse({ url: "a file or a URL, not both: clear one of them" });
    if (file && file.size > MAX_FILE_BYTES) return refuse({ file: TOO_LARGE });
    setBusy(true);
    const answer = await readCalendar(file ? { ics: await file.text() } : { url: address }, closed);
    setBusy(false);
    if (!answer.ok) return refuse(errorsOf(answer));
    setErrors({});
    setPreview({ ...answer, source: file ? file.name : address });
  };
  // A new file or URL: the old preview and messages are about something else.
  const changed = () => {
    setPreview(null);
    setErrors({});
  };
  const add = () => {
    if (!preview) return;
    const count = onAdd(preview.dates);
    setAdded(`Added ${plural(count, "date")} from ${preview.source}.`);
    setPreview(null);
    setUrl("");
    if (fileRef.current) fileRef.current.value = "";
    setOpen(false);
  };

  return (
    <div className="fs-calendar-import">
      <button
        type="button"
        className="button button--secondary button--small"
        aria-expanded={open}
        aria-controls={`${id}-panel`}
        onClick={() => setOpen((o) => !o)}
      >
        Import from a calendar
      </button>
      {added ? (
        <p className="muted fs-hint fs-calendar__done" role="status">
          {added}
        </p>
      ) : null}
      <section id={`${id}-panel`} className="fs-calendar" aria-labelledby={`${id}-heading`} hidden={!open}>
        <h4 id={`${id}-heading`} className="fs-calendar__heading">
          Import from a calendar
        </h4>
        <p className="muted fs-hint">
          An .ics file exported from Google Calendar, Outlook or Apple Calendar, or the calendar&apos;s address (https:// or webcal://). Whole-day events
          become closed dates named by their title; you see them before anything is added.
        </p>
        <div className="fs-calendar__fields">
          <Field id={`${id}-file`} label="Calendar file (.ics)" error={errors.file}>
            {(props) => <input {...props} ref={fileRef} type="file" accept=".ics,text/calendar" onChange={changed} />}
          </Field>
          <Field id={`${id}-url`} label="or its URL" error={errors.url}>
            {(props) => (
              <input
                {...props}
                ref={urlRef}
                type="url"
                inputMode="url"
                placeholder="https://calendar.example.com/holidays.ics"
                value={url}
                onChange={(e) => {
                  setUrl(e.currentTarget.value);
                  changed();
                }}
              />
            )}
          </Field>
        </div>
        {errors.form ? (
          <div role="alert">
            <FieldError message={errors.form} />
          </div>
        ) : null}
        <div className="fs-closed__actions">
          <button type="button" className="button button--secondary button--small" disabled={busy} aria-busy={busy} onClick={() => void read()}>
            {busy ? "Reading…" : "Preview dates"}
          </button>
        </div>
        {preview ? (
          <CalendarPreview
            id={`${id}-preview`}
            source={preview.source}
            dates={preview.dates}
            skipped={preview.skipped}
            pastEvents={preview.pastEvents}
            level={5}
            classes={{ section: "fs-calendar__preview", table: "table fs-calendar__table", skippedHeading: "fs-calendar__skipped", skippedList: "fs-calendar__skipped-list" }}
          >
            {preview.refused ? (
              <p className="field__error" role="alert">
                {capitalise(preview.refused)}
              </p>
            ) : null}
            <div className="fs-closed__actions">
              {preview.dates.length > 0 && !preview.refused ? (
                <button type="button" className="button button--small" onClick={add}>
                  Add {plural(preview.dates.length, "date")}
                </button>
              ) : null}
              <button type="button" className="button button--secondary button--small" onClick={() => setPreview(null)}>
                Cancel
              </button>
            </div>
          </CalendarPreview>
        ) : null}
      </section>
    </div>
  );
}
