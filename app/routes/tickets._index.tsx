/**
 * /tickets — the tickets of the agent's inboxes (admins: all), newest first, filtered by
 * status, assignee (everyone's, mine, unassigned), priority, inbox and a search over subjects and
 * contacts. A GET form: works without JavaScript and every filter is a shareable URL.
 */
import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useSubmit } from "@remix-run/react";
import { Effect } from "effect";
import inboxStyles from "../components/inbox/inbox.css?url";
import { ticketPriorityLabels, ticketPriorityOrder, ticketStatusLabels, ticketStatusOrder } from "../components/inbox/labels.js";
import { Time } from "../components/inbox/time.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { access } from "../roles.js";
import { InboxService, run, Tickets } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: inboxStyles }];
export const meta: MetaFunction = () => [{ title: "Tickets · Parley" }];

const KEYS = ["status", "assignee", "priority", "inboxId", "search", "cursor"] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const params = new URL(request.url).searchParams;
  const filter: Record<string, string> = {};
  for (const key of KEYS) {
    const value = params.get(key);
    if (value !== null && value.trim() !== "") filter[key] = value;
  }
  // "Open" (anything not closed) is the default view.
  filter.status ??= "open";
  if (filter.status === "all") delete filter.status;
  const { list, inboxes } = await run(
    context,
    Effect.gen(function* () {
      const tickets = yield* Tickets;
      const inbox = yield* InboxService;
      return { list: yield* tickets.list(user, filter), inboxes: (yield* inbox.options(user)).inboxes };
    }),
  );
  const shown: Record<string, string> = { ...filter, status: filter.status ?? "all" };
  return { list, inboxes, filter: shown, viewerId: user.id, now: Date.now() };
}

const searchOf = (filter: Readonly<Record<string, string>>, changes: Record<string, string | undefined>) => {
  const params = new URLSearchParams();
  for (const key of KEYS) {
    const value = key in changes ? changes[key] : key === "cursor" ? undefined : filter[key];
    if (value !== undefined && value !== "") params.set(key, value);
  }
  return `?${params.toString()}`;
};

export default function TicketsPage() {
  const { list, inboxes, filter, viewerId, now } = useLoaderData<typeof loader>();
  const submit = useSubmit();
  const openCount = list.counts.new + list.counts.waiting_on_contact + list.counts.waiting_on_us;
  const tabs: ReadonlyArray<{ value: string; label: string; count: number }> = [
    { value: "open", label: "Open", count: openCount },
    ...ticketStatusOrder.map((s) => ({ value: s, label: ticketStatusLabels[s], count: list.counts[s] })),
    { value: "all", label: "All", count: openCount + list.counts.closed },
  ];
  const owners: ReadonlyArray<{ value: string; label: string }> = [
    { value: "", label: "Everyone's" },
    { value: "me", label: "Mine" },
    { value: "unassigned", label: "Unassigned" },
  ];
  const owner = filter.assignee ?? "";
  return (
    <>
      <header className="page-header">
        <h1>Tickets</h1>
        <p className="lead">
          Requests tracked from conversations. <Link to="/inbox">Back to the inbox</Link>
        </p>
      </header>
      <nav aria-label="Ticket status">
        <ul className="ticket-tabs">
          {tabs.map((tab) => (
            <li key={tab.value}>
              <Link to={searchOf(filter, { status: tab.value })} aria-current={filter.status === tab.value ? "page" : undefined}>
                {tab.label} <span className="muted">{tab.count}</span>
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <nav aria-label="Ticket assignee">
        <ul className="ticket-tabs">
          {owners.map((o) => (
            <li key={o.value}>
              <Link to={searchOf(filter, { assignee: o.value })} aria-current={owner === o.value ? "page" : undefined}>
                {o.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <Form method="get" className="ticket-filters" role="search" aria-label="Filter tickets">
        <input type="hidden" name="status" value={filter.status} />
        {owner !== "" ? <input type="hidden" name="assignee" value={owner} /> : null}
        <div className="field">
          <label htmlFor="ticket-search">Search</label>
          <input id="ticket-search" type="search" name="search" defaultValue={filter.search ?? ""} placeholder="Subject, contact name or email" />
        </div>
        <div className="field">
          <label htmlFor="ticket-priority">Priority</label>
          <select id="ticket-priority" name="priority" defaultValue={filter.priority ?? ""} onChange={(e) => submit(e.currentTarget.form)}>
            <option value="">Any</option>
            {ticketPriorityOrder.map((p) => (
              <option key={p} value={p}>
                {ticketPriorityLabels[p]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="ticket-inbox">Inbox</label>
          <select id="ticket-inbox" name="inboxId" defaultValue={filter.inboxId ?? ""} onChange={(e) => submit(e.currentTarget.form)}>
            <option value="">Any</option>
            {inboxes.map((i) => (
              <option key={i.id} value={i.id}>
                {i.name}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="button button--secondary">
          Apply
        </button>
      </Form>
      <section className="card" aria-label="Tickets">
        {list.tickets.length === 0 ? (
          <p className="muted">No tickets match these filters.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Subject</th>
                <th scope="col">Contact</th>
                <th scope="col">Status</th>
                <th scope="col">Priority</th>
                <th scope="col">Assignee</th>
                <th scope="col">Inbox</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.tickets.map((t) => (
                <tr key={t.id}>
                  <td>
                    <Link to={`/tickets/${encodeURIComponent(t.id)}`}>{t.subject}</Link>
                  </td>
                  <td>{t.contact ? (t.contact.name ?? t.contact.email) : <span className="muted">—</span>}</td>
                  <td>{ticketStatusLabels[t.status]}</td>
                  <td className={`priority--${t.priority}`}>{ticketPriorityLabels[t.priority]}</td>
                  <td>{t.assignee ? (t.assignee.id === viewerId ? `${t.assignee.name} (you)` : t.assignee.name) : <span className="muted">Unassigned</span>}</td>
                  <td>{t.inboxName}</td>
                  <td>
                    <Time at={t.createdAt} now={now} style="full" />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {list.nextCursor ? (
          <p>
            <Link to={searchOf(filter, { cursor: list.nextCursor })}>Older tickets</Link>
          </p>
        ) : null}
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
