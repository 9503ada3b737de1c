/**
 * /tickets/:id — one ticket: subject, description, contact, the conversation it came from; its
 * assignee (POST `intent=assign`, or "Assign to me"), status and priority (`intent=update`),
 * internal notes (`intent=note`) and the timeline of everything that happened to it. Changes
 * carry the ticket's version: when someone else changed it first the page says so and shows the
 * ticket as it is now. Only for agents of the ticket's inbox (403).
 */
import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useRevalidator } from "@remix-run/react";
import { Effect } from "effect";
import { useEffect, useId, useState } from "react";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { FieldError } from "../components/field.js";
import inboxStyles from "../components/inbox/inbox.css?url";
import { ticketPriorityLabels, ticketPriorityOrder, ticketStatusLabels, ticketStatusOrder } from "../components/inbox/labels.js";
import { Time, useNow } from "../components/inbox/time.js";
import { ErrorNotice } from "../components/settings/notices.js";
import { NoteForm } from "../components/tickets/note-form.js";
import { TicketTimeline } from "../components/tickets/ticket-timeline.js";
import ticketStyles from "../components/tickets/tickets.css?url";
import { fieldErrors, formValues } from "../forms.js";
import { access } from "../roles.js";
import { attempt, run, Tickets } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: inboxStyles },
  { rel: "stylesheet", href: ticketStyles },
];
export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.ticket.subject ?? "Ticket"} · Tickets · Parley` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const ticketId = params.ticketId ?? "";
  const { ticket, timeline, assignees } = await run(
    context,
    Effect.gen(function* () {
      const tickets = yield* Tickets;
      const ticket = yield* tickets.get(user, ticketId);
      return { ticket, timeline: yield* tickets.timeline(user, ticketId), assignees: yield* tickets.assignees(user, ticketId) };
    }),
  );
  return { ticket, timeline, assignees, viewerId: user.id, now: Date.now() };
}

const INTENTS = ["update", "assign", "note"] as const;
type Intent = (typeof INTENTS)[number];

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const form = await request.formData();
  const intent = form.get("intent");
  if (!INTENTS.includes(intent as Intent)) {
    return data(
      { ok: false as const, intent: null, conflict: false, errors: { form: `unknown intent “${String(intent)}”: expected ${INTENTS.join(", ")}` } },
      { status: 400 },
    );
  }
  const ticketId = params.ticketId ?? "";
  // An empty field is "no change" (the service then asks for what is missing, by name).
  const fields = (names: ReadonlyArray<string>) => Object.fromEntries(Object.entries(formValues(form, names)).filter(([, v]) => v !== ""));
  const change =
    intent === "update"
      ? Effect.flatMap(Tickets, (t) => Effect.asVoid(t.update(user, ticketId, fields(["status", "priority", "version"]))))
      : intent === "assign"
        ? // "" is a choice here: Unassigned.
          Effect.flatMap(Tickets, (t) => Effect.asVoid(t.assign(user, ticketId, { ...fields(["version"]), assigneeId: form.get("assigneeId") ?? null })))
        : Effect.flatMap(Tickets, (t) => Effect.asVoid(t.addNote(user, ticketId, formValues(form, ["text"]))));
  const result = await attempt(context, change);
  if (!result.ok) {
    return data(
      { ok: false as const, intent: intent as Intent, conflict: result.status === 409, errors: fieldErrors(result.error) },
      { status: result.status },
    );
  }
  return { ok: true as const, intent: intent as Intent, conflict: false, errors: {} as Record<string, string> };
}

export default function TicketPage() {
  const { ticket, timeline, assignees, viewerId, now: loadedAt } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const now = useNow(loadedAt);
  const submitting = navigation.state === "submitting" ? (navigation.formData?.get("intent") as Intent | null) : null;
  const resultFor = (intent: Intent) => (result?.intent === intent ? result : undefined);
  const assigneeSelect = useId();
  // A refused action does not re-read the loaders (single fetch): after a conflict, show the ticket
  // as it is now. Re-reading drops the action's data, so the message is kept here until the next
  // submission.
  const revalidator = useRevalidator();
  const [conflict, setConflict] = useState<{ readonly intent: Intent; readonly message: string } | null>(null);
  useEffect(() => {
    if (result && !result.ok && result.conflict && result.intent !== null) {
      setConflict({ intent: result.intent, message: result.errors.form ?? "Someone else changed this ticket first." });
      revalidator.revalidate();
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [result]);
  useEffect(() => {
    if (navigation.state === "submitting") setConflict(null);
  }, [navigation.state]);
  const assignable = ticket.assignee === null || assignees.some((a) => a.id === ticket.assignee?.id);
  const canTakeIt = ticket.assignee?.id !== viewerId && assignees.some((a) => a.id === viewerId);
  const feedback = (intent: Intent, saved: string) => {
    if (conflict?.intent === intent) {
      return (
        <ErrorNotice message={conflict.message} tone="warning" />
      );
    }
    const r = resultFor(intent);
    if (!r) return null;
    if (r.ok) {
      return (
        <p className="notice notice--success" role="status">
          {saved}
        </p>
      );
    }
    return <ErrorNotice message={r.errors.form} tone={r.conflict ? "warning" : "error"} />;
  };

  return (
    <>
      <header className="page-header">
        <p>
          <Link to="/tickets">← Tickets</Link>
        </p>
        <h1>{ticket.subject}</h1>
        <p className="lead">
          {ticketStatusLabels[ticket.status]} · <span className={`priority--${ticket.priority}`}>{ticketPriorityLabels[ticket.priority]} priority</span> ·{" "}
          {ticket.assignee ? (ticket.assignee.id === viewerId ? "Assigned to you" : `Assigned to ${ticket.assignee.name}`) : "Unassigned"} ·{" "}
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

      <section className="card" aria-labelledby="ticket-assignee">
        <h2 id="ticket-assignee">Assignee</h2>
        {feedback("assign", "Assignee saved.")}
        <div className="ticket-assign">
          <Form method="post" aria-label="Assign the ticket">
            <CsrfInput />
            <input type="hidden" name="intent" value="assign" />
            <input type="hidden" name="version" value={ticket.version} />
            <div className="field">
              <label htmlFor={assigneeSelect}>Assignee</label>
              {/* Re-mounted when the stored assignee changes, so a refused pick shows what is stored. */}
              <select id={assigneeSelect} name="assigneeId" defaultValue={ticket.assignee?.id ?? ""} key={`a:${ticket.assignee?.id ?? ""}:${ticket.version}`}>
                <option value="">Unassigned</option>
                {assignable ? null : (
                  <option value={ticket.assignee!.id} disabled>
                    {ticket.assignee!.name} (can no longer work in {ticket.inboxName})
                  </option>
                )}
                {assignees.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.id === viewerId ? `${a.name} (you)` : a.name}
                  </option>
                ))}
              </select>
              <FieldError message={resultFor("assign")?.errors.assigneeId} />
            </div>
            <button type="submit" className="button button--secondary" disabled={submitting === "assign"}>
              {submitting === "assign" ? "Saving…" : "Assign"}
            </button>
          </Form>
          {canTakeIt ? (
            <Form method="post">
              <CsrfInput />
              <input type="hidden" name="intent" value="assign" />
              <input type="hidden" name="version" value={ticket.version} />
              <input type="hidden" name="assigneeId" value={viewerId} />
              <button type="submit" className="button" disabled={submitting === "assign"}>
                Assign to me
              </button>
            </Form>
          ) : null}
        </div>
      </section>

      <section className="card" aria-labelledby="ticket-update">
        <h2 id="ticket-update">Status and priority</h2>
        {feedback("update", "Saved.")}
        <Form method="post" className="form form--grid">
          <CsrfInput />
          <input type="hidden" name="intent" value="update" />
          <input type="hidden" name="version" value={ticket.version} />
          <div className="field">
            <label htmlFor="ticket-status">Status</label>
            <select id="ticket-status" name="status" defaultValue={ticket.status} key={`s:${ticket.status}:${ticket.version}`}>
              {ticketStatusOrder.map((s) => (
                <option key={s} value={s}>
                  {ticketStatusLabels[s]}
                </option>
              ))}
            </select>
            <FieldError message={resultFor("update")?.errors.status} />
          </div>
          <div className="field">
            <label htmlFor="ticket-priority">Priority</label>
            <select id="ticket-priority" name="priority" defaultValue={ticket.priority} key={`p:${ticket.priority}:${ticket.version}`}>
              {ticketPriorityOrder.map((p) => (
                <option key={p} value={p}>
                  {ticketPriorityLabels[p]}
                </option>
              ))}
            </select>
            <FieldError message={resultFor("update")?.errors.priority} />
          </div>
          <div className="form__actions">
            <button type="submit" className="button" disabled={submitting === "update"}>
              {submitting === "update" ? "Saving…" : "Save"}
            </button>
          </div>
        </Form>
      </section>

      <section className="card" aria-labelledby="ticket-activity">
        <h2 id="ticket-activity">Timeline</h2>
        <TicketTimeline entries={timeline.entries} truncated={timeline.truncated} viewerId={viewerId} now={now} />
        {feedback("note", "Note added.")}
        {/* Re-mounted after each note the timeline gains, which empties the box; a refused note keeps its text. */}
        <NoteForm key={`n:${timeline.entries[timeline.entries.length - 1]?.id ?? 0}`} error={resultFor("note")?.errors.text} busy={submitting === "note"} />
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
