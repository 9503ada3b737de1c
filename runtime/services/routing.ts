/**
 * Routing: who gets a conversation when it reaches the inbox, the queue for when nobody can
 * take it, and agents' manual (re)assignments with optimistic concurrency.
 *
 * Public API (agreed with the inbox UI; `Routing` service):
 *   routeConversation(conversationId, target: {type:"routing"}|{type:"team",teamId}|{type:"user",userId}|{type:"contact_owner"})
 *     → Effect<{assigneeId: string|null; queued: boolean}, NotFound | Conflict>
 *   drainQueue(inboxId?) → Effect<ReadonlyArray<Assignment>>   (assigns queued conversations, FIFO)
 *   teamHoursChanged(teamId) → Effect<ReadonlyArray<Assignment>>   (drains, then tells inbox pages of the team's queue still waiting)
 *   workspaceCalendarChanged(part) → Effect<ReadonlyArray<Assignment>>   (the same for every team that follows the workspace's hours or closed dates)
 *   assign(conversationId, {userId?: string|null, teamId?: string|null}, byUserId, expectedVersion)
 *     → Effect<Assignment, NotFound | Forbidden | InvalidInput | Conflict>   (Conflict when stale)
 *   queueStats() → Effect<Record<inboxId, {queued, oldestQueuedAt, closedTeams}>>   (closedTeams: waiting for a team its hours have closed)
 *   routeInWrite / publish — the engine's hook: route inside the turn's own write, publish after commit.
 * Call `drainQueue(inboxId)` after anything that can free an agent: a conversation closed, an
 * agent available again, a cap raised, members added (Workspace and `assign` already do).
 *
 * Rules. Each inbox has `routing` {mode: "manual"|"round_robin", teamId?, maxOpenPerAgent?, contactOwnerFirst?, preferVisitorLanguage?, languageWaitMinutes?}.
 * - target routing, manual: the conversation stays unassigned in the inbox (people pick it).
 * - target routing, round_robin: the next AVAILABLE member of the inbox (or of `teamId`).
 * - target team: the next available member of that team, whatever the inbox's mode (the flow
 *   asked for that team); the conversation's team is set.
 * - target user: that user, when they can work in the inbox; otherwise the inbox's routing.
 * - target contact_owner: the owner of the conversation's contact when they are "available"
 *   (below) — else, as for an unknown visitor or a contact without an owner, the inbox's
 *   routing. `contactOwnerRoute` says which and why (the engine records it on the handoff).
 * - `contactOwnerFirst` on an inbox (any mode) does the same for every conversation its routing
 *   places — handoffs to routing, new email and Messenger conversations, the queue: the
 *   contact's owner when available, else the mode's rule.
 * "Available" = not disabled, role agent or admin, availability "available", may open the
 * inbox (admin or member), and below `maxOpenPerAgent` conversations in status open (counted
 * over all inboxes: the cap is the person's capacity). "Next" = the eligible member whose last
 * automatic assignment in this pool is the oldest (never assigned first, then by name): a
 * durable round-robin pointer in `routing_turns`, so order survives restarts.
 * `preferVisitorLanguage` on an inbox (decision 055) puts first, in every pool its conversations
 * are routed in (queue included), the eligible members who list the visitor's language (primary
 * subtag: `de-AT` ↔ `de`); when none of them can take it, anyone eligible does, as without it.
 * The `assigned` event then says `language` (null: the visitor's is unknown) and `languageMatched`.
 * With `languageWaitMinutes` (1–60, with the preference) the fallback is not immediate: while no
 * speaker can take it, a conversation whose visitor's language someone of the pool lists (available
 * or not) waits in the queue until that many minutes after the visitor started waiting (its
 * `queued_at`); a speaker who becomes free takes it, and a freed non-speaker passes it for the next
 * conversation it may take. When nobody of the pool speaks it, nothing is waited for. Its `queued`
 * event says `reason: "language_wait"`, `language`, `waitUntil`; the `assigned` event
 * `languageWaitExpired`. The wait's end is one more due time of the timer below.
 * When nobody is eligible the conversation waits: open, unassigned, `queued_at` set. The queue
 * drains in FIFO order (`queued_at` = when the visitor started waiting) as soon as someone can
 * take it — never stranded. A conversation's team decides its pool while queued.
 *
 * Team hours (decision 048, runtime/services/team-hours.ts). A team's pool takes conversations
 * only while the team is open by its hours: a target team, a queued conversation's team, and an
 * inbox whose round-robin pool is a team (`routing.teamId`). Outside its hours the conversation
 * waits unassigned in the queue with the team set (`queued_at` set, FIFO kept; its `queued`
 * event says `reason: "team_closed"` and `opensAt`); the closed team's queue is left out of the
 * drain, so other pools are not held behind it. A team with no hours (source none) is never
 * closed. A person chosen by name (target user, the contact's owner, an agent's or a rule's
 * manual assignment) is not a pool: they take the conversation at any hour. Once started
 * (`start`, server/startup.ts) one timer is armed at the earliest next opening among closed
 * teams with queued conversations, or the earliest end of a wait for a speaker — re-armed after
 * every drain and whenever a conversation is queued, capped below setTimeout's limit — and drains the queue then, without
 * anyone acting; a slow re-check (ROUTING_RECHECK_MS) catches hours changed by another writer.
 *
 * Every assignment writes an `assigned` event (a queueing a `queued` event, a clearing an
 * `unassigned` event) in the same write as the change, bumps the conversation's `version`, and
 * publishes a LiveEvents "assignment" event after the commit.
 */
import { Context, Data, Effect, Layer, Option, Schema as S } from "effect";
import { actingRule, ruleLine, ruleLineInWrite, withRule, type ActingRule } from "./acting-rule.js";
import * as wallClock from "./clock.js";
import { Database, type DatabaseShape, type Statement } from "./database.js";
import { Conflict, Forbidden, InvalidInput, NotFound } from "./errors.js";
import { AUTOMATION_ACTOR } from "./inbox-access.js";
import { LiveEvents, type LiveEventsShape } from "./live-events.js";
import { makeTimedPassLoop } from "./pass-loop.js";
import { closedByHours, decodeTeamHours, teamOpensAt, type TeamClosed } from "./team-hours.js";
import type { TeamHours } from "../../flows/team-hours.js";
import { primaryLanguage } from "../core/language-tags.js";
import { unassignedSinceAfter } from "../sql/unassigned-since.js";

// ---------------------------------------------------------------------------------------------
// Schemas and shapes

/** Where a conversation should go (the handoff node's target). */
export type RouteTarget =
  | { readonly type: "routing" }
  | { readonly type: "team"; readonly teamId: string }
  | { readonly type: "user"; readonly userId: string }
  | { readonly type: "contact_owner" };

