/**
 * Reading a flow file someone uploads: an exported FlowDocument (what "Export" downloads) or a
 * FlowSpec (hand-written, or from the Spec tab). The same function checks the file in the
 * browser before upload and in the action, so both show the same path + message list.
 */
import { Either } from "effect";
import { decodeFlowDocument, decodeFlowSpec, specToDocument } from "../../../flows/compile.js";
import type { DecodeIssue } from "../../../flows/decode.js";
import type { FlowDocument } from "../../../flows/flow-document.js";

/** Largest flow file accepted (a 5,000-node flow is well under this). */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;

/**
 * Parses and decodes a flow file's text into a FlowDocument: a document as is, a spec (it has
 * `formatVersion`) laid out as a document. Every problem comes back as path + message. Pure.
 */
export const parseFlowFile = (text: string): Either.Either<FlowDocument, ReadonlyArray<DecodeIssue>> => {
  if (new TextEncoder().encode(text).length > MAX_IMPORT_BYTES) {
    return Either.left([{ path: "", message: `the file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB` }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return Either.left([{ path: "", message: `the file is not JSON (${error instanceof Error ? error.message : String(error)})` }]);
  }
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

/** One line per issue, `path: message` (or the message alone at the root), for error lists. Pure. */
export const issueLines = (issues: ReadonlyArray<DecodeIssue>): ReadonlyArray<string> =>
  issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));

/** A file name from a flow name: lower-case words joined by dashes, `flow` when nothing is left. Pure. */
export const exportFileName = (name: string): string =>
  `${
    name
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 80) || "flow"
  }.json`;
