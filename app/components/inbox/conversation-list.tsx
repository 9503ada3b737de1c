import { Form, Link, useLocation, useNavigate, useSubmit } from "@remix-run/react";
import { Fragment, useEffect, useRef, type ReactNode } from "react";
import type { ConversationList, InboxOptions, InboxView } from "../../runtime.server.js";
import { BulkBar, BulkCheckbox, useBulkSelection } from "./bulk-bar.js";
import { LabelChips } from "./label-chips.js";
import { DueTag } from "./due-tag.js";
import { languageLabel, languageWaitWords, queuedTag, shortDuration, statusLabels, viewLabels, viewOrder, waitingLabel } from "./labels.js";
import { Time, useNow } from "./time.js";
import type { TypingMap } from "./use-inbox-live.js";
import { listSearch, openConversationNow, threadHref } from "./url.js";

/** Where a conversation came from, shown in the list for every channel but the chat widget (most conversations). */
const kindLabels: Readonly<Record<string, string>> = { email: "Email", form: "Form", messenger: "Messenger" };

// Loader data arrives serialised: readonly arrays and plain objects, the same shapes.
type ListData = ConversationList;
type OptionsData = InboxOptions;

/** A queued row's tag; when its team is closed, the opening is its title; when it is held for a speaker, of which language until when. */
function QueuedTag({ tag, held, now }: { tag: ReturnType<typeof queuedTag>; held: ListData["languageWaits"][string] | undefined; now: number }) {
  if (held !== undefined) {
    const words = languageWaitWords(held.language);
    return (
      <span className="tag tag--queued" title={words.title}>
        {words.tag} <Time at={held.until} now={now} />
      </span>
    );
  }
  return (
    <span className="tag tag--queued" title={tag.title}>
      {tag.text}
    </span>
  );
}

/** True when a key goes to a field being typed in (not to the list's shortcuts). Pure. */
export const isTyping = (target: EventTarget | null) =>
  target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));

/**
 * The left pane: views with counts and unread numbers, filters and search (a GET form, so it
 * works without JavaScript), and the conversations, longest-waiting first and pending ones
 * (waiting on the visitor) last, under a divider. Keys: j / k move
 * to the next / previous conversation, / focuses the search.
 */
