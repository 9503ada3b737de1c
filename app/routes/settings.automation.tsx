/**
 * /settings/automation (admins) — automation rules: "when <trigger>, if <conditions>, then
 * <actions>", run in order by a background pass within about a second of the event
 * (docs/inbox.md, docs/decisions/035-automation-rules.md). The list with each rule's enable
 * toggle, Up / Down, its last run and last error, its recent runs, and its edit form; then "Add a rule".
 * A time trigger ("pending for", "the visitor has waited for", "nobody assigned for") takes a wait: a number and a unit.
 * Conditions and actions are rows of one select each (kind and target in its value) plus a
 * text field, as on the macros page, so every form works without JavaScript; an error at
 * `conditions[i]…` / `actions[i]…` shows on its row.
 */
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import type { ReactNode } from "react";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Time } from "../components/inbox/time.js";
import {
  actionRowOf,
  conditionRowOf,
  conditionsFromForm,
  ruleActionsFromForm,
  TEXT_ACTIONS,
  TEXT_CONDITIONS,
  waitFromForm,
} from "../components/settings/automation-form.js";
import { rowErrors, type MacroRow } from "../components/settings/macro-form.js";
import { ErrorNotice, SaveDeleteActions, SavedNotice, SubmitActions } from "../components/settings/notices.js";
import { Field, FieldError } from "../components/field.js";
import { fieldErrors, formValues } from "../forms.js";
import { access } from "../roles.js";
import {
  attempt,
  Automation,
  AUTOMATION_TRIGGER_LABELS,
  AUTOMATION_TRIGGERS,
  CHANNEL_KINDS,
  InboxService,
  isTimeTrigger,
  MAX_RULE_ACTIONS,
  MAX_RULE_CONDITIONS,
  MISSED_TARGETS,
  run,
  SavedReplies,
  TIME_TRIGGER_PHRASES,
  WAIT_UNITS,
  waitWords,
  type AutomationRule,
  type AutomationRun,
  type RuleAction,
  type RuleCondition,
  type RulePreview,
} from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const meta: MetaFunction = () => [{ title: "Automation · Settings · Parley" }];

interface Choice {
  readonly value: string;
  readonly label: string;
}
interface Group {
  readonly label: string;
  readonly choices: ReadonlyArray<Choice>;
}

const SNOOZES: ReadonlyArray<readonly [number, string]> = [
  [60, "1 hour"],
  [240, "4 hours"],
  [1440, "1 day"],
  [4320, "3 days"],
  [10080, "1 week"],
];
const kindWords: Readonly<Record<string, string>> = { chat: "Chat", email: "Email", messenger: "Messenger", form: "Form" };
const missedWords: Readonly<Record<(typeof MISSED_TARGETS)[number], string>> = {
  first_response: "The first response target was missed",
  next_reply: "The next reply target was missed",
};
/** Runs shown under each rule (the service keeps more). */
const RUNS_SHOWN = 5;

/** The rule's trigger for its line: the trigger's words, with a time trigger's wait. Pure. */
const triggerLine = (rule: Pick<AutomationRule, "trigger" | "wait">): string => {
  const words = isTimeTrigger(rule.trigger) && rule.wait !== null ? `${TIME_TRIGGER_PHRASES[rule.trigger]} ${waitWords(rule.wait)}` : AUTOMATION_TRIGGER_LABELS[rule.trigger];
  return words.charAt(0).toLowerCase() + words.slice(1);
};

