/**
 * Which waiting conversations are overdue or due soon under their inbox's response targets, found
 * by a bounded candidate scan (docs/decisions/039-overdue-view-and-escalation.md): read by the
 * inbox's Overdue and Due soon views and by the escalation pass (response-overdue.ts). Reads only.
 *
 * Due times are not stored (decision 037). A wait can only be overdue once `waiting_since +
 * target` has passed in wall time, since business time never exceeds wall time; so the scan asks
 * SQLite, per inbox with targets, for the waits whose wall-time due has passed — a range of the
 * `conversations_inbox_status (inbox_id, status, waiting_since)` index — in wall-due order, at
 * most `limit` of them, and computes each one's real due instant (business hours) in TypeScript
 * with the same `owedResponse` the list's due tag uses.
 */
import { dueState, hasTargets, SOON_SHARE, storedResponseTargets, type DueLevel, type Owed, type ResponseTargets } from "../core/response-targets.js";
import type { Prepare } from "./inbox-access.js";
import { owedInHours, type TargetHoursOf } from "./target-hours.js";

/** The most waits one scan reads (the longest past their wall-time due first). */
export const DUE_SCAN_LIMIT = 1000;

/** One wait the scan found, with what it owes and how that stands now. */
export interface DueWait {
  readonly id: string;
  readonly inboxId: string;
  readonly waitingSince: number;
  readonly owed: Owed;
  readonly level: Exclude<DueLevel, "normal">;
}

/** What a scan found, most overdue first (due instant, then id); `truncated` when it stopped at its limit. */
export interface DueScan {
  readonly waits: ReadonlyArray<DueWait>;
  readonly truncated: boolean;
}

const MINUTE = 60_000;

/** Every inbox's targets, where it has at least one. */
const targetedInboxes = (prepare: Prepare): ReadonlyArray<{ readonly id: string; readonly targets: ResponseTargets }> =>
  (prepare("SELECT id, response_targets FROM inboxes WHERE response_targets IS NOT NULL").all() as Array<{ id: string; response_targets: string }>)
    .map((row) => ({ id: row.id, targets: storedResponseTargets(row.response_targets) }))
    .filter((row) => hasTargets(row.targets));

/**
 * The waiting conversations (open or pending, not snoozed, not a preview) that are overdue — or,
 * with `soon`, overdue or due soon — at `now`, among those `where` admits (SQL over `c`, the
 * conversations row, with its named `args`). Reads at most `limit` candidates, in the order their
 * wall-time due passed; `hours` gives each conversation's calendar (its team's or the workspace's,
 * target-hours.ts), asked only when a target counts business hours.
 */
export const scanDue = (
  prepare: Prepare,
  options: {
    readonly where: string;
    readonly args: Readonly<Record<string, unknown>>;
    readonly now: number;
    readonly soon: boolean;
    readonly hours: TargetHoursOf;
    readonly limit?: number;
  },
): DueScan => {
  const inboxes = targetedInboxes(prepare);
  if (inboxes.length === 0) return { waits: [], truncated: false };
  const limit = options.limit ?? DUE_SCAN_LIMIT;
  // Due soon starts with less than SOON_SHARE of the target left: wall time past (1 − SOON_SHARE) of it.
  const share = options.soon ? 1 - SOON_SHARE : 1;
  const args: Record<string, unknown> = { ...options.args, dueNow: options.now, dueLimit: limit };
  const values = inboxes.map((inbox, i) => {
    const first = inbox.targets.firstResponseMinutes === null ? null : inbox.targets.firstResponseMinutes * MINUTE;
    const next = inbox.targets.nextReplyMinutes === null ? null : inbox.targets.nextReplyMinutes * MINUTE;
    args[`dueInbox${i}`] = inbox.id;
    args[`dueFirst${i}`] = first;
    args[`dueNext${i}`] = next;
    // The shorter target bounds the index range: no wait that started later can be due yet.
    args[`dueFrom${i}`] = options.now - Math.floor(Math.min(first ?? Infinity, next ?? Infinity) * share);
    return `(@dueInbox${i}, @dueFirst${i}, @dueNext${i}, @dueFrom${i})`;
  });
  const target = "CASE WHEN rc.first_reply_at IS NULL THEN t.first_ms ELSE t.next_ms END";
  const rows = prepare(
    `WITH t(inbox_id, first_ms, next_ms, started_by) AS (VALUES ${values.join(", ")})
     SELECT c.id, c.inbox_id, c.team_id, c.waiting_since, rc.first_reply_at IS NOT NULL AS answered
       FROM t CROSS JOIN conversations c ON c.inbox_id = t.inbox_id
       LEFT JOIN report_conversations rc ON rc.conversation_id = c.id
      WHERE c.status IN ('open', 'pending') AND c.waiting_since <= t.started_by
        AND c.snoozed_until IS NULL AND c.is_preview = 0 AND (${options.where})
        AND c.waiting_since + ${target} * ${share} < @dueNow
      ORDER BY c.waiting_since + ${target}, c.id
      LIMIT @dueLimit`,
  ).all(args) as Array<{ id: string; inbox_id: string; team_id: string | null; waiting_since: number; answered: number }>;

  const targetsOf = new Map(inboxes.map((inbox) => [inbox.id, inbox.targets]));
  const waits: DueWait[] = [];
  for (const row of rows) {
    const targets = targetsOf.get(row.inbox_id)!;
    const owed = owedInHours(targets, { waitingSince: row.waiting_since, answered: row.answered === 1, teamId: row.team_id }, options.hours);
    if (owed === null) continue;
    const level = dueState(owed, options.now).level;
    if (level === "overdue" || (options.soon && level === "soon")) waits.push({ id: row.id, inboxId: row.inbox_id, waitingSince: row.waiting_since, owed, level });
  }
  waits.sort((a, b) => a.owed.dueAt - b.owed.dueAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { waits, truncated: rows.length === limit };
};
