/**
 * The report metrics as pure functions over rows of the append-only `events` log: the one
 * written definition of every figure. The SQL roll-ups of migration 5 (report_* tables kept by
 * triggers in the same transaction as each event) implement the same rules incrementally; a
 * test replays random logs through both and requires equal results.
 *
 * Definitions (see docs/reports.md for the analyst's version):
 * - A bot session starts at `flow_started`. Its outcome is decided by its first final event:
 *   `completed` → completed, unless a pause in the session — between its start, its messages
 *   and its final event, i.e. between two turns — was longer than the flow version's session
 *   timeout (then the visitor came back to a session that had already expired: abandoned); `handed_off` → handed off (a handoff node, or a person took
 *   over); `abandoned` (the session timeout sweep) → abandoned when the visitor had sent at
 *   least one message, otherwise no reply. A `flow_error` with no node entered after it →
 *   errored. Anything else is in progress.
 * - Per node (visits, so a loop counts each pass): reached = `node_entered` rows of the node;
 *   moved on = visits that left the node — by an edge (a `node_entered` from it) or by ending
 *   the flow there as completed or handed off — never more than reached; drop-off = reached −
 *   moved on, as a share of reached.
 *   Edge traffic = `node_entered` rows by (from node, port, node). Hence reached = starts +
 *   incoming traffic exactly, and drop-off is never negative.
 * - Team: a conversation is with the team from a handoff, an agent taking over, or a status
 *   change out of `bot` (or from its creation when no bot ran). First response time = first
 *   human, non-internal reply − the later of (handoff, last opening, creation); a reply that
 *   took the conversation over from a running bot has none (nobody was waiting for a person).
 *   The visitor waits from the handoff, from their message while the team holds the
 *   conversation, or from the message that opened it; reply time = each human reply − that
 *   moment; a reply, marking the conversation pending (the team waits on the visitor) or a
 *   close ends the wait, so a pending period never counts. Time to close = first close after the
 *   conversation reached the team − creation.
 * Preview conversations are never counted.
 */

/** One row of the `events` table as SQLite returns it. */
export interface EventRow {
  readonly id: number;
  readonly type: string;
  readonly at: number;
  readonly conversation_id: string | null;
  readonly chatflow_id: string | null;
  readonly chatflow_version_id: string | null;
  readonly node_id: string | null;
  readonly port: string | null;
  readonly from_node_id: string | null;
  readonly user_id: string | null;
  readonly inbox_id: string | null;
  readonly channel_id: string | null;
  readonly team_id: string | null;
  readonly is_preview: number;
  readonly data: string | null;
}

/** The session timeout a flow version had when none can be read (the spec's default). */
export const DEFAULT_SESSION_TIMEOUT_MS = 30 * 60_000;

