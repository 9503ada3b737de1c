import { describe, expect, it } from "vitest";
import { Either } from "effect";
import type { FlowDocument } from "../../../flows/flow-document.js";
import { compile } from "../../../flows/compile.js";
import { autoLayout } from "./auto-layout.js";
import { canConnect, editorReducer, HISTORY_LIMIT, initialEditorState, type EditorAction, type EditorState } from "./editor-state.js";
import { nodeRegistry } from "./node-registry.js";
import { decodeWith } from "../../../flows/decode.js";
import { NODE_KINDS } from "../../../flows/flow-spec.js";

const emptyDoc: FlowDocument = { id: "f", name: "Flow", kind: "bot", language: "en", nodes: [], edges: [], variables: [], settings: {} };

const run = (state: EditorState, ...actions: EditorAction[]) => actions.reduce(editorReducer, state);

/** message_1 → question_1 (choice, one port per choice) → end_1, start on message_1. */
const sample = (): EditorState =>
  run(
    initialEditorState(emptyDoc),
    { type: "addNode", kind: "message", position: { x: 0, y: 0 } },
    {
      type: "addNode",
      kind: "question",
      position: { x: 0, y: 200 },
      afterNodeId: "message_1",
      data: {
        prompt: "Sales or support?",
        answer: { type: "choice", portPerChoice: true, choices: [{ id: "sales", label: "Sales" }, { id: "support", label: "Support" }] },
        save: { variable: "topic" },
      },
    },
    { type: "addNode", kind: "end", position: { x: 0, y: 400 } },
  );

describe("initialEditorState", () => {
  it("starts with no history and nothing selected", () => {
    const state = initialEditorState(emptyDoc);
    expect(state).toEqual({ document: emptyDoc, past: [], future: [], selection: { nodeIds: [], edgeIds: [] } });
  });
});

describe("addNode", () => {
  it("adds the kind's default data, makes the first node the start, and selects the new node", () => {
    const state = run(initialEditorState(emptyDoc), { type: "addNode", kind: "question", position: { x: 10.4, y: 20.6 } });
    expect(state.document.nodes).toEqual([{ id: "question_1", kind: "question", position: { x: 10, y: 21 }, data: nodeRegistry.question.defaults() }]);
    expect(state.document.startNodeId).toBe("question_1");
    expect(state.selection).toEqual({ nodeIds: ["question_1"], edgeIds: [] });
    expect(state.past).toEqual([emptyDoc]);
  });

  it("connects the new node from the first free port of afterNodeId", () => {
    const state = sample();
    expect(state.document.edges).toEqual([{ id: "message_1/next", source: "message_1", sourcePort: "next", target: "question_1" }]);
    const after = run(state, { type: "addNode", kind: "message", position: { x: 0, y: 0 }, afterNodeId: "question_1" });
    expect(after.document.edges.at(-1)).toMatchObject({ source: "question_1", sourcePort: "choice:sales", target: "message_2" });
    const again = run(after, { type: "addNode", kind: "message", position: { x: 0, y: 0 }, afterNodeId: "question_1" });
    expect(again.document.edges.at(-1)).toMatchObject({ source: "question_1", sourcePort: "choice:support", target: "message_3" });
  });

  it("gives every kind default data its schema accepts", () => {
    for (const kind of NODE_KINDS) {
      const decoded = decodeWith(nodeRegistry[kind].schema as never)(nodeRegistry[kind].defaults());
      expect(Either.isRight(decoded), `${kind}: ${JSON.stringify(Either.isLeft(decoded) ? decoded.left : null)}`).toBe(true);
    }
  });
});

describe("connect", () => {
  it("replaces the edge of an already connected port instead of adding a second one", () => {
    const state = run(sample(), { type: "connect", source: "message_1", sourcePort: "next", target: "end_1" });
    const fromNext = state.document.edges.filter((e) => e.source === "message_1" && e.sourcePort === "next");
    expect(fromNext).toEqual([{ id: "message_1/next", source: "message_1", sourcePort: "next", target: "end_1" }]);
    expect(state.past).toHaveLength(sample().past.length + 1);
  });

  it("refuses unknown ports, unknown nodes and self-loops except through a question", () => {
    const state = sample();
    const doc = state.document;
    expect(canConnect(doc, { source: "message_1", sourcePort: "nope", target: "end_1" })).toBe(false);
    expect(canConnect(doc, { source: "message_1", sourcePort: "next", target: "ghost" })).toBe(false);
    expect(canConnect(doc, { source: "message_1", sourcePort: "next", target: "message_1" })).toBe(false);
    expect(canConnect(doc, { source: "question_1", sourcePort: "invalid", target: "question_1" })).toBe(true);
    expect(canConnect(doc, { source: "end_1", sourcePort: "next", target: "message_1" })).toBe(false);
    const refused = run(state, { type: "connect", source: "message_1", sourcePort: "next", target: "message_1" });
    expect(refused).toBe(state);
  });

  it("leaves the state alone when the same connection already exists", () => {
    const state = sample();
    expect(run(state, { type: "connect", source: "message_1", sourcePort: "next", target: "question_1" })).toBe(state);
  });
});

