/**
 * /settings/macros (admins and agents) — saved replies that also act. Everyone in the inbox sees
 * the shared macros and their own; admins keep the shared ones, each agent their own personal
 * ones. A macro's actions are rows of one select each (kind and target in its value), so the
 * form works without JavaScript; an error at `actions[i]…` shows on its row.
 */
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field, FieldError } from "../components/field.js";
import { actionsFromForm, rowErrors, rowOf, type MacroRow } from "../components/settings/macro-form.js";
import { ErrorNotice, SaveDeleteActions, SavedNotice, SubmitActions } from "../components/settings/notices.js";
import { fieldErrors, formValues } from "../forms.js";
import { access } from "../roles.js";
import { attempt, InboxService, Macros, MAX_MACRO_ACTIONS, run } from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Macros · Settings · Parley" }];

interface Choice {
  readonly value: string;
  readonly label: string;
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const { macros, options } = await run(
    context,
    Effect.all({ macros: Effect.flatMap(Macros, (m) => m.list(user)), options: Effect.flatMap(InboxService, (i) => i.options(user)) }),
  );
  const groups: ReadonlyArray<{ readonly label: string; readonly choices: ReadonlyArray<Choice> }> = [
    { label: "Add a label", choices: options.labels.map((l) => ({ value: `add-label:${l.id}`, label: `Add label ${l.name}` })) },
    { label: "Remove a label", choices: options.labels.map((l) => ({ value: `remove-label:${l.id}`, label: `Remove label ${l.name}` })) },
    {
      label: "Assign",
      choices: [...options.people.map((p) => ({ value: `assign:${p.id}`, label: `Assign to ${p.name}` })), { value: "unassign", label: "Unassign" }],
    },
    { label: "Assign to a team", choices: options.teams.map((t) => ({ value: `assign-team:${t.id}`, label: `Assign to team ${t.name}` })) },
    {
      label: "Status",
      choices: [
        { value: "set-status:open", label: "Set status to open" },
        { value: "set-status:pending", label: "Mark pending" },
        { value: "set-status:closed", label: "Close the conversation" },
      ],
    },
    {
      label: "Snooze",
      choices: [
        { value: "snooze:hour", label: "Snooze for 1 hour" },
        { value: "snooze:tomorrow", label: "Snooze until tomorrow 09:00" },
        { value: "snooze:monday", label: "Snooze until next Monday 09:00" },
      ],
    },
    { label: "Comment", choices: [{ value: "comment", label: "Add an internal comment (its text beside)" }] },
  ];
  return {
    isAdmin: user.role === "admin",
    maxActions: MAX_MACRO_ACTIONS,
    groups,
    macros: macros.map((m) => ({
      id: m.id,
      name: m.name,
      text: m.text ?? "",
      visibility: m.visibility,
      canEdit: m.canEdit,
      steps: m.steps,
      rows: m.actions.map(rowOf),
      // Each action's own line (a deleted label's row says so instead of showing blank).
      rowLabels: m.steps.slice(m.text !== null ? 1 : 0),
    })),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.inbox);
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "");
  const id = String(form.get("id") ?? "");
  const values = formValues(form, ["name", "text", "visibility"]);
  const { actions, rows, rowOfAction } = actionsFromForm(form);
  const input = { ...values, actions };
  const result =
    intent === "create"
      ? await attempt(context, Effect.flatMap(Macros, (m) => m.create(user, input)))
      : intent === "update"
        ? await attempt(context, Effect.flatMap(Macros, (m) => m.update(user, id, input)))
        : intent === "delete"
          ? await attempt(context, Effect.flatMap(Macros, (m) => m.remove(user, id)))
          : null;
  if (result === null) {
    const message = `unknown intent “${intent}”: expected create, update or delete`;
    return data({ intent, id, saved: false, errors: { form: message } as Record<string, string>, rowErrors: {}, values, rows }, { status: 400 });
  }
  if (!result.ok) {
    // Deleted in another tab or by a teammate since this page loaded: say so, not "macro macro_… was not found".
    const errors: Record<string, string> = result.status === 404 ? { form: "This macro no longer exists: it was deleted meanwhile. Reload the page to see the macros as they are." } : fieldErrors(result.error);
    const byRow = rowErrors(result.error.issues ?? [], rowOfAction);
    // A list-wide issue (too many actions) stays on the list; a row's, on its row.
    if (errors.actions !== undefined && Object.keys(byRow).length > 0) delete errors.actions;
    return data({ intent, id, saved: false, errors, rowErrors: byRow, values, rows }, { status: result.status });
  }
  return { intent, id, saved: true, errors: {} as Record<string, string>, rowErrors: {} as Record<number, string>, values: null, rows: null };
}

