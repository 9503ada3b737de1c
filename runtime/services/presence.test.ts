/**
 * Presence on a real SQLite file with the real LiveEvents: who has a conversation open, the
 * heartbeat that keeps someone there and the silence that lets them go, the live events (for
 * the team only, never a visitor's stream), and the access rules of opening the conversation.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Forbidden, NotFound } from "./errors.js";
import { openKit, people, type Kit } from "./inbox-test-kit.js";
import type { LiveEvent } from "./live-events.js";
import { makePresence, PresenceBoard, PRESENCE_TTL_MS } from "./presence.js";

describe("the presence board", () => {
  it("lists who views a conversation, first come first, without the asker", () => {
    const board = new PresenceBoard();
    expect(board.see("c1", "inbox_a", "u1", "Ann", 1000)).toEqual({ conversationId: "c1", inboxId: "inbox_a", userId: "u1", name: "Ann", viewing: true });
    expect(board.see("c1", "inbox_a", "u2", "Bo", 2000)).toMatchObject({ userId: "u2", viewing: true });
    expect(board.see("c2", "inbox_a", "u2", "Bo", 2000)).toMatchObject({ conversationId: "c2" });
    expect(board.viewers("c1", 3000)).toEqual([
      { userId: "u1", name: "Ann", since: 1000 },
      { userId: "u2", name: "Bo", since: 2000 },
    ]);
    expect(board.viewers("c1", 3000, "u1")).toEqual([{ userId: "u2", name: "Bo", since: 2000 }]);
    expect(board.viewers("c3", 3000)).toEqual([]);
  });

  it("keeps a viewer while heartbeats come (no change to announce), and lets them go after a silence", () => {
    const board = new PresenceBoard();
    board.see("c1", "inbox_a", "u1", "Ann", 0);
    expect(board.see("c1", "inbox_a", "u1", "Ann", PRESENCE_TTL_MS - 1)).toBeNull();
    expect(board.sweep(PRESENCE_TTL_MS + 10)).toEqual([]);
    expect(board.viewers("c1", 2 * PRESENCE_TTL_MS - 2)).toHaveLength(1);
    expect(board.sweep(2 * PRESENCE_TTL_MS)).toEqual([{ conversationId: "c1", inboxId: "inbox_a", userId: "u1", name: "Ann", viewing: false }]);
    expect(board.viewers("c1", 2 * PRESENCE_TTL_MS)).toEqual([]);
    // Gone already: closing says nothing new, and coming back is an arrival again (a new `since`).
    expect(board.leave("c1", "u1", 2 * PRESENCE_TTL_MS)).toBeNull();
    expect(board.see("c1", "inbox_a", "u1", "Ann", 3 * PRESENCE_TTL_MS)).toMatchObject({ viewing: true });
    expect(board.viewers("c1", 3 * PRESENCE_TTL_MS)[0]!.since).toBe(3 * PRESENCE_TTL_MS);
  });

  it("counts a viewer quiet past the limit as gone even before the sweep, and lets them arrive again", () => {
    const board = new PresenceBoard();
    board.see("c1", "inbox_a", "u1", "Ann", 0);
    expect(board.viewers("c1", PRESENCE_TTL_MS)).toEqual([]);
    expect(board.see("c1", "inbox_a", "u1", "Ann", PRESENCE_TTL_MS + 1)).toMatchObject({ viewing: true });
  });

  it("says whether a person views a conversation: after they open it, until they close it or go quiet", () => {
    const board = new PresenceBoard();
    expect(board.isViewing("c1", "u1", 0)).toBe(false);
    board.see("c1", "inbox_a", "u1", "Ann", 0);
    expect(board.isViewing("c1", "u1", 10)).toBe(true);
    expect(board.isViewing("c1", "u2", 10)).toBe(false);
    expect(board.isViewing("c2", "u1", 10)).toBe(false);
    expect(board.isViewing("c1", "u1", PRESENCE_TTL_MS)).toBe(false);
    board.see("c1", "inbox_a", "u1", "Ann", PRESENCE_TTL_MS + 1);
    board.leave("c1", "u1", PRESENCE_TTL_MS + 2);
    expect(board.isViewing("c1", "u1", PRESENCE_TTL_MS + 3)).toBe(false);
  });

  it("announces a departure once, and only of someone who was there", () => {
    const board = new PresenceBoard();
    board.see("c1", "inbox_a", "u1", "Ann", 0);
    expect(board.leave("c1", "u2", 10)).toBeNull();
    expect(board.leave("c1", "u1", 10)).toEqual({ conversationId: "c1", inboxId: "inbox_a", userId: "u1", name: "Ann", viewing: false });
    expect(board.leave("c1", "u1", 20)).toBeNull();
    expect(board.sweep(10 * PRESENCE_TTL_MS)).toEqual([]);
  });
});

describe("the presence service", () => {
  let kit: Kit;
  let now = 1_000_000;
  let presence: ReturnType<typeof makePresence>;
  const team: LiveEvent[] = [];

  beforeAll(async () => {
    kit = await openKit();
    presence = makePresence(kit.db, kit.live, () => now);
    kit.live.subscribeAll((event) => team.push(event));
  });
  afterAll(() => kit.dispose());
  beforeEach(() => {
    team.length = 0;
  });

  it("answers who else has the conversation open, and tells the team of each arrival and departure", async () => {
    const id = kit.conversation();
    const visitorStream: LiveEvent[] = [];
    const stop = kit.live.subscribeConversation(id, (event) => visitorStream.push(event));
    expect(await kit.run(presence.view(id, true, people.alex))).toEqual([]);
    now += 1000;
    expect(await kit.run(presence.view(id, true, people.bo))).toEqual([{ userId: people.alex.id, name: "Alex Agent", since: now - 1000 }]);
    // Alex's heartbeat: Bo is there; nothing new to announce.
    now += 1000;
    expect(await kit.run(presence.view(id, true, people.alex))).toEqual([{ userId: people.bo.id, name: "Bo Berg", since: now - 1000 }]);
    await kit.run(presence.view(id, false, people.bo));
    expect(team.map((e) => [e.kind, e.internal, e.data])).toEqual([
      ["presence", true, { userId: people.alex.id, name: "Alex Agent", viewing: true }],
      ["presence", true, { userId: people.bo.id, name: "Bo Berg", viewing: true }],
      ["presence", true, { userId: people.bo.id, name: "Bo Berg", viewing: false }],
    ]);
    expect(team.every((e) => e.conversationId === id && e.inboxId === "inbox_support")).toBe(true);
    // The visitor's stream (no internal events) hears none of it.
    expect(visitorStream).toEqual([]);
    stop();
  });

  it("lets go of a viewer whose page went quiet, and says so", async () => {
    const id = kit.conversation();
    await kit.run(presence.view(id, true, people.alex));
    now += PRESENCE_TTL_MS + 1;
    team.length = 0;
    presence.sweep();
    // Alex's open thread of the first case went quiet too: each departure is told for its own conversation.
    expect(team.filter((e) => e.conversationId === id)).toEqual([
      expect.objectContaining({ kind: "presence", data: { userId: people.alex.id, name: "Alex Agent", viewing: false } }),
    ]);
    expect(await kit.run(presence.view(id, true, people.bo))).toEqual([]);
  });

  it("refuses a conversation the person may not open, and an unknown one, and records nothing", async () => {
    const sales = kit.conversation({ inboxId: "inbox_sales" });
    const forbidden = (await kit.fail(presence.view(sales, true, people.alex))) as Forbidden;
    expect(forbidden._tag).toBe("Forbidden");
    const missing = (await kit.fail(presence.view("conv_nope", true, people.alex))) as NotFound;
    expect(missing._tag).toBe("NotFound");
    expect((await kit.fail(presence.view(sales, true, people.ana)))._tag).toBe("Forbidden");
    expect(team).toEqual([]);
    expect(await kit.run(presence.view(sales, true, people.sam))).toEqual([]);
  });
});
