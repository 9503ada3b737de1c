/**
 * LiveEvents: the in-process pub/sub that tells open SSE streams and inbox pages what just
 * happened. The engine publishes only AFTER the write that stored the thing committed, so a
 * listener never sees something a crash could take back.
 *
 * Internal comments are never delivered to conversation listeners unless they ask for them:
 * the visitor's stream is the default subscriber, and it must not see comments even when its
 * handler forgets to filter.
 */
import { Context, Effect, Layer } from "effect";

export type LiveEventKind = "message" | "typing" | "status" | "assignment" | "conversation" | "presence";

export interface LiveEvent {
  readonly conversationId: string;
  readonly inboxId: string;
  readonly kind: LiveEventKind;
  /** The message id for `message` events (SSE `id:`, resumable with Last-Event-ID). */
  readonly id?: string;
  /** True for an internal comment; delivered only to listeners that include internal events. */
  readonly internal?: boolean;
  /**
   * True on a message of a conversation the bot still holds (status `bot` once its turn is
   * stored): only the inbox's Bot view and that conversation's own thread show it, so the other
   * inbox pages need not re-read for it — most of a busy bot's events.
   */
  readonly bot?: boolean;
  readonly data: unknown;
}

export type LiveListener = (event: LiveEvent) => void;

export interface SubscribeOptions {
  /** Also deliver internal comments (inbox views). Default false (visitor streams). */
  readonly includeInternal?: boolean;
}

export interface LiveEventsShape {
  /** Delivers `event` synchronously to every matching listener; a throwing listener is isolated. */
  readonly publish: (event: LiveEvent) => Effect.Effect<void>;
  /** `publish` as a plain call, for the engine's message path (no Effect to build and run per event). */
  readonly publishNow: (event: LiveEvent) => void;
  /** Listens to one conversation; returns the unsubscribe function. */
  readonly subscribeConversation: (conversationId: string, listener: LiveListener, options?: SubscribeOptions) => () => void;
  /** Listens to every conversation (internal comments included: the inbox's live list). */
  readonly subscribeAll: (listener: LiveListener) => () => void;
  /** Number of listeners, for health checks and tests. */
  readonly listenerCount: () => number;
}

export class LiveEvents extends Context.Tag("LiveEvents")<LiveEvents, LiveEventsShape>() {}

interface Subscription {
  readonly listener: LiveListener;
  readonly includeInternal: boolean;
}

/** A fresh, empty hub. */
export const makeLiveEvents = (): LiveEventsShape => {
  const byConversation = new Map<string, Set<Subscription>>();
  const all = new Set<LiveListener>();

  const deliver = (listener: LiveListener, event: LiveEvent) => {
    try {
      listener(event);
    } catch (error) {
      // One broken stream must not stop the others nor fail the request that published.
      console.error("LiveEvents listener failed:", error);
    }
  };

  const publishNow = (event: LiveEvent) => {
    const subscriptions = byConversation.get(event.conversationId);
    if (subscriptions) {
      // Copies: a listener may (un)subscribe while being called.
      for (const subscription of [...subscriptions]) {
        if (event.internal && !subscription.includeInternal) continue;
        deliver(subscription.listener, event);
      }
    }
    if (all.size > 0) for (const listener of [...all]) deliver(listener, event);
  };

  return {
    publish: (event) => Effect.sync(() => publishNow(event)),
    publishNow,
    subscribeConversation: (conversationId, listener, options) => {
      const subscription: Subscription = { listener, includeInternal: options?.includeInternal ?? false };
      let set = byConversation.get(conversationId);
      if (!set) {
        set = new Set();
        byConversation.set(conversationId, set);
      }
      set.add(subscription);
      return () => {
        const current = byConversation.get(conversationId);
        if (!current) return;
        current.delete(subscription);
        if (current.size === 0) byConversation.delete(conversationId);
      };
    },
    subscribeAll: (listener) => {
      // Wrap so the same function subscribed twice needs two unsubscribes.
      const wrapped: LiveListener = (event) => listener(event);
      all.add(wrapped);
      return () => {
        all.delete(wrapped);
      };
    },
    listenerCount: () => {
      let count = all.size;
      for (const set of byConversation.values()) count += set.size;
      return count;
    },
  };
};

export const layer: Layer.Layer<LiveEvents> = Layer.sync(LiveEvents, makeLiveEvents);
