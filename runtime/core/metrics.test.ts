import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { botSessions, nodeMetrics, nodeTallies, percentile, summarize, teamTimeline, type EventRow } from "./metrics.js";

let nextId = 0;
const event = (type: string, fields: Partial<EventRow> = {}): EventRow => ({
  id: ++nextId,
  type,
  at: 0,
  conversation_id: "c1",
  chatflow_id: "f",
  chatflow_version_id: "v",
  node_id: null,
  port: null,
  from_node_id: null,
  user_id: null,
  inbox_id: "i",
  channel_id: "ch",
  team_id: null,
  is_preview: 0,
  data: null,
  ...fields,
});

describe("percentile", () => {
  it("interpolates between closest ranks like PERCENTILE.INC", () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([7], 0.9)).toBe(7);
    expect(percentile([1, 2, 3, 10], 0.5)).toBe(2.5);
    expect(percentile([10, 1, 3, 2], 0.9)).toBeCloseTo(7.9, 12);
    expect(percentile([1, 2, 3, 4, 5], 0)).toBe(1);
    expect(percentile([1, 2, 3, 4, 5], 1)).toBe(5);
  });

  it("stays between the smallest and largest value and grows with p", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1e9 }), { minLength: 1, maxLength: 50 }), fc.double({ min: 0, max: 1, noNaN: true }), (values, p) => {
        const v = percentile(values, p)!;
        expect(v).toBeGreaterThanOrEqual(Math.min(...values));
        expect(v).toBeLessThanOrEqual(Math.max(...values));
        expect(percentile(values, Math.min(1, p + 0.1))!).toBeGreaterThanOrEqual(v);
      }),
    );
  });

  it("summarises by selection exactly as percentile does by sorting, duplicates and odd orders included", () => {
    const values = fc.oneof(
      fc.array(fc.integer({ min: 0, max: 1e9 }), { minLength: 1, maxLength: 300 }),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 300 }),
      fc.integer({ min: 1, max: 400 }).map((n) => Array.from({ length: n }, (_, i) => i)),
      fc.integer({ min: 1, max: 400 }).map((n) => Array.from({ length: n }, (_, i) => n - i)),
      // Organ pipe: a shape that defeats median-of-three pivots.
      fc.integer({ min: 1, max: 400 }).map((n) => Array.from({ length: n }, (_, i) => Math.min(i, n - i))),
    );
    fc.assert(
      fc.property(values, (v) => {
        const s = summarize(v);
        expect(s.count).toBe(v.length);
        expect(s.median).toBe(percentile(v, 0.5));
        expect(s.p90).toBe(percentile(v, 0.9));
      }),
      { numRuns: 400 },
    );
  });

  it("summarises with median, p90 and mean, never the mean alone", () => {
    expect(summarize([60_000, 120_000, 600_000])).toEqual({ count: 3, median: 120_000, p90: 504_000, mean: 260_000 });
    expect(summarize([])).toEqual({ count: 0, median: null, p90: null, mean: null });
  });
});

describe("bot sessions", () => {
  it("counts a completion after a pause longer than the session timeout as abandoned", () => {
    const log = [
      event("flow_started", { at: 0 }),
      event("message_created", { at: 60_000, data: JSON.stringify({ author: "visitor" }) }),
      event("message_created", { at: 60_000 + 11 * 60_000, data: JSON.stringify({ author: "visitor" }) }),
      event("completed", { at: 60_000 + 11 * 60_000, node_id: "end" }),
    ];
    expect(botSessions(log, () => 10 * 60_000).get("c1")!.outcome).toBe("abandoned");
    expect(botSessions(log, () => 12 * 60_000).get("c1")!.outcome).toBe("completed");
  });

  it("tells abandoned from no reply, and an error followed by more flow from an errored end", () => {
    const silent = [event("flow_started", { conversation_id: "s" }), event("abandoned", { conversation_id: "s", at: 3_600_000 })];
    expect(botSessions(silent, () => 60_000).get("s")!.outcome).toBe("no_reply");
    const recovered = [
      event("flow_started", { conversation_id: "r" }),
      event("flow_error", { conversation_id: "r", node_id: "meeting" }),
      event("node_entered", { conversation_id: "r", node_id: "next", from_node_id: "meeting", port: "next" }),
    ];
    expect(botSessions(recovered, () => 60_000).get("r")!.outcome).toBe("in_progress");
    const broken = [event("flow_started", { conversation_id: "b" }), event("flow_error", { conversation_id: "b", node_id: "x" })];
    expect(botSessions(broken, () => 60_000).get("b")!.outcome).toBe("errored");
  });

  it("ignores previews", () => {
    const log = [event("flow_started", { conversation_id: "p", is_preview: 1 })];
    expect(botSessions(log, () => 60_000).size).toBe(0);
  });
});

