/**
 * Presence: who has a conversation open in the inbox right now, so two agents do not answer the
 * same visitor at once without knowing it (the typing line says who is writing; this says who is
 * reading). The open thread says "viewing" when it opens and every PRESENCE_HEARTBEAT_MS while
 * its tab is visible, and "left" when it closes; a viewer not heard from for PRESENCE_TTL_MS is
 * gone (a closed laptop says nothing).
 *
 * Kept in memory only: it is a hint about the next minute, not a record — a restart forgets it
 * and the open threads' next heartbeat tells it again. Every arrival and departure is a live
 * event (`presence`, internal, so a visitor's stream never carries it); a heartbeat of someone
 * already there publishes nothing.
 */
import { Context, Effect, Layer } from "effect";
import { Database, type DatabaseShape } from "./database.js";
import type { Forbidden, NotFound } from "./errors.js";
import { conversationFor, type Actor } from "./inbox-access.js";
import { LiveEvents, type LiveEventsShape } from "./live-events.js";

/** How often an open thread says it is still open. */
export const PRESENCE_HEARTBEAT_MS = 20_000;
/** How long a viewer counts as there after their last word: two heartbeats and some slack. */
export const PRESENCE_TTL_MS = 50_000;
/** How often viewers who went quiet are let go (and their departure announced). */
const SWEEP_MS = 10_000;

export interface Viewer {
  readonly userId: string;
  readonly name: string;
  /** When they opened the conversation (epoch ms). */
  readonly since: number;
}

interface Seen extends Viewer {
  readonly inboxId: string;
  until: number;
}

/** What changed for one conversation, for the live event. */
export interface PresenceChange {
  readonly conversationId: string;
  readonly inboxId: string;
  readonly userId: string;
  readonly name: string;
  readonly viewing: boolean;
}

/**
 * The board of who views what, with its clock passed in. Pure apart from its own state, so the
 * timing rules are tested without waiting.
 */
export class PresenceBoard {
  private readonly byConversation = new Map<string, Map<string, Seen>>();

  /** Records that `userId` views the conversation now; a change when they were not there yet. */
  see(conversationId: string, inboxId: string, userId: string, name: string, now: number): PresenceChange | null {
    let viewers = this.byConversation.get(conversationId);
    if (viewers === undefined) {
      viewers = new Map();
      this.byConversation.set(conversationId, viewers);
    }
    const seen = viewers.get(userId);
    if (seen !== undefined && seen.until > now) {
      seen.until = now + PRESENCE_TTL_MS;
      return null;
    }
    viewers.set(userId, { userId, name, inboxId, since: now, until: now + PRESENCE_TTL_MS });
    return { conversationId, inboxId, userId, name, viewing: true };
  }

  /** Records that `userId` closed the conversation; a change when they were there. */
  leave(conversationId: string, userId: string, now: number): PresenceChange | null {
    const viewers = this.byConversation.get(conversationId);
    const seen = viewers?.get(userId);
    if (viewers === undefined || seen === undefined) return null;
    viewers.delete(userId);
    if (viewers.size === 0) this.byConversation.delete(conversationId);
    return seen.until > now ? { conversationId, inboxId: seen.inboxId, userId, name: seen.name, viewing: false } : null;
  }

  /** Lets go of everyone not heard from in time; their departures. */
  sweep(now: number): ReadonlyArray<PresenceChange> {
    const gone: Array<PresenceChange> = [];
    for (const [conversationId, viewers] of this.byConversation) {
      for (const seen of viewers.values()) {
        if (seen.until > now) continue;
        viewers.delete(seen.userId);
        gone.push({ conversationId, inboxId: seen.inboxId, userId: seen.userId, name: seen.name, viewing: false });
      }
      if (viewers.size === 0) this.byConversation.delete(conversationId);
    }
    return gone;
  }

  /** Whether `userId` views the conversation now. */
  isViewing(conversationId: string, userId: string, now: number): boolean {
    const seen = this.byConversation.get(conversationId)?.get(userId);
    return seen !== undefined && seen.until > now;
  }

  /** Who views the conversation now, first come first, leaving out `exceptUserId`. */
  viewers(conversationId: string, now: number, exceptUserId?: string): ReadonlyArray<Viewer> {
    const viewers = this.byConversation.get(conversationId);
    if (viewers === undefined) return [];
    return [...viewers.values()]
      .filter((s) => s.until > now && s.userId !== exceptUserId)
      .sort((a, b) => a.since - b.since)
      .map(({ userId, name, since }) => ({ userId, name, since }));
  }
}

export interface PresenceShape {
  /**
   * The actor has the conversation open (`viewing`) or closed it; answers who else views it now.
   * NotFound / Forbidden as for opening the conversation.
   */
  readonly view: (conversationId: string, viewing: boolean, actor: Actor) => Effect.Effect<ReadonlyArray<Viewer>, NotFound | Forbidden>;
  /** Whether the user has the conversation open now (as `view` last heard, within PRESENCE_TTL_MS). */
  readonly isViewing: (conversationId: string, userId: string) => boolean;
}

export class Presence extends Context.Tag("Presence")<Presence, PresenceShape>() {}

/**
 * The service over one board; `sweep` lets go of the quiet viewers (the layer calls it every
 * SWEEP_MS). `clock` is the wall clock, passed in so tests can move it.
 */
export const makePresence = (
  db: DatabaseShape,
  live: LiveEventsShape,
  clock: () => number = Date.now,
): PresenceShape & { readonly sweep: () => void } => {
  const board = new PresenceBoard();
  const announce = (change: PresenceChange) =>
    live.publishNow({
      conversationId: change.conversationId,
      inboxId: change.inboxId,
      kind: "presence",
      // The team's business only: a visitor's stream never sees who reads their conversation.
      internal: true,
      data: { userId: change.userId, name: change.name, viewing: change.viewing },
    });
  const view: PresenceShape["view"] = (conversationId, viewing, actor) =>
    Effect.map(conversationFor(db.prepare, actor, conversationId), (row) => {
      const now = clock();
      const user = db.prepare("SELECT COALESCE(display_name, name) AS name FROM users WHERE id = ?").get(actor.id) as { name: string } | undefined;
      const change = viewing ? board.see(conversationId, row.inbox_id, actor.id, user?.name ?? "", now) : board.leave(conversationId, actor.id, now);
      if (change !== null) announce(change);
      return board.viewers(conversationId, now, actor.id);
    });
  return {
    view,
    isViewing: (conversationId, userId) => board.isViewing(conversationId, userId, clock()),
    sweep: () => board.sweep(clock()).forEach(announce),
  };
};

export const layer: Layer.Layer<Presence, never, Database | LiveEvents> = Layer.scoped(
  Presence,
  Effect.gen(function* () {
    const presence = makePresence(yield* Database, yield* LiveEvents);
    yield* Effect.acquireRelease(
      Effect.sync(() => {
        const timer = setInterval(presence.sweep, SWEEP_MS);
        timer.unref?.();
        return timer;
      }),
      (timer) => Effect.sync(() => clearInterval(timer)),
    );
    return { view: presence.view, isViewing: presence.isViewing };
  }),
);
