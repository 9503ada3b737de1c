/**
 * Monaco for the Code node's snippet. Browser-only (the `.client` suffix keeps it out of the
 * server build); Monaco's files are served from our own origin, never a CDN.
 */
import Editor, { loader, type BeforeMount, type Monaco, type OnMount } from "@monaco-editor/react";
import type { editor, Position } from "monaco-editor";
import { useEffect, useRef } from "react";

// Must run before the first editor mounts: @monaco-editor/loader defaults to a public CDN.
loader.config({ paths: { vs: "/monaco/vs" } });

/** Declared inputs per model, read by the one completion provider all code editors share. */
const inputsByModel = new Map<string, ReadonlyArray<string>>();
let configured = false;

const configure: BeforeMount = (monaco: Monaco) => {
  if (configured) return;
  configured = true;
  const defaults = monaco.typescript.javascriptDefaults;
  // A snippet is a function body: a top-level `return` (TS1108) is how it hands back outputs.
  defaults.setDiagnosticsOptions({ noSemanticValidation: true, noSyntaxValidation: false, diagnosticCodesToIgnore: [1108] });
  // The sandbox has no DOM; offering `document` or `window` would mislead.
  defaults.setCompilerOptions({ target: monaco.typescript.ScriptTarget.ES2020, allowNonTsExtensions: true, lib: ["es2020"] });
  monaco.languages.registerCompletionItemProvider("javascript", {
    triggerCharacters: ["."],
    provideCompletionItems(model: editor.ITextModel, position: Position) {
      const inputs = inputsByModel.get(model.uri.toString());
      if (!inputs || inputs.length === 0) return { suggestions: [] };
      const word = model.getWordUntilPosition(position);
      const range = {
        startLineNumber: position.lineNumber,
        endLineNumber: position.lineNumber,
        startColumn: word.startColumn,
        endColumn: word.endColumn,
      };
      const before = model.getValueInRange({
        startLineNumber: position.lineNumber,
        startColumn: 1,
        endLineNumber: position.lineNumber,
        endColumn: word.startColumn,
      });
      const afterInputs = /\binputs\.$/.test(before);
      return {
        suggestions: inputs.map((name) => ({
          label: afterInputs ? name : `inputs.${name}`,
          kind: afterInputs ? monaco.languages.CompletionItemKind.Field : monaco.languages.CompletionItemKind.Variable,
          insertText: afterInputs ? name : `inputs.${name}`,
          detail: "declared input",
          range,
        })),
      };
    },
  });
};

export interface CodeEditorProps {
  /** A URI unique to the node, so each code node keeps its own model and completions. */
  readonly modelPath: string;
  readonly value: string;
  readonly inputs: ReadonlyArray<string>;
  readonly ariaLabel: string;
  readonly readOnly: boolean;
  readonly onChange: (value: string) => void;
}

/** The snippet editor: JavaScript with the node's declared inputs as completions. */
export default function CodeEditor({ modelPath, value, inputs, ariaLabel, readOnly, onChange }: CodeEditorProps) {
  useEffect(() => {
    inputsByModel.set(modelPath, inputs);
  }, [modelPath, inputs]);
  useEffect(() => () => void inputsByModel.delete(modelPath), [modelPath]);

  // Monaco owns the text while you type: `value` comes back a render late, and writing it into
  // the editor would drop keystrokes typed meanwhile. Values this editor sent are only
  // acknowledged; a value it never sent (undo on the canvas, a JSON edit) is written in.
  const editorRef = useRef<Parameters<OnMount>[0] | null>(null);
  const sent = useRef<string[]>([]);
  useEffect(() => {
    const editor = editorRef.current;
    if (!editor) return;
    const index = sent.current.indexOf(value);
    if (index >= 0) {
      sent.current.splice(0, index + 1);
      return;
    }
    sent.current = [];
    if (value === editor.getValue()) return;
    const model = editor.getModel();
    if (!model) return;
    // An edit (not setValue) keeps Monaco's own undo stack usable.
    editor.executeEdits("parley", [{ range: model.getFullModelRange(), text: value }]);
  }, [value]);
  return (
    <div className="fe-code">
      <Editor
        height="220px"
        language="javascript"
        path={modelPath}
        defaultValue={value}
        beforeMount={configure}
        onMount={(editor) => {
          editorRef.current = editor;
        }}
        onChange={(text) => {
          sent.current.push(text ?? "");
          if (sent.current.length > 200) sent.current.shift();
          onChange(text ?? "");
        }}
        loading={<div className="fe-code__loading">Loading the code editor…</div>}
        options={{
          ariaLabel,
          readOnly,
          minimap: { enabled: false },
          fontSize: 13,
          lineNumbers: "on",
          scrollBeyondLastLine: false,
          tabSize: 2,
          automaticLayout: true,
          wordWrap: "on",
        }}
      />
    </div>
  );
}
