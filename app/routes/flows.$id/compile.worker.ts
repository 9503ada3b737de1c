/**
 * The draft-check worker: runs the compiler (flows/compile.ts) off the editor's main thread, so
 * checking a big flow never holds up the canvas or typing. One request in, one answer out; see
 * compile-client.ts.
 */
import { compile } from "../../../flows/compile.js";
import type { CompileAnswer, CompileRequest } from "./compile-client.js";

self.addEventListener("message", (event: MessageEvent<CompileRequest>) => {
  const { id, document, context } = event.data;
  let answer: CompileAnswer;
  try {
    answer = { id, ok: true, result: compile(document, context) };
  } catch (error) {
    answer = { id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  self.postMessage(answer);
});
