import { describe, expect, it } from "vitest";
import { compile } from "../../../flows/compile.js";
import type { FlowDocument } from "../../../flows/flow-document.js";
import { autoLayout, estimateNodeSize, NODE_WIDTH, type NodeSizes } from "./auto-layout.js";
import { generateDocument, GENERATED_CONTEXT } from "./generate.js";

const overlaps = (doc: FlowDocument, sizes: NodeSizes = {}) => {
  const boxes = doc.nodes.map((n) => ({ id: n.id, ...n.position, ...(sizes[n.id] ?? estimateNodeSize(n)) }));
  const found: string[] = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i]!;
      const b = boxes[j]!;
      if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height) found.push(`${a.id}×${b.id}`);
    }
  }
  return found;
};

describe("autoLayout", () => {
  it("leaves no two cards overlapping on a 300-node flow, and reads top to bottom", () => {
    const generated = generateDocument(300);
    const doc = { ...generated, nodes: generated.nodes.map((n) => ({ ...n, position: { x: 0, y: 0 } })) };
    expect(overlaps(doc).length).toBeGreaterThan(0);
    const laid = autoLayout(doc);
    expect(overlaps(laid)).toEqual([]);
    const y = new Map(laid.nodes.map((n) => [n.id, n.position.y]));
    for (const edge of laid.edges) expect(y.get(edge.target)!, edge.id).toBeGreaterThan(y.get(edge.source)!);
  });

  it("uses measured sizes when given", () => {
    const doc = generateDocument(20);
    const sizes = Object.fromEntries(doc.nodes.map((n) => [n.id, { width: 400, height: 300 }]));
    const laid = autoLayout(doc, sizes);
    expect(overlaps(laid, sizes)).toEqual([]);
  });

  it("keeps the start node on top even when an edge loops back to it", () => {
    const doc = generateDocument(6);
    const last = doc.nodes.at(-1)!;
    const looped: FlowDocument = {
      ...doc,
      edges: [...doc.edges, { id: "loop", source: "question_2", sourcePort: "invalid", target: doc.startNodeId! }],
    };
    const laid = autoLayout(looped);
    const top = Math.min(...laid.nodes.map((n) => n.position.y));
    expect(laid.nodes.find((n) => n.id === doc.startNodeId)!.position.y).toBe(top);
    expect(last).toBeDefined();
  });

  it("returns the same document when nothing moves", () => {
    const laid = autoLayout(generateDocument(10));
    expect(autoLayout(laid)).toBe(laid);
  });
});

describe("estimateNodeSize", () => {
  it("grows with content and keeps the card width", () => {
    const short = estimateNodeSize({ kind: "message", data: { bubbles: [{ type: "text", text: "Hi" }] } });
    const long = estimateNodeSize({ kind: "message", data: { bubbles: [{ type: "text", text: "Hi ".repeat(60) }, { type: "text", text: "More" }] } });
    expect(short.width).toBe(NODE_WIDTH);
    expect(long.height).toBeGreaterThan(short.height);
  });
});

describe("generateDocument", () => {
  it("makes a flow of exactly n nodes, all reachable, that compiles without errors", () => {
    for (const n of [1, 14, 500]) {
      const doc = generateDocument(n);
      expect(doc.nodes).toHaveLength(n);
      expect(new Set(doc.edges.map((e) => e.target)).size).toBe(n - 1);
      const result = compile(doc, GENERATED_CONTEXT);
      expect(result.diagnostics.filter((d) => d.severity === "error"), `n=${n}`).toEqual([]);
    }
  });
});

describe("estimateNodeSize's memo", () => {
  it("answers the same size for the same node object, and a fresh one for an edited copy", () => {
    const node = { kind: "message" as const, data: { bubbles: [{ type: "text", text: "Hi" }] } };
    const first = estimateNodeSize(node);
    expect(estimateNodeSize(node)).toBe(first);
    const edited = { ...node, data: { bubbles: [{ type: "text", text: "Hi ".repeat(80) }] } };
    expect(estimateNodeSize(edited).height).toBeGreaterThan(first.height);
  });
});