describe("moveNodes", () => {
  it("puts a whole drag into one undo step, closed by the final move", () => {
    const start = sample();
    const dragged = run(
      start,
      { type: "moveNodes", positions: { end_1: { x: 5, y: 5 } }, final: false },
      { type: "moveNodes", positions: { end_1: { x: 50, y: 60 } }, final: false },
      { type: "moveNodes", positions: { end_1: { x: 70, y: 80 } }, final: true },
    );
    expect(dragged.document.nodes.find((n) => n.id === "end_1")!.position).toEqual({ x: 70, y: 80 });
    expect(dragged.past).toHaveLength(start.past.length + 1);
    expect(dragged.editKey).toBeUndefined();
    const undone = run(dragged, { type: "undo" });
    expect(undone.document).toBe(start.document);
    // A second drag of the same node is a new step.
    const second = run(dragged, { type: "moveNodes", positions: { end_1: { x: 1, y: 1 } }, final: true });
    expect(second.past).toHaveLength(dragged.past.length + 1);
  });

  it("keeps untouched nodes as the same objects (so their cards do not re-render)", () => {
    const start = sample();
    const moved = run(start, { type: "moveNodes", positions: { end_1: { x: 9, y: 9 } }, final: true });
    expect(moved.document.nodes[0]).toBe(start.document.nodes[0]);
    expect(moved.document.nodes[1]).toBe(start.document.nodes[1]);
    expect(moved.document.nodes[2]).not.toBe(start.document.nodes[2]);
  });
});

describe("updateNodeData and renameNode", () => {
  it("groups edits with the same key into one undo step", () => {
    const start = sample();
    const typed = run(
      start,
      { type: "updateNodeData", nodeId: "end_1", data: { message: "B" }, key: "end_1:message" },
      { type: "updateNodeData", nodeId: "end_1", data: { message: "By" }, key: "end_1:message" },
      { type: "updateNodeData", nodeId: "end_1", data: { message: "Bye" }, key: "end_1:message" },
    );
    expect(typed.past).toHaveLength(start.past.length + 1);
    expect(run(typed, { type: "undo" }).document).toBe(start.document);
    const other = run(typed, { type: "updateNodeData", nodeId: "end_1", data: { message: "Bye", closeConversation: true }, key: "end_1:close" });
    expect(other.past).toHaveLength(typed.past.length + 1);
  });

  it("drops edges from ports the new data no longer has", () => {
    const state = run(sample(), { type: "connect", source: "question_1", sourcePort: "choice:support", target: "end_1" });
    const data = state.document.nodes.find((n) => n.id === "question_1")!.data as { answer: object };
    const next = run(state, {
      type: "updateNodeData",
      nodeId: "question_1",
      data: { ...data, answer: { type: "choice", portPerChoice: true, choices: [{ id: "sales", label: "Sales" }] } },
    });
    expect(next.document.edges.some((e) => e.sourcePort === "choice:support")).toBe(false);
    expect(next.document.edges).toHaveLength(1);
  });

  it("sets and clears labels", () => {
    const named = run(sample(), { type: "renameNode", nodeId: "end_1", label: "Goodbye" });
    expect(named.document.nodes.find((n) => n.id === "end_1")!.label).toBe("Goodbye");
    const cleared = run(named, { type: "renameNode", nodeId: "end_1", label: "  " });
    expect("label" in cleared.document.nodes.find((n) => n.id === "end_1")!).toBe(false);
  });

  it("ignores unknown nodes", () => {
    const state = sample();
    expect(run(state, { type: "updateNodeData", nodeId: "ghost", data: {} })).toBe(state);
    expect(run(state, { type: "setStartNode", nodeId: "ghost" })).toBe(state);
  });
});

describe("deleting", () => {
  it("deletes the selected nodes with their edges and clears the start when it goes", () => {
    const state = run(sample(), { type: "connect", source: "question_1", sourcePort: "choice:sales", target: "end_1" }, { type: "select", nodeIds: ["message_1", "end_1"] });
    const next = run(state, { type: "deleteSelection" });
    expect(next.document.nodes.map((n) => n.id)).toEqual(["question_1"]);
    expect(next.document.edges).toEqual([]);
    expect(next.document.startNodeId).toBeUndefined();
    expect(next.selection).toEqual({ nodeIds: [], edgeIds: [] });
    const undone = run(next, { type: "undo" });
    expect(undone.document).toBe(state.document);
  });

  it("deletes one edge", () => {
    const next = run(sample(), { type: "deleteEdge", edgeId: "message_1/next" });
    expect(next.document.edges).toEqual([]);
    expect(next.document.nodes).toHaveLength(3);
  });
});