export function ConversationListPane({
  list,
  options,
  filter,
  activeId,
  now: loadedAt,
  connected,
  typing,
  notificationsControl,
}: {
  list: ListData;
  options: OptionsData;
  filter: Readonly<Record<string, string>>;
  activeId: string | null;
  now: number;
  connected: boolean;
  typing: TypingMap;
  notificationsControl: ReactNode;
}) {
  const now = useNow(loadedAt);
  const location = useLocation();
  const navigate = useNavigate();
  const submit = useSubmit();
  const searchRef = useRef<HTMLInputElement>(null);
  const bulk = useBulkSelection(list.conversations);
  const view = list.view;
  // Read by the key handler at key time: an effect's copy could lag one render behind a navigation.
  const current = useRef({ ids: list.conversations.map((c) => c.id), filter });
  current.current = { ids: list.conversations.map((c) => c.id), filter };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.metaKey || event.ctrlKey || event.altKey || isTyping(event.target)) return;
      if (event.key === "/") {
        event.preventDefault();
        searchRef.current?.focus();
        return;
      }
      if (event.key !== "j" && event.key !== "k") return;
      const { ids: all, filter: kept } = current.current;
      const open = openConversationNow();
      if (all.length === 0) return;
      const at = open === null ? -1 : all.indexOf(open);
      const next = event.key === "j" ? Math.min(all.length - 1, at + 1) : Math.max(0, at === -1 ? 0 : at - 1);
      const id = all[next];
      if (id && id !== open) {
        event.preventDefault();
        navigate(threadHref(id, kept));
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [navigate]);

  const countOf = (v: InboxView): number | null => (v === "closed" ? null : list.counts[v]);
  const unreadOf = (v: InboxView): number => (v === "unassigned" || v === "mine" || v === "all_open" ? list.unread[v] : 0);
  const isDueView = (v: InboxView) => v === "overdue" || v === "due_soon";
  const dueCapped = (v: InboxView) => isDueView(v) && list.dueScanCap !== null;
  const filtersActive = ["inboxId", "channelId", "teamId", "assigneeId", "label"].some((k) => (filter[k] ?? "") !== "");

  // With a conversation open, its title is the page's h1 (on a phone the list is hidden, and the page
  // needs a visible one); the list's heading steps down beside it.
  const Heading = activeId ? "h2" : "h1";
  return (
    <section className="inbox-list" aria-labelledby="inbox-title">
      <header className="inbox-list__head">
        <Heading id="inbox-title">Inbox</Heading>
        <span className={connected ? "live-dot live-dot--on" : "live-dot"} role="status">
          {connected ? "Live" : "Connecting…"}
        </span>
      </header>
      <div className="inbox-list__notify">{notificationsControl}</div>

      <nav aria-label="Views" className="inbox-views">
        <ul>
          {viewOrder.map((v) => {
            const count = countOf(v);
            const unread = unreadOf(v);
            return (
              <li key={v}>
                <Link
                  to={{ pathname: location.pathname, search: listSearch(filter, { view: v }) }}
                  aria-current={v === view ? "page" : undefined}
                  className={v === view ? "inbox-views__link inbox-views__link--active" : "inbox-views__link"}
                >
                  <span>{viewLabels[v]}</span>
                  {unread > 0 ? (
                    <span className="inbox-views__unread" aria-label={`${unread} unread`} title={`${unread} unread`}>
                      {unread}
                    </span>
                  ) : null}
                  {count !== null ? (
                    // Beside the unread badge a bare number reads as a duplicate; the title says which is which.
                    // The due views' count stops where their scan stopped: "1000+" says so.
                    <span className="inbox-views__count" title={`${count}${dueCapped(v) ? " or more" : ""} in this view`}>
                      {count}
                      {dueCapped(v) ? "+" : ""}
                    </span>
                  ) : null}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>

      <Form method="get" action={location.pathname} role="search" className="inbox-filters" aria-label="Search and filter conversations">
        <input type="hidden" name="view" value={view} />
        <label className="visually-hidden" htmlFor="inbox-search">
          Search conversations
        </label>
        <input
          ref={searchRef}
          id="inbox-search"
          type="search"
          name="search"
          placeholder="Search names, emails, messages  ( / )"
          defaultValue={filter.search ?? ""}
          key={filter.search ?? ""}
        />
        <details className="inbox-filters__more" open={filtersActive}>
          <summary>Filters{filtersActive ? " (on)" : ""}</summary>
          <div className="inbox-filters__grid">
            <FilterSelect label="Inbox" name="inboxId" value={filter.inboxId} onChange={(form) => submit(form)}>
              {options.inboxes.map((i) => (
                <option key={i.id} value={i.id}>
                  {i.name}
                </option>
              ))}
            </FilterSelect>
            <FilterSelect label="Channel" name="channelId" value={filter.channelId} onChange={(form) => submit(form)}>
              {options.channels.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </FilterSelect>
            <FilterSelect label="Team" name="teamId" value={filter.teamId} onChange={(form) => submit(form)}>
              {options.teams.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </FilterSelect>
            <FilterSelect label="Assigned to" name="assigneeId" value={filter.assigneeId} onChange={(form) => submit(form)}>
              <option value="none">Nobody</option>
              {options.people.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </FilterSelect>
            <FilterSelect label="Label" name="label" value={filter.label} onChange={(form) => submit(form)}>
              {options.labels.map((l) => (
                <option key={l.id} value={l.id}>
                  {l.name}
                </option>
              ))}
            </FilterSelect>
          </div>
        </details>
        <button type="submit" className="button button--secondary button--small">
          Search
        </button>
      </Form>

      {isDueView(view) ? (
        <p className="inbox-list__note muted">
          {view === "overdue" ? "Past their inbox’s response target, most overdue first." : "Less than a fifth of their response target left, due first on top."}
          {list.dueScanCap !== null
            ? ` Only the ${list.dueScanCap.toLocaleString("en")} waits that passed their target longest ago were checked: filter by inbox or team to see the rest.`
            : ""}
        </p>
      ) : null}
      <BulkBar bulk={bulk} rows={list.conversations} options={options} view={view} filter={filter} now={now} />
      {list.conversations.length === 0 ? (
        <p className="inbox-list__empty muted">
          {filter.search ? `No conversations match “${filter.search}”.` : `No conversations in “${viewLabels[view]}”.`}
        </p>
      ) : (
        <ul className="conversation-list" aria-label={`${viewLabels[view]} conversations`}>
          {list.conversations.map((c, at) => {
            const active = c.id === activeId;
            const typers = typing[c.id] ?? [];
            // Open views list pending conversations last; a line marks where those that owe an answer end.
            // The snoozed view is in wake order, the due views in due order: no divider there.
            const firstPending =
              view !== "pending" && view !== "snoozed" && !isDueView(view) && c.status === "pending" && list.conversations[at - 1]?.status !== "pending";
            return (
              <Fragment key={c.id}>
                {firstPending ? (
                  <li className="conversation-list__divider" aria-hidden="true">
                    Pending · waiting on the visitor
                  </li>
                ) : null}
                <li className="conversation-row" data-conversation-id={c.id}>
                  <BulkCheckbox bulk={bulk} conversation={c} />
                  <Link
                    to={threadHref(c.id, filter)}
                    className={["conversation-item", active ? "conversation-item--active" : "", c.unread && !active ? "conversation-item--unread" : ""].join(" ").trim()}
                    aria-current={active ? "true" : undefined}
                    prefetch="intent"
                  >
                    <span className="conversation-item__top">
                      <span className="conversation-item__title">{c.title}</span>
                      {c.unread && !active ? <span className="unread-dot" aria-label="unread" role="img" /> : null}
                      <span className="conversation-item__time">
                        {c.lastMessageAt !== null ? shortDuration(c.lastMessageAt, now) : shortDuration(c.lastActivityAt, now)}
                      </span>
                    </span>
                    <span className="conversation-item__preview">
                      {typers.length > 0 ? <em>{typers[0]!.name} is typing…</em> : (c.preview ?? "No messages yet")}
                    </span>
                    <span className="conversation-item__meta">
                      {c.snooze ? (
                        <span className="tag tag--snoozed">
                          snoozed until <Time at={c.snooze.until} now={now} />
                        </span>
                      ) : c.waitingSince !== null && c.status !== "closed" ? (
                        <>
                          <span className="tag tag--waiting">{waitingLabel(c.waitingSince, now)}</span>
                          <DueTag owed={c.responseDue} now={now} />
                        </>
                      ) : (
                        <span className={c.status === "pending" ? "tag tag--pending" : "tag"}>{statusLabels[c.status]}</span>
                      )}
                      {c.queued ? (
                        <QueuedTag
                          tag={queuedTag(c.team, c.team ? list.closedTeams[c.team.id] : undefined)}
                          held={c.team && list.closedTeams[c.team.id] ? undefined : list.languageWaits[c.id]}
                          now={now}
                        />
                      ) : null}
                      <span>
                        {c.assignee ? c.assignee.name : c.team ? c.team.name : "Unassigned"}{" "}
                        <span className="muted">
                          · {c.inbox.name}
                          {c.channel.kind !== "chat" ? ` · ${kindLabels[c.channel.kind] ?? c.channel.kind}` : ""}
                          {/* The visitor's language, where people pick conversations (routing may prefer speakers of it). */}
                          {c.visitorLanguage ? (
                            <>
                              {" · "}
                              <span title={`Speaks ${languageLabel(c.visitorLanguage)}`}>{c.visitorLanguage}</span>
                            </>
                          ) : null}
                        </span>
                      </span>
                    </span>
                    {/* Four at most: ten labels made a row five lines of chips tall. */}
                    <LabelChips labels={c.labels} className="conversation-item__labels" max={4} />
                  </Link>
                </li>
              </Fragment>
            );
          })}
        </ul>
      )}
      {list.nextCursor ? (
        <Link className="inbox-list__more" to={{ pathname: location.pathname, search: listSearch(filter, { cursor: list.nextCursor }) }}>
          Older conversations
        </Link>
      ) : filter.cursor ? (
        <Link className="inbox-list__more" to={{ pathname: location.pathname, search: listSearch(filter) }}>
          Back to the newest
        </Link>
      ) : null}
    </section>
  );
}

function FilterSelect({
  label,
  name,
  value,
  onChange,
  children,
}: {
  label: string;
  name: string;
  value: string | undefined;
  onChange: (form: HTMLFormElement) => void;
  children: ReactNode;
}) {
  const id = `inbox-filter-${name}`;
  return (
    <div className="inbox-filters__field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        name={name}
        defaultValue={value ?? ""}
        key={value ?? ""}
        onChange={(event) => {
          if (event.currentTarget.form) onChange(event.currentTarget.form);
        }}
      >
        <option value="">Any</option>
        {children}
      </select>
    </div>
  );
}