export const routingModes = ["manual", "round_robin"] as const;
export const MAX_OPEN_PER_AGENT_LIMIT = 1000;
/** The longest an inbox lets a conversation wait for an agent who speaks the visitor's language. */
export const LANGUAGE_WAIT_LIMIT_MINUTES = 60;

/** An inbox's routing settings (the `inboxes.routing` JSON). */
export const RoutingConfig = S.Struct({
  mode: S.String.pipe(
    S.filter((v): v is (typeof routingModes)[number] => (routingModes as ReadonlyArray<string>).includes(v), {
      message: () => `expected one of ${routingModes.join(", ")}`,
    }),
  ),
  teamId: S.optional(S.String.pipe(S.minLength(1, { message: () => "pick a team" }))),
  maxOpenPerAgent: S.optional(
    S.Number.pipe(
      S.int({ message: () => "a cap is a whole number" }),
      S.between(1, MAX_OPEN_PER_AGENT_LIMIT, { message: () => `a cap is between 1 and ${MAX_OPEN_PER_AGENT_LIMIT}` }),
    ),
  ),
  /** A known contact's conversation goes to the contact's owner first, when they can take it. */
  contactOwnerFirst: S.optional(S.Boolean),
  /** Round-robin picks among those who answer in the visitor's language first, else anyone (decision 055). */
  preferVisitorLanguage: S.optional(S.Boolean),
  /**
   * With `preferVisitorLanguage`: how long (minutes from when the visitor started waiting) a
   * conversation waits in the queue for a speaker before anyone available takes it; 0 or absent:
   * no wait (decision 055, sixteenth session). Ignored while the preference is off.
   */
  languageWaitMinutes: S.optional(
    S.Number.pipe(
      S.int({ message: () => "a wait is a whole number of minutes" }),
      S.between(0, LANGUAGE_WAIT_LIMIT_MINUTES, { message: () => `a wait is between 0 and ${LANGUAGE_WAIT_LIMIT_MINUTES} minutes` }),
    ),
  ),
});
export type RoutingConfig = typeof RoutingConfig.Type;

/** How an assignment came about (the `data.via` of its event): `contact_owner` when it went to the contact's owner. */
export type AssignmentVia = "round_robin" | "target" | "queue" | "manual" | "contact_owner";

/** One change of who holds a conversation, as written and published. */
export interface Assignment {
  readonly conversationId: string;
  readonly inboxId: string;
  readonly assigneeId: string | null;
  readonly teamId: string | null;
  /** True when the conversation now waits in the queue. */
  readonly queued: boolean;
  /** The conversation's version after the change. */
  readonly version: number;
  readonly previousAssigneeId: string | null;
  readonly via: AssignmentVia;
  /** Who assigned by hand (null for automatic routing). */
  readonly byUserId: string | null;
}

export interface QueueStat {
  readonly queued: number;
  readonly oldestQueuedAt: number | null;
  /** Of those, the ones waiting for a team its hours have closed now (decision 048), per team, the soonest opening first. */
  readonly closedTeams: ReadonlyArray<ClosedTeamQueue>;
}

/** Queued conversations of one inbox waiting for one team closed by its hours. */
export interface ClosedTeamQueue {
  readonly teamId: string;
  readonly name: string;
  readonly queued: number;
  /** When the team opens (null: its hours never open), on `timezone`, its hours' clock. */
  readonly opensAt: number | null;
  readonly timezone: string;
}

export interface RoutingShape {
  /** Routes an open conversation to `target` now (replacing its assignment); Conflict unless it is open. */
  readonly routeConversation: (
    conversationId: string,
    target: RouteTarget,
  ) => Effect.Effect<{ readonly assigneeId: string | null; readonly queued: boolean }, NotFound | Conflict>;
  /** Assigns queued conversations (of one inbox, or all) in FIFO order while someone can take them. */
  readonly drainQueue: (inboxId?: string) => Effect.Effect<ReadonlyArray<Assignment>>;
  /**
   * A person's (re)assignment: `userId`/`teamId` undefined keeps, null clears. Conflict when
   * `expectedVersion` is not the conversation's version (unless it already is as asked).
   */
  readonly assign: (
    conversationId: string,
    change: { readonly userId?: string | null; readonly teamId?: string | null },
    byUserId: string,
    expectedVersion: number,
  ) => Effect.Effect<Assignment, NotFound | Forbidden | InvalidInput | Conflict>;
  /**
   * After a team's hours changed: drains the queues (they may open the team), then tells the
   * inbox pages of the conversations still queued for it, whose "closed" tag and queue line may
   * have changed with nobody assigned — one agents-only `conversation` event (`change:
   * "team_hours"`, `teamId`) per inbox, on its oldest such conversation, not one per conversation.
   */
  readonly teamHoursChanged: (teamId: string) => Effect.Effect<ReadonlyArray<Assignment>>;
  /**
   * After the workspace's own calendar changed (Reports page, /api/v1/settings): as
   * `teamHoursChanged`, once, for every team that reads it — the teams that follow the
   * workspace's hours for any `part`, and for "closedDates" also those with their own hours that
   * add the workspace's closed dates. The composers (the Reports route, server/rest-workspace.ts)
   * call it after the change commits: Reports does not depend on Routing.
   */
  readonly workspaceCalendarChanged: (part: "hours" | "closedDates") => Effect.Effect<ReadonlyArray<Assignment>>;
  /** Queued conversations per inbox id (inboxes with none are absent). */
  readonly queueStats: () => Effect.Effect<Readonly<Record<string, QueueStat>>>;
  /**
   * The engine's hook: routes `conversationId` INSIDE the caller's open write (synchronous;
   * throws only on a defect). Null when nothing changed. Publish the result after the commit.
   */
  readonly routeInWrite: (prepare: Prepare, conversationId: string, target: RouteTarget, now: number) => Assignment | null;
  /** Publishes LiveEvents "assignment" events for committed assignments (and re-arms the openings' timer after a queueing). */
  readonly publish: (assignments: ReadonlyArray<Assignment>) => Effect.Effect<void>;
  /**
   * Starts draining the queue at closed teams' openings: one timer at the earliest opening among
   * teams with queued conversations, and a re-check every `recheckMs`. Returns its stop.
   */
  readonly start: (recheckMs?: number) => () => void;
  /** Stops the timer and the re-check (the layer's finalizer does it at shutdown). */
  readonly stop: () => void;
  /** When the openings' timer is armed for (epoch ms), or null when none is. */
  readonly nextOpeningAt: () => number | null;
}

export class Routing extends Context.Tag("Routing")<Routing, RoutingShape>() {}

