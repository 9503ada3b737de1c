/**
 * What the inbox page makes of one live event: whether the page must re-read its data, who is
 * typing, and whether the person gets a notification (and how, by their settings). Pure; safe
 * on the client.
 */

/** A live event as /inbox/events sends it (see InboxEvent in runtime/services/inbox.ts). */
export interface LiveMessage {
  readonly kind: "message" | "typing" | "status" | "assignment" | "conversation" | "presence";
  readonly conversationId: string;
  readonly inboxId: string;
  readonly id?: string;
  readonly internal?: boolean;
  /** A message of a conversation the bot still holds: only the Bot view and its own thread show it. */
  readonly bot?: boolean;
  readonly data: unknown;
}

export type NotifyKind = "assigned" | "handoff" | "mention";

export interface NotifyBy {
  readonly browser: boolean;
  readonly sound: boolean;
}
export type NotifySettings = Readonly<Record<NotifyKind, NotifyBy>>;

export interface Notice {
  readonly kind: NotifyKind;
  readonly conversationId: string;
  readonly title: string;
  readonly body: string;
}

const record = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};

/** Parses one SSE `data:` line; undefined when it is not a live event. Pure. */
export const parseLiveMessage = (text: string): LiveMessage | undefined => {
  try {
    const value = record(JSON.parse(text));
    const kinds = ["message", "typing", "status", "assignment", "conversation", "presence"];
    if (typeof value.kind !== "string" || !kinds.includes(value.kind) || typeof value.conversationId !== "string") return undefined;
    return value as unknown as LiveMessage;
  } catch {
    return undefined;
  }
};

/** Changes only a thread shows (the visitor's seen mark, a chat follow-up email, a rating): the list looks the same. */
const THREAD_ONLY_CHANGES: ReadonlySet<unknown> = new Set(["seen", "follow_up", "rating", "transcript"]);

/**
 * True when the event changes what the list or a thread shows (typing does not; a reply's
 * delivery change does). A change only a thread shows counts only for the thread that is open
 * (`openConversationId`): a visitor's seen marks come often and would re-read every agent's list.
 * A message of a conversation the bot still holds counts only for the Bot view (`view`, the
 * list's view) and for its own open thread: a busy bot's traffic would re-read every page. Pure.
 */
export const needsRefresh = (event: LiveMessage, openConversationId: string | null = null, view: string | null = null): boolean => {
  if (event.kind === "typing" || event.kind === "presence") return false;
  if (event.kind === "conversation" && THREAD_ONLY_CHANGES.has(record(event.data).change)) return event.conversationId === openConversationId;
  if (event.kind === "message" && event.bot === true) return view === "bot" || event.conversationId === openConversationId;
  return true;
};

/** A burst of changes is read once, this long after its last event… */
export const REFRESH_DEBOUNCE_MS = 150;
/** …but no later than this after its first: a feed that never pauses (a busy bot) still shows what changed. */
export const REFRESH_MAX_WAIT_MS = 1000;

/**
 * How long until the page re-reads, for a change heard at `now` while the first change not yet
 * read was heard at `pendingSince`: the debounce, cut short so that nothing waits longer than
 * REFRESH_MAX_WAIT_MS. Pure.
 */
export const refreshDelay = (pendingSince: number, now: number): number =>
  Math.max(0, Math.min(REFRESH_DEBOUNCE_MS, pendingSince + REFRESH_MAX_WAIT_MS - now));

/** The longest a timer can wait: setTimeout fires at once past a 32-bit number of milliseconds. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The server judges the hours on its own clock: the re-read after a change waits this much longer, in case the page's runs ahead. */
const HOURS_CHANGE_SLACK_MS = 2000;

/**
 * How long until the page re-reads because a queued conversation's team opens or closes by its
 * hours at `changesAt` (decision 048): nothing is published then unless the queue drains to
 * someone, and the tag "queued · Sales closed" must not outlive the closing. Null when nothing
 * changes; a change further off than a timer can wait is re-checked at that limit. Pure.
 */
export const hoursRecheckDelay = (changesAt: number | null, now: number): number | null =>
  changesAt === null ? null : Math.min(Math.max(0, changesAt - now) + HOURS_CHANGE_SLACK_MS, MAX_TIMER_MS);

/** The conversation a /inbox/<id> path shows, or null. Pure. */
export const openConversationOf = (pathname: string): string | null => {
  const match = /^\/inbox\/([^/]+)\/?$/.exec(pathname);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return null;
  }
};

/** The teammate an event of `kind` is about, with its data (null for another kind, no one, or `me`). Pure. */
const teammateOf = (event: LiveMessage, kind: LiveMessage["kind"], me: string) => {
  if (event.kind !== kind) return null;
  const data = record(event.data);
  const userId = typeof data.userId === "string" ? data.userId : "";
  if (userId === "" || userId === me) return null;
  const name = typeof data.name === "string" && data.name !== "" ? data.name : "A teammate";
  return { who: { conversationId: event.conversationId, userId, name }, data };
};

