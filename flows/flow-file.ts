/**
 * A flow as a file holds it: an exported canvas document (what the builder's "Export"
 * downloads) or a flow spec (hand-written, or from the Spec tab; it has `formatVersion`). The
 * builder's import and the REST API's draft and import endpoints read flows through here, so
 * both accept the same files with the same path + message for every problem. Pure.
 */
import { Either } from "effect";
import { decodeFlowDocument, decodeFlowSpec, specToDocument } from "./compile.js";
import type { DecodeIssue } from "./decode.js";
import type { FlowDocument } from "./flow-document.js";

/** Largest flow file accepted (a 5,000-node flow is well under this). */
export const MAX_FLOW_FILE_BYTES = 5 * 1024 * 1024;

/**
 * Decodes parsed JSON into a FlowDocument: a document as is, a spec (it has `formatVersion`)
 * laid out as a document. Every problem comes back as path + message. Pure.
 */
export const decodeFlowFile = (value: unknown): Either.Either<FlowDocument, ReadonlyArray<DecodeIssue>> => {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return Either.left([{ path: "", message: "expected a flow: a JSON object with nodes and edges (or a flow spec)" }]);
  }
  if ("formatVersion" in value) return Either.map(decodeFlowSpec(value), specToDocument);
  return decodeFlowDocument(value);
};

/** The document as a new chatflow's first draft: its own id and the name chosen for it. Pure. */
export const asNewDraft = (document: FlowDocument, chatflowId: string, name?: string): FlowDocument => ({
  ...document,
  id: chatflowId.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64) || "flow",
  ...(name !== undefined ? { name } : {}),
});
