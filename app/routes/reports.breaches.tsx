/**
 * Reports → Team → the answers that missed their response target (decision 045): the team
 * report's range and filters, narrowed to an agent and a kind of answer, the most over first
 * or sorted by a column (its header is a link; `sort` in the URL, so the pager and the CSV keep
 * the order), a page of at most 50 with a link to the next. Reached from the "missed" counts of
 * the team report; each row links to its conversation in the inbox.
 *
 * Whoever also works in the inbox (roles.ts `breachFollowUp`: admins) ticks answers — or every
 * one on the page, or every one in the list under its filters (up to FOLLOW_UP_LIST_MAX, the list
 * read again on the server) — and follows their conversations up at once: assign to a person or a team,
 * add a label, leave an internal comment with each one's figures (BreachFollowUp; a plain form
 * POST to this same URL, so the filters stay and it works without JavaScript). An analyst sees
 * the list without the form.
 */
import { randomUUID } from "node:crypto";
import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useLocation, useNavigation } from "@remix-run/react";
import { Effect } from "effect";
import { CsrfInput } from "../components/csrf-input.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import { Field, FieldError } from "../components/field.js";
import { ErrorNotice, SubmitActions } from "../components/settings/notices.js";
import { formatCount } from "../components/reports/format.js";
import {
  FOLLOW_UP_ALL_FIELD,
  FOLLOW_UP_FIELD,
  FOLLOW_UP_FORM_ID,
  FOLLOW_UP_LIST_VALUE,
  FOLLOW_UP_PAGE_FIELD,
  followUpErrors,
  followUpInputOf,
  followUpNotice,
  type FollowUpFields,
} from "../components/reports/follow-up-logic.js";
import { breachQueryOf, requireAnalyst } from "../components/reports/report-data.server.js";
import { ReportFilters, ReportTableView, searchOf, type TableSelection, type TableSorting } from "../components/reports/report-ui.js";
import reportStyles from "../components/reports/reports.css?url";
import { breachesTable, KIND_NAMES } from "../components/reports/tables.js";
import { fieldErrors } from "../forms.js";
import { breachFollowUp, isAllowed } from "../roles.js";
import {
  attempt,
  BREACH_PAGE_MAX,
  BREACH_SORT_KEYS,
  BreachFollowUp,
  breachSortParam,
  DEFAULT_BREACH_SORT,
  FOLLOW_UP_LIST_MAX,
  FOLLOW_UP_MAX,
  FOLLOW_UP_NOTE_MAX,
  InboxService,
  Reports,
  run,
  type BreachSortKey,
  type FollowUpOutcome,
  type SortDirection,
} from "../runtime.server.js";
import { requireUser } from "../session.server.js";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: reportStyles }];

export const meta: MetaFunction = () => [{ title: "Missed targets · Reports · Parley" }];

