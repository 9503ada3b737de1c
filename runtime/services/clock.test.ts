import { Effect, Exit } from "effect";
import { describe, expect, it } from "vitest";
import * as WallClock from "./clock.js";

const HOUR = 3_600_000;

describe("clock", () => {
  it("reads the real clock when nothing is scripted", () => {
    const before = Date.now();
    const now = WallClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
    expect(WallClock.isScripted()).toBe(false);
  });

  it("plays a function under a scripted time that moves only when told, then gives the real clock back", async () => {
    const start = Date.now() - 3 * 24 * HOUR;
    const seen = await Effect.runPromise(
      WallClock.playScripted(start, (clock) =>
        Effect.sync(() => {
          const first = WallClock.now();
          clock.advance(45_000);
          const second = WallClock.now();
          clock.set(start + HOUR);
          return { first, second, third: WallClock.now(), scripted: WallClock.isScripted(), viaClock: clock.now() };
        }),
      ),
    );
    expect(seen).toEqual({ first: start, second: start + 45_000, third: start + HOUR, scripted: true, viaClock: start + HOUR });
    expect(WallClock.isScripted()).toBe(false);
    expect(Math.abs(WallClock.now() - Date.now())).toBeLessThan(1_000);
  });

  it("gives the real clock back when the play fails or dies", async () => {
    const start = Date.now() - HOUR;
    const failed = await Effect.runPromiseExit(WallClock.playScripted(start, () => Effect.fail("refused")));
    expect(Exit.isFailure(failed)).toBe(true);
    expect(WallClock.isScripted()).toBe(false);
    const died = await Effect.runPromiseExit(
      WallClock.playScripted(start, () =>
        Effect.sync(() => {
          throw new Error("boom");
        }),
      ),
    );
    expect(Exit.isFailure(died)).toBe(true);
    expect(WallClock.isScripted()).toBe(false);
    expect(Math.abs(WallClock.now() - Date.now())).toBeLessThan(1_000);
  });

  it("refuses to nest, and the outer play keeps its time", async () => {
    const start = Date.now() - HOUR;
    const outcome = await Effect.runPromise(
      WallClock.playScripted(start, () =>
        Effect.gen(function* () {
          const inner = yield* Effect.exit(WallClock.playScripted(start + 1, () => Effect.succeed("inner ran")));
          return { inner, now: WallClock.now() };
        }),
      ),
    );
    expect(Exit.isFailure(outcome.inner)).toBe(true);
    expect(String(Exit.isFailure(outcome.inner) ? outcome.inner.cause : "")).toMatch(/already playing/);
    expect(outcome.now).toBe(start);
    expect(WallClock.isScripted()).toBe(false);
  });

  it("never runs backwards, never passes the real clock, and never starts in the future", async () => {
    const start = Date.now() - HOUR;
    const errors = await Effect.runPromise(
      WallClock.playScripted(start, (clock) =>
        Effect.sync(() => {
          const attempt = (move: () => void) => {
            try {
              move();
              return "moved";
            } catch (error) {
              return (error as Error).message;
            }
          };
          return {
            backwards: attempt(() => clock.advance(-1)),
            future: attempt(() => clock.set(Date.now() + HOUR)),
            notANumber: attempt(() => clock.set(Number.NaN)),
            now: WallClock.now(),
          };
        }),
      ),
    );
    expect(errors.backwards).toMatch(/backwards/);
    expect(errors.future).toMatch(/real clock/);
    expect(errors.notANumber).toMatch(/cannot move/);
    expect(errors.now).toBe(start);
    const future = await Effect.runPromiseExit(WallClock.playScripted(Date.now() + HOUR, () => Effect.void));
    expect(Exit.isFailure(future)).toBe(true);
    expect(WallClock.isScripted()).toBe(false);
  });

  it("a scripted clock kept past its play cannot move time any more", async () => {
    const kept = await Effect.runPromise(WallClock.playScripted(Date.now() - HOUR, (clock) => Effect.succeed(clock)));
    expect(() => kept.advance(1_000)).toThrow(/stopped playing/);
    expect(WallClock.isScripted()).toBe(false);
  });
});
