/**
 * A row of filter links with counts ("Open 3 · Closed 12"), the current one marked for screen
 * readers (aria-current). Styled by `.ticket-tabs` in inbox.css; the tickets list has its own
 * copy of this markup and can use this component.
 */
import { Link } from "@remix-run/react";

export function FilterTabs({
  label,
  tabs,
  current,
}: {
  label: string;
  tabs: ReadonlyArray<{ readonly value: string; readonly label: string; readonly count?: number; readonly to: string }>;
  current: string;
}) {
  return (
    <nav aria-label={label}>
      <ul className="ticket-tabs">
        {tabs.map((tab) => (
          <li key={tab.value}>
            <Link to={tab.to} aria-current={current === tab.value ? "page" : undefined}>
              {tab.label}
              {tab.count === undefined ? null : <span className="muted">{tab.count}</span>}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
