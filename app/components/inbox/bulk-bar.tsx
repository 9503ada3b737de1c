import { useFetcher } from "@remix-run/react";
import { useCallback, useEffect, useRef, useState } from "react";
import type { ConversationList, InboxOptions, InboxView } from "../../runtime.server.js";
import { CsrfInput } from "../csrf-input.js";
import { capitalise } from "../messages.js";
import { BULK_FIELD, BULK_FORM_ID, bulkValue, pruned, selectAllState, toggled, type BulkAnswer } from "./bulk-logic.js";
import { isTyping } from "./conversation-list.js";
import { browserTimeZone, snoozePresets } from "./snooze-logic.js";
import { Time, useHydrated } from "./time.js";
import { listSearch, openConversationNow } from "./url.js";

type Row = ConversationList["conversations"][number];

/** The list's selection for bulk actions; rows that leave the list leave it too. */
export interface BulkSelection {
  readonly selected: ReadonlySet<string>;
  readonly toggle: (id: string) => void;
  readonly setAll: (on: boolean) => void;
  readonly clear: () => void;
}

/** Escape clears even from a row's checkbox; `x` there is the browser's Space, not ours. */
const keyIgnored = (event: KeyboardEvent) => event.defaultPrevented || event.metaKey || event.ctrlKey || event.altKey || isTyping(event.target);

/**
 * The selection of the rows shown, with the list's keys: `x` toggles the focused row (the row
 * holding the keyboard focus, else the open conversation that j / k moved to), Escape clears
 * (inside an open menu, it closes that menu first).
 */
export function useBulkSelection(rows: ReadonlyArray<Row>): BulkSelection {
  const [selected, setSelected] = useState<ReadonlySet<string>>(() => new Set());
  const shown = rows.map((r) => r.id);
  const key = shown.join(" ");
  // Live updates move rows out of the view: what is no longer shown is no longer selected.
  useEffect(() => setSelected((current) => pruned(current, shown)), [key]); // eslint-disable-line react-hooks/exhaustive-deps
  const current = useRef({ shown, size: selected.size });
  current.current = { shown, size: selected.size };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        // A menu's own Escape (the thread's Labels menu) has dealt with it.
        if (event.defaultPrevented) return;
        // Inside an open menu (the bar's Assign or Snooze, the thread's Snooze), Escape closes that
        // menu, the focus back on its toggle; the selection stays for the next Escape.
        const menu = event.target instanceof Element ? event.target.closest<HTMLDetailsElement>("details[open]") : null;
        if (menu) {
          event.preventDefault();
          menu.open = false;
          menu.querySelector<HTMLElement>("summary")?.focus();
          return;
        }
        const onCheckbox = event.target instanceof HTMLInputElement && event.target.type === "checkbox";
        if (current.current.size === 0 || (keyIgnored(event) && !onCheckbox)) return;
        event.preventDefault();
        setSelected(new Set());
        return;
      }
      if (event.key !== "x" || keyIgnored(event)) return;
      const focused = event.target instanceof Element ? event.target.closest<HTMLElement>("[data-conversation-id]")?.dataset.conversationId : undefined;
      const id = focused ?? openConversationNow();
      if (id === undefined || id === null || !current.current.shown.includes(id)) return;
      event.preventDefault();
      setSelected((now) => toggled(now, id));
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  const toggle = useCallback((id: string) => setSelected((now) => toggled(now, id)), []);
  const setAll = useCallback((on: boolean) => setSelected(on ? new Set(current.current.shown) : new Set()), []);
  const clear = useCallback(() => setSelected(new Set()), []);
  return { selected, toggle, setAll, clear };
}

/** A row's checkbox: part of the bar's form (its `form` attribute), named by who the conversation is with. */
export function BulkCheckbox({ bulk, conversation }: { bulk: BulkSelection; conversation: Row }) {
  return (
    <input
      type="checkbox"
      className="bulk-check"
      form={BULK_FORM_ID}
      name={BULK_FIELD}
      value={bulkValue(conversation)}
      checked={bulk.selected.has(conversation.id)}
      onChange={() => bulk.toggle(conversation.id)}
      aria-label={`Select ${conversation.title}`}
    />
  );
}

/**
 * Above the list: "Select all" for the rows shown and the last bulk action's notice; and, while
 * rows are selected, the bar — the count and the actions (Assign ▾ to a person or a team of the
 * selected conversations' inboxes, Close / Reopen, Mark pending, Snooze ▾ with the thread's
 * presets). A plain form without JavaScript (the page at /inbox/bulk tells the outcome); with
 * it, a fetcher: the notice shows here, the selection clears and the list re-reads itself.
 */
