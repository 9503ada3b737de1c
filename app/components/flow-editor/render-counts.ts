/**
 * A render counter for the render-count end-to-end test: node cards report each render here,
 * but only while a test has set `window.__parleyCountRenders = true`, so ordinary use pays
 * one property read per render and keeps no counts.
 */

declare global {
  interface Window {
    /** Set to true (by a test) to start counting node renders. */
    __parleyCountRenders?: boolean;
    /** Renders per node id since counting started. */
    __parleyRenderCounts?: Record<string, number>;
  }
}

/** Counts one render of node `id` when counting is switched on; otherwise does nothing. */
export const countRender = (id: string): void => {
  if (typeof window === "undefined" || window.__parleyCountRenders !== true) return;
  const counts = (window.__parleyRenderCounts ??= {});
  counts[id] = (counts[id] ?? 0) + 1;
};
