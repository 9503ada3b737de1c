/**
 * The history of response targets (decision 058, sixteenth session; migration 54): which targets
 * each inbox kept, from when to when — so an answer is judged by the target in force when its
 * wait started, whatever the target is now.
 *
 * Writer: `putInboxTargets`, the only code that writes `inboxes.response_targets`. It stores the
 * live value and records it as in force from `at`, in the caller's write (one transaction).
 * Workspace's `updateInbox` (the inbox settings page, and anything else that sets targets) calls
 * it; a test in target-history.test.ts fails when another file writes the column.
 *
 * As with the calendars, the history is the targets as a function of time, not a log of edits
 * (the audit log is that): a change at `at` holds from `at` on, rows recorded as taking effect
 * later are replaced, and writing the targets already in force records nothing. Targets without
 * a first-response or next-reply minute are none, recorded as NULL.
 *
 * Reader: `pastTargets` — one per report, list or pass — judges recorded answers (met shares,
 * breaches, the follow-up's judge). The live column keeps the last word after an inbox's latest
 * recorded change. What judges now (due tags, the Overdue view, escalation) reads the live column.
 */
import { hasTargets, NO_TARGETS, storedResponseTargets, type ResponseTargets } from "../core/response-targets.js";
import type { Period } from "../core/business-time.js";
import type { DatabaseShape, Sqlite } from "./database.js";

/**
 * Stores an inbox's targets and records them as in force from `at` (epoch ms). Call inside a
 * write, with the instant the caller stamps it with; the inbox must exist.
 */
export const putInboxTargets = (s: Sqlite, at: number, inboxId: string, targets: ResponseTargets): void => {
  s.prepare("UPDATE inboxes SET response_targets = ? WHERE id = ?").run(JSON.stringify(targets), inboxId);
  const recorded = hasTargets(targets) ? JSON.stringify(targets) : null;
  s.prepare("DELETE FROM inbox_targets_history WHERE inbox_id = ? AND effective_at >= ?").run(inboxId, at);
  // No row yet reads as none, so an inbox that keeps none records nothing.
  s.prepare(
    `INSERT INTO inbox_targets_history (inbox_id, effective_at, response_targets)
     SELECT ?, ?, ? WHERE (SELECT response_targets FROM inbox_targets_history WHERE inbox_id = ? ORDER BY effective_at DESC LIMIT 1) IS NOT ?`,
  ).run(inboxId, at, recorded, inboxId, recorded);
};

// ---------------------------------------------------------------------------------------------
// Reader

type Prepare = DatabaseShape["prepare"];

/** An inbox whose targets judged some answer that ended before the reader's `to`. */
export interface InboxTargetsOverTime {
  readonly id: string;
  readonly name: string;
  /** Its targets now (the live column). */
  readonly now: ResponseTargets;
  /** Its targets over time, in time order, the first from the beginning. */
  readonly periods: ReadonlyArray<Period<ResponseTargets>>;
  /**
   * Of the periods that began before `to`, the smallest first-response and next-reply target in
   * minutes (null when none had one): a wall-clock bound no judged answer can miss below.
   */
  readonly least: { readonly firstResponseMinutes: number | null; readonly nextReplyMinutes: number | null };
}

export interface PastTargets {
  /** Every inbox that kept targets in some period beginning before `to`, by name. */
  readonly inboxes: ReadonlyArray<InboxTargetsOverTime>;
  /** The targets of `inboxId` in force at `at`; none for an inbox not listed. */
  readonly at: (inboxId: string, at: number) => ResponseTargets;
}

const ROWS_SQL = `
SELECT i.id, i.name, i.response_targets, h.effective_at, h.response_targets,
       (SELECT max(effective_at) FROM inbox_targets_history WHERE inbox_id = i.id)
  FROM inboxes i LEFT JOIN inbox_targets_history h ON h.inbox_id = i.id AND h.effective_at < ?
 ORDER BY i.name, i.id, h.effective_at`;

const leastOf = (periods: ReadonlyArray<Period<ResponseTargets>>) => {
  const least = (pick: (t: ResponseTargets) => number | null) =>
    periods.reduce<number | null>((m, p) => {
      const v = pick(p.value);
      return v === null ? m : m === null ? v : Math.min(m, v);
    }, null);
  return { firstResponseMinutes: least((t) => t.firstResponseMinutes), nextReplyMinutes: least((t) => t.nextReplyMinutes) };
};

/**
 * The targets every inbox kept before `to` (epoch ms), in ONE statement: the inboxes with their
 * live targets and their recorded changes before `to` — a handful per inbox, so all of them,
 * whatever the span's start. An inbox without rows kept its live targets throughout (written
 * around the writer, or never changed since migration 54 found none); with rows, none before its
 * first, each row's until the next, and the live column from its latest recorded change on.
 */
export const pastTargets = (prepare: Prepare, to: number): PastTargets => {
  const rows = prepare(ROWS_SQL).raw(true).all(to) as Array<[string, string, string | null, number | null, string | null, number | null]>;
  const inboxes: Array<InboxTargetsOverTime> = [];
  type Read = { id: string; name: string; live: string | null; latest: number | null; periods: Array<Period<ResponseTargets>> };
  const flush = (read: Read | undefined) => {
    if (read === undefined) return;
    const now = storedResponseTargets(read.live);
    const periods: Array<Period<ResponseTargets>> =
      read.latest === null ? [{ from: -Infinity, value: now }] : [{ from: -Infinity, value: NO_TARGETS }, ...read.periods];
    if (periods.some((p) => hasTargets(p.value))) inboxes.push({ id: read.id, name: read.name, now, periods, least: leastOf(periods) });
  };
  let current: Read | undefined;
  for (const [id, name, live, at, stored, latest] of rows) {
    if (current?.id !== id) {
      flush(current);
      current = { id, name, live, latest, periods: [] };
    }
    if (at !== null) current.periods.push({ from: at, value: storedResponseTargets(at === latest ? live : stored) });
  }
  flush(current);
  const byId = new Map(inboxes.map((i) => [i.id, i]));
  return {
    inboxes,
    at: (inboxId, at) => {
      const inbox = byId.get(inboxId);
      if (inbox === undefined) return NO_TARGETS;
      let found = inbox.periods[0]!.value;
      for (const p of inbox.periods) if (p.from <= at) found = p.value;
      return found;
    },
  };
};