type LoaderData = ReturnType<typeof useLoaderData<typeof loader>>;

function ActionRow({ prefix, index, row, groups, fallbackLabel, error }: {
  prefix: string;
  index: number;
  row: MacroRow;
  groups: LoaderData["groups"];
  /** The row's line when its value is no longer among the choices (a deleted label). */
  fallbackLabel: string | undefined;
  error: string | undefined;
}) {
  const known = row.action === "" || groups.some((g) => g.choices.some((c) => c.value === row.action));
  const selectId = `${prefix}-action-${index}`;
  const commentId = `${prefix}-comment-${index}`;
  return (
    <li className={error ? "macro-row field--invalid" : "macro-row"}>
      <label htmlFor={selectId}>Action {index + 1}</label>
      <select id={selectId} name="action" defaultValue={row.action} aria-invalid={error ? true : undefined} aria-describedby={error ? `${selectId}-error` : undefined}>
        <option value="">— No action —</option>
        {known ? null : <option value={row.action}>{fallbackLabel ?? row.action} (no longer available)</option>}
        {groups.map((group) =>
          group.choices.length === 0 ? null : (
            <optgroup key={group.label} label={group.label}>
              {group.choices.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </optgroup>
          ),
        )}
      </select>
      <span className="macro-row__comment">
        <label htmlFor={commentId}>Comment text</label>
        <input id={commentId} name="comment" defaultValue={row.comment} autoComplete="off" />
      </span>
      {error ? <FieldError id={`${selectId}-error`} message={error} /> : null}
    </li>
  );
}

function MacroFields({ prefix, isAdmin, maxActions, groups, values, rows, rowLabels, errors, byRow }: {
  prefix: string;
  isAdmin: boolean;
  maxActions: number;
  groups: LoaderData["groups"];
  values: Readonly<Record<string, string>>;
  rows: ReadonlyArray<MacroRow>;
  rowLabels: ReadonlyArray<string>;
  errors: Readonly<Record<string, string>>;
  byRow: Readonly<Record<number, string>>;
}) {
  // Room for a few more actions; save to get more rows.
  const shown = Math.min(maxActions, Math.max(rows.length + 2, 3));
  const allRows = Array.from({ length: Math.max(shown, rows.length) }, (_, i) => rows[i] ?? { action: "", comment: "" });
  const visibility = values.visibility ?? (isAdmin ? "shared" : "personal");
  return (
    <>
      <Field id={`${prefix}-name`} label="Name" error={errors.name}>
        {(props) => <input {...props} name="name" defaultValue={values.name ?? ""} autoComplete="off" />}
      </Field>
      <Field id={`${prefix}-text`} label="Reply (optional)" error={errors.text} hint="Sent to the visitor first, the way the composer sends, before any action runs.">
        {(props) => <textarea {...props} name="text" rows={3} defaultValue={values.text ?? ""} />}
      </Field>
      {isAdmin ? (
        <fieldset className="choices">
          <legend>Who can use it</legend>
          <label className="choice">
            <input type="radio" name="visibility" value="shared" defaultChecked={visibility === "shared"} /> Everyone in the inbox (shared)
          </label>
          <label className="choice">
            <input type="radio" name="visibility" value="personal" defaultChecked={visibility === "personal"} /> Only me (personal)
          </label>
          <FieldError message={errors.visibility} />
        </fieldset>
      ) : (
        <>
          <input type="hidden" name="visibility" value="personal" />
          <p className="field__hint">Only you see and run your macros. Admins add the shared ones.</p>
        </>
      )}
      <fieldset className="macro-actions">
        <legend>Actions, in order</legend>
        <FieldError message={errors.actions} />
        <ol className="macro-actions__list">
          {allRows.map((row, i) => (
            <ActionRow key={i} prefix={prefix} index={i} row={row} groups={groups} fallbackLabel={rowLabels[i]} error={byRow[i]} />
          ))}
        </ol>
        <p className="field__hint">Leave a row on “No action” to skip it. Need more rows? Save: {maxActions} actions at most.</p>
      </fieldset>
    </>
  );
}

export default function MacrosSettings() {
  const { isAdmin, maxActions, groups, macros } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const failedCreate = result?.intent === "create" && !result.saved ? result : null;
  return (
    <>
      <header className="page-header">
        <h1>Macros</h1>
        <p className="lead">
          A reply and a few actions in one go: label, assign, set the status, snooze, comment. In a conversation, open <strong>Macros</strong> (or
          press <kbd>m</kbd>) and run one.
        </p>
      </header>
      <SavedNotice show={result?.saved === true}>{result?.intent === "delete" ? "The macro is deleted." : "The macro is saved."}</SavedNotice>
      <section className="card" aria-labelledby="macros-title">
        <h2 id="macros-title">Macros ({macros.length})</h2>
        {macros.length === 0 ? <p className="muted">None yet. Add the first one below.</p> : null}
        {macros.map((macro) => {
          const mine = result?.id === macro.id && !result.saved ? result : null;
          return (
            <details key={macro.id} className="saved-reply" open={mine !== null}>
              <summary>
                <strong>{macro.name}</strong> — {macro.visibility === "shared" ? "shared" : "personal"}
              </summary>
              <p className="muted">{macro.steps.length > 0 ? macro.steps.join(" · ") : "Does nothing yet."}</p>
              {macro.canEdit ? (
                <Form method="post" className="form">
                  <CsrfInput />
                  <input type="hidden" name="id" value={macro.id} />
                  <ErrorNotice message={mine?.errors.form} />
                  <MacroFields
                    prefix={macro.id}
                    isAdmin={isAdmin}
                    maxActions={maxActions}
                    groups={groups}
                    values={mine?.values ?? { name: macro.name, text: macro.text, visibility: macro.visibility }}
                    rows={mine?.rows ?? macro.rows}
                    rowLabels={macro.rowLabels}
                    errors={mine?.errors ?? {}}
                    byRow={mine?.rowErrors ?? {}}
                  />
                  <SaveDeleteActions busy={busy} />
                </Form>
              ) : (
                <p className="field__hint">Shared by an admin: only admins change it.</p>
              )}
            </details>
          );
        })}
      </section>
      <section className="card" aria-labelledby="new-macro-title">
        <h2 id="new-macro-title">Add a macro</h2>
        <ErrorNotice message={failedCreate?.errors.form} />
        <Form method="post" className="form" key={result?.intent === "create" && result.saved ? `saved-${macros.length}` : "new"}>
          <CsrfInput />
          <input type="hidden" name="intent" value="create" />
          <MacroFields
            prefix="new"
            isAdmin={isAdmin}
            maxActions={maxActions}
            groups={groups}
            values={failedCreate?.values ?? {}}
            rows={failedCreate?.rows ?? []}
            rowLabels={[]}
            errors={failedCreate?.errors ?? {}}
            byRow={failedCreate?.rowErrors ?? {}}
          />
          <SubmitActions busy={busy} label="Add macro" busyLabel="Adding…" />
        </Form>
      </section>
    </>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
