import { describe, expect, it } from "vitest";
import { afterStreamError, MAX_STREAM_FAILURES, POLL_INTERVAL_MS } from "./stream-policy.js";

describe("afterStreamError", () => {
  it("lets EventSource retry by itself while it is still connecting", () => {
    expect(afterStreamError(1, false)).toEqual({ kind: "wait" });
    expect(afterStreamError(2, false)).toEqual({ kind: "wait" });
  });

  it("reconnects with a growing delay when the stream was closed", () => {
    expect(afterStreamError(1, true)).toEqual({ kind: "reconnect", delayMs: 1000 });
    expect(afterStreamError(2, true)).toEqual({ kind: "reconnect", delayMs: 2000 });
  });

  it("falls back to polling every 3 s after repeated failures, closed or not", () => {
    expect(MAX_STREAM_FAILURES).toBe(3);
    expect(afterStreamError(3, false)).toEqual({ kind: "poll", intervalMs: POLL_INTERVAL_MS });
    expect(afterStreamError(7, true)).toEqual({ kind: "poll", intervalMs: 3000 });
  });
});
