import { Either } from "effect";
import { describe, expect, it } from "vitest";
import leadQualification from "../../../flows/examples/lead-qualification.json";
import { compile } from "../../../flows/compile.js";
import { asNewDraft, exportFileName, issueLines, parseFlowFile } from "./import-flow.js";

describe("parseFlowFile", () => {
  it("reads an exported document back as it was", () => {
    const parsed = parseFlowFile(JSON.stringify(leadQualification));
    expect(Either.isRight(parsed) && parsed.right.nodes.map((n) => n.id)).toEqual(leadQualification.nodes.map((n) => n.id));
  });

  it("lays out a spec as a document with one edge per exit", () => {
    const document = Either.getOrThrow(parseFlowFile(JSON.stringify(leadQualification)));
    const spec = compile(document, { teams: [{ id: "team_support", name: "Support" }], users: [{ id: "user_admin", name: "Admin" }], contactProperties: ["company_size"] }).spec!;
    expect(spec).toBeDefined();
    const back = Either.getOrThrow(parseFlowFile(JSON.stringify(spec)));
    expect(back.nodes.length).toBe(document.nodes.length);
    expect(back.edges.length).toBe(spec.nodes.reduce((n, node) => n + Object.keys(node.next).length, 0));
  });

  it("names every problem with its path", () => {
    const broken = { ...leadQualification, kind: "robot", nodes: [{ ...leadQualification.nodes[0], id: "has space" }] };
    const parsed = parseFlowFile(JSON.stringify(broken));
    expect(Either.isLeft(parsed)).toBe(true);
    const lines = issueLines(Either.isLeft(parsed) ? parsed.left : []);
    expect(lines.some((l) => l.startsWith("kind: "))).toBe(true);
    expect(lines.some((l) => l.startsWith("nodes[0].id: "))).toBe(true);
  });

  it("refuses text that is not a JSON object", () => {
    for (const text of ["{nope", "[1,2]", "null", '"flow"']) {
      const parsed = parseFlowFile(text);
      expect(Either.isLeft(parsed) && parsed.left[0]!.path).toBe("");
    }
    expect(issueLines(Either.isLeft(parseFlowFile("{nope")) ? (parseFlowFile("{nope") as Either.Left<never, never>).left : [])[0]).toMatch(/^the file is not JSON/);
  });
});

describe("asNewDraft", () => {
  it("gives the document the new chatflow's id (id-safe) and the chosen name", () => {
    const document = Either.getOrThrow(parseFlowFile(JSON.stringify(leadQualification)));
    expect(asNewDraft(document, "flow_a.b~c", "Leads")).toMatchObject({ id: "flow_a_b_c", name: "Leads" });
    expect(asNewDraft(document, "flow_x").name).toBe(leadQualification.name);
  });
});

describe("exportFileName", () => {
  it("makes a plain file name from any flow name", () => {
    expect(exportFileName("Lead qualification")).toBe("lead-qualification.json");
    expect(exportFileName("Café über Alles!")).toBe("cafe-uber-alles.json");
    expect(exportFileName("👋")).toBe("flow.json");
  });
});
