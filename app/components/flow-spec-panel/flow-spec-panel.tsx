/**
 * The Spec tab: the flow's compiled FlowSpec in Monaco, validated inline against
 * flows/flow-spec.schema.json. "Edit as JSON" makes it editable; each edit that decodes is
 * applied to the canvas document (positions kept), and one that does not lists its problems
 * (path + message) under the editor while Monaco marks them in the text.
 */
import Editor, { type Monaco } from "@monaco-editor/react";
import { useEffect, useMemo, useRef, useState } from "react";
import type { CompileResult } from "../../../flows/compile.js";
import type { DecodeIssue } from "../../../flows/decode.js";
import type { FlowDocument } from "../../../flows/flow-document.js";
import { configureMonaco, registerSpecSchema, SPEC_MODEL_PATH } from "./monaco.js";
import { readSpecEdit, specJsonOf } from "./spec-json.js";

export interface FlowSpecPanelProps {
  readonly document: FlowDocument;
  /** The compiler's result for `document` (null while it has not run yet). */
  readonly compiled: CompileResult | null;
  /** Applies a decoded JSON edit (as an undoable document replacement). */
  readonly onApply: (document: FlowDocument) => void;
  readonly readOnly?: boolean;
}

const APPLY_DELAY_MS = 400;

type Status =
  | { readonly kind: "idle" }
  | { readonly kind: "applied" }
  | { readonly kind: "same" }
  | { readonly kind: "invalid"; readonly issues: ReadonlyArray<DecodeIssue> };

/** The Spec tab (client-only: Monaco needs the browser). */
export function FlowSpecPanel({ document, compiled, onApply, readOnly = false }: FlowSpecPanelProps) {
  const [mounted, setMounted] = useState(false);
  const [editing, setEditing] = useState(false);
  const [status, setStatus] = useState<Status>({ kind: "idle" });
  const specJson = useMemo(() => specJsonOf(document, compiled), [document, compiled]);
  const specText = useMemo(() => `${JSON.stringify(specJson, null, 2)}\n`, [specJson]);
  const [text, setText] = useState(specText);
  // The document our last applied edit produced: its echo must not overwrite what is being typed.
  const applied = useRef<FlowDocument | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef({ document, specJson, onApply });
  latest.current = { document, specJson, onApply };

  useEffect(() => {
    configureMonaco();
    setMounted(true);
    return () => {
      if (timer.current) clearTimeout(timer.current);
    };
  }, []);

  useEffect(() => {
    if (editing && applied.current === document) return;
    // Not editing, or the document changed elsewhere (undo, the canvas): show it as it is now.
    applied.current = null;
    setText(specText);
  }, [specText, document, editing]);

  const onChange = (value: string | undefined) => {
    if (!editing || value === undefined) return;
    setText(value);
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      const { document: current, specJson: currentSpec, onApply: apply } = latest.current;
      const edit = readSpecEdit(value, current, currentSpec);
      if (edit.type === "invalid") setStatus({ kind: "invalid", issues: edit.issues });
      else if (edit.type === "same") setStatus({ kind: "same" });
      else {
        applied.current = edit.document;
        apply(edit.document);
        setStatus({ kind: "applied" });
      }
    }, APPLY_DELAY_MS);
  };

  const hasErrors = compiled !== null && !compiled.spec;
  return (
    <div className="sp-panel">
      <div className="sp-toolbar">
        <p className="sp-title">
          {hasErrors
            ? "The flow has errors, so this is the spec as far as it can be built. Fix them here or on the canvas."
            : "The compiled flow spec: what the runtime executes once you publish."}
        </p>
        <button
          type="button"
          className={editing ? "button button--small" : "button button--secondary button--small"}
          aria-pressed={editing}
          disabled={readOnly}
          onClick={() => {
            setEditing(!editing);
            setStatus({ kind: "idle" });
          }}
        >
          {editing ? "Done editing" : "Edit as JSON"}
        </button>
      </div>
      <div className="sp-editor" aria-label="Flow spec JSON">
        {mounted ? (
          <Editor
            path={SPEC_MODEL_PATH}
            language="json"
            value={text}
            onChange={onChange}
            beforeMount={(monaco: Monaco) => registerSpecSchema(monaco)}
            options={{
              readOnly: !editing || readOnly,
              minimap: { enabled: false },
              fontSize: 13,
              tabSize: 2,
              scrollBeyondLastLine: false,
              automaticLayout: true,
              wordWrap: "on",
              renderValidationDecorations: "on",
            }}
            loading={<p className="muted sp-loading">Loading the JSON editor…</p>}
          />
        ) : (
          <pre className="sp-fallback">{specText}</pre>
        )}
      </div>
      <div className="sp-status" role="status" aria-live="polite">
        {editing && status.kind === "applied" ? <p className="notice notice--success">Applied to the canvas.</p> : null}
        {editing && status.kind === "same" ? <p className="muted">No change to apply.</p> : null}
        {editing && status.kind === "idle" ? <p className="muted">Edits that form a valid spec are applied to the canvas as you type (undo works as usual).</p> : null}
      </div>
      {editing && status.kind === "invalid" ? (
        <div className="notice notice--error sp-issues" role="alert">
          <p>Not applied — the JSON is not a valid flow spec:</p>
          <ul>
            {status.issues.slice(0, 30).map((issue, i) => (
              <li key={i}>
                {issue.path ? <code>{issue.path}</code> : null}
                {issue.path ? ": " : ""}
                {issue.message}
              </li>
            ))}
          </ul>
          {status.issues.length > 30 ? <p>…and {status.issues.length - 30} more.</p> : null}
        </div>
      ) : null}
    </div>
  );
}
