/**
 * Benchmark: compile + static checks of a generated, valid 1,000-node document (target:
 * ≤ 20 ms median). Run directly it prints one JSON line; `run()` returns the figure for
 * bench/run-all.ts, which prints each as a JSON line.
 */
import { pathToFileURL } from "node:url";
import { Either } from "effect";
import { compile, decodeFlowDocument, type CompileContext } from "../flows/compile.js";
import type { FlowDocument } from "../flows/flow-document.js";

const context: CompileContext = {
  teams: [{ id: "sales", name: "Sales" }],
  users: [{ id: "ann", name: "Ann" }],
  contactProperties: ["company_size"],
};

/**
 * A valid document of `segments` × 10 nodes using every node kind: message → question →
 * branch → (set) → webhook → code → split → ticket | handoff → meeting → next segment; the
 * last meeting is an end node.
 */
export const generateDocument = (segments = 100): FlowDocument => {
  const nodes: Array<Record<string, unknown>> = [];
  const edges: Array<{ id: string; source: string; sourcePort: string; target: string }> = [];
  const position = { x: 0, y: 0 };
  const add = (id: string, kind: string, data: unknown) => nodes.push({ id, kind, position, data });
  const link = (source: string, sourcePort: string, target: string) =>
    edges.push({ id: `${source}/${sourcePort}`, source, sourcePort, target });
  for (let i = 0; i < segments; i++) {
    const last = i === segments - 1;
    const previous = i === 0 ? "there" : `{{answer_${i - 1}}}`;
    add(`msg_${i}`, "message", { bubbles: [{ type: "text", text: `Hello ${previous}, {{contact.firstname}}!` }] });
    add(`ask_${i}`, "question", {
      prompt: "Pick one",
      answer: { type: "choice", choices: [{ id: "a", label: "Option A" }, { id: "b", label: "Option B" }] },
      save: { variable: `answer_${i}` },
    });
    add(`route_${i}`, "branch", {
      rules: [{ id: "is_a", conditions: [{ subject: { type: "variable", name: `answer_${i}` }, operator: "equals", value: "a" }] }],
    });
    add(`set_${i}`, "set", { assignments: [{ target: { type: "variable", name: `copy_${i}` }, value: `{{answer_${i}}}` }] });
    add(`hook_${i}`, "webhook", {
      method: "POST",
      url: `https://crm.example.com/leads/{{answer_${i}}}`,
      body: `{"company":"{{contact.company_size}}"}`,
      responseMappings: [{ path: "$.id", variable: `lead_${i}` }],
    });
    add(`code_${i}`, "code", { source: "return { score: 1 }", inputs: [`lead_${i}`], outputs: [`score_${i}`] });
    add(`split_${i}`, "split", { arms: [{ id: "a", label: "A", percent: 50 }, { id: "b", label: "B", percent: 50 }] });
    add(`ticket_${i}`, "ticket", { subject: `Lead {{lead_${i}}} scored {{score_${i}}}` });
    add(`handoff_${i}`, "handoff", { target: { type: "team", teamId: "sales" }, message: "Connecting you…" });
    if (last) add(`meet_${i}`, "end", { message: "Bye {{copy_0}}" });
    else add(`meet_${i}`, "meeting", { userId: "ann", message: "Book a call" });

    link(`msg_${i}`, "next", `ask_${i}`);
    link(`ask_${i}`, "answered", `route_${i}`);
    link(`route_${i}`, "rule:is_a", `hook_${i}`);
    link(`route_${i}`, "else", `set_${i}`);
    link(`set_${i}`, "next", `hook_${i}`);
    link(`hook_${i}`, "ok", `code_${i}`);
    link(`hook_${i}`, "error", `ticket_${i}`);
    link(`code_${i}`, "ok", `split_${i}`);
    link(`split_${i}`, "arm:a", `ticket_${i}`);
    link(`split_${i}`, "arm:b", `handoff_${i}`);
    link(`ticket_${i}`, "next", `meet_${i}`);
    link(`handoff_${i}`, "away", `meet_${i}`);
    if (!last) link(`meet_${i}`, "next", `msg_${i + 1}`);
  }
  const decoded = decodeFlowDocument({
    id: "bench",
    name: "Benchmark flow",
    kind: "bot",
    startNodeId: "msg_0",
    nodes,
    edges,
    variables: Array.from({ length: segments }, (_, i) => ({ name: `copy_${i}` })),
    settings: {},
  });
  if (Either.isLeft(decoded)) throw new Error(`generated document does not decode: ${JSON.stringify(decoded.left)}`);
  return decoded.right;
};

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
}

/** Runs the benchmark and returns its figure: the median of 200 compiles after 20 warm-ups. */
export const run = (): Figure[] => {
  const document = generateDocument(100);
  const first = compile(document, context);
  if (!first.spec || first.diagnostics.length > 0) {
    throw new Error(`benchmark flow does not compile cleanly: ${JSON.stringify(first.diagnostics.slice(0, 5))}`);
  }
  for (let i = 0; i < 20; i++) compile(document, context);
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const start = performance.now();
    compile(document, context);
    times.push(performance.now() - start);
  }
  const value = Math.round(median(times) * 100) / 100;
  return [{ name: "compile.1000_nodes_median_ms", unit: "ms", value }];
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const figure of run()) console.log(JSON.stringify(figure));
}
