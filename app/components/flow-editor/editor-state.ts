/**
 * The canvas editor's state: the saved FlowDocument, an undo history of whole documents, and
 * the selection. Every document edit is a pure action; React Flow's node objects are derived
 * from the document elsewhere and never stored here. Selection is kept beside the document
 * and never enters the history.
 */
import type { DocumentEdge, DocumentNode, FlowDocument } from "../../../flows/flow-document.js";
import type { NodeKind, VariableDeclaration } from "../../../flows/flow-spec.js";
import { portsOf, WAITING_KINDS } from "../../../flows/ports.js";
import { nodeRegistry } from "./node-registry.js";

/** How many earlier documents undo can go back to. */
export const HISTORY_LIMIT = 100;

export interface XYPosition {
  readonly x: number;
  readonly y: number;
}

export interface EditorSelection {
  readonly nodeIds: ReadonlyArray<string>;
  readonly edgeIds: ReadonlyArray<string>;
}

export interface EditorState {
  readonly document: FlowDocument;
  /** Earlier documents, oldest first; at most HISTORY_LIMIT. */
  readonly past: ReadonlyArray<FlowDocument>;
  /** Undone documents, the next redo last. */
  readonly future: ReadonlyArray<FlowDocument>;
  readonly selection: EditorSelection;
  /**
   * The `key` of the edit that made the newest history entry. A following edit with the same
   * key (typing on in one field, a drag still in progress) updates the document without a new
   * entry, so one undo reverts the whole burst. Any other action clears it.
   */
  readonly editKey?: string;
}

/** A connection as the canvas proposes it: from a node's output port to a node. */
export interface ConnectionRequest {
  readonly source: string;
  readonly sourcePort: string;
  readonly target: string;
}

export type EditorAction =
  /** Adds a node with the kind's default data; with `afterNodeId`, connects that node's first free port to it. Selects it. */
  | {
      readonly type: "addNode";
      readonly kind: NodeKind;
      readonly position: XYPosition;
      readonly afterNodeId?: string | null;
      /** Encoded node data; the kind's defaults when omitted. */
      readonly data?: unknown;
      readonly label?: string;
    }
  /** Moves nodes. Non-final moves (a drag in progress) share one history entry, which the final move closes. */
  | { readonly type: "moveNodes"; readonly positions: Readonly<Record<string, XYPosition>>; readonly final: boolean }
  /** Replaces a node's data. Edits with the same `key` in a row (typing in one field) are one undo step. */
  | { readonly type: "updateNodeData"; readonly nodeId: string; readonly data: unknown; readonly key?: string }
  /** Sets a node's label; an empty or blank label removes it. */
  | { readonly type: "renameNode"; readonly nodeId: string; readonly label: string; readonly key?: string }
  /** Deletes the selected nodes (with their edges) and the selected edges. */
  | { readonly type: "deleteSelection" }
  /** Deletes the given nodes (with their edges) and edges. */
  | { readonly type: "deleteElements"; readonly nodeIds: ReadonlyArray<string>; readonly edgeIds: ReadonlyArray<string> }
  /** Connects a port to a node, replacing the port's existing edge. Refused (no change) when `canConnect` says no. */
  | ({ readonly type: "connect" } & ConnectionRequest)
  | { readonly type: "deleteEdge"; readonly edgeId: string }
  /** Pastes nodes and the edges among them, shifted by `offset`, with ids made unique in this document. Selects them. */
  | {
      readonly type: "paste";
      readonly nodes: ReadonlyArray<DocumentNode>;
      readonly edges: ReadonlyArray<DocumentEdge>;
      readonly offset: XYPosition;
    }
  | { readonly type: "setStartNode"; readonly nodeId: string }
  /** Replaces the whole document (JSON edits, restoring a version, import). Undoable. */
  | { readonly type: "replaceDocument"; readonly document: FlowDocument }
  | { readonly type: "setSettings"; readonly settings: unknown; readonly key?: string }
  | { readonly type: "setVariables"; readonly variables: ReadonlyArray<VariableDeclaration>; readonly key?: string }
  | { readonly type: "undo" }
  | { readonly type: "redo" }
  /** Sets the selection; an omitted list is left as it is. */
  | { readonly type: "select"; readonly nodeIds?: ReadonlyArray<string>; readonly edgeIds?: ReadonlyArray<string> }
  /** Selects or deselects single elements, leaving the rest of the selection alone (what React Flow reports). */
  | {
      readonly type: "changeSelection";
      readonly nodes?: Readonly<Record<string, boolean>>;
      readonly edges?: Readonly<Record<string, boolean>>;
    }
  /**
   * Moves nodes to where auto-layout placed them (layout-client.ts computes `positions` off the
   * main thread), as one undo step of its own.
   */
  | { readonly type: "layout"; readonly positions: Readonly<Record<string, XYPosition>> };

