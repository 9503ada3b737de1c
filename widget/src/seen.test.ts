import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createSeenMarker, SEEN_DELAY_MS, seenToMark, type SeenState } from "./seen.js";

const base: SeenState = { conversationId: "conv_1", open: true, visible: true, newest: "12" };

describe("seenToMark", () => {
  it("marks the newest shown message only with a conversation, the panel open and the page visible", () => {
    expect(seenToMark(base, undefined)).toBe("12");
    expect(seenToMark({ ...base, conversationId: null }, undefined)).toBeNull();
    expect(seenToMark({ ...base, open: false }, undefined)).toBeNull();
    expect(seenToMark({ ...base, visible: false }, undefined)).toBeNull();
    expect(seenToMark({ ...base, newest: undefined }, undefined)).toBeNull();
  });

  it("marks only what is newer than the last mark, comparing ids as numbers", () => {
    expect(seenToMark(base, "12")).toBeNull();
    expect(seenToMark(base, "13")).toBeNull();
    expect(seenToMark(base, "11")).toBe("12");
    expect(seenToMark({ ...base, newest: "10" }, "9")).toBe("10");
    expect(seenToMark({ ...base, newest: "9" }, "10")).toBeNull();
  });
});

/** A marker over a state the test moves, and a post whose calls the test settles one by one. */
const harness = (retryable?: (error: unknown) => boolean) => {
  let state: SeenState = { ...base, newest: undefined };
  const calls: Array<{ conversationId: string; through: string; resolve: () => void; reject: (error: unknown) => void }> = [];
  const marker = createSeenMarker({
    state: () => state,
    post: (conversationId, through) =>
      new Promise<void>((resolve, reject) => {
        calls.push({ conversationId, through, resolve, reject });
      }),
    ...(retryable ? { retryable } : {}),
  });
  const set = (change: Partial<SeenState>) => {
    state = { ...state, ...change };
  };
  /** Settles the last call and lets its handlers run. */
  const settle = async (ok: boolean, error: unknown = new Error("offline")) => {
    const call = calls[calls.length - 1]!;
    if (ok) call.resolve();
    else call.reject(error);
    await vi.advanceTimersByTimeAsync(0);
  };
  const sent = () => calls.map((c) => `${c.conversationId}:${c.through}`);
  return { marker, set, settle, sent };
};

describe("createSeenMarker", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("sends one request for a burst, with the newest id shown when the timer fires", async () => {
    const { marker, set, sent } = harness();
    for (const id of ["5", "6", "7", "8", "9", "10"]) {
      set({ newest: id });
      marker.check();
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(sent()).toEqual([]);
    await vi.advanceTimersByTimeAsync(SEEN_DELAY_MS);
    expect(sent()).toEqual(["conv_1:10"]);
  });

  it("sends nothing while the panel is closed or the page hidden, and marks when either comes back", async () => {
    const { marker, set, sent } = harness();
    set({ newest: "4", open: false });
    marker.check();
    set({ open: true, visible: false });
    marker.check();
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent()).toEqual([]);
    // The tab comes back into view (visibilitychange).
    set({ visible: true });
    marker.check();
    await vi.advanceTimersByTimeAsync(SEEN_DELAY_MS);
    expect(sent()).toEqual(["conv_1:4"]);
  });

  it("sends nothing when the page is hidden before the timer fires: the message was never in view", async () => {
    const { marker, set, sent } = harness();
    set({ newest: "4" });
    marker.check();
    await vi.advanceTimersByTimeAsync(SEEN_DELAY_MS / 2);
    set({ visible: false });
    await vi.advanceTimersByTimeAsync(SEEN_DELAY_MS);
    expect(sent()).toEqual([]);
  });

  it("sends nothing before there is a conversation", async () => {
    const { marker, set, sent } = harness();
    set({ conversationId: null, newest: "3" });
    marker.check();
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent()).toEqual([]);
  });

  it("keeps one request in flight; what arrived meanwhile goes in one request after it", async () => {
    const { marker, set, settle, sent } = harness();
    set({ newest: "4" });
    marker.check();
    await vi.advanceTimersByTimeAsync(SEEN_DELAY_MS);
    expect(sent()).toEqual(["conv_1:4"]);
    for (const id of ["5", "6"]) {
      set({ newest: id });
      marker.check();
    }
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent()).toEqual(["conv_1:4"]);
    await settle(true);
    await vi.advanceTimersByTimeAsync(SEEN_DELAY_MS);
    expect(sent()).toEqual(["conv_1:4", "conv_1:6"]);
    await settle(true);
    // Nothing newer: the next trigger sends nothing.
    marker.check();
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent()).toEqual(["conv_1:4", "conv_1:6"]);
  });

  it("tries a failed mark again at the next trigger, never by itself", async () => {
    const { marker, set, settle, sent } = harness();
    set({ newest: "4" });
    marker.check();
    await vi.advanceTimersByTimeAsync(SEEN_DELAY_MS);
    // A trigger while it is in flight is not a reason to try again after it failed.
    marker.check();
    await settle(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sent()).toEqual(["conv_1:4"]);
    marker.check();
    await vi.advanceTimersByTimeAsync(SEEN_DELAY_MS);
    expect(sent()).toEqual(["conv_1:4", "conv_1:4"]);
    await settle(true);
    marker.check();
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent()).toHaveLength(2);
  });

  it("does not send an id the server refused for good again, but sends a newer one", async () => {
    const { marker, set, settle, sent } = harness((error) => (error as { status?: number }).status !== 400);
    set({ newest: "4" });
    marker.check();
    await vi.advanceTimersByTimeAsync(SEEN_DELAY_MS);
    await settle(false, { status: 400 });
    marker.check();
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent()).toEqual(["conv_1:4"]);
    set({ newest: "5" });
    marker.check();
    await vi.advanceTimersByTimeAsync(SEEN_DELAY_MS);
    expect(sent()).toEqual(["conv_1:4", "conv_1:5"]);
  });

  it("starts over for another conversation, and after a reset drops the waiting check", async () => {
    const { marker, set, settle, sent } = harness();
    set({ newest: "4" });
    marker.check();
    await vi.advanceTimersByTimeAsync(SEEN_DELAY_MS);
    await settle(true);
    set({ conversationId: "conv_2" });
    marker.check();
    await vi.advanceTimersByTimeAsync(SEEN_DELAY_MS);
    expect(sent()).toEqual(["conv_1:4", "conv_2:4"]);
    await settle(true);

    set({ newest: "7" });
    marker.check();
    marker.reset();
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent()).toHaveLength(2);
    // What was marked is forgotten too: the same conversation and id are sent again.
    set({ newest: "4" });
    marker.check();
    await vi.advanceTimersByTimeAsync(SEEN_DELAY_MS);
    expect(sent()).toEqual(["conv_1:4", "conv_2:4", "conv_2:4"]);
  });
});
