/**
 * The pieces a filtered list page shares (tickets, contacts): the URL of a view of the list,
 * a row of filter tabs, and the card that holds the list with its "older" link. Every view is a
 * plain link or GET form, so it works without JavaScript and can be shared.
 */
import { Link } from "@remix-run/react";
import type { ReactNode } from "react";

/**
 * The query string of the list with `changes` applied to `filter` (only `keys` are kept). The
 * cursor is dropped unless given: a new filter starts on the first page. Pure.
 */
export const listHref = (
  keys: ReadonlyArray<string>,
  filter: Readonly<Record<string, string>>,
  changes: Readonly<Record<string, string | undefined>>,
): string => {
  const params = new URLSearchParams();
  for (const key of keys) {
    const value = key in changes ? changes[key] : key === "cursor" ? undefined : filter[key];
    if (value !== undefined && value !== "") params.set(key, value);
  }
  return `?${params.toString()}`;
};

/** A labelled row of links, one per value of a filter; the current one is marked for screen readers too. */
export function FilterTabs({
  label,
  tabs,
  current,
  hrefOf,
}: {
  label: string;
  tabs: ReadonlyArray<{ readonly value: string; readonly label: string; readonly count?: number }>;
  current: string;
  hrefOf: (value: string) => string;
}) {
  return (
    <nav aria-label={label}>
      <ul className="ticket-tabs">
        {tabs.map((tab) => (
          <li key={tab.value}>
            <Link to={hrefOf(tab.value)} aria-current={current === tab.value ? "page" : undefined}>
              {tab.label}
              {tab.count !== undefined ? (
                <>
                  {" "}
                  <span className="muted">{tab.count}</span>
                </>
              ) : null}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** The card that holds a list: its rows, or `empty` when there are none, and the link to older ones. */
export function ListCard({
  label,
  empty,
  isEmpty,
  older,
  children,
}: {
  label: string;
  empty: string;
  isEmpty: boolean;
  /** The next page's link (null on the last page). */
  older: { readonly to: string; readonly label: string } | null;
  children: ReactNode;
}) {
  return (
    <section className="card" aria-label={label}>
      {isEmpty ? <p className="muted">{empty}</p> : children}
      {older ? (
        <p>
          <Link to={older.to}>{older.label}</Link>
        </p>
      ) : null}
    </section>
  );
}
