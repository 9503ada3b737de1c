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
import { FilterTabs, listHref, ListCard } from "../components/list-page.js";
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

const searchOf = (filter: Readonly<Record<string, string>>, changes: Record<string, string | undefined>) => listHref(KEYS, filter, changes);

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
      <FilterTabs label="Ticket status" tabs={tabs} current={filter.status ?? ""} hrefOf={(status) => searchOf(filter, { status })} />
      <FilterTabs label="Ticket assignee" tabs={owners} current={owner} hrefOf={(assignee) => searchOf(filter, { assignee })} />
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
      <ListCard
        label="Tickets"
        empty="No tickets match these filters."
        isEmpty={list.tickets.length === 0}
        older={list.nextCursor ? { to: searchOf(filter, { cursor: list.nextCursor }), label: "Older tickets" } : null}
      >
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
      </ListCard>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
