/**
 * Deliveries: sends the replies of conversations that live outside the widget (email,
 * Messenger, and forms' and away messages' conversations answered by email) through their
 * channel, from the `deliveries` outbox (migrations 17 and 19).
 *
 * A bot or agent message in such a conversation gets its outbox row in the message's own
 * transaction, so nothing acknowledged is lost when the process dies before sending. This
 * service sends due rows in message order, one conversation's messages one after another (a
 * later one waits while an earlier one waits for its retry), several conversations at once,
 * and records each outcome: `sent` (with the outside id, which also goes to
 * `external_messages` for threading), a retry later with backoff, or `failed` with the reason
 * the agent sees beside the message (and can retry).
 *
 * The channels' own services register one Sender per kind when they are built. The loop runs
 * every second and at once when a writer calls `wake()` after its commit.
 *
 * Every change of a row's state (sent, a retry scheduled, failed, queued again by `retry`) is
 * published after its commit as an agents-only `conversation` event (`change: "delivery"`), so an
 * open thread re-reads and shows it without a reload.
 *
 * At shutdown (the layer's finalizer, before the database closes) the outbox drains as the
 * outgoing webhooks do (decisions 040 and 042): no pass and no send starts any more, and the sends
 * under way get up to SHUTDOWN_WAIT_SECONDS to be answered and recorded, so a reply the relay or
 * Graph took is not sent again after the restart. Sends still going then are let go: their rows
 * stay pending with no try counted, and go out after the restart.
 */
import { Context, Data, Effect, Layer, Option } from "effect";
import { now } from "./clock.js";
import { AppConfig } from "./config.js";
import { Database } from "./database.js";
import { NotFound } from "./errors.js";
import { LiveEvents } from "./live-events.js";
import { makePassLoop } from "./pass-loop.js";
import { drainedLoop, makeSendDrain } from "./send-drain.js";

/**
 * Which sender a row goes to: its channel's kind, or `reply_by_email` for a conversation of a
 * channel with no way back of its own (a form, an away message) that is answered by email
 * through its inbox's team email (migration 19).
 */
export type OutsideKind = "email" | "messenger" | "reply_by_email";

/** One message to send, with what a sender needs to address it. */
export interface Outbound {
  readonly messageId: number;
  readonly conversationId: string;
  readonly channelId: string;
  readonly kind: OutsideKind;
  /** The channel's stored config object. */
  readonly config: Record<string, unknown>;
  readonly author: "bot" | "agent";
  readonly userId: string | null;
  readonly text: string;
  /** The message's parsed payload (choices, bubble, …), or null. */
  readonly payload: Record<string, unknown> | null;
  readonly createdAt: number;
  /** 1 for the first try. */
  readonly attempt: number;
}

/** A send did not go through: `permanent` ends the tries at once (bad address, closed window). */
export class SendFailed extends Data.TaggedError("SendFailed")<{
  readonly reason: string;
  readonly permanent: boolean;
}> {}

export interface Sent {
  /** The outside id of what was sent (an email's Message-ID, a Messenger mid). */
  readonly externalId?: string | undefined;
  /** The channel whose ids `externalId` is one of, when not the conversation's own (a reply by email goes through an email channel). */
  readonly externalChannelId?: string | undefined;
}

export type Sender = (message: Outbound) => Effect.Effect<Sent, SendFailed>;

export type DeliveryState = "pending" | "sent" | "failed";

export interface DeliveryStatus {
  readonly messageId: number;
  readonly status: DeliveryState;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly sentAt: number | null;
  readonly nextAttemptAt: number | null;
}

export interface PassResult {
  readonly sent: number;
  readonly retrying: number;
  readonly failed: number;
}

/** Waits before the 2nd, 3rd, … try; after the last one the message is `failed`. */
export const RETRY_DELAYS_MS: ReadonlyArray<number> = [10_000, 60_000, 5 * 60_000, 15 * 60_000, 60 * 60_000, 3 * 60 * 60_000, 6 * 60 * 60_000];

