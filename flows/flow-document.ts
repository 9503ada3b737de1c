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

/** The colours a canvas note can have; the first is a new note's. */
export const NOTE_COLORS = ["yellow", "blue", "green", "pink", "grey"] as const;
export type NoteColor = (typeof NOTE_COLORS)[number];

/** Longest text a canvas note holds. */
export const NOTE_TEXT_MAX = 2_000;

/** Bounds of a note's size on the canvas, in flow pixels. */
export const NOTE_SIZE = { minWidth: 120, minHeight: 60, maxWidth: 2_000, maxHeight: 2_000 } as const;

const px = (n: number) => n.toLocaleString("en");
const finite = S.Number.pipe(S.finite({ message: () => "expected a finite number" }));

/**
 * A sticky note on the canvas: plain text (never rendered as HTML) documenting the flow for
 * the people who edit it. Notes belong to the document only: the compiler never reads them,
 * so they are not in the spec, and no edge connects to them.
 */
export const DocumentNote = S.Struct({
  id: NodeId,
  text: S.String.pipe(S.maxLength(NOTE_TEXT_MAX, { message: () => `a note holds at most ${NOTE_TEXT_MAX.toLocaleString("en")} characters` })),
  color: S.optionalWith(S.Literal(...NOTE_COLORS), { default: () => "yellow" as const }),
  position: S.Struct({ x: finite, y: finite }),
  size: S.Struct({
    width: finite.pipe(S.between(NOTE_SIZE.minWidth, NOTE_SIZE.maxWidth, { message: () => `a note is ${px(NOTE_SIZE.minWidth)}–${px(NOTE_SIZE.maxWidth)} px wide` })),
    height: finite.pipe(S.between(NOTE_SIZE.minHeight, NOTE_SIZE.maxHeight, { message: () => `a note is ${px(NOTE_SIZE.minHeight)}–${px(NOTE_SIZE.maxHeight)} px high` })),
  }),
});
export type DocumentNote = typeof DocumentNote.Type;

const FlowDocumentFields = S.Struct({
  id: ItemId,
  name: S.String.pipe(S.minLength(1), S.maxLength(200)),
  kind: ChatflowKind,
  language: S.optionalWith(S.String, { default: () => "en" }),
  startNodeId: S.optional(NodeId),
  nodes: S.Array(DocumentNode).pipe(S.maxItems(5_000)),
  edges: S.Array(DocumentEdge).pipe(S.maxItems(20_000)),
  variables: S.optionalWith(S.Array(VariableDeclaration), { default: () => [] }),
  settings: S.optionalWith(S.Unknown, { default: () => ({}) }),
  /** Canvas notes; absent in documents that never had one, so those save as before. */
  notes: S.optional(S.Array(DocumentNote).pipe(S.maxItems(500))),
});

/**
 * A note shares the canvas with the steps, so its id must be unique among notes and steps
 * (selection, copy and delete address both by id).
 */
const noteIdIssues = (document: typeof FlowDocumentFields.Type): ReadonlyArray<S.FilterIssue> => {
  if (!document.notes || document.notes.length === 0) return [];
  const taken = new Set(document.nodes.map((n) => n.id));
  const issues: S.FilterIssue[] = [];
  document.notes.forEach((note, i) => {
    if (taken.has(note.id)) issues.push({ path: ["notes", i, "id"], message: `“${note.id}” is already the id of a step or another note` });
    taken.add(note.id);
  });
  return issues;
};

export const FlowDocument = FlowDocumentFields.pipe(S.filter(noteIdIssues)).annotations({ identifier: "FlowDocument" });
export type FlowDocument = typeof FlowDocument.Type;

/** Re-exported so editor code imports settings from one place. */
export { Settings };
