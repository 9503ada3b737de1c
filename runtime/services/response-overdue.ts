/**
 * Escalation when a waiting conversation falls overdue under its inbox's response targets
 * (docs/decisions/039-overdue-view-and-escalation.md): a background pass on the shared pass loop
 * finds the waits past their due instant (response-due-scan.ts, the Overdue view's scan) and
 * records each wait once —
 * - a `response_overdue` event in the append-only events log (`kind`: first_response or
 *   next_reply, `dueAt`, `targetMs`, `waitingSince`), which outgoing webhooks send as
 *   `conversation.overdue`;
 * - the wait in `response_overdue` (migration 40), keyed by the conversation and its
 *   `waiting_since`: the next pass, or the next start, finds it recorded and skips it; a new wait
 *   (the visitor writes again after a reply) is recorded anew;
 * - after the commit, a live event: the inbox lists re-read, and the assignee (or, unassigned,
 *   everyone who works in the inbox) is notified as a handoff or assignment notifies.
 * Nothing here runs on a visitor's message: the engine's write path is unchanged.
 */
import { Context, Effect, Layer } from "effect";
import * as wallClock from "./clock.js";
import { Database, type DatabaseShape } from "./database.js";
import { logConversationEvent, type ConversationAccessRow } from "./inbox-access.js";
import { LiveEvents, type LiveEvent, type LiveEventsShape } from "./live-events.js";
import { makePassLoop } from "./pass-loop.js";
import { scanDue, type DueWait } from "./response-due-scan.js";
import { targetHoursReader } from "./target-hours.js";

/** How often the pass looks for waits that fell overdue (targets are whole minutes). */
export const RESPONSE_OVERDUE_LOOP_MS = 10_000;
/** Most waits recorded in one pass (the longest overdue first); the next pass takes the rest at once. */
const PASS_LIMIT = 200;

/** A wait the pass recorded, as the live feed tells it. */
export interface OverdueRecorded {
  readonly conversationId: string;
  readonly inboxId: string;
  readonly assigneeId: string | null;
  readonly kind: DueWait["owed"]["kind"];
  readonly dueAt: number;
}

export interface ResponseOverdueShape {
  /** Records every wait that is overdue now and not yet recorded, once; resolves with how many. */
  readonly runDue: () => Effect.Effect<number>;
  /** Starts the loop (a first pass at once, then every `intervalMs`, default RESPONSE_OVERDUE_LOOP_MS); returns its stop. */
  readonly start: (intervalMs?: number) => () => void;
}

export class ResponseOverdue extends Context.Tag("ResponseOverdue")<ResponseOverdue, ResponseOverdueShape>() {}

/** The live event of a wait recorded overdue: lists re-read, its assignee or inbox is notified. Pure. */
export const overdueLiveEvent = (recorded: OverdueRecorded): LiveEvent => ({
  conversationId: recorded.conversationId,
  inboxId: recorded.inboxId,
  kind: "conversation",
  // Agents' business: a visitor's stream never carries it.
  internal: true,
  data: { change: "overdue", kind: recorded.kind, dueAt: recorded.dueAt, assigneeId: recorded.assigneeId },
});

// Waits already recorded are left out in SQL, so a long backlog of them never fills the scan.
const NOT_RECORDED = "NOT EXISTS (SELECT 1 FROM response_overdue o WHERE o.conversation_id = c.id AND o.waiting_since = c.waiting_since)";

type EventRow = Pick<ConversationAccessRow, "id" | "inbox_id" | "channel_id" | "chatflow_id" | "chatflow_version_id" | "is_preview" | "assignee_id" | "team_id">;

/** The ResponseOverdue service over its Database and LiveEvents (exported for tests). */
export const makeResponseOverdue = (db: DatabaseShape, live: LiveEventsShape): ResponseOverdueShape => {
  const prepare = db.prepare;

  /** Inside the write: records the wait unless it has changed since the scan or is recorded already. */
  const record = (wait: DueWait, at: number): OverdueRecorded | null => {
    // The scan read outside the write: a reply, close, snooze or new wait since then means no escalation.
    const row = prepare(
      `SELECT id, inbox_id, channel_id, chatflow_id, chatflow_version_id, is_preview, assignee_id, team_id FROM conversations
        WHERE id = ? AND waiting_since = ? AND inbox_id = ? AND status IN ('open', 'pending') AND snoozed_until IS NULL`,
    ).get(wait.id, wait.waitingSince, wait.inboxId) as EventRow | undefined;
    if (row === undefined) return null;
    const stored = prepare(
      `INSERT INTO response_overdue (conversation_id, waiting_since, kind, due_at, recorded_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (conversation_id) DO UPDATE SET waiting_since = excluded.waiting_since, kind = excluded.kind,
         due_at = excluded.due_at, recorded_at = excluded.recorded_at
       WHERE response_overdue.waiting_since <> excluded.waiting_since`,
    ).run(wait.id, wait.waitingSince, wait.owed.kind, wait.owed.dueAt, at);
    if (stored.changes === 0) return null;
    // No user_id: nobody did this (the events log's user is who acted); the assignee is in the data.
    logConversationEvent(prepare, "response_overdue", row, at, {
      teamId: row.team_id,
      data: { kind: wait.owed.kind, dueAt: wait.owed.dueAt, targetMs: wait.owed.targetMs, waitingSince: wait.waitingSince, assigneeId: row.assignee_id },
    });
    return { conversationId: row.id, inboxId: row.inbox_id, assigneeId: row.assignee_id, kind: wait.owed.kind, dueAt: wait.owed.dueAt };
  };

  const runDue: ResponseOverdueShape["runDue"] = () =>
    Effect.gen(function* () {
      const at = wallClock.now();
      const found = scanDue(prepare, { where: NOT_RECORDED, args: {}, now: at, soon: false, hours: targetHoursReader(prepare) });
      const due = found.waits.slice(0, PASS_LIMIT);
      if (due.length === 0) return 0;
      const recorded = yield* Effect.orDie(db.writeEffect(() => due.map((wait) => record(wait, at)).filter((r): r is OverdueRecorded => r !== null)));
      for (const r of recorded) yield* live.publish(overdueLiveEvent(r));
      // More may be overdue past this pass's share; a pass that recorded nothing new never asks again at once.
      if (recorded.length > 0 && (found.waits.length > PASS_LIMIT || found.truncated)) loop.wake();
      return recorded.length;
    });

  const loop = makePassLoop("ResponseOverdue", () => db.sqlite.open, runDue);

  return { runDue, start: (intervalMs = RESPONSE_OVERDUE_LOOP_MS) => loop.start(intervalMs) };
};

export const layer: Layer.Layer<ResponseOverdue, never, Database | LiveEvents> = Layer.effect(
  ResponseOverdue,
  Effect.gen(function* () {
    return makeResponseOverdue(yield* Database, yield* LiveEvents);
  }),
);
