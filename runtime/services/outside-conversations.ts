/**
 * Conversations that start outside the widget — an email, a form submission, a Messenger
 * message — written the way the widget's are: the conversation in its channel's inbox, the
 * visitor's message, the analytics events, routing by the inbox's rules, all in ONE write,
 * then the live events for the inbox after the commit.
 *
 * - `visitorFor` finds or creates the visitor an outside id stands for on a channel (a
 *   Messenger page-scoped id, an email address), via `channel_identities`.
 * - `open` starts an open conversation with the visitor's first message (and a ticket, for
 *   forms), routed like a bot's handoff to the inbox's routing.
 * - `append` adds a visitor's later message (an email reply): a pending or closed
 *   conversation opens again and the visitor waits for an answer again.
 * Both drop a message whose outside id (`externalMessageId`) the channel has seen before and
 * answer with what the first delivery stored, so a redelivered webhook or email is stored once.
 * Both store the message's files (`attachments`, attachments.ts) in the message's own write:
 * a message is kept with its files or not at all, and a redelivery stores none again.
 */
import { Context, Effect, Layer } from "effect";
import { attachmentIdsOf, attachmentInsert, type AttachmentRow } from "./attachments.js";
import { now as wallClockNow } from "./clock.js";
import { Database, type Sqlite } from "./database.js";
import { NotFound } from "./errors.js";
import { newId } from "./ids.js";
import { LiveEvents } from "./live-events.js";
import { Routing, type Assignment } from "./routing.js";
import { snoozeWakeEvent, wakeSnoozeInWrite } from "./snoozes.js";
import { unassignedSinceAfter } from "../sql/unassigned-since.js";

export type OutsideVia = "email" | "form" | "messenger";

export interface OpenInput {
  readonly channelId: string;
  readonly visitorId: string;
  /** The contact the message is from, when known (an email's sender, a form's email field). */
  readonly contactId: string | null;
  readonly text: string;
  /** Stored with the message (an email's subject and attachments list, a form's fields). */
  readonly payload?: Record<string, unknown> | null;
  readonly via: OutsideVia;
  /** The message's outside id (Message-ID, mid): a second delivery of it is not stored again. */
  readonly externalMessageId?: string;
  /** Also create a ticket for the conversation (forms). */
  readonly ticket?: { readonly subject: string; readonly description: string; readonly priority?: "low" | "normal" | "high" | "urgent" };
  /** Shown as the conversation's page (a form's page, an email's subject line). */
  readonly pageUrl?: string | null;
  /** The message's files, stored with it (their ids are already in `payload`'s list). */
  readonly attachments?: ReadonlyArray<AttachmentRow>;
  /**
   * Replies go to the contact by email through the inbox's team email (migration 19): for a
   * channel that has no way back of its own, such as a form.
   */
  readonly replyByEmail?: boolean;
}

export interface Opened {
  readonly conversationId: string;
  readonly messageId: number;
  readonly ticketId: string | null;
  /** True when `externalMessageId` was seen before: nothing new was stored. */
  readonly duplicate: boolean;
  /** The ids of the message's stored files (for a duplicate, those the first delivery stored). */
  readonly attachmentIds: ReadonlyArray<string>;
}

export interface AppendInput {
  readonly conversationId: string;
  readonly text: string;
  readonly payload?: Record<string, unknown> | null;
  readonly externalMessageId?: string;
  /** The message's files, stored with it (their ids are already in `payload`'s list). */
  readonly attachments?: ReadonlyArray<AttachmentRow>;
}

export interface Appended {
  readonly messageId: number;
  readonly duplicate: boolean;
  /** The status the conversation had before (closed and pending ones are open again now). */
  readonly previousStatus: string;
  /** The ids of the message's stored files (for a duplicate, those the first delivery stored). */
  readonly attachmentIds: ReadonlyArray<string>;
}

export interface OutsideConversationsShape {
  readonly visitorFor: (input: {
    readonly channelId: string;
    readonly externalId: string;
    readonly contactId?: string | null;
  }) => Effect.Effect<{ readonly visitorId: string; readonly created: boolean }, NotFound>;
  readonly open: (input: OpenInput) => Effect.Effect<Opened, NotFound>;
  readonly append: (input: AppendInput) => Effect.Effect<Appended, NotFound>;
  /** The conversation a channel's outside message id belongs to (email threading), or null. */
  readonly conversationForExternalId: (channelId: string, externalIds: ReadonlyArray<string>) => Effect.Effect<string | null>;
}