/** What a run did, in words: done, or the actions' errors. Pure. */
const runWords = (r: AutomationRun): string => (r.outcome === "done" ? "Done" : `Failed: ${r.error ?? "an action failed"}`);

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context, access.settings);
  const { rules, runs, options, replies } = await run(
    context,
    Effect.all({
      rules: Effect.flatMap(Automation, (a) => a.list(user)),
      runs: Effect.flatMap(Automation, (a) => a.recentRuns(user, RUNS_SHOWN)),
      options: Effect.flatMap(InboxService, (i) => i.options(user)),
      replies: Effect.flatMap(SavedReplies, (s) => s.list(user)),
    }),
  );
  const each = <T extends { id: string; name: string }>(items: ReadonlyArray<T>, kind: string, label: (name: string) => string) =>
    items.map((item) => ({ value: `${kind}:${item.id}`, label: label(item.name) }));
  const conditionGroups: ReadonlyArray<Group> = [
    { label: "Inbox", choices: [...each(options.inboxes, "inbox-is", (n) => `Inbox is ${n}`), ...each(options.inboxes, "inbox-is-not", (n) => `Inbox is not ${n}`)] },
    {
      label: "Channel",
      choices: [
        ...CHANNEL_KINDS.map((k) => ({ value: `channel-kind-is:${k}`, label: `Channel kind is ${kindWords[k]}` })),
        ...each(options.channels, "channel-is", (n) => `Channel is ${n}`),
      ],
    },
    {
      label: "Text (words beside, comma-separated)",
      choices: [
        { value: "message-contains", label: "The visitor's message contains any of" },
        { value: "subject-contains", label: "The email subject contains any of" },
        { value: "page-url-contains", label: "The chat's page address contains" },
      ],
    },
    { label: "Labels", choices: [...each(options.labels, "label-present", (n) => `Has label ${n}`), ...each(options.labels, "label-absent", (n) => `Does not have label ${n}`)] },
    {
      label: "Contact",
      choices: [
        { value: "contact-known", label: "The contact is known" },
        { value: "contact-unknown", label: "The contact is unknown" },
      ],
    },
    {
      label: "Business hours",
      choices: [
        { value: "business-hours-open", label: "Within business hours" },
        { value: "business-hours-closed", label: "Outside business hours" },
      ],
    },
    { label: "Response target (“Response target missed” only)", choices: MISSED_TARGETS.map((t) => ({ value: `missed-target-is:${t}`, label: missedWords[t] })) },
  ];
  const actionGroups: ReadonlyArray<Group> = [
    { label: "Labels", choices: [...each(options.labels, "add-label", (n) => `Add label ${n}`), ...each(options.labels, "remove-label", (n) => `Remove label ${n}`)] },
    {
      label: "Assign",
      choices: [
        ...each(options.people, "assign", (n) => `Assign to ${n}`),
        ...each(options.teams, "assign-team", (n) => `Assign to team ${n}`),
        { value: "route", label: "Run the inbox's routing" },
      ],
    },
    {
      label: "Status",
      choices: [
        { value: "set-status:closed", label: "Close the conversation" },
        { value: "set-status:pending", label: "Mark pending" },
        { value: "set-status:open", label: "Set status to open" },
      ],
    },
    { label: "Snooze", choices: SNOOZES.map(([minutes, words]) => ({ value: `snooze:${minutes}`, label: `Snooze for ${words}` })) },
    { label: "Comment", choices: [{ value: "comment", label: "Add an internal comment (its text beside)" }] },
    { label: "Reply", choices: replies.map((r) => ({ value: `reply:${r.id}`, label: `Reply with “${r.title}”` })) },
  ];
  // Each row's line, from the same choices (a deleted label's row says so instead of showing blank).
  const lineOf = (groups: ReadonlyArray<Group>, row: MacroRow, missing: string) => {
    const choice = groups.flatMap((g) => g.choices).find((c) => c.value === row.action);
    const base = choice?.label ?? missing;
    return row.comment === "" ? base : `${base} “${row.comment}”`;
  };
  return {
    triggers: AUTOMATION_TRIGGERS.map((t) => ({ value: t, label: AUTOMATION_TRIGGER_LABELS[t] })),
    units: WAIT_UNITS,
    conditionGroups,
    actionGroups,
    limits: { conditions: MAX_RULE_CONDITIONS, actions: MAX_RULE_ACTIONS },
    now: Date.now(),
    rules: rules.map((rule) => {
      const conditionRows = rule.conditions.map((c: RuleCondition) => conditionRowOf(c));
      const actionRows = rule.actions.map((a: RuleAction) => actionRowOf(a));
      return {
        ...rule,
        triggerLine: triggerLine(rule),
        runs: runs.filter((r) => r.ruleId === rule.id),
        conditionRows,
        actionRows,
        conditionLines: conditionRows.map((r) => lineOf(conditionGroups, r, "(something deleted)")),
        actionLines: actionRows.map((r) => lineOf(actionGroups, r, "(something deleted)")),
      };
    }),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, access.settings);
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "");
  const id = String(form.get("id") ?? "");
  const values: Record<string, string> = {
    ...formValues(form, ["name", "trigger", "waitAmount", "waitUnit"]),
    enabled: form.get("enabled") === "on" ? "on" : "",
    waitBusinessHours: form.get("waitBusinessHours") === "on" ? "on" : "",
  };
  const { conditions, rows: conditionRows, rowOfCondition } = conditionsFromForm(form);
  const { actions, rows: actionRows, rowOfAction } = ruleActionsFromForm(form);
  const none = { conditions: {} as Record<number, string>, actions: {} as Record<number, string> };
  // "Add rows": the form again as posted, with room for more (its rows, blank ones too, plus two); nothing saved.
  if (form.get("more") === "rows") {
    return data({ intent: id === "" ? "create" : "update", id, saved: false, errors: {} as Record<string, string>, byRow: none, values, conditionRows, actionRows });
  }
  const wait = waitFromForm(isTimeTrigger(values.trigger ?? ""), values.waitAmount ?? "", values.waitUnit ?? "", values.waitBusinessHours === "on");
  const input = { name: values.name, trigger: values.trigger, ...(wait === undefined ? {} : { wait }), enabled: values.enabled === "on", conditions, actions };
  const automation = (f: (a: Effect.Effect.Success<typeof Automation>) => Effect.Effect<unknown, unknown>) => attempt(context, Effect.flatMap(Automation, f));
  // "Preview": the form again as posted, with what the rule would act on now; nothing saved.
  const previewing = form.get("more") === "preview";
  // An edit previews from where the saved rule stands: spells it already acted on are not listed again.
  const previewed = previewing ? await attempt(context, Effect.flatMap(Automation, (a) => a.preview(user, input, id === "" ? undefined : id))) : null;
  if (previewed?.ok === true) {
    return data({ intent: id === "" ? "create" : "update", id, saved: false, errors: {} as Record<string, string>, byRow: none, values, conditionRows, actionRows, preview: previewed.value });
  }
  const result =
    previewed !== null
      ? previewed
      : intent === "create"
      ? await automation((a) => a.create(user, input))
      : intent === "update"
        ? await automation((a) => a.update(user, id, input))
        : intent === "delete"
          ? await automation((a) => a.remove(user, id))
          : intent === "enable" || intent === "disable"
            ? await automation((a) => a.setEnabled(user, id, intent === "enable"))
            : intent === "up" || intent === "down"
              ? await automation((a) => a.move(user, id, intent))
              : null;
  if (result === null) {
    const message = `unknown intent “${intent}”: expected create, update, delete, enable, disable, up or down`;
    return data({ intent, id, saved: false, errors: { form: message } as Record<string, string>, byRow: none, values, conditionRows, actionRows }, { status: 400 });
  }
  if (!result.ok) {
    const errors: Record<string, string> =
      result.status === 404 ? { form: "This rule no longer exists: it was deleted meanwhile. Reload the page to see the rules as they are." } : fieldErrors(result.error);
    const issues = result.error.issues ?? [];
    const byRow = { conditions: rowErrors(issues, rowOfCondition, "conditions"), actions: rowErrors(issues, rowOfAction, "actions") };
    // A list-wide issue (no action, too many) stays on the list; a row's, on its row.
    if (Object.keys(byRow.conditions).length > 0) delete errors.conditions;
    if (Object.keys(byRow.actions).length > 0) delete errors.actions;
    // A refused preview shows its errors on the form it came from, as a refused save would.
    const on = previewing ? (id === "" ? "create" : "update") : intent;
    return data({ intent: on, id, saved: false, errors, byRow, values, conditionRows, actionRows }, { status: result.status });
  }
  return { intent, id, saved: true, errors: {} as Record<string, string>, byRow: none, values: null, conditionRows: null, actionRows: null };
}

