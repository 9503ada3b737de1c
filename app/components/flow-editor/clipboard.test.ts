import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { copyNodes, parseClipboard, pasteOffset, readClipboard, serializeClipboard, writeClipboard } from "./clipboard.js";
import { generateDocument } from "./generate.js";

describe("clipboard", () => {
  const doc = generateDocument(5);
  const ids = [doc.nodes[0]!.id, doc.nodes[1]!.id];

  it("copies the chosen nodes and only the edges between them", () => {
    const content = copyNodes(doc, ids);
    expect(content.nodes.map((n) => n.id)).toEqual(ids);
    expect(content.edges.every((e) => ids.includes(e.source) && ids.includes(e.target))).toBe(true);
    expect(content.edges).toHaveLength(1);
  });

  it("round-trips through the JSON format with its marker", () => {
    const text = serializeClipboard(copyNodes(doc, ids));
    expect(JSON.parse(text).parley).toBe("nodes");
    const parsed = parseClipboard(text);
    expect(Either.isRight(parsed) && parsed.right.nodes.map((n) => n.id)).toEqual(ids);
  });

  it("says why text is not Parley nodes", () => {
    const notJson = parseClipboard("hello");
    expect(Either.isLeft(notJson) && notJson.left[0]!.message).toMatch(/not JSON/);
    const other = parseClipboard('{"nodes":[]}');
    expect(Either.isLeft(other) && other.left[0]!.path).toBe("parley");
    const broken = parseClipboard(JSON.stringify({ parley: "nodes", nodes: [{ id: "a b", kind: "message", position: { x: 0, y: 0 }, data: {} }], edges: [] }));
    expect(Either.isLeft(broken) && broken.left[0]!.path).toBe("nodes[0].id");
  });

  it("pastes at the pointer when there is one, else 40 px down and right", () => {
    const content = copyNodes(doc, ids);
    expect(pasteOffset(content)).toEqual({ x: 40, y: 40 });
    const minX = Math.min(...content.nodes.map((n) => n.position.x));
    const minY = Math.min(...content.nodes.map((n) => n.position.y));
    expect(pasteOffset(content, { x: 1000, y: 500 })).toEqual({ x: 1000 - minX, y: 500 - minY });
  });

  it("falls back to the in-memory copy without a system clipboard", async () => {
    const text = serializeClipboard(copyNodes(doc, ids));
    await writeClipboard(text);
    expect(await readClipboard()).toBe(text);
  });
});