/** A cached prepared statement by SQL text (`Database.prepare`). */
export type Prepare = (sql: string) => Statement;

// ---------------------------------------------------------------------------------------------
// Reads shared with Workspace (synchronous; safe inside or outside a write)

/** The roles that work in inboxes. */
export const INBOX_ROLES: ReadonlyArray<string> = ["admin", "agent"];

/** True when the user exists, is enabled and may open the inbox (admins: every inbox; agents: their inboxes). */
export const userCanAccessInbox = (prepare: Prepare, userId: string, inboxId: string): boolean =>
  prepare(
    `SELECT 1 FROM users u JOIN inboxes i ON i.id = ?
     WHERE u.id = ? AND u.disabled_at IS NULL
       AND (u.role = 'admin' OR (u.role = 'agent' AND EXISTS (SELECT 1 FROM inbox_members m WHERE m.inbox_id = i.id AND m.user_id = u.id)))`,
  ).get(inboxId, userId) !== undefined;

/** Why a handoff to the contact's owner went to the inbox's routing instead. */
export type ContactOwnerFallback = "unknown_visitor" | "no_owner" | "owner_disabled" | "owner_not_member" | "owner_away" | "owner_at_capacity";

/** Where a handoff to the contact's owner goes: to the owner, or to routing and why. */
export type ContactOwnerRoute =
  | { readonly to: "owner"; readonly ownerId: string }
  | { readonly to: "routing"; readonly ownerId: string | null; readonly reason: ContactOwnerFallback };

/**
 * Whether the owner of contact `contactId` can take a conversation of `inboxId` now: enabled,
 * may open the inbox, available, and below the inbox's cap of open conversations — the same
 * "available" as round-robin's. Reads only; call it inside the write that routes.
 */
export const contactOwnerRoute = (prepare: Prepare, contactId: string | null, inboxId: string): ContactOwnerRoute => {
  if (contactId === null) return { to: "routing", ownerId: null, reason: "unknown_visitor" };
  const row = prepare(
    `SELECT c.owner_id, u.disabled_at, u.availability FROM contacts c LEFT JOIN users u ON u.id = c.owner_id WHERE c.id = ?`,
  ).get(contactId) as { owner_id: string | null; disabled_at: number | null; availability: string | null } | undefined;
  if (!row) return { to: "routing", ownerId: null, reason: "unknown_visitor" };
  const ownerId = row.owner_id;
  if (ownerId === null) return { to: "routing", ownerId, reason: "no_owner" };
  if (row.disabled_at !== null) return { to: "routing", ownerId, reason: "owner_disabled" };
  if (!userCanAccessInbox(prepare, ownerId, inboxId)) return { to: "routing", ownerId, reason: "owner_not_member" };
  if (row.availability !== "available") return { to: "routing", ownerId, reason: "owner_away" };
  const cap = readRoutingConfig(prepare, inboxId).maxOpenPerAgent;
  if (cap !== undefined && (prepare("SELECT COUNT(*) AS n FROM conversations WHERE assignee_id = ? AND status = 'open'").get(ownerId) as { n: number }).n >= cap) {
    return { to: "routing", ownerId, reason: "owner_at_capacity" };
  }
  return { to: "owner", ownerId };
};

const DEFAULT_ROUTING: RoutingConfig = { mode: "manual" };
const decodeRouting = S.decodeUnknownOption(S.parseJson(RoutingConfig));

/** An inbox's routing settings; a stored value that does not decode counts as manual. */
export const readRoutingConfig = (prepare: Prepare, inboxId: string): RoutingConfig => {
  const row = prepare("SELECT routing FROM inboxes WHERE id = ?").get(inboxId) as { routing: string } | undefined;
  return row ? Option.getOrElse(decodeRouting(row.routing), () => DEFAULT_ROUTING) : DEFAULT_ROUTING;
};

// ---------------------------------------------------------------------------------------------
// The routing decision and its write (synchronous, inside a write)

interface ConversationLite {
  readonly id: string;
  readonly inbox_id: string;
  readonly channel_id: string;
  readonly chatflow_id: string | null;
  readonly chatflow_version_id: string | null;
  readonly is_preview: number;
  readonly status: string;
  readonly assignee_id: string | null;
  readonly team_id: string | null;
  readonly version: number;
  readonly waiting_since: number | null;
  readonly queued_at: number | null;
}

const CONVERSATION_LITE =
  "id, inbox_id, channel_id, chatflow_id, chatflow_version_id, is_preview, status, assignee_id, team_id, version, waiting_since, queued_at";

const readLite = (prepare: Prepare, id: string): ConversationLite | undefined =>
  prepare(`SELECT ${CONVERSATION_LITE} FROM conversations WHERE id = ?`).get(id) as ConversationLite | undefined;

/** Who the pool picked, and — when the inbox prefers the visitor's language — that language and whether they answer in it. */
interface PoolPick {
  readonly id: string;
  /** The visitor's primary language tag (null: none known), when the preference was on. */
  readonly language?: { readonly language: string | null; readonly matched: boolean };
  /** With a language wait: whether anyone of the pool (available or not) lists the visitor's language. */
  readonly speakerExists?: boolean;
}

/** The members of `pool` (`team:ID` or `inbox:ID`), as a subquery on the `@poolId` parameter. */
const poolMembers = (pool: string) =>
  pool.startsWith("team:") ? "SELECT user_id FROM team_members WHERE team_id = @poolId" : "SELECT user_id FROM inbox_members WHERE inbox_id = @poolId";

/**
 * Whether a member of the pool who may work in inbox `@inboxId` (enabled; admin, or an agent
 * member) lists `language` (SQL, a primary tag) — available or not, at the cap or not: someone a
 * language wait can wait for. Matched on the JSON text as the pick matches (decision 055).
 */
const speakerInPool = (members: string, language: string) =>
  `EXISTS (SELECT 1 FROM (${members}) sm JOIN users su ON su.id = sm.user_id
     WHERE su.disabled_at IS NULL
       AND (su.role = 'admin' OR (su.role = 'agent' AND EXISTS (SELECT 1 FROM inbox_members sim WHERE sim.inbox_id = @inboxId AND sim.user_id = su.id)))
       AND COALESCE(instr(su.languages, '"' || ${language} || '"'), 0) > 0)`;

/**
 * The next of a pool's members who can take conversation `row` now. With `preferLanguage`, those
 * who list the visitor's language (by its primary subtag: a `de-AT` visitor, a `de` agent) come
 * first, in the pool's turn order, and everyone else after them — the fallback, in the same
 * statement: the visitor's language and each candidate's are read there, not on their own. With
 * `languageWait` the same statement also says whether anyone of the pool speaks it at all.
 */