describe("paste", () => {
  it("remaps taken ids, keeps the edges among pasted nodes only, shifts, and selects the copies", () => {
    const state = sample();
    const nodes = state.document.nodes.filter((n) => n.id !== "end_1");
    const next = run(state, { type: "paste", nodes, edges: state.document.edges, offset: { x: 40, y: 40 } });
    const added = next.document.nodes.slice(3);
    expect(added.map((n) => n.id)).toEqual(["message_2", "question_2"]);
    expect(added[0]!.position).toEqual({ x: 40, y: 40 });
    expect(next.document.edges.at(-1)).toEqual({ id: "message_2/next", source: "message_2", sourcePort: "next", target: "question_2" });
    expect(next.selection.nodeIds).toEqual(["message_2", "question_2"]);
    expect(next.document.startNodeId).toBe("message_1");
  });

  it("keeps ids that are free (pasting into another flow)", () => {
    const source = sample().document;
    const next = run(initialEditorState(emptyDoc), { type: "paste", nodes: source.nodes, edges: source.edges, offset: { x: 0, y: 0 } });
    expect(next.document.nodes.map((n) => n.id)).toEqual(["message_1", "question_1", "end_1"]);
    expect(next.document.edges).toHaveLength(1);
    expect(next.document.startNodeId).toBe("message_1");
  });
});

describe("history", () => {
  it("undoes and redoes, and a new edit clears the redo list", () => {
    const state = sample();
    const undone = run(state, { type: "undo" });
    expect(undone.document.nodes).toHaveLength(2);
    const redone = run(undone, { type: "redo" });
    expect(redone.document).toBe(state.document);
    const edited = run(undone, { type: "setStartNode", nodeId: "question_1" });
    expect(edited.future).toEqual([]);
    expect(run(edited, { type: "redo" })).toBe(edited);
  });

  it(`keeps at most ${HISTORY_LIMIT} steps`, () => {
    let state = sample();
    for (let i = 0; i < HISTORY_LIMIT + 20; i++) state = run(state, { type: "renameNode", nodeId: "end_1", label: `L${i}` });
    expect(state.past).toHaveLength(HISTORY_LIMIT);
    for (let i = 0; i < HISTORY_LIMIT; i++) state = run(state, { type: "undo" });
    expect(state.document.nodes.find((n) => n.id === "end_1")!.label).toBe("L19");
    expect(run(state, { type: "undo" })).toBe(state);
  });

  it("does not record selection changes, and drops selected ids that undo removes", () => {
    const state = run(sample(), { type: "select", nodeIds: ["end_1"], edgeIds: [] });
    expect(state.past).toHaveLength(sample().past.length);
    const undone = run(state, { type: "undo" });
    expect(undone.selection.nodeIds).toEqual([]);
  });

  it("replaceDocument is undoable", () => {
    const state = sample();
    const replaced = run(state, { type: "replaceDocument", document: emptyDoc });
    expect(replaced.document).toBe(emptyDoc);
    expect(run(replaced, { type: "undo" }).document).toBe(state.document);
  });
});

describe("selection", () => {
  it("applies React Flow's select/deselect reports without touching the rest", () => {
    const state = run(sample(), { type: "select", nodeIds: ["message_1"], edgeIds: ["message_1/next"] });
    const next = run(state, { type: "changeSelection", nodes: { message_1: false, end_1: true } });
    expect(next.selection).toEqual({ nodeIds: ["end_1"], edgeIds: ["message_1/next"] });
    expect(run(next, { type: "changeSelection", nodes: { end_1: true } })).toBe(next);
  });
});

describe("settings, variables and layout", () => {
  it("sets settings and variables as undoable edits", () => {
    const state = run(sample(), { type: "setVariables", variables: [{ name: "plan", type: "string" }] }, { type: "setSettings", settings: { priority: 5 } });
    expect(state.document.variables).toEqual([{ name: "plan", type: "string" }]);
    expect(state.document.settings).toEqual({ priority: 5 });
    expect(run(state, { type: "undo" }).document.settings).toEqual({});
  });

  it("lays out top to bottom in edge order", () => {
    const connected = run(sample(), { type: "connect", source: "question_1", sourcePort: "choice:sales", target: "end_1" });
    const positions = Object.fromEntries(autoLayout(connected.document).nodes.map((n) => [n.id, n.position]));
    const state = run(connected, { type: "layout", positions });
    const y = (id: string) => state.document.nodes.find((n) => n.id === id)!.position.y;
    expect(y("message_1")).toBeLessThan(y("question_1"));
    expect(y("question_1")).toBeLessThan(y("end_1"));
    // One undo step puts every card back.
    expect(run(state, { type: "undo" }).document).toBe(connected.document);
  });
});

describe("a flow built only with actions", () => {
  it("compiles without errors once its data is filled in", () => {
    const state = run(
      sample(),
      { type: "updateNodeData", nodeId: "message_1", data: { bubbles: [{ type: "text", text: "Hi!" }] } },
      { type: "connect", source: "question_1", sourcePort: "choice:sales", target: "end_1" },
      { type: "connect", source: "question_1", sourcePort: "choice:support", target: "end_1" },
    );
    const result = compile(state.document, { teams: [], users: [], contactProperties: [] });
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(result.spec?.nodes).toHaveLength(3);
  });
});
