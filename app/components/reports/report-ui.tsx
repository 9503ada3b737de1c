/**
 * The reports' building blocks: the range and filter bar (a GET form, so it works without
 * JavaScript and every view is a shareable URL), a table with its CSV download, and the
 * headline figures. Safe on the client.
 */
import { Form, Link } from "@remix-run/react";
import { useState, type FormEvent, type ReactNode } from "react";
import type { ReportOptions, ReportQuery } from "../../runtime.server.js";
import { capitalise } from "../messages.js";
import type { ReportLink, ReportTable } from "./tables.js";

export type FilterName = "inbox" | "channel" | "flow" | "team" | "version";

const PRESETS = [
  ["today", "Today"],
  ["7d", "7 days"],
  ["30d", "30 days"],
  ["custom", "Custom"],
] as const;

/** The search string of a query, with some parameters changed (undefined removes one). Pure. */
export const searchOf = (query: ReportQuery, overrides: Readonly<Record<string, string | undefined>> = {}): string => {
  const params = new URLSearchParams();
  params.set("range", query.range.preset);
  if (query.range.preset === "custom") {
    params.set("from", query.range.from);
    params.set("to", query.range.to);
  }
  for (const [key, value] of Object.entries(query.filters)) if (value !== undefined) params.set(key, value);
  if (query.hours !== undefined) params.set("hours", query.hours);
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) params.delete(key);
    else params.set(key, value);
  }
  return `?${params.toString()}`;
};

/** What is wrong with a custom range's days (ISO dates), or null when it can be asked for. Pure. */
export const customRangeProblem = (from: string, to: string): string | null => {
  if (from === "" || to === "") return "Pick both a first and a last day.";
  return from > to ? "The last day is before the first day: pick a “To” on or after the “From”." : null;
};

/**
 * Changing a day means a custom range: without this the form kept its preset and the server,
 * rightly reading only the preset, showed the old range as if the days had been applied.
 */
const chooseCustom = (event: { currentTarget: HTMLInputElement }) => {
  const range = event.currentTarget.form?.elements.namedItem("range");
  if (range instanceof HTMLSelectElement) range.value = "custom";
};

/** Range presets, custom days and the filters this report understands. */
export function ReportFilters(props: {
  readonly query: ReportQuery;
  readonly options: ReportOptions;
  readonly filters: ReadonlyArray<FilterName>;
  /** Versions offered when `version` is among the filters. */
  readonly versions?: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  /** Offers "within business hours only": the hours in words, or null when none are set. */
  readonly businessHours?: { readonly summary: string | null };
  /** Fields of this report's own, inside the same form (before Apply). */
  readonly children?: ReactNode;
}) {
  const { query, options } = props;
  const [rangeError, setRangeError] = useState<string | null>(null);
  // An impossible range stays on this page with the form, instead of a 400 page with no way back.
  const checkRange = (event: FormEvent<HTMLFormElement>) => {
    const form = new FormData(event.currentTarget);
    const problem = form.get("range") === "custom" ? customRangeProblem(String(form.get("from") ?? ""), String(form.get("to") ?? "")) : null;
    setRangeError(problem);
    if (problem) event.preventDefault();
  };
  const select = (name: FilterName, label: string, items: ReadonlyArray<{ readonly id: string; readonly name: string }>, all: string) => (
    <div className="field" key={name}>
      <label htmlFor={`report-${name}`}>{label}</label>
      <select id={`report-${name}`} name={name} defaultValue={query.filters[name] ?? ""}>
        <option value="">{all}</option>
        {items.map((item) => (
          <option key={item.id} value={item.id}>
            {item.name}
          </option>
        ))}
      </select>
    </div>
  );
  return (
    <section className="card report-filters" aria-label="Range and filters">
      <nav className="report-presets" aria-label="Date range">
        {PRESETS.filter(([id]) => id !== "custom").map(([id, label]) => (
          <Link
            key={id}
            to={searchOf(query, { range: id, from: undefined, to: undefined })}
            className={query.range.preset === id ? "report-preset report-preset--active" : "report-preset"}
            aria-current={query.range.preset === id ? "true" : undefined}
          >
            {label}
          </Link>
        ))}
        <span className="muted report-range">
          {query.range.from === query.range.to ? query.range.from : `${query.range.from} – ${query.range.to}`} ({query.range.timezone})
        </span>
      </nav>
      <Form method="get" className="report-filters__form" onSubmit={checkRange}>
        <div className="field">
          <label htmlFor="report-range">Date range</label>
          <select id="report-range" name="range" defaultValue={query.range.preset}>
            {PRESETS.map(([id, label]) => (
              <option key={id} value={id}>
                {label}
              </option>
            ))}
          </select>
        </div>
        {(["from", "to"] as const).map((end) => (
          <div className="field" key={end}>
            <label htmlFor={`report-${end}`}>{end === "from" ? "From" : "To"}</label>
            <input
              id={`report-${end}`}
              type="date"
              name={end}
              defaultValue={query.range[end]}
              onChange={chooseCustom}
              aria-invalid={rangeError ? true : undefined}
              aria-describedby={rangeError ? "report-range-error" : undefined}
            />
          </div>
        ))}
        {props.filters.map((name) => {
          switch (name) {
            case "inbox":
              return select("inbox", "Inbox", options.inboxes, "All inboxes");
            case "channel":
              return select("channel", "Channel", options.channels, "All channels");
            case "flow":
              return select("flow", "Flow", options.flows, "All flows");
            case "team":
              return select("team", "Team", options.teams, "All teams");
            case "version":
              return select("version", "Version", props.versions ?? [], "All versions");
          }
        })}
        {props.businessHours ? (
          <div className="field report-hours-toggle">
            <span className="report-hours-toggle__label">Durations</span>
            <label>
              <input
                type="checkbox"
                name="hours"
                value="business"
                defaultChecked={query.hours === "business"}
                disabled={props.businessHours.summary === null}
                aria-describedby="report-hours-hint"
              />{" "}
              Within business hours only
            </label>
            <span id="report-hours-hint" className="field__hint">
              {props.businessHours.summary === null ? (
                <>
                  No business hours are set yet: an admin sets them on <Link to="/reports">Reports</Link>.
                </>
              ) : (
                `${props.businessHours.summary} (${query.range.timezone})`
              )}
            </span>
          </div>
        ) : null}
        {props.children}
        <div className="form__actions">
          <button type="submit" className="button button--small">
            Apply
          </button>
        </div>
        {rangeError ? (
          <p id="report-range-error" className="field__error report-filters__error" role="alert">
            {capitalise(rangeError)}
          </p>
        ) : null}
      </Form>
    </section>
  );
}

