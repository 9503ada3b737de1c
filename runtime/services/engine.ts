/**
 * The durable engine: runs published chatflow specs against visitors' messages.
 *
 * One conversation at a time (a keyed lock; different conversations run concurrently and their
 * writes share group commits). A turn loads the conversation and its pinned spec (cached by
 * version, never parsed per message), steps the pure interpreter, executes its commands —
 * webhooks and code OUTSIDE any transaction, their results fed back into `step` — and stores
 * everything the turn produced in ONE `Database.write` before it answers. Live events go out
 * only after that write committed. A retry with the same client message id returns the same
 * reply and stores nothing.
 *
 * The paths every visitor request takes (start, message) are plain functions under ONE Effect
 * at the service boundary: per message, a traced `Effect.fn`, a generator and a semaphore cost
 * more CPU than the interpreter step itself (docs/decisions/004-store.md). Expected failures are
 * still the tagged errors, thrown inside and turned into typed failures at that boundary.
 */
import { randomBytes, randomInt } from "node:crypto";
import { Context, Data, Effect, Either, Exit, Layer, Option } from "effect";
import type { Device, FlowSpec } from "../../flows/flow-spec.js";
import { awaitingOf, start, step } from "../core/interpreter.js";
import type {
  AwaitedInput,
  Availability,
  Command,
  InterpreterContext,
  InterpreterEvent,
  InterpreterState,
  StepResult,
  VisitorInfo,
} from "../core/types.js";
import { attachmentChatUploadRows, attachmentInsert, ATTACHMENT_CHAT_UPLOAD_MAX_BYTES, type AttachmentRow, type AttachmentSource } from "./attachments.js";
import { Chatflows, type ChatflowVersion, type ChatflowsShape } from "./chatflows.js";
import {
  apiMessageOf,
  CONVERSATION_COLUMNS,
  MESSAGE_COLUMNS,
  readConversation,
  toApiMessage,
  type ApiMessage,
  type ConversationRow,
  type ConversationStatus,
  type ConversationView,
  type MessageRow,
} from "./conversation-rows.js";
import * as wallClock from "./clock.js";
import { Database, type DatabaseShape } from "./database.js";
import {
  addTransitionEvents,
  applyCommand,
  attachChoices,
  columnsAfterBotTurn,
  knowledgeEvent,
  newPlan,
  persistTurn,
  StaleConversation,
  type ConversationColumns,
  type Plan,
  type PlannedMessage,
  type SearchKnowledgeCommand,
  type Turn,
  type TurnResult,
} from "./engine-commands.js";
import { CodeSandbox, codeEvent } from "./code-sandbox.js";
import { AppConfig } from "./config.js";
import { Conflict, Forbidden, InvalidInput, NotFound } from "./errors.js";
import { newId } from "./ids.js";
import { AUTOMATION_ACTOR } from "./inbox-access.js";
import { LiveEvents, type LiveEventsShape } from "./live-events.js";
import { contactOwnerRoute, readRoutingConfig, Routing, type Assignment, type RoutingShape } from "./routing.js";
import { closedByHours, decodeTeamHours, teamClosedAt, type TeamClosed } from "./team-hours.js";
import { snoozeWakeEvent, wakeSnoozeInWrite, type SnoozeWake } from "./snoozes.js";
import { WebhookClient, webhookEvent } from "./webhook-client.js";

export type { ApiMessage, ConversationStatus, ConversationView } from "./conversation-rows.js";

export type CallWebhookCommand = Extract<Command, { type: "call_webhook" }>;
export type RunCodeCommand = Extract<Command, { type: "run_code" }>;

/** How the engine carries out webhook and code commands: each yields the event to feed back, never fails. */
export interface EngineActionsShape {
  readonly webhook: (command: CallWebhookCommand) => Effect.Effect<InterpreterEvent>;
  readonly code: (command: RunCodeCommand) => Effect.Effect<InterpreterEvent>;
}

export class EngineActions extends Context.Tag("EngineActions")<EngineActions, EngineActionsShape>() {}

/** Webhooks through WebhookClient, code through CodeSandbox; any failure becomes the node's error event. */
export const actionsLayer: Layer.Layer<EngineActions, never, WebhookClient | CodeSandbox> = Layer.effect(
  EngineActions,
  Effect.gen(function* () {
    const client = yield* WebhookClient;
    const sandbox = yield* CodeSandbox;
    return {
      webhook: (command) =>
        Effect.map(
          Effect.exit(
            client.call({
              method: command.method,
              url: command.url,
              headers: command.headers,
              timeoutMs: command.timeoutMs,
              ...(command.body !== undefined ? { body: command.body } : {}),
            }),
          ),
          (exit) => webhookEvent(command.nodeId, exit),
        ),
      code: (command) =>
        Effect.map(
          Effect.exit(
            sandbox.run({ source: command.source, inputs: command.inputs, outputs: command.outputs, timeoutMs: command.timeoutMs }),
          ),
          (exit) => codeEvent(command.nodeId, exit),
        ),
    };
  }),
);

export interface EngineShape {
  /** Opens a conversation on a published chatflow (or, with `preview`, on its current draft). */
  readonly startConversation: (input: {
    readonly visitorId: string;
    readonly channelId: string;
    readonly chatflowId: string;
    readonly pageUrl: string;
    readonly preview?: boolean;
  }) => Effect.Effect<ConversationView, NotFound | InvalidInput | Conflict>;
  /** Stores a visitor's message and the bot's answer in one transaction; idempotent on clientMessageId. */
  readonly handleVisitorMessage: (input: {
    readonly conversationId: string;
    readonly visitorId: string;
    readonly clientMessageId: string;
    readonly text?: string;
    readonly choiceIds?: ReadonlyArray<string>;
  }) => Effect.Effect<
    { readonly messages: ReadonlyArray<ApiMessage>; readonly awaiting: AwaitedInput | null; readonly status: ConversationStatus },
    NotFound | Forbidden | Conflict | InvalidInput
  >;
  /**
   * A chat visitor's file (and its optional caption), in a conversation with people (open,
   * pending): stored as a visitor message whose payload lists the file, the file in the same
   * write, published and recorded like any visitor message there (handleVisitorMessage's path);
   * idempotent on clientMessageId. While the bot holds the conversation (status "bot") it is a
   * Conflict — the bot takes answers, not files — and a closed one is a Conflict as a text is.
   */
  readonly visitorFile: (input: {
    readonly conversationId: string;
    readonly visitorId: string;
    readonly clientMessageId: string;
    readonly text: string;
    readonly file: AttachmentSource;
  }) => Effect.Effect<
    { readonly messages: ReadonlyArray<ApiMessage>; readonly awaiting: AwaitedInput | null; readonly status: ConversationStatus },
    NotFound | Forbidden | Conflict | InvalidInput
  >;
  /** The visitor's view of its conversation (never internal comments). */
  readonly getConversation: (input: {
    readonly conversationId: string;
    readonly visitorId: string;
  }) => Effect.Effect<ConversationView, NotFound | Forbidden>;
  /** Messages after the message id `after` (all when absent), never internal comments. */
  readonly listMessages: (input: {
    readonly conversationId: string;
    readonly visitorId: string;
    readonly after?: string;
  }) => Effect.Effect<ReadonlyArray<ApiMessage>, NotFound | Forbidden | InvalidInput>;
  /**
   * Records that the visitor has seen their conversation through the message `through` (a
   * message id the visitor can see in it): the stored mark only moves forward, so an older or
   * repeated mark changes nothing and answers the stored one. When it moved, agents' open
   * threads hear it after the commit (an agents-only `conversation` event, `change: "seen"`).
   */
  readonly markSeen: (input: {
    readonly conversationId: string;
    readonly visitorId: string;
    readonly through: string;
  }) => Effect.Effect<SeenMark, NotFound | Forbidden | InvalidInput>;
  /**
   * An agent's reply or internal comment; a reply to a `bot` conversation takes it over. A
   * reply's `attachments` are stored in the same write as the message and listed in its payload
   * (`attachments: [{id, name, type, size}]`); a retry of a stored clientMessageId stores nothing.
   */
  readonly replyAsAgent: (input: {
    readonly conversationId: string;
    readonly userId: string;
    readonly text: string;
    readonly clientMessageId: string;
    readonly internal?: boolean;
    readonly attachments?: ReadonlyArray<AttachmentRow>;
    /** The automation rule that writes it (decision 044): kept in the message's payload for the thread, and named on its `message_created` event. */
    readonly rule?: { readonly id: string; readonly name: string };
  }) => Effect.Effect<ApiMessage, NotFound | Conflict | InvalidInput>;
  /** Records idle bot conversations past their flow's session timeout as abandoned and closes them; returns how many. */
  readonly expireIdleConversations: (now: number) => Effect.Effect<number>;
  /**
   * `startConversation` and `handleVisitorMessage` as promises of their Exit: the same work,
   * answers and failures without an Effect to build and run — for the public API, where every
   * visitor request runs one of them.
   */
  readonly direct: {
    readonly startConversation: (
      input: Parameters<EngineShape["startConversation"]>[0],
    ) => Promise<Exit.Exit<ConversationView, NotFound | InvalidInput | Conflict>>;
    readonly handleVisitorMessage: (
      input: Parameters<EngineShape["handleVisitorMessage"]>[0],
    ) => Promise<Exit.Exit<Effect.Effect.Success<ReturnType<EngineShape["handleVisitorMessage"]>>, NotFound | Forbidden | Conflict | InvalidInput>>;
  };
}

