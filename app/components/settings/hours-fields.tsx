/**
 * The fields that edit a calendar in a plain form (no JavaScript needed): a time zone, weekly
 * hours (a row per range, a day without one closed) and closed dates (a row per date, and a blank
 * one to add). Shared by Reports → Business hours and Settings → Teams → Hours; read back with
 * hours-form.ts.
 */
import { Field, FieldError } from "../field.js";
import { WEEK, WEEKDAY_NAMES } from "../reports/format.js";
import { rangeFieldId, type ClosedDateRow, type HoursRange } from "./hours-form.js";

/** A time zone chosen from `zones` (the server's list, with the current one kept even if unknown). */
export function TimezoneField({ id, label, zones, value, error, hint }: { id: string; label: string; zones: ReadonlyArray<string>; value: string; error?: string; hint?: string }) {
  const all = zones.includes(value) ? zones : [value, ...zones];
  return (
    <Field id={id} label={label} error={error} hint={hint}>
      {(props) => (
        <select {...props} name="timezone" defaultValue={value}>
          {all.map((zone) => (
            <option key={zone} value={zone}>
              {zone}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** One time input of a range, with its error under it. */
function TimeCell({ id, label, value, error }: { id: string; label: string; value: string | undefined; error: string | undefined }) {
  return (
    <td>
      <input
        id={id}
        name={id}
        type="time"
        aria-label={label}
        defaultValue={value === "24:00" ? "00:00" : (value ?? "")}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
      />
      {error ? <FieldError id={`${id}-error`} message={error} /> : null}
    </td>
  );
}

/**
 * Opening and closing time per weekday: one row per range (a day's second range reads "Mon
 * opens (2)"), an empty row for a day without any. Errors by field id (`from-mon`, `to-tue-2`,
 * `hours` for the whole week).
 */
export function WeeklyHoursTable({ hours, errors, caption }: { hours: ReadonlyArray<HoursRange>; errors: Readonly<Record<string, string>>; caption: string }) {
  return (
    <>
      <table className="table hours-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Opens</th>
            <th scope="col">Closes</th>
          </tr>
        </thead>
        <tbody>
          {WEEK.flatMap((day) => {
            const ranges: ReadonlyArray<HoursRange | undefined> = hours.filter((h) => h.day === day);
            return (ranges.length > 0 ? ranges : [undefined]).map((range, k) => {
              const nth = k === 0 ? "" : ` (${k + 1})`;
              const from = rangeFieldId("from", day, k);
              const to = rangeFieldId("to", day, k);
              return (
                <tr key={from}>
                  <th scope="row">{k === 0 ? WEEKDAY_NAMES[day] : <span className="visually-hidden">{WEEKDAY_NAMES[day]}</span>}</th>
                  <TimeCell id={from} label={`${WEEKDAY_NAMES[day]} opens${nth}`} value={range?.from} error={errors[from]} />
                  <TimeCell id={to} label={`${WEEKDAY_NAMES[day]} closes${nth}`} value={range?.to} error={errors[to]} />
                </tr>
              );
            });
          })}
        </tbody>
      </table>
      <p className="field__hint">
        Leave both times empty for a closed day. A closing time before the opening time runs past midnight; 00:00 to 00:00 is the whole day.
      </p>
      <FieldError message={errors.hours} />
    </>
  );
}

/**
 * Closed dates as rows of a form — date, name, every year, remove — and a blank row to add one
 * (`closed-N-…`, `closed-count`). Errors by field id (`closed-0-date`, `closedDates` for the list).
 */
export function ClosedDateRows({ closed, errors, caption }: { closed: ReadonlyArray<ClosedDateRow>; errors: Readonly<Record<string, string>>; caption: string }) {
  const rows = [...closed, { date: "", yearly: false }];
  return (
    <>
      <table className="table hours-closed">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Date</th>
            <th scope="col">Name</th>
            <th scope="col">Every year</th>
            <th scope="col">Remove</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => {
            const blank = i === closed.length;
            const label = blank ? "New closed date" : `Closed date ${i + 1}`;
            const dateError = errors[`closed-${i}-date`];
            const nameError = errors[`closed-${i}-name`];
            return (
              <tr key={i}>
                <td>
                  <input
                    id={`closed-${i}-date`}
                    name={`closed-${i}-date`}
                    type="date"
                    aria-label={`${label}: date`}
                    defaultValue={row.date}
                    aria-invalid={dateError ? true : undefined}
                    aria-describedby={dateError ? `closed-${i}-date-error` : undefined}
                  />
                  {dateError ? <FieldError id={`closed-${i}-date-error`} message={dateError} /> : null}
                </td>
                <td>
                  <input
                    id={`closed-${i}-name`}
                    name={`closed-${i}-name`}
                    maxLength={100}
                    aria-label={`${label}: name (optional)`}
                    placeholder={blank ? "Christmas Day" : undefined}
                    defaultValue={row.name ?? ""}
                    aria-invalid={nameError ? true : undefined}
                    aria-describedby={nameError ? `closed-${i}-name-error` : undefined}
                  />
                  {nameError ? <FieldError id={`closed-${i}-name-error`} message={nameError} /> : null}
                </td>
                <td>
                  <input type="checkbox" name={`closed-${i}-yearly`} aria-label={`${label}: every year`} defaultChecked={row.yearly} />
                </td>
                <td>{blank ? null : <input type="checkbox" name={`closed-${i}-remove`} aria-label={`${label}: remove`} />}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <input type="hidden" name="closed-count" value={rows.length} />
      <p className="field__hint">Fill in the last row to add a date; tick Remove (or clear the date) to take one out. Saved with the hours.</p>
      <FieldError message={errors.closedDates} />
    </>
  );
}
