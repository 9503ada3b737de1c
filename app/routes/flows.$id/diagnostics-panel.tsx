/**
 * The diagnostics list under the editor: the compiler's errors and warnings for the current
 * draft (compiled in the browser as you edit); choosing one takes you to its node or setting.
 */
import { useState } from "react";
import type { Diagnostic } from "../../../flows/diagnostics.js";

export interface DiagnosticsPanelProps {
  readonly diagnostics: ReadonlyArray<Diagnostic>;
  /** True until the draft's first check has run: the list says so instead of "No problems". */
  readonly checking?: boolean;
  /** Node ids → names shown with each problem. */
  readonly nodeNames: ReadonlyMap<string, string>;
  readonly onPick: (diagnostic: Diagnostic) => void;
}

/** "2 errors, 1 warning" / "No problems". Pure. */
export const problemSummary = (diagnostics: ReadonlyArray<Diagnostic>): string => {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  if (diagnostics.length === 0) return "No problems";
  const parts = [];
  if (errors > 0) parts.push(`${errors} error${errors === 1 ? "" : "s"}`);
  if (warnings > 0) parts.push(`${warnings} warning${warnings === 1 ? "" : "s"}`);
  return parts.join(", ");
};

/** Where a diagnostic points, in words: the node's name, else the setting's path. Pure. */
export const diagnosticPlace = (d: Diagnostic, nodeNames: ReadonlyMap<string, string>): string | null => {
  if (d.nodeId !== undefined) return nodeNames.get(d.nodeId) ?? d.nodeId;
  if (d.path?.startsWith("settings.")) return `Settings · ${d.path.slice("settings.".length)}`;
  return d.path ?? null;
};

/** The problems list; each entry is a button that takes you to the step or setting it is about. */
export function DiagnosticsPanel({ diagnostics, checking = false, nodeNames, onPick }: DiagnosticsPanelProps) {
  const [open, setOpen] = useState(true);
  const errors = diagnostics.filter((d) => d.severity === "error");
  const ordered = [...errors, ...diagnostics.filter((d) => d.severity !== "error")];
  return (
    <section className={`dg-panel${errors.length > 0 ? " dg-panel--errors" : ""}`} aria-label="Problems">
      <h2 className="dg-title">
        <button type="button" className="dg-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
          <span aria-hidden="true">{open ? "▾" : "▸"}</span> Problems: <span className="dg-summary">{checking ? "checking…" : problemSummary(diagnostics)}</span>
        </button>
      </h2>
      {open && ordered.length > 0 ? (
        <ul className="dg-list">
          {ordered.map((d, i) => {
            const place = diagnosticPlace(d, nodeNames);
            return (
              <li key={`${d.code}-${d.nodeId ?? ""}-${d.path ?? ""}-${i}`}>
                <button type="button" className={`dg-item dg-item--${d.severity}`} onClick={() => onPick(d)}>
                  <span className="dg-severity">{d.severity === "error" ? "Error" : "Warning"}</span>
                  {place ? <span className="dg-place">{place}</span> : null}
                  <span className="dg-message">{d.message}</span>
                </button>
              </li>
            );
          })}
        </ul>
      ) : null}
    </section>
  );
}
