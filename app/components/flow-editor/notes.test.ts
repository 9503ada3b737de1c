import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { compile } from "../../../flows/compile.js";
import type { DocumentNote, FlowDocument } from "../../../flows/flow-document.js";
import { decodeFlowFile } from "../../../flows/flow-file.js";
import { documentFromSpec } from "../flow-spec-panel/spec-json.js";
import { layoutPositions } from "./layout-client.js";
import { copyNodes, parseClipboard, pasteOffset, serializeClipboard } from "./clipboard.js";
import { deriveNodes, deriveNotes, newDeriveCache, type DeriveInput } from "./derive.js";
import { editorReducer, initialEditorState, NOTE_DEFAULT_SIZE, type EditorAction, type EditorState } from "./editor-state.js";
import { GENERATED_CONTEXT, generateDocument } from "./generate.js";

const run = (state: EditorState, ...actions: EditorAction[]) => actions.reduce(editorReducer, state);

/** A small generated flow with one note added (selected). */
const withNote = (): EditorState =>
  run(initialEditorState(generateDocument(6)), { type: "addNote", position: { x: 500.4, y: -80.6 }, text: "Budget questions live here" });

describe("adding, editing, moving, resizing and deleting a note", () => {
  it("adds a yellow note of the default size where asked, selected, as one undo step", () => {
    const before = initialEditorState(generateDocument(6));
    const state = run(before, { type: "addNote", position: { x: 500.4, y: -80.6 } });
    expect(state.document.notes).toEqual([{ id: "note_1", text: "", color: "yellow", position: { x: 500, y: -81 }, size: NOTE_DEFAULT_SIZE }]);
    expect(state.selection).toEqual({ nodeIds: ["note_1"], edgeIds: [] });
    expect(state.document.nodes).toBe(before.document.nodes);
    expect(run(state, { type: "undo" }).document).toBe(before.document);
  });

  it("never gives a note the id of a step or another note", () => {
    const doc = generateDocument(3);
    const stepNamedNote = { ...doc, nodes: [...doc.nodes, { ...doc.nodes[0]!, id: "note_1" }] };
    const state = run(initialEditorState(stepNamedNote), { type: "addNote", position: { x: 0, y: 0 } }, { type: "addNote", position: { x: 0, y: 0 } });
    expect(state.document.notes!.map((n) => n.id)).toEqual(["note_2", "note_3"]);
  });

  it("keeps a burst of typing as one undo step and cuts text at 2,000 characters", () => {
    const start = withNote();
    const typed = run(
      start,
      { type: "updateNote", noteId: "note_1", text: "B", key: "note-text:note_1" },
      { type: "updateNote", noteId: "note_1", text: "Bu", key: "note-text:note_1" },
      { type: "updateNote", noteId: "note_1", text: "Bud", key: "note-text:note_1" },
    );
    expect(typed.document.notes![0]!.text).toBe("Bud");
    expect(run(typed, { type: "undo" }).document.notes![0]!.text).toBe("Budget questions live here");
    const long = run(start, { type: "updateNote", noteId: "note_1", text: "x".repeat(2_500) });
    expect(long.document.notes![0]!.text).toHaveLength(2_000);
    const coloured = run(start, { type: "updateNote", noteId: "note_1", color: "blue" });
    expect(coloured.document.notes![0]!.color).toBe("blue");
    expect(run(start, { type: "updateNote", noteId: "missing", text: "x" })).toBe(start);
  });

  it("moves notes with moveNodes, steps and notes together, as one undo step", () => {
    const start = withNote();
    const stepId = start.document.nodes[0]!.id;
    const moved = run(start, { type: "moveNodes", positions: { note_1: { x: 10, y: 20 }, [stepId]: { x: 30, y: 40 } }, final: true });
    expect(moved.document.notes![0]!.position).toEqual({ x: 10, y: 20 });
    expect(moved.document.nodes[0]!.position).toEqual({ x: 30, y: 40 });
    expect(run(moved, { type: "undo" }).document).toBe(start.document);
  });

  it("resizes a note (a corner handle also moves it) within its bounds, as one undo step", () => {
    const start = withNote();
    const resized = run(start, { type: "resizeNote", noteId: "note_1", box: { x: 480.2, y: -100, width: 320.7, height: 180 } });
    expect(resized.document.notes![0]).toMatchObject({ position: { x: 480, y: -100 }, size: { width: 321, height: 180 } });
    expect(resized.past).toHaveLength(start.past.length + 1);
    const clamped = run(start, { type: "resizeNote", noteId: "note_1", box: { x: 0, y: 0, width: 5, height: 99_999 } });
    expect(clamped.document.notes![0]!.size).toEqual({ width: 120, height: 2_000 });
    expect(run(resized, { type: "undo" }).document).toBe(start.document);
  });

  it("deletes selected notes with the selection, and brings them back on undo", () => {
    const start = withNote();
    const stepId = start.document.nodes[1]!.id;
    const selected = run(start, { type: "changeSelection", nodes: { [stepId]: true } });
    expect(selected.selection.nodeIds).toEqual(["note_1", stepId]);
    const deleted = run(selected, { type: "deleteSelection" });
    expect(deleted.document.notes).toEqual([]);
    expect(deleted.document.nodes.some((n) => n.id === stepId)).toBe(false);
    const undone = run(deleted, { type: "undo" });
    expect(undone.document).toBe(start.document);
    expect(run(undone, { type: "redo" }).document).toBe(deleted.document);
  });
});