/** When the try after `attempts` failed ones is due, or null when there is none left. Pure. */
export const nextAttemptAt = (attempts: number, at: number): number | null => {
  const delay = RETRY_DELAYS_MS[attempts - 1];
  return delay === undefined ? null : at + delay;
};

export interface DeliveriesShape {
  /** Sets the sender of a kind (its channel's service does, when built); a later call replaces it. */
  readonly register: (kind: OutsideKind, sender: Sender) => void;
  /** Sends every due message once, in order; resolves when the pass is over. */
  readonly runDue: () => Effect.Effect<PassResult>;
  /** Asks the loop for a pass now (after a commit that wrote replies). */
  readonly wake: () => void;
  /** Starts the loop (every `intervalMs`, default 1 s, and on `wake`); returns its stop. */
  readonly start: (intervalMs?: number) => () => void;
  /** The outbox rows of a conversation's messages, oldest first. */
  readonly forConversation: (conversationId: string) => Effect.Effect<ReadonlyArray<DeliveryStatus>>;
  /** Tries a failed message of this conversation again, now. */
  readonly retry: (conversationId: string, messageId: number) => Effect.Effect<void, NotFound>;
  /**
   * Shutdown: stops the loop, starts no pass and no send, waits up to `waitMs` for the sends under
   * way to be answered and recorded, then interrupts the rest (their rows stay pending, no try
   * counted). Resolves with how many finished and how many were let go.
   */
  readonly drain: (waitMs: number) => Effect.Effect<{ readonly finished: number; readonly interrupted: number }>;
}

/** How long shutdown waits, by default, for the sends under way (SHUTDOWN_WAIT_SECONDS sets it). */
export const DELIVERY_SHUTDOWN_WAIT_MS = 5_000;

export class Deliveries extends Context.Tag("Deliveries")<Deliveries, DeliveriesShape>() {}

interface DueRow {
  readonly message_id: number;
  readonly conversation_id: string;
  readonly inbox_id: string;
  readonly channel_id: string;
  readonly attempts: number;
  readonly kind: OutsideKind;
  readonly config: string;
  readonly author: "bot" | "agent";
  readonly user_id: string | null;
  readonly text: string;
  readonly payload: string | null;
  readonly created_at: number;
}

// Due rows whose conversation has no earlier message still waiting for its retry: order first.
const SELECT_DUE = `
SELECT d.message_id, d.conversation_id, c.inbox_id, d.channel_id, d.attempts,
       CASE WHEN c.reply_by_email = 1 AND ch.kind NOT IN ('email', 'messenger') THEN 'reply_by_email' ELSE ch.kind END AS kind, ch.config,
       m.author, m.user_id, m.text, m.payload, m.created_at
  FROM deliveries d
  JOIN messages m ON m.id = d.message_id
  JOIN conversations c ON c.id = d.conversation_id
  JOIN channels ch ON ch.id = d.channel_id
 WHERE d.status = 'pending' AND d.next_attempt_at <= ?
   AND NOT EXISTS (SELECT 1 FROM deliveries e
                    WHERE e.conversation_id = d.conversation_id AND e.status = 'pending'
                      AND e.message_id < d.message_id AND e.next_attempt_at > ?)
 ORDER BY d.message_id
 LIMIT 200`;