type LoaderData = ReturnType<typeof useLoaderData<typeof loader>>;

/** What the rows of one list (conditions or actions) are made of. */
interface RowKind {
  readonly id: string;
  readonly label: string;
  readonly selectName: string;
  readonly textName: string;
  readonly textLabel: string;
  /** The select values that take the row's text. */
  readonly textKinds: ReadonlyArray<string>;
  readonly groups: ReadonlyArray<Group>;
}

/** One row: a select of kind and target, and a text field for the kinds that take text (shown by CSS only for those). */
function RuleRow({ kind, index, row, error }: { kind: RowKind; index: number; row: MacroRow; error: string | undefined }) {
  const known = row.action === "" || kind.groups.some((g) => g.choices.some((c) => c.value === row.action));
  const selectId = `${kind.id}-${index}`;
  const textId = `${kind.id}-${index}-text`;
  return (
    <li className={error ? "macro-row field--invalid" : "macro-row"}>
      <label htmlFor={selectId}>
        {kind.label} {index + 1}
      </label>
      <select id={selectId} name={kind.selectName} defaultValue={row.action} aria-invalid={error ? true : undefined} aria-describedby={error ? `${selectId}-error` : undefined}>
        <option value="">— None —</option>
        {known ? null : <option value={row.action}>(no longer available)</option>}
        {kind.groups.map((group) =>
          group.choices.length === 0 ? null : (
            <optgroup key={group.label} label={group.label}>
              {group.choices.map((c) => (
                <option key={c.value} value={c.value} data-text={kind.textKinds.includes(c.value) ? "" : undefined}>
                  {c.label}
                </option>
              ))}
            </optgroup>
          ),
        )}
      </select>
      <span className="rule-row__text">
        <label htmlFor={textId}>{kind.textLabel}</label>
        <input id={textId} name={kind.textName} defaultValue={row.comment} autoComplete="off" />
      </span>
      {error ? <FieldError id={`${selectId}-error`} message={error} /> : null}
    </li>
  );
}

