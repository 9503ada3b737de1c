/**
 * Weekly hours and closed dates as plain forms send them (Reports → Business hours, Settings →
 * Teams → Hours), read back into the runtime's shapes, and the runtime's issue paths
 * (`hours[2].from`, `closedDates[0].date`) turned back into the form fields they came from, so
 * the error shows next to the field. Pure; safe on the client.
 */
import { WEEK } from "../reports/format.js";

/** One range of weekly hours as a form holds it. */
export interface HoursRange {
  readonly day: string;
  readonly from: string;
  readonly to: string;
}

/** One closed date as a form holds it (the date may be empty on the blank row). */
export interface ClosedDateRow {
  readonly date: string;
  readonly name?: string;
  readonly yearly: boolean;
}

/**
 * The id (and name) of the field of `day`'s `k`-th range: `from-mon` for the first, `from-mon-2`
 * for the second. Pure.
 */
export const rangeFieldId = (edge: "from" | "to", day: string, k: number): string => (k === 0 ? `${edge}-${day}` : `${edge}-${day}-${k + 1}`);

const text = (form: FormData, name: string): string => String(form.get(name) ?? "").trim();

/**
 * The weekly hours of a form: per weekday its ranges (`from-mon`/`to-mon`, `from-mon-2`/`to-mon-2`,
 * …; both empty = no range), and the field each range came from (`mon`, `mon-2`), for the
 * service's error paths. A half-filled range is an error on the empty field. Pure.
 */
export const weeklyHoursOf = (form: FormData) => {
  const hours: HoursRange[] = [];
  const fields: string[] = [];
  const errors: Record<string, string> = {};
  for (const day of WEEK) {
    for (let k = 0; k === 0 || form.has(rangeFieldId("from", day, k)); k++) {
      const fromId = rangeFieldId("from", day, k);
      const toId = rangeFieldId("to", day, k);
      const from = text(form, fromId);
      const to = text(form, toId);
      if (from === "" && to === "") continue;
      if (from === "") errors[fromId] = "enter when the day opens, or clear both times";
      else if (to === "") errors[toId] = "enter when the day closes, or clear both times";
      // A time input cannot say 24:00: 00:00 to 00:00 is the whole day.
      hours.push({
        day,
        from,
        to: from === "00:00" && to === "00:00" ? "24:00" : to,
      });
      fields.push(fromId.slice("from-".length));
    }
  }
  return { hours, fields, errors };
};

/**
 * The closed dates of a form's rows (`closed-0-date`, `closed-0-name`, `closed-0-yearly`, …, as
 * many as `closed-count` says): a row without a date, or ticked `closed-N-remove`, is left out.
 * `rows` says which row each kept date came from. Pure.
 */
export const closedDatesOf = (form: FormData) => {
  const count = Math.min(Number(form.get("closed-count")) || 0, 1000);
  const closedDates: Array<{ date: string; name?: string; yearly: boolean }> = [];
  const rows: number[] = [];
  for (let i = 0; i < count; i++) {
    const date = text(form, `closed-${i}-date`);
    if (date === "" || form.get(`closed-${i}-remove`) === "on") continue;
    const name = text(form, `closed-${i}-name`);
    closedDates.push({
      date,
      ...(name === "" ? {} : { name }),
      yearly: form.get(`closed-${i}-yearly`) === "on",
    });
    rows.push(i);
  }
  return { closedDates, rows };
};

/**
 * The runtime's issues as messages by form field: `hours[i].from` → the field of the i-th range
 * sent, `closedDates[i].date` → the i-th kept row's, `timezone` as is; anything else under its
 * first segment (`hours`, `closedDates`), or `form`. The first message of a field wins. Pure.
 */
export const hoursIssueFields = (
  issues: ReadonlyArray<{ readonly path: string; readonly message: string }>,
  sent: {
    readonly hourFields?: ReadonlyArray<string>;
    readonly closedRows?: ReadonlyArray<number>;
  }
): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const { path, message } of issues) {
    const range = /^hours\[(\d+)\]\.(from|to)/.exec(path);
    const closed = /^closedDates\[(\d+)\]\.(date|name|yearly)/.exec(path);
    const rangeField = range ? sent.hourFields?.[Number(range[1])] : undefined;
    const closedRow = closed ? sent.closedRows?.[Number(closed[1])] : undefined;
    const field =
      range && rangeField !== undefined
        ? `${range[2]}-${rangeField}`
        : closed && closedRow !== undefined
        ? `closed-${closedRow}-${closed[2]}`
        : path.split(/[.[]/)[0] || "form";
    out[field] ??= message;
  }
  return out;
};
