/**
 * Auto-layout for the canvas, off the main thread: the document goes to a Web Worker that runs
 * dagre (layout.worker.ts) and the laid-out positions come back. dagre takes hundreds of
 * milliseconds on a 500-step flow — seconds on a busy machine — so the page stays responsive
 * meanwhile, and dagre is never part of the canvas's own bundle. Where workers are missing, the
 * layout module is loaded and run on the main thread instead.
 */
import type { FlowDocument } from "../../../flows/flow-document.js";
import type { NodeSizes } from "./card-size.js";
import type { XYPosition } from "./editor-state.js";

/** A message to the layout worker. */
export interface LayoutRequest {
  readonly id: number;
  readonly document: FlowDocument;
  readonly sizes: NodeSizes;
}

/** The worker's answer: every node's laid-out position, or why it failed. */
export type LayoutAnswer =
  | { readonly id: number; readonly ok: true; readonly positions: Readonly<Record<string, XYPosition>> }
  | { readonly id: number; readonly ok: false; readonly message: string };

/** Positions by node id. */
export type LayoutPositions = Readonly<Record<string, XYPosition>>;

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, { resolve: (positions: LayoutPositions) => void; reject: (error: Error) => void }>();

const failAll = (message: string) => {
  for (const { reject } of pending.values()) reject(new Error(message));
  pending.clear();
};

/** The one layout worker, started on first use; null where the browser cannot start it. */
const layoutWorker = (): Worker | null => {
  if (worker) return worker;
  if (typeof Worker === "undefined") return null;
  try {
    worker = new Worker(new URL("./layout.worker.ts", import.meta.url), { type: "module" });
  } catch {
    return null;
  }
  worker.addEventListener("message", (event: MessageEvent<LayoutAnswer>) => {
    const answer = event.data;
    const waiting = pending.get(answer.id);
    if (!waiting) return;
    pending.delete(answer.id);
    if (answer.ok) waiting.resolve(answer.positions);
    else waiting.reject(new Error(`auto-layout failed: ${answer.message}`));
  });
  worker.addEventListener("error", (event) => {
    // A worker that failed to load or crashed is dropped; the next request starts a new one.
    worker?.terminate();
    worker = null;
    failAll(`auto-layout failed: ${event.message || "the layout worker stopped"}`);
  });
  return worker;
};

/**
 * Every node's position after auto-layout of `document` (measured `sizes` where known, else
 * estimated), computed in a Web Worker; rejects with a readable error when the layout fails.
 */
export const layoutPositions = async (document: FlowDocument, sizes: NodeSizes): Promise<LayoutPositions> => {
  const target = layoutWorker();
  if (!target) {
    const { autoLayout } = await import("./auto-layout.js");
    return Object.fromEntries(autoLayout(document, sizes).nodes.map((node) => [node.id, node.position]));
  }
  const id = nextId++;
  return new Promise<LayoutPositions>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    target.postMessage({ id, document, sizes } satisfies LayoutRequest);
  });
};
