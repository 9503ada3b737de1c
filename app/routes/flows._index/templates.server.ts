/**
 * Templates for new chatflows: the example flows in flows/examples, bundled into the server
 * build (no file reads at run time, so the build works from any working directory).
 */
import { Either } from "effect";
import { decodeFlowDocument } from "../../../flows/compile.js";
import type { FlowDocument } from "../../../flows/flow-document.js";

const files = import.meta.glob<unknown>("../../../flows/examples/*.json", { eager: true, import: "default" });

/** A template as the create form offers it. */
export interface FlowTemplate {
  /** The example's document id, e.g. `lead_qualification`. */
  readonly id: string;
  readonly name: string;
  readonly kind: FlowDocument["kind"];
  readonly nodes: number;
  readonly document: FlowDocument;
}

/** Every example flow that decodes as a document (test scripts and the compile context are not flows), by name. */
export const flowTemplates: ReadonlyArray<FlowTemplate> = Object.entries(files)
  .filter(([path]) => !path.endsWith(".test.json") && !path.endsWith("/context.json"))
  .flatMap(([, value]) => {
    const decoded = decodeFlowDocument(value);
    return Either.isRight(decoded)
      ? [{ id: decoded.right.id, name: decoded.right.name, kind: decoded.right.kind, nodes: decoded.right.nodes.length, document: decoded.right }]
      : [];
  })
  .sort((a, b) => a.name.localeCompare(b.name));

/** The template with this id, if there is one. */
export const findTemplate = (id: string): FlowTemplate | undefined => flowTemplates.find((t) => t.id === id);
