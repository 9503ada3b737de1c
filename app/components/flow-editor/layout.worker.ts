/**
 * The auto-layout worker: runs dagre (auto-layout.ts) off the page's main thread, so laying out
 * hundreds of cards never freezes the canvas. One request in, one answer out; see layout-client.ts.
 */
import { autoLayout } from "./auto-layout.js";
import type { LayoutAnswer, LayoutRequest } from "./layout-client.js";

self.addEventListener("message", (event: MessageEvent<LayoutRequest>) => {
  const { id, document, sizes } = event.data;
  let answer: LayoutAnswer;
  try {
    const laid = autoLayout(document, sizes);
    answer = { id, ok: true, positions: Object.fromEntries(laid.nodes.map((node) => [node.id, node.position])) };
  } catch (error) {
    answer = { id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  self.postMessage(answer);
});
