/**
 * `conversations.unassigned_since` (migration 47, decision 044's twelfth-session section): when
 * an open or pending conversation last came to have nobody assigned; NULL while someone is
 * assigned, while a bot has it, and once it is closed. Every write that sets a conversation's
 * status or assignee sets it in the same statement with this expression.
 *
 * `status` and `assignee` are SQL expressions of the row's values after the write (a parameter,
 * or the column when the write leaves it as it was); `now` is the write's instant. A spell that
 * goes on keeps its start; one that begins starts at `now`. Pure.
 */
export const unassignedSinceAfter = (status: string, assignee: string, now: string): string =>
  `CASE WHEN ${status} IN ('open', 'pending') AND ${assignee} IS NULL THEN COALESCE(unassigned_since, ${now}) ELSE NULL END`;

/** The same rule for a row being inserted: its spell starts at `now` when it arrives open or pending without a person. Pure. */
export const unassignedSinceOfNew = (status: string, assigneeId: string | null, now: number): number | null =>
  (status === "open" || status === "pending") && assigneeId === null ? now : null;
