import { Effect } from "effect";
import { describe, expect, it } from "vitest";
import { makeLiveEvents, type LiveEvent } from "./live-events.js";

const message = (conversationId: string, internal = false): LiveEvent => ({
  conversationId,
  inboxId: "inbox_1",
  kind: "message",
  id: "1",
  internal,
  data: { text: "hi" },
});

describe("LiveEvents", () => {
  it("delivers a conversation's events to its listeners and to subscribeAll, not to others", () => {
    const hub = makeLiveEvents();
    const a: LiveEvent[] = [];
    const b: LiveEvent[] = [];
    const all: LiveEvent[] = [];
    hub.subscribeConversation("c1", (e) => a.push(e));
    hub.subscribeConversation("c2", (e) => b.push(e));
    hub.subscribeAll((e) => all.push(e));
    Effect.runSync(hub.publish(message("c1")));
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(0);
    expect(all).toHaveLength(1);
  });

  it("keeps internal comments away from conversation listeners unless they ask for them", () => {
    const hub = makeLiveEvents();
    const visitor: LiveEvent[] = [];
    const agent: LiveEvent[] = [];
    hub.subscribeConversation("c1", (e) => visitor.push(e));
    hub.subscribeConversation("c1", (e) => agent.push(e), { includeInternal: true });
    Effect.runSync(hub.publish(message("c1", true)));
    expect(visitor).toHaveLength(0);
    expect(agent).toHaveLength(1);
  });

  it("unsubscribes, and a throwing listener does not stop the others", () => {
    const hub = makeLiveEvents();
    const seen: LiveEvent[] = [];
    const errors = console.error;
    console.error = () => {};
    try {
      hub.subscribeConversation("c1", () => {
        throw new Error("broken stream");
      });
      const off = hub.subscribeConversation("c1", (e) => seen.push(e));
      Effect.runSync(hub.publish(message("c1")));
      expect(seen).toHaveLength(1);
      off();
      Effect.runSync(hub.publish(message("c1")));
      expect(seen).toHaveLength(1);
      expect(hub.listenerCount()).toBe(1);
    } finally {
      console.error = errors;
    }
  });
});
