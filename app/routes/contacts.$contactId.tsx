/**
 * /contacts/:id — one contact: their properties (POST `intent=update`, with the contact panel's
 * rules: an emptied field clears it, an email another contact has is refused under the email
 * field and nothing is saved), their owner (`intent=owner`), and their conversations and tickets
 * in the inboxes the viewer may open, each linked. For whoever may use the inbox.
 */
import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { contactLabel, ContactEditFields, ContactTickets, OwnerSelect } from "../components/contacts/contact-fields.js";
import { contactUpdateInput, ownerInput } from "../components/contacts/contact-form.server.js";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import inboxStyles from "../components/inbox/inbox.css?url";
import ticketStyles from "../components/tickets/tickets.css?url";
import { statusLabels } from "../components/inbox/labels.js";
import { Time, useNow } from "../components/inbox/time.js";
import { ErrorNotice, SavedNotice, SubmitActions } from "../components/settings/notices.js";
import { DetailHeader } from "../components/settings/page-parts.js";
import { fieldErrors } from "../forms.js";
import { access } from "../roles.js";
import { attempt, Contacts, run } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: inboxStyles },
  { rel: "stylesheet", href: ticketStyles },
];
export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data ? contactLabel(data.contact) : "Contact"} · Contacts · Parley` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const contactId = params.contactId ?? "";
  const loaded = await run(
    context,
    Effect.gen(function* () {
      const contacts = yield* Contacts;
      const contact = yield* contacts.get(contactId);
      return { contact, history: yield* contacts.history(user, contactId), owners: yield* contacts.owners(user) };
    }),
  );
  return { ...loaded, viewerId: user.id, now: Date.now() };
}

const INTENTS = ["update", "owner"] as const;
type Intent = (typeof INTENTS)[number];

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const form = await request.formData();
  const intent = form.get("intent");
  const refuse = (status: number, errors: Record<string, string>, which: Intent | null = intent as Intent) =>
    data({ ok: false as const, intent: which, errors }, { status });
  if (!INTENTS.includes(intent as Intent)) return refuse(400, { intent: `unknown intent “${String(intent)}”: expected ${INTENTS.join(", ")}` }, null);
  const contactId = params.contactId ?? "";
  let change: Effect.Effect<unknown, unknown, Contacts>;
  if (intent === "update") {
    const read = contactUpdateInput(form);
    if (!read.ok) return refuse(400, { [read.field]: read.message });
    change = Effect.flatMap(Contacts, (c) => c.update(user, contactId, read.input));
  } else {
    const owner = ownerInput(form);
    if (owner === undefined) return refuse(400, { ownerId: "pick an owner, or none" });
    change = Effect.flatMap(Contacts, (c) => c.setOwner(user, contactId, owner));
  }
  const result = await attempt(context, change);
  if (!result.ok) {
    const errors = fieldErrors(result.error);
    // A taken email is about the email field.
    if (result.status === 409) {
      errors.email = result.error.message;
      delete errors.form;
    }
    return refuse(result.status, errors);
  }
  return { ok: true as const, intent: intent as Intent, errors: {} as Record<string, string> };
}

export default function ContactPage() {
  const { contact, history, owners, viewerId, now: loadedAt } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const now = useNow(loadedAt);
  const submitting = navigation.state === "submitting" ? (navigation.formData?.get("intent") as Intent | null) : null;
  const resultFor = (intent: Intent) => (result?.intent === intent ? result : undefined);
  const errorsFor = (intent: Intent) => {
    const r = resultFor(intent);
    return r && !r.ok ? r.errors : undefined;
  };
  const owner = contact.owner;
  return (
    <>
      <DetailHeader back={{ to: "/contacts", label: "Contacts" }} title={contactLabel(contact)}>
        {owner ? `Owned by ${owner.id === viewerId ? "you" : owner.name}${owner.disabled ? " (disabled)" : ""}` : "No owner"} · Added{" "}
        <Time at={contact.createdAt} now={now} style="full" />
      </DetailHeader>

      <section className="card" aria-labelledby="contact-owner">
        <h2 id="contact-owner">Owner</h2>
        <p className="muted">The person who looks after this contact. A chatflow's handoff to “the contact's owner” goes to them when they are available.</p>
        <SavedNotice show={resultFor("owner")?.ok === true}>Owner saved.</SavedNotice>
        <ErrorNotice message={errorsFor("owner")?.form} />
        <Form method="post" className="ticket-assign" aria-label="Change the owner">
          <input type="hidden" name="intent" value="owner" />
          <CsrfInput />
          <OwnerSelect owner={owner} owners={owners} viewerId={viewerId} error={errorsFor("owner")?.ownerId} />
          <button type="submit" className="button button--secondary" disabled={submitting === "owner"}>
            {submitting === "owner" ? "Saving…" : "Save owner"}
          </button>
        </Form>
      </section>

      <section className="card" aria-labelledby="contact-details">
        <h2 id="contact-details">Details</h2>
        <SavedNotice show={resultFor("update")?.ok === true}>Contact saved.</SavedNotice>
        <ErrorNotice message={errorsFor("update")?.form} />
        {/* Re-mounted after each save, so the fields show what is stored; a refused save keeps what was typed. */}
        <Form method="post" className="form form--grid" aria-label="Edit contact" noValidate key={contact.updatedAt}>
          <input type="hidden" name="intent" value="update" />
          <CsrfInput />
          <ContactEditFields contact={contact} errors={errorsFor("update")} />
          <SubmitActions busy={submitting === "update"} label="Save contact" />
        </Form>
      </section>

      <section className="card" aria-labelledby="contact-conversations">
        <h2 id="contact-conversations">Conversations</h2>
        {history.conversations.length === 0 ? (
          <p className="muted">No conversations in your inboxes.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Last message</th>
                <th scope="col">Status</th>
                <th scope="col">Channel</th>
                <th scope="col">When</th>
              </tr>
            </thead>
            <tbody>
              {history.conversations.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Link to={`/inbox/${encodeURIComponent(c.id)}`}>{c.preview ?? "(no messages yet)"}</Link>
                  </td>
                  <td>
                    <span className="tag">{statusLabels[c.status]}</span>
                  </td>
                  <td>
                    {c.channelName} <span className="muted">· {c.inboxName}</span>
                  </td>
                  <td>
                    <Time at={c.lastMessageAt ?? c.createdAt} now={now} style="full" />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section className="card" aria-labelledby="contact-tickets">
        <h2 id="contact-tickets">Tickets</h2>
        <ContactTickets tickets={history.tickets} empty="No tickets in your inboxes." />
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