const dataOf = (row: EventRow): Record<string, unknown> => {
  if (row.data === null) return {};
  try {
    const value: unknown = JSON.parse(row.data);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

/** Events in log order without previews or rows that name no conversation. Pure. */
const countable = (events: Iterable<EventRow>): EventRow[] =>
  [...events].filter((e) => e.is_preview === 0 && e.conversation_id !== null).sort((a, b) => a.id - b.id);

// ---------------------------------------------------------------------------------------------
// Bot sessions

export const BOT_OUTCOMES = ["completed", "handed_off", "abandoned", "no_reply", "errored", "in_progress"] as const;
export type BotOutcome = (typeof BOT_OUTCOMES)[number];

export interface BotSession {
  readonly conversationId: string;
  readonly chatflowId: string | null;
  readonly chatflowVersionId: string | null;
  readonly inboxId: string | null;
  readonly channelId: string | null;
  readonly startedAt: number;
  readonly timeoutMs: number;
  /** The last turn's time (start, message or final event). */
  lastAt: number;
  /** The longest pause between two turns so far. */
  maxGapMs: number;
  interacted: boolean;
  outcome: BotOutcome;
  outcomeAt: number | null;
  outcomeNodeId: string | null;
}

const isActive = (outcome: BotOutcome) => outcome === "in_progress" || outcome === "errored";
/** The events that begin or end a turn of a session (every bot turn starts with a message, the timeout's with `abandoned`). */
const PAUSE_ENDS: ReadonlySet<string> = new Set(["message_created", "completed", "handed_off", "abandoned"]);
/** Team-side events: they carry the conversation's current inbox. */
const TEAM_TYPES: ReadonlySet<string> = new Set(["handoff", "agent_took_over", "status_changed", "assigned", "unassigned"]);

/**
 * Every bot session in the log, by conversation id, with its outcome (module doc).
 * `timeoutMs` gives a flow version's session timeout. `sessions`, when given, holds the
 * sessions as they stood before `events` (the rest of the log goes on from them; its entries
 * are updated in place and it is returned). Pure apart from that.
 */
export const botSessions = (
  events: Iterable<EventRow>,
  timeoutMs: (chatflowVersionId: string | null) => number,
  sessions: Map<string, BotSession> = new Map(),
): Map<string, BotSession> => {
  for (const e of countable(events)) {
    const id = e.conversation_id!;
    if (e.type === "flow_started") {
      if (!sessions.has(id)) {
        sessions.set(id, {
          conversationId: id,
          chatflowId: e.chatflow_id,
          chatflowVersionId: e.chatflow_version_id,
          inboxId: e.inbox_id,
          channelId: e.channel_id,
          startedAt: e.at,
          timeoutMs: timeoutMs(e.chatflow_version_id),
          lastAt: e.at,
          maxGapMs: 0,
          interacted: false,
          outcome: "in_progress",
          outcomeAt: null,
          outcomeNodeId: null,
        });
      }
      continue;
    }
    const s = sessions.get(id);
    if (!s || !isActive(s.outcome)) continue;
    if (PAUSE_ENDS.has(e.type)) {
      s.maxGapMs = Math.max(s.maxGapMs, e.at - s.lastAt);
      s.lastAt = e.at;
    }
    const end = (outcome: BotOutcome) => {
      s.outcome = outcome;
      s.outcomeAt = e.at;
      s.outcomeNodeId = e.node_id;
    };
    switch (e.type) {
      case "message_created":
        if (dataOf(e).author === "visitor") s.interacted = true;
        break;
      case "completed":
        end(s.maxGapMs <= s.timeoutMs ? "completed" : s.interacted ? "abandoned" : "no_reply");
        break;
      case "handed_off":
        end("handed_off");
        break;
      case "abandoned":
        end(s.interacted ? "abandoned" : "no_reply");
        break;
      case "flow_error":
        if (s.outcome === "in_progress") end("errored");
        break;
      case "node_entered":
        if (s.outcome === "errored") {
          s.outcome = "in_progress";
          s.outcomeAt = null;
          s.outcomeNodeId = null;
        }
    }
  }
  return sessions;
};

/** Outcome counts of some sessions. */
export type OutcomeCounts = { started: number } & Record<BotOutcome, number>;

/** An empty tally. Pure. */
export const emptyOutcomes = (): OutcomeCounts => ({
  started: 0,
  completed: 0,
  handed_off: 0,
  abandoned: 0,
  no_reply: 0,
  errored: 0,
  in_progress: 0,
});

/** Counts sessions by outcome (started = all of them). Pure. */
export const countOutcomes = (sessions: Iterable<Pick<BotSession, "outcome">>): OutcomeCounts => {
  const counts = emptyOutcomes();
  for (const s of sessions) {
    counts.started++;
    counts[s.outcome]++;
  }
  return counts;
};

/** `part ÷ whole`, 0 when there is no whole. Pure. */
export const rate = (part: number, whole: number): number => (whole > 0 ? part / whole : 0);

// ---------------------------------------------------------------------------------------------
// Nodes and edges

/** Per node, what the node report adds up (the SQL returns the same rows). */
export interface NodeTally {
  readonly nodeId: string;
  /** Visits (`node_entered` rows). */
  readonly reached: number;
  /** Visits that left the node by an edge or ended the flow there as completed / handed off, never more than `reached`. */
  readonly movedOn: number;
  readonly answered: number;
  readonly invalid: number;
  readonly skipped: number;
}

export interface EdgeTally {
  readonly from: string;
  readonly port: string;
  readonly to: string;
  readonly count: number;
}

export interface NodeTallies {
  readonly nodes: ReadonlyArray<NodeTally>;
  readonly edges: ReadonlyArray<EdgeTally>;
  /** Start entries (`node_entered` without a from node), by node. */
  readonly starts: Readonly<Record<string, number>>;
}

/** Raw per-node sums before moved-on is capped (the SQL roll-ups store these). */
export interface NodeCounts {
  reached: number;
  /** `node_entered` rows from the node + completed / handed-off events at it. */
  leftBy: number;
  answered: number;
  invalid: number;
  skipped: number;
  starts: number;
}

export const emptyNodeCounts = (): NodeCounts => ({ reached: 0, leftBy: 0, answered: 0, invalid: 0, skipped: 0, starts: 0 });

const ENDS_AT_NODE = new Set(["completed", "handed_off"]);
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Node tallies from raw sums and edges: moved on is capped at reached, so drop-off is never negative. Pure. */
export const talliesFrom = (counts: ReadonlyMap<string, NodeCounts>, edges: Iterable<EdgeTally>): NodeTallies => {
  const starts: Record<string, number> = {};
  const nodes: NodeTally[] = [];
  for (const [nodeId, c] of [...counts].sort((a, b) => byText(a[0], b[0]))) {
    if (c.starts > 0) starts[nodeId] = c.starts;
    if (c.reached === 0 && c.answered === 0 && c.invalid === 0 && c.skipped === 0 && c.leftBy === 0) continue;
    nodes.push({ nodeId, reached: c.reached, movedOn: Math.min(c.reached, c.leftBy), answered: c.answered, invalid: c.invalid, skipped: c.skipped });
  }
  return {
    nodes,
    edges: [...edges].filter((e) => e.count > 0).sort((a, b) => byText(a.from, b.from) || byText(a.port, b.port) || byText(a.to, b.to)),
    starts,
  };
};

/**
 * Node and edge tallies of the events of some conversations from their `flow_started` on
 * (module doc): moved on counts
 * leaves by edges and endings at the node, capped at the node's visits, so no log — however
 * odd — makes a drop-off negative. Pure.
 */
export const nodeTallies = (events: Iterable<EventRow>): NodeTallies => {
  const counts = new Map<string, NodeCounts>();
  const edges = new Map<string, { from: string; port: string; to: string; count: number }>();
  const at = (nodeId: string): NodeCounts => {
    let c = counts.get(nodeId);
    if (!c) counts.set(nodeId, (c = emptyNodeCounts()));
    return c;
  };
  const named = (id: string | null): id is string => id !== null && id !== "";
  // Node events count from the session's start on (the roll-ups know a session only from then).
  const started = new Set<string>();
  for (const e of countable(events)) {
    if (e.type === "flow_started") started.add(e.conversation_id!);
    if (!named(e.node_id) || !started.has(e.conversation_id!)) continue;
    if (e.type === "node_entered") {
      at(e.node_id).reached++;
      if (named(e.from_node_id)) {
        at(e.from_node_id).leftBy++;
        const port = e.port ?? "";
        const key = JSON.stringify([e.from_node_id, port, e.node_id]);
        const edge = edges.get(key);
        if (edge) edge.count++;
        else edges.set(key, { from: e.from_node_id, port, to: e.node_id, count: 1 });
      } else at(e.node_id).starts++;
    } else if (ENDS_AT_NODE.has(e.type)) at(e.node_id).leftBy++;
    else if (e.type === "answered") at(e.node_id).answered++;
    else if (e.type === "invalid_answer") at(e.node_id).invalid++;
    else if (e.type === "skipped") at(e.node_id).skipped++;
  }
  return talliesFrom(counts, edges.values());
};

export interface NodeMetrics extends NodeTally {
  /** reached − moved on: visits that ended at the node without moving on (≥ 0). */
  readonly dropped: number;
  /** dropped ÷ reached, 0–1 (0 when never reached). */
  readonly dropOff: number;
}

/** Drop-off of each tallied node. Pure. */
export const nodeMetrics = (tallies: ReadonlyArray<NodeTally>): NodeMetrics[] =>
  tallies.map((t) => {
    const dropped = Math.max(0, t.reached - t.movedOn);
    return { ...t, dropped, dropOff: rate(dropped, t.reached) };
  });

// ---------------------------------------------------------------------------------------------
// Team

export interface TeamConversation {
  readonly conversationId: string;
  readonly createdAt: number;
  readonly channelId: string | null;
  readonly chatflowId: string | null;
  inboxId: string | null;
  teamId: string | null;
  phase: "bot" | "team" | "closed";
  /** When the team first held it (null while only a bot did). */
  teamAt: number | null;
  /** The latest handoff or opening. */
  lastOpenAt: number | null;
  waitingSince: number | null;
  lastVisitorAt: number | null;
  firstReplyAt: number | null;
  firstReplyUserId: string | null;
  firstResponseMs: number | null;
  closedAt: number | null;
  timeToCloseMs: number | null;
}

export interface TeamReply {
  readonly eventId: number;
  readonly conversationId: string;
  readonly at: number;
  readonly userId: string | null;
  readonly inboxId: string | null;
  readonly channelId: string | null;
  readonly chatflowId: string | null;
  readonly teamId: string | null;
  /** This reply − when the visitor started waiting; null when nobody was waiting. */
  readonly waitMs: number | null;
  readonly isFirst: boolean;
  /** On the conversation's first reply only (module doc). */
  readonly firstResponseMs: number | null;
}

export interface TeamTimeline {
  readonly conversations: Map<string, TeamConversation>;
  readonly replies: TeamReply[];
}

const truthy = (value: unknown) => value === true || value === 1;

/**
 * Team-side timeline of every conversation in the log: replies with their waits, first
 * responses, closes (module doc). `conversations`, when given, holds them as they stood before
 * `events` (updated in place; `replies` are those of `events` only). Pure apart from that.
 */
export const teamTimeline = (events: Iterable<EventRow>, conversations: Map<string, TeamConversation> = new Map()): TeamTimeline => {
  const replies: TeamReply[] = [];
  for (const e of countable(events)) {
    const id = e.conversation_id!;
    if (e.type === "conversation_created") {
      if (!conversations.has(id)) {
        conversations.set(id, {
          conversationId: id,
          createdAt: e.at,
          channelId: e.channel_id,
          chatflowId: e.chatflow_id,
          inboxId: e.inbox_id,
          teamId: e.team_id,
          phase: "team",
          teamAt: e.at,
          lastOpenAt: null,
          waitingSince: null,
          lastVisitorAt: null,
          firstReplyAt: null,
          firstReplyUserId: null,
          firstResponseMs: null,
          closedAt: null,
          timeToCloseMs: null,
        });
      }
      continue;
    }
    const c = conversations.get(id);
    if (!c) continue;
    if (e.inbox_id !== null && TEAM_TYPES.has(e.type)) c.inboxId = e.inbox_id;
    const data = dataOf(e);
    switch (e.type) {
      case "flow_started":
        if (c.phase === "team" && c.firstReplyAt === null && c.lastOpenAt === null) {
          c.phase = "bot";
          c.teamAt = null;
        }
        break;
      case "handoff":
        c.phase = "team";
        c.teamAt ??= e.at;
        c.lastOpenAt = e.at;
        c.waitingSince = e.at;
        if (e.team_id !== null) c.teamId = e.team_id;
        break;
      case "agent_took_over":
        c.phase = "team";
        c.teamAt ??= e.at;
        c.lastOpenAt = e.at;
        break;
      case "status_changed": {
        const to = data.to;
        const from = data.from;
        if (to === "open" || to === "pending") {
          if (c.phase === "bot" && c.lastVisitorAt === e.at) c.waitingSince ??= e.at;
          if (to === "open" && from !== "open") c.lastOpenAt = e.at;
          // Pending: the team has done its part; the visitor's next message starts a new wait.
          if (to === "pending") c.waitingSince = null;
          c.phase = "team";
          c.teamAt ??= e.at;
        } else if (to === "closed") {
          if (c.closedAt === null && c.teamAt !== null) {
            c.closedAt = e.at;
            c.timeToCloseMs = e.at - c.createdAt;
          }
          c.phase = "closed";
          c.waitingSince = null;
        }
        break;
      }
      case "message_created": {
        if (data.author === "visitor") {
          c.lastVisitorAt = e.at;
          if (c.phase !== "bot") c.waitingSince ??= e.at;
        } else if (data.author === "agent" && !truthy(data.internal)) {
          const isFirst = c.firstReplyAt === null;
          const withTeam = c.phase !== "bot";
          const firstResponseMs = isFirst && withTeam ? e.at - Math.max(c.createdAt, c.lastOpenAt ?? c.createdAt) : null;
          replies.push({
            eventId: e.id,
            conversationId: id,
            at: e.at,
            userId: e.user_id,
            inboxId: e.inbox_id ?? c.inboxId,
            channelId: c.channelId,
            chatflowId: c.chatflowId,
            teamId: c.teamId,
            waitMs: withTeam && c.waitingSince !== null ? e.at - c.waitingSince : null,
            isFirst,
            firstResponseMs,
          });
          if (isFirst) {
            c.firstReplyAt = e.at;
            c.firstReplyUserId = e.user_id;
            c.firstResponseMs = firstResponseMs;
          }
          c.waitingSince = null;
        }
        break;
      }
      case "assigned":
      case "unassigned":
        c.teamId = e.team_id;
        break;
    }
  }
  return { conversations, replies };
};

// ---------------------------------------------------------------------------------------------
// Statistics

/**
 * The p-th percentile (0–1) by linear interpolation between closest ranks (the spreadsheet
 * PERCENTILE.INC): p = 0.5 of [1, 2, 3, 10] is 2.5. Null for no values. Pure.
 */
export const percentile = (values: ReadonlyArray<number>, p: number): number | null => {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const position = (sorted.length - 1) * Math.min(1, Math.max(0, p));
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
};

/** Count, median, 90th percentile and mean of some durations (ms); the figures are null without values. Pure. */
export interface DurationSummary {
  readonly count: number;
  readonly median: number | null;
  readonly p90: number | null;
  readonly mean: number | null;
}

/**
 * Moves the k-th smallest of a[lo..hi] to a[k], smaller ones before it and larger ones after
 * (quickselect, median-of-three pivots). Past 2·log2(n) rounds — input that defeats the
 * pivots — it sorts what is left, so it never goes quadratic. Reorders `a`.
 */
const selectInPlace = (a: Float64Array, k: number, lo: number, hi: number): void => {
  let rounds = 2 * Math.ceil(Math.log2(hi - lo + 2)) + 4;
  while (hi > lo) {
    if (rounds-- === 0) {
      a.subarray(lo, hi + 1).sort();
      return;
    }
    const mid = (lo + hi) >>> 1;
    // Median of three as pivot, left at a[mid].
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
};

const swap = (a: Float64Array, i: number, j: number) => {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
};

/**
 * Summarises durations (module doc: median and p90, with the mean beside them, never alone),
 * equal to `percentile` of each. Selects the ranks it needs instead of sorting: a quarter's
 * replies are ~75k values per summary. Pure.
 */
export const summarize = (values: ReadonlyArray<number> | Float64Array): DurationSummary => {
  const n = values.length;
  if (n === 0) return { count: 0, median: null, p90: null, mean: null };
  const a = Float64Array.from(values);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += a[i]!;
  // After selecting rank r, everything after it is at least a[r]: the next rank is their minimum.
  const at = (p: number, from: number): number => {
    const position = (n - 1) * p;
    const lower = Math.floor(position);
    selectInPlace(a, lower, from, n - 1);
    let upper = a[lower]!;
    if (position > lower) {
      upper = Infinity;
      for (let i = lower + 1; i < n; i++) if (a[i]! < upper) upper = a[i]!;
    }
    return a[lower]! + (upper - a[lower]!) * (position - lower);
  };
  const median = at(0.5, 0);
  // Ranks above the median's lower rank lie after it, so the p90 selection starts there.
  const p90 = at(0.9, Math.floor((n - 1) * 0.5));
  return { count: n, median, p90, mean: sum / n };
};

// ---------------------------------------------------------------------------------------------
// A/B split arms and assignments

export interface ArmResult {
  readonly nodeId: string;
  readonly armId: string;
  /** Conversations that took the arm (a loop through the split counts a conversation once per arm). */
  readonly conversations: number;
  readonly completed: number;
  readonly handedOff: number;
  /** Abandoned or left without a reply. */
  readonly abandoned: number;
}

/** Per split node and arm, the conversations of `sessions` that took it (after their start) and how they ended. Pure. */
export const armResults = (events: Iterable<EventRow>, sessions: ReadonlyMap<string, Pick<BotSession, "outcome">>): ArmResult[] => {
  const arms = new Map<string, { nodeId: string; armId: string; conversations: Set<string> }>();
  const started = new Set<string>();
  for (const e of countable(events)) {
    if (e.type === "flow_started") started.add(e.conversation_id!);
    if (e.type !== "split_arm" || e.node_id === null) continue;
    if (!sessions.has(e.conversation_id!) || !started.has(e.conversation_id!)) continue;
    const armId = dataOf(e).armId;
    if (typeof armId !== "string") continue;
    const key = JSON.stringify([e.node_id, armId]);
    let arm = arms.get(key);
    if (!arm) arms.set(key, (arm = { nodeId: e.node_id, armId, conversations: new Set() }));
    arm.conversations.add(e.conversation_id!);
  }
  return [...arms.values()]
    .map(({ nodeId, armId, conversations }) => {
      let completed = 0;
      let handedOff = 0;
      let abandoned = 0;
      for (const id of conversations) {
        const outcome = sessions.get(id)!.outcome;
        if (outcome === "completed") completed++;
        else if (outcome === "handed_off") handedOff++;
        else if (outcome === "abandoned" || outcome === "no_reply") abandoned++;
      }
      return { nodeId, armId, conversations: conversations.size, completed, handedOff, abandoned };
    })
    .sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : a.armId < b.armId ? -1 : a.armId > b.armId ? 1 : 0));
};

/** Per user, the distinct conversations assigned to them by `assigned` events in [start, end). Pure. */
export const assignedPerUser = (events: Iterable<EventRow>, start: number, end: number): Map<string, number> => {
  const seen = new Map<string, Set<string>>();
  for (const e of countable(events)) {
    if (e.type !== "assigned" || e.user_id === null || e.at < start || e.at >= end) continue;
    let set = seen.get(e.user_id);
    if (!set) seen.set(e.user_id, (set = new Set()));
    set.add(e.conversation_id!);
  }
  return new Map([...seen].map(([user, set]) => [user, set.size]));
};
