/**
 * Auto-layout: places a document's nodes top to bottom with dagre, using each node's size
 * (measured on the canvas when known, else estimated from its content) so no cards overlap.
 * The canvas runs it in a Web Worker (layout.worker.ts), so dagre never loads with the page.
 */
import dagre from "@dagrejs/dagre";
import type { FlowDocument } from "../../../flows/flow-document.js";
import { estimateNodeSize, type NodeSize, type NodeSizes } from "./card-size.js";

export { cardWidth, estimateNodeSize, NODE_WIDTH, type NodeSize, type NodeSizes } from "./card-size.js";

const RANK_GAP = 70;
const NODE_GAP = 50;

/**
 * The document with every node moved so the flow reads top to bottom (dagre, ranks follow
 * the edges) and no two cards overlap. Unmeasured nodes use `estimateNodeSize`. Returns the
 * same document when nothing moves. Pure and deterministic.
 */
export const autoLayout = (document: FlowDocument, sizes: NodeSizes = {}): FlowDocument => {
  if (document.nodes.length === 0) return document;
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: NODE_GAP, ranksep: RANK_GAP, edgesep: 20, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  const size = new Map<string, NodeSize>();
  for (const node of document.nodes) {
    const s = sizes[node.id] ?? estimateNodeSize(node);
    size.set(node.id, s);
    g.setNode(node.id, { width: s.width, height: s.height });
  }
  // The start node goes on top: dagre ranks by edges only, so loops back to the start would
  // otherwise pull it down.
  const start = document.startNodeId;
  for (const edge of document.edges) {
    if (!size.has(edge.source) || !size.has(edge.target) || edge.source === edge.target) continue;
    if (edge.target === start) continue;
    g.setEdge(edge.source, edge.target, { weight: 1, minlen: 1 }, edge.id);
  }
  dagre.layout(g);
  let moved = false;
  const nodes = document.nodes.map((node) => {
    const laid = g.node(node.id);
    const s = size.get(node.id)!;
    const x = Math.round(laid.x! - s.width / 2);
    const y = Math.round(laid.y! - s.height / 2);
    if (x === node.position.x && y === node.position.y) return node;
    moved = true;
    return { ...node, position: { x, y } };
  });
  return moved ? { ...document, nodes } : document;
};
