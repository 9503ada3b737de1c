import { Link, useFetcher, useRevalidator } from "@remix-run/react";
import { useEffect, useId } from "react";
import type { ConversationSummary } from "../../runtime.server.js";
import { CsrfInput } from "../csrf-input.js";
import { ErrorNotice } from "../settings/notices.js";
import type { ThreadActionResult } from "./action-result.js";
import { LabelChips } from "./label-chips.js";
import { LabelPicker } from "./label-picker.js";
import { MacroMenu, MacroOutcome, macroFetcherKey, type MacroChoice } from "./macro-menu.js";
import { DueTag } from "./due-tag.js";
import { languageWaitWords, queueLine, statusLabels, waitingLabel } from "./labels.js";
import { Time } from "./time.js";
import { SnoozeControl, SnoozedLine, snoozeFetcherKey, unsnoozeFetcherKey } from "./snooze-control.js";
import type { InboxOutletContext } from "./use-inbox-live.js";
import { listSearch } from "./url.js";

/** A fetcher's answer; on a conflict (someone else changed the conversation first) the page re-reads it. */
function useConflictRefresh(data: ThreadActionResult | undefined, state: string) {
  const revalidator = useRevalidator();
  useEffect(() => {
    if (state === "idle" && data && !data.ok && data.conflict) revalidator.revalidate();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data, state]);
}

/**
 * The thread's heading: who, where, status and wait; assignment (a person and/or a team, sent
 * on change), labels, macros, mark pending / mark open, snooze / unsnooze, and close / reopen — all with the conversation's
 * version, so a stale write gets a clear conflict and the page refreshes.
 */
