import { describe, expect, it } from "vitest";
import { createRateLimiter } from "./rate-limit.js";

const rules = {
  ip: { capacity: 3, perSecond: 1 },
  visitor: { capacity: 2, perSecond: 0.5 },
  visitorCreation: { capacity: 1, perSecond: 0.1 },
};

describe("rate limiter", () => {
  it("allows a burst up to the capacity, then answers with the seconds until a token is back", () => {
    const limiter = createRateLimiter(rules);
    const t = 1_000_000;
    expect(limiter.take("ip", "1.2.3.4", t)).toBeUndefined();
    expect(limiter.take("ip", "1.2.3.4", t)).toBeUndefined();
    expect(limiter.take("ip", "1.2.3.4", t)).toBeUndefined();
    const limited = limiter.take("ip", "1.2.3.4", t);
    expect(limited?._tag).toBe("RateLimited");
    expect(limited?.retryAfterSeconds).toBe(1);
    // A slow bucket says so: 0.5 tokens/s → 2 s.
    limiter.take("visitor", "v", t);
    limiter.take("visitor", "v", t);
    expect(limiter.take("visitor", "v", t)?.retryAfterSeconds).toBe(2);
  });

  it("refills over time and keeps keys and scopes apart", () => {
    const limiter = createRateLimiter(rules);
    const t = 5_000_000;
    for (let i = 0; i < 3; i++) limiter.take("ip", "a", t);
    expect(limiter.take("ip", "a", t)).toBeDefined();
    expect(limiter.take("ip", "b", t)).toBeUndefined();
    expect(limiter.take("visitor", "a", t)).toBeUndefined();
    expect(limiter.take("ip", "a", t + 1_000)).toBeUndefined();
    expect(limiter.take("ip", "a", t + 1_000)).toBeDefined();
  });

  it("allows everything when disabled, also when the switch is read late", () => {
    const limiter = createRateLimiter(rules, false);
    for (let i = 0; i < 100; i++) expect(limiter.take("visitorCreation", "x", 0)).toBeUndefined();
    let on = false;
    const switched = createRateLimiter(rules, () => on);
    for (let i = 0; i < 10; i++) expect(switched.take("visitorCreation", "x", 0)).toBeUndefined();
    on = true;
    expect(switched.take("visitorCreation", "x", 0)).toBeUndefined();
    expect(switched.take("visitorCreation", "x", 0)).toBeDefined();
  });

  it("forgets buckets that have refilled, so memory follows active clients", () => {
    const limiter = createRateLimiter(rules);
    const t = Date.now();
    for (let i = 0; i < 100; i++) limiter.take("ip", `client-${i}`, t);
    expect(limiter.size()).toBe(100);
    // A minute later every bucket is full again; the next take sweeps them.
    limiter.take("ip", "late", t + 61_000);
    expect(limiter.size()).toBe(1);
  });
});
