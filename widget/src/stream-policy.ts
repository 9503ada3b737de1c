/**
 * What the live connection does after the EventSource reports an error. EventSource retries by
 * itself while it is CONNECTING; when it gave up (CLOSED: the server answered with an error) we
 * reconnect with a growing delay; after repeated failures without one good connection in
 * between, we stop and poll — some proxies and networks never let a stream through.
 */

/** Failures in a row (without a successful open) after which the widget falls back to polling. */
export const MAX_STREAM_FAILURES = 3;
/** How often the fallback polls for new messages. */
export const POLL_INTERVAL_MS = 3000;

export type StreamAction =
  | { readonly kind: "wait" }
  | { readonly kind: "reconnect"; readonly delayMs: number }
  | { readonly kind: "poll"; readonly intervalMs: number };

/**
 * Decides after the `failures`-th error in a row; `closed` says the EventSource gave up by
 * itself. Pure: 1 s, 2 s, 4 s… capped at 30 s between manual reconnects.
 */
export const afterStreamError = (failures: number, closed: boolean): StreamAction => {
  if (failures >= MAX_STREAM_FAILURES) return { kind: "poll", intervalMs: POLL_INTERVAL_MS };
  if (!closed) return { kind: "wait" };
  return { kind: "reconnect", delayMs: Math.min(30_000, 1000 * 2 ** Math.max(0, failures - 1)) };
};
