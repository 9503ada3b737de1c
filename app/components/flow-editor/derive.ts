/**
 * React Flow's nodes and edges, derived from the FlowDocument plus what the canvas shows
 * around it (selection, diagnostics badges, the preview's node, the reports overlay, a drag in
 * progress). Each derived object is reused from the previous derivation while nothing it shows
 * changed, so React Flow — and the memoized cards — skip every unchanged node.
 */
import { MarkerType, Position, type Edge, type NodeHandle } from "@xyflow/react";
import type { Diagnostic } from "../../../flows/diagnostics.js";
import type { DocumentNode, FlowDocument } from "../../../flows/flow-document.js";
import { portsOf } from "../../../flows/ports.js";
import { estimateNodeSize, NODE_WIDTH, type NodeSize } from "./card-size.js";
import type { NoteBox, XYPosition } from "./editor-state.js";
import { nodeRegistry } from "./node-registry.js";
import { INPUT_HANDLE, type CanvasNode, type CanvasNodeData } from "./nodes/canvas-node.js";
import { NOTE_TYPE, noteAriaLabel, type NoteNode } from "./nodes/note-node.js";

/** Reports overlay: per node, conversations that reached it and the share (0–1) that left there; per edge id, conversations that took it. */
export interface FlowAnalytics {
  readonly nodes: Readonly<Record<string, { readonly reached: number; readonly dropOff: number }>>;
  readonly edges: Readonly<Record<string, number>>;
}

export interface NodeDecoration {
  readonly errors: number;
  readonly warnings: number;
  /** The first error's message, else the first warning's. */
  readonly problem: string | undefined;
}

/** Diagnostics counted per node, for the cards' badges. Pure. */
export const decorate = (diagnostics: ReadonlyArray<Diagnostic>): ReadonlyMap<string, NodeDecoration> => {
  const out = new Map<string, { errors: number; warnings: number; problem: string | undefined }>();
  for (const d of diagnostics) {
    if (d.nodeId === undefined) continue;
    const entry = out.get(d.nodeId) ?? { errors: 0, warnings: 0, problem: undefined };
    if (d.severity === "error") {
      if (entry.errors === 0) entry.problem = d.message;
      entry.errors++;
    } else {
      if (entry.errors === 0 && entry.warnings === 0) entry.problem = d.message;
      entry.warnings++;
    }
    out.set(d.nodeId, entry);
  }
  return out;
};

export interface DeriveInput {
  readonly document: FlowDocument;
  readonly selectedNodes: ReadonlySet<string>;
  readonly selectedEdges: ReadonlySet<string>;
  readonly decorations: ReadonlyMap<string, NodeDecoration>;
  readonly analytics: FlowAnalytics | null;
  readonly highlightNodeId: string | null;
  /** Positions of nodes being dragged, ahead of the document. */
  readonly drag: ReadonlyMap<string, XYPosition> | null;
  /** Sizes React Flow measured, given back on re-created nodes so they are not re-measured. */
  readonly measured: ReadonlyMap<string, NodeSize>;
  /** Boxes of notes being resized, ahead of the document. */
  readonly resize?: ReadonlyMap<string, NoteBox> | null;
}

/** The previous derivation's objects by id; each derivation replaces the contents. */
export interface DeriveCache {
  nodes: Map<string, CanvasNode>;
  edges: Map<string, Edge>;
  notes: Map<string, NoteNode>;
}

/** An empty cache. */
export const newDeriveCache = (): DeriveCache => ({ nodes: new Map(), edges: new Map(), notes: new Map() });

const sameData = (a: CanvasNodeData, b: CanvasNodeData) =>
  a.node === b.node &&
  a.isStart === b.isStart &&
  a.errors === b.errors &&
  a.warnings === b.warnings &&
  a.problem === b.problem &&
  a.highlighted === b.highlighted &&
  a.reached === b.reached &&
  a.dropOff === b.dropOff;

/** A node's accessible name on the canvas: "Question node Ask email". */
export const nodeAriaLabel = (node: DocumentNode): string => `${nodeRegistry[node.kind].title} node ${node.label ?? node.id}`;

const HANDLE = 11;

/**
 * Where a card's handles will be (editor.css: handles centred on the card's top and bottom
 * edges, one per equal-width exit cell), so edges can be drawn in the same commit as the
 * cards instead of after React Flow has measured every handle. Pure.
 */
