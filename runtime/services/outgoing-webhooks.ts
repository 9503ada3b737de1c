/**
 * Outgoing webhooks: Parley POSTs signed JSON to a subscriber's URL (a CRM, Slack, n8n, Zapier)
 * when things happen — a conversation is created, handed off, assigned, closed or reopened, a
 * label is added to or taken off it, a visitor or agent writes, a contact or ticket is created, a ticket's status changes, a visitor
 * rates a conversation. Admins keep the subscriptions (Settings → Webhooks).
 *
 * - Fan-out: a background pass reads the append-only `events` log (and new contacts, by rowid)
 *   after a cursor (migration 29), writes one delivery per event and enabled subscription that
 *   wants its type, and moves the cursor — all in one write. Nothing is added to the writes that
 *   make the events: no trigger, nothing per bot turn. With no enabled subscription a pass is
 *   one read and no write (enabling the first subscription moves the cursor to the log's end).
 * - Sending: the same pass starts one sending lane per subscription with due deliveries (a few
 *   at once each, no transaction held across the call), so a slow or dead receiver holds up only
 *   its own deliveries; the loop does not wait for the lanes. POSTs go through the WebhookClient (its timeout, response cap, same-host redirects and
 *   private-address rule), signed `X-Parley-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret,
 *   "<t>.<body>")>`. A 2xx succeeds; anything else retries after 1 min, 5 min, 30 min, 2 h and
 *   8 h, and is `failed` after the 6th attempt. Pending deliveries live in SQLite, so they
 *   survive a restart; deliveries older than 30 days are pruned.
 * - Shutdown (the layer's finalizer, before the database closes): no lane or call starts any
 *   more, and the calls under way get up to WEBHOOK_SHUTDOWN_WAIT_MS to finish and have their
 *   outcome recorded — a delivery the receiver took is not sent again after the restart. Calls
 *   still going then are interrupted and stay pending (sent again after the restart).
 */
import { createHmac, randomBytes } from "node:crypto";
import { Context, Effect, Layer, Option, Schema as S } from "effect";
import { ruleNamedIn } from "./acting-rule.js";
import { parseJsonObject } from "./channels.js";
import * as wallClock from "./clock.js";
import { auditActorAs, recordAudit, type AuditActor } from "./audit-log.js";
import { AppConfig } from "./config.js";
import { Database, type DatabaseShape } from "./database.js";
import { Conflict, Forbidden, NotFound, type InvalidInput } from "./errors.js";
import { newId } from "./ids.js";
import { decodeInput, type Actor, type Prepare } from "./inbox-access.js";
import { makePassLoop } from "./pass-loop.js";
import { makeSendDrain } from "./send-drain.js";
import { checkWebhookUrl, WebhookClient, WebhookFailed, type WebhookClientShape } from "./webhook-client.js";

// ---------------------------------------------------------------------------------------------
// Contract

