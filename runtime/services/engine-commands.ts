/**
 * The engine's turn: interpreter commands collected into a plan (pure), and the plan stored in
 * ONE group-commit write (`persistTurn`, synchronous, run inside `Database.write`): the visitor's
 * message, bot and system messages, tickets, contact changes, the conversation's new state and
 * columns, and every analytics event. Either all of it commits or none of it does.
 */
import type { Json } from "../core/types.js";
import type { AwaitedInput, Command, InterpreterEvent, TrackedEvent } from "../core/types.js";
import {
  apiMessageOf,
  messagePreviewOf,
  type ApiMessage,
  type ConversationStatus,
  type MessageAuthor,
  type MessagePayload,
  type MessageRow,
} from "./conversation-rows.js";
import { addToListInWrite, applyWaitingInWrite, recordConsentInWrite } from "./contact-lists.js";
import { addLabelsInWrite } from "./labels.js";
import { withRule, type ActingRule } from "./acting-rule.js";
import type { Statement } from "./database.js";
import { newId } from "./ids.js";
import { searchKnowledgeNow } from "./knowledge.js";
import { contactOwnerRoute, type ContactOwnerRoute } from "./routing.js";
import { unassignedSinceAfter, unassignedSinceOfNew } from "../sql/unassigned-since.js";

// ---------------------------------------------------------------------------------------------
// The plan of one turn

export interface PlannedMessage {
  readonly author: MessageAuthor;
  readonly userId: string | null;
  readonly text: string;
  payload: MessagePayload | null;
  readonly internal: boolean;
  readonly clientMessageId: string | null;
}

export interface PlannedEvent {
  readonly type: string;
  readonly nodeId?: string | null;
  readonly port?: string | null;
  readonly fromNodeId?: string | null;
  readonly userId?: string | null;
  readonly teamId?: string | null;
  readonly data?: unknown;
}

export interface PlannedTicket {
  readonly id: string;
  readonly subject: string;
  readonly description: string;
  readonly priority: "low" | "normal" | "high" | "urgent";
}

export type HandoffCommand = Extract<Command, { type: "handoff" }>;
export type EndCommand = Extract<Command, { type: "end" }>;

export interface Plan {
  /** Bot and system messages, in the order they were said. */
  readonly messages: PlannedMessage[];
  readonly events: PlannedEvent[];
  readonly tickets: PlannedTicket[];
  readonly contactProperties: Array<{ readonly property: string; readonly value: string }>;
  /** Contact lists the turn's "Add to list" steps named, in order. */
  readonly lists: Array<{ readonly nodeId: string; readonly listId: string }>;
  /** Email consents the turn's "Email subscription" steps got. */
  readonly consents: Array<Extract<Command, { type: "record_consent" }>>;
  handoff: HandoffCommand | null;
  end: EndCommand | null;
  awaited: AwaitedInput | null;
}

/** An empty plan. Pure. */
export const newPlan = (): Plan => ({
  messages: [],
  events: [],
  tickets: [],
  contactProperties: [],
  lists: [],
  consents: [],
  handoff: null,
  end: null,
  awaited: null,
});

/** What a command needs from outside the plan (synchronous reads). */
export interface PlanLookups {
  readonly user: (userId: string) => { readonly name: string; readonly meetingLink: string | null } | undefined;
}

/** The `events` row of an interpreter `track` command. Pure. */
export const trackedToEvent = (event: TrackedEvent): PlannedEvent => {
  switch (event.name) {
    case "flow_started":
      return { type: "flow_started" };
    case "node_entered":
      return {
        type: "node_entered",
        nodeId: event.nodeId,
        fromNodeId: event.from?.nodeId ?? null,
        port: event.from?.port ?? null,
      };
    case "answered":
      return { type: "answered", nodeId: event.nodeId, port: event.port };
    case "skipped":
      return { type: "skipped", nodeId: event.nodeId };
    case "invalid_answer":
      return { type: "invalid_answer", nodeId: event.nodeId, data: { retries: event.retries } };
    case "completed":
      return { type: "completed", nodeId: event.nodeId };
    case "handed_off":
      return { type: "handed_off", nodeId: event.nodeId };
    case "abandoned":
      return { type: "abandoned", nodeId: event.nodeId };
    case "split_arm":
      return { type: "split_arm", nodeId: event.nodeId, data: { armId: event.armId } };
    case "flow_error":
      return { type: "flow_error", nodeId: event.nodeId, data: { message: event.message } };
  }
};

