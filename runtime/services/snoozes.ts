/**
 * Snoozes: an agent sets an open or pending conversation aside until a time ("not now, bring it
 * back on Monday at 09:00"). A snooze is a time on the conversation (`snoozed_until`, migration
 * 24), not a status: the public API's statuses stay bot | open | pending | closed, and visitors
 * never learn of it.
 *
 * - `snooze` / `unsnooze` carry the version the agent saw, like the thread's status changes; a
 *   request for what already is (a double click) is no conflict.
 * - A snooze ends (`snooze_ended`) when its time comes — a timer armed for the earliest
 *   `snoozed_until` (re-armed when this service sets or ends a snooze and after each pass), with
 *   a slow poll behind it for snoozes written from elsewhere; both read the partial index of
 *   snoozed rows; at start the overdue ones wake at once — or when the visitor writes
 *   (`wakeSnoozeInWrite`, called by the engine's and the outside channels' write of a visitor
 *   message to a conversation a person holds — never on a bot turn: a bot conversation cannot
 *   be snoozed). Waking by time opens a pending conversation: the team
 *   should look again. An agent's reply leaves the snooze alone; closing clears it (trigger).
 * - Each snooze, unsnooze and wake is an event and an internal system line in the thread, and
 *   goes out on the live feed (internal: the visitor's stream never carries it).
 */
import { Context, Effect, Layer } from "effect";
import { actingRule, ruleLine, withRule } from "./acting-rule.js";
import { isValidTimezone } from "../../flows/availability.js";
import * as wallClock from "./clock.js";
import { Database, type DatabaseShape } from "./database.js";
import { Conflict, type Forbidden, type InvalidInput, type NotFound } from "./errors.js";
import { conversationFor, invalid, logConversationEvent, systemLine, type Actor, type ConversationAccessRow, type Prepare } from "./inbox-access.js";
import { LiveEvents, type LiveEvent, type LiveEventsShape } from "./live-events.js";
import { makeTimedPassLoop } from "./pass-loop.js";

/** The furthest ahead a snooze may end: a year. */
export const SNOOZE_MAX_AHEAD_MS = 365 * 86_400_000;
/**
 * How often the loop looks for due snoozes whatever the timer says: the backstop for a snooze
 * this process did not write (another process on the same file, a restored backup), which
 * then wakes within this.
 */
export const SNOOZE_BACKSTOP_MS = 10_000;
/** setTimeout's limit and the capped delay (pass-loop.ts): a later snooze is re-armed when its timer fires. */
export { MAX_TIMER_MS, wakeDelay } from "./pass-loop.js";
/** Most conversations woken in one pass (the earliest first); the next pass takes the rest. */
const PASS_LIMIT = 200;

/** What a snooze or unsnooze left: the conversation's snooze and version. */
export interface SnoozeOutcome {
  /** When it wakes; null when it is not snoozed. */
  readonly until: number | null;
  readonly version: number;
  /** False when it already was as asked (a double click). */
  readonly changed: boolean;
}

/** A snooze that ended, as its write returns it (for the live feed). */
export interface SnoozeWake {
  readonly conversationId: string;
  readonly inboxId: string;
  readonly why: "time" | "visitor";
  readonly assigneeId: string | null;
  /** Who had set it. */
  readonly snoozedBy: string | null;
  /** The status it had before (a pending one woken by time is open now). */
  readonly from: string;
  readonly status: string;
}

export interface SnoozesShape {
  /**
   * Snoozes an open or pending conversation until `until` (epoch ms, in the future, at most a
   * year ahead) at `expectedVersion`; the thread's line names the time on `timeZone`'s clock.
   * InvalidInput at `version`, `until` or `timeZone`; Conflict for a bot or closed conversation
   * or a stale version; NotFound / Forbidden as the inbox's access rules say.
   */
  readonly snooze: (
    conversationId: string,
    input: { readonly until: number; readonly timeZone: string },
    expectedVersion: number,
    actor: Actor,
  ) => Effect.Effect<SnoozeOutcome, NotFound | Forbidden | Conflict | InvalidInput>;
  /** Ends a snooze now (the agent's Unsnooze) at `expectedVersion`; the status stays as it is. */
  readonly unsnooze: (conversationId: string, expectedVersion: number, actor: Actor) => Effect.Effect<SnoozeOutcome, NotFound | Forbidden | Conflict | InvalidInput>;
  /** Wakes every conversation whose snooze has ended, once; resolves with how many woke. */
  readonly runDue: () => Effect.Effect<number>;
  /**
   * Starts waking snoozes on time: a first pass at once, a timer for the earliest snooze, and a
   * pass every `intervalMs` (default SNOOZE_BACKSTOP_MS) as a backstop; returns its stop.
   */
  readonly start: (intervalMs?: number) => () => void;
  /** Stops the loop and clears the timer (the layer's finalizer, at shutdown). */
  readonly stop: () => void;
  /** The `snoozed_until` the timer is armed for; null when none is (nothing snoozed, not started, stopped). */
  readonly nextWakeAt: () => number | null;
}