/** The event types a subscription may ask for, in the order the settings page lists them. */
export const WEBHOOK_EVENT_TYPES = [
  "conversation.created",
  "conversation.handed_off",
  "conversation.assigned",
  "conversation.closed",
  "conversation.reopened",
  "conversation.labels_changed",
  "conversation.overdue",
  "message.created",
  "contact.created",
  "ticket.created",
  "ticket.status_changed",
  "rating.created",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What each event type means, for the settings page's checkboxes. */
export const WEBHOOK_EVENT_LABELS: Readonly<Record<WebhookEventType, string>> = {
  "conversation.created": "A conversation starts (any channel)",
  "conversation.handed_off": "A bot hands a conversation to the team, or an agent takes it over",
  "conversation.assigned": "A conversation is assigned to a person or a team",
  "conversation.closed": "A conversation is closed",
  "conversation.reopened": "A closed conversation is opened again",
  "conversation.labels_changed": "A label is added to or removed from a conversation (by an agent or a bot)",
  "conversation.overdue": "A waiting visitor's first response or next reply falls past the inbox's response target",
  "message.created": "A visitor or an agent writes (never internal comments or bot messages)",
  "contact.created": "A contact is created (by an agent, a bot, email, a form or the widget)",
  "ticket.created": "A ticket is created",
  "ticket.status_changed": "A ticket's status changes",
  "rating.created": "A visitor rates a conversation",
};

/** Waits before the 2nd … 6th attempt; the 6th failure is final. */
export const WEBHOOK_RETRY_DELAYS_MS: ReadonlyArray<number> = [60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 8 * 3_600_000];
/** Attempts before a delivery is `failed`. */
export const WEBHOOK_MAX_ATTEMPTS = WEBHOOK_RETRY_DELAYS_MS.length + 1;
/** How long one POST may take (connection, redirects, response). */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** Deliveries older than this are deleted. */
export const WEBHOOK_KEEP_MS = 30 * 86_400_000;
/** How often the loop runs its pass when nothing wakes it. */
export const WEBHOOK_LOOP_MS = 2_000;
/** How long shutdown waits, by default, for the calls under way (SHUTDOWN_WAIT_SECONDS sets it). */
export const WEBHOOK_SHUTDOWN_WAIT_MS = 5_000;
/** The deliveries the settings page shows per subscription. */
export const WEBHOOK_LOG_SIZE = 50;

const EVENTS_PER_PASS = 500;
const CONTACTS_PER_PASS = 200;
/** Due deliveries one lane (one subscription) sends before it ends and the loop starts it again. */
const SENDS_PER_LANE = 100;
/** POSTs in flight at once to one subscription. */
const CONCURRENCY_PER_SUBSCRIPTION = 4;
const PRUNE_EVERY_MS = 3_600_000;
const MAX_ERROR = 500;

export type WebhookDeliveryStatus = "pending" | "succeeded" | "failed";

export interface WebhookSubscription {
  readonly id: string;
  readonly url: string;
  readonly description: string;
  readonly eventTypes: ReadonlyArray<WebhookEventType>;
  readonly enabled: boolean;
  readonly createdAt: number;
  readonly createdBy: string | null;
  /** The latest delivery's status and time, or null before the first. */
  readonly lastDelivery: { readonly status: WebhookDeliveryStatus; readonly attempts: number; readonly at: number } | null;
}

/** A subscription with its signing secret (the settings page shows it to admins). */
export interface WebhookSubscriptionDetails extends WebhookSubscription {
  readonly secret: string;
}

export interface WebhookDelivery {
  readonly id: string;
  readonly eventType: string;
  readonly status: WebhookDeliveryStatus;
  readonly attempts: number;
  readonly nextAttemptAt: number | null;
  readonly responseStatus: number | null;
  readonly error: string | null;
  readonly createdAt: number;
  readonly deliveredAt: number | null;
}

export interface WebhookPassResult {
  /** Deliveries written by the fan-out. */
  readonly queued: number;
  readonly succeeded: number;
  readonly retrying: number;
  readonly failed: number;
}

export interface OutgoingWebhooksShape {
  /** Every subscription, newest first, with its latest delivery (admins). */
  readonly list: (actor: Actor) => Effect.Effect<ReadonlyArray<WebhookSubscription>, Forbidden>;
  /** One subscription with its secret (admins). */
  readonly get: (actor: Actor, id: string) => Effect.Effect<WebhookSubscriptionDetails, Forbidden | NotFound>;
  /** Adds one (`{url, description?, eventTypes, enabled?}`) with a new secret; it hears events from now on. */
  readonly create: (actor: Actor, input: unknown) => Effect.Effect<WebhookSubscriptionDetails, Forbidden | InvalidInput>;
  /** Rewrites URL, description, event types and enabled; enabling again hears events from now on. */
  readonly update: (actor: Actor, id: string, input: unknown) => Effect.Effect<WebhookSubscriptionDetails, Forbidden | InvalidInput | NotFound>;
  /** Turns it on or off (off: nothing is queued or sent for it, pending deliveries wait). */
  readonly setEnabled: (actor: Actor, id: string, enabled: boolean) => Effect.Effect<WebhookSubscriptionDetails, Forbidden | NotFound>;
  /** Replaces the secret; later sends are signed with the new one. */
  readonly rollSecret: (actor: Actor, id: string) => Effect.Effect<WebhookSubscriptionDetails, Forbidden | NotFound>;
  /** Deletes it and its deliveries. */
  readonly remove: (actor: Actor, id: string) => Effect.Effect<void, Forbidden | NotFound>;
  /** Queues a `ping` delivery now; Conflict when the subscription is disabled. */
  readonly sendTest: (actor: Actor, id: string) => Effect.Effect<WebhookDelivery, Forbidden | NotFound | Conflict>;
  /** Its latest deliveries, newest first (at most WEBHOOK_LOG_SIZE). */
  readonly deliveries: (actor: Actor, id: string) => Effect.Effect<ReadonlyArray<WebhookDelivery>, Forbidden | NotFound>;
  /** Queues a failed delivery again now, the same body with a fresh series of attempts. */
  readonly redeliver: (actor: Actor, id: string, deliveryId: string) => Effect.Effect<WebhookDelivery, Forbidden | NotFound | Conflict>;
  /**
   * One pass: fan the new events out, then send what is due, one lane per subscription (and prune,
   * at most hourly); resolves when the lanes it started are done (a subscription whose lane is
   * still sending from an earlier pass is left to it). The loop runs the same pass without waiting.
   */
  readonly runPass: () => Effect.Effect<WebhookPassResult>;
  /** Asks the loop for a pass now. */
  readonly wake: () => void;
  /** Starts the loop (a first pass at once, then every `intervalMs`); returns its stop. */
  readonly start: (intervalMs?: number) => () => void;
  /**
   * Shutdown: stops the loop, starts no lane and no call any more, and waits up to `waitMs` for
   * the calls under way to finish and be recorded; the ones still going then are interrupted
   * (their deliveries stay pending). Resolves with how many calls it waited for and how many it
   * interrupted. Final: the service sends nothing afterwards.
   */
  readonly drain: (waitMs: number) => Effect.Effect<{ readonly finished: number; readonly interrupted: number }>;
}

export class OutgoingWebhooks extends Context.Tag("OutgoingWebhooks")<OutgoingWebhooks, OutgoingWebhooksShape>() {}

// ---------------------------------------------------------------------------------------------
// Input

const isEventType = (text: string): text is WebhookEventType => (WEBHOOK_EVENT_TYPES as ReadonlyArray<string>).includes(text);
const eventType = S.String.pipe(
  S.filter(isEventType, {
    message: (issue) => `unknown event type ${JSON.stringify(issue.actual)}; expected one of ${WEBHOOK_EVENT_TYPES.join(", ")}`,
  }),
);

/** A subscription as an admin writes it (form or JSON). */
export const WebhookSubscriptionInput = S.Struct({
  url: S.Trim.pipe(
    S.minLength(1, { message: () => "enter the URL Parley should POST to" }),
    S.maxLength(2000, { message: () => "a URL is at most 2,000 characters" }),
    S.filter((url) => {
      const checked = checkWebhookUrl(url);
      return checked instanceof WebhookFailed ? checked.message : true;
    }),
  ),
  description: S.optionalWith(S.Trim.pipe(S.maxLength(200, { message: () => "a description is at most 200 characters" })), {
    default: () => "",
  }),
  eventTypes: S.Array(eventType).pipe(S.minItems(1, { message: () => "choose at least one event" })),
  enabled: S.optionalWith(S.Boolean, { default: () => true }),
});
export type WebhookSubscriptionInput = typeof WebhookSubscriptionInput.Type;

// ---------------------------------------------------------------------------------------------
// Pure parts

/** A new signing secret: `whsec_` and 32 random bytes, base64url. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString("base64url")}`;

/** The `X-Parley-Signature` value for `body` sent at `unixSeconds`. Pure. */
export const webhookSignature = (secret: string, unixSeconds: number, body: string): string =>
  `t=${unixSeconds},v1=${createHmac("sha256", secret).update(`${unixSeconds}.${body}`).digest("hex")}`;

/** When the attempt after `attempts` failed ones is due, or null when that was the last. Pure. */
export const nextWebhookAttemptAt = (attempts: number, at: number): number | null => {
  const delay = WEBHOOK_RETRY_DELAYS_MS[attempts - 1];
  return delay === undefined ? null : at + delay;
};

/** The JSON body of a delivery. Pure. */
export const webhookBody = (deliveryId: string, type: string, at: number, data: unknown): string =>
  JSON.stringify({ id: deliveryId, type, createdAt: new Date(at).toISOString(), data });

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** The internal event types the fan-out reads (every public type but contact.created comes from one of these). */
const SOURCE_TYPES = [
  "conversation_created",
  "handoff",
  "agent_took_over",
  "assigned",
  "status_changed",
  "message_created",
  "ticket_created",
  "ticket_updated",
  "conversation_rated",
  "label_added",
  "label_removed",
  "response_overdue",
] as const;

interface EventRow {
  readonly id: number;
  readonly type: string;
  readonly at: number;
  readonly conversation_id: string | null;
  readonly chatflow_id: string | null;
  readonly user_id: string | null;
  readonly inbox_id: string | null;
  readonly channel_id: string | null;
  readonly team_id: string | null;
  readonly data: string | null;
}

/** The public type of an internal event, or null when no subscriber hears of it. Pure. */
export const publicEventType = (type: string, data: Record<string, unknown>): WebhookEventType | null => {
  switch (type) {
    case "conversation_created":
      return "conversation.created";
    case "handoff":
    case "agent_took_over":
      return "conversation.handed_off";
    case "assigned":
      return "conversation.assigned";
    case "status_changed":
      return data.to === "closed" ? "conversation.closed" : data.from === "closed" ? "conversation.reopened" : null;
    case "message_created":
      return data.internal === false && (data.author === "visitor" || data.author === "agent") ? "message.created" : null;
    case "ticket_created":
      return "ticket.created";
    case "ticket_updated": {
      const from = data.from as { status?: unknown } | undefined;
      const to = data.to as { status?: unknown } | undefined;
      return to?.status !== undefined && from?.status !== to.status ? "ticket.status_changed" : null;
    }
    case "conversation_rated":
      return "rating.created";
    case "label_added":
    case "label_removed":
      return "conversation.labels_changed";
    case "response_overdue":
      return "conversation.overdue";
    default:
      return null;
  }
};

// ---------------------------------------------------------------------------------------------
// Rows

interface SubscriptionRow {
  readonly id: string;
  readonly url: string;
  readonly description: string;
  readonly secret: string;
  readonly event_types: string;
  readonly enabled: number;
  readonly starts_after_event_id: number;
  readonly starts_after_contact_rowid: number;
  readonly created_at: number;
  readonly created_by: string | null;
  readonly last_status: WebhookDeliveryStatus | null;
  readonly last_at: number | null;
  readonly last_attempts: number | null;
}

interface DeliveryRow {
  readonly id: string;
  readonly event_type: string;
  readonly status: WebhookDeliveryStatus;
  readonly attempts: number;
  readonly next_attempt_at: number | null;
  readonly last_response_status: number | null;
  readonly last_error: string | null;
  readonly created_at: number;
  readonly delivered_at: number | null;
}

/** How the deliveries log names a call that got no usable answer (the client's reason code is for code, not people). */
const FAILURE_TEXT: Readonly<Record<WebhookFailed["reason"], string>> = {
  timeout: "No answer in time",
  network: "Could not connect",
  too_large: "The answer was too large",
  redirect_refused: "Redirect refused",
  bad_url: "URL refused",
  bad_request: "Request refused",
};

const SUBSCRIPTION_SELECT = `
SELECT s.*, d.status AS last_status, d.attempts AS last_attempts, d.updated_at AS last_at
  FROM webhook_subscriptions s
  LEFT JOIN webhook_deliveries d ON d.id = (
    SELECT id FROM webhook_deliveries WHERE subscription_id = s.id ORDER BY created_at DESC, rowid DESC LIMIT 1)`;
const DELIVERY_COLUMNS = "id, event_type, status, attempts, next_attempt_at, last_response_status, last_error, created_at, delivered_at";

const eventTypesOf = (text: string): ReadonlyArray<WebhookEventType> => {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? WEBHOOK_EVENT_TYPES.filter((t) => parsed.includes(t)) : [];
};

const toSubscription = (row: SubscriptionRow): WebhookSubscription => ({
  id: row.id,
  url: row.url,
  description: row.description,
  eventTypes: eventTypesOf(row.event_types),
  enabled: row.enabled === 1,
  createdAt: row.created_at,
  createdBy: row.created_by,
  lastDelivery: row.last_status === null || row.last_at === null ? null : { status: row.last_status, attempts: row.last_attempts ?? 0, at: row.last_at },
});

const toDelivery = (row: DeliveryRow): WebhookDelivery => ({
  id: row.id,
  eventType: row.event_type,
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: row.status === "pending" ? row.next_attempt_at : null,
  responseStatus: row.last_response_status,
  error: row.last_error,
  createdAt: row.created_at,
  deliveredAt: row.delivered_at,
});

// ---------------------------------------------------------------------------------------------
// The fan-out's payloads (inside its write)

/** The `data` of an event's delivery, read as of the fan-out; null when what it names is gone. */
const eventData = (prepare: Prepare, type: WebhookEventType, event: EventRow, data: Record<string, unknown>): unknown => {
  const conversation = {
    id: event.conversation_id,
    inboxId: event.inbox_id,
    channelId: event.channel_id,
    chatflowId: event.chatflow_id,
  };
  switch (type) {
    case "conversation.created": {
      // The engine's events (chat, a Messenger bot) name no `via`: the channel's kind says it.
      const kind = () => (prepare("SELECT kind FROM channels WHERE id = ?").get(event.channel_id) as { kind: string } | undefined)?.kind ?? "chat";
      return { conversation, via: typeof data.via === "string" ? data.via : kind(), pageUrl: typeof data.pageUrl === "string" ? data.pageUrl : null };
    }
    case "conversation.handed_off":
      return event.type === "handoff"
        ? { conversation, by: "bot", target: data.target ?? null, teamId: event.team_id, userId: event.user_id, away: data.away === true }
        : { conversation, by: "agent", target: "user", teamId: null, userId: event.user_id, away: false };
    case "conversation.assigned":
      return { conversation, assigneeId: event.user_id, teamId: event.team_id, rule: ruleNamedIn(data) };
    case "conversation.closed":
    case "conversation.reopened":
      return { conversation, from: data.from ?? null, to: data.to ?? null, by: data.by ?? null, rule: ruleNamedIn(data) };
    case "message.created": {
      const message = prepare("SELECT id, author, user_id, text, created_at FROM messages WHERE id = ?").get(Number(data.messageId)) as
        | { id: number; author: string; user_id: string | null; text: string; created_at: number }
        | undefined;
      if (message === undefined) return null;
      return {
        conversation,
        message: { id: String(message.id), author: message.author, userId: message.user_id, text: message.text, createdAt: new Date(message.created_at).toISOString() },
        rule: ruleNamedIn(data),
      };
    }
    case "ticket.created":
    case "ticket.status_changed": {
      const ticket = prepare("SELECT id, inbox_id, conversation_id, contact_id, subject, priority, status, created_at FROM tickets WHERE id = ?").get(
        String(data.ticketId),
      ) as
        | { id: string; inbox_id: string; conversation_id: string | null; contact_id: string | null; subject: string; priority: string; status: string; created_at: number }
        | undefined;
      if (ticket === undefined) return null;
      const shown = {
        id: ticket.id,
        inboxId: ticket.inbox_id,
        conversationId: ticket.conversation_id,
        contactId: ticket.contact_id,
        subject: ticket.subject,
        priority: ticket.priority,
        status: ticket.status,
        createdAt: new Date(ticket.created_at).toISOString(),
      };
      if (type === "ticket.created") return { ticket: shown };
      return { ticket: shown, from: (data.from as { status?: unknown }).status ?? null, to: (data.to as { status?: unknown }).status ?? null, by: event.user_id };
    }
    case "conversation.labels_changed": {
      // The conversation's labels as of the fan-out, beside the one change the event records.
      const labels = prepare(
        "SELECT l.id, l.name FROM conversation_labels cl JOIN labels l ON l.id = cl.label_id WHERE cl.conversation_id = ? ORDER BY l.name COLLATE NOCASE, l.id",
      ).all(event.conversation_id) as Array<{ id: string; name: string }>;
      return {
        conversation,
        change: event.type === "label_added" ? "added" : "removed",
        label: { id: data.labelId ?? null, name: data.name ?? null },
        by: event.user_id,
        rule: ruleNamedIn(data),
        labels,
      };
    }
    case "conversation.overdue": {
      // As the escalation pass recorded it (runtime/services/response-overdue.ts): the wait, its target and due instant.
      const iso = (ms: unknown) => (typeof ms === "number" && Number.isFinite(ms) ? new Date(ms).toISOString() : null);
      return {
        conversation,
        target: data.kind ?? null,
        targetMinutes: typeof data.targetMs === "number" ? data.targetMs / 60_000 : null,
        waitingSince: iso(data.waitingSince),
        dueAt: iso(data.dueAt),
        assigneeId: typeof data.assigneeId === "string" ? data.assigneeId : null,
        teamId: event.team_id,
      };
    }
    case "rating.created":
      return { conversation, rating: { score: data.score ?? null, commented: data.commented === true }, agentId: event.user_id };
    case "contact.created":
      return null;
  }
};

// ---------------------------------------------------------------------------------------------
// The service

const adminOnly = (actor: Actor) =>
  actor.role === "admin" ? Effect.void : Effect.fail(new Forbidden({ message: "Only admins can manage webhooks." }));

/** The OutgoingWebhooks service over its Database and WebhookClient (exported for tests). */
export const makeOutgoingWebhooks = (db: DatabaseShape, client: WebhookClientShape): OutgoingWebhooksShape => {
  const prepare = db.prepare;

  const readRow = (id: string) => prepare(`${SUBSCRIPTION_SELECT} WHERE s.id = ?`).get(id) as SubscriptionRow | undefined;
  const details = (row: SubscriptionRow): WebhookSubscriptionDetails => ({ ...toSubscription(row), secret: row.secret });
  const readDelivery = (id: string) => prepare(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ?`).get(id) as DeliveryRow | undefined;

  const existing = (id: string): Effect.Effect<SubscriptionRow, NotFound> => {
    const row = readRow(id);
    return row ? Effect.succeed(row) : Effect.fail(new NotFound({ entity: "webhook", id }));
  };

  /** The log's ends: where a subscription created or enabled now starts hearing. */
  const ends = () =>
    prepare("SELECT COALESCE((SELECT max(id) FROM events), 0) AS event_id, COALESCE((SELECT max(rowid) FROM contacts), 0) AS contact_rowid").get() as {
      event_id: number;
      contact_rowid: number;
    };

  /**
   * Inside a write that enables a subscription: when no other one is enabled, the fan-out has
   * not been reading, so its cursor jumps to the log's end instead of walking the history.
   */
  const catchUpCursorIfIdle = (exceptId: string, end: { event_id: number; contact_rowid: number }) => {
    const others = prepare("SELECT count(*) AS n FROM webhook_subscriptions WHERE enabled = 1 AND id <> ?").get(exceptId) as { n: number };
    if (others.n === 0) {
      prepare("UPDATE webhook_cursor SET after_event_id = max(after_event_id, ?), after_contact_rowid = max(after_contact_rowid, ?) WHERE id = 1").run(
        end.event_id,
        end.contact_rowid,
      );
    }
  };

  const decode = (input: unknown) => decodeInput(WebhookSubscriptionInput, input);
  const storedTypes = (types: ReadonlyArray<WebhookEventType>) => JSON.stringify(WEBHOOK_EVENT_TYPES.filter((t) => types.includes(t)));

  const create: OutgoingWebhooksShape["create"] = Effect.fn("OutgoingWebhooks.create")(function* (actor, input) {
    yield* adminOnly(actor);
    const subscription = yield* decode(input);
    const id = newId("whk");
    const audit = yield* auditActorAs(actor.id);
    yield* Effect.orDie(
      db.writeEffect((sqlite) => {
        const now = wallClock.now();
        const end = ends();
        if (subscription.enabled) catchUpCursorIfIdle(id, end);
        prepare(
          `INSERT INTO webhook_subscriptions (id, url, description, secret, event_types, enabled, starts_after_event_id, starts_after_contact_rowid,
             created_at, created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          id,
          subscription.url,
          subscription.description,
          newWebhookSecret(),
          storedTypes(subscription.eventTypes),
          subscription.enabled ? 1 : 0,
          end.event_id,
          end.contact_rowid,
          now,
          actor.id,
          now,
        );
        recordAudit(sqlite, now, audit, {
          action: "webhook.created",
          target: { type: "webhook", id, label: auditUrl(subscription.url) },
          data: { eventTypes: subscription.eventTypes, enabled: subscription.enabled },
        });
      }),
    );
    return details(readRow(id)!);
  });

  /** Writes `enabled` (and the rest, when given); a subscription turned on starts hearing from now. */
  const applyUpdate = (id: string, enabled: boolean, fields: Omit<WebhookSubscriptionInput, "enabled"> | null, audit: AuditActor) =>
    Effect.orDie(
      db.writeEffect((sqlite) => {
        const before = prepare("SELECT enabled, url FROM webhook_subscriptions WHERE id = ?").get(id) as { enabled: number; url: string } | undefined;
        if (before === undefined) return false;
        const now = wallClock.now();
        if (enabled && before.enabled === 0) {
          const end = ends();
          catchUpCursorIfIdle(id, end);
          prepare("UPDATE webhook_subscriptions SET starts_after_event_id = ?, starts_after_contact_rowid = ? WHERE id = ?").run(
            end.event_id,
            end.contact_rowid,
            id,
          );
        }
        if (fields === null) prepare("UPDATE webhook_subscriptions SET enabled = ?, updated_at = ? WHERE id = ?").run(enabled ? 1 : 0, now, id);
        else {
          prepare("UPDATE webhook_subscriptions SET url = ?, description = ?, event_types = ?, enabled = ?, updated_at = ? WHERE id = ?").run(
            fields.url,
            fields.description,
            storedTypes(fields.eventTypes),
            enabled ? 1 : 0,
            now,
            id,
          );
        }
        const target = { type: "webhook", id, label: auditUrl(fields?.url ?? before.url) };
        if (fields !== null) {
          recordAudit(sqlite, now, audit, {
            action: "webhook.updated",
            target,
            data: { eventTypes: fields.eventTypes, enabled, ...(fields.url !== before.url ? { urlFrom: auditUrl(before.url) } : {}) },
          });
        } else if ((before.enabled === 1) !== enabled) {
          recordAudit(sqlite, now, audit, { action: enabled ? "webhook.enabled" : "webhook.disabled", target });
        }
        return true;
      }),
    );

  const update: OutgoingWebhooksShape["update"] = Effect.fn("OutgoingWebhooks.update")(function* (actor, id, input) {
    yield* adminOnly(actor);
    yield* existing(id);
    const subscription = yield* decode(input);
    if (!(yield* applyUpdate(id, subscription.enabled, subscription, yield* auditActorAs(actor.id)))) return yield* Effect.fail(new NotFound({ entity: "webhook", id }));
    return details(readRow(id)!);
  });

  const setEnabled: OutgoingWebhooksShape["setEnabled"] = Effect.fn("OutgoingWebhooks.setEnabled")(function* (actor, id, enabled) {
    yield* adminOnly(actor);
    if (!(yield* applyUpdate(id, enabled, null, yield* auditActorAs(actor.id)))) return yield* Effect.fail(new NotFound({ entity: "webhook", id }));
    if (enabled) loop.wake();
    return details(readRow(id)!);
  });

  const rollSecret: OutgoingWebhooksShape["rollSecret"] = Effect.fn("OutgoingWebhooks.rollSecret")(function* (actor, id) {
    yield* adminOnly(actor);
    const audit = yield* auditActorAs(actor.id);
    const changes = yield* Effect.orDie(
      db.writeEffect((sqlite) => {
        const now = wallClock.now();
        const rolled = prepare("UPDATE webhook_subscriptions SET secret = ?, updated_at = ? WHERE id = ? RETURNING url").get(newWebhookSecret(), now, id) as
          | { url: string }
          | undefined;
        if (rolled !== undefined) recordAudit(sqlite, now, audit, { action: "webhook.secret_rolled", target: { type: "webhook", id, label: auditUrl(rolled.url) } });
        return rolled === undefined ? 0 : 1;
      }),
    );
    if (changes === 0) return yield* Effect.fail(new NotFound({ entity: "webhook", id }));
    return details(readRow(id)!);
  });

  const remove: OutgoingWebhooksShape["remove"] = Effect.fn("OutgoingWebhooks.remove")(function* (actor, id) {
    yield* adminOnly(actor);
    const audit = yield* auditActorAs(actor.id);
    const changes = yield* Effect.orDie(
      db.writeEffect((sqlite) => {
        const gone = prepare("DELETE FROM webhook_subscriptions WHERE id = ? RETURNING url").get(id) as { url: string } | undefined;
        if (gone !== undefined) recordAudit(sqlite, wallClock.now(), audit, { action: "webhook.deleted", target: { type: "webhook", id, label: auditUrl(gone.url) } });
        return gone === undefined ? 0 : 1;
      }),
    );
    if (changes === 0) return yield* Effect.fail(new NotFound({ entity: "webhook", id }));
  });

  const insertDelivery = (id: string, subscriptionId: string, eventId: number | null, contactId: string | null, type: string, body: string, at: number) =>
    prepare(
      `INSERT INTO webhook_deliveries (id, subscription_id, event_id, contact_id, event_type, payload, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(id, subscriptionId, eventId, contactId, type, body, at, at, at);

  const sendTest: OutgoingWebhooksShape["sendTest"] = Effect.fn("OutgoingWebhooks.sendTest")(function* (actor, id) {
    yield* adminOnly(actor);
    const row = yield* existing(id);
    if (row.enabled === 0) return yield* Effect.fail(new Conflict({ message: "This webhook is disabled; enable it to send a test event." }));
    const deliveryId = newId("whd");
    yield* Effect.orDie(
      db.writeEffect(() => {
        const at = wallClock.now();
        insertDelivery(deliveryId, id, null, null, "ping", webhookBody(deliveryId, "ping", at, { subscriptionId: id, message: "A test event from Parley." }), at);
      }),
    );
    loop.wake();
    return toDelivery(readDelivery(deliveryId)!);
  });

  const deliveries: OutgoingWebhooksShape["deliveries"] = Effect.fn("OutgoingWebhooks.deliveries")(function* (actor, id) {
    yield* adminOnly(actor);
    yield* existing(id);
    return (
      prepare(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE subscription_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?`).all(
        id,
        WEBHOOK_LOG_SIZE,
      ) as DeliveryRow[]
    ).map(toDelivery);
  });

  const redeliver: OutgoingWebhooksShape["redeliver"] = Effect.fn("OutgoingWebhooks.redeliver")(function* (actor, id, deliveryId) {
    yield* adminOnly(actor);
    const row = yield* existing(id);
    const outcome = yield* Effect.orDie(
      db.writeEffect(() => {
        const current = prepare("SELECT status FROM webhook_deliveries WHERE id = ? AND subscription_id = ?").get(deliveryId, id) as
          | { status: WebhookDeliveryStatus }
          | undefined;
        if (current === undefined) return "missing" as const;
        if (current.status !== "failed") return current.status;
        const at = wallClock.now();
        prepare("UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ? WHERE id = ?").run(at, at, deliveryId);
        return "queued" as const;
      }),
    );
    if (outcome === "missing") return yield* Effect.fail(new NotFound({ entity: "webhook delivery", id: deliveryId }));
    if (outcome !== "queued") return yield* Effect.fail(new Conflict({ message: `This delivery is ${outcome}; only a failed delivery can be sent again.` }));
    if (row.enabled === 1) loop.wake();
    return toDelivery(readDelivery(deliveryId)!);
  });

  // ---------------------------------------------------------------------------------------------
  // The pass

  interface Listener {
    readonly id: string;
    readonly types: ReadonlySet<string>;
    readonly afterEvent: number;
    readonly afterContact: number;
  }

  /** Writes the deliveries for the events and contacts after the cursor; resolves with how many (and whether more remain). */
  const fanOut = () =>
    Effect.orDie(
      db.writeEffect(() => {
        const listeners: Listener[] = (
          prepare("SELECT id, event_types, starts_after_event_id, starts_after_contact_rowid FROM webhook_subscriptions WHERE enabled = 1").all() as Array<
            Pick<SubscriptionRow, "id" | "event_types" | "starts_after_event_id" | "starts_after_contact_rowid">
          >
        ).map((s) => ({ id: s.id, types: new Set(eventTypesOf(s.event_types)), afterEvent: s.starts_after_event_id, afterContact: s.starts_after_contact_rowid }));
        const cursor = prepare("SELECT after_event_id, after_contact_rowid FROM webhook_cursor WHERE id = 1").get() as {
          after_event_id: number;
          after_contact_rowid: number;
        };
        const end = ends();
        const eventsTo = Math.min(end.event_id, cursor.after_event_id + EVENTS_PER_PASS);
        let queued = 0;
        const at = wallClock.now();
        const deliver = (eventId: number | null, contactId: string | null, type: WebhookEventType, eventAt: number, data: unknown, to: ReadonlyArray<Listener>) => {
          for (const listener of to) {
            const id = newId("whd");
            insertDelivery(id, listener.id, eventId, contactId, type, webhookBody(id, type, eventAt, data), at);
            queued++;
          }
        };

        if (eventsTo > cursor.after_event_id) {
          const wanted = SOURCE_TYPES.map(() => "?").join(", ");
          const events = prepare(
            `SELECT id, type, at, conversation_id, chatflow_id, user_id, inbox_id, channel_id, team_id, data FROM events
              WHERE id > ? AND id <= ? AND is_preview = 0 AND type IN (${wanted}) ORDER BY id`,
          ).all(cursor.after_event_id, eventsTo, ...SOURCE_TYPES) as EventRow[];
          for (const event of events) {
            const data = event.data === null ? {} : parseJsonObject(event.data);
            const type = publicEventType(event.type, data);
            if (type === null) continue;
            const to = listeners.filter((l) => l.types.has(type) && event.id > l.afterEvent);
            if (to.length === 0) continue;
            const payload = eventData(prepare, type, event, data);
            if (payload !== null) deliver(event.id, null, type, event.at, payload, to);
          }
        }

        const contacts = prepare(
          "SELECT rowid AS seq, id, email, name, phone, created_at FROM contacts WHERE rowid > ? ORDER BY rowid LIMIT ?",
        ).all(cursor.after_contact_rowid, CONTACTS_PER_PASS) as Array<{
          seq: number;
          id: string;
          email: string | null;
          name: string | null;
          phone: string | null;
          created_at: number;
        }>;
        for (const contact of contacts) {
          const to = listeners.filter((l) => l.types.has("contact.created") && contact.seq > l.afterContact);
          if (to.length === 0) continue;
          const data = { contact: { id: contact.id, email: contact.email, name: contact.name, phone: contact.phone, createdAt: new Date(contact.created_at).toISOString() } };
          deliver(null, contact.id, "contact.created", contact.created_at, data, to);
        }
        const contactsTo = contacts.length > 0 ? contacts[contacts.length - 1]!.seq : cursor.after_contact_rowid;
        prepare("UPDATE webhook_cursor SET after_event_id = ?, after_contact_rowid = ? WHERE id = 1").run(
          Math.max(eventsTo, cursor.after_event_id),
          contactsTo,
        );
        return { queued, more: eventsTo < end.event_id || contacts.length === CONTACTS_PER_PASS };
      }),
    );

  interface DueRow {
    readonly id: string;
    readonly event_type: string;
    readonly payload: string;
    readonly attempts: number;
    readonly url: string;
    readonly secret: string;
  }

  /** The enabled subscriptions with a delivery due now (the partial index on due deliveries). */
  const SELECT_DUE_SUBSCRIPTIONS = `
SELECT DISTINCT d.subscription_id AS id
  FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
 WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND s.enabled = 1`;

  const SELECT_DUE = `
SELECT d.id, d.event_type, d.payload, d.attempts, s.url, s.secret
  FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
 WHERE d.subscription_id = ? AND d.status = 'pending' AND d.next_attempt_at <= ? AND s.enabled = 1
 ORDER BY d.next_attempt_at
 LIMIT ${SENDS_PER_LANE}`;

  /** POSTs one delivery and records the outcome (after the call: no transaction is held across it). */
  const sendOne = (row: DueRow) =>
    Effect.gen(function* () {
      const sentAt = wallClock.now();
      const outcome = yield* client
        .call({
          method: "POST",
          url: row.url,
          headers: [
            { name: "Content-Type", value: "application/json" },
            { name: "User-Agent", value: "Parley-Webhooks/1" },
            { name: "X-Parley-Event", value: row.event_type },
            { name: "X-Parley-Delivery", value: row.id },
            { name: "X-Parley-Signature", value: webhookSignature(row.secret, Math.floor(sentAt / 1000), row.payload) },
          ],
          body: row.payload,
          timeoutMs: WEBHOOK_TIMEOUT_MS,
        })
        .pipe(
          Effect.map((response) =>
            response.status >= 200 && response.status < 300
              ? { ok: true as const, status: response.status, error: null }
              : {
                  ok: false as const,
                  status: response.status,
                  error: cut(`the receiver answered ${response.status}${response.body === null ? "" : `: ${typeof response.body === "string" ? response.body : JSON.stringify(response.body)}`}`, MAX_ERROR),
                },
          ),
          Effect.catchAll((failed) => Effect.succeed({ ok: false as const, status: null, error: cut(`${FAILURE_TEXT[failed.reason]}: ${failed.message}`, MAX_ERROR) })),
          Effect.catchAllDefect((defect) => Effect.succeed({ ok: false as const, status: null, error: cut(`unexpected error: ${String(defect)}`, MAX_ERROR) })),
        );
      return yield* Effect.orDie(
        db.writeEffect(() => {
          const at = wallClock.now();
          const attempts = row.attempts + 1;
          if (outcome.ok) {
            prepare(
              `UPDATE webhook_deliveries SET status = 'succeeded', attempts = ?, last_response_status = ?, last_error = NULL, next_attempt_at = NULL,
                 delivered_at = ?, updated_at = ? WHERE id = ? AND status = 'pending'`,
            ).run(attempts, outcome.status, at, at, row.id);
            return "succeeded" as const;
          }
          const next = attempts >= WEBHOOK_MAX_ATTEMPTS ? null : nextWebhookAttemptAt(attempts, at);
          prepare(
            `UPDATE webhook_deliveries SET status = ?, attempts = ?, last_response_status = ?, last_error = ?, next_attempt_at = ?, updated_at = ?
              WHERE id = ? AND status = 'pending'`,
          ).run(next === null ? "failed" : "pending", attempts, outcome.status, outcome.error, next, at, row.id);
          return next === null ? ("failed" as const) : ("retrying" as const);
        }),
      );
    });

  let lastPrune = 0;
  const prune = () =>
    Effect.gen(function* () {
      const at = wallClock.now();
      if (at - lastPrune < PRUNE_EVERY_MS) return;
      lastPrune = at;
      // A read first: most hours there is nothing to prune, and an empty write would still commit.
      const before = at - WEBHOOK_KEEP_MS;
      if ((prepare("SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE created_at < ?) AS any").get(before) as { any: number }).any === 0) return;
      yield* Effect.orDie(db.writeEffect(() => prepare("DELETE FROM webhook_deliveries WHERE created_at < ?").run(before)));
    });

  /** "held": not sent, because shutdown began before its call started (it stays pending, due). */
  type Outcome = "succeeded" | "retrying" | "failed" | "held";
  /** Shutdown: nothing new is sent once draining; its signal interrupts the lanes (and their calls) still running. */
  const shutdown = makeSendDrain();
  /** `sendOne`, unless shutdown has begun; counted while under way. */
  const sendUnlessDraining = (row: DueRow): Effect.Effect<Outcome> => shutdown.guard(sendOne(row));
  /**
   * The sending lanes in flight, one per subscription at most: a subscription's deliveries are
   * sent only by its lane (so never twice at once), and a lane waiting on a slow receiver blocks
   * no other subscription's lane nor the loop's next pass.
   */
  const lanes = new Map<string, Promise<ReadonlyArray<Outcome>>>();

  /** Starts a lane for each subscription with due deliveries and none running; returns the started ones. */
  const startLanes = (): ReadonlyArray<Promise<ReadonlyArray<Outcome>>> => {
    const started: Array<Promise<ReadonlyArray<Outcome>>> = [];
    for (const { id } of prepare(SELECT_DUE_SUBSCRIPTIONS).all(wallClock.now()) as Array<{ id: string }>) {
      if (shutdown.draining()) break;
      if (lanes.has(id)) continue;
      const lane = Effect.runPromise(
        Effect.gen(function* () {
          const due = prepare(SELECT_DUE).all(id, wallClock.now()) as DueRow[];
          const outcomes = yield* Effect.forEach(due, sendUnlessDraining, { concurrency: CONCURRENCY_PER_SUBSCRIPTION });
          // A full lane may have more due: the loop starts it again at once.
          if (due.length === SENDS_PER_LANE && !shutdown.draining()) loop.wake();
          return outcomes;
        }),
        { signal: shutdown.signal },
      )
        .catch((error: unknown): ReadonlyArray<Outcome> => {
          // Interrupted at shutdown: its calls stay pending, to be sent after the restart.
          if (db.sqlite.open && !shutdown.signal.aborted) console.error(`OutgoingWebhooks: sending to ${id} failed:`, error);
          return [];
        })
        .finally(() => lanes.delete(id));
      lanes.set(id, lane);
      started.push(lane);
    }
    return started;
  };

  /** Fans out, then starts the lanes; `wait` waits for the lanes it started and counts their outcomes. */
  const pass = (wait: boolean) =>
    Effect.gen(function* () {
      yield* prune();
      const empty = { queued: 0, succeeded: 0, retrying: 0, failed: 0 };
      // No enabled subscription: one read, no write (the cursor catches up when one is enabled).
      if ((prepare("SELECT EXISTS (SELECT 1 FROM webhook_subscriptions WHERE enabled = 1) AS any").get() as { any: number }).any === 0) return empty;
      // Nothing new in the log since the cursor: no write (a commit every pass would compete with the engine's).
      const cursor = prepare("SELECT after_event_id, after_contact_rowid FROM webhook_cursor WHERE id = 1").get() as {
        after_event_id: number;
        after_contact_rowid: number;
      };
      const end = ends();
      const fresh = end.event_id > cursor.after_event_id || end.contact_rowid > cursor.after_contact_rowid;
      const { queued, more } = fresh ? yield* fanOut() : { queued: 0, more: false };
      const started = startLanes();
      if (more) loop.wake();
      const results = wait ? (yield* Effect.promise(() => Promise.all(started))).flat() : [];
      return {
        queued,
        succeeded: results.filter((r) => r === "succeeded").length,
        retrying: results.filter((r) => r === "retrying").length,
        failed: results.filter((r) => r === "failed").length,
      };
    });

  const runPass: OutgoingWebhooksShape["runPass"] = () => pass(true);

  // The loop does not wait for the lanes: its next pass fans out and starts the idle lanes again.
  const loop = makePassLoop("OutgoingWebhooks", () => db.sqlite.open, () => pass(false));
  let stopLoop: (() => void) | undefined;

  // What is still going after the wait is let go: interrupted, its delivery left pending (sent after the restart).
  const drain: OutgoingWebhooksShape["drain"] = (waitMs) =>
    Effect.promise(async () => {
      stopLoop?.();
      stopLoop = undefined;
      const outcome = await shutdown.drain(waitMs, 0);
      await Promise.all(lanes.values());
      return outcome;
    });

  return {
    list: (actor) =>
      Effect.map(adminOnly(actor), () => (prepare(`${SUBSCRIPTION_SELECT} ORDER BY s.created_at DESC, s.id`).all() as SubscriptionRow[]).map(toSubscription)),
    get: (actor, id) => Effect.zipRight(adminOnly(actor), Effect.map(existing(id), details)),
    create,
    update,
    setEnabled,
    rollSecret,
    remove,
    sendTest,
    deliveries,
    redeliver,
    runPass,
    wake: loop.wake,
    start: (intervalMs = WEBHOOK_LOOP_MS) => {
      if (shutdown.draining()) return () => undefined;
      stopLoop?.();
      stopLoop = loop.start(intervalMs);
      return () => {
        stopLoop?.();
        stopLoop = undefined;
      };
    },
    drain,
  };
};