/**
 * A table's order on a page that offers sorting: the sorted column's `sort` key and direction,
 * and, per sortable column, where its header leads (the page sorted by it) and in which direction.
 */
export interface TableSorting {
  readonly by: string;
  readonly direction: "asc" | "desc";
  readonly links: Readonly<Record<string, { readonly to: string; readonly direction: "asc" | "desc" }>>;
}

const ARIA_SORT = { asc: "ascending", desc: "descending" } as const;

/** A column's header: its label, or a link that sorts the table by it when the page offers that. */
/**
 * A checkbox on each row, for a form elsewhere on the page (their `form` attribute: the breaches
 * list's follow-up), with "select all on this page" in the first column's header — itself a field
 * of that form, so without JavaScript it still says "all of them"; with it, it ticks the rows.
 */
export interface TableSelection {
  readonly form: string;
  /** The rows' checkboxes' field name. */
  readonly name: string;
  /** Per row: its value and accessible name. */
  readonly rows: ReadonlyArray<{ readonly value: string; readonly label: string }>;
  /** The header's checkbox: its field, value and accessible name. */
  readonly all: { readonly name: string; readonly value: string; readonly label: string };
  /** Ticked when the page is drawn (a refused post's selection). */
  readonly ticked: ReadonlyArray<string>;
}

function ColumnHeader(props: { readonly column: ReportTable["columns"][number]; readonly sorting: TableSorting | undefined; readonly before?: ReactNode }) {
  const { column, sorting } = props;
  const link = column.sort === undefined ? undefined : sorting?.links[column.sort];
  const active = link !== undefined && sorting!.by === column.sort;
  return (
    <th scope="col" className={column.numeric ? "num" : undefined} aria-sort={active ? ARIA_SORT[sorting!.direction] : undefined}>
      {props.before}
      {link === undefined ? (
        column.label
      ) : (
        // A plain link (the order is in the URL, so it works without JavaScript and can be shared); the page stays where it was.
        <Link to={link.to} className="report-sort" preventScrollReset title={`Sort by ${column.label.toLowerCase()}, ${ARIA_SORT[link.direction]}`}>
          {column.label}
          <span className="report-sort__arrow" aria-hidden="true">
            {active ? (sorting!.direction === "asc" ? "▲" : "▼") : "↕"}
          </span>
        </Link>
      )}
    </th>
  );
}

