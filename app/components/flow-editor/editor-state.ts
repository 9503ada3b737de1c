/**
 * The canvas editor's state: the saved FlowDocument, an undo history of whole documents, and
 * the selection. Every document edit is a pure action; React Flow's node objects are derived
 * from the document elsewhere and never stored here. Selection is kept beside the document
 * and never enters the history. Canvas notes share the steps' id space: selection, moves,
 * delete and paste address both by id.
 */
import {
  NOTE_SIZE,
  NOTE_TEXT_MAX,
  type DocumentEdge,
  type DocumentNode,
  type DocumentNote,
  type FlowDocument,
  type NoteColor,
} from "../../../flows/flow-document.js";
import type { NodeKind, VariableDeclaration } from "../../../flows/flow-spec.js";
import { portsOf, WAITING_KINDS } from "../../../flows/ports.js";
import { nodeRegistry } from "./node-registry.js";

/** How many earlier documents undo can go back to. */
export const HISTORY_LIMIT = 100;

export interface XYPosition {
  readonly x: number;
  readonly y: number;
}

export interface NoteBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
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
  /** Adds a canvas note at `position` (its top-left corner) and selects it. */
  | { readonly type: "addNote"; readonly position: XYPosition; readonly text?: string; readonly color?: NoteColor }
  /** Changes a note's text or colour. Edits with the same `key` in a row (typing) are one undo step. */
  | {
      readonly type: "updateNote";
      readonly noteId: string;
      readonly text?: string;
      readonly color?: NoteColor;
      readonly key?: string;
    }
  /** Gives a note a new box (a resize from a corner also moves it), as one undo step. */
  | { readonly type: "resizeNote"; readonly noteId: string; readonly box: NoteBox }
  /** Moves nodes (steps or notes). Non-final moves (a drag in progress) share one history entry, which the final move closes. */
  | { readonly type: "moveNodes"; readonly positions: Readonly<Record<string, XYPosition>>; readonly final: boolean }
  /** Replaces a node's data. Edits with the same `key` in a row (typing in one field) are one undo step. */
  | { readonly type: "updateNodeData"; readonly nodeId: string; readonly data: unknown; readonly key?: string }
  /** Sets a node's label; an empty or blank label removes it. */
  | { readonly type: "renameNode"; readonly nodeId: string; readonly label: string; readonly key?: string }
  /** Deletes the selected nodes (with their edges), notes and edges. */
  | { readonly type: "deleteSelection" }
  /** Deletes the given nodes (with their edges) and edges. */
  | { readonly type: "deleteElements"; readonly nodeIds: ReadonlyArray<string>; readonly edgeIds: ReadonlyArray<string> }
  /** Connects a port to a node, replacing the port's existing edge. Refused (no change) when `canConnect` says no. */
  | ({ readonly type: "connect" } & ConnectionRequest)
  | { readonly type: "deleteEdge"; readonly edgeId: string }
  /** Pastes nodes, the edges among them and notes, shifted by `offset`, with ids made unique in this document. Selects them. */
  | {
      readonly type: "paste";
      readonly nodes: ReadonlyArray<DocumentNode>;
      readonly edges: ReadonlyArray<DocumentEdge>;
      readonly notes?: ReadonlyArray<DocumentNote>;
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

/** The document's notes (none when it never had one). Pure. */
export const notesOf = (document: FlowDocument): ReadonlyArray<DocumentNote> => document.notes ?? [];

/** The ids of every step and note in `document`. Pure. */
const canvasIds = (document: FlowDocument): Set<string> => {
  const ids = new Set(document.nodes.map((n) => n.id));
  for (const note of notesOf(document)) ids.add(note.id);
  return ids;
};

/** Drops selected ids that no longer exist in `document`; keeps the same object when nothing changes. */
const pruneSelection = (document: FlowDocument, selection: EditorSelection): EditorSelection => {
  if (selection.nodeIds.length === 0 && selection.edgeIds.length === 0) return selection;
  const nodeIds = canvasIds(document);
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
  const notes = notesOf(doc).filter((n) => !doomedNodes.has(n.id));
  if (nodes.length === doc.nodes.length && edges.length === doc.edges.length && notes.length === notesOf(doc).length) return state;
  const { startNodeId, ...rest } = doc;
  const kept = notes.length === notesOf(doc).length ? rest : { ...rest, notes };
  const next: FlowDocument =
    startNodeId !== undefined && !doomedNodes.has(startNodeId) ? { ...kept, startNodeId, nodes, edges } : { ...kept, nodes, edges };
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
  const taken = canvasIds(doc);
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

/** `items` with the positions given for their ids; the same array when none moved. */
const placed = <T extends { readonly id: string; readonly position: XYPosition }>(
  items: ReadonlyArray<T>,
  positions: Readonly<Record<string, XYPosition>>,
): ReadonlyArray<T> => {
  let changed = false;
  const out = items.map((item) => {
    const p = positions[item.id];
    if (!p || (p.x === item.position.x && p.y === item.position.y)) return item;
    changed = true;
    return { ...item, position: { x: p.x, y: p.y } };
  });
  return changed ? out : items;
};

const moveNodes = (state: EditorState, action: Extract<EditorAction, { type: "moveNodes" }>): EditorState => {
  const ids = Object.keys(action.positions);
  const doc = state.document;
  const nodes = placed(doc.nodes, action.positions);
  const notes = doc.notes === undefined ? undefined : placed(doc.notes, action.positions);
  const changed = nodes !== doc.nodes || notes !== doc.notes;
  const key = `move:${ids.sort().join(",")}`;
  if (!changed) {
    // The final move of a drag that already went through ends the burst.
    if (action.final && state.editKey === key) {
      const { editKey: _done, ...rest } = state;
      return rest;
    }
    return state;
  }
  const next = commit(state, { ...doc, nodes, ...(notes === undefined ? {} : { notes }) }, key);
  if (!action.final) return next;
  const { editKey: _done, ...rest } = next;
  return rest;
};

const paste = (state: EditorState, action: Extract<EditorAction, { type: "paste" }>): EditorState => {
  const pastedNotes = action.notes ?? [];
  if (action.nodes.length === 0 && pastedNotes.length === 0) return state;
  const doc = state.document;
  const taken = canvasIds(doc);
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
  if (doc.startNodeId === undefined && doc.nodes.length === 0 && nodes.length > 0) next = { ...next, startNodeId: nodes[0]!.id };
  const notes: DocumentNote[] = [];
  for (const note of pastedNotes) {
    const id = freshNodeId(note.id, taken);
    taken.add(id);
    notes.push({
      ...note,
      id,
      position: { x: Math.round(note.position.x + action.offset.x), y: Math.round(note.position.y + action.offset.y) },
    });
  }
  if (notes.length > 0) next = { ...next, notes: [...notesOf(doc), ...notes] };
  return commit(state, next, undefined, { nodeIds: [...nodes.map((n) => n.id), ...notes.map((n) => n.id)], edgeIds: [] });
};

/** A new note's size: room for a few lines of text. */
export const NOTE_DEFAULT_SIZE = { width: 240, height: 140 } as const;

const clampSize = (width: number, height: number) => ({
  width: Math.round(Math.min(NOTE_SIZE.maxWidth, Math.max(NOTE_SIZE.minWidth, width))),
  height: Math.round(Math.min(NOTE_SIZE.maxHeight, Math.max(NOTE_SIZE.minHeight, height))),
});

const addNote = (state: EditorState, action: Extract<EditorAction, { type: "addNote" }>): EditorState => {
  const doc = state.document;
  const taken = canvasIds(doc);
  let n = notesOf(doc).length + 1;
  while (taken.has(`note_${n}`)) n++;
  const note: DocumentNote = {
    id: `note_${n}`,
    text: (action.text ?? "").slice(0, NOTE_TEXT_MAX),
    color: action.color ?? "yellow",
    position: { x: Math.round(action.position.x), y: Math.round(action.position.y) },
    size: NOTE_DEFAULT_SIZE,
  };
  return commit(state, { ...doc, notes: [...notesOf(doc), note] }, undefined, { nodeIds: [note.id], edgeIds: [] });
};

/** `doc` with note `noteId` replaced by `f(note)`; the same document when it is missing or unchanged. */
const mapNote = (doc: FlowDocument, noteId: string, f: (note: DocumentNote) => DocumentNote): FlowDocument => {
  const notes = notesOf(doc);
  const index = notes.findIndex((n) => n.id === noteId);
  if (index === -1) return doc;
  const next = f(notes[index]!);
  if (next === notes[index]) return doc;
  const out = notes.slice();
  out[index] = next;
  return { ...doc, notes: out };
};

const updateNote = (doc: FlowDocument, action: Extract<EditorAction, { type: "updateNote" }>): FlowDocument =>
  mapNote(doc, action.noteId, (note) => {
    // Text is cut at the limit here too, so a paste into the note never makes an undecodable document.
    const text = action.text === undefined ? note.text : action.text.slice(0, NOTE_TEXT_MAX);
    const color = action.color ?? note.color;
    return text === note.text && color === note.color ? note : { ...note, text, color };
  });

const resizeNote = (doc: FlowDocument, noteId: string, box: NoteBox): FlowDocument =>
  mapNote(doc, noteId, (note) => {
    const size = clampSize(box.width, box.height);
    const position = { x: Math.round(box.x), y: Math.round(box.y) };
    if (size.width === note.size.width && size.height === note.size.height && position.x === note.position.x && position.y === note.position.y) return note;
    return { ...note, position, size };
  });

// ---------------------------------------------------------------------------------------------
// The reducer

/** The editor's transition function: total and pure (unknown ids and refused edits leave the state unchanged). */
export const editorReducer = (state: EditorState, action: EditorAction): EditorState => {
  switch (action.type) {
    case "addNode":
      return addNode(state, action);
    case "moveNodes":
      return moveNodes(state, action);
    case "addNote":
      return addNote(state, action);
    case "updateNote":
      return commit(state, updateNote(state.document, action), action.key);
    case "resizeNote":
      return commit(state, resizeNote(state.document, action.noteId, action.box));
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
