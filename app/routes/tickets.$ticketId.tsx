/**
 * /tickets/:id — one ticket: subject, description, contact, the conversation it came from, and
 * its status and priority (POST `intent=update`). Only for agents of the ticket's inbox (403).
 */
import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import inboxStyles from "../components/inbox/inbox.css?url";
import { ticketPriorityLabels, ticketPriorityOrder, ticketStatusLabels, ticketStatusOrder } from "../components/inbox/labels.js";
import { Time } from "../components/inbox/time.js";
import { fieldErrors } from "../forms.js";
import { access } from "../roles.js";
import { attempt, run, Tickets } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: inboxStyles }];
export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.ticket.subject ?? "Ticket"} · Tickets · Parley` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const ticket = await run(context, Effect.flatMap(Tickets, (tickets) => tickets.get(user, params.ticketId ?? "")));
  return { ticket, now: Date.now() };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const form = await request.formData();
  const intent = form.get("intent");
  if (intent !== "update") {
    return data({ ok: false as const, errors: { form: `unknown intent “${String(intent)}”: expected update` } }, { status: 400 });
  }
  const input: Record<string, string> = {};
  for (const key of ["status", "priority"] as const) {
    const value = form.get(key);
    if (typeof value === "string" && value !== "") input[key] = value;
  }
  const result = await attempt(context, Effect.flatMap(Tickets, (tickets) => tickets.update(user, params.ticketId ?? "", input)));
  if (!result.ok) return data({ ok: false as const, errors: fieldErrors(result.error) }, { status: result.status });
  return { ok: true as const, errors: {} as Record<string, string> };
}

export default function TicketPage() {
  const { ticket, now } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const errors: Record<string, string> = result?.errors ?? {};
  return (
    <>
      <header className="page-header">
        <p>
          <Link to="/tickets">← Tickets</Link>
        </p>
        <h1>{ticket.subject}</h1>
        <p className="lead">
          {ticketStatusLabels[ticket.status]} · <span className={`priority--${ticket.priority}`}>{ticketPriorityLabels[ticket.priority]} priority</span> ·{" "}
          {ticket.inboxName}
        </p>
      </header>
      <section className="card" aria-labelledby="ticket-details">
        <h2 id="ticket-details">Details</h2>
        <dl className="facts">
          <div>
            <dt>Contact</dt>
            <dd>{ticket.contact ? `${ticket.contact.name ?? ""}${ticket.contact.name && ticket.contact.email ? " · " : ""}${ticket.contact.email ?? ""}` : "—"}</dd>
          </div>
          <div>
            <dt>Conversation</dt>
            <dd>{ticket.conversationId ? <Link to={`/inbox/${encodeURIComponent(ticket.conversationId)}`}>Open the conversation</Link> : "—"}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>
              <Time at={ticket.createdAt} now={now} style="full" />
              {ticket.createdBy ? ` by ${ticket.createdBy.name}` : ""}
            </dd>
          </div>
          <div>
            <dt>Updated</dt>
            <dd>
              <Time at={ticket.updatedAt} now={now} style="full" />
            </dd>
          </div>
        </dl>
        <h3>Description</h3>
        {ticket.description.trim() === "" ? <p className="muted">No description.</p> : <pre className="ticket-description">{ticket.description}</pre>}
      </section>
      <section className="card" aria-labelledby="ticket-update">
        <h2 id="ticket-update">Status and priority</h2>
        {result?.ok ? (
          <p className="notice notice--success" role="status">
            Saved.
          </p>
        ) : null}
        {errors.form ? (
          <p className="notice notice--error" role="alert">
            {errors.form}
          </p>
        ) : null}
        <Form method="post" className="form form--grid">
          <CsrfInput />
          <input type="hidden" name="intent" value="update" />
          <div className="field">
            <label htmlFor="ticket-status">Status</label>
            <select id="ticket-status" name="status" defaultValue={ticket.status} key={`s:${ticket.status}`}>
              {ticketStatusOrder.map((s) => (
                <option key={s} value={s}>
                  {ticketStatusLabels[s]}
                </option>
              ))}
            </select>
            {errors.status ? <p className="field__error">{errors.status}</p> : null}
          </div>
          <div className="field">
            <label htmlFor="ticket-priority">Priority</label>
            <select id="ticket-priority" name="priority" defaultValue={ticket.priority} key={`p:${ticket.priority}`}>
              {ticketPriorityOrder.map((p) => (
                <option key={p} value={p}>
                  {ticketPriorityLabels[p]}
                </option>
              ))}
            </select>
            {errors.priority ? <p className="field__error">{errors.priority}</p> : null}
          </div>
          <div className="form__actions">
            <button type="submit" className="button" disabled={busy}>
              {busy ? "Saving…" : "Save"}
            </button>
          </div>
        </Form>
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
