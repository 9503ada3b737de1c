/**
 * In-memory token buckets for the public API: one per client IP and one per visitor. A bucket
 * holds up to `capacity` tokens, refills at `perSecond`, and each request takes one; an empty
 * bucket answers RateLimited with the seconds until a token is back. Per process — Parley runs
 * one process per database, so that is the whole server.
 */
import { RateLimited } from "../runtime/services/errors.js";

export interface BucketRule {
  /** Burst size: requests allowed at once from a full bucket. */
  readonly capacity: number;
  /** Steady rate: tokens added per second. */
  readonly perSecond: number;
}

export interface RateLimitOptions {
  /** Every /api request from one IP (many visitors may share a NAT, so it is generous). */
  readonly ip: BucketRule;
  /** Every authenticated request of one visitor token. */
  readonly visitor: BucketRule;
  /** Visitor creations from one IP (each one writes a row). */
  readonly visitorCreation: BucketRule;
}

/** Defaults sized for a person chatting (a few messages a minute) plus the widget's polling. */
export const defaultRateLimits: RateLimitOptions = {
  ip: { capacity: 300, perSecond: 50 },
  visitor: { capacity: 60, perSecond: 2 },
  visitorCreation: { capacity: 20, perSecond: 0.2 },
};

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export interface RateLimiter<Scope extends string = keyof RateLimitOptions> {
  /** Takes one token from the bucket of `key` in `scope`; undefined when allowed, else the RateLimited error. */
  readonly take: (scope: Scope, key: string, now?: number) => RateLimited | undefined;
  /** Forgets every bucket (tests). */
  readonly reset: () => void;
  /** Buckets currently held, for tests and health. */
  readonly size: () => number;
}

/**
 * A limiter with its own buckets, one rule per scope (the public API's by default; the REST API
 * has its own). `enabled` false (or a function answering false, read on every take) allows
 * everything (benchmarks).
 */
export const createRateLimiter = <Scope extends string = keyof RateLimitOptions>(
  options: Readonly<Record<Scope, BucketRule>> = defaultRateLimits as unknown as Readonly<Record<Scope, BucketRule>>,
  enabled: boolean | (() => boolean) = true,
): RateLimiter<Scope> => {
  const isEnabled = typeof enabled === "function" ? enabled : () => enabled;
  const buckets = new Map<string, Bucket>();
  let lastSweep = Date.now();

  // A bucket refilled to capacity is the same as no bucket: drop those now and then so memory
  // follows the clients active in the last minute, not every client ever seen.
  const sweep = (now: number) => {
    lastSweep = now;
    for (const [key, bucket] of buckets) {
      const rule = options[key.slice(0, key.indexOf(":")) as Scope];
      if (!rule || bucket.tokens + ((now - bucket.updatedAt) / 1000) * rule.perSecond >= rule.capacity) buckets.delete(key);
    }
  };

  return {
    take: (scope, key, now = Date.now()) => {
      if (!isEnabled()) return undefined;
      if (now - lastSweep > 60_000) sweep(now);
      const rule = options[scope];
      const id = `${scope}:${key}`;
      let bucket = buckets.get(id);
      if (!bucket) {
        bucket = { tokens: rule.capacity, updatedAt: now };
        buckets.set(id, bucket);
      } else {
        bucket.tokens = Math.min(rule.capacity, bucket.tokens + (Math.max(0, now - bucket.updatedAt) / 1000) * rule.perSecond);
        bucket.updatedAt = now;
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return undefined;
      }
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / rule.perSecond));
      return new RateLimited({ retryAfterSeconds });
    },
    reset: () => buckets.clear(),
    size: () => buckets.size,
  };
};