/**
 * A subscription's URL as the audit log names it: its host and, when it has one, "/…" for the
 * path. A receiver's URL can be its secret (a chat tool's incoming-webhook URL carries the token
 * in its path), and the log keeps no secret. Pure.
 */
export const auditUrl = (url: string): string => {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname !== "/" || parsed.search !== "" ? "/…" : ""}`;
  } catch {
    return "(not a URL)";
  }
};

/**
 * The OutgoingWebhooks service over the app's Database and WebhookClient. Released before the
 * database (it depends on it), its finalizer drains the calls under way for the configured wait
 * (AppConfig's shutdownWaitMs, else WEBHOOK_SHUTDOWN_WAIT_MS) so their outcomes are written.
 */
export const layer: Layer.Layer<OutgoingWebhooks, never, Database | WebhookClient> = Layer.scoped(
  OutgoingWebhooks,
  Effect.gen(function* () {
    const webhooks = makeOutgoingWebhooks(yield* Database, yield* WebhookClient);
    const config = yield* Effect.serviceOption(AppConfig);
    const waitMs = Option.match(config, { onNone: () => undefined, onSome: (c) => c.shutdownWaitMs }) ?? WEBHOOK_SHUTDOWN_WAIT_MS;
    yield* Effect.addFinalizer(() => webhooks.drain(waitMs));
    return webhooks;
  }),
);

