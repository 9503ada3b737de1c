/**
 * The canvas editor: palette, React Flow canvas and inspector around one controlled
 * EditorState. React Flow's nodes and edges are derived from the FlowDocument (never saved);
 * each derived object is reused while its node is unchanged, so moving one node re-renders
 * that node only. A drag in progress lives in local state and reaches the document (and the
 * undo history) once, when the node is dropped.
 */
import {
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type IsValidConnection,
  type NodeChange,
  type OnDelete,
} from "@xyflow/react";
import { Either } from "effect";
import { memo, useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from "react";
import type { CompileContext } from "../../../flows/compile.js";
import type { Diagnostic } from "../../../flows/diagnostics.js";
import type { DocumentNode } from "../../../flows/flow-document.js";
import { NODE_KINDS, type NodeKind } from "../../../flows/flow-spec.js";
import { estimateNodeSize, NODE_WIDTH, type NodeSize } from "./card-size.js";
import { copyNodes, parseClipboard, pasteOffset, readClipboard, rememberClipboard, serializeClipboard, writeClipboard } from "./clipboard.js";
import {
  decorate,
  deriveEdges,
  deriveNodes,
  deriveNotes,
  initialViewport,
  newDeriveCache,
  type DeriveCache,
  type DeriveInput,
  type FlowAnalytics,
  type Viewport,
} from "./derive.js";
import { canConnect, NOTE_DEFAULT_SIZE, notesOf, type EditorAction, type EditorState, type NoteBox, type XYPosition } from "./editor-state.js";
import { FindBox } from "./find-box.js";
import { Inspector } from "./inspector/inspector.js";
import { layoutPositions } from "./layout-client.js";
import { nodeRegistry } from "./node-registry.js";
import type { NameLookup } from "./node-summary.js";
import { INPUT_HANDLE, NamesContext, nodeTypes, type EditorNode } from "./nodes/canvas-node.js";
import { NOTE_TYPE, NoteEditingContext, type NoteEditing } from "./nodes/note-node.js";
import { Palette, PALETTE_DRAG_TYPE } from "./palette.js";

export type { FlowAnalytics };

export interface FlowEditorProps {
  /** Owned by the caller (`useReducer(editorReducer, document, initialEditorState)`). */
  readonly state: EditorState;
  readonly dispatch: (action: EditorAction) => void;
  /** The compiler's diagnostics for `state.document`: badges on nodes, messages in the inspector. */
  readonly diagnostics: ReadonlyArray<Diagnostic>;
  /** Teams, users and contact properties for the inspector's pickers and the cards' names. */
  readonly context: CompileContext;
  /** The preview's current node, outlined on the canvas. */
  readonly highlightNodeId?: string | null;
  readonly analytics?: FlowAnalytics | null;
  /** When it changes to a node id, the canvas centres that node and selects it. */
  readonly focusNodeId?: string | null;
  readonly readOnly?: boolean;
}

/** The pane size assumed when the canvas has no size yet (hidden on mount). */
const FALLBACK_PANE = { width: 880, height: 760 };

/**
 * From this many steps on, the canvas renders only the cards (and edges) in view. A big flow
 * opens at a readable zoom on its start, where a screen shows a few dozen cards: rendering the
 * other hundreds up front is most of the opening cost, and panning mounts them as they come
 * into view. Smaller flows keep every card in the page, so Tab reaches each one.
 */
export const WINDOWED_FROM = 150;

const NO_SELECTION: ReadonlySet<string> = new Set();

/** The canvas editor: palette, canvas and inspector for one controlled EditorState. */
export function FlowEditor(props: FlowEditorProps) {
  // The first nodes go into the provider, so the canvas mounts with every card in one commit
  // (placed, and sized by estimate, before React Flow measures them).
  const [first] = useState(() => {
    const cache = newDeriveCache();
    // The server never renders the canvas (see EditorFrame), so it derives nothing for it.
    if (typeof window === "undefined") return { cache, nodes: [], edges: [] };
    const input: DeriveInput = {
      document: props.state.document,
      selectedNodes: new Set(props.state.selection.nodeIds),
      selectedEdges: new Set(props.state.selection.edgeIds),
      decorations: decorate(props.diagnostics),
      analytics: props.analytics ?? null,
      highlightNodeId: props.highlightNodeId ?? null,
      drag: null,
      measured: new Map(),
    };
    return {
      cache,
      nodes: [...deriveNotes(input, cache), ...deriveNodes(input, cache)] as EditorNode[],
      edges: deriveEdges(input, cache),
    };
  });
  return (
    <ReactFlowProvider initialNodes={first.nodes} initialEdges={first.edges}>
      <EditorFrame {...props} cache={first.cache} />
    </ReactFlowProvider>
  );
}

const isEditable = (target: EventTarget | null): boolean => {
  if (!(target instanceof Element)) return false;
  if (target.closest(".monaco-editor")) return true;
  const el = target as HTMLElement;
  return el.isContentEditable || el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT";
};

// ---------------------------------------------------------------------------------------------

function EditorFrame({
  state,
  dispatch,
  diagnostics,
  context,
  highlightNodeId = null,
  analytics = null,
  focusNodeId = null,
  readOnly = false,
  cache,
}: FlowEditorProps & { cache: DeriveCache }) {
  const { document, selection } = state;
  const flow = useReactFlow<EditorNode>();
  const rootRef = useRef<HTMLDivElement>(null);
  const stateRef = useRef(state);
  stateRef.current = state;
  const dispatchRef = useRef(dispatch);
  dispatchRef.current = dispatch;
  const readOnlyRef = useRef(readOnly);
  readOnlyRef.current = readOnly;
  /** A stable dispatch for memoized children and handlers. */
  const send = useCallback((action: EditorAction) => dispatchRef.current(action), []);

  // The canvas is rendered in the browser only, in one piece: server-rendering hundreds of
  // cards costs more (server time, HTML, hydration) than it gives, and inserting them into an
  // already hydrated canvas one by one makes document-wide MutationObservers (Remix's route
  // discovery) rescan the canvas once per card. The first view is computed for the real pane
  // before the canvas mounts, so it never jumps.
  const canvasRef = useRef<HTMLDivElement>(null);
  const [firstView, setFirstView] = useState<Viewport | null>(null);
  useEffect(() => {
    const pane = canvasRef.current?.getBoundingClientRect();
    setFirstView(initialViewport(stateRef.current.document, pane && pane.width > 0 ? pane : FALLBACK_PANE));
  }, []);

  // The minimap draws every node a second time; it waits until the canvas is idle so the cards
  // become usable first.
  const [showMiniMap, setShowMiniMap] = useState(false);
  useEffect(() => {
    if (!firstView) return;
    if (typeof requestIdleCallback === "function") {
      const id = requestIdleCallback(() => setShowMiniMap(true), { timeout: 1_500 });
      return () => cancelIdleCallback(id);
    }
    const timer = setTimeout(() => setShowMiniMap(true), 200);
    return () => clearTimeout(timer);
  }, [firstView]);

  // Sizes React Flow measured: for auto-layout, placing new cards, and re-created node objects
  // (which then need no re-measure). Cards carry size estimates, so nothing waits for these.
  const measured = useRef(new Map<string, NodeSize>());
  const [drag, setDrag] = useState<ReadonlyMap<string, XYPosition> | null>(null);
  const dragRef = useRef(drag);
  dragRef.current = drag;
  // A note being resized: its box follows the pointer here and reaches the document (one undo
  // step) when the resize ends.
  const [resize, setResize] = useState<ReadonlyMap<string, NoteBox> | null>(null);
  const resizeRef = useRef(resize);
  resizeRef.current = resize;
  // Where the pointer last was on the canvas (flow coordinates), for pasting there.
  const pointer = useRef<XYPosition | null>(null);
  const pointerInside = useRef(false);

  const names = useMemo<NameLookup>(() => {
    const teams = new Map(context.teams.map((t) => [t.id, t.name]));
    const users = new Map(context.users.map((u) => [u.id, u.name]));
    const lists = new Map((context.lists ?? []).map((l) => [l.id, l.name]));
    const labels = new Map((context.labels ?? []).map((l) => [l.id, l.name]));
    return { team: (id) => teams.get(id), user: (id) => users.get(id), list: (id) => lists.get(id), label: (id) => labels.get(id) };
  }, [context.teams, context.users, context.lists, context.labels]);
  const workspace = useMemo(
    () => ({
      teams: context.teams,
      users: context.users,
      contactProperties: context.contactProperties,
      lists: context.lists ?? [],
      labels: context.labels ?? [],
    }),
    [context.teams, context.users, context.contactProperties, context.lists, context.labels],
  );

  const decorations = useMemo(() => decorate(diagnostics), [diagnostics]);
  const selectedNodes = useMemo(() => new Set(selection.nodeIds), [selection.nodeIds]);
  const selectedEdges = useMemo(() => new Set(selection.edgeIds), [selection.edgeIds]);

  const input: DeriveInput = {
    document,
    selectedNodes: selection.nodeIds.length === 0 ? NO_SELECTION : selectedNodes,
    selectedEdges: selection.edgeIds.length === 0 ? NO_SELECTION : selectedEdges,
    decorations,
    analytics,
    highlightNodeId,
    drag,
    measured: measured.current,
    resize,
  };
  const nodes = useMemo(
    (): EditorNode[] => {
      const notes = deriveNotes(input, cache);
      const cards = deriveNodes(input, cache);
      // Notes first: a card is drawn above a note it overlaps.
      return notes.length === 0 ? cards : [...notes, ...cards];
    },
    // `input` is rebuilt each render; these are what it holds.
    [document.nodes, document.notes, document.startNodeId, decorations, analytics, highlightNodeId, drag, resize, selectedNodes, cache],
  );
  const edges = useMemo(() => deriveEdges(input, cache), [document.nodes, document.edges, selectedEdges, analytics, cache]);

  // -------------------------------------------------------------------------------------------
  // React Flow's reports → actions

  const onNodesChange = useCallback((changes: NodeChange<EditorNode>[]) => {
    // NodeResizer reports a resize as dimension changes (resizing: true, then false at the end)
    // with position changes beside them when a top or left handle moves the note.
    let resizing: Map<string, NoteBox> | null = null;
    let resized: { id: string; box: NoteBox } | null = null;
    const boxOf = (id: string): NoteBox | undefined => {
      const current = resizing?.get(id) ?? resizeRef.current?.get(id);
      if (current) return current;
      const note = notesOf(stateRef.current.document).find((n) => n.id === id);
      return note ? { ...note.position, ...note.size } : undefined;
    };
    const resizingIds = new Set<string>();
    for (const change of changes) if (change.type === "dimensions" && change.resizing === true) resizingIds.add(change.id);
    if (resizingIds.size > 0 && !readOnlyRef.current) {
      resizing = new Map(resizeRef.current ?? []);
      for (const change of changes) {
        if ((change.type !== "position" && change.type !== "dimensions") || !resizingIds.has(change.id)) continue;
        const box = boxOf(change.id);
        if (!box) continue;
        if (change.type === "position" && change.position) resizing.set(change.id, { ...box, x: change.position.x, y: change.position.y });
        else if (change.type === "dimensions" && change.dimensions) resizing.set(change.id, { ...box, ...change.dimensions });
      }
      resizeRef.current = resizing;
      setResize(resizing);
    }
    for (const change of changes) {
      if (change.type === "dimensions" && change.resizing === false && resizeRef.current?.has(change.id)) {
        const box = resizeRef.current.get(change.id)!;
        resized = { id: change.id, box: change.dimensions ? { ...box, ...change.dimensions } : box };
      }
    }
    if (resized) {
      if (!readOnlyRef.current) dispatchRef.current({ type: "resizeNote", noteId: resized.id, box: resized.box });
      const rest = new Map(resizeRef.current ?? []);
      rest.delete(resized.id);
      resizeRef.current = rest.size > 0 ? rest : null;
      setResize(resizeRef.current);
    }
    let dragging: Map<string, XYPosition> | null = null;
    const finished: Record<string, XYPosition> = {};
    let anyFinished = false;
    const select: Record<string, boolean> = {};
    let anySelect = false;
    for (const change of changes) {
      if (change.type === "position" && resizingIds.has(change.id)) continue;
      if (change.type === "position") {
        if (change.dragging && change.position) {
          dragging ??= new Map(dragRef.current ?? []);
          dragging.set(change.id, change.position);
        } else if (change.position) {
          finished[change.id] = { x: Math.round(change.position.x), y: Math.round(change.position.y) };
          anyFinished = true;
        } else if (dragRef.current?.has(change.id)) {
          // A drag end without a position: the last dragged position is the final one.
          const p = dragRef.current.get(change.id)!;
          finished[change.id] = { x: Math.round(p.x), y: Math.round(p.y) };
          anyFinished = true;
        }
      } else if (change.type === "dimensions" && change.dimensions) {
        measured.current.set(change.id, { width: change.dimensions.width, height: change.dimensions.height });
      } else if (change.type === "select") {
        select[change.id] = change.selected;
        anySelect = true;
      }
    }
    if (anySelect) dispatchRef.current({ type: "changeSelection", nodes: select });
    if (dragging && !readOnlyRef.current) {
      dragRef.current = dragging;
      setDrag(dragging);
    }
    if (anyFinished) {
      if (!readOnlyRef.current) dispatchRef.current({ type: "moveNodes", positions: finished, final: true });
      if (dragRef.current) {
        const rest = new Map(dragRef.current);
        for (const id of Object.keys(finished)) rest.delete(id);
        dragRef.current = rest.size > 0 ? rest : null;
        setDrag(dragRef.current);
      }
    }
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    const select: Record<string, boolean> = {};
    let anySelect = false;
    for (const change of changes) {
      if (change.type === "select") {
        select[change.id] = change.selected;
        anySelect = true;
      }
    }
    if (anySelect) dispatchRef.current({ type: "changeSelection", edges: select });
  }, []);

  const onDelete: OnDelete<EditorNode> = useCallback(({ nodes: deleted, edges: deletedEdges }) => {
    if (readOnlyRef.current) return;
    dispatchRef.current({ type: "deleteElements", nodeIds: deleted.map((n) => n.id), edgeIds: deletedEdges.map((e) => e.id) });
  }, []);

  const onConnect = useCallback((connection: Connection) => {
    if (readOnlyRef.current || !connection.sourceHandle) return;
    dispatchRef.current({ type: "connect", source: connection.source, sourcePort: connection.sourceHandle, target: connection.target });
  }, []);

  const isValidConnection: IsValidConnection = useCallback((connection) => {
    if (!connection.sourceHandle || connection.targetHandle !== INPUT_HANDLE) return false;
    return canConnect(stateRef.current.document, { source: connection.source, sourcePort: connection.sourceHandle, target: connection.target });
  }, []);

  // -------------------------------------------------------------------------------------------
  // Adding nodes: palette drop and palette click

  const sizeOf = useCallback(
    (node: DocumentNode): NodeSize => measured.current.get(node.id) ?? estimateNodeSize(node),
    [],
  );

  const onDragOver = useCallback((event: DragEvent<HTMLDivElement>) => {
    if (!event.dataTransfer.types.includes(PALETTE_DRAG_TYPE)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  }, []);

  const onDrop = useCallback(
    (event: DragEvent<HTMLDivElement>) => {
      const kind = event.dataTransfer.getData(PALETTE_DRAG_TYPE);
      if (!(NODE_KINDS as ReadonlyArray<string>).includes(kind) || readOnlyRef.current) return;
      event.preventDefault();
      const at = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      // The pointer holds the card by its header.
      send({ type: "addNode", kind: kind as NodeKind, position: { x: at.x - NODE_WIDTH / 2, y: at.y - 20 } });
    },
    [flow, send],
  );

  const addFromPalette = useCallback(
    (kind: NodeKind) => {
      const { document: doc, selection: sel } = stateRef.current;
      const after = sel.nodeIds.length === 1 ? doc.nodes.find((n) => n.id === sel.nodeIds[0]) : undefined;
      let position: XYPosition;
      if (after) {
        position = { x: after.position.x, y: after.position.y + sizeOf(after).height + 70 };
      } else {
        const pane = rootRef.current?.querySelector(".react-flow")?.getBoundingClientRect();
        const center = pane ? flow.screenToFlowPosition({ x: pane.left + pane.width / 2, y: pane.top + pane.height / 3 }) : { x: 0, y: 0 };
        position = { x: center.x - NODE_WIDTH / 2, y: center.y };
      }
      // Never drop a card onto another one: step right until the spot is free.
      const size = estimateNodeSize({ kind, data: nodeRegistry[kind].defaults() });
      const boxes = doc.nodes.map((n) => ({ ...n.position, ...sizeOf(n) }));
      const hits = (p: XYPosition) =>
        boxes.some((b) => p.x < b.x + b.width + GAP && b.x < p.x + size.width + GAP && p.y < b.y + b.height + GAP && b.y < p.y + size.height + GAP);
      for (let i = 0; i < 200 && hits(position); i++) position = { x: position.x + size.width + GAP, y: position.y };
      send({ type: "addNode", kind, position, afterNodeId: after?.id ?? null });
      // Bring the new card into view when it landed off screen.
      requestAnimationFrame(() => {
        const { x, y, zoom } = flow.getViewport();
        const pane = rootRef.current?.querySelector(".react-flow")?.getBoundingClientRect();
        if (!pane) return;
        const sx = position.x * zoom + x;
        const sy = position.y * zoom + y;
        if (sx < 0 || sy < 0 || sx + NODE_WIDTH * zoom > pane.width || sy + 120 * zoom > pane.height) {
          void flow.setCenter(position.x + NODE_WIDTH / 2, position.y + 80, { zoom, duration: 200 });
        }
      });
    },
    [flow, send, sizeOf],
  );

  // -------------------------------------------------------------------------------------------
  // Toolbar commands and keyboard shortcuts

  const copySelection = useCallback((): string | null => {
    const { document: doc, selection: sel } = stateRef.current;
    if (sel.nodeIds.length === 0) return null;
    return serializeClipboard(copyNodes(doc, sel.nodeIds));
  }, []);

  const pasteText = useCallback((text: string | null): boolean => {
    if (text === null || readOnlyRef.current) return false;
    const parsed = parseClipboard(text);
    if (Either.isLeft(parsed)) return false;
    const anchor = pointerInside.current ? pointer.current : null;
    dispatchRef.current({
      type: "paste",
      nodes: parsed.right.nodes,
      edges: parsed.right.edges,
      ...(parsed.right.notes ? { notes: parsed.right.notes } : {}),
      offset: pasteOffset(parsed.right, anchor),
    });
    return true;
  }, []);

  // Auto-layout runs in a worker; the toolbar says so meanwhile. An edit made while it runs
  // wins: positions computed for an older document would put cards on top of each other.
  const [layoutStatus, setLayoutStatus] = useState<{ readonly running: boolean; readonly message: string | null }>({ running: false, message: null });
  const layout = useCallback(() => {
    const requested = stateRef.current.document;
    const sizes: Record<string, NodeSize> = {};
    for (const [id, size] of measured.current) sizes[id] = size;
    setLayoutStatus({ running: true, message: null });
    layoutPositions(requested, sizes).then(
      (positions) => {
        if (stateRef.current.document !== requested) {
          setLayoutStatus({ running: false, message: "Auto-layout skipped: the flow changed while it ran." });
          return;
        }
        setLayoutStatus({ running: false, message: null });
        send({ type: "layout", positions });
        // Show the laid-out flow as on opening. The view is worked out from the positions, not
        // from the state: outside a React event the next frame may come before the re-render.
        const laid = { ...requested, nodes: requested.nodes.map((node) => (positions[node.id] ? { ...node, position: positions[node.id]! } : node)) };
        requestAnimationFrame(() => {
          const pane = rootRef.current?.querySelector(".react-flow")?.getBoundingClientRect();
          if (pane) void flow.setViewport(initialViewport(laid, pane, sizeOf), { duration: 250 });
        });
      },
      (error: unknown) => setLayoutStatus({ running: false, message: error instanceof Error ? error.message : String(error) }),
    );
  }, [flow, send, sizeOf]);

  /** True when keyboard and clipboard shortcuts are meant for this editor. */
  const isActive = useCallback((target: EventTarget | null) => {
    const root = rootRef.current;
    if (!root) return false;
    const active = globalThis.document.activeElement;
    const focusedHere = active !== null && root.contains(active);
    const onBody = active === null || active === globalThis.document.body;
    return (focusedHere || (onBody && pointerInside.current)) && !isEditable(target);
  }, []);

  useEffect(() => {
    const doc = globalThis.document;
    const onKeyDown = (event: KeyboardEvent) => {
      const mod = event.ctrlKey || event.metaKey;
      if (!mod || event.altKey) return;
      const key = event.key.toLowerCase();
      if (key === "f" && !event.shiftKey && isActive(event.target)) {
        event.preventDefault();
        findRef.current?.focus();
        findRef.current?.select();
        return;
      }
      if ((key === "z" || key === "y") && isActive(event.target)) {
        event.preventDefault();
        if (readOnlyRef.current) return;
        dispatchRef.current({ type: (key === "z" && event.shiftKey) || key === "y" ? "redo" : "undo" });
      }
    };
    const onCopy = (event: ClipboardEvent) => {
      if (!isActive(event.target)) return;
      const text = copySelection();
      if (text === null) return;
      event.preventDefault();
      event.clipboardData?.setData("text/plain", text);
      rememberClipboard(text);
    };
    const onPaste = (event: ClipboardEvent) => {
      if (!isActive(event.target)) return;
      const text = event.clipboardData?.getData("text/plain") ?? "";
      if (pasteText(text)) {
        event.preventDefault();
        return;
      }
      // Nothing usable on the system clipboard (or no access): try the in-memory copy.
      void readClipboard().then((fallback) => {
        if (fallback !== text) pasteText(fallback);
      });
    };
    doc.addEventListener("keydown", onKeyDown);
    doc.addEventListener("copy", onCopy);
    doc.addEventListener("paste", onPaste);
    return () => {
      doc.removeEventListener("keydown", onKeyDown);
      doc.removeEventListener("copy", onCopy);
      doc.removeEventListener("paste", onPaste);
    };
  }, [isActive, copySelection, pasteText]);

  const onPaneMouseMove = useCallback(
    (event: React.MouseEvent) => {
      pointer.current = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
    },
    [flow],
  );

  /**
   * Selects a step or note and centres the canvas on it, working from the document (so also
   * for a card a windowed canvas has not mounted); with `focus`, the card then takes the focus.
   */
  const centreOn = useCallback(
    (id: string, focus: boolean) => {
      const doc = stateRef.current.document;
      const node = doc.nodes.find((n) => n.id === id);
      const note = node ? undefined : notesOf(doc).find((n) => n.id === id);
      if (!node && !note) return;
      const position = dragRef.current?.get(id) ?? node?.position ?? note!.position;
      const size = node ? sizeOf(node) : note!.size;
      send({ type: "select", nodeIds: [id], edgeIds: [] });
      const focusCard = () => {
        if (focus) rootRef.current?.querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(id)}"]`)?.focus({ preventScroll: true });
      };
      focusCard();
      // On a windowed canvas an off-screen card is only mounted once the move brings it into view.
      void flow
        .setCenter(position.x + size.width / 2, position.y + size.height / 2, { zoom: Math.max(flow.getZoom(), 0.9), duration: 300 })
        .then(() => requestAnimationFrame(() => focusCard()));
    },
    [flow, send, sizeOf],
  );

  // Focus requests (a diagnostic clicked in the route): centre the node and select it.
  useEffect(() => {
    if (focusNodeId) centreOn(focusNodeId, true);
  }, [focusNodeId, centreOn]);

  // -------------------------------------------------------------------------------------------
  // Notes

  const noteEditing = useMemo<NoteEditing>(
    () => ({ readOnly, setText: (noteId, text) => send({ type: "updateNote", noteId, text, key: `note-text:${noteId}` }) }),
    [readOnly, send],
  );

  const addNote = useCallback(() => {
    const pane = rootRef.current?.querySelector(".react-flow")?.getBoundingClientRect();
    const at = pane ? flow.screenToFlowPosition({ x: pane.left + pane.width / 2, y: pane.top + pane.height / 3 }) : { x: 0, y: 0 };
    send({ type: "addNote", position: { x: at.x - NOTE_DEFAULT_SIZE.width / 2, y: at.y - NOTE_DEFAULT_SIZE.height / 2 } });
  }, [flow, send]);

  // -------------------------------------------------------------------------------------------
  // Find a step

  const findRef = useRef<HTMLInputElement>(null);
  const goToMatch = useCallback((id: string) => centreOn(id, false), [centreOn]);

  const canUndo = state.past.length > 0 && !readOnly;
  const canRedo = state.future.length > 0 && !readOnly;
  const hasSelection = selection.nodeIds.length + selection.edgeIds.length > 0;

  return (
    <NamesContext.Provider value={names}>
      <NoteEditingContext.Provider value={noteEditing}>
      <div
        ref={rootRef}
        className={readOnly ? "fe-editor fe-editor--readonly" : "fe-editor"}
        onPointerEnter={() => (pointerInside.current = true)}
        onPointerLeave={() => (pointerInside.current = false)}
      >
        {/* The toolbar scrolls sideways on a phone; Find's list hangs from this wrapper, which does not clip it. */}
        <div className="fe-toolbar-wrap">
          <div className="fe-toolbar" role="toolbar" aria-label="Canvas tools">
            <button type="button" className="fe-tool" aria-label="Undo" title="Undo (Ctrl/Cmd+Z)" disabled={!canUndo} onClick={() => send({ type: "undo" })}>
              <ToolIcon d="M9 14 4 9l5-5 M4 9h11a5 5 0 0 1 0 10h-4" />
            </button>
            <button type="button" className="fe-tool" aria-label="Redo" title="Redo (Ctrl/Cmd+Shift+Z)" disabled={!canRedo} onClick={() => send({ type: "redo" })}>
              <ToolIcon d="m15 14 5-5-5-5 M20 9H9a5 5 0 0 0 0 10h4" />
            </button>
            <span className="fe-toolbar__sep" aria-hidden="true" />
            <button
              type="button"
              className="fe-tool fe-tool--text"
              disabled={readOnly || document.nodes.length === 0 || layoutStatus.running}
              aria-busy={layoutStatus.running}
              onClick={layout}
            >
              <ToolIcon d="M3 3h7v7H3z M14 14h7v7h-7z M6.5 10v4a2 2 0 0 0 2 2H14" />
              {layoutStatus.running ? "Laying out…" : "Auto-layout"}
            </button>
            <button
              type="button"
              className="fe-tool fe-tool--text"
              disabled={selection.nodeIds.length === 0}
              onClick={() => {
                const text = copySelection();
                if (text !== null) void writeClipboard(text);
              }}
            >
              Copy
            </button>
            <button type="button" className="fe-tool fe-tool--text" disabled={readOnly} onClick={() => void readClipboard().then(pasteText)}>
              Paste
            </button>
            <button type="button" className="fe-tool fe-tool--text" disabled={readOnly || !hasSelection} onClick={() => send({ type: "deleteSelection" })}>
              Delete
            </button>
            <button type="button" className="fe-tool fe-tool--text" disabled={readOnly} title="A sticky note for the people editing this flow" onClick={addNote}>
              Note
            </button>
            <span className="fe-toolbar__sep" aria-hidden="true" />
            <FindBox document={document} names={names} goTo={goToMatch} inputRef={findRef} />
            <span className="fe-toolbar__status" aria-live="polite">
              {layoutStatus.message ? `${layoutStatus.message} · ` : ""}
              {document.nodes.length} {document.nodes.length === 1 ? "step" : "steps"}
            </span>
          </div>
        </div>
        <div className="fe-body">
          <Palette onAdd={addFromPalette} disabled={readOnly} />
          <div className="fe-canvas" ref={canvasRef} role="region" aria-label="Canvas" onDragOver={onDragOver} onDrop={onDrop}>
            {firstView ? (
            <ReactFlow<EditorNode>
              nodes={nodes}
              edges={edges}
              nodeTypes={nodeTypes}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              onDelete={onDelete}
              onPaneMouseMove={onPaneMouseMove}
              isValidConnection={isValidConnection}
              onlyRenderVisibleElements={document.nodes.length >= WINDOWED_FROM}
              nodesDraggable={!readOnly}
              nodesConnectable={!readOnly}
              edgesFocusable
              nodesFocusable
              deleteKeyCode={readOnly ? null : ["Delete", "Backspace"]}
              selectionKeyCode="Shift"
              multiSelectionKeyCode={["Meta", "Control"]}
              defaultViewport={firstView}
              minZoom={0.05}
              maxZoom={2}
              defaultEdgeOptions={DEFAULT_EDGE}
              connectionRadius={30}
            >
              <Background variant={BackgroundVariant.Dots} gap={20} size={1.4} color="#c8cfd9" />
              {showMiniMap ? (
                <MiniMap<EditorNode> pannable zoomable nodeColor={miniMapColor} nodeStrokeWidth={0} ariaLabel="Mini map" maskColor="rgba(240, 243, 247, 0.7)" />
              ) : null}
              <Controls showInteractive={false} aria-label="Zoom and fit view" />
            </ReactFlow>
            ) : (
              <p className="fe-canvas__loading" role="status">
                Loading the canvas…
              </p>
            )}
          </div>
          <Inspector document={document} selection={selection} dispatch={send} diagnostics={diagnostics} workspace={workspace} readOnly={readOnly} />
        </div>
      </div>
      </NoteEditingContext.Provider>
    </NamesContext.Provider>
  );
}

/** Space kept between a card added from the palette and its neighbours. */
const GAP = 40;

const DEFAULT_EDGE = { type: "default" } as const;
const NOTE_MINIMAP_COLOR = "#f2d98a";
const miniMapColor = (node: EditorNode) => (node.type === NOTE_TYPE ? NOTE_MINIMAP_COLOR : nodeRegistry[node.data.node.kind].color);

const ToolIcon = memo(function ToolIcon({ d }: { d: string }) {
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false" className="fe-tool__icon">
      {d.split(" M").map((part, i) => (
        <path key={i} d={i === 0 ? part : `M${part}`} />
      ))}
    </svg>
  );
});

