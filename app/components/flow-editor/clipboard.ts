/**
 * Copy and paste of canvas nodes through the system clipboard, as JSON
 * `{"parley":"nodes","nodes":[…],"edges":[…],"notes":[…]}` so nodes (and canvas notes) travel between flows (and tabs),
 * with an in-memory copy for when the browser refuses clipboard access.
 */
import { Either, Schema as S } from "effect";
import { decodeWith, type DecodeIssue } from "../../../flows/decode.js";
import { DocumentEdge, DocumentNode, DocumentNote, type FlowDocument } from "../../../flows/flow-document.js";
import type { XYPosition } from "./editor-state.js";

export const ClipboardContent = S.Struct({
  parley: S.Literal("nodes"),
  nodes: S.Array(DocumentNode).pipe(S.maxItems(5_000)),
  edges: S.Array(DocumentEdge).pipe(S.maxItems(20_000)),
  /** Absent in what older editors copied. */
  notes: S.optional(S.Array(DocumentNote).pipe(S.maxItems(500))),
});
export type ClipboardContent = typeof ClipboardContent.Type;

/** The selected nodes, the edges running between them and the selected notes, ready to serialize. Pure. */
export const copyNodes = (document: FlowDocument, nodeIds: ReadonlyArray<string>): ClipboardContent => {
  const wanted = new Set(nodeIds);
  const notes = (document.notes ?? []).filter((n) => wanted.has(n.id));
  return {
    parley: "nodes",
    nodes: document.nodes.filter((n) => wanted.has(n.id)),
    edges: document.edges.filter((e) => wanted.has(e.source) && wanted.has(e.target)),
    ...(notes.length > 0 ? { notes } : {}),
  };
};

/** The clipboard text for `content`. Pure. */
export const serializeClipboard = (content: ClipboardContent): string => JSON.stringify(content);

const decodeContent = decodeWith(ClipboardContent);

/**
 * Reads clipboard text as Parley nodes: the content, or issues (path + message) saying why
 * it is not (not JSON, not Parley nodes, a malformed node). Pure.
 */
export const parseClipboard = (text: string): Either.Either<ClipboardContent, ReadonlyArray<DecodeIssue>> => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return Either.left([{ path: "", message: "The clipboard does not hold Parley nodes (it is not JSON)." }]);
  }
  if (json === null || typeof json !== "object" || (json as { parley?: unknown }).parley !== "nodes") {
    return Either.left([{ path: "parley", message: 'The clipboard does not hold Parley nodes (no "parley": "nodes" marker).' }]);
  }
  return decodeContent(json);
};

/**
 * How far pasted nodes move: so their top-left corner lands on `anchor` (the pointer on the
 * canvas) when given, else 40 px down and right of where they were copied. Pure.
 */
export const pasteOffset = (content: ClipboardContent, anchor?: XYPosition | null): XYPosition => {
  const items = [...content.nodes, ...(content.notes ?? [])];
  if (!anchor || items.length === 0) return { x: 40, y: 40 };
  const minX = Math.min(...items.map((n) => n.position.x));
  const minY = Math.min(...items.map((n) => n.position.y));
  return { x: Math.round(anchor.x - minX), y: Math.round(anchor.y - minY) };
};

// The in-memory fallback: shared by every editor on the page, so copy in one flow's tab of a
// single-page session and paste in another still works without clipboard permission.
let memory: string | null = null;

/** Puts `text` on the system clipboard when the browser allows, and always in memory. */
export const writeClipboard = async (text: string): Promise<void> => {
  memory = text;
  try {
    await globalThis.navigator?.clipboard?.writeText(text);
  } catch {
    // Permission refused or no focus: the in-memory copy serves this page.
  }
};

/** Remembers text copied through a DOM `copy` event, which bypasses `writeClipboard`. */
export const rememberClipboard = (text: string): void => {
  memory = text;
};

/** The system clipboard's text when readable and holding Parley nodes, else the in-memory copy. */
export const readClipboard = async (): Promise<string | null> => {
  try {
    const text = await globalThis.navigator?.clipboard?.readText();
    if (typeof text === "string" && Either.isRight(parseClipboard(text))) return text;
  } catch {
    // Reading needs a permission the browser may not grant; fall back to memory.
  }
  return memory;
};