export function ThreadHeader({
  conversation,
  options,
  listFilter,
  now,
  workspaceTimeZone,
  macros,
}: {
  conversation: ConversationSummary & {
    readonly teamClosed?: Parameters<typeof queueLine>[1];
    readonly languageWait?: { readonly language: string; readonly until: number } | null;
  };
  options: InboxOutletContext["options"];
  listFilter: Readonly<Record<string, string>>;
  now: number;
  /** The zone a snooze's date-time field is read on without JavaScript. */
  workspaceTimeZone: string;
  /** The macros the agent may run here (shared ones and their own). */
  macros: ReadonlyArray<MacroChoice>;
}) {
  const assign = useFetcher<ThreadActionResult>({ key: `assign:${conversation.id}` });
  const status = useFetcher<ThreadActionResult>({ key: `status:${conversation.id}` });
  useConflictRefresh(assign.data, assign.state);
  useConflictRefresh(status.data, status.state);
  const assigneeId = useId();
  const teamId = useId();
  const action = `/inbox/${encodeURIComponent(conversation.id)}`;
  const people = options.people.filter((p) => p.inboxIds === "all" || p.inboxIds.includes(conversation.inbox.id));
  const pendingFetcher = useFetcher<ThreadActionResult>({ key: `pending:${conversation.id}` });
  useConflictRefresh(pendingFetcher.data, pendingFetcher.state);
  const snoozeFetcher = useFetcher<ThreadActionResult>({ key: snoozeFetcherKey(conversation.id) });
  const unsnoozeFetcher = useFetcher<ThreadActionResult>({ key: unsnoozeFetcherKey(conversation.id) });
  useConflictRefresh(snoozeFetcher.data, snoozeFetcher.state);
  useConflictRefresh(unsnoozeFetcher.data, unsnoozeFetcher.state);
  const macroFetcher = useFetcher<ThreadActionResult>({ key: macroFetcherKey(conversation.id) });
  useConflictRefresh(macroFetcher.data, macroFetcher.state);
  const problem = [assign.data, status.data, pendingFetcher.data, snoozeFetcher.data, unsnoozeFetcher.data].find(
    (d): d is Extract<ThreadActionResult, { ok: false }> => d !== undefined && !d.ok,
  );
  const closed = conversation.status === "closed";
  const pending = conversation.status === "pending";
  // While the agent's own reply is being stored and the thread reloaded, the version above is
  // the one before it: a Close clicked then would meet the reply as "someone else's change".
  // The buttons wait for the reload instead (a fraction of a second).
  const replying = useFetcher({ key: `composer:${conversation.id}` }).state !== "idle";

  return (
    <header className="thread__head">
      <div className="thread__title-row">
        <Link to={`/inbox${listSearch(listFilter)}`} className="thread__back">
          ← All conversations
        </Link>
        <h1 id="thread-title">{conversation.title}</h1>
        <span className={`tag tag--${conversation.status}`}>{statusLabels[conversation.status]}</span>
        {conversation.waitingSince !== null && !closed ? <span className="tag tag--waiting">{waitingLabel(conversation.waitingSince, now)}</span> : null}
        {!closed ? <DueTag owed={conversation.responseDue} now={now} /> : null}
      </div>
      {pending ? <p className="thread__pending muted">Waiting on the visitor: their next message opens it again.</p> : null}
      <SnoozedLine conversation={conversation} action={action} now={now} />
      <p className="thread__where muted">
        {conversation.inbox.name} · {conversation.channel.name}
        {conversation.queued && conversation.languageWait && !conversation.teamClosed ? (
          <>
            {languageWaitWords(conversation.languageWait.language).line} <Time at={conversation.languageWait.until} now={now} />
          </>
        ) : (
          queueLine(conversation, conversation.teamClosed)
        )}
      </p>
      <LabelChips labels={conversation.labels} className="thread__labels" scrollable />
      <div className="thread__actions">
        <assign.Form
          method="post"
          action={action}
          className="assign-form"
          onChange={(event) => assign.submit(event.currentTarget, { method: "post", action })}
          aria-label="Assignment"
        >
          <CsrfInput />
          <input type="hidden" name="intent" value="assign" />
          <input type="hidden" name="version" value={conversation.version} />
          <label htmlFor={assigneeId}>Assignee</label>
          <select
            id={assigneeId}
            name="userId"
            // Uncontrolled, re-mounted when the assignment changes: the pick shows at once, then what the server stored.
            key={`u:${conversation.assignee?.id ?? ""}:${conversation.version}`}
            defaultValue={conversation.assignee?.id ?? ""}
            disabled={assign.state !== "idle" || replying}
          >
            <option value="">Unassigned</option>
            {people.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
                {p.availability === "away" ? " (away)" : ""}
              </option>
            ))}
          </select>
          <label htmlFor={teamId}>Team</label>
          <select
            id={teamId}
            name="teamId"
            key={`t:${conversation.team?.id ?? ""}:${conversation.version}`}
            defaultValue={conversation.team?.id ?? ""}
            disabled={assign.state !== "idle" || replying}
          >
            <option value="">No team</option>
            {options.teams.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
          <noscript>
            <button type="submit" className="button button--secondary button--small">
              Assign
            </button>
          </noscript>
        </assign.Form>
        <LabelPicker conversationId={conversation.id} action={action} labels={options.labels} chosen={conversation.labels} />
        <MacroMenu conversation={conversation} action={action} macros={macros} />
        {conversation.status === "open" || pending ? (
          // Pending: the team has answered and waits on the visitor; their next message opens it again.
          <pendingFetcher.Form method="post" action={action}>
            <CsrfInput />
            <input type="hidden" name="intent" value={pending ? "mark-open" : "mark-pending"} />
            <input type="hidden" name="version" value={conversation.version} />
            <button
              type="submit"
              className="button button--secondary button--small"
              disabled={pendingFetcher.state !== "idle" || replying}
              title={pending ? "Back among the conversations that owe the visitor an answer" : "Waiting on the visitor: nobody owes an answer until they write"}
            >
              {pending ? "Mark open" : "Mark pending"}
            </button>
          </pendingFetcher.Form>
        ) : null}
        {conversation.status === "open" || pending ? (
          <SnoozeControl conversation={conversation} action={action} workspaceTimeZone={workspaceTimeZone} now={now} />
        ) : null}
        <status.Form method="post" action={action}>
          <CsrfInput />
          <input type="hidden" name="intent" value={closed ? "reopen" : "close"} />
          <input type="hidden" name="version" value={conversation.version} />
          <button type="submit" className={closed ? "button button--small" : "button button--secondary button--small"} disabled={status.state !== "idle" || replying}>
            {closed ? "Reopen" : "Close conversation"}
          </button>
        </status.Form>
      </div>
      {problem ? (
        <ErrorNotice
          message={problem.conflict ? `${problem.error} (The conversation has been refreshed.)` : (problem.fields.userId ?? problem.fields.teamId ?? problem.error)}
          tone={problem.conflict ? "warning" : "error"}
        />
      ) : null}
      <MacroOutcome conversationId={conversation.id} />
    </header>
  );
}
