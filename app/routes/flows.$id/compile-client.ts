/**
 * The editor's draft check, off the main thread: the document goes to a Web Worker running the
 * compiler (compile.worker.ts) and its result comes back. Compiling a 500-step flow takes ~50–100
 * ms, which on the main thread delayed the canvas once idle and paused typing after every burst.
 * Where workers are missing or fail, the compiler runs on the main thread instead.
 */
import { compile, type CompileContext, type CompileResult } from "../../../flows/compile.js";
import type { FlowDocument } from "../../../flows/flow-document.js";

/** A message to the compile worker. */
export interface CompileRequest {
  readonly id: number;
  readonly document: FlowDocument;
  readonly context: CompileContext;
}

/** The worker's answer: the compile result, or why compiling threw. */
export type CompileAnswer =
  | { readonly id: number; readonly ok: true; readonly result: CompileResult }
  | { readonly id: number; readonly ok: false; readonly message: string };

let worker: Worker | null = null;
let broken = false;
let nextId = 1;
const pending = new Map<number, { readonly request: CompileRequest; readonly resolve: (result: CompileResult) => void }>();

/** The answer the main thread gives when the worker cannot: the same compiler, here. */
const compileHere = (request: CompileRequest): CompileResult => compile(request.document, request.context);

/** The one compile worker, started on first use; null where it cannot start or has failed. */
const compileWorker = (): Worker | null => {
  if (worker || broken) return worker;
  if (typeof Worker === "undefined") return null;
  try {
    worker = new Worker(new URL("./compile.worker.ts", import.meta.url), { type: "module" });
  } catch {
    broken = true;
    return null;
  }
  worker.addEventListener("message", (event: MessageEvent<CompileAnswer>) => {
    const answer = event.data;
    const waiting = pending.get(answer.id);
    if (!waiting) return;
    pending.delete(answer.id);
    // A compiler that throws is a bug; the main thread's run reports it the usual way.
    waiting.resolve(answer.ok ? answer.result : compileHere(waiting.request));
  });
  worker.addEventListener("error", () => {
    // The worker failed to load or crashed: stop using it and answer what it was asked here.
    broken = true;
    worker?.terminate();
    worker = null;
    for (const { request, resolve } of pending.values()) resolve(compileHere(request));
    pending.clear();
  });
  return worker;
};

/** The compiler's result for `document` (diagnostics, and the spec when there is no error), computed in a worker when one can run. */
export const compileInBackground = (document: FlowDocument, context: CompileContext): Promise<CompileResult> => {
  const id = nextId++;
  const request: CompileRequest = { id, document, context };
  const target = compileWorker();
  if (!target) return Promise.resolve(compileHere(request));
  return new Promise<CompileResult>((resolve) => {
    pending.set(id, { request, resolve });
    target.postMessage(request);
  });
};