const nextInPool = (
  prepare: Prepare,
  pool: string,
  row: ConversationLite,
  cap: number | undefined,
  preferLanguage: boolean,
  languageWait = false,
): PoolPick | undefined => {
  const members = poolMembers(pool);
  const eligible = `FROM (${members}) m
       JOIN users u ON u.id = m.user_id
       LEFT JOIN routing_turns t ON t.pool = @pool AND t.user_id = u.id`;
  const where = `WHERE u.disabled_at IS NULL AND u.availability = 'available'
       AND (u.role = 'admin' OR (u.role = 'agent' AND EXISTS (SELECT 1 FROM inbox_members im WHERE im.inbox_id = @inboxId AND im.user_id = u.id)))
       AND (@cap IS NULL OR (SELECT COUNT(*) FROM conversations c WHERE c.assignee_id = u.id AND c.status = 'open') < @cap)`;
  const turnOrder = "t.turn IS NOT NULL, t.turn, u.name COLLATE NOCASE, u.id";
  const params = { pool, poolId: pool.slice(pool.indexOf(":") + 1), inboxId: row.inbox_id, cap: cap ?? null };
  if (!preferLanguage) {
    const picked = prepare(`SELECT u.id ${eligible} ${where} ORDER BY ${turnOrder} LIMIT 1`).get(params) as { id: string } | undefined;
    return picked === undefined ? undefined : { id: picked.id };
  }
  // users.languages is a JSON array of primary tags (["de","en"]): a quoted tag in its text is an
  // exact match, and a value a script spoiled matches nothing instead of failing the handoff.
  // Without a wait the statement is decision 055's, word for word; with one, a second CTE row
  // (read once, not per candidate) says whether a speaker exists to wait for.
  const picked = prepare(
    `WITH l(language) AS (
       SELECT lower(substr(v.language, 1, instr(v.language || '-', '-') - 1))
       FROM conversations c JOIN visitors v ON v.id = c.visitor_id WHERE c.id = @conversationId AND v.language <> '')${
         languageWait ? `,
     s(speaker) AS (SELECT ${speakerInPool(members, "l.language")} FROM l)` : ""
       }
     SELECT u.id, l.language, (l.language IS NOT NULL AND COALESCE(instr(u.languages, '"' || l.language || '"'), 0) > 0) AS speaks${
       languageWait ? ", s.speaker" : ""
     }
     ${eligible} LEFT JOIN l ON 1${languageWait ? " LEFT JOIN s ON 1" : ""}
     ${where}
     ORDER BY speaks DESC, ${turnOrder} LIMIT 1`,
  ).get({ ...params, conversationId: row.id }) as { id: string; language: string | null; speaks: number; speaker?: number | null } | undefined;
  if (picked === undefined) return undefined;
  return {
    id: picked.id,
    language: { language: picked.language, matched: picked.speaks === 1 },
    ...(languageWait ? { speakerExists: picked.speaker === 1 } : {}),
  };
};

const takeTurn = (prepare: Prepare, pool: string, userId: string) =>
  prepare(
    `INSERT INTO routing_turns (pool, user_id, turn)
     VALUES (@pool, @userId, (SELECT COALESCE(MAX(turn), 0) + 1 FROM routing_turns WHERE pool = @pool))
     ON CONFLICT (pool, user_id) DO UPDATE SET turn = excluded.turn`,
  ).run({ pool, userId });

