import { describe, expect, it } from "vitest";
import { autoLayout } from "./auto-layout.js";
import { generateDocument } from "./generate.js";
import { layoutPositions } from "./layout-client.js";

describe("layoutPositions", () => {
  // Node has no Web Worker: this is the fallback that loads the layout module on the main thread.
  it("answers every node's auto-layout position where no worker can start", async () => {
    const generated = generateDocument(40);
    const scattered = { ...generated, nodes: generated.nodes.map((n, i) => ({ ...n, position: { x: (i * 37) % 500, y: 0 } })) };
    const positions = await layoutPositions(scattered, {});
    expect(Object.keys(positions).sort()).toEqual(scattered.nodes.map((n) => n.id).sort());
    const expected = autoLayout(scattered);
    for (const node of expected.nodes) expect(positions[node.id], node.id).toEqual(node.position);
  });

  it("lays out with the measured sizes it is given", async () => {
    const doc = generateDocument(6);
    const small = await layoutPositions(doc, {});
    const big = await layoutPositions(doc, Object.fromEntries(doc.nodes.map((n) => [n.id, { width: 600, height: 500 }])));
    const lowest = (p: typeof small) => Math.max(...Object.values(p).map((q) => q.y));
    expect(lowest(big)).toBeGreaterThan(lowest(small));
  });
});
