import { describe, expect, it } from "vitest";
import { decorate, deriveEdges, deriveNodes, initialViewport, MIN_READABLE_ZOOM, newDeriveCache, type DeriveInput } from "./derive.js";
import { editorReducer, initialEditorState } from "./editor-state.js";
import { generateDocument } from "./generate.js";
import { autoLayout } from "./auto-layout.js";

const none = new Set<string>();
const inputFor = (document: DeriveInput["document"], extra: Partial<DeriveInput> = {}): DeriveInput => ({
  document,
  selectedNodes: none,
  selectedEdges: none,
  decorations: new Map(),
  analytics: null,
  highlightNodeId: null,
  drag: null,
  measured: new Map(),
  ...extra,
});

describe("deriveNodes", () => {
  it("reuses every node object except the one that moved", () => {
    const cache = newDeriveCache();
    const state = initialEditorState(generateDocument(30));
    const first = deriveNodes(inputFor(state.document), cache);
    const moved = editorReducer(state, { type: "moveNodes", positions: { message_1: { x: 999, y: 5 } }, final: true });
    const second = deriveNodes(inputFor(moved.document), cache);
    const changed = second.filter((node, i) => node !== first[i]).map((n) => n.id);
    expect(changed).toEqual(["message_1"]);
    expect(second[0]!.position).toEqual({ x: 999, y: 5 });
  });

  it("re-creates only the nodes whose selection, badge or highlight changed", () => {
    const cache = newDeriveCache();
    const doc = generateDocument(10);
    const first = deriveNodes(inputFor(doc), cache);
    const second = deriveNodes(
      inputFor(doc, {
        selectedNodes: new Set(["question_2"]),
        highlightNodeId: "branch_3",
        decorations: decorate([{ severity: "warning", code: "x", message: "Careful", nodeId: "set_4" }]),
        drag: new Map([["message_1", { x: 1, y: 2 }]]),
      }),
      cache,
    );
    expect(second.filter((n, i) => n !== first[i]).map((n) => n.id)).toEqual(["message_1", "question_2", "branch_3", "set_4"]);
    expect(second[3]!.data).toMatchObject({ warnings: 1, problem: "Careful" });
  });

  it("names nodes for assistive technology and sizes them before measuring", () => {
    const [node] = deriveNodes(inputFor(generateDocument(1)), newDeriveCache());
    expect(node!.ariaLabel).toBe("End node End 1");
    expect(node!.initialWidth).toBe(260);
    expect(node!.initialHeight).toBeGreaterThan(60);
  });
});

describe("deriveEdges", () => {
  it("leaves out edges from ports a node no longer has", () => {
    const doc = generateDocument(5);
    const broken = { ...doc, edges: [...doc.edges, { id: "x", source: "message_1", sourcePort: "gone", target: "end_5" }] };
    const edges = deriveEdges(inputFor(broken), newDeriveCache());
    expect(edges.map((e) => e.id)).toEqual(doc.edges.map((e) => e.id));
    expect(edges[0]).toMatchObject({ sourceHandle: "next", targetHandle: "in" });
  });

  it("labels edges with the reports overlay's counts", () => {
    const doc = generateDocument(3);
    const edges = deriveEdges(inputFor(doc, { analytics: { nodes: {}, edges: { [doc.edges[0]!.id]: 1234 } } }), newDeriveCache());
    expect(edges[0]!.label).toBe("1,234");
  });

  it("sizes edges by their traffic relative to the busiest edge", () => {
    const doc = generateDocument(4);
    const [a, b] = doc.edges;
    const edges = deriveEdges(inputFor(doc, { analytics: { nodes: {}, edges: { [a!.id]: 100, [b!.id]: 25 } } }), newDeriveCache());
    const width = (id: string) => edges.find((e) => e.id === id)!.style?.strokeWidth;
    expect(width(a!.id)).toBe(8);
    expect(width(b!.id)).toBeCloseTo(3.1, 5);
    expect(edges.find((e) => e.id === doc.edges[2]!.id)!.style).toBeUndefined();
  });
});

describe("decorate", () => {
  it("counts problems per node and keeps the first error's message", () => {
    const d = decorate([
      { severity: "warning", code: "w", message: "W", nodeId: "a" },
      { severity: "error", code: "e", message: "E1", nodeId: "a" },
      { severity: "error", code: "e", message: "E2", nodeId: "a" },
      { severity: "error", code: "e", message: "flow-wide" },
    ]);
    expect(d.get("a")).toEqual({ errors: 2, warnings: 1, problem: "E1" });
    expect(d.size).toBe(1);
  });
});

describe("initialViewport", () => {
  it("fits a small flow, and starts a big one at its start node at a readable zoom", () => {
    const small = autoLayout(generateDocument(4));
    expect(initialViewport(small, { width: 900, height: 800 }).zoom).toBeGreaterThanOrEqual(MIN_READABLE_ZOOM);
    const big = autoLayout(generateDocument(120));
    const view = initialViewport(big, { width: 900, height: 800 });
    expect(view.zoom).toBe(0.8);
    const start = big.nodes.find((n) => n.id === big.startNodeId)!;
    expect(start.position.y * view.zoom + view.y).toBe(48);
  });
});