const parseObject = (text: string | null): Record<string, unknown> | null => {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

/** Most conversations sent to at once in one pass. */
const CONCURRENCY = 4;
/** The longest a failure reason is kept. */
const MAX_REASON = 500;

/** What a delivery event's `data` holds: which message, and the state it is in now. */
export interface DeliveryChange {
  readonly change: "delivery";
  readonly messageId: string;
  readonly status: DeliveryState;
  readonly attempts: number;
}

/**
 * The outbox over the app's Database and LiveEvents. Released before the database (it depends on
 * it), its finalizer drains the sends under way for the configured wait (AppConfig's
 * shutdownWaitMs, else DELIVERY_SHUTDOWN_WAIT_MS), so their outcomes are written.
 */
export const layer: Layer.Layer<Deliveries, never, Database | LiveEvents> = Layer.scoped(
  Deliveries,
  Effect.gen(function* () {
    const db = yield* Database;
    const live = yield* LiveEvents;
    const config = yield* Effect.serviceOption(AppConfig);
    const shutdownWaitMs = Option.match(config, { onNone: () => undefined, onSome: (c) => c.shutdownWaitMs }) ?? DELIVERY_SHUTDOWN_WAIT_MS;

    /** Tells the agents' pages (never the visitor's stream: `internal`) that a message's delivery changed. Call after the commit. */
    const announce = (conversationId: string, inboxId: string, messageId: number, status: DeliveryState, attempts: number) => {
      const data: DeliveryChange = { change: "delivery", messageId: String(messageId), status, attempts };
      live.publishNow({ conversationId, inboxId, kind: "conversation", internal: true, data });
    };
    const senders = new Map<OutsideKind, Sender>();
    const warnedKinds = new Set<OutsideKind>();

    const record = (row: DueRow, outcome: { sent: Sent } | { failed: SendFailed }) =>
      db.writeEffect((sqlite) => {
        const at = now();
        const attempts = row.attempts + 1;
        if ("sent" in outcome) {
          const externalId = outcome.sent.externalId ?? null;
          const { changes } = sqlite
            .prepare(
              "UPDATE deliveries SET status = 'sent', attempts = ?, sent_at = ?, external_id = ?, last_error = NULL WHERE message_id = ? AND status = 'pending'",
            )
            .run(attempts, at, externalId, row.message_id);
          if (externalId !== null) {
            sqlite
              .prepare(
                `INSERT OR IGNORE INTO external_messages (channel_id, external_id, conversation_id, message_id, direction, created_at)
                 VALUES (?, ?, ?, ?, 'out', ?)`,
              )
              .run(outcome.sent.externalChannelId ?? row.channel_id, externalId, row.conversation_id, row.message_id, at);
          }
          return { result: "sent" as const, attempts, changed: changes > 0 };
        }
        const reason = outcome.failed.reason.slice(0, MAX_REASON);
        const next = outcome.failed.permanent ? null : nextAttemptAt(attempts, at);
        if (next === null) {
          const why = outcome.failed.permanent ? reason : `gave up after ${attempts} tries: ${reason}`;
          const { changes } = sqlite
            .prepare("UPDATE deliveries SET status = 'failed', attempts = ?, last_error = ? WHERE message_id = ? AND status = 'pending'")
            .run(attempts, why, row.message_id);
          return { result: "failed" as const, attempts, changed: changes > 0 };
        }
        const { changes } = sqlite
          .prepare("UPDATE deliveries SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE message_id = ? AND status = 'pending'")
          .run(attempts, reason, next, row.message_id);
        return { result: "retrying" as const, attempts, changed: changes > 0 };
      });

    const sendOne = (row: DueRow) =>
      Effect.gen(function* () {
        const sender = senders.get(row.kind);
        if (!sender) {
          if (!warnedKinds.has(row.kind)) {
            warnedKinds.add(row.kind);
            console.error(`Deliveries: no sender for ${row.kind} channels; their replies wait in the outbox.`);
          }
          return "skipped" as const;
        }
        const outcome = yield* sender({
          messageId: row.message_id,
          conversationId: row.conversation_id,
          channelId: row.channel_id,
          kind: row.kind,
          config: parseObject(row.config) ?? {},
          author: row.author,
          userId: row.user_id,
          text: row.text,
          payload: parseObject(row.payload),
          createdAt: row.created_at,
          attempt: row.attempts + 1,
        }).pipe(
          Effect.map((sent) => ({ sent })),
          Effect.catchAll((failed) => Effect.succeed({ failed })),
          // A sender that dies (a bug) fails this try like a network error, and the pass goes on.
          Effect.catchAllDefect((defect) =>
            Effect.succeed({ failed: new SendFailed({ reason: `unexpected error: ${String(defect)}`, permanent: false }) }),
          ),
        );
        const recorded = yield* Effect.orDie(record(row, outcome));
        if (recorded.changed) {
          announce(row.conversation_id, row.inbox_id, row.message_id, recorded.result === "retrying" ? "pending" : recorded.result, recorded.attempts);
        }
        return recorded.result;
      });

    /** Shutdown: no pass and no send starts once draining; a send not started is "held" (left pending and due). */
    const shutdown = makeSendDrain();

    // One conversation's due messages in order; the first that does not go through holds the rest.
    const sendConversation = (rows: ReadonlyArray<DueRow>) =>
      Effect.gen(function* () {
        const tally = { sent: 0, retrying: 0, failed: 0 };
        for (const row of rows) {
          const result = yield* shutdown.guard(sendOne(row));
          if (result === "skipped" || result === "held") break;
          tally[result]++;
          if (result !== "sent") break;
        }
        return tally;
      });

    const pass = () =>
      Effect.gen(function* () {
        const at = now();
        const rows = db.prepare(SELECT_DUE).all(at, at) as DueRow[];
        const byConversation = new Map<string, DueRow[]>();
        for (const row of rows) {
          const list = byConversation.get(row.conversation_id);
          if (list) list.push(row);
          else byConversation.set(row.conversation_id, [row]);
        }
        const tallies = yield* Effect.forEach([...byConversation.values()], sendConversation, { concurrency: CONCURRENCY });
        return tallies.reduce(
          (total, t) => ({ sent: total.sent + t.sent, retrying: total.retrying + t.retrying, failed: total.failed + t.failed }),
          { sent: 0, retrying: 0, failed: 0 },
        );
      });

    // A pass races shutdown's letting go: interrupted then, the sends it was waiting on are not recorded (still pending).
    const runDue: DeliveriesShape["runDue"] = () =>
      shutdown.pass(pass(), { sent: 0, retrying: 0, failed: 0 });

    // One pass at a time; a wake during a pass asks for another right after it.
    const loop = makePassLoop("Deliveries", () => db.sqlite.open, runDue);
    const wake = loop.wake;
    const drained = drainedLoop(shutdown, loop.start);
    const start: DeliveriesShape["start"] = (intervalMs = 1000) => drained.start(intervalMs);
    // What is still going after the wait is let go: interrupted, its row left pending (sent after the restart).
    // Interrupted passes end at once (a write under way finishes first: it is synchronous).
    const drain: DeliveriesShape["drain"] = drained.drain;
    yield* Effect.addFinalizer(() => drain(shutdownWaitMs));

    const forConversation: DeliveriesShape["forConversation"] = (conversationId) =>
      Effect.sync(() =>
        (
          db
            .prepare(
              `SELECT message_id, status, attempts, last_error, sent_at, next_attempt_at FROM deliveries
                WHERE conversation_id = ? ORDER BY message_id`,
            )
            .all(conversationId) as Array<{
            message_id: number;
            status: DeliveryState;
            attempts: number;
            last_error: string | null;
            sent_at: number | null;
            next_attempt_at: number;
          }>
        ).map((row) => ({
          messageId: row.message_id,
          status: row.status,
          attempts: row.attempts,
          lastError: row.last_error,
          sentAt: row.sent_at,
          nextAttemptAt: row.status === "pending" ? row.next_attempt_at : null,
        })),
      );

    const retry: DeliveriesShape["retry"] = (conversationId, messageId) =>
      Effect.gen(function* () {
        const queued = yield* Effect.orDie(
          db.writeEffect((sqlite) => {
            const changed = sqlite
              .prepare(
                "UPDATE deliveries SET status = 'pending', next_attempt_at = ? WHERE message_id = ? AND conversation_id = ? AND status = 'failed'",
              )
              .run(now(), messageId, conversationId).changes;
            if (changed === 0) return null;
            return sqlite
              .prepare("SELECT d.attempts, c.inbox_id FROM deliveries d JOIN conversations c ON c.id = d.conversation_id WHERE d.message_id = ?")
              .get(messageId) as { attempts: number; inbox_id: string };
          }),
        );
        if (queued === null) return yield* Effect.fail(new NotFound({ entity: "failed delivery", id: String(messageId) }));
        announce(conversationId, queued.inbox_id, messageId, "pending", queued.attempts);
        wake();
      });

    return {
      register: (kind, sender) => {
        senders.set(kind, sender);
      },
      runDue,
      wake,
      start,
      forConversation,
      retry,
      drain,
    };
  }),
);