const botMessage = (text: string, payload: MessagePayload): PlannedMessage => ({
  author: "bot",
  userId: null,
  text,
  payload,
  internal: false,
  clientMessageId: null,
});

/** A readable one-line-per-field list of what the bot collected. Pure. */
export const describeCollected = (collected: Readonly<Record<string, Json>>): string => {
  const lines = Object.keys(collected)
    .filter((key) => collected[key] !== null && collected[key] !== "")
    .map((key) => {
      const value = collected[key];
      return `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`;
    });
  return lines.length === 0 ? "The bot handed this conversation over." : `The bot handed this conversation over.\n${lines.join("\n")}`;
};

const collectedName = (collected: Readonly<Record<string, Json>>): string => {
  for (const key of ["contact.name", "name", "contact.email", "email"]) {
    const value = collected[key];
    if (typeof value === "string" && value.trim() !== "") return value.trim();
  }
  return "a website visitor";
};

export type SearchKnowledgeCommand = Extract<Command, { type: "search_knowledge" }>;

/**
 * The event answering a knowledge node's search: the published articles best matching its
 * query, each linked under `publicUrl` (the app's public URL without a trailing slash; "" keeps
 * site-relative links). Reads only. Not pure (reads the database).
 */
export const knowledgeEvent = (
  db: { readonly prepare: (sql: string) => Statement },
  command: SearchKnowledgeCommand,
  publicUrl: string,
): Extract<InterpreterEvent, { type: "knowledge_result" }> => ({
  type: "knowledge_result",
  nodeId: command.nodeId,
  articles: searchKnowledgeNow(db, command.query, command.limit).map((hit) => ({
    id: hit.id,
    title: hit.title,
    url: `${publicUrl}${hit.path}`,
    excerpt: hit.excerpt,
  })),
});

/**
 * Adds one command's effects to the plan. `call_webhook`, `run_code`, `create_ticket` and
 * `search_knowledge` are the engine loop's (they produce an event to feed back); here they are ignored.
 */
