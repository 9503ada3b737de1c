/**
 * /contacts/:id/merge — merge a duplicate into this contact, in three steps: find the other
 * contact (`?q=`, the contacts search; the page's possible duplicates are offered first), see
 * what moves (`?with=<id>`: conversations, tickets, visitors and their identities, lists, email
 * consent, owner, the fields this contact lacks — and which of its own values win), then confirm
 * (POST `otherId`). The other contact is deleted and its old address leads here. For whoever may
 * use the inbox (admins and agents), like the contact page.
 */
import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import type { ReactNode } from "react";
import { contactLabel } from "../components/contacts/contact-fields.js";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field } from "../components/field.js";
import inboxStyles from "../components/inbox/inbox.css?url";
import { ErrorNotice } from "../components/settings/notices.js";
import { DetailHeader } from "../components/settings/page-parts.js";
import { fieldErrors } from "../forms.js";
import { access } from "../roles.js";
import { attempt, ContactMerge, Contacts, run, type MergePlan } from "../runtime.server.js";
import { redirectWithNotice, requireUser } from "../session.server.js";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: inboxStyles }];
export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Merge into ${data ? contactLabel(data.contact) : "contact"} · Contacts · Parley` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const contactId = params.contactId ?? "";
  const url = new URL(request.url);
  const q = (url.searchParams.get("q") ?? "").slice(0, 200);
  const withId = url.searchParams.get("with") ?? "";
  const { contact, found, duplicates } = await run(
    context,
    Effect.gen(function* () {
      const contacts = yield* Contacts;
      const contact = yield* contacts.get(contactId);
      const found = q.trim() === "" ? [] : (yield* contacts.search(user, q, 20)).filter((c) => c.id !== contactId);
      const duplicates = yield* (yield* ContactMerge).duplicates(user, contactId);
      return { contact, found, duplicates };
    }),
  );
  let plan: MergePlan | null = null;
  let planError: string | null = null;
  if (withId !== "") {
    const previewed = await attempt(context, Effect.flatMap(ContactMerge, (m) => m.preview(user, contactId, { otherId: withId })));
    if (previewed.ok) plan = previewed.value;
    else planError = fieldErrors(previewed.error).otherId ?? previewed.error.message;
  }
  return { contact, q, found, duplicates, plan, planError };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const contactId = params.contactId ?? "";
  const form = await request.formData();
  const otherId = form.get("otherId");
  const merged = await attempt(context, Effect.flatMap(ContactMerge, (m) => m.merge(user, contactId, { otherId: typeof otherId === "string" ? otherId : undefined })));
  if (!merged.ok) {
    const errors = fieldErrors(merged.error);
    return data({ error: errors.otherId ?? errors.form ?? merged.error.message }, { status: merged.status });
  }
  return redirectWithNotice(request, context, `/contacts/${encodeURIComponent(contactId)}`, `Merged ${contactLabel(merged.value.other)} into this contact.`);
}

const shown = (value: string | null) => (value === null || value === "" ? "—" : value);
const fieldName = (field: string) => (field.startsWith("properties.") ? field.slice("properties.".length) : field);

/** A table of fields (a property by its name) and their values, under a heading; nothing when empty. */
function FieldTable({ title, label, columns, rows }: { title: string; label: string; columns: ReadonlyArray<string>; rows: ReadonlyArray<{ field: string; cells: ReadonlyArray<ReactNode> }> }) {
  if (rows.length === 0) return null;
  return (
    <>
      <h3>{title}</h3>
      {/* Focusable: on a phone the table scrolls sideways inside its card, by keyboard too. */}
      <table className="table" tabIndex={0} aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Field</th>
            {columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.field}>
              <td>{fieldName(r.field)}</td>
              {r.cells.map((cell, i) => (
                <td key={i}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Plan({ plan }: { plan: MergePlan }) {
  const keptName = contactLabel(plan.kept);
  const moves: string[] = [
    `${plan.conversations} conversation${plan.conversations === 1 ? "" : "s"}`,
    `${plan.tickets} ticket${plan.tickets === 1 ? "" : "s"}`,
    `${plan.visitors} visitor${plan.visitors === 1 ? "" : "s"} (with ${plan.identities} email, Messenger or phone link${plan.identities === 1 ? "" : "s"})`,
  ];
  return (
    <>
      <h3>What moves to {keptName}</h3>
      <ul aria-label="What moves">
        {moves.map((m) => (
          <li key={m}>{m}</li>
        ))}
        <li>{plan.lists.length === 0 ? "No lists to add" : `Lists: ${plan.lists.join(", ")}`}</li>
        <li>
          Email subscription after the merge:{" "}
          {plan.consent.status === null ? "never asked" : plan.consent.status === "subscribed" ? "subscribed" : "unsubscribed"}
          {plan.consent.status !== null ? (plan.consent.fromOther ? ` (from ${contactLabel(plan.other)})` : " (as it is now)") : ""}. An
          unsubscription is never turned into a subscription.
        </li>
        {plan.ownerTaken !== null ? <li>Owner: {plan.ownerTaken} (this contact has none)</li> : null}
      </ul>
      <FieldTable
        title="Fields this contact takes"
        label="Fields this contact takes"
        columns={["Value"]}
        rows={plan.taken.map((t) => ({ field: t.field, cells: [t.other] }))}
      />
      <FieldTable
        title={`Fields both have: ${keptName}'s values win`}
        label="Fields both have"
        columns={["Kept", "Dropped"]}
        rows={plan.keptOver.map((t) => ({ field: t.field, cells: [shown(t.kept), <s key="other">{t.other}</s>] }))}
      />
      {plan.dropped.length > 0 ? <p className="muted">Properties that do not fit (a contact has at most 50): {plan.dropped.join(", ")}</p> : null}
    </>
  );
}

