/**
 * The inspector beside the canvas: the selected node's form (chosen by the node registry and
 * checked against the kind's schema as you type), the selected connection, a multi-selection,
 * or — with nothing selected — the flow's declared variables.
 */
import { Either, Schema as S } from "effect";
import { memo, useMemo, type CSSProperties } from "react";
import { decodeWith } from "../../../../flows/decode.js";
import { DiagnosticCode, humanizeIssues, type Diagnostic } from "../../../../flows/diagnostics.js";
import { NOTE_COLORS, NOTE_TEXT_MAX, type DocumentNode, type DocumentNote, type FlowDocument } from "../../../../flows/flow-document.js";
import { VariableDeclaration } from "../../../../flows/flow-spec.js";
import { portsOf } from "../../../../flows/ports.js";
import type { EditorAction, EditorSelection } from "../editor-state.js";
import { nodeRegistry, schemaOf } from "../node-registry.js";
import { NOTE_COLOR_NAMES } from "../nodes/note-node.js";
import { collectReferences, type FlowReferences } from "../references.js";
import { pathString, setIn, type DataPath } from "./data-path.js";
import { InspectorContext, ItemList, SelectField, TextField, type InspectorApi, type Workspace } from "./fields.js";

export interface InspectorProps {
  readonly document: FlowDocument;
  readonly selection: EditorSelection;
  readonly dispatch: (action: EditorAction) => void;
  readonly diagnostics: ReadonlyArray<Diagnostic>;
  readonly workspace: Workspace;
  readonly readOnly: boolean;
}

interface Problem {
  readonly path: string;
  readonly message: string;
  readonly severity: "error" | "warning";
}

const nodeName = (node: DocumentNode | undefined, id: string) =>
  node ? `${nodeRegistry[node.kind].title} “${node.label ?? node.id}”` : `missing step ${id}`;

/** Indexes problems by path for the fields, keeping the order for the summary. */
const problemIndex = (problems: ReadonlyArray<Problem>) => {
  const byPath = new Map<string, string[]>();
  for (const p of problems) byPath.set(p.path, [...(byPath.get(p.path) ?? []), p.message]);
  return (path: DataPath): ReadonlyArray<string> => byPath.get(pathString(path)) ?? [];
};