export const applyCommand = (plan: Plan, command: Command, lookups: PlanLookups): void => {
  switch (command.type) {
    case "say":
      for (const bubble of command.bubbles) {
        switch (bubble.type) {
          case "text":
            plan.messages.push(botMessage(bubble.text, { typingDelayMs: command.typingDelayMs }));
            break;
          case "image":
            plan.messages.push(
              botMessage(bubble.alt ?? "", {
                typingDelayMs: command.typingDelayMs,
                bubble: bubble.alt === undefined ? { type: "image", url: bubble.url } : { type: "image", url: bubble.url, alt: bubble.alt },
              }),
            );
            break;
          case "link":
            plan.messages.push(
              botMessage(bubble.label, {
                typingDelayMs: command.typingDelayMs,
                bubble: { type: "link", url: bubble.url, label: bubble.label },
              }),
            );
            break;
        }
      }
      return;
    case "await_input": {
      const { type: _type, ...awaited } = command;
      plan.awaited = awaited;
      return;
    }
    case "track":
      plan.events.push(trackedToEvent(command.event));
      return;
    case "set_contact_property":
      plan.contactProperties.push({ property: command.property, value: command.value });
      return;
    case "handoff": {
      plan.handoff = command;
      const target = command.target;
      plan.messages.push({
        author: "system",
        userId: null,
        text: describeCollected(command.collected),
        payload: { handoff: command.collected },
        // For the team, not the visitor: the widget never shows it.
        internal: true,
        clientMessageId: null,
      });
      plan.events.push({
        type: "handoff",
        nodeId: command.nodeId,
        teamId: target.type === "team" ? target.teamId : null,
        userId: target.type === "user" ? target.userId : null,
        data: { target: target.type, away: command.away },
      });
      if (command.away && command.createTicket) {
        const lines = Object.keys(command.collected).map((k) => `${k}: ${JSON.stringify(command.collected[k])}`);
        plan.tickets.push({
          id: newId("tkt"),
          subject: `Request from ${collectedName(command.collected)} while the team was away`,
          description: lines.join("\n"),
          priority: "normal",
        });
      }
      return;
    }
    case "offer_meeting": {
      const user = lookups.user(command.userId);
      const name = user?.name ?? "our team";
      const text = command.message ?? `Book a meeting with ${name}:`;
      if (user?.meetingLink) {
        plan.messages.push(
          botMessage(text, {
            typingDelayMs: 600,
            bubble: { type: "link", url: user.meetingLink, label: `Book a meeting with ${name}` },
          }),
        );
      } else {
        // Without a link the offer cannot be kept; say the text and make the dead end visible in reports.
        if (command.message !== undefined) plan.messages.push(botMessage(text, { typingDelayMs: 600 }));
        plan.events.push({
          type: "flow_error",
          nodeId: command.nodeId,
          data: { message: `user ${command.userId} has no meeting link` },
        });
      }
      return;
    }
    case "add_to_list":
      plan.lists.push({ nodeId: command.nodeId, listId: command.listId });
      return;
    case "record_consent": {
      plan.consents.push(command);
      // The subscriber joins the step's list too, in the same write.
      if (command.listId !== undefined) plan.lists.push({ nodeId: command.nodeId, listId: command.listId });
      return;
    }
    case "end":
      plan.end = command;
      return;
    case "call_webhook":
    case "run_code":
    case "create_ticket":
    case "search_knowledge":
      return;
  }
};

/** Puts the awaited question's quick replies on the last bot message of the turn. Pure (mutates the plan). */
export const attachChoices = (plan: Plan): void => {
  const choices = plan.awaited?.choices;
  if (!choices || choices.length === 0) return;
  for (let i = plan.messages.length - 1; i >= 0; i--) {
    const message = plan.messages[i]!;
    if (message.author === "bot") {
      message.payload = { ...(message.payload ?? {}), choices };
      return;
    }
  }
};

// ---------------------------------------------------------------------------------------------
// The conversation's columns after a turn

export interface ConversationColumns {
  readonly status: ConversationStatus;
  readonly inboxId: string;
  readonly assigneeId: string | null;
  readonly teamId: string | null;
  readonly handedOffAt: number | null;
  readonly closedAt: number | null;
  readonly waitingSince: number | null;
}

/**
 * The columns after a bot turn: a handoff opens the conversation in the channel's inbox for
 * its target; an end that closes closes it. Adds `status_changed` / `assigned` events. Pure.
 */
export const columnsAfterBotTurn = (
  plan: Plan,
  before: ConversationColumns,
  channelInboxId: () => string,
  now: number,
): ConversationColumns => {
  let after = before;
  if (plan.handoff) {
    const target = plan.handoff.target;
    after = {
      ...after,
      status: "open",
      inboxId: channelInboxId(),
      teamId: target.type === "team" ? target.teamId : null,
      assigneeId: target.type === "user" ? target.userId : null,
      handedOffAt: now,
      waitingSince: now,
      closedAt: null,
    };
  } else if (plan.end?.closeConversation) {
    after = { ...after, status: "closed", closedAt: now, waitingSince: null };
  }
  addTransitionEvents(plan, before, after);
  return after;
};