/** Which way a column sorts when its header is first chosen: names A to Z; amounts and times the most, or the newest, first. */
const FIRST_DIRECTION: Readonly<Record<BreachSortKey, SortDirection>> = {
  over: "desc",
  took: "desc",
  waiting: "desc",
  answered: "desc",
  agent: "asc",
  inbox: "asc",
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireAnalyst(request, context);
  const query = await breachQueryOf(request, context);
  const mayFollowUp = isAllowed(user.role, breachFollowUp);
  const [page, options, inbox] = await Promise.all([
    run(context, Effect.flatMap(Reports, (r) => r.breaches(query))),
    run(context, Effect.flatMap(Reports, (r) => r.options())),
    mayFollowUp ? run(context, Effect.flatMap(InboxService, (i) => i.options(user))) : Promise.resolve(null),
  ]);
  // The follow-up's choices: who may hold conversations in the actor's inboxes, the teams, the labels.
  const followUp =
    inbox === null
      ? null
      : {
          people: inbox.people.map((p) => ({ id: p.id, name: p.name })),
          teams: inbox.teams,
          labels: inbox.labels.map((l) => ({ id: l.id, name: l.name })),
          // A form posted twice (a double click, a reload) stores each comment once.
          requestId: randomUUID(),
          // The service's limits, for the form (runtime values stay on the server).
          limits: { answers: FOLLOW_UP_MAX, list: FOLLOW_UP_LIST_MAX, note: FOLLOW_UP_NOTE_MAX },
          // "All N answers in this list" is offered when the list goes past this page.
          total: page.total,
          // Each row's checkbox: the answer's reply event id, named for a screen reader by what it is.
          rows: page.breaches.map((b) => ({
            value: String(b.eventId),
            label: `Select the ${KIND_NAMES[b.kind].toLowerCase()} in ${b.conversationId} with ${b.title}`,
          })),
        };
  // A page size other than the default rides along on the pager's links.
  const limit = query.limit !== null && query.limit !== BREACH_PAGE_MAX ? { limit: String(query.limit) } : {};
  // The list's own narrowing and order ride along on every link the filters, the pager and the CSV make (the default order unnamed).
  const sort = query.sort ?? DEFAULT_BREACH_SORT;
  const sortParam = (by: BreachSortKey, direction: SortDirection): Record<string, string> => {
    const param = breachSortParam({ by, direction });
    return param === breachSortParam(DEFAULT_BREACH_SORT) ? {} : { sort: param };
  };
  const narrowing = { ...(query.agent ? { agent: query.agent } : {}), ...(query.kind ? { kind: query.kind } : {}) };
  const own: Record<string, string> = { ...narrowing, ...sortParam(sort.by, sort.direction) };
  // Each sortable header: the first page sorted by its column (the other way round when it is the sorted one).
  const sorting: TableSorting = {
    by: sort.by,
    direction: sort.direction,
    links: Object.fromEntries(
      BREACH_SORT_KEYS.map((by) => {
        const direction: SortDirection = by === sort.by ? (sort.direction === "asc" ? "desc" : "asc") : FIRST_DIRECTION[by];
        return [by, { to: searchOf(query, { ...narrowing, ...limit, ...sortParam(by, direction) }), direction }];
      }),
    ),
  };
  return { query, options, limit, own, sorting, total: page.total, shown: page.breaches.length, nextCursor: page.nextCursor, table: breachesTable(page), followUp };
}

/** What the follow-up form answers: its notice and outcome, or its refusal by field with what was posted. */
type FollowUpAnswer =
  | { readonly ok: true; readonly notice: string; readonly outcome: FollowUpOutcome }
  | { readonly ok: false; readonly errors: Readonly<Record<string, string>>; readonly values: FollowUpValues };

interface FollowUpValues {
  readonly breaches: ReadonlyArray<string>;
  readonly wholeList: boolean;
  readonly assign: string;
  readonly labelId: string;
  readonly comment: boolean;
  readonly note: string;
}