export class Snoozes extends Context.Tag("Snoozes")<Snoozes, SnoozesShape>() {}

// ---------------------------------------------------------------------------------------------
// Pure parts

const lineFormats = new Map<string, Intl.DateTimeFormat>();

/** "Thu 27 Nov, 09:00 CET": a snooze's end on `timeZone`'s clock, for the thread's line. Pure. */
export const snoozeTimeText = (until: number, timeZone: string): string => {
  let format = lineFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", {
      weekday: "short",
      day: "numeric",
      month: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZone,
      timeZoneName: "short",
    });
    if (lineFormats.size > 100) lineFormats.clear();
    lineFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(until);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("weekday")} ${part("day")} ${part("month")}, ${part("hour")}:${part("minute")} ${part("timeZoneName")}`.trim();
};

/** Why `until` cannot end a snooze made at `now` (null: it can). Pure. */
export const snoozeUntilIssue = (until: number, now: number): string | null => {
  if (!Number.isSafeInteger(until) || until <= 0) return "the snooze's end is a time (epoch milliseconds)";
  if (until <= now) return "the snooze must end in the future";
  if (until > now + SNOOZE_MAX_AHEAD_MS) return "a snooze ends at most a year from now";
  return null;
};

/** The live event of a snooze that ended: agents' pages re-read, and the person it concerns is told. Pure. */
export const snoozeWakeEvent = (wake: SnoozeWake): LiveEvent => ({
  conversationId: wake.conversationId,
  inboxId: wake.inboxId,
  kind: "conversation",
  internal: true,
  data: { change: "snooze", snoozedUntil: null, ended: wake.why, assigneeId: wake.assigneeId, snoozedBy: wake.snoozedBy, status: wake.status, from: wake.from },
});

// ---------------------------------------------------------------------------------------------
// In a write

interface WakeRow extends Pick<ConversationAccessRow, "id" | "inbox_id" | "channel_id" | "chatflow_id" | "chatflow_version_id" | "is_preview"> {
  readonly status: string;
  readonly assignee_id: string | null;
  readonly snoozed_by: string | null;
}
const WAKE_RETURNING = "id, inbox_id, channel_id, chatflow_id, chatflow_version_id, is_preview, status, assignee_id, snoozed_by";

/**
 * Ends the conversation's snooze, inside the caller's write: the visitor wrote (`visitor`; the
 * caller's own write has opened the conversation already) or its time came (`time`; a pending
 * conversation opens, as of `at`). One UPDATE when it is not snoozed (or, for `time`, not due),
 * returning null; else the line, the events, and what the live feed needs.
 */
export const wakeSnoozeInWrite = (prepare: Prepare, conversationId: string, at: number, why: "visitor" | "time"): SnoozeWake | null => {
  let from: string | undefined;
  if (why === "time") {
    from = (prepare("SELECT status FROM conversations WHERE id = ? AND snoozed_until IS NOT NULL AND snoozed_until <= ?").get(conversationId, at) as
      | { status: string }
      | undefined)?.status;
    if (from === undefined) return null;
  }
  const row = (
    why === "visitor"
      ? prepare(`UPDATE conversations SET snoozed_until = NULL WHERE id = ? AND snoozed_until IS NOT NULL RETURNING ${WAKE_RETURNING}`).get(conversationId)
      : prepare(
          `UPDATE conversations SET snoozed_until = NULL, status = CASE WHEN status = 'pending' THEN 'open' ELSE status END,
             updated_at = ?, last_activity_at = ?, version = version + 1
           WHERE id = ? RETURNING ${WAKE_RETURNING}`,
        ).get(at, at, conversationId)
  ) as WakeRow | undefined;
  if (row === undefined) return null;
  from ??= row.status;
  systemLine(prepare, conversationId, why === "visitor" ? "Snooze ended: the visitor wrote" : "Snooze ended", { snooze: { ended: why } }, at);
  logConversationEvent(prepare, "snooze_ended", row, at, { data: { why, snoozedBy: row.snoozed_by } });
  if (from !== row.status) logConversationEvent(prepare, "status_changed", row, at, { data: { from, to: row.status, by: "snooze" } });
  return { conversationId, inboxId: row.inbox_id, why, assigneeId: row.assignee_id, snoozedBy: row.snoozed_by, from, status: row.status };
};

// ---------------------------------------------------------------------------------------------
// The service

class Refused extends Error {
  constructor(readonly conflict: Conflict) {
    super(conflict.message);
  }
}

const staleConflict = () => new Conflict({ message: "Someone else changed this conversation first. It has been reloaded: check it and try again." });

/** Why a conversation in `status` cannot be snoozed (null: it can). Pure. */
export const snoozeRefusal = (status: string): string | null =>
  status === "open" || status === "pending"
    ? null
    : status === "bot"
      ? "This conversation is with a bot; only an open or pending conversation can be snoozed."
      : `This conversation is ${status}; only an open or pending conversation can be snoozed.`;

/** The Snoozes service over its Database and LiveEvents (exported for tests). */
export const makeSnoozes = (db: DatabaseShape, live: LiveEventsShape): SnoozesShape => {
  const prepare = db.prepare;

  const nameOf = (userId: string): string =>
    (prepare("SELECT COALESCE(display_name, name) AS name FROM users WHERE id = ?").get(userId) as { name: string } | undefined)?.name ?? "an agent";

  /** Runs `write` at `expectedVersion` (Refused / stale mapped to Conflict) and publishes a change. */
  const change = (
    before: ConversationAccessRow,
    write: () => SnoozeOutcome,
  ): Effect.Effect<SnoozeOutcome, Conflict> =>
    db.writeEffect(write).pipe(
      Effect.catchTag("WriteFailed", (failed) =>
        failed.cause instanceof Refused ? Effect.fail(failed.cause.conflict) : Effect.die(failed.cause),
      ),
      Effect.tap((outcome) =>
        outcome.changed
          ? Effect.zipRight(
              // The earliest snooze may have changed: the timer follows it.
              Effect.sync(arm),
              live.publish({
                conversationId: before.id,
                inboxId: before.inbox_id,
                kind: "conversation",
                internal: true,
                data: { change: "snooze", snoozedUntil: outcome.until },
              }),
            )
          : Effect.void,
      ),
    );

  const validVersion = (version: number): Effect.Effect<void, InvalidInput> =>
    Number.isInteger(version) && version >= 1 ? Effect.void : Effect.fail(invalid("version", "the conversation's version is a whole number from 1"));

  const current = (conversationId: string) =>
    prepare("SELECT status, version, snoozed_until FROM conversations WHERE id = ?").get(conversationId) as {
      status: string;
      version: number;
      snoozed_until: number | null;
    };

  const snooze: SnoozesShape["snooze"] = Effect.fn("Snoozes.snooze")(function* (conversationId, input, expectedVersion, actor) {
    // Who may touch it is decided before what they sent (as the thread's status changes do).
    const before = yield* conversationFor(prepare, actor, conversationId);
    yield* validVersion(expectedVersion);
    const now = wallClock.now();
    const issue = snoozeUntilIssue(input.until, now);
    if (issue !== null) return yield* Effect.fail(invalid("until", issue));
    if (!isValidTimezone(input.timeZone)) return yield* Effect.fail(invalid("timeZone", "expected a time zone like Europe/Berlin"));
    const rule = yield* actingRule;
    const until = snoozeTimeText(input.until, input.timeZone);
    const line = rule === null ? `Snoozed by ${nameOf(actor.id)} until ${until}` : ruleLine(`Snoozed until ${until}`, rule);
    return yield* change(before, () => {
      const row = current(conversationId);
      if (row.snoozed_until === input.until) return { until: row.snoozed_until, version: row.version, changed: false };
      const refusal = snoozeRefusal(row.status);
      if (refusal !== null) throw new Refused(new Conflict({ message: refusal }));
      if (row.version !== expectedVersion) throw new Refused(staleConflict());
      prepare(
        `UPDATE conversations SET snoozed_until = ?, snoozed_by = ?, updated_at = ?, last_activity_at = ?, version = version + 1 WHERE id = ?`,
      ).run(input.until, actor.id, now, now, conversationId);
      systemLine(prepare, conversationId, line, withRule({ snooze: { until: input.until } }, rule), now);
      logConversationEvent(prepare, "conversation_snoozed", before, now, { userId: actor.id, data: withRule({ until: input.until, previous: row.snoozed_until }, rule) });
      return { until: input.until, version: row.version + 1, changed: true };
    });
  });

  const unsnooze: SnoozesShape["unsnooze"] = Effect.fn("Snoozes.unsnooze")(function* (conversationId, expectedVersion, actor) {
    const before = yield* conversationFor(prepare, actor, conversationId);
    yield* validVersion(expectedVersion);
    const now = wallClock.now();
    const line = `Unsnoozed by ${nameOf(actor.id)}`;
    return yield* change(before, () => {
      const row = current(conversationId);
      if (row.snoozed_until === null) return { until: null, version: row.version, changed: false };
      if (row.version !== expectedVersion) throw new Refused(staleConflict());
      prepare("UPDATE conversations SET snoozed_until = NULL, updated_at = ?, last_activity_at = ?, version = version + 1 WHERE id = ?").run(
        now,
        now,
        conversationId,
      );
      systemLine(prepare, conversationId, line, { snooze: { ended: "agent" } }, now);
      logConversationEvent(prepare, "conversation_unsnoozed", before, now, { userId: actor.id, data: { until: row.snoozed_until } });
      return { until: null, version: row.version + 1, changed: true };
    });
  });

  // The partial index holds only snoozed rows: this reads the due ones and nothing else.
  const SELECT_DUE = "SELECT id FROM conversations WHERE snoozed_until IS NOT NULL AND snoozed_until <= ? ORDER BY snoozed_until LIMIT ?";

  // The same index's first entry: the next snooze to end.
  const SELECT_NEXT = "SELECT MIN(snoozed_until) AS at FROM conversations WHERE snoozed_until IS NOT NULL";

  const runDue: SnoozesShape["runDue"] = () =>
    Effect.gen(function* () {
      const at = wallClock.now();
      const due = prepare(SELECT_DUE).all(at, PASS_LIMIT) as Array<{ id: string }>;
      if (due.length === 0) {
        arm();
        return 0;
      }
      const woken = yield* Effect.orDie(
        db.writeEffect(() => due.map((d) => wakeSnoozeInWrite(prepare, d.id, at, "time")).filter((w): w is SnoozeWake => w !== null)),
      );
      for (const wake of woken) {
        yield* live.publish(snoozeWakeEvent(wake));
        if (wake.from !== wake.status) {
          const data = { status: wake.status, from: wake.from, by: "snooze" };
          yield* live.publish({ conversationId: wake.conversationId, inboxId: wake.inboxId, kind: "status", data });
        }
      }
      if (due.length === PASS_LIMIT) loop.wake();
      else arm();
      return woken.length;
    });

  // One timer at the earliest snooze (none: no timer), while started and the database is open.
  const loop = makeTimedPassLoop("Snoozes", () => db.sqlite.open, runDue, () => (prepare(SELECT_NEXT).get() as { at: number | null }).at, wallClock.now);
  const arm = loop.arm;

  return { snooze, unsnooze, runDue, start: (intervalMs = SNOOZE_BACKSTOP_MS) => loop.start(intervalMs), stop: loop.stop, nextWakeAt: loop.armedFor };
};

/** The service; its timer and loop stop when the layer is released (shutdown), before the database closes. */
export const layer: Layer.Layer<Snoozes, never, Database | LiveEvents> = Layer.scoped(
  Snoozes,
  Effect.gen(function* () {
    const snoozes = makeSnoozes(yield* Database, yield* LiveEvents);
    yield* Effect.addFinalizer(() => Effect.sync(snoozes.stop));
    return snoozes;
  }),
);