export class OutsideConversations extends Context.Tag("OutsideConversations")<OutsideConversations, OutsideConversationsShape>() {}

interface ChannelRow {
  readonly id: string;
  readonly inbox_id: string;
  readonly kind: string;
}

const PREVIEW_LENGTH = 200;

const insertEvent = (
  sqlite: Sqlite,
  event: { type: string; at: number; conversationId: string; inboxId: string; channelId: string; userId?: string | null; data?: unknown },
) =>
  sqlite
    .prepare("INSERT INTO events (type, at, conversation_id, inbox_id, channel_id, user_id, is_preview, data) VALUES (?, ?, ?, ?, ?, ?, 0, ?)")
    .run(
      event.type,
      event.at,
      event.conversationId,
      event.inboxId,
      event.channelId,
      event.userId ?? null,
      event.data === undefined ? null : JSON.stringify(event.data),
    );

export const layer: Layer.Layer<OutsideConversations, never, Database | LiveEvents | Routing> = Layer.effect(
  OutsideConversations,
  Effect.gen(function* () {
    const db = yield* Database;
    const live = yield* LiveEvents;
    const routing = yield* Routing;

    const loadChannel = (channelId: string): Effect.Effect<ChannelRow, NotFound> =>
      Effect.suspend(() => {
        const row = db.prepare("SELECT id, inbox_id, kind FROM channels WHERE id = ?").get(channelId) as ChannelRow | undefined;
        return row ? Effect.succeed(row) : Effect.fail(new NotFound({ entity: "channel", id: channelId }));
      });

    const seenMessage = (sqlite: Sqlite, channelId: string, externalId: string | undefined) =>
      externalId === undefined
        ? undefined
        : (sqlite
            .prepare("SELECT conversation_id, message_id FROM external_messages WHERE channel_id = ? AND external_id = ?")
            .get(channelId, externalId) as { conversation_id: string; message_id: number | null } | undefined);

    const recordInbound = (sqlite: Sqlite, channelId: string, externalId: string | undefined, conversationId: string, messageId: number, at: number) => {
      if (externalId === undefined) return;
      sqlite
        .prepare(
          `INSERT INTO external_messages (channel_id, external_id, conversation_id, message_id, direction, created_at)
           VALUES (?, ?, ?, ?, 'in', ?)`,
        )
        .run(channelId, externalId, conversationId, messageId, at);
    };

    const visitorFor: OutsideConversationsShape["visitorFor"] = (input) =>
      Effect.gen(function* () {
        yield* loadChannel(input.channelId);
        const found = db
          .prepare("SELECT visitor_id FROM channel_identities WHERE channel_id = ? AND external_id = ?")
          .get(input.channelId, input.externalId) as { visitor_id: string } | undefined;
        if (found) return { visitorId: found.visitor_id, created: false };
        const visitorId = newId("vis");
        const at = wallClockNow();
        const result = yield* Effect.orDie(
          db.writeEffect((sqlite) => {
            // Another message from the same sender may have created it since the read above.
            const again = sqlite
              .prepare("SELECT visitor_id FROM channel_identities WHERE channel_id = ? AND external_id = ?")
              .get(input.channelId, input.externalId) as { visitor_id: string } | undefined;
            if (again) return { visitorId: again.visitor_id, created: false };
            sqlite
              .prepare("INSERT INTO visitors (id, channel_id, contact_id, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?)")
              .run(visitorId, input.channelId, input.contactId ?? null, at, at);
            sqlite
              .prepare("INSERT INTO channel_identities (channel_id, external_id, visitor_id, created_at) VALUES (?, ?, ?, ?)")
              .run(input.channelId, input.externalId, visitorId, at);
            return { visitorId, created: true };
          }),
        );
        return result;
      });

    const open: OutsideConversationsShape["open"] = (input) =>
      Effect.gen(function* () {
        const channel = yield* loadChannel(input.channelId);
        const conversationId = newId("conv");
        const ticketId = input.ticket ? newId("tk") : null;
        const at = wallClockNow();
        const written = yield* Effect.orDie(
          db.writeEffect((sqlite) => {
            const seen = seenMessage(sqlite, channel.id, input.externalMessageId);
            if (seen) {
              const ticket = sqlite.prepare("SELECT id FROM tickets WHERE conversation_id = ? ORDER BY created_at LIMIT 1").get(seen.conversation_id) as
                | { id: string }
                | undefined;
              return {
                duplicate: true as const,
                conversationId: seen.conversation_id,
                messageId: seen.message_id ?? 0,
                ticketId: ticket?.id ?? null,
                attachmentIds: seen.message_id === null ? [] : attachmentIdsOf(sqlite, seen.message_id),
              };
            }
            sqlite
              .prepare(
                `INSERT INTO conversations (id, channel_id, inbox_id, visitor_id, contact_id, status, page_url, created_at, updated_at,
                   last_activity_at, waiting_since, last_message_at, last_message_preview, reply_by_email, unassigned_since)
                 VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
              )
              .run(
                conversationId,
                channel.id,
                channel.inbox_id,
                input.visitorId,
                input.contactId,
                input.pageUrl ?? null,
                at,
                at,
                at,
                at,
                at,
                input.text.slice(0, PREVIEW_LENGTH),
                input.replyByEmail === true ? 1 : 0,
                // It arrives in the inbox with nobody assigned (routing, in this write, may assign someone).
                at,
              );
            const messageId = Number(
              sqlite
                .prepare("INSERT INTO messages (conversation_id, author, text, payload, created_at) VALUES (?, 'visitor', ?, ?, ?)")
                .run(conversationId, input.text, input.payload ? JSON.stringify(input.payload) : null, at).lastInsertRowid,
            );
            const attachments = input.attachments ?? [];
            attachmentInsert(sqlite, conversationId, messageId, attachments, at);
            recordInbound(sqlite, channel.id, input.externalMessageId, conversationId, messageId, at);
            const common = { at, conversationId, inboxId: channel.inbox_id, channelId: channel.id };
            insertEvent(sqlite, { ...common, type: "conversation_created", data: { via: input.via } });
            insertEvent(sqlite, { ...common, type: "message_created", data: { author: "visitor", internal: false, messageId: String(messageId) } });
            if (input.contactId !== null) insertEvent(sqlite, { ...common, type: "contact_linked", data: { contactId: input.contactId, via: input.via } });
            if (input.ticket && ticketId !== null) {
              sqlite
                .prepare(
                  `INSERT INTO tickets (id, inbox_id, conversation_id, contact_id, subject, description, priority, created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
                )
                .run(ticketId, channel.inbox_id, conversationId, input.contactId, input.ticket.subject, input.ticket.description, input.ticket.priority ?? "normal", at, at);
              sqlite.prepare("INSERT INTO ticket_activity (ticket_id, at, user_id, kind) VALUES (?, ?, NULL, 'created')").run(ticketId, at);
              insertEvent(sqlite, { ...common, type: "ticket_created", data: { ticketId } });
            }
            const assignment = routing.routeInWrite(db.prepare, conversationId, { type: "routing" }, at);
            return { duplicate: false as const, conversationId, messageId, ticketId, assignment, attachmentIds: attachments.map((a) => a.id) };
          }),
        );
        if (written.duplicate) return written;
        yield* live.publish({
          conversationId,
          inboxId: channel.inbox_id,
          kind: "conversation",
          data: { conversationId, status: "open", created: true, via: input.via, ticketId, messageId: String(written.messageId) },
        });
        if (written.assignment) yield* routing.publish([written.assignment as Assignment]);
        return { conversationId, messageId: written.messageId, ticketId, duplicate: false, attachmentIds: written.attachmentIds };
      });

    const append: OutsideConversationsShape["append"] = (input) =>
      Effect.gen(function* () {
        const conversation = db
          .prepare("SELECT id, channel_id, inbox_id, status, assignee_id FROM conversations WHERE id = ?")
          .get(input.conversationId) as { id: string; channel_id: string; inbox_id: string; status: string; assignee_id: string | null } | undefined;
        if (!conversation) return yield* Effect.fail(new NotFound({ entity: "conversation", id: input.conversationId }));
        const at = wallClockNow();
        const written = yield* Effect.orDie(
          db.writeEffect((sqlite) => {
            const seen = seenMessage(sqlite, conversation.channel_id, input.externalMessageId);
            if (seen) {
              return {
                duplicate: true as const,
                messageId: seen.message_id ?? 0,
                previousStatus: conversation.status,
                attachmentIds: seen.message_id === null ? [] : attachmentIdsOf(sqlite, seen.message_id),
              };
            }
            const current = sqlite.prepare("SELECT status FROM conversations WHERE id = ?").get(conversation.id) as { status: string };
            const messageId = Number(
              sqlite
                .prepare("INSERT INTO messages (conversation_id, author, text, payload, created_at) VALUES (?, 'visitor', ?, ?, ?)")
                .run(conversation.id, input.text, input.payload ? JSON.stringify(input.payload) : null, at).lastInsertRowid,
            );
            const attachments = input.attachments ?? [];
            attachmentInsert(sqlite, conversation.id, messageId, attachments, at);
            recordInbound(sqlite, conversation.channel_id, input.externalMessageId, conversation.id, messageId, at);
            // A bot conversation keeps its status (its flow answers); any other one is open, and waiting.
            const reopened = current.status === "closed" || current.status === "pending";
            sqlite
              .prepare(
                `UPDATE conversations SET status = CASE WHEN status = 'bot' THEN 'bot' ELSE 'open' END,
                   closed_at = CASE WHEN status = 'closed' THEN NULL ELSE closed_at END,
                   waiting_since = CASE WHEN status = 'bot' THEN waiting_since ELSE COALESCE(waiting_since, ?) END,
                   last_message_at = ?, last_message_preview = ?, updated_at = ?, last_activity_at = ?, version = version + 1${
                     // Open (again) without a person: its unassigned spell goes on, or starts when reopened. A bot's write names no more columns.
                     current.status === "bot" ? "" : `, unassigned_since = ${unassignedSinceAfter("'open'", "assignee_id", "?")}`
                   }
                 WHERE id = ?`,
              )
              .run(at, at, input.text.slice(0, PREVIEW_LENGTH), at, at, ...(current.status === "bot" ? [] : [at]), conversation.id);
            const common = { at, conversationId: conversation.id, inboxId: conversation.inbox_id, channelId: conversation.channel_id };
            insertEvent(sqlite, { ...common, type: "message_created", data: { author: "visitor", internal: false, messageId: String(messageId) } });
            if (reopened) insertEvent(sqlite, { ...common, type: "status_changed", data: { from: current.status, to: "open", by: "visitor" } });
            const assignment =
              reopened && conversation.assignee_id === null ? routing.routeInWrite(db.prepare, conversation.id, { type: "routing" }, at) : null;
            // The visitor wrote: a snoozed conversation wakes (a bot one never is snoozed).
            const woke = current.status === "bot" ? null : wakeSnoozeInWrite(db.prepare, conversation.id, at, "visitor");
            return { duplicate: false as const, messageId, previousStatus: current.status, reopened, assignment, woke, attachmentIds: attachments.map((a) => a.id) };
          }),
        );
        if (written.duplicate) return written;
        yield* live.publish({
          conversationId: conversation.id,
          inboxId: conversation.inbox_id,
          kind: "message",
          id: String(written.messageId),
          internal: false,
          data: { id: String(written.messageId), author: "visitor", text: input.text, createdAt: new Date(at).toISOString(), internal: false, userId: null },
        });
        if (written.reopened) {
          const data = { status: "open", from: written.previousStatus, by: "visitor" };
          yield* live.publish({ conversationId: conversation.id, inboxId: conversation.inbox_id, kind: "status", data });
          yield* live.publish({ conversationId: conversation.id, inboxId: conversation.inbox_id, kind: "conversation", data: { ...data, created: false } });
        }
        if (written.assignment) yield* routing.publish([written.assignment as Assignment]);
        if (written.woke) yield* live.publish(snoozeWakeEvent(written.woke));
        return { messageId: written.messageId, duplicate: false, previousStatus: written.previousStatus, attachmentIds: written.attachmentIds };
      });

    const conversationForExternalId: OutsideConversationsShape["conversationForExternalId"] = (channelId, externalIds) =>
      Effect.sync(() => {
        const select = db.prepare("SELECT conversation_id FROM external_messages WHERE channel_id = ? AND external_id = ?");
        // The newest reference first: References lists the thread oldest first.
        for (const id of [...externalIds].reverse()) {
          const row = select.get(channelId, id) as { conversation_id: string } | undefined;
          if (row) return row.conversation_id;
        }
        return null;
      });

    return { visitorFor, open, append, conversationForExternalId };
  }),
);
