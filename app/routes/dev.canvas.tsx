/**
 * TEST-ONLY canvas page: the canvas editor on a generated flow (`/dev/canvas?nodes=500`), for
 * the render-count end-to-end test and the 500-node bench. It answers 404 in production unless
 * PARLEY_DEV_ROUTES=1, and it saves nothing.
 */
import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { useEffect, useReducer, useState } from "react";
import { compile } from "../../flows/compile.js";
import type { Diagnostic } from "../../flows/diagnostics.js";
import type { FlowDocument } from "../../flows/flow-document.js";
import { RouteErrorBoundary } from "../components/error-page.js";
import editorStyles from "../components/flow-editor/editor.css?url";
import { autoLayout } from "../components/flow-editor/auto-layout.js";
import { editorReducer, FlowEditor, generateDocument, GENERATED_CONTEXT, initialEditorState } from "../components/flow-editor/index.js";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: editorStyles }];

export const meta: MetaFunction = () => [{ title: "Canvas (dev) · Parley" }];

const MAX_NODES = 5_000;

// Laying out hundreds of nodes takes dagre seconds; a generated flow never changes, so each
// size is laid out once per server process (a saved flow arrives with its positions, too).
const laidOut = new Map<number, FlowDocument>();
const generated = (count: number): FlowDocument => {
  let document = laidOut.get(count);
  if (!document) {
    document = autoLayout(generateDocument(count, `generated_${count}`));
    if (laidOut.size > 8) laidOut.clear();
    laidOut.set(count, document);
  }
  return document;
};

export async function loader({ request }: LoaderFunctionArgs) {
  if (process.env.NODE_ENV === "production" && process.env.PARLEY_DEV_ROUTES !== "1") throw new Response("Not found", { status: 404 });
  const raw = new URL(request.url).searchParams.get("nodes") ?? "50";
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1 || count > MAX_NODES) {
    throw new Response(`nodes: expected a whole number from 1 to ${MAX_NODES}, got ${JSON.stringify(raw)}`, { status: 400 });
  }
  // Laid out here so the browser receives final positions and only renders.
  return { document: generated(count), context: GENERATED_CONTEXT };
}

export default function DevCanvas() {
  const { document, context } = useLoaderData<typeof loader>();
  const [state, dispatch] = useReducer(editorReducer, document, initialEditorState);
  const [diagnostics, setDiagnostics] = useState<ReadonlyArray<Diagnostic>>([]);
  useEffect(() => {
    // Debounced, and when the browser is idle: diagnostics can wait for the canvas.
    const run = () => setDiagnostics(compile(state.document, context).diagnostics);
    if (typeof requestIdleCallback === "function") {
      const timer = setTimeout(() => {
        idle = requestIdleCallback(run, { timeout: 2_000 });
      }, 300);
      let idle: number | undefined;
      return () => {
        clearTimeout(timer);
        if (idle !== undefined) cancelIdleCallback(idle);
      };
    }
    const timer = setTimeout(run, 300);
    return () => clearTimeout(timer);
  }, [state.document, context]);
  return (
    <div style={{ height: "100vh", padding: 8, boxSizing: "border-box" }}>
      <h1 className="fe-sr">Canvas test page</h1>
      <FlowEditor state={state} dispatch={dispatch} diagnostics={diagnostics} context={context} />
    </div>
  );
}

export function ErrorBoundary() {
  return <RouteErrorBoundary />;
}
