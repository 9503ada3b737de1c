/**
 * A background loop of passes (the outbox's sends, chat follow-ups): one pass at a time, every
 * `intervalMs` once started and at once on `wake`; a wake during a pass asks for another right
 * after it. A pass that fails is logged and the loop goes on; nothing runs once the database is
 * closed (shutdown).
 */
import { Effect } from "effect";

export interface PassLoop {
  /** Asks for a pass now (after a commit that gave the loop work); nothing before `start`. */
  readonly wake: () => void;
  /** Starts the loop (a first pass at once); returns its stop. */
  readonly start: (intervalMs: number) => () => void;
}

export const makePassLoop = (name: string, isOpen: () => boolean, pass: () => Effect.Effect<unknown>): PassLoop => {
  let running = false;
  let again = false;
  let started = false;
  const run = () => {
    if (!started || !isOpen()) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    Effect.runPromise(pass())
      .catch((error: unknown) => {
        if (isOpen()) console.error(`${name}: a pass failed:`, error);
      })
      .finally(() => {
        running = false;
        if (again) setImmediate(run);
      });
  };
  return {
    wake: () => {
      if (started) setImmediate(run);
    },
    start: (intervalMs) => {
      started = true;
      const timer = setInterval(run, intervalMs);
      timer.unref();
      setImmediate(run);
      return () => {
        started = false;
        clearInterval(timer);
      };
    },
  };
};
