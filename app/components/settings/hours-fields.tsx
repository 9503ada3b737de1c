/**
 * The fields that edit a calendar in a plain form (no JavaScript needed): a time zone, weekly
 * hours (a row per range, a day without one closed) and closed dates (a row per date, and a blank
 * one to add). Shared by Reports → Business hours and Settings → Teams → Hours; read back with
 * hours-form.ts.
 */
import type { ReactNode } from "react";
import { Field, FieldError } from "../field.js";
import { WEEK, WEEKDAY_NAMES } from "../reports/format.js";
import { rangeFieldId, specialHoursFieldId, type ClosedDateRow, type HoursRange } from "./hours-form.js";

/** A time zone chosen from `zones` (the server's list, with the current one kept even if unknown). */
export function TimezoneField({
  id,
  label,
  zones,
  value,
  error,
  hint,
}: {
  id: string;
  label: string;
  zones: ReadonlyArray<string>;
  value: string;
  error?: string;
  hint?: string;
}) {
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

/** A table of form rows: a caption for screen readers, a header per column, then `children` as its rows. */
export function EditTable({
  className,
  caption,
  columns,
  children,
}: {
  className?: string;
  caption?: string;
  columns: ReadonlyArray<string>;
  children: ReactNode;
}) {
  return (
    <table className={className ? `table ${className}` : "table"}>
      {caption ? <caption className="visually-hidden">{caption}</caption> : null}
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column} scope="col">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/** A table cell's input named by its id, labelled for screen readers, with its error under it. */
function CellInput({
  id,
  label,
  error,
  ...input
}: {
  id: string;
  label: string;
  error: string | undefined;
  type?: string;
  defaultValue: string;
  maxLength?: number;
  placeholder?: string;
}) {
  return (
    <td>
      <input {...input} id={id} name={id} aria-label={label} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} />
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
      <EditTable className="hours-table" caption={caption} columns={["Day", "Opens", "Closes"]}>
        {WEEK.flatMap((day) => {
          const ranges: ReadonlyArray<HoursRange | undefined> = hours.filter((h) => h.day === day);
          return (ranges.length > 0 ? ranges : [undefined]).map((range, k) => {
            const nth = k === 0 ? "" : ` (${k + 1})`;
            const from = rangeFieldId("from", day, k);
            const to = rangeFieldId("to", day, k);
            return (
              <tr key={from}>
                <th scope="row">{k === 0 ? WEEKDAY_NAMES[day] : <span className="visually-hidden">{WEEKDAY_NAMES[day]}</span>}</th>
                <CellInput id={from} type="time" label={`${WEEKDAY_NAMES[day]} opens${nth}`} defaultValue={range?.from ?? ""} error={errors[from]} />
                {/* A time input cannot say 24:00: 00:00 to 00:00 is the whole day. */}
                <CellInput
                  id={to}
                  type="time"
                  label={`${WEEKDAY_NAMES[day]} closes${nth}`}
                  defaultValue={range?.to === "24:00" ? "00:00" : range?.to ?? ""}
                  error={errors[to]}
                />
              </tr>
            );
          });
        })}
      </EditTable>
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
export function ClosedDateRows({
  closed,
  errors,
  caption,
}: {
  closed: ReadonlyArray<ClosedDateRow>;
  errors: Readonly<Record<string, string>>;
  caption: string;
}) {
  const rows = [...closed, { date: "", yearly: false }];
  return (
    <>
      <EditTable className="hours-closed" caption={caption} columns={["Date", "Name", "Open from – to", "Every year", "Remove"]}>
        {rows.map((row, i) => {
          const blank = i === closed.length;
          const label = blank ? "New closed date" : `Closed date ${i + 1}`;
          return (
            <tr key={i}>
              <CellInput id={`closed-${i}-date`} type="date" label={`${label}: date`} defaultValue={row.date} error={errors[`closed-${i}-date`]} />
              <CellInput
                id={`closed-${i}-name`}
                label={`${label}: name (optional)`}
                maxLength={100}
                placeholder={blank ? "Christmas Day" : undefined}
                defaultValue={row.name ?? ""}
                error={errors[`closed-${i}-name`]}
              />
              <SpecialHoursCell row={i} label={label} hours={row.hours} errors={errors} />
              <td>
                <input type="checkbox" name={`closed-${i}-yearly`} aria-label={`${label}: every year`} defaultChecked={row.yearly} />
              </td>
              <td>{blank ? null : <input type="checkbox" name={`closed-${i}-remove`} aria-label={`${label}: remove`} />}</td>
            </tr>
          );
        })}
      </EditTable>
      <input type="hidden" name="closed-count" value={rows.length} />
      <p className="field__hint">
        Fill in the last row to add a date; tick Remove (or clear the date) to take one out. Saved with the hours. Leave the times empty: closed all
        day; with them, open only then that day (00:00 closes at midnight).
      </p>
      <FieldError message={errors.closedDates} />
    </>
  );
}

/**
 * A closed date's "open from … to …" pairs in one cell (`closed-N-from`, `closed-N-to`, then
 * `closed-N-from-2`… for ranges set over the API, so saving the form keeps them), one blank
 * pair when there are none. A time input cannot say 24:00: it shows midnight as 00:00.
 */
function SpecialHoursCell({
  row,
  label,
  hours,
  errors,
}: {
  row: number;
  label: string;
  hours: ClosedDateRow["hours"];
  errors: Readonly<Record<string, string>>;
}) {
  const ranges = hours && hours.length > 0 ? hours : [undefined];
  return (
    <td className="hours-closed__open">
      {ranges.map((range, k) => {
        const nth = k === 0 ? "" : ` (${k + 1})`;
        const from = specialHoursFieldId("from", row, k);
        const to = specialHoursFieldId("to", row, k);
        const error = errors[from] ?? errors[to];
        return (
          <div key={k}>
            <input
              type="time"
              id={from}
              name={from}
              aria-label={`${label}: open from${nth}`}
              defaultValue={range?.from ?? ""}
              aria-invalid={errors[from] ? true : undefined}
              aria-describedby={error ? `${from}-error` : undefined}
            />
            {" – "}
            <input
              type="time"
              id={to}
              name={to}
              aria-label={`${label}: open until${nth}`}
              defaultValue={range?.to === "24:00" ? "00:00" : (range?.to ?? "")}
              aria-invalid={errors[to] ? true : undefined}
              aria-describedby={error ? `${from}-error` : undefined}
            />
            {error ? <FieldError id={`${from}-error`} message={error} /> : null}
          </div>
        );
      })}
    </td>
  );
}
