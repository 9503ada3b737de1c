/**
 * /contacts/:id — one contact: their properties (POST `intent=update`, with the contact panel's
 * rules: an emptied field clears it, an email another contact has is refused under the email
 * field and nothing is saved), their owner (`intent=owner`), and their conversations and tickets
 * in the inboxes the viewer may open, each linked; the lists they are on (`intent=list-add`,
 * `intent=list-remove`, field `listId`) and their email subscription with its consent record
 * (`intent=unsubscribe` records that they asked for no more email). For whoever may use the inbox.
 * Possible duplicates link to the merge page (/contacts/:id/merge); a contact merged away sends
 * its visitors on to the contact it went into. Admins download the contact's data
 * (/contacts/:id/data.json) and erase it (`intent=erase`, field `confirm`: the name or email typed).
 */
import { data, redirect, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { contactLabel, ContactEditFields, ContactTickets, OwnerSelect } from "../components/contacts/contact-fields.js";
import { contactUpdateInput, ownerInput } from "../components/contacts/contact-form.server.js";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field } from "../components/field.js";
import inboxStyles from "../components/inbox/inbox.css?url";
import ticketStyles from "../components/tickets/tickets.css?url";
import { statusLabels } from "../components/inbox/labels.js";
import { Time, useNow } from "../components/inbox/time.js";
import { ErrorNotice, SavedNotice, SubmitActions } from "../components/settings/notices.js";
import { DetailHeader } from "../components/settings/page-parts.js";
import { fieldErrors } from "../forms.js";
import { access, isAllowed, personalDataAdmins } from "../roles.js";
import { attempt, ContactLists, ContactMerge, ContactPrivacy, Contacts, run, type DuplicateReason } from "../runtime.server.js";
import { redirectWithNotice, requireUser, takeNotice } from "../session.server.js";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: inboxStyles },
  { rel: "stylesheet", href: ticketStyles },
];
export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data ? contactLabel(data.contact) : "Contact"} · Contacts · Parley` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const contactId = params.contactId ?? "";
  // A contact merged into another one: its old address leads to the contact it went into.
  const keptId = await run(
    context,
    Effect.gen(function* () {
      const exists = yield* Effect.either((yield* Contacts).get(contactId));
      return exists._tag === "Right" ? null : yield* (yield* ContactMerge).mergedInto(contactId);
    }),
  );
  if (keptId !== null) throw redirect(`/contacts/${encodeURIComponent(keptId)}`);
  const loaded = await run(
    context,
    Effect.gen(function* () {
      const contacts = yield* Contacts;
      const contact = yield* contacts.get(contactId);
      const lists = yield* ContactLists;
      return {
        contact,
        history: yield* contacts.history(user, contactId),
        owners: yield* contacts.owners(user),
        memberships: yield* lists.of(contactId),
        allLists: yield* lists.all(user),
        consent: yield* lists.consentOf(contactId),
        duplicates: yield* (yield* ContactMerge).duplicates(user, contactId),
      };
    }),
  );
  // Left by the merge page, shown once.
  const { notice, headers } = await takeNotice(request, context);
  return data({ ...loaded, viewerId: user.id, now: Date.now(), managesData: isAllowed(user.role, personalDataAdmins), notice }, { headers });
}

const INTENTS = ["update", "owner", "list-add", "list-remove", "unsubscribe", "erase"] as const;
type Intent = (typeof INTENTS)[number];

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const form = await request.formData();
  const intent = form.get("intent");
  // A contact merged or erased since this page loaded (another tab, a teammate) is the only 404
  // here: say so in words, not "contact contact_… was not found".
  const refuse = (status: number, errors: Record<string, string>, which: Intent | null = intent as Intent) =>
    data(
      { ok: false as const, intent: which, errors: status === 404 ? { form: "This contact no longer exists: it was merged or erased meanwhile. Go back to Contacts to find them." } : errors },
      { status },
    );
  if (!INTENTS.includes(intent as Intent)) return refuse(400, { intent: `unknown intent “${String(intent)}”: expected ${INTENTS.join(", ")}` }, null);
  const contactId = params.contactId ?? "";
  let change: Effect.Effect<unknown, unknown, Contacts | ContactLists>;
  const listId = form.get("listId");
  if (intent === "erase") {
    const confirm = form.get("confirm");
    const erased = await attempt(context, Effect.flatMap(ContactPrivacy, (p) => p.erase(user, contactId, { confirm: typeof confirm === "string" ? confirm : undefined })));
    if (!erased.ok) return refuse(erased.status, fieldErrors(erased.error));
    const kept = erased.value.conversations;
    return redirectWithNotice(
      request,
      context,
      "/contacts",
      `Contact and their data deleted${kept ? `; ${kept} conversation${kept === 1 ? "" : "s"} kept without their words, for the reports` : ""}.`,
    );
  }
  if (intent === "list-add" || intent === "list-remove") {
    const input = { listId: typeof listId === "string" ? listId : "" };
    change = Effect.flatMap(ContactLists, (l) => (intent === "list-add" ? l.addContact(user, contactId, input) : l.removeContact(user, contactId, input)));
  } else if (intent === "unsubscribe") {
    change = Effect.flatMap(ContactLists, (l) => l.unsubscribe(user, contactId));
  } else if (intent === "update") {
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
  const { contact, history, owners, memberships, allLists, consent, viewerId, now: loadedAt, duplicates, managesData, notice } = useLoaderData<typeof loader>();
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
  const addable = allLists.filter((l) => !memberships.some((m) => m.listId === l.id));
  return (
    <>
      <DetailHeader back={{ to: "/contacts", label: "Contacts" }} title={contactLabel(contact)}>
        {owner ? `Owned by ${owner.id === viewerId ? "you" : owner.name}${owner.disabled ? " (disabled)" : ""}` : "No owner"} · Added{" "}
        <Time at={contact.createdAt} now={now} style="full" />
      </DetailHeader>
      <SavedNotice show={notice !== null}>{notice}</SavedNotice>

      <section className="card" aria-labelledby="contact-duplicates">
        <h2 id="contact-duplicates">{duplicates.length > 0 ? "Possible duplicates" : "Duplicates"}</h2>
        {duplicates.length > 0 ? (
          <ul className="contact-lists" aria-label="Possible duplicates">
            {duplicates.map((d) => (
              <li key={d.contact.id}>
                <Link to={`/contacts/${encodeURIComponent(d.contact.id)}`}>{contactLabel(d.contact)}</Link>{" "}
                <span className="muted">· {d.reasons.map((r) => duplicateReasons[r]).join(", ")}</span>{" "}
                <Link className="button button--secondary button--small" to={`/contacts/${encodeURIComponent(contact.id)}/merge?with=${encodeURIComponent(d.contact.id)}`}>
                  Review merge<span className="visually-hidden"> of {contactLabel(d.contact)}</span>
                </Link>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">No other contact has the same email (or mailbox), phone, or name and company or email domain.</p>
        )}
        <p>
          <Link className="button button--secondary" to={`/contacts/${encodeURIComponent(contact.id)}/merge`}>
            Merge…
          </Link>
        </p>
      </section>

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

      <section className="card" aria-labelledby="contact-lists">
        <h2 id="contact-lists">Lists</h2>
        <SavedNotice show={resultFor("list-add")?.ok === true || resultFor("list-remove")?.ok === true}>Lists saved.</SavedNotice>
        <ErrorNotice message={errorsFor("list-add")?.form ?? errorsFor("list-remove")?.form ?? errorsFor("list-remove")?.listId} />
        {memberships.length === 0 ? (
          <p className="muted">Not on any list.</p>
        ) : (
          <ul className="contact-lists" aria-label="Lists this contact is on">
            {memberships.map((m) => (
              <li key={m.listId}>
                <Link to={`/contacts?list=${encodeURIComponent(m.listId)}`}>{m.name}</Link>{" "}
                <span className="muted">
                  · added {m.source === "bot" ? "by a chatflow" : m.source === "import" ? "by an import" : "by the team"} <Time at={m.addedAt} now={now} style="full" />
                  {m.conversationId ? (
                    <>
                      {" "}
                      in <Link to={`/inbox/${encodeURIComponent(m.conversationId)}`}>a conversation</Link>
                    </>
                  ) : null}
                </span>{" "}
                <Form method="post" className="contact-lists__remove" aria-label={`Take off ${m.name}`}>
                  <input type="hidden" name="intent" value="list-remove" />
                  <input type="hidden" name="listId" value={m.listId} />
                  <CsrfInput />
                  <button type="submit" className="button button--secondary button--small" disabled={submitting === "list-remove"}>
                    Remove<span className="visually-hidden"> from {m.name}</span>
                  </button>
                </Form>
              </li>
            ))}
          </ul>
        )}
        {allLists.length === 0 ? (
          <p className="muted">
            There are no lists yet. <Link to="/lists">Lists</Link> are made by admins and marketers.
          </p>
        ) : addable.length > 0 ? (
          <Form method="post" className="ticket-assign" aria-label="Add to a list">
            <input type="hidden" name="intent" value="list-add" />
            <CsrfInput />
            <Field id="contact-list-add" label="Add to list" {...(errorsFor("list-add")?.listId ? { error: errorsFor("list-add")!.listId! } : {})}>
              {(props) => (
                <select {...props} name="listId" defaultValue="">
                  <option value="" disabled>
                    Pick a list
                  </option>
                  {addable.map((l) => (
                    <option key={l.id} value={l.id}>
                      {l.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <button type="submit" className="button button--secondary" disabled={submitting === "list-add"}>
              {submitting === "list-add" ? "Adding…" : "Add"}
            </button>
          </Form>
        ) : null}
      </section>

      <section className="card" aria-labelledby="contact-consent">
        <h2 id="contact-consent">Email subscription</h2>
        <SavedNotice show={resultFor("unsubscribe")?.ok === true}>Recorded: no more email to this contact.</SavedNotice>
        <ErrorNotice message={errorsFor("unsubscribe")?.form} />
        {consent === null ? (
          <p className="muted">Never asked: this contact has not agreed to receive email.</p>
        ) : (
          <dl className="contact-consent">
            <dt>Status</dt>
            <dd>{consent.status === "subscribed" ? "Subscribed" : "Unsubscribed"}</dd>
            {consent.subscribedAt !== null ? (
              <>
                <dt>Agreed</dt>
                <dd>
                  <Time at={consent.subscribedAt} now={now} style="full" />
                  {consent.email ? ` for ${consent.email}` : ""}
                  {consent.conversationId ? (
                    <>
                      {" "}
                      in <Link to={`/inbox/${encodeURIComponent(consent.conversationId)}`}>this conversation</Link>
                    </>
                  ) : null}
                </dd>
                <dt>Text agreed to</dt>
                <dd>
                  <q>{consent.consentText}</q>
                </dd>
              </>
            ) : null}
            {consent.unsubscribedAt !== null ? (
              <>
                <dt>Unsubscribed</dt>
                <dd>
                  <Time at={consent.unsubscribedAt} now={now} style="full" />
                </dd>
              </>
            ) : null}
          </dl>
        )}
        {consent?.status === "subscribed" ? (
          <Form method="post" aria-label="Unsubscribe">
            <input type="hidden" name="intent" value="unsubscribe" />
            <CsrfInput />
            <button type="submit" className="button button--secondary" disabled={submitting === "unsubscribe"}>
              Record an unsubscription
            </button>
          </Form>
        ) : null}
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

      {managesData ? (
        <section className="card" aria-labelledby="contact-personal-data">
          <h2 id="contact-personal-data">Personal data</h2>
          <p className="muted">
            When this person asks for their data, or asks to be forgotten. The download holds their details, lists, consent, visitors,
            conversations (without the team's internal comments), tickets and the names of their files.
          </p>
          <p>
            <a className="button button--secondary" href={`/contacts/${encodeURIComponent(contact.id)}/data.json`} download>
              Download data
            </a>
          </p>
          <ErrorNotice message={errorsFor("erase")?.form} />
          <Form method="post" className="contact-erase" aria-label="Delete contact and their data" noValidate>
            <input type="hidden" name="intent" value="erase" />
            <CsrfInput />
            <Field
              id="contact-erase-confirm"
              label={`Type “${confirmWord(contact)}” to confirm`}
              hint="Deletes the contact, their visitors' identities, the text and files of their messages and their list memberships. Conversations stay, without their words, so reports keep their counts. This cannot be undone."
              {...(errorsFor("erase")?.confirm ? { error: errorsFor("erase")!.confirm! } : {})}
            >
              {(props) => <input {...props} name="confirm" autoComplete="off" />}
            </Field>
            <button type="submit" className="button button--danger" disabled={submitting === "erase"}>
              {submitting === "erase" ? "Deleting…" : "Delete contact and their data"}
            </button>
          </Form>
        </section>
      ) : null}
    </>
  );
}

const duplicateReasons: Readonly<Record<DuplicateReason, string>> = {
  email: "same email",
  phone: "same phone",
  name_company: "same name and company",
  name_domain: "same name and email domain",
};

/** What the erase form asks to type: the name, else the email, else the phone (any of name and email is accepted). */
const confirmWord = (contact: { name: string | null; email: string | null; phone: string | null }) => contact.name ?? contact.email ?? contact.phone ?? "";

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