const EMPTY_SELECTION: EditorSelection = { nodeIds: [], edgeIds: [] };

/** The state for a freshly opened document: no history, nothing selected. Pure. Fits `useReducer`'s init argument. */
export const initialEditorState = (document: FlowDocument): EditorState => ({
  document,
  past: [],
  future: [],
  selection: EMPTY_SELECTION,
});

// ---------------------------------------------------------------------------------------------
// Helpers

/** Records `next` as the new document, pushing the current one onto the history unless `key` continues the last edit. */
const commit = (state: EditorState, next: FlowDocument, key?: string, selection?: EditorSelection): EditorState => {
  if (next === state.document) {
    return selection && selection !== state.selection ? { ...state, selection, editKey: undefined } : state;
  }
  const continues = key !== undefined && state.editKey === key && state.past.length > 0;
  const past = continues ? state.past : [...state.past, state.document].slice(-HISTORY_LIMIT);
  return {
    document: next,
    past,
    future: [],
    selection: pruneSelection(next, selection ?? state.selection),
    ...(key !== undefined ? { editKey: key } : {}),
  };
};

/** Drops selected ids that no longer exist in `document`; keeps the same object when nothing changes. */
const pruneSelection = (document: FlowDocument, selection: EditorSelection): EditorSelection => {
  if (selection.nodeIds.length === 0 && selection.edgeIds.length === 0) return selection;
  const nodeIds = new Set(document.nodes.map((n) => n.id));
  const edgeIds = new Set(document.edges.map((e) => e.id));
  const nodes = selection.nodeIds.filter((id) => nodeIds.has(id));
  const edges = selection.edgeIds.filter((id) => edgeIds.has(id));
  if (nodes.length === selection.nodeIds.length && edges.length === selection.edgeIds.length) return selection;
  return { nodeIds: nodes, edgeIds: edges };
};

const sameIds = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) =>
  a.length === b.length && a.every((id, i) => id === b[i]);

const withSelection = (state: EditorState, selection: EditorSelection): EditorState => {
  const pruned = pruneSelection(state.document, selection);
  if (sameIds(pruned.nodeIds, state.selection.nodeIds) && sameIds(pruned.edgeIds, state.selection.edgeIds)) {
    return state.editKey === undefined ? state : { ...state, editKey: undefined };
  }
  const { editKey: _dropped, ...rest } = state;
  return { ...rest, selection: pruned };
};

const mapNode = (document: FlowDocument, nodeId: string, f: (node: DocumentNode) => DocumentNode): FlowDocument => {
  const index = document.nodes.findIndex((n) => n.id === nodeId);
  if (index === -1) return document;
  const node = document.nodes[index]!;
  const next = f(node);
  if (next === node) return document;
  const nodes = document.nodes.slice();
  nodes[index] = next;
  return { ...document, nodes };
};

