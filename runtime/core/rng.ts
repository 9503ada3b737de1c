/**
 * A tiny seeded PRNG (mulberry32) whose whole state is one 32-bit integer, so it fits in the
 * interpreter's JSON state and a replay with the same seed draws the same numbers.
 */

/** Turns any number (even NaN or a float) into a valid PRNG state in [0, 2^32). Pure. */
export const seedRng = (seed: number): number => {
  if (!Number.isFinite(seed)) return 0;
  // Fold values beyond 32 bits in instead of dropping them, so large seeds still differ.
  const int = Math.trunc(seed);
  const low = int % 4294967296;
  const high = Math.trunc(int / 4294967296);
  return ((low ^ Math.imul(high, 0x9e3779b1)) >>> 0);
};

/** Draws a float in [0, 1) and returns it with the advanced state. Pure. */
export const nextRandom = (state: number): { readonly value: number; readonly state: number } => {
  const next = ((state | 0) + 0x6d2b79f5) | 0;
  let t = Math.imul(next ^ (next >>> 15), 1 | next);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return { value: ((t ^ (t >>> 14)) >>> 0) / 4294967296, state: next >>> 0 };
};