function ProblemList({ problems, label }: { problems: ReadonlyArray<Problem>; label: string }) {
  if (problems.length === 0) return null;
  return (
    <div className="fe-problems" role="region" aria-label={label}>
      <ul>
        {problems.map((p, i) => (
          <li key={i} className={p.severity === "error" ? "fe-problem fe-problem--error" : "fe-problem fe-problem--warning"}>
            {p.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

function NodeInspector({
  node,
  document,
  dispatch,
  diagnostics,
  references,
  workspace,
  readOnly,
}: {
  node: DocumentNode;
  document: FlowDocument;
  dispatch: (action: EditorAction) => void;
  diagnostics: ReadonlyArray<Diagnostic>;
  references: FlowReferences;
  workspace: Workspace;
  readOnly: boolean;
}) {
  const entry = nodeRegistry[node.kind];
  // The schema check runs here, as you type; the compiler's own report of the same problems
  // (invalid_node_data) arrives later (debounced) and would only repeat it.
  const schemaProblems = useMemo((): ReadonlyArray<Problem> => {
    const result = decodeWith(schemaOf(node.kind))(node.data);
    return Either.isLeft(result) ? humanizeIssues(result.left).map((i) => ({ path: i.path, message: i.message, severity: "error" as const })) : [];
  }, [node.kind, node.data]);
  const problems = useMemo(() => {
    const fromCompiler = diagnostics
      .filter((d) => d.nodeId === node.id && d.code !== DiagnosticCode.invalidNodeData && !d.path?.startsWith("edges["))
      .map((d) => ({ path: d.path?.startsWith("data.") ? d.path.slice(5) : "", message: d.message, severity: d.severity }));
    return [...schemaProblems, ...fromCompiler];
  }, [schemaProblems, diagnostics, node.id]);
  const errorsAt = useMemo(() => problemIndex(problems), [problems]);
  const api = useMemo<InspectorApi>(
    () => ({
      nodeId: node.id,
      data: node.data,
      set: (path, value) =>
        dispatch({ type: "updateNodeData", nodeId: node.id, data: setIn(node.data, path, value), key: `data:${node.id}:${pathString(path)}` }),
      replace: (data) => dispatch({ type: "updateNodeData", nodeId: node.id, data }),
      errorsAt,
      references,
      workspace,
      readOnly,
    }),
    [node.id, node.data, dispatch, errorsAt, references, workspace, readOnly],
  );
  const isStart = document.startNodeId === node.id;
  const labelId = `fe-${node.id}-label`;
  const Form = entry.Inspector;
  return (
    <section className="fe-inspector__node" aria-label={`${entry.title} node settings`}>
      <header className="fe-inspector__header" style={{ "--fe-kind": entry.color } as CSSProperties}>
        <svg className="fe-inspector__icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
          {entry.icon}
        </svg>
        <div>
          <h2>{entry.title}</h2>
          <p className="fe-inspector__id">id: {node.id}</p>
        </div>
      </header>
      <div className="fe-field">
        <div className="fe-field__top">
          <label htmlFor={labelId}>Name</label>
        </div>
        <input
          id={labelId}
          type="text"
          value={node.label ?? ""}
          placeholder={node.id}
          readOnly={readOnly}
          maxLength={200}
          autoComplete="off"
          onChange={(e) => dispatch({ type: "renameNode", nodeId: node.id, label: e.target.value, key: `label:${node.id}` })}
        />
      </div>
      <div className="fe-inspector__actions">
        {isStart ? (
          <span className="fe-pill fe-pill--start">Start step</span>
        ) : (
          <button type="button" className="fe-button fe-button--small" disabled={readOnly} onClick={() => dispatch({ type: "setStartNode", nodeId: node.id })}>
            Start here
          </button>
        )}
        <button
          type="button"
          className="fe-button fe-button--small fe-button--danger"
          disabled={readOnly}
          onClick={() => dispatch({ type: "deleteElements", nodeIds: [node.id], edgeIds: [] })}
        >
          Delete step
        </button>
      </div>
      <ProblemList problems={problems} label="Problems with this step" />
      <InspectorContext.Provider value={api}>
        <div className="fe-inspector__form">
          <Form />
        </div>
      </InspectorContext.Provider>
    </section>
  );
}

const VARIABLE_TYPES = [
  { value: "string", label: "Text" },
  { value: "number", label: "Number" },
  { value: "boolean", label: "True/false" },
  { value: "list", label: "List" },
];

const decodeVariables = decodeWith(S.Struct({ variables: S.Array(VariableDeclaration) }));

/** With nothing selected: the flow's declared variables. */
function FlowInspector({
  document,
  dispatch,
  diagnostics,
  references,
  workspace,
  readOnly,
}: {
  document: FlowDocument;
  dispatch: (action: EditorAction) => void;
  diagnostics: ReadonlyArray<Diagnostic>;
  references: FlowReferences;
  workspace: Workspace;
  readOnly: boolean;
}) {
  const data = useMemo(() => ({ variables: document.variables }), [document.variables]);
  const problems = useMemo((): ReadonlyArray<Problem> => {
    const result = decodeVariables(data);
    const decoded = Either.isLeft(result) ? humanizeIssues(result.left).map((i) => ({ path: i.path, message: i.message, severity: "error" as const })) : [];
    const compiled = diagnostics
      .filter((d) => d.nodeId === undefined && d.path?.startsWith("variables"))
      .map((d) => ({ path: d.path!, message: d.message, severity: d.severity }));
    return [...decoded, ...compiled];
  }, [data, diagnostics]);
  const errorsAt = useMemo(() => problemIndex(problems), [problems]);
  const api = useMemo<InspectorApi>(
    () => ({
      nodeId: "flow",
      data,
      set: (path, value) =>
        dispatch({
          type: "setVariables",
          variables: (setIn(data, path, value) as typeof data).variables,
          key: `variables:${pathString(path)}`,
        }),
      replace: (next) => dispatch({ type: "setVariables", variables: (next as typeof data).variables }),
      errorsAt,
      references,
      workspace,
      readOnly,
    }),
    [data, dispatch, errorsAt, references, workspace, readOnly],
  );
  return (
    <section className="fe-inspector__flow" aria-label="Flow settings">
      <p className="fe-inspector__empty">Select a step on the canvas to edit it.</p>
      <h2>Variables</h2>
      <p className="fe-note">
        Declare variables the flow uses before anything saves them. Answers, webhooks and code can save more; all are
        offered in pickers and as {"{{tokens}}"}.
      </p>
      <InspectorContext.Provider value={api}>
        <ItemList path={["variables"]} legend="Declared variables" itemName="variable" newItem={(items) => ({ name: `var_${items.length + 1}`, type: "string" })}>
          {(index) => (
            <>
              <div className="fe-row">
                <TextField path={["variables", index, "name"]} label="Name" />
                <SelectField path={["variables", index, "type"]} label="Type" options={VARIABLE_TYPES} />
              </div>
              <TextField path={["variables", index, "defaultValue"]} label="Starts as" optional />
              <TextField path={["variables", index, "description"]} label="Description" optional />
            </>
          )}
        </ItemList>
      </InspectorContext.Provider>
    </section>
  );
}

/** A canvas note's text and colour. */
function NoteInspector({ note, dispatch, readOnly }: { note: DocumentNote; dispatch: (action: EditorAction) => void; readOnly: boolean }) {
  const textId = `fe-note-${note.id}-text`;
  return (
    <section className="fe-inspector__note" aria-label="Note settings">
      <h2>Note</h2>
      <p className="fe-note">Notes are for the people editing this flow: visitors never see them, and publishing leaves them out.</p>
      <div className="fe-field">
        <label htmlFor={textId}>Note text</label>
        <textarea
          id={textId}
          value={note.text}
          rows={6}
          maxLength={NOTE_TEXT_MAX}
          readOnly={readOnly}
          aria-describedby={`${textId}-hint`}
          onChange={(e) => dispatch({ type: "updateNote", noteId: note.id, text: e.target.value, key: `note-text:${note.id}` })}
        />
        <p className="fe-field__hint" id={`${textId}-hint`}>
          {note.text.length.toLocaleString("en")} of {NOTE_TEXT_MAX.toLocaleString("en")} characters · plain text
        </p>
      </div>
      <fieldset className="fe-note-colors" disabled={readOnly}>
        <legend>Colour</legend>
        {NOTE_COLORS.map((color) => (
          <label key={color} className={`fe-note-colors__choice fe-note-card--${color}`}>
            <input
              type="radio"
              name={`fe-note-${note.id}-color`}
              value={color}
              checked={note.color === color}
              onChange={() => dispatch({ type: "updateNote", noteId: note.id, color })}
            />
            {NOTE_COLOR_NAMES[color]}
          </label>
        ))}
      </fieldset>
      <button type="button" className="fe-button fe-button--small fe-button--danger" disabled={readOnly} onClick={() => dispatch({ type: "deleteElements", nodeIds: [note.id], edgeIds: [] })}>
        Delete note
      </button>
    </section>
  );
}

function InspectorView({ document, selection, dispatch, diagnostics, workspace, readOnly }: InspectorProps) {
  const references = useMemo(
    () => collectReferences(document, workspace.contactProperties),
    [document.nodes, document.variables, workspace.contactProperties],
  );
  const { nodeIds, edgeIds } = selection;
  let content;
  if (nodeIds.length === 1 && edgeIds.length === 0) {
    const node = document.nodes.find((n) => n.id === nodeIds[0]);
    const note = node ? undefined : document.notes?.find((n) => n.id === nodeIds[0]);
    content = note ? (
      <NoteInspector key={note.id} note={note} dispatch={dispatch} readOnly={readOnly} />
    ) : node ? (
      <NodeInspector
        key={node.id}
        node={node}
        document={document}
        dispatch={dispatch}
        diagnostics={diagnostics}
        references={references}
        workspace={workspace}
        readOnly={readOnly}
      />
    ) : null;
  } else if (nodeIds.length === 0 && edgeIds.length === 1) {
    const edge = document.edges.find((e) => e.id === edgeIds[0]);
    if (edge) {
      const source = document.nodes.find((n) => n.id === edge.source);
      const target = document.nodes.find((n) => n.id === edge.target);
      const port = source ? portsOf(source).find((p) => p.name === edge.sourcePort) : undefined;
      content = (
        <section className="fe-inspector__edge" aria-label="Connection settings">
          <h2>Connection</h2>
          <p>
            From {nodeName(source, edge.source)}, exit “{port?.label ?? edge.sourcePort}”, to {nodeName(target, edge.target)}.
          </p>
          <button
            type="button"
            className="fe-button fe-button--small fe-button--danger"
            disabled={readOnly}
            onClick={() => dispatch({ type: "deleteEdge", edgeId: edge.id })}
          >
            Delete connection
          </button>
        </section>
      );
    }
  } else if (nodeIds.length + edgeIds.length > 1) {
    const noteIds = new Set((document.notes ?? []).map((n) => n.id));
    const notes = nodeIds.filter((id) => noteIds.has(id)).length;
    const steps = nodeIds.length - notes;
    const parts = [
      steps > 0 || notes === 0 ? `${steps} ${steps === 1 ? "step" : "steps"}` : null,
      notes > 0 ? `${notes} ${notes === 1 ? "note" : "notes"}` : null,
      edgeIds.length > 0 ? `${edgeIds.length} ${edgeIds.length === 1 ? "connection" : "connections"}` : null,
    ].filter((p): p is string => p !== null);
    content = (
      <section className="fe-inspector__multi" aria-label="Selection">
        <h2>{parts.length > 1 ? `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}` : parts[0]} selected</h2>
        <p className="fe-note">Ctrl/Cmd+C copies them (also into another flow); Delete removes them.</p>
        <button type="button" className="fe-button fe-button--small fe-button--danger" disabled={readOnly} onClick={() => dispatch({ type: "deleteSelection" })}>
          Delete selected
        </button>
      </section>
    );
  }
  return (
    <aside className="fe-inspector" aria-label="Inspector">
      {content ?? (
        <FlowInspector document={document} dispatch={dispatch} diagnostics={diagnostics} references={references} workspace={workspace} readOnly={readOnly} />
      )}
    </aside>
  );
}

/** The inspector (memoized: a drag on the canvas does not re-render it). */
export const Inspector = memo(InspectorView);
