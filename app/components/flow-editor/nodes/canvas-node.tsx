/**
 * The node card on the canvas, one memoized component for every kind, driven by the node
 * registry: a coloured header with the kind's icon, the node's content at a glance, one
 * labelled output handle per port along the bottom and one input handle on top.
 */
import { Handle, Position, useUpdateNodeInternals, type Node, type NodeProps } from "@xyflow/react";
import { createContext, memo, useContext, useEffect, useMemo, useRef, type CSSProperties } from "react";
import type { DocumentNode } from "../../../../flows/flow-document.js";
import type { NodeKind } from "../../../../flows/flow-spec.js";
import { cardWidth } from "../card-size.js";
import { nodeRegistry } from "../node-registry.js";
import type { NameLookup } from "../node-summary.js";
import { countRender } from "../render-counts.js";
import { NOTE_TYPE, NoteNodeView, type NoteNode } from "./note-node.js";

/** What a card shows besides the node itself; plain values so unchanged cards compare equal. */
export interface CanvasNodeData extends Record<string, unknown> {
  readonly node: DocumentNode;
  readonly isStart: boolean;
  readonly errors: number;
  readonly warnings: number;
  /** The first problem's message, for the badge's tooltip. */
  readonly problem: string | undefined;
  /** The preview's current node. */
  readonly highlighted: boolean;
  /** Reports overlay: conversations that reached the node, and the share that left there (0–1). */
  readonly reached: number | undefined;
  readonly dropOff: number | undefined;
}

export type CanvasNode = Node<CanvasNodeData, NodeKind>;

const NO_NAMES: NameLookup = { team: () => undefined, user: () => undefined };

/** Team and user names for the cards; provided once by the editor so node props stay small. */
export const NamesContext = createContext<NameLookup>(NO_NAMES);

/** The id of the input handle every node has. */
export const INPUT_HANDLE = "in";

const percent = (share: number) => `${Math.round(share * 100)}%`;

function CanvasNodeCard({ id, data, selected }: NodeProps<CanvasNode>) {
  countRender(id);
  const names = useContext(NamesContext);
  const { node } = data;
  const entry = nodeRegistry[node.kind];
  const summary = useMemo(() => entry.summarize(node.data, names), [entry, node.data, names]);
  const ports = useMemo(() => entry.ports(node.data), [entry, node.data]);

  // React Flow measures handles when a node first appears; a port added or removed later
  // (a new choice) needs a re-measure, or edges would attach to stale positions.
  const updateNodeInternals = useUpdateNodeInternals();
  const portKey = ports.map((p) => p.name).join("\n");
  const firstPorts = useRef(portKey);
  useEffect(() => {
    if (firstPorts.current === portKey) return;
    firstPorts.current = portKey;
    updateNodeInternals(id);
  }, [id, portKey, updateNodeInternals]);

  const className = [
    "fe-node",
    `fe-node--${node.kind}`,
    selected ? "fe-node--selected" : "",
    data.highlighted ? "fe-node--highlighted" : "",
    data.errors > 0 ? "fe-node--error" : data.warnings > 0 ? "fe-node--warning" : "",
  ]
    .filter(Boolean)
    .join(" ");
  const problems = data.errors + data.warnings;
  return (
    <div className={className} style={{ "--fe-kind": entry.color, width: cardWidth(ports.length) } as CSSProperties}>
      {data.isStart ? (
        <div className="fe-node__start" title="The conversation starts here">
          Start
        </div>
      ) : null}
      <Handle type="target" position={Position.Top} id={INPUT_HANDLE} className="fe-handle fe-handle--in" />
      <div className="fe-node__header">
        <svg className="fe-node__icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
          {entry.icon}
        </svg>
        <span className="fe-node__kind">{entry.title}</span>
        {problems > 0 ? (
          <span
            className={data.errors > 0 ? "fe-badge fe-badge--error" : "fe-badge fe-badge--warning"}
            title={data.problem}
            aria-label={`${problems} ${problems === 1 ? "problem" : "problems"}: ${data.problem ?? ""}`}
            role="img"
          >
            {problems}
          </span>
        ) : null}
      </div>
      <div className="fe-node__body">
        {node.label ? <p className="fe-node__label">{node.label}</p> : null}
        {summary.lines.map((line, i) => (
          <p key={i} className={`fe-line fe-line--${line.tone}`}>
            {line.text}
          </p>
        ))}
        {summary.chips.length > 0 ? (
          <ul className="fe-chips" aria-label="Choices">
            {summary.chips.map((chip, i) => (
              <li key={i}>{chip}</li>
            ))}
          </ul>
        ) : null}
        {data.reached !== undefined ? (
          <p className="fe-node__stats">
            Reached {data.reached.toLocaleString("en")}
            {data.dropOff !== undefined ? ` · drop-off ${percent(data.dropOff)}` : ""}
          </p>
        ) : null}
      </div>
      {ports.length > 0 ? (
        <div className="fe-node__ports">
          {ports.map((port) => (
            <div key={port.name} className="fe-port" title={`${port.label} exit`}>
              <span className="fe-port__label">{port.label}</span>
              <Handle type="source" position={Position.Bottom} id={port.name} className={port.required ? "fe-handle" : "fe-handle fe-handle--optional"} />
            </div>
          ))}
        </div>
      ) : null}
    </div>
  );
}

/** The card component for every kind (memoized: an unchanged node never re-renders). */
export const CanvasNodeView = memo(CanvasNodeCard);
CanvasNodeView.displayName = "CanvasNode";

/**
 * React Flow's `nodeTypes`, at module scope so its identity never changes (a new object would
 * remount every node). One entry per kind, all the same card, and one for canvas notes: React
 * Flow adds `react-flow__node-<kind>` classes for styling.
 */
export const nodeTypes = {
  ...(Object.fromEntries(Object.keys(nodeRegistry).map((kind) => [kind, CanvasNodeView])) as Record<NodeKind, typeof CanvasNodeView>),
  [NOTE_TYPE]: NoteNodeView,
};

/** Every node the canvas draws: a step's card or a note. */
export type EditorNode = CanvasNode | NoteNode;