export const estimateHandles = (node: DocumentNode, size: NodeSize): NodeHandle[] => {
  const half = HANDLE / 2;
  const handles: NodeHandle[] = [
    { id: INPUT_HANDLE, type: "target", position: Position.Top, x: size.width / 2 - half, y: 1 - half, width: HANDLE, height: HANDLE },
  ];
  const ports = portsOf(node);
  const cell = (size.width - 2) / Math.max(1, ports.length);
  ports.forEach((port, i) => {
    // Cells after the first start with a 1 px divider.
    const centre = i === 0 ? 1 + cell / 2 : 1 + i * cell + 1 + (cell - 1) / 2;
    handles.push({ id: port.name, type: "source", position: Position.Bottom, x: centre - half, y: size.height - 1 - half, width: HANDLE, height: HANDLE });
  });
  return handles;
};

/** React Flow nodes for the document, reusing `cache` objects that show the same thing. */
export const deriveNodes = (input: DeriveInput, cache: DeriveCache): CanvasNode[] => {
  const previous = cache.nodes;
  const next = new Map<string, CanvasNode>();
  const out = input.document.nodes.map((node) => {
    const decoration = input.decorations.get(node.id);
    const stats = input.analytics?.nodes[node.id];
    const data: CanvasNodeData = {
      node,
      isStart: input.document.startNodeId === node.id,
      errors: decoration?.errors ?? 0,
      warnings: decoration?.warnings ?? 0,
      problem: decoration?.problem,
      highlighted: input.highlightNodeId === node.id,
      reached: stats?.reached,
      dropOff: stats?.dropOff,
    };
    const position = input.drag?.get(node.id) ?? node.position;
    const selected = input.selectedNodes.has(node.id);
    const cached = previous.get(node.id);
    let rf: CanvasNode;
    if (cached && cached.selected === selected && cached.position.x === position.x && cached.position.y === position.y && sameData(cached.data, data)) {
      rf = cached;
    } else {
      const measured = input.measured.get(node.id);
      // The estimate lets React Flow show (and the server render) a card before measuring it.
      const estimate = cached?.data.node === node ? { width: cached.initialWidth!, height: cached.initialHeight! } : estimateNodeSize(node);
      rf = {
        id: node.id,
        type: node.kind,
        position,
        data: cached && sameData(cached.data, data) ? cached.data : data,
        selected,
        ariaLabel: nodeAriaLabel(node),
        initialWidth: estimate.width,
        initialHeight: estimate.height,
        // Once measured, React Flow keeps its measured handles for a re-created node object;
        // until then, estimated ones let edges appear with the cards.
        ...(measured ? { measured } : { handles: estimateHandles(node, estimate) }),
      };
    }
    next.set(node.id, rf);
    return rf;
  });
  cache.nodes = next;
  return out;
};

/**
 * React Flow nodes for the document's canvas notes, reusing `cache` objects that show the same
 * thing. Notes come before the steps, so cards are drawn above a note they overlap. Pure
 * apart from the cache.
 */
export const deriveNotes = (input: DeriveInput, cache: DeriveCache): NoteNode[] => {
  const notes = input.document.notes ?? [];
  if (notes.length === 0 && cache.notes.size === 0) return [];
  const previous = cache.notes;
  const next = new Map<string, NoteNode>();
  const out = notes.map((note) => {
    const box = input.resize?.get(note.id);
    const position = box ?? input.drag?.get(note.id) ?? note.position;
    const width = box?.width ?? note.size.width;
    const height = box?.height ?? note.size.height;
    const selected = input.selectedNodes.has(note.id);
    const cached = previous.get(note.id);
    const rf: NoteNode =
      cached &&
      cached.data.note === note &&
      cached.selected === selected &&
      cached.position.x === position.x &&
      cached.position.y === position.y &&
      cached.width === width &&
      cached.height === height
        ? cached
        : {
            id: note.id,
            type: NOTE_TYPE,
            position: { x: position.x, y: position.y },
            data: cached?.data.note === note ? cached.data : { note },
            selected,
            width,
            height,
            ariaLabel: noteAriaLabel(note),
          };
    next.set(note.id, rf);
    return rf;
  });
  cache.notes = next;
  return out;
};

const portNamesCache = new WeakMap<DocumentNode, ReadonlySet<string>>();
const portNames = (node: DocumentNode): ReadonlySet<string> => {
  let names = portNamesCache.get(node);
  if (!names) {
    names = new Set(portsOf(node).map((p) => p.name));
    portNamesCache.set(node, names);
  }
  return names;
};

const EDGE_MARKER = { type: MarkerType.ArrowClosed, width: 18, height: 18, color: "#8a94a6" } as const;

