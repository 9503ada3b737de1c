import { Form, Link, useFetcher } from "@remix-run/react";
import { useEffect, useId, useState, type ReactNode } from "react";
import type { Contact, ContactHistory, ContactMembership, EmailConsent, OwnerOption, VisitorFacts } from "../../runtime.server.js";
import { ContactEditFields, ContactTickets, NewContactFields, OwnerSelect } from "../contacts/contact-fields.js";
import { CsrfInput } from "../csrf-input.js";
import { FieldError } from "../field.js";
import { capitalise } from "../messages.js";
import { ErrorNotice } from "../settings/notices.js";
import type { ThreadActionResult } from "./action-result.js";
import { languageLabel, shortUrl, statusLabels, ticketPriorityLabels, ticketPriorityOrder, ticketStatusLabels, ticketStatusOrder } from "./labels.js";
import { Time } from "./time.js";
import { threadHref } from "./url.js";

const errorsOf = (result: ThreadActionResult | undefined, intent: string) =>
  result && !result.ok && result.intent === intent ? result : null;

function FormMessage({ result, intent }: { result: ThreadActionResult | undefined; intent: string }) {
  if (!result || result.intent !== intent) return null;
  if (result.ok) {
    return result.message ? (
      <p className="notice notice--success" role="status">
        {result.message}
      </p>
    ) : null;
  }
  // Field errors show beside their fields; the rest here.
  return Object.keys(result.fields).length === 0 || result.fields.form ? <ErrorNotice message={result.fields.form ?? result.error} /> : null;
}

/**
 * What the visitor's browser told us: page, device, language, when first and last seen. An email
 * conversation keeps its first mail's subject where a chat keeps the page it started on: it is
 * shown as the Subject, whole, not as a page.
 */