export function BulkBar({
  bulk,
  rows,
  options,
  view,
  filter,
  now,
}: {
  bulk: BulkSelection;
  rows: ReadonlyArray<Row>;
  options: InboxOptions;
  view: InboxView;
  filter: Readonly<Record<string, string>>;
  now: number;
}) {
  const fetcher = useFetcher<BulkAnswer>({ key: "inbox-bulk" });
  const hydrated = useHydrated();
  const zone = hydrated ? browserTimeZone() : null;
  const [dismissed, setDismissed] = useState<BulkAnswer | undefined>(undefined);
  const menus = useRef<HTMLFormElement>(null);
  const { clear } = bulk;

  useEffect(() => {
    if (fetcher.state !== "idle" || !fetcher.data?.result.ok) return;
    clear();
    // A menu left open would greet the next selection.
    menus.current?.querySelectorAll("details[open]").forEach((d) => d.removeAttribute("open"));
  }, [fetcher.state, fetcher.data, clear]);

  const shown = rows.map((r) => r.id);
  const all = selectAllState(bulk.selected, shown);
  const count = bulk.selected.size;
  const busy = fetcher.state !== "idle";
  // The people of the selected rows' inboxes; before anything is selected (a page without JavaScript), of the rows shown.
  const inboxes = new Set(rows.filter((r) => count === 0 || bulk.selected.has(r.id)).map((r) => r.inbox.id));
  const people = options.people.filter((p) => p.inboxIds === "all" || p.inboxIds.some((id) => inboxes.has(id)));
  const answer = fetcher.data !== dismissed ? fetcher.data?.result : undefined;
  const closedView = view === "closed";

  return (
    <>
      <div className="bulk-toolbar">
        {hydrated && rows.length > 0 ? (
          <label className="bulk-toolbar__all">
            <input
              type="checkbox"
              checked={all === "all"}
              ref={(box) => {
                if (box) box.indeterminate = all === "some";
              }}
              onChange={(event) => bulk.setAll(event.currentTarget.checked)}
            />
            Select all
          </label>
        ) : null}
        {answer ? (
          <p className={answer.ok ? (answer.skipped.length > 0 ? "notice notice--warning" : "notice notice--success") : "notice notice--error"} role="status">
            {answer.ok ? answer.notice : capitalise(answer.error)}
            <button type="button" className="bulk-toolbar__dismiss" aria-label="Dismiss" onClick={() => setDismissed(fetcher.data)}>
              ×
            </button>
          </p>
        ) : null}
      </div>
      <fetcher.Form ref={menus} method="post" action="/inbox/bulk" id={BULK_FORM_ID} className="bulk-bar" aria-label="Bulk actions">
        <CsrfInput />
        <input type="hidden" name="back" value={listSearch(filter)} />
        {zone ? <input type="hidden" name="timeZone" value={zone} /> : null}
        <span className="bulk-bar__count" aria-live="polite">
          {hydrated ? `${count} selected` : "With the selected:"}
        </span>
        <details className="snooze-menu bulk-menu">
          <summary className="button button--secondary button--small">
            Assign <span aria-hidden="true">▾</span>
          </summary>
          <div className="snooze-menu__panel bulk-menu__panel" role="group" aria-label="Assign to">
            <button type="submit" name="intent" value="assign:none" className="button button--secondary button--small" disabled={busy}>
              Unassigned
            </button>
            {people.map((p) => (
              <button key={p.id} type="submit" name="intent" value={`assign:user:${p.id}`} className="button button--secondary button--small" disabled={busy}>
                {p.name}
                {p.availability === "away" ? " (away)" : ""}
              </button>
            ))}
            {options.teams.map((t) => (
              <button key={t.id} type="submit" name="intent" value={`assign:team:${t.id}`} className="button button--secondary button--small" disabled={busy}>
                Team: {t.name}
              </button>
            ))}
          </div>
        </details>
        {closedView ? (
          <button type="submit" name="intent" value="reopen" className="button button--small" disabled={busy}>
            Reopen
          </button>
        ) : (
          <>
            <button type="submit" name="intent" value="close" className="button button--secondary button--small" disabled={busy}>
              Close
            </button>
            {view !== "pending" ? (
              <button type="submit" name="intent" value="mark-pending" className="button button--secondary button--small" disabled={busy}>
                Mark pending
              </button>
            ) : null}
            <details className="snooze-menu bulk-menu">
              <summary className="button button--secondary button--small">
            Snooze <span aria-hidden="true">▾</span>
          </summary>
              <div className="snooze-menu__panel bulk-menu__panel" role="group" aria-label="Snooze until">
                {snoozePresets(now, zone ?? "UTC").map((p) => (
                  <button key={p.id} type="submit" name="intent" value={`snooze:${p.id}`} className="button button--secondary button--small" disabled={busy}>
                    {p.label}
                    {hydrated ? (
                      <span className="snooze-menu__when">
                        <Time at={p.at} now={now} />
                      </span>
                    ) : null}
                  </button>
                ))}
              </div>
            </details>
          </>
        )}
        {hydrated ? (
          <button type="button" className="button button--secondary button--small" onClick={clear}>
            Clear selection
          </button>
        ) : null}
      </fetcher.Form>
    </>
  );
}