/** Adds `status_changed` and `assigned` events for what changed between two column sets. Pure (mutates the plan). */
export const addTransitionEvents = (plan: Plan, before: ConversationColumns, after: ConversationColumns): void => {
  if (before.status !== after.status) {
    plan.events.push({ type: "status_changed", data: { from: before.status, to: after.status } });
  }
  if ((before.assigneeId !== after.assigneeId || before.teamId !== after.teamId) && (after.assigneeId || after.teamId)) {
    plan.events.push({ type: "assigned", userId: after.assigneeId, teamId: after.teamId });
  }
};

// ---------------------------------------------------------------------------------------------
// Persisting a turn (synchronous; runs inside Database.write)

/** The conversation changed under the engine (another writer bumped its version): retry the turn. */
export class StaleConversation extends Error {
  override readonly name = "StaleConversation";
}

export interface ConversationScope {
  readonly id: string;
  readonly chatflowId: string | null;
  readonly chatflowVersionId: string | null;
  readonly channelId: string;
  readonly visitorId: string | null;
  readonly contactId: string | null;
  readonly isPreview: boolean;
}

export type ConversationWrite =
  | {
      readonly kind: "insert";
      readonly pageUrl: string;
      readonly createdAt: number;
    }
  | {
      readonly kind: "update";
      readonly version: number;
      /** The columns as read; when the turn leaves them as they were, a lean UPDATE skips their indexes. */
      readonly before: ConversationColumns;
    };

export interface Turn {
  readonly scope: ConversationScope;
  readonly write: ConversationWrite;
  readonly columns: ConversationColumns;
  /** The interpreter's new state as JSON (null: a conversation without a bot). */
  readonly stateText: string | null;
  /** The visitor's or agent's message that caused the turn, stored first. */
  readonly incoming: PlannedMessage | null;
  /**
   * The automation rule whose reply or comment `incoming` is (decision 044): named on that
   * message's `message_created` event. Only a rule's reply sets it; a visitor's turn never does.
   */
  readonly rule?: ActingRule;
  readonly plan: Plan;
  readonly now: number;
  /** Contact properties the bot knows after the turn (to fill a contact created in it). */
  readonly knownContact: Readonly<Record<string, string>>;
}

export interface TurnResult {
  readonly messages: ReadonlyArray<MessageRow>;
  /** The same messages in the API shape (index for index). */
  readonly api: ReadonlyArray<ApiMessage>;
  readonly contactId: string | null;
  /** For a handoff to the contact's owner: whether it goes to them or to routing (recorded on the handoff event). */
  readonly ownerRoute?: ContactOwnerRoute;
}

const EMAIL = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[^\s@<>()[\],;:"]+$/;
const PROPERTY = /^[a-z][a-z0-9_]{0,63}$/;
const MAX_VISITOR_ATTRIBUTES = 50;

interface ContactRow {
  id: string;
  email: string | null;
  name: string | null;
  phone: string | null;
  properties: string;
}

const parseObject = (text: string | null | undefined): Record<string, unknown> => {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? { ...(value as Record<string, unknown>) } : {};
  } catch {
    return {};
  }
};

/**
 * Applies the bot's contact properties. A contact the site verified (identify) or that this
 * turn created is updated freely; one found only by an email the visitor typed gets blanks
 * filled, never overwritten — typing someone's address must not rewrite their record.
 */