/** One list of rows in its fieldset, with room for two more (up to `max`). */
function RuleRows({ legend, kind, rows, max, listError, byRow, children }: {
  legend: string;
  kind: RowKind;
  rows: ReadonlyArray<MacroRow>;
  max: number;
  listError: string | undefined;
  byRow: Readonly<Record<number, string>>;
  children?: ReactNode;
}) {
  const shown = Array.from({ length: Math.max(rows.length, Math.min(max, rows.length + 2)) }, (_, i) => rows[i] ?? { action: "", comment: "" });
  return (
    <fieldset className="macro-actions">
      <legend>{legend}</legend>
      <FieldError message={listError} />
      <ol className="macro-actions__list">
        {shown.map((row, i) => (
          <RuleRow key={i} kind={kind} index={i} row={row} error={byRow[i]} />
        ))}
      </ol>
      {children}
    </fieldset>
  );
}

function RuleFields({ prefix, loaded, values, conditionRows, actionRows, errors, byRow }: {
  prefix: string;
  loaded: LoaderData;
  values: Readonly<Record<string, string>>;
  conditionRows: ReadonlyArray<MacroRow>;
  actionRows: ReadonlyArray<MacroRow>;
  errors: Readonly<Record<string, string>>;
  byRow: { readonly conditions: Readonly<Record<number, string>>; readonly actions: Readonly<Record<number, string>> };
}) {
  const conditionKind: RowKind = {
    id: `${prefix}-condition`,
    label: "Condition",
    selectName: "condition",
    textName: "conditionText",
    textLabel: "Words",
    textKinds: TEXT_CONDITIONS,
    groups: loaded.conditionGroups,
  };
  const actionKind: RowKind = {
    id: `${prefix}-action`,
    label: "Action",
    selectName: "action",
    textName: "actionText",
    textLabel: "Comment text",
    textKinds: TEXT_ACTIONS,
    groups: loaded.actionGroups,
  };
  return (
    <>
      <Field id={`${prefix}-name`} label="Name" error={errors.name}>
        {(props) => <input {...props} name="name" defaultValue={values.name ?? ""} autoComplete="off" />}
      </Field>
      <label className="choice">
        <input type="checkbox" name="enabled" defaultChecked={values.enabled !== ""} /> Enabled
      </label>
      <Field id={`${prefix}-trigger`} label="When" error={errors.trigger}>
        {(props) => (
          <select {...props} name="trigger" defaultValue={values.trigger ?? "visitor-message"}>
            {loaded.triggers.map((t) => (
              <option key={t.value} value={t.value}>
                {t.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <fieldset className="rule-wait">
        <legend>Wait (for “pending for”, “has waited for” and “nobody assigned for” only)</legend>
        <FieldError id={`${prefix}-wait-error`} message={errors.wait} />
        <span className="rule-wait__fields">
          <label htmlFor={`${prefix}-wait`}>For</label>
          <input
            id={`${prefix}-wait`}
            name="waitAmount"
            type="number"
            min={1}
            step={1}
            inputMode="numeric"
            defaultValue={values.waitAmount ?? ""}
            aria-invalid={errors.wait ? true : undefined}
            aria-describedby={errors.wait ? `${prefix}-wait-error` : undefined}
          />
          <label htmlFor={`${prefix}-wait-unit`}>Unit</label>
          <select id={`${prefix}-wait-unit`} name="waitUnit" defaultValue={values.waitUnit ?? "hours"}>
            {loaded.units.map((u) => (
              <option key={u} value={u}>
                {u}
              </option>
            ))}
          </select>
        </span>
        <label className="choice">
          <input type="checkbox" name="waitBusinessHours" defaultChecked={values.waitBusinessHours === "on"} /> Count business hours only
        </label>
        <p className="field__hint">
          From 1 minute to 90 days. A new time rule also acts on the conversations already past the wait. “Count business hours only” counts
          the workspace’s business hours (set on the Reports page): 4 business hours are 4 open hours; 3 business days are three whole open
          days later, at the same point of that day’s hours (closing time, if that day closes earlier). Without business hours set, the wait
          counts around the clock.
        </p>
      </fieldset>
      <RuleRows
        legend="If all of these hold (none: always)"
        kind={conditionKind}
        rows={conditionRows}
        max={loaded.limits.conditions}
        listError={errors.conditions}
        byRow={byRow.conditions}
      />
      <RuleRows legend="Then, in order" kind={actionKind} rows={actionRows} max={loaded.limits.actions} listError={errors.actions} byRow={byRow.actions}>
        <p className="field__hint">Leave a row on “None” to skip it. Need more rows? Press “Add rows”.</p>
      </RuleRows>
    </>
  );
}

/** Posts the form as it is for two more rows of conditions and actions (after the save button, so Enter still saves). */
function AddRowsButton({ busy }: { busy: boolean }) {
  return (
    <button type="submit" name="more" value="rows" className="button button--secondary" disabled={busy}>
      Add rows
    </button>
  );
}

/** Asks for a dry run of the rule as it stands in its form: what it would act on now, nothing saved. */
function PreviewButton({ busy }: { busy: boolean }) {
  return (
    <button type="submit" name="more" value="preview" className="button button--secondary" disabled={busy}>
      Preview
    </button>
  );
}

/** The dry run an action's answer carries (only a "Preview" post's does). */
const previewOf = (result: object | null | undefined): RulePreview | undefined =>
  result != null && "preview" in result ? (result.preview as RulePreview) : undefined;

/** A dry run's answer under the rule's form: the conversations it would act on now, each linked. */
function PreviewList({ preview, now }: { preview: RulePreview | undefined; now: number }) {
  if (preview === undefined) return null;
  const { matches } = preview;
  return (
    <section className="rule-preview" aria-label="Preview">
      <h3 className="rule-runs__title">Preview: it would act on {matches.length === 0 ? "no conversation" : matches.length === 1 ? "1 conversation" : `${matches.length} conversations`} now</h3>
      {matches.length > 0 ? (
        <ul className="rule-runs__list" aria-label="Conversations the rule would act on now">
          {matches.map((m) => (
            <li key={m.conversationId}>
              <Link to={`/inbox/${m.conversationId}`}>{m.contact ?? "Visitor"}</Link> · {m.inbox} · {m.status}
              {m.since !== null ? (
                <>
                  {" "}
                  · since <Time at={m.since} now={now} style="full" />
                </>
              ) : null}
              {m.lastMessage ? ` · “${m.lastMessage}”` : null}
            </li>
          ))}
        </ul>
      ) : null}
      <p className="field__hint">
        {preview.capped ? `Only the first ${matches.length} of the ${preview.looked} conversations looked at are shown; there may be more. ` : `${preview.looked} conversations looked at. `}
        Nothing was saved or changed. A time rule lists the conversations already past its wait; an event rule, the open and pending
        conversations its conditions match now, as if its event came now.
      </p>
    </section>
  );
}

/** A small form of one button posting `intent` for the rule. */
function RuleButton({ id, intent, label, disabled }: { id: string; intent: string; label: string; disabled?: boolean }) {
  return (
    <Form method="post">
      <CsrfInput />
      <input type="hidden" name="id" value={id} />
      <button type="submit" name="intent" value={intent} className="button button--secondary" disabled={disabled}>
        {label}
      </button>
    </Form>
  );
}

export default function AutomationSettings() {
  const loaded = useLoaderData<typeof loader>();
  const { rules, now } = loaded;
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const failedCreate = result?.intent === "create" && !result.saved ? result : null;
  const savedText: Record<string, string> = {
    delete: "The rule is deleted.",
    enable: "The rule is enabled: it runs on events from now on.",
    disable: "The rule is disabled.",
    up: "The rule moved up.",
    down: "The rule moved down.",
  };
  return (
    <>
      <header className="page-header">
        <h1>Automation</h1>
        <p className="lead">
          Rules that act on their own: when something happens to a conversation (among them a waiting conversation missing its inbox’s
          response target), or once it has been pending, its visitor has waited or it has had nobody assigned for a time, if the conditions hold, then label, assign,
          set the status, snooze, comment or reply. Enabled rules run in this order, within about
          a second, as “Automation”; a time rule acts once per spell.
        </p>
      </header>
      <SavedNotice show={result?.saved === true}>{savedText[result?.intent ?? ""] ?? "The rule is saved."}</SavedNotice>
      {result !== undefined && !result.saved && result.intent !== "create" && result.intent !== "update" ? <ErrorNotice message={result.errors.form} /> : null}
      <section className="card" aria-labelledby="rules-title">
        <h2 id="rules-title">Rules ({rules.length})</h2>
        {rules.length === 0 ? <p className="muted">None yet. Add the first one below.</p> : null}
        <ol className="rule-list">
          {rules.map((rule, i) => {
            const mine = result?.id === rule.id && result.intent === "update" && !result.saved ? result : null;
            return (
              <li key={rule.id} id={`rule-${rule.id}`} className="rule-list__item" aria-label={rule.name}>
                <div className="rule-list__head">
                  <strong>{rule.name}</strong> <span className="badge">{rule.enabled ? "Enabled" : "Disabled"}</span>
                  <span className="rule-list__buttons">
                    <RuleButton id={rule.id} intent={rule.enabled ? "disable" : "enable"} label={rule.enabled ? "Disable" : "Enable"} />
                    <RuleButton id={rule.id} intent="up" label="Move up" disabled={i === 0} />
                    <RuleButton id={rule.id} intent="down" label="Move down" disabled={i === rules.length - 1} />
                  </span>
                </div>
                <p className="muted">
                  When: {rule.triggerLine}
                  {rule.conditionLines.length > 0 ? ` · If: ${rule.conditionLines.join(" and ")}` : ""} · Then: {rule.actionLines.join(" · ")}
                </p>
                <p className="rule-list__status">
                  {rule.lastRunAt !== null ? (
                    <>
                      Last ran <Time at={rule.lastRunAt} now={now} style="ago" />
                    </>
                  ) : (
                    "Not run yet"
                  )}
                  {rule.lastError !== null ? (
                    <span className="field__error">
                      {" "}
                      · Last error (<Time at={rule.lastError.at} now={now} style="ago" />): {rule.lastError.message}
                    </span>
                  ) : null}
                </p>
                <RecentRuns name={rule.name} runs={rule.runs} now={now} />
                <details open={mine !== null}>
                  <summary>Edit</summary>
                  <Form method="post" className="form">
                    <CsrfInput />
                    <input type="hidden" name="id" value={rule.id} />
                    <ErrorNotice message={mine?.errors.form} />
                    <RuleFields
                      prefix={rule.id}
                      loaded={loaded}
                      values={
                        mine?.values ?? {
                          name: rule.name,
                          trigger: rule.trigger,
                          enabled: rule.enabled ? "on" : "",
                          waitAmount: rule.wait === null ? "" : String(rule.wait.amount),
                          waitUnit: rule.wait?.unit ?? "hours",
                          waitBusinessHours: rule.wait?.businessHours === true ? "on" : "",
                        }
                      }
                      conditionRows={mine?.conditionRows ?? rule.conditionRows}
                      actionRows={mine?.actionRows ?? rule.actionRows}
                      errors={mine?.errors ?? {}}
                      byRow={mine?.byRow ?? { conditions: {}, actions: {} }}
                    />
                    <SaveDeleteActions busy={busy}>
                      <AddRowsButton busy={busy} /> <PreviewButton busy={busy} />
                    </SaveDeleteActions>
                    <PreviewList preview={previewOf(mine)} now={now} />
                  </Form>
                </details>
              </li>
            );
          })}
        </ol>
      </section>
      <section className="card" aria-labelledby="new-rule-title">
        <h2 id="new-rule-title">Add a rule</h2>
        <ErrorNotice message={failedCreate?.errors.form} />
        <Form method="post" className="form" key={result?.intent === "create" && result.saved ? `saved-${rules.length}` : "new"}>
          <CsrfInput />
          <input type="hidden" name="intent" value="create" />
          <RuleFields
            prefix="new"
            loaded={loaded}
            values={failedCreate?.values ?? { enabled: "on" }}
            conditionRows={failedCreate?.conditionRows ?? []}
            actionRows={failedCreate?.actionRows ?? []}
            errors={failedCreate?.errors ?? {}}
            byRow={failedCreate?.byRow ?? { conditions: {}, actions: {} }}
          />
          <SubmitActions busy={busy} label="Add rule" busyLabel="Adding…">
            <AddRowsButton busy={busy} /> <PreviewButton busy={busy} />
          </SubmitActions>
          <PreviewList preview={previewOf(failedCreate)} now={now} />
        </Form>
      </section>
    </>
  );
}

/** A rule's latest runs: when, the conversation, what started it and what happened. */
function RecentRuns({ name, runs, now }: { name: string; runs: LoaderData["rules"][number]["runs"]; now: number }) {
  if (runs.length === 0) return null;
  return (
    <div className="rule-runs">
      <h3 className="rule-runs__title">Recent runs</h3>
      <ul className="rule-runs__list" aria-label={`Recent runs of ${name}`}>
        {runs.map((r) => (
          <li key={r.id}>
            <Time at={r.at} now={now} style="ago" /> · <Link to={`/inbox/${r.conversationId}`}>Conversation</Link>
            {r.trigger.kind === "spell" ? (
              <>
                {" "}
                (since <Time at={r.trigger.startedAt} now={now} style="full" />)
              </>
            ) : null}{" "}
            · <span className={r.outcome === "done" ? undefined : "field__error"}>{runWords(r)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
