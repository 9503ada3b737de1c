/**
 * The wall clock the runtime services stamp their writes with (messages, events, conversation
 * columns, visitors, contacts, tickets, assignments).
 *
 * Normally it is the real clock. The one exception is the first-start seed: it plays the demo's
 * sample conversations under a scripted clock (`playScripted`) so they happen over the past days
 * at a person's pace, through the real services, before the server listens. The setting is
 * process-wide, so it is only safe while nothing else writes: it refuses to nest, refuses to run
 * forward (or past the real now, so nothing is ever stamped in the future), and restores the
 * real clock when the play ends — also when it fails, dies or is interrupted.
 *
 * `now()` is a plain function on purpose: it runs on every visitor message, where an Effect
 * (Clock service lookup, fiber) per call would cost more than the read itself.
 */
import { Effect } from "effect";

/** The scripted time, as the seed moves it; never later than the real clock. */
export interface ScriptedClock {
  /** The scripted instant (epoch ms). */
  readonly now: () => number;
  /** Moves the clock to `at`; throws a RangeError when that is earlier than now or later than the real clock. */
  readonly set: (at: number) => void;
  /** Moves the clock `ms` (≥ 0) forward; the same limits as `set`. */
  readonly advance: (ms: number) => void;
}

let scripted: { at: number } | null = null;

/** The current instant in epoch ms: the scripted one while the seed plays, else `Date.now()`. Reads process state. */
export const now = (): number => (scripted === null ? Date.now() : scripted.at);

/** True while a scripted clock is playing (the seed, before the server listens). Reads process state. */
export const isScripted = (): boolean => scripted !== null;

const checkTarget = (from: number, at: number) => {
  if (!Number.isFinite(at)) throw new RangeError(`the scripted clock cannot move to ${at}`);
  if (at < from) throw new RangeError(`the scripted clock cannot run backwards (from ${new Date(from).toISOString()} to ${new Date(at).toISOString()})`);
  const real = Date.now();
  if (at > real) throw new RangeError(`the scripted clock cannot pass the real clock (${new Date(at).toISOString()} is after ${new Date(real).toISOString()})`);
};

/**
 * Runs `play` with every service's clock reading a scripted time that starts at `start` (in the
 * past) and moves only when `play` moves it; afterwards the real clock is back, whatever the
 * outcome. Dies when another scripted clock is already playing, or when `start` is not in the past.
 * For the first-start seed only (see the module doc).
 */
export const playScripted = <A, E, R>(start: number, play: (clock: ScriptedClock) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      if (scripted !== null) throw new Error("a scripted clock is already playing; scripted clocks do not nest");
      if (!Number.isFinite(start) || start > Date.now()) {
        throw new RangeError(`a scripted clock starts in the past (got ${Number.isFinite(start) ? new Date(start).toISOString() : start})`);
      }
      const state = { at: start };
      scripted = state;
      const clock: ScriptedClock = {
        now: () => state.at,
        set: (at) => {
          // A clock kept past its play must not move the real one's replacement.
          if (scripted !== state) throw new Error("this scripted clock has stopped playing");
          checkTarget(state.at, at);
          state.at = at;
        },
        advance: (ms) => clock.set(state.at + ms),
      };
      return { state, clock };
    }),
    ({ clock }) => play(clock),
    ({ state }) =>
      Effect.sync(() => {
        if (scripted === state) scripted = null;
      }),
  );