const insertEvent = (
  prepare: Prepare,
  type: string,
  row: ConversationLite,
  now: number,
  fields: { readonly userId: string | null; readonly teamId: string | null; readonly data: unknown },
) =>
  prepare(
    `INSERT INTO events (type, at, conversation_id, chatflow_id, chatflow_version_id, user_id, inbox_id, channel_id, team_id, is_preview, data)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    type,
    now,
    row.id,
    row.chatflow_id,
    row.chatflow_version_id,
    fields.userId,
    row.inbox_id,
    row.channel_id,
    fields.teamId,
    row.is_preview,
    JSON.stringify(fields.data),
  );

interface Decision {
  readonly assigneeId: string | null;
  readonly teamId: string | null;
  readonly queued: boolean;
  readonly via: AssignmentVia;
  /** The pool whose turn advances when `assigneeId` was picked from it. */
  readonly pool: string | null;
  /** Set when the conversation waits because its team is closed by its hours: when it opens (null: never). */
  readonly teamClosed?: TeamClosed;
  /** Set when the inbox prefers the visitor's language and the pool picked someone: the language and whether they answer in it. */
  readonly language?: PoolPick["language"];
  /**
   * Set when the inbox waits for a speaker and someone of the pool speaks the visitor's language:
   * the wait's end and whether it had run out. Queued with it: held for a speaker.
   */
  readonly languageWait?: LanguageWait;
}

/** A conversation's wait for an agent who speaks its visitor's language (primary tag). */
export interface LanguageWait {
  readonly language: string;
  /** When the wait runs out (epoch ms): from when the visitor started waiting, plus the inbox's minutes. */
  readonly until: number;
  readonly expired: boolean;
}

/** The inbox's wait for a speaker in minutes (0: none, as while the preference is off). Pure. */
export const languageWaitMinutesOf = (config: RoutingConfig): number =>
  config.preferVisitorLanguage === true ? (config.languageWaitMinutes ?? 0) : 0;

/** When the visitor of `row` started waiting, as the queue counts it (its FIFO key). Pure. */
const waitStart = (row: { readonly queued_at: number | null; readonly waiting_since: number | null }, now: number): number =>
  row.queued_at ?? row.waiting_since ?? now;

const userExists = (prepare: Prepare, userId: string) => prepare("SELECT 1 FROM users WHERE id = ?").get(userId) !== undefined;
const teamExists = (prepare: Prepare, teamId: string) => prepare("SELECT 1 FROM teams WHERE id = ?").get(teamId) !== undefined;
/** The team's hours, in the read that says it exists (undefined: no such team). */
const storedTeam = (prepare: Prepare, teamId: string): TeamHours | undefined => {
  const row = prepare("SELECT hours FROM teams WHERE id = ?").get(teamId) as { hours: string | null } | undefined;
  return row === undefined ? undefined : decodeTeamHours(row.hours);
};

/** Who should hold `row` for `target` at `now`. Reads only. */
const decide = (prepare: Prepare, row: ConversationLite, target: RouteTarget, via: AssignmentVia, now: number): Decision => {
  const config = readRoutingConfig(prepare, row.inbox_id);
  if (target.type === "user" && userCanAccessInbox(prepare, target.userId, row.inbox_id)) {
    return { assigneeId: target.userId, teamId: row.team_id, queued: false, via: "target", pool: null };
  }
  if (target.type === "contact_owner" || (config.contactOwnerFirst === true && (target.type === "routing" || target.type === "user"))) {
    const contact = prepare("SELECT contact_id FROM conversations WHERE id = ?").get(row.id) as { contact_id: string | null } | undefined;
    const route = contactOwnerRoute(prepare, contact?.contact_id ?? null, row.inbox_id);
    if (route.to === "owner") return { assigneeId: route.ownerId, teamId: row.team_id, queued: false, via: "contact_owner", pool: null };
    if (target.type === "contact_owner") return decide(prepare, row, { type: "routing" }, via, now);
  }
  let teamId: string | null;
  let team: TeamHours | undefined;
  if (target.type === "team" && (team = storedTeam(prepare, target.teamId)) !== undefined) teamId = target.teamId;
  else if (target.type === "routing" || target.type === "user") {
    // A user who cannot work here (gone, disabled, not a member) falls back to the inbox's routing.
    if (config.mode === "manual") return { assigneeId: null, teamId: null, queued: false, via, pool: null };
    team = config.teamId === undefined ? undefined : storedTeam(prepare, config.teamId);
    teamId = team !== undefined ? config.teamId! : null;
  } else {
    // An unknown team: the inbox's routing, so the conversation is not left to a team nobody is in.
    return decide(prepare, row, { type: "routing" }, via, now);
  }
  if (teamId !== null && team !== undefined) {
    // A closed team's pool takes nobody: the conversation waits for the team's opening.
    const teamClosed = closedByHours(prepare, team, now);
    if (teamClosed !== null) return { assigneeId: null, teamId, queued: true, via, pool: null, teamClosed };
  }
  const pool = teamId !== null ? `team:${teamId}` : `inbox:${row.inbox_id}`;
  const waitMinutes = languageWaitMinutesOf(config);
  const pick = nextInPool(prepare, pool, row, config.maxOpenPerAgent, config.preferVisitorLanguage === true, waitMinutes > 0);
  if (pick === undefined) return { assigneeId: null, teamId, queued: true, via, pool: null };
  const language = pick.language === undefined ? {} : { language: pick.language };
  // Nothing to wait for without a known language or a speaker in the pool: the fallback is immediate, as without a wait.
  if (pick.speakerExists !== true || pick.language?.language == null) return { assigneeId: pick.id, teamId, queued: false, via, pool, ...language };
  const until = waitStart(row, now) + waitMinutes * 60_000;
  const languageWait: LanguageWait = { language: pick.language.language, until, expired: now >= until };
  // Only a non-speaker is free and the wait has not run out: the conversation waits for a speaker.
  if (!pick.language.matched && !languageWait.expired) return { assigneeId: null, teamId, queued: true, via, pool: null, languageWait };
  return { assigneeId: pick.id, teamId, queued: false, via, pool, ...language, languageWait };
};

/** An assignment in words, for the thread's line when a rule made it: "Assigned to Sam", "Queued for team Billing". Reads names only. */
const assignmentWords = (prepare: Prepare, decision: Decision): string => {
  const person = decision.assigneeId === null ? undefined : (prepare("SELECT COALESCE(display_name, name) AS name FROM users WHERE id = ?").get(decision.assigneeId) as { name: string } | undefined);
  const team = decision.teamId === null ? undefined : (prepare("SELECT name FROM teams WHERE id = ?").get(decision.teamId) as { name: string } | undefined);
  if (person !== undefined) return `Assigned to ${person.name}`;
  if (team !== undefined) return decision.queued ? `Queued for team ${team.name}` : `Assigned to team ${team.name}`;
  return decision.queued ? "Queued" : "Unassigned";
};

/** Writes a decision for `row` (version bump, queue column, round-robin turn, event); null when nothing changes. */
const apply = (
  prepare: Prepare,
  row: ConversationLite,
  decision: Decision,
  now: number,
  byUserId: string | null,
  rule: ActingRule | null = null,
): Assignment | null => {
  const wasQueued = row.queued_at !== null;
  if (row.assignee_id === decision.assigneeId && row.team_id === decision.teamId && wasQueued === decision.queued) return null;
  const queuedAt = decision.queued ? waitStart(row, now) : null;
  prepare(
    `UPDATE conversations SET assignee_id = ?, team_id = ?, queued_at = ?, version = version + 1, updated_at = ?,
       unassigned_since = ${unassignedSinceAfter("status", "?", "?")}
     WHERE id = ? AND version = ?`,
  ).run(decision.assigneeId, decision.teamId, queuedAt, now, decision.assigneeId, now, row.id, row.version);
  if (decision.pool !== null && decision.assigneeId !== null) takeTurn(prepare, decision.pool, decision.assigneeId);
  const closed = decision.teamClosed === undefined ? {} : { reason: "team_closed", opensAt: decision.teamClosed.opensAt };
  const language = decision.language === undefined ? {} : { language: decision.language.language, languageMatched: decision.language.matched };
  const wait = decision.languageWait;
  const waited =
    wait === undefined
      ? {}
      : decision.queued
        ? { reason: "language_wait", language: wait.language, waitUntil: wait.until }
        : { languageWaitExpired: wait.expired };
  const data = withRule({ via: decision.via, by: byUserId, from: { assigneeId: row.assignee_id, teamId: row.team_id }, ...closed, ...language, ...waited }, rule);
  if (decision.assigneeId !== null || (decision.teamId !== null && !decision.queued)) {
    insertEvent(prepare, "assigned", row, now, { userId: decision.assigneeId, teamId: decision.teamId, data });
  } else if (decision.queued) {
    if (!wasQueued) insertEvent(prepare, "queued", row, now, { userId: null, teamId: decision.teamId, data });
  } else if (row.assignee_id !== null || row.team_id !== null) {
    insertEvent(prepare, "unassigned", row, now, { userId: null, teamId: null, data });
  }
  // Nobody on the team saw a rule do it: the thread says which rule (decision 044).
  if (rule !== null) ruleLineInWrite(prepare, row.id, ruleLine(assignmentWords(prepare, decision), rule), rule, now);
  return {
    conversationId: row.id,
    inboxId: row.inbox_id,
    assigneeId: decision.assigneeId,
    teamId: decision.teamId,
    queued: decision.queued,
    version: row.version + 1,
    previousAssigneeId: row.assignee_id,
    via: decision.via,
    byUserId,
  };
};

/** Routes an open conversation inside a write; null when it is not open or nothing changes. */
const routeOpen = (prepare: Prepare, conversationId: string, target: RouteTarget, now: number): Assignment | null => {
  const row = readLite(prepare, conversationId);
  if (!row || row.status !== "open") return null;
  return apply(prepare, row, decide(prepare, row, target, target.type === "user" ? "target" : "round_robin", now), now, null);
};

const QUEUE_BATCH = 200;

/** The teams conversations are queued for, each with when it next opens at `now` (`now`: open or keeps no hours; null: never). Reads only. */
const queuedTeamsOpening = (prepare: Prepare, now: number): Array<{ readonly teamId: string; readonly opensAt: number | null }> =>
  (prepare("SELECT DISTINCT team_id FROM conversations WHERE queued_at IS NOT NULL AND team_id IS NOT NULL").all() as Array<{ team_id: string }>).map(
    (r) => ({ teamId: r.team_id, opensAt: teamOpensAt(prepare, r.team_id, now) }),
  );

/** The earliest opening after `now` among closed teams with queued conversations, or null. Reads only. */
export const nextQueuedTeamOpening = (prepare: Prepare, now: number): number | null => {
  let next: number | null = null;
  for (const { opensAt } of queuedTeamsOpening(prepare, now)) if (opensAt !== null && opensAt > now && (next === null || opensAt < next)) next = opensAt;
  return next;
};

/**
 * The earliest moment after `now` a queued conversation's wait for a speaker runs out, or null:
 * per inbox that waits (its queue read by its index), its oldest conversation still inside the
 * wait. It may be one with no speaker to wait for, or nobody free at all: the drain then finds
 * nothing to do and the timer moves on. Reads only.
 */
export const nextLanguageWaitEnd = (prepare: Prepare, now: number): number | null => {
  const inboxes = prepare(
    "SELECT i.id, i.routing FROM inboxes i WHERE EXISTS (SELECT 1 FROM conversations c WHERE c.inbox_id = i.id AND c.queued_at IS NOT NULL)",
  ).all() as Array<{ id: string; routing: string }>;
  let next: number | null = null;
  for (const inbox of inboxes) {
    const waitMs = languageWaitMinutesOf(Option.getOrElse(decodeRouting(inbox.routing), () => DEFAULT_ROUTING)) * 60_000;
    if (waitMs === 0) continue;
    const oldest = prepare("SELECT MIN(queued_at) AS at FROM conversations WHERE inbox_id = ? AND queued_at > ?").get(inbox.id, now - waitMs) as { at: number | null };
    if (oldest.at !== null && (next === null || oldest.at + waitMs < next)) next = oldest.at + waitMs;
  }
  return next;
};

/** What a queued conversation shown in the inbox waits for: an agent who speaks `language` (primary tag), until `until`. */
export interface LanguageWaitShown {
  readonly language: string;
  readonly until: number;
}

/**
 * Which of these conversations (a page of the inbox) are held for a speaker at `now`: queued, in
 * an inbox that waits, with a visitor language someone of their pool speaks, before their wait
 * runs out — the rule `decide` holds them by. `changesAt`: the earliest such end (the page
 * re-reads then). One read of each inbox's settings and one per pool and language. Reads only.
 */
export const languageWaitsAt = (
  prepare: Prepare,
  rows: ReadonlyArray<{
    readonly id: string;
    readonly inboxId: string;
    readonly teamId: string | null;
    readonly queuedAt: number | null;
    readonly visitorLanguage: string | null;
  }>,
  now: number,
): { readonly waits: Readonly<Record<string, LanguageWaitShown>>; readonly changesAt: number | null } => {
  const waits: Record<string, LanguageWaitShown> = {};
  let changesAt: number | null = null;
  const minutesOf = new Map<string, number>();
  const spoken = new Map<string, boolean>();
  for (const row of rows) {
    const language = row.visitorLanguage === null ? null : primaryLanguage(row.visitorLanguage);
    if (row.queuedAt === null || language === null) continue;
    let minutes = minutesOf.get(row.inboxId);
    if (minutes === undefined) minutesOf.set(row.inboxId, (minutes = languageWaitMinutesOf(readRoutingConfig(prepare, row.inboxId))));
    const until = row.queuedAt + minutes * 60_000;
    if (minutes === 0 || until <= now) continue;
    const pool = row.teamId !== null ? `team:${row.teamId}` : `inbox:${row.inboxId}`;
    const key = `${pool}/${row.inboxId}/${language}`;
    let speaker = spoken.get(key);
    if (speaker === undefined) {
      const params = { poolId: pool.slice(pool.indexOf(":") + 1), inboxId: row.inboxId, language };
      speaker = (prepare(`SELECT ${speakerInPool(poolMembers(pool), "@language")} AS yes`).get(params) as { yes: number }).yes === 1;
      spoken.set(key, speaker);
    }
    if (!speaker) continue;
    waits[row.id] = { language, until };
    if (changesAt === null || until < changesAt) changesAt = until;
  }
  return { waits, changesAt };
};

/** The earlier of two moments, either maybe absent (null). Pure. */
export const earliest = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));

/** Where a drain has read up to in the queue's order (`queued_at`, `id`). */
interface QueueCursor {
  readonly queuedAt: number;
  readonly id: string;
}

interface DrainedBatch {
  readonly assignments: Assignment[];
  /** Where the next batch starts; null: the drain is done. */
  readonly next: QueueCursor | null;
}

/**
 * One batch of the queue in FIFO order after `after`; closed teams' conversations are left out,
 * and pools found full are skipped for the rest of the batch. A conversation held for a speaker
 * (its language wait) does not fill its pool: who is free takes the next one it may take.
 */
const drainBatch = (prepare: Prepare, inboxId: string | null, now: number, after: QueueCursor | null): DrainedBatch => {
  // Left out of the query, not skipped after it: a closed team's long queue must not fill every batch.
  const closedTeams = queuedTeamsOpening(prepare, now)
    .filter((t) => t.opensAt !== now)
    .map((t) => t.teamId);
  const rows = prepare(
    `SELECT ${CONVERSATION_LITE} FROM conversations
     WHERE queued_at IS NOT NULL AND (@inboxId IS NULL OR inbox_id = @inboxId)
       AND (team_id IS NULL OR team_id NOT IN (SELECT value FROM json_each(@closed)))
       AND (@afterAt IS NULL OR queued_at > @afterAt OR (queued_at = @afterAt AND id > @afterId))
     ORDER BY queued_at, id LIMIT ${QUEUE_BATCH}`,
  ).all({ inboxId, closed: JSON.stringify(closedTeams), afterAt: after?.queuedAt ?? null, afterId: after?.id ?? null }) as ConversationLite[];
  const full = new Set<string>();
  const assignments: Assignment[] = [];
  let held = 0;
  for (const row of rows) {
    const key = `${row.inbox_id}/${row.team_id ?? ""}`;
    if (full.has(key)) continue;
    const target: RouteTarget = row.team_id !== null ? { type: "team", teamId: row.team_id } : { type: "routing" };
    const decision = decide(prepare, row, target, "queue", now);
    if (decision.queued) {
      if (decision.languageWait !== undefined) held++;
      // Still nobody: later conversations of the same pool wait behind this one (FIFO).
      else full.add(key);
      continue;
    }
    const assignment = apply(prepare, row, decision, now, null);
    if (assignment) assignments.push(assignment);
  }
  // Another batch only when this one was full and moved something (or held some, which someone free may pass).
  const last = rows[rows.length - 1];
  const more = rows.length === QUEUE_BATCH && (assignments.length > 0 || held > 0) && last !== undefined;
  return { assignments, next: more ? { queuedAt: last.queued_at!, id: last.id } : null };
};

// ---------------------------------------------------------------------------------------------
// The service

class StaleVersion extends Data.TaggedError("StaleVersion")<{ readonly current: number }> {}
class NotOpen extends Data.TaggedError("NotOpen")<{ readonly status: string }> {}

const invalid = (path: string, message: string) => new InvalidInput({ issues: [{ path, message }] });

/** How often a started Routing re-checks closed teams' queues (hours changed by another writer: the workspace's calendar, a script). */
export const ROUTING_RECHECK_MS = 5 * 60_000;

/**
 * The Routing service over a database and a LiveEvents hub (exported for tests and tools).
 * `now` is the wall clock (clock.ts) unless a test gives its own.
 */
export const makeRouting = (deps: { readonly db: DatabaseShape; readonly live: LiveEventsShape; readonly now?: () => number }): RoutingShape => {
  const { db, live } = deps;
  const prepare: Prepare = db.prepare;
  const clock = deps.now ?? wallClock.now;

  const publish: RoutingShape["publish"] = (assignments) =>
    Effect.forEach(
      assignments,
      (a) =>
        live.publish({
          conversationId: a.conversationId,
          inboxId: a.inboxId,
          kind: "assignment",
          data: { assigneeId: a.assigneeId, teamId: a.teamId, queued: a.queued, version: a.version, via: a.via, by: a.byUserId },
        }),
      { discard: true },
    ).pipe(
      // A queued conversation may be waiting for its team's opening or for a speaker: the timer points at the earliest.
      Effect.tap(() => (assignments.some((a) => a.queued) ? Effect.sync(openings.arm) : Effect.void)),
    );

  const drainQueue: RoutingShape["drainQueue"] = Effect.fn("Routing.drainQueue")(function* (inboxId?: string) {
    const all: Assignment[] = [];
    let after: QueueCursor | null = null;
    for (;;) {
      const from = after;
      const batch: DrainedBatch = yield* Effect.orDie(db.writeEffect(() => drainBatch(prepare, inboxId ?? null, clock(), from)));
      yield* publish(batch.assignments);
      all.push(...batch.assignments);
      if (batch.next === null) break;
      after = batch.next;
    }
    openings.arm();
    return all;
  });

  /** Tells the inbox pages of the conversations still queued for `teamId`: one event per inbox, on its oldest. */
  const tellTeamQueue = (teamId: string) =>
    Effect.forEach(
      prepare("SELECT inbox_id, MIN(id) AS conversation_id FROM conversations WHERE queued_at IS NOT NULL AND team_id = ? GROUP BY inbox_id").all(teamId) as Array<{
        inbox_id: string;
        conversation_id: string;
      }>,
      (carrier) =>
        live.publish({ conversationId: carrier.conversation_id, inboxId: carrier.inbox_id, kind: "conversation", internal: true, data: { change: "team_hours", teamId } }),
      { discard: true },
    );

  const teamHoursChanged: RoutingShape["teamHoursChanged"] = Effect.fn("Routing.teamHoursChanged")(function* (teamId: string) {
    const assigned = yield* drainQueue();
    yield* tellTeamQueue(teamId);
    return assigned;
  });

  const workspaceCalendarChanged: RoutingShape["workspaceCalendarChanged"] = Effect.fn("Routing.workspaceCalendarChanged")(function* (part) {
    const assigned = yield* drainQueue();
    const teams = prepare("SELECT id, hours FROM teams WHERE hours IS NOT NULL ORDER BY id").all() as Array<{ id: string; hours: string }>;
    for (const team of teams) {
      const hours = decodeTeamHours(team.hours);
      const follows = hours.source === "workspace" || (part === "closedDates" && hours.source === "own" && hours.workspaceClosedDates);
      if (follows) yield* tellTeamQueue(team.id);
    }
    return assigned;
  });

  const hasAnyQueue = () => prepare("SELECT 1 FROM conversations WHERE queued_at IS NOT NULL LIMIT 1").get() !== undefined;
  // One drain at a time, woken by one timer at the earliest opening among closed teams with queued
  // conversations (armed only once started), and every ROUTING_RECHECK_MS while anything is queued.
  const openings = makeTimedPassLoop(
    "Routing openings",
    () => db.sqlite.open,
    () => (hasAnyQueue() ? drainQueue() : Effect.sync(() => openings.arm())),
    (now) => earliest(nextQueuedTeamOpening(prepare, now), nextLanguageWaitEnd(prepare, now)),
    clock,
  );

  const hasQueue = (inboxId: string) =>
    prepare("SELECT 1 FROM conversations WHERE inbox_id = ? AND queued_at IS NOT NULL LIMIT 1").get(inboxId) !== undefined;

  const routeConversation: RoutingShape["routeConversation"] = Effect.fn("Routing.routeConversation")(function* (
    conversationId: string,
    target: RouteTarget,
  ) {
    const rule = yield* actingRule;
    const result = yield* db
      .writeEffect(() => {
        const row = readLite(prepare, conversationId);
        if (!row) throw new NotFound({ entity: "conversation", id: conversationId });
        if (row.status !== "open") throw new NotOpen({ status: row.status });
        const now = clock();
        const decision = decide(prepare, row, target, target.type === "user" ? "target" : "round_robin", now);
        return { assignment: apply(prepare, row, decision, now, null, rule), decision };
      })
      .pipe(
        Effect.catchTag("WriteFailed", (failed): Effect.Effect<never, NotFound | Conflict> => {
          const cause = failed.cause;
          if (cause instanceof NotFound) return Effect.fail(cause);
          if (cause instanceof NotOpen) {
            return Effect.fail(new Conflict({ message: `this conversation is ${cause.status}; only open conversations are routed` }));
          }
          return Effect.die(cause);
        }),
      );
    if (result.assignment) {
      yield* publish([result.assignment]);
      // Taking it from someone frees them, maybe for a conversation in the queue.
      if (result.assignment.previousAssigneeId !== null && hasQueue(result.assignment.inboxId)) yield* drainQueue(result.assignment.inboxId);
    }
    return { assigneeId: result.decision.assigneeId, queued: result.decision.queued };
  });

  const assign: RoutingShape["assign"] = Effect.fn("Routing.assign")(function* (conversationId, change, byUserId, expectedVersion) {
    if (typeof expectedVersion !== "number" || !Number.isInteger(expectedVersion) || expectedVersion < 1) {
      return yield* Effect.fail(invalid("expectedVersion", "the conversation's version is a whole number from 1"));
    }
    const before = readLite(prepare, conversationId);
    if (!before) return yield* Effect.fail(new NotFound({ entity: "conversation", id: conversationId }));
    // The Automation user (automation rules) is disabled so it never signs in nor takes conversations, yet acts in every inbox.
    if (byUserId !== AUTOMATION_ACTOR.id && !userCanAccessInbox(prepare, byUserId, before.inbox_id)) {
      return yield* Effect.fail(new Forbidden({ message: "You are not a member of this conversation's inbox." }));
    }
    if (change.userId !== undefined && change.userId !== null) {
      if (typeof change.userId !== "string" || !userExists(prepare, change.userId)) {
        return yield* Effect.fail(invalid("userId", "no such user"));
      }
      if (!userCanAccessInbox(prepare, change.userId, before.inbox_id)) {
        return yield* Effect.fail(invalid("userId", "this user cannot work in this conversation's inbox (not a member, not an agent, or disabled)"));
      }
    }
    if (change.teamId !== undefined && change.teamId !== null && (typeof change.teamId !== "string" || !teamExists(prepare, change.teamId))) {
      return yield* Effect.fail(invalid("teamId", "no such team"));
    }
    const rule = yield* actingRule;
    const outcome = yield* db
      .writeEffect(() => {
        const row = readLite(prepare, conversationId)!;
        const assigneeId = change.userId === undefined ? row.assignee_id : change.userId;
        const teamId = change.teamId === undefined ? row.team_id : change.teamId;
        // Asking for what already is (a double click, or two people agreeing) is no conflict.
        if (row.version !== expectedVersion && !(row.assignee_id === assigneeId && row.team_id === teamId)) {
          throw new StaleVersion({ current: row.version });
        }
        const decision: Decision = { assigneeId, teamId, queued: false, via: "manual", pool: null };
        const changed = apply(prepare, row, decision, clock(), byUserId, rule);
        if (changed) return { assignment: changed, changed: true };
        const unchanged: Assignment = {
          conversationId: row.id,
          inboxId: row.inbox_id,
          assigneeId: row.assignee_id,
          teamId: row.team_id,
          queued: row.queued_at !== null,
          version: row.version,
          previousAssigneeId: row.assignee_id,
          via: "manual",
          byUserId,
        };
        return { assignment: unchanged, changed: false };
      })
      .pipe(
        Effect.catchTag("WriteFailed", (failed) =>
          failed.cause instanceof StaleVersion
            ? Effect.fail(
                new Conflict({
                  message: "Someone else changed this conversation first. Reload it to see who holds it now.",
                  current: { version: failed.cause.current },
                }),
              )
            : Effect.die(failed.cause),
        ),
      );
    const { assignment, changed } = outcome;
    if (changed) {
      yield* publish([assignment]);
      // The previous assignee has one conversation fewer: room, maybe, for one in the queue.
      if (assignment.previousAssigneeId !== null && assignment.previousAssigneeId !== assignment.assigneeId && hasQueue(assignment.inboxId)) {
        yield* drainQueue(assignment.inboxId);
      }
    }
    return assignment;
  });

  const queueStats: RoutingShape["queueStats"] = () =>
    Effect.sync(() => {
      // Per inbox and team in one statement, with the team's hours, so a closed team costs no read of its own.
      const rows = prepare(
        `SELECT c.inbox_id, c.team_id, t.name AS team_name, t.hours AS team_hours, COUNT(*) AS queued, MIN(c.queued_at) AS oldest
         FROM conversations c LEFT JOIN teams t ON t.id = c.team_id
         WHERE c.queued_at IS NOT NULL GROUP BY c.inbox_id, c.team_id`,
      ).all() as Array<{ inbox_id: string; team_id: string | null; team_name: string | null; team_hours: string | null; queued: number; oldest: number }>;
      const now = clock();
      const closedOf = new Map<string, TeamClosed | null>();
      const stats: Record<string, { queued: number; oldestQueuedAt: number | null; closedTeams: ClosedTeamQueue[] }> = {};
      for (const r of rows) {
        const stat = (stats[r.inbox_id] ??= { queued: 0, oldestQueuedAt: null, closedTeams: [] });
        stat.queued += r.queued;
        stat.oldestQueuedAt = stat.oldestQueuedAt === null ? r.oldest : Math.min(stat.oldestQueuedAt, r.oldest);
        if (r.team_id === null || r.team_name === null || r.team_hours === null) continue;
        let closed = closedOf.get(r.team_id);
        if (closed === undefined) closedOf.set(r.team_id, (closed = closedByHours(prepare, decodeTeamHours(r.team_hours), now)));
        if (closed !== null) stat.closedTeams.push({ teamId: r.team_id, name: r.team_name, queued: r.queued, ...closed });
      }
      // The soonest opening first; hours that never open last.
      const openingKey = (t: ClosedTeamQueue) => t.opensAt ?? Number.MAX_SAFE_INTEGER;
      for (const stat of Object.values(stats)) stat.closedTeams.sort((a, b) => openingKey(a) - openingKey(b));
      return stats;
    });

  return {
    routeConversation,
    drainQueue,
    teamHoursChanged,
    workspaceCalendarChanged,
    assign,
    queueStats,
    routeInWrite: (p, conversationId, target, now) => routeOpen(p, conversationId, target, now),
    publish,
    start: (recheckMs = ROUTING_RECHECK_MS) => openings.start(recheckMs),
    stop: openings.stop,
    nextOpeningAt: openings.armedFor,
  };
};

/**
 * The Routing service; on start it drains what waited in the queue while the server was down.
 * Its openings' timer stops when the layer is released (shutdown), before the database closes.
 */
export const layer: Layer.Layer<Routing, never, Database | LiveEvents> = Layer.scoped(
  Routing,
  Effect.gen(function* () {
    const routing = makeRouting({ db: yield* Database, live: yield* LiveEvents });
    yield* Effect.addFinalizer(() => Effect.sync(routing.stop));
    yield* routing.drainQueue();
    return routing;
  }),
);
