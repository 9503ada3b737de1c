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

/** setTimeout's longest delay (2^31 − 1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** How long to wait from `now` until `until`: never negative, never past setTimeout's limit (a wait past it re-checks then). Pure. */
export const wakeDelay = (until: number, now: number): number => Math.min(Math.max(0, until - now), MAX_TIMER_MS);

/** A pass loop with one timer pointed at when its next work falls due (decision 040). */
export interface TimedPassLoop {
  /** Points the timer at `nextAt` (none: no timer); only while started and open. Call after anything that may move it. */
  readonly arm: () => void;
  /** Asks for a pass now (nothing before `start`). */
  readonly wake: () => void;
  /** Starts the loop (a first pass at once, then every `intervalMs` as a backstop) and arms the timer; returns `stop`. */
  readonly start: (intervalMs: number) => () => void;
  /** Stops the loop and clears the timer. */
  readonly stop: () => void;
  /** The instant the timer is armed for, or null when none is. */
  readonly armedFor: () => number | null;
}

/**
 * A pass loop woken by one timer at `nextAt(now)` — the earliest due work, read again each time
 * it is armed — as well as every interval. A timer that fires early (a wait past setTimeout's
 * limit, or a clock read a moment before) finds nothing due; the pass re-arms it.
 */
export const makeTimedPassLoop = (
  name: string,
  isOpen: () => boolean,
  pass: () => Effect.Effect<unknown>,
  nextAt: (now: number) => number | null,
  now: () => number,
): TimedPassLoop => {
  const loop = makePassLoop(name, isOpen, pass);
  let started = false;
  let stopLoop: (() => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let armed: number | null = null;
  const disarm = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    armed = null;
  };
  const arm = () => {
    if (!started || !isOpen()) return disarm();
    const at = now();
    const next = nextAt(at);
    if (next === armed && timer !== undefined) return;
    disarm();
    if (next === null) return;
    armed = next;
    timer = setTimeout(() => {
      timer = undefined;
      armed = null;
      loop.wake();
    }, wakeDelay(next, at));
    timer.unref();
  };
  const stop = () => {
    started = false;
    stopLoop?.();
    stopLoop = undefined;
    disarm();
  };
  return {
    arm,
    wake: loop.wake,
    start: (intervalMs) => {
      stop();
      started = true;
      stopLoop = loop.start(intervalMs);
      arm();
      return stop;
    },
    stop,
    armedFor: () => armed,
  };
};
