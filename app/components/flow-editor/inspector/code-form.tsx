/**
 * Inspector form for the Code node: the snippet in Monaco (JavaScript, the declared inputs
 * offered as completions), its inputs and outputs, and its time limit. Monaco is loaded
 * lazily in the browser only; until then (and on the server) a plain textarea edits the code.
 */
import { lazy, Suspense, useEffect, useState } from "react";
import { getIn } from "./data-path.js";
import { FieldShell, idFor, NameListField, NumberField, useInspector } from "./fields.js";

const MonacoCodeEditor = lazy(() => import("./code-editor.client.js"));

function SourceField() {
  const api = useInspector();
  const [inBrowser, setInBrowser] = useState(false);
  // Effects run only in the browser, so the server render and hydration both use the textarea.
  useEffect(() => setInBrowser(typeof window !== "undefined"), []);
  const path = ["source"];
  const id = idFor(api.nodeId, path);
  const source = String(getIn(api.data, path) ?? "");
  const inputs = (Array.isArray(getIn(api.data, ["inputs"])) ? (getIn(api.data, ["inputs"]) as unknown[]) : []).map(String);
  const write = (text: string) => api.set(path, text);
  return (
    <FieldShell
      id={id}
      label="Snippet"
      hint="The body of function (inputs) { … }: read inputs.<name>, return an object with the outputs."
      errors={api.errorsAt(path)}
    >
      {(aria) => {
        const textarea = (
          <textarea {...aria} className="fe-code-fallback" rows={8} spellCheck={false} value={source} readOnly={api.readOnly} onChange={(e) => write(e.target.value)} />
        );
        return inBrowser ? (
          <Suspense fallback={textarea}>
            <MonacoCodeEditor
              modelPath={`file:///parley/${api.nodeId}.js`}
              value={source}
              inputs={inputs}
              ariaLabel="Snippet"
              readOnly={api.readOnly}
              onChange={write}
            />
          </Suspense>
        ) : (
          textarea
        );
      }}
    </FieldShell>
  );
}

/** Code: a JavaScript snippet run in a sandbox with its declared inputs, returning its outputs. */
export function CodeForm() {
  return (
    <>
      <SourceField />
      <NameListField path={["inputs"]} label="Inputs" hint="Variables the snippet reads, comma-separated" />
      <NameListField path={["outputs"]} label="Outputs" hint="Variables it returns and the flow saves, comma-separated" />
      <NumberField path={["timeoutMs"]} label="Time limit (ms)" min={10} max={5_000} step={10} optional />
    </>
  );
}
