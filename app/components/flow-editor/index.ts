/**
 * The canvas editor, for the flow route (app/routes/flows.$id.tsx) and the dev canvas route.
 *
 * Interface (agreed with the route):
 *
 *   const [state, dispatch] = useReducer(editorReducer, document, initialEditorState);
 *   <FlowEditor
 *     state={state} dispatch={dispatch}        // controlled: the route owns the state
 *     diagnostics={diagnostics}                // compile(state.document, context).diagnostics, debounced: badges on nodes
 *     context={{ teams, users, contactProperties }}  // pickers in inspectors, names on cards
 *     highlightNodeId={previewNodeId}          // optional: the preview's current node
 *     analytics={{ nodes: { [nodeId]: { reached, dropOff } }, edges: { [edgeId]: count } }}  // optional overlay; dropOff is a 0–1 share
 *     focusNodeId={clickedDiagnostic.nodeId}   // optional: centre + select that node (set null, then the id, to refocus)
 *     readOnly={false} />
 *
 * Styles: add `editor.css` to the route's links() — `import editorStyles from
 * "~/components/flow-editor/editor.css?url"`; it includes React Flow's own stylesheet. Give
 * the editor's parent a height (the editor fills it).
 *
 * EditorState = { document, past, future, selection: { nodeIds, edgeIds }, editKey? } — history
 * capped at 100; selection never enters it. `state.document` is what to save (autosave it).
 * EditorAction (all pure, see editor-state.ts):
 *   addNode(kind, position, afterNodeId?) · moveNodes(positions, final) · updateNodeData(nodeId, data, key?)
 *   renameNode(nodeId, label, key?) · deleteSelection · deleteElements(nodeIds, edgeIds)
 *   connect(source, sourcePort, target) (replaces the port's edge) · deleteEdge(edgeId)
 *   paste(nodes, edges, notes?, offset) (ids remapped) · setStartNode(nodeId) · replaceDocument(document)
 *   setSettings(settings, key?) · setVariables(variables, key?) · undo · redo
 *   select(nodeIds?, edgeIds?) · changeSelection(nodes?, edges?) · layout(positions) (from layoutPositions, off the main thread)
 *   addNote(position, text?, color?) · updateNote(noteId, text?, color?, key?) · resizeNote(noteId, box)
 *   (canvas notes: `document.notes`, never compiled; their ids share the steps' id space, so
 *   moveNodes, paste, deleteElements and selection take them too)
 * e.g. dispatch({ type: "replaceDocument", document }) after a JSON edit, a restore or an import.
 * `key` groups consecutive edits into one undo step (typing in one settings field: pass the field's path).
 */
export { FlowEditor, type FlowAnalytics, type FlowEditorProps } from "./flow-editor.js";
export {
  canConnect,
  editorReducer,
  HISTORY_LIMIT,
  initialEditorState,
  type EditorAction,
  type EditorSelection,
  type EditorState,
  type XYPosition,
} from "./editor-state.js";
export { nodeRegistry, type NodeRegistryEntry } from "./node-registry.js";
// auto-layout.ts (dagre) is left out on purpose: the canvas runs it in a worker (layout-client.ts),
// and servers and tests import it directly, so the page never bundles dagre.
export { estimateNodeSize, NODE_WIDTH, type NodeSize, type NodeSizes } from "./card-size.js";
export { generateDocument, GENERATED_CONTEXT } from "./generate.js";
