/**
 * FlowDocument: what the canvas saves. Nodes carry a position and the same data schema as
 * spec nodes; edges go from a node's output port to a node. The compiler turns a document
 * into a FlowSpec. Node data is kept loosely typed here (`Unknown`) so that a half-filled
 * node can still be saved as a draft; the compiler validates it per kind.
 */
import { Schema as S } from "effect";
import {
  ChatflowKind,
  ItemId,
  NodeId,
  Settings,
  VariableDeclaration,
} from "./flow-spec.js";

export const NodeKindLiteral = S.Literal(
  "message",
  "question",
  "branch",
  "set",
  "webhook",
  "code",
  "handoff",
  "ticket",
  "meeting",
  "add_to_list",
  "subscribe",
  "knowledge",
  "split",
  "end",
);

export const DocumentNode = S.Struct({
  id: NodeId,
  kind: NodeKindLiteral,
  label: S.optional(S.String.pipe(S.maxLength(200))),
  position: S.Struct({ x: S.Number, y: S.Number }),
  data: S.Unknown,
});
export type DocumentNode = typeof DocumentNode.Type;

export const DocumentEdge = S.Struct({
  id: S.String.pipe(S.minLength(1), S.maxLength(200)),
  source: NodeId,
  sourcePort: S.String.pipe(S.minLength(1), S.maxLength(200)),
  target: NodeId,
});
export type DocumentEdge = typeof DocumentEdge.Type;

export const FlowDocument = S.Struct({
  id: ItemId,
  name: S.String.pipe(S.minLength(1), S.maxLength(200)),
  kind: ChatflowKind,
  language: S.optionalWith(S.String, { default: () => "en" }),
  startNodeId: S.optional(NodeId),
  nodes: S.Array(DocumentNode).pipe(S.maxItems(5_000)),
  edges: S.Array(DocumentEdge).pipe(S.maxItems(20_000)),
  variables: S.optionalWith(S.Array(VariableDeclaration), { default: () => [] }),
  settings: S.optionalWith(S.Unknown, { default: () => ({}) }),
}).annotations({ identifier: "FlowDocument" });
export type FlowDocument = typeof FlowDocument.Type;

/** Re-exported so editor code imports settings from one place. */
export { Settings };
