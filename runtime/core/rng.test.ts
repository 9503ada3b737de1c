import { describe, expect, it } from "vitest";
import { nextRandom, seedRng } from "./rng.js";

describe("rng", () => {
  it("is deterministic per seed and differs between seeds", () => {
    const draw = (seed: number) => {
      let state = seedRng(seed);
      return Array.from({ length: 5 }, () => {
        const next = nextRandom(state);
        state = next.state;
        return next.value;
      });
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    expect(draw(2 ** 40 + 1)).not.toEqual(draw(1));
  });

  it("draws uniformly in [0, 1) and keeps its state a 32-bit integer", () => {
    let state = seedRng(123);
    const buckets = new Array(10).fill(0);
    let outOfRange = 0;
    for (let i = 0; i < 100_000; i++) {
      const { value, state: next } = nextRandom(state);
      if (!(value >= 0 && value < 1) || !(Number.isInteger(next) && next >= 0 && next < 2 ** 32)) outOfRange++;
      buckets[Math.floor(value * 10)]++;
      state = next;
    }
    expect(outOfRange).toBe(0);
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(600);
  });

  it("accepts any number as a seed", () => {
    for (const seed of [NaN, Infinity, -1, 0.5, Number.MAX_SAFE_INTEGER]) {
      const state = seedRng(seed);
      expect(Number.isInteger(state) && state >= 0 && state < 2 ** 32).toBe(true);
    }
  });
});