const applyContactProperties = (prepare: Prepare, turn: Turn, events: PlannedEvent[]): string | null => {
  const properties = turn.plan.contactProperties;
  let contactId = turn.scope.contactId;
  if (properties.length === 0) return contactId;
  const now = turn.now;
  const visitor = turn.scope.visitorId
    ? (prepare("SELECT contact_id, attributes FROM visitors WHERE id = ?").get(turn.scope.visitorId) as
        | { contact_id: string | null; attributes: string }
        | undefined)
    : undefined;
  const verifiedId = visitor?.contact_id ?? null;
  contactId ??= verifiedId;
  const created = new Set<string>();
  const readContact = (id: string) =>
    prepare("SELECT id, email, name, phone, properties FROM contacts WHERE id = ?").get(id) as ContactRow | undefined;

  const setProperty = (id: string, property: string, value: string) => {
    const contact = readContact(id);
    if (!contact) return;
    const overwrite = id === verifiedId || created.has(id);
    if (property === "name" || property === "phone") {
      if (overwrite || !contact[property]) {
        prepare(`UPDATE contacts SET ${property} = ?, updated_at = ? WHERE id = ?`).run(value, now, id);
      }
      return;
    }
    if (!PROPERTY.test(property)) return;
    const props = parseObject(contact.properties);
    if (!overwrite && props[property] !== undefined && props[property] !== "") return;
    props[property] = value;
    prepare("UPDATE contacts SET properties = ?, updated_at = ? WHERE id = ?").run(JSON.stringify(props), now, id);
  };

  const link = (email: string): string => {
    const existing = prepare("SELECT id FROM contacts WHERE email = ?").get(email) as { id: string } | undefined;
    if (existing) return existing.id;
    const id = newId("contact");
    prepare("INSERT INTO contacts (id, email, created_at, updated_at) VALUES (?, ?, ?, ?)").run(id, email, now, now);
    created.add(id);
    return id;
  };

  let pendingAttributes: Record<string, unknown> | null = null;
  for (const { property, value } of properties) {
    if (property === "email" && EMAIL.test(value)) {
      const email = value.trim().toLowerCase();
      const current = contactId ? readContact(contactId) : undefined;
      if (current && current.email?.toLowerCase() === email) continue;
      let next: string;
      const owner = prepare("SELECT id FROM contacts WHERE email = ?").get(email) as { id: string } | undefined;
      if (current && !current.email && !owner) {
        prepare("UPDATE contacts SET email = ?, updated_at = ? WHERE id = ?").run(email, now, current.id);
        next = current.id;
      } else {
        next = owner?.id ?? link(email);
      }
      if (next !== contactId) {
        contactId = next;
        events.push({ type: "contact_linked", data: { contactId: next, via: "bot", created: created.has(next) } });
        // Everything the bot learnt before the email arrived belongs to this contact too.
        for (const key of Object.keys(turn.knownContact)) {
          if (key !== "email") setProperty(next, key, turn.knownContact[key]!);
        }
      }
      continue;
    }
    if (contactId) {
      setProperty(contactId, property, value);
    } else if (visitor && PROPERTY.test(property)) {
      // No contact yet: keep it on the visitor until an email (or identify) names one.
      pendingAttributes ??= parseObject(visitor.attributes);
      const key = `contact.${property}`;
      if (key in pendingAttributes || Object.keys(pendingAttributes).length < MAX_VISITOR_ATTRIBUTES) {
        pendingAttributes[key] = value.slice(0, 500);
      }
    }
  }
  if (pendingAttributes && turn.scope.visitorId) {
    prepare("UPDATE visitors SET attributes = ? WHERE id = ?").run(JSON.stringify(pendingAttributes), turn.scope.visitorId);
  }
  return contactId;
};

/** A prepared statement by its SQL text, cached (`Database.prepare`): statements are compiled once, not per turn. */
export type Prepare = (sql: string) => Statement;

/**
 * Stores one turn. Synchronous: call it inside `Database.write` so that it commits (or rolls
 * back) as a whole. Throws StaleConversation when the conversation's version moved.
 */
