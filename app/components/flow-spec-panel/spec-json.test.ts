import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { compile, decodeFlowDocument } from "../../../flows/compile.js";
import type { FlowDocument } from "../../../flows/flow-document.js";
import { documentFromSpec, readSpecEdit, specJsonOf, specTextOf } from "./spec-json.js";

const context = { teams: [], users: [], contactProperties: [] };
const document: FlowDocument = Either.getOrThrow(
  decodeFlowDocument({
    id: "demo",
    name: "Demo",
    kind: "bot",
    startNodeId: "hello",
    nodes: [
      { id: "hello", kind: "message", position: { x: 40, y: 40 }, data: { bubbles: [{ type: "text", text: "Hi" }] } },
      { id: "bye", kind: "end", position: { x: 400, y: 300 }, data: {} },
    ],
    edges: [{ id: "my-edge", source: "hello", sourcePort: "next", target: "bye" }],
  }),
);

describe("specJsonOf", () => {
  it("is the compiled spec when the flow compiles", () => {
    const compiled = compile(document, context);
    expect(specJsonOf(document, compiled)).toBe(compiled.spec);
  });

  it("builds next maps from edges when the flow has errors", () => {
    const broken = { ...document, nodes: [...document.nodes, { id: "lost", kind: "message" as const, position: { x: 0, y: 0 }, data: {} }] };
    const compiled = compile(broken, context);
    expect(compiled.spec).toBeUndefined();
    const json = specJsonOf(broken, compiled) as { nodes: Array<{ id: string; next: Record<string, string> }> };
    expect(json.nodes.map((n) => [n.id, n.next])).toEqual([
      ["hello", { next: "bye" }],
      ["bye", {}],
      ["lost", {}],
    ]);
  });
});

describe("readSpecEdit", () => {
  const compiled = compile(document, context);
  const current = specJsonOf(document, compiled);
  const text = specTextOf(document, compiled);

  it("finds nothing to apply in a reformatted or untouched spec", () => {
    expect(readSpecEdit(text, document, current)).toEqual({ type: "same" });
    expect(readSpecEdit(JSON.stringify(JSON.parse(text)), document, current)).toEqual({ type: "same" });
  });

  it("applies a changed text, keeping positions and edge ids of what survives", () => {
    const edited = JSON.parse(text);
    edited.nodes[0].data.bubbles[0].text = "Hello there";
    edited.nodes.push({ id: "extra", kind: "end", data: {}, next: {} });
    const edit = readSpecEdit(JSON.stringify(edited), document, current);
    expect(edit.type).toBe("apply");
    const next = (edit as { document: FlowDocument }).document;
    expect(next.nodes.find((n) => n.id === "hello")!.position).toEqual({ x: 40, y: 40 });
    expect(next.nodes.find((n) => n.id === "bye")!.position).toEqual({ x: 400, y: 300 });
    // A new node is placed below the existing drawing, not on top of it.
    expect(next.nodes.find((n) => n.id === "extra")!.position.y).toBeGreaterThan(300);
    expect(next.edges).toEqual([{ id: "my-edge", source: "hello", sourcePort: "next", target: "bye" }]);
    expect((next.nodes[0]!.data as { bubbles: Array<{ text: string }> }).bubbles[0]!.text).toBe("Hello there");
    expect(compile(next, context).spec).toBeDefined();
  });

  it("lists every problem of text that is not a spec, with paths", () => {
    const broken = JSON.parse(text);
    broken.kind = "robot";
    broken.nodes[0].data.bubbles = [];
    const edit = readSpecEdit(JSON.stringify(broken), document, current);
    expect(edit.type).toBe("invalid");
    const paths = edit.type === "invalid" ? edit.issues.map((i) => i.path) : [];
    expect(paths).toContain("kind");
    expect(paths.some((p) => p.startsWith("nodes[0]"))).toBe(true);
    const syntax = readSpecEdit("{", document, current);
    expect(syntax.type === "invalid" && syntax.issues[0]!.message).toMatch(/^not valid JSON/);
  });
});

describe("documentFromSpec", () => {
  it("round-trips a compiled spec into the same graph", () => {
    const spec = compile(document, context).spec!;
    const back = documentFromSpec(spec, document);
    expect(back.nodes.map((n) => [n.id, n.position])).toEqual(document.nodes.map((n) => [n.id, n.position]));
    expect(back.edges).toEqual(document.edges);
    expect(back.startNodeId).toBe("hello");
  });
});
