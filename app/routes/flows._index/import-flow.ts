/**
 * Reading a flow file someone uploads: an exported FlowDocument (what "Export" downloads) or a
 * FlowSpec (hand-written, or from the Spec tab), decoded by flows/flow-file.ts (which the REST
 * API reads flows with too). The same function checks the file in the browser before upload
 * and in the action, so both show the same path + message list.
 */
import { Either } from "effect";
import type { DecodeIssue } from "../../../flows/decode.js";
import type { FlowDocument } from "../../../flows/flow-document.js";
import { decodeFlowFile, MAX_FLOW_FILE_BYTES } from "../../../flows/flow-file.js";

export { asNewDraft } from "../../../flows/flow-file.js";

/** Largest flow file accepted (a 5,000-node flow is well under this). */
export const MAX_IMPORT_BYTES = MAX_FLOW_FILE_BYTES;

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
  return decodeFlowFile(value);
};

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
