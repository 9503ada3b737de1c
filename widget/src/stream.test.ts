import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { connectStream } from "./stream.js";
import type { Message } from "./types.js";

/** A controllable EventSource: tests open it, push events, and fail it. */
class FakeEventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static instances: FakeEventSource[] = [];
  readyState = FakeEventSource.CONNECTING;
  constructor(readonly url: string) {
    super();
    FakeEventSource.instances.push(this);
  }
  open() {
    this.readyState = FakeEventSource.OPEN;
    this.dispatchEvent(new Event("open"));
  }
  send(type: string, data: unknown) {
    this.dispatchEvent(new MessageEvent(type, { data: JSON.stringify(data) }));
  }
  fail(closed: boolean) {
    this.readyState = closed ? FakeEventSource.CLOSED : FakeEventSource.CONNECTING;
    this.dispatchEvent(new Event("error"));
  }
  close() {
    this.readyState = FakeEventSource.CLOSED;
  }
}

const message = (id: string): Message => ({ id, author: "agent", text: `m${id}`, createdAt: "2025-01-01T00:00:00Z" });

const setup = (fetched: ReadonlyArray<Message> = []) => {
  let lastSeen: string | undefined = "7";
  const received: Array<{ ids: string[]; animate: boolean }> = [];
  const fetchAfter = vi.fn(async (_after: string | undefined) => fetched);
  const typing: boolean[] = [];
  const statuses: string[] = [];
  const handle = connectStream({
    url: "https://parley.test/api/conversations/c1/stream?token=t",
    lastSeenId: () => lastSeen,
    fetchAfter,
    onMessages: (messages, animate) => {
      received.push({ ids: messages.map((m) => m.id), animate });
      lastSeen = messages.at(-1)?.id ?? lastSeen;
    },
    onTyping: (on) => typing.push(on),
    onStatus: (status) => statuses.push(status),
  });
  return { handle, received, fetchAfter, typing, statuses, source: () => FakeEventSource.instances.at(-1)! };
};

beforeEach(() => {
  FakeEventSource.instances = [];
  vi.stubGlobal("EventSource", FakeEventSource);
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("connectStream", () => {
  it("resumes after the last seen id and catches up whenever it opens", async () => {
    const { received, fetchAfter, source, typing, statuses } = setup([message("8")]);
    expect(source().url).toBe("https://parley.test/api/conversations/c1/stream?token=t&lastEventId=7");
    source().open();
    await vi.waitFor(() => expect(received).toEqual([{ ids: ["8"], animate: false }]));
    expect(fetchAfter).toHaveBeenCalledWith("7");
    source().send("message", message("9"));
    source().send("message", { not: "a message" });
    source().send("typing", { author: "agent", typing: true });
    source().send("status", { status: "closed" });
    expect(received.at(-1)).toEqual({ ids: ["9"], animate: true });
    expect(received).toHaveLength(2);
    expect(typing).toEqual([true]);
    expect(statuses).toEqual(["closed"]);
  });

  it("reconnects with a delay when the server closed the stream", async () => {
    const { source, handle } = setup();
    const first = source();
    first.fail(true);
    expect(FakeEventSource.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeEventSource.instances).toHaveLength(2);
    expect(first.readyState).toBe(FakeEventSource.CLOSED);
    expect(handle.mode()).toBe("stream");
  });

  it("falls back to polling every 3 s after three failures without an open", async () => {
    const { source, handle, fetchAfter } = setup([]);
    source().fail(false);
    source().fail(false);
    expect(handle.mode()).toBe("stream");
    source().fail(false);
    expect(handle.mode()).toBe("poll");
    expect(source().readyState).toBe(FakeEventSource.CLOSED);
    const before = fetchAfter.mock.calls.length;
    await vi.advanceTimersByTimeAsync(9000);
    expect(fetchAfter.mock.calls.length - before).toBe(3);
  });

  it("an open in between resets the failure count", () => {
    const { source, handle } = setup();
    source().fail(false);
    source().fail(false);
    source().open();
    source().fail(false);
    source().fail(false);
    expect(handle.mode()).toBe("stream");
  });

  it("stops everything on close", async () => {
    const { source, handle, fetchAfter, received } = setup([message("8")]);
    for (let i = 0; i < 3; i++) source().fail(false);
    handle.close();
    const calls = fetchAfter.mock.calls.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fetchAfter.mock.calls.length).toBe(calls);
    source().send("message", message("10"));
    expect(received.flatMap((r) => r.ids)).not.toContain("10");
  });
});