/** The id a new edge from this port gets: stable and readable, unique within the document. */
const edgeIdFor = (source: string, port: string, taken: ReadonlySet<string>): string => {
  const base = `${source}/${port}`;
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}~${n}`)) return `${base}~${n}`;
};

/** A node id not in `taken`: the wanted one when free, else `<base>_<n>` with the smallest free n. Pure. */
export const freshNodeId = (wanted: string, taken: ReadonlySet<string>): string => {
  if (!taken.has(wanted)) return wanted;
  const base = wanted.replace(/_\d+$/, "").slice(0, 56);
  for (let n = 2; ; n++) if (!taken.has(`${base}_${n}`)) return `${base}_${n}`;
};

/**
 * Whether a connection from `source`'s `sourcePort` to `target` is allowed: both nodes exist,
 * the port is one of the source's ports, and a node connects to itself only when it waits for
 * the visitor in between (a question asking again), since any other self-loop would spin.
 * An already connected port is allowed: connecting replaces its edge. Pure.
 */
export const canConnect = (document: FlowDocument, connection: ConnectionRequest): boolean => {
  const source = document.nodes.find((n) => n.id === connection.source);
  if (!source || !document.nodes.some((n) => n.id === connection.target)) return false;
  if (!portsOf(source).some((p) => p.name === connection.sourcePort)) return false;
  if (connection.source === connection.target && !WAITING_KINDS.has(source.kind)) return false;
  return true;
};

const connect = (document: FlowDocument, c: ConnectionRequest): FlowDocument => {
  if (!canConnect(document, c)) return document;
  const existing = document.edges.filter((e) => e.source === c.source && e.sourcePort === c.sourcePort);
  if (existing.length === 1 && existing[0]!.target === c.target) return document;
  const edges = document.edges.filter((e) => !(e.source === c.source && e.sourcePort === c.sourcePort));
  const id = edgeIdFor(c.source, c.sourcePort, new Set(edges.map((e) => e.id)));
  return { ...document, edges: [...edges, { id, source: c.source, sourcePort: c.sourcePort, target: c.target }] };
};

const deleteElements = (
  state: EditorState,
  nodeIds: ReadonlyArray<string>,
  edgeIds: ReadonlyArray<string>,
): EditorState => {
  const doomedNodes = new Set(nodeIds);
  const doomedEdges = new Set(edgeIds);
  const doc = state.document;
  const nodes = doc.nodes.filter((n) => !doomedNodes.has(n.id));
  const edges = doc.edges.filter((e) => !doomedEdges.has(e.id) && !doomedNodes.has(e.source) && !doomedNodes.has(e.target));
  if (nodes.length === doc.nodes.length && edges.length === doc.edges.length) return state;
  const { startNodeId, ...rest } = doc;
  const next: FlowDocument =
    startNodeId !== undefined && !doomedNodes.has(startNodeId) ? { ...rest, startNodeId, nodes, edges } : { ...rest, nodes, edges };
  return commit(state, next);
};

/** The first output port of `node` with no edge, or undefined when all are taken. */
const firstFreePort = (document: FlowDocument, node: DocumentNode): string | undefined => {
  const used = new Set(document.edges.filter((e) => e.source === node.id).map((e) => e.sourcePort));
  return portsOf(node).find((p) => !used.has(p.name))?.name;
};

/** Sets a node's data and drops its edges from ports the new data no longer has (a removed choice). */
const updateNodeData = (document: FlowDocument, nodeId: string, data: unknown): FlowDocument => {
  const next = mapNode(document, nodeId, (node) => (node.data === data ? node : { ...node, data }));
  if (next === document) return document;
  const node = next.nodes.find((n) => n.id === nodeId)!;
  const ports = new Set(portsOf(node).map((p) => p.name));
  const edges = next.edges.filter((e) => e.source !== nodeId || ports.has(e.sourcePort));
  return edges.length === next.edges.length ? next : { ...next, edges };
};

const addNode = (state: EditorState, action: Extract<EditorAction, { type: "addNode" }>): EditorState => {
  const doc = state.document;
  const taken = new Set(doc.nodes.map((n) => n.id));
  let n = doc.nodes.filter((node) => node.kind === action.kind).length + 1;
  while (taken.has(`${action.kind}_${n}`)) n++;
  const label = action.label?.trim();
  const node: DocumentNode = {
    id: `${action.kind}_${n}`,
    kind: action.kind,
    ...(label ? { label } : {}),
    position: { x: Math.round(action.position.x), y: Math.round(action.position.y) },
    data: action.data !== undefined ? action.data : nodeRegistry[action.kind].defaults(),
  };
  let next: FlowDocument = { ...doc, nodes: [...doc.nodes, node] };
  // A flow's first node is where it starts; saves a step for everyone drawing a new flow.
  if (doc.startNodeId === undefined && doc.nodes.length === 0) next = { ...next, startNodeId: node.id };
  const after = action.afterNodeId ? doc.nodes.find((x) => x.id === action.afterNodeId) : undefined;
  if (after) {
    const port = firstFreePort(doc, after);
    if (port !== undefined) next = connect(next, { source: after.id, sourcePort: port, target: node.id });
  }
  return commit(state, next, undefined, { nodeIds: [node.id], edgeIds: [] });
};

const layoutNodes = (state: EditorState, positions: Readonly<Record<string, XYPosition>>): EditorState => {
  let changed = false;
  const nodes = state.document.nodes.map((node) => {
    const p = positions[node.id];
    if (!p || (p.x === node.position.x && p.y === node.position.y)) return node;
    changed = true;
    return { ...node, position: { x: p.x, y: p.y } };
  });
  return changed ? commit(state, { ...state.document, nodes }) : state;
};

const moveNodes = (state: EditorState, action: Extract<EditorAction, { type: "moveNodes" }>): EditorState => {
  const ids = Object.keys(action.positions);
  let changed = false;
  const nodes = state.document.nodes.map((node) => {
    const p = action.positions[node.id];
    if (!p || (p.x === node.position.x && p.y === node.position.y)) return node;
    changed = true;
    return { ...node, position: { x: p.x, y: p.y } };
  });
  const key = `move:${ids.sort().join(",")}`;
  if (!changed) {
    // The final move of a drag that already went through ends the burst.
    if (action.final && state.editKey === key) {
      const { editKey: _done, ...rest } = state;
      return rest;
    }
    return state;
  }
  const next = commit(state, { ...state.document, nodes }, key);
  if (!action.final) return next;
  const { editKey: _done, ...rest } = next;
  return rest;
};

const paste = (state: EditorState, action: Extract<EditorAction, { type: "paste" }>): EditorState => {
  if (action.nodes.length === 0) return state;
  const doc = state.document;
  const taken = new Set(doc.nodes.map((n) => n.id));
  const idMap = new Map<string, string>();
  const nodes: DocumentNode[] = [];
  for (const node of action.nodes) {
    if (idMap.has(node.id)) continue;
    const id = freshNodeId(node.id, taken);
    taken.add(id);
    idMap.set(node.id, id);
    nodes.push({
      ...node,
      id,
      position: { x: Math.round(node.position.x + action.offset.x), y: Math.round(node.position.y + action.offset.y) },
    });
  }
  let next: FlowDocument = { ...doc, nodes: [...doc.nodes, ...nodes] };
  for (const edge of action.edges) {
    const source = idMap.get(edge.source);
    const target = idMap.get(edge.target);
    if (source === undefined || target === undefined) continue;
    next = connect(next, { source, sourcePort: edge.sourcePort, target });
  }
  if (doc.startNodeId === undefined && doc.nodes.length === 0) next = { ...next, startNodeId: nodes[0]!.id };
  return commit(state, next, undefined, { nodeIds: nodes.map((n) => n.id), edgeIds: [] });
};

// ---------------------------------------------------------------------------------------------
// The reducer

/** The editor's transition function: total and pure (unknown ids and refused edits leave the state unchanged). */
export const editorReducer = (state: EditorState, action: EditorAction): EditorState => {
  switch (action.type) {
    case "addNode":
      return addNode(state, action);
    case "moveNodes":
      return moveNodes(state, action);
    case "updateNodeData":
      return commit(state, updateNodeData(state.document, action.nodeId, action.data), action.key);
    case "renameNode": {
      const label = action.label.trim() === "" ? undefined : action.label;
      return commit(
        state,
        mapNode(state.document, action.nodeId, (node) => {
          if (node.label === label) return node;
          const { label: _old, ...rest } = node;
          return label === undefined ? rest : { ...rest, label };
        }),
        action.key,
      );
    }
    case "deleteSelection":
      return deleteElements(state, state.selection.nodeIds, state.selection.edgeIds);
    case "deleteElements":
      return deleteElements(state, action.nodeIds, action.edgeIds);
    case "connect":
      return commit(state, connect(state.document, action));
    case "deleteEdge":
      return deleteElements(state, [], [action.edgeId]);
    case "paste":
      return paste(state, action);
    case "setStartNode":
      if (!state.document.nodes.some((n) => n.id === action.nodeId) || state.document.startNodeId === action.nodeId) return state;
      return commit(state, { ...state.document, startNodeId: action.nodeId });
    case "replaceDocument":
      return commit(state, action.document);
    case "setSettings":
      return commit(state, { ...state.document, settings: action.settings }, action.key);
    case "setVariables":
      return commit(state, { ...state.document, variables: action.variables }, action.key);
    case "undo": {
      if (state.past.length === 0) return state;
      const document = state.past[state.past.length - 1]!;
      return {
        document,
        past: state.past.slice(0, -1),
        future: [...state.future, state.document],
        selection: pruneSelection(document, state.selection),
      };
    }
    case "redo": {
      if (state.future.length === 0) return state;
      const document = state.future[state.future.length - 1]!;
      return {
        document,
        past: [...state.past, state.document].slice(-HISTORY_LIMIT),
        future: state.future.slice(0, -1),
        selection: pruneSelection(document, state.selection),
      };
    }
    case "select":
      return withSelection(state, {
        nodeIds: action.nodeIds ?? state.selection.nodeIds,
        edgeIds: action.edgeIds ?? state.selection.edgeIds,
      });
    case "changeSelection": {
      const apply = (current: ReadonlyArray<string>, changes: Readonly<Record<string, boolean>> | undefined) => {
        if (!changes) return current;
        const out = current.filter((id) => changes[id] !== false);
        for (const [id, selected] of Object.entries(changes)) if (selected && !out.includes(id)) out.push(id);
        return out;
      };
      return withSelection(state, {
        nodeIds: apply(state.selection.nodeIds, action.nodes),
        edgeIds: apply(state.selection.edgeIds, action.edges),
      });
    }
    case "layout":
      return layoutNodes(state, action.positions);
  }
};
