/**
 * When a waiting visitor's answer is due, and how that reads now: the part of response targets
 * (runtime/core/response-targets.ts) the inbox's browser code runs every 30 seconds. Pure, and
 * imports nothing, so the inbox page does not ship the targets' Schema.
 */

/** Below this share of the target left, the answer is due soon. */
export const SOON_SHARE = 0.2;

/** Which target a waiting conversation is measured against, and from when. */
export interface Owed {
  readonly kind: "first_response" | "next_reply";
  readonly targetMs: number;
  readonly dueAt: number;
  /** The team whose own hours the target counts in (decision 048), by name; absent when the workspace's hours (or the clock) count. */
  readonly teamHours?: string;
}

export type DueLevel = "normal" | "soon" | "overdue";

export interface DueState {
  readonly level: DueLevel;
  /** Wall ms until due (≥ 0), or since it was due when overdue. */
  readonly ms: number;
}

/** Normal, soon (under 20% of the target left) or overdue, with the time left or past. Pure. */
export const dueState = (owed: Pick<Owed, "targetMs" | "dueAt">, now: number): DueState => {
  const left = owed.dueAt - now;
  if (left < 0) return { level: "overdue", ms: -left };
  return { level: left < owed.targetMs * SOON_SHARE ? "soon" : "normal", ms: left };
};

