/**
 * A generated chatflow of any size, for the dev canvas route, the render-count test and the
 * 500-node bench: every node kind, realistic content, one tree of edges from the start.
 */
import type { DocumentEdge, DocumentNode, FlowDocument } from "../../../flows/flow-document.js";
import type { NodeKind } from "../../../flows/flow-spec.js";
import { portsOf } from "../../../flows/ports.js";
import { capitalise } from "../messages.js";

/** The workspace the generated flow refers to (its handoff team, meeting user). */
export const GENERATED_CONTEXT = {
  teams: [{ id: "team_support", name: "Support" }],
  users: [{ id: "user_admin", name: "Ada Admin" }],
  contactProperties: ["company_size"],
  lists: [{ id: "list_newsletter", name: "Newsletter" }],
} as const;

const PATTERN: ReadonlyArray<NodeKind> = [
  "message",
  "question",
  "branch",
  "set",
  "question",
  "webhook",
  "message",
  "code",
  "split",
  "handoff",
  "ticket",
  "meeting",
  "add_to_list",
  "subscribe",
  "knowledge",
  "message",
  "end",
];

const dataFor = (kind: NodeKind, i: number): unknown => {
  switch (kind) {
    case "message":
      return { bubbles: [{ type: "text", text: `Step ${i}: thanks, {{name}}! Here is what happens next.` }], typingDelayMs: 600 };
    case "question":
      return i % 2 === 0
        ? {
            prompt: `Question ${i}: what brings you here today?`,
            answer: {
              type: "choice",
              portPerChoice: true,
              choices: [
                { id: "sales", label: "Talk to sales" },
                { id: "support", label: "Get support" },
              ],
            },
            save: { variable: "name" },
          }
        : { prompt: `Question ${i}: what's your name?`, answer: { type: "text", maxLength: 100 }, save: { variable: "name" } };
    case "branch":
      return {
        rules: [
          {
            id: "big",
            label: "Big company",
            match: "all",
            conditions: [{ subject: { type: "contact", property: "company_size" }, operator: "equals", value: "201+" }],
          },
        ],
      };
    case "set":
      return { assignments: [{ target: { type: "variable", name: "name" }, value: "Visitor {{name}}" }] };
    case "webhook":
      return { method: "POST", url: "https://crm.example.com/leads", headers: [], responseMappings: [{ path: "$.id", variable: "lead_id" }] };
    case "code":
      return { source: "return { score: inputs.name.length };", inputs: ["name"], outputs: ["score"] };
    case "split":
      return { arms: [{ id: "a", label: "A", percent: 50 }, { id: "b", label: "B", percent: 50 }] };
    case "handoff":
      return { target: { type: "team", teamId: "team_support" }, message: "Connecting you with our team…" };
    case "ticket":
      return { subject: "Request from {{name}}", priority: "normal" };
    case "meeting":
      return { userId: "user_admin", message: "Pick a time that suits you." };
    case "add_to_list":
      return { listId: "list_newsletter" };
    case "subscribe":
      return { question: "Would you like our newsletter, {{name}}?", consentText: "Send me the newsletter by email.", listId: "list_newsletter" };
    case "knowledge":
      return { query: "", limit: 3, message: "These articles may help:", notFoundMessage: "Sorry, {{name}}, I found nothing on that." };
    case "end":
      return { message: "Thanks for chatting!", closeConversation: false };
  }
};

/** The ports a generated node hangs later nodes off: required ones and one per choice. */
const openPorts = (kind: NodeKind, i: number): string[] =>
  portsOf({ kind, data: dataFor(kind, i) })
    .filter((port) => port.required || port.name.startsWith("choice:"))
    .map((port) => port.name);

/**
 * A flow of `count` nodes (at least 1) where every node is reachable from the start and every
 * required exit is connected (the last node, an End, collects the loose ones), each node
 * placed on a simple grid (lay it out with `autoLayout` for a readable picture). Pure and
 * deterministic.
 */
export const generateDocument = (count: number, id = "generated"): FlowDocument => {
  const n = Math.max(1, Math.floor(count));
  const nodes: DocumentNode[] = [];
  const edges: DocumentEdge[] = [];
  // Free ports, breadth first: each new node hangs off the oldest free port.
  const open: Array<{ node: string; port: string }> = [];
  for (let i = 0; i < n; i++) {
    const remaining = n - i - 1;
    let kind = remaining === 0 ? "end" : PATTERN[i % PATTERN.length]!;
    // Leaves only where other ports stay open, so the flow keeps growing to `count` nodes.
    if (openPorts(kind, i).length === 0 && open.length < 2 && remaining > 0) kind = "message";
    const node: DocumentNode = {
      id: `${kind}_${i + 1}`,
      kind,
      label: `${capitalise(kind)} ${i + 1}`,
      position: { x: (i % 20) * 300, y: Math.floor(i / 20) * 260 },
      data: dataFor(kind, i),
    };
    nodes.push(node);
    if (i > 0) {
      const from = open.shift();
      if (from) edges.push({ id: `${from.node}/${from.port}`, source: from.node, sourcePort: from.port, target: node.id });
    }
    for (const port of openPorts(kind, i)) open.push({ node: node.id, port });
  }
  // The last node is an End: every exit still open leads there, so no required port dangles.
  const last = nodes[nodes.length - 1]!;
  for (const from of open) edges.push({ id: `${from.node}/${from.port}`, source: from.node, sourcePort: from.port, target: last.id });
  return {
    id,
    name: `Generated flow (${n} nodes)`,
    kind: "bot",
    language: "en",
    startNodeId: nodes[0]!.id,
    nodes,
    edges,
    variables: [{ name: "name", type: "string" }],
    settings: {},
  };
};