export class Engine extends Context.Tag("Engine")<Engine, EngineShape>() {}

/** How far a visitor has seen a conversation: the newest message id seen, and when (epoch ms). */
export interface SeenMark {
  readonly through: number;
  readonly at: number;
}

/** What a `seen` conversation event's `data` holds (agents only): the mark as it is now. */
export interface SeenChange {
  readonly change: "seen";
  readonly through: string;
  readonly at: number;
}

export const MAX_TEXT_LENGTH = 4000;
export const MAX_CLIENT_MESSAGE_ID_LENGTH = 100;
/** Webhook / code / ticket / knowledge results fed back in one turn before the engine stops the loop. */
export const MAX_ACTION_ROUNDS = 20;
const MAX_PAGE_URL_LENGTH = 2000;
const MAX_MESSAGES_RETURNED = 1000;
const STALE_RETRIES = 3;

// ---------------------------------------------------------------------------------------------
// A keyed lock: one holder per key, keys independent, entries dropped when idle.

/**
 * Serialises work per key, first come first served: `run(key, task)` for plain async work,
 * `withLock(key, effect)` for effects; both share the same queues.
 */
export const makeKeyedLock = () => {
  // A present key is held; its array holds the waiting turns' wake-up calls in arrival order.
  const held = new Map<string, Array<() => void>>();
  /** Takes the key: undefined when it was free (taken now), else a promise of the hand-over. */
  const acquire = (key: string): Promise<void> | undefined => {
    const waiting = held.get(key);
    if (!waiting) {
      held.set(key, []);
      return undefined;
    }
    return new Promise<void>((wake) => waiting.push(wake));
  };
  /** Hands the key to the next waiter, or frees it. */
  const release = (key: string): void => {
    const waiting = held.get(key)!;
    const next = waiting.shift();
    if (next) next();
    else held.delete(key);
  };
  const runHeld = <T>(key: string, task: () => Promise<T>): Promise<T> => {
    let promise: Promise<T>;
    try {
      promise = task();
    } catch (error) {
      promise = Promise.reject(error);
    }
    return promise.then(
      (value) => {
        release(key);
        return value;
      },
      (error: unknown) => {
        release(key);
        throw error;
      },
    );
  };
  const run = <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const waiting = acquire(key);
    return waiting ? waiting.then(() => runHeld(key, task)) : runHeld(key, task);
  };
  const withLock = <A, E, R>(key: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.acquireUseRelease(
      Effect.suspend(() => {
        const waiting = acquire(key);
        return waiting ? Effect.promise(() => waiting) : Effect.void;
      }),
      () => effect,
      () => Effect.sync(() => release(key)),
    );
  return { run, withLock };
};

/** The failures the engine's plain code throws on purpose; anything else thrown is a defect. */
type EngineFailure = NotFound | Forbidden | Conflict | InvalidInput;
const isEngineFailure = (error: unknown): error is EngineFailure =>
  error instanceof NotFound || error instanceof Forbidden || error instanceof Conflict || error instanceof InvalidInput;

/** A plain async path's outcome as an Exit: thrown engine failures fail it, anything else is a defect. */
const exitOf = <A, E extends EngineFailure = never>(promise: Promise<A>): Promise<Exit.Exit<A, E>> =>
  promise.then(
    (value) => Exit.succeed(value),
    (error: unknown) => (isEngineFailure(error) ? Exit.fail(error as E) : Exit.die(error)),
  );

/** The Effect boundary of a plain async path: thrown engine failures fail it, anything else is a defect. */
const fromPromise = <A, E extends EngineFailure = never>(run: () => Promise<A>): Effect.Effect<A, E> =>
  Effect.async<A, E>((resume) => {
    run().then(
      (value) => resume(Effect.succeed(value)),
      (error: unknown) => resume(isEngineFailure(error) ? Effect.fail(error as E) : Effect.die(error)),
    );
  });

// ---------------------------------------------------------------------------------------------

class StaleTurn extends Data.TaggedError("StaleTurn")<{}> {}

const invalid = (path: string, message: string) => new InvalidInput({ issues: [{ path, message }] });

interface LoadedBot {
  readonly spec: FlowSpec;
  readonly specVersion: number;
  readonly specHash: string;
  readonly state: InterpreterState;
}

interface VisitorRowLite {
  readonly id: string;
  readonly channel_id: string;
  readonly contact_id: string | null;
  readonly device: string | null;
  readonly language: string | null;
  readonly last_page_url: string | null;
}

interface SeenRow {
  readonly last_seen_message_id: number;
  readonly seen_at: number;
}

const DEVICES: ReadonlySet<string> = new Set(["desktop", "tablet", "mobile"]);

/**
 * A new conversation id: `conv_`, the creation time (12 hex digits of epoch milliseconds, so
 * ids sort by age) and 96 random bits. Every index and roll-up keyed by conversation (messages,
 * events, report rows) then keeps the conversations people are talking in together at its end:
 * a group commit rewrites a few pages per index instead of one page per conversation, as
 * random ids scattered them. Not pure (randomness).
 */
export const newConversationId = (now: number): string =>
  `conv_${Math.max(0, Math.floor(now)).toString(16).padStart(12, "0")}${randomBytes(12).toString("base64url")}`;
const isActive = (state: InterpreterState) => state.phase === "awaiting_input" || state.phase === "awaiting_action";

