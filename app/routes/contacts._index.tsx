/**
 * /contacts — the people the team knows, most recently active first: searched by name, email or
 * phone, filtered by owner (everyone's, mine, none, or one person's) and by list, paged like the tickets
 * list; imported from a CSV file (/contacts/import) and exported with the filters shown (/contacts/export.csv). A GET form, so every view is a shareable URL that works without JavaScript. POST creates
 * a contact (name, email, phone — the phone normalised to E.164); its creator owns it, and an
 * email another contact has is refused under the email field.
 */
import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSubmit } from "@remix-run/react";
import { Effect } from "effect";
import { contactLabel, NewContactFields } from "../components/contacts/contact-fields.js";
import { newContactInput } from "../components/contacts/contact-form.server.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { FilterTabs, listHref, ListCard } from "../components/list-page.js";
import inboxStyles from "../components/inbox/inbox.css?url";
import { Time, useNow } from "../components/inbox/time.js";
import { SavedNotice } from "../components/settings/notices.js";
import { CreateCard } from "../components/settings/page-parts.js";
import { fieldErrors } from "../forms.js";
import { access } from "../roles.js";
import { attempt, ContactLists, Contacts, run } from "../runtime.server.js";
import { requireUser, takeNotice } from "../session.server.js";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: inboxStyles }];
export const meta: MetaFunction = () => [{ title: "Contacts · Parley" }];

const KEYS = ["owner", "list", "search", "cursor"] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const params = new URL(request.url).searchParams;
  const filter: Record<string, string> = {};
  for (const key of KEYS) {
    const value = params.get(key);
    if (value !== null && value.trim() !== "") filter[key] = value;
  }
  const { list, owners, lists } = await run(
    context,
    Effect.gen(function* () {
      const contacts = yield* Contacts;
      const lists = yield* ContactLists;
      return { list: yield* contacts.list(user, filter), owners: yield* contacts.owners(user), lists: yield* lists.all(user) };
    }),
  );
  // Left by the contact page after an erasure, shown once.
  const { notice, headers } = await takeNotice(request, context);
  return data({ list, owners, lists, filter, viewerId: user.id, now: Date.now(), notice }, { headers });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const form = await request.formData();
  const result = await attempt(context, Effect.flatMap(Contacts, (contacts) => contacts.create(user, newContactInput(form))));
  if (!result.ok) {
    const errors = fieldErrors(result.error);
    // A taken email is about the email field.
    if (result.status === 409) {
      errors.email = result.error.message;
      delete errors.form;
    }
    return data({ ok: false as const, errors, created: null }, { status: result.status });
  }
  const created = { id: result.value.id, label: contactLabel(result.value) };
  return data({ ok: true as const, errors: {} as Record<string, string>, created }, { status: 201 });
}

const searchOf = (filter: Readonly<Record<string, string>>, changes: Record<string, string | undefined>) => listHref(KEYS, filter, changes);

export default function ContactsPage() {
  const { list, owners, lists, filter, viewerId, now: loadedAt, notice } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const submit = useSubmit();
  const now = useNow(loadedAt);
  const owner = filter.owner ?? "";
  const tabs: ReadonlyArray<{ value: string; label: string }> = [
    { value: "", label: "Everyone's" },
    { value: "me", label: "My contacts" },
    { value: "none", label: "No owner" },
  ];
  const exportSearch = listHref(["owner", "list", "search"], filter, {});
  const creating = navigation.state === "submitting" && navigation.formMethod?.toUpperCase() === "POST";
  return (
    <>
      <header className="page-header">
        <h1>Contacts</h1>
        <p className="lead">
          The people your team knows, most recently active first. <Link to="/inbox">Back to the inbox</Link>
        </p>
        <p className="page-actions">
          <a className="button button--secondary button--small" href="#new-contact-title">
            New contact
          </a>
          <Link className="button button--secondary button--small" to="/contacts/import">
            Import
          </Link>
          {/* The export takes the filters shown, not the page: every contact they select. */}
          <a className="button button--secondary button--small" href={`/contacts/export.csv${exportSearch}`} download>
            Export CSV
          </a>
        </p>
      </header>
<SavedNotice show={notice !== null}>{notice}</SavedNotice>
      <FilterTabs label="Contact owner" tabs={tabs} current={owner} hrefOf={(value) => searchOf(filter, { owner: value })} />
      <Form method="get" className="ticket-filters" role="search" aria-label="Filter contacts">
        <div className="field">
          <label htmlFor="contact-search">Search</label>
          <input id="contact-search" type="search" name="search" defaultValue={filter.search ?? ""} placeholder="Name, email or phone" />
        </div>
        <div className="field">
          <label htmlFor="contact-owner">Owner</label>
          <select id="contact-owner" name="owner" defaultValue={owner} onChange={(e) => submit(e.currentTarget.form)}>
            <option value="">Anyone</option>
            <option value="me">My contacts</option>
            <option value="none">No owner</option>
            {owners.map((o) => (
              <option key={o.id} value={o.id}>
                {o.id === viewerId ? `${o.name} (you)` : o.name}
              </option>
            ))}
          </select>
        </div>
        {lists.length > 0 ? (
          <div className="field">
            <label htmlFor="contact-list">List</label>
            <select id="contact-list" name="list" defaultValue={filter.list ?? ""} onChange={(e) => submit(e.currentTarget.form)}>
              <option value="">Any list</option>
              {lists.map((l) => (
                <option key={l.id} value={l.id}>
                  {l.name} ({l.memberCount})
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <button type="submit" className="button button--secondary">
          Search
        </button>
      </Form>
      <ListCard
        label="Contacts"
        empty="No contacts match these filters."
        isEmpty={list.contacts.length === 0}
        older={list.nextCursor ? { to: searchOf(filter, { cursor: list.nextCursor }), label: "Older contacts" } : null}
      >
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Phone</th>
              <th scope="col">Owner</th>
              <th scope="col">Last activity</th>
            </tr>
          </thead>
          <tbody>
            {list.contacts.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link to={`/contacts/${encodeURIComponent(c.id)}`}>{contactLabel(c)}</Link>
                </td>
                <td>{c.email ?? <span className="muted">—</span>}</td>
                <td>{c.phone ?? <span className="muted">—</span>}</td>
                <td>
                  {c.owner ? (
                    `${c.owner.id === viewerId ? `${c.owner.name} (you)` : c.owner.name}${c.owner.disabled ? " (disabled)" : ""}`
                  ) : (
                    <span className="muted">No owner</span>
                  )}
                </td>
                <td>
                  <Time at={c.lastActivityAt} now={now} style="full" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ListCard>
      <SavedNotice show={result?.ok === true && result.created !== null}>
        Created <Link to={`/contacts/${encodeURIComponent(result?.created?.id ?? "")}`}>{result?.created?.label}</Link>.
      </SavedNotice>
      {/* Re-mounted after each contact created, which empties the form; a refused one keeps what was typed. */}
      <CreateCard key={result?.created?.id ?? "new"} id="new-contact" title="New contact" error={result?.errors.form} busy={creating} submitLabel="Create contact">
        <NewContactFields errors={result?.ok === false ? result.errors : undefined} />
      </CreateCard>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