/**
 * React Flow edges for the document, reusing `cache` objects. Edges from a port the node no
 * longer has, or to a missing node, cannot be drawn and are left out (the compiler lists them).
 */
/** Stroke width of an edge carrying `count` visitors when the busiest edge carries `busiest`: 1.5–8 px. Pure. */
export const edgeWidthFor = (count: number, busiest: number): number =>
  Math.round((1.5 + 6.5 * Math.max(0, Math.min(1, count / busiest))) * 10) / 10;

export const deriveEdges = (input: DeriveInput, cache: DeriveCache): Edge[] => {
  const byId = new Map(input.document.nodes.map((n) => [n.id, n]));
  const previous = cache.edges;
  const next = new Map<string, Edge>();
  const out: Edge[] = [];
  // With the analytics overlay on, an edge's width grows with its share of the busiest edge's traffic.
  const counts = input.analytics ? Object.values(input.analytics.edges) : [];
  const busiest = counts.length > 0 ? Math.max(...counts) : 0;
  for (const edge of input.document.edges) {
    const source = byId.get(edge.source);
    const target = byId.get(edge.target);
    if (!source || !target || !portNames(source).has(edge.sourcePort)) continue;
    const selected = input.selectedEdges.has(edge.id);
    const count = input.analytics?.edges[edge.id];
    const label = count === undefined ? undefined : count.toLocaleString("en");
    const strokeWidth = count === undefined || busiest === 0 ? undefined : edgeWidthFor(count, busiest);
    const cached = previous.get(edge.id);
    const ariaLabel = `Connection from ${source.label ?? source.id} (${edge.sourcePort}) to ${target.label ?? target.id}`;
    let rf: Edge;
    if (
      cached &&
      cached.source === edge.source &&
      cached.sourceHandle === edge.sourcePort &&
      cached.target === edge.target &&
      cached.selected === selected &&
      cached.label === label &&
      cached.style?.strokeWidth === strokeWidth &&
      cached.ariaLabel === ariaLabel
    ) {
      rf = cached;
    } else {
      rf = {
        id: edge.id,
        source: edge.source,
        sourceHandle: edge.sourcePort,
        target: edge.target,
        targetHandle: INPUT_HANDLE,
        selected,
        markerEnd: EDGE_MARKER,
        ariaLabel,
        ...(label === undefined ? {} : { label, labelBgPadding: [6, 3] as [number, number], labelBgBorderRadius: 4 }),
        ...(strokeWidth === undefined ? {} : { style: { strokeWidth } }),
      };
    }
    next.set(edge.id, rf);
    out.push(rf);
  }
  cache.edges = next;
  return out;
};

export interface Viewport {
  readonly x: number;
  readonly y: number;
  readonly zoom: number;
}

/** Below this zoom card text is unreadable; the first view never goes lower. */
export const MIN_READABLE_ZOOM = 0.55;
const FIT_PADDING = 0.15;
const START_ZOOM = 0.8;

/**
 * The first view of a flow in a pane of `pane` size: the whole flow when it fits at a readable
 * zoom (at most 100 %), else its start node at the top centre at 80 %. Pure.
 */
export const initialViewport = (
  document: FlowDocument,
  pane: { readonly width: number; readonly height: number },
  sizeOf: (node: DocumentNode) => NodeSize = estimateNodeSize,
): Viewport => {
  if (document.nodes.length === 0) return { x: pane.width / 2, y: pane.height / 3, zoom: 1 };
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const node of document.nodes) {
    const size = sizeOf(node);
    minX = Math.min(minX, node.position.x);
    minY = Math.min(minY, node.position.y);
    maxX = Math.max(maxX, node.position.x + size.width);
    maxY = Math.max(maxY, node.position.y + size.height);
  }
  const width = maxX - minX;
  const height = maxY - minY;
  const fit = Math.min(pane.width / (width * (1 + 2 * FIT_PADDING)), pane.height / (height * (1 + 2 * FIT_PADDING)), 1);
  if (fit >= MIN_READABLE_ZOOM) {
    return { x: pane.width / 2 - (minX + width / 2) * fit, y: pane.height / 2 - (minY + height / 2) * fit, zoom: fit };
  }
  const start = document.nodes.find((n) => n.id === document.startNodeId) ?? document.nodes[0]!;
  const startWidth = sizeOf(start).width || NODE_WIDTH;
  return { x: pane.width / 2 - (start.position.x + startWidth / 2) * START_ZOOM, y: 48 - start.position.y * START_ZOOM, zoom: START_ZOOM };
};