/** A report table with its title, a CSV download of exactly these rows (in the same order), and a text for no rows. */
export function ReportTableView(props: {
  readonly table: ReportTable;
  readonly query: ReportQuery;
  readonly csvParams?: Readonly<Record<string, string>>;
  /** Sortable column headers (the breaches list). */
  readonly sorting?: TableSorting;
  /** A checkbox per row for a form of the page (the breaches list's follow-up). */
  readonly selection?: TableSelection;
}) {
  const { table, selection } = props;
  const titleId = `table-${table.id}`;
  const [ticked, setTicked] = useState<ReadonlySet<string>>(() => new Set(selection?.ticked ?? []));
  const [all, setAll] = useState(false);
  const tick = (value: string, on: boolean) => {
    const next = new Set(ticked);
    if (on) next.add(value);
    else next.delete(value);
    setTicked(next);
    if (!on) setAll(false);
  };
  const tickAll = (on: boolean) => {
    setAll(on);
    setTicked(on ? new Set(selection?.rows.map((r) => r.value)) : new Set());
  };
  return (
    <div className="report-table">
      <div className="report-table__head">
        <h3 id={titleId}>{table.title}</h3>
        <a className="button button--secondary button--small" href={`/reports/export/${table.id}${searchOf(props.query, props.csvParams)}`} download>
          Download CSV<span className="report-vh"> of {table.title}</span>
        </a>
      </div>
      {table.rows.length === 0 && table.empty !== "" ? (
        <p className="muted">{table.empty}</p>
      ) : (
        // A box that scrolls takes the keyboard's focus, so it can be scrolled without a mouse. A
        // group, not a region: a landmark would repeat its section's name.
        <div className={table.rows.length > 12 ? "report-table__scroll report-table__scroll--tall" : "report-table__scroll"} role="group" aria-labelledby={titleId} tabIndex={0}>
          <table className="table" aria-labelledby={titleId} data-table={table.id}>
            <thead>
              <tr>
                {table.columns.map((c, j) => (
                  <ColumnHeader
                    key={c.label}
                    column={c}
                    sorting={props.sorting}
                    before={
                      selection && j === 0 ? (
                        <input
                          type="checkbox"
                          className="report-check"
                          form={selection.form}
                          name={selection.all.name}
                          value={selection.all.value}
                          aria-label={selection.all.label}
                          checked={all}
                          onChange={(e) => tickAll(e.currentTarget.checked)}
                        />
                      ) : undefined
                    }
                  />
                ))}
              </tr>
            </thead>
            <tbody>
              {table.rows.map((row, i) => (
                <tr key={i}>
                  {row.map((cell, j) => {
                    const link = table.links?.[i]?.[j];
                    const content = link ? <CellLink link={link} query={props.query} text={cell} /> : cell;
                    const choice = j === 0 ? selection?.rows[i] : undefined;
                    return j === 0 ? (
                      <th key={j} scope="row">
                        {choice && selection ? (
                          <input
                            type="checkbox"
                            className="report-check"
                            form={selection.form}
                            name={selection.name}
                            value={choice.value}
                            aria-label={choice.label}
                            checked={ticked.has(choice.value)}
                            onChange={(e) => tick(choice.value, e.currentTarget.checked)}
                          />
                        ) : null}
                        {content}
                      </th>
                    ) : (
                      <td key={j} className={table.columns[j]?.numeric ? "num" : undefined}>
                        {content}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** A cell's link: to a page as it is, or to a report under this page's range and filters. */
function CellLink(props: { readonly link: ReportLink; readonly query: ReportQuery; readonly text: string }) {
  const { link } = props;
  const to = link.params ? `${link.to}${searchOf(props.query, link.params)}` : link.to;
  return (
    <Link to={to} aria-label={link.label} title={link.label}>
      {props.text}
    </Link>
  );
}

/** Headline figures: a label, a value and an optional detail line. */
export function Figures(props: { readonly label: string; readonly items: ReadonlyArray<{ readonly label: string; readonly value: string; readonly detail?: string }> }) {
  return (
    <dl className="report-figures" aria-label={props.label}>
      {props.items.map((item) => (
        <div key={item.label} className="report-figure">
          <dt>{item.label}</dt>
          <dd>
            <span className="report-figure__value">{item.value}</span>
            {item.detail ? <span className="report-figure__detail">{item.detail}</span> : null}
          </dd>
        </div>
      ))}
    </dl>
  );
}
