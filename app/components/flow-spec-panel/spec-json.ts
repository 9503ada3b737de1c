/**
 * The Spec tab's model: the flow as FlowSpec JSON text, and a hand edit of that text applied
 * back to the canvas document — decoded with the same `decodeFlowSpec` the server uses,
 * turned into a document with `specToDocument`, and keeping every surviving node's position
 * (and edge id) so a JSON edit does not scramble the canvas. Pure; browser-safe.
 */
import { Either } from "effect";
import { decodeFlowSpec, specToDocument, type CompileResult } from "../../../flows/compile.js";
import { canonicalJson } from "../../../flows/canonical-json.js";
import type { DecodeIssue } from "../../../flows/decode.js";
import type { DocumentNote, FlowDocument } from "../../../flows/flow-document.js";
import { FORMAT_VERSION, type FlowSpec } from "../../../flows/flow-spec.js";
import { freshNodeId } from "../flow-editor/editor-state.js";

/**
 * The flow as spec-shaped JSON: the compiled spec when it compiles, else the document's nodes
 * with `next` built from its edges (so a flow with errors can still be read and fixed here). Pure.
 */
export const specJsonOf = (document: FlowDocument, compiled: CompileResult | null): unknown => {
  if (compiled?.spec) return compiled.spec;
  const next = new Map<string, Record<string, string>>();
  for (const edge of document.edges) {
    const ports = next.get(edge.source) ?? {};
    if (ports[edge.sourcePort] === undefined) ports[edge.sourcePort] = edge.target;
    next.set(edge.source, ports);
  }
  return {
    formatVersion: FORMAT_VERSION,
    id: document.id,
    name: document.name,
    kind: document.kind,
    language: document.language,
    ...(document.startNodeId !== undefined ? { startNodeId: document.startNodeId } : {}),
    nodes: document.nodes.map((node) => ({
      id: node.id,
      kind: node.kind,
      ...(node.label !== undefined ? { label: node.label } : {}),
      data: node.data,
      next: next.get(node.id) ?? {},
    })),
    variables: document.variables,
    settings: document.settings,
  };
};

/** The text the Spec tab shows for a document. Pure. */
export const specTextOf = (document: FlowDocument, compiled: CompileResult | null): string =>
  `${JSON.stringify(specJsonOf(document, compiled), null, 2)}\n`;

/** Notes whose id a step of `document` now takes get a fresh id, so ids stay unique. */
const keptNotes = (notes: ReadonlyArray<DocumentNote>, document: FlowDocument): ReadonlyArray<DocumentNote> => {
  const steps = new Set(document.nodes.map((n) => n.id));
  if (!notes.some((n) => steps.has(n.id))) return notes;
  const taken = new Set([...steps, ...notes.map((n) => n.id)]);
  return notes.map((note) => {
    if (!steps.has(note.id)) return note;
    const id = freshNodeId(note.id, taken);
    taken.add(id);
    return { ...note, id };
  });
};

/**
 * A spec decoded from edited text (or a published version restored), as a document for the
 * canvas: positions of nodes that still exist are kept, as are the ids of edges that still
 * exist and the canvas notes (a spec has none: they belong to the draft). Pure.
 */
export const documentFromSpec = (spec: FlowSpec, current: FlowDocument): FlowDocument => {
  const laidOut = specToDocument(spec);
  const positions = new Map(current.nodes.map((n) => [n.id, n.position] as const));
  const edgeIds = new Map(current.edges.map((e) => [`${e.source}\u0000${e.sourcePort}\u0000${e.target}`, e.id] as const));
  // New nodes keep specToDocument's layered spot, shifted below the existing drawing so nothing lands on top of it.
  const bottom = current.nodes.reduce((max, n) => Math.max(max, n.position.y), Number.NEGATIVE_INFINITY);
  const shift = Number.isFinite(bottom) ? bottom + 200 : 0;
  return {
    ...laidOut,
    nodes: laidOut.nodes.map((node) => {
      const kept = positions.get(node.id);
      return { ...node, position: kept ?? { x: node.position.x, y: node.position.y + shift } };
    }),
    edges: laidOut.edges.map((edge) => ({ ...edge, id: edgeIds.get(`${edge.source}\u0000${edge.sourcePort}\u0000${edge.target}`) ?? edge.id })),
    ...(current.notes !== undefined ? { notes: keptNotes(current.notes, laidOut) } : {}),
  };
};

export type SpecEdit =
  /** The text decodes and means something else than the document: apply this document. */
  | { readonly type: "apply"; readonly document: FlowDocument }
  /** The text decodes to what the document already is (formatting, key order): nothing to do. */
  | { readonly type: "same" }
  /** The text does not parse or decode: every problem, path + message. */
  | { readonly type: "invalid"; readonly issues: ReadonlyArray<DecodeIssue> };

/**
 * What an edit of the Spec text means for `current`, whose spec JSON is `currentSpec`
 * (from `specJsonOf`). Pure.
 */
export const readSpecEdit = (text: string, current: FlowDocument, currentSpec: unknown): SpecEdit => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { type: "invalid", issues: [{ path: "", message: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  const decoded = decodeFlowSpec(value);
  if (Either.isLeft(decoded)) return { type: "invalid", issues: decoded.left };
  // Compared after decoding both sides, so filled-in defaults and key order are not a change.
  const before = Either.getOrUndefined(decodeFlowSpec(currentSpec));
  if (before !== undefined && canonicalJson(before) === canonicalJson(decoded.right)) return { type: "same" };
  return { type: "apply", document: documentFromSpec(decoded.right, current) };
};