/**
 * The follow-up (BreachFollowUp) of the answers ticked on this page — or of every answer in the
 * list, read again by the service under this URL's filters; the page's own URL, so its filters stay.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request, context, breachFollowUp);
  const form = await request.formData();
  const text = (name: string) => {
    const value = form.get(name);
    return typeof value === "string" ? value : "";
  };
  const list = (name: string) => form.getAll(name).filter((v): v is string => typeof v === "string");
  const fields: FollowUpFields = {
    breaches: list(FOLLOW_UP_FIELD),
    all: list(FOLLOW_UP_ALL_FIELD).includes(FOLLOW_UP_LIST_VALUE) ? FOLLOW_UP_LIST_VALUE : text(FOLLOW_UP_ALL_FIELD),
    onPage: list(FOLLOW_UP_PAGE_FIELD),
    assign: text("assign"),
    labelId: text("labelId"),
    comment: text("comment"),
    note: text("note"),
    requestId: text("requestId"),
  };
  const values: FollowUpValues = {
    breaches: fields.all === "page" ? fields.onPage : fields.breaches,
    wholeList: fields.all === FOLLOW_UP_LIST_VALUE,
    assign: fields.assign,
    labelId: fields.labelId,
    comment: fields.comment === "on",
    note: fields.note,
  };
  const read = followUpInputOf(fields);
  if (!read.ok) return data<FollowUpAnswer>({ ok: false, errors: { [read.field]: read.message }, values }, { status: 400 });
  const query = fields.all === FOLLOW_UP_LIST_VALUE ? await breachQueryOf(request, context) : null;
  const outcome =
    query !== null
      ? // The list's filters are this URL's (the form posts to the page's own); a bad one is a 400, as the loader's.
        await attempt(context, Effect.flatMap(BreachFollowUp, (f) => f.applyToList(query, read.input, user)))
      : await attempt(context, Effect.flatMap(BreachFollowUp, (f) => f.apply(read.input, user)));
  if (!outcome.ok) return data<FollowUpAnswer>({ ok: false, errors: followUpErrors(fieldErrors(outcome.error)), values }, { status: outcome.status });
  return data<FollowUpAnswer>({ ok: true, notice: followUpNotice(outcome.value), outcome: outcome.value });
}

export default function BreachesPage() {
  const { query, options, limit, own, sorting, total, shown, nextCursor, table, followUp } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const refused = answer !== undefined && !answer.ok ? answer : undefined;
  const selection: TableSelection | undefined =
    followUp === null
      ? undefined
      : {
          form: FOLLOW_UP_FORM_ID,
          name: FOLLOW_UP_FIELD,
          rows: followUp.rows,
          all: { name: FOLLOW_UP_ALL_FIELD, value: "page", label: "Select all on this page" },
          ticked: refused?.values.breaches ?? [],
        };
  return (
    <>
      <header className="page-header">
        <p>
          <Link to={`/reports/team${searchOf(query)}`}>← Team</Link>
        </p>
        <h1>Answers that missed their target</h1>
        <p className="lead">
          Each first response and next reply of the range that took longer than its inbox’s response target, the most over first — or
          sorted by a column: choose its heading. Open one to see the conversation.
        </p>
      </header>
      <ReportFilters query={query} options={options} filters={["inbox", "channel", "team", "flow"]}>
        <div className="field">
          <label htmlFor="report-agent">Agent</label>
          <select id="report-agent" name="agent" defaultValue={query.agent ?? ""}>
            <option value="">All agents</option>
            {options.agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.disabled ? `${a.name} (disabled)` : a.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="report-kind">Answer</label>
          <select id="report-kind" name="kind" defaultValue={query.kind ?? ""}>
            <option value="">First responses and next replies</option>
            <option value="first_response">First responses</option>
            <option value="next_reply">Next replies</option>
          </select>
        </div>
        {/* Applying other filters keeps the order chosen. */}
        {own.sort ? <input type="hidden" name="sort" value={own.sort} /> : null}
      </ReportFilters>

      <section className="card" aria-labelledby="breaches-title">
        <h2 id="breaches-title">
          {formatCount(total)} {total === 1 ? "answer" : "answers"} missed {total === 1 ? "its" : "their"} target
        </h2>
        {answer?.ok ? (
          <p className="notice notice--success" role="status">
            {answer.notice}
          </p>
        ) : null}
        {/* A new page of rows (or a follow-up done) starts with nothing ticked. */}
        <ReportTableView key={followUp?.requestId} table={table} query={query} csvParams={own} sorting={sorting} selection={selection} />
        <nav className="report-pager" aria-label="Pages">
          {query.cursor ? <Link to={searchOf(query, { ...own, ...limit })}>First page</Link> : null}
          <span className="muted">
            {shown < total ? `${formatCount(shown)} on this page of ${formatCount(total)}` : null}
          </span>
          {nextCursor ? <Link to={searchOf(query, { ...own, ...limit, cursor: nextCursor })}>Next page</Link> : null}
        </nav>
        {followUp !== null && followUp.rows.length > 0 ? <FollowUpForm followUp={followUp} refused={refused} /> : null}
        <p className="muted">
          Judged as the team report judges them: against each inbox’s target as it is now, in business hours when the target counts them.
          Took: the first response time, or the reply time since the visitor last started waiting.
        </p>
      </section>
    </>
  );
}

