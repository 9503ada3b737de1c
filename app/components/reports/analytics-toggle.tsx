/**
 * The builder's "Show analytics" toggle: when on, it fetches the flow's last 30 days from
 * /reports/bots/:flowId/overlay and turns them into the canvas editor's `analytics` prop for
 * the document being edited. A failed fetch says so next to the toggle (plain fetch, so an
 * error never replaces the editor page with an error boundary).
 */
import { useEffect, useMemo, useState, type ReactNode } from "react";
import type { FlowDocument } from "../../../flows/flow-document.js";
import type { FlowAnalytics } from "../flow-editor/index.js";
import { toFlowAnalytics, type OverlayFigures } from "./flow-overlay.js";

type Load = { readonly state: "off" } | { readonly state: "loading" } | { readonly state: "ready"; readonly figures: OverlayFigures } | { readonly state: "failed"; readonly message: string };

/** The toggle to render in the editor's toolbar, and the `analytics` to pass to FlowEditor (null while off). */
export function useFlowAnalytics(flowId: string, document: Pick<FlowDocument, "nodes" | "edges">): { readonly toggle: ReactNode; readonly analytics: FlowAnalytics | null } {
  const [on, setOn] = useState(false);
  const [load, setLoad] = useState<Load>({ state: "off" });
  useEffect(() => {
    if (!on) {
      setLoad({ state: "off" });
      return;
    }
    const controller = new AbortController();
    setLoad({ state: "loading" });
    fetch(`/reports/bots/${encodeURIComponent(flowId)}/overlay?range=30d`, { signal: controller.signal, headers: { Accept: "application/json" } })
      .then(async (response) => {
        const body: unknown = await response.json().catch(() => null);
        if (!response.ok) {
          const message = (body as { error?: { message?: string } } | null)?.error?.message ?? `the server answered ${response.status}`;
          setLoad({ state: "failed", message });
        } else setLoad({ state: "ready", figures: body as OverlayFigures });
      })
      .catch((error: unknown) => {
        if (!controller.signal.aborted) setLoad({ state: "failed", message: error instanceof Error ? error.message : String(error) });
      });
    return () => controller.abort();
  }, [on, flowId]);
  const analytics = useMemo(() => (load.state === "ready" ? toFlowAnalytics(load.figures, document) : null), [load, document]);
  const toggle = (
    <label style={{ display: "inline-flex", gap: "0.4rem", alignItems: "center", fontSize: "0.9rem", whiteSpace: "nowrap" }}>
      <input type="checkbox" checked={on} onChange={(event) => setOn(event.target.checked)} />
      Show analytics
      <span role="status" className="muted">
        {load.state === "loading"
          ? "loading…"
          : load.state === "ready"
            ? `last 30 days · ${load.figures.started.toLocaleString("en")} started`
            : load.state === "failed"
              ? `unavailable: ${load.message}`
              : ""}
      </span>
    </label>
  );
  return { toggle, analytics };
}
