/**
 * The canvas overlay from a flow's report figures: per node its reach and drop-off share, per
 * document edge the visits that took it (matched by source node, exit and target, so an edge
 * redrawn to another step since starts again at zero). Pure; safe on the client.
 */
import type { FlowDocument } from "../../../flows/flow-document.js";
import type { FlowAnalytics } from "../flow-editor/index.js";

/** What /reports/bots/:flowId/overlay answers (runtime's FlowOverlay, as JSON). */
export interface OverlayFigures {
  readonly nodes: Readonly<Record<string, { readonly reached: number; readonly dropOff: number }>>;
  readonly edges: ReadonlyArray<{ readonly from: string; readonly port: string; readonly to: string; readonly count: number }>;
  readonly started: number;
}

/** The editor's `analytics` prop for `document`. Pure. */
export const toFlowAnalytics = (figures: OverlayFigures, document: Pick<FlowDocument, "nodes" | "edges">): FlowAnalytics => {
  const traffic = new Map(figures.edges.map((e) => [JSON.stringify([e.from, e.port, e.to]), e.count]));
  const nodes: Record<string, { reached: number; dropOff: number }> = {};
  for (const node of document.nodes) nodes[node.id] = figures.nodes[node.id] ?? { reached: 0, dropOff: 0 };
  const edges: Record<string, number> = {};
  for (const edge of document.edges) edges[edge.id] = traffic.get(JSON.stringify([edge.source, edge.sourcePort, edge.target])) ?? 0;
  return { nodes, edges };
};