describe("copy and paste of notes", () => {
  it("copies selected notes with the steps and pastes them with fresh ids, shifted, selected", () => {
    const start = withNote();
    const stepId = start.document.nodes[0]!.id;
    const content = copyNodes(start.document, ["note_1", stepId]);
    expect(content.notes!.map((n) => n.id)).toEqual(["note_1"]);
    const parsed = parseClipboard(serializeClipboard(content));
    if (Either.isLeft(parsed)) throw new Error("the copied content must parse");
    const pasted = run(start, { type: "paste", nodes: parsed.right.nodes, edges: parsed.right.edges, notes: parsed.right.notes!, offset: { x: 40, y: 40 } });
    const notes = pasted.document.notes!;
    expect(notes).toHaveLength(2);
    expect(notes[1]).toMatchObject({ id: "note_2", text: "Budget questions live here", position: { x: 540, y: -41 } });
    expect(pasted.selection.nodeIds).toContain("note_2");
    expect(run(pasted, { type: "undo" }).document).toBe(start.document);
  });

  it("pastes a note alone, at the pointer", () => {
    const start = withNote();
    const content = copyNodes(start.document, ["note_1"]);
    expect(content.nodes).toEqual([]);
    const offset = pasteOffset(content, { x: 0, y: 0 });
    const pasted = run(start, { type: "paste", nodes: [], edges: [], notes: content.notes!, offset });
    expect(pasted.document.notes![1]!.position).toEqual({ x: 0, y: 0 });
  });

  it("reads clipboard text without notes, as older editors copied it", () => {
    const text = JSON.stringify({ parley: "nodes", nodes: [], edges: [] });
    expect(Either.isRight(parseClipboard(text))).toBe(true);
  });
});