function VisitorSection({
  visitor,
  startedOn,
  channelKind,
  now,
}: {
  visitor: VisitorFacts | null;
  startedOn: string | null;
  channelKind: string;
  now: number;
}) {
  if (!visitor) return null;
  const email = channelKind === "email";
  // A form, an email or Messenger knows no page, device or language: leave those out rather than show "—".
  const outside = channelKind !== "chat";
  const attributes = Object.entries(visitor.attributes).filter(([key]) => !key.startsWith("contact."));
  return (
    <section className="panel-section" aria-labelledby="visitor-title">
      <h3 id="visitor-title">Visitor</h3>
      <dl className="facts">
        {outside && !visitor.currentPage ? null : (
          <div>
            <dt>Current page</dt>
            <dd>
              {visitor.currentPage ? (
                <a href={/^https?:\/\//i.test(visitor.currentPage) ? visitor.currentPage : undefined} target="_blank" rel="noopener noreferrer" title={visitor.currentPage}>
                  {shortUrl(visitor.currentPage)}
                </a>
              ) : (
                "—"
              )}
            </dd>
          </div>
        )}
        {email ? (
          <div>
            <dt>Subject</dt>
            <dd>{startedOn ?? "(no subject)"}</dd>
          </div>
        ) : startedOn && startedOn !== visitor.currentPage ? (
          <div>
            <dt>Started on</dt>
            <dd title={startedOn}>{shortUrl(startedOn)}</dd>
          </div>
        ) : null}
        {outside && !visitor.device ? null : (
          <div>
            <dt>Device</dt>
            <dd>{visitor.device ? capitalise(visitor.device) : "—"}</dd>
          </div>
        )}
        {outside && !visitor.language ? null : (
          <div>
            <dt>Language</dt>
            <dd>{visitor.language ? languageLabel(visitor.language) : "—"}</dd>
          </div>
        )}
        <div>
          <dt>First seen</dt>
          <dd>
            <Time at={visitor.firstSeenAt} now={now} style="full" />
          </dd>
        </div>
        <div>
          <dt>Last seen</dt>
          <dd>
            <Time at={visitor.lastSeenAt} now={now} style="ago" />
          </dd>
        </div>
        {attributes.map(([key, value]) => (
          <div key={key}>
            <dt>{key}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

/** Creating a contact from the visitor (prefilled with what the bot collected), or linking an existing one. */
function NoContact({
  conversationId,
  suggested,
  contactSearch,
  contactResults,
  listFilter,
}: {
  conversationId: string;
  suggested: { readonly email?: string; readonly name?: string; readonly phone?: string };
  contactSearch: string;
  contactResults: ReadonlyArray<Contact> | null;
  listFilter: Readonly<Record<string, string>>;
}) {
  const create = useFetcher<ThreadActionResult>({ key: `create-contact:${conversationId}` });
  const link = useFetcher<ThreadActionResult>({ key: `link-contact:${conversationId}` });
  const errors = errorsOf(create.data, "create-contact");
  return (
    <>
      <create.Form method="post" action={`/inbox/${encodeURIComponent(conversationId)}`} className="form form--compact" aria-label="Create a contact" noValidate>
        <CsrfInput />
        <input type="hidden" name="intent" value="create-contact" />
        <p className="muted">Record who this visitor is. An email that already belongs to a contact links that contact instead.</p>
        <NewContactFields errors={errors?.fields} suggested={suggested} />
        <FormMessage result={create.data} intent="create-contact" />
        <button type="submit" className="button button--small" disabled={create.state !== "idle"}>
          {create.state !== "idle" ? "Creating…" : "Create contact"}
        </button>
      </create.Form>

      <Form method="get" action={`/inbox/${encodeURIComponent(conversationId)}`} className="contact-search" role="search" aria-label="Find a contact to link">
        {Object.entries(listFilter).map(([key, value]) => (
          <input key={key} type="hidden" name={key} value={value} />
        ))}
        <label htmlFor={`contact-search-${conversationId}`}>Or link an existing contact</label>
        <div className="contact-search__row">
          <input id={`contact-search-${conversationId}`} type="search" name="contactSearch" defaultValue={contactSearch} placeholder="Name, email or phone" />
          <button type="submit" className="button button--secondary button--small">
            Find
          </button>
        </div>
      </Form>
      {contactResults !== null ? (
        contactResults.length === 0 ? (
          <p className="muted">No contact matches “{contactSearch}”.</p>
        ) : (
          <ul className="contact-results" aria-label="Contacts found">
            {contactResults.map((c) => (
              <li key={c.id}>
                <span>
                  <strong>{c.name ?? c.email ?? c.phone}</strong>
                  {c.name && c.email ? <span className="muted"> · {c.email}</span> : null}
                </span>
                <link.Form method="post" action={`/inbox/${encodeURIComponent(conversationId)}`}>
                  <CsrfInput />
                  <input type="hidden" name="intent" value="link-contact" />
                  <input type="hidden" name="contactId" value={c.id} />
                  <button type="submit" className="button button--secondary button--small" aria-label={`Link ${c.name ?? c.email ?? c.phone}`}>
                    Link
                  </button>
                </link.Form>
              </li>
            ))}
          </ul>
        )
      ) : null}
      <FormMessage result={link.data} intent="link-contact" />
    </>
  );
}

/** Who owns the contact, and a form to change it (a handoff to "the contact's owner" goes to them). */
function OwnerForm({ conversationId, contact, owners, viewerId }: { conversationId: string; contact: Contact; owners: ReadonlyArray<OwnerOption>; viewerId: string }) {
  const change = useFetcher<ThreadActionResult>({ key: `set-owner:${conversationId}` });
  const errors = errorsOf(change.data, "set-owner");
  return (
    <change.Form method="post" action={`/inbox/${encodeURIComponent(conversationId)}`} className="form form--compact owner-form" aria-label="Contact owner">
      <CsrfInput />
      <input type="hidden" name="intent" value="set-owner" />
      <OwnerSelect owner={contact.owner} owners={owners} viewerId={viewerId} error={errors?.fields.ownerId} />
      <FormMessage result={change.data} intent="set-owner" />
      <button type="submit" className="button button--secondary button--small" disabled={change.state !== "idle"}>
        {change.state !== "idle" ? "Saving…" : "Save owner"}
      </button>
    </change.Form>
  );
}

/** The contact's known properties, and a form to edit them. */
function ContactDetails({
  conversationId,
  contact,
  owners,
  viewerId,
}: {
  conversationId: string;
  contact: Contact;
  owners: ReadonlyArray<OwnerOption>;
  viewerId: string;
}) {
  const update = useFetcher<ThreadActionResult>({ key: `update-contact:${conversationId}` });
  const [editing, setEditing] = useState(false);
  const errors = errorsOf(update.data, "update-contact");
  useEffect(() => {
    if (update.state === "idle" && update.data?.ok && update.data.intent === "update-contact") setEditing(false);
  }, [update.state, update.data]);
  const properties = Object.entries(contact.properties);
  if (!editing) {
    return (
      <>
        <dl className="facts">
          <div>
            <dt>Name</dt>
            <dd>{contact.name ?? "—"}</dd>
          </div>
          <div>
            <dt>Email</dt>
            <dd>{contact.email ? <a href={`mailto:${contact.email}`}>{contact.email}</a> : "—"}</dd>
          </div>
          <div>
            <dt>Phone</dt>
            <dd>{contact.phone ? <a href={`tel:${contact.phone}`}>{contact.phone}</a> : "—"}</dd>
          </div>
          {properties.map(([key, value]) => (
            <div key={key}>
              <dt>{key}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </dl>
        <FormMessage result={update.data} intent="update-contact" />
        <div className="form__actions">
          <button type="button" className="button button--secondary button--small" onClick={() => setEditing(true)}>
            Edit contact
          </button>
          <Link to={`/contacts/${encodeURIComponent(contact.id)}`} className="button button--secondary button--small">
            Open contact
          </Link>
        </div>
        <OwnerForm conversationId={conversationId} contact={contact} owners={owners} viewerId={viewerId} />
      </>
    );
  }
  return (
    <update.Form method="post" action={`/inbox/${encodeURIComponent(conversationId)}`} className="form form--compact" aria-label="Edit contact" noValidate>
      <CsrfInput />
      <input type="hidden" name="intent" value="update-contact" />
      <ContactEditFields contact={contact} errors={errors ? { ...errors.fields, ...(errors.conflict && !errors.fields.email ? { email: errors.error } : {}) } : undefined} />
      <FormMessage result={update.data} intent="update-contact" />
      <div className="form__actions">
        <button type="submit" className="button button--small" disabled={update.state !== "idle"}>
          {update.state !== "idle" ? "Saving…" : "Save contact"}
        </button>
        <button type="button" className="button button--secondary button--small" onClick={() => setEditing(false)}>
          Cancel
        </button>
      </div>
    </update.Form>
  );
}

/** The contact's lists and whether they receive email, read-only (the contact's page changes them). */
function ListsSection({ memberships, consent }: { memberships: ReadonlyArray<ContactMembership>; consent: EmailConsent | null }) {
  return (
    <section className="panel-section" aria-labelledby="lists-title">
      <h3 id="lists-title">Lists</h3>
      <p className={memberships.length === 0 ? "muted" : undefined}>{memberships.length === 0 ? "Not on any list." : memberships.map((m) => m.name).join(", ")}</p>
      <p className="muted">Email: {consent === null ? "never asked" : consent.status === "subscribed" ? "subscribed" : "unsubscribed"}</p>
    </section>
  );
}

/** The contact's earlier conversations and tickets, linked. */
function HistorySection({
  history,
  currentId,
  listFilter,
  now,
}: {
  history: ContactHistory;
  currentId: string;
  listFilter: Readonly<Record<string, string>>;
  now: number;
}) {
  const earlier = history.conversations.filter((c) => c.id !== currentId);
  return (
    <>
      <section className="panel-section" aria-labelledby="earlier-title">
        <h3 id="earlier-title">Earlier conversations</h3>
        {earlier.length === 0 ? (
          <p className="muted">None yet.</p>
        ) : (
          <ul className="history-list">
            {earlier.map((c) => (
              <li key={c.id}>
                <Link to={threadHref(c.id, listFilter)}>
                  <span className="history-list__line">
                    <span className="tag">{statusLabels[c.status]}</span> <Time at={c.createdAt} now={now} style="full" />
                  </span>
                  <span className="history-list__preview">{c.preview ?? `${c.channelName} · ${c.inboxName}`}</span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="panel-section" aria-labelledby="tickets-title">
        <h3 id="tickets-title">Tickets</h3>
        <ContactTickets tickets={history.tickets} empty="None yet." />
      </section>
    </>
  );
}

/** Creating a ticket from the conversation: the description starts as an excerpt of the transcript. */
function TicketForm({ conversationId, draft }: { conversationId: string; draft: { readonly subject: string; readonly description: string } }) {
  const create = useFetcher<ThreadActionResult>({ key: `create-ticket:${conversationId}` });
  const [open, setOpen] = useState(false);
  const errors = errorsOf(create.data, "create-ticket");
  const created = create.data?.ok && create.data.intent === "create-ticket" ? create.data.ticket : undefined;
  const subjectId = useId();
  const descriptionId = useId();
  const priorityId = useId();
  const statusId = useId();
  useEffect(() => {
    if (created) setOpen(false);
  }, [created]);
  return (
    <section className="panel-section" aria-labelledby={`${subjectId}-title`}>
      <h3 id={`${subjectId}-title`}>New ticket</h3>
      {created ? (
        <p className="notice notice--success" role="status">
          Ticket created: <Link to={`/tickets/${encodeURIComponent(created.id)}`}>{created.subject}</Link>
        </p>
      ) : null}
      {!open ? (
        <button type="button" className="button button--secondary button--small" onClick={() => setOpen(true)}>
          Create ticket
        </button>
      ) : (
        <create.Form method="post" action={`/inbox/${encodeURIComponent(conversationId)}`} className="form form--compact" aria-label="Create a ticket" noValidate>
          <CsrfInput />
          <input type="hidden" name="intent" value="create-ticket" />
          <div className={errors?.fields.subject ? "field field--invalid" : "field"}>
            <label htmlFor={subjectId}>Subject</label>
            <input id={subjectId} name="subject" defaultValue={draft.subject} maxLength={200} aria-invalid={errors?.fields.subject ? true : undefined} />
            <FieldError message={errors?.fields.subject} />
          </div>
          <div className={errors?.fields.description ? "field field--invalid" : "field"}>
            <label htmlFor={descriptionId}>Description</label>
            <textarea id={descriptionId} name="description" rows={7} defaultValue={draft.description} />
            <FieldError message={errors?.fields.description} />
          </div>
          <div className="form--row">
            <div className="field">
              <label htmlFor={priorityId}>Priority</label>
              <select id={priorityId} name="priority" defaultValue="normal">
                {ticketPriorityOrder.map((p) => (
                  <option key={p} value={p}>
                    {ticketPriorityLabels[p]}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor={statusId}>Status</label>
              <select id={statusId} name="status" defaultValue="new">
                {ticketStatusOrder.map((s) => (
                  <option key={s} value={s}>
                    {ticketStatusLabels[s]}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <FormMessage result={create.data} intent="create-ticket" />
          <div className="form__actions">
            <button type="submit" className="button button--small" disabled={create.state !== "idle"}>
              {create.state !== "idle" ? "Creating…" : "Create ticket"}
            </button>
            <button type="button" className="button button--secondary button--small" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </create.Form>
      )}
    </section>
  );
}

/** The right pane: visitor facts, the contact (create / link / edit), their history, a new ticket. */
export function ContactPanel({
  conversationId,
  visitor,
  startedOn,
  channelKind,
  contact,
  history,
  suggested,
  contactSearch,
  contactResults,
  ticketDraft,
  listFilter,
  owners,
  lists,
  viewerId,
  now,
  transcripts,
}: {
  conversationId: string;
  visitor: VisitorFacts | null;
  startedOn: string | null;
  /** The conversation's channel kind (chat, form, email, messenger). */
  channelKind: string;
  contact: Contact | null;
  history: ContactHistory | null;
  suggested: { readonly email?: string; readonly name?: string; readonly phone?: string };
  contactSearch: string;
  contactResults: ReadonlyArray<Contact> | null;
  ticketDraft: { readonly subject: string; readonly description: string };
  listFilter: Readonly<Record<string, string>>;
  /** Who may own the contact (for the owner picker). */
  owners: ReadonlyArray<OwnerOption>;
  /** The contact's lists and email consent (read-only here; changed on the contact's page). */
  lists: { readonly memberships: ReadonlyArray<ContactMembership>; readonly consent: EmailConsent | null } | null;
  viewerId: string;
  now: number;
  /** A chat's "Email transcript" section (transcript-control.tsx), beside the ticket form: not in the thread, where it would take the transcript's height on a phone. */
  transcripts?: ReactNode;
}) {
  return (
    <aside className="contact-panel" aria-label="Contact and visitor">
      <section className="panel-section" aria-labelledby="contact-title">
        <h3 id="contact-title">Contact</h3>
        {contact ? (
          <ContactDetails key={`${contact.id}:${contact.updatedAt}`} conversationId={conversationId} contact={contact} owners={owners} viewerId={viewerId} />
        ) : (
          <NoContact
            conversationId={conversationId}
            suggested={suggested}
            contactSearch={contactSearch}
            contactResults={contactResults}
            listFilter={listFilter}
          />
        )}
      </section>
      {lists ? <ListsSection memberships={lists.memberships} consent={lists.consent} /> : null}
      <VisitorSection visitor={visitor} startedOn={startedOn} channelKind={channelKind} now={now} />
      {history ? <HistorySection history={history} currentId={conversationId} listFilter={listFilter} now={now} /> : null}
      {transcripts}
      <TicketForm conversationId={conversationId} draft={ticketDraft} />
    </aside>
  );
}
