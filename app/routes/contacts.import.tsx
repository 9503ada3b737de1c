/**
 * /contacts/import — contacts from a CSV file, in three steps: upload (multipart, at most 5 MB and
 * 10,000 rows), a preview with each column's mapping (guessed from the header names) and the
 * options (what to do with a contact that exists, an owner for the new ones, a list, the
 * country of phone numbers written without one), then the import and its result: counts, the
 * rejected rows with their line, column and message, and their CSV. The rows stay on the server
 * between the steps (ContactCsv keeps them under a random id for the uploader, an hour at most);
 * the page carries only that id, in its URL. Guarded like /contacts.
 */
import { data, redirect, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { getCountries } from "libphonenumber-js";
import { importErrors, importInput, readImportForm, TOO_LARGE_MESSAGE, uploadedFile, uploadTooLarge } from "../components/contacts/contact-import.server.js";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field, FieldError } from "../components/field.js";
import inboxStyles from "../components/inbox/inbox.css?url";
import { capitalise } from "../components/messages.js";
import { ErrorNotice, SubmitActions } from "../components/settings/notices.js";
import { DetailHeader } from "../components/settings/page-parts.js";
import { fieldErrors } from "../forms.js";
import { access } from "../roles.js";
import {
  attempt,
  ContactCsv,
  ContactLists,
  Contacts,
  MAX_IMPORT_ROWS,
  run,
  type ImportPreview,
  type ImportResult,
} from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: inboxStyles }];
export const meta: MetaFunction = () => [{ title: "Import contacts · Contacts · Parley" }];

/** Every country libphonenumber-js knows, by its English name (built on the server, so both renders agree). */
const countryOptions = () => {
  const names = new Intl.DisplayNames(["en"], { type: "region" });
  return getCountries()
    .map((code) => ({ code: code as string, name: names.of(code) ?? code }))
    .sort((a, b) => a.name.localeCompare(b.name, "en"));
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const id = new URL(request.url).searchParams.get("id") ?? "";
  if (id === "") return { preview: null, expired: false, owners: [], lists: [], countries: [], maxRows: MAX_IMPORT_ROWS };
  const found = await attempt(context, Effect.flatMap(ContactCsv, (csv) => csv.preview(user, id)));
  // Someone else's, imported, or older than an hour: the same answer, and the way on is to upload again.
  if (!found.ok && found.status === 404) return { preview: null, expired: true, owners: [], lists: [], countries: [], maxRows: MAX_IMPORT_ROWS };
  if (!found.ok) throw new Response(found.error.message, { status: found.status });
  const { owners, lists } = await run(
    context,
    Effect.gen(function* () {
      return { owners: yield* (yield* Contacts).owners(user), lists: yield* (yield* ContactLists).all(user) };
    }),
  );
  return { preview: found.value, expired: false, owners, lists, countries: countryOptions(), maxRows: MAX_IMPORT_ROWS };
}

type ActionResult = { step: "upload" | "import"; errors: Record<string, string>; result: ImportResult | null };