describe("notes in the document", () => {
  it("leave the compiled spec byte for byte as without them, and are never checked", () => {
    const doc = generateDocument(40);
    const notes: ReadonlyArray<DocumentNote> = [
      { id: "note_1", text: "Ask for the budget <b>before</b> {{contact.email}}", color: "pink", position: { x: -400, y: 0 }, size: { width: 240, height: 140 } },
      { id: "note_2", text: "", color: "grey", position: { x: 9_000, y: 9_000 }, size: { width: 120, height: 60 } },
    ];
    const plain = compile(doc, GENERATED_CONTEXT);
    const noted = compile({ ...doc, notes }, GENERATED_CONTEXT);
    expect(plain.spec).toBeDefined();
    expect(JSON.stringify(noted.spec)).toBe(JSON.stringify(plain.spec));
    expect(noted.diagnostics).toEqual(plain.diagnostics);
  });

  it("are kept by a flow file's export and import", () => {
    const state = withNote();
    const file = JSON.parse(JSON.stringify(state.document));
    const decoded = decodeFlowFile(file);
    expect(Either.isRight(decoded) && decoded.right.notes).toEqual(state.document.notes);
  });

  it("refuse a flow file with bad notes, saying where", () => {
    const doc = withNote().document;
    const good = doc.notes![0]!;
    const file = {
      ...doc,
      notes: [
        good,
        { ...good, id: "note_2", text: 42 },
        { ...good, id: "note_3", text: "x".repeat(2_001) },
        { ...good, id: "note_4", color: "red" },
        { ...good, id: "note_5", size: { width: 10, height: 100 } },
        { ...good, id: "note_6", position: { x: "1", y: 2 } },
      ],
    };
    const decoded = decodeFlowFile(JSON.parse(JSON.stringify(file)));
    if (Either.isRight(decoded)) throw new Error("bad notes must be refused");
    expect(decoded.left.map((i) => i.path)).toEqual(["notes[1].text", "notes[2].text", "notes[3].color", "notes[4].size.width", "notes[5].position.x"]);
    expect(decoded.left[1]!.message).toMatch(/at most 2,000 characters/);
    expect(decoded.left[3]!.message).toBe("A note is 120–2,000 px wide");
  });

  it("refuse a note whose id is a step's or another note's", () => {
    const doc = withNote().document;
    const good = doc.notes![0]!;
    const decoded = decodeFlowFile({ ...doc, notes: [good, { ...good }, { ...good, id: doc.nodes[2]!.id }] });
    if (Either.isRight(decoded)) throw new Error("duplicate ids must be refused");
    expect(decoded.left.map((i) => i.path)).toEqual(["notes[1].id", "notes[2].id"]);
  });

  it("read documents without notes as before (no notes key is added)", () => {
    const doc = generateDocument(3);
    const decoded = decodeFlowFile(JSON.parse(JSON.stringify(doc)));
    expect(Either.isRight(decoded) && "notes" in decoded.right).toBe(false);
  });

  it("survive a Spec edit or a restored version, which carry no notes", () => {
    const doc = withNote().document;
    const spec = compile(doc, GENERATED_CONTEXT).spec!;
    expect(documentFromSpec(spec, doc).notes).toEqual(doc.notes);
    // A restored version with a step now named like a note: the note gets a new id.
    const clash = { ...spec, nodes: spec.nodes.map((n, i) => (i === 0 ? { ...n, id: "note_1" } : n)), startNodeId: "note_1" };
    const restored = documentFromSpec(clash, doc);
    expect(restored.notes!.map((n) => n.id)).toEqual(["note_2"]);
  });

  it("are left where they are by auto-layout", async () => {
    const state = withNote();
    const positions = await layoutPositions(state.document, {});
    expect(Object.keys(positions)).not.toContain("note_1");
    const laid = run(state, { type: "layout", positions });
    expect(laid.document.notes).toBe(state.document.notes);
  });
});

describe("notes on the canvas", () => {
  const inputFor = (document: FlowDocument): DeriveInput => ({
    document,
    selectedNodes: new Set(["note_1"]),
    selectedEdges: new Set(),
    decorations: new Map(),
    analytics: null,
    highlightNodeId: null,
    drag: null,
    measured: new Map(),
  });

  it("are drawn as sized note nodes apart from the step cards, reused while unchanged", () => {
    const document = withNote().document;
    const cache = newDeriveCache();
    const notes = deriveNotes(inputFor(document), cache);
    expect(notes).toEqual([
      expect.objectContaining({ id: "note_1", type: "note", selected: true, width: 240, height: 140, position: { x: 500, y: -81 }, ariaLabel: "Note: Budget questions live here" }),
    ]);
    expect(deriveNodes(inputFor(document), cache).map((n) => n.id)).toEqual(document.nodes.map((n) => n.id));
    expect(deriveNotes(inputFor(document), cache)[0]).toBe(notes[0]);
    const resizing = deriveNotes({ ...inputFor(document), resize: new Map([["note_1", { x: 1, y: 2, width: 300, height: 200 }]]) }, cache);
    expect(resizing[0]).toMatchObject({ position: { x: 1, y: 2 }, width: 300, height: 200 });
  });
});