export const persistTurn = (prepare: Prepare, turn: Turn): TurnResult => {
  const { scope, columns, now, plan } = turn;
  const events: PlannedEvent[] = [];
  const contactId = applyContactProperties(prepare, turn, events);
  const stateText = turn.stateText;

  const messages: PlannedMessage[] = turn.incoming ? [turn.incoming, ...plan.messages] : [...plan.messages];
  let lastPublic: PlannedMessage | undefined;
  for (const m of messages) if (!m.internal) lastPublic = m;

  if (turn.write.kind === "insert") {
    prepare(
      `INSERT INTO conversations (id, channel_id, inbox_id, visitor_id, contact_id, chatflow_id, chatflow_version_id, status,
         assignee_id, team_id, state, page_url, is_preview, version, created_at, updated_at, last_activity_at, handed_off_at,
         closed_at, waiting_since, last_message_at, last_message_preview, unassigned_since)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      scope.id,
      scope.channelId,
      columns.inboxId,
      scope.visitorId,
      contactId,
      scope.chatflowId,
      scope.chatflowVersionId,
      columns.status,
      columns.assigneeId,
      columns.teamId,
      stateText,
      turn.write.pageUrl,
      scope.isPreview ? 1 : 0,
      turn.write.createdAt,
      now,
      now,
      columns.handedOffAt,
      columns.closedAt,
      columns.waitingSince,
      lastPublic ? now : null,
      lastPublic ? messagePreviewOf(lastPublic) : null,
      // A bot's new conversation: NULL, the column's default (no entry in its partial index).
      unassignedSinceOfNew(columns.status, columns.assigneeId, now),
    );
  }

  const insertMessage = prepare(
    `INSERT INTO messages (conversation_id, author, user_id, text, payload, is_internal, client_message_id, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const stored: MessageRow[] = [];
  const api: ApiMessage[] = [];
  const createdAt = new Date(now).toISOString();
  for (const m of messages) {
    const payload = m.payload && Object.keys(m.payload).length > 0 ? JSON.stringify(m.payload) : null;
    const id = Number(
      insertMessage.run(scope.id, m.author, m.userId, m.text, payload, m.internal ? 1 : 0, m.clientMessageId, now).lastInsertRowid,
    );
    api.push(apiMessageOf(id, m.author, m.text, payload === null ? null : m.payload, createdAt));
    stored.push({
      id,
      conversation_id: scope.id,
      author: m.author,
      user_id: m.userId,
      text: m.text,
      payload,
      is_internal: m.internal ? 1 : 0,
      client_message_id: m.clientMessageId,
      created_at: now,
    });
  }

  // An existing conversation's row is written after its messages, so it takes the newest message
  // id itself and the group's end leaves it alone (migration 14). A new one was inserted above,
  // as its messages need it; the group's end gives it its newest message id.
  const lastMessageId = stored.length > 0 ? stored[stored.length - 1]!.id : null;
  if (turn.write.kind === "insert") {
    // Nothing more to write to the conversation's row.
  } else if (sameColumns(turn.write.before, columns) && contactId === scope.contactId) {
    // Most turns only move the state and the activity times. Naming no indexed column but those
    // keeps SQLite from rewriting the inbox, assignee, team and contact index entries each message.
    const result = prepare(
      `UPDATE conversations SET state = ?, updated_at = ?, last_activity_at = ?,
         last_message_at = COALESCE(?, last_message_at), last_message_preview = COALESCE(?, last_message_preview),
         last_message_id = COALESCE(?, last_message_id), version = version + 1
       WHERE id = ? AND version = ?`,
    ).run(
      stateText,
      now,
      now,
      lastPublic ? now : null,
      lastPublic ? messagePreviewOf(lastPublic) : null,
      lastMessageId,
      scope.id,
      turn.write.version,
    );
    if (result.changes === 0) throw new StaleConversation(`conversation ${scope.id} changed during the turn`);
  } else {
    // `unassigned_since` (migration 47) follows status and assignee: named only when one of them
    // moves (a handoff, a takeover, a close), so a bot turn that only links a contact writes it not.
    const spellMoves = turn.write.before.status !== columns.status || turn.write.before.assigneeId !== columns.assigneeId;
    const result = prepare(
        `UPDATE conversations SET status = ?, inbox_id = ?, assignee_id = ?, team_id = ?, state = ?,
           contact_id = COALESCE(?, contact_id), updated_at = ?, last_activity_at = ?, handed_off_at = ?, closed_at = ?,
           waiting_since = ?, last_message_at = COALESCE(?, last_message_at),
           last_message_preview = COALESCE(?, last_message_preview), last_message_id = COALESCE(?, last_message_id),
           ${spellMoves ? `unassigned_since = ${unassignedSinceAfter("?", "?", "?")}, ` : ""}version = version + 1
         WHERE id = ? AND version = ?`,
      )
      .run(
        columns.status,
        columns.inboxId,
        columns.assigneeId,
        columns.teamId,
        stateText,
        contactId,
        now,
        now,
        columns.handedOffAt,
        columns.closedAt,
        columns.waitingSince,
        lastPublic ? now : null,
        lastPublic ? messagePreviewOf(lastPublic) : null,
        lastMessageId,
        ...(spellMoves ? [columns.status, columns.assigneeId, now] : []),
        scope.id,
        turn.write.version,
      );
    if (result.changes === 0) throw new StaleConversation(`conversation ${scope.id} changed during the turn`);
  }

  const insertTicket = prepare(
    `INSERT INTO tickets (id, inbox_id, conversation_id, contact_id, subject, description, priority, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const t of plan.tickets) {
    insertTicket.run(t.id, columns.inboxId, scope.id, contactId, t.subject.slice(0, 500), t.description, t.priority, now, now);
  }

  // A contact the turn linked (the visitor typed their email) takes the lists the bot put the
  // visitor on before (only turns that change the contact read them).
  if (contactId !== null && contactId !== scope.contactId && scope.visitorId !== null && !scope.isPreview) {
    applyWaitingInWrite(prepare, scope.visitorId, contactId, now);
  }

  // "Add to list" steps (only turns that reached one have any). A builder's preview joins no list.
  if ((plan.lists.length > 0 || plan.consents.length > 0) && !scope.isPreview) {
    const conversation = conversationRefOf(scope, columns.inboxId);
    for (const { nodeId, listId } of plan.lists) {
      const outcome = addToListInWrite(prepare, { listId, contactId, visitorId: scope.visitorId, conversation, nodeId, now });
      if (outcome === "no_list") events.push({ type: "flow_error", nodeId, data: { message: `contact list ${listId} does not exist (any more)` } });
    }
    for (const consent of plan.consents) {
      if (contactId === null) {
        events.push({ type: "flow_error", nodeId: consent.nodeId, data: { message: "a consent without a contact cannot be recorded" } });
        continue;
      }
      recordConsentInWrite(prepare, { contactId, email: consent.email, consentText: consent.consentText, conversation, nodeId: consent.nodeId, now });
    }
  }

  // A handoff step's labels (only a handoff turn whose step names some). A builder's preview gets none.
  const handoffLabels = plan.handoff?.labels;
  if (handoffLabels !== undefined && !scope.isPreview) {
    const conversation = conversationRefOf(scope, columns.inboxId);
    for (const labelId of addLabelsInWrite(prepare, conversation, handoffLabels, now)) {
      events.push({ type: "flow_error", nodeId: plan.handoff!.nodeId, data: { message: `label ${labelId} does not exist (any more)` } });
    }
  }

  // The turn's events go in as a few multi-row INSERTs: one statement per event cost a call into
  // SQLite, a bind and a reset each, and a visitor message writes about five.
  const rows: unknown[] = [];
  const put = (e: PlannedEvent) =>
    rows.push(
      e.type,
      now,
      scope.id,
      scope.chatflowId,
      scope.chatflowVersionId,
      e.nodeId ?? null,
      e.port ?? null,
      e.fromNodeId ?? null,
      e.userId ?? null,
      columns.inboxId,
      scope.channelId,
      e.teamId ?? null,
      scope.isPreview ? 1 : 0,
      e.data === undefined ? null : JSON.stringify(e.data),
    );
  if (turn.write.kind === "insert") put({ type: "conversation_created", data: { pageUrl: turn.write.pageUrl } });
  // The incoming message first, then what the bot did in answer to it. Bot messages get no
  // message_created: no report counts them (the flow's own events tell what the bot did), and
  // they are most of a conversation's messages.
  // A handoff to the contact's owner is decided here, with the contact this very turn may have
  // linked, so that its event says where the conversation went and why.
  const ownerRoute = plan.handoff?.target.type === "contact_owner" ? contactOwnerRoute(prepare, contactId, columns.inboxId) : undefined;
  let m = 0;
  if (turn.incoming) put(messageEvent(stored[m++]!, turn.rule));
  for (const e of plan.events) put(ownerRoute !== undefined && e.type === "handoff" ? withOwnerRoute(e, ownerRoute) : e);
  for (; m < stored.length; m++) if (stored[m]!.author !== "bot") put(messageEvent(stored[m]!));
  for (const t of plan.tickets) put({ type: "ticket_created", data: { ticketId: t.id, subject: t.subject.slice(0, 500) } });
  for (const e of events) put(e);
  insertEvents(prepare, rows);
  return ownerRoute === undefined ? { messages: stored, api, contactId } : { messages: stored, api, contactId, ownerRoute };
};

/** Where a bot's list, consent or label change happened, as the events log records it (never a preview's). Pure. */
const conversationRefOf = (
  scope: { readonly id: string; readonly channelId: string; readonly chatflowId: string | null; readonly chatflowVersionId: string | null },
  inboxId: string,
) => ({
  id: scope.id,
  inbox_id: inboxId,
  channel_id: scope.channelId,
  chatflow_id: scope.chatflowId,
  chatflow_version_id: scope.chatflowVersionId,
  is_preview: 0,
});

/** The handoff event with where a handoff to the contact's owner went (`to`, `ownerId`, and `reason` for routing). Pure. */
const withOwnerRoute = (event: PlannedEvent, route: ContactOwnerRoute): PlannedEvent => ({
  ...event,
  userId: route.to === "owner" ? route.ownerId : null,
  data: { ...(event.data as Record<string, unknown>), ...route },
});

const EVENT_COLUMNS = 14;
/** Most events one INSERT carries; a turn with more uses several (statements are cached per size). */
const EVENTS_PER_INSERT = 8;
const eventInsertSql = (count: number) =>
  `INSERT INTO events (type, at, conversation_id, chatflow_id, chatflow_version_id, node_id, port, from_node_id, user_id,
     inbox_id, channel_id, team_id, is_preview, data)
   VALUES ${Array.from({ length: count }, () => `(${Array.from({ length: EVENT_COLUMNS }, () => "?").join(", ")})`).join(", ")}`;
const eventInsertSqls = Array.from({ length: EVENTS_PER_INSERT + 1 }, (_, n) => eventInsertSql(Math.max(1, n)));

/** Inserts `rows` (EVENT_COLUMNS values per event, in order), in order, in as few statements as it can. */
const insertEvents = (prepare: Prepare, rows: ReadonlyArray<unknown>): void => {
  for (let at = 0; at < rows.length; ) {
    const count = Math.min(EVENTS_PER_INSERT, (rows.length - at) / EVENT_COLUMNS);
    const next = at + count * EVENT_COLUMNS;
    prepare(eventInsertSqls[count]!).run(rows.slice(at, next));
    at = next;
  }
};

const sameColumns = (a: ConversationColumns, b: ConversationColumns): boolean =>
  a.status === b.status &&
  a.inboxId === b.inboxId &&
  a.assigneeId === b.assigneeId &&
  a.teamId === b.teamId &&
  a.handedOffAt === b.handedOffAt &&
  a.closedAt === b.closedAt &&
  a.waitingSince === b.waitingSince;

/** A stored message's `message_created` event, naming the rule that wrote it when one did. Pure. */
const messageEvent = (row: MessageRow, rule?: ActingRule): PlannedEvent => {
  const data = { author: row.author, internal: row.is_internal === 1, messageId: row.id };
  return { type: "message_created", userId: row.user_id, data: rule === undefined ? data : withRule(data, rule) };
};
