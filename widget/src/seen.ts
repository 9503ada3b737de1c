/**
 * What the visitor has seen: the widget tells the server (POST /api/conversations/:id/seen) the
 * newest message it showed while the panel was open and the page visible. A message that only
 * reached the page (a hidden tab, a closed panel) is not seen: an agent's reply the visitor never
 * saw may then follow them by email, and the inbox shows "Seen" only under what they saw.
 *
 * Requests stay few: a burst of triggers makes one request (the first trigger starts a short
 * timer; what holds when it fires is sent), at most one is in flight, and a failed one is tried
 * again only at the next trigger, never in a loop.
 */
import { compareIds } from "./messages.js";

/** What decides a mark, read when a trigger fires. */
export interface SeenState {
  /** The visitor's conversation, or null before there is one. */
  readonly conversationId: string | null;
  /** The chat panel is open. */
  readonly open: boolean;
  /** `document.visibilityState === "visible"`. */
  readonly visible: boolean;
  /** The newest message id shown in the panel (undefined when none is). */
  readonly newest: string | undefined;
}

/** How long a trigger waits for the rest of its burst. */
export const SEEN_DELAY_MS = 400;

/**
 * The message id to mark seen now, or null: only with a conversation, the panel open, the page
 * visible, and a shown message newer than `sent` (the newest id already marked). Pure.
 */
export const seenToMark = (state: SeenState, sent: string | undefined): string | null =>
  state.conversationId !== null && state.open && state.visible && state.newest !== undefined && (sent === undefined || compareIds(state.newest, sent) > 0)
    ? state.newest
    : null;

export interface SeenMarker {
  /** Call on every trigger: messages shown, the panel opening, the page becoming visible, a conversation loading. */
  readonly check: () => void;
  /** Forgets what was marked and drops a waiting check (the visitor was reset). */
  readonly reset: () => void;
}

export interface SeenMarkerOptions {
  readonly state: () => SeenState;
  /** Sends the mark; rejects when it did not get through. */
  readonly post: (conversationId: string, through: string) => Promise<unknown>;
  /** False for a failure that sending the same id again would meet too (the server refused it): that id is then not sent again. Default: every failure may pass later. */
  readonly retryable?: (error: unknown) => boolean;
  readonly delayMs?: number;
}

/** Marks messages seen through `post` as `state` allows; timers are the global setTimeout. */
export const createSeenMarker = (options: SeenMarkerOptions): SeenMarker => {
  const delayMs = options.delayMs ?? SEEN_DELAY_MS;
  // The newest id that needs no more sending, per conversation (a reset or a new one starts over).
  let sent: { readonly conversationId: string; readonly id: string } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight = false;
  // A trigger came while a request was in flight: check once more when it got through.
  let missed = false;

  const decide = (state: SeenState) => seenToMark(state, sent?.conversationId === state.conversationId ? sent.id : undefined);

  const settle = (conversationId: string, id: string) => {
    if (sent?.conversationId !== conversationId || compareIds(id, sent.id) > 0) sent = { conversationId, id };
  };

  const fire = () => {
    timer = undefined;
    // Read now, not at the trigger: the newest of the burst, and nothing if the panel closed or the tab went away meanwhile.
    const state = options.state();
    const through = decide(state);
    if (through === null) return;
    const conversationId = state.conversationId!;
    inFlight = true;
    options.post(conversationId, through).then(
      () => {
        inFlight = false;
        settle(conversationId, through);
        if (missed) {
          missed = false;
          check();
        }
      },
      (error: unknown) => {
        inFlight = false;
        missed = false;
        if (options.retryable && !options.retryable(error)) settle(conversationId, through);
      },
    );
  };

  const check = () => {
    if (timer !== undefined) return;
    if (inFlight) {
      missed = true;
      return;
    }
    if (decide(options.state()) !== null) timer = setTimeout(fire, delayMs);
  };

  return {
    check,
    reset: () => {
      clearTimeout(timer);
      timer = undefined;
      sent = undefined;
      missed = false;
    },
  };
};