export async function action({ request, context }: ActionFunctionArgs) {
  // Before anything reads the body (the CSRF check reads it whole).
  const tooLarge = uploadTooLarge(request);
  if (tooLarge) return tooLarge;
  const { user } = await requireUser(request, context, access.inbox);
  const read = await readImportForm(request);
  if (!read.ok) return data<ActionResult>({ step: "upload", errors: { ...read.errors }, result: null }, { status: read.status });
  const file = await uploadedFile(read.form);
  if (file !== null) {
    if (!file.ok) return data<ActionResult>({ step: "upload", errors: { ...file.errors }, result: null }, { status: file.status });
    const uploaded = await attempt(context, Effect.flatMap(ContactCsv, (csv) => csv.upload(user, { name: file.name, bytes: file.bytes })));
    if (!uploaded.ok) {
      const errors = uploaded.status === 413 ? { file: TOO_LARGE_MESSAGE } : fieldErrors(uploaded.error);
      return data<ActionResult>({ step: "upload", errors, result: null }, { status: uploaded.status });
    }
    return redirect(`/contacts/import?id=${encodeURIComponent(uploaded.value.id)}`);
  }
  const form = read.form;
  const imported = await attempt(context, Effect.flatMap(ContactCsv, (csv) => csv.run(user, importInput(form))));
  if (!imported.ok) {
    const errors =
      imported.status === 404 ? { form: "This upload has expired or was imported already: upload the file again." } : importErrors(imported.error);
    return data<ActionResult>({ step: "import", errors, result: null }, { status: imported.status });
  }
  return data<ActionResult>({ step: "import", errors: {}, result: imported.value });
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString("en")} ${n === 1 ? one : many}`;

export default function ImportContactsPage() {
  const { preview, expired, owners, lists, countries, maxRows } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const result = answer?.result ?? null;
  const step = result ? 3 : preview ? 2 : 1;
  const titles = { 1: "upload a CSV file", 2: "map the columns", 3: "done" } as const;
  return (
    <>
      <DetailHeader back={{ to: "/contacts", label: "Contacts" }} title="Import contacts">
        Step {step} of 3: {titles[step]}.
      </DetailHeader>
      {result ? (
        <ImportDone result={result} />
      ) : preview ? (
        <MappingStep preview={preview} owners={owners} lists={lists} countries={countries} errors={answer?.errors ?? {}} />
      ) : (
        <UploadStep maxRows={maxRows} errors={answer?.errors ?? (expired ? { form: "This upload has expired or was imported already: upload the file again." } : {})} />
      )}
    </>
  );
}

function ConsentNote() {
  return (
    <p className="muted">
      An import never records consent to receive email: that has to come from the person (for example through a bot&rsquo;s subscription step), not
      from a file.
    </p>
  );
}

function UploadStep({ errors, maxRows }: { errors: Readonly<Record<string, string>>; maxRows: number }) {
  const navigation = useNavigation();
  return (
    <section className="card" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload a CSV file</h2>
      <p>
        A header row, then one contact per row: UTF-8 (with or without a byte-order mark), separated by commas or semicolons, at most 5 MB and{" "}
        {maxRows.toLocaleString("en")} rows. Nothing is imported until you have checked the columns.
      </p>
      <ConsentNote />
      <ErrorNotice message={errors.form} />
      <Form method="post" encType="multipart/form-data" className="form form--grid" noValidate>
        <CsrfInput />
        <Field id="import-file" label="CSV file" {...(errors.file ? { error: errors.file } : {})}>
          {(props) => <input {...props} type="file" name="file" accept=".csv,text/csv,text/plain" required />}
        </Field>
        <SubmitActions busy={navigation.state === "submitting"} label="Upload and preview" busyLabel="Reading the file…" />
      </Form>
    </section>
  );
}

const FIELD_LABELS: ReadonlyArray<readonly [string, string]> = [
  ["ignore", "Ignore this column"],
  ["name", "Name"],
  ["first_name", "First name (joined to the last name)"],
  ["last_name", "Last name"],
  ["email", "Email"],
  ["phone", "Phone"],
];

const POLICIES: ReadonlyArray<readonly [string, string, string]> = [
  ["skip", "Skip it", "the contact stays as it is"],
  ["fill", "Fill its empty fields", "only what the contact does not have yet"],
  ["overwrite", "Overwrite", "every value the row has replaces the contact's; empty cells change nothing"],
];

function MappingStep({
  preview,
  owners,
  lists,
  countries,
  errors,
}: {
  preview: ImportPreview;
  owners: ReadonlyArray<{ id: string; name: string }>;
  lists: ReadonlyArray<{ id: string; name: string }>;
  countries: ReadonlyArray<{ code: string; name: string }>;
  errors: Readonly<Record<string, string>>;
}) {
  const navigation = useNavigation();
  const example = (i: number) => preview.sample.map((row) => row.cells[i] ?? "").find((cell) => cell.trim() !== "");
  return (
    <>
      <section className="card" aria-labelledby="preview-title">
        <h2 id="preview-title">{preview.fileName}</h2>
        <p>
          {plural(preview.rowCount, "row", "rows")}, separated by {preview.delimiter === ";" ? "semicolons" : "commas"}. The first{" "}
          {Math.min(preview.sample.length, preview.rowCount)}:
        </p>
        <table className="table">
          <caption className="visually-hidden">The first rows of the file</caption>
          <thead>
            <tr>
              <th scope="col">Line</th>
              {preview.headers.map((h, i) => (
                <th key={i} scope="col">
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {preview.sample.map((row) => (
              <tr key={row.line}>
                <td>{row.line}</td>
                {preview.headers.map((_, i) => (
                  <td key={i}>{row.cells[i] ?? ""}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="card" aria-labelledby="mapping-title">
        <h2 id="mapping-title">Where each column goes</h2>
        {preview.stopped ? (
          <p className="notice" role="status">
            An import of this file stopped after {preview.stopped.done} of {plural(preview.stopped.total, "valid row", "valid rows")}. Importing
            again goes on from there, with the columns and the choice for existing contacts it began with; the rows already in are not
            imported twice.
          </p>
        ) : null}
        <ErrorNotice message={errors.form ?? errors.mapping ?? errors.id} />
        <Form method="post" className="form form--grid" noValidate>
          <CsrfInput />
          <input type="hidden" name="id" value={preview.id} />
          <input type="hidden" name="columns" value={preview.headers.length} />
          {preview.headers.map((header, i) => {
            const sample = example(i);
            return (
              <Field
                key={i}
                id={`mapping-${i}`}
                label={`Column “${header}”`}
                {...(sample !== undefined ? { hint: `e.g. ${sample.length > 60 ? `${sample.slice(0, 60)}…` : sample}` } : {})}
                {...(errors[`mapping[${i}]`] ? { error: errors[`mapping[${i}]`] } : {})}
              >
                {(props) => (
                  <select {...props} name={`mapping.${i}`} defaultValue={preview.guesses[i] ?? "ignore"}>
                    {FIELD_LABELS.map(([value, label]) => (
                      <option key={value} value={value}>
                        {label}
                      </option>
                    ))}
                    {preview.properties.length > 0 ? (
                      <optgroup label="Contact property">
                        {preview.properties.map((p) => (
                          <option key={p} value={`property:${p}`}>
                            {p}
                          </option>
                        ))}
                      </optgroup>
                    ) : null}
                  </select>
                )}
              </Field>
            );
          })}
          <div className="form__section">
            <h3>Options</h3>
            <fieldset className="choices">
              <legend>When the email (or, without one, the phone) already belongs to a contact</legend>
              {POLICIES.map(([value, label, hint]) => (
                <label key={value} className="choice">
                  <input type="radio" name="onDuplicate" value={value} defaultChecked={value === "skip"} />
                  <span>
                    <strong>{label}</strong> <span className="muted">{hint}</span>
                  </span>
                </label>
              ))}
              <FieldError message={errors.onDuplicate} />
            </fieldset>
            <Field
              id="import-country"
              label="Country of phone numbers without a country code"
              hint="Numbers like 030 1234567 are read as this country's; with none, every number needs its +code."
              {...(errors.defaultCountry ? { error: errors.defaultCountry } : {})}
            >
              {(props) => (
                <select {...props} name="defaultCountry" defaultValue="">
                  <option value="">None: numbers have their country code</option>
                  {countries.map((c) => (
                    <option key={c.code} value={c.code}>
                      {c.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field id="import-owner" label="Owner of new contacts" {...(errors.ownerId ? { error: errors.ownerId } : {})}>
              {(props) => (
                <select {...props} name="ownerId" defaultValue="">
                  <option value="">No owner</option>
                  {owners.map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {lists.length > 0 ? (
              <Field
                id="import-list"
                label="Add every imported contact to a list"
                hint="Contacts that already exist join it too, whichever choice you made above."
                {...(errors.listId ? { error: errors.listId } : {})}
              >
                {(props) => (
                  <select {...props} name="listId" defaultValue="">
                    <option value="">No list</option>
                    {lists.map((l) => (
                      <option key={l.id} value={l.id}>
                        {l.name}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            ) : null}
            <ConsentNote />
          </div>
          <SubmitActions busy={navigation.state === "submitting"} label={`Import ${plural(preview.rowCount, "row", "rows")}`} busyLabel="Importing…">
            <Link to="/contacts/import" className="button button--secondary">
              Upload another file
            </Link>
          </SubmitActions>
        </Form>
      </section>
    </>
  );
}

function ImportDone({ result }: { result: ImportResult }) {
  const counts: ReadonlyArray<readonly [string, number]> = [
    ["Created", result.created],
    ["Updated", result.updated],
    ["Skipped", result.skipped],
    ["Rejected", result.rejected],
  ];
  const listedRows = new Set(result.errors.map((e) => e.line)).size;
  return (
    <>
      <section className="card" aria-labelledby="result-title">
        <h2 id="result-title">Imported</h2>
        <p className="notice notice--success" role="status">
          {counts.map(([label, n]) => `${label}: ${n.toLocaleString("en")}`).join(" · ")}
          {result.listed > 0 ? ` · Added to the list: ${result.listed.toLocaleString("en")}` : ""}
        </p>
        <table className="table">
          <caption className="visually-hidden">What the import did</caption>
          <tbody>
            {counts.map(([label, n]) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                <td>{n.toLocaleString("en")}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p>
          <Link to="/contacts">See the contacts</Link> · <Link to="/contacts/import">Import another file</Link>
        </p>
      </section>
      {result.rejected > 0 ? (
        <section className="card" aria-labelledby="rejected-title">
          <h2 id="rejected-title">Rejected rows</h2>
          <p>
            These rows were not imported.{" "}
            <a href={`/contacts/import/${encodeURIComponent(result.id)}/rejected.csv`} download>
              Download the rejected rows (CSV)
            </a>{" "}
            with an &ldquo;error&rdquo; column, fix them and import that file. The download is kept for an hour.
            {result.rejected > listedRows ? ` The first ${listedRows} of them are listed here.` : ""}
          </p>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Line</th>
                <th scope="col">Column</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {result.errors.map((e, i) => (
                <tr key={i}>
                  <td>{e.line}</td>
                  <td>{e.column ?? <span className="muted">the row</span>}</td>
                  <td>{capitalise(e.message)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