/** Who is typing, from a typing event (null when someone stopped, or it is `me`). Pure. */
export const typingOf = (
  event: LiveMessage,
  me: string,
): { readonly conversationId: string; readonly userId: string; readonly name: string; readonly internal: boolean; readonly typing: boolean } | null => {
  const found = teammateOf(event, "typing", me);
  return found && { ...found.who, internal: found.data.internal === true, typing: found.data.typing === true };
};

/** Who opened (`viewing`) or closed a conversation, from a presence event (null when it is `me`). Pure. */
export const presenceOf = (
  event: LiveMessage,
  me: string,
): { readonly conversationId: string; readonly userId: string; readonly name: string; readonly viewing: boolean } | null => {
  const found = teammateOf(event, "presence", me);
  return found && { ...found.who, viewing: found.data.viewing === true };
};

/** A presence change as the page heard it: `at` is when it arrived (the page's clock). */
export interface PresenceInfo {
  readonly userId: string;
  readonly name: string;
  readonly viewing: boolean;
  readonly at: number;
}

/**
 * Who else has a conversation open: the server's answer to the page's last heartbeat (received
 * at `server.at`), changed by every live presence event heard since, without `me`. Pure.
 */
export const viewersOf = (
  server: { readonly at: number; readonly viewers: ReadonlyArray<{ readonly userId: string; readonly name: string }> },
  live: ReadonlyArray<PresenceInfo>,
  me: string,
): ReadonlyArray<{ readonly userId: string; readonly name: string }> => {
  const byId = new Map(server.viewers.map((v) => [v.userId, v.name] as const));
  for (const change of live) {
    if (change.at < server.at) continue;
    if (change.viewing) byId.set(change.userId, change.name);
    else byId.delete(change.userId);
  }
  byId.delete(me);
  return [...byId].map(([userId, name]) => ({ userId, name }));
};

/**
 * The notification an event calls for, for the person `me`: a conversation assigned to them by
 * someone else (or by routing), a handoff from a bot in their inboxes, an @mention of them, a
 * snooze of theirs that ended, a conversation of theirs (or an unassigned one in their inboxes)
 * that fell overdue. Null for anything else. Pure.
 */
export const noticeFor = (event: LiveMessage, me: string): Notice | null => {
  const data = record(event.data);
  switch (event.kind) {
    case "assignment":
      if (data.assigneeId === me && data.by !== me) {
        return { kind: "assigned", conversationId: event.conversationId, title: "A conversation was assigned to you", body: "Open the inbox to answer the visitor." };
      }
      return null;
    case "status":
      if (data.from === "bot" && data.status === "open") {
        return { kind: "handoff", conversationId: event.conversationId, title: "A bot handed a visitor to the team", body: "The visitor is waiting for a person." };
      }
      return null;
    case "conversation": {
      const ids = Array.isArray(data.userIds) ? data.userIds : [];
      if (data.change === "mention" && ids.includes(me)) {
        const by = record(data.by);
        const who = typeof by.name === "string" && by.name !== "" ? by.name : "A teammate";
        return { kind: "mention", conversationId: event.conversationId, title: `${who} mentioned you`, body: typeof data.text === "string" ? data.text : "" };
      }
      // A snooze that ended tells the one the conversation is with: its assignee, else whoever snoozed it
      // (by the "assigned to you" settings: it is theirs to answer again).
      if (data.change === "snooze" && typeof data.ended === "string" && (data.assigneeId ?? data.snoozedBy) === me) {
        return {
          kind: "assigned",
          conversationId: event.conversationId,
          title: "A snoozed conversation is back",
          body: data.ended === "visitor" ? "The visitor wrote while it was snoozed." : "Its snooze has ended.",
        };
      }
      // A wait that fell past its response target (response-overdue.ts): the assignee is told as an assignment
      // tells them; unassigned, everyone in the inbox hears it as they hear a handoff (the feed sends it to them only).
      if (data.change === "overdue") {
        const what = data.kind === "next_reply" ? "A reply" : "A first response";
        const body = `${what} is overdue: the visitor has waited past the inbox’s target.`;
        if (typeof data.assigneeId === "string") {
          return data.assigneeId === me ? { kind: "assigned", conversationId: event.conversationId, title: "Your conversation is overdue", body } : null;
        }
        return { kind: "handoff", conversationId: event.conversationId, title: "An unassigned conversation is overdue", body };
      }
      return null;
    }
    default:
      return null;
  }
};

/**
 * Whether to show a notice at all: the kind is switched on (browser or sound), and no notice
 * for the same conversation went out in the last `windowMs` (a handoff to a person is also an
 * assignment; one notification is enough). Pure.
 */
export const shouldNotify = (notice: Notice, settings: NotifySettings, lastShown: number | undefined, now: number, windowMs = 5000): boolean => {
  const by = settings[notice.kind];
  if (!by.browser && !by.sound) return false;
  return lastShown === undefined || now - lastShown > windowMs;
};