export default function MergeContact() {
  const { contact, q, found, duplicates, plan, planError } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const self = `/contacts/${encodeURIComponent(contact.id)}`;
  const candidates = [
    ...duplicates.map((d) => d.contact),
    ...found.filter((c) => !duplicates.some((d) => d.contact.id === c.id)),
  ];
  return (
    <>
      <DetailHeader back={{ to: self, label: contactLabel(contact) }} title={`Merge into ${contactLabel(contact)}`}>
        Pick the duplicate. {contactLabel(contact)} is kept and takes the other's conversations, tickets, visitors, lists and what it lacks; the other
        contact is deleted.
      </DetailHeader>

      <section className="card" aria-labelledby="merge-find">
        <h2 id="merge-find">Find the other contact</h2>
        <Form method="get" className="ticket-assign" role="search" aria-label="Search contacts">
          <Field id="merge-q" label="Name, email or phone">
            {(props) => <input {...props} type="search" name="q" defaultValue={q} maxLength={200} />}
          </Field>
          <button type="submit" className="button button--secondary">
            Search
          </button>
        </Form>
        {candidates.length === 0 ? (
          <p className="muted">{q.trim() === "" ? "Search for the contact to merge into this one." : "No other contact matches."}</p>
        ) : (
          <ul className="contact-lists" aria-label="Contacts to merge">
            {candidates.map((c) => (
              <li key={c.id}>
                <Link to={`?${new URLSearchParams({ ...(q ? { q } : {}), with: c.id }).toString()}`} aria-label={`Preview merging ${contactLabel(c)}`}>
                  {contactLabel(c)}
                </Link>{" "}
                <span className="muted">{[c.email, c.phone].filter(Boolean).join(" · ")}</span>
                {duplicates.some((d) => d.contact.id === c.id) ? <span className="tag">possible duplicate</span> : null}
              </li>
            ))}
          </ul>
        )}
      </section>

      {plan || planError ? (
        <section className="card" aria-labelledby="merge-preview">
          <h2 id="merge-preview">{plan ? `Merge ${contactLabel(plan.other)} into ${contactLabel(plan.kept)}` : "Merge"}</h2>
          <ErrorNotice message={planError ?? result?.error} />
          {plan ? (
            <>
              <Plan plan={plan} />
              <Form method="post" aria-label="Confirm the merge">
                <input type="hidden" name="otherId" value={plan.other.id} />
                <CsrfInput />
                <button type="submit" className="button button--danger" disabled={navigation.state === "submitting"}>
                  {navigation.state === "submitting" ? "Merging…" : `Merge and delete ${contactLabel(plan.other)}`}
                </button>{" "}
                <Link to={self}>Cancel</Link>
              </Form>
            </>
          ) : null}
        </section>
      ) : result?.error ? (
        <ErrorNotice message={result.error} />
      ) : null}
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