describe("team timeline", () => {
  it("starts the first response at the later of handoff, opening and creation, never in bot time", () => {
    const log = [
      event("conversation_created", { at: 0 }),
      event("flow_started", { at: 0 }),
      event("message_created", { at: 5 * 60_000, data: JSON.stringify({ author: "visitor" }) }),
      event("handoff", { at: 5 * 60_000, team_id: "t" }),
      event("status_changed", { at: 5 * 60_000, data: JSON.stringify({ from: "bot", to: "open" }) }),
      event("message_created", { at: 6 * 60_000, user_id: "u", data: JSON.stringify({ author: "agent", internal: true }) }),
      event("message_created", { at: 8 * 60_000, user_id: "u", data: JSON.stringify({ author: "agent", internal: false }) }),
      event("status_changed", { at: 20 * 60_000, data: JSON.stringify({ from: "open", to: "closed" }) }),
    ];
    const { conversations, replies } = teamTimeline(log);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ userId: "u", waitMs: 3 * 60_000, isFirst: true, firstResponseMs: 3 * 60_000, teamId: "t" });
    expect(conversations.get("c1")).toMatchObject({ timeToCloseMs: 20 * 60_000, closedAt: 20 * 60_000, phase: "closed" });
  });

  it("never counts the time a conversation was pending as the team's wait", () => {
    const visitor = JSON.stringify({ author: "visitor" });
    const agent = JSON.stringify({ author: "agent" });
    const log = [
      event("conversation_created", { at: 0 }),
      event("message_created", { at: 0, data: visitor }),
      event("message_created", { at: 60_000, user_id: "u", data: agent }),
      // The visitor writes; the agent marks it pending without a reply (waiting for a screenshot).
      event("message_created", { at: 120_000, data: visitor }),
      event("status_changed", { at: 180_000, user_id: "u", data: JSON.stringify({ from: "open", to: "pending" }) }),
      // An hour later the visitor writes: the engine opens it again.
      event("message_created", { at: 3_780_000, data: visitor }),
      event("status_changed", { at: 3_780_000, data: JSON.stringify({ from: "pending", to: "open" }) }),
      event("message_created", { at: 3_840_000, user_id: "u", data: agent }),
      // Pending again, then an agent's own "Mark open" and a reply: nobody waited.
      event("status_changed", { at: 3_900_000, user_id: "u", data: JSON.stringify({ from: "open", to: "pending" }) }),
      event("status_changed", { at: 4_000_000, user_id: "u", data: JSON.stringify({ from: "pending", to: "open" }) }),
      event("message_created", { at: 4_100_000, user_id: "u", data: agent }),
    ];
    const { conversations, replies } = teamTimeline(log);
    expect(replies.map((r) => r.waitMs)).toEqual([60_000, 60_000, null]);
    expect(conversations.get("c1")).toMatchObject({ waitingSince: null, phase: "team", closedAt: null });
  });

  it("starts the first response after a pending period at the visitor's message that ended it", () => {
    const log = [
      event("conversation_created", { at: 0 }),
      event("message_created", { at: 0, data: JSON.stringify({ author: "visitor" }) }),
      event("status_changed", { at: 60_000, user_id: "u", data: JSON.stringify({ from: "open", to: "pending" }) }),
      event("message_created", { at: 600_000, data: JSON.stringify({ author: "visitor" }) }),
      event("status_changed", { at: 600_000, data: JSON.stringify({ from: "pending", to: "open" }) }),
      event("message_created", { at: 660_000, user_id: "u", data: JSON.stringify({ author: "agent" }) }),
    ];
    const { replies } = teamTimeline(log);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ isFirst: true, firstResponseMs: 60_000, waitMs: 60_000 });
  });

  it("has no first response for an agent who took a running bot over", () => {
    const log = [
      event("conversation_created", { at: 0 }),
      event("flow_started", { at: 0 }),
      event("message_created", { at: 60_000, user_id: "u", data: JSON.stringify({ author: "agent" }) }),
      event("agent_took_over", { at: 60_000, user_id: "u" }),
      event("status_changed", { at: 60_000, data: JSON.stringify({ from: "bot", to: "open" }) }),
      event("message_created", { at: 120_000, data: JSON.stringify({ author: "visitor" }) }),
      event("message_created", { at: 300_000, user_id: "u", data: JSON.stringify({ author: "agent" }) }),
    ];
    const { replies } = teamTimeline(log);
    expect(replies.map((r) => [r.isFirst, r.firstResponseMs, r.waitMs])).toEqual([
      [true, null, null],
      [false, null, 180_000],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Node tallies over random flows walked by random conversations

interface Walk {
  readonly path: ReadonlyArray<{ readonly node: number; readonly port: string }>;
  readonly end: "completed" | "handed_off" | "stopped";
}

const graphArb = fc.integer({ min: 2, max: 8 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    // Each node has up to 3 ports, each leading to any node (loops allowed).
    ports: fc.array(fc.array(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: 3 }), { minLength: n, maxLength: n }),
  }),
);

const walksArb = (graph: { n: number; ports: number[][] }) =>
  fc.array(
    fc.record({
      choices: fc.array(fc.nat(), { maxLength: 12 }),
      end: fc.constantFrom<Walk["end"]>("completed", "handed_off", "stopped"),
    }),
    { minLength: 1, maxLength: 15 },
  ).map((walks) =>
    walks.map(({ choices, end }) => {
      const path: Array<{ node: number; port: string }> = [];
      let node = 0;
      for (const choice of choices) {
        const port = choice % graph.ports[node]!.length;
        path.push({ node, port: `p${port}` });
        node = graph.ports[node]![port]!;
      }
      path.push({ node, port: "" });
      return { path, end } satisfies Walk;
    }),
  );

const logOf = (walks: ReadonlyArray<Walk>): EventRow[] => {
  const log: EventRow[] = [];
  walks.forEach((walk, c) => {
    const conversation_id = `w${c}`;
    log.push(event("flow_started", { conversation_id }));
    walk.path.forEach((step, i) => {
      const prev = i > 0 ? walk.path[i - 1]! : undefined;
      log.push(
        event("node_entered", {
          conversation_id,
          node_id: `n${step.node}`,
          from_node_id: prev ? `n${prev.node}` : null,
          port: prev ? prev.port : null,
        }),
      );
      if (i < walk.path.length - 1) log.push(event("answered", { conversation_id, node_id: `n${step.node}`, port: step.port }));
    });
    const last = walk.path[walk.path.length - 1]!;
    if (walk.end !== "stopped") log.push(event(walk.end, { conversation_id, node_id: `n${last.node}` }));
  });
  return log;
};

describe("node tallies", () => {
  it("are consistent with the edges for any walk through any flow", () => {
    fc.assert(
      fc.property(graphArb.chain((g) => walksArb(g)), (walks) => {
        const log = logOf(walks);
        const t = nodeTallies(log);
        for (const node of nodeMetrics(t.nodes)) {
          const incoming = t.edges.filter((e) => e.to === node.nodeId).reduce((a, e) => a + e.count, 0);
          const outgoing = t.edges.filter((e) => e.from === node.nodeId).reduce((a, e) => a + e.count, 0);
          const endedHere = log.filter((e) => (e.type === "completed" || e.type === "handed_off") && e.node_id === node.nodeId).length;
          expect(node.reached).toBe(incoming + (t.starts[node.nodeId] ?? 0));
          expect(node.movedOn).toBe(outgoing + endedHere);
          expect(node.dropped).toBe(node.reached - node.movedOn);
          expect(node.dropOff).toBeGreaterThanOrEqual(0);
          expect(node.dropOff).toBeLessThanOrEqual(1);
        }
        // Every conversation that stopped mid-flow is dropped at exactly one node.
        const dropped = nodeMetrics(t.nodes).reduce((a, n) => a + n.dropped, 0);
        expect(dropped).toBe(walks.filter((w) => w.end === "stopped").length);
      }),
      { numRuns: 200 },
    );
  });

  it("never give a negative drop-off, whatever the log holds", () => {
    const row = fc.record({
      type: fc.constantFrom("node_entered", "completed", "handed_off", "answered", "invalid_answer", "abandoned"),
      conversation_id: fc.constantFrom("a", "b", "c"),
      node_id: fc.constantFrom("x", "y", "z", "", null),
      from_node_id: fc.constantFrom("x", "y", "z", "", null),
      port: fc.constantFrom("next", null),
      is_preview: fc.constantFrom(0, 0, 0, 1),
    });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 60 }), (rows) => {
        const log = rows.map((r) => event(r.type, r));
        const t = nodeTallies(log);
        for (const node of nodeMetrics(t.nodes)) {
          const incoming = t.edges.filter((e) => e.to === node.nodeId).reduce((a, e) => a + e.count, 0);
          expect(node.reached).toBe(incoming + (t.starts[node.nodeId] ?? 0));
          expect(node.movedOn).toBeLessThanOrEqual(node.reached);
          expect(node.dropOff).toBeGreaterThanOrEqual(0);
          expect(node.dropOff).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 300 },
    );
  });
});