/** The follow-up of the ticked answers: a plain POST to this page's own URL (its filters stay), the rows' checkboxes belonging to it. */
function FollowUpForm(props: {
  readonly followUp: {
    readonly people: ReadonlyArray<{ readonly id: string; readonly name: string }>;
    readonly teams: ReadonlyArray<{ readonly id: string; readonly name: string }>;
    readonly labels: ReadonlyArray<{ readonly id: string; readonly name: string }>;
    readonly requestId: string;
    readonly limits: { readonly answers: number; readonly list: number; readonly note: number };
    readonly total: number;
    readonly rows: ReadonlyArray<{ readonly value: string }>;
  };
  readonly refused: Extract<FollowUpAnswer, { ok: false }> | undefined;
}) {
  const { followUp, refused } = props;
  const location = useLocation();
  const busy = useNavigation().state === "submitting";
  const errors = refused?.errors ?? {};
  const values = refused?.values;
  const selectionError = errors.breaches ?? errors.form;
  return (
    <Form
      method="post"
      action={`${location.pathname}${location.search}`}
      id={FOLLOW_UP_FORM_ID}
      className="form report-follow-up"
      aria-labelledby="follow-up-title"
      aria-describedby={selectionError ? "follow-up-error" : undefined}
      preventScrollReset
      key={followUp.requestId}
    >
      <h3 id="follow-up-title">Follow up the selected answers</h3>
      <p className="muted">
        Tick answers above (or “Select all on this page”, up to {followUp.limits.answers}), then choose what to do with their conversations. Closed conversations
        and those that no longer exist are skipped and counted.
      </p>
      <CsrfInput />
      <input type="hidden" name="requestId" value={followUp.requestId} />
      {followUp.rows.map((r) => (
        <input key={r.value} type="hidden" name={FOLLOW_UP_PAGE_FIELD} value={r.value} />
      ))}
      <ErrorNotice id="follow-up-error" message={selectionError} />
      {followUp.total > followUp.rows.length ? (
        <div className="field">
          <label className="choice">
            <input
              type="checkbox"
              name={FOLLOW_UP_ALL_FIELD}
              value={FOLLOW_UP_LIST_VALUE}
              defaultChecked={values?.wholeList ?? false}
              disabled={followUp.total > followUp.limits.list}
              aria-describedby="follow-up-list-hint"
            />
            <span>All {formatCount(followUp.total)} answers in this list, on every page</span>
          </label>
          <p id="follow-up-list-hint" className="field__hint">
            {followUp.total > followUp.limits.list
              ? `At most ${formatCount(followUp.limits.list)} at once: narrow the filters to follow up the whole list.`
              : `Instead of those ticked: every answer the filters above give (up to ${formatCount(followUp.limits.list)}), as the list stands when you follow up.`}
          </p>
        </div>
      ) : null}
      <div className="report-follow-up__fields">
        <Field id="follow-up-assign" label="Assign to" error={errors.assign}>
          {(p) => (
            <select {...p} name="assign" defaultValue={values?.assign ?? ""}>
              <option value="">Leave as is</option>
              <optgroup label="People">
                {followUp.people.map((person) => (
                  <option key={person.id} value={`user:${person.id}`}>
                    {person.name}
                  </option>
                ))}
              </optgroup>
              {followUp.teams.length > 0 ? (
                <optgroup label="Teams">
                  {followUp.teams.map((team) => (
                    <option key={team.id} value={`team:${team.id}`}>
                      {team.name}
                    </option>
                  ))}
                </optgroup>
              ) : null}
            </select>
          )}
        </Field>
        <Field id="follow-up-label" label="Add label" error={errors.labelId}>
          {(p) => (
            <select {...p} name="labelId" defaultValue={values?.labelId ?? ""}>
              <option value="">No label</option>
              {followUp.labels.map((label) => (
                <option key={label.id} value={label.id}>
                  {label.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className={errors.comment || errors.note ? "field field--invalid report-follow-up__note" : "field report-follow-up__note"}>
          <label className="choice">
            <input
              type="checkbox"
              name="comment"
              defaultChecked={values?.comment ?? true}
              aria-describedby={errors.comment ? "follow-up-comment-error" : undefined}
              aria-invalid={errors.comment ? true : undefined}
            />
            <span>Leave an internal comment on each</span>
          </label>
          <label htmlFor="follow-up-note">Comment ends with (optional)</label>
          <textarea
            id="follow-up-note"
            name="note"
            rows={2}
            maxLength={followUp.limits.note}
            defaultValue={values?.note ?? ""}
            placeholder="please follow up"
            aria-describedby={`follow-up-note-hint${errors.note ? " follow-up-note-error" : ""}`}
            aria-invalid={errors.note ? true : undefined}
          />
          <p id="follow-up-note-hint" className="field__hint">
            Each comment starts with its conversation’s own figures, e.g. “Missed the first-response target by 12 min on 3 Nov — please follow up”. An
            @mention notifies that person.
          </p>
          <FieldError id="follow-up-comment-error" message={errors.comment} />
          <FieldError id="follow-up-note-error" message={errors.note} />
        </div>
      </div>
      <SubmitActions busy={busy} label="Follow up" busyLabel="Following up…" />
    </Form>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
