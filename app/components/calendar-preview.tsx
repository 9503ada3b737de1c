/**
 * A calendar's preview before its dates are added (decision 052), one piece for the three places
 * that import one — Reports → Closed dates, a team's Hours card, a chatflow's Availability tab: a
 * region named "From <source>", the dates to add as a table captioned "N dates to add", what is
 * left out and why (the first 30 listed, the rest counted), and how many past events were left
 * out. Presentational only: no state, no fetching, nothing that needs JavaScript. Each page puts
 * its own controls in as children — a server-rendered form on Reports and the team card, buttons
 * in the builder — and its own heading level and class names, so its markup and styles stay as
 * they were.
 */
import type { ReactNode } from "react";
import { formatClosedDate, formatSpecialHours } from "./reports/format.js";

/** A closed date the calendar would add. */
export type PreviewDate = {
  readonly date: string;
  readonly name?: string;
  readonly yearly: boolean;
  readonly hours?: ReadonlyArray<{ readonly from: string; readonly to: string }>;
};

/** A calendar event or day left out, and why. */
export type PreviewSkip = { readonly date?: string; readonly summary?: string; readonly reason: string };

/** At most this many left-out lines are listed; the rest are counted. */
export const SKIPPED_SHOWN = 30;

/** "1 date", "3 dates". Pure. */
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function CalendarPreview(props: {
  /** The heading's id: it names the region. Unique on the page. */
  readonly id: string;
  /** The file's name or the calendar's URL. */
  readonly source: string;
  readonly dates: ReadonlyArray<PreviewDate>;
  readonly skipped: ReadonlyArray<PreviewSkip>;
  /** Events wholly in the past: counted, not listed. */
  readonly pastEvents: number;
  /** The level of the "From …" heading, one below the importer's own; "Left out" goes one lower. */
  readonly level: 4 | 5;
  /** Each page's class names for the region, the table, and the left-out heading and list. */
  readonly classes: { readonly section: string; readonly table: string; readonly skippedHeading: string; readonly skippedList: string };
  /** The page's own controls after the preview (add, cancel, a refusal). */
  readonly children?: ReactNode;
}) {
  const { id, dates, skipped, pastEvents, classes } = props;
  const Heading = props.level === 4 ? "h4" : "h5";
  const SubHeading = props.level === 4 ? "h5" : "h6";
  return (
    <section className={classes.section} aria-labelledby={id}>
      <Heading id={id}>From {props.source}</Heading>
      {dates.length === 0 ? (
        <p>Nothing to add: {skipped.length + pastEvents === 0 ? "the calendar has no whole-day events ahead." : "see below."}</p>
      ) : (
        <table className={classes.table}>
          <caption>{plural(dates.length, "date")} to add</caption>
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">Name</th>
            </tr>
          </thead>
          <tbody>
            {dates.map((c) => (
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
      {skipped.length > 0 ? (
        <>
          <SubHeading className={classes.skippedHeading}>Left out</SubHeading>
          <ul className={classes.skippedList}>
            {skipped.slice(0, SKIPPED_SHOWN).map((s, i) => (
              <li key={i}>
                {[s.summary, s.date ? formatClosedDate({ date: s.date, yearly: false }) : null].filter(Boolean).join(", ")}: {s.reason}
              </li>
            ))}
            {skipped.length > SKIPPED_SHOWN ? <li>and {plural(skipped.length - SKIPPED_SHOWN, "more")}</li> : null}
          </ul>
        </>
      ) : null}
      {pastEvents > 0 ? <p className="muted">{plural(pastEvents, "event")} in the past left out.</p> : null}
      {props.children}
    </section>
  );
}
