/**
 * Shutdown's bookkeeping for a service that sends to the outside and then records the outcome —
 * the outgoing webhooks (decision 040), the email/Messenger outbox, chat follow-ups and chat
 * transcripts (decision 042): once draining, no send starts; the sends under way get a bounded
 * wait to finish and be recorded; then `signal` aborts, and whatever still runs is let go (its
 * row stays pending, sent after the restart). Not pure: it keeps counts and a timer, and is not
 * an Effect service (each sender service owns one).
 */
import { Effect } from "effect";

export interface SendDrain {
  /** True once `drain` has begun. */
  readonly draining: () => boolean;
  /** Aborted when shutdown stops waiting: interrupt what still runs with it. */
  readonly signal: AbortSignal;
  /** `send`, unless shutdown has begun (then "held": not started); counted while under way. */
  readonly guard: <A>(send: Effect.Effect<A>) => Effect.Effect<A | "held">;
  /** `work` (a pass that sends), counted while it runs so `drain` waits for it to end after the abort. */
  readonly track: <A>(work: Effect.Effect<A>) => Effect.Effect<A>;
  /**
   * A sender's pass under the drain: `idle` once draining; else `work`, tracked, and raced
   * against the abort — interrupted then (answering `idle`), the sends it waits on unrecorded.
   */
  readonly pass: <A>(work: Effect.Effect<A>, idle: A) => Effect.Effect<A>;
  /**
   * Starts nothing more, waits up to `waitMs` for the sends under way, aborts `signal`, then up
   * to `settleMs` for the tracked work to end; how many sends finished and how many were let go.
   */
  readonly drain: (waitMs: number, settleMs?: number) => Promise<{ readonly finished: number; readonly interrupted: number }>;
}

export const makeSendDrain = (): SendDrain => {
  let draining = false;
  let sending = 0;
  let running = 0;
  const listeners = new Set<() => void>();
  const tell = () => {
    for (const listener of listeners) listener();
  };
  /** Resolves once `done()` holds, or after `ms`. */
  const until = (done: () => boolean, ms: number) =>
    new Promise<void>((resolve) => {
      if (done()) return resolve();
      const finish = () => {
        clearTimeout(timer);
        listeners.delete(check);
        resolve();
      };
      const check = () => {
        if (done()) finish();
      };
      const timer = setTimeout(finish, ms);
      listeners.add(check);
    });
  const stopping = new AbortController();
  const counted = <A>(work: Effect.Effect<A>, add: (n: number) => void) =>
    Effect.suspend(() => {
      add(1);
      return Effect.ensuring(
        work,
        Effect.sync(() => {
          add(-1);
          tell();
        }),
      );
    });
  const track = <A>(work: Effect.Effect<A>) => counted(work, (n) => (running += n));
  const letGo = <A>(idle: A) =>
    Effect.async<A>((resume) => {
      const stop = () => resume(Effect.succeed(idle));
      stopping.signal.addEventListener("abort", stop, { once: true });
      return Effect.sync(() => stopping.signal.removeEventListener("abort", stop));
    });
  return {
    draining: () => draining,
    signal: stopping.signal,
    guard: <A>(send: Effect.Effect<A>) =>
      Effect.suspend((): Effect.Effect<A | "held"> => (draining ? Effect.succeed("held" as const) : counted(send, (n) => (sending += n)))),
    track,
    pass: (work, idle) => Effect.suspend(() => (draining ? Effect.succeed(idle) : track(Effect.race(work, letGo(idle))))),
    drain: async (waitMs, settleMs = 1_000) => {
      draining = true;
      const waitedFor = sending;
      await until(() => sending === 0, waitMs);
      const interrupted = sending;
      stopping.abort();
      await until(() => running === 0, settleMs);
      return { finished: waitedFor - interrupted, interrupted };
    },
  };
};

/**
 * A sender's pass loop under its drain: `start` starts the loop (`startLoop`, the pass loop's
 * start) unless draining, replacing the one running; `drain` stops the loop, then drains (see
 * SendDrain.drain).
 */
export const drainedLoop = (shutdown: SendDrain, startLoop: (intervalMs: number) => () => void) => {
  let stopLoop: (() => void) | undefined;
  return {
    start: (intervalMs: number): (() => void) => {
      if (shutdown.draining()) return () => undefined;
      stopLoop?.();
      const stop = startLoop(intervalMs);
      stopLoop = stop;
      return () => {
        stop();
        if (stopLoop === stop) stopLoop = undefined;
      };
    },
    drain: (waitMs: number) =>
      Effect.promise(() => {
        stopLoop?.();
        stopLoop = undefined;
        return shutdown.drain(waitMs);
      }),
  };
};