/** The Engine over its dependencies (exported for tests and benches). */
export const makeEngine = (deps: {
  readonly db: DatabaseShape;
  readonly chatflows: ChatflowsShape;
  readonly live: LiveEventsShape;
  readonly actions: EngineActionsShape;
  /** Routes handoffs (routing.ts); without it a handed-off conversation stays as the flow left it. */
  readonly routing?: Pick<RoutingShape, "routeInWrite" | "publish">;
  /** The app's public URL (AppConfig), which knowledge nodes' article links start with; without it they are site-relative. */
  readonly publicUrl?: string;
}): EngineShape => {
  const { db, chatflows, live, actions } = deps;
  const publicUrl = (deps.publicUrl ?? "").replace(/\/+$/, "");
  const routing = deps.routing;
  const lock = makeKeyedLock();
  const withLock = lock.withLock;
  const previews = new Map<string, FlowSpec>();

  // Statements of the message path, prepared once.
  // The conversation and, in the same read, whether this client message id was handled already.
  const selectConversationForMessage = db.prepare(
    `SELECT ${CONVERSATION_COLUMNS},
       (SELECT m.id FROM messages m WHERE m.conversation_id = c.id AND m.client_message_id = @clientMessageId) AS handled_message_id
     FROM conversations c WHERE c.id = @id`,
  );
  const selectVisitor = db.prepare("SELECT id, channel_id, contact_id, device, language, last_page_url FROM visitors WHERE id = ?");
  const selectChannelInbox = db.prepare("SELECT inbox_id FROM channels WHERE id = ?");
  const selectChatflow = db.prepare("SELECT id, channel_id, enabled, published_version_id, archived_at FROM chatflows WHERE id = ?");
  // What the visitor has seen (migration 20), and the mark's write.
  const selectVisibleMessage = db.prepare("SELECT 1 FROM messages WHERE id = ? AND conversation_id = ? AND is_internal = 0");
  const selectSeen = db.prepare("SELECT last_seen_message_id, seen_at FROM visitor_reads WHERE conversation_id = ?");
  const selectConversationInbox = db.prepare("SELECT inbox_id FROM conversations WHERE id = ?");
  const upsertSeen = db.prepare(
    `INSERT INTO visitor_reads (conversation_id, last_seen_message_id, seen_at) VALUES (?, ?, ?)
     ON CONFLICT (conversation_id) DO UPDATE SET last_seen_message_id = excluded.last_seen_message_id, seen_at = excluded.seen_at
     WHERE excluded.last_seen_message_id > visitor_reads.last_seen_message_id`,
  );

  // ---- reads (synchronous, outside any transaction) ----

  /** The conversation when it is this visitor's; throws NotFound for unknown ids, Forbidden for someone else's. */
  const ownConversationNow = (id: string, visitorId: string): ConversationRow => {
    const row = readConversation(db.prepare, id);
    if (!row) throw new NotFound({ entity: "conversation", id });
    if (row.visitor_id !== visitorId) throw new Forbidden({ message: "this conversation belongs to another visitor" });
    return row;
  };

  const findConversation = (id: string): Effect.Effect<ConversationRow, NotFound> =>
    Effect.suspend(() => {
      const row = readConversation(db.prepare, id);
      return row ? Effect.succeed(row) : Effect.fail(new NotFound({ entity: "conversation", id }));
    });

  const ownConversation = (id: string, visitorId: string): Effect.Effect<ConversationRow, NotFound | Forbidden> =>
    Effect.try({ try: () => ownConversationNow(id, visitorId), catch: (error) => error as NotFound | Forbidden });

  const channelInbox = (channelId: string): string => (selectChannelInbox.get(channelId) as { inbox_id: string }).inbox_id;

  const readVisitor = (id: string | null): VisitorRowLite | undefined =>
    id === null ? undefined : (selectVisitor.get(id) as VisitorRowLite | undefined);

  const contactProperties = (contactId: string | null): Record<string, string> => {
    if (contactId === null) return {};
    const row = db.prepare("SELECT email, name, phone, properties FROM contacts WHERE id = ?").get(contactId) as
      | { email: string | null; name: string | null; phone: string | null; properties: string }
      | undefined;
    if (!row) return {};
    const out: Record<string, string> = {};
    try {
      const props: unknown = JSON.parse(row.properties);
      if (props && typeof props === "object") {
        for (const [k, v] of Object.entries(props as Record<string, unknown>)) {
          if (typeof v === "string") out[k] = v;
          else if (typeof v === "number" || typeof v === "boolean") out[k] = String(v);
        }
      }
    } catch {
      // Unreadable properties leave only the columns known.
    }
    if (row.email) out.email = row.email;
    if (row.name) out.name = row.name;
    if (row.phone) out.phone = row.phone;
    return out;
  };

  /** Per turn's availability: the teams it asked about, each closed by its hours or open (null) (decision 048). */
  const teamHoursOf = new WeakMap<Availability, Map<string, TeamClosed | null>>();

  /**
   * Availability read lazily: most turns never look at it, and the ones that do read the inbox,
   * team or user they ask about, once each. Never the whole workspace: with 300 teams keeping hours
   * and 3,000 agents, reading every team and user made each handoff turn ~10 times dearer.
   */
  const availabilityFor = (inboxId: string, contactId: string | null, now: number): Availability => {
    let routing: boolean | undefined;
    let contactOwner: boolean | undefined;
    const users = new Map<string, boolean>();
    const teams = new Map<string, boolean>();
    const teamHours = new Map<string, TeamClosed | null>();
    const availability: Availability = {
      get routing() {
        return (routing ??=
          db
            .prepare(
              `SELECT 1 FROM inbox_members m JOIN users u ON u.id = m.user_id
               WHERE m.inbox_id = ? AND u.availability = 'available' AND u.disabled_at IS NULL LIMIT 1`,
            )
            .get(inboxId) !== undefined ||
          // An inbox that routes to the contact's owner first has someone when the owner can take it.
          (readRoutingConfig(db.prepare, inboxId).contactOwnerFirst === true && this.contactOwner === true));
      },
      get contactOwner() {
        return (contactOwner ??= contactOwnerRoute(db.prepare, contactId, inboxId).to === "owner");
      },
      user: (userId) => {
        let available = users.get(userId);
        if (available === undefined) {
          available = db.prepare("SELECT 1 FROM users WHERE id = ? AND availability = 'available' AND disabled_at IS NULL").get(userId) !== undefined;
          users.set(userId, available);
        }
        return available;
      },
      team: (teamId) => {
        let available = teams.get(teamId);
        if (available === undefined) {
          const row = db.prepare("SELECT hours FROM teams WHERE id = ?").get(teamId) as { hours: string | null } | undefined;
          if (row === undefined) available = false;
          else {
            // A team is available only while its hours have it open (decision 048) and one of its members is.
            const shut = row.hours === null ? null : closedByHours(db.prepare, decodeTeamHours(row.hours), now);
            teamHours.set(teamId, shut);
            available =
              shut === null &&
              db
                .prepare(
                  `SELECT 1 FROM team_members m JOIN users u ON u.id = m.user_id
                   WHERE m.team_id = ? AND u.availability = 'available' AND u.disabled_at IS NULL LIMIT 1`,
                )
                .get(teamId) !== undefined;
          }
          teams.set(teamId, available);
        }
        return available;
      },
    };
    teamHoursOf.set(availability, teamHours);
    return availability;
  };

  /**
   * An away handoff to a team closed by its hours says so on its event (`reason`, `opensAt`), as
   * a contact-owner handoff says its fallback, and on its marker message for the thread: from
   * what the turn's availability read, or (a handoff after the away email, a later turn) one read
   * of the team's hours. Nothing more is read or written for it: both rows are in the plan already.
   */
  const noteTeamClosed = (plan: Plan, teamId: string, context: InterpreterContext): void => {
    // What the turn's availability read of the team, else one read of its hours.
    const known = context.availability ? teamHoursOf.get(context.availability)?.get(teamId) : undefined;
    const closed = known !== undefined ? known : teamClosedAt(db.prepare, teamId, context.now);
    if (closed === null) return;
    const at = plan.events.findLastIndex((e) => e.type === "handoff");
    const event = plan.events[at];
    if (event) plan.events[at] = { ...event, data: { ...(event.data as Record<string, unknown>), reason: "team_closed", opensAt: closed.opensAt } };
    const marker = plan.messages.findLast((m) => m.payload?.handoff !== undefined);
    if (marker) marker.payload = { ...marker.payload, handoffTeamClosed: { teamId, opensAt: closed.opensAt, timezone: closed.timezone } };
  };

  /**
   * What the flow may know of the visitor. Device and language are read from the visitor's row
   * only when a condition or template asks for them (a lead flow never does), so most messages
   * skip that read.
   */
  const visitorInfo = (
    pageUrl: string,
    visitorId: string | null,
    known: VisitorRowLite | undefined,
    contactId: string | null,
  ): VisitorInfo => {
    let row = known;
    let read = known !== undefined || visitorId === null;
    const load = () => {
      if (!read) {
        row = readVisitor(visitorId);
        read = true;
      }
      return row;
    };
    return {
      pageUrl,
      knownContact: contactId !== null,
      get device() {
        const device = load()?.device ?? "desktop";
        return (DEVICES.has(device) ? device : "desktop") as Device;
      },
      get language() {
        return load()?.language ?? "en";
      },
    };
  };

  const contextFor = (
    bot: { readonly specVersion: number; readonly specHash: string },
    scope: { readonly inboxId: string; readonly visitor: VisitorInfo; readonly contactId: string | null },
    now: number,
    seed = 0,
    withContact = false,
  ): InterpreterContext => ({
    now,
    seed,
    specVersion: bot.specVersion,
    specHash: bot.specHash,
    visitor: scope.visitor,
    ...(withContact ? { contact: contactProperties(scope.contactId) } : {}),
    availability: availabilityFor(scope.inboxId, scope.contactId, now),
  });

  /** The interpreter context of a turn on an existing conversation. */
  const contextOf = (row: ConversationRow, bot: LoadedBot, inboxId: string, now: number): InterpreterContext =>
    contextFor(bot, { inboxId, visitor: visitorInfo(row.page_url ?? "", row.visitor_id, undefined, row.contact_id), contactId: row.contact_id }, now);

  // The engine's own copy of the version cache: a plain Map lookup per message, where going
  // through the Chatflows service (a traced Effect.fn) would cost a stack capture each time.
  const versions = new Map<string, ChatflowVersion>();
  const pinnedVersionNow = async (versionId: string): Promise<ChatflowVersion> => {
    const cached = versions.get(versionId);
    if (cached) return cached;
    const version = await Effect.runPromise(Effect.orDie(chatflows.getVersion(versionId)));
    if (versions.size >= 2_000) versions.delete(versions.keys().next().value as string);
    versions.set(versionId, version);
    return version;
  };

  const previewKey = (chatflowId: string, hash: string) => `${chatflowId}:${hash}`;
  const rememberPreview = (key: string, spec: FlowSpec) => {
    if (previews.size >= 200) previews.delete(previews.keys().next().value as string);
    previews.set(key, spec);
  };

  /**
   * The interpreter state stored with a conversation. Only the engine writes it (JSON of a
   * state `step` returned), so it is parsed, not decoded through the Schema again per message;
   * a row that is not even shaped like one is a defect.
   */
  const parseState = (row: ConversationRow & { readonly state: string }): InterpreterState => {
    const state = JSON.parse(row.state) as InterpreterState | null;
    if (state === null || typeof state !== "object" || typeof state.phase !== "string" || typeof state.variables !== "object") {
      throw new Error(`conversation ${row.id} has a state that is not an interpreter state`);
    }
    return state;
  };

  /** The pinned spec and state of a bot conversation; undefined when it has none. Throws Conflict for a lost preview. */
  const loadBotNow = async (row: ConversationRow): Promise<LoadedBot | undefined> => {
    if (row.state === null) return undefined;
    const state = parseState(row as ConversationRow & { state: string });
    if (row.chatflow_version_id !== null) {
      const version = versions.get(row.chatflow_version_id) ?? (await pinnedVersionNow(row.chatflow_version_id));
      return { spec: version.spec, specVersion: version.version, specHash: version.contentHash, state };
    }
    if (row.is_preview === 1 && row.chatflow_id !== null) {
      const key = previewKey(row.chatflow_id, state.specHash);
      let spec = previews.get(key);
      if (!spec) {
        // After a restart the preview's spec is gone: the current draft serves if it is the same one.
        const draft = await Effect.runPromise(Effect.either(chatflows.compileDraft(row.chatflow_id)));
        if (Either.isRight(draft) && draft.right.contentHash === state.specHash) {
          spec = draft.right.spec;
          rememberPreview(key, spec);
        }
      }
      if (!spec) throw new Conflict({ message: "this preview ran an older draft; start a new preview" });
      return { spec, specVersion: 0, specHash: state.specHash, state };
    }
    return undefined;
  };
  const loadBot = (row: ConversationRow): Effect.Effect<LoadedBot | undefined, Conflict> => fromPromise(() => loadBotNow(row));

  // ---- running the interpreter and its actions ----

  const lookups = {
    user: (userId: string) => {
      const row = db.prepare("SELECT name, display_name, meeting_link FROM users WHERE id = ?").get(userId) as
        | { name: string; display_name: string | null; meeting_link: string | null }
        | undefined;
      return row ? { name: row.display_name ?? row.name, meetingLink: row.meeting_link } : undefined;
    },
  };

  /** A knowledge node's search; a search that fails finds nothing and leaves a flow_error in the report. */
  const searchKnowledge = (command: SearchKnowledgeCommand, plan: Plan): InterpreterEvent => {
    try {
      return knowledgeEvent(db, command, publicUrl);
    } catch (error) {
      plan.events.push({
        type: "flow_error",
        nodeId: command.nodeId,
        data: { message: `the knowledge search failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500) },
      });
      return { type: "knowledge_result", nodeId: command.nodeId, articles: [] };
    }
  };

  /**
   * Carries out a step's commands into a plan; webhook / code / ticket / knowledge results are
   * fed back into `step` (a bounded number of rounds). Webhooks, code and knowledge searches
   * (reads) run here, outside any transaction.
   */
  const runCommandsNow = async (spec: FlowSpec, first: StepResult, context: InterpreterContext, plan: Plan): Promise<InterpreterState> => {
    let state = first.state;
    const queue: Command[] = first.commands.slice();
    let rounds = 0;
    const feed = (event: InterpreterEvent) => {
      const next = step(spec, state, event, { ...context, now: wallClock.now() });
      state = next.state;
      queue.push(...next.commands);
    };
    for (let i = 0; i < queue.length; i++) {
      const command = queue[i]!;
      if (
        command.type === "call_webhook" ||
        command.type === "run_code" ||
        command.type === "create_ticket" ||
        command.type === "search_knowledge"
      ) {
        if (++rounds > MAX_ACTION_ROUNDS) {
          plan.events.push({
            type: "flow_error",
            nodeId: command.nodeId,
            data: { message: `more than ${MAX_ACTION_ROUNDS} webhook, code, ticket or knowledge steps in one turn; stopped` },
          });
          continue;
        }
        if (command.type === "search_knowledge") {
          feed(searchKnowledge(command, plan));
        } else if (command.type === "create_ticket") {
          const ticketId = newId("tkt");
          plan.tickets.push({ id: ticketId, subject: command.subject, description: command.description, priority: command.priority });
          feed({ type: "ticket_created", nodeId: command.nodeId, ticketId });
        } else if (command.type === "call_webhook") {
          feed(await Effect.runPromise(actions.webhook(command)));
        } else {
          feed(await Effect.runPromise(actions.code(command)));
        }
        continue;
      }
      applyCommand(plan, command, lookups);
      if (command.type === "handoff" && command.away && command.target.type === "team") noteTeamClosed(plan, command.target.teamId, context);
    }
    attachChoices(plan);
    return state;
  };
  const runCommands = (spec: FlowSpec, first: StepResult, context: InterpreterContext, plan: Plan): Effect.Effect<InterpreterState> =>
    fromPromise(() => runCommandsNow(spec, first, context, plan));

  // ---- routing (runtime/services/routing.ts) ----

  // A turn that opens the conversation to people (a handoff, or a bot that is done) is routed
  // in the same write as the turn, so a crash never leaves it open and unrouted; the assignment
  // is published after the turn's own events (see the end of `publishNow`).
  const routedTurns = new WeakMap<TurnResult, Assignment>();
  const routeTurn = (turn: Turn, result: TurnResult): void => {
    if (!routing || turn.scope.isPreview || turn.columns.status !== "open") return;
    const handoff = turn.plan.handoff;
    const opened =
      handoff !== null || turn.plan.events.some((e) => e.type === "status_changed" && (e.data as { to?: unknown } | undefined)?.to === "open");
    if (!opened) return;
    // An agent who took over already holds it; a user target is checked (and may fall back) by routing.
    if (handoff?.target.type !== "user" && turn.columns.assigneeId !== null) return;
    // A handoff to the contact's owner goes where persistTurn decided and its event says.
    const owner = result.ownerRoute;
    const target = owner ? (owner.to === "owner" ? { type: "user" as const, userId: owner.ownerId } : { type: "routing" as const }) : handoff?.target;
    const assignment = routing.routeInWrite(db.prepare, turn.scope.id, target ?? { type: "routing" }, turn.now);
    if (assignment) routedTurns.set(result, assignment);
  };

  // ---- storing a turn and telling the world ----

  /**
   * Stores the turn (and `extra`, in the same transaction) in one group-commit write; resolves
   * after the commit. Rejects with StaleConversation when another writer moved the conversation.
   */
  const storeNow = (turn: Turn, extra?: (result: TurnResult) => void): Promise<TurnResult> =>
    db.write(() => {
      const result = persistTurn(db.prepare, turn);
      extra?.(result);
      routeTurn(turn, result);
      return result;
    });

  const store = (turn: Turn, extra?: (result: TurnResult) => void): Effect.Effect<TurnResult, StaleTurn> =>
    Effect.async<TurnResult, StaleTurn>((resume) => {
      storeNow(turn, extra).then(
        (result) => resume(Effect.succeed(result)),
        (error: unknown) => resume(error instanceof StaleConversation ? Effect.fail(new StaleTurn()) : Effect.die(error)),
      );
    });

  /** Tells live listeners what the committed turn did: its messages, then status and assignment changes. */
  const publishNow = (turn: Turn, result: TurnResult, before: ConversationColumns | null): void => {
    const { scope, columns } = turn;
    const bot = columns.status === "bot";
    for (let i = 0; i < result.messages.length; i++) {
      const row = result.messages[i]!;
      const internal = row.is_internal === 1;
      live.publishNow({
        conversationId: scope.id,
        inboxId: columns.inboxId,
        kind: "message",
        id: String(row.id),
        internal,
        ...(bot ? { bot } : {}),
        data: { ...result.api[i]!, internal, userId: row.user_id },
      });
    }
    if (before === null || before.status !== columns.status) {
      const data = { status: columns.status, from: before?.status ?? null };
      live.publishNow({ conversationId: scope.id, inboxId: columns.inboxId, kind: "status", data });
      live.publishNow({
        conversationId: scope.id,
        inboxId: columns.inboxId,
        kind: "conversation",
        data: { ...data, created: before === null },
      });
    }
    if (before !== null && (before.assigneeId !== columns.assigneeId || before.teamId !== columns.teamId)) {
      live.publishNow({
        conversationId: scope.id,
        inboxId: columns.inboxId,
        kind: "assignment",
        // Who made the change (the agent whose reply took the conversation), so the inbox does
        // not notify that agent of their own act; null for the bot and for routing.
        data: { assigneeId: columns.assigneeId, teamId: columns.teamId, by: turn.incoming?.author === "agent" ? turn.incoming.userId : null },
      });
    }
    const routed = routedTurns.get(result);
    if (routed && routing) Effect.runSync(routing.publish([routed]));
  };

  const publish = (turn: Turn, result: TurnResult, before: ConversationColumns | null): Effect.Effect<void> =>
    Effect.sync(() => publishNow(turn, result, before));

  /** Runs `attempt` again (up to STALE_RETRIES times) when another writer moved the conversation. */
  const retryStale = <A, E, R>(attempt: Effect.Effect<A, E | StaleTurn, R>): Effect.Effect<A, Exclude<E, StaleTurn> | Conflict, R> => {
    // Plain nested catches: Effect.retry's schedule machinery costs more than the retries it never makes.
    let effect: Effect.Effect<A, E | StaleTurn, R> = attempt;
    for (let i = 0; i < STALE_RETRIES; i++) {
      effect = Effect.catchIf(effect, (e): e is StaleTurn => e instanceof StaleTurn, () => attempt);
    }
    return Effect.catchIf(
      effect,
      (e): e is StaleTurn => e instanceof StaleTurn,
      () => Effect.fail(new Conflict({ message: "the conversation kept changing; try again" })),
    ) as Effect.Effect<A, Exclude<E, StaleTurn> | Conflict, R>;
  };

  /** `attempt` in plain code: again (up to STALE_RETRIES times) when another writer moved the conversation. */
  const retryStaleNow = async <A>(attempt: () => Promise<A>): Promise<A> => {
    for (let tries = 0; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof StaleConversation)) throw error;
        if (tries >= STALE_RETRIES) throw new Conflict({ message: "the conversation kept changing; try again" });
      }
    }
  };

  const columnsOf = (row: ConversationRow): ConversationColumns => ({
    status: row.status,
    inboxId: row.inbox_id,
    assigneeId: row.assignee_id,
    teamId: row.team_id,
    handedOffAt: row.handed_off_at,
    closedAt: row.closed_at,
    waitingSince: row.waiting_since,
  });

  const scopeOf = (row: ConversationRow) => ({
    id: row.id,
    chatflowId: row.chatflow_id,
    chatflowVersionId: row.chatflow_version_id,
    channelId: row.channel_id,
    visitorId: row.visitor_id,
    contactId: row.contact_id,
    isPreview: row.is_preview === 1,
  });

  /** The turn's messages a visitor may see, in the API shape. */
  const publicMessages = (result: TurnResult): ApiMessage[] => {
    const out: ApiMessage[] = [];
    for (let i = 0; i < result.messages.length; i++) if (result.messages[i]!.is_internal === 0) out.push(result.api[i]!);
    return out;
  };

  // ---- visitor messages ----

  /** What a visitor sends: a text, a click on choices, or (Engine.visitorFile) one file with an optional caption. */
  type VisitorInput =
    | { kind: "text"; text: string }
    | { kind: "choice"; choiceIds: readonly [string, ...string[]] }
    | { kind: "file"; text: string; file: { readonly id: string; readonly name: string; readonly type: string; readonly size: number }; row: AttachmentRow };

  /** The issue with a visitor's client message id, or undefined. Pure. */
  const clientMessageIdIssue = (id: unknown): InvalidInput | undefined => {
    if (typeof id !== "string" || id.length === 0) return invalid("clientMessageId", "a client message id is required");
    if (id.length > MAX_CLIENT_MESSAGE_ID_LENGTH) return invalid("clientMessageId", `a client message id is at most ${MAX_CLIENT_MESSAGE_ID_LENGTH} characters`);
    return undefined;
  };

  const validateVisitorInput = (input: {
    readonly clientMessageId: string;
    readonly text?: string;
    readonly choiceIds?: ReadonlyArray<string>;
  }): Either.Either<{ kind: "text"; text: string } | { kind: "choice"; choiceIds: readonly [string, ...string[]] }, InvalidInput> => {
    const idIssue = clientMessageIdIssue(input.clientMessageId);
    if (idIssue !== undefined) return Either.left(idIssue);
    const hasText = input.text !== undefined;
    const hasChoice = input.choiceIds !== undefined;
    if (hasText === hasChoice) return Either.left(invalid("", "send either a text or a choice"));
    if (hasText) {
      const text = input.text!;
      if (text.trim().length === 0) return Either.left(invalid("text", "the message is empty"));
      if (text.length > MAX_TEXT_LENGTH) return Either.left(invalid("text", `a message is at most ${MAX_TEXT_LENGTH.toLocaleString("en")} characters`));
      return Either.right({ kind: "text", text });
    }
    const ids = input.choiceIds!;
    if (ids.length === 0 || ids.length > 50) return Either.left(invalid("choice", "pick between 1 and 50 choices"));
    for (const [i, id] of ids.entries()) {
      if (typeof id !== "string" || id.length === 0 || id.length > 64) {
        return Either.left(invalid(`choice[${i}]`, "a choice id is 1–64 characters"));
      }
    }
    return Either.right({ kind: "choice", choiceIds: ids as readonly [string, ...string[]] });
  };

  type VisitorReply = { readonly messages: ReadonlyArray<ApiMessage>; readonly awaiting: AwaitedInput | null; readonly status: ConversationStatus };

  /**
   * A visitor's file (and caption) checked and made ready to store: the caption within the
   * message length, the file not empty and within ATTACHMENT_CHAT_UPLOAD_MAX_BYTES. Pure (but for hashing).
   */
  const validateVisitorFile = (input: Parameters<EngineShape["visitorFile"]>[0]): Either.Either<Extract<VisitorInput, { kind: "file" }>, InvalidInput> => {
    const idIssue = clientMessageIdIssue(input.clientMessageId);
    if (idIssue !== undefined) return Either.left(idIssue);
    if (typeof input.text !== "string" || input.text.length > MAX_TEXT_LENGTH) {
      return Either.left(invalid("text", `a caption is at most ${MAX_TEXT_LENGTH.toLocaleString("en")} characters`));
    }
    if (input.file.content.length === 0) return Either.left(invalid("file", "the file is empty"));
    const ready = attachmentChatUploadRows(input.file);
    if (ready === null) return Either.left(invalid("file", `a file is at most ${ATTACHMENT_CHAT_UPLOAD_MAX_BYTES / (1024 * 1024)} MB`));
    // A caption of only spaces says nothing: the file alone is the message.
    return Either.right({ kind: "file", text: input.text.trim() === "" ? "" : input.text, file: ready.entry, row: ready.row });
  };

  /** Whether a stored visitor message is the one `message` sends again (a retry), not another one under the same id. */
  const sameVisitorMessage = (stored: MessageRow, message: VisitorInput): boolean => {
    if (message.kind === "text") return stored.payload === null && stored.text === message.text;
    if (message.kind === "file") {
      // The same caption and the same file (by name and size: the bytes' hash is not in the payload).
      const files = stored.payload === null ? undefined : (JSON.parse(stored.payload) as { attachments?: unknown }).attachments;
      const first = Array.isArray(files) && files.length === 1 ? (files[0] as { name?: unknown; size?: unknown }) : undefined;
      return stored.text === message.text && first?.name === message.file.name && first?.size === message.file.size;
    }
    const ids = stored.payload === null ? undefined : (JSON.parse(stored.payload) as { choiceIds?: unknown }).choiceIds;
    return Array.isArray(ids) && ids.length === message.choiceIds.length && ids.every((id, i) => id === message.choiceIds[i]);
  };

  /**
   * The reply stored for a message already handled: it, and the bot's messages after it. A
   * different message under the same client message id is refused: answering it with the first
   * one's reply would lose it without a word.
   */
  const replayNow = async (row: ConversationRow, messageId: number, message: VisitorInput): Promise<VisitorReply> => {
    const rows = db
      .prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND id >= ? AND is_internal = 0 ORDER BY id LIMIT 200`)
      .all(row.id, messageId) as MessageRow[];
    if (rows[0] && !sameVisitorMessage(rows[0], message)) {
      throw new Conflict({ message: "this clientMessageId was already used for a different message; send a new message with a new id" });
    }
    const reply: MessageRow[] = [];
    for (const [i, r] of rows.entries()) {
      if (i === 0) reply.push(r);
      else if (r.author === "visitor") break;
      else if (r.author === "bot") reply.push(r);
    }
    let awaiting: AwaitedInput | null = null;
    if (row.status === "bot") {
      // A preview whose draft is gone still replays its messages, with nothing awaited.
      const bot = await loadBotNow(row).catch((error: unknown) => (error instanceof Conflict ? undefined : Promise.reject(error)));
      if (bot) awaiting = awaitingOf(bot.spec, bot.state);
    }
    return { messages: reply.map(toApiMessage), awaiting, status: row.status };
  };

  const attemptVisitorMessage = async (
    input: { readonly conversationId: string; readonly visitorId: string; readonly clientMessageId: string },
    message: VisitorInput,
  ): Promise<VisitorReply> => {
    const found = selectConversationForMessage.get({ id: input.conversationId, clientMessageId: input.clientMessageId }) as
      | (ConversationRow & { readonly handled_message_id: number | null })
      | undefined;
    if (!found) throw new NotFound({ entity: "conversation", id: input.conversationId });
    if (found.visitor_id !== input.visitorId) throw new Forbidden({ message: "this conversation belongs to another visitor" });
    const row: ConversationRow = found;
    if (found.handled_message_id !== null) return replayNow(row, found.handled_message_id, message);
    if (row.status === "closed") throw new Conflict({ message: "this conversation is closed" });
    // The bot's step takes a text or a choice; a file would be an answer it cannot read.
    if (message.kind === "file" && row.status === "bot") throw new Conflict({ message: "the bot is asking a question: answer it first" });

    const now = wallClock.now();
    const before = columnsOf(row);
    const plan = newPlan();
    const bot = row.status === "bot" ? await loadBotNow(row) : undefined;

    let text: string;
    if (message.kind !== "choice") text = message.text;
    else {
      // A click is stored as the labels the visitor saw, so the transcript reads naturally.
      const awaited = bot ? awaitingOf(bot.spec, bot.state) : null;
      const labels = message.choiceIds.map((id) => awaited?.choices?.find((c) => c.id === id)?.label ?? id);
      text = labels.join(", ");
    }
    const incoming: PlannedMessage = {
      author: "visitor",
      userId: null,
      text,
      // A file is listed as an agent's reply and a Messenger visitor's files are: the inbox's thread shows it as it shows theirs.
      payload: message.kind === "choice" ? { choiceIds: message.choiceIds } : message.kind === "file" ? { attachments: [message.file] } : null,
      internal: false,
      clientMessageId: input.clientMessageId,
    };

    let columns: ConversationColumns;
    let stateText = row.state;
    let knownContact: Readonly<Record<string, string>> = {};
    let awaiting: AwaitedInput | null = null;
    if (row.status !== "bot") {
      // A person owns the conversation: store and publish, no bot turn. A pending one (the team
      // waits on the visitor) owes an answer again.
      columns = { ...before, status: before.status === "pending" ? "open" : before.status, waitingSince: before.waitingSince ?? now };
      addTransitionEvents(plan, before, columns);
    } else if (!bot || bot.state.phase !== "awaiting_input") {
      // The bot is done (or stuck): the visitor's words go to the team, and the bot stays silent.
      columns = { ...before, status: "open", inboxId: channelInbox(row.channel_id), waitingSince: now, closedAt: null };
      addTransitionEvents(plan, before, columns);
    } else {
      const context = contextOf(row, bot, before.inboxId, now);
      // A file never reaches here: it is refused while the bot holds the conversation.
      const event: InterpreterEvent =
        message.kind === "choice" ? { type: "visitor_choice", choiceIds: message.choiceIds } : { type: "visitor_message", text: message.text };
      const state = await runCommandsNow(bot.spec, step(bot.spec, bot.state, event, context), context, plan);
      stateText = JSON.stringify(state);
      knownContact = state.contact;
      columns = columnsAfterBotTurn(plan, before, () => channelInbox(row.channel_id), now);
      if (columns.status === "bot") awaiting = awaitingOf(bot.spec, state);
    }

    const turn: Turn = {
      scope: scopeOf(row),
      write: { kind: "update", version: row.version, before },
      columns,
      stateText,
      incoming,
      plan,
      now,
      knownContact,
    };
    // The visitor's message is the turn's first; a file goes in with it or not at all. In a
    // conversation a person holds it also ends a snooze (snoozes.ts); a bot turn pays nothing
    // for that: a bot conversation is never snoozed.
    const woke: { wake: SnoozeWake | null } = { wake: null };
    const result = await storeNow(
      turn,
      row.status === "bot"
        ? undefined
        : (stored) => {
            if (message.kind === "file") attachmentInsert(db.sqlite, row.id, stored.messages[0]!.id, [message.row], now);
            woke.wake = wakeSnoozeInWrite(db.prepare, row.id, now, "visitor");
          },
    );
    publishNow(turn, result, before);
    if (woke.wake) live.publishNow(snoozeWakeEvent(woke.wake));
    return { messages: publicMessages(result), awaiting, status: columns.status };
  };

  // ---- starting a conversation ----

  type StartInput = Parameters<EngineShape["startConversation"]>[0];

  const startConversationNow = async (input: StartInput): Promise<ConversationView> => {
    if (typeof input.pageUrl !== "string" || input.pageUrl.length > MAX_PAGE_URL_LENGTH) {
      throw invalid("pageUrl", `a page URL is at most ${MAX_PAGE_URL_LENGTH} characters`);
    }
    const channel = db.prepare("SELECT id, inbox_id FROM channels WHERE id = ?").get(input.channelId) as
      | { id: string; inbox_id: string }
      | undefined;
    if (!channel) throw new NotFound({ entity: "channel", id: input.channelId });
    const visitor = readVisitor(input.visitorId);
    if (!visitor || visitor.channel_id !== channel.id) throw new NotFound({ entity: "visitor", id: input.visitorId });
    // The chatflow's row as it is now (a flow switched off a moment ago starts nothing).
    const chatflow = selectChatflow.get(input.chatflowId) as
      | { id: string; channel_id: string | null; enabled: number; published_version_id: string | null; archived_at: number | null }
      | undefined;
    if (!chatflow || chatflow.archived_at !== null) throw new NotFound({ entity: "chatflow", id: input.chatflowId });

    let bot: { spec: FlowSpec; specVersion: number; specHash: string; versionId: string | null };
    if (input.preview === true) {
      const draft = await Effect.runPromise(Effect.either(chatflows.compileDraft(chatflow.id)));
      if (Either.isLeft(draft)) throw draft.left;
      rememberPreview(previewKey(chatflow.id, draft.right.contentHash), draft.right.spec);
      bot = { spec: draft.right.spec, specVersion: 0, specHash: draft.right.contentHash, versionId: null };
    } else {
      if (chatflow.enabled !== 1 || chatflow.published_version_id === null || chatflow.channel_id !== channel.id) {
        throw new NotFound({ entity: "chatflow", id: input.chatflowId });
      }
      const version = await pinnedVersionNow(chatflow.published_version_id);
      bot = { spec: version.spec, specVersion: version.version, specHash: version.contentHash, versionId: version.id };
    }

    const now = wallClock.now();
    const id = newConversationId(now);
    const before: ConversationColumns = {
      status: "bot",
      inboxId: channel.inbox_id,
      assigneeId: null,
      teamId: null,
      handedOffAt: null,
      closedAt: null,
      waitingSince: null,
    };
    const scope = {
      inboxId: channel.inbox_id,
      visitor: visitorInfo(input.pageUrl, visitor.id, visitor, visitor.contact_id),
      contactId: visitor.contact_id,
    };
    // The seed is drawn once, here; `start` folds it into the state, so replays are exact.
    const context = contextFor(bot, scope, now, randomInt(0, 2 ** 32), true);
    const plan = newPlan();
    const state = await runCommandsNow(bot.spec, start(bot.spec, context), context, plan);
    const columns = columnsAfterBotTurn(plan, before, () => channel.inbox_id, now);
    const turn: Turn = {
      scope: {
        id,
        chatflowId: chatflow.id,
        chatflowVersionId: bot.versionId,
        channelId: channel.id,
        visitorId: visitor.id,
        contactId: visitor.contact_id,
        isPreview: input.preview === true,
      },
      write: { kind: "insert", pageUrl: input.pageUrl, createdAt: now },
      columns,
      stateText: JSON.stringify(state),
      incoming: null,
      plan,
      now,
      knownContact: state.contact,
    };
    const result = await storeNow(turn, () =>
      db.prepare("UPDATE visitors SET last_page_url = ?, last_seen_at = ? WHERE id = ?").run(input.pageUrl, now, visitor.id),
    ).catch((error: unknown) =>
      Promise.reject(error instanceof StaleConversation ? new Error("a new conversation cannot be stale") : error),
    );
    publishNow(turn, result, null);
    return {
      conversation: { id, status: columns.status },
      messages: publicMessages(result),
      awaiting: columns.status === "bot" ? awaitingOf(bot.spec, state) : null,
    };
  };

  // ---- agents ----

  const attemptAgentReply = (input: {
    readonly conversationId: string;
    readonly userId: string;
    readonly text: string;
    readonly clientMessageId: string;
    readonly internal: boolean;
    readonly attachments: ReadonlyArray<AttachmentRow>;
    readonly rule?: { readonly id: string; readonly name: string };
  }) =>
    Effect.gen(function* () {
      const row = yield* findConversation(input.conversationId);
      const existing = db
        .prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND client_message_id = ?`)
        .get(row.id, input.clientMessageId) as MessageRow | undefined;
      if (existing) return toApiMessage(existing);
      if (row.status === "closed" && !input.internal) {
        return yield* Effect.fail(new Conflict({ message: "this conversation is closed" }));
      }
      const now = wallClock.now();
      const before = columnsOf(row);
      const plan = newPlan();
      let stateText = row.state;
      let columns: ConversationColumns = before;
      if (!input.internal) {
        columns = { ...columns, waitingSince: null };
        if (row.status === "bot") {
          // The agent takes over: the bot ends, the conversation opens, assigned to that agent.
          const bot = yield* loadBot(row).pipe(Effect.catchTag("Conflict", () => Effect.succeed(undefined)));
          if (bot && isActive(bot.state)) {
            const context = contextOf(row, bot, before.inboxId, now);
            const state = yield* runCommands(bot.spec, step(bot.spec, bot.state, { type: "agent_took_over" }, context), context, plan);
            stateText = JSON.stringify(state);
          }
          // Whatever the interpreter said in its last breath, the bot never speaks once a person has.
          plan.messages.length = 0;
          plan.events.push({ type: "agent_took_over", userId: input.userId });
          columns = { ...columns, status: "open", assigneeId: input.userId, handedOffAt: columns.handedOffAt ?? now };
          addTransitionEvents(plan, before, columns);
        } else if (columns.assigneeId === null) {
          // Whoever answers an unassigned conversation owns it from then on (as in Intercom and
          // Chatwoot): it leaves the queue, and the visitor's next message reaches that person.
          columns = { ...columns, assigneeId: input.userId };
          addTransitionEvents(plan, before, columns);
        }
      }
      const files = input.attachments;
      const incoming: PlannedMessage = {
        author: "agent",
        userId: input.userId,
        text: input.text,
        // The thread lists them and links each one; the rows themselves are written below, in this turn's write.
        payload:
          files.length === 0 && input.rule === undefined
            ? null
            : {
                ...(files.length === 0 ? {} : { attachments: files.map((f) => ({ id: f.id, name: f.filename, type: f.contentType, size: f.size })) }),
                ...(input.rule === undefined ? {} : { rule: { id: input.rule.id, name: input.rule.name } }),
              },
        internal: input.internal,
        clientMessageId: input.clientMessageId,
      };
      const turn: Turn = {
        scope: scopeOf(row),
        write: { kind: "update", version: row.version, before },
        columns,
        stateText,
        incoming,
        plan,
        now,
        knownContact: {},
        ...(input.rule === undefined ? {} : { rule: input.rule }),
      };
      // The agent's message is the turn's first; its files go in with it or not at all.
      const result = yield* store(turn, files.length === 0 ? undefined : (stored) => attachmentInsert(db.sqlite, row.id, stored.messages[0]!.id, files, now));
      yield* publish(turn, result, before);
      return result.api[0]!;
    });

  // ---- session timeout ----

  const expireOne = (id: string, now: number) =>
    Effect.gen(function* () {
      const row = readConversation(db.prepare, id);
      if (!row || row.status !== "bot") return false;
      const bot = yield* Effect.either(loadBot(row));
      const loaded = Either.isRight(bot) ? bot.right : undefined;
      if (loaded && !isActive(loaded.state)) return false;
      if (loaded && now - row.last_activity_at < loaded.spec.settings.sessionTimeoutMinutes * 60_000) return false;
      const before = columnsOf(row);
      const plan = newPlan();
      let stateText = row.state;
      if (loaded) {
        const context = contextOf(row, loaded, before.inboxId, now);
        const state = yield* runCommands(loaded.spec, step(loaded.spec, loaded.state, { type: "session_timed_out" }, context), context, plan);
        stateText = JSON.stringify(state);
      } else {
        // A preview whose draft is gone cannot be stepped; it is closed all the same.
        plan.events.push({ type: "abandoned", nodeId: null });
      }
      // The visitor left: nothing the bot would say now reaches anyone.
      plan.messages.length = 0;
      const columns: ConversationColumns = { ...before, status: "closed", closedAt: now, waitingSince: null };
      addTransitionEvents(plan, before, columns);
      const turn: Turn = {
        scope: scopeOf(row),
        write: { kind: "update", version: row.version, before },
        columns,
        stateText,
        incoming: null,
        plan,
        now,
        knownContact: {},
      };
      const result = yield* store(turn);
      yield* publish(turn, result, before);
      return true;
    });

  const idleCandidates = db.prepare(
    // INDEXED BY: the planner would otherwise pick (status, last_activity_at) and walk every
    // finished bot conversation too; with it, a schema change that breaks the index fails loudly.
    `SELECT id, last_activity_at FROM conversations INDEXED BY conversations_bot_awaiting
     WHERE status = 'bot' AND json_extract(state, '$.phase') IN ('awaiting_input', 'awaiting_action')
       AND (last_activity_at, id) > (?, ?) AND last_activity_at < ?
     ORDER BY last_activity_at, id LIMIT 500`,
  );

  const handleVisitorMessageNow = (input: Parameters<EngineShape["handleVisitorMessage"]>[0]): Promise<VisitorReply> => {
    const message = validateVisitorInput(input);
    if (Either.isLeft(message)) return Promise.reject(message.left);
    return lock.run(input.conversationId, () => retryStaleNow(() => attemptVisitorMessage(input, message.right)));
  };

  const visitorFileNow = (input: Parameters<EngineShape["visitorFile"]>[0]): Promise<VisitorReply> => {
    const message = validateVisitorFile(input);
    if (Either.isLeft(message)) return Promise.reject(message.left);
    return lock.run(input.conversationId, () => retryStaleNow(() => attemptVisitorMessage(input, message.right)));
  };

  return {
    // Not Effect.fn: these two run on every visitor request, and a traced span costs a stack capture each.
    startConversation: (input) => fromPromise(() => startConversationNow(input)),

    handleVisitorMessage: (input) => fromPromise(() => handleVisitorMessageNow(input)),

    visitorFile: (input) => fromPromise(() => visitorFileNow(input)),

    direct: {
      startConversation: (input) => exitOf(startConversationNow(input)),
      handleVisitorMessage: (input) => exitOf(handleVisitorMessageNow(input)),
    },

    getConversation: Effect.fn("Engine.getConversation")(function* (input) {
      const row = yield* ownConversation(input.conversationId, input.visitorId);
      const rows = db
        .prepare(
          `SELECT * FROM (SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND is_internal = 0 ORDER BY id DESC LIMIT ?) ORDER BY id`,
        )
        .all(row.id, MAX_MESSAGES_RETURNED) as MessageRow[];
      let awaiting: AwaitedInput | null = null;
      if (row.status === "bot") {
        const bot = yield* Effect.either(loadBot(row));
        if (Either.isRight(bot) && bot.right) awaiting = awaitingOf(bot.right.spec, bot.right.state);
      }
      return { conversation: { id: row.id, status: row.status }, messages: rows.map(toApiMessage), awaiting };
    }),

    listMessages: Effect.fn("Engine.listMessages")(function* (input) {
      const row = yield* ownConversation(input.conversationId, input.visitorId);
      let after = 0;
      if (input.after !== undefined && input.after !== "") {
        if (!/^\d{1,15}$/.test(input.after)) return yield* Effect.fail(invalid("after", "after is a message id"));
        after = Number(input.after);
      }
      const rows = db
        .prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND id > ? AND is_internal = 0 ORDER BY id LIMIT ?`)
        .all(row.id, after, MAX_MESSAGES_RETURNED) as MessageRow[];
      return rows.map(toApiMessage);
    }),

    markSeen: Effect.fn("Engine.markSeen")(function* (input) {
      // The check listMessages makes of `after`: beyond 15 digits a number is no longer exact.
      if (!/^\d{1,15}$/.test(input.through)) return yield* Effect.fail(invalid("through", "through is a message id (digits only)"));
      const row = yield* ownConversation(input.conversationId, input.visitorId);
      const through = Number(input.through);
      // Only a message the visitor can be shown: an internal comment's id is no message of theirs.
      if (selectVisibleMessage.get(through, row.id) === undefined) {
        return yield* Effect.fail(invalid("through", `message ${input.through} is not a message of this conversation`));
      }
      const stored = selectSeen.get(row.id) as SeenRow | undefined;
      // Most marks repeat what is stored (every reload, every refocus): they cost no write.
      if (stored && stored.last_seen_message_id >= through) return { through: stored.last_seen_message_id, at: stored.seen_at };
      const written = yield* Effect.orDie(
        db.writeEffect(() => {
          // Conditional in SQL too: another mark may have committed since the read above.
          const moved = upsertSeen.run(row.id, through, wallClock.now()).changes > 0;
          const now = selectSeen.get(row.id) as SeenRow;
          const inbox = selectConversationInbox.get(row.id) as { inbox_id: string };
          return { moved, through: now.last_seen_message_id, at: now.seen_at, inboxId: inbox.inbox_id };
        }),
      );
      if (written.moved) {
        const data: SeenChange = { change: "seen", through: String(written.through), at: written.at };
        // `internal`: the visitor's own stream never carries it (LiveEvents skips internal events for it).
        live.publishNow({ conversationId: row.id, inboxId: written.inboxId, kind: "conversation", internal: true, data });
      }
      return { through: written.through, at: written.at };
    }),

    replyAsAgent: Effect.fn("Engine.replyAsAgent")(function* (input) {
      if (typeof input.clientMessageId !== "string" || input.clientMessageId.length === 0) {
        return yield* Effect.fail(invalid("clientMessageId", "a client message id is required"));
      }
      if (input.clientMessageId.length > MAX_CLIENT_MESSAGE_ID_LENGTH) {
        return yield* Effect.fail(invalid("clientMessageId", `a client message id is at most ${MAX_CLIENT_MESSAGE_ID_LENGTH} characters`));
      }
      if (typeof input.text !== "string" || input.text.trim().length === 0) {
        return yield* Effect.fail(invalid("text", "the message is empty"));
      }
      if (input.text.length > MAX_TEXT_LENGTH) {
        return yield* Effect.fail(invalid("text", `a message is at most ${MAX_TEXT_LENGTH.toLocaleString("en")} characters`));
      }
      const attachments = input.attachments ?? [];
      // A comment never leaves the team, so a file on it would be one nobody outside asked for.
      if (attachments.length > 0 && input.internal === true) {
        return yield* Effect.fail(invalid("files", "files can only be attached to replies, not to internal comments"));
      }
      // The Automation user (automation rules) is disabled so it never signs in, yet writes comments and replies.
      const user = db.prepare("SELECT id FROM users WHERE id = ? AND (disabled_at IS NULL OR id = ?)").get(input.userId, AUTOMATION_ACTOR.id);
      if (!user) return yield* Effect.fail(new NotFound({ entity: "user", id: input.userId }));
      const request = { ...input, internal: input.internal === true, attachments };
      return yield* withLock(input.conversationId, retryStale(attemptAgentReply(request)));
    }),

    expireIdleConversations: Effect.fn("Engine.expireIdleConversations")(function* (now: number) {
      let expired = 0;
      let cursor: { at: number; id: string } = { at: -1, id: "" };
      // Nothing times out in less than a minute (the smallest sessionTimeoutMinutes).
      const cutoff = now - 60_000;
      for (;;) {
        const page = idleCandidates.all(cursor.at, cursor.id, cutoff) as Array<{ id: string; last_activity_at: number }>;
        if (page.length === 0) break;
        cursor = { at: page[page.length - 1]!.last_activity_at, id: page[page.length - 1]!.id };
        const results = yield* Effect.forEach(
          page,
          (c) =>
            withLock(c.id, expireOne(c.id, now)).pipe(
              // Another writer got there first: it is active again, or someone else closed it.
              Effect.catchTag("StaleTurn", () => Effect.succeed(false)),
            ),
          { concurrency: 32 },
        );
        expired += results.filter(Boolean).length;
        if (page.length < 500) break;
      }
      return expired;
    }),
  };
};

/** The Engine over the app's services; actions come from EngineActions (see `actionsLayer`). */
export const layer: Layer.Layer<Engine, never, Database | Chatflows | LiveEvents | EngineActions> = Layer.effect(
  Engine,
  Effect.gen(function* () {
    // Optional so tools and tests can run the engine alone; the app layer provides them.
    const routing = yield* Effect.serviceOption(Routing);
    const config = yield* Effect.serviceOption(AppConfig);
    return makeEngine({
      db: yield* Database,
      chatflows: yield* Chatflows,
      live: yield* LiveEvents,
      actions: yield* EngineActions,
      ...(Option.isSome(routing) ? { routing: routing.value } : {}),
      ...(Option.isSome(config) ? { publicUrl: config.value.publicUrl } : {}),
    });
  }),
);

/** The Engine with explicit actions (tests, benches, tools). */
export const layerWithActions = (actions: EngineActionsShape): Layer.Layer<Engine, never, Database | Chatflows | LiveEvents> =>
  layer.pipe(Layer.provide(Layer.succeed(EngineActions, actions)));
