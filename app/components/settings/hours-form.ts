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
  /** A special day's own hours (decision 051); absent: closed all day. */
  readonly hours?: ReadonlyArray<{ readonly from: string; readonly to: string }>;
}

/**
 * The id (and name) of the field of closed-date row `row`'s `k`-th special hours range:
 * `closed-0-from` for the first, `closed-0-from-2` for the second. Pure.
 */
export const specialHoursFieldId = (edge: "from" | "to", row: number, k: number): string => `closed-${row}-${edge}${k === 0 ? "" : `-${k + 1}`}`;

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
 * A row's "open from … to …" pairs (`closed-0-from`/`closed-0-to`, `closed-0-from-2`, …; both
 * empty = none) are its special hours, absent when none (closed all day); a closing time of 00:00
 * is midnight (24:00), since a special day cannot run past it. `rows` says which row each kept
 * date came from; `errors` name the empty half of a half-filled pair, by the kept date's index
 * (the rows as shown again). Pure.
 */
export const closedDatesOf = (form: FormData) => {
  const count = Math.min(Number(form.get("closed-count")) || 0, 1000);
  const closedDates: ClosedDateRow[] = [];
  const rows: number[] = [];
  const errors: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const date = text(form, `closed-${i}-date`);
    if (date === "" || form.get(`closed-${i}-remove`) === "on") continue;
    const name = text(form, `closed-${i}-name`);
    const kept = closedDates.length;
    const hours: Array<{ from: string; to: string }> = [];
    for (let k = 0; k === 0 || form.has(specialHoursFieldId("from", i, k)); k++) {
      const from = text(form, specialHoursFieldId("from", i, k));
      const to = text(form, specialHoursFieldId("to", i, k));
      if (from === "" && to === "") continue;
      if (from === "") errors[specialHoursFieldId("from", kept, hours.length)] = "enter when the day opens, or clear both times";
      else if (to === "") errors[specialHoursFieldId("to", kept, hours.length)] = "enter when the day closes, or clear both times";
      hours.push({ from, to: to === "00:00" ? "24:00" : to });
    }
    closedDates.push({
      date,
      ...(name === "" ? {} : { name }),
      yearly: form.get(`closed-${i}-yearly`) === "on",
      ...(hours.length > 0 ? { hours } : {}),
    });
    rows.push(i);
  }
  return { closedDates, rows, errors };
};

/**
 * The runtime's issues as messages by form field: `hours[i].from` → the field of the i-th range
 * sent, `closedDates[i].date` → the i-th kept row's, `closedDates[i].hours[k].to` → that row's
 * k-th special hours field (`closedDates[i].hours` → its first "from"), `timezone` as is; anything else under its
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
    const special = /^closedDates\[(\d+)\]\.hours(?:\[(\d+)\]\.(from|to))?/.exec(path);
    const specialRow = special ? sent.closedRows?.[Number(special[1])] : undefined;
    const rangeField = range ? sent.hourFields?.[Number(range[1])] : undefined;
    const closedRow = closed ? sent.closedRows?.[Number(closed[1])] : undefined;
    const field =
      range && rangeField !== undefined
        ? `${range[2]}-${rangeField}`
        : closed && closedRow !== undefined
        ? `closed-${closedRow}-${closed[2]}`
        : special && specialRow !== undefined
        ? specialHoursFieldId((special[3] as "from" | "to" | undefined) ?? "from", specialRow, Number(special[2] ?? 0))
        : path.split(/[.[]/)[0] || "form";
    out[field] ??= message;
  }
  return out;
};
